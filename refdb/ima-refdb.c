/* ima-refdb.c -- the ima-refdb command: build, import, look up and describe the reference database */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"	/* autotools; plugin/config.h is the plugin's */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* plugin/config.h: the plugin's config file names our default database. */
#include "config.h"
#include "hashalgo.h"
#include "importfmt.h"
#include "manifest.h"
#include "refdb.h"
#include "refdb_sig.h"
#include "scan.h"
#include "tarhash.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_FOUND 0
#define EXIT_NOTFOUND 1
#define EXIT_ERROR 2

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Progress lines on a terminal must be wiped before anything else prints. */
static int progress_shown;

static void clear_progress(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

__attribute__((format(printf, 1, 2)))
static void error_msg(const char *fmt, ...)
{
	va_list ap;

	clear_progress();
	fputs("ima-refdb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs(
"Usage: ima-refdb [--db FILE] [-c CONFIG] VERB [OPTIONS] ARGS...\n"
"Build and query the reference database of audisp-ima.\n"
"\n"
"Verbs:\n"
"  build [-a ALGO]... [-x] [-e REGEX]... [-j N] [-R ROOT] [-v] DIR...\n"
"                      hash the regular files under DIR... into a new database\n"
"                      (compressed modules also decompressed; hard links once)\n"
"  import [-a ALGO] [-f FORMAT] [--deny] FILE...\n"
"                      add the digests of manifests, Keylime policies, IMA\n"
"                      measurement lists or dumps (FILE \"-\" is stdin)\n"
"  update PATH...      rehash these files (a missing file is removed)\n"
"  update --package NAME...   rehash the files of installed packages\n"
"  update --deb FILE...       add the digests inside .deb archives before\n"
"                      they are installed (FILE \"-\": names on stdin)\n"
"  update --rpm FILE...       the same for .rpm packages (rpm -qp --dump)\n"
"  update --prune      drop package digests no installed file has any more\n"
"  remove PATH...      drop the entries of these paths\n"
"  lookup PATH|DIGEST  show the digests of PATH, or the paths of DIGEST\n"
"                      (DIGEST is ALGO:HEX or HEX)\n"
"  check [DIR...]      rehash and report changed, missing and new files\n"
"  dump                print the database in a stable, importable text form\n"
"  info                summarize the database\n"
"  sign --key KEY [--release N]   write the signed manifest DB.sig\n"
"  verify --pubkey PUB check DB against DB.sig\n"
"\n"
"Options:\n"
"  -d, --db FILE              the database (default: reference_db of the\n"
"                             config file, else " CONFIG_DEFAULT_DB ")\n"
"  -c, --config FILE          the config file to take reference_db from\n"
"                             (default " CONFIG_DEFAULT_PATH ")\n"
"  -l, --local                the local_db layer (changed in place); update\n"
"                             and remove use it whenever it is configured\n"
"  -f, --format FMT           import: sum, allowlist, keylime, ima-ascii,\n"
"                             ima-binary, dump, digests (default: detect)\n"
"      --deny                 import: the digests are known bad\n"
"  -R, --root DIR             build: DIR is the image's /: record paths as\n"
"                             they will be when it is booted\n"
"  -v, --verbose              build: list what was skipped and why\n"
"  -k, --key FILE             sign: PEM private key (Ed25519, RSA, ECDSA)\n"
"  -p, --pubkey FILE          verify: PEM public key\n"
"  -r, --release N            sign: release number (default: previous + 1)\n"
"  -a, --algo ALGO            hash algorithm (build: repeatable, default\n"
"                             sha256; import: for lines without a tag)\n"
"  -x, --one-file-system      build: do not cross mount points\n"
"  -e, --exclude REGEX        build: skip paths matching REGEX (PCRE2,\n"
"                             anchored at the start); repeatable\n"
"  -j, --threads N            build: hashing threads (default: CPUs)\n"
"  -q, --quiet                build: no progress and no summary\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"Exit status: 0 success or found, 1 not found, 2 error.\n", f);
}

/* ------------------------------------------------------------ options */

struct cli {
	const char *db;		/* --db */
	const char *config;	/* --config */
	const struct hashalgo *algos[SCAN_MAX_ALGOS];
	size_t n_algos;
	const char **excludes;
	size_t n_excludes;
	int one_fs;
	int quiet;
	unsigned threads;
	int verbose;
	int local;
	int deny;
	int format;		/* enum importfmt */
	int mode;		/* update: 'P' package, 'D' deb, 'M' rpm, 'X' prune */
	const char *root;
	const char *key;
	const char *pubkey;
	uint64_t release;
	int db_given;
	char db_buf[PATH_MAX];
	char local_buf[PATH_MAX];
};

enum { OPT_DENY = 256, OPT_PACKAGE, OPT_DEB, OPT_RPM, OPT_PRUNE };

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "algo", required_argument, NULL, 'a' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "exclude", required_argument, NULL, 'e' },
	{ "threads", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "local", no_argument, NULL, 'l' },
	{ "format", required_argument, NULL, 'f' },
	{ "deny", no_argument, NULL, OPT_DENY },
	{ "root", required_argument, NULL, 'R' },
	{ "key", required_argument, NULL, 'k' },
	{ "pubkey", required_argument, NULL, 'p' },
	{ "release", required_argument, NULL, 'r' },
	{ "package", no_argument, NULL, OPT_PACKAGE },
	{ "deb", no_argument, NULL, OPT_DEB },
	{ "rpm", no_argument, NULL, OPT_RPM },
	{ "prune", no_argument, NULL, OPT_PRUNE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* verb_allows - whether option c makes sense for this verb. */
static int verb_is(const char *verb, const char *list)
{
	const char *p = list;
	size_t n;

	if (verb == NULL)
		return 0;
	n = strlen(verb);
	while ((p = strstr(p, verb)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static int verb_allows(const char *verb, int c)
{
	switch (c) {
	case 'd': case 'c': case 'h': case 'V': case 'l':
		return 1;
	case 'a':
		return verb_is(verb, "build import update check");
	case 'x': case 'e': case 'R':
		return verb_is(verb, "build");
	case 'j': case 'q': case 'v':
		return verb_is(verb, "build check update import remove");
	case 'f': case OPT_DENY:
		return verb_is(verb, "import");
	case 'k': case 'r':
		return verb_is(verb, "sign");
	case 'p':
		return verb_is(verb, "verify info");
	case OPT_PACKAGE: case OPT_DEB: case OPT_RPM: case OPT_PRUNE:
		return verb_is(verb, "update");
	default:
		return 0;
	}
}

/*
 * parse_opts - getopt over argv for verb (NULL: before the verb).  Returns
 * -1 to go on, or an exit status (help, version, bad usage).
 */
static int parse_opts(struct cli *c, const char *verb, int argc, char **argv)
{
	const char *shortopts = verb == NULL ? "+:d:c:lhV" :
				":d:c:a:xe:j:qvlf:R:k:p:r:hV";
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, long_opts,
				  NULL)) != -1) {
		if (opt == '?' || opt == ':' || !verb_allows(verb, opt)) {
			const char *pre = verb ? verb : "", *sep = verb ? ": " : "";

			if (opt == ':')
				error_msg("%s%soption '%s' needs an argument",
					  pre, sep, argv[optind - 1]);
			else if (opt == '?' && optopt != 0)
				error_msg("%s%sbad option '-%c'", pre, sep,
					  optopt);
			else
				error_msg("%s%sbad option '%s'", pre, sep,
					  argv[optind - 1]);
			fputs("Try 'ima-refdb --help'.\n", stderr);
			return EXIT_ERROR;
		}
		switch (opt) {
		case 'd':
			c->db = optarg;
			c->db_given = 1;
			break;
		case 'l':
			c->local = 1;
			break;
		case 'v':
			c->verbose = 1;
			break;
		case OPT_DENY:
			c->deny = 1;
			break;
		case 'f':
			c->format = importfmt_by_name(optarg);
			if (c->format < 0) {
				error_msg("unknown format '%s' (sum, allowlist, keylime, ima-ascii, ima-binary, dump, digests)",
					  optarg);
				return EXIT_ERROR;
			}
			break;
		case 'R':
			c->root = optarg;
			break;
		case 'k':
			c->key = optarg;
			break;
		case 'p':
			c->pubkey = optarg;
			break;
		case 'r': {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 ||
			    optarg[0] == '-') {
				error_msg("--release wants a number from 1, not '%s'",
					  optarg);
				return EXIT_ERROR;
			}
			c->release = n;
			break;
		}
		case OPT_PACKAGE:
		case OPT_DEB:
		case OPT_RPM:
		case OPT_PRUNE: {
			int m = opt == OPT_PACKAGE ? 'P' : opt == OPT_DEB ?
				'D' : opt == OPT_RPM ? 'M' : 'X';

			if (c->mode != 0 && c->mode != m) {
				error_msg("update: one of --package, --deb, --rpm, --prune");
				return EXIT_ERROR;
			}
			c->mode = m;
			break;
		}
		case 'c':
			c->config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ima-refdb %s\n", PACKAGE_VERSION);
			return 0;
		case 'a': {
			const struct hashalgo *a =
				hashalgo_by_name(optarg, strlen(optarg));
			size_t i;

			if (a == NULL) {
				error_msg("unknown hash algorithm '%s'",
					  optarg);
				return EXIT_ERROR;
			}
			for (i = 0; i < c->n_algos; i++)
				if (c->algos[i] == a)
					break;
			if (i < c->n_algos)
				break;
			if (c->n_algos == SCAN_MAX_ALGOS) {
				error_msg("at most %d algorithms",
					  SCAN_MAX_ALGOS);
				return EXIT_ERROR;
			}
			c->algos[c->n_algos++] = a;
			break;
		}
		case 'x':
			c->one_fs = 1;
			break;
		case 'e': {
			const char **n = realloc(c->excludes,
				(c->n_excludes + 1) * sizeof(*n));

			if (n == NULL) {
				error_msg("out of memory");
				return EXIT_ERROR;
			}
			c->excludes = n;
			c->excludes[c->n_excludes++] = optarg;
			break;
		}
		case 'j': {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 ||
			    n > 256) {
				error_msg("--threads wants 1 to 256, not '%s'",
					  optarg);
				return EXIT_ERROR;
			}
			c->threads = (unsigned)n;
			break;
		}
		case 'q':
			c->quiet = 1;
			break;
		}
	}
	return -1;
}

/*
 * resolve_db - --db, else (with --local, or for update and remove when
 * the config names one) the config file's local_db, else its
 * reference_db, else the default.  Sets c->local when the result is a
 * local layer.  NULL (printed) when --local finds no local_db.
 */
static const char *resolve_db(struct cli *c, const char *verb)
{
	const char *conf = c->config ? c->config : CONFIG_DEFAULT_PATH;

	if (c->db != NULL)
		return c->db;
	if (c->local || verb_is(verb, "update remove")) {
		if (config_peek_key(conf, "local_db", c->local_buf,
				    sizeof(c->local_buf)) == 1) {
			c->local = 1;
			return c->local_buf;
		}
		if (c->local) {
			error_msg("--local: %s names no local_db", conf);
			return NULL;
		}
	}
	if (config_peek_reference_db(conf, c->db_buf, sizeof(c->db_buf)) == 1
	    && c->db_buf[0] != '\0')
		return c->db_buf;
	return CONFIG_DEFAULT_DB;
}

static int local_layer;	/* --local: readers must not assume immutability */

/* open_reader - open the database for reading; prints why not. */
static int open_reader(const char *path, struct refdb **db)
{
	char err[512];
	int r = refdb_open_readonly_flags(path, local_layer ?
					  REFDB_OPEN_MUTABLE : 0, db, err,
					  sizeof(err));

	if (r == REFDB_E_NOTFOUND)
		error_msg("%s: no such database (create it with 'ima-refdb build DIR' or 'ima-refdb import FILE')",
			  path);
	else if (r != 0)
		error_msg("%s", err);
	return r;
}

/*
 * print_entry_line - "PREFIX  NAME" on stdout, escaped as coreutils does:
 * a name with a backslash, newline or carriage return gets "\\", "\n",
 * "\r" and the line a leading backslash, so no name can forge a line.
 */
static void print_entry_line(const char *prefix, const char *name, size_t len)
{
	int escape = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] == '\\' || name[i] == '\n' || name[i] == '\r')
			escape = 1;
	if (escape)
		putchar('\\');
	fputs(prefix, stdout);
	fputs("  ", stdout);
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (escape && ch == '\\')
			fputs("\\\\", stdout);
		else if (escape && ch == '\n')
			fputs("\\n", stdout);
		else if (escape && ch == '\r')
			fputs("\\r", stdout);
		else
			putchar(ch);
	}
	putchar('\n');
}

/* ------------------------------------------------------------ build */

struct build_ctx {
	struct refdb_writer *w;
	int64_t source;
	const struct cli *cli;
	pcre2_code **re;
	pcre2_match_data *md;
	size_t n_re;
	const char *db_abs;	/* our own files are never scanned */
	size_t db_abs_len;
	const char *db_walked;	/* db_abs as the walk names it (--root), or NULL */
	size_t db_walked_len;
	uint64_t files;
	uint64_t bytes;		/* bytes of the files seen (hard links each time) */
	struct timespec t0;
	struct timespec last;
	int progress;
	int failed;		/* writer error already printed */
	struct precount *pre;	/* totals for the progress bar, or NULL */
};

/*
 * The pre-count: a thread walks the same trees without opening a file
 * (directory reads and stats only) so that the progress bar can show a
 * total and an ETA.  Until it finishes the bar shows no ETA.
 */
struct precount {
	pthread_t thread;
	int started;
	const struct build_ctx *b;
	pcre2_match_data *md;	/* its own: match data is per thread */
	char **roots;
	int n_roots;
	struct scan_options opt;
	uint64_t files, bytes;	/* valid once done */
	int done;		/* atomic */
	int stop;		/* atomic */
};

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * is_own_file - path (as the walk names it) is the database own, its lock,
 * or one of its temporaries: never indexed, never reported as new.
 */
static int is_own_file(const char *own, const char *path, size_t len)
{
	const char *slash = own ? strrchr(own, '/') : NULL;
	size_t dir = slash ? (size_t)(slash - own) + 1 : 0;
	const char *base = own ? own + dir : "";
	size_t blen = strlen(base);

	if (own == NULL || *own == '\0' || len < dir ||
	    memcmp(path, own, dir))
		return 0;
	path += dir;
	len -= dir;
	if (len == blen && memcmp(path, base, blen) == 0)
		return 1;
	if (len == blen + 5 && memcmp(path, base, blen) == 0 &&
	    memcmp(path + blen, ".lock", 5) == 0)
		return 1;
	return len > blen + 2 && path[0] == '.' &&
	       memcmp(path + 1, base, blen) == 0 && path[blen + 1] == '.';
}

/* path_excluded - one of our files, or a match of an --exclude pattern. */
static int path_excluded(const struct build_ctx *b, pcre2_match_data *md,
			 const char *path, size_t len)
{
	size_t i;

	if (is_own_file(b->db_walked, path, len))
		return 1;
	for (i = 0; i < b->n_re; i++)
		if (pcre2_match(b->re[i], (PCRE2_SPTR)path, len, 0,
				PCRE2_ANCHORED, md, NULL) >= 0)
			return 1;
	return 0;
}

static int build_exclude(const char *path, size_t len, void *arg)
{
	struct build_ctx *b = arg;

	return path_excluded(b, b->md, path, len);
}

static void build_error(const char *msg, void *arg)
{
	(void)arg;
	error_msg("%s", msg);
}

/* print_escaped - a path on stderr with control bytes and "\" as \xHH. */
static void print_escaped(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
}

/* build_skip - --verbose: say what was left out and why. */
static void build_skip(const char *path, size_t len, enum scan_skip why,
		       void *arg)
{
	struct build_ctx *b = arg;

	if (!b->cli->verbose)
		return;
	clear_progress();
	fputs("ima-refdb: skipped ", stderr);
	print_escaped(path, len);
	fprintf(stderr, ": %s\n", scan_skip_name(why));
}

static int count_exclude(const char *path, size_t len, void *arg)
{
	struct precount *pc = arg;

	return path_excluded(pc->b, pc->md, path, len);
}

static int count_file(const struct scan_result *r, void *arg)
{
	struct precount *pc = arg;

	(void)r;
	return __atomic_load_n(&pc->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static void *precount_main(void *arg)
{
	struct precount *pc = arg;
	uint64_t files = 0, bytes = 0;
	int i;

	for (i = 0; i < pc->n_roots; i++) {
		const char *one[1] = { pc->roots[i] };
		struct scan_stats st;

		if (scan_tree(one, 1, &pc->opt, count_file, NULL, pc,
			      &st) != 0 &&
		    __atomic_load_n(&pc->stop, __ATOMIC_RELAXED))
			return NULL;
		files += st.files;
		bytes += st.bytes;
	}
	pc->files = files;
	pc->bytes = bytes;
	__atomic_store_n(&pc->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* precount_start - start the pre-count thread; NULL when it cannot run. */
static struct precount *precount_start(const struct build_ctx *b,
				       const struct scan_options *opt,
				       char **roots, int n_roots)
{
	struct precount *pc = calloc(1, sizeof(*pc));

	if (pc == NULL)
		return NULL;
	pc->b = b;
	pc->roots = roots;
	pc->n_roots = n_roots;
	pc->opt = *opt;
	pc->opt.count_only = 1;
	pc->opt.n_algos = 0;
	pc->opt.on_skip = NULL;
	pc->opt.exclude = count_exclude;
	pc->opt.exclude_arg = pc;
	pc->md = pcre2_match_data_create(1, NULL);
	if (pc->md == NULL ||
	    pthread_create(&pc->thread, NULL, precount_main, pc) != 0) {
		pcre2_match_data_free(pc->md);
		free(pc);
		return NULL;
	}
	pc->started = 1;
	return pc;
}

static void precount_stop(struct precount *pc)
{
	if (pc == NULL)
		return;
	__atomic_store_n(&pc->stop, 1, __ATOMIC_RELAXED);
	if (pc->started)
		pthread_join(pc->thread, NULL);
	pcre2_match_data_free(pc->md);
	free(pc);
}

/* human_bytes - "12.3 MiB" into buf. */
static const char *human_bytes(double n, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (n >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		n /= 1024.0;
		u++;
	}
	snprintf(buf, cap, u == 0 ? "%.0f %s" : "%.1f %s", n, unit[u]);
	return buf;
}

/*
 * show_progress - the progress bar on a terminal: files, bytes, rate and,
 * once the pre-count is done, totals and an ETA.  At most four times a
 * second unless force.
 */
static void show_progress(struct build_ctx *b, int force)
{
	struct timespec now;
	double secs, rate;
	char done_s[32], total_s[32], rate_s[32];

	if (!b->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && progress_shown && elapsed_since(&b->last) < 0.25)
		return;
	b->last = now;
	secs = elapsed_since(&b->t0);
	rate = secs > 0.05 ? (double)b->bytes / secs : 0.0;
	human_bytes((double)b->bytes, done_s, sizeof(done_s));
	human_bytes(rate, rate_s, sizeof(rate_s));
	if (b->pre != NULL && __atomic_load_n(&b->pre->done, __ATOMIC_ACQUIRE)) {
		uint64_t tf = b->pre->files, tb = b->pre->bytes;
		double left, eta;

		/* The trees may have grown since they were counted. */
		if (tf < b->files)
			tf = b->files;
		if (tb < b->bytes)
			tb = b->bytes;
		left = (double)(tb - b->bytes);
		eta = rate > 0 ? left / rate : 0.0;
		fprintf(stderr,
			"\r\033[K%3.0f%% %llu/%llu files, %s/%s, %s/s, ETA %d:%02d",
			tb ? 100.0 * (double)b->bytes / (double)tb : 100.0,
			(unsigned long long)b->files, (unsigned long long)tf,
			done_s, human_bytes((double)tb, total_s,
					    sizeof(total_s)),
			rate_s, (int)(eta / 60), (int)eta % 60);
	} else {
		fprintf(stderr, "\r\033[K%llu files, %s, %s/s",
			(unsigned long long)b->files, done_s, rate_s);
	}
	fflush(stderr);
	progress_shown = 1;
}

/* add_digests - record r's digests (and a module's decompressed ones) for its path. */
static int add_digests(struct build_ctx *b, const struct scan_result *r,
		       const unsigned char (*digests)[HASHALGO_MAX_DIGEST])
{
	size_t i;

	for (i = 0; i < r->n_digests; i++) {
		int rc = refdb_writer_add(b->w, r->path, r->path_len,
					  r->algos[i]->name, digests[i],
					  r->algos[i]->digest_len, b->source);

		if (rc < 0) {
			error_msg("%s: %s", r->path,
				  refdb_writer_errmsg(b->w));
			b->failed = 1;
			return -1;
		}
	}
	return 0;
}

static int build_file(const struct scan_result *r, void *arg)
{
	struct build_ctx *b = arg;

	if (interrupted)
		return 1;
	if (add_digests(b, r, r->digests) != 0)
		return 1;
	/* IMA measures a module the kernel decompresses decompressed. */
	if (r->module && add_digests(b, r, r->module_digests) != 0)
		return 1;
	b->files++;
	b->bytes += r->size;
	show_progress(b, 0);
	return 0;
}

/* compile_excludes - PCRE2-compile every --exclude; prints the first bad one. */
static int compile_excludes(struct build_ctx *b, const struct cli *c)
{
	size_t i;

	b->re = calloc(c->n_excludes ? c->n_excludes : 1, sizeof(*b->re));
	if (b->re == NULL)
		return -1;
	for (i = 0; i < c->n_excludes; i++) {
		PCRE2_SIZE off = 0;
		PCRE2_UCHAR why[120];
		int err = 0;

		b->re[i] = pcre2_compile((PCRE2_SPTR)c->excludes[i],
					 PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED,
					 &err, &off, NULL);
		if (b->re[i] == NULL) {
			if (pcre2_get_error_message(err, why, sizeof(why)) < 0)
				snprintf((char *)why, sizeof(why), "error %d",
					 err);
			error_msg("bad exclude pattern '%s' at offset %zu: %s",
				  c->excludes[i], (size_t)off,
				  (const char *)why);
			return -1;
		}
		b->n_re++;
	}
	b->md = pcre2_match_data_create(1, NULL);
	return b->md == NULL ? -1 : 0;
}

/* absolute_db - the database's absolute path without resolving its name. */
static char *absolute_db(const char *db)
{
	const char *slash = strrchr(db, '/');
	char *dir, *real, *out = NULL;
	size_t len;

	dir = slash == NULL ? strdup(".") :
	      slash == db ? strdup("/") : strndup(db, (size_t)(slash - db));
	if (dir == NULL)
		return NULL;
	real = realpath(dir, NULL);
	if (real != NULL) {
		const char *base = slash ? slash + 1 : db;

		len = strlen(real) + strlen(base) + 2;
		out = malloc(len);
		if (out != NULL)
			snprintf(out, len, "%s%s%s", real,
				 strcmp(real, "/") == 0 ? "" : "/", base);
	}
	free(real);
	free(dir);
	return out;
}

/*
 * walked_db - the database's path as a walk under --root names it (so
 * that it is never scanned), or NULL when it lies outside the image.
 */
static const char *walked_db(const char *db_abs, const char *root)
{
	char *real = realpath(root, NULL);
	const char *r = NULL;
	size_t n;

	if (real == NULL || db_abs == NULL)
		goto out;
	n = strlen(real);
	if (strcmp(real, "/") == 0)
		r = db_abs;
	else if (strncmp(db_abs, real, n) == 0 && db_abs[n] == '/')
		r = db_abs + n;
out:
	free(real);
	return r;
}

static int cmd_build(struct cli *c, const char *db, int argc, char **argv)
{
	struct build_ctx b;
	struct scan_options opt;
	struct scan_stats total, st;
	struct refdb_writer *w = NULL;
	char **roots = NULL, err[512];
	int status = EXIT_ERROR, i, n_roots = argc - optind;
	size_t k;
	int64_t ex_source;

	memset(&b, 0, sizeof(b));
	memset(&opt, 0, sizeof(opt));
	memset(&total, 0, sizeof(total));
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	if (n_roots < 1) {
		error_msg("build: no directory given");
		fputs("Try 'ima-refdb --help'.\n", stderr);
		goto out;
	}
	if (c->n_algos == 0)
		c->algos[c->n_algos++] = hashalgo_by_name("sha256", 6);
	for (k = 0; k < c->n_algos; k++) {
		if (!scan_algo_available(c->algos[k])) {
			error_msg("%s: this OpenSSL cannot compute it",
				  c->algos[k]->name);
			goto out;
		}
		opt.algos[k] = c->algos[k];
	}
	opt.n_algos = c->n_algos;
	opt.one_filesystem = c->one_fs;
	opt.threads = c->threads;
	opt.exclude = build_exclude;
	opt.exclude_arg = &b;
	opt.on_skip = build_skip;
	opt.skip_arg = &b;
	opt.decompress_modules = 1;
	b.cli = c;
	if (compile_excludes(&b, c) != 0)
		goto out;
	if (c->root != NULL) {
		struct stat rs;

		if (stat(c->root, &rs) != 0) {
			error_msg("--root %s: %s", c->root, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(rs.st_mode)) {
			error_msg("--root %s: not a directory", c->root);
			goto out;
		}
		opt.image_root = c->root;
	}
	roots = calloc((size_t)n_roots, sizeof(*roots));
	if (roots == NULL)
		goto out;
	for (i = 0; i < n_roots; i++) {
		const char *dir = argv[optind + i];

		if (c->root != NULL) {
			/* DIR inside the image, as it will be named when booted. */
			if (scan_image_path(c->root, dir, &roots[i]) != 0) {
				roots[i] = NULL;
				error_msg("%s: %s (inside the image %s)", dir,
					  strerror(errno), c->root);
				goto out;
			}
		} else {
			roots[i] = realpath(dir, NULL);
			if (roots[i] == NULL) {
				error_msg("%s: %s", dir, strerror(errno));
				goto out;
			}
		}
	}
	b.db_abs = absolute_db(db);
	b.db_abs_len = b.db_abs ? strlen(b.db_abs) : 0;
	b.db_walked = c->root != NULL ? walked_db(b.db_abs, c->root) :
		      b.db_abs;
	b.db_walked_len = b.db_walked ? strlen(b.db_walked) : 0;
	if (refdb_writer_begin(db, 1, &w, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		goto out;
	}
	b.w = w;
	b.progress = !c->quiet && isatty(STDERR_FILENO);
	if (b.progress)
		b.pre = precount_start(&b, &opt, roots, n_roots);
	ex_source = c->n_excludes ? refdb_writer_source(w, "option",
							"build --exclude") : 0;
	if (ex_source < 0) {
		error_msg("%s", refdb_writer_errmsg(w));
		goto out;
	}
	for (k = 0; k < c->n_excludes; k++) {
		if (refdb_writer_exclude(w, c->excludes[k], ex_source) < 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			goto out;
		}
	}
	for (i = 0; i < n_roots; i++) {
		const char *one[1] = { roots[i] };
		int rc;

		b.source = refdb_writer_source(w, "scan", roots[i]);
		if (b.source < 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			goto out;
		}
		rc = scan_tree(one, 1, &opt, build_file, build_error, &b, &st);
		total.files += st.files;
		total.bytes += st.bytes;
		total.skipped += st.skipped;
		total.unreadable += st.unreadable;
		total.excluded += st.excluded;
		total.other_fs += st.other_fs;
		total.hardlinks += st.hardlinks;
		total.modules += st.modules;
		if (interrupted) {
			error_msg("interrupted; %s unchanged", db);
			goto out;
		}
		if (rc != 0) {
			if (!b.failed)
				error_msg("%s: cannot scan", roots[i]);
			goto out;
		}
	}
	show_progress(&b, 1);
	if (refdb_writer_commit_msg(w, err, sizeof(err)) != 0) {
		w = NULL;
		error_msg("%s", err);
		goto out;
	}
	w = NULL;
	clear_progress();
	if (!c->quiet)
		fprintf(stderr,
			"ima-refdb: %s: %llu files, %llu bytes, %llu skipped, %llu unreadable, %llu excluded, %llu hard links, %llu modules decompressed, %.1f s\n",
			db, (unsigned long long)total.files,
			(unsigned long long)total.bytes,
			(unsigned long long)total.skipped,
			(unsigned long long)total.unreadable,
			(unsigned long long)total.excluded,
			(unsigned long long)total.hardlinks,
			(unsigned long long)total.modules,
			elapsed_since(&b.t0));
	status = 0;
out:
	precount_stop(b.pre);
	clear_progress();
	refdb_writer_abort(w);
	for (i = 0; roots != NULL && i < n_roots; i++)
		free(roots[i]);
	free(roots);
	for (k = 0; k < b.n_re; k++)
		pcre2_code_free(b.re[k]);
	free(b.re);
	pcre2_match_data_free(b.md);
	free((char *)b.db_abs);
	return status;
}

/* ------------------------------------------------------------ writers */

/*
 * begin_writer - a writer for db: in place for a local layer (one
 * transaction), else a new file published by rename.  Waits for the lock
 * another writer holds.  Prints why not.
 */
static int begin_writer(const struct cli *c, const char *db, int fresh,
			struct refdb_writer **w)
{
	char err[512];
	unsigned flags = c->local ? REFDB_WRITE_INPLACE :
			 fresh ? REFDB_WRITE_FRESH : 0;

	if (refdb_writer_begin_flags(db, flags, w, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		return -1;
	}
	return 0;
}

/* commit_writer - commit and print why not; w is gone afterwards. */
static int commit_writer(struct refdb_writer *w)
{
	char err[512];

	if (refdb_writer_commit_msg(w, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ import */

/* Dump sources map to new ids; everything else to the file's own source. */
struct import_ctx {
	struct refdb_writer *w;
	int deny;
	int64_t source;		/* the file being imported */
	int64_t *dump_src;	/* dump source number -> id in this writer */
	size_t n_dump_src;
	unsigned long added, denied, excluded;
};

static int64_t import_source_of(struct import_ctx *ic, int64_t dump_src)
{
	if (dump_src > 0 && (size_t)dump_src <= ic->n_dump_src)
		return ic->dump_src[dump_src - 1];
	return ic->source;
}

static int import_entry_cb(void *arg, const char *path, size_t path_len,
			   const struct hashalgo *algo,
			   const unsigned char *digest, const char *package,
			   int64_t source, char *err, size_t errlen)
{
	struct import_ctx *ic = arg;
	int rc;

	if (interrupted) {
		snprintf(err, errlen, "interrupted");
		return 1;
	}
	if (ic->deny) {
		rc = refdb_writer_deny(ic->w, algo->name, digest,
				       algo->digest_len, ic->source);
		if (rc < 0)
			goto fail;
		ic->denied += (unsigned long)rc;
		return 0;
	}
	/* IMA reports absolute paths: a relative one could never match. */
	if (path_len == 0 || path[0] != '/') {
		snprintf(err, errlen, "path is not absolute");
		return 1;
	}
	if (memchr(path, '\0', path_len) != NULL) {
		snprintf(err, errlen, "NUL byte in path");
		return 1;
	}
	if (refdb_writer_set_package(ic->w, package) != 0)
		goto fail;
	rc = refdb_writer_add(ic->w, path, path_len, algo->name, digest,
			      algo->digest_len, import_source_of(ic, source));
	if (rc < 0)
		goto fail;
	ic->added += (unsigned long)rc;
	return 0;
fail:
	snprintf(err, errlen, "%s", refdb_writer_errmsg(ic->w));
	return 1;
}

static int import_deny_cb(void *arg, const struct hashalgo *algo,
			  const unsigned char *digest, int64_t source,
			  char *err, size_t errlen)
{
	struct import_ctx *ic = arg;
	int rc = refdb_writer_deny(ic->w, algo->name, digest, algo->digest_len,
				   import_source_of(ic, source));

	if (rc < 0) {
		snprintf(err, errlen, "%s", refdb_writer_errmsg(ic->w));
		return 1;
	}
	ic->denied += (unsigned long)rc;
	return 0;
}

static int import_exclude_cb(void *arg, const char *pattern, int64_t source,
			     char *err, size_t errlen)
{
	struct import_ctx *ic = arg;
	int rc = refdb_writer_exclude(ic->w, pattern,
				      import_source_of(ic, source));

	if (rc < 0) {
		snprintf(err, errlen, "%s", refdb_writer_errmsg(ic->w));
		return 1;
	}
	ic->excluded += (unsigned long)rc;
	return 0;
}

static int import_source_cb(void *arg, int64_t id, const char *kind,
			    const char *name, char *err, size_t errlen)
{
	struct import_ctx *ic = arg;
	int64_t *n, sid;

	if ((size_t)id != ic->n_dump_src + 1) {
		snprintf(err, errlen, "sources out of order");
		return 1;
	}
	sid = refdb_writer_source(ic->w, kind, name);
	if (sid < 0) {
		snprintf(err, errlen, "%s", refdb_writer_errmsg(ic->w));
		return 1;
	}
	n = realloc(ic->dump_src, (ic->n_dump_src + 1) * sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	ic->dump_src = n;
	ic->dump_src[ic->n_dump_src++] = sid;
	return 0;
}

/* slurp - the whole of f (at most IMPORTFMT_MAX_INPUT bytes + 1). */
static unsigned char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap), *nb;

	while (b != NULL) {
		size_t k = fread(b + n, 1, cap - n, f);

		n += k;
		if (k == 0 || n > IMPORTFMT_MAX_INPUT)
			break;
		if (n == cap) {
			cap *= 2;
			nb = realloc(b, cap);
			if (nb == NULL) {
				free(b);
				return NULL;
			}
			b = nb;
		}
	}
	if (b != NULL && ferror(f)) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

/* import_one - read one file into the writer; prints "FILE: where: why". */
static int import_one(struct import_ctx *ic, const struct cli *c,
		      const char *name, unsigned long *entries)
{
	static const struct importfmt_sink sink_proto = {
		import_entry_cb, import_deny_cb, import_exclude_cb,
		import_source_cb, NULL
	};
	struct importfmt_sink sink = sink_proto;
	struct importfmt_stats st;
	enum importfmt fmt = (enum importfmt)c->format, used;
	unsigned char *buf = NULL;
	char why[768], *real = NULL, kind[32];
	size_t len = 0;
	FILE *f;
	int rc = -1, is_stdin = strcmp(name, "-") == 0;

	if (is_stdin) {
		f = stdin;
	} else {
		int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		f = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (f == NULL) {
			error_msg("%s: %s", name, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		real = realpath(name, NULL);
	}
	buf = slurp(f, &len);
	if (buf == NULL) {
		error_msg("%s: %s", name, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if (len > IMPORTFMT_MAX_INPUT) {
		error_msg("%s: larger than %lu bytes", name,
			  IMPORTFMT_MAX_INPUT);
		goto out;
	}
	if (fmt == IMPORTFMT_AUTO)
		fmt = importfmt_detect(buf, len);
	/* A deny list in manifest form may also be bare digests. */
	if (c->deny && fmt == IMPORTFMT_SUM)
		fmt = IMPORTFMT_DIGESTS;
	/* sha*sum manifests keep the kind the first releases recorded */
	snprintf(kind, sizeof(kind), "%s%s", c->deny ? "deny-" : "",
		 fmt == IMPORTFMT_SUM ? "manifest" : importfmt_name(fmt));
	/* A dump brings its own sources: adding one would break round trips. */
	ic->source = fmt == IMPORTFMT_DUMP ? 0 :
		     refdb_writer_source(ic->w, kind, is_stdin ? "stdin" :
					 real ? real : name);
	if (ic->source < 0) {
		error_msg("%s", refdb_writer_errmsg(ic->w));
		goto out;
	}
	ic->deny = c->deny;
	free(ic->dump_src);
	ic->dump_src = NULL;
	ic->n_dump_src = 0;
	sink.arg = ic;
	rc = importfmt_parse(buf, len, fmt,
			     c->n_algos ? c->algos[0] : NULL, &sink, &used,
			     &st, why, sizeof(why));
	if (rc != 0) {
		unsigned long ln;
		int off = 0;

		/* "FILE:LINE: reason", as compilers and sha256sum -c say it */
		if (sscanf(why, "line %lu: %n", &ln, &off) == 1 && off > 0)
			error_msg("%s:%lu: %s", is_stdin ? "-" : name, ln,
				  why + off);
		else
			error_msg("%s: %s", is_stdin ? "-" : name, why);
		rc = -1;
		goto out;
	}
	if (used == IMPORTFMT_IMA_ASCII)
		fprintf(stderr, "ima-refdb: %s: note: the text measurement list turns spaces in names into '_' and splits names at newlines; import binary_runtime_measurements for exact names\n",
			name);
	*entries = st.entries;
	if (st.skipped && !c->quiet)
		fprintf(stderr, "ima-refdb: %s: skipped %lu non-file records (boot_aggregate, buffers, keyrings, violations)\n",
			name, st.skipped);
	rc = 0;
out:
	free(real);
	free(buf);
	if (!is_stdin)
		fclose(f);
	return rc;
}

static int cmd_import(struct cli *c, const char *db, int argc, char **argv)
{
	struct import_ctx ic;
	unsigned long *counts = NULL;
	int status = EXIT_ERROR, i, n = argc - optind;

	memset(&ic, 0, sizeof(ic));
	if (n < 1) {
		error_msg("import: no file given");
		fputs("Try 'ima-refdb --help'.\n", stderr);
		return EXIT_ERROR;
	}
	if (c->n_algos > 1) {
		error_msg("import: one --algo at most");
		return EXIT_ERROR;
	}
	counts = calloc((size_t)n * 2, sizeof(*counts));
	if (counts == NULL) {
		error_msg("out of memory");
		return EXIT_ERROR;
	}
	if (begin_writer(c, db, 0, &ic.w) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned long a0 = ic.added + ic.denied, e = 0;

		if (import_one(&ic, c, argv[optind + i], &e) != 0) {
			error_msg("nothing imported; %s unchanged", db);
			goto out;
		}
		counts[2 * i] = e;
		counts[2 * i + 1] = ic.added + ic.denied - a0;
	}
	if (commit_writer(ic.w) != 0) {
		ic.w = NULL;
		goto out;
	}
	ic.w = NULL;
	for (i = 0; i < n; i++)
		fprintf(stderr, "ima-refdb: imported %lu %s (%lu new) from %s\n",
			counts[2 * i], c->deny ? "deny entries" : "entries",
			counts[2 * i + 1], argv[optind + i]);
	status = 0;
out:
	refdb_writer_abort(ic.w);
	free(ic.dump_src);
	free(counts);
	return status;
}

/* ------------------------------------------------------------ lookup */

struct lookup_ctx {
	unsigned long found;
	char hex[2 * HASHALGO_MAX_DIGEST + 1];
};

static int print_path_entry(const char *algo, const unsigned char *digest,
			    size_t dlen, const char *source, void *arg)
{
	struct lookup_ctx *lc = arg;
	char prefix[HASHALGO_MAX_NAME + 2 * HASHALGO_MAX_DIGEST + 2];
	char hex[2 * HASHALGO_MAX_DIGEST + 1];
	const struct hashalgo *a = hashalgo_by_name(algo, strlen(algo));

	hashalgo_hex_encode(digest, dlen, hex);
	snprintf(prefix, sizeof(prefix), "%s:%s", a ? a->name : "?", hex);
	print_entry_line(prefix, source, strlen(source));
	lc->found++;
	return 0;
}

static int print_digest_path(const char *path, size_t len, const char *algo,
			     void *arg)
{
	struct lookup_ctx *lc = arg;
	char prefix[HASHALGO_MAX_NAME + 2 * HASHALGO_MAX_DIGEST + 2];
	const struct hashalgo *a = hashalgo_by_name(algo, strlen(algo));

	snprintf(prefix, sizeof(prefix), "%s:%s", a ? a->name : "?", lc->hex);
	print_entry_line(prefix, path, len);
	lc->found++;
	return 0;
}

/* all_hex - 1 when s is a non-empty run of hex digits. */
static int all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
			return 0;
	return len > 0;
}

/*
 * parse_digest_arg - "ALGO:HEX" or bare HEX.  Returns 1 with *algo (NULL
 * for bare hex: any algorithm of that length) and the digest, 0 when arg
 * does not look like a digest, -1 (printed) when it is a malformed one.
 */
static int parse_digest_arg(const char *arg, const struct hashalgo **algo,
			    unsigned char *digest, size_t *dlen)
{
	const char *colon = strchr(arg, ':');
	const struct hashalgo *a = NULL;
	const char *hex = arg;
	size_t hlen;

	if (arg[0] == '/')
		return 0;
	if (colon != NULL) {
		a = hashalgo_by_name(arg, (size_t)(colon - arg));
		if (a == NULL)
			return 0;
		hex = colon + 1;
	}
	hlen = strlen(hex);
	if (!all_hex(hex, hlen))
		return colon != NULL ? (error_msg("%s: digest is not hex", arg),
					-1) : 0;
	if (a == NULL && (hlen % 2 != 0 ||
			  hashalgo_by_digest_len(hlen / 2) == NULL)) {
		error_msg("%s: a %zu-digit digest fits no algorithm; write ALGO:HEX",
			  arg, hlen);
		return -1;
	}
	if (a != NULL && hlen != 2 * a->digest_len) {
		error_msg("%s: a %s digest has %zu hex digits", arg, a->name,
			  2 * a->digest_len);
		return -1;
	}
	*dlen = hlen / 2;
	if (hashalgo_hex_decode(hex, hlen, digest, *dlen) != 0)
		return -1;
	*algo = a;
	return 1;
}

static int cmd_lookup(struct cli *c, const char *db, int argc, char **argv)
{
	struct lookup_ctx lc;
	struct refdb *r = NULL;
	const struct hashalgo *a = NULL;
	unsigned char digest[HASHALGO_MAX_DIGEST];
	size_t dlen = 0;
	const char *arg;
	char *abs = NULL;
	int kind, rc, status = EXIT_ERROR;

	(void)c;
	memset(&lc, 0, sizeof(lc));
	if (argc - optind != 1) {
		error_msg("lookup: give one PATH or DIGEST");
		fputs("Try 'ima-refdb --help'.\n", stderr);
		return EXIT_ERROR;
	}
	arg = argv[optind];
	if (*arg == '\0') {
		error_msg("lookup: empty argument");
		return EXIT_ERROR;
	}
	kind = parse_digest_arg(arg, &a, digest, &dlen);
	if (kind < 0)
		return EXIT_ERROR;
	if (kind == 0 && arg[0] != '/') {
		/* The database holds canonical absolute paths, as IMA does. */
		abs = realpath(arg, NULL);
		if (abs == NULL) {
			error_msg("%s: %s (give an absolute path)", arg,
				  strerror(errno));
			return EXIT_ERROR;
		}
		arg = abs;
	}
	if (open_reader(db, &r) != 0)
		goto out;
	if (kind == 1) {
		hashalgo_hex_encode(digest, dlen, lc.hex);
		rc = refdb_foreach_digest_path(r, a ? a->name : NULL, digest,
					       dlen, print_digest_path, &lc);
		if (rc == 0 && a != NULL &&
		    (rc = refdb_is_denied(r, a->name, digest, dlen)) == 1) {
			printf("%s:%s  (deny list)\n", a->name, lc.hex);
			lc.found++;
			rc = 0;
		}
	} else {
		rc = refdb_foreach_path_entry(r, arg, strlen(arg),
					      print_path_entry, &lc);
	}
	if (rc < 0) {
		error_msg("%s: %s", db, refdb_errmsg(r));
		goto out;
	}
	if (fflush(stdout) != 0) {
		error_msg("standard output: %s", strerror(errno));
		goto out;
	}
	status = lc.found ? EXIT_FOUND : EXIT_NOTFOUND;
out:
	refdb_close(r);
	free(abs);
	return status;
}

/* ------------------------------------------------------------ info */

/* print_c_escaped - s with backslash, newline and control bytes escaped. */
static void print_c_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\\')
			fputs("\\\\", stdout);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static int print_source(const char *kind, const char *name, int64_t entries,
			void *arg)
{
	(void)arg;
	/* The file is input like any other: its names may hold any byte. */
	fputs("  ", stdout);
	print_c_escaped(kind);
	putchar(' ');
	print_c_escaped(name);
	printf(": %lld entries\n", (long long)entries);
	return 0;
}

static int count_source(const char *kind, const char *name, int64_t entries,
			void *arg)
{
	(void)kind;
	(void)name;
	(void)entries;
	(*(long *)arg)++;
	return 0;
}

static int count_package(const char *name, int64_t entries, void *arg)
{
	(void)name;
	(void)entries;
	(*(long *)arg)++;
	return 0;
}

static int print_package(const char *name, int64_t entries, void *arg)
{
	(void)arg;
	fputs("  ", stdout);
	print_c_escaped(name);
	printf(": %lld entries\n", (long long)entries);
	return 0;
}

/* print_signature - "signed by" from the manifest; verified with --pubkey. */
static void print_signature(const struct cli *c, const char *db)
{
	struct refdb_sig_info si;
	char sig[PATH_MAX + 8], err[512];
	int r;

	if (refdb_sig_manifest_path(db, sig, sizeof(sig)) != 0)
		return;
	if (c->pubkey != NULL) {
		r = refdb_sig_verify_path(db, c->pubkey, &si, err, sizeof(err));
		if (r != 0) {
			printf("signed:     NOT VERIFIED (%s)\n", err);
			return;
		}
	} else if (refdb_sig_read_manifest(sig, &si, err, sizeof(err)) != 0) {
		printf("signed:     no%s%s\n",
		       access(sig, F_OK) == 0 ? " (bad manifest: " : "",
		       access(sig, F_OK) == 0 ? "see verify)" : "");
		return;
	}
	printf("signed:     release %llu, %s key %s, %s%s\n",
	       (unsigned long long)si.release, si.sig_algo, si.key_id,
	       si.created, c->pubkey ? " (verified)" :
	       " (not verified: give --pubkey)");
}

static int cmd_info(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_info info;
	struct refdb *r = NULL;
	struct stat st;
	long n_sources = 0;
	int status = EXIT_ERROR;

	(void)argv;
	if (argc - optind != 0) {
		error_msg("info: takes no arguments");
		return EXIT_ERROR;
	}
	if (open_reader(db, &r) != 0)
		goto out;
	if (refdb_get_info(r, &info) != 0 ||
	    refdb_foreach_source(r, count_source, &n_sources) != 0) {
		error_msg("%s: %s", db, refdb_errmsg(r));
		goto out;
	}
	printf("database:   %s\n", db);
	if (stat(db, &st) == 0)
		printf("size:       %lld bytes\n", (long long)st.st_size);
	printf("schema:     %d\n", info.schema_version);
	printf("generator:  %s\n", info.generator);
	printf("created:    %s\n", info.created);
	printf("updated:    %s\n", info.updated);
	printf("paths:      %lld\n", (long long)info.paths);
	printf("digests:    %lld%s%s%s\n", (long long)info.digests,
	       info.algos[0] ? " (" : "", info.algos, info.algos[0] ? ")" : "");
	printf("deny:       %lld\n", (long long)info.denied);
	printf("excludes:   %lld\n", (long long)info.excludes);
	printf("sources:    %ld\n", n_sources);
	if (refdb_foreach_source(r, print_source, NULL) != 0) {
		error_msg("%s: %s", db, refdb_errmsg(r));
		goto out;
	}
	n_sources = 0;
	if (refdb_foreach_package(r, count_package, &n_sources) != 0) {
		error_msg("%s: %s", db, refdb_errmsg(r));
		goto out;
	}
	printf("packages:   %ld\n", n_sources);
	if (refdb_foreach_package(r, print_package, NULL) != 0) {
		error_msg("%s: %s", db, refdb_errmsg(r));
		goto out;
	}
	print_signature(c, db);
	if (fflush(stdout) != 0) {
		error_msg("standard output: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	refdb_close(r);
	return status;
}

/* ------------------------------------------------------------ dump */

struct dump_ctx {
	int64_t *ids;		/* source ids in dump order */
	size_t n_ids;
	char *buf;		/* escape buffer */
	size_t cap;
	int failed;
};

/* escaped - s in dump form, in the context's buffer. */
static const char *escaped(struct dump_ctx *d, const char *s, size_t len,
			   int space)
{
	size_t need = importfmt_escape(s, len, space, NULL, 0) + 1;

	if (need > d->cap) {
		char *n = realloc(d->buf, need);

		if (n == NULL) {
			d->failed = 1;
			return "";
		}
		d->buf = n;
		d->cap = need;
	}
	importfmt_escape(s, len, space, d->buf, d->cap);
	return d->buf;
}

static int64_t dump_src_no(const struct dump_ctx *d, int64_t id)
{
	size_t i;

	for (i = 0; i < d->n_ids; i++)
		if (d->ids[i] == id)
			return (int64_t)i + 1;
	return 0;
}

static int dump_source(int64_t id, const char *kind, const char *name,
		       void *arg)
{
	struct dump_ctx *d = arg;
	int64_t *n = realloc(d->ids, (d->n_ids + 1) * sizeof(*n));

	if (n == NULL)
		return REFDB_E_NOMEM;
	d->ids = n;
	d->ids[d->n_ids++] = id;
	printf("source %zu ", d->n_ids);
	fputs(escaped(d, kind, strlen(kind), 1), stdout);
	putchar(' ');
	fputs(escaped(d, name, strlen(name), 0), stdout);
	putchar('\n');
	return 0;
}

static int dump_exclude(const char *pattern, int64_t source, void *arg)
{
	struct dump_ctx *d = arg;

	printf("exclude %lld %s\n", (long long)dump_src_no(d, source),
	       escaped(d, pattern, strlen(pattern), 0));
	return 0;
}

static int dump_deny(const char *algo, const unsigned char *digest,
		     size_t dlen, int64_t source, void *arg)
{
	struct dump_ctx *d = arg;
	char hex[2 * HASHALGO_MAX_DIGEST + 1];

	hashalgo_hex_encode(digest, dlen, hex);
	printf("deny %s:%s %lld\n", algo, hex,
	       (long long)dump_src_no(d, source));
	return 0;
}

static int dump_entry(const struct refdb_entry *e, void *arg)
{
	struct dump_ctx *d = arg;
	char hex[2 * HASHALGO_MAX_DIGEST + 1];

	hashalgo_hex_encode(e->digest, e->dlen, hex);
	printf("entry %s:%s %lld ", e->algo, hex,
	       (long long)dump_src_no(d, e->source));
	fputs(e->package ? escaped(d, e->package, strlen(e->package), 1) :
	      "-", stdout);
	putchar(' ');
	fputs(escaped(d, e->path, e->path_len, 0), stdout);
	putchar('\n');
	return 0;
}

static int cmd_dump(struct cli *c, const char *db, int argc, char **argv)
{
	struct dump_ctx d;
	struct refdb *r = NULL;
	int status = EXIT_ERROR;

	(void)c;
	(void)argv;
	memset(&d, 0, sizeof(d));
	if (argc - optind != 0) {
		error_msg("dump: takes no arguments");
		return EXIT_ERROR;
	}
	if (open_reader(db, &r) != 0)
		goto out;
	puts("ima-refdb-dump 1");
	if (refdb_foreach_source_id(r, dump_source, &d) != 0 ||
	    refdb_foreach_exclude_source(r, dump_exclude, &d) != 0 ||
	    refdb_foreach_deny(r, dump_deny, &d) != 0 ||
	    refdb_foreach_entry(r, dump_entry, &d) != 0 || d.failed) {
		error_msg("%s: %s", db, d.failed ? "out of memory" :
			  refdb_errmsg(r));
		goto out;
	}
	if (fflush(stdout) != 0) {
		error_msg("standard output: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	refdb_close(r);
	free(d.ids);
	free(d.buf);
	return status;
}

/* ------------------------------------------------------------ sign, verify */

static void print_sig_info(const char *db, const struct refdb_sig_info *si)
{
	printf("database:   %s\n", db);
	printf("sha256:     %s\n", si->sha256_hex);
	printf("size:       %llu bytes\n", (unsigned long long)si->size);
	printf("release:    %llu\n", (unsigned long long)si->release);
	printf("created:    %s\n", si->created);
	printf("key-id:     %s\n", si->key_id);
	printf("sig-algo:   %s\n", si->sig_algo);
}

static int cmd_sign(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_sig_info si;
	char err[1024];

	(void)argv;
	if (argc - optind != 0 || c->key == NULL) {
		error_msg("sign: give --key KEY and no other argument");
		return EXIT_ERROR;
	}
	if (refdb_sign(db, c->key, c->release, &si, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		return EXIT_ERROR;
	}
	print_sig_info(db, &si);
	return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
}

static int cmd_verify(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_sig_info si;
	char err[1024];
	int r;

	(void)argv;
	if (argc - optind != 0 || c->pubkey == NULL) {
		error_msg("verify: give --pubkey KEY and no other argument");
		return EXIT_ERROR;
	}
	r = refdb_sig_verify_path(db, c->pubkey, &si, err, sizeof(err));
	if (r == REFDB_E_SIG || r == REFDB_E_NOTFOUND) {
		error_msg("%s: NOT VERIFIED: %s", db, err);
		return EXIT_NOTFOUND;
	}
	if (r != 0) {
		error_msg("%s", err);
		return EXIT_ERROR;
	}
	print_sig_info(db, &si);
	puts("signature:  good");
	return fflush(stdout) == 0 ? 0 : EXIT_ERROR;
}

/* ------------------------------------------------------------ update, remove */

/* default_algos - the --algo list, or sha256. */
static void default_algos(struct cli *c)
{
	if (c->n_algos == 0)
		c->algos[c->n_algos++] = hashalgo_by_name("sha256", 6);
}

/* abs_path - an absolute, canonical form of arg (malloc'd), the last
 * component not resolved, so that a missing file can still be named. */
static char *abs_path(const char *arg)
{
	const char *slash = strrchr(arg, '/');
	char *dir, *real, *out;
	const char *base = slash ? slash + 1 : arg;
	size_t len;

	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return realpath(arg, NULL);
	dir = slash == NULL ? strdup(".") : slash == arg ? strdup("/") :
	      strndup(arg, (size_t)(slash - arg));
	if (dir == NULL)
		return NULL;
	real = realpath(dir, NULL);
	free(dir);
	if (real == NULL)
		return NULL;
	len = strlen(real) + strlen(base) + 2;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%s%s%s", real,
			 strcmp(real, "/") == 0 ? "" : "/", base);
	free(real);
	return out;
}

/*
 * rehash_path - make path's entries what is on disk: its digests in the
 * chosen algorithms, or nothing when it is gone.  Returns 1 updated, 0
 * removed or unchanged count, -1 (printed) on error.
 */
static int rehash_path(struct cli *c, struct refdb_writer *w,
		       const char *path, int64_t source, unsigned long *gone)
{
	unsigned char d[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	unsigned char m[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	struct stat st;
	uint64_t bytes = 0;
	size_t i;
	int merr;

	if (lstat(path, &st) != 0 && errno == ENOENT) {
		if (refdb_writer_remove_path(w, path, strlen(path)) < 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			return -1;
		}
		(*gone)++;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		if (c->verbose)
			error_msg("%s: not a regular file, skipped", path);
		return 0;
	}
	if (scan_hash_file_module(path, c->algos, c->n_algos, d, &bytes, m,
				  &merr) != 0) {
		error_msg("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (merr != 0 && merr != ENOTSUP)
		error_msg("%s: cannot decompress (%s): only the file's digest recorded",
			  path, strerror(merr));
	for (i = 0; i < c->n_algos; i++) {
		/* a compressed module: the kernel measures it decompressed */
		if (refdb_writer_set_path(w, path, strlen(path),
					  c->algos[i]->name, d[i],
					  c->algos[i]->digest_len,
					  source) < 0 ||
		    (merr == 0 &&
		     refdb_writer_add(w, path, strlen(path), c->algos[i]->name,
				      m[i], c->algos[i]->digest_len,
				      source) < 0)) {
			error_msg("%s: %s", path, refdb_writer_errmsg(w));
			return -1;
		}
	}
	return 1;
}

/* valid_package_name - what dpkg and rpm accept, and nothing a shell minds. */
static int valid_package_name(const char *s)
{
	if (*s == '\0' || *s == '-' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.+-:_~", *s))
			return 0;
	return 1;
}

/*
 * run_lines - run argv (no shell), stdout read line by line into fn.
 * Returns the command's exit status (0 success), or -1.
 */
static int run_lines(char *const argv[], int (*fn)(char *line, void *arg),
		     void *arg, int quiet_stderr)
{
	int pfd[2], status = 0, r = 0;
	pid_t pid;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		if (quiet_stderr) {
			int nul = open("/dev/null", O_WRONLY);

			if (nul >= 0)
				dup2(nul, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (f == NULL) {
		close(pfd[0]);
		r = -1;
	}
	while (f != NULL && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (r == 0 && fn != NULL)
			r = fn(line, arg);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r != 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct pkg_ctx {
	struct cli *c;
	struct refdb_writer *w;
	int64_t source;
	unsigned long files, gone;
	int failed;
};

static int pkg_file(char *line, void *arg)
{
	struct pkg_ctx *pc = arg;
	struct stat st;
	int r;

	if (line[0] != '/' || lstat(line, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	r = rehash_path(pc->c, pc->w, line, pc->source, &pc->gone);
	if (r < 0)
		pc->failed = 1;
	else
		pc->files += (unsigned long)r;
	return 0;
}

static int have_program(const char *name)
{
	char *const argv[] = { (char *)name, (char *)"--version", NULL };

	return run_lines(argv, NULL, NULL, 1) == 0;
}

/* update_packages - rehash the installed files of each package (dpkg, rpm). */
static int update_packages(struct cli *c, struct refdb_writer *w, int n,
			   char **names)
{
	struct pkg_ctx pc;
	int i;

	memset(&pc, 0, sizeof(pc));
	pc.c = c;
	pc.w = w;
	for (i = 0; i < n; i++) {
		char *dpkg[] = { (char *)"dpkg-query", (char *)"-L", names[i],
				 NULL };
		char *rpm[] = { (char *)"rpm", (char *)"-ql", names[i], NULL };
		unsigned long f0 = pc.files;

		if (!valid_package_name(names[i])) {
			error_msg("update: '%s' is not a package name",
				  names[i]);
			return -1;
		}
		pc.source = refdb_writer_source(w, "package", names[i]);
		if (pc.source < 0 ||
		    refdb_writer_set_package(w, names[i]) != 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			return -1;
		}
		if (run_lines(dpkg, pkg_file, &pc, 1) != 0 &&
		    (!have_program("rpm") || run_lines(rpm, pkg_file, &pc, 1)
		     != 0)) {
			error_msg("update: package '%s' is not installed",
				  names[i]);
			return -1;
		}
		if (pc.failed)
			return -1;
		if (!c->quiet)
			fprintf(stderr, "ima-refdb: %s: %lu files\n", names[i],
				pc.files - f0);
	}
	return 0;
}

struct deb_ctx {
	struct cli *c;
	struct refdb_writer *w;
	int64_t source;
	const char *prefix;	/* "/" for the data, a directory for scripts */
	const char *const *scripts;	/* control members to take, or NULL */
	char script_paths[2][256];	/* where dpkg runs them from */
	unsigned long added;
	int failed;
};

static int deb_add(struct deb_ctx *dc, const char *path,
		   unsigned char d[][HASHALGO_MAX_DIGEST])
{
	size_t i;
	int r;

	for (i = 0; i < dc->c->n_algos; i++) {
		r = refdb_writer_add(dc->w, path, strlen(path),
				     dc->c->algos[i]->name, d[i],
				     dc->c->algos[i]->digest_len, dc->source);
		if (r < 0) {
			error_msg("%s: %s", path, refdb_writer_errmsg(dc->w));
			dc->failed = 1;
			return 1;
		}
		dc->added += (unsigned long)r;
	}
	return 0;
}

static int deb_member(const char *name, unsigned char d[][HASHALGO_MAX_DIGEST],
		      void *arg)
{
	struct deb_ctx *dc = arg;
	char path[PATH_MAX + 2];
	size_t i, k;

	if (dc->scripts == NULL) {
		if (snprintf(path, sizeof(path), "/%s", name) >= (int)sizeof(path))
			return 0;
		return deb_add(dc, path, d);
	}
	for (i = 0; dc->scripts[i] != NULL; i++) {
		if (strcmp(name, dc->scripts[i]) != 0)
			continue;
		for (k = 0; k < 2; k++) {
			if (dc->script_paths[k][0] == '\0')
				continue;
			snprintf(path, sizeof(path), "%s%s",
				 dc->script_paths[k], name);
			if (deb_add(dc, path, d) != 0)
				return 1;
		}
		/* A new preinst (and postrm on abort) runs from tmp.ci. */
		snprintf(path, sizeof(path), "/var/lib/dpkg/tmp.ci/%s", name);
		if (deb_add(dc, path, d) != 0)
			return 1;
	}
	return 0;
}

/* deb_field - `dpkg-deb -f FILE FIELD` into out ("" when absent). */
static int deb_field_line(char *line, void *arg)
{
	char *out = arg;

	if (out[0] == '\0')
		snprintf(out, 128, "%s", line);
	return 0;
}

static int deb_field(const char *deb, const char *field, char out[128])
{
	char *argv[] = { (char *)"dpkg-deb", (char *)"-f", (char *)deb,
			 (char *)field, NULL };

	out[0] = '\0';
	return run_lines(argv, deb_field_line, out, 1);
}

/* hash_deb_tar - run `dpkg-deb WHAT FILE` and hash the tar it prints. */
static int hash_deb_tar(struct deb_ctx *dc, const char *what,
			const char *deb)
{
	int pfd[2], status = 0, r;
	char err[256];
	pid_t pid;
	FILE *f;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execlp("dpkg-deb", "dpkg-deb", what, deb, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (f == NULL) {
		close(pfd[0]);
		r = -1;
	} else {
		r = tarhash_read(f, dc->c->algos, dc->c->n_algos, deb_member,
				 dc, err, sizeof(err));
		if (r < 0)
			error_msg("%s: %s", deb, err);
		/* drain, so that dpkg-deb is not killed by SIGPIPE */
		while (fread(err, 1, sizeof(err), f) > 0)
			;
		fclose(f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		error_msg("%s: dpkg-deb %s failed", deb, what);
		r = -1;
	}
	return r != 0 || dc->failed ? -1 : 0;
}

/* update_deb - the digests of one .deb's files and maintainer scripts. */
static int update_deb(struct cli *c, struct refdb_writer *w, const char *deb)
{
	static const char *const scripts[] = {
		"preinst", "postinst", "prerm", "postrm", "config", NULL
	};
	struct deb_ctx dc;
	char pkg[128], arch[128], ma[128], *real;

	memset(&dc, 0, sizeof(dc));
	dc.c = c;
	dc.w = w;
	if (deb_field(deb, "Package", pkg) != 0 || pkg[0] == '\0' ||
	    !valid_package_name(pkg)) {
		error_msg("%s: not a Debian package", deb);
		return -1;
	}
	deb_field(deb, "Architecture", arch);
	deb_field(deb, "Multi-Arch", ma);
	real = realpath(deb, NULL);
	dc.source = refdb_writer_source(w, "deb", real ? real : deb);
	free(real);
	if (dc.source < 0 || refdb_writer_set_package(w, pkg) != 0) {
		error_msg("%s", refdb_writer_errmsg(w));
		return -1;
	}
	if (hash_deb_tar(&dc, "--fsys-tarfile", deb) != 0)
		return -1;
	dc.scripts = scripts;
	snprintf(dc.script_paths[0], sizeof(dc.script_paths[0]),
		 "/var/lib/dpkg/info/%s.", pkg);
	if (strcmp(ma, "same") == 0 && arch[0] != '\0')
		snprintf(dc.script_paths[1], sizeof(dc.script_paths[1]),
			 "/var/lib/dpkg/info/%s:%s.", pkg, arch);
	if (hash_deb_tar(&dc, "--ctrl-tarfile", deb) != 0)
		return -1;
	if (!c->quiet)
		fprintf(stderr, "ima-refdb: %s: %lu digests of %s added\n", deb,
			dc.added, pkg);
	return 0;
}

struct rpm_ctx {
	struct cli *c;
	struct refdb_writer *w;
	int64_t source;
	unsigned long added;
	int failed;
};

/* rpm_dump_line - "path size mtime digest mode owner group ..." */
static int rpm_dump_line(char *line, void *arg)
{
	struct rpm_ctx *rc = arg;
	char *f[5], *save = NULL, *p = line;
	const struct hashalgo *a;
	unsigned char d[HASHALGO_MAX_DIGEST];
	unsigned long mode;
	int i, r;

	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(p, " ", &save);
		p = NULL;
		if (f[i] == NULL)
			return 0;
	}
	mode = strtoul(f[4], NULL, 8);
	if (f[0][0] != '/' || (mode & 0170000) != 0100000)
		return 0;
	a = hashalgo_by_digest_len(strlen(f[3]) / 2);
	/* md5 (old RPMs) is no algorithm IMA measures with */
	if (a == NULL || hashalgo_hex_decode(f[3], strlen(f[3]), d,
					     a->digest_len) != 0)
		return 0;
	r = refdb_writer_add(rc->w, f[0], strlen(f[0]), a->name, d,
			     a->digest_len, rc->source);
	if (r < 0) {
		rc->failed = 1;
		return 1;
	}
	rc->added += (unsigned long)r;
	return 0;
}

static int pkg_name_line(char *line, void *arg)
{
	snprintf(arg, 128, "%s", line);
	return 0;
}

/* update_rpm - the digests an .rpm's header holds (rpm -qp --dump). */
static int update_rpm(struct cli *c, struct refdb_writer *w, const char *file)
{
	char *qf[] = { (char *)"rpm", (char *)"-qp", (char *)"--qf",
		       (char *)"%{NAME}", (char *)file, NULL };
	char *dump[] = { (char *)"rpm", (char *)"-qp", (char *)"--dump",
			 (char *)file, NULL };
	struct rpm_ctx rc;
	char name[128] = "";

	memset(&rc, 0, sizeof(rc));
	rc.c = c;
	rc.w = w;
	if (run_lines(qf, pkg_name_line, name, 1) != 0 ||
	    !valid_package_name(name)) {
		error_msg("%s: not an RPM package (is rpm installed?)", file);
		return -1;
	}
	rc.source = refdb_writer_source(w, "rpm", file);
	if (rc.source < 0 || refdb_writer_set_package(w, name) != 0 ||
	    run_lines(dump, rpm_dump_line, &rc, 1) != 0 || rc.failed) {
		error_msg("%s: %s", file, refdb_writer_errmsg(w));
		return -1;
	}
	if (!c->quiet)
		fprintf(stderr, "ima-refdb: %s: %lu digests of %s added\n",
			file, rc.added, name);
	return 0;
}

/* One (path, algo, digest) that package pre-installation put in. */
struct prune_item {
	char *path;
	const struct hashalgo *algo;
	unsigned char digest[HASHALGO_MAX_DIGEST];
	char *package;
	int64_t source;
};

struct prune_ctx {
	struct prune_item *items;
	size_t n, cap;
};

static int prune_collect(const struct refdb_entry *e, void *arg)
{
	struct prune_ctx *pc = arg;
	struct prune_item *it;

	if (pc->n == pc->cap) {
		size_t nc = pc->cap ? 2 * pc->cap : 64;
		struct prune_item *ni = realloc(pc->items, nc * sizeof(*ni));

		if (ni == NULL)
			return REFDB_E_NOMEM;
		pc->items = ni;
		pc->cap = nc;
	}
	it = &pc->items[pc->n];
	memset(it, 0, sizeof(*it));
	it->path = strdup(e->path);
	it->package = e->package ? strdup(e->package) : NULL;
	it->algo = hashalgo_by_name(e->algo, strlen(e->algo));
	memcpy(it->digest, e->digest, e->dlen);
	it->source = e->source;
	if (it->path == NULL || it->algo == NULL)
		return REFDB_E_NOMEM;
	pc->n++;
	return 0;
}

/*
 * prune_packages - after dpkg/rpm ran: every path that package
 * pre-installation vouched for is rehashed; its pre-installed digests
 * that the file on disk no longer has are dropped, and when the file has
 * one of them, the path's other digests in that algorithm go (the old
 * version's), as `update PATH` does.
 */
static int prune_packages(struct cli *c, struct refdb_writer *w)
{
	static const char *const kinds[] = { "deb", "rpm" };
	struct prune_ctx pc;
	unsigned long dropped = 0, kept = 0;
	size_t i, k;
	int r = -1;

	memset(&pc, 0, sizeof(pc));
	for (k = 0; k < 2; k++)
		if (refdb_writer_foreach_entry(w, kinds[k], prune_collect,
					       &pc) != 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			goto out;
		}
	for (i = 0; i < pc.n; i++) {
		struct prune_item *it = &pc.items[i];
		const struct hashalgo *one[1] = { it->algo };
		unsigned char d[1][HASHALGO_MAX_DIGEST];
		uint64_t bytes;
		struct stat st;
		int ok;

		ok = lstat(it->path, &st) == 0 && S_ISREG(st.st_mode) &&
		     scan_hash_file(it->path, one, 1, d, &bytes) == 0 &&
		     memcmp(d[0], it->digest, it->algo->digest_len) == 0;
		if (!ok) {
			if (refdb_writer_remove_entry(w, it->path,
				strlen(it->path), it->algo->name, it->digest,
				it->algo->digest_len) < 0)
				goto werr;
			dropped++;
			if (c->verbose)
				error_msg("%s: dropped a digest no installed file has",
					  it->path);
			continue;
		}
		if (refdb_writer_set_package(w, it->package) != 0 ||
		    refdb_writer_set_path(w, it->path, strlen(it->path),
					  it->algo->name, it->digest,
					  it->algo->digest_len,
					  it->source) < 0)
			goto werr;
		kept++;
	}
	if (!c->quiet)
		fprintf(stderr, "ima-refdb: prune: %lu package digests kept, %lu dropped\n",
			kept, dropped);
	r = 0;
	goto out;
werr:
	error_msg("%s", refdb_writer_errmsg(w));
out:
	for (i = 0; i < pc.n; i++) {
		free(pc.items[i].path);
		free(pc.items[i].package);
	}
	free(pc.items);
	return r;
}

/* deb_list_line - a name APT's Pre-Install-Pkgs hands over. */
static int deb_list_line(struct cli *c, struct refdb_writer *w,
			 const char *line)
{
	size_t n = strlen(line);

	/* Version 1 lists .deb files; "**CONFIGURE**" and such are not. */
	if (n < 5 || strcmp(line + n - 4, ".deb") != 0)
		return 0;
	return update_deb(c, w, line);
}

static int cmd_update(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_writer *w = NULL;
	unsigned long files = 0, gone = 0;
	int status = EXIT_ERROR, i, n = argc - optind;
	int64_t source = 0;

	default_algos(c);
	for (i = 0; i < (int)c->n_algos; i++)
		if (!scan_algo_available(c->algos[i])) {
			error_msg("%s: this OpenSSL cannot compute it",
				  c->algos[i]->name);
			return EXIT_ERROR;
		}
	if (c->mode == 'X' ? n != 0 : n < 1) {
		error_msg(c->mode == 'X' ? "update --prune: takes no arguments" :
			  "update: nothing to update");
		fputs("Try 'ima-refdb --help'.\n", stderr);
		return EXIT_ERROR;
	}
	if (begin_writer(c, db, 0, &w) != 0)
		return EXIT_ERROR;
	switch (c->mode) {
	case 'P':
		if (update_packages(c, w, n, argv + optind) != 0)
			goto out;
		break;
	case 'X':
		if (prune_packages(c, w) != 0)
			goto out;
		break;
	case 'D':
	case 'M':
		for (i = 0; i < n; i++) {
			const char *a = argv[optind + i];
			int r;

			if (strcmp(a, "-") == 0 && c->mode == 'D') {
				char *line = NULL;
				size_t cap = 0;
				ssize_t k;

				r = 0;
				while (r == 0 &&
				       (k = getline(&line, &cap, stdin)) >= 0) {
					if (k > 0 && line[k - 1] == '\n')
						line[k - 1] = '\0';
					r = deb_list_line(c, w, line);
				}
				free(line);
			} else {
				r = c->mode == 'D' ? update_deb(c, w, a) :
				    update_rpm(c, w, a);
			}
			if (r != 0)
				goto out;
		}
		break;
	default:
		source = refdb_writer_source(w, "update", "ima-refdb update");
		if (source < 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			goto out;
		}
		for (i = 0; i < n; i++) {
			char *p = abs_path(argv[optind + i]);
			int r;

			if (p == NULL) {
				error_msg("%s: %s", argv[optind + i],
					  strerror(errno));
				goto out;
			}
			r = rehash_path(c, w, p, source, &gone);
			free(p);
			if (r < 0)
				goto out;
			files += (unsigned long)r;
		}
		if (!c->quiet)
			fprintf(stderr, "ima-refdb: %s: %lu files updated, %lu removed\n",
				db, files, gone);
	}
	if (interrupted) {
		error_msg("interrupted; %s unchanged", db);
		goto out;
	}
	status = commit_writer(w) == 0 ? 0 : EXIT_ERROR;
	w = NULL;
out:
	if (status != 0 && w != NULL)
		error_msg("nothing changed; %s unchanged", db);
	refdb_writer_abort(w);
	return status;
}

static int cmd_remove(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_writer *w = NULL;
	unsigned long removed = 0;
	int status = EXIT_ERROR, i, n = argc - optind;

	if (n < 1) {
		error_msg("remove: no path given");
		return EXIT_ERROR;
	}
	if (begin_writer(c, db, 0, &w) != 0)
		return EXIT_ERROR;
	for (i = 0; i < n; i++) {
		const char *a = argv[optind + i];
		char *p = a[0] == '/' ? strdup(a) : abs_path(a);
		int r;

		if (p == NULL) {
			error_msg("%s: %s", a, strerror(errno));
			goto out;
		}
		r = refdb_writer_remove_path(w, p, strlen(p));
		free(p);
		if (r < 0) {
			error_msg("%s", refdb_writer_errmsg(w));
			goto out;
		}
		removed += (unsigned long)r;
	}
	status = commit_writer(w) == 0 ? 0 : EXIT_ERROR;
	w = NULL;
	if (status == 0 && !c->quiet)
		fprintf(stderr, "ima-refdb: %s: %lu entries removed\n", db,
			removed);
out:
	refdb_writer_abort(w);
	return status;
}

/* ------------------------------------------------------------ check */

struct check_ctx {
	struct cli *c;
	struct refdb *r;
	char *db_abs;		/* the database's real path: not a "new" file */
	char **dirs;
	size_t n_dirs;
	/* the path being gathered */
	char *path;
	const struct hashalgo *algos[SCAN_MAX_ALGOS];
	unsigned char want[64][HASHALGO_MAX_DIGEST];
	const struct hashalgo *want_algo[64];
	size_t n_want, n_algos;
	unsigned long checked, changed, missing, added;
	pcre2_code **re;
	size_t n_re;
	pcre2_match_data *md;
};

static int under_dirs(const struct check_ctx *cc, const char *p)
{
	size_t i;

	if (cc->n_dirs == 0)
		return 1;
	for (i = 0; i < cc->n_dirs; i++) {
		size_t n = strlen(cc->dirs[i]);

		if (strncmp(p, cc->dirs[i], n) == 0 &&
		    (p[n] == '/' || p[n] == '\0' || strcmp(cc->dirs[i], "/") == 0))
			return 1;
	}
	return 0;
}

static void report(const char *what, const char *path)
{
	fputs(what, stdout);
	print_c_escaped(path);
	putchar('\n');
}

/* check_flush - judge the gathered path. */
static void check_flush(struct check_ctx *cc)
{
	unsigned char d[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	struct stat st;
	uint64_t bytes;
	size_t i, k;

	if (cc->path == NULL)
		return;
	cc->checked++;
	if (lstat(cc->path, &st) != 0 || !S_ISREG(st.st_mode)) {
		report("missing: ", cc->path);
		cc->missing++;
	} else if (scan_hash_file(cc->path, cc->algos, cc->n_algos, d,
				  &bytes) != 0) {
		error_msg("cannot read %s: %s", cc->path, strerror(errno));
		report("unreadable: ", cc->path);
		cc->changed++;
	} else {
		for (i = 0; i < cc->n_algos; i++) {
			int hit = 0;

			for (k = 0; k < cc->n_want; k++)
				if (cc->want_algo[k] == cc->algos[i] &&
				    memcmp(cc->want[k], d[i],
					   cc->algos[i]->digest_len) == 0)
					hit = 1;
			if (!hit)
				break;
		}
		if (i < cc->n_algos) {
			report("changed: ", cc->path);
			cc->changed++;
		}
	}
	free(cc->path);
	cc->path = NULL;
	cc->n_want = 0;
	cc->n_algos = 0;
}

static int check_entry(const struct refdb_entry *e, void *arg)
{
	struct check_ctx *cc = arg;
	const struct hashalgo *a = hashalgo_by_name(e->algo, strlen(e->algo));
	size_t i;

	if (interrupted)
		return 1;
	if (!under_dirs(cc, e->path))
		return 0;
	if (cc->path != NULL && strcmp(cc->path, e->path) != 0)
		check_flush(cc);
	if (cc->path == NULL) {
		cc->path = strdup(e->path);
		if (cc->path == NULL)
			return REFDB_E_NOMEM;
	}
	if (a == NULL || !scan_algo_available(a) || cc->n_want == 64)
		return 0;
	for (i = 0; i < cc->n_algos; i++)
		if (cc->algos[i] == a)
			break;
	if (i == cc->n_algos) {
		if (cc->n_algos == SCAN_MAX_ALGOS)
			return 0;
		cc->algos[cc->n_algos++] = a;
	}
	cc->want_algo[cc->n_want] = a;
	memcpy(cc->want[cc->n_want++], e->digest, e->dlen);
	return 0;
}

static int check_excluded(struct check_ctx *cc, const char *p)
{
	size_t i;

	for (i = 0; i < cc->n_re; i++)
		if (pcre2_match(cc->re[i], (PCRE2_SPTR)p, strlen(p), 0,
				PCRE2_ANCHORED, cc->md, NULL) >= 0)
			return 1;
	return 0;
}

static int check_add_exclude(const char *pattern, void *arg)
{
	struct check_ctx *cc = arg;
	pcre2_code **n, *re;
	PCRE2_SIZE off;
	int err;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_ANCHORED, &err, &off, NULL);
	if (re == NULL)
		return 0;
	n = realloc(cc->re, (cc->n_re + 1) * sizeof(*n));
	if (n == NULL) {
		pcre2_code_free(re);
		return REFDB_E_NOMEM;
	}
	cc->re = n;
	cc->re[cc->n_re++] = re;
	return 0;
}

static int nop_entry(const char *algo, const unsigned char *digest,
		     size_t dlen, const char *source, void *arg)
{
	(void)algo;
	(void)digest;
	(void)dlen;
	(void)source;
	(*(int *)arg)++;
	return 0;
}

/* check_walk - report the regular files under dir the database lacks. */
static void check_walk(struct check_ctx *cc, const char *dir, dev_t dev)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL) {
		error_msg("%s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && !interrupted) {
		char *p;
		struct stat st;
		size_t len;
		int known = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		p = malloc(len);
		if (p == NULL)
			break;
		snprintf(p, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			 de->d_name);
		if (check_excluded(cc, p) || is_own_file(cc->db_abs, p, strlen(p)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode) && (!cc->c->one_fs || st.st_dev == dev))
			check_walk(cc, p, dev);
		else if (S_ISREG(st.st_mode)) {
			refdb_foreach_path_entry(cc->r, p, strlen(p), nop_entry,
						 &known);
			if (!known) {
				report("new: ", p);
				cc->added++;
			}
		}
		free(p);
	}
	closedir(d);
}

static int cmd_check(struct cli *c, const char *db, int argc, char **argv)
{
	struct check_ctx cc;
	int status = EXIT_ERROR, i, n = argc - optind;
	size_t k;

	memset(&cc, 0, sizeof(cc));
	cc.c = c;
	cc.db_abs = realpath(db, NULL);
	if (open_reader(db, &cc.r) != 0)
		return EXIT_ERROR;
	cc.dirs = calloc((size_t)n + 1, sizeof(*cc.dirs));
	cc.md = pcre2_match_data_create(1, NULL);
	if (cc.dirs == NULL || cc.md == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		cc.dirs[i] = realpath(argv[optind + i], NULL);
		if (cc.dirs[i] == NULL) {
			error_msg("%s: %s", argv[optind + i], strerror(errno));
			goto out;
		}
		cc.n_dirs++;
	}
	if (refdb_foreach_entry(cc.r, check_entry, &cc) < 0) {
		error_msg("%s: %s", db, refdb_errmsg(cc.r));
		goto out;
	}
	check_flush(&cc);
	if (refdb_foreach_exclude(cc.r, check_add_exclude, &cc) < 0)
		goto out;
	for (k = 0; k < cc.n_dirs; k++) {
		struct stat st;

		if (stat(cc.dirs[k], &st) == 0)
			check_walk(&cc, cc.dirs[k], st.st_dev);
	}
	if (interrupted) {
		error_msg("interrupted");
		goto out;
	}
	fflush(stdout);
	if (!c->quiet)
		fprintf(stderr, "ima-refdb: check: %lu paths checked, %lu changed, %lu missing, %lu new\n",
			cc.checked, cc.changed, cc.missing, cc.added);
	status = cc.changed || cc.missing || cc.added ? EXIT_NOTFOUND : 0;
out:
	free(cc.path);
	free(cc.db_abs);
	for (k = 0; k < cc.n_dirs; k++)
		free(cc.dirs[k]);
	free(cc.dirs);
	for (k = 0; k < cc.n_re; k++)
		pcre2_code_free(cc.re[k]);
	free(cc.re);
	pcre2_match_data_free(cc.md);
	refdb_close(cc.r);
	return status;
}

/* ------------------------------------------------------------ main */

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *c, const char *db, int argc,
			  char **argv);
	} verbs[] = {
		{ "build", cmd_build },
		{ "import", cmd_import },
		{ "lookup", cmd_lookup },
		{ "info", cmd_info },
		{ "update", cmd_update },
		{ "remove", cmd_remove },
		{ "check", cmd_check },
		{ "dump", cmd_dump },
		{ "sign", cmd_sign },
		{ "verify", cmd_verify },
	};
	struct cli c;
	const char *verb, *db;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	install_signals();
	rc = parse_opts(&c, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		error_msg("no verb given");
		fputs("Try 'ima-refdb --help'.\n", stderr);
		return EXIT_ERROR;
	}
	verb = argv[optind];
	argc -= optind;
	argv += optind;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].name) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		error_msg("unknown verb '%s'", verb);
		fputs("Try 'ima-refdb --help'.\n", stderr);
		return EXIT_ERROR;
	}
	rc = parse_opts(&c, verb, argc, argv);
	if (rc >= 0)
		goto out;
	db = resolve_db(&c, verb);
	if (db == NULL) {
		rc = EXIT_ERROR;
		goto out;
	}
	local_layer = c.local;
	rc = verbs[i].fn(&c, db, argc, argv);
out:
	free(c.excludes);
	return rc;
}

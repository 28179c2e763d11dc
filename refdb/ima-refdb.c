/* ima-refdb.c -- the ima-refdb command: build, import, look up and describe the reference database */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"	/* autotools; plugin/config.h is the plugin's */
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* plugin/config.h: the plugin's config file names our default database. */
#include "config.h"
#include "hashalgo.h"
#include "manifest.h"
#include "refdb.h"
#include "scan.h"

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
"  build [-a ALGO]... [-x] [-e REGEX]... [-j N] DIR...\n"
"                      hash the regular files under DIR... into a new database\n"
"  import [-a ALGO] FILE...\n"
"                      add the digests of sha*sum or BSD-tag manifests\n"
"                      (FILE \"-\" is standard input)\n"
"  lookup PATH|DIGEST  show the digests of PATH, or the paths of DIGEST\n"
"                      (DIGEST is ALGO:HEX or HEX)\n"
"  info                summarize the database\n"
"\n"
"Options:\n"
"  -d, --db FILE              the database (default: reference_db of the\n"
"                             config file, else " CONFIG_DEFAULT_DB ")\n"
"  -c, --config FILE          the config file to take reference_db from\n"
"                             (default " CONFIG_DEFAULT_PATH ")\n"
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
	char db_buf[PATH_MAX];
};

static const struct option long_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "algo", required_argument, NULL, 'a' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "exclude", required_argument, NULL, 'e' },
	{ "threads", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* verb_allows - whether option c makes sense for this verb. */
static int verb_allows(const char *verb, int c)
{
	switch (c) {
	case 'd': case 'c': case 'h': case 'V':
		return 1;
	case 'a':
		return verb != NULL && (strcmp(verb, "build") == 0 ||
					strcmp(verb, "import") == 0);
	case 'x': case 'e': case 'j': case 'q':
		return verb != NULL && strcmp(verb, "build") == 0;
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
	const char *shortopts = verb == NULL ? "+:d:c:hV" : ":d:c:a:xe:j:qhV";
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
			break;
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

/* resolve_db - --db, else the config file's reference_db, else the default. */
static const char *resolve_db(struct cli *c)
{
	const char *conf = c->config ? c->config : CONFIG_DEFAULT_PATH;

	if (c->db != NULL)
		return c->db;
	if (config_peek_reference_db(conf, c->db_buf, sizeof(c->db_buf)) == 1
	    && c->db_buf[0] != '\0')
		return c->db_buf;
	return CONFIG_DEFAULT_DB;
}

/* open_reader - open the database for reading; prints why not. */
static int open_reader(const char *path, struct refdb **db)
{
	char err[512];
	int r = refdb_open_readonly(path, db, err, sizeof(err));

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
	uint64_t files;
	uint64_t bytes;
	struct timespec last;
	int progress;
	int failed;		/* writer error already printed */
};

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* is_own_file - the database, its lock, or one of its temporaries. */
static int is_own_file(const struct build_ctx *b, const char *path,
		       size_t len)
{
	const char *slash = strrchr(b->db_abs, '/');
	size_t dir = slash ? (size_t)(slash - b->db_abs) + 1 : 0;
	const char *base = b->db_abs + dir;
	size_t blen = strlen(base);

	if (b->db_abs_len == 0 || len < dir || memcmp(path, b->db_abs, dir))
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

static int build_exclude(const char *path, size_t len, void *arg)
{
	struct build_ctx *b = arg;
	size_t i;

	if (is_own_file(b, path, len))
		return 1;
	for (i = 0; i < b->n_re; i++)
		if (pcre2_match(b->re[i], (PCRE2_SPTR)path, len, 0,
				PCRE2_ANCHORED, b->md, NULL) >= 0)
			return 1;
	return 0;
}

static void build_error(const char *msg, void *arg)
{
	(void)arg;
	error_msg("%s", msg);
}

static void show_progress(struct build_ctx *b)
{
	struct timespec now;

	if (!b->progress || (b->files & 63) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed_since(&b->last) < 0.25)
		return;
	b->last = now;
	fprintf(stderr, "\r\033[K%llu files, %.1f MiB",
		(unsigned long long)b->files, (double)b->bytes / 1048576.0);
	progress_shown = 1;
}

static int build_file(const struct scan_result *r, void *arg)
{
	struct build_ctx *b = arg;
	size_t i;

	if (interrupted)
		return 1;
	for (i = 0; i < r->n_digests; i++) {
		int rc = refdb_writer_add(b->w, r->path, r->path_len,
					  r->algos[i]->name, r->digests[i],
					  r->algos[i]->digest_len, b->source);

		if (rc < 0) {
			error_msg("%s: %s", r->path,
				  refdb_writer_errmsg(b->w));
			b->failed = 1;
			return 1;
		}
	}
	b->files++;
	show_progress(b);
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

static int cmd_build(struct cli *c, const char *db, int argc, char **argv)
{
	struct build_ctx b;
	struct scan_options opt;
	struct scan_stats total, st;
	struct refdb_writer *w = NULL;
	struct timespec t0;
	char **roots = NULL, err[512];
	int status = EXIT_ERROR, i, n_roots = argc - optind;
	size_t k;
	int64_t ex_source;

	memset(&b, 0, sizeof(b));
	memset(&opt, 0, sizeof(opt));
	memset(&total, 0, sizeof(total));
	clock_gettime(CLOCK_MONOTONIC, &t0);
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
	if (compile_excludes(&b, c) != 0)
		goto out;
	roots = calloc((size_t)n_roots, sizeof(*roots));
	if (roots == NULL)
		goto out;
	for (i = 0; i < n_roots; i++) {
		roots[i] = realpath(argv[optind + i], NULL);
		if (roots[i] == NULL) {
			error_msg("%s: %s", argv[optind + i], strerror(errno));
			goto out;
		}
	}
	b.db_abs = absolute_db(db);
	b.db_abs_len = b.db_abs ? strlen(b.db_abs) : 0;
	if (refdb_writer_begin(db, 1, &w, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		goto out;
	}
	b.w = w;
	b.cli = c;
	b.progress = !c->quiet && isatty(STDERR_FILENO);
	b.last = t0;
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
		b.bytes = total.bytes;
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
	if (refdb_writer_commit_msg(w, err, sizeof(err)) != 0) {
		w = NULL;
		error_msg("%s", err);
		goto out;
	}
	w = NULL;
	clear_progress();
	if (!c->quiet)
		fprintf(stderr,
			"ima-refdb: %s: %llu files, %llu bytes, %llu skipped, %llu unreadable, %llu excluded, %.1f s\n",
			db, (unsigned long long)total.files,
			(unsigned long long)total.bytes,
			(unsigned long long)total.skipped,
			(unsigned long long)total.unreadable,
			(unsigned long long)total.excluded,
			elapsed_since(&t0));
	status = 0;
out:
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

/* ------------------------------------------------------------ import */

struct import_ctx {
	struct refdb_writer *w;
	int64_t source;
	unsigned long entries, added;
	char why[512];		/* a failure that is not a parse error */
};

static int import_entry(const struct manifest_entry *e, void *arg)
{
	struct import_ctx *ic = arg;
	int rc;

	if (interrupted) {
		snprintf(ic->why, sizeof(ic->why), "line %lu: interrupted",
			 e->line);
		return 1;
	}
	/* IMA reports absolute paths: a relative one could never match. */
	if (e->path[0] != '/') {
		snprintf(ic->why, sizeof(ic->why),
			 "line %lu: path is not absolute", e->line);
		return 1;
	}
	rc = refdb_writer_add(ic->w, e->path, e->path_len, e->algo->name,
			      e->digest, e->digest_len, ic->source);
	if (rc < 0) {
		snprintf(ic->why, sizeof(ic->why), "line %lu: %s", e->line,
			 refdb_writer_errmsg(ic->w));
		return 1;
	}
	ic->entries++;
	ic->added += (unsigned long)rc;
	return 0;
}

/* import_one - read one manifest into the writer; prints "FILE:LINE: why". */
static int import_one(struct import_ctx *ic, const char *name,
		      const struct hashalgo *algo)
{
	FILE *f;
	char why[256], *real = NULL;
	unsigned long line = 0;
	int rc, is_stdin = strcmp(name, "-") == 0;
	const char *shown = is_stdin ? "-" : name;

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
	ic->source = refdb_writer_source(ic->w, "manifest",
					 is_stdin ? "stdin" :
					 real ? real : name);
	free(real);
	if (ic->source < 0) {
		error_msg("%s", refdb_writer_errmsg(ic->w));
		rc = -1;
		goto out;
	}
	ic->why[0] = '\0';
	rc = manifest_read_detail(f, algo, import_entry, ic, &line, why,
				  sizeof(why));
	if (rc != 0 && ic->why[0] != '\0')
		error_msg("%s:%s", shown, ic->why + strlen("line "));
	else if (rc != 0)
		error_msg("%s:%lu: %s", shown, line, why);
out:
	if (!is_stdin)
		fclose(f);
	return rc != 0 ? -1 : 0;
}

static int cmd_import(struct cli *c, const char *db, int argc, char **argv)
{
	struct import_ctx ic;
	unsigned long *counts = NULL;
	char err[512];
	int status = EXIT_ERROR, i, n = argc - optind;

	memset(&ic, 0, sizeof(ic));
	if (n < 1) {
		error_msg("import: no manifest given");
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
	if (refdb_writer_begin(db, 0, &ic.w, err, sizeof(err)) != 0) {
		error_msg("%s", err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned long e0 = ic.entries, a0 = ic.added;

		if (import_one(&ic, argv[optind + i],
			       c->n_algos ? c->algos[0] : NULL) != 0) {
			error_msg("nothing imported; %s unchanged", db);
			goto out;
		}
		counts[2 * i] = ic.entries - e0;
		counts[2 * i + 1] = ic.added - a0;
	}
	if (refdb_writer_commit_msg(ic.w, err, sizeof(err)) != 0) {
		ic.w = NULL;
		error_msg("%s", err);
		goto out;
	}
	ic.w = NULL;
	for (i = 0; i < n; i++)
		fprintf(stderr, "ima-refdb: imported %lu entries (%lu new) from %s\n",
			counts[2 * i], counts[2 * i + 1], argv[optind + i]);
	status = 0;
out:
	refdb_writer_abort(ic.w);
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

static int cmd_info(struct cli *c, const char *db, int argc, char **argv)
{
	struct refdb_info info;
	struct refdb *r = NULL;
	struct stat st;
	long n_sources = 0;
	int status = EXIT_ERROR;

	(void)c;
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
	if (fflush(stdout) != 0) {
		error_msg("standard output: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	refdb_close(r);
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
	};
	struct cli c;
	const char *verb;
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
	rc = verbs[i].fn(&c, resolve_db(&c), argc, argv);
out:
	free(c.excludes);
	return rc;
}

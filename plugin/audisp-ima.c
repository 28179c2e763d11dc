/* audisp-ima.c -- the auditd plugin: IMA/EVM records in, severity-tagged alerts out */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "decode.h"
#include "filecheck.h"
#include "flood.h"
#include "framing.h"
#include "intake.h"
#include "output.h"
#include "refdb.h"
#include "refdb_sig.h"
#include "sandbox.h"
#include "verdict.h"

#define READ_CHUNK (64 * 1024)
/* Reads per wake-up before timers get a look in: bounded latency under load. */
#define READS_PER_ROUND 64
/* How often the database file is checked for a replacement. */
#define DB_WATCH_MS 2000
/* How often an idle stream moves flood-control windows on. */
#define FLOOD_IDLE_MS 1000

static volatile sig_atomic_t stop;
static volatile sig_atomic_t hup;
static volatile sig_atomic_t usr1;
static volatile sig_atomic_t foreign_term_pid;

/* ------------------------------------------------------------ databases */

/* The databases in force, and what identifies them in the log. */
struct dbset {
	struct refdb *base;	/* reference_db, or NULL when unavailable */
	struct refdb *local;	/* local_db, or NULL */
	struct exclude_set *ex;	/* config's and databases' excludes */
	struct stat base_st;	/* the base file's identity (for the watch) */
	int have_st;
	char sha256[65];	/* of the base file, "" without one */
	uint64_t release;	/* signed release, 0 when unsigned */
	char key_id[65];	/* signer's key id, "" when unsigned */
	int64_t entries;	/* digests in the base */
};

static void dbset_free(struct dbset *d)
{
	refdb_close(d->base);
	refdb_close(d->local);
	exclude_set_free(d->ex);
	memset(d, 0, sizeof(*d));
}

/* Messages are sent at the level the running configuration sets. */
static void emit_message(const struct config *cfg, enum verdict_id id,
			 const char *reason, const char *k1, const char *v1,
			 const char *k2, const char *v2)
{
	char line[ALERT_MAX_LINE + 1];
	struct alert_line l;
	int level = config_level_for(cfg, id, NULL);
	size_t n;

	if (level < 0)
		return;
	alert_line_init(&l, verdict_name(id));
	alert_line_adds(&l, "severity", config_level_name(level));
	if (k1)
		alert_line_adds(&l, k1, v1);
	if (k2)
		alert_line_adds(&l, k2, v2);
	alert_line_adds(&l, "reason", reason);
	n = alert_line_finish(&l, line, sizeof(line));
	output_line(level, id, line, n);
}

/*
 * open_base - open, check and (with verify_key) verify cfg's reference
 * database into d.  min_release is the release in force (a signed database
 * may not go back).  Reports db_unavailable or db_rejected through msgcfg's
 * levels and returns -1 on failure.
 */
static int open_base(const struct config *cfg, const struct config *msgcfg,
		     uint64_t min_release, struct dbset *d)
{
	const char *path = cfg->reference_db;
	struct refdb_sig_info si;
	char err[600], sigpath[PATH_MAX + 8], real[PATH_MAX];
	uint64_t size;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, sizeof(err), "%s: %s", path,
			 errno == ENOENT ? "no such database" : strerror(errno));
		emit_message(msgcfg, V_DB_UNAVAILABLE,
			     "measurements are not checked until a database is available",
			     "db", path, "error", err);
		return -1;
	}
	if (fstat(fd, &d->base_st) == 0)
		d->have_st = 1;
	if (realpath(path, real) == NULL)
		snprintf(real, sizeof(real), "%s", path);
	if (filecheck_fd(fd, real, err, sizeof(err)) != 0) {
		emit_message(msgcfg, V_DB_REJECTED, "unsafe permissions",
			     "db", path, "error", err);
		goto fail;
	}
	si.release = 0;
	if (cfg->verify_key != NULL) {
		refdb_sig_manifest_path(path, sigpath, sizeof(sigpath));
		rc = refdb_sig_verify_fd(fd, sigpath, cfg->verify_key, &si,
					 err, sizeof(err));
		if (rc == REFDB_E_NOTFOUND && !cfg->require_signature) {
			si.release = 0;	/* unsigned, and that is allowed */
		} else if (rc != 0) {
			emit_message(msgcfg, V_DB_REJECTED,
				     rc == REFDB_E_NOTFOUND ? "unsigned database refused (require_signature = yes)"
							    : "signature does not verify",
				     "db", path, "error", err);
			goto fail;
		} else if (si.release < min_release) {
			snprintf(err, sizeof(err),
				 "release %" PRIu64 " is older than release %" PRIu64 " in force",
				 si.release, min_release);
			emit_message(msgcfg, V_DB_REJECTED, "rollback refused",
				     "db", path, "error", err);
			goto fail;
		} else {
			memcpy(d->sha256, si.sha256_hex, sizeof(d->sha256));
			memcpy(d->key_id, si.key_id, sizeof(d->key_id));
			d->release = si.release;
		}
	}
	if (d->sha256[0] == '\0' &&
	    refdb_sig_hash_fd(fd, d->sha256, &size, err, sizeof(err)) != 0)
		d->sha256[0] = '\0';
	rc = refdb_open_readonly_fd(fd, path, &d->base, err, sizeof(err));
	if (rc != 0) {
		emit_message(msgcfg, V_DB_UNAVAILABLE,
			     "measurements are not checked until a database is available",
			     "db", path, "error", err);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	d->sha256[0] = '\0';
	return -1;
}

/* open_local - the host's own layer; optional, so a failure is only said. */
static void open_local(const struct config *cfg, const struct config *msgcfg,
		       struct dbset *d)
{
	char err[600];

	if (cfg->local_db == NULL)
		return;
	if (access(cfg->local_db, F_OK) != 0 && errno == ENOENT)
		return;	/* no local updates yet */
	if (filecheck_path(cfg->local_db, err, sizeof(err)) != 0) {
		emit_message(msgcfg, V_DB_REJECTED, "unsafe permissions",
			     "db", cfg->local_db, "error", err);
		return;
	}
	if (refdb_open_readonly_flags(cfg->local_db, REFDB_OPEN_MUTABLE,
				      &d->local, err, sizeof(err)) != 0)
		emit_message(msgcfg, V_DB_UNAVAILABLE,
			     "the local layer is not used", "db",
			     cfg->local_db, "error", err);
}

/*
 * load_dbset - everything cfg names: the base (checked, verified), the
 * local layer, the excludes.  Returns 0 when the base opened.
 */
static int load_dbset(const struct config *cfg, const struct config *msgcfg,
		      uint64_t min_release, struct dbset *d)
{
	char err[256];
	int64_t n;
	size_t i;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = open_base(cfg, msgcfg, min_release, d);
	if (rc == 0 && refdb_count_entries(d->base, &n) == 0)
		d->entries = n;
	open_local(cfg, msgcfg, d);
	d->ex = exclude_set_new();
	if (d->ex != NULL) {
		for (i = 0; i < cfg->n_excludes; i++)
			(void)exclude_set_add(d->ex, cfg->excludes[i], err,
					      sizeof(err));
		if (d->base)
			(void)exclude_set_add_db(d->ex, d->base);
		if (d->local)
			(void)exclude_set_add_db(d->ex, d->local);
	}
	return rc;
}

/* ------------------------------------------------------------ the loader thread */

/*
 * Reloads (SIGHUP, a replaced database file) run on this thread: verifying a
 * large signed database streams the whole file, and stdin must keep being
 * drained meanwhile.  The main thread asks, the loader builds new objects
 * and hands them back through a pipe; only the main thread swaps them in.
 * The loader reads the running configuration only while no result waits to
 * be swapped, so the two never touch it at the same time.
 */
enum load_kind { LOAD_NONE, LOAD_FULL, LOAD_DB };

struct load_result {
	enum load_kind kind;
	int ok;			/* swap it in */
	struct config cfg;	/* LOAD_FULL */
	struct dbset dbs;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running;
	int quit;
	enum load_kind request;
	int busy;		/* a request is being worked on or waits to be taken */
	struct load_result *result;
	int pipe[2];
	const char *config_path;
	const struct config *cfg;	/* the running one (read only) */
	uint64_t release;		/* in force */
} loader = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.pipe = { -1, -1 },
};

static void config_problem(const char *file, unsigned long lineno,
			   const char *msg, void *arg)
{
	const struct config *cfg = arg;
	char num[24];

	snprintf(num, sizeof(num), "%lu", lineno);
	emit_message(cfg, V_CONFIG_ERROR, msg, "file", file, "line",
		     lineno ? num : NULL);
}

/*
 * config_sane - the checks that span keys, and the file's own safety.
 * Reports through msgcfg and returns the number of problems.
 */
static int config_sane(const char *path, const struct config *c,
		       const struct config *msgcfg)
{
	char err[600];
	int problems = 0;

	if (c->require_signature && c->verify_key == NULL) {
		emit_message(msgcfg, V_CONFIG_ERROR,
			     "require_signature = yes needs verify_key",
			     "file", path, NULL, NULL);
		problems++;
	}
	if (c->verify_key && filecheck_path(c->verify_key, err, sizeof(err))) {
		emit_message(msgcfg, V_CONFIG_ERROR, err, "file", path, NULL,
			     NULL);
		problems++;
	}
	return problems;
}

/* load_config - read the config file into c (defaults first), checked. */
static int load_config(const char *path, struct config *c,
		       const struct config *msgcfg)
{
	char err[600];
	int problems;

	if (config_init_defaults(c) != 0)
		return -1;
	if (access(path, F_OK) == 0 &&
	    filecheck_path(path, err, sizeof(err)) != 0) {
		emit_message(msgcfg, V_CONFIG_ERROR,
			     "configuration refused: unsafe permissions", "file",
			     path, "error", err);
		return 1;
	}
	problems = config_load(path, c, config_problem, (void *)msgcfg);
	if (problems < 0)
		return 1;
	return problems + config_sane(path, c, msgcfg);
}

static void *loader_main(void *unused)
{
	struct load_result *res;
	enum load_kind kind;
	int problems;
	char byte = 1;

	(void)unused;
	pthread_mutex_lock(&loader.lock);
	for (;;) {
		while (!loader.quit &&
		       (loader.request == LOAD_NONE || loader.result != NULL))
			pthread_cond_wait(&loader.cond, &loader.lock);
		if (loader.quit)
			break;
		kind = loader.request;
		loader.request = LOAD_NONE;
		pthread_mutex_unlock(&loader.lock);

		res = calloc(1, sizeof(*res));
		if (res != NULL) {
			res->kind = kind;
			if (kind == LOAD_FULL) {
				problems = load_config(loader.config_path,
						       &res->cfg, loader.cfg);
				if (problems != 0) {
					emit_message(loader.cfg, V_CONFIG_ERROR,
						     "configuration not reloaded; the running one stays in force",
						     "file", loader.config_path,
						     NULL, NULL);
				} else {
					res->ok = load_dbset(&res->cfg,
							     loader.cfg,
							     loader.release,
							     &res->dbs) == 0;
				}
			} else {
				res->ok = load_dbset(loader.cfg, loader.cfg,
						     loader.release,
						     &res->dbs) == 0;
			}
		}
		pthread_mutex_lock(&loader.lock);
		loader.result = res;
		if (res == NULL)
			loader.busy = 0;
		(void)!write(loader.pipe[1], &byte, 1);
	}
	pthread_mutex_unlock(&loader.lock);
	return NULL;
}

static int loader_start(const char *config_path, const struct config *cfg)
{
	sigset_t all, old;
	int rc;

	if (pipe2(loader.pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	loader.config_path = config_path;
	loader.cfg = cfg;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&loader.thread, NULL, loader_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	loader.running = 1;
	return 0;
}

/* loader_request - ask for a reload; a FULL request absorbs a DB one. */
static void loader_request(enum load_kind kind)
{
	pthread_mutex_lock(&loader.lock);
	if (loader.request != LOAD_FULL)
		loader.request = kind;
	loader.busy = 1;
	pthread_cond_signal(&loader.cond);
	pthread_mutex_unlock(&loader.lock);
}

/* loader_take - the finished result, or NULL. */
static struct load_result *loader_take(void)
{
	struct load_result *res;
	char buf[16];

	while (read(loader.pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&loader.lock);
	res = loader.result;
	loader.result = NULL;
	if (loader.request == LOAD_NONE)
		loader.busy = 0;
	pthread_cond_signal(&loader.cond);
	pthread_mutex_unlock(&loader.lock);
	return res;
}

static void loader_stop(void)
{
	if (loader.running) {
		pthread_mutex_lock(&loader.lock);
		loader.quit = 1;
		pthread_cond_signal(&loader.cond);
		pthread_mutex_unlock(&loader.lock);
		pthread_join(loader.thread, NULL);
		loader.running = 0;
	}
	if (loader.result) {
		if (loader.result->kind == LOAD_FULL)
			config_free(&loader.result->cfg);
		dbset_free(&loader.result->dbs);
		free(loader.result);
		loader.result = NULL;
	}
	if (loader.pipe[0] >= 0) {
		close(loader.pipe[0]);
		close(loader.pipe[1]);
	}
}

/* ------------------------------------------------------------ the plugin */

struct plugin {
	const char *config_path;
	struct config cfg;
	struct dbset dbs;
	struct framing *fr;
	struct intake *in;
	struct decoder *dec;
	struct flood *flood;
	uint64_t now_ms;		/* monotonic */
	uint64_t record_ms;		/* the newest record's own time */
	uint64_t record_seen_at;	/* monotonic time it arrived */
	uint64_t next_stats, next_watch, next_flood;
	struct stat failed_st;		/* a replacement that failed to load */
	int have_failed_st;
	int binary_reported;
	unsigned long long overlong_reported;
	unsigned long long malformed_reported;
	unsigned long long undecodable;
	unsigned long long unjudged;
	unsigned long long records;
	unsigned long long by_id[V_COUNT];
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_flood_limits(const struct config *c, struct flood_limits *lim)
{
	int i;

	memset(lim, 0, sizeof(*lim));
	lim->dedup_window_ms = c->dedup_window_s * 1000;
	for (i = 0; i < FLOOD_LEVELS; i++) {
		lim->rate[i].limit = c->rate[i].limit;
		lim->rate[i].period_ms = c->rate[i].period_s * 1000;
	}
}

/* db_loaded_message - db_reloaded: which database is in force now. */
static void db_loaded_message(struct plugin *p)
{
	char line[ALERT_MAX_LINE + 1], rel[24], ent[24];
	struct alert_line l;
	int level = config_level_for(&p->cfg, V_DB_RELOADED, NULL);
	size_t n;

	if (level < 0 || p->dbs.base == NULL)
		return;
	snprintf(rel, sizeof(rel), "%" PRIu64, p->dbs.release);
	snprintf(ent, sizeof(ent), "%lld", (long long)p->dbs.entries);
	alert_line_init(&l, verdict_name(V_DB_RELOADED));
	alert_line_adds(&l, "severity", config_level_name(level));
	alert_line_adds(&l, "db", p->cfg.reference_db);
	alert_line_adds(&l, "sha256", p->dbs.sha256);
	alert_line_adds(&l, "release", p->dbs.release ? rel : "unsigned");
	alert_line_adds(&l, "entries", ent);
	alert_line_adds(&l, "key_id", p->dbs.key_id);
	if (p->dbs.local)
		alert_line_adds(&l, "local_db", p->cfg.local_db);
	n = alert_line_finish(&l, line, sizeof(line));
	output_line(level, V_DB_RELOADED, line, n);
}

/* stats_message - one line with every counter: SIGUSR1 and the heartbeat. */
static void stats_message(struct plugin *p)
{
	char line[ALERT_MAX_LINE + 1], nums[48][24], by[V_COUNT][24];
	struct framing_stats fs;
	struct intake_stats is;
	struct flood_stats ls;
	struct output_stats os;
	struct alert_line l;
	int level = config_level_for(&p->cfg, V_STATS, NULL), k = 0, i;
	size_t n;

	if (level < 0)
		return;
	framing_get_stats(p->fr, &fs);
	intake_get_stats(p->in, &is);
	flood_get_stats(p->flood, &ls);
	output_get_stats(&os);
#define NUM(key, val) do { \
		snprintf(nums[k], sizeof(nums[k]), "%llu", \
			 (unsigned long long)(val)); \
		alert_line_adds(&l, key, nums[k]); k++; \
	} while (0)
	alert_line_init(&l, verdict_name(V_STATS));
	alert_line_adds(&l, "severity", config_level_name(level));
	NUM("lines", fs.lines);
	NUM("events", is.events);
	NUM("records", p->records);
	NUM("alerts", os.queued);
	NUM("sent", os.sent);
	NUM("dropped", os.dropped);
	NUM("duplicates", ls.duplicates);
	NUM("rate_limited", ls.rate_limited);
	NUM("queue_high_water", os.high_water);
	NUM("queue_size", os.capacity);
	NUM("unjudged", p->unjudged);
	NUM("malformed", is.malformed + fs.overlong);
	NUM("undecodable", p->undecodable);
	NUM("late", is.late);
	NUM("db_entries", p->dbs.entries);
	alert_line_adds(&l, "db_sha256", p->dbs.sha256);
#undef NUM
	for (i = 0; i < V_COUNT && l.n < ALERT_MAX_FIELDS; i++) {
		if (p->by_id[i] == 0)
			continue;
		snprintf(by[i], sizeof(by[i]), "%llu", p->by_id[i]);
		alert_line_adds(&l, verdict_name((enum verdict_id)i), by[i]);
	}
	n = alert_line_finish(&l, line, sizeof(line));
	output_line(level, V_STATS, line, n);
}

/* swap_in - a finished reload: take it, or keep what runs. */
static void swap_in(struct plugin *p, struct load_result *res)
{
	struct flood_limits lim;
	struct flood *fl;

	if (res->ok) {
		if (res->kind == LOAD_FULL) {
			set_flood_limits(&res->cfg, &lim);
			fl = flood_new(&lim);
			if (fl != NULL) {
				/* what the old windows held is said now */
				flood_free(p->flood);
				p->flood = fl;
			}
			config_free(&p->cfg);
			p->cfg = res->cfg;
			output_set_facility(p->cfg.facility,
				config_level_for(&p->cfg, V_ALERTS_SUPPRESSED,
						 NULL));
		}
		dbset_free(&p->dbs);
		p->dbs = res->dbs;
		loader.release = p->dbs.release > loader.release ?
				 p->dbs.release : loader.release;
		p->have_failed_st = 0;
		db_loaded_message(p);
	} else {
		if (res->kind == LOAD_FULL)
			config_free(&res->cfg);
		/* remember the file that failed, not to retry it every time */
		if (res->dbs.have_st) {
			p->failed_st = res->dbs.base_st;
			p->have_failed_st = 1;
		}
		dbset_free(&res->dbs);
	}
	free(res);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* watch_database - a database renamed into place is picked up unasked. */
static void watch_database(struct plugin *p)
{
	struct stat st;

	if (loader.busy || stat(p->cfg.reference_db, &st) != 0)
		return;
	if (p->dbs.have_st && same_file(&st, &p->dbs.base_st))
		return;
	if (p->have_failed_st && same_file(&st, &p->failed_st))
		return;
	p->failed_st = st;
	p->have_failed_st = 1;
	loader_request(LOAD_DB);
}

/* ------------------------------------------------------------ the pipeline */

static void flood_summary(const struct flood_summary *s, void *arg)
{
	struct plugin *p = arg;
	char line[ALERT_MAX_LINE + 1], window[24], count[24];
	char hash[HASHALGO_MAX_NAME + 2 * HASHALGO_MAX_DIGEST + 2];
	char by[V_COUNT][24];
	struct alert_line l;
	int level = config_level_for(&p->cfg, V_ALERTS_SUPPRESSED, NULL), i;
	size_t n;

	if (level < 0)
		return;
	snprintf(window, sizeof(window), "%u", s->window_ms / 1000);
	snprintf(count, sizeof(count), "%llu", s->count);
	alert_line_init(&l, verdict_name(V_ALERTS_SUPPRESSED));
	alert_line_adds(&l, "severity", config_level_name(level));
	if (s->kind == FLOOD_DUPLICATE) {
		if (s->path)
			alert_line_add(&l, "file", s->path, s->path_len);
		if (s->digest && s->algo) {
			n = strlen(s->algo);
			memcpy(hash, s->algo, n);
			hash[n++] = ':';
			hashalgo_hex_encode(s->digest, s->digest_len, hash + n);
			alert_line_adds(&l, "hash", hash);
		}
		alert_line_adds(&l, "op", s->op);
		alert_line_adds(&l, "cause", s->cause);
		alert_line_adds(&l, "reason", "duplicate");
		alert_line_adds(&l, "id", verdict_name(s->id));
		alert_line_adds(&l, "count", count);
	} else {
		alert_line_adds(&l, "reason", "rate_limit");
		alert_line_adds(&l, "level", config_level_name(s->level));
		for (i = 0; i < V_COUNT && l.n < ALERT_MAX_FIELDS - 3; i++) {
			if (s->by_id[i] == 0)
				continue;
			snprintf(by[i], sizeof(by[i]), "%llu", s->by_id[i]);
			alert_line_adds(&l, verdict_name((enum verdict_id)i),
					by[i]);
		}
		alert_line_adds(&l, "total", count);
	}
	alert_line_adds(&l, "window", window);
	n = alert_line_finish(&l, line, sizeof(line));
	output_line(level, V_ALERTS_SUPPRESSED, line, n);
}

static void on_record(const struct ima_record *r, void *arg)
{
	struct plugin *p = arg;
	char line[ALERT_MAX_LINE + 1];
	struct verdict_dbs dbs = { p->dbs.base, p->dbs.local };
	struct flood_key key;
	struct verdict *v;
	const char *cause;
	size_t n;
	int level;

	v = malloc(sizeof(*v));
	if (v == NULL)
		return;
	p->records++;
	p->record_ms = r->sec * 1000 + r->msec;
	p->record_seen_at = p->now_ms;
	(void)verdict_for_record(r, &dbs, p->dbs.ex, v);
	if (!v->judged) {
		/* Measurements with no database to judge them by (said once). */
		p->unjudged++;
		free(v);
		return;
	}
	p->by_id[v->id]++;
	cause = r->cause[0] ? r->cause : v->note;
	level = config_level_for(&p->cfg, v->id, cause);
	if (level >= 0) {
		memset(&key, 0, sizeof(key));
		key.id = v->id;
		key.level = level;
		if (r->has_path) {
			key.path = r->path;
			key.path_len = r->path_len;
		}
		key.op = r->op;
		/* a rule or an xattr name is what tells such records apart */
		key.cause = cause ? cause : r->is_policy_rule ? r->rule
							    : r->xattr;
		if (r->has_hash && !r->hash_bad) {
			key.algo = r->algo;
			key.digest = r->digest;
			key.digest_len = r->digest_len;
		}
		if (flood_admit(p->flood, &key, p->record_ms, flood_summary,
				p)) {
			n = alert_format_record(r, v, config_level_name(level),
						line, sizeof(line));
			output_line(level, v->id, line, n);
		}
	}
	free(v);
}

static void on_event(const struct intake_event *ev, void *arg)
{
	struct plugin *p = arg;

	if (decoder_event(p->dec, ev, on_record, p) < 0)
		p->undecodable++;
}

/*
 * report_input_problems - say what bad input was skipped.  Called before
 * every line is taken, so the reports sit at the same place in the output
 * however the input was chunked; a flood is reported at 1, 2, 4, 8...
 */
static void report_skipped(struct plugin *p, unsigned long long total,
			   unsigned long long *reported, const char *reason)
{
	char num[24];

	if (total <= *reported || (*reported != 0 && total < 2 * *reported))
		return;
	snprintf(num, sizeof(num), "%llu", total);
	emit_message(&p->cfg, V_INPUT_ERROR, reason, "skipped_total", num,
		     NULL, NULL);
	*reported = total;
}

static void report_input_problems(struct plugin *p)
{
	struct framing_stats fs;
	struct intake_stats is;

	if (framing_is_binary(p->fr) && !p->binary_reported) {
		p->binary_reported = 1;
		emit_message(&p->cfg, V_INPUT_ERROR,
			     "auditd is sending its binary format; set 'format = string' in the plugin's plugins.d file and restart auditd",
			     NULL, NULL, NULL, NULL);
	}
	framing_get_stats(p->fr, &fs);
	report_skipped(p, fs.overlong, &p->overlong_reported,
		       "over-long input line skipped");
	intake_get_stats(p->in, &is);
	report_skipped(p, is.malformed, &p->malformed_reported,
		       "malformed input line skipped");
}

static void on_line(const char *line, size_t len, void *arg)
{
	struct plugin *p = arg;

	report_input_problems(p);
	intake_line(p->in, line, len, p->now_ms, on_event, p);
}

/* ------------------------------------------------------------ signals */

static void term_handler(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	/*
	 * auditd (our parent) stops us with SIGTERM; systemd's stop signal to
	 * the whole unit must not kill the plugin before auditd closes our
	 * stdin, or the last events are lost.  Ctrl-C in a terminal stops.
	 */
	if (sig == SIGINT || info == NULL || info->si_pid == getppid())
		stop = 1;
	else
		foreign_term_pid = info->si_pid;
}

static void flag_handler(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else if (sig == SIGUSR1)
		usr1 = 1;
}

/* setup_signals - auditd starts plugins with signals ignored or blocked. */
static void setup_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = term_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = flag_handler;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
}

/* ------------------------------------------------------------ main loop */

/*
 * drain - read what stdin has (up to a bound) and push it through.
 * Returns 1 at end of input, 0 otherwise.
 */
static int drain(struct plugin *p, char *buf, int rounds)
{
	ssize_t n;
	int i;

	for (i = 0; i < rounds; i++) {
		n = read(STDIN_FILENO, buf, READ_CHUNK);
		if (n > 0) {
			p->now_ms = monotonic_ms();
			framing_feed(p->fr, buf, (size_t)n, on_line, p);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		emit_message(&p->cfg, V_INPUT_ERROR, strerror(errno),
			     NULL, NULL, NULL, NULL);
		return 1;
	}
	return 0;
}

/* min_timeout - the smaller poll() timeout of a and b (-1 = none). */
static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static int until(uint64_t when, uint64_t now)
{
	return when <= now ? 0 : (int)(when - now);
}

/* timers - what is due now: stats, the database watch, idle flood windows. */
static void timers(struct plugin *p)
{
	if (p->cfg.stats_interval_s && p->now_ms >= p->next_stats) {
		stats_message(p);
		p->next_stats = p->now_ms + p->cfg.stats_interval_s * 1000ULL;
	}
	if (p->now_ms >= p->next_watch) {
		watch_database(p);
		p->next_watch = p->now_ms + DB_WATCH_MS;
	}
	if (p->now_ms >= p->next_flood) {
		/* no records: record time moves on with the wall clock */
		if (flood_pending(p->flood) && p->record_ms)
			flood_advance(p->flood, p->record_ms +
				      (p->now_ms - p->record_seen_at),
				      flood_summary, p);
		p->next_flood = p->now_ms + FLOOD_IDLE_MS;
	}
}

static int run(struct plugin *p)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = loader.pipe[0], .events = POLLIN },
	};
	struct load_result *res;
	char *buf = malloc(READ_CHUNK);
	char num[24];
	int timeout, rc, eof = 0;

	if (buf == NULL)
		return 1;
	/* Non-blocking: timers (event quiet time) run between reads. */
	(void)fcntl(STDIN_FILENO, F_SETFL,
		    fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	p->now_ms = monotonic_ms();
	p->next_stats = p->now_ms + p->cfg.stats_interval_s * 1000ULL;
	p->next_watch = p->now_ms + DB_WATCH_MS;
	p->next_flood = p->now_ms + FLOOD_IDLE_MS;
	while (!stop && !eof) {
		if (hup) {
			hup = 0;
			loader_request(LOAD_FULL);
		}
		if (usr1) {
			usr1 = 0;
			stats_message(p);
		}
		if (foreign_term_pid) {
			snprintf(num, sizeof(num), "%d", (int)foreign_term_pid);
			foreign_term_pid = 0;
			emit_message(&p->cfg, V_INPUT_ERROR,
				     "SIGTERM not from auditd ignored; the plugin exits when auditd closes its input",
				     "sender_pid", num, NULL, NULL);
		}
		p->now_ms = monotonic_ms();
		timers(p);
		timeout = intake_next_deadline_ms(p->in, p->now_ms);
		timeout = min_timeout(timeout, until(p->next_watch, p->now_ms));
		if (p->cfg.stats_interval_s)
			timeout = min_timeout(timeout,
					      until(p->next_stats, p->now_ms));
		if (flood_pending(p->flood))
			timeout = min_timeout(timeout,
					      until(p->next_flood, p->now_ms));
		output_flush();
		rc = poll(pfd, 2, timeout);
		if (rc < 0 && errno != EINTR) {
			emit_message(&p->cfg, V_INPUT_ERROR, strerror(errno),
				     NULL, NULL, NULL, NULL);
			break;
		}
		if (rc > 0 && (pfd[1].revents & POLLIN)) {
			res = loader_take();
			if (res != NULL)
				swap_in(p, res);
		}
		if (rc > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			eof = drain(p, buf, READS_PER_ROUND);
		p->now_ms = monotonic_ms();
		intake_expire(p->in, p->now_ms, on_event, p);
	}
	/*
	 * End of input, or auditd's SIGTERM: take what is already readable,
	 * then hand out every pending event and summary.  Nothing is lost.
	 */
	if (!eof)
		(void)drain(p, buf, INT_MAX);
	framing_finish(p->fr, on_line, p);
	intake_flush(p->in, on_event, p);
	report_input_problems(p);
	flood_flush(p->flood, flood_summary, p);
	free(buf);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: audisp-ima [OPTIONS] [CONFIG]\n"
		"auditd plugin: checks IMA measurements against a reference database\n"
		"and sends alerts to syslog.\n\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --stdout        print the messages instead of calling syslog\n"
		"      --check-config  validate the configuration and databases, then exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       version\n",
		CONFIG_DEFAULT_PATH);
}

/* check_config - `audisp-ima --check-config`: like `sshd -t`. */
static int check_config(const char *path)
{
	struct config cfg, quiet;
	struct dbset d;
	int problems, rc;

	/* Every message goes to stderr through the stdout writer. */
	if (config_init_defaults(&quiet) != 0)
		return 2;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return 2;
	output_start(OUTPUT_STDOUT, LOG_USER, 0, LOG_WARNING);
	problems = load_config(path, &cfg, &quiet);
	rc = load_dbset(&cfg, &quiet, 0, &d) == 0 && problems == 0 ? 0 : 1;
	if (d.base != NULL)
		fprintf(stderr,
			"audisp-ima: database %s: %lld digests, sha256 %s, release %s%" PRIu64 "\n",
			cfg.reference_db, (long long)d.entries, d.sha256,
			d.release ? "" : "unsigned ", d.release);
	fprintf(stderr, "audisp-ima: configuration %s: %s\n", path,
		rc == 0 ? "OK" : "NOT OK");
	dbset_free(&d);
	config_free(&cfg);
	config_free(&quiet);
	output_stop();
	return rc;
}

/* confine - drop what the running plugin does not need; say what failed. */
static void confine(struct plugin *p)
{
	char err[256];

	if (sandbox_drop_privileges(err, sizeof(err)) != 0)
		emit_message(&p->cfg, V_INPUT_ERROR, err, NULL, NULL, NULL,
			     NULL);
	if (p->cfg.seccomp && sandbox_seccomp(err, sizeof(err)) != 0)
		emit_message(&p->cfg, V_INPUT_ERROR, err, NULL, NULL, NULL,
			     NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "stdout", no_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct flood_limits lim;
	struct intake_limits ilim;
	struct config defaults;
	struct plugin p;
	enum output_mode mode = OUTPUT_SYSLOG;
	int c, checking = 0, rc;

	memset(&p, 0, sizeof(p));
	p.config_path = CONFIG_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config_path = optarg;
			break;
		case 's':
			mode = OUTPUT_STDOUT;
			break;
		case 't':
			checking = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("audisp-ima %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* auditd passes the plugins.d "args" value: the config file. */
	if (optind < argc)
		p.config_path = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (checking)
		return check_config(p.config_path);

	setup_signals();
	umask(077);
	if (config_init_defaults(&defaults) != 0)
		return 1;
	output_start(mode, defaults.facility, defaults.queue_size,
		     LOG_WARNING);
	/* A bad line is reported and skipped; monitoring goes on without it. */
	(void)load_config(p.config_path, &p.cfg, &defaults);
	config_free(&defaults);
	output_set_facility(p.cfg.facility,
			    config_level_for(&p.cfg, V_ALERTS_SUPPRESSED, NULL));
	if (load_dbset(&p.cfg, &p.cfg, 0, &p.dbs) == 0) {
		loader.release = p.dbs.release;
		db_loaded_message(&p);
	}
	set_flood_limits(&p.cfg, &lim);
	memset(&ilim, 0, sizeof(ilim));
	ilim.quiet_ms = p.cfg.event_timeout_ms;
	p.fr = framing_new(FRAMING_DEFAULT_MAX_LINE);
	p.in = intake_new(&ilim);
	p.flood = flood_new(&lim);
	p.dec = decoder_new();
	if (p.fr == NULL || p.in == NULL || p.flood == NULL || p.dec == NULL ||
	    loader_start(p.config_path, &p.cfg) != 0) {
		emit_message(&p.cfg, V_INPUT_ERROR, "cannot start: out of memory",
			     NULL, NULL, NULL, NULL);
		output_stop();
		return 1;
	}
	confine(&p);
	rc = run(&p);

	loader_stop();
	output_stop();
	decoder_free(p.dec);
	flood_free(p.flood);
	intake_free(p.in);
	framing_free(p.fr);
	dbset_free(&p.dbs);
	config_free(&p.cfg);
	return rc;
}

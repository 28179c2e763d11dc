/* audisp-ima.c -- the auditd plugin: IMA/EVM records in, severity-tagged alerts out */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
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
#include "framing.h"
#include "intake.h"
#include "output.h"
#include "refdb.h"
#include "verdict.h"

#define READ_CHUNK (64 * 1024)
/* Reads per wake-up before timers get a look in: bounded latency under load. */
#define READS_PER_ROUND 64

static volatile sig_atomic_t stop;
static volatile sig_atomic_t hup;
static volatile sig_atomic_t foreign_term_pid;

/* Everything the running plugin holds; swapped piecewise on reload. */
struct plugin {
	const char *config_path;
	struct config cfg;
	struct refdb *db;
	struct exclude_set *ex;
	struct framing *fr;
	struct intake *in;
	struct decoder *dec;
	uint64_t now_ms;
	int binary_reported;
	unsigned long long overlong_reported;
	unsigned long long malformed_reported;
	unsigned long long undecodable;
	unsigned long long unjudged;
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* emit - send a finished line at level unless the level is off. */
static void emit(int level, const char *line, size_t len)
{
	if (level >= 0)
		output_line(level, line, len);
}

/* emit_message - one of the plugin's own lines: id, severity, reason and extras. */
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
	emit(level, line, n);
}

static void config_problem(const char *file, unsigned long lineno,
			   const char *msg, void *arg)
{
	const struct config *cfg = arg;
	char num[24];

	snprintf(num, sizeof(num), "%lu", lineno);
	emit_message(cfg, V_CONFIG_ERROR, msg, "file", file, "line",
		     lineno ? num : NULL);
}

static void config_problem_stderr(const char *file, unsigned long lineno,
				  const char *msg, void *arg)
{
	(void)arg;
	if (lineno)
		fprintf(stderr, "audisp-ima: %s:%lu: %s\n", file, lineno, msg);
	else
		fprintf(stderr, "audisp-ima: %s: %s\n", file, msg);
}

/*
 * build_excludes - the config's patterns plus the database's, compiled.
 * NULL on allocation failure.
 */
static struct exclude_set *build_excludes(const struct config *cfg,
					  struct refdb *db)
{
	struct exclude_set *ex = exclude_set_new();
	char err[256];
	size_t i;

	if (ex == NULL)
		return NULL;
	for (i = 0; i < cfg->n_excludes; i++)
		(void)exclude_set_add(ex, cfg->excludes[i], err, sizeof(err));
	if (db != NULL)
		(void)exclude_set_add_db(ex, db);
	return ex;
}

/* ------------------------------------------------------------ the pipeline */

static void on_record(const struct ima_record *r, void *arg)
{
	struct plugin *p = arg;
	char line[ALERT_MAX_LINE + 1];
	struct verdict *v;
	const char *cause;
	size_t n;
	int level;

	v = malloc(sizeof(*v));
	if (v == NULL)
		return;
	(void)verdict_for_record(r, p->db, p->ex, v);
	if (!v->judged) {
		/* Measurements with no database to judge them by (said once). */
		p->unjudged++;
		free(v);
		return;
	}
	cause = r->cause[0] ? r->cause : v->note;
	level = config_level_for(&p->cfg, v->id, cause);
	if (level >= 0) {
		n = alert_format_record(r, v, config_level_name(level), line,
					sizeof(line));
		emit(level, line, n);
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
static void report_input_problems(struct plugin *p)
{
	struct framing_stats fs;
	struct intake_stats is;
	char num[24];

	if (framing_is_binary(p->fr) && !p->binary_reported) {
		p->binary_reported = 1;
		emit_message(&p->cfg, V_INPUT_ERROR,
			     "auditd is sending its binary format; set 'format = string' in the plugin's plugins.d file and restart auditd",
			     NULL, NULL, NULL, NULL);
	}
	framing_get_stats(p->fr, &fs);
	if (fs.overlong > p->overlong_reported &&
	    (p->overlong_reported == 0 ||
	     fs.overlong >= 2 * p->overlong_reported)) {
		snprintf(num, sizeof(num), "%llu", fs.overlong);
		emit_message(&p->cfg, V_INPUT_ERROR,
			     "over-long input line skipped", "skipped_total",
			     num, NULL, NULL);
		p->overlong_reported = fs.overlong;
	}
	intake_get_stats(p->in, &is);
	if (is.malformed > p->malformed_reported) {
		if (p->malformed_reported == 0 ||
		    is.malformed >= 2 * p->malformed_reported) {
			snprintf(num, sizeof(num), "%llu", is.malformed);
			emit_message(&p->cfg, V_INPUT_ERROR,
				     "malformed input line skipped",
				     "skipped_total", num, NULL, NULL);
			p->malformed_reported = is.malformed;
		}
	}
}

static void on_line(const char *line, size_t len, void *arg)
{
	struct plugin *p = arg;

	report_input_problems(p);
	intake_line(p->in, line, len, p->now_ms, on_event, p);
}

/* ------------------------------------------------------------ set-up and reload */

/*
 * open_database - open cfg's reference database.  On failure reports
 * db_unavailable with the reason (when report is set) and returns NULL.
 */
static struct refdb *open_database(const struct config *cfg, int report)
{
	struct refdb *db = NULL;
	char err[512];

	if (refdb_open_readonly(cfg->reference_db, &db, err, sizeof(err)) != 0) {
		if (report)
			emit_message(cfg, V_DB_UNAVAILABLE,
				     "measurements are not checked until a database is available",
				     "db", cfg->reference_db, "error", err);
		return NULL;
	}
	return db;
}

/*
 * reload - SIGHUP: read the config and open the database into new objects;
 * swap only what loaded cleanly, so a broken file never disarms the plugin.
 */
static void reload(struct plugin *p)
{
	struct config fresh;
	struct refdb *db;
	struct exclude_set *ex;
	int problems;

	if (config_init_defaults(&fresh) != 0)
		return;
	problems = config_load(p->config_path, &fresh, config_problem,
			       &p->cfg);
	if (problems != 0) {
		emit_message(&p->cfg, V_CONFIG_ERROR,
			     "configuration not reloaded; the running one stays in force",
			     "file", p->config_path, NULL, NULL);
		config_free(&fresh);
		return;
	}
	db = open_database(&fresh, 1);
	ex = build_excludes(&fresh, db ? db : p->db);
	if (ex == NULL) {
		refdb_close(db);
		config_free(&fresh);
		return;
	}
	if (db != NULL) {
		refdb_close(p->db);
		p->db = db;
		emit_message(&fresh, V_DB_RELOADED, NULL, "db",
			     fresh.reference_db, NULL, NULL);
	}
	exclude_set_free(p->ex);
	p->ex = ex;
	config_free(&p->cfg);
	p->cfg = fresh;
	output_set_facility(p->cfg.facility);
}

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

static void hup_handler(int sig)
{
	(void)sig;
	hup = 1;
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
	sa.sa_handler = hup_handler;
	sigaction(SIGHUP, &sa, NULL);

	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

/* ------------------------------------------------------------ main loop */

/*
 * drain - read what stdin has (up to a bound) and push it through.
 * Returns 1 at end of input, 0 otherwise.
 */
static int drain(struct plugin *p, char *buf)
{
	ssize_t n;
	int i;

	for (i = 0; i < READS_PER_ROUND; i++) {
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

static int run(struct plugin *p)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char *buf = malloc(READ_CHUNK);
	char num[24];
	int timeout, rc, eof = 0;

	if (buf == NULL)
		return 1;
	/* Non-blocking: timers (event quiet time) run between reads. */
	(void)fcntl(STDIN_FILENO, F_SETFL,
		    fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	while (!stop && !eof) {
		if (hup) {
			hup = 0;
			reload(p);
		}
		if (foreign_term_pid) {
			snprintf(num, sizeof(num), "%d", (int)foreign_term_pid);
			foreign_term_pid = 0;
			emit_message(&p->cfg, V_INPUT_ERROR,
				     "SIGTERM not from auditd ignored; the plugin exits when auditd closes its input",
				     "sender_pid", num, NULL, NULL);
		}
		p->now_ms = monotonic_ms();
		timeout = intake_next_deadline_ms(p->in, p->now_ms);
		output_flush();
		rc = poll(&pfd, 1, timeout);
		if (rc < 0 && errno != EINTR) {
			emit_message(&p->cfg, V_INPUT_ERROR, strerror(errno),
				     NULL, NULL, NULL, NULL);
			break;
		}
		if (rc > 0)
			eof = drain(p, buf);
		p->now_ms = monotonic_ms();
		intake_expire(p->in, p->now_ms, on_event, p);
	}
	/* End of input or auditd's SIGTERM: nothing pending is lost. */
	framing_finish(p->fr, on_line, p);
	intake_flush(p->in, on_event, p);
	report_input_problems(p);
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
		"      --check-config  validate the configuration and database, then exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       version\n",
		CONFIG_DEFAULT_PATH);
}

/* check_config - `audisp-ima --check-config`: like `sshd -t`. */
static int check_config(const char *path)
{
	struct config cfg;
	struct refdb *db = NULL;
	struct refdb_info info;
	char err[512];
	int problems, rc = 0;

	if (config_init_defaults(&cfg) != 0)
		return 2;
	problems = config_load(path, &cfg, config_problem_stderr, NULL);
	if (problems != 0)
		rc = 1;
	if (refdb_open_readonly(cfg.reference_db, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "audisp-ima: %s\n", err);
		rc = 1;
	} else if (refdb_get_info(db, &info) == 0) {
		printf("database %s: %lld paths, %lld digests (%s)\n",
		       cfg.reference_db, (long long)info.paths,
		       (long long)info.digests, info.algos);
	}
	refdb_close(db);
	if (rc == 0)
		printf("configuration %s: OK\n", path);
	config_free(&cfg);
	return rc;
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
	if (config_init_defaults(&p.cfg) != 0)
		return 1;
	output_open(mode, p.cfg.facility);
	/* A bad line is reported and skipped; monitoring goes on without it. */
	(void)config_load(p.config_path, &p.cfg, config_problem, &p.cfg);
	output_set_facility(p.cfg.facility);
	p.db = open_database(&p.cfg, 1);
	p.ex = build_excludes(&p.cfg, p.db);
	{
		struct intake_limits lim = { .quiet_ms = p.cfg.event_timeout_ms };

		p.fr = framing_new(FRAMING_DEFAULT_MAX_LINE);
		p.in = intake_new(&lim);
	}
	p.dec = decoder_new();
	if (p.ex == NULL || p.fr == NULL || p.in == NULL || p.dec == NULL) {
		emit_message(&p.cfg, V_INPUT_ERROR, "out of memory at start",
			     NULL, NULL, NULL, NULL);
		return 1;
	}
	rc = run(&p);

	decoder_free(p.dec);
	intake_free(p.in);
	framing_free(p.fr);
	exclude_set_free(p.ex);
	refdb_close(p.db);
	output_close();
	config_free(&p.cfg);
	return rc;
}

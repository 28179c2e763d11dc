/* config.c -- the plugin's settings: /etc/audit/audisp-ima.conf */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"

#define CONFIG_MAX_LINE 4096
#define DEFAULT_EVENT_QUIET_MS 250
#define MAX_EVENT_QUIET_MS 10000
#define DEFAULT_DEDUP_WINDOW_S 60
#define DEFAULT_STATS_INTERVAL_S 3600
#define DEFAULT_QUEUE_SIZE 1024
/*
 * journald lets one unit log 10,000 messages in 30 s (auditd's unit, which
 * the plugin shares); 1000 per level below crit stays well inside it.
 */
#define DEFAULT_RATE_LIMIT 1000
#define DEFAULT_RATE_PERIOD_S 30

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

static const struct {
	const char *name;
	int facility;
} facility_names[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *config_level_name(int level)
{
	size_t i;

	for (i = 0; i < N_ELEMS(level_names); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "off";
}

int config_parse_level(const char *s)
{
	size_t i;

	if (strncasecmp(s, "LOG_", 4) == 0)
		s += 4;
	if (strcasecmp(s, "off") == 0)
		return -1;
	for (i = 0; i < N_ELEMS(level_names); i++)
		if (strcasecmp(s, level_names[i].name) == 0)
			return level_names[i].level;
	return -2;
}

static int parse_facility(const char *s)
{
	size_t i;

	if (strncasecmp(s, "LOG_", 4) == 0)
		s += 4;
	for (i = 0; i < N_ELEMS(facility_names); i++)
		if (strcasecmp(s, facility_names[i].name) == 0)
			return facility_names[i].facility;
	return -1;
}

int config_init_defaults(struct config *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->reference_db = strdup(CONFIG_DEFAULT_DB);
	if (c->reference_db == NULL)
		return -1;
	/* auth.log on Debian, secure on RHEL: where security events are read. */
	c->facility = LOG_AUTHPRIV;
	for (i = 0; i < V_COUNT; i++)
		c->level[i] = verdict_default_level((enum verdict_id)i);
	c->event_timeout_ms = DEFAULT_EVENT_QUIET_MS;
	c->dedup_window_s = DEFAULT_DEDUP_WINDOW_S;
	for (i = LOG_ERR; i <= LOG_DEBUG; i++) {
		c->rate[i].limit = DEFAULT_RATE_LIMIT;
		c->rate[i].period_s = DEFAULT_RATE_PERIOD_S;
	}
	c->stats_interval_s = DEFAULT_STATS_INTERVAL_S;
	c->queue_size = DEFAULT_QUEUE_SIZE;
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * XXX: sanitizer builds (tests only) default to no filter: their
	 * runtimes make system calls of their own at exit (LeakSanitizer's
	 * thread scan) that the filter refuses.
	 */
	c->seccomp = 0;
#else
	c->seccomp = 1;
#endif
	return 0;
}

void config_free(struct config *c)
{
	size_t i;

	free(c->reference_db);
	free(c->local_db);
	free(c->verify_key);
	for (i = 0; i < c->n_causes; i++)
		free(c->causes[i].cause);
	free(c->causes);
	for (i = 0; i < c->n_excludes; i++)
		free(c->excludes[i]);
	free(c->excludes);
	memset(c, 0, sizeof(*c));
}

struct loader {
	const char *path;
	unsigned long line;
	config_error_fn err;
	void *arg;
	int problems;
};

static void report(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(struct loader *ld, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->problems++;
	if (ld->err)
		ld->err(ld->path, ld->line, msg, ld->arg);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int set_cause_level(struct config *c, enum verdict_id id,
			   const char *cause, int level)
{
	struct config_cause_level *grown;
	size_t i;

	for (i = 0; i < c->n_causes; i++) {
		if (c->causes[i].id == id &&
		    strcmp(c->causes[i].cause, cause) == 0) {
			c->causes[i].level = level;
			return 0;
		}
	}
	grown = realloc(c->causes, (c->n_causes + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->causes = grown;
	grown[c->n_causes].cause = strdup(cause);
	if (grown[c->n_causes].cause == NULL)
		return -1;
	grown[c->n_causes].id = id;
	grown[c->n_causes].level = level;
	c->n_causes++;
	return 0;
}

static int add_exclude(struct config *c, const char *pattern)
{
	char **grown = realloc(c->excludes,
			       (c->n_excludes + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	c->excludes = grown;
	grown[c->n_excludes] = strdup(pattern);
	if (grown[c->n_excludes] == NULL)
		return -1;
	c->n_excludes++;
	return 0;
}

/* parse_uint - a whole decimal number in [lo, hi]; -1 when it is not. */
static int parse_uint(const char *val, unsigned long lo, unsigned long hi,
		      unsigned *out)
{
	unsigned long n;
	char *end;

	if (val[0] < '0' || val[0] > '9')
		return -1;
	errno = 0;
	n = strtoul(val, &end, 10);
	if (errno || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* parse_bool - yes/no (also true/false, on/off, 1/0); -1 when neither. */
static int parse_bool(const char *val)
{
	if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") ||
	    !strcasecmp(val, "on") || !strcmp(val, "1"))
		return 1;
	if (!strcasecmp(val, "no") || !strcasecmp(val, "false") ||
	    !strcasecmp(val, "off") || !strcmp(val, "0"))
		return 0;
	return -1;
}

/* parse_rate - "N/SECONDS" (N alerts per SECONDS) or "off". */
static int parse_rate(const char *val, struct config_rate *r)
{
	char num[32], *slash;

	if (strcasecmp(val, "off") == 0) {
		r->limit = 0;
		r->period_s = DEFAULT_RATE_PERIOD_S;
		return 0;
	}
	if (strlen(val) >= sizeof(num))
		return -1;
	strcpy(num, val);
	slash = strchr(num, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if (parse_uint(trim(num), 1, 1000000, &r->limit) != 0 ||
	    parse_uint(trim(slash + 1), 1, 86400, &r->period_s) != 0)
		return -1;
	return 0;
}

/* set_path - an absolute path setting; "" frees it when allow_none. */
static int set_path(struct loader *ld, char **slot, const char *key,
		    const char *val)
{
	char *copy;

	if (val[0] != '/') {
		report(ld, "%s must be an absolute path, not '%s'", key, val);
		return -1;
	}
	copy = strdup(val);
	if (copy == NULL) {
		report(ld, "out of memory");
		return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/* The settings that are a whole number in a range. */
struct number_key {
	const char *name;
	size_t offset;		/* of an unsigned in struct config */
	unsigned long lo, hi;
	const char *unit;
};

static const struct number_key number_keys[] = {
	{ "dedup_window", offsetof(struct config, dedup_window_s), 0, 86400,
	  " seconds" },
	{ "stats_interval", offsetof(struct config, stats_interval_s), 0,
	  604800, " seconds" },
	{ "queue_size", offsetof(struct config, queue_size), 16, 1000000, "" },
};

/* apply - one "key = value" pair; reports and returns -1 when it is bad. */
static int apply(struct loader *ld, struct config *c, const char *key,
		 const char *val)
{
	const char *dot;
	char err[256];
	char *end;
	unsigned long n;
	size_t i;
	int id, level;

	if (strcmp(key, "reference_db") == 0)
		return set_path(ld, &c->reference_db, key, val);
	if (strcmp(key, "local_db") == 0)
		return set_path(ld, &c->local_db, key, val);
	if (strcmp(key, "verify_key") == 0)
		return set_path(ld, &c->verify_key, key, val);
	if (strcmp(key, "require_signature") == 0 ||
	    strcmp(key, "seccomp") == 0) {
		int b = parse_bool(val);

		if (b < 0) {
			report(ld, "%s must be yes or no, not '%s'", key, val);
			return -1;
		}
		if (key[0] == 'r')
			c->require_signature = b;
		else
			c->seccomp = b;
		return 0;
	}
	for (i = 0; i < N_ELEMS(number_keys); i++) {
		const struct number_key *nk = &number_keys[i];
		unsigned *slot = (unsigned *)((char *)c + nk->offset);

		if (strcmp(key, nk->name) != 0)
			continue;
		if (parse_uint(val, nk->lo, nk->hi, slot) != 0) {
			report(ld, "%s must be %lu..%lu%s, not '%s'", key,
			       nk->lo, nk->hi, nk->unit, val);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "rate_limit") == 0 ||
	    strncmp(key, "rate_limit.", 11) == 0) {
		struct config_rate r;
		int lv = -1, l;

		if (key[10] == '.') {
			lv = config_parse_level(key + 11);
			if (lv < 0 || lv <= LOG_CRIT) {
				report(ld, "'%s': only err, warning, notice, info and debug can be limited",
				       key);
				return -1;
			}
		}
		if (parse_rate(val, &r) != 0) {
			report(ld, "%s must be COUNT/SECONDS (e.g. 1000/30) or off, not '%s'",
			       key, val);
			return -1;
		}
		for (l = LOG_ERR; l <= LOG_DEBUG; l++)
			if (lv < 0 || lv == l)
				c->rate[l] = r;
		return 0;
	}
	if (strcmp(key, "facility") == 0) {
		int f = parse_facility(val);

		if (f < 0) {
			report(ld, "unknown facility '%s' (use auth, authpriv, daemon, user or local0..local7)",
			       val);
			return -1;
		}
		c->facility = f;
		return 0;
	}
	if (strcmp(key, "exclude") == 0) {
		struct exclude_set *ex = exclude_set_new();
		int bad;

		if (ex == NULL)
			goto nomem;
		bad = exclude_set_add(ex, val, err, sizeof(err));
		exclude_set_free(ex);
		if (bad) {
			report(ld, "%s", err);
			return -1;
		}
		if (add_exclude(c, val) != 0)
			goto nomem;
		return 0;
	}
	if (strcmp(key, "event_timeout") == 0) {
		errno = 0;
		n = strtoul(val, &end, 10);
		if (errno || end == val || (*end && strcmp(end, "ms") != 0) ||
		    n < 1 || n > MAX_EVENT_QUIET_MS || val[0] == '-') {
			report(ld, "event_timeout must be 1..%d milliseconds, not '%s'",
			       MAX_EVENT_QUIET_MS, val);
			return -1;
		}
		c->event_timeout_ms = (unsigned)n;
		return 0;
	}

	/* A verdict id, or "<id>.<cause>", set to a syslog level or off. */
	dot = strchr(key, '.');
	id = verdict_from_name(key, dot ? (size_t)(dot - key) : strlen(key));
	if (id < 0) {
		report(ld, "unknown key '%s'", key);
		return -1;
	}
	level = config_parse_level(val);
	if (level == -2) {
		report(ld, "'%s' is not a severity (emerg, alert, crit, err, warning, notice, info, debug or off)",
		       val);
		return -1;
	}
	if (dot == NULL) {
		c->level[id] = level;
		return 0;
	}
	if (dot[1] == '\0') {
		report(ld, "'%s' names no cause after the '.'", key);
		return -1;
	}
	if (set_cause_level(c, (enum verdict_id)id, dot + 1, level) != 0)
		goto nomem;
	return 0;
nomem:
	report(ld, "out of memory");
	return -1;
}

int config_load(const char *path, struct config *c, config_error_fn err,
		void *arg)
{
	struct loader ld = { path, 0, err, arg, 0 };
	char buf[CONFIG_MAX_LINE + 2];
	char *line, *eq, *key, *val;
	size_t len;
	FILE *f;
	int skipping = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		report(&ld, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		len = strlen(buf);
		if (skipping) {
			/* the rest of an over-long line */
			if (len && buf[len - 1] == '\n')
				skipping = 0;
			continue;
		}
		ld.line++;
		if (len && buf[len - 1] == '\n') {
			buf[--len] = '\0';
		} else if (!feof(f)) {
			report(&ld, "line longer than %d bytes skipped",
			       CONFIG_MAX_LINE);
			skipping = 1;
			continue;
		}
		if (memchr(buf, '\0', len) != NULL || strlen(buf) != len) {
			report(&ld, "NUL byte in line");
			continue;
		}
		line = trim(buf);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			report(&ld, "expected 'key = value', got '%s'", line);
			continue;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (key[0] == '\0') {
			report(&ld, "missing key before '='");
			continue;
		}
		if (val[0] == '\0') {
			report(&ld, "missing value for '%s'", key);
			continue;
		}
		apply(&ld, c, key, val);
	}
	if (ferror(f)) {
		ld.line = 0;
		report(&ld, "read error: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return ld.problems;
}

int config_level_for(const struct config *c, enum verdict_id id,
		     const char *cause)
{
	size_t i;

	if ((unsigned)id >= V_COUNT)
		return LOG_WARNING;
	if (cause != NULL && cause[0] != '\0') {
		for (i = 0; i < c->n_causes; i++)
			if (c->causes[i].id == id &&
			    strcmp(c->causes[i].cause, cause) == 0)
				return c->causes[i].level;
	}
	return c->level[id];
}

int config_peek_key(const char *path, const char *key, char *out,
		    size_t cap)
{
	char buf[CONFIG_MAX_LINE + 2];
	char *line, *eq, *val;
	FILE *f;
	int found = 0;

	if (path == NULL || key == NULL || out == NULL || cap == 0)
		return 0;
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		line = trim(buf);
		if (line[0] == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(line), key) != 0)
			continue;
		val = trim(eq + 1);
		if (val[0] == '/' && strlen(val) < cap) {
			memcpy(out, val, strlen(val) + 1);
			found = 1;	/* the last one wins, as in config_load */
		}
	}
	fclose(f);
	return found;
}

int config_peek_reference_db(const char *path, char *out, size_t cap)
{
	return config_peek_key(path, "reference_db", out, cap);
}

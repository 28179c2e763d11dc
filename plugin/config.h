/* config.h -- the plugin's settings: /etc/audit/audisp-ima.conf */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "verdict.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/audit/audisp-ima.conf"
#define CONFIG_DEFAULT_DB LOCALSTATEDIR "/lib/audisp-ima/refdb.sqlite"

/* A severity for one cause of one verdict ("appraise_failed.missing-hash = notice"). */
struct config_cause_level {
	enum verdict_id id;
	char *cause;
	int level;		/* LOG_* or -1 for off */
};

struct config_rate {
	unsigned limit;		/* alerts per period; 0 = off (no limit) */
	unsigned period_s;
};

struct config {
	char *reference_db;	/* path of the reference database */
	char *local_db;		/* this host's own updates, or NULL */
	char *verify_key;	/* public key the database must be signed with, or NULL */
	int require_signature;	/* refuse an unsigned database */
	int facility;		/* LOG_* facility */
	int level[V_COUNT];	/* LOG_* per verdict id, -1 = off */
	struct config_cause_level *causes;
	size_t n_causes;
	char **excludes;	/* patterns from "exclude = REGEX" lines */
	size_t n_excludes;
	unsigned event_timeout_ms; /* quiet time that completes an event without EOE */
	unsigned dedup_window_s;   /* repeats of a finding within it are summarised; 0 = off */
	struct config_rate rate[8]; /* per syslog level; crit and above are never limited */
	unsigned stats_interval_s; /* heartbeat stats line; 0 = off */
	unsigned queue_size;	   /* alerts waiting for syslog */
	int seccomp;		   /* confine system calls after start-up */
};

/*
 * Errors are reported through this callback, one per problem: the file,
 * the 1-based line (0 when the problem is the file as a whole) and what
 * is wrong.
 */
typedef void (*config_error_fn)(const char *file, unsigned long line,
				const char *msg, void *arg);

/* config_init_defaults - fill *c with DESIGN.md's defaults (allocates). */
int config_init_defaults(struct config *c);

/* config_free - release what *c holds (c itself is the caller's). */
void config_free(struct config *c);

/*
 * config_load - read path into *c (which must hold defaults or an earlier
 * load).  Every line is "key = value" (spaces around '=' optional), '#'
 * starts a comment line.  Unknown keys, bad values and lines without '='
 * are reported through err (with file and line) and skipped; the rest of
 * the file still applies.  Returns the number of problems found (0 = clean),
 * or -1 when the file cannot be opened or read (err says why; *c keeps its
 * earlier values).
 */
int config_load(const char *path, struct config *c, config_error_fn err,
		void *arg);

/*
 * config_level_for - the syslog level for verdict id with this cause (NULL
 * when the record has none): a "<id>.<cause>" override wins over the id's
 * own level.  -1 means off.
 */
int config_level_for(const struct config *c, enum verdict_id id,
		     const char *cause);

/*
 * config_peek_reference_db - the reference_db value of the config file at
 * path, without judging the rest of it: for ima-refdb's default --db.
 * Returns 1 and fills out when the file sets it, 0 when it does not or
 * cannot be read.
 */
int config_peek_reference_db(const char *path, char *out, size_t cap);

/*
 * config_peek_key - the value of key (an absolute path, such as local_db
 * or verify_key) in the config file at path, for ima-refdb: 1 with the
 * last such value copied into out, 0 when absent, unreadable, not
 * absolute or longer than cap-1.
 */
int config_peek_key(const char *path, const char *key, char *out,
		    size_t cap);

/* config_level_name - "crit" for LOG_CRIT, "off" for -1. */
const char *config_level_name(int level);

/* config_parse_level - LOG_* for "emerg".."debug", -1 for "off", -2 if neither. */
int config_parse_level(const char *s);

#endif

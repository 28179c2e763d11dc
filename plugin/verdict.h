/* verdict.h -- judge one decoded INTEGRITY record: which verdict id applies */
#ifndef VERDICT_H
#define VERDICT_H

#include <stddef.h>

#include "decode.h"

struct refdb;
struct exclude_set;

/*
 * The verdict ids of DESIGN.md.  Each is also the config key that sets its
 * severity.  The order of the first block is the precedence for a
 * measurement; the numbers are internal (names are the contract).
 */
enum verdict_id {
	V_KNOWN_BAD = 0,
	V_HASH_MISMATCH,
	V_ALGO_UNAVAILABLE,
	V_KNOWN_ELSEWHERE,
	V_UNKNOWN_FILE,
	V_MEMFD_EXEC,
	V_APPRAISE_FAILED,
	V_EVM_FAILED,
	V_MEASURE_VIOLATION,
	V_IMA_ERROR,
	V_POLICY_CHANGE,
	V_POLICY_REJECTED,
	V_POLICY_RULE,
	V_XATTR_CHANGE,
	V_UNKNOWN_RECORD,
	V_MEASURED,
	V_MATCH,
	V_EXCLUDED,
	/* the plugin's own */
	V_DB_UNAVAILABLE,
	V_DB_REJECTED,
	V_DB_RELOADED,
	V_ALERTS_SUPPRESSED,
	V_STATS,
	V_CONFIG_ERROR,
	V_INPUT_ERROR,
	V_COUNT
};

/* verdict_name - the stable id string ("hash_mismatch"). */
const char *verdict_name(enum verdict_id id);

/* verdict_from_name - the id for a name, or -1. */
int verdict_from_name(const char *name, size_t len);

/* verdict_default_level - the default syslog level (LOG_*), or -1 for off. */
int verdict_default_level(enum verdict_id id);

/* What a measurement's lookup found, for the alert line. */
#define VERDICT_MAX_PATH 4096
struct verdict {
	enum verdict_id id;
	int judged;		/* 1: the record deserves an alert line */
	char known_as[VERDICT_MAX_PATH]; /* another path with this digest, or "" */
	char expected[512];	/* "sha256:HEX[,sha256:HEX]" for hash_mismatch, or "" */
	const char *note;	/* why, when a measurement was not judged: "zero-digest", ... */
};

/*
 * The databases a measurement is judged against: the base (reference_db)
 * and this host's own layer (local_db), either may be NULL.  A digest is
 * accepted when either layer accepts it for the path; a path, a digest or
 * a deny-list entry is known when either layer knows it.
 */
struct verdict_dbs {
	struct refdb *base;
	struct refdb *local;
};

/*
 * verdict_for_record - classify r.  With no database at all (both NULL),
 * measurements are not judged (v->judged = 0, v->note = "no-database")
 * while appraisal, EVM, violation and policy records still are.  ex holds
 * the exclude patterns (config and database), may be NULL.  Returns 0, or
 * a negative REFDB_E_* when a database lookup failed (then v->judged = 0
 * and v->note = "lookup-failed": the caller reports it).
 *
 * Files that are not what their name says are judged by content only:
 * a deleted or renamed-over file (" (deleted)") never gets hash_mismatch
 * (the name now belongs to another file: match, known_elsewhere or
 * unknown_file instead), and code run from a memfd ("memfd:NAME", the
 * classic fileless trick) whose content is not known-good is memfd_exec.
 */
int verdict_for_record(const struct ima_record *r,
		       const struct verdict_dbs *dbs,
		       const struct exclude_set *ex, struct verdict *v);

/* ------------------------------------------------------------ excludes */

/*
 * A compiled set of exclude patterns: PCRE2, anchored at the start of the
 * path (Keylime's semantics: match at the start, not a full match).
 */
struct exclude_set *exclude_set_new(void);
void exclude_set_free(struct exclude_set *ex);

/*
 * exclude_set_add - compile and add one pattern.  Returns 0, or -1 with a
 * message ("missing ) at offset 4") in err.
 */
int exclude_set_add(struct exclude_set *ex, const char *pattern, char *err,
		    size_t errlen);

/* exclude_set_match - 1 when some pattern matches path at its start. */
int exclude_set_match(const struct exclude_set *ex, const char *path,
		      size_t len);

/*
 * exclude_set_add_db - add the patterns recorded in the database (by
 * ima-refdb build --exclude).  A pattern that does not compile is skipped.
 * Returns the number added, or a negative REFDB_E_* code.
 */
int exclude_set_add_db(struct exclude_set *ex, struct refdb *db);

/* exclude_set_count - patterns held. */
size_t exclude_set_count(const struct exclude_set *ex);

#endif

/* verdict.c -- judge one decoded INTEGRITY record: which verdict id applies */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "refdb.h"
#include "verdict.h"

struct verdict_def {
	const char *name;
	int level;		/* default LOG_*, -1 = off */
};

/* Names and default severities: DESIGN.md's verdict table. */
static const struct verdict_def verdicts[V_COUNT] = {
	[V_KNOWN_BAD]		= { "known_bad", LOG_ALERT },
	[V_HASH_MISMATCH]	= { "hash_mismatch", LOG_CRIT },
	[V_ALGO_UNAVAILABLE]	= { "algo_unavailable", LOG_WARNING },
	[V_KNOWN_ELSEWHERE]	= { "known_elsewhere", LOG_NOTICE },
	[V_UNKNOWN_FILE]	= { "unknown_file", LOG_WARNING },
	[V_MEMFD_EXEC]		= { "memfd_exec", LOG_ALERT },
	[V_APPRAISE_FAILED]	= { "appraise_failed", LOG_ALERT },
	[V_EVM_FAILED]		= { "evm_failed", LOG_ALERT },
	[V_MEASURE_VIOLATION]	= { "measure_violation", LOG_WARNING },
	[V_IMA_ERROR]		= { "ima_error", LOG_ERR },
	[V_POLICY_CHANGE]	= { "policy_change", LOG_NOTICE },
	[V_POLICY_REJECTED]	= { "policy_rejected", LOG_WARNING },
	[V_POLICY_RULE]		= { "policy_rule", LOG_INFO },
	[V_XATTR_CHANGE]	= { "xattr_change", LOG_NOTICE },
	[V_UNKNOWN_RECORD]	= { "unknown_record", LOG_WARNING },
	[V_MEASURED]		= { "measured", -1 },
	[V_MATCH]		= { "match", -1 },
	[V_EXCLUDED]		= { "excluded", -1 },
	[V_DB_UNAVAILABLE]	= { "db_unavailable", LOG_ERR },
	[V_DB_REJECTED]		= { "db_rejected", LOG_ALERT },
	[V_DB_RELOADED]		= { "db_reloaded", LOG_INFO },
	[V_ALERTS_SUPPRESSED]	= { "alerts_suppressed", LOG_WARNING },
	[V_STATS]		= { "stats", LOG_INFO },
	[V_CONFIG_ERROR]	= { "config_error", LOG_ERR },
	[V_INPUT_ERROR]		= { "input_error", LOG_ERR },
};

const char *verdict_name(enum verdict_id id)
{
	if ((unsigned)id >= V_COUNT)
		return "unknown_record";
	return verdicts[id].name;
}

int verdict_from_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < V_COUNT; i++) {
		if (strlen(verdicts[i].name) == len &&
		    memcmp(verdicts[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

int verdict_default_level(enum verdict_id id)
{
	if ((unsigned)id >= V_COUNT)
		return LOG_WARNING;
	return verdicts[id].level;
}

/* ------------------------------------------------------------ excludes */

struct exclude_set {
	pcre2_code **codes;
	size_t n;
	pcre2_match_data *md;
};

struct exclude_set *exclude_set_new(void)
{
	return calloc(1, sizeof(struct exclude_set));
}

void exclude_set_free(struct exclude_set *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->n; i++)
		pcre2_code_free(ex->codes[i]);
	free(ex->codes);
	pcre2_match_data_free(ex->md);
	free(ex);
}

int exclude_set_add(struct exclude_set *ex, const char *pattern, char *err,
		    size_t errlen)
{
	pcre2_code *code, **grown;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	int rc;

	/* Keylime's excludes match at the start of the path, not the whole. */
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_ANCHORED, &rc, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(err, errlen, "bad exclude pattern '%s': %s at offset %zu",
			 pattern, (char *)msg, (size_t)off);
		return -1;
	}
	/* JIT is a speed-up only; without it matching still works. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	grown = realloc(ex->codes, (ex->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		pcre2_code_free(code);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ex->codes = grown;
	ex->codes[ex->n++] = code;
	if (ex->md == NULL)
		ex->md = pcre2_match_data_create(4, NULL);
	if (ex->md == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int exclude_set_match(const struct exclude_set *ex, const char *path,
		      size_t len)
{
	size_t i;

	if (ex == NULL || ex->md == NULL)
		return 0;
	for (i = 0; i < ex->n; i++) {
		if (pcre2_match(ex->codes[i], (PCRE2_SPTR)path, len, 0, 0,
				ex->md, NULL) >= 0)
			return 1;
	}
	return 0;
}

static int add_db_pattern(const char *pattern, void *arg)
{
	struct exclude_set *ex = arg;
	char err[256];

	/* The writer checked it; one that no longer compiles loses only itself. */
	(void)exclude_set_add(ex, pattern, err, sizeof(err));
	return 0;
}

int exclude_set_add_db(struct exclude_set *ex, struct refdb *db)
{
	size_t before = ex->n;
	int rc = refdb_foreach_exclude(db, add_db_pattern, ex);

	return rc < 0 ? rc : (int)(ex->n - before);
}

size_t exclude_set_count(const struct exclude_set *ex)
{
	return ex == NULL ? 0 : ex->n;
}

/* ------------------------------------------------------------ classifying */

static int streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Appraisal causes that are EVM's verdict on the metadata, not IMA's. */
static int cause_is_evm(const char *cause)
{
	return streq(cause, "missing-HMAC") || streq(cause, "invalid-HMAC") ||
	       streq(cause, "invalid-fail-immutable");
}

/* INTEGRITY_DATA and INTEGRITY_USERSPACE (same body), by op. */
static enum verdict_id classify_data(const struct ima_record *r)
{
	if (streq(r->op, "appraise_data"))
		return cause_is_evm(r->cause) ? V_EVM_FAILED : V_APPRAISE_FAILED;
	if (streq(r->op, "collect_data") || streq(r->op, "mmap_file") ||
	    streq(r->op, "set_data"))
		return V_IMA_ERROR;
	return V_UNKNOWN_RECORD;
}

static enum verdict_id classify_status(const struct ima_record *r)
{
	if (streq(r->op, "policy_update")) {
		if (streq(r->cause, "completed"))
			return V_POLICY_CHANGE;
		return V_POLICY_REJECTED;	/* failed, signed policy required */
	}
	if (streq(r->op, "update_policy"))
		return V_POLICY_REJECTED;	/* invalid-policy, -ENOMEM */
	return V_UNKNOWN_RECORD;
}

static enum verdict_id classify_pcr(const struct ima_record *r)
{
	if (streq(r->op, "invalid_pcr"))
		return V_MEASURE_VIOLATION;
	if (streq(r->op, "add_template_measure")) {
		if (streq(r->cause, "hash_added") ||
		    streq(r->cause, "hash_exists"))
			return V_MEASURED;
		return V_IMA_ERROR;	/* ENOMEM, hashing_error, TPM_error(N) */
	}
	if (streq(r->op, "add_boot_aggregate") ||
	    strncmp(r->op, "measuring_", 10) == 0)
		return V_IMA_ERROR;
	return V_UNKNOWN_RECORD;
}

static void format_expected(const struct refdb_path_result *res,
			    const char *algo, char *out, size_t cap)
{
	char hex[2 * HASHALGO_MAX_DIGEST + 1];
	size_t used = 0, i;
	int n;

	out[0] = '\0';
	for (i = 0; i < res->n_expected; i++) {
		hashalgo_hex_encode(res->expected[i], res->expected_len, hex);
		n = snprintf(out + used, cap - used, "%s%s:%s",
			     i ? "," : "", algo, hex);
		if (n < 0 || (size_t)n >= cap - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
}

/* ------------------------------------------------------------ two layers */

static int layers(const struct verdict_dbs *dbs, struct refdb *out[2])
{
	int n = 0;

	if (dbs != NULL && dbs->base != NULL)
		out[n++] = dbs->base;
	if (dbs != NULL && dbs->local != NULL)
		out[n++] = dbs->local;
	return n;
}

/* any_denied - the digest is on either layer's deny list: 1, 0, or < 0. */
static int any_denied(struct refdb **db, int n, const struct ima_record *r)
{
	int i, rc;

	for (i = 0; i < n; i++) {
		rc = refdb_is_denied(db[i], r->algo, r->digest, r->digest_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * check_path_layers - the union of both layers' answers: known, known in
 * this algorithm, matching, and every expected digest.
 */
static int check_path_layers(struct refdb **db, int n,
			     const struct ima_record *r,
			     struct refdb_path_result *res)
{
	struct refdb_path_result one;
	size_t k;
	int i, rc;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		rc = refdb_check_path(db[i], r->path, r->path_len, r->algo,
				      r->digest, r->digest_len, &one);
		if (rc < 0)
			return rc;
		res->path_known |= one.path_known;
		res->algo_known |= one.algo_known;
		res->match |= one.match;
		res->expected_len = one.expected_len ? one.expected_len
						     : res->expected_len;
		for (k = 0; k < one.n_expected &&
			    res->n_expected < REFDB_MAX_EXPECTED; k++)
			memcpy(res->expected[res->n_expected++],
			       one.expected[k], one.expected_len);
	}
	return 0;
}

/* find_digest_layers - another path with this digest, in either layer. */
static int find_digest_layers(struct refdb **db, int n,
			      const struct ima_record *r, char *out,
			      size_t cap)
{
	int i, rc;

	for (i = 0; i < n; i++) {
		rc = refdb_find_digest(db[i], r->algo, r->digest,
				       r->digest_len, r->path, r->path_len,
				       out, cap);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * judge_measurement - DESIGN.md's precedence for an INTEGRITY_RULE
 * measurement: known-bad digest; path excluded; path in the database
 * (match, mismatch, algorithm unavailable); digest known for another path;
 * unknown.
 */
static int judge_measurement(const struct ima_record *r,
			     const struct verdict_dbs *dbs,
			     const struct exclude_set *ex, struct verdict *v)
{
	struct refdb_path_result res;
	struct refdb *db[2];
	int n = layers(dbs, db), memfd, known_algo, rc = 0;

	memfd = r->path_len >= 6 && memcmp(r->path, "memfd:", 6) == 0;
	known_algo = hashalgo_by_name(r->algo, strlen(r->algo)) != NULL;
	if (!r->has_hash || r->hash_bad) {
		v->id = V_UNKNOWN_RECORD;
		v->note = "unparsable-hash";
		return 0;
	}
	if (hashalgo_is_zero(r->digest, r->digest_len)) {
		/* IMA could not read the file; INTEGRITY_DATA says why. */
		v->id = V_IMA_ERROR;
		v->note = "zero-digest";
		return 0;
	}
	if (n > 0 && known_algo) {
		rc = any_denied(db, n, r);
		if (rc < 0)
			goto failed;
		if (rc == 1) {
			v->id = V_KNOWN_BAD;
			return 0;
		}
	}
	if (!memfd && exclude_set_match(ex, r->path, r->path_len)) {
		v->id = V_EXCLUDED;
		return 0;
	}
	if (n == 0) {
		v->judged = 0;
		v->note = "no-database";
		return 0;
	}
	if (!known_algo) {
		/* An algorithm no database can hold (a newer kernel's). */
		v->id = memfd ? V_MEMFD_EXEC : V_ALGO_UNAVAILABLE;
		return 0;
	}
	if (!memfd) {
		rc = check_path_layers(db, n, r, &res);
		if (rc < 0)
			goto failed;
		if (res.match) {
			v->id = V_MATCH;
			return 0;
		}
		if (res.path_known && !res.algo_known) {
			v->id = V_ALGO_UNAVAILABLE;
			return 0;
		}
		if (res.path_known && !r->deleted) {
			v->id = V_HASH_MISMATCH;
			format_expected(&res, r->algo, v->expected,
					sizeof(v->expected));
			rc = find_digest_layers(db, n, r, v->known_as,
						sizeof(v->known_as));
			if (rc < 0)
				goto failed;
			return 0;
		}
	}
	rc = find_digest_layers(db, n, r, v->known_as, sizeof(v->known_as));
	if (rc < 0)
		goto failed;
	if (rc == 1)
		v->id = V_KNOWN_ELSEWHERE;
	else
		v->id = memfd ? V_MEMFD_EXEC : V_UNKNOWN_FILE;
	return 0;

failed:
	v->judged = 0;
	v->note = "lookup-failed";
	v->known_as[0] = '\0';
	v->expected[0] = '\0';
	return rc;
}

int verdict_for_record(const struct ima_record *r,
		       const struct verdict_dbs *dbs,
		       const struct exclude_set *ex, struct verdict *v)
{
	v->known_as[0] = '\0';
	v->expected[0] = '\0';
	v->note = NULL;
	v->judged = 1;
	v->id = V_UNKNOWN_RECORD;

	switch (r->type) {
	case 1800:	/* INTEGRITY_DATA */
	case 1808:	/* INTEGRITY_USERSPACE: 1800's body */
		v->id = classify_data(r);
		return 0;
	case 1801:	/* INTEGRITY_METADATA: EVM */
		v->id = V_EVM_FAILED;
		return 0;
	case 1802:	/* INTEGRITY_STATUS */
		v->id = classify_status(r);
		return 0;
	case 1804:	/* INTEGRITY_PCR */
		v->id = classify_pcr(r);
		return 0;
	case 1805:	/* INTEGRITY_RULE: a measurement, or an old kernel's policy rule */
		if (r->is_policy_rule) {
			v->id = streq(r->res, "0") ? V_POLICY_REJECTED
						   : V_POLICY_RULE;
			return 0;
		}
		if (!r->has_path) {
			v->id = V_UNKNOWN_RECORD;
			return 0;
		}
		return judge_measurement(r, dbs, ex, v);
	case 1806:	/* INTEGRITY_EVM_XATTR */
		v->id = V_XATTR_CHANGE;
		return 0;
	case 1807:	/* INTEGRITY_POLICY_RULE */
		v->id = streq(r->res, "0") ? V_POLICY_REJECTED : V_POLICY_RULE;
		return 0;
	default:	/* 1803 (never emitted) and types this version does not know */
		v->id = V_UNKNOWN_RECORD;
		return 0;
	}
}

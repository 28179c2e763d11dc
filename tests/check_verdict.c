/* check_verdict.c -- every verdict: measurements against a database, op/cause tables */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "refdb.h"
#include "verdict.h"

/* Digests: A and B sha256, Z sha256 unknown, D denied, S sha512. */
static unsigned char dig_a[32], dig_b[32], dig_z[32], dig_d[32], dig_s[64];
static char db_dir[64];
static char db_path[128];
static struct refdb *db;
static struct verdict_dbs dbs;
static struct exclude_set *ex;

static void fill(unsigned char *d, size_t n, unsigned char v)
{
	memset(d, v, n);
}

static void make_db(void)
{
	struct refdb_writer *w;
	char err[256];
	int64_t src;

	fill(dig_a, 32, 0xaa);
	fill(dig_b, 32, 0xbb);
	fill(dig_z, 32, 0x33);
	fill(dig_d, 32, 0xdd);
	fill(dig_s, 64, 0x55);
	strcpy(db_dir, "/tmp/check-verdict.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(db_dir));
	snprintf(db_path, sizeof(db_path), "%s/ref.sqlite", db_dir);
	ck_assert_int_eq(refdb_writer_begin(db_path, 1, &w, err, sizeof(err)), 0);
	src = refdb_writer_source(w, "manifest", "test");
	ck_assert_int_gt(src, 0);
	ck_assert_int_ge(refdb_writer_add(w, "/usr/bin/a", 10, "sha256", dig_a, 32, src), 0);
	ck_assert_int_ge(refdb_writer_add(w, "/usr/bin/b", 10, "sha256", dig_b, 32, src), 0);
	ck_assert_int_ge(refdb_writer_add(w, "/usr/bin/big", 12, "sha512", dig_s, 64, src), 0);
	ck_assert_int_ge(refdb_writer_add(w, "/opt/x y", 8, "sha256", dig_a, 32, src), 0);
	ck_assert_int_ge(refdb_writer_deny(w, "sha256", dig_d, 32, src), 0);
	ck_assert_int_ge(refdb_writer_exclude(w, "/var/cache/", src), 0);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_int_eq(refdb_open_readonly(db_path, &db, err, sizeof(err)), 0);
	dbs.base = db;
	ex = exclude_set_new();
	ck_assert_int_eq(exclude_set_add(ex, "/home/[^/]+/\\.cache/", err,
					 sizeof(err)), 0);
	/* as the plugin does: the config's patterns plus the database's */
	ck_assert_int_eq(exclude_set_add_db(ex, db), 1);
	ck_assert_uint_eq(exclude_set_count(ex), 2);
}

static void drop_db(void)
{
	refdb_close(db);
	exclude_set_free(ex);
	unlink(db_path);
	rmdir(db_dir);
}

static void measurement(struct ima_record *r, const char *path,
			const char *algo, const unsigned char *d, size_t dlen)
{
	memset(r, 0, sizeof(*r));
	r->type = 1805;
	r->has_path = 1;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->path_len = strlen(path);
	r->has_hash = 1;
	snprintf(r->algo, sizeof(r->algo), "%s", algo);
	memcpy(r->digest, d, dlen);
	r->digest_len = dlen;
}

static const struct {
	const char *path;
	const char *algo;
	int digest;		/* 'a' 'b' 'z' 'd' 's' '0' */
	enum verdict_id id;
	const char *known_as;
	int expected;		/* expected= names dig_a */
	int deleted;
} measurements[] = {
	{ "/usr/bin/a", "sha256", 'a', V_MATCH, "", 0, 0 },
	{ "/usr/bin/a", "sha256", 'z', V_HASH_MISMATCH, "", 1, 0 },
	/* /usr/bin/a replaced by a copy of /usr/bin/b: still crit, says whose */
	{ "/usr/bin/a", "sha256", 'b', V_HASH_MISMATCH, "/usr/bin/b", 1, 0 },
	/* measured in sha512, the database has only sha256 for the path */
	{ "/usr/bin/a", "sha512", 's', V_ALGO_UNAVAILABLE, "", 0, 0 },
	{ "/usr/bin/big", "sha512", 's', V_MATCH, "", 0, 0 },
	/* a path the database lacks, content it knows (smallest path wins) */
	{ "/tmp/copy", "sha256", 'a', V_KNOWN_ELSEWHERE, "/opt/x y", 0, 0 },
	{ "/tmp/new", "sha256", 'z', V_UNKNOWN_FILE, "", 0, 0 },
	/* known-bad beats everything, even a path it would match */
	{ "/usr/bin/a", "sha256", 'd', V_KNOWN_BAD, "", 0, 0 },
	{ "/var/cache/x", "sha256", 'd', V_KNOWN_BAD, "", 0, 0 },
	/* excluded by the database's pattern and by the config's */
	{ "/var/cache/apt/pkg", "sha256", 'z', V_EXCLUDED, "", 0, 0 },
	{ "/home/ann/.cache/x", "sha256", 'z', V_EXCLUDED, "", 0, 0 },
	/* excludes are anchored at the start */
	{ "/srv/var/cache/x", "sha256", 'z', V_UNKNOWN_FILE, "", 0, 0 },
	/* an all-zero digest is never judged against the database */
	{ "/usr/bin/a", "sha256", '0', V_IMA_ERROR, "", 0, 0 },
	/* an algorithm no database can hold */
	{ "/usr/bin/a", "ascon-hash256", 'z', V_ALGO_UNAVAILABLE, "", 0, 0 },
	/* run after being replaced on disk: the old content is judged by itself */
	{ "/usr/bin/a", "sha256", 'a', V_MATCH, "", 0, 1 },
	{ "/usr/bin/a", "sha256", 'b', V_KNOWN_ELSEWHERE, "/usr/bin/b", 0, 1 },
	{ "/usr/bin/a", "sha256", 'z', V_UNKNOWN_FILE, "", 0, 1 },
	/* fileless code: unknown content stands out, known content is noted */
	{ "memfd:payload", "sha256", 'z', V_MEMFD_EXEC, "", 0, 0 },
	{ "memfd:runc_cloned:/proc/self/exe", "sha256", 'b', V_KNOWN_ELSEWHERE, "/usr/bin/b", 0, 0 },
	{ "memfd:x", "sha256", 'd', V_KNOWN_BAD, "", 0, 0 },
};

static const unsigned char *pick(int which, size_t *len)
{
	static unsigned char zero[32];

	*len = 32;
	switch (which) {
	case 'a': return dig_a;
	case 'b': return dig_b;
	case 'd': return dig_d;
	case 's': *len = 64; return dig_s;
	case '0': return zero;
	default: return dig_z;
	}
}

START_TEST(test_measurement)
{
	static struct ima_record r;
	static struct verdict v;
	const unsigned char *d;
	size_t dlen;

	d = pick(measurements[_i].digest, &dlen);
	measurement(&r, measurements[_i].path, measurements[_i].algo, d, dlen);
	r.deleted = measurements[_i].deleted;
	ck_assert_int_eq(verdict_for_record(&r, &dbs, ex, &v), 0);
	ck_assert_int_eq(v.judged, 1);
	ck_assert_str_eq(verdict_name(v.id), verdict_name(measurements[_i].id));
	ck_assert_str_eq(v.known_as, measurements[_i].known_as);
	if (measurements[_i].expected)
		ck_assert_str_eq(v.expected,
			"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	else
		ck_assert_str_eq(v.expected, "");
}
END_TEST

/* Without a database, measurements wait; the kernel's own reports do not. */
START_TEST(test_no_database)
{
	static struct ima_record r;
	static struct verdict v;

	measurement(&r, "/usr/bin/a", "sha256", dig_z, 32);
	ck_assert_int_eq(verdict_for_record(&r, NULL, NULL, &v), 0);
	ck_assert_int_eq(v.judged, 0);
	ck_assert_str_eq(v.note, "no-database");

	memset(&r, 0, sizeof(r));
	r.type = 1800;
	strcpy(r.op, "appraise_data");
	strcpy(r.cause, "invalid-hash");
	ck_assert_int_eq(verdict_for_record(&r, NULL, NULL, &v), 0);
	ck_assert_int_eq(v.judged, 1);
	ck_assert_int_eq(v.id, V_APPRAISE_FAILED);
}
END_TEST

/* Every op/cause the kernel emits (shared/research/ima-records.md, 1.3). */
static const struct {
	int type;
	const char *op, *cause, *res;
	enum verdict_id id;
} records[] = {
	{ 1800, "appraise_data", "invalid-hash", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "invalid-signature", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "IMA-signature-required", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "missing-hash", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "invalid-verity-signature", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "verity-signature-required", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "invalid-signature-version", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "sigv3-hashing-error", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "unknown-ima-data", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "unverifiable-signature", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "unknown", "0", V_APPRAISE_FAILED },
	{ 1800, "appraise_data", "missing-HMAC", "0", V_EVM_FAILED },
	{ 1800, "appraise_data", "invalid-HMAC", "0", V_EVM_FAILED },
	{ 1800, "appraise_data", "invalid-fail-immutable", "0", V_EVM_FAILED },
	{ 1800, "collect_data", "failed", "0", V_IMA_ERROR },
	{ 1800, "collect_data", "failed(directio)", "0", V_IMA_ERROR },
	{ 1800, "collect_data", "no-verity-digest", "0", V_IMA_ERROR },
	{ 1800, "collect_data", "denied-hash-algorithm", "0", V_IMA_ERROR },
	{ 1800, "collect_data", "failed-mprotect", "0", V_IMA_ERROR },
	{ 1800, "mmap_file", "mmapped_writers", "0", V_IMA_ERROR },
	{ 1800, "set_data", "unavailable-hash-algorithm", "0", V_IMA_ERROR },
	{ 1800, "set_data", "denied-hash-algorithm", "0", V_IMA_ERROR },
	{ 1800, "brand_new_op", "x", "0", V_UNKNOWN_RECORD },
	{ 1808, "appraise_data", "invalid-signature", "0", V_APPRAISE_FAILED },
	{ 1808, "appraise_data", "missing-HMAC", "0", V_EVM_FAILED },
	{ 1801, "appraise_metadata", "fail", "0", V_EVM_FAILED },
	{ 1801, "appraise_metadata", "fail_immutable", "0", V_EVM_FAILED },
	{ 1801, "appraise_metadata", "no_label", "0", V_EVM_FAILED },
	{ 1801, "appraise_metadata", "no_xattrs", "0", V_EVM_FAILED },
	{ 1801, "appraise_metadata", "unknown", "0", V_EVM_FAILED },
	{ 1801, "update_metadata", "no_xattrs", "0", V_EVM_FAILED },
	{ 1802, "policy_update", "completed", "1", V_POLICY_CHANGE },
	{ 1802, "policy_update", "failed", "0", V_POLICY_REJECTED },
	{ 1802, "policy_update", "signed policy required", "0", V_POLICY_REJECTED },
	{ 1802, "update_policy", "invalid-policy", "0", V_POLICY_REJECTED },
	{ 1802, "update_policy", "-ENOMEM", "0", V_POLICY_REJECTED },
	{ 1802, "something_else", "x", "0", V_UNKNOWN_RECORD },
	{ 1803, "", "", "", V_UNKNOWN_RECORD },
	{ 1804, "invalid_pcr", "ToMToU", "1", V_MEASURE_VIOLATION },
	{ 1804, "invalid_pcr", "open_writers", "1", V_MEASURE_VIOLATION },
	{ 1804, "add_template_measure", "hash_added", "1", V_MEASURED },
	{ 1804, "add_template_measure", "hash_exists", "1", V_MEASURED },
	{ 1804, "add_template_measure", "ENOMEM", "0", V_IMA_ERROR },
	{ 1804, "add_template_measure", "hashing_error", "0", V_IMA_ERROR },
	{ 1804, "add_template_measure", "TPM_error(-5)", "0", V_IMA_ERROR },
	{ 1804, "add_boot_aggregate", "hashing_error", "0", V_IMA_ERROR },
	{ 1804, "measuring_key", "ENOMEM", "0", V_IMA_ERROR },
	{ 1804, "measuring_kexec_cmdline", "alloc_entry", "0", V_IMA_ERROR },
	{ 1804, "weird", "x", "0", V_UNKNOWN_RECORD },
	{ 1806, "", "", "0", V_XATTR_CHANGE },
	{ 1807, "", "", "1", V_POLICY_RULE },
	{ 1807, "", "", "0", V_POLICY_REJECTED },
	{ 1809, "", "", "", V_UNKNOWN_RECORD },
	{ 1899, "x", "y", "", V_UNKNOWN_RECORD },
};

START_TEST(test_records)
{
	static struct ima_record r;
	static struct verdict v;

	memset(&r, 0, sizeof(r));
	r.type = records[_i].type;
	strcpy(r.op, records[_i].op);
	strcpy(r.cause, records[_i].cause);
	strcpy(r.res, records[_i].res);
	if (r.type == 1807)
		r.is_policy_rule = 1;
	ck_assert_int_eq(verdict_for_record(&r, &dbs, ex, &v), 0);
	ck_assert_int_eq(v.judged, 1);
	ck_assert_msg(v.id == records[_i].id, "%d %s %s: got %s, want %s",
		      r.type, r.op, r.cause, verdict_name(v.id),
		      verdict_name(records[_i].id));
}
END_TEST

/* Old kernels: policy rules as 1805 with action=, judged by res. */
START_TEST(test_old_policy_rule)
{
	static struct ima_record r;
	static struct verdict v;

	memset(&r, 0, sizeof(r));
	r.type = 1805;
	r.is_policy_rule = 1;
	strcpy(r.res, "1");
	ck_assert_int_eq(verdict_for_record(&r, &dbs, ex, &v), 0);
	ck_assert_int_eq(v.id, V_POLICY_RULE);
	strcpy(r.res, "0");
	ck_assert_int_eq(verdict_for_record(&r, &dbs, ex, &v), 0);
	ck_assert_int_eq(v.id, V_POLICY_REJECTED);
	/* neither a measurement nor a rule */
	r.is_policy_rule = 0;
	ck_assert_int_eq(verdict_for_record(&r, &dbs, ex, &v), 0);
	ck_assert_int_eq(v.id, V_UNKNOWN_RECORD);
}
END_TEST

/* The local layer: a digest either layer accepts is accepted. */
START_TEST(test_local_layer)
{
	static struct ima_record r;
	static struct verdict v;
	struct refdb_writer *w;
	struct verdict_dbs both;
	struct refdb *local;
	char path[160], err[256];
	int64_t src;

	snprintf(path, sizeof(path), "%s/local.sqlite", db_dir);
	ck_assert_int_eq(refdb_writer_begin(path, 1, &w, err, sizeof(err)), 0);
	src = refdb_writer_source(w, "package", "upgrade");
	ck_assert_int_ge(refdb_writer_add(w, "/usr/bin/a", 10, "sha256", dig_z, 32, src), 0);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_int_eq(refdb_open_readonly(path, &local, err, sizeof(err)), 0);
	both.base = db;
	both.local = local;

	measurement(&r, "/usr/bin/a", "sha256", dig_z, 32);
	ck_assert_int_eq(verdict_for_record(&r, &both, ex, &v), 0);
	ck_assert_int_eq(v.id, V_MATCH);
	measurement(&r, "/usr/bin/a", "sha256", dig_a, 32);
	ck_assert_int_eq(verdict_for_record(&r, &both, ex, &v), 0);
	ck_assert_int_eq(v.id, V_MATCH);
	/* neither: the mismatch lists what both layers accept */
	measurement(&r, "/usr/bin/a", "sha256", dig_s, 32);
	ck_assert_int_eq(verdict_for_record(&r, &both, ex, &v), 0);
	ck_assert_int_eq(v.id, V_HASH_MISMATCH);
	ck_assert_ptr_nonnull(strstr(v.expected, "sha256:aaaa"));
	ck_assert_ptr_nonnull(strstr(v.expected, ",sha256:3333"));
	/* only the local layer knows this content elsewhere */
	measurement(&r, "/opt/new", "sha256", dig_z, 32);
	ck_assert_int_eq(verdict_for_record(&r, &both, ex, &v), 0);
	ck_assert_int_eq(v.id, V_KNOWN_ELSEWHERE);
	ck_assert_str_eq(v.known_as, "/usr/bin/a");
	/* the local layer alone still judges */
	both.base = NULL;
	measurement(&r, "/usr/bin/a", "sha256", dig_z, 32);
	ck_assert_int_eq(verdict_for_record(&r, &both, ex, &v), 0);
	ck_assert_int_eq(v.id, V_MATCH);
	refdb_close(local);
	unlink(path);
}
END_TEST

START_TEST(test_names)
{
	int i;

	for (i = 0; i < V_COUNT; i++) {
		const char *n = verdict_name((enum verdict_id)i);

		ck_assert_int_eq(verdict_from_name(n, strlen(n)), i);
	}
	ck_assert_int_eq(verdict_from_name("hash_mismatchx", 14), -1);
	ck_assert_int_eq(verdict_from_name("hash_mismatch.x", 13), V_HASH_MISMATCH);
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("verdict");

	tcase_add_unchecked_fixture(tc, make_db, drop_db);
	tcase_add_loop_test(tc, test_measurement, 0,
			    (int)(sizeof(measurements) / sizeof(measurements[0])));
	tcase_add_test(tc, test_no_database);
	tcase_add_loop_test(tc, test_records, 0,
			    (int)(sizeof(records) / sizeof(records[0])));
	tcase_add_test(tc, test_old_policy_rule);
	tcase_add_test(tc, test_local_layer);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

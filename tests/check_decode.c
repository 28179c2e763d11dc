/* check_decode.c -- field decoding of every encoding real kernels send */
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "decode.h"

#define MAX_RECS 8

struct collected {
	size_t n;
	struct ima_record r[MAX_RECS];
};

static void collect(const struct ima_record *r, void *arg)
{
	struct collected *c = arg;

	if (c->n < MAX_RECS)
		c->r[c->n] = *r;
	c->n++;
}

/* decode_lines - run lines (one event) through a fresh decoder. */
static struct collected *decode_lines(const char *const *lines, size_t n)
{
	struct collected *c = calloc(1, sizeof(*c));
	size_t lens[16], i;
	struct intake_event ev;
	struct decoder *d = decoder_new();

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_le(n, 16);
	for (i = 0; i < n; i++)
		lens[i] = strlen(lines[i]);
	memset(&ev, 0, sizeof(ev));
	ev.n_lines = n;
	ev.lines = lines;
	ev.lens = lens;
	ck_assert_int_ge(decoder_event(d, &ev, collect, c), 0);
	decoder_free(d);
	return c;
}

static struct collected *decode_one(const char *line)
{
	const char *lines[1] = { line };

	return decode_lines(lines, 1);
}

#define SHA256_GOOD "7233c2e1bbba4c677ce464f0956f725f44e626a8b6baaaa448830fd8b93689ba"

START_TEST(test_enriched_rule)
{
	struct collected *c = decode_one(
		"type=INTEGRITY_RULE msg=audit(1796414554.040:39): file=\"/mnt/bin/good.sh\" hash=\"sha256:" SHA256_GOOD "\" ppid=1 pid=157 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"init\" exe=\"/bin/busybox\" subj=unconfined\x1d" "AUID=\"unset\" UID=\"root\" GID=\"root\"");
	const struct ima_record *r = &c->r[0];

	ck_assert_uint_eq(c->n, 1);
	ck_assert_int_eq(r->type, 1805);
	ck_assert_uint_eq(r->sec, 1796414554ULL);
	ck_assert_uint_eq(r->msec, 40);
	ck_assert_uint_eq(r->serial, 39);
	ck_assert_str_eq(r->path, "/mnt/bin/good.sh");
	ck_assert_int_eq(r->has_hash, 1);
	ck_assert_int_eq(r->hash_bad, 0);
	ck_assert_str_eq(r->algo, "sha256");
	ck_assert_uint_eq(r->digest_len, 32);
	ck_assert_uint_eq(r->digest[0], 0x72);
	ck_assert_uint_eq(r->digest[31], 0xba);
	ck_assert_str_eq(r->pid, "157");
	ck_assert_str_eq(r->ppid, "1");
	ck_assert_str_eq(r->auid, "4294967295");
	ck_assert_str_eq(r->uid, "0");
	ck_assert_str_eq(r->comm, "init");
	ck_assert_str_eq(r->exe, "/bin/busybox");
	ck_assert_str_eq(r->node, "");
	free(c);
}
END_TEST

/* Table: one line in, the fields that matter out. */
static const struct {
	const char *line;
	int type;
	const char *path;	/* NULL: no path */
	const char *algo;	/* NULL: no hash */
	int hash_bad;
	const char *op, *cause, *node;
	int deleted, policy_rule;
	const char *rule;
} fields[] = {
	/* hex-encoded file= (a space in the name), RAW format */
	{ "type=INTEGRITY_RULE msg=audit(1796414554.644:44): file=2F6D6E742F62696E2F776974682073706163652E7368 hash=\"sha256:5beb73380d3e66beb164963a5ffaa1c8020c5b579291d2b9ae6a44d6d665104d\" ppid=1 pid=166 auid=4294967295 uid=0 comm=\"init\" exe=\"/bin/busybox\"",
	  1805, "/mnt/bin/with space.sh", "sha256", 0, "", "", "", 0, 0, NULL },
	/* hex-encoded name= with a newline and a quote */
	{ "type=INTEGRITY_DATA msg=audit(1.002:3): pid=5 uid=0 auid=0 ses=1 op=appraise_data cause=invalid-hash comm=\"x\" name=2F746D702F610A22 dev=\"vda\" ino=9 res=0 errno=0",
	  1800, "/tmp/a\n\"", NULL, 0, "appraise_data", "invalid-hash", "", 0, 0, NULL },
	/* kernels 3.7-3.12: bare sha1 hex */
	{ "type=INTEGRITY_RULE msg=audit(1400000000.100:7): file=\"/usr/bin/more\" hash=\"533aab6a21e2fc1bac8b5b4c3b1ec5d81a5d0d0e\" ppid=1 pid=2 auid=0 uid=0 comm=\"more\" exe=\"/usr/bin/more\"",
	  1805, "/usr/bin/more", "sha1", 0, "", "", "", 0, 0, NULL },
	/* old kernels quote op and cause */
	{ "type=INTEGRITY_DATA msg=audit(1.002:3): pid=5 uid=0 auid=0 ses=1 op=\"appraise_data\" cause=\"missing-hash\" comm=\"x\" name=\"/bin/y\" dev=\"vda\" ino=9 res=0",
	  1800, "/bin/y", NULL, 0, "appraise_data", "missing-hash", "", 0, 0, NULL },
	/* a cause with spaces runs to comm= */
	{ "type=INTEGRITY_STATUS msg=audit(1.002:3): pid=5 uid=0 auid=0 ses=1 op=policy_update cause=signed policy required comm=\"cat\" res=0 errno=0",
	  1802, NULL, NULL, 0, "policy_update", "signed policy required", "", 0, 0, NULL },
	/* parentheses in a cause; name is a basename */
	{ "type=INTEGRITY_DATA msg=audit(1796414559.472:89): pid=244 uid=0 auid=4294967295 ses=4294967295 subj=unconfined op=collect_data cause=failed(directio) comm=\"imahelper\" name=\"directio.txt\" dev=\"vda\" ino=22 res=0 errno=0",
	  1800, "directio.txt", NULL, 0, "collect_data", "failed(directio)", "", 0, 0, NULL },
	/* node= prefix */
	{ "node=web1 type=INTEGRITY_RULE msg=audit(1796414554.040:39): file=\"/bin/sh\" hash=\"sha512:" SHA256_GOOD SHA256_GOOD "\" ppid=1 pid=2 auid=0 uid=0 comm=\"sh\" exe=\"/bin/sh\"",
	  1805, "/bin/sh", "sha512", 0, "", "", "web1", 0, 0, NULL },
	/* a deleted file: " (deleted)" forces hex */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): file=2F746D702F78202864656C6574656429 hash=\"sha256:" SHA256_GOOD "\" ppid=1 pid=2 auid=0 uid=0 comm=\"x\" exe=\"/tmp/x\"",
	  1805, "/tmp/x", "sha256", 0, "", "", "", 1, 0, NULL },
	/* memfd: not a path at all */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): file=\"memfd:payload\" hash=\"sha256:" SHA256_GOOD "\" ppid=1 pid=2 auid=0 uid=0 comm=\"x\" exe=\"/tmp/x\"",
	  1805, "memfd:payload", "sha256", 0, "", "", "", 0, 0, NULL },
	/* INTEGRITY_USERSPACE is not named by auditd 3.0.9 */
	{ "type=UNKNOWN[1808] msg=audit(1.002:3): pid=5 uid=0 auid=0 ses=1 op=appraise_data cause=invalid-signature comm=\"python3\" name=\"/usr/bin/s.py\" dev=\"vda\" ino=9 res=0 errno=0",
	  1808, "/usr/bin/s.py", NULL, 0, "appraise_data", "invalid-signature", "", 0, 0, NULL },
	/* old kernels logged policy rules as 1805 with quoted values */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): action=\"audit\" func=\"BPRM_CHECK\" mask=\"MAY_EXEC\" res=1",
	  1805, NULL, NULL, 0, "", "", "", 0, 1, "action=\"audit\" func=\"BPRM_CHECK\" mask=\"MAY_EXEC\"" },
	/* 1807 with '>' separators that auparse cannot split */
	{ "type=INTEGRITY_POLICY_RULE msg=audit(1.002:3): action=appraise func=BPRM_CHECK fowner>1000 appraise_type=imasig res=0",
	  1807, NULL, NULL, 0, "", "", "", 0, 1, "action=appraise func=BPRM_CHECK fowner>1000 appraise_type=imasig" },
	/* a newer kernel's algorithm this version does not know */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): file=\"/bin/z\" hash=\"ascon-hash256:" SHA256_GOOD "\" ppid=1 pid=2 auid=0 uid=0 comm=\"z\" exe=\"/bin/z\"",
	  1805, "/bin/z", "ascon-hash256", 0, "", "", "", 0, 0, NULL },
	/* garbage hex */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): file=\"/bin/z\" hash=\"sha256:zz33\" ppid=1 pid=2 auid=0 uid=0 comm=\"z\" exe=\"/bin/z\"",
	  1805, "/bin/z", NULL, 1, "", "", "", 0, 0, NULL },
	/* sha256 with a sha1-length digest */
	{ "type=INTEGRITY_RULE msg=audit(1.002:3): file=\"/bin/z\" hash=\"sha256:533aab6a21e2fc1bac8b5b4c3b1ec5d81a5d0d0e\" ppid=1 pid=2 auid=0 uid=0 comm=\"z\" exe=\"/bin/z\"",
	  1805, "/bin/z", NULL, 1, "", "", "", 0, 0, NULL },
};

START_TEST(test_fields)
{
	struct collected *c = decode_one(fields[_i].line);
	const struct ima_record *r = &c->r[0];

	ck_assert_uint_eq(c->n, 1);
	ck_assert_int_eq(r->type, fields[_i].type);
	if (fields[_i].path) {
		ck_assert_int_eq(r->has_path, 1);
		ck_assert_uint_eq(r->path_len, strlen(fields[_i].path));
		ck_assert_mem_eq(r->path, fields[_i].path, r->path_len);
	} else {
		ck_assert_int_eq(r->has_path, 0);
	}
	ck_assert_int_eq(r->hash_bad, fields[_i].hash_bad);
	if (fields[_i].algo)
		ck_assert_str_eq(r->algo, fields[_i].algo);
	ck_assert_str_eq(r->op, fields[_i].op);
	ck_assert_str_eq(r->cause, fields[_i].cause);
	ck_assert_str_eq(r->node, fields[_i].node);
	ck_assert_int_eq(r->deleted, fields[_i].deleted);
	ck_assert_int_eq(r->is_policy_rule, fields[_i].policy_rule);
	if (fields[_i].rule)
		ck_assert_str_eq(r->rule, fields[_i].rule);
	free(c);
}
END_TEST

/* One exec: PCR + DATA + RULE + SYSCALL; exe and ppid come from SYSCALL. */
START_TEST(test_event_companions)
{
	static const char *const lines[] = {
		"type=INTEGRITY_PCR msg=audit(1796414554.908:46): pid=170 uid=0 auid=4294967295 ses=4294967295 subj=unconfined op=add_template_measure cause=hash_added comm=\"init\" name=\"/mnt/bin/tampered.sh\" dev=\"vda\" ino=17 res=1 errno=0",
		"type=INTEGRITY_DATA msg=audit(1796414554.908:46): pid=170 uid=0 auid=4294967295 ses=4294967295 subj=unconfined op=appraise_data cause=invalid-hash comm=\"init\" name=\"/mnt/bin/tampered.sh\" dev=\"vda\" ino=17 res=0 errno=0",
		"type=SYSCALL msg=audit(1796414554.908:46): arch=c000003e syscall=59 success=no exit=-13 a0=1 a1=2 a2=3 a3=8 items=2 ppid=1 pid=170 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"init\" exe=\"/bin/busybox\" subj=unconfined key=(null)",
		"type=PROCTITLE msg=audit(1796414554.908:46): proctitle=2F62696E2F7368002F696E6974",
		"type=EOE msg=audit(1796414554.908:46):",
	};
	struct collected *c = decode_lines(lines, 5);

	ck_assert_uint_eq(c->n, 2);
	ck_assert_int_eq(c->r[0].type, 1804);
	ck_assert_str_eq(c->r[0].cause, "hash_added");
	ck_assert_int_eq(c->r[1].type, 1800);
	ck_assert_str_eq(c->r[1].cause, "invalid-hash");
	ck_assert_str_eq(c->r[1].exe, "/bin/busybox");
	ck_assert_str_eq(c->r[1].ppid, "1");
	ck_assert_str_eq(c->r[1].pid, "170");
	ck_assert_str_eq(c->r[1].path, "/mnt/bin/tampered.sh");
	free(c);
}
END_TEST

/* The decoder is one parser for the process lifetime: events stay apart. */
START_TEST(test_parser_reused)
{
	struct decoder *d = decoder_new();
	struct collected *c = calloc(1, sizeof(*c));
	const char *l1 = "type=INTEGRITY_STATUS msg=audit(1796414553.688:31): pid=152 uid=0 auid=4294967295 ses=4294967295 op=policy_update cause=completed comm=\"cat\" res=1 errno=0";
	const char *l2 = "type=INTEGRITY_STATUS msg=audit(1796414553.688:31): pid=153 uid=0 auid=4294967295 ses=4294967295 op=policy_update cause=failed comm=\"cat\" res=0 errno=0";
	struct intake_event ev;
	size_t len;
	int i;

	for (i = 0; i < 100; i++) {
		const char *line = (i % 2) ? l2 : l1;

		len = strlen(line);
		memset(&ev, 0, sizeof(ev));
		ev.n_lines = 1;
		ev.lines = &line;
		ev.lens = &len;
		c->n = 0;
		ck_assert_int_eq(decoder_event(d, &ev, collect, c), 1);
		ck_assert_uint_eq(c->n, 1);
		ck_assert_str_eq(c->r[0].cause, (i % 2) ? "failed" : "completed");
	}
	decoder_free(d);
	free(c);
}
END_TEST

/* Non-integrity records of a kept event produce no record callbacks. */
START_TEST(test_no_integrity)
{
	static const char *const lines[] = {
		"type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes exit=0 items=0 ppid=1 pid=2 auid=0 uid=0 comm=\"a\" exe=\"/a\" key=(null)",
		"type=EOE msg=audit(1.000:1):",
	};
	struct collected *c = decode_lines(lines, 2);

	ck_assert_uint_eq(c->n, 0);
	free(c);
}
END_TEST

Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_enriched_rule);
	tcase_add_loop_test(tc, test_fields, 0,
			    (int)(sizeof(fields) / sizeof(fields[0])));
	tcase_add_test(tc, test_event_companions);
	tcase_add_test(tc, test_parser_reused);
	tcase_add_test(tc, test_no_integrity);
	suite_add_tcase(s, tc);
	return s;
}

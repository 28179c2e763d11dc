/* check_alert.c -- alert lines: field order, escaping, the 4 KiB limit */
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "check_suites.h"

static const struct {
	const char *in;
	size_t len;
	const char *out;
} escapes[] = {
	{ "/usr/bin/ls", 11, "/usr/bin/ls" },
	{ "", 0, "\"\"" },
	{ "/mnt/bin/with space.sh", 22, "\"/mnt/bin/with space.sh\"" },
	{ "a\"b", 3, "\"a\\\"b\"" },
	{ "a\\b", 3, "\"a\\\\b\"" },
	/* a newline cannot end the line and start a forged one */
	{ "/tmp/x\nhash_mismatch severity=crit", 34,
	  "\"/tmp/x\\x0ahash_mismatch severity=crit\"" },
	/* a forged key=value stays inside one quoted value */
	{ "/tmp/x known_as=/bin/sh", 23, "\"/tmp/x known_as=/bin/sh\"" },
	/* auditd's ENRICHED separator */
	{ "a\x1d" "b", 3, "\"a\\x1db\"" },
	/* invalid UTF-8 and DEL */
	{ "\xff\xfe\x7f", 3, "\"\\xff\\xfe\\x7f\"" },
	/* valid UTF-8 is still bytes outside 0x20-0x7e */
	{ "caf\xc3\xa9", 5, "\"caf\\xc3\\xa9\"" },
	{ "tab\there", 8, "\"tab\\x09here\"" },
	{ "nul\0x", 5, "\"nul\\x00x\"" },
	{ "=", 1, "=" },
};

START_TEST(test_escape)
{
	char out[256];
	size_t need;

	need = alert_escape(escapes[_i].in, escapes[_i].len, out, sizeof(out));
	ck_assert_str_eq(out, escapes[_i].out);
	ck_assert_uint_eq(need, strlen(escapes[_i].out));
}
END_TEST

static void sample_record(struct ima_record *r)
{
	memset(r, 0, sizeof(*r));
	r->type = 1805;
	r->sec = 1796414554;
	r->msec = 8;
	r->serial = 46;
	strcpy(r->node, "web1");
	strcpy(r->path, "/mnt/bin/tampered.sh");
	r->path_len = strlen(r->path);
	r->has_path = 1;
	r->has_hash = 1;
	strcpy(r->algo, "sha256");
	r->digest_len = 32;
	memset(r->digest, 0xab, 32);
	strcpy(r->pid, "170");
	strcpy(r->ppid, "1");
	strcpy(r->auid, "4294967295");
	strcpy(r->uid, "0");
	strcpy(r->comm, "init");
	strcpy(r->exe, "/bin/busybox");
}

START_TEST(test_record_order)
{
	static struct ima_record r;
	static struct verdict v;
	char line[ALERT_MAX_LINE + 1];
	size_t n;

	sample_record(&r);
	memset(&v, 0, sizeof(v));
	v.id = V_HASH_MISMATCH;
	v.judged = 1;
	strcpy(v.expected, "sha256:00ff");
	strcpy(v.known_as, "/bin/sh");
	n = alert_format_record(&r, &v, "crit", line, sizeof(line));
	ck_assert_str_eq(line,
		"hash_mismatch severity=crit event=1796414554.008:46 node=web1 "
		"file=/mnt/bin/tampered.sh "
		"hash=sha256:abababababababababababababababababababababababababababababababab "
		"expected=sha256:00ff known_as=/bin/sh pid=170 ppid=1 "
		"auid=4294967295 uid=0 comm=init exe=/bin/busybox");
	ck_assert_uint_eq(n, strlen(line));
}
END_TEST

START_TEST(test_policy_and_deleted)
{
	static struct ima_record r;
	static struct verdict v;
	char line[ALERT_MAX_LINE + 1];

	memset(&r, 0, sizeof(r));
	r.type = 1807;
	r.sec = 5;
	r.serial = 14;
	r.is_policy_rule = 1;
	strcpy(r.rule, "action=audit func=NO_SUCH_HOOK");
	strcpy(r.res, "0");
	memset(&v, 0, sizeof(v));
	v.id = V_POLICY_REJECTED;
	alert_format_record(&r, &v, "warning", line, sizeof(line));
	ck_assert_str_eq(line,
		"policy_rejected severity=warning event=5.000:14 "
		"rule=\"action=audit func=NO_SUCH_HOOK\" res=0");

	sample_record(&r);
	r.deleted = 1;
	r.node[0] = '\0';
	v.id = V_UNKNOWN_FILE;
	alert_format_record(&r, &v, "warning", line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " exe=/bin/busybox deleted=yes"));
	ck_assert_ptr_null(strstr(line, "node="));
}
END_TEST

/* A 4000-byte name with quotes: the line stays within 4 KiB, says so, ends intact. */
START_TEST(test_truncation)
{
	static struct ima_record r;
	static struct verdict v;
	char line[ALERT_MAX_LINE + 1];
	size_t n, i;

	sample_record(&r);
	r.path[0] = '/';
	for (i = 1; i < 4000; i++)
		r.path[i] = (i % 7) ? 'a' : '"';
	r.path[i] = '\0';
	r.path_len = i;
	memset(&v, 0, sizeof(v));
	v.id = V_UNKNOWN_FILE;
	n = alert_format_record(&r, &v, "warning", line, sizeof(line));
	ck_assert_uint_le(n, ALERT_MAX_LINE);
	ck_assert_uint_eq(n, strlen(line));
	ck_assert_ptr_nonnull(strstr(line, " truncated=yes"));
	ck_assert_str_eq(line + n - strlen(" truncated=yes"), " truncated=yes");
	/* the cut value is still closed, and the fields after it survive */
	ck_assert_ptr_nonnull(strstr(line, "\" hash=sha256:"));
	ck_assert_ptr_nonnull(strstr(line, " exe=/bin/busybox"));
	/* no escape sequence was cut in half */
	ck_assert_ptr_null(strstr(line, "\\\" hash"));
}
END_TEST

/* Untruncated lines never carry the marker. */
START_TEST(test_no_false_truncation)
{
	static struct ima_record r;
	static struct verdict v;
	char line[ALERT_MAX_LINE + 1];

	sample_record(&r);
	memset(&v, 0, sizeof(v));
	v.id = V_MATCH;
	alert_format_record(&r, &v, "info", line, sizeof(line));
	ck_assert_ptr_null(strstr(line, "truncated"));
}
END_TEST

Suite *alert_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("alert");

	tcase_add_loop_test(tc, test_escape, 0,
			    (int)(sizeof(escapes) / sizeof(escapes[0])));
	tcase_add_test(tc, test_record_order);
	tcase_add_test(tc, test_policy_and_deleted);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_no_false_truncation);
	suite_add_tcase(s, tc);
	return s;
}

/* check_config.c -- config parsing, severities, and every error it reports */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check_suites.h"
#include "config.h"

struct errors {
	int n;
	unsigned long line[16];
	char msg[16][600];
};

static void collect_error(const char *file, unsigned long line,
			  const char *msg, void *arg)
{
	struct errors *e = arg;

	(void)file;
	if (e->n < 16) {
		e->line[e->n] = line;
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	}
	e->n++;
}

/* write_conf - text into a fresh temporary file; returns its path (free it). */
static char *write_conf(const char *text)
{
	char *path = strdup("/tmp/check-config.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_defaults)
{
	struct config c;

	ck_assert_int_eq(config_init_defaults(&c), 0);
	/* LOCALSTATEDIR/lib/audisp-ima/refdb.sqlite; /var with --localstatedir=/var */
	ck_assert_str_eq(c.reference_db, CONFIG_DEFAULT_DB);
	ck_assert_ptr_nonnull(strstr(c.reference_db, "/lib/audisp-ima/refdb.sqlite"));
	ck_assert_int_eq(c.facility, LOG_AUTHPRIV);
	ck_assert_int_eq(config_level_for(&c, V_HASH_MISMATCH, NULL), LOG_CRIT);
	ck_assert_int_eq(config_level_for(&c, V_UNKNOWN_FILE, NULL), LOG_WARNING);
	ck_assert_int_eq(config_level_for(&c, V_APPRAISE_FAILED, "x"), LOG_ALERT);
	ck_assert_int_eq(config_level_for(&c, V_KNOWN_ELSEWHERE, NULL), LOG_NOTICE);
	ck_assert_int_eq(config_level_for(&c, V_MATCH, NULL), -1);
	ck_assert_int_eq(config_level_for(&c, V_MEASURED, NULL), -1);
	ck_assert_int_eq(config_level_for(&c, V_EXCLUDED, NULL), -1);
	ck_assert_uint_eq(c.event_timeout_ms, 250);
	/* journald's budget: 10,000 per 30 s per unit, shared with auditd */
	ck_assert_uint_eq(c.rate[LOG_WARNING].limit, 1000);
	ck_assert_uint_eq(c.rate[LOG_WARNING].period_s, 30);
	ck_assert_uint_eq(c.rate[LOG_CRIT].limit, 0);
	ck_assert_uint_eq(c.dedup_window_s, 60);
	ck_assert_uint_eq(c.stats_interval_s, 3600);
#if !defined(__SANITIZE_ADDRESS__)
	ck_assert_int_eq(c.seccomp, 1);
#endif
	ck_assert_int_eq(c.require_signature, 0);
	ck_assert_ptr_null(c.local_db);
	config_free(&c);
}
END_TEST

START_TEST(test_good_file)
{
	struct config c;
	struct errors e = { 0 };
	char *path = write_conf(
		"# comment\n"
		"\n"
		"reference_db = /srv/ref.sqlite\n"
		"facility=local6\n"
		"  hash_mismatch = emerg  \n"
		"match = info\n"
		"unknown_file = off\n"
		"appraise_failed.missing-hash = notice\n"
		"policy_rejected.signed policy required = crit\n"
		"exclude = /var/lib/docker/\n"
		"exclude = ^/tmp/[^/]+\\.cache$\n"
		"event_timeout = 500\n"
		"rate_limit = 50/10\n"
		"rate_limit.debug = off\n"
		"dedup_window = 0\n"
		"stats_interval = 60\n"
		"queue_size = 4096\n"
		"seccomp = no\n"
		"local_db = /var/lib/audisp-ima/local.sqlite\n"
		"verify_key = /etc/audit/key.pem\n"
		"require_signature = yes\n");

	ck_assert_int_eq(config_init_defaults(&c), 0);
	ck_assert_int_eq(config_load(path, &c, collect_error, &e), 0);
	ck_assert_int_eq(e.n, 0);
	ck_assert_str_eq(c.reference_db, "/srv/ref.sqlite");
	ck_assert_int_eq(c.facility, LOG_LOCAL6);
	ck_assert_int_eq(config_level_for(&c, V_HASH_MISMATCH, NULL), LOG_EMERG);
	ck_assert_int_eq(config_level_for(&c, V_MATCH, NULL), LOG_INFO);
	ck_assert_int_eq(config_level_for(&c, V_UNKNOWN_FILE, NULL), -1);
	ck_assert_int_eq(config_level_for(&c, V_APPRAISE_FAILED, "missing-hash"),
			 LOG_NOTICE);
	ck_assert_int_eq(config_level_for(&c, V_APPRAISE_FAILED, "invalid-hash"),
			 LOG_ALERT);
	ck_assert_int_eq(config_level_for(&c, V_POLICY_REJECTED,
					  "signed policy required"), LOG_CRIT);
	ck_assert_uint_eq(c.n_excludes, 2);
	ck_assert_str_eq(c.excludes[1], "^/tmp/[^/]+\\.cache$");
	ck_assert_uint_eq(c.event_timeout_ms, 500);
	ck_assert_uint_eq(c.rate[LOG_WARNING].limit, 50);
	ck_assert_uint_eq(c.rate[LOG_WARNING].period_s, 10);
	ck_assert_uint_eq(c.rate[LOG_DEBUG].limit, 0);
	ck_assert_uint_eq(c.dedup_window_s, 0);
	ck_assert_uint_eq(c.stats_interval_s, 60);
	ck_assert_uint_eq(c.queue_size, 4096);
	ck_assert_int_eq(c.seccomp, 0);
	ck_assert_str_eq(c.local_db, "/var/lib/audisp-ima/local.sqlite");
	ck_assert_str_eq(c.verify_key, "/etc/audit/key.pem");
	ck_assert_int_eq(c.require_signature, 1);
	config_free(&c);
	unlink(path);
	free(path);
}
END_TEST

/* Each bad line: reported with its line number and a reason; the rest applies. */
static const struct {
	const char *line;
	const char *reason;
} bad_lines[] = {
	{ "no_such_key = 1", "unknown key 'no_such_key'" },
	{ "hash_mismatch = loud", "'loud' is not a severity" },
	{ "facility = kern", "unknown facility 'kern'" },
	{ "exclude = /tmp/(", "bad exclude pattern '/tmp/('" },
	{ "just words", "expected 'key = value'" },
	{ "reference_db = relative.sqlite", "must be an absolute path" },
	{ "event_timeout = 0", "event_timeout must be" },
	{ "event_timeout = -5", "event_timeout must be" },
	{ "match =", "missing value for 'match'" },
	{ "= crit", "missing key" },
	{ "hash_mismatch. = crit", "names no cause" },
	{ "nonsense.cause = crit", "unknown key 'nonsense.cause'" },
	{ "rate_limit = 5", "rate_limit must be COUNT/SECONDS" },
	{ "rate_limit = 0/30", "rate_limit must be COUNT/SECONDS" },
	{ "rate_limit.crit = 1/1", "only err, warning, notice, info and debug" },
	{ "rate_limit.loud = 1/1", "only err, warning, notice, info and debug" },
	{ "seccomp = maybe", "seccomp must be yes or no" },
	{ "require_signature = 2", "require_signature must be yes or no" },
	{ "dedup_window = -1", "dedup_window must be 0..86400" },
	{ "stats_interval = 1h", "stats_interval must be" },
	{ "queue_size = 3", "queue_size must be 16..1000000" },
	{ "local_db = here.sqlite", "local_db must be an absolute path" },
	{ "verify_key = key.pem", "verify_key must be an absolute path" },
};

START_TEST(test_bad_lines)
{
	struct config c;
	struct errors e = { 0 };
	char text[512];
	char *path;

	snprintf(text, sizeof(text), "match = info\n# c\n%s\nknown_bad = emerg\n",
		 bad_lines[_i].line);
	path = write_conf(text);
	ck_assert_int_eq(config_init_defaults(&c), 0);
	ck_assert_int_eq(config_load(path, &c, collect_error, &e), 1);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.line[0], 3);
	ck_assert_msg(strstr(e.msg[0], bad_lines[_i].reason) != NULL,
		      "message '%s' lacks '%s'", e.msg[0], bad_lines[_i].reason);
	/* the good lines around it still apply */
	ck_assert_int_eq(config_level_for(&c, V_MATCH, NULL), LOG_INFO);
	ck_assert_int_eq(config_level_for(&c, V_KNOWN_BAD, NULL), LOG_EMERG);
	config_free(&c);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_missing_file)
{
	struct config c;
	struct errors e = { 0 };

	ck_assert_int_eq(config_init_defaults(&c), 0);
	ck_assert_int_eq(config_load("/nonexistent/audisp-ima.conf", &c,
				     collect_error, &e), -1);
	ck_assert_int_eq(e.n, 1);
	ck_assert_uint_eq(e.line[0], 0);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "No such file"));
	ck_assert_int_eq(config_level_for(&c, V_HASH_MISMATCH, NULL), LOG_CRIT);
	config_free(&c);
}
END_TEST

START_TEST(test_overlong_line)
{
	struct config c;
	struct errors e = { 0 };
	char *text = malloc(10000), *path;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "match = info\nexclude = ");
	memset(text + strlen(text), 'a', 6000);
	strcpy(text + 23 + 6000, "\nknown_bad = emerg\n");
	path = write_conf(text);
	ck_assert_int_eq(config_init_defaults(&c), 0);
	ck_assert_int_eq(config_load(path, &c, collect_error, &e), 1);
	ck_assert_uint_eq(e.line[0], 2);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "longer than"));
	ck_assert_int_eq(config_level_for(&c, V_KNOWN_BAD, NULL), LOG_EMERG);
	config_free(&c);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_peek)
{
	char out[256];
	char *path = write_conf("facility = daemon\nreference_db = /a/b.sqlite\nbogus\n");

	ck_assert_int_eq(config_peek_reference_db(path, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "/a/b.sqlite");
	unlink(path);
	free(path);
	ck_assert_int_eq(config_peek_reference_db("/nonexistent", out,
						  sizeof(out)), 0);
}
END_TEST

START_TEST(test_level_names)
{
	ck_assert_int_eq(config_parse_level("crit"), LOG_CRIT);
	ck_assert_int_eq(config_parse_level("LOG_WARNING"), LOG_WARNING);
	ck_assert_int_eq(config_parse_level("Off"), -1);
	ck_assert_int_eq(config_parse_level("warn"), -2);
	ck_assert_str_eq(config_level_name(LOG_ERR), "err");
	ck_assert_str_eq(config_level_name(-1), "off");
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_good_file);
	tcase_add_loop_test(tc, test_bad_lines, 0,
			    (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_overlong_line);
	tcase_add_test(tc, test_peek);
	tcase_add_test(tc, test_level_names);
	suite_add_tcase(s, tc);
	return s;
}

/* check_flood.c -- duplicate suppression and rate limits, on record time */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "check_suites.h"
#include "flood.h"

#define MAX_SUMMARIES 32

struct seen {
	int n;
	struct flood_summary s[MAX_SUMMARIES];
	char paths[MAX_SUMMARIES][64];
};

static void collect(const struct flood_summary *s, void *arg)
{
	struct seen *seen = arg;

	if (seen->n < MAX_SUMMARIES) {
		seen->s[seen->n] = *s;
		if (s->path) {
			memcpy(seen->paths[seen->n], s->path, s->path_len);
			seen->paths[seen->n][s->path_len] = '\0';
		}
	}
	seen->n++;
}

static struct flood_key key(const char *path, enum verdict_id id, int level)
{
	static const unsigned char digest[32] = { 1, 2, 3 };
	struct flood_key k;

	memset(&k, 0, sizeof(k));
	k.id = id;
	k.level = level;
	k.path = path;
	k.path_len = strlen(path);
	k.cause = "c";
	k.algo = "sha256";
	k.digest = digest;
	k.digest_len = sizeof(digest);
	return k;
}

START_TEST(test_duplicates)
{
	struct flood_limits lim = { .dedup_window_ms = 60000 };
	struct flood *f = flood_new(&lim);
	struct flood_key a = key("/a", V_UNKNOWN_FILE, LOG_WARNING);
	struct flood_key b = key("/b", V_UNKNOWN_FILE, LOG_WARNING);
	struct seen seen = { 0 };
	struct flood_stats st;
	int i, sent = 0;

	for (i = 0; i < 1000; i++) {
		sent += flood_admit(f, &a, 1000 + i, collect, &seen);
		sent += flood_admit(f, &b, 1000 + i, collect, &seen);
	}
	ck_assert_int_eq(sent, 2);
	ck_assert_int_eq(seen.n, 0);
	ck_assert_int_eq(flood_pending(f), 1);
	/* the window closes in record time: both summaries, in age order */
	flood_advance(f, 1000 + 60000, collect, &seen);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_int_eq(seen.s[0].kind, FLOOD_DUPLICATE);
	ck_assert_str_eq(seen.paths[0], "/a");
	ck_assert_str_eq(seen.paths[1], "/b");
	ck_assert_uint_eq(seen.s[0].count, 999);
	ck_assert_uint_eq(seen.s[0].first_ms, 1000);
	ck_assert_uint_eq(seen.s[0].last_ms, 1999);
	ck_assert_int_eq(flood_pending(f), 0);
	/* after the window the same finding alerts again */
	ck_assert_int_eq(flood_admit(f, &a, 70000, collect, &seen), 1);
	flood_get_stats(f, &st);
	ck_assert_uint_eq(st.duplicates, 1998);
	flood_free(f);
}
END_TEST

/* Different id, cause, op or digest: a different finding. */
START_TEST(test_key_parts)
{
	struct flood_limits lim = { .dedup_window_ms = 60000 };
	struct flood *f = flood_new(&lim);
	struct flood_key k = key("/a", V_APPRAISE_FAILED, LOG_ALERT);
	static const unsigned char other[32] = { 9 };
	struct seen seen = { 0 };

	ck_assert_int_eq(flood_admit(f, &k, 1, collect, &seen), 1);
	ck_assert_int_eq(flood_admit(f, &k, 2, collect, &seen), 0);
	k.cause = "d";
	ck_assert_int_eq(flood_admit(f, &k, 3, collect, &seen), 1);
	k.op = "appraise_metadata";
	ck_assert_int_eq(flood_admit(f, &k, 4, collect, &seen), 1);
	k.id = V_EVM_FAILED;
	ck_assert_int_eq(flood_admit(f, &k, 5, collect, &seen), 1);
	k.digest = other;
	ck_assert_int_eq(flood_admit(f, &k, 6, collect, &seen), 1);
	k.path = "/a2";
	k.path_len = 3;
	ck_assert_int_eq(flood_admit(f, &k, 7, collect, &seen), 1);
	flood_flush(f, collect, &seen);
	ck_assert_int_eq(seen.n, 1);	/* only the first one repeated */
	flood_free(f);
}
END_TEST

/* Memory is bounded: the oldest finding is summarised and forgotten. */
START_TEST(test_bounded)
{
	struct flood_limits lim = { .dedup_window_ms = 60000, .max_keys = 8 };
	struct flood *f = flood_new(&lim);
	struct seen seen = { 0 };
	struct flood_stats st;
	char path[16];
	struct flood_key k;
	int i;

	k = key("/first", V_UNKNOWN_FILE, LOG_WARNING);
	flood_admit(f, &k, 1, collect, &seen);
	flood_admit(f, &k, 2, collect, &seen);
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/n%d", i);
		k = key(path, V_UNKNOWN_FILE, LOG_WARNING);
		ck_assert_int_eq(flood_admit(f, &k, 3, collect, &seen), 1);
	}
	flood_get_stats(f, &st);
	ck_assert_uint_le(st.keys, 8);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_str_eq(seen.paths[0], "/first");
	ck_assert_uint_eq(seen.s[0].count, 1);
	flood_free(f);
}
END_TEST

START_TEST(test_rate)
{
	struct flood_limits lim = { 0 };
	struct flood *f;
	struct seen seen = { 0 };
	struct flood_key k;
	char path[16];
	int i, sent = 0, crit = 0;

	lim.rate[LOG_WARNING].limit = 100;
	lim.rate[LOG_WARNING].period_ms = 30000;
	lim.rate[LOG_CRIT].limit = 1;	/* ignored: crit is never limited */
	lim.rate[LOG_CRIT].period_ms = 30000;
	f = flood_new(&lim);
	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		k = key(path, i % 2 ? V_UNKNOWN_FILE : V_ALGO_UNAVAILABLE,
			LOG_WARNING);
		sent += flood_admit(f, &k, 5000 + i, collect, &seen);
		k = key(path, V_HASH_MISMATCH, LOG_CRIT);
		crit += flood_admit(f, &k, 5000 + i, collect, &seen);
	}
	ck_assert_int_eq(sent, 100);
	ck_assert_int_eq(crit, 1000);
	ck_assert_int_eq(seen.n, 0);
	/* the window ends 30 s after its first alert, in record time */
	flood_advance(f, 5000 + 29999, collect, &seen);
	ck_assert_int_eq(seen.n, 0);
	flood_advance(f, 5000 + 30000, collect, &seen);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_int_eq(seen.s[0].kind, FLOOD_RATE);
	ck_assert_int_eq(seen.s[0].level, LOG_WARNING);
	ck_assert_uint_eq(seen.s[0].count, 900);
	ck_assert_uint_eq(seen.s[0].by_id[V_UNKNOWN_FILE], 450);
	ck_assert_uint_eq(seen.s[0].by_id[V_ALGO_UNAVAILABLE], 450);
	/* a new window admits again */
	k = key("/again", V_UNKNOWN_FILE, LOG_WARNING);
	ck_assert_int_eq(flood_admit(f, &k, 40000, collect, &seen), 1);
	flood_free(f);
}
END_TEST

/* Same input, same decisions: nothing depends on the wall clock. */
START_TEST(test_deterministic)
{
	struct flood_limits lim = { .dedup_window_ms = 1000 };
	struct seen s1 = { 0 }, s2 = { 0 };
	struct flood *f;
	struct flood_key k;
	int run, i, sent[2] = { 0, 0 };
	char path[16];

	lim.rate[LOG_NOTICE].limit = 7;
	lim.rate[LOG_NOTICE].period_ms = 500;
	for (run = 0; run < 2; run++) {
		f = flood_new(&lim);
		for (i = 0; i < 500; i++) {
			snprintf(path, sizeof(path), "/d%d", i % 13);
			k = key(path, V_KNOWN_ELSEWHERE, LOG_NOTICE);
			sent[run] += flood_admit(f, &k, (uint64_t)i * 17,
						 collect, run ? &s2 : &s1);
		}
		flood_flush(f, collect, run ? &s2 : &s1);
		flood_free(f);
	}
	ck_assert_int_eq(sent[0], sent[1]);
	ck_assert_int_eq(s1.n, s2.n);
	ck_assert_int_gt(s1.n, 0);
}
END_TEST

Suite *flood_suite(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("flood");

	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_key_parts);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_deterministic);
	suite_add_tcase(s, tc);
	return s;
}

/* check_framing.c -- Check tests for the line framer (plugin/framing.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "framing.h"

/* Every line the framer handed out, copied. */
struct lines {
	size_t n, cap;
	char **s;
	size_t *len;
	int bad_nul;		/* a line came without line[len] == '\0' */
};

static void lines_add(const char *line, size_t len, void *arg)
{
	struct lines *l = arg;

	if (line[len] != '\0')
		l->bad_nul = 1;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->s = realloc(l->s, l->cap * sizeof(*l->s));
		l->len = realloc(l->len, l->cap * sizeof(*l->len));
		ck_assert_ptr_nonnull(l->s);
		ck_assert_ptr_nonnull(l->len);
	}
	l->s[l->n] = malloc(len + 1);
	ck_assert_ptr_nonnull(l->s[l->n]);
	memcpy(l->s[l->n], line, len + 1);
	l->len[l->n] = len;
	l->n++;
}

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* read_corpus - the whole of tests/corpus/NAME; fails the test if missing. */
static char *read_corpus(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *buf;
	long sz;

	if (top == NULL || *top == '\0')
		top = ".";
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/tests/corpus/%s",
				  top, name), (int)sizeof(path));
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "corpus file %s is missing (set top_srcdir)",
		      path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_gt(sz, 0);
	rewind(f);
	buf = malloc((size_t)sz);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

/* feed_pieces - feed buf in pieces of at most piece bytes, then finish. */
static void feed_pieces(struct framing *f, const char *buf, size_t len,
			size_t piece, struct lines *out)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		framing_feed(f, buf + off, n, lines_add, out);
	}
	framing_finish(f, lines_add, out);
}

static const size_t corpus_pieces[] = { 1, 3, 4096 };
static const char *const corpus_files[] = {
	"vm-ima-enriched.log", "vm-ima-raw.log"
};

/* Loop i: file i / 3, piece size i % 3. */
START_TEST(test_corpus_pieces)
{
	const char *name = corpus_files[_i / 3];
	size_t piece = corpus_pieces[_i % 3];
	struct lines whole = { 0 }, cut = { 0 };
	struct framing_stats st;
	struct framing *f;
	size_t len, i, newlines = 0;
	char *buf = read_corpus(name, &len);

	for (i = 0; i < len; i++)
		newlines += buf[i] == '\n';
	ck_assert_msg(newlines > 400, "%s: only %zu lines", name, newlines);

	f = framing_new(FRAMING_DEFAULT_MAX_LINE);
	ck_assert_ptr_nonnull(f);
	framing_feed(f, buf, len, lines_add, &whole);
	framing_finish(f, lines_add, &whole);
	framing_free(f);
	/* The recording ends with '\n': one line per newline. */
	ck_assert_uint_eq(whole.n, newlines);

	f = framing_new(FRAMING_DEFAULT_MAX_LINE);
	ck_assert_ptr_nonnull(f);
	feed_pieces(f, buf, len, piece, &cut);
	framing_get_stats(f, &st);
	ck_assert(!framing_is_binary(f));
	framing_free(f);

	ck_assert_uint_eq(cut.n, whole.n);
	ck_assert_uint_eq(st.lines, whole.n);
	ck_assert_uint_eq(st.bytes, len);
	ck_assert_uint_eq(st.overlong, 0);
	ck_assert(!whole.bad_nul && !cut.bad_nul);
	for (i = 0; i < whole.n; i++) {
		ck_assert_uint_eq(cut.len[i], whole.len[i]);
		ck_assert_msg(memcmp(cut.s[i], whole.s[i], whole.len[i]) == 0,
			      "%s piece %zu: line %zu differs", name, piece, i);
	}
	/* And the lines are the file's: rejoined with '\n' they give it back. */
	{
		size_t off = 0;

		for (i = 0; i < whole.n; i++) {
			ck_assert_uint_le(off + whole.len[i] + 1, len);
			ck_assert(memcmp(buf + off, whole.s[i],
					 whole.len[i]) == 0);
			ck_assert_int_eq(buf[off + whole.len[i]], '\n');
			off += whole.len[i] + 1;
		}
		ck_assert_uint_eq(off, len);
	}
	lines_free(&whole);
	lines_free(&cut);
	free(buf);
}
END_TEST

/* A stream: a line of limit bytes, one of limit + 1, then a short one. */
static char *limit_stream(size_t limit, size_t *len)
{
	const char *tail = "type=EOE msg=audit(1.2:3): \n";
	size_t tl = strlen(tail);
	char *s = malloc(2 * limit + 3 + tl);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', limit);
	s[limit] = '\n';
	memset(s + limit + 1, 'b', limit + 1);
	s[2 * limit + 2] = '\n';
	memcpy(s + 2 * limit + 3, tail, tl);
	*len = 2 * limit + 3 + tl;
	return s;
}

static const size_t limit_pieces[] = { 1, 7, 4096, 1 << 20 };

START_TEST(test_limit_exact)
{
	size_t limit = FRAMING_MIN_MAX_LINE, len;
	char *s = limit_stream(limit, &len);
	struct lines l = { 0 };
	struct framing_stats st;
	struct framing *f = framing_new(limit);

	ck_assert_ptr_nonnull(f);
	feed_pieces(f, s, len, limit_pieces[_i], &l);
	framing_get_stats(f, &st);
	framing_free(f);

	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.len[0], limit);
	ck_assert_int_eq(l.s[0][0], 'a');
	ck_assert_int_eq(l.s[0][limit - 1], 'a');
	ck_assert_str_eq(l.s[1], "type=EOE msg=audit(1.2:3): ");
	ck_assert_uint_eq(st.overlong, 1);
	ck_assert_uint_eq(st.lines, 2);
	ck_assert_uint_eq(st.bytes, len);
	lines_free(&l);
	free(s);
}
END_TEST

/* auditd lines reach ~9 KiB: 16 KiB must pass with the default and a 0 limit. */
START_TEST(test_16k_line_default)
{
	static const size_t limits[] = { FRAMING_DEFAULT_MAX_LINE, 0 };
	size_t n = 16 * 1024;
	char *s = malloc(n + 1);
	struct lines l = { 0 };
	struct framing_stats st;
	struct framing *f = framing_new(limits[_i]);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(s);
	memset(s, 'x', n);
	s[n] = '\n';
	feed_pieces(f, s, n + 1, 1000, &l);
	framing_get_stats(f, &st);
	framing_free(f);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.len[0], n);
	ck_assert_uint_eq(st.overlong, 0);
	lines_free(&l);
	free(s);
}
END_TEST

START_TEST(test_last_line_at_finish)
{
	const char *s = "type=A msg=x\ntype=B msg=y";
	struct lines l = { 0 };
	struct framing *f = framing_new(0);

	ck_assert_ptr_nonnull(f);
	framing_feed(f, s, strlen(s), lines_add, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.s[0], "type=A msg=x");
	framing_finish(f, lines_add, &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.s[1], "type=B msg=y");
	/* Finishing again hands out nothing more. */
	framing_finish(f, lines_add, &l);
	ck_assert_uint_eq(l.n, 2);
	framing_free(f);
	lines_free(&l);
}
END_TEST

/* An over-long unterminated tail is counted once and never handed out. */
START_TEST(test_overlong_tail)
{
	size_t n = FRAMING_MIN_MAX_LINE + 10;
	char *s = malloc(n);
	struct lines l = { 0 };
	struct framing_stats st;
	struct framing *f = framing_new(FRAMING_MIN_MAX_LINE);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(s);
	memset(s, 'z', n);
	feed_pieces(f, s, n, 100, &l);
	framing_get_stats(f, &st);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(st.overlong, 1);
	/* The framer is usable again afterwards. */
	framing_feed(f, "ok\n", 3, lines_add, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.s[0], "ok");
	framing_free(f);
	lines_free(&l);
	free(s);
}
END_TEST

static const char binary_first[] = { 0x00, 0x01 };

START_TEST(test_binary_detected)
{
	char hdr[64];
	struct lines l = { 0 };
	struct framing_stats st;
	struct framing *f = framing_new(0);
	const char *text = "type=SYSCALL msg=audit(1.2:3): x\n";

	ck_assert_ptr_nonnull(f);
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = binary_first[_i];
	hdr[20] = '\n';
	framing_feed(f, hdr, sizeof(hdr), lines_add, &l);
	ck_assert(framing_is_binary(f));
	framing_feed(f, text, strlen(text), lines_add, &l);
	framing_finish(f, lines_add, &l);
	framing_get_stats(f, &st);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(st.lines, 0);
	ck_assert_uint_eq(st.bytes, sizeof(hdr) + strlen(text));
	framing_free(f);
}
END_TEST

START_TEST(test_text_not_binary)
{
	struct lines l = { 0 };
	struct framing *f = framing_new(0);

	ck_assert_ptr_nonnull(f);
	/* A NUL later in the stream does not make it binary. */
	framing_feed(f, "node=h type=X\n\001\n", 16, lines_add, &l);
	ck_assert(!framing_is_binary(f));
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.len[1], 1);
	framing_free(f);
	lines_free(&l);
}
END_TEST

START_TEST(test_embedded_nul)
{
	static const char s[] = "ab\0cd\nef\n";
	struct lines l = { 0 };
	struct framing *f = framing_new(0);

	ck_assert_ptr_nonnull(f);
	feed_pieces(f, s, sizeof(s) - 1, (size_t)_i + 1, &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.len[0], 5);
	ck_assert(memcmp(l.s[0], "ab\0cd", 6) == 0);
	ck_assert_str_eq(l.s[1], "ef");
	ck_assert(!l.bad_nul);
	framing_free(f);
	lines_free(&l);
}
END_TEST

/* Empty lines are lines too (the intake counts them malformed). */
START_TEST(test_empty_lines)
{
	struct lines l = { 0 };
	struct framing *f = framing_new(0);

	ck_assert_ptr_nonnull(f);
	framing_feed(f, "\n\nx\n", 4, lines_add, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.len[0], 0);
	ck_assert_uint_eq(l.len[1], 0);
	ck_assert_str_eq(l.s[2], "x");
	framing_free(f);
	lines_free(&l);
}
END_TEST

Suite *framing_suite(void)
{
	Suite *s = suite_create("framing");
	TCase *tc = tcase_create("lines");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_corpus_pieces, 0, 6);
	tcase_add_loop_test(tc, test_limit_exact, 0,
			    sizeof(limit_pieces) / sizeof(limit_pieces[0]));
	tcase_add_loop_test(tc, test_16k_line_default, 0, 2);
	tcase_add_test(tc, test_last_line_at_finish);
	tcase_add_test(tc, test_overlong_tail);
	tcase_add_loop_test(tc, test_binary_detected, 0, 2);
	tcase_add_test(tc, test_text_not_binary);
	tcase_add_loop_test(tc, test_embedded_nul, 0, 4);
	tcase_add_test(tc, test_empty_lines);
	suite_add_tcase(s, tc);
	return s;
}

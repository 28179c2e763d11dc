/* check_manifest.c -- Check tests for the sha*sum / BSD-tag manifest parser */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "manifest.h"

#define H64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H64U "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
#define H40 "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define H128 "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
	     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

struct good_case {
	const char *line;
	size_t len;		/* 0: strlen(line) */
	const char *algo;	/* --algo, or NULL */
	const char *want_algo;
	const char *want_hex;
	const char *want_path;
	size_t want_path_len;	/* 0: strlen(want_path) */
};

static const struct good_case good[] = {
	/* GNU text and binary mode */
	{ H64 "  /usr/bin/ls", 0, NULL, "sha256", H64, "/usr/bin/ls", 0 },
	{ H64 " */usr/bin/ls", 0, NULL, "sha256", H64, "/usr/bin/ls", 0 },
	/* spaces in the name are part of it, even trailing ones */
	{ H64 "  /a b/c d ", 0, NULL, "sha256", H64, "/a b/c d ", 0 },
	/* upper-case hex */
	{ H64U "  /x", 0, NULL, "sha256", H64, "/x", 0 },
	/* coreutils' escaped names: backslash, newline, carriage return */
	{ "\\" H64 "  /a\\\\b", 0, NULL, "sha256", H64, "/a\\b", 0 },
	{ "\\" H64 "  /new\\nline", 0, NULL, "sha256", H64, "/new\nline", 0 },
	{ "\\" H64 "  /cr\\r", 0, NULL, "sha256", H64, "/cr\r", 0 },
	/* without the leading backslash a backslash is just a byte */
	{ H64 "  /a\\nb", 0, NULL, "sha256", H64, "/a\\nb", 0 },
	/* like GNU, a trailing \r belongs to the name */
	{ H64 "  /dos\r", 0, NULL, "sha256", H64, "/dos\r", 0 },
	/* bytes >= 0x80 */
	{ H64 "  /caf\xc3\xa9", 0, NULL, "sha256", H64, "/caf\xc3\xa9", 0 },
	/* algorithm by length */
	{ H40 "  /sha1", 0, NULL, "sha1", H40, "/sha1", 0 },
	{ H128 "  /sha512", 0, NULL, "sha512", H128, "/sha512", 0 },
	/* --algo names what the length cannot */
	{ H64 "  /sm3", 0, "sm3", "sm3", H64, "/sm3", 0 },
	/* BSD tags */
	{ "SHA256 (/usr/bin/ls) = " H64, 0, NULL, "sha256", H64,
	  "/usr/bin/ls", 0 },
	{ "SHA1 (/a (b)) = " H40, 0, NULL, "sha1", H40, "/a (b)", 0 },
	{ "SM3 (/s) = " H64, 0, NULL, "sm3", H64, "/s", 0 },
	{ "\\SHA256 (/n\\nl) = " H64U, 0, NULL, "sha256", H64, "/n\nl", 0 },
	/* the tag wins over --algo */
	{ "SHA1 (/t) = " H40, 0, "sha256", "sha1", H40, "/t", 0 },
	/* leading white space is skipped, as coreutils does */
	{ "  " H64 "  /lead", 0, NULL, "sha256", H64, "/lead", 0 },
};

static void check_good(size_t i)
{
	const struct good_case *c = &good[i];
	const struct hashalgo *algo = NULL;
	struct manifest_entry e;
	unsigned char want[HASHALGO_MAX_DIGEST];
	size_t len = c->len ? c->len : strlen(c->line);
	size_t plen;
	char err[200] = "";
	int r;

	if (c->algo != NULL)
		algo = hashalgo_by_name(c->algo, strlen(c->algo));
	memset(&e, 0, sizeof(e));
	r = manifest_parse_line(c->line, len, 7, algo, &e, err, sizeof(err));
	ck_assert_msg(r == 1, "case %zu: r=%d err=%s", i, r, err);
	ck_assert_str_eq(e.algo->name, c->want_algo);
	ck_assert_uint_eq(e.line, 7);
	ck_assert_uint_eq(e.digest_len, strlen(c->want_hex) / 2);
	ck_assert_int_eq(hashalgo_hex_decode(c->want_hex, strlen(c->want_hex),
					     want, e.digest_len), 0);
	ck_assert_mem_eq(e.digest, want, e.digest_len);
	plen = c->want_path_len ? c->want_path_len : strlen(c->want_path);
	ck_assert_uint_eq(e.path_len, plen);
	ck_assert_mem_eq(e.path, c->want_path, plen);
	ck_assert_int_eq(e.path[plen], '\0');
	free(e.path);
}

START_TEST(test_good_lines)
{
	check_good((size_t)_i);
}
END_TEST

struct bad_case {
	const char *line;
	size_t len;
	const char *algo;
	const char *want;	/* a part of the reason */
};

static const struct bad_case bad[] = {
	{ H64 "0  /x", 0, NULL, "cannot tell the algorithm of a 65-digit" },
	{ "abc  /x", 0, NULL, "cannot tell the algorithm" },
	{ H40 "  /x", 0, "sha256", "40 hex digits, sha256 needs 64" },
	{ "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /x",
	  0, NULL, "not hex" },
	{ H64 " /x", 0, NULL, "two spaces" },
	{ H64 "\t/x", 0, NULL, "two spaces" },
	{ H64, 0, NULL, "missing path" },
	{ H64 " ", 0, NULL, "missing path" },
	{ H64 "  ", 0, NULL, "missing path" },
	{ "BLAKE2b (/x) = " H64, 0, NULL, "unknown tag 'BLAKE2b'" },
	{ "SHA256 () = " H64, 0, NULL, "missing path" },
	{ "SHA256 (/x) " H64, 0, NULL, "') = '" },
	{ "SHA256 (/x) = " H40, 0, NULL, "sha256 needs 64" },
	{ "SHA256 (/x) = " H64 " ", 0, NULL, "not hex" },
	{ "SHA512 (/x) = = " H128, 0, NULL, "not hex" },
	{ H64 "  /nul\0byte", sizeof(H64 "  /nul\0byte") - 1, NULL, "NUL" },
	{ "\\" H64 "  /bad\\escape", 0, NULL, "escape" },
	{ "\\" H64 "  /lone\\", 0, NULL, "lone backslash" },
};

START_TEST(test_bad_lines)
{
	const struct bad_case *c = &bad[_i];
	const struct hashalgo *algo = NULL;
	struct manifest_entry e;
	size_t len = c->len ? c->len : strlen(c->line);
	char err[200] = "";
	int r;

	if (c->algo != NULL)
		algo = hashalgo_by_name(c->algo, strlen(c->algo));
	memset(&e, 0, sizeof(e));
	r = manifest_parse_line(c->line, len, 42, algo, &e, err, sizeof(err));
	ck_assert_msg(r == -1, "case %d: accepted", _i);
	ck_assert_ptr_null(e.path);
	ck_assert_msg(strncmp(err, "line 42: ", 9) == 0,
		      "case %d: no line number in '%s'", _i, err);
	ck_assert_msg(strstr(err, c->want) != NULL,
		      "case %d: '%s' does not say '%s'", _i, err, c->want);
}
END_TEST

START_TEST(test_skipped_lines)
{
	struct manifest_entry e;
	char err[100] = "";

	memset(&e, 0, sizeof(e));
	e.line = 12345;
	ck_assert_int_eq(manifest_parse_line("", 0, 1, NULL, &e, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(manifest_parse_line("   ", 3, 1, NULL, &e, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(manifest_parse_line("# comment", 9, 1, NULL, &e, err,
					     sizeof(err)), 0);
	/* untouched */
	ck_assert_uint_eq(e.line, 12345);
	ck_assert_ptr_null(e.path);
}
END_TEST

struct collected {
	unsigned n;
	char paths[8][64];
	unsigned long lines[8];
};

static int collect(const struct manifest_entry *e, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8) {
		snprintf(c->paths[c->n], sizeof(c->paths[0]), "%s", e->path);
		c->lines[c->n] = e->line;
	}
	c->n++;
	return 0;
}

static int stop_at_second(const struct manifest_entry *e, void *arg)
{
	(void)e;
	return ++*(int *)arg == 2 ? 5 : 0;
}

/* mem_file - a FILE reading the given bytes (NULs included). */
static FILE *mem_file(const char *s, size_t len)
{
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(s, 1, len, f), len);
	rewind(f);
	return f;
}

START_TEST(test_read_whole_file)
{
	static const char text[] =
		"# made by hand\n"
		H64 "  /one\n"
		"\n"
		"SHA1 (/two) = " H40 "\r\n"
		"\\" H64 "  /three\\nlines\n"
		H64 " */four";	/* no final newline */
	struct collected c;
	char err[200] = "";
	FILE *f;

	memset(&c, 0, sizeof(c));
	f = mem_file(text, sizeof(text) - 1);
	/* The BSD line ends in \r: as with GNU, that is not hex. */
	ck_assert_int_eq(manifest_read(f, NULL, collect, &c, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "line 4: digest is not hex");
	ck_assert_uint_eq(c.n, 1);
	fclose(f);

	memset(&c, 0, sizeof(c));
	f = mem_file(text, sizeof(text) - 1);
	{
		/* Same file, Unix line endings. */
		char unix_text[sizeof(text)];
		char *cr;

		memcpy(unix_text, text, sizeof(text));
		cr = strchr(unix_text, '\r');
		memmove(cr, cr + 1, strlen(cr + 1) + 1);
		fclose(f);
		f = mem_file(unix_text, strlen(unix_text));
	}
	ck_assert_int_eq(manifest_read(f, NULL, collect, &c, err,
				       sizeof(err)), 0);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_str_eq(c.paths[0], "/one");
	ck_assert_uint_eq(c.lines[0], 2);
	ck_assert_str_eq(c.paths[1], "/two");
	ck_assert_uint_eq(c.lines[1], 4);
	ck_assert_str_eq(c.paths[2], "/three\nlines");
	ck_assert_str_eq(c.paths[3], "/four");
	ck_assert_uint_eq(c.lines[3], 6);
	fclose(f);
}
END_TEST

START_TEST(test_read_errors)
{
	static const char nul[] = H64 "  /ok\n" H64 "  /b\0d\n";
	struct collected c;
	unsigned long line = 0;
	char err[200] = "", *big;
	int count = 0;
	FILE *f;

	memset(&c, 0, sizeof(c));
	f = mem_file(nul, sizeof(nul) - 1);
	ck_assert_int_eq(manifest_read(f, NULL, collect, &c, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "line 2: NUL byte in line");
	fclose(f);

	/* The detail form keeps the line number apart from the reason. */
	f = mem_file(nul, sizeof(nul) - 1);
	ck_assert_int_eq(manifest_read_detail(f, NULL, collect, &c, &line,
					      err, sizeof(err)), -1);
	ck_assert_uint_eq(line, 2);
	ck_assert_str_eq(err, "NUL byte in line");
	fclose(f);

	/* An endless line is refused, not swallowed. */
	big = malloc(MANIFEST_MAX_LINE + 100);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', MANIFEST_MAX_LINE + 100);
	f = mem_file(big, MANIFEST_MAX_LINE + 100);
	ck_assert_int_eq(manifest_read(f, NULL, collect, &c, err,
				       sizeof(err)), -1);
	ck_assert_msg(strstr(err, "line 1: line longer than") == err, "%s",
		      err);
	fclose(f);
	free(big);

	/* The callback's value stops the read and comes back. */
	f = mem_file(H64 "  /a\n" H64 "  /b\n" H64 "  /c\n",
		     3 * (64 + 5));
	ck_assert_int_eq(manifest_read(f, NULL, stop_at_second, &count, err,
				       sizeof(err)), 5);
	ck_assert_int_eq(count, 2);
	fclose(f);
}
END_TEST

Suite *manifest_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("lines");

	tcase_add_loop_test(tc, test_good_lines, 0,
			    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, test_bad_lines, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_skipped_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, test_read_whole_file);
	tcase_add_test(tc, test_read_errors);
	suite_add_tcase(s, tc);
	return s;
}

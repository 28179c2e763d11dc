/* check_refdb.c -- Check tests for the reference database: writer, reader, failures */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check_suites.h"
#include "refdb.h"
#include "refdb_sig.h"

/* A scratch directory per test, holding the database "refdb.sqlite". */
static char dir[256];
static char dbpath[300];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check-refdb.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/refdb.sqlite", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[600];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Digests: every byte the same value, easy to tell apart. */
static void fill(unsigned char *d, size_t n, unsigned char v)
{
	memset(d, v, n);
}

/* dir_names - the sorted names in the scratch directory, space-separated. */
static void dir_names(char *out, size_t cap)
{
	struct dirent **list;
	int n, i;
	size_t used = 0;

	out[0] = '\0';
	n = scandir(dir, &list, NULL, alphasort);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 &&
		    strcmp(list[i]->d_name, "..") != 0)
			used += (size_t)snprintf(out + used, cap - used,
						 "%s%s", used ? " " : "",
						 list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

/* read_all - the whole file; *len its size. */
static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static const char odd_space[] = "/opt/with space/x y";
static const char odd_newline[] = "/opt/new\nline";
static const char odd_high[] = "/opt/caf\xc3\xa9\xff";

/*
 * make_db - the database every reader test uses:
 *   /usr/bin/ls     sha256 0x11
 *   /a/copy         sha256 0x11 (the same content elsewhere)
 *   /multi          sha256 0x22 and 0x33
 *   /only512        sha512 0x44
 *   three odd names sha256 0x55, 0x66, 0x77
 *   deny            sha256 0xdd
 *   excludes        "/tmp/", "/proc"
 */
static void make_db(void)
{
	struct refdb_writer *w = NULL;
	unsigned char d[64];
	char err[300] = "";
	int64_t scan, man;

	ck_assert_int_eq(refdb_writer_begin(dbpath, 1, &w, err, sizeof(err)),
			 0);
	scan = refdb_writer_source(w, "scan", "/usr");
	man = refdb_writer_source(w, "manifest", "/srv/ref.sha256");
	ck_assert_int_gt(scan, 0);
	ck_assert_int_gt(man, 0);
	ck_assert_int_ne(scan, man);
	/* The same source twice is the same id. */
	ck_assert_int_eq(refdb_writer_source(w, "scan", "/usr"), scan);
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_writer_add(w, "/usr/bin/ls", 11, "sha256", d,
					  32, scan), 1);
	ck_assert_int_eq(refdb_writer_add(w, "/usr/bin/ls", 11, "sha256", d,
					  32, scan), 0);
	ck_assert_int_eq(refdb_writer_add(w, "/a/copy", 7, "SHA256", d, 32,
					  man), 1);
	fill(d, 32, 0x22);
	ck_assert_int_eq(refdb_writer_add(w, "/multi", 6, "sha256", d, 32,
					  man), 1);
	fill(d, 32, 0x33);
	ck_assert_int_eq(refdb_writer_add(w, "/multi", 6, "sha256", d, 32,
					  man), 1);
	fill(d, 64, 0x44);
	ck_assert_int_eq(refdb_writer_add(w, "/only512", 8, "sha512", d, 64,
					  man), 1);
	fill(d, 32, 0x55);
	ck_assert_int_eq(refdb_writer_add(w, odd_space, strlen(odd_space),
					  "sha256", d, 32, man), 1);
	fill(d, 32, 0x66);
	ck_assert_int_eq(refdb_writer_add(w, odd_newline, strlen(odd_newline),
					  "sha256", d, 32, man), 1);
	fill(d, 32, 0x77);
	ck_assert_int_eq(refdb_writer_add(w, odd_high, strlen(odd_high),
					  "sha256", d, 32, man), 1);
	fill(d, 32, 0xdd);
	ck_assert_int_eq(refdb_writer_deny(w, "sha256", d, 32, man), 1);
	ck_assert_int_eq(refdb_writer_exclude(w, "/tmp/", scan), 1);
	ck_assert_int_eq(refdb_writer_exclude(w, "/proc", scan), 1);
	ck_assert_int_eq(refdb_writer_exclude(w, "/proc", scan), 0);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
}

static struct refdb *open_db(void)
{
	struct refdb *db = NULL;
	char err[300] = "";

	ck_assert_msg(refdb_open_readonly(dbpath, &db, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(db);
	return db;
}

START_TEST(test_check_path)
{
	struct refdb_path_result res;
	struct refdb *db;
	unsigned char d[64], want[32];

	make_db();
	db = open_db();

	/* match */
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.path_known, 1);
	ck_assert_int_eq(res.algo_known, 1);
	ck_assert_int_eq(res.match, 1);
	ck_assert_uint_eq(res.n_expected, 1);

	/* mismatch: the expected digest comes back */
	fill(d, 32, 0x99);
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.path_known, 1);
	ck_assert_int_eq(res.algo_known, 1);
	ck_assert_int_eq(res.match, 0);
	ck_assert_uint_eq(res.n_expected, 1);
	ck_assert_uint_eq(res.expected_len, 32);
	fill(want, 32, 0x11);
	ck_assert_mem_eq(res.expected[0], want, 32);

	/* a path with two digests matches either, reports both */
	fill(d, 32, 0x33);
	ck_assert_int_eq(refdb_check_path(db, "/multi", 6, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.match, 1);
	ck_assert_uint_eq(res.n_expected, 2);

	/* algorithm unavailable: known path, no sha256 entry */
	fill(d, 32, 0x44);
	ck_assert_int_eq(refdb_check_path(db, "/only512", 8, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.path_known, 1);
	ck_assert_int_eq(res.algo_known, 0);
	ck_assert_int_eq(res.match, 0);
	ck_assert_uint_eq(res.n_expected, 0);
	/* ... but in sha512 it matches */
	fill(d, 64, 0x44);
	ck_assert_int_eq(refdb_check_path(db, "/only512", 8, "sha512", d, 64,
					  &res), 0);
	ck_assert_int_eq(res.match, 1);

	/* unknown path; a prefix of a known path is not that path */
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/l", 10, "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.path_known, 0);
	ck_assert_int_eq(res.match, 0);

	/* bad arguments */
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha257", d,
					  32, &res), REFDB_E_INVAL);
	ck_assert_ptr_nonnull(strstr(refdb_errmsg(db), "sha257"));
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha256", d,
					  20, &res), REFDB_E_INVAL);
	ck_assert_int_eq(refdb_check_path(db, "", 0, "sha256", d, 32, &res),
			 REFDB_E_INVAL);
	refdb_close(db);
}
END_TEST

START_TEST(test_odd_paths)
{
	struct refdb_path_result res;
	struct refdb *db;
	unsigned char d[32];
	char found[64];

	make_db();
	db = open_db();
	fill(d, 32, 0x55);
	ck_assert_int_eq(refdb_check_path(db, odd_space, strlen(odd_space),
					  "sha256", d, 32, &res), 0);
	ck_assert_int_eq(res.match, 1);
	fill(d, 32, 0x66);
	ck_assert_int_eq(refdb_check_path(db, odd_newline,
					  strlen(odd_newline), "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.match, 1);
	/* "/opt/new" alone is not the name with the newline */
	ck_assert_int_eq(refdb_check_path(db, "/opt/new", 8, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.path_known, 0);
	fill(d, 32, 0x77);
	ck_assert_int_eq(refdb_check_path(db, odd_high, strlen(odd_high),
					  "sha256", d, 32, &res), 0);
	ck_assert_int_eq(res.match, 1);
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, NULL, 0,
					   found, sizeof(found)), 1);
	ck_assert_str_eq(found, odd_high);
	refdb_close(db);
}
END_TEST

START_TEST(test_find_digest)
{
	struct refdb *db;
	unsigned char d[32];
	char found[64];

	make_db();
	db = open_db();
	fill(d, 32, 0x11);
	/* the smallest path holding it */
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, NULL, 0,
					   found, sizeof(found)), 1);
	ck_assert_str_eq(found, "/a/copy");
	/* not the path being judged */
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, "/a/copy", 7,
					   found, sizeof(found)), 1);
	ck_assert_str_eq(found, "/usr/bin/ls");
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, "/usr/bin/ls",
					   11, found, sizeof(found)), 1);
	ck_assert_str_eq(found, "/a/copy");
	/* cut to the buffer, NUL-terminated */
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, NULL, 0,
					   found, 4), 1);
	ck_assert_str_eq(found, "/a/");
	/* a digest only one path has is not known elsewhere */
	fill(d, 32, 0x22);
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, "/multi", 6,
					   found, sizeof(found)), 0);
	/* the same bytes in another algorithm are another digest */
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_find_digest(db, "sm3", d, 32, NULL, 0, found,
					   sizeof(found)), 0);
	fill(d, 32, 0x12);
	ck_assert_int_eq(refdb_find_digest(db, "sha256", d, 32, NULL, 0,
					   found, sizeof(found)), 0);
	refdb_close(db);
}
END_TEST

START_TEST(test_deny)
{
	struct refdb *db;
	unsigned char d[32];

	make_db();
	db = open_db();
	fill(d, 32, 0xdd);
	ck_assert_int_eq(refdb_is_denied(db, "sha256", d, 32), 1);
	ck_assert_int_eq(refdb_is_denied(db, "sm3", d, 32), 0);
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_is_denied(db, "sha256", d, 32), 0);
	ck_assert_int_eq(refdb_is_denied(db, "nope", d, 32), REFDB_E_INVAL);
	refdb_close(db);
}
END_TEST

static int collect_exclude(const char *pattern, void *arg)
{
	char *out = arg;

	strcat(out, pattern);
	strcat(out, "|");
	return 0;
}

static int stop_exclude(const char *pattern, void *arg)
{
	(void)pattern;
	(void)arg;
	return 7;
}

START_TEST(test_excludes)
{
	struct refdb_writer *w = NULL;
	struct refdb *db;
	char got[200] = "", err[300] = "";

	make_db();
	db = open_db();
	ck_assert_int_eq(refdb_foreach_exclude(db, collect_exclude, got), 0);
	ck_assert_str_eq(got, "/proc|/tmp/|");
	ck_assert_int_eq(refdb_foreach_exclude(db, stop_exclude, NULL), 7);
	refdb_close(db);

	/* a pattern that does not compile is refused with its offset */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	ck_assert_int_eq(refdb_writer_exclude(w, "/usr/(lib", 1),
			 REFDB_E_REGEX);
	ck_assert_msg(strstr(refdb_writer_errmsg(w), "offset 9") != NULL,
		      "%s", refdb_writer_errmsg(w));
	refdb_writer_abort(w);
}
END_TEST

struct sources {
	char text[400];
};

static int collect_source(const char *kind, const char *name,
			  int64_t entries, void *arg)
{
	struct sources *s = arg;
	size_t used = strlen(s->text);

	snprintf(s->text + used, sizeof(s->text) - used, "%s %s %lld|", kind,
		 name, (long long)entries);
	return 0;
}

static int collect_entry(const char *algo, const unsigned char *digest,
			 size_t dlen, const char *source, void *arg)
{
	char *out = arg;
	size_t used = strlen(out);

	snprintf(out + used, 400 - used, "%s %02x %zu %s|", algo, digest[0],
		 dlen, source);
	return 0;
}

static int collect_digest_path(const char *path, size_t len,
			       const char *algo, void *arg)
{
	char *out = arg;
	size_t used = strlen(out);

	ck_assert_uint_eq(strlen(path), len);
	snprintf(out + used, 400 - used, "%s %s|", algo, path);
	return 0;
}

START_TEST(test_info_and_listing)
{
	struct refdb_info info;
	struct sources src;
	struct refdb *db;
	unsigned char d[32];
	char got[400] = "";

	make_db();
	db = open_db();
	ck_assert_int_eq(refdb_get_info(db, &info), 0);
	ck_assert_int_eq(info.schema_version, REFDB_SCHEMA_VERSION);
	ck_assert_int_eq(info.paths, 7);
	ck_assert_int_eq(info.digests, 8);
	ck_assert_int_eq(info.denied, 1);
	ck_assert_int_eq(info.excludes, 2);
	ck_assert_str_eq(info.algos, "sha256=7 sha512=1");
	ck_assert_msg(strncmp(info.generator, "ima-refdb ", 10) == 0, "%s",
		      info.generator);
	ck_assert_uint_eq(strlen(info.created), 20);	/* 2024-01-01T00:00:00Z */
	ck_assert_int_eq(info.created[19], 'Z');
	ck_assert_uint_eq(strlen(info.updated), 20);

	memset(&src, 0, sizeof(src));
	ck_assert_int_eq(refdb_foreach_source(db, collect_source, &src), 0);
	ck_assert_str_eq(src.text,
			 "scan /usr 1|manifest /srv/ref.sha256 7|");

	ck_assert_int_eq(refdb_foreach_path_entry(db, "/multi", 6,
						  collect_entry, got), 0);
	ck_assert_str_eq(got, "sha256 22 32 manifest:/srv/ref.sha256|"
			 "sha256 33 32 manifest:/srv/ref.sha256|");

	got[0] = '\0';
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_foreach_digest_path(db, NULL, d, 32,
						   collect_digest_path, got),
			 0);
	ck_assert_str_eq(got, "sha256 /a/copy|sha256 /usr/bin/ls|");
	got[0] = '\0';
	ck_assert_int_eq(refdb_foreach_digest_path(db, "sha256", d, 32,
						   collect_digest_path, got),
			 0);
	ck_assert_str_eq(got, "sha256 /a/copy|sha256 /usr/bin/ls|");
	got[0] = '\0';
	ck_assert_int_eq(refdb_foreach_digest_path(db, "sm3", d, 32,
						   collect_digest_path, got),
			 0);
	ck_assert_str_eq(got, "");
	refdb_close(db);
}
END_TEST

START_TEST(test_writer_validation)
{
	struct refdb_writer *w = NULL;
	unsigned char d[64];
	char err[300] = "";
	int64_t src;

	fill(d, 64, 1);
	ck_assert_int_eq(refdb_writer_begin(dbpath, 1, &w, err, sizeof(err)),
			 0);
	src = refdb_writer_source(w, "scan", "/");
	ck_assert_int_eq(refdb_writer_add(w, "/x", 2, "md6", d, 32, src),
			 REFDB_E_INVAL);
	ck_assert_ptr_nonnull(strstr(refdb_writer_errmsg(w), "md6"));
	ck_assert_int_eq(refdb_writer_add(w, "/x", 2, "sha256", d, 31, src),
			 REFDB_E_INVAL);
	ck_assert_int_eq(refdb_writer_add(w, "/x", 2, "sha1", d, 32, src),
			 REFDB_E_INVAL);
	ck_assert_int_eq(refdb_writer_add(w, "", 0, "sha256", d, 32, src),
			 REFDB_E_INVAL);
	ck_assert_int_eq(refdb_writer_add(w, "/a\0b", 4, "sha256", d, 32,
					  src), REFDB_E_INVAL);
	ck_assert_ptr_nonnull(strstr(refdb_writer_errmsg(w), "NUL"));
	ck_assert_int_eq(refdb_writer_deny(w, "sha512", d, 32, src),
			 REFDB_E_INVAL);
	ck_assert_int_eq(refdb_writer_exclude(w, "", src), REFDB_E_INVAL);
	/* sm3-256 is the old kernels' name of sm3 */
	ck_assert_int_eq(refdb_writer_add(w, "/s", 2, "sm3-256", d, 32, src),
			 1);
	ck_assert_int_eq(refdb_writer_add(w, "/s", 2, "sm3", d, 32, src), 0);
	refdb_writer_abort(w);
}
END_TEST

START_TEST(test_set_path)
{
	struct refdb_writer *w = NULL;
	struct refdb_path_result res;
	struct refdb *db;
	unsigned char d[64];
	char err[300] = "";

	make_db();
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	fill(d, 32, 0x88);
	ck_assert_int_eq(refdb_writer_set_path(w, "/multi", 6, "sha256", d,
					       32, 1), 1);
	/* a digest of another algorithm is left alone */
	fill(d, 32, 0x89);
	ck_assert_int_eq(refdb_writer_set_path(w, "/only512", 8, "sha256", d,
					       32, 1), 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	db = open_db();
	fill(d, 32, 0x22);
	ck_assert_int_eq(refdb_check_path(db, "/multi", 6, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.match, 0);
	ck_assert_uint_eq(res.n_expected, 1);
	ck_assert_int_eq(res.expected[0][0], 0x88);
	fill(d, 64, 0x44);
	ck_assert_int_eq(refdb_check_path(db, "/only512", 8, "sha512", d, 64,
					  &res), 0);
	ck_assert_int_eq(res.match, 1);
	refdb_close(db);
}
END_TEST

START_TEST(test_fresh_and_keep)
{
	struct refdb_writer *w = NULL;
	struct refdb_path_result res;
	struct refdb_info before, after;
	struct refdb *db;
	unsigned char d[32];
	char err[300] = "";

	make_db();
	db = open_db();
	ck_assert_int_eq(refdb_get_info(db, &before), 0);
	refdb_close(db);

	/* fresh = 0: a copy of what is there, plus the new entry */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	fill(d, 32, 0xab);
	ck_assert_int_eq(refdb_writer_add(w, "/new", 4, "sha256", d, 32,
					  refdb_writer_source(w, "manifest",
							      "/m2")), 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	db = open_db();
	ck_assert_int_eq(refdb_get_info(db, &after), 0);
	ck_assert_int_eq(after.digests, before.digests + 1);
	ck_assert_str_eq(after.created, before.created);
	ck_assert_int_eq(refdb_check_path(db, "/new", 4, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.match, 1);
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.match, 1);
	ck_assert_int_eq(after.excludes, 2);
	ck_assert_int_eq(after.denied, 1);
	refdb_close(db);

	/* fresh = 1: only what this writer added */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 1, &w, err, sizeof(err)),
			 0);
	fill(d, 32, 0xac);
	ck_assert_int_eq(refdb_writer_add(w, "/only", 5, "sha256", d, 32,
					  refdb_writer_source(w, "scan", "/")),
			 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	db = open_db();
	ck_assert_int_eq(refdb_get_info(db, &after), 0);
	ck_assert_int_eq(after.digests, 1);
	ck_assert_int_eq(after.excludes, 0);
	refdb_close(db);
}
END_TEST

START_TEST(test_keep_missing_starts_empty)
{
	struct refdb_writer *w = NULL;
	struct refdb_info info;
	struct refdb *db;
	unsigned char d[20];
	char err[300] = "";

	fill(d, 20, 3);
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	ck_assert_int_eq(refdb_writer_add(w, "/one", 4, "sha1", d, 20,
					  refdb_writer_source(w, "manifest",
							      "/m")), 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	db = open_db();
	ck_assert_int_eq(refdb_get_info(db, &info), 0);
	ck_assert_int_eq(info.digests, 1);
	ck_assert_str_eq(info.algos, "sha1=1");
	refdb_close(db);
}
END_TEST

START_TEST(test_abort_leaves_db)
{
	struct refdb_writer *w = NULL, *w2 = NULL;
	unsigned char *before, *after, d[32];
	size_t blen, alen;
	char err[300] = "", names[300];
	struct stat st;

	make_db();
	before = read_all(dbpath, &blen);
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	fill(d, 32, 0xee);
	ck_assert_int_eq(refdb_writer_add(w, "/gone", 5, "sha256", d, 32, 1),
			 1);
	/* while it works, its temporary sits beside the database */
	dir_names(names, sizeof(names));
	ck_assert_msg(strstr(names, ".refdb.sqlite.") != NULL, "%s", names);
	/* and a second writer is turned away */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w2, err, sizeof(err)),
			 REFDB_E_BUSY);
	ck_assert_ptr_null(w2);
	ck_assert_msg(strstr(err, "another ima-refdb") != NULL, "%s", err);
	refdb_writer_abort(w);

	after = read_all(dbpath, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_mem_eq(after, before, blen);
	dir_names(names, sizeof(names));
	ck_assert_str_eq(names, "refdb.sqlite refdb.sqlite.lock");
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_stale_temp_removed)
{
	struct refdb_writer *w = NULL;
	char err[300] = "", p[400], names[300];

	make_db();
	/* what a writer killed with -9 leaves behind, and a bystander */
	snprintf(p, sizeof(p), "%s/.refdb.sqlite.AbC123", dir);
	write_file(p, "junk", 4);
	snprintf(p, sizeof(p), "%s/.refdb.sqlite.notmine", dir);
	write_file(p, "keep", 4);
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 0);
	refdb_writer_abort(w);
	dir_names(names, sizeof(names));
	ck_assert_str_eq(names,
			 ".refdb.sqlite.notmine refdb.sqlite refdb.sqlite.lock");
}
END_TEST

START_TEST(test_odd_db_name)
{
	struct refdb_writer *w = NULL;
	struct refdb *db = NULL;
	unsigned char d[32];
	char err[300] = "";

	/* URI syntax in a file name must not confuse the reader */
	snprintf(dbpath, sizeof(dbpath), "%s/we?ird #%%20&x=1.sqlite", dir);
	fill(d, 32, 9);
	ck_assert_int_eq(refdb_writer_begin(dbpath, 1, &w, err, sizeof(err)),
			 0);
	ck_assert_int_eq(refdb_writer_add(w, "/x", 2, "sha256", d, 32,
					  refdb_writer_source(w, "scan", "/")),
			 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_msg(refdb_open_readonly(dbpath, &db, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(refdb_is_denied(db, "sha256", d, 32), 0);
	refdb_close(db);
}
END_TEST

START_TEST(test_missing)
{
	struct refdb *db = (struct refdb *)1;
	char err[300] = "";

	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_NOTFOUND);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err, dbpath));
	/* and opening did not create it */
	ck_assert_int_eq(access(dbpath, F_OK), -1);
}
END_TEST

START_TEST(test_not_a_database)
{
	struct refdb_writer *w = NULL;
	struct refdb *db = NULL;
	char err[300] = "", text[4096];
	sqlite3 *raw;
	size_t i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	write_file(dbpath, text, sizeof(text));
	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_SCHEMA);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "not a reference database") != NULL &&
		      strncmp(err, dbpath, strlen(dbpath)) == 0, "%s", err);
	/* an import on top of it is refused, and the file left alone */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 0, &w, err, sizeof(err)),
			 REFDB_E_SCHEMA);
	ck_assert_ptr_null(w);

	/* empty file */
	write_file(dbpath, "", 0);
	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_SCHEMA);

	/* an SQLite file of someone else's */
	unlink(dbpath);
	ck_assert_int_eq(sqlite3_open(dbpath, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "CREATE TABLE t (x);", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_SCHEMA);
	ck_assert_msg(strstr(err, "not a reference database") != NULL, "%s",
		      err);

	/* a directory */
	ck_assert_int_eq(refdb_open_readonly(dir, &db, err, sizeof(err)),
			 REFDB_E_IO);
}
END_TEST

START_TEST(test_corrupt)
{
	struct refdb *db = NULL;
	char err[300] = "";
	int fd;
	char junk[3000];

	make_db();
	/* Wreck page 1 below the header: the schema b-tree. */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(dbpath, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 100),
			 (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_SCHEMA);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "not a reference database") != NULL, "%s",
		      err);
}
END_TEST

START_TEST(test_newer_schema)
{
	struct refdb *db = NULL;
	char err[300] = "";
	sqlite3 *raw;

	make_db();
	ck_assert_int_eq(sqlite3_open(dbpath, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA user_version = 99;", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(refdb_open_readonly(dbpath, &db, err, sizeof(err)),
			 REFDB_E_SCHEMA);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "schema version 99 is newer") != NULL &&
		      strstr(err, "upgrade audisp-ima") != NULL, "%s", err);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(refdb_strerror(REFDB_E_NOTFOUND), "no such database");
	ck_assert_str_eq(refdb_strerror(0), "success");
	ck_assert_str_eq(refdb_strerror(-99), "unknown error");
}
END_TEST

/* The fd-opened reader sees the inode it was given, not the new name. */
START_TEST(test_open_fd_after_rename)
{
	struct refdb_path_result res;
	struct refdb_writer *w = NULL;
	struct refdb *db = NULL;
	unsigned char d[32];
	char err[300] = "";
	int fd;

	make_db();
	fd = open(dbpath, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* a new database is published over the name */
	ck_assert_int_eq(refdb_writer_begin(dbpath, 1, &w, err, sizeof(err)),
			 0);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_msg(refdb_open_readonly_fd(fd, dbpath, &db, err,
					     sizeof(err)) == 0, "%s", err);
	close(fd);
	fill(d, 32, 0x11);
	ck_assert_int_eq(refdb_check_path(db, "/usr/bin/ls", 11, "sha256", d,
					  32, &res), 0);
	ck_assert_int_eq(res.match, 1);
	refdb_close(db);
	ck_assert_int_eq(refdb_open_readonly_fd(-1, dbpath, &db, err,
						sizeof(err)), REFDB_E_INVAL);
}
END_TEST

/* A local layer: changed in place, seen by a mutable reader. */
START_TEST(test_inplace_local_layer)
{
	struct refdb_path_result res;
	struct refdb_writer *w = NULL;
	struct refdb *db = NULL;
	unsigned char d[32];
	char err[300] = "";
	int64_t src;

	ck_assert_int_eq(refdb_writer_begin_flags(dbpath, REFDB_WRITE_INPLACE,
						  &w, err, sizeof(err)), 0);
	src = refdb_writer_source(w, "update", "test");
	fill(d, 32, 0x42);
	ck_assert_int_eq(refdb_writer_set_package(w, "hello"), 0);
	ck_assert_int_eq(refdb_writer_add(w, "/bin/x", 6, "sha256", d, 32,
					  src), 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_msg(refdb_open_readonly_flags(dbpath, REFDB_OPEN_MUTABLE,
						&db, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(refdb_changed(db), 0);
	ck_assert_int_eq(refdb_check_path(db, "/bin/x", 6, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.match, 1);
	/* a second in-place writer removes it; the open reader sees that */
	ck_assert_int_eq(refdb_writer_begin_flags(dbpath, REFDB_WRITE_INPLACE,
						  &w, err, sizeof(err)), 0);
	ck_assert_int_eq(refdb_writer_remove_path(w, "/bin/x", 6), 1);
	ck_assert_int_eq(refdb_writer_commit(w), 0);
	ck_assert_int_eq(refdb_changed(db), 1);
	ck_assert_int_eq(refdb_check_path(db, "/bin/x", 6, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.path_known, 0);
	/* an aborted in-place writer changes nothing */
	ck_assert_int_eq(refdb_writer_begin_flags(dbpath, REFDB_WRITE_INPLACE,
						  &w, err, sizeof(err)), 0);
	ck_assert_int_eq(refdb_writer_add(w, "/bin/y", 6, "sha256", d, 32,
					  src), 1);
	refdb_writer_abort(w);
	ck_assert_int_eq(refdb_check_path(db, "/bin/y", 6, "sha256", d, 32,
					  &res), 0);
	ck_assert_int_eq(res.path_known, 0);
	refdb_close(db);
}
END_TEST

/* write_key - a fresh key pair of this type as PEM files priv, pub. */
static void write_key(const char *type, const char *priv, const char *pub)
{
	EVP_PKEY *k;
	FILE *f;

	if (strcmp(type, "ED25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(k);
	f = fopen(priv, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
					      NULL), 1);
	fclose(f);
	f = fopen(pub, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	EVP_PKEY_free(k);
}

static const char *const key_types[] = { "ED25519", "RSA", "EC" };

/* Sign, verify, then every way a manifest or database can be wrong. */
START_TEST(test_sign_verify)
{
	struct refdb_sig_info si, vi;
	char priv[400], pub[400], other[400], otherpub[400], sig[400];
	char err[600] = "", hex[65];
	uint64_t size;
	FILE *f;
	int fd;

	make_db();
	snprintf(priv, sizeof(priv), "%s/k.pem", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	snprintf(other, sizeof(other), "%s/o.pem", dir);
	snprintf(otherpub, sizeof(otherpub), "%s/o.pub", dir);
	write_key(key_types[_i], priv, pub);
	write_key("ED25519", other, otherpub);
	ck_assert_int_eq(refdb_sig_manifest_path(dbpath, sig, sizeof(sig)), 0);
	/* unsigned */
	ck_assert_int_eq(refdb_sig_verify_path(dbpath, pub, &vi, err,
					       sizeof(err)), REFDB_E_NOTFOUND);
	ck_assert_msg(refdb_sign(dbpath, priv, 0, &si, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(si.release, 1);
	ck_assert_msg(refdb_sig_verify_path(dbpath, pub, &vi, err,
					    sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(vi.sha256_hex, si.sha256_hex);
	ck_assert_uint_eq(vi.release, 1);
	fd = open(dbpath, O_RDONLY);
	ck_assert_int_eq(refdb_sig_hash_fd(fd, hex, &size, err, sizeof(err)),
			 0);
	close(fd);
	ck_assert_str_eq(hex, si.sha256_hex);
	/* the next release grows; an old number is refused */
	ck_assert_int_eq(refdb_sign(dbpath, priv, 0, &si, err, sizeof(err)), 0);
	ck_assert_uint_eq(si.release, 2);
	ck_assert_int_eq(refdb_sign(dbpath, priv, 2, &si, err, sizeof(err)),
			 REFDB_E_INVAL);
	ck_assert_int_eq(refdb_sign(dbpath, priv, 7, &si, err, sizeof(err)), 0);
	ck_assert_uint_eq(si.release, 7);
	/* another key */
	ck_assert_int_eq(refdb_sig_verify_path(dbpath, otherpub, &vi, err,
					       sizeof(err)), REFDB_E_SIG);
	/* a tampered release in the manifest */
	{
		char buf[8192];
		size_t n;
		char *p;

		f = fopen(sig, "r");
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strstr(buf, "release 7");
		ck_assert_ptr_nonnull(p);
		p[8] = '9';
		f = fopen(sig, "w");
		fwrite(buf, 1, n, f);
		fclose(f);
		ck_assert_int_eq(refdb_sig_verify_path(dbpath, pub, &vi, err,
						       sizeof(err)),
				 REFDB_E_SIG);
		ck_assert_msg(strstr(err, "does not verify") != NULL, "%s",
			      err);
		/* garbage */
		f = fopen(sig, "w");
		fputs("audisp-ima-refdb-manifest 1\nsha256 zz\n", f);
		fclose(f);
		ck_assert_int_eq(refdb_sig_verify_path(dbpath, pub, &vi, err,
						       sizeof(err)),
				 REFDB_E_SIG);
		ck_assert_msg(strstr(err, "line 2") != NULL, "%s", err);
	}
	/* a tampered database */
	ck_assert_int_eq(refdb_sign(dbpath, priv, 0, &si, err, sizeof(err)), 0);
	f = fopen(dbpath, "a");
	fputc('x', f);
	fclose(f);
	ck_assert_int_eq(refdb_sig_verify_path(dbpath, pub, &vi, err,
					       sizeof(err)), REFDB_E_SIG);
	ck_assert_msg(strstr(err, "not the one") != NULL, "%s", err);
}
END_TEST

Suite *refdb_suite(void)
{
	Suite *s = suite_create("refdb");
	TCase *tc = tcase_create("read");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_path);
	tcase_add_test(tc, test_odd_paths);
	tcase_add_test(tc, test_find_digest);
	tcase_add_test(tc, test_deny);
	tcase_add_test(tc, test_excludes);
	tcase_add_test(tc, test_info_and_listing);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_writer_validation);
	tcase_add_test(tc, test_set_path);
	tcase_add_test(tc, test_fresh_and_keep);
	tcase_add_test(tc, test_keep_missing_starts_empty);
	tcase_add_test(tc, test_abort_leaves_db);
	tcase_add_test(tc, test_stale_temp_removed);
	tcase_add_test(tc, test_odd_db_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_not_a_database);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_newer_schema);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("layers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_fd_after_rename);
	tcase_add_test(tc, test_inplace_local_layer);
	tcase_add_loop_test(tc, test_sign_verify, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

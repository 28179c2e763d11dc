/* refdb.c -- the reference database on SQLite: read-only lookups and atomic publication */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"	/* autotools; plugin/config.h is the plugin's */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>

#include "refdb.h"
#include "refdb_msg.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* "IMAR" in PRAGMA application_id marks our files for file(1) and for us. */
#define REFDB_APPLICATION_ID 0x494d4152
/* A path longer than this is not a path anyone measures. */
#define REFDB_MAX_PATH 65536

/*
 * The schema (version 1).  Paths and digests are BLOBs: a path is any
 * bytes but NUL, a digest is raw bytes.  entries is keyed by path so that a
 * path lookup is one b-tree descent; entries_digest holds (digest, algo)
 * and, being an index of a WITHOUT ROWID table, the path too, so "is this
 * digest known anywhere, and for which smallest path" never touches the
 * table.  package stays NULL until package-aware refreshes fill it.
 */
static const char schema_sql[] =
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE sources ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" UNIQUE (kind, name));"
	"CREATE TABLE entries ("
	" path BLOB NOT NULL,"
	" algo TEXT NOT NULL,"
	" digest BLOB NOT NULL,"
	" source INTEGER NOT NULL REFERENCES sources(id),"
	" package TEXT,"
	" PRIMARY KEY (path, algo, digest)) WITHOUT ROWID;"
	"CREATE INDEX entries_digest ON entries (digest, algo);"
	"CREATE TABLE deny ("
	" algo TEXT NOT NULL,"
	" digest BLOB NOT NULL,"
	" source INTEGER REFERENCES sources(id),"
	" PRIMARY KEY (algo, digest)) WITHOUT ROWID;"
	"CREATE TABLE excludes ("
	" pattern TEXT PRIMARY KEY NOT NULL,"
	" source INTEGER REFERENCES sources(id)) WITHOUT ROWID;";

/* Cached statements of a reader, prepared (and so checked) at open time. */
enum {
	Q_PATH,
	Q_DIGEST_OTHER,
	Q_DENY,
	Q_EXCLUDES,
	Q_PATH_ENTRIES,
	Q_DIGEST_ALGO_PATHS,
	Q_DIGEST_PATHS,
	Q_DATA_VERSION,
	Q_COUNT
};

static const char *const reader_sql[Q_COUNT] = {
	[Q_PATH] = "SELECT algo, digest FROM entries WHERE path = ?1",
	[Q_DIGEST_OTHER] =
		"SELECT path FROM entries WHERE digest = ?1 AND algo = ?2"
		" AND (?3 IS NULL OR path <> ?3) ORDER BY path LIMIT 1",
	[Q_DENY] = "SELECT 1 FROM deny WHERE algo = ?1 AND digest = ?2",
	[Q_EXCLUDES] = "SELECT pattern FROM excludes ORDER BY pattern",
	[Q_PATH_ENTRIES] =
		"SELECT e.algo, e.digest, s.kind, s.name FROM entries e"
		" LEFT JOIN sources s ON s.id = e.source"
		" WHERE e.path = ?1 ORDER BY e.algo, e.digest",
	[Q_DIGEST_ALGO_PATHS] =
		"SELECT path, algo FROM entries WHERE digest = ?1"
		" AND algo = ?2 ORDER BY path",
	[Q_DIGEST_PATHS] =
		"SELECT path, algo FROM entries WHERE digest = ?1"
		" ORDER BY algo, path",
	[Q_DATA_VERSION] = "PRAGMA data_version",
};

struct refdb {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	int mutable_file;	/* REFDB_OPEN_MUTABLE */
	int64_t data_version;	/* last PRAGMA data_version seen */
	char errmsg[512];
};

enum {
	W_ADD,
	W_DELETE_OTHERS,
	W_DENY,
	W_EXCLUDE,
	W_SOURCE_INSERT,
	W_SOURCE_ID,
	W_REMOVE_PATH,
	W_REMOVE_ENTRY,
	W_COUNT
};

static const char *const writer_sql[W_COUNT] = {
	/* A package, when given, is recorded on an entry already present. */
	[W_ADD] = "INSERT INTO entries (path, algo, digest, source, package)"
		  " VALUES (?1, ?2, ?3, ?4, ?5)"
		  " ON CONFLICT (path, algo, digest) DO UPDATE"
		  " SET package = excluded.package"
		  " WHERE excluded.package IS NOT NULL"
		  " AND package IS NOT excluded.package",
	[W_DELETE_OTHERS] = "DELETE FROM entries WHERE path = ?1 AND algo = ?2"
			    " AND digest <> ?3",
	[W_DENY] = "INSERT OR IGNORE INTO deny (algo, digest, source)"
		   " VALUES (?1, ?2, ?3)",
	[W_EXCLUDE] = "INSERT OR IGNORE INTO excludes (pattern, source)"
		      " VALUES (?1, ?2)",
	[W_SOURCE_INSERT] = "INSERT OR IGNORE INTO sources (kind, name)"
			    " VALUES (?1, ?2)",
	[W_SOURCE_ID] = "SELECT id FROM sources WHERE kind = ?1 AND name = ?2",
	[W_REMOVE_PATH] = "DELETE FROM entries WHERE path = ?1",
	[W_REMOVE_ENTRY] = "DELETE FROM entries WHERE path = ?1 AND algo = ?2"
			   " AND digest = ?3",
};

struct refdb_writer {
	sqlite3 *db;
	sqlite3_stmt *stmt[W_COUNT];
	char *path;		/* the database to publish */
	char *tmp;		/* the temporary file beside it */
	int tmp_fd;		/* kept open for the fsync at commit */
	int lock_fd;		/* flock()ed PATH.lock: one writer at a time */
	int inplace;		/* REFDB_WRITE_INPLACE: no temporary, no rename */
	char *package;		/* refdb_writer_set_package() */
	char errmsg[512];
};

const char *refdb_strerror(int err)
{
	switch (err) {
	case REFDB_OK:
		return "success";
	case REFDB_E_NOMEM:
		return "out of memory";
	case REFDB_E_IO:
		return "input/output error";
	case REFDB_E_SQLITE:
		return "database error";
	case REFDB_E_SCHEMA:
		return "not a reference database, or a newer schema";
	case REFDB_E_INVAL:
		return "invalid argument";
	case REFDB_E_NOTFOUND:
		return "no such database";
	case REFDB_E_REGEX:
		return "bad regular expression";
	case REFDB_E_SIG:
		return "bad or missing signature";
	case REFDB_E_BUSY:
		return "another writer holds the lock";
	default:
		return "unknown error";
	}
}

/* refdb_set_msg - see refdb_msg.h. */
void refdb_set_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ checks */

/*
 * check_entry_args - the algorithm is known (*out gets its canonical
 * entry), the digest has its length, the path (when given) is non-empty,
 * NUL-free and of sane length.  Returns 0 or REFDB_E_INVAL with a message.
 */
static int check_entry_args(const char *path, size_t path_len, int need_path,
			    const char *algo, const unsigned char *digest,
			    size_t dlen, const struct hashalgo **out,
			    char *msg, size_t msglen)
{
	const struct hashalgo *a;

	a = algo != NULL ? hashalgo_by_name(algo, strlen(algo)) : NULL;
	if (a == NULL) {
		refdb_set_msg(msg, msglen, "unknown hash algorithm '%.32s'",
			algo != NULL ? algo : "(none)");
		return REFDB_E_INVAL;
	}
	if (digest == NULL || dlen != a->digest_len) {
		refdb_set_msg(msg, msglen, "a %s digest has %zu bytes, not %zu",
			a->name, a->digest_len, dlen);
		return REFDB_E_INVAL;
	}
	if (need_path) {
		if (path == NULL || path_len == 0) {
			refdb_set_msg(msg, msglen, "empty path");
			return REFDB_E_INVAL;
		}
		if (path_len > REFDB_MAX_PATH) {
			refdb_set_msg(msg, msglen, "path longer than %d bytes",
				REFDB_MAX_PATH);
			return REFDB_E_INVAL;
		}
		if (memchr(path, '\0', path_len) != NULL) {
			refdb_set_msg(msg, msglen, "NUL byte in path");
			return REFDB_E_INVAL;
		}
	}
	*out = a;
	return 0;
}

/* ------------------------------------------------------------ reading */

/* reader_fail - record a SQLite error on the handle; returns REFDB_E_SQLITE. */
static int reader_fail(struct refdb *db, const char *what)
{
	refdb_set_msg(db->errmsg, sizeof(db->errmsg), "%s: %s", what,
		sqlite3_errmsg(db->db));
	return REFDB_E_SQLITE;
}

/* query_int - run a one-row integer query; returns 0 with *out or an error. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SQLITE_OK;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * validate_db - the checks every opened database passes: it is an SQLite
 * file at all (the first query reads the header), carries our application
 * id, a schema version we understand and the five tables, and its pages
 * can be read.  Returns 0 or REFDB_E_SCHEMA/REFDB_E_SQLITE with a message
 * naming path.
 */
static int validate_db(sqlite3 *db, const char *path, char *msg,
		       size_t msglen)
{
	int64_t app_id = 0, version = 0, tables = 0, any = 0;
	int rc;

	rc = query_int(db, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		refdb_set_msg(msg, msglen, "%s: not a reference database (%s)",
			path, sqlite3_errmsg(db));
		return rc == SQLITE_NOMEM ? REFDB_E_NOMEM : REFDB_E_SCHEMA;
	}
	if (app_id != REFDB_APPLICATION_ID) {
		refdb_set_msg(msg, msglen,
			"%s: not a reference database (application id %lld)",
			path, (long long)app_id);
		return REFDB_E_SCHEMA;
	}
	if (version > REFDB_SCHEMA_VERSION) {
		refdb_set_msg(msg, msglen,
			"%s: schema version %lld is newer than this program supports (%d); upgrade audisp-ima",
			path, (long long)version, REFDB_SCHEMA_VERSION);
		return REFDB_E_SCHEMA;
	}
	if (version < 1) {
		refdb_set_msg(msg, msglen,
			"%s: not a reference database (schema version %lld)",
			path, (long long)version);
		return REFDB_E_SCHEMA;
	}
	rc = query_int(db,
		       "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
		       " AND name IN ('meta', 'sources', 'entries', 'deny',"
		       " 'excludes')", &tables);
	if (rc != SQLITE_OK || tables != 5) {
		refdb_set_msg(msg, msglen,
			"%s: not a reference database (%s)", path,
			rc != SQLITE_OK ? sqlite3_errmsg(db) :
			"reference tables missing");
		return REFDB_E_SCHEMA;
	}
	/* Read real pages now, so that a damaged file fails here. */
	rc = query_int(db, "SELECT count(*) FROM (SELECT 1 FROM entries"
		       " LIMIT 1) UNION ALL SELECT count(*) FROM meta", &any);
	if (rc != SQLITE_OK) {
		refdb_set_msg(msg, msglen, "%s: not a reference database (%s)", path,
			sqlite3_errmsg(db));
		return REFDB_E_SCHEMA;
	}
	return 0;
}

/*
 * harden_connection - SQLite's settings for a file we do not trust: no
 * schema-defined functions, views or triggers, no mmap, and defensive mode
 * for readers (writers need journal_mode=OFF, which defensive mode bans).
 */
static int harden_connection(sqlite3 *db, int defensive)
{
	int rc;

	rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, defensive, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
				       NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0,
				       NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0,
				       NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA trusted_schema = OFF;"
				  "PRAGMA mmap_size = 0;", NULL, NULL, NULL);
	return rc;
}

/*
 * immutable_uri - "file:PATH?immutable=1" with PATH percent-encoded, or
 * NULL.  Writers never change a published file, they rename a new one over
 * it (see refdb.h), so the inode a reader holds is immutable: SQLite may
 * skip its per-statement file locking and change-counter reads, which
 * makes a lookup four times faster.
 * A local_db written in place is opened with REFDB_OPEN_MUTABLE and
 * tail "" instead.
 */
static char *file_uri(const char *path, const char *tail)
{
	size_t len = strlen(path), i, n = 0, tlen = strlen(tail);
	char *u = malloc(5 + 3 * len + tlen + 1);

	if (u == NULL)
		return NULL;
	memcpy(u, "file:", 5);
	n = 5;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/._-~", c) != NULL) {
			u[n++] = (char)c;
		} else {
			snprintf(u + n, 4, "%%%02X", c);
			n += 3;
		}
	}
	memcpy(u + n, tail, tlen + 1);
	return u;
}

/*
 * The "refdb-fd" VFS: the default one, except that "/proc/self/fd/N" is
 * taken as it is.  The default VFS resolves symbolic links in a file name,
 * and /proc/self/fd/N is one: it would turn into the name the file had,
 * which may by now be a different file (a newer database renamed over it)
 * or none at all.  Opening /proc/self/fd/N itself reaches the very inode
 * the descriptor holds.
 */
static sqlite3_vfs fd_vfs;
static int (*base_full_pathname)(sqlite3_vfs *, const char *, int, char *);
static pthread_once_t fd_vfs_once = PTHREAD_ONCE_INIT;
static int fd_vfs_rc = SQLITE_ERROR;

#define PROC_FD_PREFIX "/proc/self/fd/"

static int fd_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
			    char *out)
{
	size_t len = strlen(name);

	if (strncmp(name, PROC_FD_PREFIX, strlen(PROC_FD_PREFIX)) == 0) {
		if (n <= 0 || len >= (size_t)n)
			return SQLITE_CANTOPEN;
		memcpy(out, name, len + 1);
		return SQLITE_OK;
	}
	return base_full_pathname(vfs, name, n, out);
}

/*
 * SQLite's unix VFS opens every file with O_NOFOLLOW, and /proc/self/fd/N
 * is a symbolic link: so the VFS's xOpen reads such a name itself, through
 * a duplicate of descriptor N.  The file is immutable (the URI says so):
 * reads only, no locks, no journal.
 */
struct fd_file {
	sqlite3_file base;
	int fd;
};

static int fdf_close(sqlite3_file *f)
{
	close(((struct fd_file *)f)->fd);
	return SQLITE_OK;
}

static int fdf_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	int fd = ((struct fd_file *)f)->fd;
	size_t got = 0, want = (size_t)amt;
	ssize_t n;

	while (got < want) {
		n = pread(fd, (char *)buf + got, want - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return SQLITE_IOERR_READ;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got < want) {
		memset((char *)buf + got, 0, want - got);
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int fdf_write(sqlite3_file *f, const void *buf, int amt,
		     sqlite3_int64 off)
{
	(void)f; (void)buf; (void)amt; (void)off;
	return SQLITE_READONLY;
}

static int fdf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	(void)f; (void)size;
	return SQLITE_READONLY;
}

static int fdf_sync(sqlite3_file *f, int flags)
{
	(void)f; (void)flags;
	return SQLITE_OK;
}

static int fdf_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct stat st;

	if (fstat(((struct fd_file *)f)->fd, &st) != 0)
		return SQLITE_IOERR_FSTAT;
	*size = st.st_size;
	return SQLITE_OK;
}

static int fdf_lock(sqlite3_file *f, int level)
{
	(void)f; (void)level;
	return SQLITE_OK;
}

static int fdf_reserved(sqlite3_file *f, int *out)
{
	(void)f;
	*out = 0;
	return SQLITE_OK;
}

static int fdf_control(sqlite3_file *f, int op, void *arg)
{
	(void)f; (void)op; (void)arg;
	return SQLITE_NOTFOUND;
}

static int fdf_sector(sqlite3_file *f)
{
	(void)f;
	return 4096;
}

static int fdf_characteristics(sqlite3_file *f)
{
	(void)f;
	return SQLITE_IOCAP_IMMUTABLE;
}

static const sqlite3_io_methods fd_file_methods = {
	.iVersion = 1,
	.xClose = fdf_close,
	.xRead = fdf_read,
	.xWrite = fdf_write,
	.xTruncate = fdf_truncate,
	.xSync = fdf_sync,
	.xFileSize = fdf_size,
	.xLock = fdf_lock,
	.xUnlock = fdf_lock,
	.xCheckReservedLock = fdf_reserved,
	.xFileControl = fdf_control,
	.xSectorSize = fdf_sector,
	.xDeviceCharacteristics = fdf_characteristics,
};

static int (*base_open)(sqlite3_vfs *, sqlite3_filename, sqlite3_file *, int,
			int *);

static int fd_open(sqlite3_vfs *vfs, sqlite3_filename name,
		   sqlite3_file *file, int flags, int *out_flags)
{
	struct fd_file *ff = (struct fd_file *)file;
	size_t plen = strlen(PROC_FD_PREFIX);
	char *end;
	long n;

	if (name == NULL || strncmp(name, PROC_FD_PREFIX, plen) != 0)
		return base_open(vfs, name, file, flags, out_flags);
	file->pMethods = NULL;
	if (!(flags & SQLITE_OPEN_MAIN_DB) || (flags & SQLITE_OPEN_READWRITE))
		return SQLITE_CANTOPEN;
	errno = 0;
	n = strtol(name + plen, &end, 10);
	if (errno || *end != '\0' || n < 0 || n > INT_MAX)
		return SQLITE_CANTOPEN;
	ff->fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
	if (ff->fd < 0)
		return SQLITE_CANTOPEN;
	file->pMethods = &fd_file_methods;
	if (out_flags != NULL)
		*out_flags = SQLITE_OPEN_READONLY;
	return SQLITE_OK;
}

/*
 * sqlite_setup - process-wide SQLite settings, before its first use.
 * Memory statistics cost a global mutex on every allocation and nothing
 * here reads them: off, lookups run about 6% faster.  When the program
 * initialised SQLite itself first, this changes nothing (SQLITE_MISUSE).
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_initialize();
}

static void sqlite_setup(void)
{
	pthread_once(&sqlite_once, sqlite_setup_once);
}

static void fd_vfs_init(void)
{
	sqlite3_vfs *base;

	sqlite_setup();
	if (sqlite3_initialize() != SQLITE_OK ||
	    (base = sqlite3_vfs_find(NULL)) == NULL)
		return;
	fd_vfs = *base;
	fd_vfs.zName = "refdb-fd";
	fd_vfs.pNext = NULL;
	base_full_pathname = base->xFullPathname;
	fd_vfs.xFullPathname = fd_full_pathname;
	base_open = base->xOpen;
	fd_vfs.xOpen = fd_open;
	if (fd_vfs.szOsFile < (int)sizeof(struct fd_file))
		fd_vfs.szOsFile = (int)sizeof(struct fd_file);
	fd_vfs_rc = sqlite3_vfs_register(&fd_vfs, 0);
}

/*
 * open_reader - the common part of the refdb_open_readonly* functions:
 * st is the file's stat (checked here), uri what SQLite opens (through
 * vfs, NULL for the default), shown the name in messages.
 */
static int open_reader(const struct stat *st, const char *uri,
		       const char *vfs, const char *shown, unsigned flags,
		       struct refdb **out, char *errbuf, size_t errlen)
{
	struct refdb *db = NULL;
	int r, rc, i;

	if (!S_ISREG(st->st_mode)) {
		r = REFDB_E_IO;
		refdb_set_msg(errbuf, errlen, "%s: not a regular file", shown);
		goto out;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		r = REFDB_E_NOMEM;
		refdb_set_msg(errbuf, errlen, "%s: out of memory", shown);
		goto out;
	}
	db->mutable_file = (flags & REFDB_OPEN_MUTABLE) != 0;
	sqlite_setup();
	rc = sqlite3_open_v2(uri, &db->db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, vfs);
	if (rc != SQLITE_OK) {
		int e = db->db != NULL ? sqlite3_system_errno(db->db) : 0;

		r = e == ENOENT ? REFDB_E_NOTFOUND : REFDB_E_IO;
		refdb_set_msg(errbuf, errlen, "%s: %s", shown,
			db->db != NULL ? sqlite3_errmsg(db->db) :
			"out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(db->db, 1);
	if (harden_connection(db->db, 1) != SQLITE_OK) {
		r = REFDB_E_SQLITE;
		refdb_set_msg(errbuf, errlen, "%s: %s", shown,
			sqlite3_errmsg(db->db));
		goto out;
	}
	/* A writer of a mutable file holds its lock for a moment only. */
	if (db->mutable_file)
		sqlite3_busy_timeout(db->db, 5000);
	r = validate_db(db->db, shown, errbuf, errlen);
	if (r != 0)
		goto out;
	/*
	 * Up to 16 MiB of pages, allocated as they are read: the hot set of
	 * a few thousand programs and libraries stays in memory.  32 MiB
	 * bought nothing measurable for a 1M-entry database (a miss is a
	 * pread from the OS cache) and took the process over 32 MiB RSS
	 * (bench/refdb-lookup.c).
	 */
	if (sqlite3_exec(db->db, "PRAGMA cache_size = -16384;", NULL, NULL,
			 NULL) != SQLITE_OK) {
		r = REFDB_E_SQLITE;
		refdb_set_msg(errbuf, errlen, "%s: %s", shown,
			sqlite3_errmsg(db->db));
		goto out;
	}
	for (i = 0; i < Q_COUNT; i++) {
		rc = sqlite3_prepare_v3(db->db, reader_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT,
					&db->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			r = REFDB_E_SCHEMA;
			refdb_set_msg(errbuf, errlen,
				"%s: not a reference database (%s)", shown,
				sqlite3_errmsg(db->db));
			goto out;
		}
	}
	if (db->mutable_file && refdb_changed(db) < 0) {
		r = REFDB_E_SQLITE;
		refdb_set_msg(errbuf, errlen, "%s: %s", shown, db->errmsg);
		goto out;
	}
	*out = db;
	db = NULL;
	r = 0;
out:
	refdb_close(db);
	return r;
}

int refdb_open_readonly(const char *path, struct refdb **out, char *errbuf,
			size_t errlen)
{
	return refdb_open_readonly_flags(path, 0, out, errbuf, errlen);
}

int refdb_open_readonly_flags(const char *path, unsigned flags,
			      struct refdb **out, char *errbuf, size_t errlen)
{
	char *uri = NULL;
	struct stat st;
	int r = REFDB_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL ||
	    (flags & ~(unsigned)REFDB_OPEN_MUTABLE) != 0) {
		refdb_set_msg(errbuf, errlen, "no database path");
		return r;
	}
	if (stat(path, &st) != 0) {
		r = errno == ENOENT ? REFDB_E_NOTFOUND : REFDB_E_IO;
		refdb_set_msg(errbuf, errlen, "%s: %s", path,
			r == REFDB_E_NOTFOUND ? "no such database" :
			strerror(errno));
		return r;
	}
	uri = file_uri(path, flags & REFDB_OPEN_MUTABLE ? "" :
		       "?immutable=1");
	if (uri == NULL) {
		refdb_set_msg(errbuf, errlen, "%s: out of memory", path);
		return REFDB_E_NOMEM;
	}
	r = open_reader(&st, uri, NULL, path, flags, out, errbuf, errlen);
	free(uri);
	return r;
}

int refdb_open_readonly_fd(int fd, const char *display_path,
			   struct refdb **out, char *errbuf, size_t errlen)
{
	char uri[64];
	struct stat st;
	const char *shown = display_path != NULL ? display_path : "(fd)";

	if (out != NULL)
		*out = NULL;
	if (fd < 0 || out == NULL) {
		refdb_set_msg(errbuf, errlen, "%s: no file descriptor", shown);
		return REFDB_E_INVAL;
	}
	if (fstat(fd, &st) != 0) {
		refdb_set_msg(errbuf, errlen, "%s: %s", shown, strerror(errno));
		return REFDB_E_IO;
	}
	pthread_once(&fd_vfs_once, fd_vfs_init);
	if (fd_vfs_rc != SQLITE_OK) {
		refdb_set_msg(errbuf, errlen, "%s: cannot register the SQLite VFS",
			shown);
		return REFDB_E_SQLITE;
	}
	snprintf(uri, sizeof(uri), "file:" PROC_FD_PREFIX "%d?immutable=1",
		 fd);
	return open_reader(&st, uri, fd_vfs.zName, shown, 0, out, errbuf,
			   errlen);
}

int refdb_changed(struct refdb *db)
{
	sqlite3_stmt *st;
	int64_t v;
	int rc, r;

	if (db == NULL)
		return REFDB_E_INVAL;
	if (!db->mutable_file)
		return 0;
	st = db->stmt[Q_DATA_VERSION];
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = reader_fail(db, "data_version");
		sqlite3_reset(st);
		return r;
	}
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	r = db->data_version != 0 && v != db->data_version;
	db->data_version = v;
	return r;
}

void refdb_close(struct refdb *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->db);
	free(db);
}

const char *refdb_errmsg(const struct refdb *db)
{
	return db != NULL ? db->errmsg : "";
}

/* column_is - 1 when text column col of st equals s exactly. */
static int column_is(sqlite3_stmt *st, int col, const char *s)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL && strcmp((const char *)t, s) == 0;
}

int refdb_check_path(struct refdb *db, const char *path, size_t path_len,
		     const char *algo, const unsigned char *digest, size_t dlen,
		     struct refdb_path_result *res)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r, rc;

	if (db == NULL || res == NULL)
		return REFDB_E_INVAL;
	memset(res, 0, sizeof(*res));
	r = check_entry_args(path, path_len, 1, algo, digest, dlen, &a,
			     db->errmsg, sizeof(db->errmsg));
	if (r != 0)
		return r;
	res->expected_len = a->digest_len;
	st = db->stmt[Q_PATH];
	sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *d;

		res->path_known = 1;
		if (!column_is(st, 0, a->name))
			continue;
		d = sqlite3_column_blob(st, 1);
		/* A row of the wrong size is damage: it can vouch for nothing. */
		if (d == NULL || (size_t)sqlite3_column_bytes(st, 1) != dlen)
			continue;
		res->algo_known = 1;
		if (memcmp(d, digest, dlen) == 0)
			res->match = 1;
		if (res->n_expected < REFDB_MAX_EXPECTED)
			memcpy(res->expected[res->n_expected++], d, dlen);
	}
	if (rc != SQLITE_DONE)
		r = reader_fail(db, "path lookup");
	sqlite3_reset(st);
	return r;
}

int refdb_find_digest(struct refdb *db, const char *algo,
		      const unsigned char *digest, size_t dlen,
		      const char *not_path, size_t not_path_len,
		      char *path_out, size_t cap)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r, rc;

	if (db == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(NULL, 0, 0, algo, digest, dlen, &a, db->errmsg,
			     sizeof(db->errmsg));
	if (r != 0)
		return r;
	st = db->stmt[Q_DIGEST_OTHER];
	sqlite3_bind_blob(st, 1, digest, (int)dlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	if (not_path != NULL && not_path_len <= REFDB_MAX_PATH)
		sqlite3_bind_blob(st, 3, not_path, (int)not_path_len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (path_out != NULL && cap > 0) {
			if (n > cap - 1)
				n = cap - 1;
			if (n > 0)
				memcpy(path_out, p, n);
			path_out[n] = '\0';
		}
		r = 1;
	} else if (rc == SQLITE_DONE) {
		r = 0;
	} else {
		r = reader_fail(db, "digest lookup");
	}
	sqlite3_reset(st);
	return r;
}

int refdb_is_denied(struct refdb *db, const char *algo,
		    const unsigned char *digest, size_t dlen)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r, rc;

	if (db == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(NULL, 0, 0, algo, digest, dlen, &a, db->errmsg,
			     sizeof(db->errmsg));
	if (r != 0)
		return r;
	st = db->stmt[Q_DENY];
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, digest, (int)dlen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = 1;
	else if (rc == SQLITE_DONE)
		r = 0;
	else
		r = reader_fail(db, "deny lookup");
	sqlite3_reset(st);
	return r;
}

int refdb_foreach_exclude(struct refdb *db,
			  int (*fn)(const char *pattern, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int r = 0, rc;

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	st = db->stmt[Q_EXCLUDES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(st, 0);

		if (p == NULL)
			continue;
		r = fn((const char *)p, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = reader_fail(db, "reading excludes");
	sqlite3_reset(st);
	return r;
}

/* meta_get - copy meta value key into out (empty when absent). */
static int meta_get(sqlite3 *db, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	int rc;

	out[0] = '\0';
	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		size_t i, n = 0;

		/* Printable ASCII only: this ends up on a terminal. */
		for (i = 0; v != NULL && v[i] != '\0' && n + 1 < cap; i++)
			out[n++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] :
				   '?';
		out[n] = '\0';
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/* algo_counts - "sha256=1200 sha512=3" into out, cut at a whole item. */
static int algo_counts(sqlite3 *db, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;
	size_t used = 0;
	int rc;

	out[0] = '\0';
	rc = sqlite3_prepare_v2(db, "SELECT algo, count(*) FROM entries"
				" GROUP BY algo ORDER BY algo", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		const struct hashalgo *a;
		char item[64];
		int n;

		a = name != NULL ? hashalgo_by_name((const char *)name,
				   strlen((const char *)name)) : NULL;
		n = snprintf(item, sizeof(item), "%s%s=%lld",
			     used ? " " : "", a ? a->name : "?",
			     (long long)sqlite3_column_int64(st, 1));
		if (n < 0 || (size_t)n >= cap - used)
			continue;
		memcpy(out + used, item, (size_t)n + 1);
		used += (size_t)n;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int refdb_count_entries(struct refdb *db, int64_t *out)
{
	char buf[32], *end;
	long long n;
	int rc;

	if (db == NULL || out == NULL)
		return REFDB_E_INVAL;
	rc = meta_get(db->db, "entries", buf, sizeof(buf));
	if (rc == SQLITE_OK && buf[0] >= '0' && buf[0] <= '9') {
		errno = 0;
		n = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0') {
			*out = n;
			return 0;
		}
	}
	if (query_int(db->db, "SELECT count(*) FROM entries", out) != SQLITE_OK)
		return reader_fail(db, "counting entries");
	return 0;
}

int refdb_get_info(struct refdb *db, struct refdb_info *out)
{
	int64_t v = 0;
	int rc;

	if (db == NULL || out == NULL)
		return REFDB_E_INVAL;
	memset(out, 0, sizeof(*out));
	rc = query_int(db->db, "PRAGMA user_version", &v);
	out->schema_version = (int)v;
	if (rc == SQLITE_OK)
		rc = query_int(db->db, "SELECT count(*) FROM"
			       " (SELECT DISTINCT path FROM entries)",
			       &out->paths);
	if (rc == SQLITE_OK)
		rc = query_int(db->db, "SELECT count(*) FROM entries",
			       &out->digests);
	if (rc == SQLITE_OK)
		rc = query_int(db->db, "SELECT count(*) FROM deny",
			       &out->denied);
	if (rc == SQLITE_OK)
		rc = query_int(db->db, "SELECT count(*) FROM excludes",
			       &out->excludes);
	if (rc == SQLITE_OK)
		rc = algo_counts(db->db, out->algos, sizeof(out->algos));
	if (rc == SQLITE_OK)
		rc = meta_get(db->db, "created", out->created,
			      sizeof(out->created));
	if (rc == SQLITE_OK)
		rc = meta_get(db->db, "updated", out->updated,
			      sizeof(out->updated));
	if (rc == SQLITE_OK)
		rc = meta_get(db->db, "generator", out->generator,
			      sizeof(out->generator));
	if (rc != SQLITE_OK)
		return reader_fail(db, "reading summary");
	return 0;
}

int refdb_foreach_source(struct refdb *db,
			 int (*fn)(const char *kind, const char *name,
				   int64_t entries, void *arg),
			 void *arg)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	rc = sqlite3_prepare_v2(db->db,
		"SELECT s.kind, s.name, coalesce(c.n, 0) FROM sources s"
		" LEFT JOIN (SELECT source, count(*) AS n FROM entries"
		" GROUP BY source) c ON c.source = s.id ORDER BY s.id",
		-1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = reader_fail(db, "reading sources");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *kind = sqlite3_column_text(st, 0);
		const unsigned char *name = sqlite3_column_text(st, 1);

		r = fn(kind ? (const char *)kind : "",
		       name ? (const char *)name : "",
		       sqlite3_column_int64(st, 2), arg);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = reader_fail(db, "reading sources");
out:
	sqlite3_finalize(st);
	return r;
}

int refdb_foreach_path_entry(struct refdb *db, const char *path,
			     size_t path_len,
			     int (*fn)(const char *algo,
				       const unsigned char *digest, size_t dlen,
				       const char *source, void *arg),
			     void *arg)
{
	sqlite3_stmt *st;
	int r = 0, rc;

	if (db == NULL || fn == NULL || path == NULL || path_len == 0 ||
	    path_len > REFDB_MAX_PATH)
		return REFDB_E_INVAL;
	st = db->stmt[Q_PATH_ENTRIES];
	sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *algo = sqlite3_column_text(st, 0);
		const unsigned char *d = sqlite3_column_blob(st, 1);
		size_t dlen = (size_t)sqlite3_column_bytes(st, 1);
		const unsigned char *kind = sqlite3_column_text(st, 2);
		const unsigned char *name = sqlite3_column_text(st, 3);
		char source[1024];

		if (algo == NULL || d == NULL || dlen > HASHALGO_MAX_DIGEST)
			continue;
		snprintf(source, sizeof(source), "%s:%s",
			 kind ? (const char *)kind : "?",
			 name ? (const char *)name : "?");
		r = fn((const char *)algo, d, dlen, source, arg);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = reader_fail(db, "path lookup");
	sqlite3_reset(st);
	return r;
}

int refdb_foreach_digest_path(struct refdb *db, const char *algo,
			      const unsigned char *digest, size_t dlen,
			      int (*fn)(const char *path, size_t path_len,
					const char *algo, void *arg),
			      void *arg)
{
	const struct hashalgo *a = NULL;
	sqlite3_stmt *st;
	int r = 0, rc;

	if (db == NULL || fn == NULL || digest == NULL || dlen == 0 ||
	    dlen > HASHALGO_MAX_DIGEST)
		return REFDB_E_INVAL;
	if (algo != NULL) {
		r = check_entry_args(NULL, 0, 0, algo, digest, dlen, &a,
				     db->errmsg, sizeof(db->errmsg));
		if (r != 0)
			return r;
		st = db->stmt[Q_DIGEST_ALGO_PATHS];
		sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	} else {
		st = db->stmt[Q_DIGEST_PATHS];
	}
	sqlite3_bind_blob(st, 1, digest, (int)dlen, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const unsigned char *al = sqlite3_column_text(st, 1);
		char *copy;

		if (p == NULL || al == NULL)
			continue;
		/* Callers get a NUL-terminated path, whatever the file holds. */
		copy = malloc(n + 1);
		if (copy == NULL) {
			r = REFDB_E_NOMEM;
			break;
		}
		memcpy(copy, p, n);
		copy[n] = '\0';
		r = fn(copy, n, (const char *)al, arg);
		free(copy);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = reader_fail(db, "digest lookup");
	sqlite3_reset(st);
	return r;
}

/*
 * foreach_entry_sql - every entry (of sources of this kind when kind is
 * not NULL) in dump order, on any connection.  Errors go to msg.
 */
static int foreach_entry_sql(sqlite3 *db, const char *kind,
			     int (*fn)(const struct refdb_entry *e, void *arg),
			     void *arg, char *msg, size_t msglen)
{
	sqlite3_stmt *st = NULL;
	char *copy = NULL;
	int r = 0, rc;

	rc = sqlite3_prepare_v2(db,
		"SELECT e.path, e.algo, e.digest, e.source, e.package"
		" FROM entries e WHERE ?1 IS NULL OR e.source IN"
		" (SELECT id FROM sources WHERE kind = ?1)"
		" ORDER BY e.path, e.algo, e.digest", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if (kind != NULL)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct refdb_entry e;
		const char *p = sqlite3_column_blob(st, 0);
		const unsigned char *al = sqlite3_column_text(st, 1);
		const unsigned char *pk = sqlite3_column_text(st, 4);
		const struct hashalgo *a;
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		memset(&e, 0, sizeof(e));
		e.digest = sqlite3_column_blob(st, 2);
		e.dlen = (size_t)sqlite3_column_bytes(st, 2);
		a = al != NULL ? hashalgo_by_name((const char *)al,
				 strlen((const char *)al)) : NULL;
		/* Damage vouches for nothing: skip what cannot be an entry. */
		if (p == NULL || n == 0 || a == NULL || e.digest == NULL ||
		    e.dlen != a->digest_len || memchr(p, '\0', n) != NULL)
			continue;
		copy = malloc(n + 1);
		if (copy == NULL) {
			r = REFDB_E_NOMEM;
			goto out;
		}
		memcpy(copy, p, n);
		copy[n] = '\0';
		e.path = copy;
		e.path_len = n;
		e.algo = a->name;
		e.source = sqlite3_column_int64(st, 3);
		e.package = (const char *)pk;
		r = fn(&e, arg);
		free(copy);
		copy = NULL;
		if (r != 0)
			goto out;
	}
	if (rc == SQLITE_DONE)
		goto out;
fail:
	refdb_set_msg(msg, msglen, "reading entries: %s", sqlite3_errmsg(db));
	r = REFDB_E_SQLITE;
out:
	free(copy);
	sqlite3_finalize(st);
	return r;
}

int refdb_foreach_entry(struct refdb *db,
			int (*fn)(const struct refdb_entry *e, void *arg),
			void *arg)
{
	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	return foreach_entry_sql(db->db, NULL, fn, arg, db->errmsg,
				 sizeof(db->errmsg));
}

/*
 * foreach_row - run sql and hand each row to row(st, ctx) until it returns
 * non-zero (that value is returned); what names the read in messages.
 */
static int foreach_row(struct refdb *db, const char *sql, const char *what,
		       int (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = reader_fail(db, what);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = row(st, ctx);
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = reader_fail(db, what);
out:
	sqlite3_finalize(st);
	return r;
}

/* text_or - a text column, or dflt for NULL. */
static const char *text_or(sqlite3_stmt *st, int col, const char *dflt)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : dflt;
}

struct named_count_ctx {
	int (*fn)(const char *name, int64_t n, void *arg);
	void *arg;
};

/* A row of (text, integer): packages and their counts, excludes and sources. */
static int named_count_row(sqlite3_stmt *st, void *ctx)
{
	struct named_count_ctx *c = ctx;
	const char *name = text_or(st, 0, NULL);

	if (name == NULL)
		return 0;
	return c->fn(name, sqlite3_column_int64(st, 1), c->arg);
}

int refdb_foreach_package(struct refdb *db,
			  int (*fn)(const char *package, int64_t entries,
				    void *arg),
			  void *arg)
{
	struct named_count_ctx c = { fn, arg };

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	return foreach_row(db, "SELECT package, count(*) FROM entries"
			   " WHERE package IS NOT NULL GROUP BY package"
			   " ORDER BY package", "reading packages",
			   named_count_row, &c);
}

struct source_id_ctx {
	int (*fn)(int64_t id, const char *kind, const char *name, void *arg);
	void *arg;
};

static int source_id_row(sqlite3_stmt *st, void *ctx)
{
	struct source_id_ctx *c = ctx;

	return c->fn(sqlite3_column_int64(st, 0), text_or(st, 1, ""),
		     text_or(st, 2, ""), c->arg);
}

int refdb_foreach_source_id(struct refdb *db,
			    int (*fn)(int64_t id, const char *kind,
				      const char *name, void *arg),
			    void *arg)
{
	struct source_id_ctx c = { fn, arg };

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	return foreach_row(db, "SELECT id, kind, name FROM sources ORDER BY id",
			   "reading sources", source_id_row, &c);
}

struct deny_ctx {
	int (*fn)(const char *algo, const unsigned char *digest, size_t dlen,
		  int64_t source, void *arg);
	void *arg;
};

/* A deny-list row; one of the wrong size is damage and vouches for nothing. */
static int deny_row(sqlite3_stmt *st, void *ctx)
{
	struct deny_ctx *c = ctx;
	const char *al = text_or(st, 0, NULL);
	const unsigned char *d = sqlite3_column_blob(st, 1);
	size_t n = (size_t)sqlite3_column_bytes(st, 1);
	const struct hashalgo *a;

	a = al != NULL ? hashalgo_by_name(al, strlen(al)) : NULL;
	if (a == NULL || d == NULL || n != a->digest_len)
		return 0;
	return c->fn(a->name, d, n, sqlite3_column_int64(st, 2), c->arg);
}

int refdb_foreach_deny(struct refdb *db,
		       int (*fn)(const char *algo, const unsigned char *digest,
				 size_t dlen, int64_t source, void *arg),
		       void *arg)
{
	struct deny_ctx c = { fn, arg };

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	return foreach_row(db, "SELECT algo, digest, coalesce(source, 0)"
			   " FROM deny ORDER BY algo, digest",
			   "reading the deny list", deny_row, &c);
}

int refdb_foreach_exclude_source(struct refdb *db,
				 int (*fn)(const char *pattern, int64_t source,
					   void *arg),
				 void *arg)
{
	struct named_count_ctx c = { fn, arg };

	if (db == NULL || fn == NULL)
		return REFDB_E_INVAL;
	return foreach_row(db, "SELECT pattern, coalesce(source, 0)"
			   " FROM excludes ORDER BY pattern",
			   "reading excludes", named_count_row, &c);
}

/* ------------------------------------------------------------ writing */

/* writer_fail - record a SQLite error on the writer. */
static int writer_fail(struct refdb_writer *w, const char *what)
{
	refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", what,
		sqlite3_errmsg(w->db));
	return sqlite3_errcode(w->db) == SQLITE_NOMEM ? REFDB_E_NOMEM :
	       REFDB_E_SQLITE;
}

/*
 * write_step - run a bound writer statement to its end and reset it.
 * Returns the rows it changed, or writer_fail's code (what names the work).
 */
static int write_step(struct refdb_writer *w, sqlite3_stmt *st,
		      const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return writer_fail(w, what);
	return sqlite3_changes(w->db);
}

/* bind_entry - an entry's (path, algorithm, digest) as ?1, ?2, ?3 of st. */
static void bind_entry(sqlite3_stmt *st, const char *path, size_t path_len,
		       const struct hashalgo *a, const unsigned char *digest)
{
	sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, digest, (int)a->digest_len, SQLITE_STATIC);
}

/* iso_now - the current time as "2024-05-01T12:00:00Z". */
static void iso_now(char *buf, size_t cap)
{
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "unknown");
}

/* meta_set - insert or replace one meta row. */
static int meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value)"
				" VALUES (?1, ?2)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* create_schema - lay out an empty version-1 database in the open transaction. */
static int create_schema(struct refdb_writer *w)
{
	char sql[128], now[40];
	int rc;

	rc = sqlite3_exec(w->db, schema_sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return writer_fail(w, "creating tables");
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d;"
		 "PRAGMA user_version = %d;", REFDB_APPLICATION_ID,
		 REFDB_SCHEMA_VERSION);
	rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
	iso_now(now, sizeof(now));
	if (rc == SQLITE_OK)
		rc = meta_set(w->db, "created", now);
	if (rc != SQLITE_OK)
		return writer_fail(w, "creating tables");
	return 0;
}

/*
 * copy_existing - copy the database at w->path into the temporary file
 * with SQLite's backup API, after checking it as a reader would.  A missing
 * database is not an error: the copy starts empty (*copied = 0).
 */
static int copy_existing(struct refdb_writer *w, int *copied)
{
	struct refdb *src = NULL;
	sqlite3_backup *bk;
	int r, rc;

	*copied = 0;
	r = refdb_open_readonly(w->path, &src, w->errmsg, sizeof(w->errmsg));
	if (r == REFDB_E_NOTFOUND) {
		w->errmsg[0] = '\0';
		return 0;
	}
	if (r != 0)
		return r;
	bk = sqlite3_backup_init(w->db, "main", src->db, "main");
	if (bk == NULL) {
		r = writer_fail(w, "copying the database");
		goto out;
	}
	rc = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		refdb_set_msg(w->errmsg, sizeof(w->errmsg),
			"%s: copying the database: %s", w->path,
			sqlite3_errstr(rc));
		r = REFDB_E_SQLITE;
		goto out;
	}
	*copied = 1;
	r = 0;
out:
	refdb_close(src);
	return r;
}

/* temp_name - "DIR/.BASE.XXXXXX" for mkstemp, beside path. */
static char *temp_name(const char *path, const char *suffix)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path + 1) : 0;
	size_t len = strlen(path) + strlen(suffix) + 2;
	char *s = malloc(len);

	if (s == NULL)
		return NULL;
	snprintf(s, len, "%.*s.%s%s", (int)dlen, path, path + dlen, suffix);
	return s;
}

/* take_lock - flock PATH.lock so that two writers cannot lose each other's work. */
static int take_lock(struct refdb_writer *w, int wait)
{
	size_t len = strlen(w->path) + sizeof(".lock");
	char *lock = malloc(len);
	int r = REFDB_E_IO;

	if (lock == NULL)
		return REFDB_E_NOMEM;
	snprintf(lock, len, "%s.lock", w->path);
	w->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			  O_NOCTTY, 0644);
	if (w->lock_fd < 0) {
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", lock,
			strerror(errno));
		goto out;
	}
	while (flock(w->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR && wait)
			continue;
		if (errno == EWOULDBLOCK)
			r = REFDB_E_BUSY;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", w->path,
			errno == EWOULDBLOCK ?
			"another ima-refdb is writing this database" :
			strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(lock);
	return r;
}

/*
 * remove_stale_temps - with the lock held, any ".BASE.XXXXXX" beside the
 * database is the leftover of a writer that died (kill -9, power loss):
 * nobody else may be writing one.  Best effort.
 */
static void remove_stale_temps(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	char *dirname;
	struct dirent *de;
	DIR *d;

	dirname = slash == NULL ? strdup(".") : slash == path ? strdup("/") :
		  strndup(path, (size_t)(slash - path));
	if (dirname == NULL)
		return;
	d = opendir(dirname);
	free(dirname);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		struct stat st;

		if (strlen(n) != blen + 8 || n[0] != '.' ||
		    strncmp(n + 1, base, blen) != 0 || n[blen + 1] != '.')
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			(void)unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
}

/* writer_free - close everything; unlink the temporary file if it exists. */
static void writer_free(struct refdb_writer *w, int unlink_tmp)
{
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < W_COUNT; i++)
		sqlite3_finalize(w->stmt[i]);
	sqlite3_close(w->db);
	if (w->tmp_fd >= 0)
		close(w->tmp_fd);
	if (unlink_tmp && w->tmp != NULL)
		unlink(w->tmp);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	free(w->tmp);
	free(w->path);
	free(w->package);
	free(w);
}

int refdb_writer_begin(const char *path, int fresh,
		       struct refdb_writer **out, char *errbuf, size_t errlen)
{
	return refdb_writer_begin_flags(path, (fresh ? REFDB_WRITE_FRESH : 0) |
					REFDB_WRITE_NOWAIT, out, errbuf,
					errlen);
}

/* prepare_writer - the writer's statements. */
static int prepare_writer(struct refdb_writer *w)
{
	int i, rc;

	for (i = 0; i < W_COUNT; i++) {
		rc = sqlite3_prepare_v3(w->db, writer_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT,
					&w->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return writer_fail(w, "preparing statements");
	}
	return 0;
}

/*
 * begin_inplace - open (or create) w->path itself in one IMMEDIATE
 * transaction with the rollback journal and full syncs: a crash leaves
 * the old content, and readers (REFDB_OPEN_MUTABLE) see old or new.
 */
static int begin_inplace(struct refdb_writer *w)
{
	struct stat st;
	int64_t tables = 0;
	int rc, r, fresh_file;

	fresh_file = stat(w->path, &st) != 0 || st.st_size == 0;
	sqlite_setup();
	rc = sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return w->db ? writer_fail(w, w->path) : REFDB_E_NOMEM;
	sqlite3_extended_result_codes(w->db, 1);
	if (harden_connection(w->db, 0) != SQLITE_OK)
		return writer_fail(w, w->path);
	sqlite3_busy_timeout(w->db, 10000);
	if (fresh_file)
		(void)chmod(w->path, 0644);
	if (!fresh_file) {
		r = validate_db(w->db, w->path, w->errmsg, sizeof(w->errmsg));
		if (r != 0)
			return r;
	}
	rc = sqlite3_exec(w->db, "PRAGMA journal_mode = DELETE;"
			  "PRAGMA synchronous = FULL;"
			  "BEGIN IMMEDIATE;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return writer_fail(w, w->path);
	if (query_int(w->db, "SELECT count(*) FROM sqlite_schema", &tables)
	    != SQLITE_OK)
		return writer_fail(w, w->path);
	if (tables == 0 && (r = create_schema(w)) != 0)
		return r;
	return prepare_writer(w);
}

int refdb_writer_begin_flags(const char *path, unsigned flags,
			     struct refdb_writer **out, char *errbuf,
			     size_t errlen)
{
	struct refdb_writer *w = NULL;
	int r = REFDB_E_NOMEM, rc, copied = 0;
	int fresh = (flags & REFDB_WRITE_FRESH) != 0;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || *path == '\0' || out == NULL) {
		refdb_set_msg(errbuf, errlen, "no database path");
		return REFDB_E_INVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto fail;
	w->tmp_fd = -1;
	w->lock_fd = -1;
	w->path = strdup(path);
	if (w->path == NULL)
		goto fail;
	if ((r = take_lock(w, !(flags & REFDB_WRITE_NOWAIT))) != 0)
		goto fail;
	if (flags & REFDB_WRITE_INPLACE) {
		w->inplace = 1;
		if (fresh) {
			r = REFDB_E_INVAL;
			refdb_set_msg(w->errmsg, sizeof(w->errmsg),
				"a fresh database is not written in place");
			goto fail;
		}
		if ((r = begin_inplace(w)) != 0)
			goto fail;
		*out = w;
		return 0;
	}
	r = REFDB_E_NOMEM;
	w->tmp = temp_name(path, ".XXXXXX");
	if (w->tmp == NULL)
		goto fail;
	remove_stale_temps(w->path);
	w->tmp_fd = mkstemp(w->tmp);
	if (w->tmp_fd < 0) {
		r = REFDB_E_IO;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", w->tmp,
			strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		goto fail;
	}
	if (fchmod(w->tmp_fd, 0644) != 0) {
		r = REFDB_E_IO;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", w->tmp,
			strerror(errno));
		goto fail;
	}
	sqlite_setup();
	rc = sqlite3_open_v2(w->tmp, &w->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = w->db ? writer_fail(w, w->tmp) : REFDB_E_NOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(w->db, 1);
	if (harden_connection(w->db, 0) != SQLITE_OK) {
		r = writer_fail(w, w->tmp);
		goto fail;
	}
	if (!fresh && (r = copy_existing(w, &copied)) != 0)
		goto fail;
	/*
	 * No journal, no syncs: until the rename nobody sees this file, and
	 * a crash leaves only a stray temporary.  We fsync once at commit.
	 */
	rc = sqlite3_exec(w->db, "PRAGMA journal_mode = OFF;"
			  "PRAGMA synchronous = OFF;"
			  "PRAGMA locking_mode = EXCLUSIVE;"
			  "PRAGMA cache_size = -65536;"
			  "BEGIN;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = writer_fail(w, w->tmp);
		goto fail;
	}
	if (!copied && (r = create_schema(w)) != 0)
		goto fail;
	if ((r = prepare_writer(w)) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	if (w != NULL && errbuf != NULL)
		refdb_set_msg(errbuf, errlen, "%s",
			w->errmsg[0] ? w->errmsg : refdb_strerror(r));
	else
		refdb_set_msg(errbuf, errlen, "%s", refdb_strerror(r));
	writer_free(w, 1);
	return r;
}

const char *refdb_writer_errmsg(const struct refdb_writer *w)
{
	return w != NULL ? w->errmsg : "";
}

/* printable - 1 when s is non-empty and free of control bytes. */
static int printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int64_t refdb_writer_source(struct refdb_writer *w, const char *kind,
			    const char *name)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;

	if (w == NULL || kind == NULL || name == NULL || !printable(kind) ||
	    *name == '\0' || strlen(name) > REFDB_MAX_PATH) {
		if (w != NULL)
			refdb_set_msg(w->errmsg, sizeof(w->errmsg),
				"bad source name");
		return REFDB_E_INVAL;
	}
	st = w->stmt[W_SOURCE_INSERT];
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return writer_fail(w, "recording the source");
	st = w->stmt[W_SOURCE_ID];
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW || id <= 0)
		return writer_fail(w, "recording the source");
	return id;
}

/* insert_entry - the INSERT OR IGNORE of one checked entry; 1 added, 0 present. */
static int insert_entry(struct refdb_writer *w, const char *path,
			size_t path_len, const struct hashalgo *a,
			const unsigned char *digest, int64_t source_id)
{
	sqlite3_stmt *st = w->stmt[W_ADD];
	int r;

	bind_entry(st, path, path_len, a, digest);
	sqlite3_bind_int64(st, 4, source_id);
	if (w->package != NULL)
		sqlite3_bind_text(st, 5, w->package, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	r = write_step(w, st, "adding an entry");
	return r < 0 ? r : r > 0;
}

int refdb_writer_add(struct refdb_writer *w, const char *path,
		     size_t path_len, const char *algo,
		     const unsigned char *digest, size_t dlen,
		     int64_t source_id)
{
	const struct hashalgo *a;
	int r;

	if (w == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(path, path_len, 1, algo, digest, dlen, &a,
			     w->errmsg, sizeof(w->errmsg));
	if (r != 0)
		return r;
	return insert_entry(w, path, path_len, a, digest, source_id);
}

int refdb_writer_set_path(struct refdb_writer *w, const char *path,
			  size_t path_len, const char *algo,
			  const unsigned char *digest, size_t dlen,
			  int64_t source_id)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r;

	if (w == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(path, path_len, 1, algo, digest, dlen, &a,
			     w->errmsg, sizeof(w->errmsg));
	if (r != 0)
		return r;
	st = w->stmt[W_DELETE_OTHERS];
	bind_entry(st, path, path_len, a, digest);
	r = write_step(w, st, "replacing an entry");
	if (r < 0)
		return r;
	return insert_entry(w, path, path_len, a, digest, source_id);
}

int refdb_writer_set_package(struct refdb_writer *w, const char *package)
{
	char *copy = NULL;

	if (w == NULL)
		return REFDB_E_INVAL;
	if (package != NULL) {
		if (!printable(package) || strlen(package) > 256) {
			refdb_set_msg(w->errmsg, sizeof(w->errmsg),
				"bad package name");
			return REFDB_E_INVAL;
		}
		copy = strdup(package);
		if (copy == NULL)
			return REFDB_E_NOMEM;
	}
	free(w->package);
	w->package = copy;
	return 0;
}

int refdb_writer_remove_path(struct refdb_writer *w, const char *path,
			     size_t path_len)
{
	sqlite3_stmt *st;

	if (w == NULL || path == NULL || path_len == 0 ||
	    path_len > REFDB_MAX_PATH)
		return REFDB_E_INVAL;
	st = w->stmt[W_REMOVE_PATH];
	sqlite3_bind_blob(st, 1, path, (int)path_len, SQLITE_STATIC);
	return write_step(w, st, "removing a path");
}

int refdb_writer_remove_entry(struct refdb_writer *w, const char *path,
			      size_t path_len, const char *algo,
			      const unsigned char *digest, size_t dlen)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r;

	if (w == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(path, path_len, 1, algo, digest, dlen, &a,
			     w->errmsg, sizeof(w->errmsg));
	if (r != 0)
		return r;
	st = w->stmt[W_REMOVE_ENTRY];
	bind_entry(st, path, path_len, a, digest);
	r = write_step(w, st, "removing an entry");
	return r < 0 ? r : r > 0;
}

int refdb_writer_foreach_entry(struct refdb_writer *w, const char *kind,
			       int (*fn)(const struct refdb_entry *e,
					 void *arg),
			       void *arg)
{
	int r;

	if (w == NULL || fn == NULL)
		return REFDB_E_INVAL;
	r = foreach_entry_sql(w->db, kind, fn, arg, w->errmsg,
			      sizeof(w->errmsg));
	return r;
}

int refdb_writer_deny(struct refdb_writer *w, const char *algo,
		      const unsigned char *digest, size_t dlen,
		      int64_t source_id)
{
	const struct hashalgo *a;
	sqlite3_stmt *st;
	int r;

	if (w == NULL)
		return REFDB_E_INVAL;
	r = check_entry_args(NULL, 0, 0, algo, digest, dlen, &a, w->errmsg,
			     sizeof(w->errmsg));
	if (r != 0)
		return r;
	st = w->stmt[W_DENY];
	sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, digest, (int)dlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, source_id);
	r = write_step(w, st, "adding a deny entry");
	return r < 0 ? r : r > 0;
}

int refdb_writer_exclude(struct refdb_writer *w, const char *pattern,
			 int64_t source_id)
{
	pcre2_code *re;
	PCRE2_SIZE off = 0;
	sqlite3_stmt *st;
	int err = 0, r;

	if (w == NULL || pattern == NULL || *pattern == '\0') {
		if (w != NULL)
			refdb_set_msg(w->errmsg, sizeof(w->errmsg),
				"empty exclude pattern");
		return REFDB_E_INVAL;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_ANCHORED, &err, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR why[120];

		if (pcre2_get_error_message(err, why, sizeof(why)) < 0)
			snprintf((char *)why, sizeof(why), "error %d", err);
		refdb_set_msg(w->errmsg, sizeof(w->errmsg),
			"bad exclude pattern '%.200s' at offset %zu: %s",
			pattern, (size_t)off, (const char *)why);
		return REFDB_E_REGEX;
	}
	pcre2_code_free(re);
	st = w->stmt[W_EXCLUDE];
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, source_id);
	r = write_step(w, st, "adding an exclude pattern");
	return r < 0 ? r : r > 0;
}

/* fsync_dir - fsync the directory holding path, so that a rename is durable. */
static int fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, r = 0;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		r = -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

int refdb_writer_commit(struct refdb_writer *w)
{
	return refdb_writer_commit_msg(w, NULL, 0);
}

int refdb_writer_commit_msg(struct refdb_writer *w, char *errbuf,
			    size_t errlen)
{
	char now[40];
	int r = REFDB_E_INVAL, rc, i;

	if (w == NULL) {
		refdb_set_msg(errbuf, errlen, "no writer");
		return REFDB_E_INVAL;
	}
	iso_now(now, sizeof(now));
	rc = meta_set(w->db, "updated", now);
	if (rc == SQLITE_OK)
		rc = meta_set(w->db, "generator", "ima-refdb " PACKAGE_VERSION);
	/* so that a reader need not scan to say how many entries it holds */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db, "INSERT OR REPLACE INTO meta (key, value)"
				  " SELECT 'entries', count(*) FROM entries",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = writer_fail(w, "committing");
		goto fail;
	}
	for (i = 0; i < W_COUNT; i++) {
		sqlite3_finalize(w->stmt[i]);
		w->stmt[i] = NULL;
	}
	rc = sqlite3_close(w->db);
	w->db = NULL;
	if (rc != SQLITE_OK) {
		r = REFDB_E_SQLITE;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: closing: %s",
			w->inplace ? w->path : w->tmp, sqlite3_errstr(rc));
		goto fail;
	}
	if (w->inplace) {
		writer_free(w, 0);
		return 0;
	}
	if (fsync(w->tmp_fd) != 0) {
		r = REFDB_E_IO;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: fsync: %s", w->tmp,
			strerror(errno));
		goto fail;
	}
	if (rename(w->tmp, w->path) != 0) {
		r = REFDB_E_IO;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg), "%s: %s", w->path,
			strerror(errno));
		goto fail;
	}
	free(w->tmp);
	w->tmp = NULL;
	if (fsync_dir(w->path) != 0) {
		/* Published, but perhaps not yet durable: say so, fail. */
		r = REFDB_E_IO;
		refdb_set_msg(w->errmsg, sizeof(w->errmsg),
			"%s: fsync of the directory: %s", w->path,
			strerror(errno));
		goto fail;
	}
	writer_free(w, 0);
	return 0;
fail:
	refdb_set_msg(errbuf, errlen, "%s", w->errmsg);
	writer_free(w, 1);
	return r;
}

void refdb_writer_abort(struct refdb_writer *w)
{
	writer_free(w, 1);
}

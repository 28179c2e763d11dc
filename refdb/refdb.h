/* refdb.h -- the reference database: known-good file digests by path */
#ifndef REFDB_H
#define REFDB_H

/*
 * The database is an SQLite file (schema in ima-refdb.db(5)).  A path
 * (arbitrary bytes, no NUL) maps to one or more (algorithm, digest)
 * entries, each tagged with the source it came from.  A digest index
 * answers "is this content known for any path"; a deny list holds
 * known-bad digests; exclude patterns (PCRE2, anchored at the start) name
 * paths whose measurements are not judged.
 *
 * Readers (the plugin) open the file read-only and never write it.
 * Writers (ima-refdb) publish a whole new file: write a temporary file in
 * the same directory, fsync it, rename it over the database, fsync the
 * directory.  A reader that has the old file open keeps a consistent view.
 *
 * Every function returns 0 or a positive count on success and a negative
 * REFDB_E_* code on failure; refdb_strerror() names the code, and the
 * handle's last message (refdb_errmsg()) says more.
 */

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"

/* PRAGMA user_version of the schema this code writes and reads. */
#define REFDB_SCHEMA_VERSION 1

/* Error codes. */
#define REFDB_OK	   0
#define REFDB_E_NOMEM	 (-1)	/* out of memory */
#define REFDB_E_IO	 (-2)	/* open/read/write/fsync/rename failed (errno kept) */
#define REFDB_E_SQLITE	 (-3)	/* SQLite reported an error */
#define REFDB_E_SCHEMA	 (-4)	/* not a reference database, or a newer schema */
#define REFDB_E_INVAL	 (-5)	/* bad argument: unknown algorithm, wrong digest length, empty path */
#define REFDB_E_NOTFOUND (-6)	/* the database file does not exist */
#define REFDB_E_REGEX	 (-7)	/* an exclude pattern does not compile */
#define REFDB_E_SIG	 (-8)	/* manifest malformed, signature or digest does not verify */
#define REFDB_E_BUSY	 (-9)	/* another writer holds the lock (non-blocking begin only) */

/* refdb_strerror - a short English description of a REFDB_E_* code. */
const char *refdb_strerror(int err);

/* ------------------------------------------------------------ reading */

struct refdb;

/*
 * refdb_open_readonly - open the database at path for lookups.  Read-only,
 * no memory mapping, SQLite's defensive settings on, trusted_schema off.
 * Refuses a file whose schema version is newer than REFDB_SCHEMA_VERSION
 * or that lacks the reference tables (REFDB_E_SCHEMA), and a missing file
 * (REFDB_E_NOTFOUND).  On failure *out is NULL and errbuf (if not NULL)
 * holds a one-line reason naming the file.
 */
int refdb_open_readonly(const char *path, struct refdb **out, char *errbuf,
			size_t errlen);

/* Flags of refdb_open_readonly_flags(). */
#define REFDB_OPEN_MUTABLE 0x1	/* the file may change in place (a local_db) */

/*
 * refdb_open_readonly_flags - refdb_open_readonly with flags.  Without
 * REFDB_OPEN_MUTABLE the file is opened with SQLite's immutable=1: no
 * locking, no journal, no change-counter reads (lookups about four times
 * faster), which is right only for published files that writers replace
 * by rename and never change in place.  With REFDB_OPEN_MUTABLE (for a
 * local_db, written in place by refdb_writer_begin_flags(...,
 * REFDB_WRITE_INPLACE, ...)) SQLite's shared locks and rollback journal
 * give a consistent view per statement, and refdb_changed() reports
 * commits by other processes.
 */
int refdb_open_readonly_flags(const char *path, unsigned flags,
			      struct refdb **out, char *errbuf, size_t errlen);

/*
 * refdb_open_readonly_fd - open, read-only and immutable, the very file
 * open on fd (any access mode allowing reads), whatever its name now
 * points to: the file that refdb_sig_verify_fd() verified.  display_path
 * names it in messages.  fd stays the caller's (close it when you like:
 * the handle has its own descriptor on the same inode, opened through
 * /proc/self/fd, so /proc must be mounted).  Same checks and errors as
 * refdb_open_readonly().
 */
int refdb_open_readonly_fd(int fd, const char *display_path,
			   struct refdb **out, char *errbuf, size_t errlen);

/*
 * refdb_changed - for a REFDB_OPEN_MUTABLE handle: 1 when another
 * connection committed a change since the previous call (or since open),
 * else 0 (always 0 for an immutable handle: a new file means a new inode,
 * which the caller sees with stat()).  Negative on error.
 */
int refdb_changed(struct refdb *db);

/* refdb_close - release the handle; NULL is allowed. */
void refdb_close(struct refdb *db);

/* refdb_errmsg - the last error message on this handle ("" if none). */
const char *refdb_errmsg(const struct refdb *db);

/* The answer to "what does the database say about this path and digest". */
#define REFDB_MAX_EXPECTED 4
struct refdb_path_result {
	int path_known;		/* the path has at least one entry (any algorithm) */
	int algo_known;		/* the path has an entry in the asked algorithm */
	int match;		/* the asked digest is among the path's digests */
	size_t n_expected;	/* entries copied below, at most REFDB_MAX_EXPECTED */
	size_t expected_len;	/* bytes in each expected digest */
	unsigned char expected[REFDB_MAX_EXPECTED][HASHALGO_MAX_DIGEST];
				/* the path's digests in the asked algorithm */
};

/*
 * refdb_check_path - look up path[0..path_len) with the measured digest in
 * algorithm algo (kernel name).  Fills *res.  Returns 0, or REFDB_E_INVAL
 * for an unknown algorithm or a digest of the wrong length.
 */
int refdb_check_path(struct refdb *db, const char *path, size_t path_len,
		     const char *algo, const unsigned char *digest, size_t dlen,
		     struct refdb_path_result *res);

/*
 * refdb_find_digest - is this digest known for some path other than
 * not_path (may be NULL)?  On a hit, copies that path (the smallest one,
 * so that answers are stable) into path_out (NUL-terminated, cut to cap-1
 * bytes) and returns 1; returns 0 when it is not known.
 */
int refdb_find_digest(struct refdb *db, const char *algo,
		      const unsigned char *digest, size_t dlen,
		      const char *not_path, size_t not_path_len,
		      char *path_out, size_t cap);

/* refdb_is_denied - 1 when the digest is on the deny list, else 0. */
int refdb_is_denied(struct refdb *db, const char *algo,
		    const unsigned char *digest, size_t dlen);

/*
 * refdb_foreach_exclude - call fn for every exclude pattern recorded in the
 * database, in a stable order.  Stops and returns fn's value if it is not 0.
 */
int refdb_foreach_exclude(struct refdb *db,
			  int (*fn)(const char *pattern, void *arg), void *arg);

struct refdb_info {
	int schema_version;
	int64_t paths;		/* distinct paths */
	int64_t digests;	/* (path, algorithm, digest) entries */
	int64_t denied;		/* deny-list entries */
	int64_t excludes;	/* exclude patterns */
	char algos[128];	/* "sha256 sha512" with a count each: "sha256=1200 sha512=3" */
	char created[40];	/* ISO 8601 UTC, when the file was first written */
	char updated[40];	/* ISO 8601 UTC, last publication */
	char generator[64];	/* "ima-refdb 0.1.0" */
};

/* refdb_get_info - summary counts and metadata (scans the database). */
int refdb_get_info(struct refdb *db, struct refdb_info *out);

/*
 * refdb_count_entries - the number of (path, algorithm, digest) entries
 * as the last writer recorded it at commit: O(1), for a reader that only
 * wants to log it.  Files without that record are counted (a scan).
 */
int refdb_count_entries(struct refdb *db, int64_t *out);

/*
 * refdb_foreach_source - call fn(kind, name, entries, arg) for every
 * recorded source ("scan", "/usr/bin"; "manifest", "ref.sha256"; ...).
 */
int refdb_foreach_source(struct refdb *db,
			 int (*fn)(const char *kind, const char *name,
				   int64_t entries, void *arg),
			 void *arg);

/*
 * refdb_foreach_path_entry - call fn for every entry of exactly this path,
 * ordered by algorithm then digest.
 */
int refdb_foreach_path_entry(struct refdb *db, const char *path,
			     size_t path_len,
			     int (*fn)(const char *algo,
				       const unsigned char *digest, size_t dlen,
				       const char *source, void *arg),
			     void *arg);

/*
 * refdb_foreach_package - call fn(package, entries, arg) for every package
 * named by some entry, ordered by name.
 */
int refdb_foreach_package(struct refdb *db,
			  int (*fn)(const char *package, int64_t entries,
				    void *arg),
			  void *arg);

/* One entry as refdb_foreach_entry() hands it over. */
struct refdb_entry {
	const char *path;	/* NUL-terminated copy; path_len bytes */
	size_t path_len;
	const char *algo;	/* canonical name: "sha256" */
	const unsigned char *digest;
	size_t dlen;
	int64_t source;		/* source id (see refdb_foreach_source_id) */
	const char *package;	/* NULL when none */
};

/*
 * refdb_foreach_entry - call fn for every entry, ordered by path, algorithm,
 * digest (byte order): the order of `ima-refdb dump`.  The pointers are
 * valid during the call only.  Stops and returns fn's value if not 0.
 */
int refdb_foreach_entry(struct refdb *db,
			int (*fn)(const struct refdb_entry *e, void *arg),
			void *arg);

/*
 * refdb_foreach_source_id - call fn(id, kind, name, arg) for every source,
 * ordered by id.
 */
int refdb_foreach_source_id(struct refdb *db,
			    int (*fn)(int64_t id, const char *kind,
				      const char *name, void *arg),
			    void *arg);

/*
 * refdb_foreach_deny - call fn for every deny-list entry, ordered by
 * algorithm and digest, with its source id (0 when none).
 */
int refdb_foreach_deny(struct refdb *db,
		       int (*fn)(const char *algo, const unsigned char *digest,
				 size_t dlen, int64_t source, void *arg),
		       void *arg);

/*
 * refdb_foreach_exclude_source - refdb_foreach_exclude with each pattern's
 * source id (0 when none).
 */
int refdb_foreach_exclude_source(struct refdb *db,
				 int (*fn)(const char *pattern, int64_t source,
					   void *arg),
				 void *arg);

/*
 * refdb_foreach_digest_path - call fn for every path that has this digest
 * (any algorithm whose digest length equals dlen when algo is NULL).
 */
int refdb_foreach_digest_path(struct refdb *db, const char *algo,
			      const unsigned char *digest, size_t dlen,
			      int (*fn)(const char *path, size_t path_len,
					const char *algo, void *arg),
			      void *arg);

/* ------------------------------------------------------------ writing */

struct refdb_writer;

/*
 * refdb_writer_begin - start writing a new version of the database at path.
 * fresh = 1 starts from an empty database (build); fresh = 0 starts from a
 * copy of the existing file's content (import), or from empty when none
 * exists.  Work happens in a temporary file beside path; nothing is visible
 * until refdb_writer_commit().
 */
int refdb_writer_begin(const char *path, int fresh,
		       struct refdb_writer **out, char *errbuf, size_t errlen);

/* Flags of refdb_writer_begin_flags(). */
#define REFDB_WRITE_FRESH   0x1	/* start empty (as refdb_writer_begin fresh=1) */
#define REFDB_WRITE_INPLACE 0x2	/* change the file in place in one SQLite
				   transaction (a local_db); readers must
				   use REFDB_OPEN_MUTABLE */
#define REFDB_WRITE_NOWAIT  0x4	/* fail with REFDB_E_BUSY instead of waiting
				   for another writer's lock */

/*
 * refdb_writer_begin_flags - refdb_writer_begin with flags.  Every writer
 * first takes an exclusive flock() on PATH.lock, shared by all writers of
 * path (ima-refdb, APT hooks), so concurrent writers run one after the
 * other; by default it waits for the lock.  With REFDB_WRITE_INPLACE the
 * database (created when missing) is changed in place: BEGIN IMMEDIATE,
 * the work, COMMIT with SQLite's rollback journal and full syncs, so a
 * crash leaves either the old or the new content.
 */
int refdb_writer_begin_flags(const char *path, unsigned flags,
			     struct refdb_writer **out, char *errbuf,
			     size_t errlen);

/* refdb_writer_errmsg - the last error message on this writer. */
const char *refdb_writer_errmsg(const struct refdb_writer *w);

/*
 * refdb_writer_source - register where the following entries come from
 * (kind "scan", "manifest", ...; name a directory or file name).  Returns
 * the source id (> 0) or a negative code.
 */
int64_t refdb_writer_source(struct refdb_writer *w, const char *kind,
			    const char *name);

/*
 * refdb_writer_add - add the accepted digest for path (duplicates are
 * ignored).  Returns 1 when added, 0 when it was already there.
 */
int refdb_writer_add(struct refdb_writer *w, const char *path,
		     size_t path_len, const char *algo,
		     const unsigned char *digest, size_t dlen,
		     int64_t source_id);

/*
 * refdb_writer_set_path - make path's digests in algo exactly this one
 * (drop the others of that algorithm), as a rescan does.
 */
int refdb_writer_set_path(struct refdb_writer *w, const char *path,
			  size_t path_len, const char *algo,
			  const unsigned char *digest, size_t dlen,
			  int64_t source_id);

/*
 * refdb_writer_set_package - entries added or set from now on record this
 * package name (NULL: none).  The name is copied.
 */
int refdb_writer_set_package(struct refdb_writer *w, const char *package);

/*
 * refdb_writer_remove_path - drop every entry of path (all algorithms).
 * Returns the number of entries dropped.
 */
int refdb_writer_remove_path(struct refdb_writer *w, const char *path,
			     size_t path_len);

/*
 * refdb_writer_remove_entry - drop one (path, algo, digest) entry.
 * Returns 1 when it was there, else 0.
 */
int refdb_writer_remove_entry(struct refdb_writer *w, const char *path,
			      size_t path_len, const char *algo,
			      const unsigned char *digest, size_t dlen);

/*
 * refdb_writer_foreach_entry - refdb_foreach_entry over the writer's
 * current content, restricted to entries whose source kind is kind (NULL:
 * all).  fn must not change the database: collect, then change.
 */
int refdb_writer_foreach_entry(struct refdb_writer *w, const char *kind,
			       int (*fn)(const struct refdb_entry *e,
					 void *arg),
			       void *arg);

/* refdb_writer_deny - add a known-bad digest. */
int refdb_writer_deny(struct refdb_writer *w, const char *algo,
		      const unsigned char *digest, size_t dlen,
		      int64_t source_id);

/* refdb_writer_exclude - record an exclude pattern (checked with PCRE2). */
int refdb_writer_exclude(struct refdb_writer *w, const char *pattern,
			 int64_t source_id);

/*
 * refdb_writer_commit - finish: commit, fsync the file, rename it over the
 * database, fsync the directory, free w.  On failure the old database is
 * untouched, the temporary file removed and w freed.
 */
int refdb_writer_commit(struct refdb_writer *w);

/*
 * refdb_writer_commit_msg - refdb_writer_commit that also copies the
 * reason for a failure into errbuf (w is gone by then, and with it
 * refdb_writer_errmsg()).
 */
int refdb_writer_commit_msg(struct refdb_writer *w, char *errbuf,
			    size_t errlen);

/* refdb_writer_abort - throw the work away, remove the temporary, free w. */
void refdb_writer_abort(struct refdb_writer *w);

#endif

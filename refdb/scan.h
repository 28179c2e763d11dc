/* scan.h -- walk directory trees and hash their regular files with OpenSSL */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"

#define SCAN_MAX_ALGOS 6

struct scan_options {
	const struct hashalgo *algos[SCAN_MAX_ALGOS];
	size_t n_algos;
	int one_filesystem;	/* do not cross mount points */
	unsigned threads;	/* hashing threads; 0 = number of online CPUs */
	/*
	 * exclude (may be NULL) is asked about every path below a root
	 * before it is examined; non-zero skips it, and for a directory its
	 * whole subtree.  Called on the calling thread.
	 */
	int (*exclude)(const char *path, size_t path_len, void *arg);
	void *exclude_arg;
};

/* What a visited regular file produced. */
struct scan_result {
	const char *path;	/* the path as walked (NUL-terminated) */
	size_t path_len;
	size_t n_digests;
	const struct hashalgo *algos[SCAN_MAX_ALGOS];
	unsigned char digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
};

struct scan_stats {
	uint64_t files;		/* regular files hashed */
	uint64_t bytes;		/* bytes read */
	uint64_t skipped;	/* not regular files (devices, sockets, fifos, symlinks) */
	uint64_t unreadable;	/* open or read failed: reported through on_error */
	uint64_t excluded;	/* paths the exclude callback skipped */
};

/*
 * scan_tree - walk each root (symlinks are not followed), hash every regular
 * file in every requested algorithm, and call on_file for each from the
 * calling thread (in no particular order).  on_error gets
 * a one-line message for every unreadable file or directory and the walk
 * continues.  Returns 0, or -1 when a root itself cannot be opened, or the
 * first non-zero value on_file returned.
 */
int scan_tree(const char *const *roots, size_t n_roots,
	      const struct scan_options *opt,
	      int (*on_file)(const struct scan_result *r, void *arg),
	      void (*on_error)(const char *msg, void *arg), void *arg,
	      struct scan_stats *stats);

/*
 * scan_algo_available - 1 when OpenSSL can compute this algorithm here
 * (some live only in the legacy provider, some nowhere), else 0.
 */
int scan_algo_available(const struct hashalgo *algo);

/*
 * scan_hash_file - hash one file (fd-based, O_NOATIME where permitted) in
 * the given algorithms.  Returns 0 or -1 with errno set.
 */
int scan_hash_file(const char *path, const struct hashalgo *const *algos,
		   size_t n_algos,
		   unsigned char digests[][HASHALGO_MAX_DIGEST],
		   uint64_t *bytes);

#endif

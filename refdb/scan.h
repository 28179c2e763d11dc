/* scan.h -- walk directory trees and hash their regular files with OpenSSL */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"

#define SCAN_MAX_ALGOS 6

/* Why the walk left a name out (scan_options.on_skip). */
enum scan_skip {
	SCAN_SKIP_SYMLINK,	/* symbolic links are never followed */
	SCAN_SKIP_DEVICE,	/* block or character device */
	SCAN_SKIP_FIFO,
	SCAN_SKIP_SOCKET,
	SCAN_SKIP_OTHER_TYPE,	/* any other file type */
	SCAN_SKIP_OTHER_FS,	/* on another filesystem (one_filesystem) */
	SCAN_SKIP_EXCLUDED,	/* the exclude callback said so */
	SCAN_SKIP_CHANGED	/* replaced by something else during the walk */
};

/* scan_skip_name - "symlink", "device", ... for messages. */
const char *scan_skip_name(enum scan_skip why);

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
	/*
	 * on_skip (may be NULL) hears of every name left out and why, on the
	 * calling thread (unreadable names go to on_error instead).
	 */
	void (*on_skip)(const char *path, size_t path_len, enum scan_skip why,
			void *arg);
	void *skip_arg;
	/*
	 * image_root (may be NULL): the roots are paths inside this tree (a
	 * golden image, a VM's disk mounted elsewhere), resolved as if it
	 * were "/" -- a symlink in a root's path, absolute ones included,
	 * never leads out of it -- and the paths reported (to exclude,
	 * on_file, on_skip, on_error) are the ones the files will have when
	 * the image is booted.  Nothing below a root is ever followed.
	 */
	const char *image_root;
	/*
	 * decompress_modules: for a "*.ko.xz", "*.ko.gz", "*.ko.zst" file,
	 * also hash its decompressed content (what IMA measures when the
	 * kernel decompresses a module).
	 */
	int decompress_modules;
	/*
	 * count_only: open and hash nothing; on_file gets every regular
	 * file with n_digests 0 and its size (a cheap pre-walk for a
	 * progress estimate).  Hard links are counted once per path.
	 */
	int count_only;
};

/* What a visited regular file produced. */
struct scan_result {
	const char *path;	/* the path as walked (NUL-terminated) */
	size_t path_len;
	size_t n_digests;
	const struct hashalgo *algos[SCAN_MAX_ALGOS];
	unsigned char digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	uint64_t size;		/* bytes of the file */
	/*
	 * module: the file is a compressed kernel module and
	 * module_digests[i] are its decompressed content's digests in
	 * algos[i]; module_err is the errno value of a failed
	 * decompression (then module is 0 and the file's own digests
	 * still stand).
	 */
	int module;
	int module_err;
	unsigned char module_digests[SCAN_MAX_ALGOS][HASHALGO_MAX_DIGEST];
	int hardlink;		/* another path of an inode already hashed */
};

struct scan_stats {
	uint64_t files;		/* regular files hashed */
	uint64_t bytes;		/* bytes read */
	uint64_t skipped;	/* not regular files (devices, sockets, fifos, symlinks) */
	uint64_t unreadable;	/* open or read failed: reported through on_error */
	uint64_t excluded;	/* paths the exclude callback skipped */
	uint64_t other_fs;	/* not entered: another filesystem */
	uint64_t hardlinks;	/* files (counted in files) whose inode was already hashed */
	uint64_t modules;	/* compressed modules also hashed decompressed */
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
 * scan_image_path - the path that dir will have when the image at
 * image_root is booted: dir with image_root (as given, or its real path)
 * cut from its start when it starts with it, else dir itself taken as a
 * path inside the image; then resolved inside the image (symlinks
 * followed as the booted system would, never out of it) to a canonical
 * absolute path.  Sets *booted (malloc'd).  Returns 0, or -1 with errno
 * (ENOENT, ELOOP, ENOTDIR, ENOMEM, ...).
 */
int scan_image_path(const char *image_root, const char *dir, char **booted);

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

/*
 * scan_hash_file_module - scan_hash_file, and for a compressed kernel
 * module (*.ko.xz, *.ko.gz, *.ko.zst) also the digests of its decompressed
 * content (what IMA measures) into module.  *module_err is 0 when module
 * was filled, ENOTSUP when path is not a compressed module's name, or why
 * decompression failed (EBADMSG, EFBIG, ...).  Returns as scan_hash_file.
 */
int scan_hash_file_module(const char *path,
			  const struct hashalgo *const *algos, size_t n_algos,
			  unsigned char digests[][HASHALGO_MAX_DIGEST],
			  uint64_t *bytes,
			  unsigned char module[][HASHALGO_MAX_DIGEST],
			  int *module_err);

#endif

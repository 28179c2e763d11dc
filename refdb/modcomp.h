/* modcomp.h -- stream the decompressed content of compressed kernel modules (.ko.xz, .ko.gz, .ko.zst) */
#ifndef MODCOMP_H
#define MODCOMP_H

/*
 * The kernel measures a compressed module it decompresses itself
 * (finit_module with MODULE_INIT_COMPRESSED_FILE) over the decompressed
 * buffer, while the audit record names the file it opened (".ko.xz").  So
 * a reference database needs both digests for such a path: the file's and
 * its decompressed content's.  This module yields the latter as a stream,
 * in bounded memory, with the libraries (liblzma, zlib, libzstd), never
 * external processes.
 *
 * As the kernel does, only the first xz stream, gzip member or zstd frame
 * is decompressed; data after it is ignored.
 */

#include <stddef.h>

enum modcomp {
	MODCOMP_NONE = 0,
	MODCOMP_XZ,
	MODCOMP_GZIP,
	MODCOMP_ZSTD
};

/* A decoder larger than this (xz dictionary, zstd window) is refused. */
#define MODCOMP_MAX_MEMORY (64u << 20)

/*
 * modcomp_by_name - the compression a module file name announces:
 * MODCOMP_XZ for "*.ko.xz", MODCOMP_GZIP for "*.ko.gz", MODCOMP_ZSTD for
 * "*.ko.zst", else MODCOMP_NONE.
 */
enum modcomp modcomp_by_name(const char *name, size_t len);

/* modcomp_available - 1 when this build can decompress kind, else 0. */
int modcomp_available(enum modcomp kind);

/* modcomp_name - "xz", "gzip", "zstd" (or "none"). */
const char *modcomp_name(enum modcomp kind);

/*
 * modcomp_stream - read the whole file open on fd from offset 0 (pread:
 * the file offset is not moved) through the decoder of kind and hand the
 * decompressed bytes to sink in chunks.  inbuf and outbuf are the
 * caller's buffers (any size from 4 KiB).  Returns 0, sink's non-zero
 * value, or an errno value: EBADMSG for corrupt or truncated data,
 * EFBIG when the decoder would need more than MODCOMP_MAX_MEMORY,
 * ENOTSUP when this build lacks kind, ENOMEM, or read()'s errno.
 */
int modcomp_stream(int fd, enum modcomp kind, unsigned char *inbuf,
		   size_t insz, unsigned char *outbuf, size_t outsz,
		   int (*sink)(const unsigned char *buf, size_t len, void *arg),
		   void *arg);

#endif

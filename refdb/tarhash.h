/* tarhash.h -- hash the regular files of a tar stream (dpkg-deb --fsys-tarfile) without unpacking it */
#ifndef TARHASH_H
#define TARHASH_H

#include <stddef.h>
#include <stdio.h>

#include "hashalgo.h"
#include "scan.h"

/*
 * tarhash_read - read a ustar/GNU/pax tar stream from f and call fn for
 * every regular file (typeflag '0' or NUL) with its name as stored (for a
 * .deb "./usr/bin/x"; "./" is removed so that fn gets "usr/bin/x") and its
 * digests in the n_algos algorithms.  GNU long names ('L') and pax "path"
 * records are honoured; hard links ('1') get the digests of their target
 * when it came earlier in the stream.  Returns 0 at the end of the
 * archive, -1 with a message in err for a malformed or truncated stream,
 * or fn's non-zero value.
 */
int tarhash_read(FILE *f, const struct hashalgo *const *algos, size_t n_algos,
		 int (*fn)(const char *name,
			   unsigned char digests[][HASHALGO_MAX_DIGEST],
			   void *arg),
		 void *arg, char *err, size_t errlen);

#endif

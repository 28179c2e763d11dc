/* manifest.h -- parse checksum manifests (GNU sha*sum and BSD tag lines) */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "hashalgo.h"

/* One parsed manifest line. */
struct manifest_entry {
	const struct hashalgo *algo;
	unsigned char digest[HASHALGO_MAX_DIGEST];
	size_t digest_len;
	char *path;		/* unescaped, NUL-terminated (see below who frees it) */
	size_t path_len;
	unsigned long line;	/* 1-based line number */
};

/*
 * manifest_parse_line - parse one line (without its newline) of
 *   GNU:  "HEX  PATH", "HEX *PATH" (binary mode), and the escaped form
 *         "\HEX  PATH" in which PATH has "\\" for a backslash and "\n" for
 *         a newline (coreutils' output for such names);
 *   BSD:  "SHA256 (PATH) = HEX" (also SHA1, SHA384, SHA512, SM3).
 * default_algo picks the algorithm of untagged lines; NULL means "by digest
 * length" (hashalgo_by_digest_len).  Blank lines and lines starting with
 * '#' give 0 and leave *e untouched.
 * Returns 1 with *e filled (e->path is malloc'd: free it), 0 for a line
 * to skip, or -1 with a message in err ("line 12: digest is not hex").
 */
int manifest_parse_line(const char *line, size_t len, unsigned long lineno,
			const struct hashalgo *default_algo,
			struct manifest_entry *e, char *err, size_t errlen);

/* Longer lines are refused: no name coreutils prints comes near it. */
#define MANIFEST_MAX_LINE 65536

/*
 * manifest_read - parse a whole manifest from f, calling fn for every entry.
 * Stops at the first bad line (returns -1, err says which line and why) or
 * when fn returns non-zero (returned).  NUL bytes in a line are an error.
 * Returns 0 at the end of the file.  e->path belongs to the reader and is
 * valid only during the call to fn.  A read error is reported like a bad
 * line.  fn should stop with a positive value so that it cannot be taken
 * for a parse error.
 */
int manifest_read(FILE *f, const struct hashalgo *default_algo,
		  int (*fn)(const struct manifest_entry *e, void *arg),
		  void *arg, char *err, size_t errlen);

/*
 * manifest_read_detail - manifest_read for callers that print their own
 * "FILE:LINE: reason": on -1, *lineno is the bad line and err holds the
 * reason alone ("digest is not hex").  *lineno is also the number of lines
 * read when it returns 0.
 */
int manifest_read_detail(FILE *f, const struct hashalgo *default_algo,
			 int (*fn)(const struct manifest_entry *e, void *arg),
			 void *arg, unsigned long *lineno, char *err,
			 size_t errlen);

#endif

/* importfmt.h -- read every digest-list format ima-refdb imports: checksum manifests, Keylime policies, IMA lists, dumps */
#ifndef IMPORTFMT_H
#define IMPORTFMT_H

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"

enum importfmt {
	IMPORTFMT_AUTO = 0,
	IMPORTFMT_SUM,		/* GNU "HEX  PATH" (escaped form too) and BSD "SHA256 (PATH) = HEX" */
	IMPORTFMT_ALLOWLIST,	/* Keylime's legacy flat allowlist: sha*sum lines, boot_aggregate, %keyring: */
	IMPORTFMT_KEYLIME,	/* Keylime runtime policy JSON (digests, excludes; old "hashes") */
	IMPORTFMT_IMA_ASCII,	/* ascii_runtime_measurements (ima, ima-ng, ima-sig, ...) */
	IMPORTFMT_IMA_BINARY,	/* binary_runtime_measurements, native byte order */
	IMPORTFMT_DUMP,		/* `ima-refdb dump` output */
	IMPORTFMT_DIGESTS	/* one "HEX" or "ALGO:HEX" per line (deny lists) */
};

/* A file larger than this is refused before it is parsed. */
#define IMPORTFMT_MAX_INPUT (1024UL * 1024 * 1024)

/*
 * What a reader hands over.  Every callback returns 0 to go on, or
 * non-zero to stop (the reader then returns that value); err is for the
 * callback to say why ("line 3: ..." is added by the reader).
 * entry: an accepted digest for path; package and source are set by
 *        dumps only (NULL / 0 otherwise).
 * deny:  a known-bad digest (dump "deny" lines, IMPORTFMT_DIGESTS).
 * exclude: a regular expression (Keylime excludes, dump "exclude" lines).
 * source: a dump's source declaration, numbered from 1 in file order.
 */
struct importfmt_sink {
	int (*entry)(void *arg, const char *path, size_t path_len,
		     const struct hashalgo *algo, const unsigned char *digest,
		     const char *package, int64_t source, char *err,
		     size_t errlen);
	int (*deny)(void *arg, const struct hashalgo *algo,
		    const unsigned char *digest, int64_t source, char *err,
		    size_t errlen);
	int (*exclude)(void *arg, const char *pattern, int64_t source,
		       char *err, size_t errlen);
	int (*source)(void *arg, int64_t id, const char *kind,
		      const char *name, char *err, size_t errlen);
	void *arg;
};

struct importfmt_stats {
	unsigned long entries;	/* entry() calls */
	unsigned long skipped;	/* boot_aggregate, buffers, all-zero digests, keyrings */
};

/* importfmt_name - "sum", "keylime", ... for messages; NULL for a bad value. */
const char *importfmt_name(enum importfmt f);

/* importfmt_by_name - the format named by --format; -1 when unknown. */
int importfmt_by_name(const char *name);

/* importfmt_detect - guess the format of a file from its content. */
enum importfmt importfmt_detect(const unsigned char *buf, size_t len);

/*
 * importfmt_parse - parse buf[0..len) (any bytes) as format fmt (AUTO:
 * detect; *used gets the format parsed) and feed the sink.  default_algo
 * tags untagged digests (NULL: by length).  Returns 0, or -1 with a
 * message "line N: reason" / "offset N: reason" in err, or the non-zero
 * value a callback returned (its message in err, prefixed with the line).
 */
int importfmt_parse(const unsigned char *buf, size_t len, enum importfmt fmt,
		    const struct hashalgo *default_algo,
		    const struct importfmt_sink *sink, enum importfmt *used,
		    struct importfmt_stats *st, char *err, size_t errlen);

/*
 * importfmt_escape - the dump form of a string: "\\" for a backslash,
 * "\n", "\t", "\r" and "\xHH" for other control bytes and DEL (and for
 * a space when space is non-zero); other bytes as they are.  Writes at
 * most cap bytes with a NUL; returns the length it needed (as snprintf).
 */
size_t importfmt_escape(const char *s, size_t len, int space, char *out,
			size_t cap);

#endif

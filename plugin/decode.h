/* decode.h -- turn one assembled event into plain INTEGRITY record structs */
#ifndef DECODE_H
#define DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"
#include "intake.h"

/*
 * A decoded INTEGRITY_* record.  Text fields are NUL-terminated copies with
 * their lengths; names are decoded to their exact bytes (hex and quotes
 * undone, nothing re-escaped), since they are looked up in the database and
 * escaped again only by the alert writer.  A field the record does not carry
 * has has_<field> = 0 or an empty string.
 */
#define DECODE_MAX_PATH 4096
#define DECODE_MAX_TEXT 256

struct ima_record {
	int type;			/* 1800..1899 */
	uint64_t sec;			/* the event id */
	unsigned msec;
	uint64_t serial;
	char node[DECODE_MAX_TEXT];	/* "" without node= */

	char op[DECODE_MAX_TEXT];	/* raw op, quotes stripped ("" if none) */
	char cause[DECODE_MAX_TEXT];	/* raw cause; may hold spaces ("signed policy required") */

	/* file= (1805) or name= (others), decoded; " (deleted)" removed */
	char path[DECODE_MAX_PATH];
	size_t path_len;
	int has_path;
	int deleted;			/* the kernel appended " (deleted)" */

	/* hash= of a 1805 measurement */
	int has_hash;
	char algo[HASHALGO_MAX_NAME];	/* kernel name, lowercase ("sha256") */
	unsigned char digest[HASHALGO_MAX_DIGEST];
	size_t digest_len;
	int hash_bad;			/* hash= present but unparsable (bad hex, unknown algorithm) */

	/* who: numbers kept as the kernel printed them (no name lookups) */
	char pid[24], ppid[24], auid[24], uid[24];
	char comm[DECODE_MAX_TEXT];	/* decoded */
	char exe[DECODE_MAX_PATH];	/* decoded */
	char res[8];			/* "0"/"1" as printed, "" if none */

	/* 1805 policy rules of old kernels and 1807: the rule text */
	int is_policy_rule;
	char rule[1024];		/* "action=audit func=BPRM_CHECK ..." (res= removed) */
	char xattr[DECODE_MAX_TEXT];	/* 1806 */
};

typedef void (*decode_record_fn)(const struct ima_record *r, void *arg);

struct decoder;

/*
 * decoder_new - one libauparse feed parser for the whole process lifetime
 * (raw escape mode, so names keep their exact bytes).  NULL on failure.
 */
struct decoder *decoder_new(void);
void decoder_free(struct decoder *d);

/*
 * decoder_event - decode one complete event from intake, calling fn for
 * every INTEGRITY record it holds, in order.  Task fields missing from a
 * record (ppid, exe, comm for INTEGRITY_DATA) are taken from the event's
 * SYSCALL record.  Returns the number of records reported, or -1 when
 * libauparse failed on the input (the event is lost; counted).
 */
int decoder_event(struct decoder *d, const struct intake_event *ev,
		  decode_record_fn fn, void *arg);

#endif

/* alert.h -- format one alert line: "ID key=value ..." with safe escaping */
#ifndef ALERT_H
#define ALERT_H

#include <stddef.h>

#include "decode.h"
#include "verdict.h"

/*
 * The line contract (DESIGN.md "Alert lines", audisp-ima(8)): the verdict
 * id, then the keys that apply in this order: severity event node file hash
 * expected known_as op cause pid ppid auid uid comm exe, then any others
 * (deleted, res, rule, xattr, type, note, truncated).  A value made only of
 * bytes 0x21-0x7E other than '"' and '\' is written bare; any other value
 * is double-quoted with \" \\ and \xHH for every byte outside 0x20-0x7E.
 * A line is at most ALERT_MAX_LINE bytes: the longest values are cut and
 * the line ends with truncated=yes.
 */
#define ALERT_MAX_LINE 4096

/*
 * alert_escape - append one value, escaped as above, to out (cap bytes,
 * NUL-terminated).  Returns the length the escaped value needs (the
 * output is complete only if that is < cap).
 */
size_t alert_escape(const char *val, size_t len, char *out, size_t cap);

/*
 * An alert line under construction: keys are added in contract order by
 * the caller, then alert_line_finish() makes it fit ALERT_MAX_LINE.
 */
#define ALERT_MAX_FIELDS 24
struct alert_line {
	const char *id;
	size_t n;
	struct {
		const char *key;
		const char *val;
		size_t len;
	} f[ALERT_MAX_FIELDS];
};

/* alert_line_init - start a line for verdict or message id. */
void alert_line_init(struct alert_line *l, const char *id);

/* alert_line_add - add key=val[0..len); ignored when val is NULL or the line is full. */
void alert_line_add(struct alert_line *l, const char *key, const char *val,
		    size_t len);

/* alert_line_adds - alert_line_add of a NUL-terminated value; "" is skipped. */
void alert_line_adds(struct alert_line *l, const char *key, const char *val);

/*
 * alert_line_finish - write the line into out (cap >= ALERT_MAX_LINE + 1).
 * Returns its length.
 */
size_t alert_line_finish(const struct alert_line *l, char *out, size_t cap);

/*
 * alert_format_record - the alert line for a judged record with this
 * severity name.  Returns the length written to out (cap >= ALERT_MAX_LINE+1).
 */
size_t alert_format_record(const struct ima_record *r,
			   const struct verdict *v, const char *severity,
			   char *out, size_t cap);

#endif

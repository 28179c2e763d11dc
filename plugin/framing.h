/* framing.h -- cut auditd's string-format byte stream into complete lines */
#ifndef FRAMING_H
#define FRAMING_H

#include <stddef.h>

/*
 * auditd writes one record per line, each with its own write(), to a
 * SOCK_STREAM socket: a read() may return part of a line or many lines.
 * The framer keeps the partial tail between calls and hands out complete
 * lines.  A line longer than max_line bytes is skipped whole (counted,
 * never truncated into a misparse).  A stream whose first byte is 0x00 or
 * 0x01 is auditd's binary format (a protocol-version word): the framer
 * notes it and discards everything, so that the caller can say so once.
 */

/* The default and the smallest accepted line limit. */
#define FRAMING_DEFAULT_MAX_LINE (64 * 1024)
#define FRAMING_MIN_MAX_LINE	 (16 * 1024)

struct framing;

/*
 * The callback gets each complete line without its '\n'; line[len] is a
 * NUL (the line itself may contain NUL bytes: len is authoritative).  The
 * pointer is valid only during the call.
 */
typedef void (*framing_line_fn)(const char *line, size_t len, void *arg);

/* framing_new - a framer for lines up to max_line bytes (raised to the minimum). NULL on ENOMEM. */
struct framing *framing_new(size_t max_line);

/* framing_free - release; NULL is allowed. */
void framing_free(struct framing *f);

/* framing_feed - consume len bytes, calling fn for every line completed. */
void framing_feed(struct framing *f, const char *buf, size_t len,
		  framing_line_fn fn, void *arg);

/*
 * framing_finish - end of input: a last line without '\n' is handed out
 * too (auditd always ends lines, but a file may not).
 */
void framing_finish(struct framing *f, framing_line_fn fn, void *arg);

/* framing_is_binary - 1 once the stream was recognised as binary format. */
int framing_is_binary(const struct framing *f);

struct framing_stats {
	unsigned long long bytes;	/* bytes fed */
	unsigned long long lines;	/* complete lines handed out */
	unsigned long long overlong;	/* lines skipped for length */
};

/* framing_get_stats - counters since framing_new(). */
void framing_get_stats(const struct framing *f, struct framing_stats *out);

#endif

/* flood.h -- flood control: one alert per repeated finding, a rate limit per severity */
#ifndef FLOOD_H
#define FLOOD_H

#include <stddef.h>
#include <stdint.h>

#include "hashalgo.h"
#include "verdict.h"

/*
 * Two filters between a judged record and the output queue, both driven by
 * the records' own timestamps (milliseconds), never by the wall clock, so
 * that a replay of a recorded stream gives the same alerts as live traffic.
 *
 * Duplicates: the same (verdict id, path, op, cause, digest) seen again within
 * dedup_window_ms of its first alert is not sent; when that window closes a
 * summary carries the count.  At most max_keys findings are remembered (the
 * oldest is summarised and forgotten first), so memory stays bounded.
 *
 * Rate: per syslog level below crit, at most limit alerts per period_ms
 * (fixed windows that start at the first alert after the previous window
 * ended).  What is over the limit is counted by verdict id and summarised
 * when the window closes.  crit, alert and emerg are never limited.
 */

#define FLOOD_LEVELS 8		/* LOG_EMERG .. LOG_DEBUG */

struct flood_rate {
	unsigned limit;		/* alerts per period; 0 = no limit ("off") */
	unsigned period_ms;
};

struct flood_limits {
	unsigned dedup_window_ms;	/* 0 = no deduplication */
	size_t max_keys;		/* findings remembered; 0 = 4096 */
	struct flood_rate rate[FLOOD_LEVELS];
};

/* What a closed window held back. */
struct flood_summary {
	enum { FLOOD_DUPLICATE, FLOOD_RATE } kind;
	/* FLOOD_DUPLICATE: the finding repeated, count times after its alert */
	enum verdict_id id;
	const char *path;
	size_t path_len;
	const char *op;
	const char *cause;
	const char *algo;
	const unsigned char *digest;
	size_t digest_len;
	uint64_t first_ms, last_ms;	/* record times of the first and last repeat */
	/* FLOOD_RATE: alerts at level held back, by verdict id */
	int level;
	unsigned long long by_id[V_COUNT];
	/* both */
	unsigned long long count;
	unsigned window_ms;
};

typedef void (*flood_summary_fn)(const struct flood_summary *s, void *arg);

/* The finding an alert is about. */
struct flood_key {
	enum verdict_id id;
	int level;
	const char *path;	/* may be NULL */
	size_t path_len;
	const char *op;		/* may be NULL */
	const char *cause;	/* may be NULL */
	const char *algo;	/* may be NULL */
	const unsigned char *digest;
	size_t digest_len;
};

struct flood;

/* flood_new - NULL on ENOMEM. */
struct flood *flood_new(const struct flood_limits *lim);

/* flood_free - pending summaries are discarded: flush first. */
void flood_free(struct flood *f);

/*
 * flood_admit - should the alert for k, from a record stamped now_ms, be
 * sent?  Windows that closed before now_ms are summarised through fn first.
 * Returns 1 (send it) or 0 (held back and counted).
 */
int flood_admit(struct flood *f, const struct flood_key *k, uint64_t now_ms,
		flood_summary_fn fn, void *arg);

/*
 * flood_advance - record time moved to now_ms without an alert (an idle
 * stream): summarise the windows that closed.
 */
void flood_advance(struct flood *f, uint64_t now_ms, flood_summary_fn fn,
		   void *arg);

/* flood_flush - end of input: summarise everything still held. */
void flood_flush(struct flood *f, flood_summary_fn fn, void *arg);

/* flood_pending - 1 while some window holds a count to summarise. */
int flood_pending(const struct flood *f);

struct flood_stats {
	unsigned long long duplicates;	/* alerts held back as repeats */
	unsigned long long rate_limited;	/* alerts held back by a rate limit */
	size_t keys;			/* findings remembered now */
};

void flood_get_stats(const struct flood *f, struct flood_stats *out);

#endif

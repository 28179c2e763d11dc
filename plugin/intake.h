/* intake.h -- the pre-filter and event assembly in front of libauparse */
#ifndef INTAKE_H
#define INTAKE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Pre-filter: read only a line's record type and event id.  Accepted
 * shapes (optional "node=NAME " prefix; NAME has no space):
 *   [node=N ]type=NAME msg=audit(SEC.MSEC:SERIAL): ...
 *   [node=N ]type=UNKNOWN[NNNN] msg=audit(SEC.MSEC:SERIAL): ...
 *   [node=N ]type=NNNN msg=audit(SEC.MSEC:SERIAL): ...
 * NAME is mapped to its number for the names that matter here: every
 * INTEGRITY_* name (1800-1807), EOE (1320), and the other common ones
 * (SYSCALL 1300, PATH 1302, CWD 1307, EXECVE 1309, PROCTITLE 1327 ...).
 * Any other well-formed name gives type 0 ("some other record").
 */

#define INTAKE_TYPE_EOE 1320
#define INTAKE_IS_INTEGRITY(t) ((t) >= 1800 && (t) <= 1899)

struct intake_line_info {
	int type;		/* record type number; 0 = other/unknown name */
	uint64_t sec;		/* the event id: audit(SEC.MSEC:SERIAL) */
	unsigned msec;
	uint64_t serial;
	const char *node;	/* points into the line, or NULL */
	size_t node_len;
};

/*
 * intake_parse_line - fill *out from line[0..len).  Returns 0, or -1 when
 * the line has no recognisable type= and msg=audit(...) (malformed).
 */
int intake_parse_line(const char *line, size_t len,
		      struct intake_line_info *out);

/*
 * Event assembly.  An event (same node, SEC.MSEC and SERIAL) is kept only if
 * it holds an INTEGRITY_* record (1800-1899): an event opens at its first
 * integrity record, and later records of the same event (SYSCALL, CWD,
 * PATH, EXECVE, PROCTITLE, EOE, more integrity records) join it.  Records of
 * events that never had an integrity record are dropped at once.  Records
 * of different events may interleave.
 *
 * An open event is complete when its EOE arrives, or when no record for it
 * arrived for quiet_ms (standalone kernel records never get an EOE), or when
 * it must be evicted because max_events are open.  Complete events are
 * handed out strictly in the order their first record arrived (a complete
 * event waits behind an older incomplete one), so the output order does not
 * depend on timing.  An event is cut at max_records records or max_bytes
 * bytes (the rest is dropped and counted).  Lines that arrive for an event
 * already handed out are dropped and counted as late.
 *
 * Precisely: an event is closed at its EOE, at eviction, at flush, or once
 * quiet_ms passed since its last record (even while it still waits behind
 * an older event).  A later non-integrity record with a closed event's id
 * is late (the ids of the last max_events closed events are remembered);
 * a later integrity record is never lost: it opens a new event with the
 * same id (counted in "reopened", not in "late").  Every line lands in
 * exactly one of malformed, kept, dropped, late, cut or nomem.  The first
 * record of an event is always kept; max_bytes counts line bytes without
 * their NULs.  Callbacks must not call back into the same intake.
 */

struct intake_limits {
	unsigned quiet_ms;	/* default 250 */
	size_t max_events;	/* default 4096 */
	size_t max_records;	/* default 256 per event */
	size_t max_bytes;	/* default 256 KiB per event */
};

/* One complete event, in arrival order; valid only during the callback. */
struct intake_event {
	size_t n_lines;
	const char *const *lines;	/* each NUL-terminated, without '\n' */
	const size_t *lens;
	uint64_t sec;
	unsigned msec;
	uint64_t serial;
	int has_eoe;			/* ended by its EOE (else by quiet time, eviction or flush) */
	int truncated;			/* records were dropped for max_records/max_bytes */
};

typedef void (*intake_event_fn)(const struct intake_event *ev, void *arg);

struct intake;

/* intake_new - lim may be NULL for the defaults; zero fields take defaults. NULL on ENOMEM. */
struct intake *intake_new(const struct intake_limits *lim);

/* intake_free - release (pending events are discarded: flush first). */
void intake_free(struct intake *in);

/*
 * intake_line - take one line (as from framing) that arrived at now_ms
 * (a monotonic clock in milliseconds), and hand out every event that
 * became ready.  Lines containing a NUL byte are malformed.
 */
void intake_line(struct intake *in, const char *line, size_t len,
		 uint64_t now_ms, intake_event_fn fn, void *arg);

/* intake_expire - hand out events whose quiet time has passed at now_ms. */
void intake_expire(struct intake *in, uint64_t now_ms, intake_event_fn fn,
		   void *arg);

/*
 * intake_next_deadline_ms - milliseconds from now_ms until the next event
 * can complete by quiet time (0 if one already can), or -1 when no event
 * is open.  For poll()'s timeout.
 */
int intake_next_deadline_ms(const struct intake *in, uint64_t now_ms);

/* intake_flush - end of input: hand out every open event, oldest first. */
void intake_flush(struct intake *in, intake_event_fn fn, void *arg);

/* intake_open_events - events currently held. */
size_t intake_open_events(const struct intake *in);

struct intake_stats {
	unsigned long long lines;	/* lines seen */
	unsigned long long malformed;	/* no type/event id, or a NUL byte */
	unsigned long long kept;	/* lines that joined a kept event */
	unsigned long long dropped;	/* lines of events without integrity records */
	unsigned long long late;	/* lines for events already handed out */
	unsigned long long cut;		/* lines dropped by max_records/max_bytes */
	unsigned long long events;	/* events handed out */
	unsigned long long evicted;	/* events handed out early because max_events were open */
	/* integrity lines for an id already closed: opened a new event */
	unsigned long long reopened;
	unsigned long long nomem;	/* lines lost to a failed allocation */
};

void intake_get_stats(const struct intake *in, struct intake_stats *out);

#endif

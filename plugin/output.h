/* output.h -- where alert lines go: syslog(3) on a thread of its own, or stdout */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

#include "verdict.h"

/*
 * auditd blocks on a plugin that does not read, and the kernel then
 * throttles or loses events for the whole machine.  syslog(3) blocks when
 * the log daemon does (a stopped rsyslogd, a full journald).  So alerts
 * are handed to a writer thread through a bounded queue: when it is full,
 * an alert is dropped and counted (by verdict id) instead of stalling the
 * caller, and once the writer catches up it sends one alerts_suppressed
 * line with those counts.  A few slots are kept for crit and worse: a
 * flood of warnings cannot crowd out a tampered binary.
 *
 * In OUTPUT_STDOUT mode (demos, tests, replays) the queue blocks instead of
 * dropping: a replay must print every message.
 */

enum output_mode {
	OUTPUT_SYSLOG,		/* syslog(3), ident "audisp-ima" */
	OUTPUT_STDOUT		/* the same messages, one per line, on stdout */
};

#define OUTPUT_DEFAULT_QUEUE 1024

/*
 * output_start - open syslog (or stdout) and start the writer thread.
 * suppressed_level is the level of the alerts_suppressed line (-1: never
 * sent, the counts are still kept).  Returns 0, or -1 when the thread
 * cannot start (then output_line writes directly, blocking).
 */
int output_start(enum output_mode mode, int facility, size_t queue_size,
		 int suppressed_level);

/* output_set_facility - switch facility and the alerts_suppressed level (a reload). */
void output_set_facility(int facility, int suppressed_level);

/*
 * output_line - queue one finished line for id at syslog level.  Never
 * blocks in syslog mode.  Returns 1 when queued, 0 when dropped.
 */
int output_line(int level, enum verdict_id id, const char *line, size_t len);

/* output_flush - stdout mode: push buffered lines out (before waiting for input). */
void output_flush(void);

/*
 * output_stop - write everything still queued (this may block on a stuck
 * log daemon: it is the end), then stop the thread and close.
 */
void output_stop(void);

struct output_stats {
	unsigned long long queued;	/* lines accepted */
	unsigned long long sent;	/* lines written */
	unsigned long long dropped;	/* lines dropped, queue full */
	unsigned long long dropped_by_id[V_COUNT];
	size_t high_water;		/* most lines ever waiting */
	size_t capacity;
};

void output_get_stats(struct output_stats *out);

#endif

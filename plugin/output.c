/* output.c -- where alert lines go: syslog(3) on a thread of its own, or stdout */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "alert.h"
#include "config.h"
#include "output.h"

struct queued {
	int level;
	enum verdict_id id;
	char *line;
	size_t len;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* writer: something to do */
	pthread_cond_t room;		/* stdout mode: a slot freed */
	pthread_t thread;
	int running;			/* writer thread started */
	int stopping;
	enum output_mode mode;
	int facility;
	int suppressed_level;
	struct queued *ring;
	size_t cap, head, count;
	/* drops since the last alerts_suppressed line */
	unsigned long long pending_total;
	unsigned long long pending_by_id[V_COUNT];
	struct output_stats st;
} out = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
	.facility = LOG_AUTHPRIV,
	.suppressed_level = LOG_WARNING,
};

/* write_now - hand one line to syslog or stdout (may block: writer thread). */
static void write_now(int level, int facility, const char *line, size_t len)
{
	if (out.mode == OUTPUT_STDOUT) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	/* The line is escaped already: "%s", never the line as the format. */
	syslog(facility | level, "%s", line);
}

/*
 * suppressed_line - the alerts_suppressed line for drops counted so far:
 * "alerts_suppressed severity=warning reason=queue_full unknown_file=12
 * total=12".  Called with the lock held; resets the counts.
 */
static size_t suppressed_line(char *buf, size_t cap, const char *severity)
{
	char nums[V_COUNT][24], total[24];
	struct alert_line l;
	int i;

	alert_line_init(&l, verdict_name(V_ALERTS_SUPPRESSED));
	alert_line_adds(&l, "severity", severity);
	alert_line_adds(&l, "reason", "queue_full");
	for (i = 0; i < V_COUNT; i++) {
		if (out.pending_by_id[i] == 0)
			continue;
		snprintf(nums[i], sizeof(nums[i]), "%llu", out.pending_by_id[i]);
		alert_line_adds(&l, verdict_name((enum verdict_id)i), nums[i]);
	}
	snprintf(total, sizeof(total), "%llu", out.pending_total);
	alert_line_adds(&l, "total", total);
	memset(out.pending_by_id, 0, sizeof(out.pending_by_id));
	out.pending_total = 0;
	return alert_line_finish(&l, buf, cap);
}

/*
 * say_suppressed - send the alerts_suppressed line for the drops counted so
 * far (the counts start again even when that line's level is off).  Called
 * with the lock held; drops it while writing.
 */
static void say_suppressed(void)
{
	char summary[ALERT_MAX_LINE + 1];
	int level = out.suppressed_level, facility = out.facility;
	size_t n;

	n = suppressed_line(summary, sizeof(summary), config_level_name(level));
	if (level < 0)
		return;
	pthread_mutex_unlock(&out.lock);
	write_now(level, facility, summary, n);
	pthread_mutex_lock(&out.lock);
	out.st.sent++;
}

static void *writer(void *unused)
{
	struct queued q;
	int facility;

	(void)unused;
	pthread_mutex_lock(&out.lock);
	for (;;) {
		while (out.count == 0 && !out.stopping) {
			if (out.mode == OUTPUT_STDOUT) {
				/* idle: let a reader of our stdout see everything */
				pthread_mutex_unlock(&out.lock);
				fflush(stdout);
				pthread_mutex_lock(&out.lock);
				if (out.count != 0 || out.stopping)
					break;
			}
			pthread_cond_wait(&out.wake, &out.lock);
		}
		if (out.count == 0 && out.stopping)
			break;
		q = out.ring[out.head];
		out.head = (out.head + 1) % out.cap;
		out.count--;
		facility = out.facility;
		pthread_cond_signal(&out.room);
		pthread_mutex_unlock(&out.lock);

		write_now(q.level, facility, q.line, q.len);
		free(q.line);

		pthread_mutex_lock(&out.lock);
		out.st.sent++;
		/*
		 * A line just went through, so the log daemon is taking them
		 * again: once the backlog is half gone, say what was lost.
		 */
		if (out.pending_total && out.count < out.cap / 2)
			say_suppressed();
	}
	if (out.pending_total)
		say_suppressed();
	pthread_mutex_unlock(&out.lock);
	if (out.mode == OUTPUT_STDOUT)
		fflush(stdout);
	return NULL;
}

int output_start(enum output_mode mode, int facility, size_t queue_size,
		 int suppressed_level)
{
	sigset_t all, old;
	int rc;

	out.mode = mode;
	out.facility = facility;
	out.suppressed_level = suppressed_level;
	if (mode == OUTPUT_SYSLOG)
		openlog("audisp-ima", LOG_PID | LOG_NDELAY, facility);
	out.cap = queue_size ? queue_size : OUTPUT_DEFAULT_QUEUE;
	if (out.cap < 16)
		out.cap = 16;
	out.st.capacity = out.cap;
	out.ring = calloc(out.cap, sizeof(*out.ring));
	if (out.ring == NULL)
		return -1;
	/* Signals are for the main thread: the writer may sit in syslog(). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&out.thread, NULL, writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	out.running = 1;
	return 0;
}

void output_set_facility(int facility, int suppressed_level)
{
	pthread_mutex_lock(&out.lock);
	out.facility = facility;
	out.suppressed_level = suppressed_level;
	pthread_mutex_unlock(&out.lock);
}

int output_line(int level, enum verdict_id id, const char *line, size_t len)
{
	size_t limit, reserve;
	char *copy;

	if (!out.running) {
		write_now(level, out.facility, line, len);
		return 1;
	}
	copy = malloc(len + 1);
	pthread_mutex_lock(&out.lock);
	/* The last slots are kept for crit and worse. */
	reserve = out.cap / 16;
	limit = level <= LOG_CRIT ? out.cap : out.cap - reserve;
	if (out.mode == OUTPUT_STDOUT) {
		while (out.count >= limit)
			pthread_cond_wait(&out.room, &out.lock);
	}
	if (copy == NULL || out.count >= limit) {
		out.st.dropped++;
		out.pending_total++;
		if ((unsigned)id < V_COUNT) {
			out.st.dropped_by_id[id]++;
			out.pending_by_id[id]++;
		}
		pthread_mutex_unlock(&out.lock);
		free(copy);
		return 0;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	out.ring[(out.head + out.count) % out.cap] =
		(struct queued){ level, id, copy, len };
	out.count++;
	out.st.queued++;
	if (out.count > out.st.high_water)
		out.st.high_water = out.count;
	pthread_cond_signal(&out.wake);
	pthread_mutex_unlock(&out.lock);
	return 1;
}

void output_flush(void)
{
	if (!out.running && out.mode == OUTPUT_STDOUT)
		fflush(stdout);
}

void output_stop(void)
{
	if (out.running) {
		pthread_mutex_lock(&out.lock);
		out.stopping = 1;
		pthread_cond_signal(&out.wake);
		pthread_mutex_unlock(&out.lock);
		pthread_join(out.thread, NULL);
		out.running = 0;
	}
	free(out.ring);
	out.ring = NULL;
	if (out.mode == OUTPUT_STDOUT)
		fflush(stdout);
	else
		closelog();
}

void output_get_stats(struct output_stats *st)
{
	pthread_mutex_lock(&out.lock);
	*st = out.st;
	pthread_mutex_unlock(&out.lock);
}

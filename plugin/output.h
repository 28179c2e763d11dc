/* output.h -- where alert lines go: syslog(3), or stdout for demos and tests */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

enum output_mode {
	OUTPUT_SYSLOG,		/* syslog(3), ident "audisp-ima" */
	OUTPUT_STDOUT		/* the same messages, one per line, on stdout */
};

/* output_open - start sending; facility is a LOG_* facility. */
void output_open(enum output_mode mode, int facility);

/* output_set_facility - switch facility (after a reload). */
void output_set_facility(int facility);

/* output_line - send one finished alert line at syslog level. */
void output_line(int level, const char *line, size_t len);

/* output_flush - push buffered stdout lines out (before waiting for input). */
void output_flush(void);

/* output_close - flush and close. */
void output_close(void);

#endif

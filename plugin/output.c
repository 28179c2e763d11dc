/* output.c -- where alert lines go: syslog(3), or stdout for demos and tests */
#include <stdio.h>
#include <syslog.h>

#include "output.h"

static enum output_mode mode;
static int facility = LOG_AUTHPRIV;

void output_open(enum output_mode m, int fac)
{
	mode = m;
	facility = fac;
	if (mode == OUTPUT_SYSLOG)
		openlog("audisp-ima", LOG_PID | LOG_NDELAY, facility);
}

void output_set_facility(int fac)
{
	facility = fac;
}

void output_line(int level, const char *line, size_t len)
{
	if (mode == OUTPUT_STDOUT) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	/* The line is already escaped: %s, never the line as the format. */
	syslog(facility | level, "%s", line);
}

void output_flush(void)
{
	if (mode == OUTPUT_STDOUT)
		fflush(stdout);
}

void output_close(void)
{
	if (mode == OUTPUT_STDOUT)
		fflush(stdout);
	else
		closelog();
}

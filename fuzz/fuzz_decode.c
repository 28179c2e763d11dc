/* fuzz_decode.c -- libFuzzer target: hostile records through decode, verdict and the alert line */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "decode.h"
#include "framing.h"
#include "intake.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	struct intake *in;
	struct decoder *dec;
};

/* Every decoded record is judged (no database) and formatted, and the line checked. */
static void fuzz_record(const struct ima_record *r, void *arg)
{
	static struct verdict v;
	char line[ALERT_MAX_LINE + 1];
	size_t n, i;

	(void)arg;
	if (r->path_len != strlen(r->path) || r->digest_len > HASHALGO_MAX_DIGEST)
		__builtin_trap();
	(void)verdict_for_record(r, NULL, NULL, &v);
	n = alert_format_record(r, &v, "warning", line, sizeof(line));
	if (n > ALERT_MAX_LINE || n != strlen(line))
		__builtin_trap();
	/* the contract: nothing outside printable ASCII reaches syslog */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			__builtin_trap();
}

static void fuzz_event(const struct intake_event *ev, void *arg)
{
	struct fuzz_state *st = arg;

	(void)decoder_event(st->dec, ev, fuzz_record, st);
}

static void fuzz_line(const char *line, size_t len, void *arg)
{
	struct fuzz_state *st = arg;

	intake_line(st->in, line, len, 0, fuzz_event, st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decoder *dec;
	struct fuzz_state st;
	struct framing *fr;

	/* one parser for the process lifetime, as in the plugin */
	if (dec == NULL)
		dec = decoder_new();
	st.dec = dec;
	st.in = intake_new(NULL);
	fr = framing_new(FRAMING_DEFAULT_MAX_LINE);
	if (st.in == NULL || fr == NULL || dec == NULL)
		abort();
	framing_feed(fr, (const char *)data, size, fuzz_line, &st);
	framing_finish(fr, fuzz_line, &st);
	intake_flush(st.in, fuzz_event, &st);
	framing_free(fr);
	intake_free(st.in);
	return 0;
}

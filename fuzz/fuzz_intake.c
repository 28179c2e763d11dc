/* fuzz_intake.c -- libFuzzer target: hostile bytes through framing and intake */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "framing.h"
#include "intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	struct intake *in;
	uint64_t now_ms;
	size_t bytes_seen;	/* touches every handed-out byte */
};

/* Read every byte of the event so that ASan sees any bad pointer. */
static void fuzz_event(const struct intake_event *ev, void *arg)
{
	struct fuzz_state *st = arg;
	size_t i, j;

	for (i = 0; i < ev->n_lines; i++) {
		for (j = 0; j <= ev->lens[i]; j++)
			st->bytes_seen += (unsigned char)ev->lines[i][j];
		if (ev->lines[i][ev->lens[i]] != '\0')
			__builtin_trap();
	}
}

static void fuzz_line(const char *line, size_t len, void *arg)
{
	struct fuzz_state *st = arg;
	struct intake_line_info li;

	if (line[len] != '\0')
		__builtin_trap();
	(void)intake_parse_line(line, len, &li);
	intake_line(st->in, line, len, st->now_ms, fuzz_event, st);
}

/*
 * The first two bytes choose small limits (so eviction and cuts happen)
 * and the piece size; each piece also advances the clock by its first
 * byte, so quiet-time completion is exercised too.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_limits lim = { 0, 0, 0, 0 };
	struct fuzz_state st = { NULL, 0, 0 };
	struct framing *fr;
	size_t off = 0, piece;

	if (size < 2)
		return 0;
	lim.quiet_ms = 1 + data[0] % 64;
	lim.max_events = 1 + data[0] / 64 * 3;
	lim.max_records = 1 + data[1] % 8;
	lim.max_bytes = 64 + (size_t)data[1] * 16;
	piece = 1 + data[1] % 97;
	data += 2;
	size -= 2;

	fr = framing_new(0);
	st.in = intake_new(&lim);
	if (fr == NULL || st.in == NULL)
		goto out;
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		st.now_ms += data[off] % 32;
		framing_feed(fr, (const char *)data + off, n, fuzz_line, &st);
		intake_expire(st.in, st.now_ms, fuzz_event, &st);
		(void)intake_next_deadline_ms(st.in, st.now_ms);
		off += n;
	}
	framing_finish(fr, fuzz_line, &st);
	intake_flush(st.in, fuzz_event, &st);
	if (intake_open_events(st.in) != 0)
		__builtin_trap();
out:
	framing_free(fr);
	intake_free(st.in);
	return 0;
}

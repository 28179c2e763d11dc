/* framing.c -- cut auditd's string-format byte stream into complete lines */
#include <stdlib.h>
#include <string.h>

#include "framing.h"

/*
 * The line buffer is allocated once at its full size (max_line + 1 for the
 * NUL), so that feeding can never fail half-way for want of memory: 64 KiB
 * by default, a price worth paying for a loop with no error path.  Every
 * byte fed is looked at once by memchr() and copied at most once, so the
 * cost is linear however the stream is cut into pieces.
 */
struct framing {
	char *buf;		/* the partial line, max_line + 1 bytes */
	size_t len;		/* bytes of it in use */
	size_t max_line;
	int started;		/* the first byte has been seen */
	int binary;		/* the stream is auditd's binary format */
	int skipping;		/* dropping an over-long line up to '\n' */
	struct framing_stats st;
};

struct framing *framing_new(size_t max_line)
{
	struct framing *f;

	if (max_line < FRAMING_MIN_MAX_LINE)
		max_line = FRAMING_MIN_MAX_LINE;
	/* Leave room for the NUL without wrapping around. */
	if (max_line > (size_t)-1 / 2)
		max_line = (size_t)-1 / 2;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->buf = malloc(max_line + 1);
	if (f->buf == NULL) {
		free(f);
		return NULL;
	}
	f->max_line = max_line;
	return f;
}

void framing_free(struct framing *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

/* Hand out the buffered line and start a new one. */
static void emit_line(struct framing *f, framing_line_fn fn, void *arg)
{
	size_t len = f->len;

	f->buf[len] = '\0';
	f->len = 0;
	f->st.lines++;
	if (fn != NULL)
		fn(f->buf, len, arg);
}

void framing_feed(struct framing *f, const char *buf, size_t len,
		  framing_line_fn fn, void *arg)
{
	const char *p = buf, *end = buf + len;

	if (f == NULL || buf == NULL || len == 0)
		return;
	f->st.bytes += len;
	if (!f->started) {
		f->started = 1;
		/* A protocol-version word (0 or 1), not "type=" or "node=". */
		if ((unsigned char)buf[0] <= 0x01)
			f->binary = 1;
	}
	if (f->binary)
		return;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t take = (size_t)((nl != NULL ? nl : end) - p);

		if (f->skipping) {
			if (nl == NULL)
				return;
			f->skipping = 0;
			p = nl + 1;
			continue;
		}
		if (take > f->max_line - f->len) {
			/* Over the limit: skip the whole line. */
			f->st.overlong++;
			f->len = 0;
			if (nl == NULL) {
				f->skipping = 1;
				return;
			}
			p = nl + 1;
			continue;
		}
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		if (nl == NULL)
			return;
		emit_line(f, fn, arg);
		p = nl + 1;
	}
}

void framing_finish(struct framing *f, framing_line_fn fn, void *arg)
{
	if (f == NULL)
		return;
	/* An over-long tail was counted when it crossed the limit. */
	f->skipping = 0;
	if (f->len > 0 && !f->binary)
		emit_line(f, fn, arg);
	f->len = 0;
}

int framing_is_binary(const struct framing *f)
{
	return f != NULL && f->binary;
}

void framing_get_stats(const struct framing *f, struct framing_stats *out)
{
	if (out == NULL)
		return;
	if (f == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = f->st;
}

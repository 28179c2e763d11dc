/* manifest.c -- parse GNU sha*sum and BSD tag manifests into digests and paths */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

/* set_reason - format a reason into err (which may be NULL). */
__attribute__((format(printf, 3, 4)))
static void set_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int is_tag_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-';
}

/*
 * check_digest - decode hex[0..len) as a digest of algo (or, when algo is
 * NULL, of the algorithm its length suggests) into e.  Returns 0 or -1
 * with a reason.
 */
static int check_digest(const char *hex, size_t len,
			const struct hashalgo *algo, struct manifest_entry *e,
			char *err, size_t errlen)
{
	size_t i;

	if (len == 0) {
		set_reason(err, errlen, "missing digest");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!is_hex((unsigned char)hex[i])) {
			set_reason(err, errlen, "digest is not hex");
			return -1;
		}
	}
	if (algo == NULL) {
		if (len % 2 == 0)
			algo = hashalgo_by_digest_len(len / 2);
		if (algo == NULL) {
			set_reason(err, errlen,
				   "cannot tell the algorithm of a %zu-digit digest (name it with --algo)",
				   len);
			return -1;
		}
	}
	if (len != 2 * algo->digest_len) {
		set_reason(err, errlen, "digest has %zu hex digits, %s needs %zu",
			   len, algo->name, 2 * algo->digest_len);
		return -1;
	}
	if (hashalgo_hex_decode(hex, len, e->digest, algo->digest_len) != 0) {
		set_reason(err, errlen, "digest is not hex");
		return -1;
	}
	e->algo = algo;
	e->digest_len = algo->digest_len;
	return 0;
}

/*
 * copy_path - copy the path s[0..len) into a new string, undoing
 * coreutils' escapes ("\\\\", "\\n", "\\r") when escaped is set.  Any other
 * backslash sequence is refused, as coreutils refuses it.
 */
static int copy_path(const char *s, size_t len, int escaped,
		     struct manifest_entry *e, char *err, size_t errlen)
{
	char *out;
	size_t i, n = 0;

	if (len == 0) {
		set_reason(err, errlen, "missing path");
		return -1;
	}
	out = malloc(len + 1);
	if (out == NULL) {
		set_reason(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!escaped || s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		if (i + 1 == len) {
			set_reason(err, errlen, "path ends in a lone backslash");
			goto bad;
		}
		switch (s[++i]) {
		case '\\':
			out[n++] = '\\';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		default:
			set_reason(err, errlen,
				   "unknown escape sequence in path");
			goto bad;
		}
	}
	out[n] = '\0';
	e->path = out;
	e->path_len = n;
	return 0;
bad:
	free(out);
	return -1;
}

/*
 * parse_bsd - "TAG (PATH) = HEX" from just after the tag: p points at
 * " (".  The path runs to the last ')' because the digest cannot hold one.
 */
static int parse_bsd(const char *tag, size_t tag_len, const char *p,
		     const char *end, int escaped, struct manifest_entry *e,
		     char *err, size_t errlen)
{
	const struct hashalgo *algo = hashalgo_by_name(tag, tag_len);
	const char *name = p + 2, *close;

	if (algo == NULL) {
		set_reason(err, errlen, "unknown tag '%.*s'",
			   tag_len > 32 ? 32 : (int)tag_len, tag);
		return -1;
	}
	for (close = end; close > name; close--)
		if (close[-1] == ')')
			break;
	if (close == name) {
		set_reason(err, errlen, "missing ') = ' after the path");
		return -1;
	}
	close--;
	if (end - close < 4 || memcmp(close, ") = ", 4) != 0) {
		set_reason(err, errlen, "missing ') = ' after the path");
		return -1;
	}
	if (check_digest(close + 4, (size_t)(end - close - 4), algo, e, err,
			 errlen) != 0)
		return -1;
	return copy_path(name, (size_t)(close - name), escaped, e, err, errlen);
}

/* parse_gnu - "HEX  PATH" or "HEX *PATH" from the first digit. */
static int parse_gnu(const char *p, const char *end, int escaped,
		     const struct hashalgo *default_algo,
		     struct manifest_entry *e, char *err, size_t errlen)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\t')
		q++;
	if (q == p) {
		set_reason(err, errlen, "missing digest");
		return -1;
	}
	if (q == end || q + 1 == end) {
		/* Keep "not hex" ahead of "missing path" for a garbage line. */
		if (check_digest(p, (size_t)(q - p), default_algo, e, err,
				 errlen) != 0)
			return -1;
		set_reason(err, errlen, "missing path");
		return -1;
	}
	if (check_digest(p, (size_t)(q - p), default_algo, e, err, errlen) != 0)
		return -1;
	if (q[0] != ' ' || (q[1] != ' ' && q[1] != '*')) {
		set_reason(err, errlen,
			   "expected two spaces or \" *\" between digest and path");
		return -1;
	}
	return copy_path(q + 2, (size_t)(end - q - 2), escaped, e, err, errlen);
}

/* parse_reason - manifest_parse_line with the bare reason in err. */
static int parse_reason(const char *line, size_t len,
			const struct hashalgo *default_algo,
			struct manifest_entry *e, char *err, size_t errlen)
{
	struct manifest_entry tmp;
	const char *p = line, *end = line + len, *q;
	int escaped = 0;

	if (line == NULL || e == NULL) {
		set_reason(err, errlen, "no line");
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		set_reason(err, errlen, "NUL byte in line");
		return -1;
	}
	/* coreutils skips leading white space, and so do we. */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (*p == '\\') {
		escaped = 1;
		p++;
	}
	memset(&tmp, 0, sizeof(tmp));
	for (q = p; q < end && is_tag_char((unsigned char)*q); q++)
		;
	if (q > p && end - q >= 2 && q[0] == ' ' && q[1] == '(') {
		if (parse_bsd(p, (size_t)(q - p), q, end, escaped, &tmp, err,
			      errlen) != 0)
			return -1;
	} else if (parse_gnu(p, end, escaped, default_algo, &tmp, err,
			     errlen) != 0) {
		return -1;
	}
	*e = tmp;
	return 1;
}

int manifest_parse_line(const char *line, size_t len, unsigned long lineno,
			const struct hashalgo *default_algo,
			struct manifest_entry *e, char *err, size_t errlen)
{
	char reason[160];
	int r;

	reason[0] = '\0';
	r = parse_reason(line, len, default_algo, e, reason, sizeof(reason));
	if (r < 0)
		set_reason(err, errlen, "line %lu: %s", lineno, reason);
	else if (r > 0)
		e->line = lineno;
	return r;
}

/*
 * read_line - read one line (without its newline) into *buf, growing it up
 * to MANIFEST_MAX_LINE.  Returns 1 with *len set, 0 at the end of the
 * file, -1 on a read error (errno set) and -2 for an over-long line.
 */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
	size_t n = 0;
	int c = EOF;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			char *nb;

			if (n >= MANIFEST_MAX_LINE)
				return -2;
			if (ncap > MANIFEST_MAX_LINE + 1)
				ncap = MANIFEST_MAX_LINE + 1;
			nb = realloc(*buf, ncap);
			if (nb == NULL)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return -1;
	if (c == EOF && n == 0)
		return 0;
	*len = n;
	return 1;
}

int manifest_read_detail(FILE *f, const struct hashalgo *default_algo,
			 int (*fn)(const struct manifest_entry *e, void *arg),
			 void *arg, unsigned long *lineno, char *err,
			 size_t errlen)
{
	struct manifest_entry e;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	unsigned long n = 0;
	int r = -1;

	if (f == NULL || fn == NULL) {
		set_reason(err, errlen, "no input");
		goto out;
	}
	for (;;) {
		int got = read_line(f, &buf, &cap, &len);

		if (got == 0)
			break;
		n++;
		if (got == -2) {
			set_reason(err, errlen, "line longer than %d bytes",
				   MANIFEST_MAX_LINE);
			r = -1;
			goto out;
		}
		if (got < 0) {
			set_reason(err, errlen, "read error: %s",
				   strerror(errno));
			r = -1;
			goto out;
		}
		memset(&e, 0, sizeof(e));
		got = parse_reason(buf, len, default_algo, &e, err, errlen);
		if (got < 0) {
			r = -1;
			goto out;
		}
		if (got == 0)
			continue;
		e.line = n;
		r = fn(&e, arg);
		free(e.path);
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	if (lineno != NULL)
		*lineno = n;
	free(buf);
	return r;
}

int manifest_read(FILE *f, const struct hashalgo *default_algo,
		  int (*fn)(const struct manifest_entry *e, void *arg),
		  void *arg, char *err, size_t errlen)
{
	char reason[160];
	unsigned long n = 0;
	int r;

	reason[0] = '\0';
	r = manifest_read_detail(f, default_algo, fn, arg, &n, reason,
				 sizeof(reason));
	if (r == -1)
		set_reason(err, errlen, "line %lu: %s", n, reason);
	return r;
}

/* importfmt.c -- parse checksum manifests, Keylime policies, IMA measurement lists and dumps into digests */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "importfmt.h"
#include "refdb_msg.h"
#include "manifest.h"

/* Names longer than this are not names any IMA list holds. */
#define MAX_NAME 65536
/* IMA_TEMPLATE_NAME_LEN_MAX in the kernel is 15. */
#define MAX_TEMPLATE_NAME 15
/* Nesting deeper than this is no policy: refuse it before recursing. */
#define JSON_MAX_DEPTH 32


static const char *const fmt_names[] = {
	[IMPORTFMT_AUTO] = "auto",
	[IMPORTFMT_SUM] = "sum",
	[IMPORTFMT_ALLOWLIST] = "allowlist",
	[IMPORTFMT_KEYLIME] = "keylime",
	[IMPORTFMT_IMA_ASCII] = "ima-ascii",
	[IMPORTFMT_IMA_BINARY] = "ima-binary",
	[IMPORTFMT_DUMP] = "dump",
	[IMPORTFMT_DIGESTS] = "digests",
};

const char *importfmt_name(enum importfmt f)
{
	if ((unsigned)f >= sizeof(fmt_names) / sizeof(fmt_names[0]))
		return NULL;
	return fmt_names[f];
}

int importfmt_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (strcmp(name, fmt_names[i]) == 0)
			return (int)i;
	/* Friendly aliases: what people call these files. */
	if (strcmp(name, "gnu") == 0 || strcmp(name, "bsd") == 0 ||
	    strcmp(name, "sha256sum") == 0)
		return IMPORTFMT_SUM;
	if (strcmp(name, "ima") == 0)
		return IMPORTFMT_IMA_ASCII;
	return -1;
}

/* ------------------------------------------------------------ helpers */

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);	/* the kernel writes its own byte order */
	return v;
}

/* is_hex - 1 when s[0..len) is non-empty hex. */
static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]) || s[i] == '\0')
			return 0;
	return len > 0;
}

/* looks_like_binary_list - a first record with a PCR, a template name. */
static int looks_like_binary_list(const unsigned char *b, size_t len)
{
	uint32_t pcr, nlen;
	size_t i;

	if (len < 32)
		return 0;
	pcr = get_u32(b);
	nlen = get_u32(b + 24);
	if (pcr > 63 || nlen < 3 || nlen > MAX_TEMPLATE_NAME ||
	    len < 28 + (size_t)nlen)
		return 0;
	for (i = 0; i < nlen; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_",
			    b[28 + i]))
			return 0;
	return memcmp(b + 28, "ima", 3) == 0 || memcmp(b + 28, "evm", 3) == 0;
}

/* looks_like_ascii_list - "PCR HEX TEMPLATE " at the start. */
static int looks_like_ascii_list(const unsigned char *b, size_t len)
{
	const char *s = (const char *)b, *sp1, *sp2;
	size_t n = len < 512 ? len : 512;

	sp1 = memchr(s, ' ', n);
	if (sp1 == NULL || sp1 == s)
		return 0;
	for (const char *p = s; p < sp1; p++)
		if (*p < '0' || *p > '9')
			return 0;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
	if (sp2 == NULL || !is_hex(sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
	    (size_t)(sp2 - sp1 - 1) < 40)
		return 0;
	return (size_t)(s + n - sp2) > 4 && memcmp(sp2 + 1, "ima", 3) == 0;
}

enum importfmt importfmt_detect(const unsigned char *buf, size_t len)
{
	size_t i = 0;

	if (looks_like_binary_list(buf, len))
		return IMPORTFMT_IMA_BINARY;
	if (len >= 15 && memcmp(buf, "ima-refdb-dump ", 15) == 0)
		return IMPORTFMT_DUMP;
	while (i < len && strchr(" \t\r\n", buf[i]) && buf[i] != '\0')
		i++;
	if (i < len && buf[i] == '{')
		return IMPORTFMT_KEYLIME;
	if (looks_like_ascii_list(buf, len))
		return IMPORTFMT_IMA_ASCII;
	return IMPORTFMT_SUM;
}

size_t importfmt_escape(const char *s, size_t len, int space, char *out,
			size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];
		size_t k;

		if (c == '\\')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (c == '\n')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\n");
		else if (c == '\t')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\t");
		else if (c == '\r')
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\r");
		else if (c < 0x20 || c == 0x7f || (space && c == ' '))
			k = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
			k = 1;
		}
		if (cap > 0 && n + k < cap)
			memcpy(out + n, tmp, k);
		n += k;
	}
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* unescape - the inverse of importfmt_escape into a malloc'd string; NULL on bad input. */
static char *unescape(const char *s, size_t len, size_t *out_len)
{
	char *o = malloc(len + 1);
	size_t i, n = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			o[n++] = s[i];
			continue;
		}
		if (++i == len)
			goto bad;
		switch (s[i]) {
		case '\\': o[n++] = '\\'; break;
		case 'n': o[n++] = '\n'; break;
		case 't': o[n++] = '\t'; break;
		case 'r': o[n++] = '\r'; break;
		case 'x': {
			unsigned char c;

			if (i + 2 >= len ||
			    hashalgo_hex_decode(s + i + 1, 2, &c, 1) != 0 ||
			    c == 0)
				goto bad;
			o[n++] = (char)c;
			i += 2;
			break;
		}
		default:
			goto bad;
		}
	}
	o[n] = '\0';
	*out_len = n;
	return o;
bad:
	free(o);
	return NULL;
}

/* ------------------------------------------------------------ line formats */

/*
 * next_line - the line at *pos (without its "\n"; a "\r" before it is kept
 * for the parser to refuse), advancing *pos.  0 at the end.
 */
static int next_line(const unsigned char *buf, size_t len, size_t *pos,
		     const char **line, size_t *llen)
{
	const unsigned char *nl;

	if (*pos >= len)
		return 0;
	*line = (const char *)buf + *pos;
	nl = memchr(buf + *pos, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - (buf + *pos)) : len - *pos;
	*pos += *llen + (nl ? 1 : 0);
	return 1;
}

/* parse_algo_hex - "ALGO:HEX" (or bare HEX by length/default) into algo, digest. */
static int parse_algo_hex(const char *s, size_t len,
			  const struct hashalgo *def,
			  const struct hashalgo **algo, unsigned char *d,
			  char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);
	const struct hashalgo *a = def;
	const char *hex = s;
	size_t hlen = len;

	if (colon != NULL) {
		a = hashalgo_by_name(s, (size_t)(colon - s));
		if (a == NULL) {
			refdb_set_msg(err, errlen, "unknown hash algorithm '%.*s'",
				(int)(colon - s > 16 ? 16 : colon - s), s);
			return -1;
		}
		hex = colon + 1;
		hlen = len - (size_t)(colon + 1 - s);
	}
	if (!is_hex(hex, hlen)) {
		refdb_set_msg(err, errlen, "digest is not hex");
		return -1;
	}
	if (a == NULL && (hlen % 2 != 0 ||
			  (a = hashalgo_by_digest_len(hlen / 2)) == NULL)) {
		refdb_set_msg(err, errlen, "a %zu-digit digest fits no algorithm",
			hlen);
		return -1;
	}
	if (hlen != 2 * a->digest_len) {
		refdb_set_msg(err, errlen, "a %s digest has %zu hex digits, not %zu",
			a->name, 2 * a->digest_len, hlen);
		return -1;
	}
	if (hashalgo_hex_decode(hex, hlen, d, a->digest_len) != 0) {
		refdb_set_msg(err, errlen, "digest is not hex");
		return -1;
	}
	*algo = a;
	return 0;
}

/* prefix_line - "line N: " before what a callback put in err. */
static void prefix_line(char *err, size_t errlen, unsigned long line)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", err);
	refdb_set_msg(err, errlen, "line %lu: %s", line, tmp);
}

/* skip_name - names a measurement list or allowlist holds that are no file. */
static int skip_name(const char *p, size_t n)
{
	return (n == 14 && memcmp(p, "boot_aggregate", 14) == 0) ||
	       (n >= 9 && memcmp(p, "%keyring:", 9) == 0);
}

static int parse_sum(const unsigned char *buf, size_t len,
		     const struct hashalgo *def,
		     const struct importfmt_sink *s, int digests_only,
		     struct importfmt_stats *st, char *err, size_t errlen)
{
	const char *line;
	size_t pos = 0, llen;
	unsigned long lineno = 0;
	char why[256];
	int r;

	while (next_line(buf, len, &pos, &line, &llen)) {
		struct manifest_entry e;
		char *copy;

		lineno++;
		if (memchr(line, '\0', llen) != NULL) {
			refdb_set_msg(err, errlen, "line %lu: NUL byte", lineno);
			return -1;
		}
		if (llen > MANIFEST_MAX_LINE) {
			refdb_set_msg(err, errlen, "line %lu: longer than %d bytes",
				lineno, MANIFEST_MAX_LINE);
			return -1;
		}
		if (digests_only) {
			const struct hashalgo *a;
			unsigned char d[HASHALGO_MAX_DIGEST];
			size_t b = 0, e2 = llen;

			while (b < e2 && (line[b] == ' ' || line[b] == '\t'))
				b++;
			while (e2 > b && strchr(" \t\r", line[e2 - 1]))
				e2--;
			if (b == e2 || line[b] == '#')
				continue;
			/* A manifest line: its digest is what is denied. */
			if (memchr(line + b, ' ', e2 - b) == NULL) {
				if (parse_algo_hex(line + b, e2 - b, def, &a, d,
						   why, sizeof(why)) != 0) {
					refdb_set_msg(err, errlen, "line %lu: %s",
						lineno, why);
					return -1;
				}
				err[0] = '\0';
				r = s->deny(s->arg, a, d, 0, err, errlen);
				if (r != 0) {
					prefix_line(err, errlen, lineno);
					return r;
				}
				st->entries++;
				continue;
			}
		}
		copy = malloc(llen + 1);
		if (copy == NULL) {
			refdb_set_msg(err, errlen, "out of memory");
			return -1;
		}
		memcpy(copy, line, llen);
		copy[llen] = '\0';
		r = manifest_parse_line(copy, llen, lineno, def, &e, why,
					sizeof(why));
		free(copy);
		if (r < 0) {
			/* manifest_parse_line says "line N: ..." itself */
			refdb_set_msg(err, errlen, "%s", why);
			return -1;
		}
		if (r == 0)
			continue;
		err[0] = '\0';
		if (skip_name(e.path, e.path_len)) {
			st->skipped++;
			r = 0;
		} else if (digests_only) {
			r = s->deny(s->arg, e.algo, e.digest, 0, err, errlen);
			st->entries++;
		} else {
			r = s->entry(s->arg, e.path, e.path_len, e.algo,
				     e.digest, NULL, 0, err, errlen);
			st->entries++;
		}
		free(e.path);
		if (r != 0) {
			prefix_line(err, errlen, lineno);
			return r;
		}
	}
	return 0;
}

/*
 * parse_ima_ascii - ascii_runtime_measurements: "PCR TH TEMPLATE DIGEST NAME
 * [MORE]".  Spaces in names became '_' and a newline in a name splits its
 * line, so a line that does not parse says so.
 */
static int parse_ima_ascii(const unsigned char *buf, size_t len,
			   const struct importfmt_sink *s,
			   struct importfmt_stats *st, char *err,
			   size_t errlen)
{
	const char *line;
	size_t pos = 0, llen;
	unsigned long lineno = 0;
	char why[256];
	int r;

	while (next_line(buf, len, &pos, &line, &llen)) {
		const char *f[6];
		size_t fl[6], nf = 0, i = 0;
		const struct hashalgo *a;
		unsigned char d[HASHALGO_MAX_DIGEST];
		const char *dg;
		size_t dglen;

		lineno++;
		if (llen == 0)
			continue;
		if (memchr(line, '\0', llen) != NULL) {
			refdb_set_msg(err, errlen, "line %lu: NUL byte", lineno);
			return -1;
		}
		while (i < llen && nf < 6) {
			size_t b = i;

			while (i < llen && line[i] != ' ')
				i++;
			f[nf] = line + b;
			fl[nf++] = i - b;
			if (i < llen)
				i++;
		}
		if (nf < 5 || !is_hex(f[1], fl[1])) {
			refdb_set_msg(err, errlen,
				"line %lu: not a measurement list line (a file name with a newline splits its line: import binary_runtime_measurements instead)",
				lineno);
			return -1;
		}
		/* ima-buf holds buffers, not files; violations have zeros. */
		if ((fl[2] == 7 && memcmp(f[2], "ima-buf", 7) == 0) ||
		    skip_name(f[4], fl[4])) {
			st->skipped++;
			continue;
		}
		dg = f[3];
		dglen = fl[3];
		if (fl[2] == 3 && memcmp(f[2], "ima", 3) == 0) {
			if (parse_algo_hex(dg, dglen,
					   hashalgo_by_name("sha1", 4), &a, d,
					   why, sizeof(why)) != 0)
				goto bad;
		} else {
			if (dglen > 4 && memcmp(dg, "ima:", 4) == 0) {
				dg += 4;
				dglen -= 4;
			} else if (dglen > 7 && memcmp(dg, "verity:", 7) == 0) {
				st->skipped++;
				continue;
			}
			if (memchr(dg, ':', dglen) == NULL) {
				refdb_set_msg(why, sizeof(why),
					"digest without an algorithm");
				goto bad;
			}
			if (parse_algo_hex(dg, dglen, NULL, &a, d, why,
					   sizeof(why)) != 0)
				goto bad;
		}
		if (hashalgo_is_zero(d, a->digest_len)) {
			st->skipped++;
			continue;
		}
		if (fl[4] == 0 || f[4][0] != '/') {
			st->skipped++;
			continue;
		}
		err[0] = '\0';
		r = s->entry(s->arg, f[4], fl[4], a, d, NULL, 0, err, errlen);
		if (r != 0) {
			prefix_line(err, errlen, lineno);
			return r;
		}
		st->entries++;
		continue;
bad:
		refdb_set_msg(err, errlen, "line %lu: %s", lineno, why);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ binary list */

/* field_at - the length-prefixed field at *p inside [*p, end). */
static int field_at(const unsigned char **p, const unsigned char *end,
		    const unsigned char **data, uint32_t *flen)
{
	if ((size_t)(end - *p) < 4)
		return -1;
	*flen = get_u32(*p);
	if (*flen > (size_t)(end - *p) - 4)
		return -1;
	*data = *p + 4;
	*p += 4 + *flen;
	return 0;
}

static int parse_ima_binary(const unsigned char *buf, size_t len,
			    const struct importfmt_sink *s,
			    struct importfmt_stats *st, char *err,
			    size_t errlen)
{
	size_t off = 0;
	int r;

	while (off < len) {
		size_t rec = off;
		uint32_t nlen, dlen, flen;
		const unsigned char *name, *data, *p, *end, *fd, *fn;
		const struct hashalgo *a;
		const unsigned char *digest;
		char tname[MAX_TEMPLATE_NAME + 1];
		int is_ima;

		if (len - off < 28)
			goto trunc;
		nlen = get_u32(buf + off + 24);
		if (get_u32(buf + off) > 63 || nlen == 0 ||
		    nlen > MAX_TEMPLATE_NAME) {
			refdb_set_msg(err, errlen,
				"offset %zu: not a measurement record (PCR %u, template name of %u bytes)",
				rec, get_u32(buf + off), nlen);
			return -1;
		}
		off += 28;
		if (len - off < nlen)
			goto trunc;
		name = buf + off;
		memcpy(tname, name, nlen);
		tname[nlen] = '\0';
		off += nlen;
		is_ima = strcmp(tname, "ima") == 0;
		if (is_ima) {
			/* 'ima': a bare sha1, then a length and the name */
			if (len - off < 24)
				goto trunc;
			digest = buf + off;
			flen = get_u32(buf + off + 20);
			if (flen > MAX_NAME || len - off - 24 < flen)
				goto trunc;
			fn = buf + off + 24;
			off += 24 + flen;
			a = hashalgo_by_name("sha1", 4);
		} else {
			if (len - off < 4)
				goto trunc;
			dlen = get_u32(buf + off);
			if (dlen > len - off - 4)
				goto trunc;
			data = buf + off + 4;
			off += 4 + dlen;
			p = data;
			end = data + dlen;
			if (strcmp(tname, "ima-buf") == 0) {
				st->skipped++;
				continue;
			}
			if (strncmp(tname, "ima-", 4) != 0 &&
			    strcmp(tname, "evm-sig") != 0) {
				refdb_set_msg(err, errlen,
					"offset %zu: unknown template '%s'",
					rec, tname);
				return -1;
			}
			if (field_at(&p, end, &fd, &flen) != 0) {
				refdb_set_msg(err, errlen,
					"offset %zu: bad digest field", rec);
				return -1;
			}
			{
				const unsigned char *nul = memchr(fd, '\0', flen);
				const unsigned char *algo_s = fd;
				size_t alen;

				if (nul == NULL || nul == fd ||
				    nul[-1] != ':') {
					refdb_set_msg(err, errlen,
						"offset %zu: bad digest field",
						rec);
					return -1;
				}
				if ((size_t)(nul - fd) > 7 &&
				    memcmp(fd, "verity:", 7) == 0) {
					st->skipped++;
					continue;
				}
				if ((size_t)(nul - fd) > 4 &&
				    memcmp(fd, "ima:", 4) == 0)
					algo_s += 4;
				alen = (size_t)(nul - 1 - algo_s);
				a = hashalgo_by_name((const char *)algo_s,
						     alen);
				if (a == NULL || (size_t)(fd + flen - nul - 1)
				    != a->digest_len) {
					refdb_set_msg(err, errlen,
						"offset %zu: unknown algorithm or wrong digest length",
						rec);
					return -1;
				}
				digest = nul + 1;
			}
			if (field_at(&p, end, &fn, &flen) != 0) {
				refdb_set_msg(err, errlen,
					"offset %zu: bad name field", rec);
				return -1;
			}
			/* n-ng carries its NUL */
			if (flen > 0 && fn[flen - 1] == '\0')
				flen--;
		}
		if (memchr(fn, '\0', flen) != NULL) {
			refdb_set_msg(err, errlen, "offset %zu: NUL byte in name",
				rec);
			return -1;
		}
		if (flen == 0 || fn[0] != '/' ||
		    hashalgo_is_zero(digest, a->digest_len)) {
			st->skipped++;
			continue;
		}
		err[0] = '\0';
		r = s->entry(s->arg, (const char *)fn, flen, a, digest, NULL, 0,
			     err, errlen);
		if (r != 0) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s", err);
			refdb_set_msg(err, errlen, "offset %zu: %s", rec, tmp);
			return r;
		}
		st->entries++;
	}
	return 0;
trunc:
	refdb_set_msg(err, errlen, "offset %zu: truncated record", off);
	return -1;
}

/* ------------------------------------------------------------ Keylime JSON */

/* json_where - "line L, column C" of byte offset off. */
static void json_where(const unsigned char *buf, size_t off, char *out,
		       size_t cap)
{
	unsigned long line = 1, col = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, cap, "line %lu, column %lu", line, col);
}

/*
 * A duplicate key in one JSON object: json-c keeps the last silently, so
 * a policy that lists a path twice would lose one digest list unseen.
 * The scan runs after json-c accepted the document, so it may assume
 * valid JSON: it only tracks nesting and collects each object's keys.
 */
struct json_key {
	size_t off, len;	/* the key's bytes, between its quotes */
};

struct json_frame {
	int is_object;
	int want_key;		/* the next string in this object is a key */
	struct json_key *keys;
	size_t n, cap;
};

static int json_key_cmp(const void *a, const void *b, void *arg)
{
	const unsigned char *buf = arg;
	const struct json_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(buf + x->off, buf + y->off, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * json_frame_dup - sort the frame's keys; the later of the first pair of
 * equal keys, or NULL.
 */
static const struct json_key *json_frame_dup(struct json_frame *f,
					     const unsigned char *buf)
{
	const struct json_key *dup = NULL;
	size_t i;

	if (f->n < 2)
		return NULL;	/* also: no qsort of a NULL array */
	qsort_r(f->keys, f->n, sizeof(*f->keys), json_key_cmp, (void *)buf);
	for (i = 1; i < f->n; i++) {
		const struct json_key *a = &f->keys[i - 1], *b = &f->keys[i];

		if (a->len == b->len &&
		    memcmp(buf + a->off, buf + b->off, a->len) == 0 &&
		    (dup == NULL || b->off < dup->off))
			dup = b;
	}
	return dup;
}

/*
 * json_duplicate_key - the offset of the first duplicated key of any
 * object in buf (valid JSON), with the key in *key, or (size_t)-1.
 */
static size_t json_duplicate_key(const unsigned char *buf, size_t len,
				 struct json_key *key)
{
	struct json_frame stack[JSON_MAX_DEPTH + 1];
	const struct json_key *dup;
	size_t depth = 0, i, j, found = (size_t)-1;

	for (i = 0; i < len && found == (size_t)-1; i++) {
		struct json_frame *top = depth ? &stack[depth - 1] : NULL;

		switch (buf[i]) {
		case '"':
			for (j = i + 1; j < len && buf[j] != '"'; j++)
				if (buf[j] == '\\')
					j++;
			if (top && top->is_object && top->want_key) {
				if (top->n == top->cap) {
					size_t cap = top->cap ? 2 * top->cap : 16;
					struct json_key *k = realloc(top->keys,
						cap * sizeof(*k));

					if (k == NULL)
						goto out;	/* no check, no harm */
					top->keys = k;
					top->cap = cap;
				}
				top->keys[top->n++] = (struct json_key){ i + 1, j - i - 1 };
				top->want_key = 0;
			}
			i = j;
			break;
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH + 1)
				goto out;
			stack[depth++] = (struct json_frame){ buf[i] == '{', 1, NULL, 0, 0 };
			break;
		case '}':
		case ']':
			if (depth == 0)
				goto out;
			top = &stack[--depth];
			if (top->is_object &&
			    (dup = json_frame_dup(top, buf)) != NULL) {
				*key = *dup;
				found = dup->off - 1;
			}
			free(top->keys);
			break;
		case ',':
			if (top && top->is_object)
				top->want_key = 1;
			break;
		}
	}
out:
	while (depth > 0)
		free(stack[--depth].keys);
	return found;
}

static int parse_keylime(const unsigned char *buf, size_t len,
			 const struct hashalgo *def,
			 const struct importfmt_sink *s,
			 struct importfmt_stats *st, char *err, size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *digests = NULL, *ex = NULL;
	const unsigned char *nul = memchr(buf, '\0', len);
	char where[64], why[256], ep[128];
	size_t i, n;
	int r = -1;

	if (nul != NULL) {
		json_where(buf, (size_t)(nul - buf), where, sizeof(where));
		refdb_set_msg(err, errlen, "%s: NUL byte", where);
		return -1;
	}
	if (len > INT32_MAX) {
		refdb_set_msg(err, errlen, "policy too large");
		return -1;
	}
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL) {
		refdb_set_msg(err, errlen, "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	if (root == NULL) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		json_where(buf, json_tokener_get_parse_end(tok), where,
			   sizeof(where));
		refdb_set_msg(err, errlen, "%s: %s", where,
			je == json_tokener_continue ?
			"unexpected end of input (truncated?)" :
			json_tokener_error_desc(je));
		goto out;
	}
	/* Nothing but white space may follow the policy. */
	for (i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", buf[i])) {
			json_where(buf, i, where, sizeof(where));
			refdb_set_msg(err, errlen, "%s: text after the policy",
				where);
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		refdb_set_msg(err, errlen, "the policy is not a JSON object");
		goto out;
	}
	{
		struct json_key k;
		size_t off = json_duplicate_key(buf, len, &k);

		if (off != (size_t)-1) {
			json_where(buf, off, where, sizeof(where));
			refdb_set_msg(err, errlen, "%s: duplicate key \"%.*s\"",
				      where, k.len > 200 ? 200 : (int)k.len,
				      (const char *)buf + k.off);
			goto out;
		}
	}
	if (!json_object_object_get_ex(root, "digests", &digests) &&
	    !json_object_object_get_ex(root, "hashes", &digests)) {
		refdb_set_msg(err, errlen, "no \"digests\" object in the policy");
		goto out;
	}
	if (!json_object_is_type(digests, json_type_object)) {
		refdb_set_msg(err, errlen, "\"digests\" is not an object");
		goto out;
	}
	json_object_object_foreach(digests, key, val) {
		size_t klen = strlen(key);

		importfmt_escape(key, klen > 100 ? 100 : klen, 0, ep,
				 sizeof(ep));
		if (!json_object_is_type(val, json_type_array)) {
			refdb_set_msg(err, errlen,
				"digests[\"%s\"]: not a list of digests", ep);
			goto out;
		}
		if (skip_name(key, klen)) {
			st->skipped++;
			continue;
		}
		n = json_object_array_length(val);
		if (n == 0) {
			refdb_set_msg(err, errlen, "digests[\"%s\"]: empty list", ep);
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct json_object *d = json_object_array_get_idx(val, i);
			const struct hashalgo *a;
			unsigned char dg[HASHALGO_MAX_DIGEST];
			const char *hex;

			if (!json_object_is_type(d, json_type_string)) {
				refdb_set_msg(err, errlen,
					"digests[\"%s\"][%zu]: not a string",
					ep, i);
				goto out;
			}
			hex = json_object_get_string(d);
			if (parse_algo_hex(hex, (size_t)json_object_get_string_len(d),
					   def, &a, dg, why, sizeof(why)) != 0) {
				refdb_set_msg(err, errlen, "digests[\"%s\"][%zu]: %s",
					ep, i, why);
				goto out;
			}
			err[0] = '\0';
			r = s->entry(s->arg, key, klen, a, dg, NULL, 0, err,
				     errlen);
			if (r != 0) {
				char tmp[512];

				snprintf(tmp, sizeof(tmp), "%s", err);
				refdb_set_msg(err, errlen, "digests[\"%s\"]: %s", ep,
					tmp);
				goto out;
			}
			r = -1;
			st->entries++;
		}
	}
	if (json_object_object_get_ex(root, "excludes", &ex) &&
	    !json_object_is_type(ex, json_type_null)) {
		if (!json_object_is_type(ex, json_type_array)) {
			refdb_set_msg(err, errlen, "\"excludes\" is not a list");
			goto out;
		}
		n = json_object_array_length(ex);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(ex, i);

			if (!json_object_is_type(e, json_type_string)) {
				refdb_set_msg(err, errlen, "excludes[%zu]: not a string",
					i);
				goto out;
			}
			err[0] = '\0';
			r = s->exclude(s->arg, json_object_get_string(e), 0, err,
				       errlen);
			if (r != 0) {
				char tmp[512];

				snprintf(tmp, sizeof(tmp), "%s", err);
				refdb_set_msg(err, errlen, "excludes[%zu]: %s", i, tmp);
				goto out;
			}
			r = -1;
		}
	}
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

/* ------------------------------------------------------------ dump */

/* next_field - the next space-separated field of line[*i..len). */
static int next_field(const char *line, size_t len, size_t *i,
		      const char **f, size_t *flen)
{
	size_t b = *i;

	if (b >= len)
		return -1;
	while (*i < len && line[*i] != ' ')
		(*i)++;
	*f = line + b;
	*flen = *i - b;
	if (*i < len)
		(*i)++;
	return *flen > 0 ? 0 : -1;
}

static int parse_id(const char *f, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		v = v * 10 + (f[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_dump(const unsigned char *buf, size_t len,
		      const struct importfmt_sink *s,
		      struct importfmt_stats *st, char *err, size_t errlen)
{
	const char *line;
	size_t pos = 0, llen;
	unsigned long lineno = 0;
	int64_t n_sources = 0;
	char why[256];
	int r = 0;

	while (next_line(buf, len, &pos, &line, &llen)) {
		const char *f[4];
		size_t fl[4], i = 0;
		char *rest = NULL, *pk = NULL;
		size_t rlen = 0, pklen = 0;
		const struct hashalgo *a;
		unsigned char d[HASHALGO_MAX_DIGEST];
		int64_t src = 0;

		lineno++;
		if (memchr(line, '\0', llen) != NULL) {
			refdb_set_msg(why, sizeof(why), "NUL byte");
			goto bad;
		}
		if (lineno == 1) {
			if (llen != 16 || memcmp(line, "ima-refdb-dump 1", 16)) {
				refdb_set_msg(why, sizeof(why),
					"not a version 1 ima-refdb dump");
				goto bad;
			}
			continue;
		}
		if (llen == 0 || line[0] == '#')
			continue;
		if (next_field(line, llen, &i, &f[0], &fl[0]) != 0)
			goto syntax;
		err[0] = '\0';
		if (fl[0] == 6 && memcmp(f[0], "source", 6) == 0) {
			size_t kl;

			if (next_field(line, llen, &i, &f[1], &fl[1]) != 0 ||
			    parse_id(f[1], fl[1], &src) != 0 ||
			    src != n_sources + 1 ||
			    next_field(line, llen, &i, &f[2], &fl[2]) != 0 ||
			    i >= llen)
				goto syntax;
			rest = unescape(line + i, llen - i, &rlen);
			pk = unescape(f[2], fl[2], &kl);
			if (rest == NULL || pk == NULL || rlen == 0 ||
			    memchr(rest, '\0', rlen) || memchr(pk, '\0', kl)) {
				free(rest);
				free(pk);
				goto syntax;
			}
			n_sources = src;
			r = s->source(s->arg, src, pk, rest, err, errlen);
		} else if (fl[0] == 5 && memcmp(f[0], "entry", 5) == 0) {
			if (next_field(line, llen, &i, &f[1], &fl[1]) != 0 ||
			    next_field(line, llen, &i, &f[2], &fl[2]) != 0 ||
			    parse_id(f[2], fl[2], &src) != 0 ||
			    src > n_sources ||
			    next_field(line, llen, &i, &f[3], &fl[3]) != 0 ||
			    i >= llen)
				goto syntax;
			if (memchr(f[1], ':', fl[1]) == NULL) {
				refdb_set_msg(why, sizeof(why),
					"digest without an algorithm");
				goto bad;
			}
			if (parse_algo_hex(f[1], fl[1], NULL, &a, d, why,
					   sizeof(why)) != 0)
				goto bad;
			if (!(fl[3] == 1 && f[3][0] == '-')) {
				pk = unescape(f[3], fl[3], &pklen);
				if (pk == NULL || memchr(pk, '\0', pklen))
					goto syntax_free;
			}
			rest = unescape(line + i, llen - i, &rlen);
			if (rest == NULL || rlen == 0 ||
			    memchr(rest, '\0', rlen))
				goto syntax_free;
			r = s->entry(s->arg, rest, rlen, a, d, pk, src, err,
				     errlen);
			st->entries++;
		} else if (fl[0] == 4 && memcmp(f[0], "deny", 4) == 0) {
			if (next_field(line, llen, &i, &f[1], &fl[1]) != 0 ||
			    next_field(line, llen, &i, &f[2], &fl[2]) != 0 ||
			    parse_id(f[2], fl[2], &src) != 0 ||
			    src > n_sources || i < llen)
				goto syntax;
			if (parse_algo_hex(f[1], fl[1], NULL, &a, d, why,
					   sizeof(why)) != 0)
				goto bad;
			r = s->deny(s->arg, a, d, src, err, errlen);
		} else if (fl[0] == 7 && memcmp(f[0], "exclude", 7) == 0) {
			if (next_field(line, llen, &i, &f[1], &fl[1]) != 0 ||
			    parse_id(f[1], fl[1], &src) != 0 ||
			    src > n_sources || i >= llen)
				goto syntax;
			rest = unescape(line + i, llen - i, &rlen);
			if (rest == NULL || memchr(rest, '\0', rlen))
				goto syntax_free;
			r = s->exclude(s->arg, rest, src, err, errlen);
		} else {
			goto syntax;
		}
		free(rest);
		free(pk);
		if (r != 0) {
			prefix_line(err, errlen, lineno);
			return r;
		}
		continue;
syntax_free:
		free(rest);
		free(pk);
syntax:
		refdb_set_msg(why, sizeof(why), "malformed dump line");
bad:
		refdb_set_msg(err, errlen, "line %lu: %s", lineno, why);
		return -1;
	}
	if (lineno == 0) {
		refdb_set_msg(err, errlen, "line 1: empty dump");
		return -1;
	}
	return 0;
}

int importfmt_parse(const unsigned char *buf, size_t len, enum importfmt fmt,
		    const struct hashalgo *default_algo,
		    const struct importfmt_sink *sink, enum importfmt *used,
		    struct importfmt_stats *st, char *err, size_t errlen)
{
	struct importfmt_stats dummy;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (fmt == IMPORTFMT_AUTO)
		fmt = importfmt_detect(buf, len);
	if (used != NULL)
		*used = fmt;
	if (len > IMPORTFMT_MAX_INPUT) {
		refdb_set_msg(err, errlen, "larger than %lu bytes",
			IMPORTFMT_MAX_INPUT);
		return -1;
	}
	switch (fmt) {
	case IMPORTFMT_SUM:
	case IMPORTFMT_ALLOWLIST:
		return parse_sum(buf, len, default_algo, sink, 0, st, err,
				 errlen);
	case IMPORTFMT_DIGESTS:
		return parse_sum(buf, len, default_algo, sink, 1, st, err,
				 errlen);
	case IMPORTFMT_KEYLIME:
		return parse_keylime(buf, len, default_algo, sink, st, err,
				     errlen);
	case IMPORTFMT_IMA_ASCII:
		return parse_ima_ascii(buf, len, sink, st, err, errlen);
	case IMPORTFMT_IMA_BINARY:
		return parse_ima_binary(buf, len, sink, st, err, errlen);
	case IMPORTFMT_DUMP:
		return parse_dump(buf, len, sink, st, err, errlen);
	default:
		refdb_set_msg(err, errlen, "unknown format");
		return -1;
	}
}

/* alert.c -- format one alert line: "ID key=value ..." with safe escaping */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"

#define TRUNCATED_TAIL " truncated=yes"
#define MIN_CUT_VALUE 16

static int is_bare_byte(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

static int needs_quotes(const char *val, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	for (i = 0; i < len; i++) {
		if (!is_bare_byte((unsigned char)val[i]))
			return 1;
	}
	return 0;
}

/* unit_len - bytes one input byte takes inside quotes. */
static size_t unit_len(unsigned char c)
{
	if (c == '"' || c == '\\')
		return 2;
	if (c < 0x20 || c > 0x7e)
		return 4;
	return 1;
}

static size_t escaped_len(const char *val, size_t len)
{
	size_t n = 2, i;

	if (!needs_quotes(val, len))
		return len;
	for (i = 0; i < len; i++)
		n += unit_len((unsigned char)val[i]);
	return n;
}

/*
 * escape_into - write val escaped into out, at most limit bytes (no NUL):
 * whole escape units only, closing quote kept.  Sets *cut when not all of
 * val fitted.  Returns the bytes written.
 */
static size_t escape_into(const char *val, size_t len, char *out,
			  size_t limit, int *cut)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0, i, u;
	unsigned char c;

	*cut = 0;
	if (!needs_quotes(val, len)) {
		if (len > limit) {
			len = limit;
			*cut = 1;
		}
		memcpy(out, val, len);
		return len;
	}
	if (limit < 2) {
		*cut = 1;
		return 0;
	}
	out[o++] = '"';
	for (i = 0; i < len; i++) {
		c = (unsigned char)val[i];
		u = unit_len(c);
		if (o + u + 1 > limit) {
			*cut = 1;
			break;
		}
		if (u == 1) {
			out[o++] = (char)c;
		} else if (u == 2) {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		}
	}
	out[o++] = '"';
	return o;
}

size_t alert_escape(const char *val, size_t len, char *out, size_t cap)
{
	size_t need = escaped_len(val, len), n;
	int cut;

	if (cap == 0)
		return need;
	n = escape_into(val, len, out, cap - 1, &cut);
	out[n] = '\0';
	return need;
}

void alert_line_init(struct alert_line *l, const char *id)
{
	l->id = id;
	l->n = 0;
}

void alert_line_add(struct alert_line *l, const char *key, const char *val,
		    size_t len)
{
	if (val == NULL || l->n >= ALERT_MAX_FIELDS)
		return;
	l->f[l->n].key = key;
	l->f[l->n].val = val;
	l->f[l->n].len = len;
	l->n++;
}

void alert_line_adds(struct alert_line *l, const char *key, const char *val)
{
	if (val != NULL && val[0] != '\0')
		alert_line_add(l, key, val, strlen(val));
}

size_t alert_line_finish(const struct alert_line *l, char *out, size_t cap)
{
	size_t allowed[ALERT_MAX_FIELDS], total, budget, o, i, j, over;
	size_t limit = cap - 1 < ALERT_MAX_LINE ? cap - 1 : ALERT_MAX_LINE;
	int cut, any_cut = 0;

	total = strlen(l->id);
	for (i = 0; i < l->n; i++) {
		allowed[i] = escaped_len(l->f[i].val, l->f[i].len);
		total += 2 + strlen(l->f[i].key) + allowed[i];
	}
	budget = limit;
	if (total > limit) {
		/* Shrink the longest values until the line and its tail fit. */
		budget = limit - strlen(TRUNCATED_TAIL);
		while (total > budget) {
			j = 0;
			for (i = 1; i < l->n; i++)
				if (allowed[i] > allowed[j])
					j = i;
			if (l->n == 0 || allowed[j] <= MIN_CUT_VALUE)
				break;
			over = total - budget;
			if (allowed[j] - over < MIN_CUT_VALUE)
				over = allowed[j] - MIN_CUT_VALUE;
			allowed[j] -= over;
			total -= over;
		}
	}

	o = strlen(l->id);
	if (o > budget)
		o = budget;
	memcpy(out, l->id, o);
	for (i = 0; i < l->n; i++) {
		size_t klen = strlen(l->f[i].key);

		if (o + 2 + klen + 1 > budget) {
			any_cut = 1;
			break;
		}
		out[o++] = ' ';
		memcpy(out + o, l->f[i].key, klen);
		o += klen;
		out[o++] = '=';
		j = budget - o < allowed[i] ? budget - o : allowed[i];
		o += escape_into(l->f[i].val, l->f[i].len, out + o, j, &cut);
		any_cut |= cut;
	}
	if (any_cut) {
		memcpy(out + o, TRUNCATED_TAIL, strlen(TRUNCATED_TAIL));
		o += strlen(TRUNCATED_TAIL);
	}
	out[o] = '\0';
	return o;
}

size_t alert_format_record(const struct ima_record *r,
			   const struct verdict *v, const char *severity,
			   char *out, size_t cap)
{
	char event[64], hash[HASHALGO_MAX_NAME + 2 * HASHALGO_MAX_DIGEST + 2];
	char type[16];
	struct alert_line l;

	alert_line_init(&l, verdict_name(v->id));
	alert_line_adds(&l, "severity", severity);
	snprintf(event, sizeof(event), "%" PRIu64 ".%03u:%" PRIu64, r->sec,
		 r->msec, r->serial);
	alert_line_adds(&l, "event", event);
	alert_line_adds(&l, "node", r->node);
	if (r->has_path)
		alert_line_add(&l, "file", r->path, r->path_len);
	if (r->has_hash && !r->hash_bad) {
		size_t n = strlen(r->algo);

		memcpy(hash, r->algo, n);
		hash[n++] = ':';
		hashalgo_hex_encode(r->digest, r->digest_len, hash + n);
		alert_line_adds(&l, "hash", hash);
	}
	alert_line_adds(&l, "expected", v->expected);
	alert_line_adds(&l, "known_as", v->known_as);
	alert_line_adds(&l, "op", r->op);
	alert_line_adds(&l, "cause", r->cause);
	alert_line_adds(&l, "pid", r->pid);
	alert_line_adds(&l, "ppid", r->ppid);
	alert_line_adds(&l, "auid", r->auid);
	alert_line_adds(&l, "uid", r->uid);
	alert_line_adds(&l, "comm", r->comm);
	alert_line_adds(&l, "exe", r->exe);
	if (r->deleted)
		alert_line_adds(&l, "deleted", "yes");
	if (r->is_policy_rule) {
		alert_line_adds(&l, "rule", r->rule);
		alert_line_adds(&l, "res", r->res);
	}
	alert_line_adds(&l, "xattr", r->xattr);
	if (r->type == 1806)
		alert_line_adds(&l, "res", r->res);
	if (v->id == V_UNKNOWN_RECORD || r->type == 1808) {
		snprintf(type, sizeof(type), "%d", r->type);
		alert_line_adds(&l, "type", type);
	}
	alert_line_adds(&l, "note", v->note);
	return alert_line_finish(&l, out, cap);
}

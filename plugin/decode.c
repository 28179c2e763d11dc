/* decode.c -- turn one assembled event into plain INTEGRITY record structs */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <auparse.h>

#include "decode.h"

struct decoder {
	auparse_state_t *au;
	decode_record_fn fn;
	void *arg;
	int reported;
};

#define DELETED_SUFFIX " (deleted)"

/* copy_text - copy src[0..len) into dst (cap bytes), cut, NUL-terminated. */
static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* copy_unquoted - like copy_text, without one pair of surrounding quotes. */
static void copy_unquoted(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= 2 && src[0] == '"' && src[len - 1] == '"') {
		src++;
		len -= 2;
	}
	copy_text(dst, cap, src, len);
}

/*
 * find_key - the value of " key=" in a record's text: start and length.
 * op= and cause= are printed raw and cause may hold spaces ("signed policy
 * required"), so a cause runs up to the " comm=" that always follows it;
 * other values run to the next space.  Returns 0 when the key is absent.
 */
static int find_key(const char *text, const char *key, const char **val,
		    size_t *len)
{
	size_t klen = strlen(key);
	const char *p = text, *end;

	for (;;) {
		p = strstr(p, key);
		if (p == NULL)
			return 0;
		if ((p == text || p[-1] == ' ') && p[klen] == '=')
			break;
		p += klen;
	}
	p += klen + 1;
	if (strcmp(key, "cause") == 0 && (end = strstr(p, " comm=")) != NULL) {
		/* keep it to this record's fields: comm= follows cause= */
	} else if (*p == '"') {
		end = strchr(p + 1, '"');
		end = end ? end + 1 : p + strlen(p);
	} else {
		end = p + strcspn(p, " ");
	}
	*val = p;
	*len = (size_t)(end - p);
	return 1;
}

/* parse_hash - hash="ALGO:HEX" (or an old kernel's bare sha1 HEX). */
static void parse_hash(struct ima_record *r, const char *val)
{
	const struct hashalgo *ha;
	const char *colon, *hex;
	size_t vlen = strlen(val), alen, hlen, i;

	r->has_hash = 1;
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val++;
		vlen -= 2;
	}
	colon = memchr(val, ':', vlen);
	if (colon != NULL) {
		alen = (size_t)(colon - val);
		hex = colon + 1;
		hlen = vlen - alen - 1;
		ha = hashalgo_by_name(val, alen);
	} else {
		/* Kernels 3.7-3.12: bare hex; sha1 (md5 by length). */
		hex = val;
		hlen = vlen;
		ha = hashalgo_by_digest_len(hlen / 2);
		alen = 0;
	}
	if (ha != NULL) {
		copy_text(r->algo, sizeof(r->algo), ha->name, strlen(ha->name));
	} else if (alen > 0 && alen < sizeof(r->algo)) {
		for (i = 0; i < alen; i++)
			r->algo[i] = (char)tolower((unsigned char)val[i]);
		r->algo[alen] = '\0';
	} else {
		r->hash_bad = 1;
		return;
	}
	if (hlen == 0 || hlen % 2 != 0 || hlen / 2 > HASHALGO_MAX_DIGEST ||
	    (ha != NULL && hlen / 2 != ha->digest_len) ||
	    hashalgo_hex_decode(hex, hlen, r->digest, hlen / 2) != 0) {
		r->hash_bad = 1;
		return;
	}
	r->digest_len = hlen / 2;
}

/* set_path - the decoded file=/name= bytes, with " (deleted)" taken off. */
static void set_path(struct ima_record *r, const char *p)
{
	size_t len = strlen(p), slen = strlen(DELETED_SUFFIX);

	if (len > slen && memcmp(p + len - slen, DELETED_SUFFIX, slen) == 0) {
		r->deleted = 1;
		len -= slen;
	}
	copy_text(r->path, sizeof(r->path), p, len);
	r->path_len = strlen(r->path);
	r->has_path = 1;
}

/*
 * rule_text - a policy rule record's body without its "res=N" token: the
 * rule as the admin wrote it.  The body may use '<' and '>' (fowner>1000),
 * which auparse cannot split, so it is copied from the raw text.
 */
static void rule_text(struct ima_record *r, const char *text)
{
	const char *body = strstr(text, "): ");
	const char *res;
	size_t len;

	body = body ? body + 3 : text;
	res = strstr(body, " res=");
	len = res ? (size_t)(res - body) : strlen(body);
	copy_text(r->rule, sizeof(r->rule), body, len);
}

/* field_interp - a field's interpretation (hex and quotes undone, raw bytes). */
static const char *field_interp(auparse_state_t *au)
{
	const char *s = auparse_interpret_field(au);

	return s ? s : auparse_get_field_str(au);
}

/*
 * fill_record - the current auparse record into *r.  Field values are read
 * one by one (auparse_find_field would wander into later records).
 */
static void fill_record(auparse_state_t *au, struct ima_record *r)
{
	const char *text = auparse_get_record_text(au);
	const char *name, *val;
	size_t vlen;

	if (text == NULL)
		text = "";
	if (find_key(text, "op", &val, &vlen))
		copy_unquoted(r->op, sizeof(r->op), val, vlen);
	if (find_key(text, "cause", &val, &vlen))
		copy_unquoted(r->cause, sizeof(r->cause), val, vlen);

	if (auparse_first_field(au) <= 0)
		return;
	do {
		name = auparse_get_field_name(au);
		val = auparse_get_field_str(au);
		if (name == NULL || val == NULL)
			continue;
		if (strcmp(name, "file") == 0 ||
		    (strcmp(name, "name") == 0 && !r->has_path))
			set_path(r, field_interp(au));
		else if (strcmp(name, "hash") == 0)
			parse_hash(r, val);
		else if (strcmp(name, "pid") == 0)
			copy_text(r->pid, sizeof(r->pid), val, strlen(val));
		else if (strcmp(name, "ppid") == 0)
			copy_text(r->ppid, sizeof(r->ppid), val, strlen(val));
		else if (strcmp(name, "auid") == 0)
			copy_text(r->auid, sizeof(r->auid), val, strlen(val));
		else if (strcmp(name, "uid") == 0)
			copy_text(r->uid, sizeof(r->uid), val, strlen(val));
		else if (strcmp(name, "comm") == 0) {
			val = field_interp(au);
			copy_text(r->comm, sizeof(r->comm), val, strlen(val));
		} else if (strcmp(name, "exe") == 0) {
			val = field_interp(au);
			copy_text(r->exe, sizeof(r->exe), val, strlen(val));
		} else if (strcmp(name, "res") == 0)
			copy_unquoted(r->res, sizeof(r->res), val, strlen(val));
		else if (strcmp(name, "action") == 0)
			r->is_policy_rule = 1;
		else if (strcmp(name, "xattr") == 0) {
			val = field_interp(au);
			copy_text(r->xattr, sizeof(r->xattr), val, strlen(val));
		}
	} while (auparse_next_field(au) > 0);

	if (r->type == 1807 || r->is_policy_rule) {
		r->is_policy_rule = 1;
		rule_text(r, text);
	}
}

/* Task fields an INTEGRITY record may lack, from the event's SYSCALL. */
struct syscall_info {
	int found;
	char pid[24], ppid[24], auid[24], uid[24];
	char comm[DECODE_MAX_TEXT], exe[DECODE_MAX_PATH];
};

/* copy_field - the current field's raw value into dst. */
static void copy_field(auparse_state_t *au, char *dst, size_t cap)
{
	const char *val = auparse_get_field_str(au);

	if (val != NULL)
		copy_text(dst, cap, val, strlen(val));
}

/* fill_missing - dst empty: take src. */
static void fill_missing(char *dst, size_t cap, const char *src)
{
	if (dst[0] == '\0')
		copy_text(dst, cap, src, strlen(src));
}

static void read_syscall(auparse_state_t *au, struct syscall_info *s)
{
	const char *name, *val;

	if (auparse_first_field(au) <= 0)
		return;
	s->found = 1;
	do {
		name = auparse_get_field_name(au);
		if (name == NULL)
			continue;
		if (strcmp(name, "ppid") == 0) {
			copy_field(au, s->ppid, sizeof(s->ppid));
		} else if (strcmp(name, "pid") == 0) {
			copy_field(au, s->pid, sizeof(s->pid));
		} else if (strcmp(name, "auid") == 0) {
			copy_field(au, s->auid, sizeof(s->auid));
		} else if (strcmp(name, "uid") == 0) {
			copy_field(au, s->uid, sizeof(s->uid));
		} else if (strcmp(name, "comm") == 0) {
			val = field_interp(au);
			copy_text(s->comm, sizeof(s->comm), val, strlen(val));
		} else if (strcmp(name, "exe") == 0) {
			val = field_interp(au);
			copy_text(s->exe, sizeof(s->exe), val, strlen(val));
		}
	} while (auparse_next_field(au) > 0);
}

static void event_ready(auparse_state_t *au, auparse_cb_event_t type,
			void *user)
{
	struct decoder *d = user;
	struct syscall_info sc;
	struct ima_record *r;
	const au_event_t *ts;
	const char *node;
	int t;

	if (type != AUPARSE_CB_EVENT_READY)
		return;
	r = malloc(sizeof(*r));
	if (r == NULL)
		return;
	memset(&sc, 0, sizeof(sc));
	if (auparse_first_record(au) <= 0)
		goto out;
	do {
		if (auparse_get_type(au) == 1300) {	/* SYSCALL */
			read_syscall(au, &sc);
			break;
		}
	} while (auparse_next_record(au) > 0);

	if (auparse_first_record(au) <= 0)
		goto out;
	do {
		t = auparse_get_type(au);
		if (t < 1800 || t > 1899)
			continue;
		memset(r, 0, sizeof(*r));
		r->type = t;
		ts = auparse_get_timestamp(au);
		if (ts != NULL) {
			r->sec = (uint64_t)ts->sec;
			r->msec = ts->milli;
			r->serial = ts->serial;
		}
		node = auparse_get_node(au);
		if (node != NULL) {
			copy_text(r->node, sizeof(r->node), node, strlen(node));
			/* malloc'd despite the const (see auparse.h) */
			free((void *)node);
		}
		fill_record(au, r);
		if (sc.found) {
			/*
			 * Who: policy rule records carry nobody, appraisal
			 * records no ppid or exe; the syscall knows.
			 */
			fill_missing(r->pid, sizeof(r->pid), sc.pid);
			fill_missing(r->ppid, sizeof(r->ppid), sc.ppid);
			fill_missing(r->auid, sizeof(r->auid), sc.auid);
			fill_missing(r->uid, sizeof(r->uid), sc.uid);
			fill_missing(r->comm, sizeof(r->comm), sc.comm);
			fill_missing(r->exe, sizeof(r->exe), sc.exe);
		}
		d->fn(r, d->arg);
		d->reported++;
	} while (auparse_next_record(au) > 0);
out:
	free(r);
}

struct decoder *decoder_new(void)
{
	struct decoder *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->au = auparse_init(AUSOURCE_FEED, NULL);
	if (d->au == NULL) {
		free(d);
		return NULL;
	}
	/* Exact bytes: names are looked up, then escaped by the alert writer. */
	auparse_set_escape_mode(d->au, AUPARSE_ESC_RAW);
	auparse_add_callback(d->au, event_ready, d, NULL);
	return d;
}

void decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	auparse_destroy(d->au);
	free(d);
}

int decoder_event(struct decoder *d, const struct intake_event *ev,
		  decode_record_fn fn, void *arg)
{
	size_t i;

	d->fn = fn;
	d->arg = arg;
	d->reported = 0;
	for (i = 0; i < ev->n_lines; i++) {
		if (auparse_feed(d->au, ev->lines[i], ev->lens[i]) != 0 ||
		    auparse_feed(d->au, "\n", 1) != 0)
			return -1;
	}
	/*
	 * The intake already decided that the event is complete; flushing
	 * hands it over now instead of after libauparse's own timeout.
	 */
	if (auparse_flush_feed(d->au) != 0)
		return -1;
	return d->reported;
}

/* intake.c -- the pre-filter and event assembly in front of libauparse */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

#define INTAKE_DEF_QUIET_MS	250
#define INTAKE_DEF_MAX_EVENTS	4096
#define INTAKE_DEF_MAX_RECORDS	256
#define INTAKE_DEF_MAX_BYTES	(256 * 1024)

/* Table sizes stop growing here; longer chains are still correct. */
#define INTAKE_MAX_BUCKETS	((size_t)1 << 22)
#define INTAKE_MIN_CLOSED	64
#define INTAKE_MAX_CLOSED	((size_t)1 << 20)

/* ------------------------------------------------------------ pre-filter */

struct type_name {
	const char *name;
	size_t len;
	int type;
};

#define TN(s, t) { s, sizeof(s) - 1, t }

/* Suffixes after "INTEGRITY_". */
static const struct type_name integrity_names[] = {
	TN("DATA", 1800),
	TN("METADATA", 1801),
	TN("STATUS", 1802),
	TN("HASH", 1803),
	TN("PCR", 1804),
	TN("RULE", 1805),
	TN("EVM_XATTR", 1806),
	TN("POLICY_RULE", 1807),
	TN("USERSPACE", 1808),
};

/* The records that travel with integrity records, and a few common others. */
static const struct type_name other_names[] = {
	TN("SYSCALL", 1300),
	TN("PATH", 1302),
	TN("IPC", 1303),
	TN("SOCKETCALL", 1304),
	TN("CONFIG_CHANGE", 1305),
	TN("SOCKADDR", 1306),
	TN("CWD", 1307),
	TN("EXECVE", 1309),
	TN("FD_PAIR", 1317),
	TN("OBJ_PID", 1318),
	TN("EOE", 1320),
	TN("BPRM_FCAPS", 1321),
	TN("CAPSET", 1322),
	TN("MMAP", 1323),
	TN("PROCTITLE", 1327),
};

static int type_in_table(const struct type_name *t, size_t n,
			 const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].len == len && memcmp(t[i].name, s, len) == 0)
			return t[i].type;
	return 0;
}

/* type_by_name - the number of a record type name, 0 for other names. */
static int type_by_name(const char *s, size_t len)
{
	int t;

	if (len > 10 && memcmp(s, "INTEGRITY_", 10) == 0) {
		t = type_in_table(integrity_names,
				  sizeof(integrity_names) /
				  sizeof(integrity_names[0]),
				  s + 10, len - 10);
		/*
		 * A name a newer auditd knows and this table does not is still
		 * an integrity record: keep it (reported as unknown_record).
		 */
		return t ? t : 1899;
	}
	return type_in_table(other_names,
			     sizeof(other_names) / sizeof(other_names[0]),
			     s, len);
}

/*
 * parse_dec - read decimal digits at *pp, not past end, into *out and
 * advance *pp.  Returns 0, or -1 with *pp unchanged when there is no
 * digit or the value would exceed max.
 */
static int parse_dec(const char **pp, const char *end, uint64_t max,
		     uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0, d;

	while (p < end && *p >= '0' && *p <= '9') {
		d = (uint64_t)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	if (p == *pp)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* parse_type - the record type of the token [s, end); -1 if malformed. */
static int parse_type(const char *s, const char *end)
{
	const char *p = s;
	uint64_t v;

	if (*s >= '0' && *s <= '9') {
		if (parse_dec(&p, end, INT_MAX, &v) != 0 || p != end)
			return -1;
		return (int)v;
	}
	if (end - s > 8 && memcmp(s, "UNKNOWN[", 8) == 0) {
		p = s + 8;
		if (parse_dec(&p, end, INT_MAX, &v) != 0 || p != end - 1 ||
		    *p != ']')
			return -1;
		return (int)v;
	}
	return type_by_name(s, (size_t)(end - s));
}

int intake_parse_line(const char *line, size_t len,
		      struct intake_line_info *out)
{
	const char *p = line, *end, *tok, *sp;
	uint64_t sec, msec, serial;
	int type;

	if (line == NULL || out == NULL)
		return -1;
	end = line + len;
	out->node = NULL;
	out->node_len = 0;
	if (len >= 5 && memcmp(p, "node=", 5) == 0) {
		tok = p + 5;
		sp = memchr(tok, ' ', (size_t)(end - tok));
		if (sp == NULL || sp == tok)
			return -1;
		out->node = tok;
		out->node_len = (size_t)(sp - tok);
		p = sp + 1;
	}
	if (end - p < 5 || memcmp(p, "type=", 5) != 0)
		return -1;
	tok = p + 5;
	sp = memchr(tok, ' ', (size_t)(end - tok));
	if (sp == NULL || sp == tok)
		return -1;
	type = parse_type(tok, sp);
	if (type < 0)
		return -1;
	p = sp;
	if (end - p < 11 || memcmp(p, " msg=audit(", 11) != 0)
		return -1;
	p += 11;
	if (parse_dec(&p, end, UINT64_MAX, &sec) != 0 ||
	    p == end || *p++ != '.')
		return -1;
	if (parse_dec(&p, end, UINT_MAX, &msec) != 0 ||
	    p == end || *p++ != ':')
		return -1;
	if (parse_dec(&p, end, UINT64_MAX, &serial) != 0 ||
	    p == end || *p != ')')
		return -1;
	out->type = type;
	out->sec = sec;
	out->msec = (unsigned)msec;
	out->serial = serial;
	return 0;
}

/* ------------------------------------------------------- event assembly */

/* An event id; node_hash and node_len stand for the node name. */
struct ikey {
	uint64_t sec;
	uint64_t serial;
	uint64_t node_hash;
	size_t node_len;
	unsigned msec;
	size_t hash;		/* of all the above */
};

struct event {
	struct ikey key;
	char *node;		/* a copy of the node name, or NULL */
	struct event *hnext;	/* chain in the open table */
	struct event *qnext;	/* arrival order */
	uint64_t last_ms;	/* when its last record arrived */
	int closed;		/* complete: only waits for its turn */
	int has_eoe;
	int truncated;
	char *data;		/* the lines, each followed by a NUL */
	size_t data_len, data_cap;
	size_t *offs;		/* where each line starts in data */
	size_t *lens;
	size_t n, cap;		/* lines held, room in offs/lens */
	size_t bytes;		/* sum of lens */
};

/* The id of an event closed recently, to tell late lines from strangers. */
struct closed_id {
	struct ikey key;
	struct closed_id *hnext;
	int used;
};

struct intake {
	struct intake_limits lim;
	struct event **open;	/* open (not closed) events by id */
	size_t open_mask;
	struct event *head, *tail;	/* every held event, oldest first */
	size_t held;
	struct closed_id *ring;	/* the last ring_cap closed ids */
	size_t ring_cap, ring_next;
	struct closed_id **closed;	/* ring entries by id */
	size_t closed_mask;
	const char **ptrs;	/* line pointers for the event handed out */
	size_t ptrs_cap;
	struct intake_stats st;
};

/* The splitmix64 finaliser: spreads sequential serials over the buckets. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* FNV-1a over the node name; only lines with a node= prefix pay for it. */
static uint64_t node_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void key_from_info(struct ikey *k, const struct intake_line_info *li)
{
	k->sec = li->sec;
	k->msec = li->msec;
	k->serial = li->serial;
	k->node_len = li->node != NULL ? li->node_len : 0;
	k->node_hash = k->node_len > 0 ? node_hash(li->node, k->node_len) : 0;
	k->hash = (size_t)mix64(k->serial ^ mix64(k->sec ^
			((uint64_t)k->msec << 40) ^ k->node_hash ^
			((uint64_t)k->node_len << 20)));
}

static int key_eq(const struct ikey *a, const struct ikey *b)
{
	return a->serial == b->serial && a->sec == b->sec &&
	       a->msec == b->msec && a->node_len == b->node_len &&
	       a->node_hash == b->node_hash;
}

static size_t pow2_at_least(size_t n, size_t cap)
{
	size_t p = 16;

	while (p < n && p < cap)
		p <<= 1;
	return p;
}

struct intake *intake_new(const struct intake_limits *lim)
{
	struct intake *in;
	size_t nb;

	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	if (lim != NULL)
		in->lim = *lim;
	if (in->lim.quiet_ms == 0)
		in->lim.quiet_ms = INTAKE_DEF_QUIET_MS;
	if (in->lim.max_events == 0)
		in->lim.max_events = INTAKE_DEF_MAX_EVENTS;
	if (in->lim.max_records == 0)
		in->lim.max_records = INTAKE_DEF_MAX_RECORDS;
	if (in->lim.max_bytes == 0)
		in->lim.max_bytes = INTAKE_DEF_MAX_BYTES;

	nb = in->lim.max_events > INTAKE_MAX_BUCKETS / 2 ?
	     INTAKE_MAX_BUCKETS : in->lim.max_events * 2;
	nb = pow2_at_least(nb, INTAKE_MAX_BUCKETS);
	in->open = calloc(nb, sizeof(*in->open));
	in->open_mask = nb - 1;

	in->ring_cap = in->lim.max_events;
	if (in->ring_cap < INTAKE_MIN_CLOSED)
		in->ring_cap = INTAKE_MIN_CLOSED;
	if (in->ring_cap > INTAKE_MAX_CLOSED)
		in->ring_cap = INTAKE_MAX_CLOSED;
	in->ring = calloc(in->ring_cap, sizeof(*in->ring));
	nb = pow2_at_least(in->ring_cap * 2, INTAKE_MAX_BUCKETS);
	in->closed = calloc(nb, sizeof(*in->closed));
	in->closed_mask = nb - 1;

	if (in->open == NULL || in->ring == NULL || in->closed == NULL) {
		intake_free(in);
		return NULL;
	}
	return in;
}

static void event_free(struct event *ev)
{
	free(ev->data);
	free(ev->offs);
	free(ev->lens);
	free(ev->node);
	free(ev);
}

void intake_free(struct intake *in)
{
	struct event *ev, *next;

	if (in == NULL)
		return;
	for (ev = in->head; ev != NULL; ev = next) {
		next = ev->qnext;
		event_free(ev);
	}
	free(in->open);
	free(in->ring);
	free(in->closed);
	free(in->ptrs);
	free(in);
}

static struct event *open_find(const struct intake *in, const struct ikey *k,
			       const char *node)
{
	struct event *ev;

	for (ev = in->open[k->hash & in->open_mask]; ev != NULL;
	     ev = ev->hnext)
		if (key_eq(&ev->key, k) &&
		    (k->node_len == 0 ||
		     memcmp(ev->node, node, k->node_len) == 0))
			return ev;
	return NULL;
}

static void open_remove(struct intake *in, struct event *ev)
{
	struct event **pp = &in->open[ev->key.hash & in->open_mask];

	while (*pp != NULL && *pp != ev)
		pp = &(*pp)->hnext;
	if (*pp == ev)
		*pp = ev->hnext;
	ev->hnext = NULL;
}

/*
 * XXX: a closed id remembers its node by hash and length only, so two
 * nodes whose names collide in 64 bits could count a stranger's line as
 * late instead of dropped.  Either way the line is not kept.
 */
static int closed_find(const struct intake *in, const struct ikey *k)
{
	const struct closed_id *c;

	for (c = in->closed[k->hash & in->closed_mask]; c != NULL;
	     c = c->hnext)
		if (key_eq(&c->key, k))
			return 1;
	return 0;
}

/* closed_add - remember k, forgetting the oldest remembered id if full. */
static void closed_add(struct intake *in, const struct ikey *k)
{
	struct closed_id *c = &in->ring[in->ring_next];
	struct closed_id **pp;

	if (c->used) {
		pp = &in->closed[c->key.hash & in->closed_mask];
		while (*pp != NULL && *pp != c)
			pp = &(*pp)->hnext;
		if (*pp == c)
			*pp = c->hnext;
	}
	c->key = *k;
	c->used = 1;
	pp = &in->closed[k->hash & in->closed_mask];
	c->hnext = *pp;
	*pp = c;
	in->ring_next = (in->ring_next + 1) % in->ring_cap;
}

/* close_event - the event is complete; it stays held until its turn. */
static void close_event(struct intake *in, struct event *ev)
{
	if (ev->closed)
		return;
	open_remove(in, ev);
	closed_add(in, &ev->key);
	ev->closed = 1;
}

static int quiet_passed(const struct intake *in, const struct event *ev,
			uint64_t now_ms)
{
	return now_ms >= ev->last_ms &&
	       now_ms - ev->last_ms >= in->lim.quiet_ms;
}

/* grow - make room for want elements of size sz in *p (capacity *cap). */
static int grow(void **p, size_t *cap, size_t want, size_t sz, size_t first)
{
	size_t ncap = *cap ? *cap : first;
	void *np;

	if (want <= *cap)
		return 0;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / sz)
		return -1;
	np = realloc(*p, ncap * sz);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* event_append - copy one line into the event.  0, or -1 on ENOMEM. */
static int event_append(struct intake *in, struct event *ev,
			const char *line, size_t len)
{
	size_t cap;
	void *p;

	if (len >= SIZE_MAX - ev->data_len)
		return -1;
	p = ev->data;
	if (grow(&p, &ev->data_cap, ev->data_len + len + 1, 1, 512) != 0)
		return -1;
	ev->data = p;
	cap = ev->cap;
	p = ev->offs;
	if (grow(&p, &cap, ev->n + 1, sizeof(size_t), 8) != 0)
		return -1;
	ev->offs = p;
	cap = ev->cap;
	p = ev->lens;
	if (grow(&p, &cap, ev->n + 1, sizeof(size_t), 8) != 0)
		return -1;
	ev->lens = p;
	ev->cap = cap;
	/* Room to hand the event out later, so hand-out never fails. */
	p = in->ptrs;
	if (grow(&p, &in->ptrs_cap, ev->n + 1, sizeof(char *), 16) != 0)
		return -1;
	in->ptrs = p;

	memcpy(ev->data + ev->data_len, line, len);
	ev->data[ev->data_len + len] = '\0';
	ev->offs[ev->n] = ev->data_len;
	ev->lens[ev->n] = len;
	ev->n++;
	ev->data_len += len + 1;
	ev->bytes += len;
	return 0;
}

/* hand_out_head - unlink the (closed) head event, give it to fn, free it. */
static void hand_out_head(struct intake *in, intake_event_fn fn, void *arg)
{
	struct event *ev = in->head;
	struct intake_event out;
	size_t i;

	in->head = ev->qnext;
	if (in->head == NULL)
		in->tail = NULL;
	in->held--;
	for (i = 0; i < ev->n; i++)
		in->ptrs[i] = ev->data + ev->offs[i];
	out.n_lines = ev->n;
	out.lines = in->ptrs;
	out.lens = ev->lens;
	out.sec = ev->key.sec;
	out.msec = ev->key.msec;
	out.serial = ev->key.serial;
	out.has_eoe = ev->has_eoe;
	out.truncated = ev->truncated;
	in->st.events++;
	if (fn != NULL)
		fn(&out, arg);
	event_free(ev);
}

/*
 * pump - hand out events from the head while the head is complete (closed,
 * or quiet since its last record).  Only the head matters: whatever waits
 * behind it cannot leave first.
 */
static void pump(struct intake *in, uint64_t now_ms, intake_event_fn fn,
		 void *arg)
{
	while (in->head != NULL) {
		if (!in->head->closed) {
			if (!quiet_passed(in, in->head, now_ms))
				return;
			close_event(in, in->head);
		}
		hand_out_head(in, fn, arg);
	}
}

/* open_event - a new event at the tail for this first line; NULL on ENOMEM. */
static struct event *open_event(struct intake *in, const struct ikey *k,
				const struct intake_line_info *li,
				const char *line, size_t len)
{
	struct event *ev = calloc(1, sizeof(*ev));
	struct event **pp;

	if (ev == NULL)
		return NULL;
	ev->key = *k;
	if (k->node_len > 0) {
		ev->node = malloc(k->node_len);
		if (ev->node == NULL)
			goto fail;
		memcpy(ev->node, li->node, k->node_len);
	}
	if (event_append(in, ev, line, len) != 0)
		goto fail;
	pp = &in->open[k->hash & in->open_mask];
	ev->hnext = *pp;
	*pp = ev;
	if (in->tail != NULL)
		in->tail->qnext = ev;
	else
		in->head = ev;
	in->tail = ev;
	in->held++;
	return ev;
fail:
	event_free(ev);
	return NULL;
}

/*
 * intake_line - in order: hand out what went quiet before now_ms; drop a
 * malformed line; close its event if that event went quiet (so the line
 * finds it complete); then join, open (evicting the head when max_events
 * are held), or count the line dropped or late; an EOE closes its event
 * and may release it and those behind it.
 */
void intake_line(struct intake *in, const char *line, size_t len,
		 uint64_t now_ms, intake_event_fn fn, void *arg)
{
	struct intake_line_info li;
	struct ikey k;
	struct event *ev;
	int integrity, was_closed;

	if (in == NULL)
		return;
	in->st.lines++;
	/* What went quiet before this line arrived leaves first. */
	pump(in, now_ms, fn, arg);
	if (line == NULL || memchr(line, '\0', len) != NULL ||
	    intake_parse_line(line, len, &li) != 0) {
		in->st.malformed++;
		return;
	}
	key_from_info(&k, &li);
	integrity = INTAKE_IS_INTEGRITY(li.type);
	ev = open_find(in, &k, li.node);
	if (ev != NULL && quiet_passed(in, ev, now_ms)) {
		/* Complete by quiet time, even if it still waits its turn. */
		close_event(in, ev);
		ev = NULL;
	}
	if (ev == NULL) {
		was_closed = closed_find(in, &k);
		if (!integrity) {
			if (was_closed)
				in->st.late++;
			else
				in->st.dropped++;
			return;
		}
		if (in->held >= in->lim.max_events) {
			/* The head is open here: pump() took any closed one. */
			in->st.evicted++;
			close_event(in, in->head);
			hand_out_head(in, fn, arg);
			pump(in, now_ms, fn, arg);
		}
		if (open_event(in, &k, &li, line, len) == NULL) {
			in->st.nomem++;
			return;
		}
		if (was_closed)
			in->st.reopened++;
		in->st.kept++;
		/* An integrity record opened it, so no EOE to look at. */
		in->tail->last_ms = now_ms;
		return;
	}

	if (li.type == INTAKE_TYPE_EOE)
		ev->has_eoe = 1;
	if (ev->n >= in->lim.max_records || ev->bytes > in->lim.max_bytes ||
	    len > in->lim.max_bytes - ev->bytes) {
		in->st.cut++;
		ev->truncated = 1;
	} else if (event_append(in, ev, line, len) != 0) {
		in->st.nomem++;
		ev->truncated = 1;
	} else {
		in->st.kept++;
	}
	if (now_ms > ev->last_ms)
		ev->last_ms = now_ms;
	if (li.type == INTAKE_TYPE_EOE) {
		close_event(in, ev);
		pump(in, now_ms, fn, arg);
	}
}

void intake_expire(struct intake *in, uint64_t now_ms, intake_event_fn fn,
		   void *arg)
{
	if (in == NULL)
		return;
	pump(in, now_ms, fn, arg);
}

/*
 * The head decides: hand-out is strictly in arrival order, so an event
 * behind the head that goes quiet earlier still leaves with or after it.
 */
int intake_next_deadline_ms(const struct intake *in, uint64_t now_ms)
{
	const struct event *ev;
	uint64_t wait;

	if (in == NULL || in->head == NULL)
		return -1;
	ev = in->head;
	if (ev->closed)
		return 0;
	if (now_ms >= ev->last_ms) {
		if (now_ms - ev->last_ms >= in->lim.quiet_ms)
			return 0;
		wait = in->lim.quiet_ms - (now_ms - ev->last_ms);
	} else {
		/* The clock went back: wait the whole quiet time from then. */
		wait = ev->last_ms - now_ms;
		if (wait > (uint64_t)INT_MAX - in->lim.quiet_ms)
			return INT_MAX;
		wait += in->lim.quiet_ms;
	}
	return wait > (uint64_t)INT_MAX ? INT_MAX : (int)wait;
}

void intake_flush(struct intake *in, intake_event_fn fn, void *arg)
{
	if (in == NULL)
		return;
	while (in->head != NULL) {
		close_event(in, in->head);
		hand_out_head(in, fn, arg);
	}
}

size_t intake_open_events(const struct intake *in)
{
	return in != NULL ? in->held : 0;
}

void intake_get_stats(const struct intake *in, struct intake_stats *out)
{
	if (out == NULL)
		return;
	if (in == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = in->st;
}

/* flood.c -- flood control: one alert per repeated finding, a rate limit per severity */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "flood.h"

#define DEFAULT_MAX_KEYS 4096

struct finding {
	struct finding *hnext;		/* hash chain */
	struct finding *prev, *next;	/* age order, oldest first */
	uint64_t hash;
	enum verdict_id id;
	uint64_t first_ms, last_ms;
	unsigned long long count;	/* repeats held back */
	char *path;
	size_t path_len;
	char *op;
	char *cause;
	char algo[HASHALGO_MAX_NAME];
	unsigned char digest[HASHALGO_MAX_DIGEST];
	size_t digest_len;
};

struct rate_window {
	int active;
	uint64_t start_ms;
	unsigned sent;
	unsigned long long held;
	unsigned long long by_id[V_COUNT];
};

struct flood {
	struct flood_limits lim;
	struct finding **buckets;
	size_t nbuckets;		/* a power of two */
	struct finding *oldest, *newest;
	size_t keys;
	size_t keys_with_count;
	struct rate_window rate[FLOOD_LEVELS];
	unsigned long long duplicates, rate_limited;
};

/* ------------------------------------------------------------ keys */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

static uint64_t key_hash(const struct flood_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned id = (unsigned)k->id;

	h = fnv(h, &id, sizeof(id));
	h = fnv(h, k->path ? k->path : "", k->path ? k->path_len : 0);
	h = fnv(h, "\0", 1);
	h = fnv(h, k->op ? k->op : "", slen(k->op));
	h = fnv(h, "\0", 1);
	h = fnv(h, k->cause ? k->cause : "", slen(k->cause));
	h = fnv(h, "\0", 1);
	h = fnv(h, k->algo ? k->algo : "", slen(k->algo));
	h = fnv(h, k->digest, k->digest ? k->digest_len : 0);
	return h;
}

static int key_equal(const struct finding *e, const struct flood_key *k,
		     uint64_t h)
{
	size_t plen = k->path ? k->path_len : 0;
	size_t dlen = k->digest ? k->digest_len : 0;

	return e->hash == h && e->id == k->id && e->path_len == plen &&
	       memcmp(e->path, k->path ? k->path : "", plen) == 0 &&
	       strcmp(e->op, k->op ? k->op : "") == 0 &&
	       strcmp(e->cause, k->cause ? k->cause : "") == 0 &&
	       strcmp(e->algo, k->algo ? k->algo : "") == 0 &&
	       e->digest_len == dlen &&
	       memcmp(e->digest, k->digest ? k->digest : e->digest, dlen) == 0;
}

/* ------------------------------------------------------------ findings */

static void summarise_finding(struct flood *f, const struct finding *e,
			      flood_summary_fn fn, void *arg)
{
	struct flood_summary s;

	if (e->count == 0 || fn == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.kind = FLOOD_DUPLICATE;
	s.id = e->id;
	s.path = e->path_len ? e->path : NULL;
	s.path_len = e->path_len;
	s.op = e->op[0] ? e->op : NULL;
	s.cause = e->cause[0] ? e->cause : NULL;
	s.algo = e->algo[0] ? e->algo : NULL;
	s.digest = e->digest_len ? e->digest : NULL;
	s.digest_len = e->digest_len;
	s.first_ms = e->first_ms;
	s.last_ms = e->last_ms;
	s.count = e->count;
	s.window_ms = f->lim.dedup_window_ms;
	fn(&s, arg);
}

/* forget_oldest - summarise and drop the oldest finding. */
static void forget_oldest(struct flood *f, flood_summary_fn fn, void *arg)
{
	struct finding *e = f->oldest, **pp;

	if (e == NULL)
		return;
	summarise_finding(f, e, fn, arg);
	for (pp = &f->buckets[e->hash & (f->nbuckets - 1)]; *pp != e;
	     pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	f->oldest = e->next;
	if (f->oldest)
		f->oldest->prev = NULL;
	else
		f->newest = NULL;
	if (e->count)
		f->keys_with_count--;
	f->keys--;
	free(e->path);
	free(e->op);
	free(e->cause);
	free(e);
}

static struct finding *find(struct flood *f, const struct flood_key *k,
			    uint64_t h)
{
	struct finding *e = f->buckets[h & (f->nbuckets - 1)];

	for (; e != NULL; e = e->hnext)
		if (key_equal(e, k, h))
			return e;
	return NULL;
}

/* remember - a new finding; on ENOMEM it is simply not remembered. */
static void remember(struct flood *f, const struct flood_key *k, uint64_t h,
		     uint64_t now_ms, flood_summary_fn fn, void *arg)
{
	struct finding *e;
	size_t plen = k->path ? k->path_len : 0;

	while (f->keys >= f->lim.max_keys)
		forget_oldest(f, fn, arg);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->path = malloc(plen + 1);
	e->op = strdup(k->op ? k->op : "");
	e->cause = strdup(k->cause ? k->cause : "");
	if (e->path == NULL || e->op == NULL || e->cause == NULL) {
		free(e->path);
		free(e->op);
		free(e->cause);
		free(e);
		return;
	}
	memcpy(e->path, k->path ? k->path : "", plen);
	e->path[plen] = '\0';
	e->path_len = plen;
	if (k->algo)
		strncpy(e->algo, k->algo, sizeof(e->algo) - 1);
	if (k->digest && k->digest_len <= sizeof(e->digest)) {
		memcpy(e->digest, k->digest, k->digest_len);
		e->digest_len = k->digest_len;
	}
	e->hash = h;
	e->id = k->id;
	e->first_ms = e->last_ms = now_ms;
	e->hnext = f->buckets[h & (f->nbuckets - 1)];
	f->buckets[h & (f->nbuckets - 1)] = e;
	e->prev = f->newest;
	if (f->newest)
		f->newest->next = e;
	else
		f->oldest = e;
	f->newest = e;
	f->keys++;
}

/* ------------------------------------------------------------ rate windows */

static void close_rate(struct flood *f, int level, flood_summary_fn fn,
		       void *arg)
{
	struct rate_window *w = &f->rate[level];
	struct flood_summary s;

	if (w->held && fn) {
		memset(&s, 0, sizeof(s));
		s.kind = FLOOD_RATE;
		s.level = level;
		memcpy(s.by_id, w->by_id, sizeof(s.by_id));
		s.count = w->held;
		s.window_ms = f->lim.rate[level].period_ms;
		s.first_ms = w->start_ms;
		fn(&s, arg);
	}
	memset(w, 0, sizeof(*w));
}

/* ------------------------------------------------------------ API */

struct flood *flood_new(const struct flood_limits *lim)
{
	struct flood *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->lim = *lim;
	if (f->lim.max_keys == 0)
		f->lim.max_keys = DEFAULT_MAX_KEYS;
	f->nbuckets = 64;
	while (f->nbuckets < 2 * f->lim.max_keys)
		f->nbuckets <<= 1;
	f->buckets = calloc(f->nbuckets, sizeof(*f->buckets));
	if (f->buckets == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void flood_free(struct flood *f)
{
	if (f == NULL)
		return;
	while (f->oldest)
		forget_oldest(f, NULL, NULL);
	free(f->buckets);
	free(f);
}

void flood_advance(struct flood *f, uint64_t now_ms, flood_summary_fn fn,
		   void *arg)
{
	int level;

	while (f->oldest &&
	       f->oldest->first_ms + f->lim.dedup_window_ms <= now_ms)
		forget_oldest(f, fn, arg);
	for (level = 0; level < FLOOD_LEVELS; level++) {
		struct rate_window *w = &f->rate[level];

		if (w->active &&
		    w->start_ms + f->lim.rate[level].period_ms <= now_ms)
			close_rate(f, level, fn, arg);
	}
}

int flood_admit(struct flood *f, const struct flood_key *k, uint64_t now_ms,
		flood_summary_fn fn, void *arg)
{
	struct rate_window *w;
	struct finding *e;
	uint64_t h = 0;
	int level = k->level;

	flood_advance(f, now_ms, fn, arg);
	if (f->lim.dedup_window_ms) {
		h = key_hash(k);
		e = find(f, k, h);
		if (e != NULL) {
			if (e->count++ == 0)
				f->keys_with_count++;
			if (now_ms > e->last_ms)
				e->last_ms = now_ms;
			f->duplicates++;
			return 0;
		}
	}
	/* crit and above always go out; they cannot be drowned by noise. */
	if (level > LOG_CRIT && level < FLOOD_LEVELS &&
	    f->lim.rate[level].limit > 0) {
		w = &f->rate[level];
		if (!w->active) {
			w->active = 1;
			w->start_ms = now_ms;
		}
		if (w->sent >= f->lim.rate[level].limit) {
			w->held++;
			if ((unsigned)k->id < V_COUNT)
				w->by_id[k->id]++;
			f->rate_limited++;
			return 0;
		}
		w->sent++;
	}
	if (f->lim.dedup_window_ms)
		remember(f, k, h, now_ms, fn, arg);
	return 1;
}

void flood_flush(struct flood *f, flood_summary_fn fn, void *arg)
{
	int level;

	while (f->oldest)
		forget_oldest(f, fn, arg);
	for (level = 0; level < FLOOD_LEVELS; level++)
		if (f->rate[level].active)
			close_rate(f, level, fn, arg);
}

int flood_pending(const struct flood *f)
{
	int level;

	if (f->keys_with_count)
		return 1;
	for (level = 0; level < FLOOD_LEVELS; level++)
		if (f->rate[level].held)
			return 1;
	return 0;
}

void flood_get_stats(const struct flood *f, struct flood_stats *out)
{
	out->duplicates = f->duplicates;
	out->rate_limited = f->rate_limited;
	out->keys = f->keys;
}

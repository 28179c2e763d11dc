/* check_intake.c -- Check tests for the pre-filter and event assembly */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "intake.h"

/* ------------------------------------------------------------ pre-filter */

struct parse_case {
	const char *line;
	size_t len;		/* 0: strlen(line) */
	int ret;
	int type;
	uint64_t sec;
	unsigned msec;
	uint64_t serial;
	const char *node;	/* expected node, NULL for none */
};

static const struct parse_case parse_cases[] = {
	/* ENRICHED, from tests/corpus/vm-ima-enriched.log */
	{ "type=INTEGRITY_PCR msg=audit(1796414550.623:6): pid=1 uid=0 "
	  "op=add_template_measure cause=hash_added comm=\"swapper/0\" "
	  "name=\"boot_aggregate\" res=1 errno=0\x1dUID=\"root\" AUID=\"unset\"",
	  0, 0, 1804, 1796414550ULL, 623, 6, NULL },
	/* RAW, from tests/corpus/vm-ima-raw.log */
	{ "type=PROCTITLE msg=audit(1796414587.507:13): proctitle=617564",
	  0, 0, 1327, 1796414587ULL, 507, 13, NULL },
	{ "node=web-01.example type=INTEGRITY_RULE msg=audit(1700000000.001:"
	  "4242): file=\"/bin/x\"", 0, 0, 1805, 1700000000ULL, 1, 4242,
	  "web-01.example" },
	{ "type=UNKNOWN[1808] msg=audit(5.100:7): op=x", 0, 0, 1808, 5, 100,
	  7, NULL },
	{ "type=1805 msg=audit(5.100:8): action=measure", 0, 0, 1805, 5, 100,
	  8, NULL },
	{ "type=EOE msg=audit(5.100:8): ", 0, 0, 1320, 5, 100, 8, NULL },
	{ "type=SYSCALL msg=audit(1.000:18446744073709551615): ", 0, 0, 1300,
	  1, 0, 18446744073709551615ULL, NULL },
	{ "type=INTEGRITY_DATA msg=audit(1.2:3):", 0, 0, 1800, 1, 2, 3, NULL },
	{ "type=INTEGRITY_METADATA msg=audit(1.2:3):", 0, 0, 1801, 1, 2, 3,
	  NULL },
	{ "type=INTEGRITY_STATUS msg=audit(1.2:3):", 0, 0, 1802, 1, 2, 3,
	  NULL },
	{ "type=INTEGRITY_HASH msg=audit(1.2:3):", 0, 0, 1803, 1, 2, 3, NULL },
	{ "type=INTEGRITY_EVM_XATTR msg=audit(1.2:3):", 0, 0, 1806, 1, 2, 3,
	  NULL },
	{ "type=INTEGRITY_POLICY_RULE msg=audit(1.2:3):", 0, 0, 1807, 1, 2, 3,
	  NULL },
	{ "type=PATH msg=audit(1.2:3):", 0, 0, 1302, 1, 2, 3, NULL },
	{ "type=IPC msg=audit(1.2:3):", 0, 0, 1303, 1, 2, 3, NULL },
	{ "type=SOCKADDR msg=audit(1.2:3):", 0, 0, 1306, 1, 2, 3, NULL },
	{ "type=CWD msg=audit(1.2:3):", 0, 0, 1307, 1, 2, 3, NULL },
	{ "type=EXECVE msg=audit(1.2:3):", 0, 0, 1309, 1, 2, 3, NULL },
	/* Names that do not matter here. */
	{ "type=AVC msg=audit(1.2:3): apparmor=\"STATUS\"", 0, 0, 0, 1, 2, 3,
	  NULL },
	/* a name newer than this table: still an integrity record */
	{ "type=INTEGRITY_FOO msg=audit(1.2:3):", 0, 0, 1899, 1, 2, 3, NULL },
	{ "type=INTEGRITY_ msg=audit(1.2:3):", 0, 0, 0, 1, 2, 3, NULL },
	{ "type=EOEX msg=audit(1.2:3):", 0, 0, 0, 1, 2, 3, NULL },
	/* Malformed. */
	{ "", 0, -1, 0, 0, 0, 0, NULL },
	{ "msg=audit(1.2:3): type=SYSCALL", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2:3", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(x.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.x:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2:x)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2-3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2:-3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2:3 )", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL  msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type= msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=UNKNOWN[] msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=UNKNOWN[18x8] msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=UNKNOWN[1808 msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=18a5 msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(123456789012345678901.2:3)", 0, -1, 0, 0, 0,
	  0, NULL },
	{ "type=SYSCALL msg=audit(1.2:123456789012345678901)", 0, -1, 0, 0, 0,
	  0, NULL },
	{ "type=SYSCALL msg=audit(1.2:18446744073709551616)", 0, -1, 0, 0, 0,
	  0, NULL },
	{ "type=SYSCALL msg=audit(1.4294967296:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "type=2147483648 msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "node=host", 0, -1, 0, 0, 0, 0, NULL },
	{ "node= type=SYSCALL msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	{ "node=h  type=SYSCALL msg=audit(1.2:3)", 0, -1, 0, 0, 0, 0, NULL },
	/* The parser stops at len, before the ')' that follows in memory. */
	{ "type=SYSCALL msg=audit(1.2:3)", 28, -1, 0, 0, 0, 0, NULL },
	{ "type=SYSCALL msg=audit(1.2:3)", 6, -1, 0, 0, 0, 0, NULL },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	size_t len = c->len ? c->len : strlen(c->line);
	struct intake_line_info li;
	int r;

	memset(&li, 0xa5, sizeof(li));
	r = intake_parse_line(c->line, len, &li);
	ck_assert_msg(r == c->ret, "case %d \"%s\": got %d", _i, c->line, r);
	if (r != 0)
		return;
	ck_assert_int_eq(li.type, c->type);
	ck_assert_uint_eq(li.sec, c->sec);
	ck_assert_uint_eq(li.msec, c->msec);
	ck_assert_uint_eq(li.serial, c->serial);
	if (c->node == NULL) {
		ck_assert_ptr_null(li.node);
		ck_assert_uint_eq(li.node_len, 0);
	} else {
		ck_assert_ptr_nonnull(li.node);
		ck_assert_uint_eq(li.node_len, strlen(c->node));
		ck_assert(memcmp(li.node, c->node, li.node_len) == 0);
		/* It points into the line. */
		ck_assert_ptr_eq(li.node, c->line + 5);
	}
}
END_TEST

/* ------------------------------------------------------------- helpers */

struct got_event {
	uint64_t sec, serial;
	unsigned msec;
	int has_eoe, truncated;
	size_t n;
	char **lines;
	size_t *lens;
};

struct got {
	size_t n, cap;
	struct got_event *ev;
};

static void got_event(const struct intake_event *ev, void *arg)
{
	struct got *g = arg;
	struct got_event *e;
	size_t i;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
		ck_assert_ptr_nonnull(g->ev);
	}
	e = &g->ev[g->n++];
	e->sec = ev->sec;
	e->msec = ev->msec;
	e->serial = ev->serial;
	e->has_eoe = ev->has_eoe;
	e->truncated = ev->truncated;
	e->n = ev->n_lines;
	e->lines = calloc(ev->n_lines + 1, sizeof(*e->lines));
	e->lens = calloc(ev->n_lines + 1, sizeof(*e->lens));
	ck_assert_ptr_nonnull(e->lines);
	ck_assert_ptr_nonnull(e->lens);
	for (i = 0; i < ev->n_lines; i++) {
		ck_assert_int_eq(ev->lines[i][ev->lens[i]], '\0');
		e->lines[i] = malloc(ev->lens[i] + 1);
		ck_assert_ptr_nonnull(e->lines[i]);
		memcpy(e->lines[i], ev->lines[i], ev->lens[i] + 1);
		e->lens[i] = ev->lens[i];
	}
}

static void got_free(struct got *g)
{
	size_t i, j;

	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->ev[i].n; j++)
			free(g->ev[i].lines[j]);
		free(g->ev[i].lines);
		free(g->ev[i].lens);
	}
	free(g->ev);
	memset(g, 0, sizeof(*g));
}

/* put - one NUL-free test line. */
static void put(struct intake *in, const char *line, uint64_t now,
		struct got *g)
{
	intake_line(in, line, strlen(line), now, got_event, g);
}

/* line_type - "SYSCALL" of "type=SYSCALL msg=..." into buf. */
static const char *line_type(const char *line, char *buf, size_t sz)
{
	const char *t = strstr(line, "type=");
	size_t n = 0;

	ck_assert_ptr_nonnull(t);
	t += 5;
	while (t[n] != ' ' && t[n] != '\0' && n + 1 < sz)
		n++;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return buf;
}

static struct intake *new_intake(unsigned quiet, size_t max_events,
				 size_t max_records, size_t max_bytes)
{
	struct intake_limits lim = { quiet, max_events, max_records,
				     max_bytes };
	struct intake *in = intake_new(&lim);

	ck_assert_ptr_nonnull(in);
	return in;
}

static void check_balance(const struct intake *in)
{
	struct intake_stats st;

	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.lines, st.malformed + st.kept + st.dropped +
			  st.late + st.cut + st.nomem);
}

/* ------------------------------------------------------- the VM corpus */

struct corpus {
	char *buf;
	size_t n;
	char **line;		/* NUL-terminated, in buf */
	size_t *len;
	char **id;		/* "SEC.MSEC:SERIAL", malloc'd */
};

static void corpus_load(const char *name, struct corpus *c)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	long sz;
	size_t i, start, cap = 0;

	memset(c, 0, sizeof(*c));
	if (top == NULL || *top == '\0')
		top = ".";
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/tests/corpus/%s",
				  top, name), (int)sizeof(path));
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "corpus file %s is missing (set top_srcdir)",
		      path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_gt(sz, 0);
	rewind(f);
	c->buf = malloc((size_t)sz + 1);
	ck_assert_ptr_nonnull(c->buf);
	ck_assert_uint_eq(fread(c->buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	c->buf[sz] = '\n';
	for (i = 0, start = 0; i < (size_t)sz; i++) {
		const char *a, *b;

		if (c->buf[i] != '\n')
			continue;
		c->buf[i] = '\0';
		if (c->n == cap) {
			cap = cap ? cap * 2 : 256;
			c->line = realloc(c->line, cap * sizeof(*c->line));
			c->len = realloc(c->len, cap * sizeof(*c->len));
			c->id = realloc(c->id, cap * sizeof(*c->id));
			ck_assert(c->line && c->len && c->id);
		}
		c->line[c->n] = c->buf + start;
		c->len[c->n] = i - start;
		a = strstr(c->line[c->n], "msg=audit(");
		ck_assert_ptr_nonnull(a);
		a += 10;
		b = strchr(a, ')');
		ck_assert_ptr_nonnull(b);
		c->id[c->n] = strndup(a, (size_t)(b - a));
		c->n++;
		start = i + 1;
	}
}

static void corpus_free(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->id[i]);
	free(c->id);
	free(c->line);
	free(c->len);
	free(c->buf);
}

/* An independent notion of "an integrity record": by the type's text. */
static int is_integrity_text(const char *line)
{
	return strncmp(line, "type=INTEGRITY_", 15) == 0 ||
	       strncmp(line, "type=UNKNOWN[18", 15) == 0;
}

/* The record time as a clock: real arrival is within ms of it. */
static uint64_t record_ms(const char *id)
{
	unsigned long long s;
	unsigned ms;

	ck_assert_int_eq(sscanf(id, "%llu.%u", &s, &ms), 2);
	return (uint64_t)s * 1000 + ms;
}

static const char *const vm_files[] = {
	"vm-ima-enriched.log", "vm-ima-raw.log"
};

/*
 * Loop i: file i / 2; clock i % 2 (0: a frozen clock, events end at EOE or
 * flush; 1: the records' own times, standalone records end by quiet time).
 */
START_TEST(test_vm_corpus)
{
	struct corpus c;
	struct got g = { 0 };
	struct intake_stats st;
	struct intake *in = new_intake(0, 0, 0, 0);
	char **want = NULL;
	size_t nwant = 0, i, j, k, with_syscall = 0, kept_lines = 0;

	corpus_load(vm_files[_i / 2], &c);
	/* Expected: ids with an integrity record, in order of the first. */
	want = calloc(c.n, sizeof(*want));
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < c.n; i++) {
		if (!is_integrity_text(c.line[i]))
			continue;
		for (j = 0; j < nwant; j++)
			if (strcmp(want[j], c.id[i]) == 0)
				break;
		if (j == nwant)
			want[nwant++] = c.id[i];
	}
	ck_assert_uint_gt(nwant, 50);

	for (i = 0; i < c.n; i++)
		intake_line(in, c.line[i], c.len[i],
			    _i % 2 ? record_ms(c.id[i]) : 0, got_event, &g);
	if (_i % 2 == 0)
		/* Nothing can be quiet: the standalone record 6 blocks all. */
		ck_assert_uint_eq(g.n, 0);
	intake_flush(in, got_event, &g);
	intake_get_stats(in, &st);
	check_balance(in);
	ck_assert_uint_eq(intake_open_events(in), 0);

	ck_assert_uint_eq(g.n, nwant);
	ck_assert_uint_eq(st.events, nwant);
	for (i = 0; i < nwant; i++) {
		char id[64];
		size_t first = c.n, nl = 0;
		int syscall = 0, proctitle = 0, ev_syscall = 0, ev_proctitle = 0;

		snprintf(id, sizeof(id), "%llu.%03u:%llu",
			 (unsigned long long)g.ev[i].sec, g.ev[i].msec,
			 (unsigned long long)g.ev[i].serial);
		ck_assert_str_eq(id, want[i]);
		/* Its lines: every line of the id from the first integrity one. */
		for (j = 0; j < c.n; j++) {
			if (strcmp(c.id[j], want[i]) != 0)
				continue;
			if (first == c.n && !is_integrity_text(c.line[j]))
				continue;
			if (first == c.n)
				first = j;
			ck_assert_uint_lt(nl, g.ev[i].n);
			ck_assert_uint_eq(g.ev[i].lens[nl], c.len[j]);
			ck_assert_str_eq(g.ev[i].lines[nl], c.line[j]);
			if (strncmp(c.line[j], "type=SYSCALL ", 13) == 0)
				syscall = 1;
			if (strncmp(c.line[j], "type=PROCTITLE ", 15) == 0)
				proctitle = 1;
			nl++;
		}
		ck_assert_uint_eq(g.ev[i].n, nl);
		kept_lines += nl;
		ck_assert(!g.ev[i].truncated);
		/* Each companion found in the event itself, by type. */
		for (k = 0; k < g.ev[i].n; k++) {
			char t[32];

			line_type(g.ev[i].lines[k], t, sizeof(t));
			if (strcmp(t, "SYSCALL") == 0)
				ev_syscall = 1;
			if (strcmp(t, "PROCTITLE") == 0)
				ev_proctitle = 1;
		}
		ck_assert_int_eq(ev_syscall, syscall);
		ck_assert_int_eq(ev_proctitle, proctitle);
		ck_assert_int_eq(g.ev[i].has_eoe,
				 strncmp(g.ev[i].lines[g.ev[i].n - 1],
					 "type=EOE ", 9) == 0);
		with_syscall += ev_syscall;
	}
	ck_assert_uint_gt(with_syscall, 40);
	ck_assert_uint_eq(st.kept, kept_lines);
	ck_assert_uint_eq(st.malformed, 0);
	ck_assert_uint_eq(st.late, 0);
	ck_assert_uint_eq(st.cut, 0);
	ck_assert_uint_eq(st.evicted, 0);
	ck_assert_uint_eq(st.dropped, c.n - kept_lines);
	free(want);
	got_free(&g);
	intake_free(in);
	corpus_free(&c);
}
END_TEST

/* ------------------------------------------------------- synthetic cases */

/* A thousand lines of ordinary syscall events: all dropped, none held. */
START_TEST(test_non_ima_dropped)
{
	static const char *const types[] = { "SYSCALL", "EXECVE", "CWD",
					     "PATH", "PROCTITLE", "EOE" };
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;
	char line[256];
	unsigned i;

	for (i = 0; i < 1200; i++) {
		snprintf(line, sizeof(line),
			 "type=%s msg=audit(1700000000.%03u:%u): a=b\x1dX=y",
			 types[i % 6], (i / 6) % 1000, 1000 + i / 6);
		put(in, line, i, &g);
		ck_assert_uint_eq(intake_open_events(in), 0);
		ck_assert_int_eq(intake_next_deadline_ms(in, i), -1);
	}
	intake_flush(in, got_event, &g);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(st.lines, 1200);
	ck_assert_uint_eq(st.dropped, 1200);
	ck_assert_uint_eq(st.kept + st.late + st.malformed + st.events, 0);
	intake_free(in);
}
END_TEST

/* A integrity, B integrity, B EOE, A SYSCALL, A EOE: A leaves first, whole. */
START_TEST(test_interleaved_order)
{
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };

	put(in, "type=INTEGRITY_RULE msg=audit(10.500:100): file=\"/a\"", 0, &g);
	put(in, "type=INTEGRITY_RULE msg=audit(10.501:101): file=\"/b\"", 0, &g);
	put(in, "type=EOE msg=audit(10.501:101): ", 0, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(intake_open_events(in), 2);
	put(in, "type=SYSCALL msg=audit(10.500:100): syscall=59", 0, &g);
	ck_assert_uint_eq(g.n, 0);
	put(in, "type=EOE msg=audit(10.500:100): ", 0, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(intake_open_events(in), 0);

	ck_assert_uint_eq(g.ev[0].serial, 100);
	ck_assert_uint_eq(g.ev[0].sec, 10);
	ck_assert_uint_eq(g.ev[0].msec, 500);
	ck_assert_uint_eq(g.ev[0].n, 3);
	ck_assert_str_eq(g.ev[0].lines[1],
			 "type=SYSCALL msg=audit(10.500:100): syscall=59");
	ck_assert_str_eq(g.ev[0].lines[2], "type=EOE msg=audit(10.500:100): ");
	ck_assert(g.ev[0].has_eoe);
	ck_assert_uint_eq(g.ev[1].serial, 101);
	ck_assert_uint_eq(g.ev[1].n, 2);
	ck_assert(g.ev[1].has_eoe);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_quiet_time)
{
	struct intake *in = new_intake(250, 0, 0, 0);
	struct got g = { 0 };

	ck_assert_int_eq(intake_next_deadline_ms(in, 0), -1);
	put(in, "type=INTEGRITY_STATUS msg=audit(1.0:1): op=policy_update", 1000,
	    &g);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1000), 250);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1100), 150);
	intake_expire(in, 1249, got_event, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1249), 1);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1250), 0);
	ck_assert_int_eq(intake_next_deadline_ms(in, 5000), 0);
	intake_expire(in, 1250, got_event, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert(!g.ev[0].has_eoe);
	ck_assert_uint_eq(g.ev[0].n, 1);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1250), -1);

	/* A companion pushes the deadline back. */
	put(in, "type=INTEGRITY_DATA msg=audit(2.0:2): op=appraise_data", 2000,
	    &g);
	put(in, "type=SYSCALL msg=audit(2.0:2): syscall=59", 2200, &g);
	ck_assert_int_eq(intake_next_deadline_ms(in, 2200), 250);
	intake_expire(in, 2449, got_event, &g);
	ck_assert_uint_eq(g.n, 1);
	/* The next line's arrival also hands out what went quiet. */
	put(in, "type=USER msg=audit(3.0:3): unrelated", 2450, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.ev[1].serial, 2);
	ck_assert_uint_eq(g.ev[1].n, 2);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

/* The head decides the deadline; a complete event waits behind it. */
START_TEST(test_head_of_line)
{
	struct intake *in = new_intake(250, 0, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "type=INTEGRITY_RULE msg=audit(1.0:1): a", 1000, &g);
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:2): b", 1010, &g);
	put(in, "type=EOE msg=audit(1.0:2): ", 1010, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(intake_open_events(in), 2);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1010), 240);
	/* 3 goes quiet before 1 does, but 1 is older. */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:3): c", 1020, &g);
	put(in, "type=SYSCALL msg=audit(1.0:1): x", 1200, &g);
	ck_assert_int_eq(intake_next_deadline_ms(in, 1300), 150);
	/* A companion of 3 after its quiet time: 3 is complete, this is late. */
	put(in, "type=SYSCALL msg=audit(1.0:3): y", 1300, &g);
	ck_assert_uint_eq(g.n, 0);
	intake_expire(in, 1449, got_event, &g);
	ck_assert_uint_eq(g.n, 0);
	intake_expire(in, 1450, got_event, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.ev[0].serial, 1);
	ck_assert_uint_eq(g.ev[0].n, 2);
	ck_assert_uint_eq(g.ev[1].serial, 2);
	ck_assert(g.ev[1].has_eoe);
	ck_assert_uint_eq(g.ev[2].serial, 3);
	ck_assert_uint_eq(g.ev[2].n, 1);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.kept, 5);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_eviction)
{
	struct intake *in = new_intake(0, 3, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "type=INTEGRITY_RULE msg=audit(1.0:1): a", 0, &g);
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:2): b", 0, &g);
	put(in, "type=EOE msg=audit(1.0:2): ", 0, &g);
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:3): c", 0, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(intake_open_events(in), 3);
	/* A fourth: 1 is forced out, and 2 (complete) follows it. */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:4): d", 0, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.ev[0].serial, 1);
	ck_assert(!g.ev[0].has_eoe);
	ck_assert_uint_eq(g.ev[1].serial, 2);
	ck_assert(g.ev[1].has_eoe);
	ck_assert_uint_eq(intake_open_events(in), 2);
	/* 1 is gone: its companion is late. */
	put(in, "type=SYSCALL msg=audit(1.0:1): x", 0, &g);
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:5): e", 0, &g);
	ck_assert_uint_eq(g.n, 2);
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:6): f", 0, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.ev[2].serial, 3);
	intake_flush(in, got_event, &g);
	ck_assert_uint_eq(g.n, 6);
	ck_assert_uint_eq(g.ev[3].serial, 4);
	ck_assert_uint_eq(g.ev[4].serial, 5);
	ck_assert_uint_eq(g.ev[5].serial, 6);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.evicted, 2);
	ck_assert_uint_eq(st.events, 6);
	ck_assert_uint_eq(st.late, 1);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_max_records)
{
	struct intake *in = new_intake(0, 0, 3, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "type=INTEGRITY_RULE msg=audit(1.0:1): a", 0, &g);
	put(in, "type=SYSCALL msg=audit(1.0:1): b", 0, &g);
	put(in, "type=PATH msg=audit(1.0:1): c", 0, &g);
	put(in, "type=PATH msg=audit(1.0:1): d", 0, &g);
	put(in, "type=PROCTITLE msg=audit(1.0:1): e", 0, &g);
	ck_assert_uint_eq(g.n, 0);
	/* The EOE is cut too, but still ends the event. */
	put(in, "type=EOE msg=audit(1.0:1): ", 0, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.ev[0].n, 3);
	ck_assert_str_eq(g.ev[0].lines[2], "type=PATH msg=audit(1.0:1): c");
	ck_assert(g.ev[0].truncated);
	ck_assert(g.ev[0].has_eoe);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.cut, 3);
	ck_assert_uint_eq(st.kept, 3);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_max_bytes)
{
	struct intake *in = new_intake(0, 0, 0, 60);
	struct got g = { 0 };
	struct intake_stats st;
	/* 40, 29 and 27 bytes. */
	const char *a = "type=INTEGRITY_RULE msg=audit(1.0:1): aa";
	const char *b = "type=PATH msg=audit(1.0:1): b";
	const char *c = "type=EOE msg=audit(1.0:1): ";

	ck_assert_uint_eq(strlen(a), 40);
	ck_assert_uint_eq(strlen(b), 29);
	ck_assert_uint_eq(strlen(c), 27);
	put(in, a, 0, &g);
	put(in, b, 0, &g);	/* 69 > 60: cut */
	put(in, c, 0, &g);	/* 67 > 60: cut */
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.ev[0].n, 1);
	ck_assert(g.ev[0].truncated);

	intake_free(in);
	in = new_intake(0, 0, 0, 67);
	put(in, a, 0, &g);
	put(in, b, 0, &g);	/* 69 > 67: cut */
	put(in, c, 0, &g);	/* 67: fits exactly */
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.ev[1].n, 2);
	ck_assert_str_eq(g.ev[1].lines[1], c);
	ck_assert(g.ev[1].truncated);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.cut, 1);
	ck_assert_uint_eq(st.kept, 2);

	/* The first record is kept even when it alone is over the limit. */
	intake_free(in);
	in = new_intake(0, 0, 0, 10);
	put(in, a, 0, &g);
	intake_flush(in, got_event, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.ev[2].n, 1);
	ck_assert(!g.ev[2].truncated);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_late_and_reopen)
{
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "type=INTEGRITY_DATA msg=audit(7.7:77): op=appraise_data", 0, &g);
	put(in, "type=EOE msg=audit(7.7:77): ", 0, &g);
	ck_assert_uint_eq(g.n, 1);
	put(in, "type=SYSCALL msg=audit(7.7:77): late", 0, &g);
	put(in, "type=EOE msg=audit(7.7:77): ", 0, &g);
	put(in, "type=SYSCALL msg=audit(7.7:78): stranger", 0, &g);
	/* Same serial, other timestamp: a stranger too. */
	put(in, "type=SYSCALL msg=audit(7.8:77): stranger", 0, &g);
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.late, 2);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(intake_open_events(in), 0);
	/* An integrity record is never lost: it opens the id again. */
	put(in, "type=INTEGRITY_RULE msg=audit(7.7:77): again", 0, &g);
	ck_assert_uint_eq(intake_open_events(in), 1);
	put(in, "type=EOE msg=audit(7.7:77): ", 0, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.ev[1].n, 2);
	ck_assert_str_eq(g.ev[1].lines[0],
			 "type=INTEGRITY_RULE msg=audit(7.7:77): again");
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.reopened, 1);
	ck_assert_uint_eq(st.late, 2);
	ck_assert_uint_eq(st.events, 2);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

/* Same event id from two nodes: two events. */
START_TEST(test_nodes_apart)
{
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "node=a type=INTEGRITY_RULE msg=audit(1.0:5): x", 0, &g);
	put(in, "node=b type=SYSCALL msg=audit(1.0:5): y", 0, &g);
	put(in, "type=SYSCALL msg=audit(1.0:5): y", 0, &g);
	put(in, "node=bb type=INTEGRITY_RULE msg=audit(1.0:5): x", 0, &g);
	put(in, "node=a type=EOE msg=audit(1.0:5): ", 0, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.ev[0].n, 2);
	put(in, "node=bb type=PATH msg=audit(1.0:5): z", 0, &g);
	intake_flush(in, got_event, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.ev[1].n, 2);
	ck_assert_str_eq(g.ev[1].lines[1],
			 "node=bb type=PATH msg=audit(1.0:5): z");
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(st.kept, 4);
	got_free(&g);
	intake_free(in);
}
END_TEST

START_TEST(test_flush_order)
{
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };

	put(in, "type=INTEGRITY_PCR msg=audit(3.0:30): a", 0, &g);
	put(in, "type=UNKNOWN[1808] msg=audit(1.0:10): b", 0, &g);
	put(in, "type=1805 msg=audit(2.0:20): c", 0, &g);
	put(in, "type=SYSCALL msg=audit(1.0:10): d", 0, &g);
	ck_assert_uint_eq(intake_open_events(in), 3);
	intake_flush(in, got_event, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.ev[0].serial, 30);
	ck_assert_uint_eq(g.ev[1].serial, 10);
	ck_assert_uint_eq(g.ev[1].n, 2);
	ck_assert_uint_eq(g.ev[2].serial, 20);
	ck_assert(!g.ev[0].has_eoe && !g.ev[1].has_eoe && !g.ev[2].has_eoe);
	ck_assert_uint_eq(intake_open_events(in), 0);
	ck_assert_int_eq(intake_next_deadline_ms(in, 0), -1);
	got_free(&g);
	intake_free(in);
}
END_TEST

/* Every counter, after a script whose outcome is known line by line. */
START_TEST(test_stats_exact)
{
	static const char nul_line[] = "type=INTEGRITY_RULE msg=audit(1.0:9): a\0b";
	struct intake *in = new_intake(100, 2, 3, 0);
	struct got g = { 0 };
	struct intake_stats st;

	put(in, "garbage", 0, &g);				/* malformed */
	intake_line(in, nul_line, sizeof(nul_line) - 1, 0, got_event, &g);
								/* malformed */
	put(in, "type=SYSCALL msg=audit(1.0:1): x", 0, &g);	/* dropped */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:2): x", 0, &g); /* kept */
	put(in, "type=SYSCALL msg=audit(1.0:2): x", 0, &g);	/* kept */
	put(in, "type=CWD msg=audit(1.0:2): x", 0, &g);		/* kept */
	put(in, "type=PATH msg=audit(1.0:2): x", 0, &g);	/* cut */
	put(in, "type=EOE msg=audit(1.0:2): ", 0, &g);		/* cut; out */
	put(in, "type=PATH msg=audit(1.0:2): x", 0, &g);	/* late */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:3): x", 10, &g); /* kept */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:4): x", 20, &g); /* kept */
	put(in, "type=INTEGRITY_RULE msg=audit(1.0:5): x", 30, &g); /* kept; evicts 3 */
	ck_assert_uint_eq(g.n, 2);
	/* 4 went quiet at 120 and leaves before this line: the line is late. */
	put(in, "type=SYSCALL msg=audit(1.0:4): x", 125, &g);	/* late */
	ck_assert_uint_eq(g.n, 3);
	intake_expire(in, 129, got_event, &g);			/* 5 not yet */
	ck_assert_uint_eq(g.n, 3);
	intake_expire(in, 130, got_event, &g);			/* 5 out */
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.lines, 13);
	ck_assert_uint_eq(st.malformed, 2);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_uint_eq(st.kept, 6);
	ck_assert_uint_eq(st.cut, 2);
	ck_assert_uint_eq(st.late, 2);
	ck_assert_uint_eq(st.events, 4);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(st.reopened, 0);
	ck_assert_uint_eq(st.nomem, 0);
	ck_assert_uint_eq(g.n, 4);
	ck_assert_uint_eq(g.ev[0].serial, 2);
	ck_assert_uint_eq(g.ev[1].serial, 3);
	ck_assert_uint_eq(g.ev[2].serial, 4);
	ck_assert_uint_eq(g.ev[3].serial, 5);
	check_balance(in);
	got_free(&g);
	intake_free(in);
}
END_TEST

/* Thousands open at once, completed newest first: one burst, in order. */
START_TEST(test_many_open)
{
	enum { N = 3000 };
	struct intake *in = new_intake(0, 0, 0, 0);
	struct got g = { 0 };
	struct intake_stats st;
	char line[128];
	int i;

	for (i = 0; i < N; i++) {
		snprintf(line, sizeof(line),
			 "node=n%d type=INTEGRITY_PCR msg=audit(1.%03d:%d): x",
			 i % 3, i % 1000, 100000 + i);
		put(in, line, 0, &g);
	}
	ck_assert_uint_eq(intake_open_events(in), N);
	for (i = N - 1; i >= 0; i--) {
		snprintf(line, sizeof(line),
			 "node=n%d type=EOE msg=audit(1.%03d:%d): ",
			 i % 3, i % 1000, 100000 + i);
		put(in, line, 0, &g);
		ck_assert_uint_eq(g.n, i == 0 ? N : 0);
	}
	for (i = 0; i < N; i++) {
		ck_assert_uint_eq(g.ev[i].serial, (uint64_t)(100000 + i));
		ck_assert_uint_eq(g.ev[i].n, 2);
		ck_assert(g.ev[i].has_eoe);
	}
	intake_get_stats(in, &st);
	ck_assert_uint_eq(st.kept, 2 * N);
	ck_assert_uint_eq(st.evicted, 0);
	got_free(&g);
	intake_free(in);
}
END_TEST

Suite *intake_suite(void)
{
	Suite *s = suite_create("intake");
	TCase *tp = tcase_create("prefilter");
	TCase *ta = tcase_create("assembly");

	tcase_add_loop_test(tp, test_parse_table, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	suite_add_tcase(s, tp);

	tcase_set_timeout(ta, 60);
	tcase_add_loop_test(ta, test_vm_corpus, 0, 4);
	tcase_add_test(ta, test_non_ima_dropped);
	tcase_add_test(ta, test_interleaved_order);
	tcase_add_test(ta, test_quiet_time);
	tcase_add_test(ta, test_head_of_line);
	tcase_add_test(ta, test_eviction);
	tcase_add_test(ta, test_max_records);
	tcase_add_test(ta, test_max_bytes);
	tcase_add_test(ta, test_late_and_reopen);
	tcase_add_test(ta, test_nodes_apart);
	tcase_add_test(ta, test_flush_order);
	tcase_add_test(ta, test_stats_exact);
	tcase_add_test(ta, test_many_open);
	suite_add_tcase(s, ta);
	return s;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The window operator: window assignment at the boundaries, hopping overlaps, session
 * merges out of order, grace and lateness, every aggregate, EMIT CHANGES pacing, the
 * bounds; the sketches' error bounds on generated data; and a property test against a
 * slow exact reference on random out-of-order streams. Rules are compiled by the real
 * compiler. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pat_rules.h"
#include "unit.h"
#include "windows/win_agg.h"
#include "windows/win_sketch.h"

static const char stream_src[] =
	"CREATE STREAM s (ts TIMESTAMP, k STRING, v BIGINT, d DOUBLE, g BIGINT) "
	"WITH (format = 'json', port = 1, timestamp = 'ts');\n";
enum { C_TS, C_K, C_V, C_D, C_G };

/* ---- results as the operator emits them ---- */

#define MAX_RES	  200000
#define MAX_SLOTS 16

struct res {
	char key[32];
	int64_t start, end;
	uint64_t events;
	bool final;
	double slot[MAX_SLOTS];
	bool null[MAX_SLOTS];
};

static struct res *results;
static unsigned int n_res;
static unsigned int n_slots;

static void collect(void *ctx, const struct win_result *r)
{
	struct res *o = &results[n_res];
	unsigned int k;

	(void)ctx;
	if (n_res == MAX_RES)
		return;
	n_res++;
	memset(o, 0, sizeof(*o));
	if (r->key->present >> C_K & 1)
		snprintf(o->key, sizeof(o->key), "%.*s", (int)r->key->v[C_K].s.len,
			 (const char *)r->key->v[C_K].s.p);
	else
		snprintf(o->key, sizeof(o->key), "(null)");
	o->start = r->start;
	o->end = r->end;
	o->events = r->events;
	o->final = r->final;
	for (k = 0; k < n_slots && k < MAX_SLOTS; k++) {
		const struct pat_val *v = &r->slots[k];

		o->null[k] = v->null;
		o->slot[k] = v->type == PAT_T_DOUBLE ? v->d : (double)v->i;
	}
}

/* A compiled rule and its operator. */
struct op {
	struct pat_ruleset *rs;
	struct win_spec sp;
	struct win_state *st;
};

static int op_open(struct op *o, const char *rule)
{
	char src[4096];
	struct pat_diags d = { 0 };
	int rc;

	snprintf(src, sizeof(src), "%s%s", stream_src, rule);
	rc = pat_compile("t.rql", src, strlen(src), &o->rs, &d);
	if (rc != 0) {
		fprintf(stderr, "compile failed: %s\n", d.n ? d.msgs[0] : "?");
		pat_diags_free(&d);
		return -1;
	}
	win_spec_init(&o->sp, &o->rs->rules[0], &o->rs->streams[0]);
	n_slots = o->sp.n_aggs;
	o->st = win_state_new(&o->sp, collect, NULL);
	n_res = 0;
	return o->st ? 0 : -1;
}

static void op_close(struct op *o)
{
	win_state_free(o->st);
	pat_ruleset_free(o->rs);
}

static struct fmt_row ev(int64_t ts, const char *k, int64_t v)
{
	struct fmt_row r;

	memset(&r, 0, sizeof(r));
	r.ts_ms = ts;
	r.v[C_TS].i = ts;
	r.present = 1u << C_TS;
	if (k != NULL) {
		r.v[C_K].s.p = (const uint8_t *)k;
		r.v[C_K].s.len = (uint32_t)strlen(k);
		r.present |= 1u << C_K;
	}
	r.v[C_V].i = v;
	r.present |= 1u << C_V;
	return r;
}

static enum win_verdict add(struct op *o, int64_t ts, const char *k, int64_t v, int64_t W)
{
	struct fmt_row r = ev(ts, k, v);

	return win_add(o->st, &r, W, 0);
}

/* The result of key k for window [s, e), or NULL. */
static const struct res *find(const char *k, int64_t s, int64_t e)
{
	unsigned int i;

	for (i = 0; i < n_res; i++)
		if (strcmp(results[i].key, k) == 0 && results[i].start == s && results[i].end == e)
			return &results[i];
	return NULL;
}

static void expect_count(const char *k, int64_t s, int64_t e, double n)
{
	const struct res *r = find(k, s, e);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->slot[0], n);
	CU_ASSERT_TRUE(r->final);
}

/* ---- window assignment ---- */

static void test_tumbling_boundaries(void)
{
	struct op o;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY k;"),
			      0);
	CU_ASSERT_EQUAL(add(&o, -1, "x", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 0, "x", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 999, "x", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 1000, "x", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 2500, "x", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 0, "y", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(n_res, 0);
	CU_ASSERT_EQUAL(win_next_close(o.st), 0); /* [-1000, 0) closes first */
	/* W = 1000 closes [-1000, 0) and [0, 1000) of both keys, not [1000, 2000) */
	win_advance(o.st, 1000);
	CU_ASSERT_EQUAL(n_res, 3);
	expect_count("x", -1000, 0, 1);
	expect_count("x", 0, 1000, 2);
	expect_count("y", 0, 1000, 1);
	CU_ASSERT_EQUAL(results[0].start, -1000); /* in close order */
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 5);
	expect_count("x", 1000, 2000, 1);
	expect_count("x", 2000, 3000, 1);
	CU_ASSERT_EQUAL(win_next_close(o.st), INT64_MAX);
	op_close(&o);
}

static void test_hopping_overlaps(void)
{
	struct op o;

	CU_ASSERT_EQUAL_FATAL(
		op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
			    "WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY k;"),
		0);
	CU_ASSERT_EQUAL(add(&o, 7000, "x", 0, INT64_MIN), WIN_ADDED);  /* [0,10) [5,15) */
	CU_ASSERT_EQUAL(add(&o, 12000, "x", 0, INT64_MIN), WIN_ADDED); /* [5,15) [10,20) */
	CU_ASSERT_EQUAL(add(&o, 3000, "x", 0, INT64_MIN), WIN_ADDED);  /* [-5,5) [0,10) */
	CU_ASSERT_EQUAL(add(&o, 5000, "x", 0, INT64_MIN), WIN_ADDED);  /* [0,10) [5,15) */
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 4);
	expect_count("x", -5000, 5000, 1);
	expect_count("x", 0, 10000, 3);
	expect_count("x", 5000, 15000, 3);
	expect_count("x", 10000, 20000, 1);
	op_close(&o);

	/* SIZE 1 MINUTE, ADVANCE BY 15 SECONDS: four windows an event */
	CU_ASSERT_EQUAL_FATAL(
		op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
			    "WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 15 SECONDS) GROUP BY k;"),
		0);
	CU_ASSERT_EQUAL(add(&o, 60000, "x", 0, INT64_MIN), WIN_ADDED);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 4);
	expect_count("x", 15000, 75000, 1);
	expect_count("x", 60000, 120000, 1);
	CU_ASSERT_PTR_NULL(find("x", 0, 60000)); /* end exclusive */
	op_close(&o);
}

static void test_session_merges(void)
{
	struct op o;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n, "
					  "SUM(v) AS t FROM s WINDOW SESSION (10 MILLISECONDS) "
					  "GROUP BY k;"),
			      0);
	/* two sessions [0,10) and [25,35); 9 extends the first to [0,19); 18 bridges
	 * both: one session [0,35) of four events */
	CU_ASSERT_EQUAL(add(&o, 0, "x", 1, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 25, "x", 2, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 9, "x", 4, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 40, "y", 100, INT64_MIN), WIN_ADDED);
	win_advance(o.st, 19); /* [0,19) would close here had 18 not come */
	CU_ASSERT_EQUAL(n_res, 1);
	CU_ASSERT_STRING_EQUAL(results[0].key, "x");
	CU_ASSERT_EQUAL(results[0].start, 0);
	CU_ASSERT_EQUAL(results[0].end, 19);
	n_res = 0;
	CU_ASSERT_EQUAL(add(&o, 30, "x", 8, 19), WIN_ADDED);  /* joins [25,35) -> [25,40) */
	CU_ASSERT_EQUAL(add(&o, 16, "x", 16, 19), WIN_ADDED); /* [16,26) meets [25,40) */
	CU_ASSERT_EQUAL(add(&o, 5, "x", 0, 19), WIN_LATE);    /* only [0,19) held it: gone */
	win_advance(o.st, 45);
	CU_ASSERT_EQUAL(n_res, 1);
	CU_ASSERT_EQUAL(results[0].start, 16);
	CU_ASSERT_EQUAL(results[0].end, 40);
	CU_ASSERT_EQUAL(results[0].slot[0], 3);
	CU_ASSERT_EQUAL(results[0].slot[1], 26);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 2);
	CU_ASSERT_STRING_EQUAL(results[1].key, "y");
	CU_ASSERT_EQUAL(results[1].start, 40);
	CU_ASSERT_EQUAL(results[1].end, 50);
	op_close(&o);

	/* out of order, one merge of three sessions by one event */
	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW SESSION (10 MILLISECONDS) GROUP BY k;"),
			      0);
	add(&o, 100, "x", 0, INT64_MIN);
	add(&o, 80, "x", 0, INT64_MIN);
	add(&o, 120, "x", 0, INT64_MIN);
	add(&o, 60, "x", 0, INT64_MIN);
	add(&o, 91, "x", 0, INT64_MIN);	 /* [91,101) meets [100,110), not [80,90) */
	add(&o, 110, "x", 0, INT64_MIN); /* [110,120) touches [91,110) and [120,130) */
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 3);
	expect_count("x", 60, 70, 1);
	expect_count("x", 80, 90, 1);
	expect_count("x", 91, 130, 4);
	op_close(&o);
}

static void test_grace_and_lateness(void)
{
	struct op o;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW TUMBLING (SIZE 10 MILLISECONDS, GRACE PERIOD 5 "
					  "MILLISECONDS) GROUP BY k;"),
			      0);
	CU_ASSERT_EQUAL(add(&o, 3, "x", 0, INT64_MIN), WIN_ADDED);
	win_advance(o.st, 14);
	CU_ASSERT_EQUAL(n_res, 0); /* closes at W >= 10 + 5 */
	CU_ASSERT_EQUAL(add(&o, 8, "x", 0, 14), WIN_ADDED);
	win_advance(o.st, 15);
	CU_ASSERT_EQUAL(n_res, 1);
	expect_count("x", 0, 10, 2);
	CU_ASSERT_EQUAL(add(&o, 9, "x", 0, 15), WIN_LATE);
	CU_ASSERT_EQUAL(add(&o, 9, "z", 0, 15), WIN_LATE); /* a new key as well */
	CU_ASSERT_EQUAL(add(&o, 12, "x", 0, 15), WIN_ADDED);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 2);
	expect_count("x", 0, 10, 2); /* the late events changed nothing */
	expect_count("x", 10, 20, 1);
	op_close(&o);

	/* hopping: an event whose older windows closed still counts in the open one */
	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW HOPPING (SIZE 10 MILLISECONDS, ADVANCE BY 5 "
					  "MILLISECONDS) GROUP BY k;"),
			      0);
	CU_ASSERT_EQUAL(add(&o, 7, "x", 0, 10), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 4, "x", 0, 10), WIN_LATE);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 1);
	expect_count("x", 5, 15, 1);
	op_close(&o);
}

/* ---- aggregates ---- */

static void test_every_aggregate(void)
{
	struct op o;
	struct fmt_row r;
	const struct res *x;
	int i;

	CU_ASSERT_EQUAL_FATAL(
		op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS c, COUNT(v) AS cv, "
			    "SUM(v) AS sv, SUM(d) AS sd, MIN(v) AS mi, MAX(d) AS mx, AVG(v) AS av, "
			    "COUNT_DISTINCT(g) AS cd, PERCENTILE_APPROX(d, 0.5) AS p50, "
			    "MIN(ts) AS first, AVG(d) AS ad "
			    "FROM s WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY k;"),
		0);
	/* x: v = 1..10 but v NULL for the 10th event, d = -2.5 * i, g = i % 3 */
	for (i = 1; i <= 10; i++) {
		r = ev(1000 + i, "x", i);
		if (i == 10)
			r.present &= ~(1u << C_V);
		r.v[C_D].d = -2.5 * i;
		r.v[C_G].i = i % 3;
		r.present |= 1u << C_D | 1u << C_G;
		CU_ASSERT_EQUAL(win_add(o.st, &r, INT64_MIN, 0), WIN_ADDED);
	}
	/* y: BIGINT overflow of SUM, every d NULL */
	CU_ASSERT_EQUAL(add(&o, 5, "y", INT64_MAX, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 6, "y", 1, INT64_MIN), WIN_ADDED);
	/* a NULL key is a key of its own */
	CU_ASSERT_EQUAL(add(&o, 7, NULL, 3, INT64_MIN), WIN_ADDED);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL_FATAL(n_res, 3);
	x = find("x", 0, 60000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->slot[0], 10);
	CU_ASSERT_EQUAL(x->slot[1], 9);
	CU_ASSERT_EQUAL(x->slot[2], 45);
	CU_ASSERT_DOUBLE_EQUAL(x->slot[3], -137.5, 1e-9);
	CU_ASSERT_EQUAL(x->slot[4], 1);
	CU_ASSERT_DOUBLE_EQUAL(x->slot[5], -2.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(x->slot[6], 5.0, 1e-12);
	CU_ASSERT_EQUAL(x->slot[7], 3);
	/* nearest rank 5 of -25, -22.5, ... -2.5 is -15; within 1% */
	CU_ASSERT(fabs(x->slot[8] - -15) <= 0.15);
	CU_ASSERT_EQUAL(x->slot[9], 1001);
	CU_ASSERT_DOUBLE_EQUAL(x->slot[10], -13.75, 1e-12);
	x = find("y", 0, 60000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->slot[0], 2);
	CU_ASSERT_TRUE(x->null[2]);	/* overflow */
	CU_ASSERT_TRUE(x->null[3]);	/* SUM of no value */
	CU_ASSERT_FALSE(x->null[4]);	/* MIN(v) is there */
	CU_ASSERT_TRUE(x->null[5]);	/* MAX(d) of none */
	CU_ASSERT_TRUE(x->null[8]);	/* percentile of none */
	CU_ASSERT_EQUAL(x->slot[7], 0); /* no g: no distinct value */
	CU_ASSERT_TRUE(x->null[10]);
	x = find("(null)", 0, 60000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->slot[2], 3);
	op_close(&o);
}

/* A session merge gives the aggregates of one window over the same events. */
static void test_merge_equals_one_window(void)
{
	static const char sel[] = "SELECT k, COUNT(*) AS c, SUM(v) AS sv, MIN(v) AS mi, "
				  "MAX(v) AS mx, AVG(d) AS ad, COUNT_DISTINCT(g) AS cd, "
				  "PERCENTILE_APPROX(d, 0.9) AS p FROM s ";
	char rule[1024];
	struct res one;
	struct op o;
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		snprintf(rule, sizeof(rule), "CREATE AGGREGATE a AS %s WINDOW %s GROUP BY k;", sel,
			 pass ? "SESSION (100 MILLISECONDS)" : "TUMBLING (SIZE 1 DAY)");
		CU_ASSERT_EQUAL_FATAL(op_open(&o, rule), 0);
		/* sessions at 0, 1000, 2000, ... each of 40 events and 200 distinct g
		 * among them, bridged at the end by events between them */
		for (i = 0; i < 400; i++) {
			struct fmt_row r = ev((i % 10) * 1000 + i / 10, "x", i);

			r.v[C_D].d = i * 1.5;
			r.v[C_G].i = i % 200;
			r.present |= 1u << C_D | 1u << C_G;
			CU_ASSERT_EQUAL(win_add(o.st, &r, INT64_MIN, 0), WIN_ADDED);
		}
		for (i = 0; i < 9 * 20; i++) {
			struct fmt_row r = ev(40 + i * 50, "x", 0);

			CU_ASSERT_EQUAL(win_add(o.st, &r, INT64_MIN, 0), WIN_ADDED);
		}
		win_advance(o.st, INT64_MAX);
		CU_ASSERT_EQUAL_FATAL(n_res, 1);
		if (pass == 0) {
			one = results[0];
		} else {
			CU_ASSERT_EQUAL(results[0].start, 0);
			for (i = 0; i < 7; i++)
				CU_ASSERT_DOUBLE_EQUAL(results[0].slot[i], one.slot[i],
						       1e-9 * fabs(one.slot[i]));
		}
		op_close(&o);
	}
	CU_ASSERT_EQUAL(one.slot[0], 580);
	CU_ASSERT(fabs(one.slot[5] - 200) <= 2); /* 200 distinct g: the HyperLogLog */
}

static void test_emit_changes(void)
{
	struct op o;
	struct fmt_row r;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a WITH (emit_interval = '1 SECOND') "
					  "AS SELECT k, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE "
					  "1 MINUTE) GROUP BY k EMIT CHANGES;"),
			      0);
	r = ev(10, "x", 0);
	win_add(o.st, &r, INT64_MIN, 0); /* first change: emitted at once */
	CU_ASSERT_EQUAL_FATAL(n_res, 1);
	CU_ASSERT_FALSE(results[0].final);
	CU_ASSERT_EQUAL(results[0].slot[0], 1);
	win_add(o.st, &r, INT64_MIN, 500);
	win_add(o.st, &r, INT64_MIN, 999);
	win_tick(o.st, 999);
	CU_ASSERT_EQUAL(n_res, 1); /* at most once a second */
	win_tick(o.st, 1000);
	CU_ASSERT_EQUAL_FATAL(n_res, 2);
	CU_ASSERT_EQUAL(results[1].slot[0], 3);
	win_tick(o.st, 5000);
	CU_ASSERT_EQUAL(n_res, 2); /* no change, nothing sent */
	win_add(o.st, &r, INT64_MIN, 5001);
	CU_ASSERT_EQUAL_FATAL(n_res, 3);
	CU_ASSERT_EQUAL(results[2].slot[0], 4);
	win_add(o.st, &r, INT64_MIN, 5002);
	win_advance(o.st, INT64_MAX); /* the final value at close, pending change or not */
	CU_ASSERT_EQUAL_FATAL(n_res, 4);
	CU_ASSERT_TRUE(results[3].final);
	CU_ASSERT_EQUAL(results[3].slot[0], 5);
	win_tick(o.st, 100000);
	CU_ASSERT_EQUAL(n_res, 4); /* a closed window has no changes left */
	op_close(&o);
}

static void test_bounds(void)
{
	struct op o;
	struct win_usage u;
	char key[16];
	int i, full = 0;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a WITH (max_keys = 2) AS "
					  "SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW TUMBLING (SIZE 10 MILLISECONDS) GROUP BY k;"),
			      0);
	CU_ASSERT_EQUAL(add(&o, 1, "a", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 1, "b", 0, INT64_MIN), WIN_ADDED);
	CU_ASSERT_EQUAL(add(&o, 1, "c", 0, INT64_MIN), WIN_FULL);
	CU_ASSERT_EQUAL(add(&o, 2, "a", 0, INT64_MIN), WIN_ADDED); /* known keys go on */
	win_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 2);
	CU_ASSERT_EQUAL(u.windows, 2);
	CU_ASSERT(u.bytes > 0);
	win_advance(o.st, 10); /* both keys' windows close: the keys stay, idle */
	win_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 2);
	CU_ASSERT_EQUAL(u.windows, 0);
	CU_ASSERT_EQUAL(add(&o, 11, "b", 0, 10), WIN_ADDED); /* b comes back */
	CU_ASSERT_EQUAL(add(&o, 11, "c", 0, 10), WIN_ADDED); /* a, idle, makes room */
	CU_ASSERT_EQUAL(add(&o, 12, "d", 0, 10), WIN_FULL);  /* b and c are busy */
	CU_ASSERT_EQUAL(add(&o, 12, "a", 0, 10), WIN_FULL);  /* a was forgotten */
	win_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 2);
	CU_ASSERT_EQUAL(u.windows, 2);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 4);
	expect_count("a", 0, 10, 2);
	expect_count("b", 10, 20, 1);
	expect_count("c", 10, 20, 1);
	op_close(&o);

	/* 1 MiB of sketches: registers of 128 KiB each run out after a few keys */
	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a WITH (max_state_mb = 1) AS "
					  "SELECT k, COUNT_DISTINCT(g) AS n FROM s "
					  "WINDOW TUMBLING (SIZE 10 MILLISECONDS) GROUP BY k;"),
			      0);
	for (i = 0; i < 20 * 100; i++) {
		struct fmt_row r;

		snprintf(key, sizeof(key), "k%d", i / 100);
		r = ev(1, key, 0);
		r.v[C_G].i = i;
		r.present |= 1u << C_G;
		full += win_add(o.st, &r, INT64_MIN, 0) == WIN_FULL;
	}
	CU_ASSERT(full > 0);
	win_usage(o.st, &u);
	CU_ASSERT(u.bytes <= 2u << 20);
	CU_ASSERT_EQUAL(u.keys, 20);
	op_close(&o);
}

static void test_out_of_range_time(void)
{
	struct op o;

	CU_ASSERT_EQUAL_FATAL(op_open(&o, "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n FROM s "
					  "WINDOW TUMBLING (SIZE 10 MILLISECONDS) GROUP BY k;"),
			      0);
	CU_ASSERT_EQUAL(add(&o, INT64_MAX, "a", 0, INT64_MIN), WIN_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(add(&o, INT64_MIN, "a", 0, INT64_MIN), WIN_OUT_OF_RANGE);
	CU_ASSERT_EQUAL(add(&o, WIN_MAX_TIME, "a", 0, INT64_MIN), WIN_ADDED);
	win_advance(o.st, INT64_MAX);
	CU_ASSERT_EQUAL(n_res, 1);
	op_close(&o);
}

/* ---- sketches ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_distinct_error(void)
{
	static const unsigned int sizes[] = { 1, 10, 64, 65, 100, 1000, 10000, 100000, 1000000 };
	struct win_arena ar;
	unsigned int s, i, kind;
	char buf[32];

	CU_ASSERT_EQUAL_FATAL(win_arena_init(&ar, 16u << 20), 0);
	for (kind = 0; kind < 2; kind++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			struct win_acc acc = { 0 };
			uint64_t n = sizes[s], est;
			double err;

			for (i = 0; i < n; i++) {
				uint64_t h;

				if (kind == 0) { /* strings, each given twice */
					int len = snprintf(buf, sizeof(buf), "card-%u", i);

					h = win_hash64(buf, (size_t)len, 3);
				} else { /* sequential integers */
					h = win_mix64(i * 2 + 1000000);
				}
				CU_ASSERT_EQUAL(win_distinct_add(&acc, h, &ar), 0);
				CU_ASSERT_EQUAL(win_distinct_add(&acc, h, &ar), 0);
			}
			est = win_distinct_count(&acc);
			err = fabs((double)est - (double)n) / (double)n;
			if (n <= WIN_DISTINCT_EXACT)
				CU_ASSERT_EQUAL(est, n);
			CU_ASSERT(err <= 0.01);
			if (err > 0.01)
				fprintf(stderr, "distinct kind %u n %" PRIu64 ": %" PRIu64 "\n",
					kind, n, est);
			win_distinct_free(&acc, &ar);
		}
	}
	CU_ASSERT_EQUAL(ar.used, 0);
	win_arena_fini(&ar);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The hash behind keys and COUNT_DISTINCT: it reads only the bytes it is given (each
 * length hashed at the very end of its allocation, for ASan), the seed and every
 * length and byte count, and one flipped input bit flips about half the output bits. */
static void test_hash(void)
{
	uint8_t base[40];
	uint64_t h[41], flips = 0, trials = 0;
	unsigned int len, i, b;

	for (i = 0; i < sizeof(base); i++)
		base[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(base); len++) {
		uint8_t *tail = malloc(len ? len : 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(tail);
		memcpy(tail, base, len);
		h[len] = win_hash64(tail, len, 7);
		CU_ASSERT_EQUAL(h[len], win_hash64(base, len, 7));
		CU_ASSERT_NOT_EQUAL(h[len], win_hash64(base, len, 8));
		for (i = 0; i < len; i++) {
			for (b = 0; b < 8; b++) {
				uint64_t x;

				tail[i] ^= (uint8_t)(1u << b);
				x = win_hash64(tail, len, 7) ^ h[len];
				tail[i] ^= (uint8_t)(1u << b);
				CU_ASSERT_NOT_EQUAL(x, 0);
				flips += (uint64_t)__builtin_popcountll(x);
				trials++;
			}
		}
		free(tail);
	}
	/* the prefixes of one buffer: every length its own hash */
	for (len = 0; len <= sizeof(base); len++)
		for (i = 0; i < len; i++)
			CU_ASSERT_NOT_EQUAL(h[i], h[len]);
	CU_ASSERT(flips > trials * 30 && flips < trials * 34);
}

static void test_percentile_error(void)
{
	static const double ps[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999 };
	enum { N = 100000 };
	double *v = malloc(N * sizeof(*v));
	struct win_arena ar;
	unsigned int dist, i, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL_FATAL(win_arena_init(&ar, 16u << 20), 0);
	CU_ASSERT_DOUBLE_EQUAL(WIN_DD_INV_LOG_GAMMA,
			       1 / log((1 + WIN_DD_ALPHA) / (1 - WIN_DD_ALPHA)), 1e-9);
	for (dist = 0; dist < 5; dist++) {
		struct win_acc acc = { 0 }, half = { 0 };

		for (i = 0; i < N; i++) {
			double u = (double)(rnd() >> 11) / 9007199254740992.0;

			switch (dist) {
			case 0: /* uniform amounts */
				v[i] = u * 1000;
				break;
			case 1: /* log-normal latencies over 8 decades */
				v[i] = exp((u - 0.5) * 18);
				break;
			case 2: /* signed, with zeros */
				v[i] = (i % 7 == 0) ? 0 : (u - 0.3) * 1e6;
				break;
			case 3: /* integers with many ties */
				v[i] = (double)(rnd() % 20);
				break;
			default: /* tiny and huge together */
				v[i] = (i & 1) ? u * 1e-9 : u * 1e12;
				break;
			}
			CU_ASSERT_EQUAL(win_dd_add(i < N / 2 ? &acc : &half, v[i], &ar), 0);
		}
		CU_ASSERT_EQUAL(win_dd_merge(&acc, &half, &ar), 0);
		qsort(v, N, sizeof(*v), cmp_double);
		for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			double exact = v[(size_t)ceil(ps[k] * N) - 1], est;

			CU_ASSERT_EQUAL_FATAL(win_dd_quantile(&acc, ps[k], &est), 0);
			CU_ASSERT(fabs(est - exact) <= 0.01 * fabs(exact));
			if (fabs(est - exact) > 0.01 * fabs(exact))
				fprintf(stderr, "dist %u p %g: %g, exact %g\n", dist, ps[k], est,
					exact);
		}
		win_dd_free(&acc, &ar);
		win_dd_free(&half, &ar);
	}
	CU_ASSERT_EQUAL(ar.used, 0);
	win_arena_fini(&ar);
	free(v);
}

/* ---- property: the operator against a slow exact reference ---- */

struct ref_ev {
	int64_t ts, v, g;
};

struct ref_win {
	char key[8];
	int64_t start, end;
	unsigned int n;
	struct ref_ev *ev;
	bool open;
};

static struct ref_win *rw;
static unsigned int n_rw;
static struct res *expect;
static unsigned int n_expect;

static void ref_put(struct ref_win *w, const struct ref_ev *e)
{
	w->ev = realloc(w->ev, (w->n + 1) * sizeof(*w->ev));
	w->ev[w->n++] = *e;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact aggregates of a closing window: COUNT(*), SUM(v), MIN(v), MAX(v),
 * COUNT_DISTINCT(g) */
static void ref_emit(struct ref_win *w)
{
	struct res *o = &expect[n_expect++];
	int64_t *g = malloc(w->n * sizeof(*g));
	unsigned int i, d = 0;

	memset(o, 0, sizeof(*o));
	snprintf(o->key, sizeof(o->key), "%s", w->key);
	o->start = w->start;
	o->end = w->end;
	o->final = true;
	o->slot[0] = w->n;
	o->slot[2] = (double)INT64_MAX;
	o->slot[3] = (double)INT64_MIN;
	for (i = 0; i < w->n; i++) {
		o->slot[1] += (double)w->ev[i].v;
		o->slot[2] = fmin(o->slot[2], (double)w->ev[i].v);
		o->slot[3] = fmax(o->slot[3], (double)w->ev[i].v);
		g[i] = w->ev[i].g;
	}
	qsort(g, w->n, sizeof(*g), cmp_i64);
	for (i = 0; i < w->n; i++)
		d += i == 0 || g[i] != g[i - 1];
	o->slot[4] = d;
	free(g);
	w->open = false;
}

static void ref_close(int64_t W, int64_t grace)
{
	unsigned int i;

	for (i = 0; i < n_rw; i++)
		if (rw[i].open && rw[i].end + grace <= W)
			ref_emit(&rw[i]);
}

static struct ref_win *ref_new(const char *key, int64_t s, int64_t e)
{
	struct ref_win *w = &rw[n_rw++];

	memset(w, 0, sizeof(*w));
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->start = s;
	w->end = e;
	w->open = true;
	return w;
}

/* The reference's verdict on one event: fixed windows. */
static enum win_verdict ref_fixed(const char *key, const struct ref_ev *e, int64_t size,
				  int64_t adv, int64_t grace, int64_t W)
{
	int64_t s, last = (int64_t)floor((double)e->ts / (double)adv) * adv;
	unsigned int i;
	bool any = false;

	for (s = last; s > e->ts - size; s -= adv) {
		struct ref_win *w = NULL;

		if (s + size + grace <= W)
			continue;
		any = true;
		for (i = 0; i < n_rw; i++)
			if (rw[i].open && rw[i].start == s && strcmp(rw[i].key, key) == 0)
				w = &rw[i];
		if (w == NULL)
			w = ref_new(key, s, s + size);
		ref_put(w, e);
	}
	return any ? WIN_ADDED : WIN_LATE;
}

/* Sessions: every open session of the key that [ts, ts + gap) overlaps, and the
 * event, become one. */
static enum win_verdict ref_session(const char *key, const struct ref_ev *e, int64_t gap,
				    int64_t grace, int64_t W)
{
	struct ref_win *into = NULL;
	unsigned int i, j;

	for (i = 0; i < n_rw; i++) {
		struct ref_win *w = &rw[i];

		if (!w->open || strcmp(w->key, key) != 0 ||
		    !(e->ts <= w->end && w->start <= e->ts + gap))
			continue;
		if (into == NULL) {
			into = w;
			continue;
		}
		for (j = 0; j < w->n; j++)
			ref_put(into, &w->ev[j]);
		into->start = into->start < w->start ? into->start : w->start;
		into->end = into->end > w->end ? into->end : w->end;
		w->open = false;
		w->n = 0;
	}
	if (into == NULL) {
		if (e->ts + gap + grace <= W)
			return WIN_LATE;
		into = ref_new(key, e->ts, e->ts + gap);
	}
	if (e->ts < into->start)
		into->start = e->ts;
	if (e->ts + gap > into->end)
		into->end = e->ts + gap;
	ref_put(into, e);
	return WIN_ADDED;
}

static int cmp_res(const void *a, const void *b)
{
	const struct res *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static void property_run(unsigned int kind, unsigned int seed)
{
	static const char *const windows[] = {
		"TUMBLING (SIZE 100 MILLISECONDS, GRACE PERIOD 20 MILLISECONDS)",
		"HOPPING (SIZE 100 MILLISECONDS, ADVANCE BY 25 MILLISECONDS)",
		"SESSION (30 MILLISECONDS, GRACE PERIOD 10 MILLISECONDS)",
	};
	static const char *const keys[] = { "a", "b", "c", "d", "e" };
	enum { N = 3000 };
	const int64_t delay = 50;
	char rule[512];
	struct op o;
	int64_t max_ts = INT64_MIN, W = INT64_MIN, ts = 100000;
	unsigned int i, mismatch = 0, verdicts = 0, late = 0;

	rng_state = 0x9E3779B97F4A7C15ull * (seed + 1);
	snprintf(rule, sizeof(rule),
		 "CREATE AGGREGATE a AS SELECT k, COUNT(*) AS n, SUM(v) AS t, MIN(v) AS lo, "
		 "MAX(v) AS hi, COUNT_DISTINCT(g) AS cd FROM s WINDOW %s GROUP BY k;",
		 windows[kind]);
	CU_ASSERT_EQUAL_FATAL(op_open(&o, rule), 0);
	rw = calloc(N * 4, sizeof(*rw));
	expect = calloc(N * 4, sizeof(*expect));
	n_rw = n_expect = 0;
	for (i = 0; i < N; i++) {
		const char *key = keys[rnd() % 5];
		struct ref_ev e;
		struct fmt_row r;
		enum win_verdict got, want;

		/* mostly forward, often out of order, sometimes far behind (late) */
		ts += (int64_t)(rnd() % 15);
		e.ts = ts - (rnd() % 4 == 0 ? (int64_t)(rnd() % 80) : 0) -
		       (rnd() % 50 == 0 ? (int64_t)(rnd() % 400) : 0);
		e.v = (int64_t)(rnd() % 1000) - 500;
		e.g = (int64_t)(rnd() % 20);
		r = ev(e.ts, key, e.v);
		r.v[C_G].i = e.g;
		r.present |= 1u << C_G;
		if (seed & 1) {
			/* what a state lcore does over a ring burst: hashed and fetched
			 * ahead, then added with the hash */
			uint64_t h = win_hash(o.st, &r);

			win_prefetch_slot(o.st, h);
			win_prefetch_key(o.st, h);
			got = win_add_hashed(o.st, &r, h, W, 0);
		} else {
			got = win_add(o.st, &r, W, 0);
		}
		want = kind == 2 ? ref_session(key, &e, 30, 10, W)
				 : ref_fixed(key, &e, 100, kind == 0 ? 100 : 25, kind == 0 ? 20 : 0,
					     W);
		verdicts += got == want;
		late += want == WIN_LATE;
		/* the watermark follows the event, as the data path's does */
		if (e.ts > max_ts)
			max_ts = e.ts;
		if (max_ts - delay > W) {
			W = max_ts - delay;
			win_advance(o.st, W);
			ref_close(W, kind == 0 ? 20 : kind == 2 ? 10 : 0);
		}
	}
	win_advance(o.st, INT64_MAX);
	ref_close(INT64_MAX, 0);
	CU_ASSERT_EQUAL(verdicts, N);
	CU_ASSERT(late > 10); /* the stream does have late events */
	CU_ASSERT_EQUAL_FATAL(n_res, n_expect);
	qsort(results, n_res, sizeof(*results), cmp_res);
	qsort(expect, n_expect, sizeof(*expect), cmp_res);
	for (i = 0; i < n_res; i++) {
		const struct res *a = &results[i], *b = &expect[i];

		if (cmp_res(a, b) != 0 || a->slot[0] != b->slot[0] || a->slot[1] != b->slot[1] ||
		    a->slot[2] != b->slot[2] || a->slot[3] != b->slot[3] ||
		    a->slot[4] != b->slot[4] || !a->final)
			mismatch++;
	}
	CU_ASSERT_EQUAL(mismatch, 0);
	for (i = 0; i < n_rw; i++)
		free(rw[i].ev);
	free(rw);
	free(expect);
	op_close(&o);
}

static void test_property_tumbling(void)
{
	unsigned int seed;

	for (seed = 0; seed < 5; seed++)
		property_run(0, seed);
}

static void test_property_hopping(void)
{
	unsigned int seed;

	for (seed = 0; seed < 5; seed++)
		property_run(1, seed);
}

static void test_property_session(void)
{
	unsigned int seed;

	for (seed = 0; seed < 5; seed++)
		property_run(2, seed);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "tumbling windows at their boundaries", test_tumbling_boundaries },
		{ "hopping windows overlap", test_hopping_overlaps },
		{ "sessions merge across out-of-order events", test_session_merges },
		{ "grace period and late events", test_grace_and_lateness },
		{ "every aggregate, NULLs and overflow", test_every_aggregate },
		{ "a session merge equals one window", test_merge_equals_one_window },
		{ "EMIT CHANGES at most once an interval", test_emit_changes },
		{ "key and memory bounds", test_bounds },
		{ "event times out of range", test_out_of_range_time },
		{ "COUNT_DISTINCT within 1%", test_distinct_error },
		{ "hash: bounds, every bit counts", test_hash },
		{ "PERCENTILE_APPROX within 1%", test_percentile_error },
		{ "property: tumbling vs reference", test_property_tumbling },
		{ "property: hopping vs reference", test_property_hopping },
		{ "property: session vs reference", test_property_session },
		{ NULL, NULL },
	};
	int rc;

	results = calloc(MAX_RES, sizeof(*results));
	if (results == NULL)
		return 1;
	rc = unit_run("win", tests);
	free(results);
	return rc;
}

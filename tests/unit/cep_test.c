/* SPDX-License-Identifier: BSD-3-Clause */
/* MATCH_RECOGNIZE: the pattern compiler (symbol expressions, quantifiers, alternation,
 * nesting, variables without DEFINE, overlapping DEFINEs), the verifier (which match
 * is reported, WITHIN, preference, measures), partitions and bounds; and a property
 * test of the Hyperscan path against a slow backtracking matcher written apart, on
 * random patterns and random rows. Rules are compiled by the real compiler. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/cep.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"
#include "unit.h"

/* v is the row's symbol as a number: DEFINE A AS bit 0 of v, B bit 1, C bit 2. */
static const char stream_src[] =
	"CREATE STREAM s (ts TIMESTAMP, k STRING, v BIGINT, d DOUBLE, m STRING) "
	"WITH (format = 'json', port = 1, timestamp = 'ts');\n";
enum { C_TS, C_K, C_V, C_D, C_M };

#define DEFINE_AB  "DEFINE A AS v % 2 = 1, B AS v / 2 % 2 = 1"
#define DEFINE_ABC DEFINE_AB ", C AS v / 4 % 2 = 1"

/* DEFINE A, B and C as bits 0, 1 and 2 of v + rot, those of them that pattern (the
 * text up to WITHIN) names. */
static void define_abc(char *o, size_t cap, const char *pattern, int rot)
{
	const char *end = strstr(pattern, "WITHIN");
	size_t n = end ? (size_t)(end - pattern) : strlen(pattern), len;
	int v;

	snprintf(o, cap, "DEFINE ");
	for (v = 0; v < 3; v++) {
		if (memchr(pattern, 'A' + v, n) == NULL)
			continue;
		len = strlen(o);
		if (rot == 0)
			snprintf(o + len, cap - len, "%s%c AS v / %d %% 2 = 1", len > 7 ? ", " : "",
				 'A' + v, 1 << v);
		else
			snprintf(o + len, cap - len, "%s%c AS (v + %d) / %d %% 2 = 1",
				 len > 7 ? ", " : "", 'A' + v, rot, 1 << v);
	}
}

/* ---- matches as the operator emits them ---- */

#define MAX_MATCHES 4096
#define MAX_SLOTS   8

struct match {
	char key[16];
	int64_t start, end;
	uint32_t rows;
	char vars[64]; /* the variables' names, one letter a row */
	double slot[MAX_SLOTS];
	bool null[MAX_SLOTS];
	char str[32]; /* a STRING slot's value */
};

static struct match matches[MAX_MATCHES];
static unsigned int n_matches;
static const struct pat_rule *cur_rule;

static void collect(void *ctx, const struct cep_match *m)
{
	struct match *o = &matches[n_matches];
	uint32_t k;

	(void)ctx;
	if (n_matches == MAX_MATCHES)
		return;
	n_matches++;
	memset(o, 0, sizeof(*o));
	if (m->key->present >> C_K & 1)
		snprintf(o->key, sizeof(o->key), "%.*s", (int)m->key->v[C_K].s.len,
			 (const char *)m->key->v[C_K].s.p);
	o->start = m->start;
	o->end = m->end;
	o->rows = m->rows;
	for (k = 0; k < m->rows && k + 1 < sizeof(o->vars); k++)
		o->vars[k] = cur_rule->vars[m->vars[k]][0];
	for (k = 0; k < cur_rule->n_aggs && k < MAX_SLOTS; k++) {
		const struct pat_val *v = &m->slots[k];

		o->null[k] = v->null;
		if (v->type == PAT_T_STRING && !v->null)
			snprintf(o->str, sizeof(o->str), "%.*s", (int)v->s.len,
				 (const char *)v->s.p);
		else
			o->slot[k] = v->type == PAT_T_DOUBLE ? v->d : (double)v->i;
	}
}

/* A compiled rule and its operator. */
struct op {
	struct pat_ruleset *rs;
	const struct pat_rule *r;
	struct cep_prog prog;
	struct cep_bank bank; /* of one lane: the rule alone */
	uint64_t seq;
	hs_scratch_t *scratch;
	struct cep_state *st;
	uint64_t preds[4];
	struct pat_env env;
	bool hashed; /* rows taken as a state lcore takes a burst's: hashed, fetched ahead */
	uint8_t buf[1 << 17];
};

static int op_open(struct op *o, const char *rule)
{
	static const struct pat_options inproc = { .hs_mode = PAT_HS_INPROCESS };
	char src[8192];
	struct pat_diags d = { 0 };
	int rc;

	memset(o, 0, sizeof(*o));
	snprintf(src, sizeof(src), "%s%s", stream_src, rule);
	rc = pat_compile_ex("t.rql", src, strlen(src), &inproc, &o->rs, &d);
	if (rc != 0) {
		fprintf(stderr, "compile failed: %s\n", d.n ? d.msgs[0] : "?");
		pat_diags_free(&d);
		return -1;
	}
	o->r = cur_rule = &o->rs->rules[0];
	if (cep_prog_init(&o->prog, o->r, &o->rs->streams[0]) != 0 ||
	    pat_hs_scratch(o->rs, &o->scratch) != 0)
		return -1;
	{
		const struct cep_prog *lanes[1] = { &o->prog };
		static const uint8_t base[1] = { 0 };
		void *ctx[1] = { NULL };

		if (cep_bank_init(&o->bank, o->r->seq_db, lanes, base, 1) != 0)
			return -1;
		o->st = cep_state_new(&o->bank, o->scratch, collect, ctx);
	}
	o->env.preds = o->preds;
	o->env.buf = o->buf;
	o->env.cap = sizeof(o->buf);
	n_matches = 0;
	return o->st ? 0 : -1;
}

static void op_close(struct op *o)
{
	cep_state_free(o->st);
	hs_free_scratch(o->scratch);
	cep_prog_fini(&o->prog);
	pat_ruleset_free(o->rs);
}

static struct fmt_row row_of(int64_t ts, const char *k, int64_t v, double d, const char *m)
{
	struct fmt_row r;

	memset(&r, 0, sizeof(r));
	r.ts_ms = ts;
	r.v[C_TS].i = ts;
	r.present = 1u << C_TS | 1u << C_V | 1u << C_D;
	r.v[C_V].i = v;
	r.v[C_D].d = d;
	if (k != NULL) {
		r.v[C_K].s.p = (const uint8_t *)k;
		r.v[C_K].s.len = (uint32_t)strlen(k);
		r.present |= 1u << C_K;
	}
	if (m != NULL) {
		r.v[C_M].s.p = (const uint8_t *)m;
		r.v[C_M].s.len = (uint32_t)strlen(m);
		r.present |= 1u << C_M;
	}
	return r;
}

/* Classifies the row as the RX lcore does, then gives it to the operator. */
static enum cep_verdict take_row(struct op *o, const struct fmt_row *r)
{
	const struct pat_hs *hs = o->rs->hs[0];

	if (hs != NULL)
		pat_hs_scan(hs, r, o->scratch, o->preds);
	uint8_t sym[PAT_BANK_LANES] = { 0 };
	uint16_t lost;

	o->env.row = r;
	sym[0] = cep_symbol(o->r, &o->env);
	if (o->hashed) {
		uint64_t h = cep_hash(o->st, r);

		cep_prefetch_slot(o->st, h);
		cep_prefetch_key(o->st, h);
		return cep_take_hashed(o->st, r, o->seq++, 1, sym, h, &lost);
	}
	return cep_take(o->st, r, o->seq++, 1, sym, &lost);
}

static enum cep_verdict take(struct op *o, int64_t ts, const char *k, int64_t v)
{
	struct fmt_row r = row_of(ts, k, v, (double)v, NULL);

	return take_row(o, &r);
}

/* Rows of one partition: a digit per row (its symbol v), one second apart from 0. */
static void take_all(struct op *o, const char *syms)
{
	int64_t i;

	for (i = 0; syms[i] != '\0'; i++)
		take(o, i * 1000, "p", syms[i] - '0');
}

/* ---- the compiler ---- */

static int on_any(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(bool *)ctx = true;
	return 0;
}

static void test_seq_expr(void)
{
	struct op o;
	char *x;

	/* a variable is the class of the symbols with its bit: runs of byte ranges */
	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts PATTERN (A B C D E F G H) "
				    "DEFINE H AS v > 0);") == 0);
	x = pat_seq_expr(o.r->pattern->kids[7]);
	CU_ASSERT_STRING_EQUAL(x, "(?:[\\x80-\\xff])");
	free(x);
	x = pat_seq_expr(o.r->pattern->kids[6]);
	CU_ASSERT_STRING_EQUAL(x, "(?:[\\x40-\\x7f\\xc0-\\xff])");
	free(x);
	x = pat_seq_expr(o.r->pattern->kids[0]);
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "[\\x01\\x03\\x05\\x07"));
	CU_ASSERT_PTR_NOT_NULL(strstr(x, "\\xfb\\xfd\\xff]"));
	CU_ASSERT_PTR_NULL(strstr(x, "\\x02"));
	free(x);
	CU_ASSERT_PTR_NOT_NULL(o.r->seq_db);
	op_close(&o);

	/* quantifiers, alternation and nesting carry over: the expression, anchored,
	 * matches exactly the symbol strings that the pattern does */
	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts PATTERN (G{2,} (H | G H?){1,3} H) "
				    "DEFINE G AS v = 1, H AS v = 2);") == 0);
	{
#define SYMS(lit, m)                    \
	{                               \
		lit, sizeof(lit) - 1, m \
	}
		static const struct {
			const char *syms;
			unsigned int len;
			bool match;
		} cases[] = {
			SYMS("\x01\x01\x02\x02", true),
			SYMS("\x01\x02\x02", false), /* G{2,} wants two */
			SYMS("\x01\x01\x01\x01\x02", true),
			SYMS("\x01\x01\x01\x02\x01\x02\x02", true),
			SYMS("\x01\x01\x02\x02\x02\x02\x02", false), /* {1,3}: three at most */
			SYMS("\x03\x03\x03\x03", true),		     /* both bits: either */
			SYMS("\x01\x01\x00\x02\x02", false),	     /* no variable */
			SYMS("\x01\x01\x02\x06", true),		     /* other bits ignored */
		};
#undef SYMS
		char *expr = pat_seq_expr(o.r->pattern), *anchored;
		hs_database_t *db = NULL;
		hs_scratch_t *scr = NULL;
		hs_compile_error_t *err = NULL;
		size_t k;

		CU_ASSERT_FATAL(expr != NULL);
		anchored = malloc(strlen(expr) + 3);
		sprintf(anchored, "^%s$", expr);
		CU_ASSERT_FATAL(hs_compile(anchored, HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, NULL, &db,
					   &err) == HS_SUCCESS);
		CU_ASSERT_FATAL(hs_alloc_scratch(db, &scr) == HS_SUCCESS);
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			bool hit = false;

			hs_scan(db, cases[k].syms, cases[k].len, 0, scr, on_any, &hit);
			CU_ASSERT_EQUAL(hit, cases[k].match);
		}
		hs_free_scratch(scr);
		hs_free_database(db);
		free(anchored);
		free(expr);
	}
	op_close(&o);
}

/* ---- which match, and how its rows are assigned ---- */

struct vcase {
	const char *pattern; /* PATTERN (...) [WITHIN ...] */
	const char *define;  /* NULL: DEFINE_ABC */
	const char *syms;    /* the rows' symbols, one second apart */
	const char *want;    /* "start-end:vars" of each match, ' ' between */
};

static const struct vcase vcases[] = {
	/* greedy: every A, from the earliest row */
	{ "(A{3,} B)", NULL, "11112", "0-4:AAAAB" },
	/* too few before the first B; a match later */
	{ "(A{3,} B)", NULL, "1121112", "3-6:AAAB" },
	/* the match that ends first wins, though another started earlier */
	{ "(A B C | B)", NULL, "124", "1-1:B" },
	/* among those ending there, the earliest start */
	{ "(A+ B)", NULL, "1112", "0-3:AAAB" },
	/* {n,m}: at most m, so the start moves */
	{ "(A{2,3} B)", NULL, "11112", "1-4:AAAB" },
	/* greedy quantifiers take what they can, the rest goes on */
	{ "(X+ Y+ C)", "DEFINE C AS v = 4", "11114", "0-4:XXXYC" },
	/* | prefers its left branch when both can take the row */
	{ "((A | B)+ C)", NULL, "334", "0-2:AAC" },
	{ "((B | A) C)", NULL, "34", "0-1:BC" },
	/* overlapping DEFINEs: the pattern may use either */
	{ "(A B)", NULL, "33", "0-1:AB" },
	{ "(A A B B)", NULL, "3333", "0-3:AABB" },
	/* a variable without DEFINE takes every row, even one no other takes */
	{ "(A X B)", "DEFINE A AS v = 1, B AS v = 2", "102", "0-2:AXB" },
	/* a row that no variable takes breaks every match through it */
	{ "(A B)", NULL, "102", "" },
	/* nesting */
	{ "((A B){2} C)", NULL, "12124", "0-4:ABABC" },
	{ "(A (B C?)+ A)", NULL, "12424241", "0-7:ABCBCBCA" },
	/* AFTER MATCH SKIP PAST LAST ROW: no row in two matches */
	{ "(A B)", NULL, "1212", "0-1:AB 2-3:AB" },
	{ "(A B | B)", NULL, "222", "0-0:B 1-1:B 2-2:B" },
	{ "(A{2})", NULL, "11111", "0-1:AA 2-3:AA" },
	/* optional elements in front: greedy, so taken when they can be */
	{ "(C? A+ B)", NULL, "4112", "0-3:CAAB" },
	{ "(C* A B)", NULL, "4444412", "0-6:CCCCCAB" },
	/* WITHIN: last - first <= d, the earliest start that satisfies it */
	{ "(A+ B) WITHIN INTERVAL '2' SECOND", NULL, "11112", "2-4:AAB" },
	{ "(A B) WITHIN INTERVAL '1' SECOND", NULL, "1212", "0-1:AB 2-3:AB" },
	{ "(A{3} B) WITHIN INTERVAL '2' SECOND", NULL, "11112", "" },
};

/* The matches so far as "start-end:vars ..." (starts and ends in seconds). */
static void describe(char *out, size_t cap)
{
	size_t len = 0;
	unsigned int k;

	out[0] = '\0';
	for (k = 0; k < n_matches && len < cap; k++)
		len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64 "-%" PRId64 ":%s",
					k ? " " : "", matches[k].start / 1000,
					matches[k].end / 1000, matches[k].vars);
}

static void test_verifier_cases(void)
{
	size_t k;

	for (k = 0; k < sizeof(vcases) / sizeof(vcases[0]); k++) {
		const struct vcase *c = &vcases[k];
		char rule[1024], got[1024], def[128];
		struct op o;

		define_abc(def, sizeof(def), c->pattern, 0);
		snprintf(rule, sizeof(rule),
			 "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k "
			 "ORDER BY ts PATTERN %s %s);",
			 c->pattern, c->define ? c->define : def);
		CU_ASSERT_FATAL(op_open(&o, rule) == 0);
		take_all(&o, c->syms);
		describe(got, sizeof(got));
		if (strcmp(got, c->want) != 0)
			fprintf(stderr, "case %zu %s on %s: got '%s', want '%s'\n", k, c->pattern,
				c->syms, got, c->want);
		CU_ASSERT_STRING_EQUAL(got, c->want);
		op_close(&o);
	}
}

/* MEASURES: every function, NULLs, a variable that took no row, overflow, strings,
 * and the partition columns in expressions. */
static void test_measures(void)
{
	struct op o;
	struct fmt_row r;

	CU_ASSERT_FATAL(
		op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k "
			    "ORDER BY ts MEASURES FIRST(A.v) AS fa, LAST(A.v) AS la, "
			    "COUNT(A.*) AS na, SUM(A.v) AS sa, MIN(A.d) AS mi, MAX(A.ts) AS mx, "
			    "AVG(A.d) AS av, COUNT(C.*) + 1 AS nc "
			    "PATTERN (C? A+ B) DEFINE A AS v > 0 AND v < 100, B AS v = 100, "
			    "C AS v = 200);") == 0);
	take(&o, 1000, "x", 5);
	r = row_of(2000, "x", 7, 0, NULL);
	r.present &= ~(1u << C_D); /* NULL d: ignored by MIN and AVG */
	take_row(&o, &r);
	take(&o, 3000, "x", 3);
	take(&o, 4000, "x", 100);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_STRING_EQUAL(matches[0].vars, "AAAB");
	CU_ASSERT_STRING_EQUAL(matches[0].key, "x");
	CU_ASSERT_EQUAL(matches[0].start, 1000);
	CU_ASSERT_EQUAL(matches[0].end, 4000);
	CU_ASSERT_EQUAL(matches[0].slot[0], 5);
	CU_ASSERT_EQUAL(matches[0].slot[1], 3);
	CU_ASSERT_EQUAL(matches[0].slot[2], 3);
	CU_ASSERT_EQUAL(matches[0].slot[3], 15);
	CU_ASSERT_EQUAL(matches[0].slot[4], 3.0);
	CU_ASSERT_EQUAL(matches[0].slot[5], 3000);
	CU_ASSERT_EQUAL(matches[0].slot[6], 4.0);
	CU_ASSERT_EQUAL(matches[0].slot[7], 0); /* COUNT(C.*): C took no row */
	op_close(&o);

	/* FIRST and LAST of a variable that took no row, and of a NULL value, are NULL; a
	 * BIGINT SUM that overflows is NULL; strings come back whole */
	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts MEASURES FIRST(C.v) AS fc, "
				    "SUM(A.v) AS sa, LAST(A.m) AS lm, FIRST(A.m) AS fm "
				    "PATTERN (C? A{2} B) DEFINE A AS v > 1000, B AS v = 100, "
				    "C AS v = 200);") == 0);
	r = row_of(1000, "y", INT64_MAX, 0, "first");
	take_row(&o, &r);
	r = row_of(2000, "y", INT64_MAX, 0, "second");
	take_row(&o, &r);
	take(&o, 3000, "y", 100);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_TRUE(matches[0].null[0]);
	CU_ASSERT_TRUE(matches[0].null[1]);
	CU_ASSERT_FALSE(matches[0].null[2]);
	/* the last STRING slot written is FIRST(A.m) */
	CU_ASSERT_STRING_EQUAL(matches[0].str, "first");
	op_close(&o);
}

/* Partitions are independent; a key's rows interleave with others'. */
static void test_partitions(void)
{
	static const char *const keys[] = { "a", "b", "c" };
	struct cep_usage u;
	struct op o;
	int i;

	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts PATTERN (A{3} B) "
				    "WITHIN INTERVAL '10' SECONDS " DEFINE_AB ");") == 0);
	for (i = 0; i < 12; i++)
		take(&o, i * 100, keys[i % 3], i < 9 ? 1 : 2);
	CU_ASSERT_EQUAL_FATAL(n_matches, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(matches[i].key, keys[i]);
		CU_ASSERT_EQUAL(matches[i].start, i * 100);
		CU_ASSERT_EQUAL(matches[i].end, (9 + i) * 100);
	}
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 0); /* a match closes its partition */

	/* a NULL key is a partition of its own */
	take(&o, 2000, NULL, 1);
	take(&o, 2000, "a", 1);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 2);
	CU_ASSERT_EQUAL(u.rows, 2);
	CU_ASSERT(u.bytes > 0);
	/* WITHIN passes: the partitions close, their memory goes back */
	cep_advance(o.st, 2000 + 10000);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 2); /* a row at last + WITHIN could still complete one */
	cep_advance(o.st, 2000 + 10001);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 0);
	CU_ASSERT_EQUAL(u.rows, 0);
	CU_ASSERT_EQUAL(u.bytes, 0);	 /* rows freed, streams back in the pool */
	CU_ASSERT_EQUAL(u.peak_keys, 3); /* a, b and c at once above */
	/* a row that begins nothing opens nothing */
	take(&o, 30000, "z", 2);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 0);
	op_close(&o);
}

/* Bounds: the partition idle longest is forgotten for a new one (counted); a
 * partition keeps at most PAT_MAX_MATCH_ROWS rows of an unbounded pattern. */
static void test_bounds(void)
{
	struct cep_usage u;
	struct op o;
	int i;

	CU_ASSERT_FATAL(
		op_open(&o, "CREATE PATTERN p WITH (max_keys = 2) AS SELECT * FROM s "
			    "MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts PATTERN (A B) " DEFINE_AB
			    ");") == 0);
	CU_ASSERT_EQUAL(take(&o, 1, "a", 1), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, 2, "b", 1), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, 3, "c", 1), CEP_FULL); /* "a" forgotten */
	CU_ASSERT_EQUAL(take(&o, 4, "a", 2), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, 5, "b", 2), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, 6, "c", 2), CEP_TAKEN);
	CU_ASSERT_EQUAL_FATAL(n_matches, 2);
	CU_ASSERT_STRING_EQUAL(matches[0].key, "b");
	CU_ASSERT_STRING_EQUAL(matches[1].key, "c");
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.keys, 0);
	op_close(&o);

	CU_ASSERT_FATAL(op_open(&o,
				"CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				"PARTITION BY k ORDER BY ts PATTERN (A+ B) " DEFINE_AB ");") == 0);
	for (i = 0; i < PAT_MAX_MATCH_ROWS; i++)
		CU_ASSERT_EQUAL(take(&o, i, "a", 1), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, i, "a", 1), CEP_FULL);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.rows, PAT_MAX_MATCH_ROWS);
	CU_ASSERT_EQUAL(take(&o, i + 1, "a", 2), CEP_FULL);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_EQUAL(matches[0].rows, PAT_MAX_MATCH_ROWS);
	CU_ASSERT_EQUAL(matches[0].start, i + 2 - PAT_MAX_MATCH_ROWS);
	op_close(&o);

	/* rows that keep two measure columns: one arena block holds fewer of them */
	CU_ASSERT_FATAL(op_open(&o,
				"CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				"PARTITION BY k ORDER BY ts MEASURES SUM(A.v) AS s, MAX(A.d) AS m "
				"PATTERN (A+ B) " DEFINE_AB ");") == 0);
	/* a row: time, seq and lanes, the lanes it begins and its one lane's symbol (to
	 * 8 bytes), which columns are present, the columns */
	CU_ASSERT_EQUAL(o.bank.max_rows, WIN_ARENA_MAX / (24 + 8 + 2 * 8));
	CU_ASSERT_TRUE(o.bank.truncates & 1);
	for (i = 0; i < (int)o.bank.max_rows; i++)
		CU_ASSERT_EQUAL(take(&o, i, "a", 1), CEP_TAKEN);
	CU_ASSERT_EQUAL(take(&o, i, "a", 1), CEP_FULL);
	CU_ASSERT_EQUAL(take(&o, i + 1, "a", 2), CEP_FULL);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_EQUAL(matches[0].rows, o.bank.max_rows);
	CU_ASSERT_EQUAL(matches[0].slot[0], o.bank.max_rows - 1); /* every A row's v is 1 */
	op_close(&o);

	/* a bounded pattern keeps only what its longest match needs: no loss */
	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts PATTERN (A{1,3} B) " DEFINE_AB
				    ");") == 0);
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(take(&o, i, "a", 1), CEP_TAKEN);
	cep_usage(o.st, &u);
	CU_ASSERT_EQUAL(u.rows, 4);
	CU_ASSERT_FALSE(o.bank.truncates & 1);
	CU_ASSERT_EQUAL(take(&o, 10, "a", 2), CEP_TAKEN);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_STRING_EQUAL(matches[0].vars, "AAAB");
	CU_ASSERT_EQUAL(take(&o, INT64_MAX, "a", 1), CEP_OUT_OF_RANGE);
	op_close(&o);
}

/* DEFINE with LIKE and REGEXP reads the row's predicate bits. */
static void test_define_predicates(void)
{
	struct fmt_row r;
	struct op o;

	CU_ASSERT_FATAL(op_open(&o, "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE ("
				    "PARTITION BY k ORDER BY ts MEASURES LAST(B.m) AS bm "
				    "PATTERN (D{2} B) DEFINE D AS m LIKE 'decl%', "
				    "B AS m REGEXP '^appro' AND v > 500);") == 0);
	r = row_of(1, "c", 10, 0, "declined");
	take_row(&o, &r);
	r = row_of(2, "c", 10, 0, "declined");
	take_row(&o, &r);
	r = row_of(3, "c", 10, 0, "approved"); /* too small: breaks the sequence */
	take_row(&o, &r);
	r = row_of(4, "c", 10, 0, "declined");
	take_row(&o, &r);
	r = row_of(5, "c", 10, 0, "declined");
	take_row(&o, &r);
	r = row_of(6, "c", 900, 0, "approved");
	take_row(&o, &r);
	CU_ASSERT_EQUAL_FATAL(n_matches, 1);
	CU_ASSERT_EQUAL(matches[0].start, 4);
	CU_ASSERT_STRING_EQUAL(matches[0].str, "approved");
	op_close(&o);
}

/* ---- property: the Hyperscan path against a backtracking matcher ---- */

/* The reference: the spec read literally. After each row, the earliest start (after
 * the last match) from which the pattern matches exactly up to that row within
 * WITHIN; the parse a backtracking matcher tries first (greedy quantifiers, | left
 * first, an unbounded repetition never repeats on no row). */
struct ref {
	const struct pat_rule *r;
	const uint8_t *allowed; /* per row: bit v when variable v may take it */
	int base, end;		/* rows [base, end) */
	char vars[256];
	long steps;
};

enum { K_REP, K_SEQ };

struct kont {
	int kind;
	const struct pat_re *re;
	uint32_t i;
	int start;
	bool guard;
	const struct kont *next;
};

static bool ref_rep(struct ref *x, const struct pat_re *re, uint32_t i, int pos,
		    const struct kont *k);

static bool ref_k(struct ref *x, const struct kont *k, int pos)
{
	struct kont f;

	if (++x->steps > 2000000)
		return false;
	if (k == NULL)
		return pos == x->end;
	if (k->kind == K_REP) {
		if (k->guard && pos == k->start)
			return false;
		return ref_rep(x, k->re, k->i, pos, k->next);
	}
	if (k->i == k->re->n_kids)
		return ref_k(x, k->next, pos);
	f = (struct kont){ K_SEQ, k->re, k->i + 1, pos, false, k->next };
	return ref_rep(x, k->re->kids[k->i], 0, pos, &f);
}

static bool ref_body(struct ref *x, const struct pat_re *re, int pos, const struct kont *k)
{
	struct kont f;
	uint32_t j;

	switch (re->kind) {
	case PAT_RE_VAR:
		if (pos < x->end && (x->allowed[pos] >> re->var & 1)) {
			x->vars[pos - x->base] = x->r->vars[re->var][0];
			return ref_k(x, k, pos + 1);
		}
		return false;
	case PAT_RE_SEQ:
		f = (struct kont){ K_SEQ, re, 0, pos, false, k };
		return ref_k(x, &f, pos);
	default:
		for (j = 0; j < re->n_kids; j++)
			if (ref_rep(x, re->kids[j], 0, pos, k))
				return true;
		return false;
	}
}

static bool ref_rep(struct ref *x, const struct pat_re *re, uint32_t i, int pos,
		    const struct kont *k)
{
	struct kont f;

	if (i < re->min) {
		f = (struct kont){ K_REP, re, i + 1, pos, false, k };
		return ref_body(x, re, pos, &f);
	}
	if (i < re->max) {
		f = (struct kont){ K_REP, re, i + 1, pos, re->max == UINT32_MAX, k };
		if (ref_body(x, re, pos, &f))
			return true;
	}
	return ref_k(x, k, pos);
}

#define PROP_ROWS  150
#define PROP_PARTS 3

struct prow {
	int64_t ts;
	int v, part;
};

/* A random pattern over A, B and C. */
static void gen_re(char *o, size_t cap, int depth)
{
	static const char *const quants[] = { "",  "",	  "",	   "*",	    "+",
					      "?", "{2}", "{1,2}", "{0,3}", "{2,}" };
	int n = 1 + rand() % 3, k;

	for (k = 0; k < n; k++) {
		size_t len = strlen(o);

		if (k > 0)
			snprintf(o + len, cap - len, " ");
		len = strlen(o);
		if (depth < 2 && rand() % 4 == 0) {
			snprintf(o + len, cap - len, "(");
			gen_re(o, cap, depth + 1);
			if (rand() % 2) {
				len = strlen(o);
				snprintf(o + len, cap - len, " | ");
				gen_re(o, cap, depth + 1);
			}
			len = strlen(o);
			snprintf(o + len, cap - len, ")");
		} else {
			snprintf(o + len, cap - len, "%c", "ABC"[rand() % 3]);
		}
		len = strlen(o);
		snprintf(o + len, cap - len, "%s", quants[rand() % 10]);
	}
}

static void test_property(void)
{
	int run, valid = 0, total_matches = 0;

	srand(20261122);
	for (run = 0; run < 400; run++) {
		char pat[512] = "", rule[2048], want[8192] = "", got[8192], def[128], wtxt[64] = "";
		struct prow rows[PROP_ROWS];
		int64_t within = rand() % 3 == 0 ? -1 : 1000 + rand() % 5000;
		bool c_defined = rand() % 4 != 0, bad = false;
		int part_rows[PROP_PARTS][PROP_ROWS], n_part[PROP_PARTS] = { 0 };
		int start[PROP_PARTS] = { 0 };
		uint8_t allowed[PROP_PARTS][PROP_ROWS];
		size_t wlen = 0;
		int64_t ts = 0;
		struct op o;
		int i, p;

		gen_re(pat, sizeof(pat), 0);
		define_abc(def, sizeof(def), pat, 0);
		if (!c_defined && strchr(pat, 'C') != NULL)
			*strstr(def, strstr(def, ", C") ? ", C" : "C AS") = '\0';
		if (within >= 0)
			snprintf(wtxt, sizeof(wtxt), "WITHIN INTERVAL '%" PRId64 "' MILLISECOND",
				 within);
		snprintf(rule, sizeof(rule),
			 "CREATE PATTERN p AS SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k "
			 "ORDER BY ts PATTERN (%s) %s %s);",
			 pat, wtxt, strlen(def) > 7 ? def : "");
		{
			struct pat_ruleset *rs = NULL;
			struct pat_diags d = { 0 };
			static const struct pat_options chk = { .hs_mode = PAT_HS_CHECK_ONLY };
			char src[4096];

			snprintf(src, sizeof(src), "%s%s", stream_src, rule);
			if (pat_compile_ex("t.rql", src, strlen(src), &chk, &rs, &d) != 0) {
				pat_diags_free(&d); /* e.g. a last element that may be absent */
				run--;
				continue;
			}
			pat_ruleset_free(rs);
		}
		CU_ASSERT_FATAL(op_open(&o, rule) == 0);
		o.hashed = run & 1;
		for (i = 0; i < PROP_ROWS; i++) {
			ts += rand() % 4 == 0 ? 0 : rand() % 1500;
			rows[i].ts = ts;
			rows[i].v = rand() % 10 == 0 ? 0 : 1 + rand() % 7;
			rows[i].part = rand() % PROP_PARTS;
		}
		/* the reference, row by row */
		for (i = 0; i < PROP_ROWS && !bad; i++) {
			struct ref x = { .r = o.r };
			int e, s, v;

			p = rows[i].part;
			e = n_part[p]++;
			part_rows[p][e] = i;
			allowed[p][e] = 0;
			for (v = 0; v < (int)o.r->n_vars; v++) {
				int bit = o.r->vars[v][0] - 'A';

				if (o.r->define[v] == NULL || (rows[i].v >> bit & 1))
					allowed[p][e] |= (uint8_t)(1u << v);
			}
			x.allowed = allowed[p];
			x.end = e + 1;
			for (s = start[p]; s <= e; s++) {
				if (within >= 0 && rows[i].ts - rows[part_rows[p][s]].ts > within)
					continue;
				x.base = s;
				x.steps = 0;
				memset(x.vars, 0, sizeof(x.vars));
				if (ref_rep(&x, o.r->pattern, 0, s, NULL) && x.end - s < 255) {
					wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen,
								 "%s%c%" PRId64 "-%" PRId64 ":%.*s",
								 wlen ? " " : "", 'a' + p,
								 rows[part_rows[p][s]].ts,
								 rows[i].ts, e - s + 1, x.vars);
					start[p] = e + 1;
					break;
				}
				if (x.steps > 2000000)
					bad = true;
			}
		}
		if (bad) {
			op_close(&o);
			continue;
		}
		for (i = 0; i < PROP_ROWS; i++) {
			char key[2] = { (char)('a' + rows[i].part), 0 };

			take(&o, rows[i].ts, key, rows[i].v);
		}
		{
			size_t glen = 0;
			unsigned int k;

			got[0] = '\0';
			for (k = 0; k < n_matches; k++)
				glen += (size_t)snprintf(got + glen, sizeof(got) - glen,
							 "%s%s%" PRId64 "-%" PRId64 ":%s",
							 glen ? " " : "", matches[k].key,
							 matches[k].start, matches[k].end,
							 matches[k].vars);
		}
		if (strcmp(got, want) != 0)
			fprintf(stderr, "PATTERN (%s) within %" PRId64 "%s:\n got  %s\n want %s\n",
				pat, within, c_defined ? "" : " (C undefined)", got, want);
		CU_ASSERT_STRING_EQUAL(got, want);
		valid++;
		total_matches += (int)n_matches;
		op_close(&o);
	}
	CU_ASSERT(valid >= 390);
	CU_ASSERT(total_matches > 1000); /* the test looks at matches, not at silence */
}

/* ---- banks: several patterns on one Hyperscan stream a partition ---- */

struct lane_out {
	const struct pat_rule *r;
	char buf[16384];
	size_t len;
};

static void collect_lane(void *ctx, const struct cep_match *m)
{
	struct lane_out *o = ctx;
	char vars[256];
	uint32_t k;

	for (k = 0; k < m->rows && k + 1 < sizeof(vars); k++)
		vars[k] = o->r->vars[m->vars[k]][0];
	vars[k] = '\0';
	o->len += (size_t)snprintf(o->buf + o->len, sizeof(o->buf) - o->len,
				   "%s%.*s%" PRId64 "-%" PRId64 ":%s", o->len ? " " : "",
				   (int)m->key->v[C_K].s.len, (const char *)m->key->v[C_K].s.p,
				   m->start, m->end, vars);
}

/* A rule set of the patterns pats[0..n) (each with its WITHIN), compiled. */
static struct pat_ruleset *compile_set(char pats[][512], const int64_t *within, const int *idx,
				       int n)
{
	static const struct pat_options inproc = { .hs_mode = PAT_HS_INPROCESS };
	struct pat_ruleset *rs = NULL;
	struct pat_diags d = { 0 };
	char src[16384], def[128], wtxt[64];
	size_t len = (size_t)snprintf(src, sizeof(src), "%s", stream_src);
	int i;

	for (i = 0; i < n; i++) {
		wtxt[0] = '\0';
		if (within[idx[i]] >= 0)
			snprintf(wtxt, sizeof(wtxt), "WITHIN INTERVAL '%" PRId64 "' MILLISECOND",
				 within[idx[i]]);
		/* each pattern its own DEFINEs: patterns of one shape take rows apart */
		define_abc(def, sizeof(def), pats[idx[i]], idx[i]);
		len += (size_t)snprintf(src + len, sizeof(src) - len,
					"CREATE PATTERN p%d AS SELECT * FROM s MATCH_RECOGNIZE ("
					"PARTITION BY k ORDER BY ts PATTERN (%s) %s %s);\n",
					idx[i], pats[idx[i]], wtxt, def);
	}
	if (pat_compile_ex("t.rql", src, len, &inproc, &rs, &d) != 0)
		rs = NULL;
	pat_diags_free(&d);
	return rs;
}

/* The operator of rs's one bank of n lanes (progs built here), or of rule k alone. */
struct bank_op {
	struct cep_prog progs[PAT_BANK_LANES];
	struct cep_bank bank;
	struct cep_state *st;
	int n;
};

static int bank_open(struct bank_op *b, const struct pat_ruleset *rs, int k, hs_scratch_t *scratch,
		     struct lane_out *outs)
{
	const struct cep_prog *lanes[PAT_BANK_LANES];
	uint8_t base[PAT_BANK_LANES];
	void *ctx[PAT_BANK_LANES];
	int i, n = k < 0 ? (int)rs->n_rules : 1;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n; i++) {
		const struct pat_rule *r = &rs->rules[k < 0 ? i : k];
		int l = k < 0 ? r->lane : 0;

		if (cep_prog_init(&b->progs[l], r, &rs->streams[0]) != 0)
			return -1;
		lanes[l] = &b->progs[l];
		base[l] = k < 0 ? r->lane_base : 0;
		ctx[l] = &outs[l];
		outs[l].r = r;
		b->n++;
	}
	if (cep_bank_init(&b->bank, k < 0 ? rs->rules[0].bank_db : rs->rules[k].seq_db, lanes, base,
			  (uint32_t)n) != 0)
		return -1;
	b->st = cep_state_new(&b->bank, scratch, collect_lane, ctx);
	return b->st ? 0 : -1;
}

static void bank_close(struct bank_op *b)
{
	int i;

	cep_state_free(b->st);
	for (i = 0; i < b->n; i++)
		cep_prog_fini(&b->progs[i]);
}

/* Random patterns in one bank give each lane the matches that the pattern alone
 * gives (test_property checks those against backtracking); a reload in the middle
 * (lanes reordered, one gone, one new) merges the old bank's partitions into the new
 * one, and the surviving patterns go on as if nothing happened. */
static void test_banks(void)
{
	int run, total = 0, shared = 0;

	srand(20261123);
	for (run = 0; run < 120; run++) {
		char pats[8][512] = { { 0 } };
		int64_t within[8];
		int n = 2 + rand() % 4, i, l, cut = 20 + rand() % 100, idx1[8], idx2[8], n2 = 0;
		struct pat_ruleset *rs1, *rs2, *alone;
		hs_scratch_t *s1 = NULL, *s2 = NULL, *s3 = NULL;
		static struct lane_out bank_out[PAT_BANK_LANES], new_out[PAT_BANK_LANES],
			single_out[8][1];
		struct bank_op b1, b2, single[8];
		uint64_t preds[4] = { 0 };
		uint8_t buf[256];
		struct pat_env env = { .preds = preds, .buf = buf, .cap = sizeof(buf) };
		int64_t ts = 0;
		bool ok = true;

		/* patterns 0..n-1 before the reload; after it: n-1..1 and pattern n */
		for (i = 0; i <= n; i++) {
			/* now and then the shape of an earlier pattern (a byte for both) */
			if (i > 0 && rand() % 2 == 0)
				memcpy(pats[i], pats[rand() % i], sizeof(pats[i]));
			else
				gen_re(pats[i], sizeof(pats[i]), 0);
			within[i] = rand() % 3 == 0 ? -1 : 1000 + rand() % 5000;
			idx1[i] = i;
		}
		for (i = n - 1; i >= 1; i--)
			idx2[n2++] = i;
		idx2[n2++] = n;
		rs1 = compile_set(pats, within, idx1, n);
		rs2 = compile_set(pats, within, idx2, n2);
		alone = compile_set(pats, within, idx1, n + 1);
		if (rs1 == NULL || rs2 == NULL || alone == NULL) {
			pat_ruleset_free(rs1);
			pat_ruleset_free(rs2);
			pat_ruleset_free(alone);
			run--; /* e.g. a last element that may be absent */
			continue;
		}
		CU_ASSERT_EQUAL(rs1->rules[0].n_lanes, n);
		for (i = 1; i < n; i++) /* a lane on the bytes of an earlier one: a shape */
			shared += rs1->rules[i].lane_base == rs1->rules[i - 1].lane_base ||
				  rs1->rules[i].lane_base == rs1->rules[0].lane_base;
		CU_ASSERT_EQUAL(rs1->rules[n - 1].bank, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rs1->rules[0].bank_db);
		CU_ASSERT_FATAL(pat_hs_scratch(rs1, &s1) == 0 && pat_hs_scratch(rs2, &s2) == 0 &&
				pat_hs_scratch(alone, &s3) == 0);
		memset(bank_out, 0, sizeof(bank_out));
		memset(new_out, 0, sizeof(new_out));
		memset(single_out, 0, sizeof(single_out));
		CU_ASSERT_FATAL(bank_open(&b1, rs1, -1, s1, bank_out) == 0);
		CU_ASSERT_FATAL(bank_open(&b2, rs2, -1, s2, new_out) == 0);
		for (i = 0; i <= n; i++)
			CU_ASSERT_FATAL(bank_open(&single[i], alone, i, s3, single_out[i]) == 0);
		for (i = 0; i < PROP_ROWS; i++) {
			int v = rand() % 10 == 0 ? 0 : 1 + rand() % 7;
			char key[2] = { (char)('a' + rand() % PROP_PARTS), 0 };
			struct fmt_row r;
			uint8_t sym[PAT_BANK_LANES] = { 0 }, one[PAT_BANK_LANES] = { 0 };
			uint16_t lost, lanes = 0;
			/* the patterns the row is for: now and then only some (the data
			 * path's rows that waited across a reload); a row not for a
			 * pattern is one it never sees */
			unsigned int offer = rand() % 5 == 0 ? (unsigned int)rand() : ~0u;

			ts += rand() % 4 == 0 ? 0 : rand() % 1500;
			r = row_of(ts, key, v, (double)v, NULL);
			env.row = &r;
			if (i == cut) { /* the reload */
				int8_t map[PAT_BANK_LANES];

				memset(map, -1, sizeof(map));
				for (l = 0; l < n2; l++)
					if (idx2[l] < n)
						map[idx2[l]] = (int8_t)rs2->rules[l].lane;
				CU_ASSERT_EQUAL(cep_merge(b2.st, b1.st, map, &lost), 0);
				CU_ASSERT_EQUAL(lost, 0);
				CU_ASSERT_EQUAL(cep_rescan(b2.st), 0);
			}
			/* the patterns alone (pattern n from the reload on) */
			for (l = 0; l <= n; l++) {
				if ((l == n && i < cut) || !(offer >> l & 1))
					continue;
				one[0] = cep_symbol(&alone->rules[l], &env);
				cep_take(single[l].st, &r, (uint64_t)i, 1, one, &lost);
			}
			/* the bank */
			if (i < cut) {
				for (l = 0; l < n; l++) {
					if (!(offer >> idx1[l] & 1))
						continue;
					sym[rs1->rules[l].lane] = cep_symbol(&rs1->rules[l], &env);
					lanes |= (uint16_t)(1u << rs1->rules[l].lane);
				}
				cep_take(b1.st, &r, (uint64_t)i, lanes, sym, &lost);
			} else {
				for (l = 0; l < n2; l++) {
					if (!(offer >> idx2[l] & 1))
						continue;
					sym[rs2->rules[l].lane] = cep_symbol(&rs2->rules[l], &env);
					lanes |= (uint16_t)(1u << rs2->rules[l].lane);
				}
				cep_take(b2.st, &r, (uint64_t)i, lanes, sym, &lost);
			}
		}
		/* each pattern: the bank's matches (before the reload, then after) are
		 * the pattern's alone */
		for (i = 0; i <= n; i++) {
			char got[32768] = "";
			size_t len = 0;

			if (i < n)
				len += (size_t)snprintf(got, sizeof(got), "%s",
							bank_out[rs1->rules[i].lane].buf);
			for (l = 0; l < n2; l++)
				if (idx2[l] == i && new_out[rs2->rules[l].lane].len > 0)
					snprintf(got + len, sizeof(got) - len, "%s%s",
						 len ? " " : "", new_out[rs2->rules[l].lane].buf);
			if (i == 0) /* gone at the reload: its matches before it */
				continue;
			if (strcmp(got, single_out[i][0].buf) != 0) {
				fprintf(stderr,
					"bank of %d, pattern %d (%s), reload at row %d:\n got  %s\n "
					"want %s\n",
					n, i, pats[i], cut, got, single_out[i][0].buf);
				ok = false;
			}
			total += single_out[i][0].len > 0;
		}
		CU_ASSERT_TRUE(ok);
		bank_close(&b1);
		bank_close(&b2);
		for (i = 0; i <= n; i++)
			bank_close(&single[i]);
		hs_free_scratch(s1);
		hs_free_scratch(s2);
		hs_free_scratch(s3);
		pat_ruleset_free(rs1);
		pat_ruleset_free(rs2);
		pat_ruleset_free(alone);
	}
	CU_ASSERT(total > 100); /* the test looks at matches, not at silence */
	CU_ASSERT(shared > 50); /* and at lanes that share a shape's bytes */
}

/* Shapes in a bank: patterns with one PATTERN over their variables (whatever their
 * DEFINEs) share byte values and one expression; the others have their own. */
static void test_shapes(void)
{
	char pats[6][512] = { "A+ B", "A+ B", "A B A", "(A+ B)", "A B C", "(A B){2}" };
	static const int64_t within[6] = { -1, -1, -1, -1, -1, -1 };
	static const int idx[6] = { 0, 1, 2, 3, 4, 5 };
	struct pat_ruleset *rs = compile_set(pats, within, idx, 6);
	const struct pat_rule *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	r = rs->rules;
	CU_ASSERT_EQUAL(r[0].n_lanes, 6);
	CU_ASSERT_PTR_NOT_NULL(r[0].bank_db);
	/* p0, p1, p3: one shape (p1 and p3 with other DEFINEs: rot; p3 written in
	 * parentheses); p2, p4 and p5 each their own, after the bytes used before */
	CU_ASSERT_EQUAL(r[1].lane_base, r[0].lane_base);
	CU_ASSERT_EQUAL(r[3].lane_base, r[0].lane_base);
	CU_ASSERT_EQUAL(r[2].lane_base, 4);
	CU_ASSERT_EQUAL(r[4].lane_base, 8);
	CU_ASSERT_EQUAL(r[5].lane_base, 16);
	pat_ruleset_free(rs);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "pattern compiler: symbol expressions", test_seq_expr },
		{ "verifier: which match, which parse", test_verifier_cases },
		{ "measures", test_measures },
		{ "partitions", test_partitions },
		{ "bounds", test_bounds },
		{ "DEFINE with LIKE and REGEXP", test_define_predicates },
		{ "property: Hyperscan path vs backtracking", test_property },
		{ "property: banks vs each pattern alone, across a reload", test_banks },
		{ "banks: shapes", test_shapes },
		{ NULL, NULL },
	};

	return unit_run("cep", tests);
}

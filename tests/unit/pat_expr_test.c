/* SPDX-License-Identifier: BSD-3-Clause */
/* Expression semantics: each expression is compiled as the select item of an alert
 * (the real compiler and checker), evaluated over a known event (LIKE and REGEXP
 * through the real Hyperscan databases), and its value compared. SQL NULL logic,
 * BIGINT overflow and division by zero, BETWEEN, IN, LIKE edge cases, the
 * functions. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pat_expr.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"
#include "unit.h"

/* The event: a = 7, d = 2.5, b = 'abc', f = TRUE, t = 1000, n = NULL (BIGINT),
 * e = '' and u = 'héllo\nwörld', s = NULL (STRING), y = 'abcde', w = 'card-0012345'
 * and x = 'abcdefghijklmnopqrstu' (5, 12 and 21 bytes). */
enum { C_A, C_D, C_B, C_F, C_T, C_N, C_E, C_U, C_S, C_Y, C_W, C_X };
static const char stream[] =
	"CREATE STREAM s (a BIGINT, d DOUBLE, b STRING, f BOOLEAN, t TIMESTAMP, n BIGINT, "
	"e STRING, u STRING, s STRING, y STRING, w STRING, x STRING) WITH (format = 'json', "
	"port = 1);\n";

static struct fmt_row row;

static void set_str(unsigned int c, const char *v)
{
	row.v[c].s.p = (const uint8_t *)v;
	row.v[c].s.len = (uint32_t)strlen(v);
}

static void make_row(void)
{
	memset(&row, 0, sizeof(row));
	row.v[C_A].i = 7;
	row.v[C_D].d = 2.5;
	set_str(C_B, "abc");
	row.v[C_F].b = true;
	row.v[C_T].i = 1000;
	set_str(C_E, "");
	set_str(C_U, "h\xc3\xa9llo\nw\xc3\xb6rld");
	set_str(C_Y, "abcde");
	set_str(C_W, "card-0012345");
	set_str(C_X, "abcdefghijklmnopqrstu");
	row.present = 1u << C_A | 1u << C_D | 1u << C_B | 1u << C_F | 1u << C_T | 1u << C_E |
		      1u << C_U | 1u << C_Y | 1u << C_W | 1u << C_X;
}

/* The value of expr over the row; its text form in out ("NULL", "TRUE", "7", ...). A
 * condition's must be what pat_eval_cond() decides without the whole tree: TRUE
 * only when the value is TRUE. */
static void eval(const char *expr, char *out, size_t len)
{
	static const struct pat_options opt = { .hs_mode = PAT_HS_INPROCESS };
	char src[4096];
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;
	hs_scratch_t *scratch = NULL;
	uint64_t preds[PAT_PRED_WORDS(64)];
	uint8_t buf[4 * PAT_MAX_STRING];
	struct pat_env env = { .row = &row, .buf = buf, .cap = sizeof(buf) };
	struct pat_val v;
	size_t k;

	snprintf(src, sizeof(src), "%sCREATE ALERT r AS SELECT %s AS v FROM s;\n", stream, expr);
	if (pat_compile_ex("e.rql", src, strlen(src), &opt, &rs, &d) != 0) {
		for (k = 0; k < d.n; k++)
			fprintf(stderr, "\n  %s: %s\n", expr, d.msgs[k]);
		pat_diags_free(&d);
		snprintf(out, len, "ERROR");
		return;
	}
	if (rs->hs[0] != NULL) {
		CU_ASSERT_FATAL(pat_hs_scratch(rs, &scratch) == 0);
		CU_ASSERT_FATAL(pat_hs_scan(rs->hs[0], &row, scratch, preds) == 0);
		env.preds = preds;
	}
	pat_eval(rs->rules[0].items[0].e, &env, &v);
	if (rs->rules[0].items[0].e->type == PAT_T_BOOLEAN)
		CU_ASSERT_EQUAL(pat_eval_cond(rs->rules[0].items[0].e, &env), !v.null && v.b);
	if (v.null)
		snprintf(out, len, "NULL");
	else if (v.type == PAT_T_BOOLEAN)
		snprintf(out, len, "%s", v.b ? "TRUE" : "FALSE");
	else if (v.type == PAT_T_DOUBLE)
		snprintf(out, len, "%.17g", v.d);
	else if (v.type == PAT_T_STRING)
		snprintf(out, len, "'%.*s'", (int)v.s.len, (const char *)v.s.p);
	else
		snprintf(out, len, "%" PRId64, v.i);
	hs_free_scratch(scratch);
	pat_ruleset_free(rs);
}

struct ecase {
	const char *expr, *want;
};

static void run_cases(const struct ecase *c, size_t n)
{
	char got[256];
	size_t k;

	make_row();
	for (k = 0; k < n; k++) {
		eval(c[k].expr, got, sizeof(got));
		if (strcmp(got, c[k].want) != 0)
			fprintf(stderr, "\n  %s: got %s, want %s\n", c[k].expr, got, c[k].want);
		CU_ASSERT_STRING_EQUAL(got, c[k].want);
	}
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_null_logic(void)
{
	static const struct ecase c[] = {
		{ "NULL AND FALSE", "FALSE" },
		{ "FALSE AND NULL", "FALSE" },
		{ "NULL AND TRUE", "NULL" },
		{ "TRUE AND TRUE AND f", "TRUE" },
		{ "NULL OR TRUE", "TRUE" },
		{ "NULL OR FALSE", "NULL" },
		{ "FALSE OR FALSE", "FALSE" },
		{ "NOT NULL", "NULL" },
		{ "NOT f", "FALSE" },
		{ "n = 1", "NULL" },
		{ "n <> 1", "NULL" },
		{ "n = n", "NULL" },
		{ "n IS NULL", "TRUE" },
		{ "n IS NOT NULL", "FALSE" },
		{ "a IS NULL", "FALSE" },
		{ "s IS NULL", "TRUE" },
		{ "n + 1", "NULL" },
		{ "-n", "NULL" },
		{ "a > 1 OR n > 1", "TRUE" },
		{ "a < 1 AND n > 1", "FALSE" },
		{ "a > 1 AND n > 1", "NULL" },
		{ "NOT (a > 1 AND n > 1)", "NULL" },
		{ "LENGTH(s)", "NULL" },
		{ "UPPER(s)", "NULL" },
		{ "ABS(n)", "NULL" },
		{ "NULL = NULL", "NULL" },
		{ "NULL", "NULL" },
	};

	RUN(c);
}

static void test_arithmetic(void)
{
	static const struct ecase c[] = {
		{ "9223372036854775807 + 1", "NULL" },
		{ "-9223372036854775807 - 2", "NULL" },
		{ "-9223372036854775807 - 1", "-9223372036854775808" },
		{ "4611686018427387904 * 2", "NULL" },
		{ "3037000499 * 3037000499", "9223372030926249001" },
		{ "-(-9223372036854775807 - 1)", "NULL" },
		{ "(-9223372036854775807 - 1) / -1", "NULL" },
		{ "(-9223372036854775807 - 1) % -1", "0" },
		{ "ABS(-9223372036854775807 - 1)", "NULL" },
		{ "ABS(-3)", "3" },
		{ "ABS(-2.5)", "2.5" },
		{ "1 / 0", "NULL" },
		{ "a % 0", "NULL" },
		{ "d / 0", "NULL" },
		{ "1.0 / 0.0", "NULL" },
		{ "d % 0", "NULL" },
		{ "1e308 * 10", "NULL" },
		{ "7 / 2", "3" },
		{ "-7 / 2", "-3" },
		{ "-7 % 3", "-1" },
		{ "7 % -3", "1" },
		{ "a / 2.0", "3.5" },
		{ "a + d", "9.5" },
		{ "d * 2", "5" },
		{ "5.5 % 2", "1.5" },
		{ "1 + 2 * 3 - 4 / 2", "5" },
		{ "(1 + 2) * 3", "9" },
		{ "-a", "-7" },
		{ "- -a", "7" },
		{ "t + 1", "1001" },
		{ "0.1 + 0.2", "0.30000000000000004" },
	};

	RUN(c);
}

static void test_comparisons(void)
{
	static const struct ecase c[] = {
		{ "a = 7", "TRUE" },
		{ "a = 7.0", "TRUE" },
		{ "a != 7", "FALSE" },
		{ "a <> 8", "TRUE" },
		{ "a < 7.5", "TRUE" },
		{ "a <= 7", "TRUE" },
		{ "a > 7", "FALSE" },
		{ "a >= 7", "TRUE" },
		{ "d > 2", "TRUE" },
		{ "t > 999", "TRUE" },
		{ "t = 1000", "TRUE" },
		{ "b = 'abc'", "TRUE" },
		{ "b < 'abd'", "TRUE" },
		{ "b > 'ab'", "TRUE" },
		{ "b < 'abcd'", "TRUE" },
		{ "e < 'a'", "TRUE" },
		{ "e = ''", "TRUE" },
		{ "f = TRUE", "TRUE" },
		{ "f > FALSE", "TRUE" },
		{ "'B' < 'a'", "TRUE" },
		{ "'é' > 'z'", "TRUE" },
		/* a literal on the left, NULL columns, AND and OR of comparisons */
		{ "7 = a", "TRUE" },
		{ "6 < a", "TRUE" },
		{ "7.5 > a", "TRUE" },
		{ "8 <= a", "FALSE" },
		{ "'abd' > b", "TRUE" },
		{ "'abc' <> b", "FALSE" },
		{ "b = 'ab'", "FALSE" },
		{ "b <> 'abcd'", "TRUE" },
		{ "e <> ''", "FALSE" },
		{ "e = 'a'", "FALSE" },
		{ "s = 'x'", "NULL" },
		{ "s <> 'x'", "NULL" },
		{ "1 = n", "NULL" },
		{ "'x' < s", "NULL" },
		{ "f = FALSE", "FALSE" },
		{ "a > 1 OR s = 'x'", "TRUE" },
		{ "s = 'x' OR b = 'abc'", "TRUE" },
		{ "s = 'x' AND b = 'abc'", "NULL" },
		{ "b = 'abc' AND (a = 8 OR d = 2.5)", "TRUE" },
		{ "b = 'abc' AND (a = 8 OR d = 2.4)", "FALSE" },
		{ "NOT (b = 'abc') OR t >= 1000", "TRUE" },
		/* string equality at each length's loads: first, middle and last bytes */
		{ "b = 'abd'", "FALSE" },
		{ "b <> 'abc'", "FALSE" },
		{ "y = 'abcde'", "TRUE" },
		{ "y = 'xbcde'", "FALSE" },
		{ "y = 'abXde'", "FALSE" },
		{ "y = 'abcdX'", "FALSE" },
		{ "y <> 'abcdX'", "TRUE" },
		{ "w = 'card-0012345'", "TRUE" },
		{ "w = 'bard-0012345'", "FALSE" },
		{ "w = 'card-0X12345'", "FALSE" },
		{ "w = 'card-0012346'", "FALSE" },
		{ "x = 'abcdefghijklmnopqrstu'", "TRUE" },
		{ "x = 'abcdefghijkXmnopqrstu'", "FALSE" },
		{ "x = 'abcdefghijklmnopqrstX'", "FALSE" },
		{ "'abcdefghijklmnopqrstu' = x", "TRUE" },
	};

	RUN(c);
}

static void test_between_in(void)
{
	static const struct ecase c[] = {
		{ "a BETWEEN 1 AND 10", "TRUE" },
		{ "a BETWEEN 7 AND 7", "TRUE" },
		{ "a BETWEEN 8 AND 10", "FALSE" },
		{ "a BETWEEN 10 AND 1", "FALSE" },
		{ "a NOT BETWEEN 1 AND 10", "FALSE" },
		{ "a NOT BETWEEN 8 AND 10", "TRUE" },
		{ "n BETWEEN 1 AND 2", "NULL" },
		{ "a BETWEEN NULL AND 4", "FALSE" },
		{ "a BETWEEN NULL AND 10", "NULL" },
		{ "a NOT BETWEEN NULL AND 10", "NULL" },
		{ "d BETWEEN 2 AND 2.5", "TRUE" },
		{ "b BETWEEN 'abb' AND 'abd'", "TRUE" },
		{ "a + 1 BETWEEN 2 * 4 AND 9", "TRUE" },
		{ "a IN (1, 7)", "TRUE" },
		{ "a IN (1, 2)", "FALSE" },
		{ "a IN (1, NULL)", "NULL" },
		{ "a IN (7, NULL)", "TRUE" },
		{ "a NOT IN (1, NULL)", "NULL" },
		{ "a NOT IN (1, 2)", "TRUE" },
		{ "a NOT IN (7)", "FALSE" },
		{ "n IN (1, 2)", "NULL" },
		{ "a IN (-7, 7.0)", "TRUE" },
		{ "d IN (1, 2.5)", "TRUE" },
		{ "b IN ('x', 'abc')", "TRUE" },
		{ "b NOT IN ('x', 'y')", "TRUE" },
		{ "e IN ('')", "TRUE" },
	};

	RUN(c);
}

static void test_like(void)
{
	static const struct ecase c[] = {
		{ "b LIKE 'abc'", "TRUE" },
		{ "b LIKE 'ab'", "FALSE" },
		{ "b LIKE 'ABC'", "FALSE" },
		{ "b LIKE '%'", "TRUE" },
		{ "e LIKE '%'", "TRUE" },
		{ "e LIKE ''", "TRUE" },
		{ "b LIKE ''", "FALSE" },
		{ "e LIKE '_'", "FALSE" },
		{ "b LIKE '___'", "TRUE" },
		{ "b LIKE '__'", "FALSE" },
		{ "b LIKE 'a%'", "TRUE" },
		{ "b LIKE '%c'", "TRUE" },
		{ "b LIKE '%b%'", "TRUE" },
		{ "b LIKE 'a%c'", "TRUE" },
		{ "b LIKE 'a%%%c'", "TRUE" },
		{ "b LIKE 'a_c'", "TRUE" },
		{ "b LIKE '%bc%d'", "FALSE" },
		{ "b LIKE 'a.c'", "FALSE" },
		{ "b LIKE '[a]bc'", "FALSE" },
		{ "b LIKE 'a(b|x)c'", "FALSE" },
		{ "b NOT LIKE 'a%'", "FALSE" },
		{ "b NOT LIKE 'x%'", "TRUE" },
		{ "s LIKE '%'", "NULL" },
		{ "s NOT LIKE '%'", "NULL" },
		/* characters, not bytes: é is one _ */
		{ "u LIKE 'h_llo%'", "TRUE" },
		{ "u LIKE 'h__llo%'", "FALSE" },
		/* _ and % take line breaks too */
		{ "u LIKE '%o_w%'", "TRUE" },
		{ "u LIKE 'héllo%wörld'", "TRUE" },
		{ "u LIKE '%wörld'", "TRUE" },
		{ "u LIKE '%world'", "FALSE" },
		{ "u LIKE 'héllo'", "FALSE" },
	};

	RUN(c);
}

static void test_regexp(void)
{
	static const struct ecase c[] = {
		{ "b REGEXP 'b'", "TRUE" },
		{ "b REGEXP '^b'", "FALSE" },
		{ "b REGEXP '^abc$'", "TRUE" },
		{ "b REGEXP 'ABC'", "FALSE" },
		{ "b REGEXP '(?i)ABC'", "TRUE" },
		{ "b REGEXP 'x|c'", "TRUE" },
		{ "b REGEXP '[0-9]'", "FALSE" },
		{ "b NOT REGEXP '[0-9]'", "TRUE" },
		{ "e REGEXP 'x*'", "TRUE" },
		{ "e REGEXP '.'", "FALSE" },
		{ "s REGEXP '.*'", "NULL" },
		{ "u REGEXP 'o.w'", "FALSE" },
		{ "u REGEXP '(?s)o.w'", "TRUE" },
		{ "u REGEXP '^w'", "FALSE" },
		{ "u REGEXP '(?m)^w'", "TRUE" },
		{ "u REGEXP '^h.llo'", "TRUE" },
		{ "b REGEXP 'b' AND b LIKE 'a%' AND NOT b REGEXP 'z'", "TRUE" },
	};

	RUN(c);
}

static void test_functions(void)
{
	static const struct ecase c[] = {
		{ "UPPER(b)", "'ABC'" },
		{ "LOWER('AbC')", "'abc'" },
		{ "UPPER(u)", "'HéLLO\nWöRLD'" },
		{ "LENGTH(u)", "11" },
		{ "LENGTH(e)", "0" },
		{ "LENGTH(b) + 1", "4" },
		{ "UPPER(b) = 'ABC' AND LOWER(UPPER(b)) = b", "TRUE" },
		{ "lower(b)", "'abc'" },
		{ "ABS(a - 10)", "3" },
		{ "ABS(d - 10)", "7.5" },
	};

	RUN(c);
}

/* The rule set of the memo tests: two streams; comparisons shared within a stream (in
 * either order of their operands, in WHEREs and DEFINEs, under AND and OR), others
 * not (another operator, column or literal, under NOT, in the other stream). */
static const char memo_src[] =
	"CREATE STREAM p (ts TIMESTAMP, card STRING, amount DOUBLE, status STRING, n BIGINT) "
	"WITH (format = 'json', port = 1, timestamp = 'ts');\n"
	"CREATE STREAM q (status STRING) WITH (format = 'json', port = 2);\n"
	"CREATE ALERT f AS SELECT card FROM p WHERE status = 'decline';\n"
	"CREATE PATTERN a AS SELECT * FROM p MATCH_RECOGNIZE (PARTITION BY card ORDER BY ts "
	"PATTERN (D B) DEFINE D AS status = 'declined', "
	"B AS status = 'approved' AND amount > 500);\n"
	"CREATE PATTERN b AS SELECT * FROM p MATCH_RECOGNIZE (PARTITION BY card ORDER BY ts "
	"PATTERN (D B) DEFINE D AS 'declined' = status OR n >= 3, "
	"B AS status = 'approved' AND 700 < amount);\n"
	"CREATE ALERT c AS SELECT card FROM p WHERE n >= 3 AND NOT (status = 'approved');\n"
	"CREATE ALERT d AS SELECT card FROM p WHERE status <> 'declined' OR 500 < amount;\n"
	"CREATE ALERT e AS SELECT status FROM q WHERE status = 'declined';\n";

static struct pat_ruleset *memo_rules(void)
{
	static const struct pat_options opt = { .hs_mode = PAT_HS_INPROCESS };
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;

	if (pat_compile_ex("m.rql", memo_src, strlen(memo_src), &opt, &rs, &d) != 0)
		fprintf(stderr, "\n  %s\n", d.n ? d.msgs[0] : "?");
	pat_diags_free(&d);
	return rs;
}

static const struct pat_rule *rule_named(const struct pat_ruleset *rs, const char *name)
{
	for (uint32_t k = 0; k < rs->n_rules; k++)
		if (strcmp(rs->rules[k].name, name) == 0)
			return &rs->rules[k];
	return NULL;
}

static void test_memo_plan(void)
{
	struct pat_ruleset *rs = memo_rules();
	const struct pat_rule *a, *b, *c, *d, *e;
	uint8_t declined, approved, n3, over500;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	a = rule_named(rs, "a");
	b = rule_named(rs, "b");
	c = rule_named(rs, "c");
	d = rule_named(rs, "d");
	e = rule_named(rs, "e");
	CU_ASSERT_FATAL(a && b && c && d && e);
	declined = a->define[0]->memo;
	approved = a->define[1]->list[0]->memo;
	over500 = a->define[1]->list[1]->memo;
	n3 = b->define[0]->list[1]->memo;
	/* status = 'declined' in a, 'declined' = status in b: one slot */
	CU_ASSERT(declined != 0);
	CU_ASSERT_EQUAL(b->define[0]->list[0]->memo, declined);
	/* status = 'approved' in both patterns' B */
	CU_ASSERT(approved != 0 && approved != declined);
	CU_ASSERT_EQUAL(b->define[1]->list[0]->memo, approved);
	/* amount > 500 in a's DEFINE, 500 < amount in d's WHERE; 700 < amount only in b */
	CU_ASSERT(over500 != 0);
	CU_ASSERT_EQUAL(d->where->list[1]->memo, over500);
	CU_ASSERT_EQUAL(b->define[1]->list[1]->memo, 0);
	/* n >= 3 in b's DEFINE (under OR) and c's WHERE (under AND) */
	CU_ASSERT(n3 != 0);
	CU_ASSERT_EQUAL(c->where->list[0]->memo, n3);
	/* under NOT: decided by the whole tree, no slot; <> is another comparison */
	CU_ASSERT_EQUAL(c->where->list[1]->a->memo, 0);
	CU_ASSERT_EQUAL(d->where->list[0]->memo, 0);
	/* the other stream's status = 'declined' is alone in its stream; 'decline' is
	 * another literal */
	CU_ASSERT_EQUAL(e->where->memo, 0);
	CU_ASSERT_EQUAL(rule_named(rs, "f")->where->memo, 0);
	pat_ruleset_free(rs);
}

/* Every condition of stream p decided with a memo shared over an event's conditions
 * (cleared for each event, as the data path does) as without one, on rows that take
 * each shared comparison both ways, NULLs included. */
static void test_memo_eval(void)
{
	static const char *status[] = { "declined", "approved", "decline", NULL };
	static const double amount[] = { 100, 600, 800 };
	static const int64_t n[] = { 1, 3, -1 };
	struct pat_ruleset *rs = memo_rules();
	struct pat_memo memo;
	struct pat_env with = { .row = &row, .memo = &memo }, without = { .row = &row };
	uint32_t s, m, x, k, v, checked = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	for (s = 0; s < 4; s++) {
		for (m = 0; m < 3; m++) {
			for (x = 0; x < 3; x++) {
				memset(&row, 0, sizeof(row));
				row.present = 1u << 0 | 1u << 1 | 1u << 2;
				row.v[1].s.p = (const uint8_t *)"card-1";
				row.v[1].s.len = 6;
				row.v[2].d = amount[m];
				if (status[s] != NULL) {
					row.present |= 1u << 3;
					set_str(3, status[s]);
				}
				if (n[x] >= 0) {
					row.present |= 1u << 4;
					row.v[4].i = n[x];
				}
				memo.known = memo.val = 0;
				for (k = 0; k < rs->n_rules; k++) {
					const struct pat_rule *r = &rs->rules[k];

					if (r->stream != 0)
						continue;
					if (r->where != NULL) {
						CU_ASSERT_EQUAL(pat_eval_cond(r->where, &with),
								pat_eval_cond(r->where, &without));
						checked++;
					}
					for (v = 0; v < r->n_vars; v++) {
						CU_ASSERT_EQUAL(
							pat_eval_cond(r->define[v], &with),
							pat_eval_cond(r->define[v], &without));
						checked++;
					}
				}
			}
		}
	}
	CU_ASSERT_EQUAL(checked, 36 * 7);
	/* the memo was used: the last event decided the shared comparisons */
	CU_ASSERT(memo.known != 0);
	pat_ruleset_free(rs);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "NULL logic", test_null_logic },
		{ "arithmetic, overflow, division by zero", test_arithmetic },
		{ "comparisons", test_comparisons },
		{ "BETWEEN and IN", test_between_in },
		{ "LIKE", test_like },
		{ "REGEXP", test_regexp },
		{ "functions", test_functions },
		{ "shared comparisons: which", test_memo_plan },
		{ "shared comparisons: decided once, as alone", test_memo_eval },
		{ NULL, NULL },
	};

	return unit_run("pat_expr", tests);
}

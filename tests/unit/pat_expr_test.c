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
		{ NULL, NULL },
	};

	return unit_run("pat_expr", tests);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* The Hyperscan predicate layer against slow reference matchers on generated values:
 * hundreds of random LIKE patterns (a hand-written SQL LIKE matcher over UTF-8
 * characters) and REGEXP patterns (PCRE2, the dialect Hyperscan implements) put on
 * one column as the rules of one rule set, so that each value is scanned once by one
 * database, and every predicate bit compared with its reference. Also: the compile
 * stage's time and memory bounds. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pat_expr.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define RIPTIDE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RIPTIDE_ASAN 1
#endif
#endif

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* ---- LIKE: the reference ---- */

/* Bytes of the UTF-8 character at s (values and patterns here are valid UTF-8). */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;

	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static int like_ref(const char *p, const char *v)
{
	if (*p == '\0')
		return *v == '\0';
	if (*p == '%') {
		for (;;) {
			if (like_ref(p + 1, v))
				return 1;
			if (*v == '\0')
				return 0;
			v += char_len(v);
		}
	}
	if (*v == '\0')
		return 0;
	if (*p == '_')
		return like_ref(p + 1, v + char_len(v));
	if (char_len(p) != char_len(v) || memcmp(p, v, char_len(p)) != 0)
		return 0;
	return like_ref(p + char_len(p), v + char_len(v));
}

static const char *const like_atoms[] = { "a", "b", "%", "_", "\xc3\xa9", ".", "\n", "*" };
static const char *const value_atoms[] = { "a", "b", "\xc3\xa9", ".", "\n", "*", "c" };

static void gen(char *out, const char *const *atoms, size_t n_atoms, uint32_t max_len)
{
	uint32_t n = rnd(max_len + 1), k;

	out[0] = '\0';
	for (k = 0; k < n; k++)
		strcat(out, atoms[rnd((uint32_t)n_atoms)]);
}

/* Quotes s as an RQL string literal. */
static void quote(char *out, const char *s)
{
	*out++ = '\'';
	for (; *s; s++) {
		if (*s == '\'')
			*out++ = '\'';
		*out++ = *s;
	}
	*out++ = '\'';
	*out = '\0';
}

#define N_RULES	 300
#define N_VALUES 400

struct layer {
	struct pat_ruleset *rs;
	hs_scratch_t *scratch;
};

/* A rule set of n alerts "v LIKE/REGEXP pattern[k]" on one STRING column. */
static void build(struct layer *l, char pats[][64], size_t n, const char *op)
{
	static const struct pat_options opt = { .hs_mode = PAT_HS_SANDBOX,
						.hs_time_ms = 60000,
						.hs_mem_bytes = PAT_HS_MEM_BYTES };
	size_t cap = 256 + n * 200, len;
	char *src = malloc(cap), q[160];
	struct pat_diags d = { 0 };
	size_t k;

	CU_ASSERT_FATAL(src != NULL);
	len = (size_t)snprintf(src, cap,
			       "CREATE STREAM s (v STRING) WITH (format = 'json', port = 1);\n");
	for (k = 0; k < n; k++) {
		quote(q, pats[k]);
		len += (size_t)snprintf(src + len, cap - len,
					"CREATE ALERT r%zu AS SELECT v FROM s WHERE v %s %s;\n", k,
					op, q);
	}
	if (pat_compile_ex("h.rql", src, len, &opt, &l->rs, &d) != 0)
		for (k = 0; k < d.n; k++)
			fprintf(stderr, "\n  %s\n", d.msgs[k]);
	CU_ASSERT_FATAL(l->rs != NULL);
	CU_ASSERT_FATAL(l->rs->hs[0] != NULL);
	/* one database for the column, however many rules */
	CU_ASSERT_EQUAL(l->rs->hs[0]->n_dbs, 1);
	CU_ASSERT_FATAL(pat_hs_scratch(l->rs, &l->scratch) == 0);
	pat_diags_free(&d);
	free(src);
}

/* Whether rule k holds for value v, through the layer: one scan, the rule's bit. */
static int layer_says(const struct layer *l, uint64_t *preds, size_t k)
{
	const struct pat_expr *w = l->rs->rules[k].where;

	return (int)(preds[w->idx >> 6] >> (w->idx & 63) & 1);
}

static void scan(const struct layer *l, const char *v, uint64_t *preds)
{
	struct fmt_row row = { .present = 1 };

	row.v[0].s.p = (const uint8_t *)v;
	row.v[0].s.len = (uint32_t)strlen(v);
	CU_ASSERT_FATAL(pat_hs_scan(l->rs->hs[0], &row, l->scratch, preds) == 0);
}

static void test_like_reference(void)
{
	static char pats[N_RULES][64], vals[N_VALUES][64];
	uint64_t preds[PAT_PRED_WORDS(N_RULES)];
	struct layer l = { 0 };
	size_t k, j, mismatches = 0, hits = 0;

	for (k = 0; k < N_RULES; k++)
		gen(pats[k], like_atoms, 8, 6);
	for (j = 0; j < N_VALUES; j++)
		gen(vals[j], value_atoms, 7, 8);
	build(&l, pats, N_RULES, "LIKE");
	for (j = 0; j < N_VALUES; j++) {
		scan(&l, vals[j], preds);
		for (k = 0; k < N_RULES; k++) {
			int want = like_ref(pats[k], vals[j]), got = layer_says(&l, preds, k);

			hits += (size_t)want;
			if (want != got && mismatches++ < 5)
				fprintf(stderr, "\n  '%s' LIKE '%s': layer %d, reference %d\n",
					vals[j], pats[k], got, want);
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	/* the generated cases exercise both outcomes */
	CU_ASSERT(hits > 1000 && hits < (size_t)N_RULES * N_VALUES - 1000);
	hs_free_scratch(l.scratch);
	pat_ruleset_free(l.rs);
}

/* ---- REGEXP: PCRE2 as the reference ---- */

static void gen_regex(char *out, int depth)
{
	static const char *const atoms[] = {
		"a", "b", "c", ".", "[ab]", "[^a]", "\\d", "\xc3\xa9"
	};
	static const char *const quants[] = { "", "", "", "*", "+", "?", "{1,2}", "{2}" };
	uint32_t n = 1 + rnd(3), k;

	out[0] = '\0';
	if (depth == 0 && rnd(4) == 0)
		strcat(out, rnd(2) ? "(?i)" : "(?s)");
	if (depth == 0 && rnd(5) == 0)
		strcat(out, "^");
	for (k = 0; k < n; k++) {
		if (depth < 2 && rnd(5) == 0) {
			char a[64], b[64];

			gen_regex(a, depth + 1);
			gen_regex(b, depth + 1);
			sprintf(out + strlen(out), "(%s|%s)", a, b);
		} else {
			strcat(out, atoms[rnd(8)]);
		}
		strcat(out, quants[rnd(8)]);
	}
	if (depth == 0 && rnd(5) == 0)
		strcat(out, "$");
}

static int pcre_ref(pcre2_code *re, const char *v)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL);

	pcre2_match_data_free(md);
	return rc >= 0;
}

static void test_regexp_reference(void)
{
	static char pats[N_RULES][64], vals[N_VALUES][64];
	static const char *const vatoms[] = { "a", "b", "c", "A", "B", "1", "\n", "\xc3\xa9", " " };
	uint64_t preds[PAT_PRED_WORDS(N_RULES)];
	pcre2_code *re[N_RULES];
	struct layer l = { 0 };
	size_t k, j, mismatches = 0, hits = 0;

	for (k = 0; k < N_RULES; k++) {
		int err;
		PCRE2_SIZE off;

		do
			gen_regex(pats[k], 0);
		while (strlen(pats[k]) > 60);
		re[k] = pcre2_compile((PCRE2_SPTR)pats[k], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err,
				      &off, NULL);
		CU_ASSERT_FATAL(re[k] != NULL);
	}
	for (j = 0; j < N_VALUES; j++)
		gen(vals[j], vatoms, 9, 8);
	build(&l, pats, N_RULES, "REGEXP");
	for (j = 0; j < N_VALUES; j++) {
		scan(&l, vals[j], preds);
		for (k = 0; k < N_RULES; k++) {
			int want = pcre_ref(re[k], vals[j]), got = layer_says(&l, preds, k);

			hits += (size_t)want;
			if (want != got && mismatches++ < 5)
				fprintf(stderr, "\n  '%s' REGEXP '%s': layer %d, PCRE2 %d\n",
					vals[j], pats[k], got, want);
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(hits > 1000 && hits < (size_t)N_RULES * N_VALUES - 1000);
	for (k = 0; k < N_RULES; k++)
		pcre2_code_free(re[k]);
	hs_free_scratch(l.scratch);
	pat_ruleset_free(l.rs);
}

/* The same pattern on the same column from several rules is one predicate; on
 * another column, or as LIKE rather than REGEXP, another. */
static void test_shared_predicates(void)
{
	static const char src[] =
		"CREATE STREAM s (v STRING, w STRING) WITH (format = 'json', port = 1);\n"
		"CREATE ALERT a AS SELECT v FROM s WHERE v REGEXP 'x';\n"
		"CREATE ALERT b AS SELECT v FROM s WHERE v REGEXP 'x' OR w REGEXP 'x';\n"
		"CREATE ALERT c AS SELECT v FROM s WHERE v LIKE 'x';\n"
		"CREATE ALERT d AS SELECT v FROM s WHERE v LIKE '%casino%' AND v LIKE 'a_c%';\n";
	static const struct pat_options opt = { .hs_mode = PAT_HS_INPROCESS };
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;

	CU_ASSERT_FATAL(pat_compile_ex("s.rql", src, strlen(src), &opt, &rs, &d) == 0);
	CU_ASSERT_EQUAL(rs->n_preds[0], 5);
	CU_ASSERT_EQUAL(rs->hs[0]->n_dbs, 2);
	CU_ASSERT_EQUAL(rs->rules[0].where->idx, rs->rules[1].where->list[0]->idx);
	CU_ASSERT_NOT_EQUAL(rs->rules[1].where->list[0]->idx, rs->rules[1].where->list[1]->idx);
	CU_ASSERT_NOT_EQUAL(rs->rules[0].where->idx, rs->rules[2].where->idx);
	/* LIKE as Hyperscan sees it: an unanchored literal search, or anchored */
	CU_ASSERT_STRING_EQUAL(rs->preds[0][rs->rules[3].where->list[0]->idx].expr, "casino");
	CU_ASSERT_STRING_EQUAL(rs->preds[0][rs->rules[3].where->list[1]->idx].expr, "\\Aa.c");
	CU_ASSERT_STRING_EQUAL(rs->preds[0][rs->rules[2].where->idx].expr, "\\Ax\\z");
	pat_ruleset_free(rs);
}

/* Compiles src with opt; expects one error containing want, at line:col. */
static void expect_stage_error(const char *src, const struct pat_options *opt, const char *at,
			       const char *want)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;

	CU_ASSERT_EQUAL(pat_compile_ex("b.rql", src, strlen(src), opt, &rs, &d), -EINVAL);
	CU_ASSERT_PTR_NULL(rs);
	CU_ASSERT_EQUAL_FATAL(d.n, 1);
	if (strstr(d.msgs[0], want) == NULL || strncmp(d.msgs[0], at, strlen(at)) != 0)
		fprintf(stderr, "\n  got %s\n  want %s...%s\n", d.msgs[0], at, want);
	CU_ASSERT(strncmp(d.msgs[0], at, strlen(at)) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.msgs[0], want));
	pat_diags_free(&d);
}

/* Many patterns that Hyperscan takes a while to compile. */
static char *heavy_rules(size_t n)
{
	size_t cap = 128 + n * 160, len, k;
	char *src = malloc(cap);

	len = (size_t)snprintf(src, cap,
			       "CREATE STREAM s (v STRING) WITH (format='json', port=1);\n");
	for (k = 0; k < n; k++)
		len += (size_t)snprintf(src + len, cap - len,
					"CREATE ALERT r%zu AS SELECT v FROM s WHERE v REGEXP "
					"'(a|b|c%zu)[^x]{%zu,%zu}(d|e)+f.{3}';\n",
					k, k, 10 + k % 20, 40 + k % 30);
	return src;
}

static void test_compile_bounds(void)
{
	struct pat_options opt = { .hs_mode = PAT_HS_SANDBOX,
				   .hs_time_ms = 50,
				   .hs_mem_bytes = PAT_HS_MEM_BYTES };
	char *src = heavy_rules(300);

	/* time: the child is stopped at the deadline; the error stands at the first
	 * pattern of the column being compiled */
	expect_stage_error(src, &opt, "b.rql:2:", "took longer than 50 ms");
#if !defined(RIPTIDE_ASAN)
	/* memory: an address-space limit below what the compiler needs (not under ASan,
	 * whose shadow memory rules out an address-space limit: pat_hs.c sets none) */
	opt.hs_time_ms = 60000;
	opt.hs_mem_bytes = 64ull << 20;
	{
		struct pat_diags d = { 0 };
		struct pat_ruleset *rs = NULL;

		/* Hyperscan reports the failed allocation, or the child dies of it */
		CU_ASSERT_EQUAL(pat_compile_ex("b.rql", src, strlen(src), &opt, &rs, &d), -EINVAL);
		CU_ASSERT_PTR_NULL(rs);
		CU_ASSERT_EQUAL_FATAL(d.n, 1);
		CU_ASSERT(strncmp(d.msgs[0], "b.rql:2:", 8) == 0);
		CU_ASSERT(strstr(d.msgs[0], "Unable to allocate memory") != NULL ||
			  strstr(d.msgs[0], "its memory limit is 64 MiB") != NULL);
		pat_diags_free(&d);
	}
#endif
	free(src);
}

static void test_pattern_errors(void)
{
	static const struct pat_options opt = { .hs_mode = PAT_HS_SANDBOX,
						.hs_time_ms = 60000,
						.hs_mem_bytes = PAT_HS_MEM_BYTES };

	expect_stage_error("CREATE STREAM s (v STRING) WITH (format='json', port=1);\n"
			   "CREATE ALERT r AS SELECT v FROM s WHERE v REGEXP 'a(b';\n",
			   &opt, "b.rql:2:50: error: ",
			   "REGEXP pattern refused by Hyperscan: Missing close parenthesis");
	expect_stage_error("CREATE STREAM s (v STRING) WITH (format='json', port=1);\n"
			   "CREATE ALERT r AS SELECT v FROM s WHERE v REGEXP '\\1(a)';\n",
			   &opt, "b.rql:2:50: error: ", "REGEXP pattern refused by Hyperscan");
	/* not UTF-8 */
	expect_stage_error("CREATE STREAM s (v STRING) WITH (format='json', port=1);\n"
			   "CREATE ALERT r AS SELECT v FROM s WHERE v LIKE 'a\xff';\n",
			   &opt, "b.rql:2:48: error: ", "LIKE pattern refused by Hyperscan");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "LIKE against the reference matcher", test_like_reference },
		{ "REGEXP against PCRE2", test_regexp_reference },
		{ "one predicate per (column, pattern)", test_shared_predicates },
		{ "patterns refused at their place", test_pattern_errors },
		{ "compile time and memory bounds", test_compile_bounds },
		{ NULL, NULL },
	};

	return unit_run("pat_hs", tests);
}

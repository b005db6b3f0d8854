/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE ALERT, AGGREGATE and PATTERN (spec/RULES.md): the statements, their
 * expressions and MATCH_RECOGNIZE patterns are parsed into trees with names still
 * unresolved, then checked against the stream named by FROM (which comes after the
 * select list): names, types, where aggregates may stand, window arithmetic and the
 * pattern limits. A statement with an error is reported and dropped whole.
 */
#include "pat_internal.h"

#include <hs/hs.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Operands of one AND or OR, literals of one IN list. */
#define PAT_MAX_LIST 1024

/* ---- expression trees ---- */

static struct pat_expr *new_expr(struct pat_parser *p, enum pat_op op, const struct pat_token *at)
{
	struct pat_expr *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		p->nomem = 1;
		return NULL;
	}
	e->op = (uint8_t)op;
	e->line = at->line;
	e->col = at->col;
	e->arg = UINT32_MAX;
	return e;
}

void pat_expr_free(struct pat_expr *e)
{
	uint32_t k;

	if (e == NULL)
		return;
	pat_expr_free(e->a);
	pat_expr_free(e->b);
	pat_expr_free(e->c);
	for (k = 0; k < e->n_list; k++)
		pat_expr_free(e->list[k]);
	free(e->list);
	free(e->s);
	free(e->qual);
	free(e);
}

static int list_push(struct pat_parser *p, struct pat_expr *e, struct pat_expr *x,
		     const struct pat_token *at)
{
	struct pat_expr **v;

	if (x == NULL)
		return -1;
	if (e->n_list == PAT_MAX_LIST) {
		pat_diag(p, at, "more than %d operands in one list", PAT_MAX_LIST);
		pat_expr_free(x);
		return -1;
	}
	v = realloc(e->list, (e->n_list + 1) * sizeof(*v));
	if (v == NULL) {
		p->nomem = 1;
		pat_expr_free(x);
		return -1;
	}
	e->list = v;
	e->list[e->n_list++] = x;
	return 0;
}

static struct pat_expr *parse_expr(struct pat_parser *p);

/* Guards every recursion of the parser: a hostile file cannot exhaust the stack. */
static int enter(struct pat_parser *p, const struct pat_token *at)
{
	if (p->depth >= PAT_MAX_DEPTH) {
		pat_diag(p, at, "expression nested more than %d levels deep", PAT_MAX_DEPTH);
		return -1;
	}
	p->depth++;
	return 0;
}

static struct pat_expr *parse_call(struct pat_parser *p, const struct pat_token *name)
{
	struct pat_expr *e = new_expr(p, PAT_OP_CALL, name);

	if (e == NULL)
		return NULL;
	e->s = pat_xstrdup(p, name->text);
	pat_next(p); /* ( */
	if (pat_is_punct(pat_peek(p), ")")) {
		pat_next(p);
		return e;
	}
	do {
		const struct pat_token *t = pat_peek(p);
		struct pat_expr *arg;

		if (pat_is_punct(t, "*")) { /* COUNT(*) */
			pat_next(p);
			arg = new_expr(p, PAT_OP_NAME, t);
			if (arg != NULL)
				arg->s = pat_xstrdup(p, "*");
		} else {
			arg = parse_expr(p);
		}
		if (list_push(p, e, arg, t) != 0)
			goto fail;
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	if (pat_expect_punct(p, ")") == 0)
		return e;
fail:
	pat_expr_free(e);
	return NULL;
}

static struct pat_expr *parse_primary(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_expr *e;
	char buf[64];

	switch (t->kind) {
	case PAT_TOK_INT:
	case PAT_TOK_FLOAT:
	case PAT_TOK_STRING:
		e = new_expr(p, PAT_OP_CONST, t);
		if (e == NULL)
			return NULL;
		pat_next(p);
		if (t->kind == PAT_TOK_INT) {
			e->type = PAT_T_BIGINT;
			e->i = t->ival;
		} else if (t->kind == PAT_TOK_FLOAT) {
			e->type = PAT_T_DOUBLE;
			e->d = t->dval;
		} else {
			e->type = PAT_T_STRING;
			e->s = malloc(t->len + 1);
			if (e->s == NULL) {
				p->nomem = 1;
				pat_expr_free(e);
				return NULL;
			}
			memcpy(e->s, t->text, t->len + 1);
			e->len = (uint32_t)t->len;
		}
		return e;
	case PAT_TOK_IDENT:
		if (!t->quoted &&
		    (pat_is_kw(t, "TRUE") || pat_is_kw(t, "FALSE") || pat_is_kw(t, "NULL"))) {
			e = new_expr(p, PAT_OP_CONST, t);
			if (e == NULL)
				return NULL;
			pat_next(p);
			e->type = pat_is_kw(t, "NULL") ? PAT_T_NULL : PAT_T_BOOLEAN;
			e->i = pat_is_kw(t, "TRUE");
			return e;
		}
		if (!t->quoted && pat_is_punct(pat_peek2(p), "(")) {
			pat_next(p);
			return parse_call(p, t);
		}
		e = new_expr(p, PAT_OP_NAME, t);
		if (e == NULL)
			return NULL;
		pat_next(p);
		if (pat_is_punct(pat_peek(p), ".")) { /* V.col or V.* */
			const struct pat_token *c;

			pat_next(p);
			c = pat_peek(p);
			if (pat_is_punct(c, "*")) {
				pat_next(p);
				e->qual = pat_xstrdup(p, t->text);
				e->s = pat_xstrdup(p, "*");
				return e;
			}
			c = pat_expect_ident(p, "a column name after '.'");
			if (c == NULL) {
				pat_expr_free(e);
				return NULL;
			}
			e->qual = pat_xstrdup(p, t->text);
			e->s = pat_xstrdup(p, c->text);
			return e;
		}
		e->s = pat_xstrdup(p, t->text);
		return e;
	case PAT_TOK_PUNCT:
		if (pat_is_punct(t, "(")) {
			pat_next(p);
			e = parse_expr(p);
			if (e != NULL && pat_expect_punct(p, ")") != 0) {
				pat_expr_free(e);
				return NULL;
			}
			return e;
		}
		break;
	default:
		break;
	}
	pat_diag(p, t, "expected an expression, found %s", pat_what(t, buf, sizeof(buf)));
	return NULL;
}

static struct pat_expr *parse_unary(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_expr *e, *a;

	if (!pat_is_punct(t, "-"))
		return parse_primary(p);
	if (enter(p, t) != 0)
		return NULL;
	pat_next(p);
	a = parse_unary(p);
	p->depth--;
	if (a == NULL)
		return NULL;
	/* a negative literal is a literal (IN lists take literals only) */
	if (a->op == PAT_OP_CONST && a->type == PAT_T_DOUBLE) {
		a->d = -a->d;
		a->line = t->line;
		a->col = t->col;
		return a;
	}
	if (a->op == PAT_OP_CONST && a->type == PAT_T_BIGINT && a->i != INT64_MIN) {
		a->i = -a->i;
		a->line = t->line;
		a->col = t->col;
		return a;
	}
	e = new_expr(p, PAT_OP_NEG, t);
	if (e == NULL) {
		pat_expr_free(a);
		return NULL;
	}
	e->a = a;
	return e;
}

/* A left-associative chain of binary operators; every link counts as a level. */
static struct pat_expr *parse_binary(struct pat_parser *p, int mult)
{
	static const struct {
		const char *s;
		enum pat_op op;
	} ops[] = { { "+", PAT_OP_ADD },
		    { "-", PAT_OP_SUB },
		    { "*", PAT_OP_MUL },
		    { "/", PAT_OP_DIV },
		    { "%", PAT_OP_MOD } };
	struct pat_expr *l = mult ? parse_unary(p) : parse_binary(p, 1);
	int links = 0;

	while (l != NULL) {
		const struct pat_token *t = pat_peek(p);
		struct pat_expr *e, *r;
		size_t k, first = mult ? 2 : 0, last = mult ? 5 : 2;

		for (k = first; k < last; k++)
			if (pat_is_punct(t, ops[k].s))
				break;
		if (k == last)
			break;
		if (enter(p, t) != 0) {
			pat_expr_free(l);
			l = NULL;
			break;
		}
		links++;
		pat_next(p);
		r = mult ? parse_unary(p) : parse_binary(p, 1);
		e = r ? new_expr(p, ops[k].op, t) : NULL;
		if (e == NULL) {
			pat_expr_free(l);
			pat_expr_free(r);
			l = NULL;
			break;
		}
		e->a = l;
		e->b = r;
		l = e;
	}
	p->depth -= links;
	return l;
}

static struct pat_expr *parse_additive(struct pat_parser *p)
{
	return parse_binary(p, 0);
}

/* LIKE 'pattern' or REGEXP 'pattern' after the column (l); the node stands where the
 * pattern does, so that a Hyperscan error points at it. */
static struct pat_expr *parse_match(struct pat_parser *p, struct pat_expr *l, int regexp, int neg)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_expr *e;
	char buf[64];

	if (t->kind != PAT_TOK_STRING) {
		pat_diag(p, t, "%s needs a string literal pattern, found %s",
			 regexp ? "REGEXP" : "LIKE", pat_what(t, buf, sizeof(buf)));
		pat_expr_free(l);
		return NULL;
	}
	pat_next(p);
	e = new_expr(p, PAT_OP_MATCH, t);
	if (e == NULL) {
		pat_expr_free(l);
		return NULL;
	}
	e->a = l;
	e->fn = (uint8_t)regexp;
	e->neg = (uint8_t)neg;
	e->s = malloc(t->len + 1);
	if (e->s == NULL) {
		p->nomem = 1;
		pat_expr_free(e);
		return NULL;
	}
	memcpy(e->s, t->text, t->len + 1);
	e->len = (uint32_t)t->len;
	return e;
}

static struct pat_expr *parse_predicate(struct pat_parser *p)
{
	static const struct {
		const char *s;
		enum pat_op op;
	} cmp[] = { { "=", PAT_OP_EQ }, { "!=", PAT_OP_NE }, { "<>", PAT_OP_NE },
		    { "<", PAT_OP_LT }, { "<=", PAT_OP_LE }, { ">", PAT_OP_GT },
		    { ">=", PAT_OP_GE } };
	struct pat_expr *l = parse_additive(p), *e;
	const struct pat_token *t;
	int neg = 0;
	size_t k;

	if (l == NULL)
		return NULL;
	t = pat_peek(p);
	for (k = 0; k < sizeof(cmp) / sizeof(cmp[0]); k++) {
		if (pat_is_punct(t, cmp[k].s)) {
			pat_next(p);
			e = new_expr(p, cmp[k].op, t);
			if (e == NULL || (e->b = parse_additive(p)) == NULL) {
				pat_expr_free(e);
				pat_expr_free(l);
				return NULL;
			}
			e->a = l;
			return e;
		}
	}
	if (pat_is_kw(t, "IS")) {
		pat_next(p);
		if (pat_is_kw(pat_peek(p), "NOT")) {
			pat_next(p);
			neg = 1;
		}
		if (pat_expect_kw(p, "NULL") != 0 || (e = new_expr(p, PAT_OP_IS_NULL, t)) == NULL) {
			pat_expr_free(l);
			return NULL;
		}
		e->a = l;
		e->neg = (uint8_t)neg;
		return e;
	}
	if (pat_is_kw(t, "NOT")) {
		const struct pat_token *t2 = pat_peek2(p);

		if (pat_is_kw(t2, "IN") || pat_is_kw(t2, "BETWEEN") || pat_is_kw(t2, "LIKE") ||
		    pat_is_kw(t2, "REGEXP")) {
			pat_next(p);
			neg = 1;
			t = pat_peek(p);
		}
	}
	if (pat_is_kw(t, "LIKE") || pat_is_kw(t, "REGEXP")) {
		pat_next(p);
		return parse_match(p, l, pat_is_kw(t, "REGEXP"), neg);
	}
	if (pat_is_kw(t, "IN")) {
		pat_next(p);
		e = new_expr(p, PAT_OP_IN, t);
		if (e == NULL || pat_expect_punct(p, "(") != 0)
			goto fail;
		e->a = l;
		e->neg = (uint8_t)neg;
		l = NULL;
		do {
			const struct pat_token *at = pat_peek(p);

			if (list_push(p, e, parse_additive(p), at) != 0)
				goto fail;
		} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
		if (pat_expect_punct(p, ")") != 0)
			goto fail;
		return e;
	}
	if (pat_is_kw(t, "BETWEEN")) {
		pat_next(p);
		e = new_expr(p, PAT_OP_BETWEEN, t);
		if (e == NULL)
			goto fail;
		e->a = l;
		e->neg = (uint8_t)neg;
		l = NULL;
		if ((e->b = parse_additive(p)) == NULL || pat_expect_kw(p, "AND") != 0 ||
		    (e->c = parse_additive(p)) == NULL)
			goto fail;
		return e;
	}
	return l;
fail:
	pat_expr_free(e);
	pat_expr_free(l);
	return NULL;
}

static struct pat_expr *parse_not(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_expr *e;

	if (!pat_is_kw(t, "NOT"))
		return parse_predicate(p);
	if (enter(p, t) != 0)
		return NULL;
	pat_next(p);
	e = new_expr(p, PAT_OP_NOT, t);
	if (e != NULL && (e->a = parse_not(p)) == NULL) {
		pat_expr_free(e);
		e = NULL;
	}
	p->depth--;
	return e;
}

/* AND and OR are n-ary: a long chain is a list, not a deep tree. */
static struct pat_expr *parse_logic(struct pat_parser *p, int is_or)
{
	const char *kw = is_or ? "OR" : "AND";
	struct pat_expr *first = is_or ? parse_logic(p, 0) : parse_not(p), *e;

	if (first == NULL || !pat_is_kw(pat_peek(p), kw))
		return first;
	e = new_expr(p, is_or ? PAT_OP_OR : PAT_OP_AND, pat_peek(p));
	if (e == NULL || list_push(p, e, first, pat_peek(p)) != 0) {
		if (e == NULL)
			pat_expr_free(first);
		pat_expr_free(e);
		return NULL;
	}
	while (pat_is_kw(pat_peek(p), kw)) {
		const struct pat_token *at = pat_next(p);

		if (list_push(p, e, is_or ? parse_logic(p, 0) : parse_not(p), at) != 0) {
			pat_expr_free(e);
			return NULL;
		}
	}
	return e;
}

static struct pat_expr *parse_expr(struct pat_parser *p)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_expr *e;

	if (enter(p, t) != 0)
		return NULL;
	e = parse_logic(p, 1);
	p->depth--;
	return e;
}

/* ---- checking ---- */

enum ctx {
	CX_ROW,	    /* WHERE, alert select list, DEFINE: the current event's columns */
	CX_AGG,	    /* aggregate select list and HAVING: GROUP BY columns, aggregates */
	CX_MEASURE, /* MATCH_RECOGNIZE measures */
};

struct checker {
	struct pat_parser *p;
	const struct pat_stream *s;
	uint32_t si;
	struct pat_rule *r;
	enum ctx ctx;
	/* LOWER/UPPER in the rule: the values of one message are all held at once */
	uint32_t case_nodes;
};

static int is_num(uint8_t t)
{
	return t == PAT_T_BIGINT || t == PAT_T_DOUBLE || t == PAT_T_TIMESTAMP || t == PAT_T_NULL;
}

static int comparable(uint8_t a, uint8_t b)
{
	if (a == PAT_T_NULL || b == PAT_T_NULL)
		return 1;
	if (is_num(a) && is_num(b))
		return 1;
	return a == b;
}

static int column_of(const struct pat_stream *s, const char *name)
{
	uint32_t c;

	for (c = 0; c < s->n_cols; c++)
		if (strcmp(s->cols[c].name, name) == 0)
			return (int)c;
	return -1;
}

static int var_of(const struct pat_rule *r, const char *name)
{
	uint32_t v;

	for (v = 0; v < r->n_vars; v++)
		if (strcmp(r->vars[v], name) == 0)
			return (int)v;
	return -1;
}

static int in_cols(const uint32_t *cols, uint32_t n, uint32_t c)
{
	uint32_t k;

	for (k = 0; k < n; k++)
		if (cols[k] == c)
			return 1;
	return 0;
}

static int check(struct checker *cx, struct pat_expr *e);

/* The LIKE pattern pat as a Hyperscan expression over the whole value: % any run, _
 * any one character, everything else itself. Leading and trailing % drop the
 * anchors instead of adding .*, so '%casino%' is the plain literal search. */
static char *like_to_regex(const char *pat, uint32_t len)
{
	char *out = malloc((size_t)len * 4 + 8), *o = out;
	uint32_t b = 0, e = len, k;

	if (out == NULL)
		return NULL;
	while (b < e && pat[b] == '%')
		b++;
	while (e > b && pat[e - 1] == '%')
		e--;
	if (b == 0)
		o += sprintf(o, "\\A");
	for (k = b; k < e; k++) {
		unsigned char c = (unsigned char)pat[k];

		if (c == '%') {
			o += sprintf(o, ".*");
		} else if (c == '_') {
			*o++ = '.';
		} else if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z')) {
			*o++ = (char)c; /* UTF-8 bytes stay as they are: one character */
		} else if (c >= 0x20 && c < 0x7f) {
			*o++ = '\\';
			*o++ = (char)c;
		} else {
			o += sprintf(o, "\\x%02x", c);
		}
	}
	if (e == len || len == 0)
		o += sprintf(o, "\\z");
	*o = '\0';
	return out;
}

/* Registers the predicate of a MATCH node on column c: the same pattern on the same
 * column, from any rule, is one predicate and one bit. */
static int add_predicate(struct checker *cx, struct pat_expr *e, uint32_t c)
{
	struct pat_ruleset *rs = cx->p->rs;
	struct pat_pred *v, *pr;
	char *expr;
	uint32_t k, n = rs->n_preds[cx->si];

	if (e->len > PAT_MAX_PATTERN) {
		pat_diag_at(cx->p, e->line, e->col, "pattern longer than %d bytes",
			    PAT_MAX_PATTERN);
		return -1;
	}
	if (memchr(e->s, '\0', e->len) != NULL) {
		pat_diag_at(cx->p, e->line, e->col, "pattern holds a NUL byte");
		return -1;
	}
	expr = e->fn ? strdup(e->s) : like_to_regex(e->s, e->len);
	if (expr == NULL) {
		cx->p->nomem = 1;
		return -1;
	}
	for (k = 0; k < n; k++) {
		pr = &rs->preds[cx->si][k];
		if (pr->col == c && pr->regexp == (e->fn != 0) && strcmp(pr->expr, expr) == 0) {
			free(expr);
			e->idx = k;
			return 0;
		}
	}
	if (n == PAT_MAX_PREDICATES) {
		pat_diag_at(cx->p, e->line, e->col,
			    "stream '%s' has more than %d distinct LIKE/REGEXP patterns",
			    cx->s->name, PAT_MAX_PREDICATES);
		free(expr);
		return -1;
	}
	v = realloc(rs->preds[cx->si], (n + 1) * sizeof(*v));
	if (v == NULL) {
		cx->p->nomem = 1;
		free(expr);
		return -1;
	}
	rs->preds[cx->si] = v;
	pr = &v[n];
	pr->col = c;
	pr->expr = expr;
	pr->regexp = e->fn != 0;
	pr->line = e->line;
	pr->col_no = e->col;
	rs->n_preds[cx->si] = n + 1;
	e->idx = n;
	return 0;
}

static const char *tname(uint8_t t)
{
	return pat_type_name((enum pat_type)t);
}

/* The column named by a bare NAME argument of an aggregate or measure, or -1. */
static int arg_column(struct checker *cx, const struct pat_expr *a, const char *fn)
{
	int c;

	if (a->op != PAT_OP_NAME || a->qual != NULL || strcmp(a->s, "*") == 0) {
		pat_diag_at(cx->p, a->line, a->col, "%s takes a column of stream '%s'", fn,
			    cx->s->name);
		return -1;
	}
	c = column_of(cx->s, a->s);
	if (c < 0)
		pat_diag_at(cx->p, a->line, a->col, "unknown column '%s' in stream '%s'", a->s,
			    cx->s->name);
	return c;
}

static int check_aggregate(struct checker *cx, struct pat_expr *e, const char *fn)
{
	static const struct {
		const char *name;
		enum pat_agg_fn fn;
	} aggs[] = {
		{ "COUNT", PAT_AGG_COUNT },
		{ "SUM", PAT_AGG_SUM },
		{ "MIN", PAT_AGG_MIN },
		{ "MAX", PAT_AGG_MAX },
		{ "AVG", PAT_AGG_AVG },
		{ "COUNT_DISTINCT", PAT_AGG_COUNT_DISTINCT },
		{ "PERCENTILE_APPROX", PAT_AGG_PERCENTILE },
	};
	struct pat_rule *r = cx->r;
	size_t k;
	int c;

	for (k = 0; k < sizeof(aggs) / sizeof(aggs[0]); k++)
		if (strcasecmp(fn, aggs[k].name) == 0)
			break;
	if (cx->ctx != CX_AGG) {
		pat_diag_at(cx->p, e->line, e->col,
			    "aggregate %s is allowed only in the select list and HAVING of "
			    "CREATE AGGREGATE",
			    aggs[k].name);
		return -1;
	}
	if (e->n_list != (aggs[k].fn == PAT_AGG_PERCENTILE ? 2u : 1u)) {
		pat_diag_at(cx->p, e->line, e->col, "%s takes %s", aggs[k].name,
			    aggs[k].fn == PAT_AGG_PERCENTILE ? "a column and a fraction"
							     : "one column");
		return -1;
	}
	e->fn = (uint8_t)aggs[k].fn;
	if (aggs[k].fn == PAT_AGG_COUNT && e->list[0]->op == PAT_OP_NAME &&
	    e->list[0]->qual == NULL && strcmp(e->list[0]->s, "*") == 0) {
		e->fn = PAT_AGG_COUNT_STAR;
		e->type = PAT_T_BIGINT;
	} else {
		c = arg_column(cx, e->list[0], aggs[k].name);
		if (c < 0)
			return -1;
		e->arg = (uint32_t)c;
		e->type = cx->s->cols[c].type;
		switch (aggs[k].fn) {
		case PAT_AGG_COUNT:
		case PAT_AGG_COUNT_DISTINCT:
			e->type = PAT_T_BIGINT;
			break;
		case PAT_AGG_SUM:
		case PAT_AGG_AVG:
		case PAT_AGG_PERCENTILE:
			if (e->type != PAT_T_BIGINT && e->type != PAT_T_DOUBLE) {
				pat_diag_at(cx->p, e->line, e->col,
					    "%s needs a BIGINT or DOUBLE column, '%s' is %s",
					    aggs[k].name, cx->s->cols[c].name, tname(e->type));
				return -1;
			}
			if (aggs[k].fn != PAT_AGG_SUM)
				e->type = PAT_T_DOUBLE;
			break;
		case PAT_AGG_MIN:
		case PAT_AGG_MAX:
			if (!is_num(e->type)) {
				pat_diag_at(
					cx->p, e->line, e->col,
					"%s needs a BIGINT, DOUBLE or TIMESTAMP column, '%s' is %s",
					aggs[k].name, cx->s->cols[c].name, tname(e->type));
				return -1;
			}
			break;
		default:
			break;
		}
	}
	if (aggs[k].fn == PAT_AGG_PERCENTILE) {
		const struct pat_expr *q = e->list[1];
		double v = q->op == PAT_OP_CONST && q->type == PAT_T_DOUBLE   ? q->d
			   : q->op == PAT_OP_CONST && q->type == PAT_T_BIGINT ? (double)q->i
									      : NAN;

		if (!(v > 0 && v < 1)) {
			pat_diag_at(cx->p, q->line, q->col,
				    "PERCENTILE_APPROX needs a literal fraction p, 0 < p < 1");
			return -1;
		}
		e->p = v;
	}
	if (r->n_aggs == sizeof(r->aggs) / sizeof(r->aggs[0])) {
		pat_diag_at(cx->p, e->line, e->col, "more than %zu aggregates in one rule",
			    sizeof(r->aggs) / sizeof(r->aggs[0]));
		return -1;
	}
	e->op = PAT_OP_AGG;
	e->idx = r->n_aggs;
	r->aggs[r->n_aggs++] = e;
	return 0;
}

static int check_measure(struct checker *cx, struct pat_expr *e, const char *fn)
{
	static const struct {
		const char *name;
		enum pat_measure_fn fn;
	} ms[] = { { "FIRST", PAT_M_FIRST }, { "LAST", PAT_M_LAST }, { "COUNT", PAT_M_COUNT },
		   { "SUM", PAT_M_SUM },     { "MIN", PAT_M_MIN },   { "MAX", PAT_M_MAX },
		   { "AVG", PAT_M_AVG } };
	struct pat_expr *a;
	size_t k;
	int v, c;

	for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++)
		if (strcasecmp(fn, ms[k].name) == 0)
			break;
	if (k == sizeof(ms) / sizeof(ms[0])) {
		pat_diag_at(cx->p, e->line, e->col,
			    "%s is not a measure: use FIRST, LAST, COUNT, SUM, MIN, MAX or AVG "
			    "of a pattern variable",
			    fn);
		return -1;
	}
	if (e->n_list != 1 || e->list[0]->op != PAT_OP_NAME || e->list[0]->qual == NULL) {
		pat_diag_at(cx->p, e->line, e->col, "%s takes one V.column of a pattern variable",
			    ms[k].name);
		return -1;
	}
	a = e->list[0];
	v = var_of(cx->r, a->qual);
	if (v < 0) {
		pat_diag_at(cx->p, a->line, a->col, "'%s' is not a variable of the pattern",
			    a->qual);
		return -1;
	}
	e->fn = (uint8_t)ms[k].fn;
	e->var = (uint8_t)v;
	if (strcmp(a->s, "*") == 0) {
		if (ms[k].fn != PAT_M_COUNT) {
			pat_diag_at(cx->p, a->line, a->col, "%s.* is allowed in COUNT only",
				    a->qual);
			return -1;
		}
		e->type = PAT_T_BIGINT;
	} else {
		c = column_of(cx->s, a->s);
		if (c < 0) {
			pat_diag_at(cx->p, a->line, a->col, "unknown column '%s' in stream '%s'",
				    a->s, cx->s->name);
			return -1;
		}
		e->arg = (uint32_t)c;
		e->type = cx->s->cols[c].type;
		if (ms[k].fn == PAT_M_COUNT) {
			pat_diag_at(cx->p, a->line, a->col, "COUNT of a variable takes %s.*",
				    a->qual);
			return -1;
		}
		if (ms[k].fn >= PAT_M_SUM && !is_num(e->type)) {
			pat_diag_at(cx->p, a->line, a->col, "%s needs a number, '%s' is %s",
				    ms[k].name, a->s, tname(e->type));
			return -1;
		}
		if (ms[k].fn == PAT_M_AVG)
			e->type = PAT_T_DOUBLE;
		if (ms[k].fn == PAT_M_SUM && e->type == PAT_T_TIMESTAMP)
			e->type = PAT_T_BIGINT;
	}
	if (cx->r->n_aggs == sizeof(cx->r->aggs) / sizeof(cx->r->aggs[0])) {
		pat_diag_at(cx->p, e->line, e->col, "more than %zu measures in one rule",
			    sizeof(cx->r->aggs) / sizeof(cx->r->aggs[0]));
		return -1;
	}
	e->op = PAT_OP_MEASURE;
	e->idx = cx->r->n_aggs;
	cx->r->aggs[cx->r->n_aggs++] = e;
	return 0;
}

static int check_call(struct checker *cx, struct pat_expr *e)
{
	static const struct {
		const char *name;
		enum pat_op op;
	} scalars[] = { { "LOWER", PAT_OP_LOWER },
			{ "UPPER", PAT_OP_UPPER },
			{ "LENGTH", PAT_OP_LENGTH },
			{ "ABS", PAT_OP_ABS } };
	static const char *const agg_names[] = {
		"COUNT", "SUM", "MIN", "MAX", "AVG", "COUNT_DISTINCT", "PERCENTILE_APPROX"
	};
	struct pat_expr *a;
	size_t k;
	int rc;

	if (cx->ctx == CX_MEASURE &&
	    (strcasecmp(e->s, "FIRST") == 0 || strcasecmp(e->s, "LAST") == 0 ||
	     (e->n_list == 1 && e->list[0]->op == PAT_OP_NAME && e->list[0]->qual != NULL)))
		return check_measure(cx, e, e->s);
	for (k = 0; k < sizeof(agg_names) / sizeof(agg_names[0]); k++)
		if (strcasecmp(e->s, agg_names[k]) == 0)
			return check_aggregate(cx, e, e->s);
	for (k = 0; k < sizeof(scalars) / sizeof(scalars[0]); k++)
		if (strcasecmp(e->s, scalars[k].name) == 0)
			break;
	if (k == sizeof(scalars) / sizeof(scalars[0])) {
		pat_diag_at(cx->p, e->line, e->col, "unknown function '%s'", e->s);
		return -1;
	}
	if (e->n_list != 1) {
		pat_diag_at(cx->p, e->line, e->col, "%s takes one argument", scalars[k].name);
		return -1;
	}
	a = e->list[0];
	e->list[0] = NULL;
	e->n_list = 0;
	e->a = a;
	e->op = (uint8_t)scalars[k].op;
	if (strcmp(a->s ? a->s : "", "*") == 0 && a->op == PAT_OP_NAME) {
		pat_diag_at(cx->p, a->line, a->col, "%s takes a value, not *", scalars[k].name);
		return -1;
	}
	rc = check(cx, a);
	if (rc != 0)
		return rc;
	switch (e->op) {
	case PAT_OP_LOWER:
	case PAT_OP_UPPER:
	case PAT_OP_LENGTH:
		if (a->type != PAT_T_STRING && a->type != PAT_T_NULL) {
			pat_diag_at(cx->p, e->line, e->col, "%s needs a STRING, not %s",
				    scalars[k].name, tname(a->type));
			return -1;
		}
		e->type = e->op == PAT_OP_LENGTH ? PAT_T_BIGINT : PAT_T_STRING;
		if (e->op != PAT_OP_LENGTH)
			cx->case_nodes++;
		break;
	default: /* ABS */
		if (!is_num(a->type)) {
			pat_diag_at(cx->p, e->line, e->col, "ABS needs a number, not %s",
				    tname(a->type));
			return -1;
		}
		e->type = a->type == PAT_T_NULL ? PAT_T_BIGINT : a->type;
		break;
	}
	return 0;
}

static int check_name(struct checker *cx, struct pat_expr *e)
{
	const struct pat_rule *r = cx->r;
	int c;

	if (strcmp(e->s, "*") == 0) {
		pat_diag_at(cx->p, e->line, e->col, "'*' is not a value here");
		return -1;
	}
	if (e->qual != NULL) {
		if (cx->ctx != CX_MEASURE) {
			pat_diag_at(cx->p, e->line, e->col,
				    "'%s.%s': pattern variables are named in MEASURES only (DEFINE "
				    "looks at the current row)",
				    e->qual, e->s);
			return -1;
		}
		/* V.col is LAST(V.col) */
		e->n_list = 0;
		{
			struct pat_expr *arg = calloc(1, sizeof(*arg));

			if (arg == NULL) {
				cx->p->nomem = 1;
				return -1;
			}
			*arg = *e;
			arg->list = NULL;
			e->qual = NULL;
			e->s = NULL;
			e->list = malloc(sizeof(*e->list));
			if (e->list == NULL) {
				cx->p->nomem = 1;
				pat_expr_free(arg);
				return -1;
			}
			e->list[0] = arg;
			e->n_list = 1;
		}
		return check_measure(cx, e, "LAST");
	}
	c = column_of(cx->s, e->s);
	if (c < 0) {
		pat_diag_at(cx->p, e->line, e->col, "unknown column '%s' in stream '%s'", e->s,
			    cx->s->name);
		return -1;
	}
	if (cx->ctx == CX_AGG && !in_cols(r->group_cols, r->n_group, (uint32_t)c)) {
		pat_diag_at(cx->p, e->line, e->col,
			    "column '%s' must be in GROUP BY or inside an aggregate", e->s);
		return -1;
	}
	if (cx->ctx == CX_MEASURE && !in_cols(r->partition_cols, r->n_partition, (uint32_t)c)) {
		pat_diag_at(cx->p, e->line, e->col,
			    "column '%s' in MEASURES needs a pattern variable (V.%s, FIRST(V.%s))",
			    e->s, e->s, e->s);
		return -1;
	}
	free(e->s);
	e->s = NULL;
	e->op = PAT_OP_COL;
	e->idx = (uint32_t)c;
	e->type = cx->s->cols[c].type;
	return 0;
}

static int check_bool(struct checker *cx, struct pat_expr *a, const char *what)
{
	if (a->type != PAT_T_BOOLEAN && a->type != PAT_T_NULL) {
		pat_diag_at(cx->p, a->line, a->col, "%s needs a BOOLEAN, not %s", what,
			    tname(a->type));
		return -1;
	}
	return 0;
}

static int check_cmp(struct checker *cx, struct pat_expr *at, uint8_t a, uint8_t b)
{
	if (!comparable(a, b)) {
		pat_diag_at(cx->p, at->line, at->col, "cannot compare %s with %s", tname(a),
			    tname(b));
		return -1;
	}
	return 0;
}

static int check(struct checker *cx, struct pat_expr *e)
{
	static const char *const arith[] = { "+", "-", "*", "/", "%" };
	uint32_t k;
	int rc = 0;

	switch ((enum pat_op)e->op) {
	case PAT_OP_CONST:
		return 0;
	case PAT_OP_NAME:
		return check_name(cx, e);
	case PAT_OP_CALL:
		return check_call(cx, e);
	case PAT_OP_NEG:
		if (check(cx, e->a) != 0)
			return -1;
		if (!is_num(e->a->type)) {
			pat_diag_at(cx->p, e->line, e->col, "cannot negate %s", tname(e->a->type));
			return -1;
		}
		e->type = e->a->type == PAT_T_DOUBLE ? PAT_T_DOUBLE : PAT_T_BIGINT;
		return 0;
	case PAT_OP_NOT:
		if (check(cx, e->a) != 0 || check_bool(cx, e->a, "NOT") != 0)
			return -1;
		e->type = PAT_T_BOOLEAN;
		return 0;
	case PAT_OP_AND:
	case PAT_OP_OR:
		for (k = 0; k < e->n_list; k++)
			if (check(cx, e->list[k]) != 0 ||
			    check_bool(cx, e->list[k], e->op == PAT_OP_AND ? "AND" : "OR") != 0)
				rc = -1;
		e->type = PAT_T_BOOLEAN;
		return rc;
	case PAT_OP_ADD:
	case PAT_OP_SUB:
	case PAT_OP_MUL:
	case PAT_OP_DIV:
	case PAT_OP_MOD:
		if (check(cx, e->a) != 0 || check(cx, e->b) != 0)
			return -1;
		if (!is_num(e->a->type) || !is_num(e->b->type)) {
			pat_diag_at(
				cx->p, e->line, e->col, "operator %s needs numbers, not %s and %s",
				arith[e->op - PAT_OP_ADD], tname(e->a->type), tname(e->b->type));
			return -1;
		}
		e->type = e->a->type == PAT_T_DOUBLE || e->b->type == PAT_T_DOUBLE ? PAT_T_DOUBLE
										   : PAT_T_BIGINT;
		return 0;
	case PAT_OP_EQ:
	case PAT_OP_NE:
	case PAT_OP_LT:
	case PAT_OP_LE:
	case PAT_OP_GT:
	case PAT_OP_GE:
		if (check(cx, e->a) != 0 || check(cx, e->b) != 0 ||
		    check_cmp(cx, e, e->a->type, e->b->type) != 0)
			return -1;
		e->type = PAT_T_BOOLEAN;
		return 0;
	case PAT_OP_IS_NULL:
		if (check(cx, e->a) != 0)
			return -1;
		e->type = PAT_T_BOOLEAN;
		return 0;
	case PAT_OP_IN:
		if (check(cx, e->a) != 0)
			return -1;
		for (k = 0; k < e->n_list; k++) {
			struct pat_expr *x = e->list[k];

			if (x->op != PAT_OP_CONST) {
				pat_diag_at(cx->p, x->line, x->col, "IN takes literals only");
				rc = -1;
			} else if (check_cmp(cx, x, e->a->type, x->type) != 0) {
				rc = -1;
			}
		}
		e->type = PAT_T_BOOLEAN;
		return rc;
	case PAT_OP_BETWEEN:
		if (check(cx, e->a) != 0 || check(cx, e->b) != 0 || check(cx, e->c) != 0 ||
		    check_cmp(cx, e->b, e->a->type, e->b->type) != 0 ||
		    check_cmp(cx, e->c, e->a->type, e->c->type) != 0)
			return -1;
		e->type = PAT_T_BOOLEAN;
		return 0;
	case PAT_OP_MATCH:
		if (cx->ctx == CX_AGG) {
			/* its bit exists for an event, not for a window */
			pat_diag_at(cx->p, e->line, e->col,
				    "%s is not allowed in HAVING or an aggregate's select list "
				    "(filter events in WHERE)",
				    e->fn ? "REGEXP" : "LIKE");
			return -1;
		}
		if (check(cx, e->a) != 0)
			return -1;
		if (e->a->op != PAT_OP_COL || e->a->type != PAT_T_STRING) {
			pat_diag_at(cx->p, e->a->line, e->a->col,
				    "%s applies to a STRING column of the stream",
				    e->fn ? "REGEXP" : "LIKE");
			return -1;
		}
		e->arg = e->a->idx;
		e->type = PAT_T_BOOLEAN;
		return add_predicate(cx, e, e->a->idx);
	default:
		break;
	}
	pat_diag_at(cx->p, e->line, e->col, "unexpected expression");
	return -1;
}

/* Checks a whole expression in context ctx; clause names a WHERE, HAVING or DEFINE,
 * which must be BOOLEAN. */
static int check_top(struct checker *cx, struct pat_expr *e, enum ctx ctx, const char *clause)
{
	int rc;

	cx->ctx = ctx;
	rc = check(cx, e);
	if (rc == 0 && clause != NULL)
		rc = check_bool(cx, e, clause);
	return rc;
}

/* ---- statements ---- */

void pat_rule_free(struct pat_rule *r)
{
	uint32_t k;

	free(r->name);
	free(r->sig);
	free(r->topic);
	free(r->late_topic);
	pat_expr_free(r->where);
	pat_expr_free(r->having);
	for (k = 0; k < r->n_items; k++) {
		pat_expr_free(r->items[k].e);
		free(r->items[k].name);
	}
	free(r->items);
	for (k = 0; k < r->n_measures; k++) {
		pat_expr_free(r->measures[k].e);
		free(r->measures[k].name);
	}
	free(r->measures);
	for (k = 0; k < r->n_vars; k++) {
		free(r->vars[k]);
		pat_expr_free(r->define[k]);
	}
	pat_re_free(r->pattern);
	hs_free_database(r->seq_db);
	hs_free_database(r->bank_db);
	memset(r, 0, sizeof(*r));
}

void pat_re_free(struct pat_re *re)
{
	uint32_t k;

	if (re == NULL)
		return;
	for (k = 0; k < re->n_kids; k++)
		pat_re_free(re->kids[k]);
	free(re->kids);
	free(re);
}

/* "<int> <unit>" or INTERVAL '<int>' <unit>: a duration in the statement's tokens. */
static int parse_duration(struct pat_parser *p, int64_t *ms)
{
	const struct pat_token *n = pat_peek(p), *u;
	char buf[96], tb[64];

	if (pat_is_kw(n, "INTERVAL")) {
		pat_next(p);
		n = pat_peek(p);
		if (n->kind != PAT_TOK_STRING) {
			pat_diag(p, n, "expected INTERVAL '<integer>' UNIT, found %s",
				 pat_what(n, tb, sizeof(tb)));
			return -1;
		}
	} else if (n->kind != PAT_TOK_INT) {
		pat_diag(p, n, "expected a duration such as 10 SECONDS, found %s",
			 pat_what(n, tb, sizeof(tb)));
		return -1;
	}
	pat_next(p);
	u = pat_peek(p);
	if (u->kind != PAT_TOK_IDENT || u->quoted) {
		pat_diag(p, u,
			 "expected a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS), "
			 "found %s",
			 pat_what(u, tb, sizeof(tb)));
		return -1;
	}
	pat_next(p);
	snprintf(buf, sizeof(buf), "%.40s %.40s", n->text, u->text);
	if (pat_parse_duration(buf, ms) != 0) {
		pat_diag(p, n,
			 "'%s' is not a duration (an integer and MILLISECONDS, SECONDS, "
			 "MINUTES, HOURS or DAYS)",
			 buf);
		return -1;
	}
	return 0;
}

enum rule_opt { RO_TOPIC, RO_LATE_TOPIC, RO_EMIT_INTERVAL, RO_MAX_KEYS, RO_MAX_STATE, RO__COUNT };
static const char *const rule_opt_names[RO__COUNT] = { "topic", "late_topic", "emit_interval",
						       "max_keys", "max_state_mb" };
/* Largest max_keys (the key index is 32-bit, at most half full) and max_state_mb. */
#define PAT_MAX_KEYS_LIMIT  (1u << 30)
#define PAT_MAX_STATE_LIMIT (1u << 20)

/* WITH ( option = value, ... ) of a rule; the options allowed depend on its kind. */
static int parse_rule_options(struct pat_parser *p, struct pat_rule *r)
{
	const struct pat_token *seen[RO__COUNT] = { 0 };
	int rc = 0;

	pat_next(p); /* WITH */
	if (pat_expect_punct(p, "(") != 0)
		return -1;
	do {
		const struct pat_token *key = pat_expect_ident(p, "an option name"), *val;
		int o;

		if (key == NULL || pat_expect_punct(p, "=") != 0)
			return -1;
		val = pat_option_value(p);
		if (val == NULL)
			return -1;
		for (o = 0; o < RO__COUNT; o++)
			if (strcasecmp(key->text, rule_opt_names[o]) == 0)
				break;
		if (o == RO__COUNT || (o != RO_TOPIC && r->kind == PAT_R_ALERT) ||
		    (o == RO_EMIT_INTERVAL && r->kind != PAT_R_AGGREGATE)) {
			pat_diag(
				p, key, "unknown option '%s' of CREATE %s (%s)", key->text,
				pat_rule_kind_name(r->kind),
				r->kind == PAT_R_ALERT ? "topic"
				: r->kind == PAT_R_PATTERN
					? "topic, late_topic, max_keys, max_state_mb"
					: "topic, late_topic, emit_interval, max_keys, max_state_mb");
			rc = -1;
			continue;
		}
		if (seen[o] != NULL) {
			pat_diag(p, key, "option '%s' is given twice", rule_opt_names[o]);
			rc = -1;
		}
		seen[o] = key;
		if (o == RO_EMIT_INTERVAL) {
			if (val->kind != PAT_TOK_STRING ||
			    pat_parse_duration(val->text, &r->emit_interval_ms) != 0 ||
			    r->emit_interval_ms <= 0) {
				pat_diag(p, val,
					 "emit_interval must be a positive duration such as "
					 "'1 SECOND'");
				rc = -1;
			}
			continue;
		}
		if (o == RO_MAX_KEYS || o == RO_MAX_STATE) {
			uint32_t lim = o == RO_MAX_KEYS ? PAT_MAX_KEYS_LIMIT : PAT_MAX_STATE_LIMIT;

			if (val->kind != PAT_TOK_INT || val->ival < 1 || val->ival > lim) {
				pat_diag(p, val, "%s must be an integer from 1 to %u",
					 rule_opt_names[o], lim);
				rc = -1;
			} else if (o == RO_MAX_KEYS) {
				r->max_keys = (uint32_t)val->ival;
			} else {
				r->max_state_mb = (uint32_t)val->ival;
			}
			continue;
		}
		if (val->kind != PAT_TOK_STRING || !pat_topic_name_ok(val->text, val->len)) {
			pat_diag(p, val, "%s must be a topic name: %s", rule_opt_names[o],
				 PAT_TOPIC_RULE);
			rc = -1;
			continue;
		}
		if (o == RO_TOPIC) {
			free(r->topic);
			r->topic = pat_xstrdup(p, val->text);
		} else {
			free(r->late_topic);
			r->late_topic = pat_xstrdup(p, val->text);
		}
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	if (pat_expect_punct(p, ")") != 0)
		return -1;
	return rc;
}

static int push_item(struct pat_parser *p, struct pat_item **v, uint32_t *n, struct pat_expr *e,
		     const char *name, const struct pat_token *at)
{
	struct pat_item *nv;

	if (*n == PAT_MAX_ITEMS) {
		pat_diag(p, at, "more than %d items in one list", PAT_MAX_ITEMS);
		pat_expr_free(e);
		return -1;
	}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		p->nomem = 1;
		pat_expr_free(e);
		return -1;
	}
	*v = nv;
	nv[*n].e = e;
	nv[*n].name = name ? pat_xstrdup(p, name) : NULL;
	(*n)++;
	return 0;
}

/* expr [AS alias], ... ; star says whether * stands for the list. */
static int parse_items(struct pat_parser *p, struct pat_item **v, uint32_t *n, int *star)
{
	if (star != NULL && pat_is_punct(pat_peek(p), "*")) {
		pat_next(p);
		*star = 1;
		return 0;
	}
	do {
		const struct pat_token *at = pat_peek(p), *alias = NULL;
		struct pat_expr *e = parse_expr(p);

		if (e == NULL)
			return -1;
		if (pat_is_kw(pat_peek(p), "AS")) {
			pat_next(p);
			alias = pat_expect_ident(p, "a name after AS");
			if (alias == NULL) {
				pat_expr_free(e);
				return -1;
			}
		}
		if (push_item(p, v, n, e, alias ? alias->text : NULL, at) != 0)
			return -1;
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	return 0;
}

/* column, column, ...: indexes into cols of stream s (NULL: names checked later). */
static int parse_columns(struct pat_parser *p, const struct pat_stream *s, uint32_t *cols,
			 uint32_t *n)
{
	int rc = 0;

	do {
		const struct pat_token *t = pat_expect_ident(p, "a column name");
		int c;

		if (t == NULL)
			return -1;
		if (s == NULL)
			continue;
		c = column_of(s, t->text);
		if (c < 0) {
			pat_diag(p, t, "unknown column '%s' in stream '%s'", t->text, s->name);
			rc = -1;
		} else if (in_cols(cols, *n, (uint32_t)c)) {
			pat_diag(p, t, "column '%s' is named twice", t->text);
			rc = -1;
		} else if (*n == PAT_MAX_ITEMS) {
			pat_diag(p, t, "more than %d columns", PAT_MAX_ITEMS);
			return -1;
		} else {
			cols[(*n)++] = (uint32_t)c;
		}
	} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	return rc;
}

/* ---- MATCH_RECOGNIZE patterns ---- */

static struct pat_re *parse_re_alt(struct pat_parser *p, struct pat_rule *r);

static struct pat_re *new_re(struct pat_parser *p, uint8_t kind, const struct pat_token *at)
{
	struct pat_re *re = calloc(1, sizeof(*re));

	if (re == NULL) {
		p->nomem = 1;
		return NULL;
	}
	re->kind = kind;
	re->min = re->max = 1;
	re->line = at->line;
	re->col = at->col;
	return re;
}

static int re_push(struct pat_parser *p, struct pat_re *re, struct pat_re *kid)
{
	struct pat_re **v;

	if (kid == NULL)
		return -1;
	if (re->n_kids == PAT_MAX_LIST) {
		pat_diag_at(p, kid->line, kid->col, "more than %d elements in one pattern",
			    PAT_MAX_LIST);
		pat_re_free(kid);
		return -1;
	}
	v = realloc(re->kids, (re->n_kids + 1) * sizeof(*v));
	if (v == NULL) {
		p->nomem = 1;
		pat_re_free(kid);
		return -1;
	}
	re->kids = v;
	re->kids[re->n_kids++] = kid;
	return 0;
}

/* An integer bound of {n,m}. */
static int re_bound(struct pat_parser *p, uint32_t *v)
{
	const struct pat_token *t = pat_peek(p);

	if (t->kind != PAT_TOK_INT || t->ival < 0 || t->ival > PAT_MAX_REPEAT) {
		pat_diag(p, t, "a quantifier bound is an integer from 0 to %d", PAT_MAX_REPEAT);
		return -1;
	}
	pat_next(p);
	*v = (uint32_t)t->ival;
	return 0;
}

static int parse_quantifier(struct pat_parser *p, struct pat_re *re)
{
	const struct pat_token *t = pat_peek(p);

	if (pat_is_punct(t, "*") || pat_is_punct(t, "+") || pat_is_punct(t, "?")) {
		pat_next(p);
		re->min = t->text[0] == '+' ? 1 : 0;
		re->max = t->text[0] == '?' ? 1 : UINT32_MAX;
	} else if (pat_is_punct(t, "{")) {
		pat_next(p);
		re->min = 0;
		if (!pat_is_punct(pat_peek(p), ",") && re_bound(p, &re->min) != 0)
			return -1;
		re->max = re->min;
		if (pat_is_punct(pat_peek(p), ",")) {
			pat_next(p);
			re->max = UINT32_MAX;
			if (!pat_is_punct(pat_peek(p), "}") && re_bound(p, &re->max) != 0)
				return -1;
		}
		if (pat_expect_punct(p, "}") != 0)
			return -1;
		if (re->max < re->min || re->max == 0) {
			pat_diag(p, t, "quantifier {%u,%u} matches nothing", re->min, re->max);
			return -1;
		}
	} else {
		return 0;
	}
	if (pat_is_punct(pat_peek(p), "?")) {
		pat_diag(p, pat_peek(p),
			 "reluctant quantifiers are not supported: every "
			 "quantifier is greedy");
		return -1;
	}
	return 0;
}

static struct pat_re *parse_re_item(struct pat_parser *p, struct pat_rule *r)
{
	const struct pat_token *t = pat_peek(p);
	struct pat_re *re;
	char buf[64];

	if (pat_is_punct(t, "(")) {
		if (enter(p, t) != 0)
			return NULL;
		pat_next(p);
		re = parse_re_alt(p, r);
		p->depth--;
		if (re == NULL)
			return NULL;
		if (pat_expect_punct(p, ")") != 0)
			goto fail;
		/* a quantified group: wrap it, unless it is a bare element already */
		if (re->min != 1 || re->max != 1 || re->kind == PAT_RE_VAR) {
			struct pat_re *g = new_re(p, PAT_RE_SEQ, t);

			if (g == NULL || re_push(p, g, re) != 0) {
				if (g == NULL)
					pat_re_free(re);
				pat_re_free(g);
				return NULL;
			}
			re = g;
		}
	} else if (t->kind == PAT_TOK_IDENT) {
		int v = var_of(r, t->text);

		pat_next(p);
		if (v < 0) {
			if (r->n_vars == PAT_MAX_VARS) {
				pat_diag(p, t, "a pattern has at most %d variables", PAT_MAX_VARS);
				return NULL;
			}
			v = (int)r->n_vars;
			r->vars[r->n_vars] = pat_xstrdup(p, t->text);
			if (r->vars[r->n_vars] == NULL)
				return NULL;
			r->n_vars++;
		}
		re = new_re(p, PAT_RE_VAR, t);
		if (re == NULL)
			return NULL;
		re->var = (uint8_t)v;
	} else {
		pat_diag(p, t, "expected a pattern variable or '(', found %s",
			 pat_what(t, buf, sizeof(buf)));
		return NULL;
	}
	if (parse_quantifier(p, re) == 0)
		return re;
fail:
	pat_re_free(re);
	return NULL;
}

static struct pat_re *parse_re_seq(struct pat_parser *p, struct pat_rule *r)
{
	struct pat_re *seq = new_re(p, PAT_RE_SEQ, pat_peek(p));

	if (seq == NULL)
		return NULL;
	do {
		if (re_push(p, seq, parse_re_item(p, r)) != 0) {
			pat_re_free(seq);
			return NULL;
		}
	} while (!pat_is_punct(pat_peek(p), ")") && !pat_is_punct(pat_peek(p), "|") &&
		 pat_peek(p)->kind != PAT_TOK_EOF && pat_peek(p)->kind != PAT_TOK_ERROR);
	if (seq->n_kids == 1) { /* one element: itself */
		struct pat_re *only = seq->kids[0];

		seq->n_kids = 0;
		pat_re_free(seq);
		return only;
	}
	return seq;
}

static struct pat_re *parse_re_alt(struct pat_parser *p, struct pat_rule *r)
{
	struct pat_re *first = parse_re_seq(p, r), *alt;

	if (first == NULL || !pat_is_punct(pat_peek(p), "|"))
		return first;
	alt = new_re(p, PAT_RE_ALT, pat_peek(p));
	if (alt == NULL || re_push(p, alt, first) != 0) {
		if (alt == NULL)
			pat_re_free(first);
		pat_re_free(alt);
		return NULL;
	}
	while (pat_is_punct(pat_peek(p), "|")) {
		pat_next(p);
		if (re_push(p, alt, parse_re_seq(p, r)) != 0) {
			pat_re_free(alt);
			return NULL;
		}
	}
	return alt;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* The element once, without its quantifier. */
static uint64_t re_body_steps(const struct pat_re *re)
{
	uint64_t n = 0;
	uint32_t k;

	switch (re->kind) {
	case PAT_RE_VAR:
		return 1;
	case PAT_RE_SEQ:
		for (k = 0; k < re->n_kids; k++)
			n = sat_add(n, pat_re_steps(re->kids[k]));
		return n;
	default: /* a choice and a jump between branches */
		for (k = 0; k < re->n_kids; k++)
			n = sat_add(n, pat_re_steps(re->kids[k]));
		return sat_add(n, 2 * (uint64_t)(re->n_kids - 1));
	}
}

uint64_t pat_re_steps(const struct pat_re *re)
{
	uint64_t b = re_body_steps(re), n = sat_mul(b, re->min);

	if (re->max == UINT32_MAX)
		return sat_add(n, sat_add(b, 2)); /* a loop: choice, body, jump back */
	return sat_add(n, sat_mul(sat_add(b, 1), re->max - re->min)); /* choice, body */
}

uint64_t pat_re_min_rows(const struct pat_re *re)
{
	uint64_t n = 0, m = UINT64_MAX;
	uint32_t k;

	switch (re->kind) {
	case PAT_RE_VAR:
		n = 1;
		break;
	case PAT_RE_SEQ:
		for (k = 0; k < re->n_kids; k++)
			n = sat_add(n, pat_re_min_rows(re->kids[k]));
		break;
	default:
		for (k = 0; k < re->n_kids; k++)
			if (pat_re_min_rows(re->kids[k]) < m)
				m = pat_re_min_rows(re->kids[k]);
		n = m;
		break;
	}
	return sat_mul(n, re->min);
}

uint64_t pat_re_max_rows(const struct pat_re *re)
{
	uint64_t n = 0;
	uint32_t k;

	if (re->max == UINT32_MAX)
		return UINT64_MAX;
	switch (re->kind) {
	case PAT_RE_VAR:
		n = 1;
		break;
	case PAT_RE_SEQ:
		for (k = 0; k < re->n_kids; k++)
			n = sat_add(n, pat_re_max_rows(re->kids[k]));
		break;
	default:
		for (k = 0; k < re->n_kids; k++)
			if (pat_re_max_rows(re->kids[k]) > n)
				n = pat_re_max_rows(re->kids[k]);
		break;
	}
	return sat_mul(n, re->max);
}

/* Whether every match of re ends on a row that re itself requires: Flink refuses a
 * last element that is *, ?, + or {n,} (a match must end on a known row). */
static int ends_known(const struct pat_re *re, const struct pat_re **bad)
{
	uint32_t k;

	if (re->min == 0 || re->max == UINT32_MAX) {
		*bad = re;
		return 0;
	}
	switch (re->kind) {
	case PAT_RE_SEQ:
		return ends_known(re->kids[re->n_kids - 1], bad);
	case PAT_RE_ALT:
		for (k = 0; k < re->n_kids; k++)
			if (!ends_known(re->kids[k], bad))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* ---- the statements ---- */

struct rule_parse {
	struct pat_rule r;
	const struct pat_token *from, *star, *match_at, *order_at;
	int has_star;
	/* MATCH_RECOGNIZE DEFINE, by variable name, checked once the pattern is known */
	struct {
		const struct pat_token *name;
		struct pat_expr *e;
	} defs[PAT_MAX_VARS + 1];
	uint32_t n_defs;
	const struct pat_token *partition_names[PAT_MAX_ITEMS];
	uint32_t n_partition_names;
};

static int parse_match_recognize(struct pat_parser *p, struct rule_parse *rp,
				 const struct pat_stream *s)
{
	struct pat_rule *r = &rp->r;
	const struct pat_token *t;
	char buf[64];

	if (pat_expect_punct(p, "(") != 0 || pat_expect_kw(p, "PARTITION") != 0 ||
	    pat_expect_kw(p, "BY") != 0)
		return -1;
	if (parse_columns(p, s, r->partition_cols, &r->n_partition) != 0)
		return -1;
	if (pat_expect_kw(p, "ORDER") != 0 || pat_expect_kw(p, "BY") != 0)
		return -1;
	rp->order_at = pat_expect_ident(p, "the timestamp column");
	if (rp->order_at == NULL)
		return -1;
	if (s != NULL) {
		if (s->ts_col < 0)
			pat_diag(p, rp->order_at,
				 "stream '%s' has no timestamp column: MATCH_RECOGNIZE orders rows "
				 "by event time (WITH (timestamp = '...'))",
				 s->name);
		else if (strcmp(rp->order_at->text, s->cols[s->ts_col].name) != 0)
			pat_diag(p, rp->order_at,
				 "ORDER BY must name the timestamp column of stream '%s' ('%s')",
				 s->name, s->cols[s->ts_col].name);
	}
	if (pat_is_kw(pat_peek(p), "MEASURES")) {
		pat_next(p);
		if (parse_items(p, &r->measures, &r->n_measures, NULL) != 0)
			return -1;
	}
	if (pat_is_kw(pat_peek(p), "ONE")) {
		pat_next(p);
		if (pat_expect_kw(p, "ROW") != 0 || pat_expect_kw(p, "PER") != 0 ||
		    pat_expect_kw(p, "MATCH") != 0)
			return -1;
	} else if (pat_is_kw(pat_peek(p), "ALL")) {
		pat_diag(p, pat_peek(p), "only ONE ROW PER MATCH is supported");
		return -1;
	}
	if (pat_is_kw(pat_peek(p), "AFTER")) {
		t = pat_next(p);
		if (pat_expect_kw(p, "MATCH") != 0 || pat_expect_kw(p, "SKIP") != 0)
			return -1;
		if (!pat_is_kw(pat_peek(p), "PAST") || !pat_is_kw(pat_peek2(p), "LAST")) {
			pat_diag(p, t, "only AFTER MATCH SKIP PAST LAST ROW is supported");
			return -1;
		}
		pat_next(p);
		pat_next(p);
		if (pat_expect_kw(p, "ROW") != 0)
			return -1;
	}
	t = pat_peek(p);
	if (pat_expect_kw(p, "PATTERN") != 0 || pat_expect_punct(p, "(") != 0)
		return -1;
	r->pattern = parse_re_alt(p, r);
	if (r->pattern == NULL || pat_expect_punct(p, ")") != 0)
		return -1;
	r->within_ms = -1;
	if (pat_is_kw(pat_peek(p), "WITHIN")) {
		const struct pat_token *w = pat_next(p);

		if (parse_duration(p, &r->within_ms) != 0)
			return -1;
		if (r->within_ms <= 0)
			pat_diag(p, w, "WITHIN needs a positive duration");
	}
	if (pat_is_kw(pat_peek(p), "DEFINE")) {
		pat_next(p);
		do {
			const struct pat_token *v = pat_expect_ident(p, "a pattern variable");

			if (v == NULL || pat_expect_kw(p, "AS") != 0)
				return -1;
			rp->defs[rp->n_defs].name = v;
			rp->defs[rp->n_defs].e = parse_expr(p);
			if (rp->defs[rp->n_defs].e == NULL)
				return -1;
			if (++rp->n_defs > PAT_MAX_VARS) {
				pat_diag(p, v, "a pattern has at most %d variables", PAT_MAX_VARS);
				return -1;
			}
		} while (pat_is_punct(pat_peek(p), ",") && pat_next(p));
	}
	t = pat_peek(p);
	if (!pat_is_punct(t, ")")) {
		pat_diag(p, t, "expected ')' closing MATCH_RECOGNIZE, found %s",
			 pat_what(t, buf, sizeof(buf)));
		return -1;
	}
	pat_next(p);
	return 0;
}

/* A name of the output message: unique, and not one of the message's own fields. */
static int claim_field(struct pat_parser *p, const char *name, const char *const *taken,
		       uint32_t n_taken, const struct pat_item *items, uint32_t k, uint32_t line,
		       uint32_t col)
{
	uint32_t j;

	for (j = 0; j < n_taken; j++) {
		if (strcmp(taken[j], name) == 0) {
			pat_diag_at(p, line, col,
				    "'%s' is a field of every message of this rule; rename it with "
				    "AS",
				    name);
			return -1;
		}
	}
	for (j = 0; j < k; j++) { /* a measure without AS has no name: reported already */
		if (items[j].name != NULL && strcmp(items[j].name, name) == 0) {
			pat_diag_at(p, line, col, "'%s' names two outputs; rename one with AS",
				    name);
			return -1;
		}
	}
	return 0;
}

/* Names the items (alias, column name, or KSQL_COL_<n> as ksqlDB does). */
static int name_items(struct pat_parser *p, struct pat_item *items, uint32_t n,
		      const char *const *taken, uint32_t n_taken, const struct pat_stream *s,
		      int need_alias)
{
	uint32_t k;
	int rc = 0;

	for (k = 0; k < n; k++) {
		struct pat_item *it = &items[k];
		char gen[32];

		if (it->name == NULL) {
			if (need_alias) {
				pat_diag_at(p, it->e->line, it->e->col, "a measure needs AS name");
				rc = -1;
				continue;
			}
			if (it->e->op == PAT_OP_COL) {
				it->name = pat_xstrdup(p, s->cols[it->e->idx].name);
			} else {
				snprintf(gen, sizeof(gen), "KSQL_COL_%u", k);
				it->name = pat_xstrdup(p, gen);
			}
			if (it->name == NULL)
				return -1;
		}
		if (claim_field(p, it->name, taken, n_taken, items, k, it->e->line, it->e->col))
			rc = -1;
	}
	return rc;
}

/* SELECT * of an alert: every column but the timestamp one, which is "ts" already. */
static int expand_star(struct pat_parser *p, struct pat_rule *r, const struct pat_stream *s,
		       const struct pat_token *at)
{
	uint32_t c;

	for (c = 0; c < s->n_cols; c++) {
		struct pat_expr *e;

		if ((int)c == s->ts_col)
			continue;
		e = new_expr(p, PAT_OP_COL, at);
		if (e == NULL)
			return -1;
		e->idx = c;
		e->type = s->cols[c].type;
		if (push_item(p, &r->items, &r->n_items, e, s->cols[c].name, at) != 0)
			return -1;
	}
	return 0;
}

/* Resolves and checks a parsed rule against its stream s. */
static int check_rule(struct pat_parser *p, struct rule_parse *rp, const struct pat_stream *s)
{
	static const char *const alert_fields[] = { "rule", "ts", "ruleset" };
	static const char *const agg_fields[] = { "rule", "window_start", "window_end", "ruleset" };
	const char *pat_fields[4 + PAT_MAX_ITEMS] = { "rule", "match_start", "match_end",
						      "ruleset" };
	struct pat_rule *r = &rp->r;
	struct checker cx = { .p = p, .s = s, .si = r->stream, .r = r };
	uint32_t k, n_taken = 4;
	int rc = 0;

	if (r->where != NULL && check_top(&cx, r->where, CX_ROW, "WHERE") != 0)
		rc = -1;
	for (k = 0; k < r->n_items; k++)
		if (check_top(&cx, r->items[k].e, r->kind == PAT_R_AGGREGATE ? CX_AGG : CX_ROW,
			      NULL) != 0)
			rc = -1;
	if (r->having != NULL && check_top(&cx, r->having, CX_AGG, "HAVING") != 0)
		rc = -1;
	switch (r->kind) {
	case PAT_R_ALERT:
		if (rp->has_star) {
			for (k = 0; k < s->n_cols; k++) {
				if ((int)k != s->ts_col &&
				    (strcmp(s->cols[k].name, "rule") == 0 ||
				     strcmp(s->cols[k].name, "ts") == 0 ||
				     strcmp(s->cols[k].name, "ruleset") == 0)) {
					pat_diag(
						p, rp->star,
						"SELECT * would write column '%s' over the alert's "
						"own field; list the columns and rename it with AS",
						s->cols[k].name);
					return -1;
				}
			}
			if (expand_star(p, r, s, rp->star) != 0)
				return -1;
		} else if (name_items(p, r->items, r->n_items, alert_fields, 3, s, 0) != 0) {
			rc = -1;
		}
		break;
	case PAT_R_AGGREGATE:
		if (rp->has_star) {
			pat_diag(p, rp->star,
				 "an aggregate lists its GROUP BY columns and "
				 "aggregates, not *");
			return -1;
		}
		if (name_items(p, r->items, r->n_items, agg_fields, 4, s, 0) != 0)
			rc = -1;
		break;
	case PAT_R_PATTERN:
		if (!rp->has_star) {
			pat_diag(p, rp->from,
				 "CREATE PATTERN selects * (the measures are the "
				 "output)");
			rc = -1;
		}
		for (k = 0; k < r->n_partition; k++)
			pat_fields[n_taken++] = s->cols[r->partition_cols[k]].name;
		for (k = 0; k < r->n_measures; k++)
			if (check_top(&cx, r->measures[k].e, CX_MEASURE, NULL) != 0)
				rc = -1;
		if (name_items(p, r->measures, r->n_measures, pat_fields, n_taken, s, 1) != 0)
			rc = -1;
		for (k = 0; k < rp->n_defs; k++) {
			int v = var_of(r, rp->defs[k].name->text);

			if (v < 0) {
				pat_diag(p, rp->defs[k].name,
					 "DEFINE of '%s', which is not a variable of the pattern",
					 rp->defs[k].name->text);
				rc = -1;
				continue;
			}
			if (r->define[v] != NULL) {
				pat_diag(p, rp->defs[k].name, "variable '%s' is defined twice",
					 rp->defs[k].name->text);
				rc = -1;
				continue;
			}
			r->define[v] = rp->defs[k].e;
			rp->defs[k].e = NULL;
			if (check_top(&cx, r->define[v], CX_ROW, "DEFINE") != 0)
				rc = -1;
		}
		break;
	}
	if (cx.case_nodes > p->rs->eval_strings)
		p->rs->eval_strings = cx.case_nodes;
	return rc;
}

/* The window clause of CREATE AGGREGATE. */
static int parse_window(struct pat_parser *p, struct pat_rule *r)
{
	const struct pat_token *kind = pat_peek(p), *at;
	char buf[64];

	if (pat_is_kw(kind, "TUMBLING"))
		r->window = PAT_W_TUMBLING;
	else if (pat_is_kw(kind, "HOPPING"))
		r->window = PAT_W_HOPPING;
	else if (pat_is_kw(kind, "SESSION"))
		r->window = PAT_W_SESSION;
	else {
		pat_diag(p, kind, "expected TUMBLING, HOPPING or SESSION, found %s",
			 pat_what(kind, buf, sizeof(buf)));
		return -1;
	}
	pat_next(p);
	if (pat_expect_punct(p, "(") != 0)
		return -1;
	at = pat_peek(p);
	if (r->window != PAT_W_SESSION && pat_expect_kw(p, "SIZE") != 0)
		return -1;
	if (parse_duration(p, &r->size_ms) != 0)
		return -1;
	if (r->size_ms <= 0) {
		pat_diag(p, at, "a window needs a positive %s",
			 r->window == PAT_W_SESSION ? "gap" : "size");
		return -1;
	}
	r->advance_ms = r->size_ms;
	if (r->window == PAT_W_HOPPING) {
		if (pat_expect_punct(p, ",") != 0)
			return -1;
		at = pat_peek(p);
		if (pat_expect_kw(p, "ADVANCE") != 0 || pat_expect_kw(p, "BY") != 0 ||
		    parse_duration(p, &r->advance_ms) != 0)
			return -1;
		if (r->advance_ms <= 0 || r->advance_ms > r->size_ms ||
		    r->size_ms % r->advance_ms != 0) {
			pat_diag(p, at,
				 "ADVANCE BY (%lld ms) must be positive and divide SIZE (%lld ms)",
				 (long long)r->advance_ms, (long long)r->size_ms);
			return -1;
		}
	}
	if (pat_is_punct(pat_peek(p), ",")) {
		pat_next(p);
		if (pat_expect_kw(p, "GRACE") != 0 || pat_expect_kw(p, "PERIOD") != 0 ||
		    parse_duration(p, &r->grace_ms) != 0)
			return -1;
	}
	return pat_expect_punct(p, ")");
}

/* Parses (and, when its stream is known, checks) the rule after its name. Returns -1
 * on a syntax error, before the statement's end; 0 when it was read to its ';'. */
static int parse_rule_body(struct pat_parser *p, struct rule_parse *rp)
{
	struct pat_rule *r = &rp->r;
	const struct pat_stream *s = NULL;
	const struct pat_token *st;
	uint32_t k;
	int known = 0;

	if (pat_is_kw(pat_peek(p), "WITH") && parse_rule_options(p, r) != 0)
		return -1;
	if (pat_expect_kw(p, "AS") != 0 || pat_expect_kw(p, "SELECT") != 0)
		return -1;
	rp->star = pat_peek(p);
	if (parse_items(p, &r->items, &r->n_items, &rp->has_star) != 0)
		return -1;
	rp->from = pat_peek(p);
	if (pat_expect_kw(p, "FROM") != 0)
		return -1;
	st = pat_expect_ident(p, "a stream name");
	if (st == NULL)
		return -1;
	for (k = 0; k < p->rs->n_streams; k++)
		if (strcmp(p->rs->streams[k].name, st->text) == 0)
			s = &p->rs->streams[k];
	for (k = 0; k < p->n_bad_streams; k++)
		if (strcmp(p->bad_streams[k], st->text) == 0)
			known = 1;
	if (s == NULL && !known) /* a stream with errors of its own is not reported again */
		pat_diag(p, st,
			 "unknown stream '%s' (streams are declared before the rules "
			 "that read them)",
			 st->text);
	else if (s == NULL)
		p->n_errors++;
	if (s != NULL)
		r->stream = (uint32_t)(s - p->rs->streams);
	if (r->kind == PAT_R_PATTERN) {
		rp->match_at = pat_peek(p);
		if (pat_expect_kw(p, "MATCH_RECOGNIZE") != 0 ||
		    parse_match_recognize(p, rp, s) != 0)
			return -1;
	} else if (pat_is_kw(pat_peek(p), "WHERE")) {
		pat_next(p);
		r->where = parse_expr(p);
		if (r->where == NULL)
			return -1;
	}
	if (r->kind == PAT_R_AGGREGATE) {
		if (pat_expect_kw(p, "WINDOW") != 0 || parse_window(p, r) != 0)
			return -1;
		if (pat_expect_kw(p, "GROUP") != 0 || pat_expect_kw(p, "BY") != 0 ||
		    parse_columns(p, s, r->group_cols, &r->n_group) != 0)
			return -1;
		if (pat_is_kw(pat_peek(p), "HAVING")) {
			pat_next(p);
			r->having = parse_expr(p);
			if (r->having == NULL)
				return -1;
		}
		r->emit_changes = false;
		if (pat_is_kw(pat_peek(p), "EMIT")) {
			const struct pat_token *m;

			pat_next(p);
			m = pat_peek(p);
			if (pat_is_kw(m, "CHANGES")) {
				r->emit_changes = true;
			} else if (!pat_is_kw(m, "FINAL")) {
				char buf[64];

				pat_diag(p, m, "expected FINAL or CHANGES after EMIT, found %s",
					 pat_what(m, buf, sizeof(buf)));
				return -1;
			}
			pat_next(p);
		}
	} else if (pat_is_kw(pat_peek(p), "WINDOW") || pat_is_kw(pat_peek(p), "GROUP")) {
		pat_diag(p, pat_peek(p), "%s belongs to CREATE AGGREGATE", pat_peek(p)->text);
		return -1;
	}
	if (pat_expect_punct(p, ";") != 0)
		return -1;
	if (s == NULL)
		return 0; /* parsed, not checkable */
	if (r->kind == PAT_R_PATTERN) {
		const struct pat_re *bad = NULL;

		if (!ends_known(r->pattern, &bad))
			pat_diag_at(p, bad->line, bad->col,
				    "the last element of a pattern may not be *, ?, + or {n,}: a "
				    "match must end on a known row");
		else if (pat_re_steps(r->pattern) > PAT_MAX_PATTERN_STEPS)
			pat_diag_at(p, r->pattern->line, r->pattern->col,
				    "pattern too large: its quantifiers unroll to more than %d "
				    "steps",
				    PAT_MAX_PATTERN_STEPS);
		else if (pat_re_min_rows(r->pattern) > PAT_MAX_MATCH_ROWS)
			pat_diag_at(p, r->pattern->line, r->pattern->col,
				    "a match of this pattern needs %llu rows; a partition keeps "
				    "at most %d",
				    (unsigned long long)pat_re_min_rows(r->pattern),
				    PAT_MAX_MATCH_ROWS);
	}
	check_rule(p, rp, s); /* its errors are counted; the statement is read whole */
	return 0;
}

void pat_parse_rule(struct pat_parser *p, enum pat_rule_kind kind, const struct pat_token *at)
{
	struct rule_parse *rp = calloc(1, sizeof(*rp));
	const struct pat_token *name;
	size_t errors = p->n_errors;
	struct pat_rule *v;
	uint32_t k;
	int rc;

	if (rp == NULL) {
		p->nomem = 1;
		return;
	}
	rp->r.kind = kind;
	rp->r.line = at->line;
	rp->r.col = at->col;
	rp->r.emit_interval_ms = 1000;
	name = pat_expect_ident(p, "a rule name");
	if (name == NULL) {
		pat_sync(p);
		goto out;
	}
	pat_claim_name(p, name);
	rp->r.name = pat_xstrdup(p, name->text);
	rc = parse_rule_body(p, rp);
	if (rc < 0 && p->n_errors == errors)
		p->n_errors++; /* cannot happen: every failure reports */
	if (rc < 0) {
		pat_sync(p);
		goto out;
	}
	if (p->n_errors != errors || p->nomem)
		goto out;
	if (rp->r.topic == NULL && !pat_topic_name_ok(name->text, name->len)) {
		pat_diag(p, name,
			 "rule name '%s' cannot be its topic (%s): give WITH (topic = ...)",
			 name->text, PAT_TOPIC_RULE);
		goto out;
	}
	if (rp->r.topic == NULL)
		rp->r.topic = pat_xstrdup(p, rp->r.name);
	if (p->rs->n_rules == PAT_MAX_RULES) {
		pat_diag(p, at, "a rule set has at most %d rules", PAT_MAX_RULES);
		goto out;
	}
	v = realloc(p->rs->rules, (p->rs->n_rules + 1) * sizeof(*v));
	if (v == NULL) {
		p->nomem = 1;
		goto out;
	}
	p->rs->rules = v;
	v[p->rs->n_rules++] = rp->r;
	memset(&rp->r, 0, sizeof(rp->r));
out:
	for (k = 0; k < rp->n_defs && k <= PAT_MAX_VARS; k++)
		pat_expr_free(rp->defs[k].e);
	pat_rule_free(&rp->r);
	free(rp);
}

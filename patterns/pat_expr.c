/* SPDX-License-Identifier: BSD-3-Clause */
#include "pat_expr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline void null_of(struct pat_val *out, uint8_t type)
{
	out->type = type;
	out->null = true;
	out->i = 0;
}

static inline void bool_of(struct pat_val *out, bool b)
{
	out->type = PAT_T_BOOLEAN;
	out->null = false;
	out->b = b;
}

static inline bool is_int(uint8_t t)
{
	return t == PAT_T_BIGINT || t == PAT_T_TIMESTAMP;
}

static inline double as_double(const struct pat_val *v)
{
	return is_int(v->type) ? (double)v->i : v->d;
}

/* Order of two non-NULL values of comparable types (the checker saw to it). */
static int compare(const struct pat_val *a, const struct pat_val *b)
{
	if (a->type == PAT_T_STRING) {
		uint32_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
		int c = n ? memcmp(a->s.p, b->s.p, n) : 0;

		if (c != 0)
			return c < 0 ? -1 : 1;
		return a->s.len < b->s.len ? -1 : a->s.len > b->s.len;
	}
	if (a->type == PAT_T_BOOLEAN)
		return (int)a->b - (int)b->b;
	if (is_int(a->type) && is_int(b->type))
		return a->i < b->i ? -1 : a->i > b->i;
	{
		double x = as_double(a), y = as_double(b);

		return x < y ? -1 : x > y;
	}
}

/* The value of a column of the current event (PAT_OP_COL e). */
static inline void col_val(const struct pat_expr *e, const struct fmt_row *row, struct pat_val *out)
{
	out->type = e->type;
	if (!(row->present >> e->idx & 1)) {
		null_of(out, e->type);
		return;
	}
	out->null = false;
	if (e->type == PAT_T_STRING) {
		out->s.p = row->v[e->idx].s.p;
		out->s.len = row->v[e->idx].s.len;
	} else if (e->type == PAT_T_DOUBLE) {
		out->d = row->v[e->idx].d;
	} else if (e->type == PAT_T_BOOLEAN) {
		out->b = row->v[e->idx].b;
	} else {
		out->i = row->v[e->idx].i;
	}
}

/* The value of a literal (PAT_OP_CONST e). */
static inline void const_val(const struct pat_expr *e, struct pat_val *out)
{
	out->type = e->type;
	out->null = e->type == PAT_T_NULL;
	if (e->type == PAT_T_STRING) {
		out->s.p = (const uint8_t *)e->s;
		out->s.len = e->len;
	} else if (e->type == PAT_T_DOUBLE) {
		out->d = e->d;
	} else if (e->type == PAT_T_BOOLEAN) {
		out->b = e->i != 0;
	} else {
		out->i = e->i;
	}
}

static void arith(const struct pat_expr *e, const struct pat_val *a, const struct pat_val *b,
		  struct pat_val *out)
{
	out->type = e->type;
	out->null = false;
	if (e->type == PAT_T_DOUBLE) {
		double x = as_double(a), y = as_double(b), r;

		switch (e->op) {
		case PAT_OP_ADD:
			r = x + y;
			break;
		case PAT_OP_SUB:
			r = x - y;
			break;
		case PAT_OP_MUL:
			r = x * y;
			break;
		case PAT_OP_DIV:
			r = y == 0 ? NAN : x / y;
			break;
		default:
			r = y == 0 ? NAN : fmod(x, y);
			break;
		}
		if (!isfinite(r))
			null_of(out, e->type);
		else
			out->d = r;
		return;
	}
	{
		int64_t x = a->i, y = b->i, r = 0;
		bool ovf;

		switch (e->op) {
		case PAT_OP_ADD:
			ovf = __builtin_add_overflow(x, y, &r);
			break;
		case PAT_OP_SUB:
			ovf = __builtin_sub_overflow(x, y, &r);
			break;
		case PAT_OP_MUL:
			ovf = __builtin_mul_overflow(x, y, &r);
			break;
		case PAT_OP_DIV:
			ovf = y == 0 || (x == INT64_MIN && y == -1);
			if (!ovf)
				r = x / y;
			break;
		default:
			ovf = y == 0;
			if (!ovf)
				r = y == -1 ? 0 : x % y;
			break;
		}
		if (ovf)
			null_of(out, e->type);
		else
			out->i = r;
	}
}

/* Whether comparison op holds for c, the order of its operands (compare()). */
static inline bool holds(uint8_t op, int c)
{
	switch (op) {
	case PAT_OP_EQ:
		return c == 0;
	case PAT_OP_NE:
		return c != 0;
	case PAT_OP_LT:
		return c < 0;
	case PAT_OP_LE:
		return c <= 0;
	case PAT_OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

/* a op b for the comparison operators, three-valued. */
static void comparison(const struct pat_expr *e, const struct pat_val *a, const struct pat_val *b,
		       struct pat_val *out)
{
	if (a->null || b->null)
		null_of(out, PAT_T_BOOLEAN);
	else
		bool_of(out, holds(e->op, compare(a, b)));
}

/* NOT of a three-valued result, when neg. */
static inline void negate_if(struct pat_val *out, bool neg)
{
	if (neg && !out->null)
		out->b = !out->b;
}

static void in_list(const struct pat_expr *e, struct pat_env *env, struct pat_val *out)
{
	struct pat_val a, x;
	bool saw_null = false;
	uint32_t k;

	pat_eval(e->a, env, &a);
	if (a.null) {
		null_of(out, PAT_T_BOOLEAN);
		return;
	}
	for (k = 0; k < e->n_list; k++) {
		pat_eval(e->list[k], env, &x);
		if (x.null) {
			saw_null = true;
		} else if (compare(&a, &x) == 0) {
			bool_of(out, !e->neg);
			return;
		}
	}
	if (saw_null)
		null_of(out, PAT_T_BOOLEAN);
	else
		bool_of(out, e->neg);
}

static void between(const struct pat_expr *e, struct pat_env *env, struct pat_val *out)
{
	struct pat_val a, lo, hi;
	bool ge_null, le_null, ge = false, le = false;

	pat_eval(e->a, env, &a);
	pat_eval(e->b, env, &lo);
	pat_eval(e->c, env, &hi);
	ge_null = a.null || lo.null;
	le_null = a.null || hi.null;
	if (!ge_null)
		ge = compare(&a, &lo) >= 0;
	if (!le_null)
		le = compare(&a, &hi) <= 0;
	/* (a >= lo) AND (a <= hi), three-valued */
	if ((!ge_null && !ge) || (!le_null && !le))
		bool_of(out, false);
	else if (ge_null || le_null)
		null_of(out, PAT_T_BOOLEAN);
	else
		bool_of(out, true);
	negate_if(out, e->neg);
}

/* AND (or OR) of the list: FALSE (TRUE) wins, then NULL. */
static void logic(const struct pat_expr *e, struct pat_env *env, struct pat_val *out)
{
	bool is_and = e->op == PAT_OP_AND, saw_null = false;
	struct pat_val x;
	uint32_t k;

	for (k = 0; k < e->n_list; k++) {
		pat_eval(e->list[k], env, &x);
		if (x.null)
			saw_null = true;
		else if (x.b != is_and) {
			bool_of(out, !is_and);
			return;
		}
	}
	if (saw_null)
		null_of(out, PAT_T_BOOLEAN);
	else
		bool_of(out, is_and);
}

/* LOWER and UPPER map ASCII letters only (docs/rules.md). */
static void change_case(const struct pat_expr *e, struct pat_env *env, struct pat_val *out)
{
	struct pat_val a;
	uint8_t *d;
	uint32_t k;

	pat_eval(e->a, env, &a);
	if (a.null || env->cap - env->used < a.s.len) {
		null_of(out, PAT_T_STRING);
		return;
	}
	d = env->buf + env->used;
	env->used += a.s.len;
	for (k = 0; k < a.s.len; k++) {
		uint8_t c = a.s.p[k];

		if (e->op == PAT_OP_LOWER && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		else if (e->op == PAT_OP_UPPER && c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		d[k] = c;
	}
	out->type = PAT_T_STRING;
	out->null = false;
	out->s.p = d;
	out->s.len = a.s.len;
}

void pat_eval(const struct pat_expr *e, struct pat_env *env, struct pat_val *out)
{
	const struct fmt_row *row = env->row;
	struct pat_val a, b;
	uint32_t k;

	switch ((enum pat_op)e->op) {
	case PAT_OP_CONST:
		const_val(e, out);
		return;
	case PAT_OP_COL:
		col_val(e, row, out);
		return;
	case PAT_OP_NEG:
		pat_eval(e->a, env, &a);
		if (a.null || (is_int(a.type) && a.i == INT64_MIN)) {
			null_of(out, e->type);
		} else {
			out->type = e->type;
			out->null = false;
			if (e->type == PAT_T_DOUBLE)
				out->d = -a.d;
			else
				out->i = -a.i;
		}
		return;
	case PAT_OP_NOT:
		pat_eval(e->a, env, out);
		out->type = PAT_T_BOOLEAN;
		negate_if(out, true);
		return;
	case PAT_OP_AND:
	case PAT_OP_OR:
		logic(e, env, out);
		return;
	case PAT_OP_ADD:
	case PAT_OP_SUB:
	case PAT_OP_MUL:
	case PAT_OP_DIV:
	case PAT_OP_MOD:
		pat_eval(e->a, env, &a);
		pat_eval(e->b, env, &b);
		if (a.null || b.null)
			null_of(out, e->type);
		else
			arith(e, &a, &b, out);
		return;
	case PAT_OP_EQ:
	case PAT_OP_NE:
	case PAT_OP_LT:
	case PAT_OP_LE:
	case PAT_OP_GT:
	case PAT_OP_GE:
		pat_eval(e->a, env, &a);
		pat_eval(e->b, env, &b);
		comparison(e, &a, &b, out);
		return;
	case PAT_OP_IS_NULL:
		pat_eval(e->a, env, &a);
		bool_of(out, a.null != (e->neg != 0));
		return;
	case PAT_OP_IN:
		in_list(e, env, out);
		return;
	case PAT_OP_BETWEEN:
		between(e, env, out);
		return;
	case PAT_OP_MATCH:
		if (!(row->present >> e->arg & 1) || env->preds == NULL) {
			null_of(out, PAT_T_BOOLEAN);
			return;
		}
		bool_of(out, (bool)(env->preds[e->idx >> 6] >> (e->idx & 63) & 1) != (e->neg != 0));
		return;
	case PAT_OP_LOWER:
	case PAT_OP_UPPER:
		change_case(e, env, out);
		return;
	case PAT_OP_LENGTH: /* characters, as ksqlDB counts them */
		pat_eval(e->a, env, &a);
		if (a.null) {
			null_of(out, PAT_T_BIGINT);
			return;
		}
		out->type = PAT_T_BIGINT;
		out->null = false;
		out->i = 0;
		for (k = 0; k < a.s.len; k++)
			out->i += (a.s.p[k] & 0xc0) != 0x80;
		return;
	case PAT_OP_ABS:
		pat_eval(e->a, env, &a);
		if (a.null || (is_int(a.type) && a.i == INT64_MIN)) {
			null_of(out, e->type);
			return;
		}
		out->type = e->type;
		out->null = false;
		if (e->type == PAT_T_DOUBLE)
			out->d = fabs(a.d);
		else
			out->i = a.i < 0 ? -a.i : a.i;
		return;
	case PAT_OP_AGG:
	case PAT_OP_MEASURE:
		if (env->slots == NULL)
			null_of(out, e->type);
		else
			*out = env->slots[e->idx];
		return;
	default:
		null_of(out, e->type);
		return;
	}
}

int pat_expr_required_pred(const struct pat_expr *e)
{
	uint32_t k;

	if (e->op == PAT_OP_MATCH && !e->neg)
		return (int)e->idx;
	if (e->op != PAT_OP_AND)
		return -1;
	for (k = 0; k < e->n_list; k++) {
		int p = pat_expr_required_pred(e->list[k]);

		if (p >= 0)
			return p;
	}
	return -1;
}

/* The same comparison with its operands swapped (a < b is b > a). */
static inline uint8_t mirrored(uint8_t op)
{
	switch (op) {
	case PAT_OP_LT:
		return PAT_OP_GT;
	case PAT_OP_LE:
		return PAT_OP_GE;
	case PAT_OP_GT:
		return PAT_OP_LT;
	case PAT_OP_GE:
		return PAT_OP_LE;
	default:
		return op;
	}
}

/* Whether the n bytes at p and q are equal: what a string equality mostly compares
 * is a few bytes, which two loads a side decide (never a byte past n). */
static inline bool bytes_eq(const uint8_t *p, const uint8_t *q, uint32_t n)
{
	uint64_t a, b, c, d;
	uint32_t w, x, y, z;

	if (n >= 8 && n <= 16) {
		memcpy(&a, p, 8);
		memcpy(&b, q, 8);
		memcpy(&c, p + n - 8, 8);
		memcpy(&d, q + n - 8, 8);
		return ((a ^ b) | (c ^ d)) == 0;
	}
	if (n >= 4 && n < 8) {
		memcpy(&w, p, 4);
		memcpy(&x, q, 4);
		memcpy(&y, p + n - 4, 4);
		memcpy(&z, q + n - 4, 4);
		return ((w ^ x) | (y ^ z)) == 0;
	}
	return n == 0 || memcmp(p, q, n) == 0;
}

/* Whether column col op literal k is TRUE (a NULL on either side: it is not). */
static bool col_holds(uint8_t op, const struct pat_expr *col, const struct pat_expr *k,
		      const struct fmt_row *row)
{
	struct pat_val a, b;

	col_val(col, row, &a);
	const_val(k, &b);
	if (a.null || b.null)
		return false;
	if ((op == PAT_OP_EQ || op == PAT_OP_NE) && a.type == PAT_T_STRING)
		return (a.s.len == b.s.len && bytes_eq(a.s.p, b.s.p, a.s.len)) == (op == PAT_OP_EQ);
	return holds(op, compare(&a, &b));
}

/*
 * A condition is TRUE when it evaluates to TRUE; for AND that is when every operand
 * is TRUE, for OR when one is, whatever the others (FALSE or NULL) are. So AND and OR
 * are decided here operand by operand, and a column compared with a literal without
 * building the tree's values; anything else is evaluated whole.
 */
bool pat_eval_cond(const struct pat_expr *e, struct pat_env *env)
{
	struct pat_val v;
	uint32_t k;

	if (e->memo != 0 && env->memo != NULL &&
	    (env->memo->known >> (e->memo - 1) & 1)) /* decided for this event */
		return env->memo->val >> (e->memo - 1) & 1;
	switch (e->op) {
	case PAT_OP_AND:
		for (k = 0; k < e->n_list; k++)
			if (!pat_eval_cond(e->list[k], env))
				return false;
		return true;
	case PAT_OP_OR:
		for (k = 0; k < e->n_list; k++)
			if (pat_eval_cond(e->list[k], env))
				return true;
		return false;
	case PAT_OP_EQ:
	case PAT_OP_NE:
	case PAT_OP_LT:
	case PAT_OP_LE:
	case PAT_OP_GT:
	case PAT_OP_GE: {
		uint64_t bit;
		bool t;

		if (e->a->op == PAT_OP_COL && e->b->op == PAT_OP_CONST)
			t = col_holds(e->op, e->a, e->b, env->row);
		else if (e->a->op == PAT_OP_CONST && e->b->op == PAT_OP_COL)
			t = col_holds(mirrored(e->op), e->b, e->a, env->row);
		else
			break;
		if (e->memo != 0 && env->memo != NULL) {
			bit = UINT64_C(1) << (e->memo - 1);
			env->memo->known |= bit;
			env->memo->val |= t ? bit : 0;
		}
		return t;
	}
	default:
		break;
	}
	pat_eval(e, env, &v);
	return !v.null && v.b;
}

/* ---- shared comparisons ---- */

/* Whether e is a comparison of a column with a literal, the form pat_eval_cond()
 * decides directly; *col and *k its operands, *op as if the column stood left. */
static bool col_literal(const struct pat_expr *e, const struct pat_expr **col,
			const struct pat_expr **k, uint8_t *op)
{
	if (e->op < PAT_OP_EQ || e->op > PAT_OP_GE)
		return false;
	if (e->a->op == PAT_OP_COL && e->b->op == PAT_OP_CONST) {
		*col = e->a;
		*k = e->b;
		*op = e->op;
		return true;
	}
	if (e->a->op == PAT_OP_CONST && e->b->op == PAT_OP_COL) {
		*col = e->b;
		*k = e->a;
		*op = mirrored(e->op);
		return true;
	}
	return false;
}

/* Whether comparisons x and y (col_literal()) always decide alike. */
static bool same_comparison(const struct pat_expr *x, const struct pat_expr *y)
{
	const struct pat_expr *cx, *kx, *cy, *ky;
	uint8_t ox, oy;

	col_literal(x, &cx, &kx, &ox);
	col_literal(y, &cy, &ky, &oy);
	if (ox != oy || cx->idx != cy->idx || kx->type != ky->type)
		return false;
	switch (kx->type) {
	case PAT_T_STRING:
		return kx->len == ky->len && memcmp(kx->s, ky->s, kx->len) == 0;
	case PAT_T_DOUBLE:
		return kx->d == ky->d;
	default:
		return kx->i == ky->i;
	}
}

struct memo_plan {
	struct pat_expr **cmp; /* the comparisons of one stream's conditions */
	uint32_t n, cap;
	bool nomem;
};

/* The comparisons that condition e decides through AND and OR. */
static void collect(struct memo_plan *m, struct pat_expr *e)
{
	const struct pat_expr *c, *k;
	uint32_t j;
	uint8_t op;

	if (e == NULL)
		return;
	if (e->op == PAT_OP_AND || e->op == PAT_OP_OR) {
		for (j = 0; j < e->n_list; j++)
			collect(m, e->list[j]);
		return;
	}
	if (!col_literal(e, &c, &k, &op))
		return;
	if (m->n == m->cap) {
		uint32_t cap = m->cap ? 2 * m->cap : 64;
		struct pat_expr **v = realloc(m->cmp, cap * sizeof(*v));

		if (v == NULL) {
			m->nomem = true; /* no sharing: each decides its own */
			return;
		}
		m->cmp = v;
		m->cap = cap;
	}
	m->cmp[m->n++] = e;
}

void pat_memo_plan(struct pat_ruleset *rs)
{
	struct memo_plan m = { 0 };
	uint32_t si, r, v, a, b, slots;

	for (si = 0; si < rs->n_streams; si++) {
		m.n = 0;
		for (r = 0; r < rs->n_rules; r++) {
			if (rs->rules[r].stream != si)
				continue;
			collect(&m, rs->rules[r].where);
			if (rs->rules[r].kind == PAT_R_PATTERN)
				for (v = 0; v < rs->rules[r].n_vars; v++)
					collect(&m, rs->rules[r].define[v]);
		}
		if (m.nomem)
			break;
		/* a slot for each comparison that another one repeats */
		slots = 0;
		for (a = 0; a < m.n && slots < PAT_MEMO_SLOTS; a++) {
			bool shared = false;

			if (m.cmp[a]->memo != 0)
				continue;
			for (b = a + 1; b < m.n; b++) {
				if (m.cmp[b]->memo == 0 && same_comparison(m.cmp[a], m.cmp[b])) {
					m.cmp[b]->memo = (uint8_t)(slots + 1);
					shared = true;
				}
			}
			if (shared)
				m.cmp[a]->memo = (uint8_t)(++slots);
		}
	}
	free(m.cmp);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "cep.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "windows/win_agg.h"

/* ---- the program ---- */

struct emitter {
	struct cep_ins *ins;
	uint32_t n, cap;
};

static uint32_t emit_ins(struct emitter *e, uint8_t op, uint8_t var, uint32_t x, uint32_t y)
{
	uint32_t at = e->n;

	if (e->n < e->cap)
		e->ins[e->n] = (struct cep_ins){ .op = op, .var = var, .x = x, .y = y };
	e->n++;
	return at;
}

static void emit_re(struct emitter *e, const struct pat_re *re);

/* Instructions waiting for a target are chained through that field (UINT32_MAX ends
 * the chain); once the target is known the chain is walked and set. The counting
 * pass (no instructions written) only counts. */
static void patch(struct emitter *e, uint32_t chain, bool y, uint32_t to)
{
	while (chain != UINT32_MAX && chain < e->cap && e->ins != NULL) {
		uint32_t *f = y ? &e->ins[chain].y : &e->ins[chain].x;

		chain = *f;
		*f = to;
	}
}

/* The element once, without its quantifier (pat_re_steps counts the same). */
static void emit_body(struct emitter *e, const struct pat_re *re)
{
	uint32_t k, split, jumps = UINT32_MAX;

	switch (re->kind) {
	case PAT_RE_VAR:
		emit_ins(e, CEP_SYM, re->var, 0, 0);
		break;
	case PAT_RE_SEQ:
		for (k = 0; k < re->n_kids; k++)
			emit_re(e, re->kids[k]);
		break;
	default:
		/* SPLIT L1 L2; L1: kid 0; JMP end; L2: SPLIT ...; last kid; end: */
		for (k = 0; k + 1 < re->n_kids; k++) {
			split = emit_ins(e, CEP_SPLIT, 0, e->n + 1, UINT32_MAX);
			emit_re(e, re->kids[k]);
			jumps = emit_ins(e, CEP_JMP, 0, jumps, 0);
			patch(e, split, true, e->n);
		}
		emit_re(e, re->kids[k]);
		patch(e, jumps, false, e->n);
		break;
	}
}

static void emit_re(struct emitter *e, const struct pat_re *re)
{
	uint32_t k, loop, splits = UINT32_MAX;

	for (k = 0; k < re->min; k++)
		emit_body(e, re);
	if (re->max == UINT32_MAX) {
		/* L: SPLIT body end; body; JMP L; end: */
		loop = emit_ins(e, CEP_SPLIT, 0, e->n + 1, UINT32_MAX);
		emit_body(e, re);
		emit_ins(e, CEP_JMP, 0, loop, 0);
		patch(e, loop, true, e->n);
		return;
	}
	/* (body (body ...)?)?: each optional copy may end the repetition */
	for (k = re->min; k < re->max; k++) {
		splits = emit_ins(e, CEP_SPLIT, 0, e->n + 1, splits);
		emit_body(e, re);
	}
	patch(e, splits, true, e->n);
}

/* The variables that can take a match's first row (last: its last row). Sets
 * *nullable when re can match no row. */
static uint8_t edge_vars(const struct pat_re *re, bool last, bool *nullable)
{
	uint8_t f = 0;
	bool kid_null;
	uint32_t k;

	switch (re->kind) {
	case PAT_RE_VAR:
		f = (uint8_t)(1u << re->var);
		*nullable = false;
		break;
	case PAT_RE_SEQ:
		*nullable = true;
		for (k = 0; k < re->n_kids && *nullable; k++) {
			f |= edge_vars(re->kids[last ? re->n_kids - 1 - k : k], last, &kid_null);
			*nullable = kid_null;
		}
		break;
	default:
		*nullable = false;
		for (k = 0; k < re->n_kids; k++) {
			f |= edge_vars(re->kids[k], last, &kid_null);
			*nullable |= kid_null;
		}
		break;
	}
	if (re->min == 0)
		*nullable = true;
	return f;
}

static int kept_col(struct cep_prog *p, uint32_t c, uint8_t type)
{
	uint32_t k;

	for (k = 0; k < p->n_cols; k++)
		if (p->cols[k] == c)
			return (int)k;
	p->cols[p->n_cols] = c;
	p->col_type[p->n_cols] = type;
	return (int)p->n_cols++;
}

int cep_prog_init(struct cep_prog *p, const struct pat_rule *r, const struct pat_stream *s)
{
	struct emitter e = { 0 };
	bool nullable;
	uint32_t k;

	memset(p, 0, sizeof(*p));
	if (r->seq_db == NULL)
		return -EINVAL;
	p->within = r->within_ms;
	p->first = edge_vars(r->pattern, false, &nullable);
	p->last = edge_vars(r->pattern, true, &nullable);
	p->min_rows = (uint32_t)pat_re_min_rows(r->pattern);
	win_keyspec_init(&p->ks, r->partition_cols, r->n_partition, s);
	for (k = 0; k < r->n_aggs; k++) {
		const struct pat_expr *m = r->aggs[k];
		struct cep_slot *sl = &p->slots[k];

		sl->fn = m->fn;
		sl->var = m->var;
		sl->type = m->type;
		if (m->fn != PAT_M_COUNT) {
			sl->in_type = (uint8_t)s->cols[m->arg].type;
			sl->k = (uint32_t)kept_col(p, m->arg, sl->in_type);
		}
	}
	p->n_slots = r->n_aggs;
	p->longest = pat_re_max_rows(r->pattern);
	p->max_keys = r->max_keys > 0 ? r->max_keys : PAT_DEFAULT_MAX_KEYS;
	p->max_bytes = (size_t)(r->max_state_mb > 0 ? r->max_state_mb : PAT_DEFAULT_MAX_STATE_MB)
		       << 20;
	/* counted first, then written: the checker bounded the size */
	e.cap = 0;
	emit_re(&e, r->pattern);
	emit_ins(&e, CEP_MATCH, 0, 0, 0);
	e.cap = e.n;
	e.ins = calloc(e.cap, sizeof(*e.ins));
	if (e.ins == NULL)
		return -ENOMEM;
	e.n = 0;
	emit_re(&e, r->pattern);
	emit_ins(&e, CEP_MATCH, 0, 0, 0);
	if (e.n != e.cap) {
		free(e.ins);
		return -ENOMEM;
	}
	p->ins = e.ins;
	p->n_ins = e.n;
	return 0;
}

void cep_prog_fini(struct cep_prog *p)
{
	free(p->ins);
	p->ins = NULL;
}

uint8_t cep_symbol(const struct pat_rule *r, struct pat_env *env)
{
	uint8_t sym = 0;
	uint32_t v;

	for (v = 0; v < r->n_vars; v++) {
		env->used = 0;
		if (r->define[v] == NULL || pat_eval_cond(r->define[v], env))
			sym |= (uint8_t)(1u << v);
	}
	return sym;
}

/* A kept row: its time, its place in its stream (seq), the lanes that took it, those
 * it could begin a match of (a first variable takes it) and their symbols, a byte a
 * lane of the bank; then, from the bank's val_off (row_vals()), which kept columns
 * have a value and the values (numbers inline, a string as a pointer to an arena
 * block of its length and bytes). */
struct cep_row_hdr {
	int64_t ts;
	uint64_t seq : 48;
	uint64_t lanes : 16;
	uint16_t begins;
	uint8_t sym[]; /* n_lanes */
};

/* The values of row rw: v[0] which kept columns are present, v[1 + k] column k. */
static inline uint64_t *row_vals(const struct cep_bank *b, const struct cep_row_hdr *rw)
{
	return (uint64_t *)((uintptr_t)rw + b->val_off);
}

/* ---- banks ---- */

int cep_bank_init(struct cep_bank *b, const hs_database_t *db, const struct cep_prog *const *lanes,
		  const uint8_t *base, uint32_t n)
{
	uint64_t longest = 0, sum = 0;
	uint32_t l, k, j;

	memset(b, 0, sizeof(*b));
	if (db == NULL || n == 0 || n > PAT_BANK_LANES)
		return -EINVAL;
	b->db = db;
	b->n_lanes = n;
	b->within = 0;
	for (l = 0; l < n; l++) {
		const struct cep_prog *p = lanes[l];

		b->lane[l] = p;
		b->base[l] = base[l];
		b->first[l] = p->first;
		b->last[l] = p->last;
		for (k = 0; k < l && base[k] != base[l]; k++)
			;
		b->shape[l] = (uint8_t)k; /* the first lane on the same bytes */
		b->shape_lanes[k] |= (uint16_t)(1u << l);
		b->lane_within[l] = p->within;
		if (p->within < 0 || b->within < 0)
			b->within = -1;
		else if (p->within > b->within)
			b->within = p->within;
		if (p->longest > longest)
			longest = p->longest;
		if (p->max_keys > b->max_keys)
			b->max_keys = p->max_keys;
		sum += p->max_bytes;
		for (k = 0; k < p->n_cols; k++) {
			for (j = 0; j < b->n_cols && b->cols[j] != p->cols[k]; j++)
				;
			if (j == b->n_cols) {
				b->cols[j] = p->cols[k];
				b->col_type[j] = p->col_type[k];
				b->n_cols++;
			}
			b->col_of[l][k] = (uint8_t)j;
		}
	}
	b->max_bytes = sum;
	b->val_off = (offsetof(struct cep_row_hdr, sym) + n + 7) & ~(size_t)7;
	b->row_size = b->val_off + (b->n_cols ? 8 * (1 + (size_t)b->n_cols) : 0);
	/* the rows a partition keeps: within PAT_MAX_MATCH_ROWS and one arena block;
	 * the longest match, when every row is for every lane */
	b->max_rows = (uint32_t)(WIN_ARENA_MAX / b->row_size);
	if (b->max_rows > PAT_MAX_MATCH_ROWS)
		b->max_rows = PAT_MAX_MATCH_ROWS;
	b->keep_rows = longest < b->max_rows ? (uint32_t)longest : b->max_rows;
	for (l = 0; l < n; l++)
		if (lanes[l]->longest > b->max_rows)
			b->truncates |= (uint16_t)(1u << l);
	return 0;
}

/* ---- the operator ---- */

/* A partition's record, after its struct win_key. floor[l]: the first row (seq) that
 * may begin a match of lane l. */
struct cep_part {
	hs_stream_t *hs;
	uint32_t prev, next; /* by last row, oldest first */
	int64_t last_ts;
	uint8_t *rows; /* a ring of cap rows, from the arena */
	uint32_t cap, head, n;
	uint16_t partial; /* some row kept is not for every lane */
	uint16_t suspect; /* lanes whose shape's bytes held rows not for them (row_bytes) */
	uint64_t floor[]; /* one a lane */
};

/* A partition record's bytes in bank b. */
static inline size_t part_size(const struct cep_bank *b)
{
	return sizeof(struct cep_part) + b->n_lanes * sizeof(uint64_t);
}

/* A thread of the verifier: where it is in the program, and the last row it took
 * (an index into the path nodes, UINT32_MAX: none yet). */
struct thread {
	uint32_t pc, path;
};

struct path_node {
	uint32_t parent;
	uint8_t var;
};

struct cep_state {
	const struct cep_bank *b;
	hs_scratch_t *scratch;
	cep_emit_fn emit;
	void *ctx[PAT_BANK_LANES];
	struct win_arena arena;
	struct win_keys keys;
	uint32_t lru_head, lru_tail;
	uint64_t rows; /* kept, over every partition */
	uint64_t peak_keys, peak_bytes, peak_bytes_keys;
	size_t stream_bytes;
	/* reset streams, for the next partitions */
	hs_stream_t **free_streams;
	uint32_t n_free, n_streams;
	/* the verifier's working memory, grown to the largest verification seen */
	uint32_t max_ins;
	struct thread *clist, *nlist;
	uint32_t *mark, *stack;
	uint32_t gen;
	struct path_node *paths;
	size_t n_paths, cap_paths;
	uint8_t *vars;
	uint32_t *at; /* the kept rows of the lane being verified */
	struct pat_val slots[PAT_MAX_ITEMS * 2];
};

static inline struct cep_part *part_at(const struct cep_state *st, uint32_t i)
{
	return win_keys_data(&st->keys, i);
}

static inline struct cep_row_hdr *row_at(const struct cep_state *st, const struct cep_part *pt,
					 uint32_t k)
{
	uint32_t at = pt->head + k;

	if (at >= pt->cap)
		at -= pt->cap;
	return (struct cep_row_hdr *)(pt->rows + (size_t)at * st->b->row_size);
}

static void lru_unlink(struct cep_state *st, uint32_t i)
{
	struct cep_part *pt = part_at(st, i);

	if (pt->prev != WIN_NONE)
		part_at(st, pt->prev)->next = pt->next;
	else
		st->lru_head = pt->next;
	if (pt->next != WIN_NONE)
		part_at(st, pt->next)->prev = pt->prev;
	else
		st->lru_tail = pt->prev;
}

static void lru_append(struct cep_state *st, uint32_t i)
{
	struct cep_part *pt = part_at(st, i);

	pt->prev = st->lru_tail;
	pt->next = WIN_NONE;
	if (st->lru_tail != WIN_NONE)
		part_at(st, st->lru_tail)->next = i;
	else
		st->lru_head = i;
	st->lru_tail = i;
}

static void row_free(struct cep_state *st, struct cep_row_hdr *rw)
{
	const struct cep_bank *b = st->b;
	const uint64_t *v = row_vals(b, rw);
	uint32_t k;

	for (k = 0; k < b->n_cols; k++) {
		if (b->col_type[k] == PAT_T_STRING && (v[0] >> k & 1)) {
			uint8_t *s = (uint8_t *)(uintptr_t)v[1 + k];
			uint32_t len;

			memcpy(&len, s, 4);
			win_free(&st->arena, s, 4 + (size_t)len);
		}
	}
}

static void drop_front(struct cep_state *st, struct cep_part *pt)
{
	row_free(st, row_at(st, pt, 0));
	pt->head = pt->head + 1 == pt->cap ? 0 : pt->head + 1;
	pt->n--;
	st->rows--;
}

/* Closes partition i: rows freed, stream reset into the pool, key forgotten. */
static void part_close(struct cep_state *st, uint32_t i)
{
	struct cep_part *pt = part_at(st, i);

	while (pt->n > 0)
		drop_front(st, pt);
	if (pt->rows != NULL)
		win_free(&st->arena, pt->rows, (size_t)pt->cap * st->b->row_size);
	if (pt->hs != NULL) {
		hs_reset_stream(pt->hs, 0, NULL, NULL, NULL);
		st->free_streams[st->n_free++] = pt->hs;
	}
	lru_unlink(st, i);
	win_keys_del(&st->keys, i);
}

static uint64_t state_bytes(const struct cep_state *st)
{
	return win_keys_bytes(&st->keys) + st->arena.used +
	       (uint64_t)(st->n_streams - st->n_free) * st->stream_bytes;
}

/* The high-water marks, as partitions open (rows grow between: sampled with them). */
static void note_peak(struct cep_state *st)
{
	uint64_t bytes = state_bytes(st);

	if (st->keys.recs.inuse > st->peak_keys)
		st->peak_keys = st->keys.recs.inuse;
	if (bytes > st->peak_bytes) {
		st->peak_bytes = bytes;
		st->peak_bytes_keys = st->keys.recs.inuse;
	}
}

/* Whether row rw of pt could still begin a match of lane l at time now. */
static inline bool lane_live(const struct cep_bank *b, const struct cep_part *pt,
			     const struct cep_row_hdr *rw, uint32_t l, int64_t now)
{
	return rw->seq >= pt->floor[l] &&
	       (b->lane_within[l] < 0 || rw->ts >= now - b->lane_within[l]);
}

/* The lanes for which row rw could still begin a match at time now. */
static uint16_t live_lanes(const struct cep_state *st, const struct cep_part *pt,
			   const struct cep_row_hdr *rw, int64_t now)
{
	uint16_t live = 0;
	uint32_t m;

	for (m = rw->begins; m != 0; m &= m - 1)
		if (lane_live(st->b, pt, rw, (uint32_t)__builtin_ctz(m), now))
			live |= (uint16_t)(1u << __builtin_ctz(m));
	return live;
}

/* Whether some lane could still begin a match on row rw at time now. */
static bool row_live(const struct cep_state *st, const struct cep_part *pt,
		     const struct cep_row_hdr *rw, int64_t now)
{
	uint32_t m;

	for (m = rw->begins; m != 0; m &= m - 1)
		if (lane_live(st->b, pt, rw, (uint32_t)__builtin_ctz(m), now))
			return true;
	return false;
}

/* Opens the current key's partition at *slot, forgetting the one idle longest when
 * the table is full (*lost: the lanes it had in progress). Returns its index or
 * WIN_NONE. */
static uint32_t part_open(struct cep_state *st, uint32_t *slot, uint16_t *lost)
{
	struct cep_part *pt;
	hs_stream_t *hs = NULL;
	uint32_t i;

	i = win_keys_add(&st->keys, *slot);
	if (i == WIN_NONE && st->keys.recs.inuse == st->keys.recs.cap && st->lru_head != WIN_NONE) {
		pt = part_at(st, st->lru_head);
		for (uint32_t k = 0; k < pt->n; k++)
			*lost |= live_lanes(st, pt, row_at(st, pt, k), pt->last_ts);
		part_close(st, st->lru_head);
		win_keys_find(&st->keys, slot); /* the deletion may have moved its slot */
		i = win_keys_add(&st->keys, *slot);
	}
	if (i == WIN_NONE)
		return WIN_NONE;
	/* a live partition holds a stream: there are never more than max_keys */
	if (st->n_free > 0) {
		hs = st->free_streams[--st->n_free];
	} else if (hs_open_stream(st->b->db, 0, &hs) == HS_SUCCESS) {
		st->n_streams++;
	} else {
		win_keys_del(&st->keys, i);
		return WIN_NONE;
	}
	pt = part_at(st, i);
	pt->hs = hs;
	pt->rows = NULL;
	pt->cap = pt->head = pt->n = pt->partial = pt->suspect = 0;
	memset(pt->floor, 0, st->b->n_lanes * sizeof(*pt->floor));
	lru_append(st, i);
	note_peak(st);
	return i;
}

/* Room for one more row at the back; false when the arena is spent. */
static bool make_room(struct cep_state *st, struct cep_part *pt)
{
	size_t rs = st->b->row_size;
	uint32_t cap, k;
	uint8_t *b;

	if (pt->n < pt->cap)
		return true;
	cap = pt->cap ? pt->cap * 2 : 4;
	if (!pt->partial && cap > st->b->keep_rows)
		cap = st->b->keep_rows;
	if (cap > st->b->max_rows)
		cap = st->b->max_rows;
	if (cap <= pt->n) /* the caller drops a row at max_rows: never here */
		return false;
	b = win_alloc(&st->arena, (size_t)cap * rs);
	if (b == NULL)
		return false;
	for (k = 0; k < pt->n; k++)
		memcpy(b + (size_t)k * rs, row_at(st, pt, k), rs);
	if (pt->rows != NULL)
		win_free(&st->arena, pt->rows, (size_t)pt->cap * rs);
	pt->rows = b;
	pt->cap = cap;
	pt->head = 0;
	return true;
}

/* A string kept in the arena: its length, then its bytes. NULL when it does not fit. */
static uint8_t *keep_string(struct cep_state *st, const uint8_t *p, uint32_t len)
{
	uint8_t *b = win_alloc(&st->arena, 4 + (size_t)len);

	if (b != NULL) {
		memcpy(b, &len, 4);
		memcpy(b + 4, p, len);
	}
	return b;
}

/* Appends row (seq) for lanes, their symbols sym, those it begins a match of begins.
 * Returns false when a string does not fit the arena (the row is kept without it:
 * counted by the caller). */
static bool append(struct cep_state *st, struct cep_part *pt, const struct fmt_row *row,
		   uint64_t seq, uint16_t lanes, uint16_t begins, const uint8_t *sym)
{
	const struct cep_bank *b = st->b;
	struct cep_row_hdr *rw;
	uint64_t *vals;
	bool whole = true;
	uint32_t k;

	pt->n++;
	st->rows++;
	rw = row_at(st, pt, pt->n - 1);
	rw->ts = row->ts_ms;
	rw->seq = seq;
	rw->lanes = lanes;
	rw->begins = begins;
	memcpy(rw->sym, sym, b->n_lanes);
	vals = row_vals(b, rw);
	if (b->n_cols > 0)
		vals[0] = 0;
	for (k = 0; k < b->n_cols; k++) {
		uint32_t c = b->cols[k];
		const struct fmt_value *v = &row->v[c];

		if (!(row->present >> c & 1))
			continue;
		if (b->col_type[k] == PAT_T_STRING) {
			uint8_t *s = keep_string(st, v->s.p, v->s.len);

			if (s == NULL) {
				whole = false;
				continue;
			}
			vals[1 + k] = (uint64_t)(uintptr_t)s;
		} else if (b->col_type[k] == PAT_T_BOOLEAN) {
			vals[1 + k] = v->b;
		} else {
			memcpy(&vals[1 + k], &v->i, 8);
		}
		vals[0] |= UINT64_C(1) << k;
	}
	return whole;
}

/* ---- the verifier ---- */

/* Adds the threads that pc leads to without taking a row, in the order of
 * preference (a choice's x before its y), each pc once a step. */
static void add_thread(struct cep_state *st, const struct cep_prog *p, struct thread *list,
		       uint32_t *n, uint32_t pc, uint32_t path)
{
	const struct cep_ins *ins = p->ins;
	uint32_t sp = 0;

	st->stack[sp++] = pc;
	while (sp > 0) {
		pc = st->stack[--sp];
		if (st->mark[pc] == st->gen)
			continue;
		st->mark[pc] = st->gen;
		switch (ins[pc].op) {
		case CEP_JMP:
			st->stack[sp++] = ins[pc].x;
			break;
		case CEP_SPLIT:
			st->stack[sp++] = ins[pc].y;
			st->stack[sp++] = ins[pc].x;
			break;
		default:
			list[(*n)++] = (struct thread){ pc, path };
			break;
		}
	}
}

static void next_gen(struct cep_state *st)
{
	if (++st->gen == 0) {
		memset(st->mark, 0, st->max_ins * sizeof(*st->mark));
		st->gen = 1;
	}
}

/* A path node: row taken by var after parent. Returns its index, or UINT32_MAX when
 * out of memory. */
static uint32_t new_path(struct cep_state *st, uint32_t parent, uint8_t var)
{
	if (st->n_paths == st->cap_paths) {
		size_t cap = st->cap_paths * 2;
		struct path_node *v;

		if (cap > UINT32_MAX)
			return UINT32_MAX;
		v = realloc(st->paths, cap * sizeof(*v));
		if (v == NULL)
			return UINT32_MAX;
		st->paths = v;
		st->cap_paths = cap;
	}
	st->paths[st->n_paths] = (struct path_node){ parent, var };
	return (uint32_t)st->n_paths++;
}

/* Whether lane l's rows st->at[s..e] of pt are a match, anchored at both ends;
 * *path: the preferred parse's last node. Returns 1, 0, or -ENOMEM. */
static int run(struct cep_state *st, const struct cep_part *pt, uint32_t l, uint32_t s, uint32_t e,
	       uint32_t *path)
{
	const struct cep_prog *p = st->b->lane[l];
	const struct cep_ins *ins = p->ins;
	uint32_t nc = 0, nn, i, k;
	struct thread *t;

	st->n_paths = 0;
	next_gen(st);
	add_thread(st, p, st->clist, &nc, 0, UINT32_MAX);
	for (i = s; i <= e && nc > 0; i++) {
		uint8_t sym = row_at(st, pt, st->at[i])->sym[l];

		next_gen(st);
		nn = 0;
		for (k = 0; k < nc; k++) {
			const struct cep_ins *in = &ins[st->clist[k].pc];
			uint32_t node;

			if (in->op != CEP_SYM || !(sym >> in->var & 1))
				continue; /* an end before e is no match of s..e */
			node = new_path(st, st->clist[k].path, in->var);
			if (node == UINT32_MAX)
				return -ENOMEM;
			add_thread(st, p, st->nlist, &nn, st->clist[k].pc + 1, node);
		}
		t = st->clist;
		st->clist = st->nlist;
		st->nlist = t;
		nc = nn;
	}
	if (i <= e)
		return 0;
	for (k = 0; k < nc; k++) {
		if (ins[st->clist[k].pc].op == CEP_MATCH) {
			*path = st->clist[k].path;
			return 1;
		}
	}
	return 0;
}

static void load(const uint64_t *vals, uint32_t k, uint8_t type, struct pat_val *v)
{
	v->type = type;
	v->null = !(vals[0] >> k & 1);
	if (v->null)
		return;
	switch (type) {
	case PAT_T_STRING: {
		const uint8_t *b = (const uint8_t *)(uintptr_t)vals[1 + k];

		memcpy(&v->s.len, b, 4);
		v->s.p = b + 4;
		break;
	}
	case PAT_T_BOOLEAN:
		v->b = vals[1 + k] != 0;
		break;
	default:
		memcpy(&v->i, &vals[1 + k], 8);
		break;
	}
}

/* Lane l's measures of the match st->at[s..s+n-1] whose rows took st->vars. */
static void measures(struct cep_state *st, const struct cep_part *pt, uint32_t l, uint32_t s,
		     uint32_t n)
{
	const struct cep_prog *p = st->b->lane[l];
	uint32_t j, r;

	for (j = 0; j < p->n_slots; j++) {
		const struct cep_slot *sl = &p->slots[j];
		struct pat_val *out = &st->slots[j], v;
		int64_t count = 0, values = 0, isum = 0;
		double dsum = 0;
		bool have = false, overflow = false;

		memset(out, 0, sizeof(*out));
		out->type = sl->type;
		out->null = true;
		for (r = 0; r < n; r++) {
			if (st->vars[r] != sl->var)
				continue;
			count++;
			if (sl->fn == PAT_M_COUNT)
				continue;
			load(row_vals(st->b, row_at(st, pt, st->at[s + r])),
			     st->b->col_of[l][sl->k], sl->in_type, &v);
			if (sl->fn == PAT_M_FIRST || sl->fn == PAT_M_LAST) {
				if (sl->fn == PAT_M_LAST || count == 1)
					*out = v;
				continue;
			}
			if (v.null)
				continue;
			if (sl->in_type == PAT_T_DOUBLE) {
				dsum += v.d;
				if (!have || (sl->fn == PAT_M_MIN && v.d < out->d) ||
				    (sl->fn == PAT_M_MAX && v.d > out->d))
					out->d = v.d;
			} else {
				overflow |= __builtin_add_overflow(isum, v.i, &isum);
				dsum += (double)v.i;
				if (!have || (sl->fn == PAT_M_MIN && v.i < out->i) ||
				    (sl->fn == PAT_M_MAX && v.i > out->i))
					out->i = v.i;
			}
			have = true;
			values++;
		}
		out->type = sl->type;
		switch (sl->fn) {
		case PAT_M_COUNT:
			out->null = false;
			out->i = count;
			break;
		case PAT_M_FIRST:
		case PAT_M_LAST:
			if (count == 0)
				out->null = true;
			break;
		case PAT_M_SUM:
			out->null = !have || (sl->in_type != PAT_T_DOUBLE && overflow);
			if (sl->in_type == PAT_T_DOUBLE)
				out->d = dsum;
			else
				out->i = isum;
			break;
		case PAT_M_AVG:
			out->null = !have;
			out->d = have ? dsum / (double)values : 0;
			break;
		default: /* MIN, MAX */
			out->null = !have;
			break;
		}
		if (out->type == PAT_T_DOUBLE && !out->null && !isfinite(out->d))
			out->null = true; /* as every DOUBLE expression: non-finite is NULL */
	}
}

/* A match of lane l of partition i ends on its last row: the earliest start that
 * verifies, emitted, and the lane's floor moved past it. Returns 1 (emitted), 0
 * (none), or -ENOMEM. */
static int verify(struct cep_state *st, uint32_t i, uint32_t l)
{
	const struct cep_prog *p = st->b->lane[l];
	struct cep_part *pt = part_at(st, i);
	const struct win_key *key = win_keys_at(&st->keys, i);
	const struct cep_row_hdr *last = row_at(st, pt, pt->n - 1);
	int64_t end = last->ts;
	uint32_t m = 0, e, s, path, r, k;
	struct cep_match mt;
	int rc;

	/* the lane's rows that a match ending here may hold */
	for (k = 0; k < pt->n; k++) {
		const struct cep_row_hdr *rw = row_at(st, pt, k);

		if ((rw->lanes >> l & 1) && rw->seq >= pt->floor[l] &&
		    (p->within < 0 || rw->ts >= end - p->within))
			st->at[m++] = k;
	}
	if (m == 0)
		return 0;
	e = m - 1;
	for (s = 0; s + p->min_rows <= m; s++) {
		const struct cep_row_hdr *rw = row_at(st, pt, st->at[s]);

		if (!(rw->begins >> l & 1))
			continue;
		rc = run(st, pt, l, s, e, &path);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		for (r = e - s + 1; r-- > 0; path = st->paths[path].parent)
			st->vars[r] = st->paths[path].var;
		measures(st, pt, l, s, e - s + 1);
		mt.lane = l;
		mt.key = win_keys_row(&st->keys, i);
		mt.key_bytes = win_key_bytes(key);
		mt.key_len = key->len;
		mt.start = rw->ts;
		mt.end = end;
		mt.rows = e - s + 1;
		mt.slots = st->slots;
		mt.vars = st->vars;
		st->emit(st->ctx[l], &mt);
		pt->floor[l] = last->seq + 1; /* AFTER MATCH SKIP PAST LAST ROW */
		return 1;
	}
	return 0;
}

/* ---- rows ---- */

/* The match callback only records which lanes some match ends at (the verifier
 * decides). */
static int on_end(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	(void)from;
	(void)to;
	(void)flags;
	*(uint16_t *)ctx |= (uint16_t)(1u << id);
	return 0;
}

static int ignore_end(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(void)ctx;
	return 0;
}

/* The bytes of a row for lanes: one a shape that some of them have, in lane order,
 * its symbol every symbol of its lanes together (what any of them takes: Hyperscan
 * finds where a match of some lane of the shape may end, the verifier which). Lanes
 * of a shape that the row is not for would see it as theirs: *suspect gets them.
 * Returns how many. */
static uint32_t row_bytes(const struct cep_bank *b, uint16_t lanes, const uint8_t *sym,
			  uint8_t *out, uint16_t *suspect)
{
	uint32_t l, m, n = 0;
	uint8_t s;

	for (l = 0; l < b->n_lanes; l++) {
		if (b->shape[l] != l || !(lanes & b->shape_lanes[l]))
			continue;
		for (s = 0, m = lanes & b->shape_lanes[l]; m != 0; m &= m - 1)
			s |= sym[__builtin_ctz(m)];
		*suspect |= (uint16_t)(b->shape_lanes[l] & ~lanes);
		out[n++] = (uint8_t)(b->base[l] + s);
	}
	return n;
}

uint64_t cep_hash(const struct cep_state *st, const struct fmt_row *row)
{
	return win_keys_hash(&st->keys, row);
}

void cep_prefetch_slot(const struct cep_state *st, uint64_t h)
{
	win_keys_prefetch_slot(&st->keys, h);
}

void cep_prefetch_key(const struct cep_state *st, uint64_t h)
{
	win_keys_prefetch_record(&st->keys, h);
}

void cep_prefetch_part(const struct cep_state *st, uint64_t h)
{
	const struct cep_part *pt = win_keys_peek(&st->keys, h);

	if (pt == NULL)
		return;
	__builtin_prefetch(pt->hs, 1);
	/* the neighbours in the order of last rows, which the take relinks */
	if (pt->prev != WIN_NONE)
		__builtin_prefetch(&part_at(st, pt->prev)->next, 1);
	if (pt->next != WIN_NONE)
		__builtin_prefetch(&part_at(st, pt->next)->prev, 1);
	if (pt->rows != NULL) {
		__builtin_prefetch(row_at(st, pt, 0), 1); /* trimmed */
		if (pt->n < pt->cap) {			  /* appended: both ends */
			const uint8_t *rw = (const uint8_t *)row_at(st, pt, pt->n);

			__builtin_prefetch(rw, 1);
			__builtin_prefetch(rw + st->b->row_size - 1, 1);
		}
	}
}

enum cep_verdict cep_take(struct cep_state *st, const struct fmt_row *row, uint64_t seq,
			  uint16_t lanes, const uint8_t *sym, uint16_t *lost)
{
	return cep_take_hashed(st, row, seq, lanes, sym, win_keys_hash(&st->keys, row), lost);
}

/* The lanes that may still need pt's first row, a row is about to be added: those it
 * could begin a match of whose longest match is more rows of the lane than the
 * partition keeps from it. */
static uint16_t front_needed(const struct cep_state *st, const struct cep_part *pt, int64_t now)
{
	const struct cep_bank *b = st->b;
	uint16_t need = 0;
	uint32_t m, l, k;
	uint64_t rows;

	for (m = live_lanes(st, pt, row_at(st, pt, 0), now); m != 0; m &= m - 1) {
		l = (uint32_t)__builtin_ctz(m);
		rows = pt->n;
		if (pt->partial) /* only the rows for lane l count */
			for (rows = 0, k = 0; k < pt->n; k++)
				rows += row_at(st, pt, k)->lanes >> l & 1;
		if (rows < b->lane[l]->longest)
			need |= (uint16_t)(1u << l);
	}
	return need;
}

/* Drops the rows at the front that no lane can begin a match from at time now. */
static void trim(struct cep_state *st, struct cep_part *pt, int64_t now)
{
	while (pt->n > 0 && !row_live(st, pt, row_at(st, pt, 0), now))
		drop_front(st, pt);
}

enum cep_verdict cep_take_hashed(struct cep_state *st, const struct fmt_row *row, uint64_t seq,
				 uint16_t lanes, const uint8_t *sym, uint64_t h, uint16_t *lost)
{
	const struct cep_bank *b = st->b;
	uint8_t syms[PAT_BANK_LANES] = { 0 }, bytes[PAT_BANK_LANES];
	uint16_t begins = 0, hits = 0, taken = 0, suspect = 0, cand;
	int64_t ts = row->ts_ms;
	struct cep_part *pt;
	uint32_t i, slot, l, m, n;
	int rc;

	*lost = 0;
	if (ts > WIN_MAX_TIME || ts < -WIN_MAX_TIME)
		return CEP_OUT_OF_RANGE;
	lanes &= (uint16_t)((1u << b->n_lanes) - 1);
	for (l = 0; l < b->n_lanes; l++) {
		if (!(lanes >> l & 1))
			continue;
		syms[l] = sym[l];
		if (sym[l] != 0)
			taken |= (uint16_t)(1u << l);
		if (sym[l] & b->first[l])
			begins |= (uint16_t)(1u << l);
	}
	cep_advance(st, ts);
	win_keys_encode_hashed(&st->keys, row, h);
	if (st->keys.klen > WIN_ARENA_MAX) {
		*lost = lanes;
		return CEP_FULL;
	}
	i = win_keys_find(&st->keys, &slot);
	if (taken == 0 && lanes == (uint16_t)((1u << b->n_lanes) - 1)) {
		/* no variable of any lane takes the row: no match ends on it, and it
		 * breaks every match through it; every floor passes it, so nothing kept
		 * can begin a match any more: the partition closes, unscanned */
		if (i != WIN_NONE)
			part_close(st, i);
		return CEP_TAKEN;
	}
	if (i == WIN_NONE) {
		if (begins == 0)
			return CEP_TAKEN; /* nothing in progress, nothing begins */
		i = part_open(st, &slot, lost);
		if (i == WIN_NONE) {
			*lost |= begins;
			return CEP_FULL;
		}
		part_at(st, i)->last_ts = ts;
		for (l = 0; l < b->n_lanes; l++)
			part_at(st, i)->floor[l] = seq;
	}
	pt = part_at(st, i);
	lru_unlink(st, i);
	lru_append(st, i);
	pt->last_ts = ts;
	trim(st, pt, ts); /* WITHIN: too old to be in a match that ends here or later */
	if (lanes != (uint16_t)((1u << b->n_lanes) - 1))
		pt->partial = 1;
	if (pt->n >= b->keep_rows) {
		/* the oldest row goes unless a match may need it (rows not for every
		 * lane, or a match longer than the bounds: a loss at max_rows) */
		uint16_t need = front_needed(st, pt, ts);

		if (need == 0 || pt->n >= b->max_rows) {
			*lost |= need;
			drop_front(st, pt);
		}
	}
	if (!make_room(st, pt)) {
		if (pt->n == 0) {
			part_close(st, i);
			*lost |= begins;
			return CEP_FULL;
		}
		*lost |= live_lanes(st, pt, row_at(st, pt, 0), ts);
		drop_front(st, pt);
	}
	if (!append(st, pt, row, seq, lanes, begins, syms))
		*lost |= lanes;
	n = row_bytes(b, lanes, syms, bytes, &suspect);
	if (hs_scan_stream(pt->hs, (const char *)bytes, n, 0, st->scratch, on_end, &hits) !=
	    HS_SUCCESS) {
		part_close(st, i);
		return CEP_ERROR;
	}
	pt->suspect |= suspect;
	/* the lanes whose match may end here: those of the shapes Hyperscan named, and
	 * any that a row not for it made the stream unsure of, if this row can end one */
	for (m = hits, cand = pt->suspect; m != 0; m &= m - 1)
		cand |= b->shape_lanes[__builtin_ctz(m)];
	for (l = 0; l < b->n_lanes; l++) {
		if (!(lanes >> l & 1))
			continue;
		if ((cand >> l & 1) && (syms[l] & b->last[l])) {
			rc = verify(st, i, l);
			if (rc < 0) {
				part_close(st, i);
				return CEP_ERROR;
			}
		}
		if (syms[l] == 0) /* no variable of the lane takes it: none goes through */
			pt->floor[l] = seq + 1;
	}
	trim(st, pt, ts);
	if (pt->n == 0)
		part_close(st, i);
	return *lost ? CEP_FULL : CEP_TAKEN;
}

void cep_advance(struct cep_state *st, int64_t W)
{
	int64_t dead;

	if (st->b->within < 0)
		return;
	while (st->lru_head != WIN_NONE) {
		const struct cep_part *pt = part_at(st, st->lru_head);

		if (__builtin_add_overflow(pt->last_ts, st->b->within, &dead) || dead >= W)
			break;
		part_close(st, st->lru_head);
	}
}

int64_t cep_next_expiry(const struct cep_state *st)
{
	int64_t at;

	if (st->b->within < 0 || st->lru_head == WIN_NONE ||
	    __builtin_add_overflow(part_at(st, st->lru_head)->last_ts, st->b->within + 1, &at))
		return INT64_MAX;
	return at;
}

void cep_clear(struct cep_state *st)
{
	while (st->lru_head != WIN_NONE)
		part_close(st, st->lru_head);
}

void cep_usage(const struct cep_state *st, struct cep_usage *u)
{
	u->keys = st->keys.recs.inuse;
	u->rows = st->rows;
	u->bytes = state_bytes(st);
	u->peak_keys = st->peak_keys;
	u->peak_bytes = st->peak_bytes;
	u->peak_bytes_keys = st->peak_bytes_keys;
}

/* ---- a live reload ---- */

/* Row rw of from, its lanes mapped into to's, copied to dst (a row of to). Returns
 * false when a string does not fit to's arena (kept without it). */
static bool copy_row(struct cep_state *to, struct cep_row_hdr *dst, const struct cep_state *from,
		     const struct cep_row_hdr *rw, const int8_t *map, bool merge)
{
	const struct cep_bank *tb = to->b, *fb = from->b;
	const uint64_t *sv = row_vals(fb, rw);
	uint64_t *dv = row_vals(tb, dst);
	bool whole = true;
	uint32_t l, k, j;

	if (!merge) {
		memset(dst, 0, tb->row_size);
		dst->ts = rw->ts;
		dst->seq = rw->seq;
	}
	for (l = 0; l < fb->n_lanes; l++) {
		if (map[l] < 0 || !(rw->lanes >> l & 1))
			continue;
		dst->lanes |= (uint16_t)(1u << map[l]);
		dst->sym[map[l]] = rw->sym[l];
		if (rw->sym[l] & tb->first[map[l]])
			dst->begins |= (uint16_t)(1u << map[l]);
	}
	for (k = 0; k < tb->n_cols; k++) {
		if (dv[0] >> k & 1)
			continue;
		for (j = 0; j < fb->n_cols && fb->cols[j] != tb->cols[k]; j++)
			;
		if (j == fb->n_cols || !(sv[0] >> j & 1))
			continue;
		if (tb->col_type[k] == PAT_T_STRING) {
			const uint8_t *s = (const uint8_t *)(uintptr_t)sv[1 + j];
			uint32_t len;
			uint8_t *c;

			memcpy(&len, s, 4);
			c = keep_string(to, s + 4, len);
			if (c == NULL) {
				whole = false;
				continue;
			}
			dv[1 + k] = (uint64_t)(uintptr_t)c;
		} else {
			dv[1 + k] = sv[1 + j];
		}
		dv[0] |= UINT64_C(1) << k;
	}
	return whole;
}

/* to's lanes that from's become. */
static uint16_t lanes_of(const struct cep_bank *fb, const int8_t *map)
{
	uint16_t m = 0;
	uint32_t l;

	for (l = 0; l < fb->n_lanes; l++)
		if (map[l] >= 0)
			m |= (uint16_t)(1u << map[l]);
	return m;
}

/* Partition fi of from merged into partition ti of to. */
static void merge_part(struct cep_state *to, uint32_t ti, const struct cep_state *from, uint32_t fi,
		       const int8_t *map, uint16_t *lost)
{
	const struct cep_part *fp = part_at(from, fi);
	struct cep_part *tp = part_at(to, ti);
	uint32_t a = 0, c = 0, total = 0, old_n = tp->n, cap, k;
	size_t rs = to->b->row_size;
	uint8_t *ring;

	for (k = 0; k < from->b->n_lanes; k++)
		if (map[k] >= 0)
			tp->floor[map[k]] = fp->floor[k];
	if (fp->last_ts > tp->last_ts)
		tp->last_ts = fp->last_ts;
	/* rows of both, by seq, one row for one seq; the newest max_rows kept (the
	 * takes that follow bring them to keep_rows) */
	cap = tp->n + fp->n;
	if (cap > to->b->max_rows)
		cap = to->b->max_rows;
	ring = cap ? win_alloc(&to->arena, (size_t)cap * rs) : NULL;
	if (cap > 0 && ring == NULL) {
		*lost |= lanes_of(from->b, map);
		return;
	}
	while (a < tp->n || c < fp->n) {
		const struct cep_row_hdr *x = a < tp->n ? row_at(to, tp, a) : NULL;
		const struct cep_row_hdr *y = c < fp->n ? row_at(from, fp, c) : NULL;
		struct cep_row_hdr *dst;

		if (total == cap) { /* the oldest gives way */
			row_free(to, (struct cep_row_hdr *)ring);
			memmove(ring, ring + rs, (size_t)(cap - 1) * rs);
			total--;
			*lost |= to->b->truncates;
		}
		dst = (struct cep_row_hdr *)(ring + (size_t)total * rs);
		if (x != NULL && (y == NULL || x->seq <= y->seq)) {
			memcpy(dst, x, rs);
			a++;
			if (y != NULL && y->seq == x->seq) {
				if (!copy_row(to, dst, from, y, map, true))
					*lost |= lanes_of(from->b, map);
				c++;
			}
		} else {
			if (!copy_row(to, dst, from, y, map, false))
				*lost |= lanes_of(from->b, map);
			c++;
		}
		if (dst->lanes != (uint16_t)((1u << to->b->n_lanes) - 1))
			tp->partial = 1;
		total++;
	}
	if (tp->rows != NULL)
		win_free(&to->arena, tp->rows, (size_t)tp->cap * rs);
	tp->rows = ring;
	tp->cap = cap;
	tp->head = 0;
	tp->n = total;
	to->rows += total;
	to->rows -= old_n;
}

int cep_merge(struct cep_state *to, struct cep_state *from, const int8_t *map, uint16_t *lost)
{
	uint32_t fi, ti, slot;

	*lost = 0;
	for (fi = from->lru_head; fi != WIN_NONE; fi = part_at(from, fi)->next) {
		/* the key's columns, decoded into from's scratch row */
		const struct fmt_row *key = win_keys_row(&from->keys, fi);

		win_keys_encode_hashed(&to->keys, key, win_keys_hash(&to->keys, key));
		ti = win_keys_find(&to->keys, &slot);
		if (ti == WIN_NONE) {
			ti = win_keys_add(&to->keys, slot);
			if (ti == WIN_NONE) {
				*lost |= lanes_of(from->b, map);
				continue;
			}
			memset(part_at(to, ti), 0, part_size(to->b));
			part_at(to, ti)->last_ts = INT64_MIN;
			lru_append(to, ti);
		}
		merge_part(to, ti, from, fi, map, lost);
	}
	note_peak(to);
	return 0;
}

int cep_rescan(struct cep_state *to)
{
	uint8_t bytes[PAT_BANK_LANES];
	uint32_t i, k, next;
	int rc = 0;

	for (i = to->lru_head; i != WIN_NONE; i = next) {
		struct cep_part *pt = part_at(to, i);

		next = pt->next;
		if (pt->n == 0) {
			part_close(to, i);
			continue;
		}
		if (pt->hs == NULL) {
			if (to->n_free > 0) {
				pt->hs = to->free_streams[--to->n_free];
			} else if (hs_open_stream(to->b->db, 0, &pt->hs) == HS_SUCCESS) {
				to->n_streams++;
			} else {
				pt->hs = NULL;
				part_close(to, i);
				rc = -ENOMEM;
				continue;
			}
		}
		pt->suspect = 0;
		for (k = 0; k < pt->n; k++) {
			const struct cep_row_hdr *rw = row_at(to, pt, k);

			if (hs_scan_stream(
				    pt->hs, (const char *)bytes,
				    row_bytes(to->b, rw->lanes, rw->sym, bytes, &pt->suspect), 0,
				    to->scratch, ignore_end, NULL) != HS_SUCCESS) {
				part_close(to, i);
				rc = -EIO;
				break;
			}
		}
	}
	note_peak(to);
	return rc;
}

/* ---- set-up ---- */

struct cep_state *cep_state_new(const struct cep_bank *b, hs_scratch_t *scratch, cep_emit_fn fn,
				void *const *ctx)
{
	struct cep_state *st = calloc(1, sizeof(*st));
	uint32_t l;
	int rc = -ENOMEM;

	if (st == NULL)
		goto fail;
	st->b = b;
	st->scratch = scratch;
	st->emit = fn;
	for (l = 0; l < b->n_lanes; l++) {
		st->ctx[l] = ctx[l];
		if (b->lane[l]->n_ins > st->max_ins)
			st->max_ins = b->lane[l]->n_ins;
	}
	st->lru_head = st->lru_tail = WIN_NONE;
	st->cap_paths = 1024;
	if (hs_stream_size(b->db, &st->stream_bytes) != HS_SUCCESS) {
		rc = -EINVAL;
		goto fail;
	}
	st->free_streams = win_reserve((size_t)b->max_keys * sizeof(*st->free_streams));
	st->clist = malloc(st->max_ins * sizeof(*st->clist));
	st->nlist = malloc(st->max_ins * sizeof(*st->nlist));
	st->mark = calloc(st->max_ins, sizeof(*st->mark));
	st->stack = malloc((2 * (size_t)st->max_ins + 2) * sizeof(*st->stack));
	st->paths = malloc(st->cap_paths * sizeof(*st->paths));
	st->vars = malloc(b->max_rows);
	st->at = malloc(b->max_rows * sizeof(*st->at));
	if (st->free_streams == NULL || st->clist == NULL || st->nlist == NULL ||
	    st->mark == NULL || st->stack == NULL || st->paths == NULL || st->vars == NULL ||
	    st->at == NULL)
		goto fail;
	if ((rc = win_arena_init(&st->arena, b->max_bytes)) != 0 ||
	    (rc = win_keys_init(&st->keys, &b->lane[0]->ks, part_size(b), b->max_keys,
				&st->arena)) != 0)
		goto fail;
	return st;
fail:
	cep_state_free(st);
	errno = -rc;
	return NULL;
}

void cep_state_free(struct cep_state *st)
{
	uint32_t k;

	if (st == NULL)
		return;
	if (st->keys.index != NULL)
		cep_clear(st);
	for (k = 0; k < st->n_free; k++)
		hs_close_stream(st->free_streams[k], NULL, NULL, NULL);
	win_unreserve(st->free_streams, (size_t)st->b->max_keys * sizeof(*st->free_streams));
	win_keys_fini(&st->keys);
	win_arena_fini(&st->arena);
	free(st->clist);
	free(st->nlist);
	free(st->mark);
	free(st->stack);
	free(st->paths);
	free(st->vars);
	free(st->at);
	free(st);
}

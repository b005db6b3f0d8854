/* SPDX-License-Identifier: BSD-3-Clause */
#include "cep.h"

#include <errno.h>
#include <math.h>
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

/* The variables that can take a match's first row. Sets *nullable when re can match
 * no row. */
static uint8_t first_vars(const struct pat_re *re, bool *nullable)
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
			f |= first_vars(re->kids[k], &kid_null);
			*nullable = kid_null;
		}
		break;
	default:
		*nullable = false;
		for (k = 0; k < re->n_kids; k++) {
			f |= first_vars(re->kids[k], &kid_null);
			*nullable |= kid_null;
		}
		break;
	}
	if (re->min == 0)
		*nullable = true;
	return f;
}

/* A kept row: its time, its symbol, which kept columns have a value, and the values
 * (numbers inline, a string as a pointer to an arena block of its length and bytes). */
struct cep_row {
	int64_t ts;
	uint64_t present;
	uint8_t sym;
	uint8_t pad[7];
	uint64_t v[];
};

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
	uint64_t longest;
	bool nullable;
	uint32_t k;

	memset(p, 0, sizeof(*p));
	if (r->seq_db == NULL)
		return -EINVAL;
	p->db = r->seq_db;
	p->within = r->within_ms;
	p->first = first_vars(r->pattern, &nullable);
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
	p->row_size = sizeof(struct cep_row) + 8 * (size_t)p->n_cols;
	/* the rows a partition keeps: the longest match, within PAT_MAX_MATCH_ROWS and
	 * one arena block */
	longest = pat_re_max_rows(r->pattern);
	p->max_rows = (uint32_t)(WIN_ARENA_MAX / p->row_size);
	if (p->max_rows > PAT_MAX_MATCH_ROWS)
		p->max_rows = PAT_MAX_MATCH_ROWS;
	if (longest < p->max_rows)
		p->max_rows = (uint32_t)longest;
	p->truncates = longest > p->max_rows;
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

/* ---- the operator ---- */

/* A partition's record, after its struct win_key. */
struct cep_part {
	hs_stream_t *hs;
	uint32_t prev, next; /* by last row, oldest first */
	int64_t last_ts;
	uint8_t *rows; /* a ring of cap rows, from the arena */
	uint32_t cap, head, n, pad;
};

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
	const struct cep_prog *p;
	hs_scratch_t *scratch;
	cep_emit_fn emit;
	void *ctx;
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
	struct thread *clist, *nlist;
	uint32_t *mark, *stack;
	uint32_t gen;
	struct path_node *paths;
	size_t n_paths, cap_paths;
	uint8_t *vars;
	struct pat_val slots[PAT_MAX_ITEMS * 2];
};

static inline struct cep_part *part_at(const struct cep_state *st, uint32_t i)
{
	return win_keys_data(&st->keys, i);
}

static inline struct cep_row *row_at(const struct cep_state *st, const struct cep_part *pt,
				     uint32_t k)
{
	uint32_t at = pt->head + k;

	if (at >= pt->cap)
		at -= pt->cap;
	return (struct cep_row *)(pt->rows + (size_t)at * st->p->row_size);
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

static void row_free(struct cep_state *st, struct cep_row *rw)
{
	const struct cep_prog *p = st->p;
	uint32_t k;

	for (k = 0; k < p->n_cols; k++) {
		if (p->col_type[k] == PAT_T_STRING && (rw->present >> k & 1)) {
			uint8_t *b = (uint8_t *)(uintptr_t)rw->v[k];
			uint32_t len;

			memcpy(&len, b, 4);
			win_free(&st->arena, b, 4 + (size_t)len);
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
		win_free(&st->arena, pt->rows, (size_t)pt->cap * st->p->row_size);
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

/* Opens the current key's partition at *slot, forgetting the one idle longest when
 * the table is full (*forgot). Returns its index or WIN_NONE. */
static uint32_t part_open(struct cep_state *st, uint32_t *slot, bool *forgot)
{
	struct cep_part *pt;
	hs_stream_t *hs = NULL;
	uint32_t i;

	i = win_keys_add(&st->keys, *slot);
	if (i == WIN_NONE && st->keys.recs.inuse == st->keys.recs.cap && st->lru_head != WIN_NONE) {
		part_close(st, st->lru_head);
		*forgot = true;
		win_keys_find(&st->keys, slot); /* the deletion may have moved its slot */
		i = win_keys_add(&st->keys, *slot);
	}
	if (i == WIN_NONE)
		return WIN_NONE;
	/* a live partition holds a stream: there are never more than max_keys */
	if (st->n_free > 0) {
		hs = st->free_streams[--st->n_free];
	} else if (hs_open_stream(st->p->db, 0, &hs) == HS_SUCCESS) {
		st->n_streams++;
	} else {
		win_keys_del(&st->keys, i);
		return WIN_NONE;
	}
	pt = part_at(st, i);
	pt->hs = hs;
	lru_append(st, i);
	note_peak(st);
	return i;
}

/* Room for one more row at the back; false when the arena is spent. */
static bool make_room(struct cep_state *st, struct cep_part *pt)
{
	size_t rs = st->p->row_size;
	uint32_t cap, k;
	uint8_t *b;

	if (pt->n < pt->cap)
		return true;
	cap = pt->cap ? pt->cap * 2 : 4;
	if (cap > st->p->max_rows)
		cap = st->p->max_rows;
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

/* Appends row with symbol sym. Returns false when a string does not fit the arena
 * (the row is kept without it: counted by the caller). */
static bool append(struct cep_state *st, struct cep_part *pt, const struct fmt_row *row,
		   uint8_t sym)
{
	const struct cep_prog *p = st->p;
	struct cep_row *rw;
	bool whole = true;
	uint32_t k;

	pt->n++;
	st->rows++;
	rw = row_at(st, pt, pt->n - 1);
	rw->ts = row->ts_ms;
	rw->sym = sym;
	rw->present = 0;
	for (k = 0; k < p->n_cols; k++) {
		uint32_t c = p->cols[k];
		const struct fmt_value *v = &row->v[c];

		if (!(row->present >> c & 1))
			continue;
		if (p->col_type[k] == PAT_T_STRING) {
			uint8_t *b = win_alloc(&st->arena, 4 + (size_t)v->s.len);

			if (b == NULL) {
				whole = false;
				continue;
			}
			memcpy(b, &v->s.len, 4);
			memcpy(b + 4, v->s.p, v->s.len);
			rw->v[k] = (uint64_t)(uintptr_t)b;
		} else if (p->col_type[k] == PAT_T_BOOLEAN) {
			rw->v[k] = v->b;
		} else {
			memcpy(&rw->v[k], &v->i, 8);
		}
		rw->present |= UINT64_C(1) << k;
	}
	return whole;
}

/* ---- the verifier ---- */

/* Adds the threads that pc leads to without taking a row, in the order of
 * preference (a choice's x before its y), each pc once a step. */
static void add_thread(struct cep_state *st, struct thread *list, uint32_t *n, uint32_t pc,
		       uint32_t path)
{
	const struct cep_ins *ins = st->p->ins;
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
		memset(st->mark, 0, st->p->n_ins * sizeof(*st->mark));
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

/* Whether rows s..e of pt are a match, anchored at both ends; *path: the preferred
 * parse's last node. Returns 1, 0, or -ENOMEM. */
static int run(struct cep_state *st, const struct cep_part *pt, uint32_t s, uint32_t e,
	       uint32_t *path)
{
	const struct cep_ins *ins = st->p->ins;
	uint32_t nc = 0, nn, i, k;
	struct thread *t;

	st->n_paths = 0;
	next_gen(st);
	add_thread(st, st->clist, &nc, 0, UINT32_MAX);
	for (i = s; i <= e && nc > 0; i++) {
		uint8_t sym = row_at(st, pt, i)->sym;

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
			add_thread(st, st->nlist, &nn, st->clist[k].pc + 1, node);
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

static void load(const struct cep_row *rw, uint32_t k, uint8_t type, struct pat_val *v)
{
	v->type = type;
	v->null = !(rw->present >> k & 1);
	if (v->null)
		return;
	switch (type) {
	case PAT_T_STRING: {
		const uint8_t *b = (const uint8_t *)(uintptr_t)rw->v[k];

		memcpy(&v->s.len, b, 4);
		v->s.p = b + 4;
		break;
	}
	case PAT_T_BOOLEAN:
		v->b = rw->v[k] != 0;
		break;
	default:
		memcpy(&v->i, &rw->v[k], 8);
		break;
	}
}

/* The measures of the match s..s+n-1 whose rows took st->vars. */
static void measures(struct cep_state *st, const struct cep_part *pt, uint32_t s, uint32_t n)
{
	const struct cep_prog *p = st->p;
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
			load(row_at(st, pt, s + r), sl->k, sl->in_type, &v);
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

/* A match of partition i ends on its last row: the earliest start that verifies,
 * emitted. Returns 1 (emitted), 0 (none), or -ENOMEM. */
static int verify(struct cep_state *st, uint32_t i)
{
	const struct cep_prog *p = st->p;
	const struct cep_part *pt = part_at(st, i);
	const struct win_key *key = win_keys_at(&st->keys, i);
	uint32_t e = pt->n - 1, s, path, r;
	int64_t end = row_at(st, pt, e)->ts;
	struct cep_match m;
	int rc;

	/* every kept row is within WITHIN of the last (cep_take forgets older ones) */
	for (s = 0; s + p->min_rows <= pt->n; s++) {
		const struct cep_row *rw = row_at(st, pt, s);

		if (!(rw->sym & p->first))
			continue;
		rc = run(st, pt, s, e, &path);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		for (r = e - s + 1; r-- > 0; path = st->paths[path].parent)
			st->vars[r] = st->paths[path].var;
		measures(st, pt, s, e - s + 1);
		m.key = win_keys_row(&st->keys, i);
		m.key_bytes = win_key_bytes(key);
		m.key_len = key->len;
		m.start = rw->ts;
		m.end = end;
		m.rows = e - s + 1;
		m.slots = st->slots;
		m.vars = st->vars;
		st->emit(st->ctx, &m);
		return 1;
	}
	return 0;
}

/* ---- rows ---- */

/* The match callback only records that some match ends here (the verifier decides). */
static int on_end(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	*(bool *)ctx = true;
	return 0;
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

enum cep_verdict cep_take(struct cep_state *st, const struct fmt_row *row, uint8_t sym)
{
	return cep_take_hashed(st, row, sym, win_keys_hash(&st->keys, row));
}

enum cep_verdict cep_take_hashed(struct cep_state *st, const struct fmt_row *row, uint8_t sym,
				 uint64_t h)
{
	const struct cep_prog *p = st->p;
	int64_t ts = row->ts_ms;
	bool forgot = false, hit = false;
	struct cep_part *pt;
	uint32_t i, slot;
	int rc;

	if (ts > WIN_MAX_TIME || ts < -WIN_MAX_TIME)
		return CEP_OUT_OF_RANGE;
	cep_advance(st, ts);
	win_keys_encode_hashed(&st->keys, row, h);
	if (st->keys.klen > WIN_ARENA_MAX)
		return CEP_FULL;
	i = win_keys_find(&st->keys, &slot);
	if (i == WIN_NONE) {
		if (!(sym & p->first))
			return CEP_TAKEN; /* nothing in progress, nothing begins */
		i = part_open(st, &slot, &forgot);
		if (i == WIN_NONE)
			return CEP_FULL;
	} else if (sym == 0) {
		part_close(st, i); /* no variable takes it: no match goes through it */
		return CEP_TAKEN;
	}
	pt = part_at(st, i);
	lru_unlink(st, i);
	lru_append(st, i);
	pt->last_ts = ts;
	if (p->within >= 0) /* too old to be in a match that ends here or later */
		while (pt->n > 0 && row_at(st, pt, 0)->ts < ts - p->within)
			drop_front(st, pt);
	if (pt->n == p->max_rows) {
		drop_front(st, pt); /* a loss only when a match may be longer */
		forgot |= p->truncates;
	}
	if (!make_room(st, pt)) {
		if (pt->n == 0) {
			part_close(st, i);
			return CEP_FULL;
		}
		drop_front(st, pt);
		forgot = true;
	}
	if (!append(st, pt, row, sym))
		forgot = true;
	if (hs_scan_stream(pt->hs, (const char *)&sym, 1, 0, st->scratch, on_end, &hit) !=
	    HS_SUCCESS) {
		part_close(st, i);
		return CEP_ERROR;
	}
	if (hit) {
		rc = verify(st, i);
		if (rc != 0) {
			part_close(st, i); /* AFTER MATCH SKIP PAST LAST ROW */
			return rc < 0 ? CEP_ERROR : forgot ? CEP_FULL : CEP_TAKEN;
		}
	}
	while (pt->n > 0 && !(row_at(st, pt, 0)->sym & p->first))
		drop_front(st, pt); /* no match can begin there */
	if (pt->n == 0)
		part_close(st, i);
	return forgot ? CEP_FULL : CEP_TAKEN;
}

void cep_advance(struct cep_state *st, int64_t W)
{
	int64_t dead;

	if (st->p->within < 0)
		return;
	while (st->lru_head != WIN_NONE) {
		const struct cep_part *pt = part_at(st, st->lru_head);

		if (__builtin_add_overflow(pt->last_ts, st->p->within, &dead) || dead >= W)
			break;
		part_close(st, st->lru_head);
	}
}

int64_t cep_next_expiry(const struct cep_state *st)
{
	int64_t at;

	if (st->p->within < 0 || st->lru_head == WIN_NONE ||
	    __builtin_add_overflow(part_at(st, st->lru_head)->last_ts, st->p->within + 1, &at))
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

/* ---- set-up ---- */

struct cep_state *cep_state_new(const struct cep_prog *p, hs_scratch_t *scratch, cep_emit_fn fn,
				void *ctx)
{
	struct cep_state *st = calloc(1, sizeof(*st));
	int rc = -ENOMEM;

	if (st == NULL)
		goto fail;
	st->p = p;
	st->scratch = scratch;
	st->emit = fn;
	st->ctx = ctx;
	st->lru_head = st->lru_tail = WIN_NONE;
	st->cap_paths = 1024;
	if (hs_stream_size(p->db, &st->stream_bytes) != HS_SUCCESS) {
		rc = -EINVAL;
		goto fail;
	}
	st->free_streams = win_reserve((size_t)p->max_keys * sizeof(*st->free_streams));
	st->clist = malloc(p->n_ins * sizeof(*st->clist));
	st->nlist = malloc(p->n_ins * sizeof(*st->nlist));
	st->mark = calloc(p->n_ins, sizeof(*st->mark));
	st->stack = malloc((2 * (size_t)p->n_ins + 2) * sizeof(*st->stack));
	st->paths = malloc(st->cap_paths * sizeof(*st->paths));
	st->vars = malloc(p->max_rows);
	if (st->free_streams == NULL || st->clist == NULL || st->nlist == NULL ||
	    st->mark == NULL || st->stack == NULL || st->paths == NULL || st->vars == NULL)
		goto fail;
	if ((rc = win_arena_init(&st->arena, p->max_bytes)) != 0 ||
	    (rc = win_keys_init(&st->keys, &p->ks, sizeof(struct cep_part), p->max_keys,
				&st->arena)) != 0)
		goto fail;
	return st;
fail:
	cep_state_free(st);
	errno = -rc;
	return NULL;
}

void cep_state_rebind(struct cep_state *st, const struct cep_prog *p, hs_scratch_t *scratch,
		      cep_emit_fn fn, void *ctx)
{
	st->p = p;
	st->keys.ks = &p->ks;
	st->scratch = scratch;
	st->emit = fn;
	st->ctx = ctx;
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
	win_unreserve(st->free_streams, (size_t)st->p->max_keys * sizeof(*st->free_streams));
	win_keys_fini(&st->keys);
	win_arena_fini(&st->arena);
	free(st->clist);
	free(st->nlist);
	free(st->mark);
	free(st->stack);
	free(st->paths);
	free(st->vars);
	free(st);
}

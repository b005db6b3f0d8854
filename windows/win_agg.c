/* SPDX-License-Identifier: BSD-3-Clause */
#include "win_agg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A key's record (after its struct win_key, whose aux is its first window, by start),
 * and room for windows of it: one for tumbling windows and sessions, as many as an
 * event opens for hopping ones (up to 8), so that the usual case costs one record,
 * fetched ahead whole, and a key that comes back finds its windows where they were. */
struct win_kx {
	uint32_t n_win;
	uint32_t idle_next; /* the idle keys, oldest first */
	uint8_t queued;	    /* on that list */
	uint8_t inl;	    /* which of its own windows are in use (bit j: window j) */
	uint8_t pad[6];
	/* struct win_win follows */
};

struct win_win {
	int64_t start, end;
	uint32_t key;
	uint32_t next; /* the key's next window, by start */
	uint32_t heap; /* position in the close heap (sessions only) */
	uint32_t dprev, dnext;
	uint32_t dirty;
	uint64_t events;
	struct win_acc acc[];
};

struct heap_ent {
	int64_t close;
	uint32_t win, pad;
};

struct win_state {
	const struct win_spec *sp;
	win_emit_fn emit;
	void *ctx;
	struct win_keys keys;
	struct win_pool wins;
	struct heap_ent *heap;
	uint32_t heap_n;
	uint64_t n_win; /* windows reserved */
	struct win_arena arena;
	uint32_t inl_shift;	       /* a key's record holds 1 << inl_shift windows */
	uint32_t inl_end;	       /* windows below: in the key records (key w >> inl_shift) */
	uint32_t dirty_head;	       /* EMIT CHANGES: changed windows */
	uint32_t idle_head, idle_tail; /* keys without a window: evicted first */
	uint64_t live_windows;
	int64_t next_tick;
	struct pat_val slots[PAT_MAX_ITEMS * 2];
};

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void win_spec_init(struct win_spec *sp, const struct pat_rule *r, const struct pat_stream *s)
{
	uint32_t k;

	memset(sp, 0, sizeof(*sp));
	sp->kind = r->window;
	sp->size = r->size_ms;
	sp->advance = r->window == PAT_W_HOPPING ? r->advance_ms : r->size_ms;
	sp->grace = r->grace_ms;
	sp->emit_changes = r->emit_changes;
	sp->emit_interval = r->emit_interval_ms > 0 ? r->emit_interval_ms : 1000;
	win_keyspec_init(&sp->group, r->group_cols, r->n_group, s);
	sp->n_aggs = r->n_aggs;
	for (k = 0; k < r->n_aggs; k++) {
		const struct pat_expr *e = r->aggs[k];

		sp->aggs[k].fn = e->fn;
		sp->aggs[k].col = e->arg;
		sp->aggs[k].in_type =
			e->fn == PAT_AGG_COUNT_STAR ? PAT_T_NULL : (uint8_t)s->cols[e->arg].type;
		sp->aggs[k].out_type = e->type;
		sp->aggs[k].p = e->p;
	}
	sp->max_keys = r->max_keys > 0 ? r->max_keys : PAT_DEFAULT_MAX_KEYS;
	sp->max_bytes = (size_t)(r->max_state_mb > 0 ? r->max_state_mb : PAT_DEFAULT_MAX_STATE_MB)
			<< 20;
}

/* ---- keys ---- */

static inline struct win_kx *kx_at(const struct win_state *st, uint32_t i)
{
	return win_keys_data(&st->keys, i);
}

static inline uint32_t *first_of(const struct win_state *st, uint32_t i)
{
	return &win_keys_at(&st->keys, i)->aux;
}

/* Windows are numbered: below inl_end, key i >> inl_shift's own; above, the pool's. */
static inline struct win_win *win_at(const struct win_state *st, uint32_t i)
{
	if (i < st->inl_end)
		return (struct win_win *)((uint8_t *)kx_at(st, i >> st->inl_shift) +
					  sizeof(struct win_kx) +
					  (size_t)(i & ((1u << st->inl_shift) - 1)) *
						  st->wins.stride);
	return win_pool_at(&st->wins, i - st->inl_end);
}

/* Makes room for a key by forgetting the oldest idle one. Returns false when every key
 * has a window open. */
static bool evict_idle(struct win_state *st)
{
	while (st->idle_head != WIN_NONE) {
		uint32_t i = st->idle_head;
		struct win_kx *k = kx_at(st, i);

		st->idle_head = k->idle_next;
		if (st->idle_head == WIN_NONE)
			st->idle_tail = WIN_NONE;
		k->queued = 0;
		if (k->n_win == 0) {
			win_keys_del(&st->keys, i);
			return true;
		}
	}
	return false;
}

static void key_idle(struct win_state *st, uint32_t i)
{
	struct win_kx *k = kx_at(st, i);

	if (k->queued)
		return;
	k->queued = 1;
	k->idle_next = WIN_NONE;
	if (st->idle_tail != WIN_NONE)
		kx_at(st, st->idle_tail)->idle_next = i;
	else
		st->idle_head = i;
	st->idle_tail = i;
}

/* Adds the current key at *slot, forgetting an idle key when the table is full. */
static uint32_t key_add(struct win_state *st, uint32_t *slot)
{
	uint32_t i = win_keys_add(&st->keys, *slot);

	if (i == WIN_NONE && st->keys.recs.inuse == st->keys.recs.cap && evict_idle(st)) {
		win_keys_find(&st->keys, slot); /* the deletion may have moved its slot */
		i = win_keys_add(&st->keys, *slot);
	}
	if (i != WIN_NONE)
		*first_of(st, i) = WIN_NONE;
	return i;
}

/* ---- the close heap ---- */

static inline bool heap_less(const struct heap_ent *a, const struct heap_ent *b)
{
	return a->close < b->close || (a->close == b->close && a->win < b->win);
}

/* A window's place in the heap is kept in it for sessions, which leave the heap when
 * they merge; fixed windows leave it only from the top, so their records are not
 * touched (a cache miss a level once the keys outgrow the caches). */
static inline void heap_set(struct win_state *st, uint32_t pos, struct heap_ent e)
{
	st->heap[pos] = e;
	if (st->sp->kind == PAT_W_SESSION)
		win_at(st, e.win)->heap = pos;
}

/* A 4-ary heap: half the levels of a binary one, and a node's four children share a
 * cache line (the array starts HEAP_PAD entries into a page), so that a step down
 * costs one line once the heap outgrows the caches. */
#define HEAP_PAD 3

static void heap_up(struct win_state *st, uint32_t pos)
{
	struct heap_ent e = st->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 4;

		if (!heap_less(&e, &st->heap[parent]))
			break;
		heap_set(st, pos, st->heap[parent]);
		pos = parent;
	}
	heap_set(st, pos, e);
}

static void heap_down(struct win_state *st, uint32_t pos)
{
	struct heap_ent e = st->heap[pos];

	for (;;) {
		uint32_t c = 4 * pos + 1, end = c + 4, k, m;

		if (c >= st->heap_n)
			break;
		if (end > st->heap_n)
			end = st->heap_n;
		for (m = c, k = c + 1; k < end; k++)
			if (heap_less(&st->heap[k], &st->heap[m]))
				m = k;
		if (!heap_less(&st->heap[m], &e))
			break;
		heap_set(st, pos, st->heap[m]);
		pos = m;
	}
	heap_set(st, pos, e);
}

static void heap_push(struct win_state *st, uint32_t w, int64_t close)
{
	st->heap[st->heap_n] = (struct heap_ent){ .close = close, .win = w };
	heap_up(st, st->heap_n++);
}

static void heap_remove(struct win_state *st, uint32_t pos)
{
	st->heap_n--;
	if (pos == st->heap_n)
		return;
	heap_set(st, pos, st->heap[st->heap_n]);
	if (pos > 0 && heap_less(&st->heap[pos], &st->heap[(pos - 1) / 4]))
		heap_up(st, pos);
	else
		heap_down(st, pos);
}

/* ---- EMIT CHANGES list ---- */

static void dirty_add(struct win_state *st, uint32_t w)
{
	struct win_win *x = win_at(st, w);

	if (x->dirty)
		return;
	x->dirty = 1;
	x->dprev = WIN_NONE;
	x->dnext = st->dirty_head;
	if (st->dirty_head != WIN_NONE)
		win_at(st, st->dirty_head)->dprev = w;
	st->dirty_head = w;
}

static void dirty_del(struct win_state *st, uint32_t w)
{
	struct win_win *x = win_at(st, w);

	if (!x->dirty)
		return;
	if (x->dprev != WIN_NONE)
		win_at(st, x->dprev)->dnext = x->dnext;
	else
		st->dirty_head = x->dnext;
	if (x->dnext != WIN_NONE)
		win_at(st, x->dnext)->dprev = x->dprev;
	x->dirty = 0;
}

/* ---- aggregates ---- */

static inline uint64_t value_hash(uint8_t type, const struct fmt_value *v)
{
	switch (type) {
	case PAT_T_STRING:
		return win_hash64(v->s.p, v->s.len, PAT_T_STRING);
	case PAT_T_DOUBLE: {
		double d = v->d == 0 ? 0.0 : v->d;
		uint64_t u;

		memcpy(&u, &d, 8);
		return win_mix64(u ^ UINT64_C(0x5851f42d4c957f2d));
	}
	case PAT_T_BOOLEAN:
		return win_mix64((uint64_t)v->b + UINT64_C(0x14057b7ef767814f));
	default:
		return win_mix64((uint64_t)v->i);
	}
}

static inline double as_double(uint8_t type, const struct fmt_value *v)
{
	return type == PAT_T_DOUBLE ? v->d : (double)v->i;
}

/* Adds the event's values to window x. Returns 0, or -ENOMEM when a sketch could not
 * grow (that value is missing from it). */
static int update(struct win_state *st, struct win_win *x, const struct fmt_row *row)
{
	const struct win_spec *sp = st->sp;
	uint32_t k;
	int rc = 0;

	x->events++;
	for (k = 0; k < sp->n_aggs; k++) {
		const struct win_agg_spec *a = &sp->aggs[k];
		struct win_acc *acc = &x->acc[k];
		const struct fmt_value *v;

		if (a->fn == PAT_AGG_COUNT_STAR) {
			acc->a.n++;
			continue;
		}
		v = &row->v[a->col];
		if (!(row->present >> a->col & 1))
			continue;
		switch (a->fn) {
		case PAT_AGG_COUNT:
			acc->a.n++;
			break;
		case PAT_AGG_SUM:
			if (a->in_type == PAT_T_DOUBLE) {
				acc->a.d += v->d;
			} else if (!acc->b.u.cap &&
				   __builtin_add_overflow(acc->a.i, v->i, &acc->a.i)) {
				acc->b.u.cap = 1; /* overflowed: NULL from now on */
			}
			acc->b.u.n = 1;
			break;
		case PAT_AGG_MIN:
		case PAT_AGG_MAX: {
			bool less = a->in_type == PAT_T_DOUBLE ? v->d < acc->a.d : v->i < acc->a.i;

			if (!acc->b.u.n || less == (a->fn == PAT_AGG_MIN)) {
				if (a->in_type == PAT_T_DOUBLE && isnan(v->d) && acc->b.u.n)
					break;
				acc->a.i = v->i;
				acc->b.u.n = 1;
			}
			break;
		}
		case PAT_AGG_AVG:
			acc->a.d += as_double(a->in_type, v);
			acc->b.n++;
			break;
		case PAT_AGG_COUNT_DISTINCT:
			if (win_distinct_add(acc, value_hash(a->in_type, v), &st->arena) != 0)
				rc = -ENOMEM;
			break;
		case PAT_AGG_PERCENTILE:
			if (win_dd_add(acc, as_double(a->in_type, v), &st->arena) != 0)
				rc = -ENOMEM;
			break;
		default:
			break;
		}
	}
	return rc;
}

/* dst += src, for a session merge. */
static int merge(struct win_state *st, struct win_win *dst, const struct win_win *src)
{
	const struct win_spec *sp = st->sp;
	uint32_t k;
	int rc = 0;

	dst->events += src->events;
	for (k = 0; k < sp->n_aggs; k++) {
		const struct win_agg_spec *a = &sp->aggs[k];
		struct win_acc *d = &dst->acc[k];
		const struct win_acc *s = &src->acc[k];

		switch (a->fn) {
		case PAT_AGG_COUNT_STAR:
		case PAT_AGG_COUNT:
			d->a.n += s->a.n;
			break;
		case PAT_AGG_SUM:
			if (!s->b.u.n)
				break;
			if (a->in_type == PAT_T_DOUBLE)
				d->a.d += s->a.d;
			else if (s->b.u.cap || __builtin_add_overflow(d->a.i, s->a.i, &d->a.i))
				d->b.u.cap = 1;
			d->b.u.n = 1;
			break;
		case PAT_AGG_MIN:
		case PAT_AGG_MAX: {
			bool less;

			if (!s->b.u.n)
				break;
			less = a->in_type == PAT_T_DOUBLE ? s->a.d < d->a.d : s->a.i < d->a.i;
			if (!d->b.u.n || less == (a->fn == PAT_AGG_MIN)) {
				d->a = s->a;
				d->b.u.n = 1;
			}
			break;
		}
		case PAT_AGG_AVG:
			d->a.d += s->a.d;
			d->b.n += s->b.n;
			break;
		case PAT_AGG_COUNT_DISTINCT:
			if (win_distinct_merge(d, s, &st->arena) != 0)
				rc = -ENOMEM;
			break;
		case PAT_AGG_PERCENTILE:
			if (win_dd_merge(d, s, &st->arena) != 0)
				rc = -ENOMEM;
			break;
		default:
			break;
		}
	}
	return rc;
}

/* The slot values of window x. */
static void results(struct win_state *st, const struct win_win *x)
{
	const struct win_spec *sp = st->sp;
	uint32_t k;

	for (k = 0; k < sp->n_aggs; k++) {
		const struct win_agg_spec *a = &sp->aggs[k];
		const struct win_acc *acc = &x->acc[k];
		struct pat_val *v = &st->slots[k];

		v->type = a->out_type;
		v->null = false;
		switch (a->fn) {
		case PAT_AGG_COUNT_STAR:
		case PAT_AGG_COUNT:
			v->i = (int64_t)acc->a.n;
			break;
		case PAT_AGG_SUM:
			v->null = !acc->b.u.n || acc->b.u.cap;
			if (a->in_type == PAT_T_DOUBLE)
				v->d = acc->a.d;
			else
				v->i = acc->a.i;
			break;
		case PAT_AGG_MIN:
		case PAT_AGG_MAX:
			v->null = !acc->b.u.n;
			v->i = acc->a.i; /* the same bits for a DOUBLE */
			break;
		case PAT_AGG_AVG:
			v->null = acc->b.n == 0;
			v->d = acc->b.n ? acc->a.d / (double)acc->b.n : 0;
			break;
		case PAT_AGG_COUNT_DISTINCT:
			v->i = (int64_t)win_distinct_count(acc);
			break;
		case PAT_AGG_PERCENTILE:
			v->null = win_dd_quantile(acc, a->p, &v->d) != 0;
			break;
		default:
			v->null = true;
			break;
		}
		if (v->type == PAT_T_DOUBLE && !v->null && !isfinite(v->d))
			v->null = true; /* as every DOUBLE expression: non-finite is NULL */
	}
}

static void emit(struct win_state *st, uint32_t w, bool final)
{
	const struct win_win *x = win_at(st, w);
	const struct win_key *k = win_keys_at(&st->keys, x->key);
	struct win_result res;

	results(st, x);
	res.key = win_keys_row(&st->keys, x->key);
	res.key_bytes = win_key_bytes(k);
	res.key_len = k->len;
	res.start = x->start;
	res.end = x->end;
	res.slots = st->slots;
	res.events = x->events;
	res.final = final;
	st->emit(st->ctx, &res);
}

/* Frees window w of its key (unlinked by the caller's walk or here). */
static void win_release(struct win_state *st, uint32_t w)
{
	struct win_win *x = win_at(st, w);
	struct win_kx *k = kx_at(st, x->key);
	uint32_t i, *link;

	for (i = 0; i < st->sp->n_aggs; i++) {
		if (st->sp->aggs[i].fn == PAT_AGG_COUNT_DISTINCT)
			win_distinct_free(&x->acc[i], &st->arena);
		else if (st->sp->aggs[i].fn == PAT_AGG_PERCENTILE)
			win_dd_free(&x->acc[i], &st->arena);
	}
	dirty_del(st, w);
	for (link = first_of(st, x->key); *link != w; link = &win_at(st, *link)->next)
		;
	*link = x->next;
	if (w < st->inl_end)
		k->inl &= (uint8_t) ~(1u << (w & ((1u << st->inl_shift) - 1)));
	else
		win_pool_put(&st->wins, w - st->inl_end);
	st->live_windows--;
	if (--k->n_win == 0)
		key_idle(st, x->key); /* kept until its room is wanted */
}

/* How many of key k's own windows are free. */
static inline uint32_t free_inline(const struct win_state *st, const struct win_kx *k)
{
	return (1u << st->inl_shift) - (uint32_t)__builtin_popcount(k->inl);
}

/* A new window [start, end) of key ki, after window prev (WIN_NONE: first). */
static uint32_t win_new(struct win_state *st, uint32_t ki, uint32_t prev, int64_t start,
			int64_t end)
{
	struct win_kx *k = kx_at(st, ki);
	struct win_win *x;
	uint32_t w;

	if (free_inline(st, k) > 0) {
		uint32_t j = (uint32_t)__builtin_ctz(~(uint32_t)k->inl);

		k->inl |= (uint8_t)(1u << j);
		w = ki << st->inl_shift | j;
	} else {
		w = win_pool_get(&st->wins);
		if (w == WIN_NONE)
			return WIN_NONE;
		w += st->inl_end;
	}
	x = win_at(st, w);
	memset(x, 0, st->wins.stride);
	st->live_windows++;
	x->start = start;
	x->end = end;
	x->key = ki;
	if (prev == WIN_NONE) {
		x->next = *first_of(st, ki);
		*first_of(st, ki) = w;
	} else {
		x->next = win_at(st, prev)->next;
		win_at(st, prev)->next = w;
	}
	k->n_win++;
	heap_push(st, w, end + st->sp->grace);
	return w;
}

/* ---- events ---- */

static enum win_verdict add_fixed(struct win_state *st, const struct fmt_row *row, int64_t W)
{
	const struct win_spec *sp = st->sp;
	int64_t ts = row->ts_ms, last = floor_div(ts, sp->advance) * sp->advance, s;
	uint32_t ki, slot, need = 0, w, prev;
	enum win_verdict v = WIN_ADDED;

	if (last + sp->size + sp->grace <= W)
		return WIN_LATE;
	ki = win_keys_find(&st->keys, &slot);
	/* windows to open: refused whole when they do not fit */
	for (s = last; s > ts - sp->size; s -= sp->advance)
		if (s + sp->size + sp->grace > W)
			need++;
	if (ki == WIN_NONE) {
		/* the key's own room takes what it can */
		uint32_t own = 1u << st->inl_shift;

		if (need > own && st->wins.inuse + need - own > st->wins.cap)
			return WIN_FULL;
		ki = key_add(st, &slot);
		if (ki == WIN_NONE)
			return WIN_FULL;
	} else if (st->wins.inuse + need > st->wins.cap) {
		/* near the bound only: count what the key already has */
		uint32_t have = free_inline(st, kx_at(st, ki));

		for (w = *first_of(st, ki); w != WIN_NONE; w = win_at(st, w)->next)
			have += win_at(st, w)->start > ts - sp->size &&
				win_at(st, w)->start <= last;
		if (need > have && st->wins.inuse + (need - have) > st->wins.cap)
			return WIN_FULL;
	}
	/* the key's windows are sorted by start: walk them once, oldest first */
	prev = WIN_NONE;
	w = *first_of(st, ki);
	for (s = floor_div(ts - sp->size, sp->advance) * sp->advance + sp->advance; s <= last;
	     s += sp->advance) {
		if (s + sp->size + sp->grace <= W)
			continue; /* closed: the event is late for that one only */
		while (w != WIN_NONE && win_at(st, w)->start < s) {
			prev = w;
			w = win_at(st, w)->next;
		}
		if (w == WIN_NONE || win_at(st, w)->start != s) {
			w = win_new(st, ki, prev, s, s + sp->size);
			if (w == WIN_NONE)
				return WIN_FULL; /* cannot happen: counted above */
		}
		if (update(st, win_at(st, w), row) != 0)
			v = WIN_FULL;
		if (sp->emit_changes)
			dirty_add(st, w);
	}
	return v;
}

static enum win_verdict add_session(struct win_state *st, const struct fmt_row *row, int64_t W)
{
	const struct win_spec *sp = st->sp;
	int64_t ts = row->ts_ms, gap = sp->size;
	uint32_t ki, slot, w, prev = WIN_NONE, hit = WIN_NONE;
	enum win_verdict v = WIN_ADDED;
	struct win_win *x;

	ki = win_keys_find(&st->keys, &slot);
	if (ki != WIN_NONE) {
		/* open sessions that [ts, ts + gap) overlaps, merged into the first */
		for (w = *first_of(st, ki); w != WIN_NONE;) {
			struct win_win *y = win_at(st, w);
			uint32_t next = y->next;

			if (y->start > ts + gap)
				break;
			if (ts <= y->end) { /* touching counts, as in Flink and Kafka Streams */
				if (hit == WIN_NONE) {
					hit = w;
				} else {
					x = win_at(st, hit);
					if (merge(st, x, y) != 0)
						v = WIN_FULL;
					if (y->end > x->end)
						x->end = y->end;
					heap_remove(st, y->heap);
					win_release(st, w);
					w = next;
					continue; /* hit stays; w is gone */
				}
			}
			if (hit == WIN_NONE)
				prev = w;
			w = next;
		}
	}
	if (hit == WIN_NONE) {
		if (ts + gap + sp->grace <= W)
			return WIN_LATE;
		if (ki == WIN_NONE) {
			ki = key_add(st, &slot);
			if (ki == WIN_NONE)
				return WIN_FULL;
		} else if (free_inline(st, kx_at(st, ki)) == 0 && st->wins.inuse == st->wins.cap) {
			return WIN_FULL;
		}
		hit = win_new(st, ki, prev, ts, ts + gap);
		if (hit == WIN_NONE)
			return WIN_FULL;
	}
	x = win_at(st, hit);
	if (ts < x->start)
		x->start = ts;
	if (ts + gap > x->end)
		x->end = ts + gap; /* its heap entry is looked at again when it comes up */
	if (update(st, x, row) != 0)
		v = WIN_FULL;
	if (sp->emit_changes)
		dirty_add(st, hit);
	return v;
}

uint64_t win_hash(const struct win_state *st, const struct fmt_row *row)
{
	return win_keys_hash(&st->keys, row);
}

void win_prefetch_slot(const struct win_state *st, uint64_t h)
{
	win_keys_prefetch_slot(&st->keys, h);
}

void win_prefetch_key(const struct win_state *st, uint64_t h)
{
	win_keys_prefetch_record(&st->keys, h);
}

enum win_verdict win_add(struct win_state *st, const struct fmt_row *row, int64_t W, int64_t now)
{
	return win_add_hashed(st, row, win_keys_hash(&st->keys, row), W, now);
}

enum win_verdict win_add_hashed(struct win_state *st, const struct fmt_row *row, uint64_t h,
				int64_t W, int64_t now)
{
	enum win_verdict v;

	if (row->ts_ms > WIN_MAX_TIME || row->ts_ms < -WIN_MAX_TIME)
		return WIN_OUT_OF_RANGE;
	win_keys_encode_hashed(&st->keys, row, h);
	if (st->keys.klen > WIN_ARENA_MAX)
		return WIN_FULL;
	if (st->sp->kind == PAT_W_SESSION)
		v = add_session(st, row, W);
	else
		v = add_fixed(st, row, W);
	if (st->sp->emit_changes)
		win_tick(st, now);
	return v;
}

void win_advance(struct win_state *st, int64_t W)
{
	while (st->heap_n > 0 && st->heap[0].close <= W) {
		uint32_t w = st->heap[0].win;
		struct win_win *x = win_at(st, w);
		int64_t close = x->end + st->sp->grace;

		if (close > W) { /* a session that grew since: its real time */
			st->heap[0].close = close;
			heap_down(st, 0);
			continue;
		}
		heap_remove(st, 0);
		if (st->heap_n > 0) /* the next to close, most likely */
			__builtin_prefetch(win_at(st, st->heap[0].win));
		emit(st, w, true);
		win_release(st, w);
	}
}

int64_t win_next_close(const struct win_state *st)
{
	return st->heap_n > 0 ? st->heap[0].close : INT64_MAX;
}

void win_tick(struct win_state *st, int64_t now)
{
	uint32_t w;

	if (!st->sp->emit_changes || now < st->next_tick || st->dirty_head == WIN_NONE)
		return;
	while ((w = st->dirty_head) != WIN_NONE) {
		dirty_del(st, w);
		emit(st, w, false);
	}
	st->next_tick = now + st->sp->emit_interval;
}

void win_usage(const struct win_state *st, struct win_usage *u)
{
	u->keys = st->keys.recs.inuse;
	u->windows = st->live_windows;
	u->bytes = win_keys_bytes(&st->keys) +
		   (uint64_t)st->wins.inuse * (st->wins.stride + sizeof(struct heap_ent)) +
		   st->arena.used;
}

/* ---- set-up ---- */

/* Windows a key can have open at once: those that hold one instant, those still in
 * their grace period, and some ahead (out-of-order events). */
static uint64_t windows_per_key(const struct win_spec *sp)
{
	if (sp->kind == PAT_W_SESSION)
		return 4;
	return (uint64_t)(sp->size / sp->advance) + (uint64_t)(sp->grace / sp->advance) + 2;
}

struct win_state *win_state_new(const struct win_spec *sp, win_emit_fn fn, void *ctx)
{
	struct win_state *st = calloc(1, sizeof(*st));
	uint64_t n_win;
	size_t stride = sizeof(struct win_win) + sp->n_aggs * sizeof(struct win_acc);
	int rc = -ENOMEM;

	if (st == NULL)
		goto fail;
	st->sp = sp;
	st->emit = fn;
	st->ctx = ctx;
	st->dirty_head = WIN_NONE;
	st->idle_head = st->idle_tail = WIN_NONE;
	st->next_tick = INT64_MIN;
	n_win = (uint64_t)sp->max_keys * windows_per_key(sp);
	if (n_win > (UINT64_C(1) << 31))
		n_win = UINT64_C(1) << 31;
	st->n_win = n_win;
	/* hopping: the windows an event opens, in the key's record (a power of two, at
	 * most 8, while the numbering fits 32 bits) */
	if (sp->kind == PAT_W_HOPPING)
		while (st->inl_shift < 3 && (1 << st->inl_shift) < sp->size / sp->advance &&
		       ((uint64_t)sp->max_keys << (st->inl_shift + 1)) + n_win < WIN_NONE)
			st->inl_shift++;
	st->inl_end = sp->max_keys << st->inl_shift;
	st->heap = win_reserve((n_win + HEAP_PAD) * sizeof(*st->heap));
	if (st->heap == NULL)
		goto fail;
	st->heap += HEAP_PAD;
	if ((rc = win_arena_init(&st->arena, sp->max_bytes)) != 0 ||
	    (rc = win_keys_init(&st->keys, &sp->group,
				sizeof(struct win_kx) + ((size_t)stride << st->inl_shift),
				sp->max_keys, &st->arena)) != 0 ||
	    (rc = win_pool_init(&st->wins, stride, (uint32_t)n_win)) != 0)
		goto fail;
	return st;
fail:
	win_state_free(st);
	errno = -rc;
	return NULL;
}

void win_state_rebind(struct win_state *st, const struct win_spec *sp, win_emit_fn fn, void *ctx)
{
	st->sp = sp;
	st->keys.ks = &sp->group;
	st->emit = fn;
	st->ctx = ctx;
}

void win_state_free(struct win_state *st)
{
	if (st == NULL)
		return;
	if (st->heap != NULL)
		win_unreserve(st->heap - HEAP_PAD, (st->n_win + HEAP_PAD) * sizeof(*st->heap));
	win_keys_fini(&st->keys);
	win_pool_fini(&st->wins);
	win_arena_fini(&st->arena);
	free(st);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dp_gen.h"
#include "dp_lcore.h"
#include "formats/fmt_event.h"

/* What crosses a ring before the packed row (fmt_event.h) and the rules' list. */
struct dp_ev_hdr {
	int64_t wm;	    /* the sender's watermark of the stream before this event */
	int64_t now_ms;	    /* its arrival, on the processing clock */
	uint64_t rx_cycles; /* dp_cycles() of its RX burst */
	uint32_t ev_len;
	uint16_t n_rules;
	uint16_t pad;
};

/* Watermark markers are tagged values in the ring: bit 0 set (buffers are aligned),
 * the stream in bits 1..8, the watermark (offset by 2^54, clamped) above. */
#define MARK_OFF ((int64_t)1 << 54)
#define MARK_INF (((uint64_t)1 << 55) - 1)
/* The stream number of a generation marker (live reload): what follows on the ring is
 * of the generation in its value (INT64_MAX: nothing follows). */
#define MARK_GEN 0xff
/* The stream number of a time marker: the dp_cycles() of the RX burst whose
 * watermarks follow, its low 55 bits (0: the clock moved them, not a packet). */
#define MARK_TIME      0xfe
#define MARK_TIME_MASK (((uint64_t)1 << 55) - 1)

static inline void *mark_time(uint64_t cycles)
{
	return (void *)(uintptr_t)((cycles & MARK_TIME_MASK) << 9 | (uint64_t)MARK_TIME << 1 | 1);
}

/* The full cycle count of a time marker: the latest at or before now that ends in
 * its bits (a counter of 2^55 cycles wraps in months, a marker waits microseconds). */
static inline uint64_t mark_time_cycles(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p >> 9, now = dp_cycles(), c;

	if (v == 0)
		return 0;
	c = (now & ~MARK_TIME_MASK) | v;
	return c > now ? c - MARK_TIME_MASK - 1 : c;
}

static inline void *mark_make(uint8_t si, int64_t wm)
{
	uint64_t v;

	if (wm == INT64_MAX)
		v = MARK_INF;
	else if (wm >= MARK_OFF)
		v = MARK_INF - 1;
	else if (wm <= -MARK_OFF)
		v = 1;
	else
		v = (uint64_t)(wm + MARK_OFF);
	return (void *)(uintptr_t)(v << 9 | (uint64_t)si << 1 | 1);
}

static inline bool is_mark(const void *p)
{
	return ((uintptr_t)p & 1) != 0;
}

static inline uint8_t mark_stream(const void *p)
{
	return (uint8_t)((uintptr_t)p >> 1);
}

static inline int64_t mark_wm(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p >> 9;

	return v == MARK_INF ? INT64_MAX : (int64_t)v - MARK_OFF;
}

/* While an RX lcore waits for a state lcore: if it is a state lcore too, it keeps
 * draining its own rings, or two such lcores could wait for each other forever. */
static inline void wait_a_little(struct dp_shard_out *o)
{
	if (o->self_in != NULL)
		dp_shard_poll(o->self_in);
	rte_pause();
}

/* Frees (or forgets) what the policy drops: a dropped marker is told again. */
static void drop_staged(struct dp_shard_out *o, unsigned int d, void *const *v, uint16_t n)
{
	uint16_t k;

	for (k = 0; k < n; k++) {
		if (is_mark(v[k])) { /* generation markers are not staged */
			if (mark_stream(v[k]) == MARK_TIME)
				o->told_cycles[d] = UINT64_MAX;
			else
				o->wm[mark_stream(v[k])].told[d] = INT64_MIN;
			continue;
		}
		o->c->shard_dropped++;
		/* one by one: small and large buffers come from two pools */
		rte_mempool_put(rte_mempool_from_obj(v[k]), v[k]);
	}
}

static uint16_t count_events(void *const *v, uint16_t n)
{
	uint16_t k, e = 0;

	for (k = 0; k < n; k++)
		e += !is_mark(v[k]);
	return e;
}

/* Enqueues the staged events of destination d; what the ring does not take waits or
 * is dropped, by the policy. */
static void flush_one(struct dp_shard_out *o, unsigned int d)
{
	uint16_t n = o->n_stage[d], done = 0;
	bool waited = false;

	while (done < n) {
		uint16_t got = (uint16_t)rte_ring_sp_enqueue_burst(o->ring[d], &o->stage[d][done],
								   n - done, NULL);

		o->c->shard_sent += count_events(&o->stage[d][done], got);
		done += got;
		if (done == n)
			break;
		if (o->pl->backpressure == DP_BP_DROP || *o->quit) {
			/* a stop while waiting drops too: the state lcore may be gone */
			drop_staged(o, d, &o->stage[d][done], n - done);
			break;
		}
		if (!waited) {
			o->c->shard_waits++;
			waited = true;
		}
		wait_a_little(o);
	}
	o->n_stage[d] = 0;
}

static inline void stage(struct dp_shard_out *o, unsigned int d, void *v)
{
	o->stage[d][o->n_stage[d]++] = v;
	if (o->n_stage[d] == DP_SHARD_BURST)
		flush_one(o, d);
}

/* Tells each state lcore the current watermark of every stream it has not been told. */
static void tell_watermarks(struct dp_shard_out *o)
{
	uint64_t seen;
	unsigned int d;

	for (seen = o->seen; seen != 0; seen &= seen - 1) {
		uint8_t si = (uint8_t)__builtin_ctzll(seen);
		struct dp_wm_out *w = &o->wm[si];

		for (d = 0; d < o->n_dest; d++) {
			if (w->told[d] >= w->wm)
				continue;
			w->told[d] = w->wm;
			if ((int)d == o->self) {
				dp_win_watermark(&o->self_in->wl, o->rx_index, si, w->wm);
				continue;
			}
			if (o->told_cycles[d] != *o->rx_cycles) {
				o->told_cycles[d] = *o->rx_cycles;
				stage(o, d, mark_time(*o->rx_cycles));
			}
			stage(o, d, mark_make(si, w->wm));
		}
	}
}

void dp_shard_flush(struct dp_shard_out *o)
{
	unsigned int d;

	tell_watermarks(o);
	for (d = 0; d < o->n_dest; d++)
		if (o->n_stage[d] > 0)
			flush_one(o, d);
}

void dp_shard_idle_check(struct dp_shard_out *o, uint64_t now_ns)
{
	uint64_t seen;

	for (seen = o->seen; seen != 0; seen &= seen - 1) {
		uint8_t si = (uint8_t)__builtin_ctzll(seen);
		const struct dp_stream_rt *st = &o->pl->streams[si];
		struct dp_wm_out *w = &o->wm[si];
		int64_t now_ms = (int64_t)(now_ns / 1000000), cand;

		if (now_ns < w->last_ns ||
		    now_ns - w->last_ns < (uint64_t)st->idle_timeout_ms * 1000000)
			continue;
		cand = now_ms - st->wm_delay_ms;
		if (cand > w->wm)
			w->wm = cand;
	}
}

void dp_shard_end(struct dp_shard_out *o)
{
	uint64_t seen;

	for (seen = o->seen; seen != 0; seen &= seen - 1)
		o->wm[__builtin_ctzll(seen)].wm = INT64_MAX;
	dp_shard_flush(o);
}

/* A buffer for an event of size bytes, by the policy; NULL when dropped (counted). */
static void *event_buffer(struct dp_shard_out *o, size_t size)
{
	struct rte_mempool *mp = size <= DP_EVENT_SMALL ? o->small : o->large;
	bool waited = false;
	void *b;

	while (rte_mempool_get(mp, &b) != 0) {
		if (o->pl->backpressure == DP_BP_DROP || *o->quit) {
			o->c->shard_dropped++;
			return NULL;
		}
		if (!waited) {
			o->c->shard_waits++;
			waited = true;
		}
		/* the buffers are out in the rings: hand over what is staged */
		dp_shard_flush(o);
		wait_a_little(o);
	}
	return b;
}

/* The event, for the stateful rules list[0..n), to state lcore d. */
static void send_to(struct dp_shard_out *o, unsigned int d, uint8_t si, const struct fmt_row *row,
		    int64_t wm, int64_t now_ms, const uint32_t *list, uint32_t n)
{
	const struct dp_stream_rt *st = &o->pl->streams[si];
	struct dp_ev_hdr *h;
	size_t ev_len, size;
	void *b;

	o->c->shard_routed++;
	if ((int)d == o->self) {
		o->c->shard_local++;
		o->c->shard_handled++;
		o->c->streams[st->slot].keyed_events++;
		if (likely(!*o->timing)) {
			dp_win_event(&o->self_in->wl, o->rx_index, si, row, wm, now_ms, list, n,
				     NULL, 0);
		} else {
			uint64_t t = dp_cycles();

			dp_win_event(&o->self_in->wl, o->rx_index, si, row, wm, now_ms, list, n,
				     NULL, 0);
			t = dp_cycles() - t;
			dp_stage_add(&o->c->stage[DP_STAGE_STATE], t, 1);
			*o->state_inner += t;
		}
		return;
	}
	ev_len = fmt_event_size(&st->sc, row);
	size = sizeof(*h) + ev_len + n * sizeof(*list);
	b = event_buffer(o, size);
	if (b == NULL)
		return;
	h = b;
	h->wm = wm;
	h->now_ms = now_ms;
	h->rx_cycles = *o->rx_cycles;
	h->ev_len = (uint32_t)ev_len;
	h->n_rules = (uint16_t)n;
	fmt_event_pack(&st->sc, si, row, (uint8_t *)b + sizeof(*h), ev_len);
	memcpy((uint8_t *)b + sizeof(*h) + ev_len, list, n * sizeof(*list));
	if (o->wm[si].told[d] < wm)
		o->wm[si].told[d] = wm;
	stage(o, d, b);
}

void dp_shard_route(void *ctx, uint8_t si, const struct fmt_row *row, uint64_t now_ns,
		    const uint32_t *refs, uint32_t n)
{
	struct dp_shard_out *o = ctx;
	const struct dp_pipeline *pl = o->pl;
	const struct dp_stream_rt *st = &pl->streams[si];
	struct dp_wm_out *w = &o->wm[si];
	unsigned int dest[DP_MAX_ROUTES], r, q, d;
	uint32_t need = st->n_keys > 0, k, m;
	int64_t before, ts = row->ts_ms, now_ms = (int64_t)(now_ns / 1000000);

	if (unlikely(!(o->seen >> si & 1))) {
		o->seen |= UINT64_C(1) << si;
		w->max_ts = w->wm = INT64_MIN;
		for (d = 0; d < DP_MAX_STATE; d++)
			w->told[d] = INT64_MIN;
	}
	/* the watermark before this event travels with it; then the event moves it */
	before = w->wm;
	w->last_ns = now_ns;
	if (ts > w->max_ts && ts <= WIN_MAX_TIME && ts >= -WIN_MAX_TIME) {
		w->max_ts = ts;
		if (ts - st->wm_delay_ms > w->wm)
			w->wm = ts - st->wm_delay_ms;
	}
	for (k = 0; k < n; k++)
		need |= 1u << pl->srules[DP_REF_IDX(refs[k])].route;
	if (need == 0)
		return; /* no rule to run: only the watermark moved */
	for (r = 0; r < st->n_routes; r++)
		if (need >> r & 1)
			dest[r] = dp_route_hash(st, &st->routes[r], row) % o->n_dest;
	/* one copy to each distinct lcore, with the rules whose routes lead there */
	for (r = 0; r < st->n_routes; r++) {
		if (!(need >> r & 1))
			continue;
		d = dest[r];
		for (q = 0; q < r && !((need >> q & 1) && dest[q] == d); q++)
			;
		if (q < r)
			continue; /* sent with route q */
		for (k = 0, m = 0; k < n; k++) {
			uint8_t rt = pl->srules[DP_REF_IDX(refs[k])].route;

			if (dest[rt] == d && (need >> rt & 1))
				o->list[m++] = refs[k];
		}
		send_to(o, d, si, row, before, now_ms, o->list, m);
	}
}

/* Ring r's items ev[0..n), ahead of handling them: each event's row unpacked, its
 * rules' key hashes (aggregates' and patterns') and the loads of their index slots
 * started. Stops at a generation marker (the events after it may be of another
 * pipeline) and leaves out events of the generation before (handle() translates them)
 * and malformed ones (handle() counts them). */
static void look_ahead(struct dp_shard_in *in, unsigned int r, void *const *ev, unsigned int n)
{
	const struct dp_pipeline *pl = in->pl;
	unsigned int k, j;

	memset(in->unpacked, 0, n * sizeof(in->unpacked[0]));
	memset(in->n_ahead, 0, n * sizeof(in->n_ahead[0]));
	if (in->ch_gen[r] < pl->ruleset)
		return;
	/* the events' first lines (header, row, the start of its strings: the keys), all
	 * on their way before the first is read: another lcore wrote them */
	for (k = 0; k < n; k++) {
		rte_prefetch0(ev[k]);
		rte_prefetch0(RTE_PTR_ADD(ev[k], RTE_CACHE_LINE_SIZE));
	}
	for (k = 0; k < n; k++) {
		const struct dp_ev_hdr *h = ev[k];
		const struct fmt_event_hdr *e;
		const uint32_t *refs;

		if (is_mark(ev[k])) {
			if (mark_stream(ev[k]) == MARK_GEN)
				return;
			continue;
		}
		e = (const void *)(h + 1);
		if (e->stream >= pl->n_streams ||
		    fmt_event_unpack(&pl->streams[e->stream].sc, e, h->ev_len, &in->rows[k]) != 0)
			continue;
		in->unpacked[k] = true;
		refs = (const uint32_t *)((const uint8_t *)e + h->ev_len);
		in->n_ahead[k] = (uint8_t)RTE_MIN(h->n_rules, DP_AHEAD_RULES);
		for (j = 0; j < in->n_ahead[k]; j++) {
			uint32_t idx = DP_REF_IDX(refs[j]);
			struct win_state *w = in->wl.win[idx];
			struct cep_state *cs = in->wl.cep[idx];

			in->ahead_idx[k][j] = idx;
			if (w != NULL) { /* an aggregate */
				in->hash[k][j] = win_hash(w, &in->rows[k]);
				win_prefetch_slot(w, in->hash[k][j]);
			} else if (cs != NULL && pl->srules[idx].bank_lead == idx) {
				/* a bank of patterns (at its first lane): the row may wait;
				 * cep_take hashes it again when it is taken */
				in->hash[k][j] = cep_hash(cs, &in->rows[k]);
				cep_prefetch_slot(cs, in->hash[k][j]);
			} else {
				in->ahead_idx[k][j] = DP_REF_DEAD;
			}
		}
	}
}

/* The records of item k's keys on their way (look_ahead() started their slots'). */
static inline void fetch_ahead(const struct dp_shard_in *in, unsigned int k)
{
	unsigned int j;

	for (j = 0; j < in->n_ahead[k]; j++) {
		uint32_t idx = in->ahead_idx[k][j];

		if (idx == DP_REF_DEAD)
			continue;
		if (in->wl.win[idx] != NULL)
			win_prefetch_key(in->wl.win[idx], in->hash[k][j]);
		else if (in->wl.cep[idx] != NULL)
			cep_prefetch_key(in->wl.cep[idx], in->hash[k][j]);
	}
}

/* The partitions of item k's patterns: their Hyperscan streams and kept rows on their
 * way (fetch_ahead() brought their records). */
static inline void fetch_parts(const struct dp_shard_in *in, unsigned int k)
{
	unsigned int j;

	for (j = 0; j < in->n_ahead[k]; j++) {
		uint32_t idx = in->ahead_idx[k][j];

		if (idx != DP_REF_DEAD && in->wl.cep[idx] != NULL)
			cep_prefetch_part(in->wl.cep[idx], in->hash[k][j]);
	}
}

/* One item of ring r, the k-th of the burst look_ahead() saw (-1: another). Returns
 * false at a generation marker newer than the pipeline this lcore runs: the caller
 * keeps it and what follows for after the adoption. */
static bool handle(struct dp_shard_in *in, unsigned int r, void *item, int k_ahead)
{
	const struct dp_pipeline *pl = in->pl, *epl = pl;
	const struct dp_ev_hdr *h = item;
	const struct fmt_event_hdr *e;
	const struct fmt_row *row = &in->row;
	const uint64_t *hash = NULL;
	const uint32_t *refs;
	bool old = in->ch_gen[r] < pl->ruleset;
	uint64_t *rx_cycles = &in->wl.out->rx_cycles, saved = *rx_cycles;
	uint32_t n, k, m, n_hash = 0;
	int si;

	if (is_mark(item)) {
		si = mark_stream(item);
		if (si == MARK_TIME) {
			in->mark_cycles[r] = mark_time_cycles(item);
			return true;
		}
		if (si == MARK_GEN) {
			int64_t g = mark_wm(item);

			if (g != INT64_MAX && (uint64_t)g > pl->ruleset)
				return false;
			in->ch_gen[r] = g == INT64_MAX ? UINT64_MAX : (uint64_t)g;
			return true;
		}
		if (old)
			si = (uint32_t)si < pl->prev->n_streams ? pl->prev_stream_to[si] : -1;
		if (si >= 0 && (uint32_t)si < pl->n_streams) {
			/* results are timed from the burst that moved it (this lcore may be
			 * an RX lcore in the middle of its own burst: its time is kept) */
			*rx_cycles = in->mark_cycles[r];
			dp_win_watermark(&in->wl, in->ring_ch[r], (uint8_t)si, mark_wm(item));
			*rx_cycles = saved;
		}
		return true;
	}
	in->c->shard_received++;
	e = (const void *)(h + 1);
	if (old)
		epl = pl->prev;
	if (k_ahead >= 0 && in->unpacked[k_ahead]) {
		row = &in->rows[k_ahead];
		hash = in->hash[k_ahead];
		n_hash = in->n_ahead[k_ahead];
	} else if (unlikely(e->stream >= epl->n_streams ||
			    fmt_event_unpack(&epl->streams[e->stream].sc, e, h->ev_len, &in->row) !=
				    0)) {
		in->c->shard_corrupt++; /* cannot happen: same process */
		goto out;
	}
	in->c->shard_handled++;
	in->c->streams[epl->streams[e->stream].slot].keyed_events++;
	si = e->stream;
	refs = (const uint32_t *)((const uint8_t *)e + h->ev_len);
	n = h->n_rules;
	if (unlikely(old)) {
		/* sent before its RX lcore adopted the pipeline that this lcore runs */
		si = pl->prev_stream_to[si];
		if (si < 0)
			goto out; /* its stream is gone, and its rules with it */
		for (k = 0, m = 0; k < n; k++) {
			int32_t to = pl->prev_srule_to[DP_REF_IDX(refs[k])];

			if (to >= 0)
				in->xrefs[m++] = DP_REF(to, DP_REF_SYM(refs[k]));
		}
		refs = in->xrefs;
		n = m;
	}
	*rx_cycles = h->rx_cycles;
	dp_win_event(&in->wl, in->ring_ch[r], (uint8_t)si, row, h->wm, h->now_ms, refs, n, hash,
		     n_hash);
	*rx_cycles = saved;
out:
	rte_mempool_put(rte_mempool_from_obj(item), item);
	return true;
}

/* What ring r left in its stash, once this lcore runs its generation. Returns the
 * items handled, or -1 while they must still wait. */
static int unstash(struct dp_shard_in *in, unsigned int r)
{
	int done = 0;

	while (in->stash_at[r] < in->n_stash[r]) {
		if (!handle(in, r, in->stash[r][in->stash_at[r]], -1))
			return done ? done : -1;
		in->stash_at[r]++;
		done++;
	}
	in->n_stash[r] = in->stash_at[r] = 0;
	return done;
}

unsigned int dp_shard_poll(struct dp_shard_in *in)
{
	void *ev[DP_SHARD_BURST];
	unsigned int r, k, n, total = 0;
	uint64_t t0 = 0;
	bool timed;

	for (r = 0; r < in->n_src; r++) {
		if (unlikely(in->n_stash[r] > 0)) {
			int done = unstash(in, r);

			if (done < 0 || in->n_stash[r] > 0)
				continue;
			total += (unsigned int)done;
		}
		n = rte_ring_sc_dequeue_burst(in->ring[r], ev, DP_SHARD_BURST, NULL);
		if (n == 0)
			continue;
		/* one burst in DP_STAGE_EVERY timed whole: unpacking, keys fetched ahead,
		 * windows, patterns, their results */
		timed = unlikely(++in->bursts % DP_STAGE_EVERY == 0);
		if (timed)
			t0 = dp_cycles();
		look_ahead(in, r, ev, n);
		for (k = 0; k < n && k < DP_AHEAD; k++)
			fetch_ahead(in, k);
		for (k = 0; k < n; k++) {
			if (k + DP_AHEAD < n)
				fetch_ahead(in, k + DP_AHEAD);
			if (k + DP_AHEAD / 2 < n)
				fetch_parts(in, k + DP_AHEAD / 2);
			if (unlikely(!handle(in, r, ev[k], (int)k))) {
				memcpy(in->stash[r], &ev[k], (n - k) * sizeof(*ev));
				in->n_stash[r] = (uint16_t)(n - k);
				in->stash_at[r] = 0;
				break;
			}
		}
		if (timed) {
			uint16_t events = count_events(ev, (uint16_t)k);

			if (events > 0)
				dp_stage_add(&in->c->stage[DP_STAGE_STATE], dp_cycles() - t0,
					     events);
		}
		total += k;
	}
	return total;
}

bool dp_shard_idle(const struct dp_shard_in *in)
{
	unsigned int r;

	for (r = 0; r < in->n_src; r++)
		if (in->n_stash[r] > 0 || !rte_ring_empty(in->ring[r]))
			return false;
	return true;
}

/* ---- live reload (dp_gen.h) ---- */

int dp_shard_kit(struct dp_kit *kit, const struct dp_pipeline *pl)
{
	kit->list = calloc(pl->n_srules + 1, sizeof(*kit->list));
	return kit->list != NULL ? 0 : -ENOMEM;
}

size_t dp_shard_tmp_size(void)
{
	return sizeof(((struct dp_shard_out *)0)->wm);
}

/* A generation marker to every other state lcore, waiting for room whatever the
 * policy: a state lcore needs it to let go of the old pipeline. */
static void tell_generation(struct dp_shard_out *o, int64_t gen)
{
	unsigned int d;

	dp_shard_flush(o);
	for (d = 0; d < o->n_dest; d++) {
		if ((int)d == o->self)
			continue;
		while (rte_ring_sp_enqueue(o->ring[d], mark_make(MARK_GEN, gen)) != 0) {
			if (*o->quit)
				return; /* the state lcores stop too */
			wait_a_little(o);
		}
	}
}

void dp_shard_out_adopt(struct dp_shard_out *o, const struct dp_pipeline *pl, struct dp_kit *kit)
{
	struct dp_wm_out *tmp = kit->tmp;
	uint64_t seen = 0;
	uint32_t si;

	if (!o->closed)
		tell_generation(o, (int64_t)pl->ruleset);
	memcpy(tmp, o->wm, sizeof(o->wm));
	for (si = 0; si < pl->n_streams; si++) {
		int16_t from = pl->stream_from[si];

		if (from >= 0 && (o->seen >> from & 1)) {
			o->wm[si] = tmp[from];
			seen |= UINT64_C(1) << si;
		}
	}
	o->seen = seen;
	DP_SWAP(o->list, kit->list);
	o->pl = pl;
}

void dp_shard_in_adopt(struct dp_shard_in *in, const struct dp_pipeline *pl)
{
	in->pl = pl;
}

bool dp_shard_in_current(const struct dp_shard_in *in)
{
	unsigned int r;

	for (r = 0; r < in->n_src; r++)
		if (in->ch_gen[r] < in->pl->ruleset)
			return false;
	return true;
}

void dp_shard_close(struct dp_shard_out *o)
{
	if (o->closed)
		return;
	tell_generation(o, INT64_MAX);
	o->closed = true;
}

/* ---- set-up, on the main lcore before the launch ---- */

int dp_shard_setup(struct dp_worker *w, unsigned int n, unsigned int n_rx, unsigned int first_state,
		   const struct dp_pipeline *pl, char *err, size_t errlen)
{
	unsigned int n_state = n - first_state, r, s;
	char name[RTE_MEMZONE_NAMESIZE];
	int socket = (int)rte_socket_id();

	for (r = 0; r < n; r++)
		w[r].rx_role = r < n_rx;
	dp_rx_live = n_rx;
	/* Without a stateful stream nothing is routed, but a reload may bring one: the
	 * rings and roles are there all the same (idle rings cost a poll). */
	if (n_state > DP_MAX_STATE || n_rx > DP_MAX_RX) {
		snprintf(err, errlen, "at most %d state and %d RX lcores", DP_MAX_STATE, DP_MAX_RX);
		return -EINVAL;
	}
	for (s = first_state; s < n; s++) {
		w[s].sin = rte_zmalloc("shard_in", sizeof(*w[s].sin), RTE_CACHE_LINE_SIZE);
		if (w[s].sin == NULL)
			goto nomem;
		w[s].sin->pl = pl;
		w[s].sin->c = &w[s].c;
		if (dp_win_lcore_init(&w[s].sin->wl, pl, &w[s].in) != 0) {
			snprintf(err, errlen, "no memory for the window state of lcore %u", s);
			return -ENOMEM;
		}
	}
	for (r = 0; r < n_rx; r++) {
		struct dp_shard_out *o = rte_zmalloc("shard_out", sizeof(*o), RTE_CACHE_LINE_SIZE);

		if (o == NULL)
			goto nomem;
		w[r].sout = o;
		o->pl = pl;
		o->c = &w[r].c;
		o->quit = &dp_force_quit;
		o->n_dest = n_state;
		o->self = r >= first_state ? (int)(r - first_state) : -1;
		o->self_in = w[r].sin;
		o->rx_index = r;
		o->rx_cycles = &w[r].in.rx_cycles;
		o->timing = &w[r].in.timing;
		o->state_inner = &w[r].in.state_inner;
		memset(o->told_cycles, 0xff, sizeof(o->told_cycles));
		o->list = calloc(pl->n_srules + 1, sizeof(*o->list));
		if (o->list == NULL)
			goto nomem;
		snprintf(name, sizeof(name), "ev_small_%u", r);
		o->small = rte_mempool_create(
			name, n_state * (DP_SHARD_RING + DP_SHARD_BURST) + 511, DP_EVENT_SMALL, 256,
			0, NULL, NULL, NULL, NULL, socket, 0);
		snprintf(name, sizeof(name), "ev_large_%u", r);
		o->large = rte_mempool_create(name, DP_EVENT_N_LARGE, DP_EVENT_LARGE, 0, 0, NULL,
					      NULL, NULL, NULL, socket, 0);
		if (o->small == NULL || o->large == NULL)
			goto nomem;
		w[r].in.route = dp_shard_route;
		w[r].in.route_ctx = o;
		for (s = 0; s < n_state; s++) {
			struct dp_shard_in *in = w[first_state + s].sin;

			if ((int)s == o->self)
				continue;
			snprintf(name, sizeof(name), "ev_%u_%u", r, first_state + s);
			o->ring[s] = rte_ring_create(name, DP_SHARD_RING, socket,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (o->ring[s] == NULL)
				goto nomem;
			in->ring_ch[in->n_src] = r;
			in->ch_gen[in->n_src] = pl->ruleset;
			in->ring[in->n_src++] = o->ring[s];
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "no memory for the event rings: %s", rte_strerror(rte_errno));
	return -ENOMEM;
}

void dp_shard_teardown(struct dp_worker *w, unsigned int n)
{
	unsigned int r, s;

	for (r = 0; r < n; r++) {
		struct dp_shard_out *o = w[r].sout;

		if (o != NULL) {
			for (s = 0; s < o->n_dest; s++)
				rte_ring_free(o->ring[s]);
			rte_mempool_free(o->small);
			rte_mempool_free(o->large);
			free(o->list);
			rte_free(o);
			w[r].sout = NULL;
		}
		if (w[r].sin != NULL)
			dp_win_lcore_fini(&w[r].sin->wl);
		rte_free(w[r].sin);
		w[r].sin = NULL;
	}
}

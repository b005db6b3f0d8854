/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_shard.h"

#include <stdio.h>

#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dp_lcore.h"
#include "formats/fmt_event.h"

void dp_state_event(struct dp_counters *c, const struct dp_pipeline *pl, uint8_t stream,
		    const struct fmt_row *row)
{
	(void)pl;
	(void)row;
	c->shard_handled++;
	c->streams[stream].keyed_events++;
}

/* While an RX lcore waits for a state lcore: if it is a state lcore too, it keeps
 * draining its own rings, or two such lcores could wait for each other forever. */
static inline void wait_a_little(struct dp_shard_out *o)
{
	if (o->self_in != NULL)
		dp_shard_poll(o->self_in);
	rte_pause();
}

/* Enqueues the staged events of destination d; what the ring does not take waits or
 * is dropped, by the policy. */
static void flush_one(struct dp_shard_out *o, unsigned int d)
{
	uint16_t n = o->n_stage[d], done = 0;
	bool waited = false;

	while (done < n) {
		done += (uint16_t)rte_ring_sp_enqueue_burst(o->ring[d], &o->stage[d][done],
							    n - done, NULL);
		if (done == n)
			break;
		if (o->pl->backpressure == DP_BP_DROP || *o->quit) {
			/* a stop while waiting drops too: the state lcore may be gone */
			o->c->shard_dropped += n - done;
			/* one by one: small and large buffers come from two pools */
			for (; done < n; n--)
				rte_mempool_put(rte_mempool_from_obj(o->stage[d][n - 1]),
						o->stage[d][n - 1]);
			break;
		}
		if (!waited) {
			o->c->shard_waits++;
			waited = true;
		}
		wait_a_little(o);
	}
	o->c->shard_sent += done;
	o->n_stage[d] = 0;
}

void dp_shard_flush(struct dp_shard_out *o)
{
	unsigned int d;

	for (d = 0; d < o->n_dest; d++)
		if (o->n_stage[d] > 0)
			flush_one(o, d);
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

void dp_shard_route(void *ctx, uint8_t stream, const struct fmt_row *row)
{
	struct dp_shard_out *o = ctx;
	const struct dp_stream_rt *st = &o->pl->streams[stream];
	unsigned int d = dp_key_hash(st, row) % o->n_dest;
	size_t size;
	void *b;

	if ((int)d == o->self) {
		o->c->shard_local++;
		dp_state_event(o->c, o->pl, stream, row);
		return;
	}
	size = fmt_event_size(&st->sc, row);
	b = event_buffer(o, size);
	if (b == NULL)
		return;
	fmt_event_pack(&st->sc, stream, row, b, size);
	o->stage[d][o->n_stage[d]++] = b;
	if (o->n_stage[d] == DP_SHARD_BURST)
		flush_one(o, d);
}

unsigned int dp_shard_poll(struct dp_shard_in *in)
{
	void *ev[DP_SHARD_BURST];
	unsigned int r, k, n, total = 0;

	for (r = 0; r < in->n_src; r++) {
		n = rte_ring_sc_dequeue_burst(in->ring[r], ev, DP_SHARD_BURST, NULL);
		if (n == 0)
			continue;
		for (k = 0; k < n; k++) {
			const struct fmt_event_hdr *h = ev[k];

			if (k + 1 < n)
				rte_prefetch0(ev[k + 1]);
			in->c->shard_received++;
			if (likely(h->stream < in->pl->n_streams &&
				   fmt_event_unpack(&in->pl->streams[h->stream].sc, h, h->len,
						    &in->row) == 0))
				dp_state_event(in->c, in->pl, h->stream, &in->row);
			else
				in->c->shard_corrupt++; /* cannot happen: same process */
			rte_mempool_put(rte_mempool_from_obj(ev[k]), ev[k]);
		}
		total += n;
	}
	return total;
}

bool dp_shard_idle(const struct dp_shard_in *in)
{
	unsigned int r;

	for (r = 0; r < in->n_src; r++)
		if (!rte_ring_empty(in->ring[r]))
			return false;
	return true;
}

/* ---- set-up, on the main lcore before the launch ---- */

static bool has_keyed_stream(const struct dp_pipeline *pl)
{
	uint32_t s;

	for (s = 0; s < pl->n_streams; s++)
		if (pl->streams[s].n_keys > 0)
			return true;
	return false;
}

int dp_shard_setup(struct dp_worker *w, unsigned int n, unsigned int n_rx, unsigned int first_state,
		   const struct dp_pipeline *pl, char *err, size_t errlen)
{
	unsigned int n_state = n - first_state, r, s;
	char name[RTE_MEMZONE_NAMESIZE];
	int socket = (int)rte_socket_id();

	for (r = 0; r < n; r++)
		w[r].rx_role = r < n_rx;
	dp_rx_live = n_rx;
	if (!has_keyed_stream(pl))
		return 0; /* nothing is routed: no rings, no state role */
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
			rte_free(o);
			w[r].sout = NULL;
		}
		rte_free(w[r].sin);
		w[r].sin = NULL;
	}
}

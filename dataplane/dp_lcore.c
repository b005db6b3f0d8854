/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_lcore.h"

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dp_decode.h"
#include "dp_gen.h"

volatile bool dp_force_quit;
struct rte_rcu_qsbr *dp_qsbr;
int dp_rx_ts_offset = -1;
unsigned int dp_rx_live;
uint64_t dp_rx_ts_flag;

static inline bool cksum_bad(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	       (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

/* Puts one packet in exactly one bucket; a datagram goes on to ingest. now_ns: the
 * burst's wall-clock time. */
static inline void classify(struct dp_worker *w, const struct rte_mbuf *m, uint64_t now_ns,
			    bool xdp)
{
	struct dp_counters *c = &w->c;
	const uint8_t *data;
	struct dp_l4 l4;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t reason;

	if (unlikely(cksum_bad(m))) {
		c->decode_errors[DP_DERR_BAD_CHECKSUM]++;
		return;
	}
	if (likely(m->nb_segs == 1)) {
		data = rte_pktmbuf_mtod(m, const uint8_t *);
	} else {
		/* A frame longer than the buffer is decoded on its first DP_MAX_FRAME
		 * bytes: its IP length then runs past them and it counts as truncated. */
		if (len > DP_MAX_FRAME)
			len = DP_MAX_FRAME;
		data = rte_pktmbuf_read(m, 0, len, w->linear);
	}
	switch (dp_decode(data, len, &l4, &reason)) {
	case DP_DATAGRAM: {
		struct dp_origin o = { .src_addr = l4.src_addr,
				       .dst_port = l4.dst_port,
				       .xdp_checked = xdp };

		/* A port that stamps packets (pcap: the capture time) gives the arrival
		 * time, so that a replay is the same whatever the speed of the replay. */
		if (dp_rx_ts_offset >= 0 && (m->ol_flags & dp_rx_ts_flag))
			now_ns = *RTE_MBUF_DYNFIELD(m, dp_rx_ts_offset, rte_mbuf_timestamp_t *) *
				 1000;
		o.now_ns = now_ns;
		o.arrival_ms = (int64_t)(now_ns / 1000000);
		w->clock_ns = now_ns;
		/* idle streams by the packets' clock, each millisecond of it: a replay
		 * finds the same streams idle at the same packets at any speed */
		if (w->sout != NULL && now_ns >= w->idle_next_ns) {
			dp_shard_idle_check(w->sout, now_ns);
			w->idle_next_ns = now_ns + 1000000;
		}
		dp_ingest_datagram(&w->in, &o, data + l4.payload_off, l4.payload_len);
		break;
	}
	case DP_FILTERED:
		c->filtered[reason]++;
		break;
	case DP_DECODE_ERROR:
		c->decode_errors[reason]++;
		break;
	}
}

/* After an empty burst from a port that ends (pcap): has the driver handed over, or
 * counted as lost, every packet of the file? The pcap driver reads the file in the
 * burst call, so an empty burst with all packets accounted for is the end. */
static void check_end(struct dp_worker *w, uint16_t i)
{
	const struct dp_port *p = w->rxq[i].port;
	struct rte_eth_stats st;

	if (rte_eth_stats_get(p->port_id, &st) != 0)
		return;
	if (st.ipackets + st.ierrors + st.rx_nombuf >= p->expected) {
		w->ended[i] = true;
		w->n_live--;
	}
}

static inline uint64_t wall_ns(const struct dp_worker *w, uint64_t tsc)
{
	return w->wall0_ns + (uint64_t)((double)(tsc - w->tsc0) * w->ns_per_tsc);
}

/* A new generation (dp_gen.h): the RX side first (its old events out, then the
 * marker), then the rules' scratch, then the state side. */
static void adopt(struct dp_worker *w, const struct dp_gen *g)
{
	struct dp_kit *kit = &g->kits[w->index];

	if (w->sout != NULL)
		dp_shard_out_adopt(w->sout, g->pl, kit);
	dp_ingest_adopt(&w->in, g->pl, kit);
	if (w->sin != NULL) {
		dp_win_adopt(&w->sin->wl, g->pl, kit);
		dp_shard_in_adopt(w->sin, g->pl);
	}
	w->gen = g;
}

/* What the control plane published: a generation, a filter set; then a quiescent
 * state once nothing of an older generation can reach this lcore any more. */
static void control_check(struct dp_worker *w)
{
	const struct dp_gen *g = __atomic_load_n(&dp_gen_current, __ATOMIC_ACQUIRE);
	const struct dp_filter_set *fs = __atomic_load_n(&dp_filter_current, __ATOMIC_ACQUIRE);

	if (unlikely(g != NULL && g != w->gen))
		adopt(w, g);
	if (unlikely(fs != NULL && fs != w->in.fs))
		dp_ingest_filter(&w->in, fs, w->index);
	if (dp_qsbr != NULL && (w->sin == NULL || dp_shard_in_current(w->sin)))
		rte_rcu_qsbr_quiescent(dp_qsbr, w->index);
}

/* Every millisecond or so: the control plane's changes, idle streams' watermarks,
 * markers to the state lcores, EMIT CHANGES. The processing clock is packet time
 * where ports stamp packets. */
static void housekeeping(struct dp_worker *w, uint64_t tsc)
{
	uint64_t now;

	control_check(w);
	now = w->in.pl->clock_from_packets ? w->clock_ns : wall_ns(w, tsc);

	w->next_house = tsc + w->house_tsc;
	if (w->sout != NULL) {
		dp_shard_idle_check(w->sout, now);
		dp_shard_flush(w->sout);
	}
	if (w->sin != NULL)
		dp_win_tick(&w->sin->wl, w->in.pl->clock_from_packets ? w->sin->wl.now_ms
								      : (int64_t)(now / 1000000));
}

/* The cycles of the stages timed inside classify(), with one read's cost for each of
 * their samples (the read that opened it, which their intervals do not hold): what
 * decode's remainder must not keep. */
static inline uint64_t inner_cycles(const struct dp_counters *c)
{
	unsigned int k;
	uint64_t n = 0;

	for (k = DP_STAGE_PARSE; k <= DP_STAGE_STATE; k++)
		n += c->stage[k].cycles + c->stage[k].samples * dp_stage_read_cost;
	return n;
}

static bool link_up(const struct dp_port *p)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(p->port_id, &link) == 0 && link.link_status;
}

/* The RX role: polls its queues until they end or riptide stops. One non-empty burst
 * in DP_STAGE_EVERY is timed, stage by stage (dp_stats.h DP_STAGES). */
static void rx_loop(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t now_ns, tsc, t0 = 0, t1 = 0, t2, inner = 0;
	uint16_t i, j, nb;
	unsigned int bursts = 0;
	bool time_next = false;

	w->n_live = w->n_rxq;
	while (!dp_force_quit && w->n_live > 0) {
		tsc = rte_rdtsc();
		if (unlikely(tsc >= w->next_house))
			housekeeping(w, tsc);
		for (i = 0; i < w->n_rxq; i++) {
			if (unlikely(w->ended[i]))
				continue;
			if (unlikely(w->rxq[i].port->link_gated) && !link_up(w->rxq[i].port))
				continue;
			if (unlikely(time_next))
				t0 = dp_cycles();
			nb = rte_eth_rx_burst(w->rxq[i].port->port_id, w->rxq[i].queue, pkts,
					      DP_BURST);
			if (nb == 0) {
				if (unlikely(w->rxq[i].port->in->kind == DP_IN_PCAP))
					check_end(w, i);
				continue;
			}
			w->c.rx_packets += nb;
			tsc = rte_rdtsc();
			w->in.rx_cycles = DP_CYCLES_ARE_TSC ? tsc : dp_cycles();
			now_ns = wall_ns(w, tsc);
			if (unlikely(time_next)) {
				t1 = w->in.rx_cycles;
				inner = inner_cycles(&w->c);
				w->in.timing = true;
				time_next = false;
			}
			rte_prefetch0(rte_pktmbuf_mtod(pkts[0], void *));
			for (j = 0; j < nb; j++) {
				if (j + 1 < nb)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 1], void *));
				classify(w, pkts[j], now_ns, w->rxq[i].port->xdp);
			}
			if (unlikely(w->in.timing)) {
				t2 = dp_cycles();
				dp_stage_add(&w->c.stage[DP_STAGE_DECODE],
					     t2 - t1 - (inner_cycles(&w->c) - inner), nb);
				rte_pktmbuf_free_bulk(pkts, nb);
				t1 = dp_cycles();
				dp_stage_add(&w->c.stage[DP_STAGE_RX],
					     t1 - t2 + w->in.rx_cycles - t0, nb);
				if (w->sout != NULL) {
					dp_shard_flush(w->sout); /* route's, per burst */
					dp_stage_add(&w->c.stage[DP_STAGE_ROUTE], dp_cycles() - t1,
						     0);
				}
				w->in.timing = false;
			} else {
				rte_pktmbuf_free_bulk(pkts, nb);
				if (w->sout != NULL)
					dp_shard_flush(w->sout);
			}
			if (unlikely(++bursts % DP_STAGE_EVERY == 0))
				time_next = true;
			w->in.rx_cycles = 0; /* what follows is made by the clock */
		}
		if (w->sin != NULL)
			dp_shard_poll(w->sin);
	}
	/* inputs that ended take their watermarks to +infinity; a stop does not (the
	 * state lcores close everything then anyway) */
	if (w->sout != NULL) {
		if (!dp_force_quit)
			dp_shard_end(w->sout);
		else
			dp_shard_flush(w->sout);
		dp_shard_close(w->sout);
	}
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	uint64_t tsc;

	w->house_tsc = (uint64_t)(1e6 / w->ns_per_tsc); /* 1 ms */
	w->next_house = 0;
	if (dp_qsbr != NULL)
		rte_rcu_qsbr_thread_online(dp_qsbr, w->index);
	if (w->rx_role) {
		rx_loop(w);
		__atomic_fetch_sub(&dp_rx_live, 1, __ATOMIC_RELEASE);
	}
	/* The state role: until every RX lcore has stopped and handed over its last
	 * events; then the end of time closes every window. */
	if (w->sin != NULL) {
		while (__atomic_load_n(&dp_rx_live, __ATOMIC_ACQUIRE) > 0 ||
		       !dp_shard_idle(w->sin)) {
			dp_shard_poll(w->sin);
			tsc = rte_rdtsc();
			if (unlikely(tsc >= w->next_house))
				housekeeping(w, tsc);
		}
		dp_win_finish(&w->sin->wl);
	}
	if (dp_qsbr != NULL)
		rte_rcu_qsbr_thread_offline(dp_qsbr, w->index);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events to the lcore that owns their key (ARCHITECTURE.md "per-core SPSC rings"):
 * an RX lcore packs each event of a stream with KEY columns into a buffer of its own
 * mempool, stages it per destination and enqueues bursts on the single-producer
 * single-consumer rte_ring of that (RX lcore, state lcore) pair; the state lcore
 * dequeues bursts, unpacks, handles the event and returns the buffer. An event whose
 * owner is the RX lcore itself is handled in place, without a ring.
 *
 * Ring-full (and buffer-pool-empty) policy: the pipeline's back-pressure setting.
 * wait: the RX lcore waits for the state lcore (the NIC queue then fills and the
 * driver counts imissed); drop: the event is dropped and counted (shard_dropped).
 *
 * The rings carry, besides events, watermark markers: tagged values, not buffers
 * (dp_window.h says what they mean), each after a time marker with the RX time of
 * the burst that moved it, so that the results it makes are timed from the packet
 * (dp_counters' rx_result_us) as those of events are. An event of a stream with
 * aggregates goes to the state lcore of each of the stream's routes that some
 * aggregate satisfied by the event is sharded by (one copy per distinct lcore), with
 * the list of those rules.
 *
 * Ownership: a dp_shard_out is its RX lcore's alone, a dp_shard_in its state lcore's.
 */
#ifndef RIPTIDE_DP_SHARD_H
#define RIPTIDE_DP_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "dp_ingest.h"
#include "dp_window.h"

#define DP_MAX_STATE	 64
#define DP_MAX_RX	 64
#define DP_SHARD_RING	 1024 /* events in each ring */
#define DP_SHARD_BURST	 32
#define DP_EVENT_SMALL	 2048	      /* pool buffer for an event; larger ones take a large one */
#define DP_EVENT_LARGE	 (112 * 1024) /* a 64 KiB record's row and 10,000 rule references */
#define DP_EVENT_N_LARGE 63
/* A state lcore unpacks a ring burst's events ahead of handling them, hashes their keys
 * for up to DP_AHEAD_RULES rules each (aggregates and patterns) and starts loading the
 * keys' index slots; DP_AHEAD events before handling one it starts loading its keys'
 * records (win_prefetch_*, cep_prefetch_*), and DP_AHEAD / 2 before what a pattern
 * partition's record points to (its Hyperscan stream and kept rows), so that the cache
 * misses of a burst's events overlap. */
#define DP_AHEAD_RULES 16
#define DP_AHEAD       8

struct dp_shard_in;

/* An RX lcore's watermark of a stream, and what it last told each state lcore. */
struct dp_wm_out {
	int64_t max_ts; /* largest event time seen */
	int64_t wm;
	uint64_t last_ns; /* arrival of its last event */
	int64_t told[DP_MAX_STATE];
};

struct dp_shard_out {
	const struct dp_pipeline *pl;
	bool closed; /* its RX role has ended: it sends nothing more */
	struct dp_counters *c;
	const volatile bool *quit;
	unsigned int n_dest; /* state lcores */
	int self;	     /* this lcore's index among them, -1: not a state lcore */
	struct rte_mempool *small, *large;
	struct dp_shard_in *self_in;	     /* this lcore's inbound side, when it has one */
	struct rte_ring *ring[DP_MAX_STATE]; /* NULL for self */
	uint16_t n_stage[DP_MAX_STATE];
	void *stage[DP_MAX_STATE][DP_SHARD_BURST];
	unsigned int rx_index; /* its channel number at the state lcores */
	uint64_t seen;	       /* streams it has routed events of */
	uint32_t *list;	       /* the stateful rules bound for one destination (DP_REF) */
	/* the RX time of the burst at hand (its lcore's dp_ingest rx_cycles), which
	 * travels with events and, in time markers, ahead of watermark markers; what
	 * each state lcore was last told */
	const uint64_t *rx_cycles;
	uint64_t told_cycles[DP_MAX_STATE];
	/* stage timing: its lcore's dp_ingest timing flag, and where the cycles of the
	 * state work done here (events of this lcore's own keys) go */
	const bool *timing;
	uint64_t *state_inner;
	struct dp_wm_out wm[PAT_MAX_STREAMS];
};

struct dp_shard_in {
	const struct dp_pipeline *pl;
	struct dp_counters *c;
	unsigned int n_src;
	struct rte_ring *ring[DP_MAX_RX];
	unsigned int ring_ch[DP_MAX_RX]; /* the RX index of each ring's producer */
	struct fmt_row row;
	/* Live reload (dp_gen.h): the generation of what each ring carries now (the
	 * version of its producer's pipeline; UINT64_MAX: it has ended); events of the
	 * generation before are translated into xrefs. A ring whose producer has adopted
	 * a generation that this lcore has not yet: what was dequeued from its marker on
	 * waits in stash, and the ring is not polled until this lcore adopts it. */
	uint64_t ch_gen[DP_MAX_RX];
	uint16_t n_stash[DP_MAX_RX], stash_at[DP_MAX_RX];
	void *stash[DP_MAX_RX][DP_SHARD_BURST];
	uint32_t xrefs[PAT_MAX_RULES];
	uint64_t mark_cycles[DP_MAX_RX]; /* each ring's last time marker */
	uint64_t bursts;		 /* ring bursts dequeued (one in DP_STAGE_EVERY timed) */
	/* the burst at hand, unpacked ahead (DP_AHEAD_RULES): item k's row in rows[k]
	 * (unpacked[k]; else handle() unpacks it), its first n_ahead[k] rules (srules
	 * indexes) and their key hashes */
	bool unpacked[DP_SHARD_BURST];
	uint8_t n_ahead[DP_SHARD_BURST];
	uint64_t hash[DP_SHARD_BURST][DP_AHEAD_RULES];
	uint32_t ahead_idx[DP_SHARD_BURST][DP_AHEAD_RULES];
	struct fmt_row rows[DP_SHARD_BURST];
	struct dp_win_lcore wl; /* its windows */
};

struct dp_worker;

/*
 * Gives workers w[0..n) their roles: RX for w[0..n_rx), state for w[first_state..n)
 * (first_state <= n_rx: a worker may have both). When some stream has KEY columns,
 * creates a ring for each (RX, state) pair of different workers and each RX
 * worker's event buffers. Returns 0, or -errno with a message in err.
 */
int dp_shard_setup(struct dp_worker *w, unsigned int n, unsigned int n_rx, unsigned int first_state,
		   const struct dp_pipeline *pl, char *err, size_t errlen);
void dp_shard_teardown(struct dp_worker *w, unsigned int n);

/* The dp_route_fn of an RX lcore: ctx is its struct dp_shard_out. */
void dp_shard_route(void *ctx, uint8_t stream, const struct fmt_row *row, uint64_t now_ns,
		    const uint32_t *refs, uint32_t n);

/* Enqueues what is staged, after a watermark marker to each state lcore that has not
 * been told the current one: at the end of every RX burst, and when the lcore stops. */
void dp_shard_flush(struct dp_shard_out *o);

/* Housekeeping of an RX lcore at processing time now_ns: a stream idle for its
 * idle_timeout follows now - watermark_delay. */
void dp_shard_idle_check(struct dp_shard_out *o, uint64_t now_ns);

/* The RX lcore's inputs have ended: its watermarks go to +infinity. */
void dp_shard_end(struct dp_shard_out *o);

/* A state lcore's turn: a burst from each inbound ring. Returns the events handled. */
unsigned int dp_shard_poll(struct dp_shard_in *in);

/* true when every inbound ring is empty. */
bool dp_shard_idle(const struct dp_shard_in *in);

struct dp_kit;

/* Control thread: the shard part of an RX lcore's kit for pl. Returns 0 or -ENOMEM. */
int dp_shard_kit(struct dp_kit *kit, const struct dp_pipeline *pl);
/* Bytes of kit->tmp that dp_shard_out_adopt() needs. */
size_t dp_shard_tmp_size(void);
/* On an RX lcore: what it staged under the old pipeline goes out, then a marker of
 * the new generation to each state lcore; its events follow pl from now on. */
void dp_shard_out_adopt(struct dp_shard_out *o, const struct dp_pipeline *pl, struct dp_kit *kit);
/* On a state lcore, after dp_win_adopt(): it runs pl; events still in flight from RX
 * lcores on the old one are translated until each ring's marker comes. */
void dp_shard_in_adopt(struct dp_shard_in *in, const struct dp_pipeline *pl);
/* true when every inbound ring carries the generation in runs (or has ended): the
 * pipeline before it is no longer needed here. */
bool dp_shard_in_current(const struct dp_shard_in *in);
/* The RX role has ended: each state lcore is told that nothing more comes. */
void dp_shard_close(struct dp_shard_out *o);

#endif

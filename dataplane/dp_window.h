/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The windows and patterns of a state lcore (CREATE AGGREGATE, CREATE PATTERN;
 * ARCHITECTURE.md "Time").
 *
 * Watermarks: each RX lcore follows, per stream, (max event time it has seen) -
 * watermark_delay, or wall-clock time - delay once the stream has been idle there for
 * idle_timeout, and tells the state lcores: in each event it routes (its watermark
 * before that event) and in a marker at the end of each burst. A state lcore's
 * watermark of a stream is the minimum over the RX lcores that have told it about the
 * stream, and never goes back. Because the watermark travels in order with the
 * events, an event is late or not by what its RX lcore had seen when it arrived,
 * whatever the rings held: with one RX lcore, results do not depend on the number of
 * state lcores nor on timing. An RX lcore whose inputs have ended says +infinity.
 *
 * Patterns take each stream's rows in timestamp order. With a watermark_delay, a row
 * waits here until the watermark reaches its time (rows of equal time in arrival
 * order); one behind the watermark is late. Without one, a row is taken as it comes,
 * and one older than a row already taken here, or behind the watermark, is late.
 *
 * Ownership: a struct dp_win_lcore is its state lcore's alone; it counts into that
 * lcore's struct dp_counters (out->c).
 */
#ifndef RIPTIDE_DP_WINDOW_H
#define RIPTIDE_DP_WINDOW_H

#include <stdint.h>

#include "dp_ingest.h"

#define DP_MAX_CHANNELS 64 /* RX lcores a state lcore hears from */

/* A row waiting for the watermark: its time, its arrival, and a block of the pending
 * arena with the patterns it is for and the packed row. */
struct dp_pending {
	int64_t ts;
	uint64_t seq;
	void *blk;
};

struct dp_stream_time {
	uint64_t seen;		     /* bit c: RX lcore c has told of this stream */
	int64_t ch[DP_MAX_CHANNELS]; /* each one's watermark */
	int64_t W;		     /* the stream's watermark here */
	int64_t next_close;	     /* no window closes, no partition expires, before */
	int64_t taken;		     /* the latest row that patterns have taken */
	uint64_t rows;		     /* rows taken: the next one's seq (cep_take) */
	struct dp_pending *pend;     /* a binary heap on (ts, seq) */
	uint32_t n_pend, cap_pend;
};

struct dp_emit_ctx;

/* A row's lanes for one bank of patterns, gathered from its references. */
/* The most pattern references of an event whose key hashes the state lcore's
 * look-ahead hands on (dp_shard.h DP_AHEAD_RULES hashes an event are made). */
#define DP_WIN_HASHES 16

struct dp_bank_take {
	uint16_t lanes;
	bool hashed; /* h is the partition key's hash (the state lcore's look-ahead) */
	uint8_t sym[PAT_BANK_LANES];
	uint64_t h;
};

struct dp_win_lcore {
	const struct dp_pipeline *pl;
	struct dp_ingest *out;	/* the lcore's result ring, evaluation scratch, counters */
	struct win_state **win; /* by pl->srules index (aggregates) */
	/* by pl->srules index (patterns): the operator of the rule's bank, owned by the
	 * bank's first lane */
	struct cep_state **cep;
	struct dp_emit_ctx *ectx;
	int64_t now_ms;	 /* the processing clock */
	uint32_t *prefs; /* an event's pattern references */
	/* the key hashes of the first of them, where the look-ahead made one (bit k of
	 * phash_ok: phash[k] is prefs[k]'s) */
	uint64_t phash[DP_WIN_HASHES];
	uint32_t phash_ok;
	struct dp_bank_take *btake; /* a row's lanes, by bank (its first lane's index) */
	struct win_arena pend_arena;
	uint64_t seq;
	struct fmt_row prow; /* a pending row, unpacked */
	struct dp_stream_time time[PAT_MAX_STREAMS];
};

/* The operators of every aggregate of pl, emitting through out. Returns 0 or -ENOMEM. */
int dp_win_lcore_init(struct dp_win_lcore *wl, const struct dp_pipeline *pl, struct dp_ingest *out);
void dp_win_lcore_fini(struct dp_win_lcore *wl);

/* RX lcore ch says stream si's watermark there is wm; windows it closes go out. */
void dp_win_watermark(struct dp_win_lcore *wl, unsigned int ch, uint8_t si, int64_t wm);

/* An event of stream si from RX lcore ch, which had watermark wm before it, for the
 * stateful rules refs[0..n) (DP_REF); hash[0..n_hash): the key hashes (win_hash) of
 * the first n_hash references where they are aggregates, computed ahead (else here). */
void dp_win_event(struct dp_win_lcore *wl, unsigned int ch, uint8_t si, const struct fmt_row *row,
		  int64_t wm, int64_t now_ms, const uint32_t *refs, uint32_t n,
		  const uint64_t *hash, uint32_t n_hash);

/* EMIT CHANGES on the processing clock; the state gauges sampled. */
void dp_win_tick(struct dp_win_lcore *wl, int64_t now_ms);

struct dp_kit;

/* Control thread: the window part of the kit of the lcore of wl for pl (dp_gen.h):
 * the operators of its new rules. kit->hs_scratch must be set. Returns 0 or -ENOMEM. */
int dp_win_kit(struct dp_kit *kit, struct dp_win_lcore *wl, const struct dp_pipeline *pl);
/* Bytes of kit->tmp that dp_win_adopt() needs. */
size_t dp_win_tmp_size(void);
/* On the lcore, after dp_ingest_adopt(): wl runs pl, whose rules that survive take
 * their operators and streams their watermarks and waiting rows from the old ones;
 * the kit keeps what is left (the operators of removed rules). */
void dp_win_adopt(struct dp_win_lcore *wl, const struct dp_pipeline *pl, struct dp_kit *kit);

/* The end: every stream's watermark is +infinity, every window closes, every waiting
 * row is taken, every partition closes. */
void dp_win_finish(struct dp_win_lcore *wl);

#endif

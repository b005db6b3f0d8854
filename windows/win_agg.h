/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The window operator of one AGGREGATE rule on one state lcore (spec/RULES.md,
 * CREATE AGGREGATE; "Time, watermarks, lateness"). Plain C, no DPDK.
 *
 * Windows: TUMBLING and HOPPING windows are [k*a, k*a + d) in epoch milliseconds (a
 * = d for tumbling); an event is in every one that holds its timestamp. A SESSION of a
 * key is [first, last + gap): an event whose [ts, ts + gap) overlaps or touches open
 * sessions of its key joins them (merging them all into one), otherwise it opens one
 * (touching merges, as Flink's and Kafka Streams' session windows do).
 *
 * Time: the caller passes the stream's watermark W with each call. A window [s, e)
 * closes when W >= e + grace: it is emitted (final) and its memory returned. An event
 * is late when every window it belongs to has closed: it changes nothing and
 * win_add() says so. A window that has closed is never opened again for its key,
 * because an event for it is late by the same test.
 *
 * State: keys in an open-addressing table (linear probing, load <= 1/2, backward-shift
 * deletion), key and window records in pools, sketches and long keys in an arena, all
 * reserved at win_state_new() within the spec's bounds; nothing is allocated on an
 * event. Windows close in the order of a 4-ary heap on their close time, never by a
 * scan of the keys. A key lives while it has an open window.
 *
 * Bounds: max_keys keys, max_keys * (windows a key can have open) windows and
 * max_bytes of arena. An event that needs a key, a window or a block beyond them is
 * refused whole where it can be (WIN_FULL, before any change), or, when a sketch
 * cannot grow mid-event, applied without that value (also WIN_FULL): the caller
 * counts both.
 */
#ifndef RIPTIDE_WIN_AGG_H
#define RIPTIDE_WIN_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/fmt.h"
#include "patterns/pat_expr.h"
#include "patterns/pat_rules.h"
#include "win_keys.h"
#include "win_mem.h"
#include "win_sketch.h"

/* Event times beyond +-2^62 ms are not windowed (the arithmetic would overflow). */
#define WIN_MAX_TIME (INT64_C(1) << 62)

struct win_agg_spec {
	uint8_t fn;	  /* enum pat_agg_fn */
	uint8_t in_type;  /* the column's type (COUNT(*): none) */
	uint8_t out_type; /* the result's */
	uint32_t col;
	double p; /* PERCENTILE_APPROX */
};

/* What a rule computes, for the operator: built once per rule set. */
struct win_spec {
	enum pat_window_kind kind;
	int64_t size, advance, grace; /* SESSION: size is the gap, advance unused */
	bool emit_changes;
	int64_t emit_interval;
	struct win_keyspec group; /* GROUP BY */
	uint32_t n_aggs;
	struct win_agg_spec aggs[PAT_MAX_ITEMS * 2];
	uint32_t max_keys;
	size_t max_bytes;
};

/* The spec of AGGREGATE rule r over stream s (r checked). */
void win_spec_init(struct win_spec *sp, const struct pat_rule *r, const struct pat_stream *s);

/* A window's result, valid during the emit callback only. */
struct win_result {
	const struct fmt_row *key; /* the GROUP BY columns' values (other columns absent) */
	const uint8_t *key_bytes;  /* the key as encoded: equal keys, equal bytes */
	uint32_t key_len;
	int64_t start, end;	     /* end exclusive; a session's is last + gap */
	const struct pat_val *slots; /* the aggregates, by slot */
	uint64_t events;
	bool final; /* false: an EMIT CHANGES update of an open window */
};

typedef void (*win_emit_fn)(void *ctx, const struct win_result *res);

enum win_verdict {
	WIN_ADDED,
	WIN_LATE,	  /* every window of the event had closed */
	WIN_FULL,	  /* a bound of the rule was reached */
	WIN_OUT_OF_RANGE, /* event time beyond +-WIN_MAX_TIME */
};

struct win_state;

/* The operator's state for spec sp (which must outlive it), emitting through fn.
 * Returns NULL with errno set. */
struct win_state *win_state_new(const struct win_spec *sp, win_emit_fn fn, void *ctx);
void win_state_free(struct win_state *st);

/* st goes on under sp, equal to the spec it was made for (a rule that survived a
 * reload), emitting through fn. */
void win_state_rebind(struct win_state *st, const struct win_spec *sp, win_emit_fn fn, void *ctx);

/*
 * Adds the event row (its time row->ts_ms) under watermark W; now is the processing
 * clock (ms) that paces EMIT CHANGES. The caller has applied WHERE.
 */
enum win_verdict win_add(struct win_state *st, const struct fmt_row *row, int64_t W, int64_t now);

/*
 * The same as win_add(), for a caller with several events at hand (a ring burst):
 * win_hash() is the hash of row's key under this rule; win_prefetch_slot() starts
 * loading that key's index slot and win_prefetch_key(), called once the slot has had
 * time to arrive (some events later), the key's record; win_add_hashed() then adds
 * the event with the hash. Prefetching changes nothing but the time: once the keys
 * outgrow the caches, the misses of several events overlap instead of following one
 * another.
 */
uint64_t win_hash(const struct win_state *st, const struct fmt_row *row);
void win_prefetch_slot(const struct win_state *st, uint64_t h);
void win_prefetch_key(const struct win_state *st, uint64_t h);
enum win_verdict win_add_hashed(struct win_state *st, const struct fmt_row *row, uint64_t h,
				int64_t W, int64_t now);

/* Closes and emits, in close order, every window with end + grace <= W. */
void win_advance(struct win_state *st, int64_t W);

/* The earliest close time of an open window (INT64_MAX: none), so that a caller with
 * many rules advances only those with something to close. */
int64_t win_next_close(const struct win_state *st);

/* EMIT CHANGES: emits the windows changed since the last tick, if emit_interval has
 * passed since then. A no-op for EMIT FINAL. */
void win_tick(struct win_state *st, int64_t now);

/* Gauges: live keys, open windows, bytes of state (records, index, arena). */
struct win_usage {
	uint64_t keys, windows, bytes;
};
void win_usage(const struct win_state *st, struct win_usage *u);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters. Each lcore owns one struct dp_counters, on cache lines of its own, and is
 * its only writer (plain increments). Readers (the main lcore, the control plane) sum
 * them with relaxed loads and never reset them. The stats JSON is the format of
 * INTERFACES.md, for --stats-out and `riptidectl stats --json`.
 */
#ifndef RIPTIDE_DP_STATS_H
#define RIPTIDE_DP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dp_decode.h"
#include "formats/fmt.h"
#include "sinks/sink.h"

/* Why a message (result, dead letter) was not produced into a result ring. The sink
 * thread's reasons for those it took are SINK_LOST_REASONS (sinks/sink.h). */
#define DP_LOST_REASONS(X)                                                       \
	X(NO_SINK, "no_sink")		    /* no output configured */           \
	X(SINK_RING_FULL, "sink_ring_full") /* --backpressure drop, ring full */ \
	X(SHUTDOWN, "shutdown")		    /* stop while waiting for room */    \
	X(TOO_LARGE, "too_large")	    /* larger than a result ring can hold */

enum dp_lost {
#define X(e, s) DP_LOST_##e,
	DP_LOST_REASONS(X)
#undef X
		DP_LOST__COUNT
};

/* The stages of the data path whose cost is sampled (dp_cycles() around them, one
 * RX burst in DP_STAGE_EVERY, every event of it, and on a state lcore one ring burst
 * in DP_STAGE_EVERY, whole): what each one counts a sample of, and what its cycles
 * cover. */
#define DP_STAGES(X)                                                                     \
	X(RX, "rx")	    /* packet: rte_eth_rx_burst and the free of the mbufs */     \
	X(DECODE, "decode") /* packet: checksum, L2-L4 decode, pre-filter, counters,     \
			       archive and dead-letter copies */                         \
	X(PARSE, "parse")   /* record: framing and parsing into a row */                 \
	X(MATCH, "match")   /* event: Hyperscan scan, alert rules and their results,     \
			       WHERE and DEFINE conditions of the stateful rules */      \
	X(ROUTE, "route")   /* event with stateful rules: key hash, packing, staging and \
			       the ring enqueue to its state lcore(s) */                 \
	X(STATE, "state")   /* event on a state lcore: unpacking, keys fetched ahead,    \
			       windows and patterns, their results (an RX lcore's own    \
			       keys: the windows and patterns alone) */

enum dp_stage_id {
#define X(e, s) DP_STAGE_##e,
	DP_STAGES(X)
#undef X
		DP_STAGE__COUNT
};

#define DP_STAGE_EVERY 64 /* one RX burst, one state ring burst in this many is timed */

/* Cycles spent in a stage over the samples timed (cycles: dp_cycles(), the read's own
 * cost taken off each interval). */
struct dp_stage {
	uint64_t cycles;
	uint64_t samples;
};

const char *dp_stage_name(unsigned int stage);

/* Per stream, per lcore. */
struct dp_stream_counters {
	uint64_t datagrams;
	uint64_t records;
	uint64_t events;
	uint64_t malformed;
	uint64_t dead_letters;
	uint64_t keyed_events; /* handled by a state lcore (streams with KEY columns) */
};

/* The largest state a rule has held on an lcore (sampled when windows close). */
struct dp_state_gauge {
	uint64_t peak_keys;
	uint64_t peak_bytes;
	uint64_t peak_bytes_keys; /* keys when it held peak_bytes */
};

struct dp_counters {
	uint64_t rx_packets;
	uint64_t datagrams;
	uint64_t records;
	uint64_t events;
	uint64_t empty_datagrams; /* datagrams without a record (inside datagrams) */
	uint64_t produced;	  /* messages made for the sinks */
	uint64_t sink_waits;	  /* times an lcore waited for room in its result ring */
	uint64_t archived;	  /* events handed to the archive (--archive) */
	uint64_t archive_dropped; /* events the archive ring had no room for (drop policy) */
	/* events of stateful streams bound for a state lcore (a copy per lcore that
	 * runs rules on it): routed = local + sent + dropped on the RX lcores; received
	 * on the state lcores (= sent once drained); handled = local + received */
	uint64_t shard_routed, shard_local, shard_sent, shard_dropped, shard_waits;
	uint64_t shard_received, shard_handled, shard_corrupt;
	uint64_t rule_errors; /* events the rules could not look at (a Hyperscan failure) */
	/* RX to result: from the RX burst of the packet that made a message to its commit
	 * into the result ring (sink_lat_bucket); untimed: made by the clock (idle
	 * timeout, EMIT CHANGES, end of input), no packet to time it from */
	uint64_t rx_result_us[SINK_LAT_BUCKETS];
	uint64_t rx_result_untimed;
	struct dp_stage stage[DP_STAGE__COUNT];
	uint64_t filtered[DP_FILTER__COUNT];
	uint64_t decode_errors[DP_DERR__COUNT];
	uint64_t malformed[FMT_M__COUNT];
	uint64_t lost[DP_LOST__COUNT];
	struct dp_stream_counters streams[PAT_MAX_STREAMS];
	uint64_t results[PAT_MAX_RULES];    /* results produced, by rule index */
	uint64_t late[PAT_MAX_RULES];	    /* late events, by rule index */
	uint64_t state_full[PAT_MAX_RULES]; /* events refused by a rule's state bounds */
	struct dp_state_gauge state[PAT_MAX_RULES];
} __attribute__((aligned(64)));

/* Port-level figures from the driver: packets it lost before riptide saw them. */
struct dp_port_report {
	const char *spec;   /* the --input SPEC */
	const char *device; /* DPDK device name */
	uint16_t rx_queues;
	uint64_t ipackets;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t rx_nombuf;
};

struct dp_lcore_report {
	unsigned int lcore;
	const char *role; /* "rx", "state" or "rx+state" */
	uint16_t n_rxq;
	uint64_t rx_packets;
	uint64_t keyed_events; /* events of its keys it handled */
};

struct dp_stats_report {
	struct dp_counters total;
	uint64_t delivered;	   /* the sink's */
	uint64_t spooled;	   /* results written to the disk spool */
	const uint64_t *sink_lost; /* SINK_LOST__COUNT reasons, NULL: none */
	json_t *sink;		   /* the sink's figures (borrowed), NULL: none */
	json_t *archive;	   /* the archive's figures (borrowed), NULL: none */
	unsigned int n_streams;
	const char *const *stream_names; /* by stream index */
	unsigned int n_rules;
	const char *const *rule_names; /* by rule index */
	const uint8_t *rule_stateful;  /* by rule index: 1 for aggregates; NULL: none */
	uint64_t ruleset;
	double uptime_s;
	unsigned int n_ports;
	const struct dp_port_report *ports;
	unsigned int n_lcores;
	const struct dp_lcore_report *lcores;
	bool zeros;	     /* counts by reason list every reason, those at 0 too (/metrics) */
	double ns_per_cycle; /* dp_cycles() to nanoseconds, for the stages; 0: not shown */
	/* the XDP pre-filter's counters (bpf/rt_xdp.h slots), NULL: no af_xdp input */
	const uint64_t *xdp;
};

/* sum += c, reading c with relaxed atomic loads (c may be written meanwhile). */
void dp_counters_accumulate(struct dp_counters *sum, const struct dp_counters *c);

const char *dp_lost_name(unsigned int reason);

/* 1 when both conservation equations of INTERFACES.md hold for c, else 0. */
int dp_counters_balanced(const struct dp_counters *c);

/* The stats object; NULL on allocation failure. The caller owns the reference. */
json_t *dp_stats_json(const struct dp_stats_report *r);

/* Writes the stats JSON to path atomically (a temporary file renamed over it).
 * Returns 0 or -errno. */
int dp_stats_write(const char *path, const struct dp_stats_report *r);
/* The same for a stats object already built (o is borrowed). */
int dp_stats_write_json(const char *path, json_t *o);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From a datagram to events: the stream of its UDP port, the records framed out of
 * it, each parsed into a typed row or counted as malformed under its reason (and
 * written raw to the stream's dead_letter_topic), and the pre-filter's verdicts before
 * that. Plain C without DPDK: the lcore loop calls it, and so do the tests.
 *
 * struct dp_pipeline is the immutable configuration of the data path, built from a
 * rule set and the command line; struct dp_ingest is one lcore's working state.
 */
#ifndef RIPTIDE_DP_INGEST_H
#define RIPTIDE_DP_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dp_filter.h"
#include "dp_stats.h"
#include "formats/fmt.h"
#include "formats/fmt_out.h"
#include "patterns/cep.h"
#include "patterns/pat_expr.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"
#include "sinks/sink.h"
#include "windows/win_agg.h"

#define DP_NO_STREAM 0xff
/* Column lists a stream's events are sharded by: its KEY, and each distinct GROUP BY
 * of its aggregates that does not hold every KEY column. */
#define DP_MAX_ROUTES 8

/* What to do when a result ring is full. */
enum dp_backpressure {
	DP_BP_WAIT, /* the lcore waits for the sink (the NIC's queue absorbs, then drops
		       and counts imissed) */
	DP_BP_DROP, /* the message is dropped and counted as lost{sink_ring_full} */
};

/* The constant text of a rule's messages, escaped once at load:
 * {"rule":"<name>" then ,"<field>": for each head field (ending at field_end[f]),
 * then ,"<item>": for each select item or measure (ending at key_end[k]). */
struct dp_tpl {
	char *text;
	uint32_t head; /* {"rule":"<name>" */
	uint32_t n_fields, n_items;
	uint32_t field_end[4];
	uint32_t *key_end;
	size_t fixed; /* bytes of a message but its values */
};

/* Renders the template of rule r with head fields (at most 4) and items. Returns 0 or
 * -ENOMEM. */
int dp_tpl_prepare(struct dp_tpl *t, const struct pat_rule *r, const char *const *fields,
		   uint32_t n_fields, const struct pat_item *items, uint32_t n_items);
void dp_tpl_release(struct dp_tpl *t);
/* Bytes that a message of t with item values vals may take. */
size_t dp_tpl_max(const struct dp_tpl *t, const struct pat_val *vals);
/* Writes the message: the head fields' values, the items', then ,"ruleset":N}. */
void dp_tpl_write(struct fmt_out *o, const struct dp_tpl *t, const int64_t *fields,
		  const struct pat_val *vals, uint64_t ruleset);
/* A value as JSON (spec: "Output messages"), and the bytes it may take. */
void dp_put_value(struct fmt_out *o, const struct pat_val *v);
size_t dp_value_max(const struct pat_val *v);

/* An ALERT rule as the data path runs it. */
struct dp_alert_rt {
	const struct pat_rule *r;
	uint32_t rule;	/* its counters' slot (dp_gen.h) */
	uint16_t topic; /* sink topic */
	int32_t pred;	/* a predicate its WHERE needs, -1: none */
	struct dp_tpl tpl;
};

/* A stateful rule (AGGREGATE, PATTERN) as the data path runs it on the state lcores
 * (dp_window.c). */
struct dp_srule {
	const struct pat_rule *r;
	uint32_t rule;	    /* its counters' slot (dp_gen.h) */
	uint16_t topic;	    /* sink topic of its results */
	int32_t late_topic; /* sink topic of its late events, -1: counted only */
	uint8_t stream;
	uint8_t route; /* the stream's route its events are sharded by */
	bool pattern;
	struct win_spec spec; /* AGGREGATE */
	struct cep_prog *cep; /* PATTERN */
	/* PATTERN: its bank (pat_plan_banks()): the srule index of the bank's first
	 * lane, which holds the bank and the srule index of each lane */
	uint32_t bank_lead;
	uint8_t lane;
	struct cep_bank *bank;
	uint32_t lane_srule[PAT_BANK_LANES];
	struct pat_item *cols; /* PATTERN: its PARTITION BY columns as message items */
	/* {"rule","window_start","window_end",items} or
	 * {"rule","match_start","match_end",partition columns,measures} */
	struct dp_tpl tpl;
	struct dp_tpl late; /* {"rule","ts"} then "event" */
};

struct dp_route {
	uint32_t n;
	uint32_t cols[PAT_MAX_COLUMNS];
};

struct dp_stream_rt {
	struct fmt_schema sc;
	const struct pat_stream *s;
	const char *name;
	uint32_t slot;	 /* its counters: c->streams[slot] (dp_gen.h) */
	int dl_topic;	 /* sink topic of dead letters, -1: counted only */
	uint32_t n_keys; /* KEY columns: events go to the state lcore of their key */
	uint32_t key_cols[PAT_MAX_COLUMNS];
	/* Sharding: route 0 is the KEY when the stream has one. An event goes to the
	 * state lcore of each route that has a rule to run on it (KEY: always). */
	uint32_t n_routes;
	struct dp_route routes[DP_MAX_ROUTES];
	bool stateful;			      /* has KEY columns, aggregates or patterns */
	int64_t wm_delay_ms, idle_timeout_ms; /* watermark_delay, idle_timeout */
	uint32_t first_srule, n_srules;	      /* its aggregates and patterns in pl->srules */
	const struct pat_hs *hs;	      /* LIKE/REGEXP databases, NULL: none */
	uint32_t first_alert, n_alerts;	      /* its alerts: pl->alerts[first_alert ..] */
	/* Alerts that hold only when a given predicate fired (pat_expr_required_pred)
	 * are looked at through it: pred_first[k] .. pred_first[k + 1] index
	 * pred_alerts; the others (n_always from first_alert on) for every event. */
	uint32_t n_always;
	uint32_t *pred_first;  /* n_preds + 1 entries, NULL when no predicate */
	uint32_t *pred_alerts; /* indexes into pl->alerts */
};

struct dp_pipeline {
	uint8_t stream_of_port[65536]; /* stream index, or DP_NO_STREAM */
	uint32_t n_streams;
	uint64_t ruleset; /* version, in every message */
	bool has_sink;	  /* some output takes messages */
	enum dp_backpressure backpressure;
	const struct dp_blocklist *blocked; /* NULL: none */
	uint64_t rate_pps, rate_burst;	    /* per-source limit, 0: off */
	struct dp_stream_rt streams[PAT_MAX_STREAMS];
	uint32_t n_alerts;
	struct dp_alert_rt *alerts; /* by stream */
	uint32_t n_srules;
	struct dp_srule *srules; /* aggregates and patterns, by stream */
	/* The processing clock (EMIT CHANGES, idle_timeout) is packet time where a port
	 * stamps packets (pcap: capture time, so that a replay is the same at any speed),
	 * else the wall clock. */
	bool clock_from_packets;
	hs_scratch_t *hs_proto; /* cloned by each lcore; NULL: no predicates */
	size_t eval_bytes;	/* evaluation scratch an lcore needs */
	/* Live reload (dp_gen.h): the pipeline before this one, alive until every lcore
	 * has left it (NULL: the first), and where things went between the two. */
	const struct dp_pipeline *prev;
	int16_t stream_from[PAT_MAX_STREAMS];	 /* prev's stream it continues, -1: new */
	int16_t prev_stream_to[PAT_MAX_STREAMS]; /* where prev's streams went, -1: gone */
	int32_t *srule_from;			 /* n_srules: prev's srule it takes over, -1 */
	int32_t *prev_srule_to;			 /* prev->n_srules: where they went, -1 */
};

struct dp_slots;

/*
 * Fills pl from rule set rs (which must outlive it): streams, ports, alerts, and a
 * sink topic for each dead_letter_topic and alert topic (added to topics). Counters
 * go to the slots of the rules' and streams' names (slots NULL: their indexes in rs).
 * Returns 0 or -errno (-ENOSPC: no slot left). Free with dp_pipeline_fini().
 */
int dp_pipeline_init(struct dp_pipeline *pl, const struct pat_ruleset *rs,
		     struct sink_topics *topics, struct dp_slots *slots);

/*
 * The same for a reload: pl follows prev (built from prev_rs). Streams declared alike
 * continue theirs, and aggregates and patterns with the same name and definition on
 * such a stream take over their state (a surviving pattern keeps its Hyperscan
 * database: rs and prev_rs exchange theirs). Returns 0 or -errno.
 */
int dp_pipeline_init_after(struct dp_pipeline *pl, struct pat_ruleset *rs,
			   struct sink_topics *topics, struct dp_slots *slots,
			   const struct dp_pipeline *prev, struct pat_ruleset *prev_rs);
void dp_pipeline_fini(struct dp_pipeline *pl);

/* A stateful rule that an event goes to a state lcore for: its index in pl->srules,
 * and for a pattern the event's symbol (cep_symbol()). */
#define DP_REF(idx, sym) ((uint32_t)(idx) | (uint32_t)(sym) << 16)
#define DP_REF_IDX(ref)	 ((ref)&0xffffu)
#define DP_REF_SYM(ref)	 ((uint8_t)((ref) >> 16))

/* Where the events of stateful streams go (dp_shard on a running lcore): every event
 * of the stream (its time moves the watermark), with the stateful rules to run on it
 * (DP_REF): the aggregates whose WHERE it satisfies, every pattern. now_ns: its
 * arrival, on the processing clock. */
typedef void (*dp_route_fn)(void *ctx, uint8_t stream, const struct fmt_row *row, uint64_t now_ns,
			    const uint32_t *refs, uint32_t n_refs);

/* One lcore's ingest state. */
struct dp_ingest {
	dp_route_fn route; /* NULL: events stay here */
	void *route_ctx;
	struct dp_counters *c;
	const struct dp_pipeline *pl;
	struct sink_ring *ring;	   /* results out; NULL when !pl->has_sink */
	struct sink_ring *archive; /* accepted records out (--archive); NULL: none */
	const volatile bool *quit;
	struct dp_ratelimit rl;
	/* the pre-filter's source block list in force here (dp_gen.h's filter set, or
	 * the pipeline's), and this lcore's hit counts by prefix (NULL: not counted) */
	const struct dp_blocklist *blocked;
	uint64_t *hits;
	const struct dp_filter_set *fs;
	struct fmt_scratch scratch;
	struct fmt_row row;
	/* the rules' working state */
	hs_scratch_t *hs_scratch; /* this lcore's clone */
	uint64_t *preds;	  /* predicate bits of the current event */
	struct pat_env env;
	struct pat_memo memo;			/* env's, cleared for each event */
	struct pat_val vals[PAT_MAX_ITEMS * 2]; /* a pattern: its PARTITION BY and MEASURES */
	uint32_t *pass; /* the stateful rules of an event (DP_REF, pl->n_srules entries) */
	/* RX to result timing: the dp_cycles() of the RX burst whose packet is being
	 * handled (0: none, the clock is at work), and cycles to microseconds as a 32.32
	 * fixed-point factor (0: results are not timed) */
	uint64_t rx_cycles;
	uint64_t us_per_cycle_fp;
	/* stage timing (dp_stats.h DP_STAGES): this burst is timed; the cycles of the
	 * state work done inside the route call at hand (taken off route's) */
	bool timing;
	uint64_t state_inner;
};

/* The cycle counter that RX stamps and result commits read: the TSC on x86 (the one
 * rte_rdtsc() reads, invariant and common to all cores on the CPUs DPDK supports),
 * the monotonic clock in nanoseconds elsewhere. */
#if defined(__x86_64__) || defined(__i386__)
#define DP_CYCLES_ARE_TSC 1 /* a TSC read serves both */
#else
#define DP_CYCLES_ARE_TSC 0
#endif

static inline uint64_t dp_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* What a dp_cycles() read costs, in its own cycles (the median of back-to-back
 * pairs, measured by dp_stage_calibrate()): taken off each timed interval. */
extern uint64_t dp_stage_read_cost;

void dp_stage_calibrate(void);

/* A timed interval of cycles over samples into a stage's counters. */
static inline void dp_stage_add(struct dp_stage *s, uint64_t cycles, uint64_t samples)
{
	s->cycles += cycles > dp_stage_read_cost ? cycles - dp_stage_read_cost : 0;
	s->samples += samples;
}

/* us_per_cycle_fp for dp_cycles(), given the TSC's frequency. */
static inline uint64_t dp_us_per_cycle_fp(double tsc_hz)
{
#if !defined(__x86_64__) && !defined(__i386__)
	tsc_hz = 1e9;
#endif
	return tsc_hz > 0 ? (uint64_t)(4294967296.0 * 1e6 / tsc_hz) : 0;
}

/* Sets up in for pipeline pl, counting into c. Returns 0 or -errno. */
int dp_ingest_init(struct dp_ingest *in, const struct dp_pipeline *pl, struct dp_counters *c,
		   struct sink_ring *ring, const volatile bool *quit);
void dp_ingest_fini(struct dp_ingest *in);

struct dp_kit;
struct dp_filter_set;

/* Control thread: the ingest part of an lcore's kit for pl (dp_gen.h). Returns 0 or
 * -ENOMEM. */
int dp_ingest_kit(struct dp_kit *kit, const struct dp_pipeline *pl);
/* On the lcore: in runs pl from now on, with the kit's buffers; the kit keeps the
 * old ones. */
void dp_ingest_adopt(struct dp_ingest *in, const struct dp_pipeline *pl, struct dp_kit *kit);
/* On the lcore: the filter set fs is in force, its hit counts in row `row`. */
void dp_ingest_filter(struct dp_ingest *in, const struct dp_filter_set *fs, unsigned int row);

/* The hash of row's columns of route rt (stream st): which state lcore owns the
 * event. Equal keys hash equal; a NULL key is a value of its own. CRC32C (ISA-L) of
 * the values. dp_key_hash: of the KEY columns (route 0 of a stream that has them). */
uint32_t dp_route_hash(const struct dp_stream_rt *st, const struct dp_route *rt,
		       const struct fmt_row *row);
uint32_t dp_key_hash(const struct dp_stream_rt *st, const struct fmt_row *row);

/* Where a datagram comes from. */
struct dp_origin {
	const uint8_t *src_addr; /* 16 bytes, v4-mapped for IPv4 */
	uint16_t dst_port;
	int64_t arrival_ms; /* event time of streams without a timestamp column */
	uint64_t now_ns;    /* for the rate limit */
	bool xdp_checked;   /* riptide's XDP program let it through (af_xdp ports) */
};

/*
 * The software pre-filter on a datagram, in the XDP program's order: the port
 * allow-list, then (unless the XDP program has judged the packet already) the block
 * list (a hit counted for its prefix) and the per-source rate. Returns the
 * enum dp_filter_reason that filters it, or -1 when it passes. The caller counts.
 */
int dp_ingest_prefilter(struct dp_ingest *in, const struct dp_origin *o);

/*
 * A message of up to max bytes: out is set to write it in place in the lcore's
 * result ring, room taken by the back-pressure policy. Returns false when the
 * message is lost (counted here under its reason). dp_ingest_commit() then sends it
 * to topic and counts it as produced, or, had it overflowed max, drops it whole as
 * lost{too_large}.
 */
bool dp_ingest_begin(struct dp_ingest *in, size_t max, struct fmt_out *out);
void dp_ingest_commit(struct dp_ingest *in, const struct fmt_out *out, uint16_t topic);
/* The same for a message whose first key_len bytes are its Kafka key. */
void dp_ingest_commit_key(struct dp_ingest *in, const struct fmt_out *out, uint16_t topic,
			  uint16_t key_len);

/*
 * The rules of stream si on one event (dp_alert.c): its string columns scanned once by
 * the stream's Hyperscan databases; each alert's WHERE, and a message to the alert's
 * topic for each that holds; each aggregate's WHERE, each pattern's symbol (its
 * DEFINEs), and the event routed (in->route) with the aggregates that hold and every
 * pattern. now_ns: the event's arrival.
 */
void dp_rules_event(struct dp_ingest *in, uint8_t si, const struct fmt_row *row, uint64_t now_ns);

/* The aggregate table of pl from rs, with their topics (dp_window.c). */
int dp_srules_init(struct dp_pipeline *pl, const struct pat_ruleset *rs,
		   struct sink_topics *topics);
void dp_srules_fini(struct dp_pipeline *pl);

/*
 * The pre-filter and ingest of one datagram: counts it as filtered (unknown_port,
 * blocked_source, rate_limited) or as a datagram of its stream, then every record
 * in it as an event or malformed, and runs the stream's alerts on each event.
 */
void dp_ingest_datagram(struct dp_ingest *in, const struct dp_origin *o, const uint8_t *payload,
			uint32_t len);

#endif

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

#include "dp_filter.h"
#include "dp_stats.h"
#include "formats/fmt.h"
#include "formats/fmt_out.h"
#include "patterns/pat_expr.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"
#include "sinks/sink.h"

#define DP_NO_STREAM 0xff

/* What to do when a result ring is full. */
enum dp_backpressure {
	DP_BP_WAIT, /* the lcore waits for the sink (the NIC's queue absorbs, then drops
		       and counts imissed) */
	DP_BP_DROP, /* the message is dropped and counted as lost{sink_ring_full} */
};

/* An ALERT rule as the data path runs it. */
struct dp_alert_rt {
	const struct pat_rule *r;
	uint32_t rule;	/* index in the rule set: its results counter */
	uint16_t topic; /* sink topic */
	int32_t pred;	/* a predicate its WHERE needs, -1: none */
	/* the message's constant text, escaped once at load: {"rule":"<name>","ts":
	 * (head_len bytes), then each item's ,"<name>": ending at key_end[k] */
	char *text;
	uint32_t head_len;
	uint32_t *key_end;
	size_t fixed; /* bytes of a message but its values */
};

/* Renders the constant text of alert a (rule r). Returns 0 or -ENOMEM. */
int dp_alert_prepare(struct dp_alert_rt *a, const struct pat_rule *r);
void dp_alert_release(struct dp_alert_rt *a);

struct dp_stream_rt {
	struct fmt_schema sc;
	const char *name;
	int dl_topic;	 /* sink topic of dead letters, -1: counted only */
	uint32_t n_keys; /* KEY columns: events go to the state lcore of their key */
	uint32_t key_cols[PAT_MAX_COLUMNS];
	const struct pat_hs *hs;	/* LIKE/REGEXP databases, NULL: none */
	uint32_t first_alert, n_alerts; /* its alerts: pl->alerts[first_alert ..] */
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
	hs_scratch_t *hs_proto;	    /* cloned by each lcore; NULL: no predicates */
	size_t eval_bytes;	    /* evaluation scratch an lcore needs */
};

/*
 * Fills pl from rule set rs (which must outlive it): streams, ports, alerts, and a
 * sink topic for each dead_letter_topic and alert topic (added to topics). Returns 0
 * or -errno (-ENOTSUP: rs holds rules that this version does not run). Free with
 * dp_pipeline_fini().
 */
int dp_pipeline_init(struct dp_pipeline *pl, const struct pat_ruleset *rs,
		     struct sink_topics *topics);
void dp_pipeline_fini(struct dp_pipeline *pl);

/* Where the events of streams with KEY columns go (dp_shard on a running lcore). */
typedef void (*dp_route_fn)(void *ctx, uint8_t stream, const struct fmt_row *row);

/* One lcore's ingest state. */
struct dp_ingest {
	dp_route_fn route; /* NULL: events stay here */
	void *route_ctx;
	struct dp_counters *c;
	const struct dp_pipeline *pl;
	struct sink_ring *ring; /* results out; NULL when !pl->has_sink */
	const volatile bool *quit;
	struct dp_ratelimit rl;
	struct fmt_scratch scratch;
	struct fmt_row row;
	/* the rules' working state */
	hs_scratch_t *hs_scratch; /* this lcore's clone */
	uint64_t *preds;	  /* predicate bits of the current event */
	struct pat_env env;
	struct pat_val vals[PAT_MAX_ITEMS];
};

/* Sets up in for pipeline pl, counting into c. Returns 0 or -errno. */
int dp_ingest_init(struct dp_ingest *in, const struct dp_pipeline *pl, struct dp_counters *c,
		   struct sink_ring *ring, const volatile bool *quit);
void dp_ingest_fini(struct dp_ingest *in);

/* The hash of row's KEY columns (stream st): which state lcore owns the event. Equal
 * keys hash equal; a NULL key is a value of its own. CRC32C (ISA-L) of the values. */
uint32_t dp_key_hash(const struct dp_stream_rt *st, const struct fmt_row *row);

/* Where a datagram comes from. */
struct dp_origin {
	const uint8_t *src_addr; /* 16 bytes, v4-mapped for IPv4 */
	uint16_t dst_port;
	int64_t arrival_ms; /* event time of streams without a timestamp column */
	uint64_t now_ns;    /* for the rate limit */
};

/*
 * A message of up to max bytes: out is set to write it in place in the lcore's
 * result ring, room taken by the back-pressure policy. Returns false when the
 * message is lost (counted here under its reason). dp_ingest_commit() then sends it
 * to topic and counts it as produced, or, had it overflowed max, drops it whole as
 * lost{too_large}.
 */
bool dp_ingest_begin(struct dp_ingest *in, size_t max, struct fmt_out *out);
void dp_ingest_commit(struct dp_ingest *in, const struct fmt_out *out, uint16_t topic);

/*
 * The ALERT rules of stream si on one event: its string columns scanned once by the
 * stream's Hyperscan databases, then each alert's WHERE; a message to the alert's
 * topic for each that holds (dp_alert.c).
 */
void dp_alerts_event(struct dp_ingest *in, uint8_t si, const struct fmt_row *row);

/*
 * The pre-filter and ingest of one datagram: counts it as filtered (unknown_port,
 * blocked_source, rate_limited) or as a datagram of its stream, then every record
 * in it as an event or malformed, and runs the stream's alerts on each event.
 */
void dp_ingest_datagram(struct dp_ingest *in, const struct dp_origin *o, const uint8_t *payload,
			uint32_t len);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* From a datagram to events and dead letters: stream by port, the pre-filter's
 * verdicts in the BPF side's order, per-stream counters, empty datagrams, dead
 * letters as JSON in the result ring, and the back-pressure policies; alerts on two
 * lcores at once, each with its own Hyperscan scratch. */
#include <jansson.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_gen.h"
#include "dataplane/dp_ingest.h"
#include "dataplane/dp_window.h"
#include "unit.h"

static const char rules[] =
	"CREATE STREAM j (ts TIMESTAMP, card STRING) WITH (format = 'json', port = 9000, "
	"timestamp = 'ts', dead_letter_topic = 'dead');\n"
	"CREATE STREAM c (card STRING, n BIGINT) WITH (format = 'csv', port = 9001);\n"
	"CREATE STREAM b (n BIGINT) WITH (format = 'binary', port = 9002, "
	"dead_letter_topic = 'dead_bin');\n";

static struct pat_ruleset *rs;
static struct dp_pipeline pl;
static struct sink_topics topics;
static struct dp_counters c;
static struct dp_ingest in;
static volatile bool quit;
static uint8_t src4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9 };

static void setup(struct sink_ring *ring)
{
	struct pat_diags d = { 0 };

	if (rs == NULL) {
		CU_ASSERT_FATAL(pat_compile("t.rql", rules, strlen(rules), &rs, &d) == 0);
		CU_ASSERT_FATAL(dp_pipeline_init(&pl, rs, &topics, NULL) == 0);
	}
	pl.ruleset = 7;
	memset(&c, 0, sizeof(c));
	dp_ingest_fini(&in);
	CU_ASSERT_FATAL(dp_ingest_init(&in, &pl, &c, ring, &quit) == 0);
}

static void feed(uint16_t port, const char *payload, uint32_t len)
{
	struct dp_origin o = {
		.src_addr = src4, .dst_port = port, .arrival_ms = 1234, .now_ns = 1234000000
	};

	dp_ingest_datagram(&in, &o, (const uint8_t *)payload, len);
}

#define FEED(port, s) feed(port, s, sizeof(s) - 1)

static void test_counts(void)
{
	setup(NULL);
	CU_ASSERT_EQUAL(topics.n, 2);
	CU_ASSERT_STRING_EQUAL(topics.names[pl.streams[0].dl_topic], "dead");
	CU_ASSERT_EQUAL(pl.streams[1].dl_topic, -1);
	FEED(9000, "{\"ts\":1,\"card\":\"a\"}\n{\"ts\":2}\n{\"ts\":\"x\"}\r\n{oops");
	FEED(9000, "");
	FEED(9000, "\n\n");
	FEED(9001, "a,1\nb,2\nc,x\nd");
	FEED(9002, "12345678abcdefgh");
	FEED(9002, "123456789");
	FEED(9003, "{}");
	CU_ASSERT_EQUAL(c.datagrams, 6);
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_UNKNOWN_PORT], 1);
	CU_ASSERT_EQUAL(c.empty_datagrams, 2);
	CU_ASSERT_EQUAL(c.records, 4 + 4 + 2 + 2);
	CU_ASSERT_EQUAL(c.events, 2 + 2 + 2);
	CU_ASSERT_EQUAL(c.malformed[FMT_M_BAD_TIMESTAMP], 1);
	CU_ASSERT_EQUAL(c.malformed[FMT_M_BAD_JSON], 1);
	CU_ASSERT_EQUAL(c.malformed[FMT_M_BAD_TYPE], 1);
	CU_ASSERT_EQUAL(c.malformed[FMT_M_FIELD_COUNT], 1);
	CU_ASSERT_EQUAL(c.malformed[FMT_M_BAD_LENGTH], 2);
	CU_ASSERT_EQUAL(c.streams[0].datagrams, 3);
	CU_ASSERT_EQUAL(c.streams[0].records, 4);
	CU_ASSERT_EQUAL(c.streams[0].events, 2);
	CU_ASSERT_EQUAL(c.streams[1].malformed, 2);
	CU_ASSERT_EQUAL(c.streams[2].records, 4);
	/* no output: the dead letters of streams that have a topic are lost, counted */
	CU_ASSERT_EQUAL(c.streams[0].dead_letters, 2);
	CU_ASSERT_EQUAL(c.streams[1].dead_letters, 0);
	CU_ASSERT_EQUAL(c.lost[DP_LOST_NO_SINK], 4);
	CU_ASSERT_EQUAL(c.produced, 0);
	CU_ASSERT(dp_counters_balanced(&c) == 0); /* rx_packets is the lcore's to count */
	c.rx_packets = 7;
	CU_ASSERT(dp_counters_balanced(&c) == 1);
}

static json_t *next_message(struct sink_ring *r, uint16_t *topic)
{
	const struct sink_msg *m = sink_ring_peek(r);
	json_error_t e;
	json_t *o;

	if (m == NULL)
		return NULL;
	*topic = m->topic;
	o = json_loadb((const char *)(m + 1) + m->key_len, m->len - m->key_len, 0, &e);
	CU_ASSERT(o != NULL);
	sink_ring_release(r, m);
	return o;
}

/* The sink, late: empties the ring after 20 ms. */
static void *drain_later(void *arg)
{
	struct sink_ring *r = arg;
	const struct sink_msg *m;

	usleep(20000);
	while ((m = sink_ring_peek(r)) != NULL)
		sink_ring_release(r, m);
	return NULL;
}

static void test_dead_letters(void)
{
	struct sink_ring *r = sink_ring_new(1 << 16);
	uint16_t topic;
	json_t *o;

	pl.has_sink = true;
	setup(r);
	FEED(9000, "{\"ts\":1}\n{\"ts\":\"x\",\"card\":\"tab\there \\\"q\\\"\"}");
	FEED(9002, "123456789");
	o = next_message(r, &topic);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT_STRING_EQUAL(topics.names[topic], "dead");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "stream")), "j");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "reason")), "bad_json");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "ruleset")), 7);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "ts")), 1234);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "port")), 9000);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "src")), "192.0.2.9");
	/* the raw record, byte for byte (a raw tab makes it bad JSON) */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "record")),
			       "{\"ts\":\"x\",\"card\":\"tab\there \\\"q\\\"\"}");
	json_decref(o);
	o = next_message(r, &topic);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT_STRING_EQUAL(topics.names[topic], "dead_bin");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "reason")), "bad_length");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "record_base64")),
			       "MTIzNDU2Nzg=");
	json_decref(o);
	o = next_message(r, &topic);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "record_base64")), "OQ==");
	json_decref(o);
	CU_ASSERT(sink_ring_peek(r) == NULL);
	CU_ASSERT_EQUAL(c.produced, 3);

	/* a full ring: drop counts, wait gives up at shutdown and counts */
	pl.backpressure = DP_BP_DROP;
	while (sink_ring_reserve(r, 1000) != NULL)
		sink_ring_commit(r, 0, 0, 1000);
	while (sink_ring_reserve(r, 0) != NULL)
		sink_ring_commit(r, 0, 0, 0);
	FEED(9000, "x");
	CU_ASSERT_EQUAL(c.lost[DP_LOST_SINK_RING_FULL], 1);
	pl.backpressure = DP_BP_WAIT;
	quit = true;
	FEED(9000, "y");
	CU_ASSERT_EQUAL(c.lost[DP_LOST_SHUTDOWN], 1);
	quit = false;
	CU_ASSERT_EQUAL(c.produced, 3);
	/* wait: the lcore waits until the sink makes room, then sends */
	{
		pthread_t t;

		CU_ASSERT_FATAL(pthread_create(&t, NULL, drain_later, r) == 0);
		FEED(9000, "z");
		pthread_join(t, NULL);
	}
	CU_ASSERT_EQUAL(c.sink_waits, 1);
	CU_ASSERT_EQUAL(c.produced, 4);
	sink_ring_free(r);
	pl.has_sink = false;
}

/* RX to result: a message made while a packet's burst is at hand is timed from it,
 * one made without (the clock's) is counted untimed; buckets [2^(k-1), 2^k) us. */
static void test_rx_result_latency(void)
{
	struct sink_ring *r = sink_ring_new(1 << 16);
	const struct sink_msg *m;
	unsigned int k;

	CU_ASSERT_EQUAL(sink_lat_bucket(0), 0);
	CU_ASSERT_EQUAL(sink_lat_bucket(1), 1);
	CU_ASSERT_EQUAL(sink_lat_bucket(3), 2);
	CU_ASSERT_EQUAL(sink_lat_bucket(4), 3);
	CU_ASSERT_EQUAL(sink_lat_bucket(1023), 10);
	CU_ASSERT_EQUAL(sink_lat_bucket(1024), 11);
	CU_ASSERT_EQUAL(sink_lat_bucket(UINT64_MAX), SINK_LAT_BUCKETS - 1);

	pl.has_sink = true;
	setup(r);
	/* a counter of 1 GHz: 600,000 cycles ago is 600 us, in [512, 1024) */
	in.us_per_cycle_fp = dp_us_per_cycle_fp(1e9);
	in.rx_cycles = dp_cycles() - 600000;
	FEED(9000, "{oops");
	in.rx_cycles = 0;
	FEED(9000, "{oops");
	in.rx_cycles = dp_cycles() - 600000;
	in.us_per_cycle_fp = 0; /* riptide did not set the factor: not timed */
	FEED(9000, "{oops");
	CU_ASSERT_EQUAL(c.produced, 3);
	CU_ASSERT_EQUAL(c.rx_result_us[10], 1);
	for (k = 0; k < SINK_LAT_BUCKETS; k++)
		if (k != 10)
			CU_ASSERT_EQUAL(c.rx_result_us[k], 0);
	CU_ASSERT_EQUAL(c.rx_result_untimed, 2);
	while ((m = sink_ring_peek(r)) != NULL)
		sink_ring_release(r, m);
	{
		struct dp_stats_report rep = { .total = c };
		json_t *o = dp_stats_json(&rep);

		CU_ASSERT_FATAL(o != NULL);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(
					json_object_get(o, "rx_to_result_latency_us"), "1024")),
				1);
		CU_ASSERT_EQUAL(json_object_size(json_object_get(o, "rx_to_result_latency_us")), 1);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "rx_to_result_untimed")), 2);
		json_decref(o);
	}
	in.rx_cycles = 0;
	dp_ingest_fini(&in);
	memset(&in, 0, sizeof(in));
	sink_ring_free(r);
	pl.has_sink = false;
}

static void test_prefilter_order(void)
{
	struct dp_filter_set fs = { .version = 2 };
	uint64_t hits[16] = { 0 };
	struct dp_prefix p;
	struct dp_blocklist *b;
	char err[64];
	int k;

	CU_ASSERT_FATAL(dp_prefix_parse("192.0.2.0/24", &p, err, sizeof(err)) == 0);
	b = dp_blocklist_new(&p, 1);
	pl.blocked = b;
	pl.rate_pps = 1;
	pl.rate_burst = 2;
	setup(NULL);
	/* blocked before rate-limited, unknown port before both */
	FEED(9999, "{}");
	FEED(9000, "{}");
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_UNKNOWN_PORT], 1);
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_BLOCKED_SOURCE], 1);
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_RATE_LIMITED], 0);
	pl.blocked = NULL;
	/* the control plane's filter set replaces the pipeline's (riptidectl filter):
	 * the same prefix, counted in this lcore's row of hits */
	fs.blocked = b;
	fs.hits = hits;
	fs.n_prefixes = 1;
	fs.hits_stride = 8;
	dp_ingest_filter(&in, &fs, 1);
	FEED(9000, "{}");
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_BLOCKED_SOURCE], 2);
	CU_ASSERT_EQUAL(hits[8], 1);
	CU_ASSERT_EQUAL(hits[0], 0);
	/* then one without a block list, the rate limit of the command line on */
	memset(&fs, 0, sizeof(fs));
	fs.rate_pps = 1;
	fs.rate_burst = 2;
	dp_ingest_filter(&in, &fs, 0);
	for (k = 0; k < 5; k++)
		FEED(9000, "{\"ts\":1}");
	CU_ASSERT_EQUAL(c.datagrams, 2);
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_RATE_LIMITED], 3);
	/* a rate of 0 turns the limit off */
	fs.rate_pps = 0;
	dp_ingest_filter(&in, &fs, 0);
	for (k = 0; k < 5; k++)
		FEED(9000, "{\"ts\":1}");
	CU_ASSERT_EQUAL(c.datagrams, 7);
	CU_ASSERT_EQUAL(c.filtered[DP_FILTER_RATE_LIMITED], 3);
	dp_blocklist_free(b);
	pl.rate_pps = 0;
}

static unsigned int routed;
static uint32_t routed_hash[8];

static void fake_route(void *ctx, uint8_t stream, const struct fmt_row *row, uint64_t now_ns,
		       const uint32_t *aggs, uint32_t n)
{
	const struct dp_pipeline *p = ctx;

	(void)now_ns;
	(void)aggs;
	CU_ASSERT_EQUAL(n, 0); /* the stream has no aggregate */

	if (routed < 8)
		routed_hash[routed] = dp_key_hash(&p->streams[stream], row);
	routed++;
}

/* A rule set of its own beside the shared one: one stream, its pipeline, an lcore. */
struct lone {
	struct pat_ruleset *rs;
	struct dp_pipeline *pl;
	struct sink_topics topics;
	struct dp_counters c;
	struct dp_ingest in;
};

static void lone_init(struct lone *l, const char *rql)
{
	struct pat_diags d = { 0 };

	memset(l, 0, sizeof(*l));
	l->pl = calloc(1, sizeof(*l->pl));
	CU_ASSERT_FATAL(l->pl != NULL);
	CU_ASSERT_FATAL(pat_compile("t", rql, strlen(rql), &l->rs, &d) == 0);
	CU_ASSERT_FATAL(dp_pipeline_init(l->pl, l->rs, &l->topics, NULL) == 0);
	CU_ASSERT_FATAL(dp_ingest_init(&l->in, l->pl, &l->c, NULL, &quit) == 0);
}

static void lone_fini(struct lone *l)
{
	dp_ingest_fini(&l->in);
	dp_pipeline_fini(l->pl);
	sink_topics_free(&l->topics);
	pat_ruleset_free(l->rs);
	free(l->pl);
}

static void test_arrival_time(void)
{
	struct dp_origin o = { .src_addr = src4, .dst_port = 5, .arrival_ms = 99 };
	static struct lone l;

	lone_init(&l, "CREATE STREAM s (a BIGINT) WITH (format = 'csv', port = 5);");
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"42", 2);
	CU_ASSERT_EQUAL(l.c.events, 1);
	CU_ASSERT_EQUAL(l.in.row.ts_ms, 99); /* no timestamp column: arrival time */
	CU_ASSERT_EQUAL(l.in.row.v[0].i, 42);
	lone_fini(&l);
}

static void test_key_routing(void)
{
	static const char data[] = "a,1,5\na,2,5\nb,1,5\na,1,6\n,1,5\n\"\",1,5\nbad";
	struct dp_origin o = { .src_addr = src4, .dst_port = 7 };
	static struct lone l;

	lone_init(&l, "CREATE STREAM k (card STRING KEY, n BIGINT, site BIGINT KEY) "
		      "WITH (format = 'csv', port = 7);");
	CU_ASSERT_EQUAL(l.pl->streams[0].n_keys, 2);
	l.in.route = fake_route;
	l.in.route_ctx = l.pl;
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)data, sizeof(data) - 1);
	/* every event of a keyed stream is routed, a malformed record is not */
	CU_ASSERT_EQUAL(l.c.events, 6);
	CU_ASSERT_EQUAL(routed, 6);
	/* the same key, the same owner, whatever the other columns */
	CU_ASSERT_EQUAL(routed_hash[0], routed_hash[1]);
	/* a different key value, another hash: in either key column, NULL or empty */
	CU_ASSERT_NOT_EQUAL(routed_hash[0], routed_hash[2]);
	CU_ASSERT_NOT_EQUAL(routed_hash[0], routed_hash[3]);
	CU_ASSERT_NOT_EQUAL(routed_hash[4], routed_hash[5]); /* NULL is not "" */
	lone_fini(&l);
}

/* Stage timing: nothing while the burst is not timed; a timed one gives a parse sample
 * per record, a match sample per event, a route sample per routed event, with cycles;
 * the stats show every stage, ns per sample. */
static void test_stage_timing(void)
{
	static const char data[] = "a,1,5\nb,2,6\nbad";
	struct dp_origin o = { .src_addr = src4, .dst_port = 7 };
	static struct lone l;
	unsigned int k;

	lone_init(&l, "CREATE STREAM k (card STRING KEY, n BIGINT, site BIGINT KEY) "
		      "WITH (format = 'csv', port = 7);");
	l.in.route = fake_route;
	l.in.route_ctx = l.pl;
	dp_stage_calibrate();
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)data, sizeof(data) - 1);
	for (k = 0; k < DP_STAGE__COUNT; k++)
		CU_ASSERT_EQUAL(l.c.stage[k].samples + l.c.stage[k].cycles, 0);
	l.in.timing = true;
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)data, sizeof(data) - 1);
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)data, sizeof(data) - 1);
	l.in.timing = false;
	CU_ASSERT_EQUAL(l.c.stage[DP_STAGE_PARSE].samples, 6); /* the malformed one too */
	CU_ASSERT_EQUAL(l.c.stage[DP_STAGE_MATCH].samples, 4);
	CU_ASSERT_EQUAL(l.c.stage[DP_STAGE_ROUTE].samples, 4);
	CU_ASSERT_EQUAL(l.c.stage[DP_STAGE_STATE].samples, 0); /* no state lcore here */
	CU_ASSERT(l.c.stage[DP_STAGE_PARSE].cycles > 0);
	{
		struct dp_stats_report rep = { .total = l.c, .ns_per_cycle = 0.5 };
		json_t *o2 = dp_stats_json(&rep), *st, *p;

		CU_ASSERT_FATAL(o2 != NULL);
		st = json_object_get(o2, "stages");
		CU_ASSERT_EQUAL(json_object_size(st), DP_STAGE__COUNT);
		for (k = 0; k < DP_STAGE__COUNT; k++)
			CU_ASSERT(json_object_get(st, dp_stage_name(k)) != NULL);
		p = json_object_get(st, "parse");
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "samples")), 6);
		CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(p, "ns")),
				       (double)l.c.stage[DP_STAGE_PARSE].cycles * 0.5 / 6, 1e-9);
		json_decref(o2);
		/* without a cycle rate (a unit without lcores) no stages */
		rep.ns_per_cycle = 0;
		o2 = dp_stats_json(&rep);
		CU_ASSERT(json_object_get(o2, "stages") == NULL);
		json_decref(o2);
	}
	lone_fini(&l);
}

/* Aggregates on one lcore, run to completion: the RX side's WHERE and routing hand the
 * event to the lcore's windows (in place, as dp_shard does for its own keys) under the
 * watermark the test sets; results, late events and EMIT CHANGES come out of the
 * lcore's result ring with their topics and Kafka keys. */
static struct dp_win_lcore win_lc;
static int64_t win_wm = INT64_MIN;

static void win_route(void *ctx, uint8_t si, const struct fmt_row *row, uint64_t now_ns,
		      const uint32_t *aggs, uint32_t n)
{
	(void)ctx;
	dp_win_event(&win_lc, 0, si, row, win_wm, (int64_t)(now_ns / 1000000), aggs, n, NULL, 0);
}

/* The next message as "topic key value". */
static int next_raw(struct sink_ring *r, const struct sink_topics *t, char *out, size_t len)
{
	const struct sink_msg *m = sink_ring_peek(r);

	if (m == NULL)
		return -1;
	snprintf(out, len, "%s %.*s %.*s", t->names[m->topic], (int)m->key_len,
		 (const char *)(m + 1), (int)(m->len - m->key_len),
		 (const char *)(m + 1) + m->key_len);
	sink_ring_release(r, m);
	return 0;
}

/* The rules rql on one lcore whose routed events go to the window stage (win_lc),
 * results into the ring returned, ruleset version 3. */
static struct sink_ring *stage_open(struct lone *lo, const char *rql, size_t len)
{
	struct sink_ring *ring = sink_ring_new(1 << 20);
	struct pat_diags d = { 0 };

	memset(lo, 0, sizeof(*lo));
	win_wm = INT64_MIN;
	lo->pl = calloc(1, sizeof(*lo->pl));
	CU_ASSERT_FATAL(ring != NULL && lo->pl != NULL);
	CU_ASSERT_FATAL(pat_compile("t", rql, len, &lo->rs, &d) == 0);
	CU_ASSERT_FATAL(dp_pipeline_init(lo->pl, lo->rs, &lo->topics, NULL) == 0);
	lo->pl->has_sink = true;
	lo->pl->ruleset = 3;
	CU_ASSERT_FATAL(dp_ingest_init(&lo->in, lo->pl, &lo->c, ring, &quit) == 0);
	CU_ASSERT_FATAL(dp_win_lcore_init(&win_lc, lo->pl, &lo->in) == 0);
	lo->in.route = win_route;
	return ring;
}

static void test_aggregate_results(void)
{
	static const char rql[] =
		"CREATE STREAM p (ts TIMESTAMP, card STRING, site BIGINT, amount DOUBLE) "
		"WITH (format = 'csv', port = 8, timestamp = 'ts');\n"
		"CREATE AGGREGATE g WITH (topic = 'agg', late_topic = 'late') AS SELECT card, site, "
		"COUNT(*) AS n, SUM(amount) AS total FROM p WHERE amount > 0 "
		"WINDOW TUMBLING (SIZE 10 MILLISECONDS) GROUP BY card, site HAVING SUM(amount) > 1;\n"
		"CREATE AGGREGATE c WITH (emit_interval = '5 MILLISECONDS') AS SELECT card, "
		"COUNT(*) AS n FROM p WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY card EMIT CHANGES;\n";
	static struct lone l;
	struct dp_origin o = { .src_addr = src4, .dst_port = 8, .now_ns = 100 * 1000000 };
	struct sink_ring *ring = stage_open(&l, rql, sizeof(rql) - 1);
	char msg[512];

	CU_ASSERT_EQUAL(l.pl->streams[0].n_routes, 2); /* (card, site) and card */
	/* a|1: 2.5 + 1; b|NULL: 4; a|2: 0.5 (HAVING drops it); -1: not in g (WHERE) */
	dp_ingest_datagram(&l.in, &o,
			   (const uint8_t *)"1,a,1,2.5\n2,b,,4\n3,a,2,0.5\n4,a,1,1\n5,a,1,-1", 43);
	CU_ASSERT_EQUAL(l.c.events, 5);
	/* EMIT CHANGES: the first change of c went out at once, the rest waits 5 ms */
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "c a {\"rule\":\"c\",\"window_start\":0,\"window_end\":1000,"
				    "\"card\":\"a\",\"n\":1,\"ruleset\":3}");
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1);
	dp_win_tick(&win_lc, 105);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT(strstr(msg, "\"card\":\"a\",\"n\":4,") != NULL); /* a's four events */
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT(strstr(msg, "\"card\":\"b\",\"n\":1,") != NULL);
	/* the watermark passes 10: g's windows close */
	dp_win_watermark(&win_lc, 0, 0, 10);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg,
			       "agg a|1 {\"rule\":\"g\",\"window_start\":0,\"window_end\":10,"
			       "\"card\":\"a\",\"site\":1,\"n\":2,\"total\":3.5,\"ruleset\":3}");
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg,
			       "agg b| {\"rule\":\"g\",\"window_start\":0,\"window_end\":10,"
			       "\"card\":\"b\",\"site\":null,\"n\":1,\"total\":4,\"ruleset\":3}");
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1);
	/* an event behind the watermark: late for g, written whole to its late topic */
	win_wm = 10;
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"6,z,9,7", 7);
	CU_ASSERT_EQUAL(l.c.late[0], 1);
	CU_ASSERT_EQUAL(l.c.late[1], 0); /* c's one-second window is open */
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg,
			       "late  {\"rule\":\"g\",\"ts\":6,\"event\":{\"ts\":6,\"card\":\"z\","
			       "\"site\":9,\"amount\":7},\"ruleset\":3}");
	/* the end: c's window closes with its final value */
	dp_win_finish(&win_lc);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT(strstr(msg, "\"card\":\"a\",\"n\":4,") != NULL);
	CU_ASSERT_EQUAL(l.c.results[0], 2);
	CU_ASSERT_EQUAL(l.c.results[1], 6);
	CU_ASSERT(l.c.state[0].peak_keys >= 2);
	while (next_raw(ring, &l.topics, msg, sizeof(msg)) == 0)
		;
	dp_win_lcore_fini(&win_lc);
	lone_fini(&l);
	sink_ring_free(ring);
}

/* Patterns through the same stage: the match's message with its Kafka key (the
 * partition), measures and expressions of them; without a watermark delay a row older
 * than one taken is late (to late_topic); with a delay, rows wait for the watermark
 * and are taken in time order, whatever their arrival order. */
static void test_pattern_results(void)
{
	static const char rql[] =
		"CREATE STREAM p (ts TIMESTAMP, card STRING, st STRING, amount DOUBLE) "
		"WITH (format = 'csv', port = 8, timestamp = 'ts');\n"
		"CREATE STREAM q (ts TIMESTAMP, card STRING, st STRING, amount DOUBLE) "
		"WITH (format = 'csv', port = 9, timestamp = 'ts', "
		"watermark_delay = '5 MILLISECONDS');\n"
		"CREATE PATTERN t WITH (topic = 'fraud', late_topic = 'late') AS SELECT * FROM p "
		"MATCH_RECOGNIZE (PARTITION BY card ORDER BY ts MEASURES COUNT(D.*) AS n, "
		"LAST(B.amount) AS amount, COUNT(D.*) * 2 AS twice PATTERN (D{2,} B) "
		"WITHIN INTERVAL '10' MILLISECONDS DEFINE D AS st = 'd', "
		"B AS st = 'a' AND amount > 5);\n"
		"CREATE PATTERN u WITH (topic = 'fraud') AS SELECT * FROM q MATCH_RECOGNIZE ("
		"PARTITION BY card ORDER BY ts MEASURES FIRST(D.ts) AS d PATTERN (D B) "
		"DEFINE D AS st = 'd', B AS st = 'a');\n";
	static struct lone l;
	struct dp_origin o = { .src_addr = src4, .dst_port = 8, .now_ns = 100 * 1000000 };
	struct sink_ring *ring = stage_open(&l, rql, sizeof(rql) - 1);
	char msg[512];

	CU_ASSERT_TRUE(l.pl->streams[0].stateful);
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"1,x,d,0\n2,y,d,0\n3,x,d,0\n4,x,a,9", 31);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "fraud x {\"rule\":\"t\",\"match_start\":1,\"match_end\":4,"
				    "\"card\":\"x\",\"n\":2,\"amount\":9,\"twice\":4,"
				    "\"ruleset\":3}");
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1);
	/* no delay: older than a row taken is late */
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"3,y,d,0", 7);
	CU_ASSERT_EQUAL(l.c.late[0], 1);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "late  {\"rule\":\"t\",\"ts\":3,\"event\":{\"ts\":3,"
				    "\"card\":\"y\",\"st\":\"d\",\"amount\":0},\"ruleset\":3}");
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"5,y,d,0\n6,y,a,7", 15);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "fraud y {\"rule\":\"t\",\"match_start\":2,\"match_end\":6,"
				    "\"card\":\"y\",\"n\":2,\"amount\":7,\"twice\":4,"
				    "\"ruleset\":3}");
	/* a delay: the approval arrives first, yet the decline comes first in time */
	o.dst_port = 9;
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"12,k,a,1\n10,k,d,1", 17);
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1); /* waiting */
	dp_win_watermark(&win_lc, 0, 1, 11);
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1); /* 12 waits */
	dp_win_watermark(&win_lc, 0, 1, 12);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "fraud k {\"rule\":\"u\",\"match_start\":10,"
				    "\"match_end\":12,\"card\":\"k\",\"d\":10,\"ruleset\":3}");
	/* behind the watermark: late, counted only (no late_topic) */
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"11,k,d,1", 8);
	CU_ASSERT_EQUAL(l.c.late[1], 1);
	/* the end: waiting rows taken, then every partition closes */
	dp_ingest_datagram(&l.in, &o, (const uint8_t *)"20,m,d,1\n21,m,a,1", 17);
	dp_win_finish(&win_lc);
	CU_ASSERT_EQUAL_FATAL(next_raw(ring, &l.topics, msg, sizeof(msg)), 0);
	CU_ASSERT(strstr(msg, "\"card\":\"m\",\"d\":20,") != NULL);
	CU_ASSERT_EQUAL(next_raw(ring, &l.topics, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(l.c.results[0], 2);
	CU_ASSERT_EQUAL(l.c.results[1], 2);
	CU_ASSERT(l.c.state[0].peak_keys >= 1);
	CU_ASSERT_EQUAL(l.c.state_full[0] + l.c.state_full[1] + l.c.rule_errors, 0);
	dp_win_lcore_fini(&win_lc);
	lone_fini(&l);
	sink_ring_free(ring);
}

/* One lcore of the two-lcore alert test: its own ingest state on the shared pipeline. */
struct alert_lcore {
	struct dp_ingest in;
	struct dp_counters c;
};

static void *alert_loop(void *arg)
{
	static const char *const data[] = { "casino,1\nbetting,7", "Casino,2", "cash,9",
					    "bet,0\n,3" };
	struct alert_lcore *a = arg;
	struct dp_origin o = { .src_addr = src4, .dst_port = 5 };
	int k;

	for (k = 0; k < 20000; k++)
		dp_ingest_datagram(&a->in, &o, (const uint8_t *)data[k % 4], strlen(data[k % 4]));
	return NULL;
}

static void test_alerts_two_lcores(void)
{
	static struct lone l;
	static struct alert_lcore two[2];
	pthread_t t[2];
	int k;

	lone_init(&l, "CREATE STREAM s (m STRING, n BIGINT) WITH (format = 'csv', port = 5);\n"
		      "CREATE ALERT a AS SELECT m FROM s WHERE m REGEXP 'cas[i]no' AND n > 0;\n"
		      "CREATE ALERT b AS SELECT m FROM s WHERE m LIKE '%bet%';\n"
		      "CREATE ALERT c AS SELECT m FROM s WHERE n > 5 OR m IS NULL;\n");
	/* a and b are looked at through their predicates, c for every event */
	CU_ASSERT_EQUAL(l.pl->streams[0].n_alerts, 3);
	CU_ASSERT_EQUAL(l.pl->streams[0].n_always, 1);
	for (k = 0; k < 2; k++)
		CU_ASSERT_FATAL(dp_ingest_init(&two[k].in, l.pl, &two[k].c, NULL, &quit) == 0);
	CU_ASSERT_PTR_NOT_EQUAL(two[0].in.hs_scratch, two[1].in.hs_scratch);
	for (k = 0; k < 2; k++)
		CU_ASSERT_FATAL(pthread_create(&t[k], NULL, alert_loop, &two[k]) == 0);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < 2; k++) {
		/* per 4 datagrams: a on casino; b on betting and bet; c on betting,
		 * cash and the NULL m */
		CU_ASSERT_EQUAL(two[k].c.events, 30000);
		CU_ASSERT_EQUAL(two[k].c.results[0], 5000);
		CU_ASSERT_EQUAL(two[k].c.results[1], 10000);
		CU_ASSERT_EQUAL(two[k].c.results[2], 15000);
		CU_ASSERT_EQUAL(two[k].c.rule_errors, 0);
		CU_ASSERT_EQUAL(two[k].c.lost[DP_LOST_NO_SINK], 30000);
		dp_ingest_fini(&two[k].in);
	}
	lone_fini(&l);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "counters", test_counts },
		{ "dead letters and back-pressure", test_dead_letters },
		{ "RX to result latency", test_rx_result_latency },
		{ "pre-filter order", test_prefilter_order },
		{ "arrival time", test_arrival_time },
		{ "events of keyed streams routed by key", test_key_routing },
		{ "stage timing of a timed burst", test_stage_timing },
		{ "aggregate results, keys, late events, EMIT CHANGES", test_aggregate_results },
		{ "pattern matches, keys, order, late rows", test_pattern_results },
		{ "alerts on two lcores at once", test_alerts_two_lcores },
		{ NULL, NULL },
	};
	int rc = unit_run("dp_ingest", tests);

	dp_ingest_fini(&in);
	dp_pipeline_fini(&pl);
	sink_topics_free(&topics);
	pat_ruleset_free(rs);
	return rc;
}

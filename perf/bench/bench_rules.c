/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-bench-rules: the cost per event of N REGEXP alert rules on one string
 * column of 150-byte JSON events, one core, side by side in the same run with the
 * reference: raw hs_scan of the same column values with a database of the same N
 * patterns (same flags) and a callback that only counts. The riptide figure is the
 * whole alert stage of dp_ingest_datagram for a parsed event (dp_rules_event): one
 * scan of the column through the stream's database, the WHERE of each rule whose
 * predicate fired, and a message into the result ring for each match. The events are
 * made here, or (--pcap) the first 20,000 records of a feed (the lab's own).
 *
 * Output: one JSON object per rule count on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_pcap.h"
#include "bench_util.h"
#include "dataplane/dp_ingest.h"

#define N_EVENTS 20000
#define REPEATS	 5

static const char *const words[] = { "casino", "grocery",  "fuel",   "poker",	"books",
				     "travel", "pharmacy", "coffee", "betting", "garden",
				     "hotel",  "music",	   "sports", "market",	"bakery",
				     "games",  "fashion",  "toys",   "kitchen", "auto" };

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char stream_ddl[] =
	"CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE, "
	"country STRING, status STRING) WITH (format = 'json', port = 9000, "
	"timestamp = 'ts');\n";

static const char *records[N_EVENTS];
static size_t rec_len[N_EVENTS], n_events = N_EVENTS;
static const char *source = "made"; /* or "pcap" */
static struct bench_feed feed;

static void make_events(double *avg_bytes)
{
	size_t total = 0, k;

	for (k = 0; k < N_EVENTS; k++) {
		char buf[256];
		int n = snprintf(
			buf, sizeof(buf),
			"{\"ts\":%llu,\"card\":\"40000000%08u\",\"merchant\":\"merchant-%04u "
			"%s %s\",\"amount\":%u.%02u,\"country\":\"DE\",\"channel\":\"pos\",\"status\":\"%s\"}",
			1700000000000ull + k, rnd(100000000), rnd(10000), words[rnd(20)],
			words[rnd(20)], rnd(2000), rnd(100), rnd(4) ? "approved" : "declined");

		records[k] = strdup(buf);
		rec_len[k] = (size_t)n;
		total += (size_t)n;
	}
	*avg_bytes = (double)total / N_EVENTS;
}

/* --pcap: the first N_EVENTS records of path's datagrams to port 9000, framed as the
 * stream frames them. Returns 0, or -1 with a message. */
static int load_events(const char *path, double *avg_bytes)
{
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;
	struct sink_topics topics = { 0 };
	struct dp_pipeline *pl = calloc(1, sizeof(*pl));
	size_t total = 0, k;

	if (pl == NULL || bench_pcap_load(&feed, path, "riptide-bench-rules") != 0 ||
	    pat_compile("bench.rql", stream_ddl, strlen(stream_ddl), &rs, &d) != 0 ||
	    dp_pipeline_init(pl, rs, &topics, NULL) != 0)
		return -1;
	if (bench_pcap_records(&feed, pl) == NULL) {
		fprintf(stderr, "riptide-bench-rules: no record to port 9000 in %s\n", path);
		return -1;
	}
	n_events = feed.n_recs < N_EVENTS ? feed.n_recs : N_EVENTS;
	for (k = 0; k < n_events; k++) {
		records[k] = (const char *)feed.recs[k];
		rec_len[k] = feed.rec_lens[k];
		total += rec_len[k];
	}
	*avg_bytes = (double)total / (double)n_events;
	source = "pcap";
	dp_pipeline_fini(pl);
	sink_topics_free(&topics);
	pat_ruleset_free(rs);
	pat_diags_free(&d);
	free(pl);
	return 0;
}

/* Drains the result ring: the sink thread's part, outside the timed loop. */
static void drain(struct sink_ring *ring)
{
	const struct sink_msg *m;

	while ((m = sink_ring_peek(ring)) != NULL)
		sink_ring_release(ring, m);
}

static int run(uint32_t n_rules, double avg_bytes)
{
	static struct fmt_row rows[N_EVENTS];
	size_t cap = 512 + (size_t)n_rules * 160, len, k;
	char *src = malloc(cap);
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;
	struct sink_topics topics = { 0 };
	struct dp_pipeline *pl = calloc(1, sizeof(*pl));
	struct dp_counters *c = calloc(1, sizeof(*c));
	struct dp_ingest in;
	struct sink_ring *ring = sink_ring_new(64u << 20);
	struct fmt_scratch scratch = { .buf = malloc(1 << 16), .cap = 1 << 16 };
	const char **exprs = malloc(n_rules * sizeof(*exprs));
	unsigned int *flags = malloc(n_rules * sizeof(*flags)),
		     *ids = malloc(n_rules * sizeof(*ids));
	hs_database_t *db = NULL;
	hs_scratch_t *hscratch = NULL;
	hs_compile_error_t *err = NULL;
	double best_raw = 1e30, best_rt = 1e30;
	volatile bool quit = false;
	uint64_t raw_matches = 0, results = 0;
	int r;

	if (src == NULL || pl == NULL || c == NULL || ring == NULL || scratch.buf == NULL ||
	    exprs == NULL || flags == NULL || ids == NULL)
		return -1;
	len = (size_t)snprintf(src, cap, "%s", stream_ddl);
	for (k = 0; k < n_rules; k++)
		len += (size_t)snprintf(
			src + len, cap - len,
			"CREATE ALERT r%zu AS SELECT card, merchant, amount FROM pay "
			"WHERE merchant REGEXP '(?i)merchant-%04zu (casino|poker|"
			"bett?ing)';\n",
			k, (k * 7919) % 10000);
	if (pat_compile("bench.rql", src, len, &rs, &d) != 0) {
		for (k = 0; k < d.n; k++)
			fprintf(stderr, "%s\n", d.msgs[k]);
		return -1;
	}
	if (dp_pipeline_init(pl, rs, &topics, NULL) != 0 ||
	    dp_ingest_init(&in, pl, c, ring, &quit) != 0)
		return -1;
	/* the reference: the same patterns, flags and ids, straight to Hyperscan */
	for (k = 0; k < n_rules; k++) {
		exprs[k] = rs->preds[0][k].expr;
		flags[k] = pat_hs_flags(&rs->preds[0][k]);
		ids[k] = (unsigned int)k;
	}
	if (hs_compile_multi(exprs, flags, ids, n_rules, HS_MODE_BLOCK, NULL, &db, &err) !=
		    HS_SUCCESS ||
	    hs_alloc_scratch(db, &hscratch) != HS_SUCCESS)
		return -1;
	for (k = 0; k < n_events; k++) {
		uint8_t reason;

		scratch.used = 0;
		if (fmt_parse(&pl->streams[0].sc, (const uint8_t *)records[k], rec_len[k],
			      rec_len[k], &rows[k], &scratch, &reason) != 0)
			return -1;
	}
	/* the merchant value has no escapes: it points into the record, not the scratch */
	for (r = 0; r < REPEATS; r++) {
		double t0 = now(), t1;

		raw_matches = 0;
		for (k = 0; k < n_events; k++)
			hs_scan(db, (const char *)rows[k].v[2].s.p, rows[k].v[2].s.len, 0, hscratch,
				bench_count_match, &raw_matches);
		t1 = now();
		if (t1 - t0 < best_raw)
			best_raw = t1 - t0;
		memset(c->results, 0, sizeof(c->results));
		t0 = now();
		for (k = 0; k < n_events; k++)
			dp_rules_event(&in, 0, &rows[k], 0);
		t1 = now();
		if (t1 - t0 < best_rt)
			best_rt = t1 - t0;
		drain(ring);
	}
	for (k = 0; k < n_rules; k++)
		results += c->results[k];
	printf("{\"rules\":%u,\"record_bytes\":%.1f,\"events\":%d,\"raw_hs_ns\":%.1f,"
	       "\"riptide_ns\":%.1f,\"overhead\":%.3f,\"raw_matches\":%llu,\"alerts\":%llu,"
	       "\"lost\":%llu,\"events_from\":\"%s\"}\n",
	       n_rules, avg_bytes, (int)n_events, best_raw * 1e9 / (double)n_events,
	       best_rt * 1e9 / (double)n_events, best_rt / best_raw - 1,
	       (unsigned long long)raw_matches, (unsigned long long)results,
	       (unsigned long long)(c->lost[DP_LOST_SINK_RING_FULL] + c->lost[DP_LOST_TOO_LARGE]),
	       source);
	fflush(stdout);
	/* the same events, the same matches: else the comparison means nothing */
	if (raw_matches != results) {
		fprintf(stderr,
			"riptide-bench-rules: %u rules: raw Hyperscan %llu matches, alerts "
			"%llu\n",
			n_rules, (unsigned long long)raw_matches, (unsigned long long)results);
		return -1;
	}
	hs_free_scratch(hscratch);
	hs_free_database(db);
	dp_ingest_fini(&in);
	dp_pipeline_fini(pl);
	sink_topics_free(&topics);
	sink_ring_free(ring);
	pat_ruleset_free(rs);
	pat_diags_free(&d);
	free(scratch.buf);
	free(exprs);
	free(flags);
	free(ids);
	free(src);
	free(pl);
	free(c);
	return 0;
}

static const char usage[] =
	"usage: riptide-bench-rules [--rules N,N,...] [--pcap FILE]\n"
	"  N REGEXP alert rules on one string column of 150-byte JSON events: ns per event\n"
	"  of riptide's alert stage and of raw hs_scan of the same values, same patterns,\n"
	"  in the same run (best of 5 passes over 20,000 events). Default 1,10,100,1000.\n"
	"  --pcap FILE: the events are the first 20,000 JSON records of FILE's datagrams to\n"
	"  UDP port 9000 (ts, card, merchant, amount, country, status), such as a\n"
	"  riptide-gen payments feed, instead of events made here.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "rules", required_argument, NULL, 'r' },
					      { "pcap", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *list = "1,10,100,1000", *pcap = NULL;
	double avg;
	char *copy, *tok, *save = NULL;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'r') {
			list = optarg;
		} else if (o == 'p') {
			pcap = optarg;
		} else {
			fputs(usage, o == 'h' ? stdout : stderr);
			return o == 'h' ? 0 : 2;
		}
	}
	if (pcap == NULL)
		make_events(&avg);
	else if (load_events(pcap, &avg) != 0)
		return 1;
	copy = strdup(list);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		long n = strtol(tok, NULL, 10);

		if (n < 1 || n > PAT_MAX_RULES) {
			fprintf(stderr, "riptide-bench-rules: --rules: %s is not from 1 to %d\n",
				tok, PAT_MAX_RULES);
			return 2;
		}
		if (run((uint32_t)n, avg) != 0) {
			fprintf(stderr, "riptide-bench-rules: the run with %ld rules failed\n", n);
			return 1;
		}
	}
	free(copy);
	bench_pcap_free(&feed);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-bench-ingest: the cost of the RX lcore's work per event, measured on the
 * frames of a pcap held in memory, one core, no NIC: packet decode + stream lookup +
 * framing + parse (what dp_ingest_datagram does for a datagram), parse alone, and
 * side by side in the same run references on the same records: a scan of the bytes
 * (memchr for the record end: the floor of any parser) and, for JSON, a walk from
 * quote to quote (SSE2; the dependent searches any JSON parser makes to find the ends
 * of its strings) and jansson (a general-purpose parser, json_loadb and a lookup of
 * the declared keys).
 *
 * Output: one JSON object per measurement on stdout.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bench_pcap.h"
#include "dataplane/dp_decode.h"
#include "dataplane/dp_ingest.h"

static struct bench_feed feed;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum what { W_INGEST, W_PARSE, W_SCAN, W_QUOTES, W_JANSSON };
static const char *const what_name[] = { "decode+ingest", "parse", "reference: scan",
					 "reference: quote walk", "reference: jansson" };

/* The next '"' at or after p (SSE2, 16 bytes at a time), or end. */
static inline const uint8_t *next_quote(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	while (end - p >= 16) {
		unsigned int m = (unsigned int)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi8('"')));

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '"')
		p++;
	return p;
}

/* What the reference loops compute, kept so that the compiler keeps them (a global:
 * clang takes a local that is only added to as unused). */
volatile uint64_t sink;

/* One pass over every frame or record; returns the events (or records) it handled. */
static uint64_t pass(enum what w, struct dp_ingest *in, const struct dp_stream_rt *st,
		     const struct pat_stream *ps)
{
	uint64_t n = 0, before = in->c->events;
	struct fmt_row row;
	uint8_t reason;
	size_t k;

	switch (w) {
	case W_INGEST:
		for (k = 0; k < feed.n_frames; k++) {
			struct dp_l4 l4;
			struct dp_origin o = { .src_addr = l4.src_addr };

			if (dp_decode(feed.frames[k].data, feed.frames[k].len, &l4, &reason) !=
			    DP_DATAGRAM)
				continue;
			o.dst_port = l4.dst_port;
			dp_ingest_datagram(in, &o, feed.frames[k].data + l4.payload_off,
					   l4.payload_len);
		}
		return in->c->events - before;
	case W_PARSE:
		for (k = 0; k < feed.n_recs; k++) {
			in->scratch.used = 0;
			n += fmt_parse(&st->sc, feed.recs[k], feed.rec_lens[k], feed.rec_lens[k],
				       &row, &in->scratch, &reason) == 0;
		}
		return n;
	case W_SCAN:
		for (k = 0; k < feed.n_recs; k++) {
			const uint8_t *e = memchr(feed.recs[k], '\n', feed.rec_lens[k]);

			sink += e ? (uint64_t)(e - feed.recs[k]) : feed.rec_lens[k];
			n++;
		}
		return n;
	case W_QUOTES:
		/* every quote of the record, each found from the one before: the chain of
		 * dependent searches that any JSON parser walks to find its strings' ends */
		for (k = 0; k < feed.n_recs; k++) {
			const uint8_t *p = feed.recs[k], *e = feed.recs[k] + feed.rec_lens[k];

			while (p < e)
				p = next_quote(p, e) + 1;
			sink += (uint64_t)(p - feed.recs[k]);
			n++;
		}
		return n;
	case W_JANSSON:
		for (k = 0; k < feed.n_recs; k++) {
			json_error_t err;
			json_t *o =
				json_loadb((const char *)feed.recs[k], feed.rec_lens[k], 0, &err);
			uint32_t c;

			if (o == NULL)
				continue;
			for (c = 0; c < ps->n_cols; c++)
				sink += json_object_get(o, ps->cols[c].name) != NULL;
			json_decref(o);
			n++;
		}
		return n;
	}
	return 0;
}

/* Best of reps runs of at least min_s seconds each: ns per item. */
static double measure(enum what w, struct dp_ingest *in, const struct dp_stream_rt *st,
		      const struct pat_stream *ps, double min_s, int reps, uint64_t *items)
{
	double best = 0;
	int r;

	for (r = 0; r < reps; r++) {
		uint64_t n = 0;
		double t0 = now(), t;

		do {
			n += pass(w, in, st, ps);
			t = now() - t0;
		} while (t < min_s);
		if (n > 0 && (best == 0 || t * 1e9 / (double)n < best))
			best = t * 1e9 / (double)n;
		*items = n;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules = NULL, *pcap = NULL, *label = "";
	static struct dp_pipeline pl;
	static struct dp_counters c;
	struct sink_topics topics = { 0 };
	struct pat_ruleset *rs = NULL;
	struct pat_diags d = { 0 };
	const struct dp_stream_rt *st;
	const struct pat_stream *ps;
	struct dp_ingest in;
	volatile bool quit = false;
	double secs = 0.5, bytes = 0;
	int ch, w;
	size_t k;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rules = optarg;
			break;
		case 'p':
			pcap = optarg;
			break;
		case 's':
			secs = atof(optarg);
			break;
		case 'l':
			label = optarg;
			break;
		default:
			fprintf(stderr, "usage: riptide-bench-ingest --rules FILE --pcap FILE "
					"[--seconds S] [--label TEXT]\n");
			return 2;
		}
	}
	if (rules == NULL || pcap == NULL) {
		fprintf(stderr, "riptide-bench-ingest: --rules and --pcap are required\n");
		return 2;
	}
	if (pat_compile_file(rules, &rs, &d) != 0 || rs->n_streams == 0) {
		for (k = 0; k < d.n; k++)
			fprintf(stderr, "%s\n", d.msgs[k]);
		return 2;
	}
	if (bench_pcap_load(&feed, pcap, "riptide-bench-ingest") != 0 ||
	    dp_pipeline_init(&pl, rs, &topics, NULL) != 0 ||
	    dp_ingest_init(&in, &pl, &c, NULL, &quit) != 0)
		return 1;
	st = bench_pcap_records(&feed, &pl);
	if (st == NULL || feed.n_recs == 0) {
		fprintf(stderr, "riptide-bench-ingest: no record of a stream in %s\n", pcap);
		return 1;
	}
	ps = &rs->streams[st - pl.streams];
	for (k = 0; k < feed.n_recs; k++)
		bytes += (double)feed.rec_lens[k];
	for (w = W_INGEST; w <= W_JANSSON; w++) {
		uint64_t items = 0;
		double ns;

		if ((w == W_JANSSON || w == W_QUOTES) && st->sc.format != PAT_FMT_JSON)
			continue;
		ns = measure((enum what)w, &in, st, ps, secs, 5, &items);
		printf("{\"label\":\"%s\",\"format\":\"%s\",\"stage\":\"%s\",\"ns_per_event\":%.2f,"
		       "\"events_per_s\":%.0f,\"record_bytes\":%.1f,\"records\":%zu}\n",
		       label, pat_format_name(st->sc.format), what_name[w], ns, 1e9 / ns,
		       bytes / (double)feed.n_recs, feed.n_recs);
	}
	dp_ingest_fini(&in);
	dp_pipeline_fini(&pl);
	sink_topics_free(&topics);
	pat_ruleset_free(rs);
	pat_diags_free(&d);
	bench_pcap_free(&feed);
	return 0;
}

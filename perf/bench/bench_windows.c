/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-bench-windows: ns per event of a state lcore's window work, the operator of
 * windows/win_agg.h as the data path drives it (win_add under the stream's watermark,
 * win_advance when it passes the next close, results to a callback that counts them),
 * for one rule on events with string keys ("card-NNNNNNN") drawn at random among K,
 * event time rising so that the run spans 10 windows. Beside it, in the same run, the
 * reference: the same events into a plain open-addressing table of (count, sum) per
 * key, no windows, no watermark: the least a group-by can do.
 *
 * Scenarios: tumbling COUNT(*)/SUM, the same with COUNT_DISTINCT(merchant), hopping
 * COUNT(*)/SUM in four windows an event. Prints one JSON object per (scenario, keys).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "patterns/pat_rules.h"
#include "windows/win_agg.h"

static const char stream_src[] =
	"CREATE STREAM pay (ts TIMESTAMP, card STRING, merchant STRING, amount DOUBLE) "
	"WITH (format = 'json', port = 9000, timestamp = 'ts');\n";
enum { C_TS, C_CARD, C_MERCHANT, C_AMOUNT };

static const struct {
	const char *name;
	const char *rule; /* %s: the window */
	int hopping;
} scenarios[] = {
	{ "tumbling_count_sum",
	  "CREATE AGGREGATE a WITH (max_keys = %u, max_state_mb = 16384) AS SELECT card, "
	  "COUNT(*) AS n, SUM(amount) AS total FROM pay WINDOW TUMBLING (SIZE %u MILLISECONDS) "
	  "GROUP BY card;",
	  0 },
	{ "tumbling_count_sum_distinct",
	  "CREATE AGGREGATE a WITH (max_keys = %u, max_state_mb = 16384) AS SELECT card, "
	  "COUNT(*) AS n, SUM(amount) AS total, COUNT_DISTINCT(merchant) AS merchants FROM pay "
	  "WINDOW TUMBLING (SIZE %u MILLISECONDS) GROUP BY card;",
	  0 },
	{ "hopping4_count_sum",
	  "CREATE AGGREGATE a WITH (max_keys = %u, max_state_mb = 16384) AS SELECT card, "
	  "COUNT(*) AS n, SUM(amount) AS total FROM pay WINDOW HOPPING (SIZE %u MILLISECONDS, "
	  "ADVANCE BY %u MILLISECONDS) GROUP BY card;",
	  1 },
};

/* events a burst (a state lcore's ring burst, DP_SHARD_BURST), and how far ahead of
 * the event it adds the operator loads a key's record */
#define BURST	       32
#define PREFETCH_AHEAD 8

#define KEY_LEN 12 /* "card-" and 7 digits */

static char *keys;	   /* K keys of KEY_LEN bytes */
static uint32_t *pick;	   /* the key of each event */
static uint16_t *merchant; /* 1 of 50 merchants per event */
static uint64_t n_results;
static char mnames[50][8]; /* "m00000" .. "m00049" */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	return bench_rnd(&rng);
}

static void on_result(void *ctx, const struct win_result *r)
{
	(void)ctx;
	n_results += r->slots[0].i > 0;
}

/* ---- the reference: count and sum per key, nothing else ---- */

struct ref_slot {
	uint64_t hash;
	const char *key;
	uint64_t n;
	double sum;
};

static double run_reference(uint32_t n_keys, uint64_t n_events, uint64_t *check)
{
	uint64_t cap = 2, k, mask, sum = 0;
	struct ref_slot *t;
	double t0;

	while (cap < 2 * (uint64_t)n_keys)
		cap *= 2;
	mask = cap - 1;
	t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return -1;
	t0 = bench_now_ns();
	for (k = 0; k < n_events; k++) {
		const char *key = keys + (size_t)pick[k] * KEY_LEN;
		uint64_t h = win_hash64(key, KEY_LEN, 0), s = h & mask;

		while (t[s].key != NULL && (t[s].hash != h || memcmp(t[s].key, key, KEY_LEN) != 0))
			s = (s + 1) & mask;
		if (t[s].key == NULL) {
			t[s].key = key;
			t[s].hash = h;
		}
		t[s].n++;
		t[s].sum += (double)(k & 1023);
	}
	t0 = bench_now_ns() - t0;
	for (k = 0; k < cap; k++)
		sum += t[k].n;
	*check = sum;
	free(t);
	return t0 / (double)n_events;
}

/* ---- riptide's operator ---- */

struct result {
	double ns;
	uint64_t results, peak_keys, peak_bytes, peak_windows;
};

static int run_riptide(unsigned int sc, uint32_t n_keys, uint64_t n_events, struct result *res)
{
	/* 10 windows over the run; hopping: size 4 advances */
	uint64_t window_ms = n_events / 10, k, b, hash[BURST];
	struct pat_diags d = { 0 };
	struct pat_ruleset *rs = NULL;
	struct win_state *st;
	struct win_spec sp;
	static struct fmt_row rows[BURST];
	struct win_usage u;
	char src[2048], rule[1024];
	int64_t W = INT64_MIN, next_close = INT64_MAX;
	double t0, t_add = 0;

	snprintf(rule, sizeof(rule), scenarios[sc].rule, n_keys, (unsigned int)window_ms,
		 (unsigned int)(window_ms / 4));
	snprintf(src, sizeof(src), "%s%s", stream_src, rule);
	if (pat_compile("bench.rql", src, strlen(src), &rs, &d) != 0) {
		fprintf(stderr, "riptide-bench-windows: %s\n", d.n ? d.msgs[0] : "compile failed");
		pat_diags_free(&d);
		return -1;
	}
	win_spec_init(&sp, &rs->rules[0], &rs->streams[0]);
	st = win_state_new(&sp, on_result, NULL);
	if (st == NULL) {
		pat_ruleset_free(rs);
		return -1;
	}
	for (k = 0; k < BURST; k++) {
		memset(&rows[k], 0, sizeof(rows[k]));
		rows[k].present = 1u << C_TS | 1u << C_CARD | 1u << C_MERCHANT | 1u << C_AMOUNT;
		rows[k].v[C_CARD].s.len = KEY_LEN;
		rows[k].v[C_MERCHANT].s.len = 6;
	}
	memset(res, 0, sizeof(*res));
	n_results = 0;
	t0 = bench_now_ns();
	for (b = 0; b < n_events; b += BURST) {
		uint32_t n = n_events - b < BURST ? (uint32_t)(n_events - b) : BURST, i;

		/* a burst as a state lcore dequeues it: the events' key hashes and index
		 * slots first, then each event with the record of the one PREFETCH_AHEAD
		 * later on its way */
		for (i = 0; i < n; i++) {
			struct fmt_row *row = &rows[i];

			k = b + i;
			/* one event a millisecond of event time; the watermark follows it */
			row->ts_ms = (int64_t)k;
			row->v[C_TS].i = (int64_t)k;
			row->v[C_CARD].s.p = (const uint8_t *)keys + (size_t)pick[k] * KEY_LEN;
			row->v[C_MERCHANT].s.p = (const uint8_t *)mnames[merchant[k]];
			row->v[C_AMOUNT].d = (double)(k & 1023);
			hash[i] = win_hash(st, row);
			win_prefetch_slot(st, hash[i]);
		}
		for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
			win_prefetch_key(st, hash[i]);
		for (i = 0; i < n; i++) {
			k = b + i;
			if (i + PREFETCH_AHEAD < n)
				win_prefetch_key(st, hash[i + PREFETCH_AHEAD]);
			if (win_add_hashed(st, &rows[i], hash[i], W, 0) != WIN_ADDED) {
				fprintf(stderr, "riptide-bench-windows: event refused\n");
				win_state_free(st);
				pat_ruleset_free(rs);
				return -1;
			}
			if (win_next_close(st) < next_close)
				next_close = win_next_close(st);
			W = (int64_t)k;
			if (W >= next_close) {
				/* the sampling of the state's size is the benchmark's, not
				 * riptide's: left out of the time; closing the windows is in it */
				double t1 = bench_now_ns();

				win_usage(st, &u);
				if (u.keys > res->peak_keys) {
					res->peak_keys = u.keys;
					res->peak_bytes = u.bytes;
					res->peak_windows = u.windows;
				}
				t_add += bench_now_ns() - t1;
				win_advance(st, W);
				next_close = win_next_close(st);
			}
		}
	}
	win_advance(st, INT64_MAX);
	t0 = bench_now_ns() - t0 - t_add;
	res->ns = t0 / (double)n_events;
	res->results = n_results;
	win_state_free(st);
	pat_ruleset_free(rs);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "events", required_argument, NULL, 'e' },
		{ "scenario", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char key_list[256] = "1000,100000,10000000", *tok, *save = NULL;
	uint64_t n_events_opt = 0;
	const char *only = NULL;
	int c;

	for (c = 0; c < 50; c++)
		snprintf(mnames[c], sizeof(mnames[c]), "m%05d", c);
	while ((c = getopt_long(argc, argv, "k:e:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			snprintf(key_list, sizeof(key_list), "%s", optarg);
			break;
		case 'e':
			n_events_opt = strtoull(optarg, NULL, 10);
			break;
		case 's':
			only = optarg;
			for (c = 0; c < (int)(sizeof(scenarios) / sizeof(scenarios[0])); c++)
				if (strcmp(only, scenarios[c].name) == 0)
					break;
			if (c == (int)(sizeof(scenarios) / sizeof(scenarios[0]))) {
				fprintf(stderr, "riptide-bench-windows: no scenario '%s'\n", only);
				return 2;
			}
			break;
		case 'h':
			printf("usage: riptide-bench-windows [--keys K1,K2,...] [--events N] [--scenario S]\n"
			       "  --keys      key counts (default 1000,100000,10000000)\n"
			       "  --events    events a run (default max(10,000,000, 2 x keys))\n"
			       "  --scenario  only this one: tumbling_count_sum,\n"
			       "              tumbling_count_sum_distinct or hopping4_count_sum\n"
			       "Prints a JSON object per scenario and key count.\n");
			return 0;
		default:
			return 2;
		}
	}
	for (tok = strtok_r(key_list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t n_keys = (uint32_t)strtoul(tok, NULL, 10), k;
		uint64_t n_events = n_events_opt ? n_events_opt : 10000000, i, check;
		unsigned int sc;

		if (n_keys == 0 || n_keys > 10000000) {
			fprintf(stderr, "riptide-bench-windows: keys from 1 to 10,000,000\n");
			return 2;
		}
		if (!n_events_opt && n_events < 2 * (uint64_t)n_keys)
			n_events = 2 * (uint64_t)n_keys;
		keys = malloc((size_t)n_keys * KEY_LEN + 1);
		pick = malloc(n_events * sizeof(*pick));
		merchant = malloc(n_events * sizeof(*merchant));
		if (keys == NULL || pick == NULL || merchant == NULL)
			return 1;
		for (k = 0; k < n_keys; k++) {
			char b[16];

			snprintf(b, sizeof(b), "card-%07u", k);
			memcpy(keys + (size_t)k * KEY_LEN, b, KEY_LEN);
		}
		for (i = 0; i < n_events; i++) {
			pick[i] = (uint32_t)(rnd() % n_keys);
			merchant[i] = (uint16_t)(rnd() % 50);
		}
		for (sc = 0; sc < sizeof(scenarios) / sizeof(scenarios[0]); sc++) {
			struct result r;
			double ref;

			if (only != NULL && strcmp(only, scenarios[sc].name) != 0)
				continue;
			ref = run_reference(n_keys, n_events, &check);

			if (ref < 0 || check != n_events ||
			    run_riptide(sc, n_keys, n_events, &r) != 0)
				return 1;
			printf("{\"scenario\":\"%s\",\"keys\":%u,\"events\":%" PRIu64
			       ",\"riptide_ns\":%.1f,\"reference_ns\":%.1f,\"ratio\":%.2f,"
			       "\"events_per_s\":%.0f,\"results\":%" PRIu64
			       ",\"peak_keys\":%" PRIu64 ",\"peak_windows\":%" PRIu64
			       ",\"bytes_per_key\":%.0f}\n",
			       scenarios[sc].name, n_keys, n_events, r.ns, ref, r.ns / ref,
			       1e9 / r.ns, r.results, r.peak_keys, r.peak_windows,
			       r.peak_keys ? (double)r.peak_bytes / (double)r.peak_keys : 0);
			fflush(stdout);
		}
		free(keys);
		free(pick);
		free(merchant);
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-bench-patterns: ns per row of a state lcore's pattern work, the operator of
 * patterns/cep.h as the data path drives it, for P card-testing patterns on one stream
 * (PATTERN (D{3,} B) WITHIN 60 s, each with its own approval threshold), partitioned by
 * card, on rows whose card is drawn at random among K. A row is declined with
 * probability 0.3, else approved with an amount uniform in [0, 1000); event time
 * advances 6000 / K ms a row, so that a card has about ten rows a WITHIN. With
 * --shapes S, D{3,} B is written S ways (the same matches, S shapes a bank).
 *
 * Three numbers per (P, K), all in the same run on the same rows:
 * - classify: the DEFINEs of every pattern on every row (cep_symbol, with a memo of
 *   the comparisons they share cleared each row), which the data path does on the RX
 *   lcore;
 * - riptide: cep_take of every bank (up to PAT_BANK_LANES patterns, pat_plan_banks())
 *   on every row, with the symbols, which is what a state lcore does (partition
 *   lookup, Hyperscan stream, kept rows, verification and matches to a callback);
 * - reference: the same symbols straight into Hyperscan on the banks' databases, one
 *   stream per (card, bank) found by index, a byte a row and shape (the symbols of
 *   its patterns together): what Hyperscan streaming alone costs for the same scans;
 * - per-pattern reference: one stream per (card, pattern) on each pattern's own
 *   database, a byte a row: Hyperscan alone without banks.
 * Prints one JSON object per (P, K).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "patterns/cep.h"
#include "patterns/pat_hs.h"
#include "patterns/pat_rules.h"

static const char stream_src[] =
	"CREATE STREAM pay (ts TIMESTAMP, card STRING, amount DOUBLE, status STRING) "
	"WITH (format = 'json', port = 9000, timestamp = 'ts');\n";
enum { C_TS, C_CARD, C_AMOUNT, C_STATUS };

#define KEY_LEN 12 /* "card-" and 7 digits */

/* rows a burst (a state lcore's ring burst, DP_SHARD_BURST), and how many takes (a
 * row and a pattern each) ahead of the one at hand a partition's record is loaded */
#define BURST	   32
#define TAKE_AHEAD 8
#define PART_AHEAD 4 /* and the partition's stream and rows (its record has come) */

static uint64_t n_matches;
static int riptide_only; /* --riptide-only: skip the references, for perf record */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	return bench_rnd(&rng);
}

static void on_match(void *ctx, const struct cep_match *m)
{
	(void)ctx;
	(void)m;
	n_matches++;
}

struct result {
	double classify_ns, riptide_ns, reference_ns, single_ns;
	unsigned int banks, shapes; /* shapes: over all banks (a byte a row each) */
	uint64_t matches, ref_ends, peak_partitions, bytes;
	size_t stream_size;
	int state_full;
};

/* D{3,} B written ten ways: one language (the same matches), ten shapes (--shapes) */
static const char *const shape_text[] = {
	"D{3,} B",   "D D{2,} B",  "D D D+ B",	 "D{2} D+ B",	"D D D D* B",
	"D{3} D* B", "(D D) D+ B", "D (D D+) B", "D{2} (D+) B", "(D{3,}) B",
};
static unsigned int n_shapes = 1; /* --shapes: how many of them the patterns use */

static char *rules_text(unsigned int n_pat, uint32_t n_keys)
{
	size_t cap = 1024 + (size_t)n_pat * 512, len;
	char *src = malloc(cap);
	unsigned int p;

	if (src == NULL)
		return NULL;
	len = (size_t)snprintf(src, cap, "%s", stream_src);
	for (p = 0; p < n_pat; p++)
		len += (size_t)snprintf(
			src + len, cap - len,
			"CREATE PATTERN p%u WITH (max_keys = %u, max_state_mb = 8192) AS SELECT * "
			"FROM pay MATCH_RECOGNIZE (PARTITION BY card ORDER BY ts MEASURES "
			"COUNT(D.*) AS declines, LAST(B.amount) AS amount PATTERN (%s) "
			"WITHIN INTERVAL '60' SECOND DEFINE D AS status = 'declined', B AS status "
			"= 'approved' AND amount > %u);\n",
			p, n_keys, shape_text[p % n_shapes],
			500 + p * (400 / (n_pat > 1 ? n_pat - 1 : 1)));
	return src;
}

static int run(unsigned int n_pat, uint32_t n_keys, uint64_t n_rows, struct result *res)
{
	static const struct pat_options inproc = { .hs_mode = PAT_HS_INPROCESS };
	struct pat_ruleset *rs = NULL;
	struct pat_diags d = { 0 };
	struct cep_prog *progs = calloc(n_pat, sizeof(*progs));
	struct cep_bank *banks = calloc(n_pat, sizeof(*banks));
	struct cep_state **st = calloc(n_pat, sizeof(*st));
	uint32_t *lead = calloc(n_pat, sizeof(*lead)), n_banks = 0, q;
	/* bank q's patterns by lane (the data path's dp_srule bank_lead and lane) */
	uint32_t(*member)[PAT_BANK_LANES] = calloc(n_pat, sizeof(*member));
	void *ctx[PAT_BANK_LANES] = { 0 };
	hs_stream_t **ref = NULL;
	size_t n_ref = 0;
	bool per_pattern;
	hs_scratch_t *scratch = NULL;
	char *keys = malloc((size_t)n_keys * KEY_LEN), *src = rules_text(n_pat, n_keys);
	uint32_t *pick = malloc(n_rows * sizeof(*pick));
	uint8_t *declined = malloc(n_rows), *syms = malloc(n_rows * n_pat);
	double *amount = malloc(n_rows * sizeof(*amount)), t0, t_usage = 0;
	uint64_t *hash = malloc(BURST * n_pat * sizeof(*hash)), b;
	static struct fmt_row rows[BURST];
	struct fmt_row row;
	struct pat_env env = { 0 };
	struct pat_memo memo;
	uint8_t buf[64];
	uint64_t i, ends = 0;
	unsigned int p;
	int rc = -ENOMEM;

	memset(res, 0, sizeof(*res));
	rng = 0x9E3779B97F4A7C15ull; /* the same rows for the same (P, K), whatever ran before */
	if (progs == NULL || banks == NULL || lead == NULL || member == NULL || st == NULL ||
	    keys == NULL || src == NULL || pick == NULL || declined == NULL || syms == NULL ||
	    amount == NULL || hash == NULL)
		goto out;
	if (pat_compile_ex("bench.rql", src, strlen(src), &inproc, &rs, &d) != 0) {
		fprintf(stderr, "compile: %s\n", d.n ? d.msgs[0] : "?");
		rc = -EINVAL;
		goto out;
	}
	if (pat_hs_scratch(rs, &scratch) != 0)
		goto out;
	for (p = 0; p < n_pat; p++)
		if (cep_prog_init(&progs[p], &rs->rules[p], &rs->streams[0]) != 0)
			goto out;
	/* the banks, as the data path builds them (dp_window.c banks_init) */
	for (p = 0; p < n_pat; p++) {
		const struct pat_rule *r = &rs->rules[p];
		const struct cep_prog *lanes[PAT_BANK_LANES];
		uint8_t base[PAT_BANK_LANES];

		if (r->bank != p)
			continue;
		for (q = p; q < n_pat; q++) {
			if (rs->rules[q].bank != p)
				continue;
			lanes[rs->rules[q].lane] = &progs[q];
			base[rs->rules[q].lane] = rs->rules[q].lane_base;
			member[n_banks][rs->rules[q].lane] = q;
		}
		if (cep_bank_init(&banks[n_banks], r->n_lanes > 1 ? r->bank_db : r->seq_db, lanes,
				  base, r->n_lanes) != 0)
			goto out;
		lead[n_banks] = p;
		st[n_banks] = cep_state_new(&banks[n_banks], scratch, on_match, ctx);
		if (st[n_banks++] == NULL)
			goto out;
	}
	res->banks = n_banks;
	for (q = 0; q < n_banks; q++)
		for (p = 0; p < banks[q].n_lanes; p++)
			res->shapes += banks[q].shape[p] == p;
	for (i = 0; i < n_keys; i++) {
		char tmp[16];

		snprintf(tmp, sizeof(tmp), "card-%07" PRIu64, i);
		memcpy(keys + i * KEY_LEN, tmp, KEY_LEN);
	}
	for (i = 0; i < n_rows; i++) {
		pick[i] = (uint32_t)(rnd() % n_keys);
		declined[i] = rnd() % 10 < 3;
		amount[i] = (double)(rnd() % 100000) / 100.0;
	}
	memset(&row, 0, sizeof(row));
	row.present = 1u << C_TS | 1u << C_CARD | 1u << C_AMOUNT | 1u << C_STATUS;
	row.v[C_CARD].s.len = KEY_LEN;
	env.row = &row;
	env.memo = &memo;
	env.buf = buf;
	env.cap = sizeof(buf);

	/* classify: every pattern's DEFINEs on every row */
	t0 = bench_now_ns();
	for (i = 0; i < n_rows; i++) {
		row.v[C_AMOUNT].d = amount[i];
		row.v[C_STATUS].s.p = (const uint8_t *)(declined[i] ? "declined" : "approved");
		row.v[C_STATUS].s.len = 8;
		memo.known = memo.val = 0; /* another event (dp_rules_event) */
		for (p = 0; p < n_pat; p++)
			syms[i * n_pat + p] = cep_symbol(&rs->rules[p], &env);
	}
	res->classify_ns = (bench_now_ns() - t0) / (double)n_rows;

	/* riptide: the state lcore's part, over bursts as it dequeues them: every take's
	 * (a row and a bank) partition key hashed and its index slot's load started, then
	 * the takes in order, each with the partition record of the take TAKE_AHEAD later
	 * on its way */
	for (i = 0; i < BURST; i++)
		rows[i] = row;
	t0 = bench_now_ns();
	for (b = 0; b < n_rows; b += BURST) {
		uint32_t n = n_rows - b < BURST ? (uint32_t)(n_rows - b) : BURST, t,
			 nt = n * n_banks;

		/* the rows' keys on their way first, as a state lcore's burst of events
		 * (dp_shard.c look_ahead) */
		for (t = 0; t < n; t++)
			__builtin_prefetch(keys + (size_t)pick[b + t] * KEY_LEN);
		for (t = 0; t < n; t++) {
			struct fmt_row *r = &rows[t];

			i = b + t;
			r->ts_ms = (int64_t)(i * 6000 / n_keys);
			r->v[C_TS].i = r->ts_ms;
			r->v[C_CARD].s.p = (const uint8_t *)keys + (size_t)pick[i] * KEY_LEN;
			r->v[C_AMOUNT].d = amount[i];
			for (q = 0; q < n_banks; q++) {
				hash[t * n_banks + q] = cep_hash(st[q], r);
				cep_prefetch_slot(st[q], hash[t * n_banks + q]);
			}
		}
		for (t = 0; t < nt && t < TAKE_AHEAD; t++)
			cep_prefetch_key(st[t % n_banks], hash[t]);
		for (t = 0; t < nt; t++) {
			uint8_t sym[PAT_BANK_LANES];
			uint16_t lost;
			uint32_t l;

			if (t + TAKE_AHEAD < nt)
				cep_prefetch_key(st[(t + TAKE_AHEAD) % n_banks],
						 hash[t + TAKE_AHEAD]);
			if (t + PART_AHEAD < nt)
				cep_prefetch_part(st[(t + PART_AHEAD) % n_banks],
						  hash[t + PART_AHEAD]);
			q = t % n_banks;
			i = b + t / n_banks;
			for (l = 0; l < banks[q].n_lanes; l++)
				sym[l] = syms[i * n_pat + member[q][l]];
			if (cep_take_hashed(st[q], &rows[t / n_banks], i,
					    (uint16_t)((1u << banks[q].n_lanes) - 1), sym, hash[t],
					    &lost) == CEP_FULL)
				res->state_full++;
		}
		if ((b & 1023) == 0) {
			/* the state's size every 1024 rows: the benchmark's, not timed */
			double t1 = bench_now_ns();
			struct cep_usage u;
			uint64_t live = 0, bytes = 0;

			for (q = 0; q < n_banks; q++) {
				cep_usage(st[q], &u);
				live += u.keys;
				bytes += u.bytes;
			}
			if (live > res->peak_partitions) {
				res->peak_partitions = live;
				res->bytes = bytes;
			}
			t_usage += bench_now_ns() - t1;
		}
	}
	res->riptide_ns = (bench_now_ns() - t0 - t_usage) / (double)n_rows;
	res->matches = n_matches;
	if (riptide_only) {
		rc = 0;
		goto out;
	}

	/* reference: Hyperscan streaming alone on the banks' databases, a stream per
	 * (card, bank) by index, the lanes' bytes of a row in one write */
	/* the per-pattern reference wants a stream a (card, pattern): left out past 2e7 */
	per_pattern = (uint64_t)n_keys * n_pat <= 20000000;
	n_ref = (size_t)n_keys * (per_pattern ? n_pat : n_banks);
	ref = calloc(n_ref, sizeof(*ref));
	if (ref == NULL)
		goto out;
	for (i = 0; i < (uint64_t)n_keys * n_banks; i++)
		if (hs_open_stream(banks[i % n_banks].db, 0, &ref[i]) != HS_SUCCESS)
			goto out;
	t0 = bench_now_ns();
	for (i = 0; i < n_rows; i++) {
		for (q = 0; q < n_banks; q++) {
			const struct cep_bank *bk = &banks[q];
			uint8_t bytes[PAT_BANK_LANES];
			uint32_t nb = 0, l, m;

			/* a byte a shape: its lanes' symbols together (cep.c row_bytes) */
			for (l = 0; l < bk->n_lanes; l++) {
				uint8_t s = 0;

				if (bk->shape[l] != l)
					continue;
				for (m = bk->shape_lanes[l]; m != 0; m &= m - 1)
					s |= syms[i * n_pat + member[q][__builtin_ctz(m)]];
				bytes[nb++] = (uint8_t)(bk->base[l] + s);
			}
			hs_scan_stream(ref[(size_t)pick[i] * n_banks + q], (const char *)bytes, nb,
				       0, scratch, bench_count_match, &ends);
		}
	}
	res->reference_ns = (bench_now_ns() - t0) / (double)n_rows;
	res->ref_ends = ends;
	hs_stream_size(banks[0].db, &res->stream_size);
	for (i = 0; i < (uint64_t)n_keys * n_banks; i++) {
		hs_close_stream(ref[i], NULL, NULL, NULL);
		ref[i] = NULL;
	}
	res->single_ns = -1;
	if (!per_pattern) {
		rc = 0;
		goto out;
	}
	/* the same without banks: a stream per (card, pattern) on its own database */
	for (i = 0; i < (uint64_t)n_keys * n_pat; i++)
		if (hs_open_stream(rs->rules[i % n_pat].seq_db, 0, &ref[i]) != HS_SUCCESS)
			goto out;
	t0 = bench_now_ns();
	for (i = 0; i < n_rows; i++)
		for (p = 0; p < n_pat; p++)
			hs_scan_stream(ref[(size_t)pick[i] * n_pat + p],
				       (const char *)&syms[i * n_pat + p], 1, 0, scratch,
				       bench_count_match, &ends);
	res->single_ns = (bench_now_ns() - t0) / (double)n_rows;
	rc = 0;
out:
	if (ref != NULL)
		for (i = 0; i < n_ref; i++)
			if (ref[i] != NULL)
				hs_close_stream(ref[i], NULL, NULL, NULL);
	free(ref);
	for (p = 0; st != NULL && p < n_pat; p++) {
		cep_state_free(st[p]);
		if (progs[p].ins != NULL)
			cep_prog_fini(&progs[p]);
	}
	free(banks);
	free(lead);
	free(member);
	hs_free_scratch(scratch);
	pat_ruleset_free(rs);
	pat_diags_free(&d);
	free(progs);
	free(st);
	free(keys);
	free(src);
	free(pick);
	free(declined);
	free(syms);
	free(amount);
	free(hash);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: riptide-bench-patterns [--patterns P1,P2,...] [--keys K1,K2,...] "
		   "[--rows N] [--shapes S] [--riptide-only]\n"
		   "  --patterns  patterns on the stream (default 1,10,100)\n"
		   "  --keys      cards (default 1000,100000,1000000)\n"
		   "  --rows      rows a run (default max(2,000,000, 4 x keys) / patterns x 10,\n"
		   "              at least 200,000)\n"
		   "  --shapes    write D{3,} B S ways (1 to 10, default 1): the same matches,\n"
		   "              S shapes, which a bank scans a byte a row each\n"
		   "  --riptide-only  classify and riptide only, no references (to profile)\n"
		   "Prints a JSON object per (patterns, keys).\n");
}

static int parse_list(const char *s, uint32_t *v, int max)
{
	int n = 0;

	while (*s != '\0' && n < max) {
		char *end;
		unsigned long x = strtoul(s, &end, 10);

		if (end == s || x == 0 || x > 100000000)
			return -1;
		v[n++] = (uint32_t)x;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -1;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "patterns", required_argument, NULL, 'p' },
		{ "keys", required_argument, NULL, 'k' },
		{ "rows", required_argument, NULL, 'r' },
		{ "riptide-only", no_argument, NULL, 'o' },
		{ "shapes", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t pats[8] = { 1, 10, 100 }, keys[8] = { 1000, 100000, 1000000 };
	int n_pats = 3, n_keys = 3, c, a, b;
	uint64_t rows = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			n_pats = parse_list(optarg, pats, 8);
			break;
		case 'k':
			n_keys = parse_list(optarg, keys, 8);
			break;
		case 'r':
			rows = strtoull(optarg, NULL, 10);
			break;
		case 'o':
			riptide_only = 1;
			break;
		case 's':
			n_shapes = (unsigned int)strtoul(optarg, NULL, 10);
			if (n_shapes < 1 || n_shapes > sizeof(shape_text) / sizeof(shape_text[0])) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (n_pats <= 0 || n_keys <= 0) {
			usage(stderr);
			return 2;
		}
	}
	for (a = 0; a < n_pats; a++) {
		for (b = 0; b < n_keys; b++) {
			uint64_t n = rows;
			struct result r;
			char pp[32];

			if (n == 0) {
				n = 4ull * keys[b] > 2000000 ? 4ull * keys[b] : 2000000;
				n = n * 10 / pats[a];
				if (n < 200000)
					n = 200000;
				if (n < 2ull * keys[b]) /* two rows a card at least */
					n = 2ull * keys[b];
			}
			n_matches = 0;
			if (run(pats[a], keys[b], n, &r) != 0) {
				fprintf(stderr, "run of %u patterns at %u keys failed\n", pats[a],
					keys[b]);
				return 1;
			}
			if (r.single_ns < 0)
				snprintf(pp, sizeof(pp), "null");
			else
				snprintf(pp, sizeof(pp), "%.1f", r.single_ns);
			printf("{\"patterns\":%u,\"keys\":%u,\"rows\":%" PRIu64
			       ",\"banks\":%u,\"shapes\":%u,\"classify_ns\":%.1f,\"riptide_ns\":%.1f,"
			       "\"reference_ns\":%.1f,\"per_pattern_reference_ns\":%s,"
			       "\"ratio\":%.2f,\"rows_per_s\":%.0f,\"ns_per_row_pattern\":%.1f,"
			       "\"matches\":%" PRIu64 ",\"reference_ends\":%" PRIu64
			       ",\"live_partitions\":%" PRIu64
			       ",\"bytes_per_partition\":%.0f,\"hs_stream_bytes\":%zu,"
			       "\"state_full\":%d}\n",
			       pats[a], keys[b], n, r.banks, r.shapes, r.classify_ns, r.riptide_ns,
			       r.reference_ns, pp,
			       r.reference_ns > 0 ? r.riptide_ns / r.reference_ns : 0.0,
			       1e9 / r.riptide_ns, r.riptide_ns / pats[a], r.matches, r.ref_ends,
			       r.peak_partitions,
			       r.peak_partitions ? (double)r.bytes / (double)r.peak_partitions
						 : 0.0,
			       r.stream_size, r.state_full);
			fflush(stdout);
		}
	}
	return 0;
}

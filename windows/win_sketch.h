/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The approximate aggregates (spec/RULES.md, CREATE AGGREGATE):
 *
 * COUNT_DISTINCT: the 64-bit hashes of the values, kept exactly (and so counted
 * exactly) up to WIN_DISTINCT_EXACT of them; beyond, a HyperLogLog of 2^17 one-byte
 * registers read with Ertl's improved estimator (no bias tables, no switch between
 * linear counting and the raw estimate): standard error 0.29%, so 1% is 3.5 sigma.
 * The exact set takes 16 to 512 bytes, the registers 128 KiB.
 *
 * PERCENTILE_APPROX: a DDSketch with relative accuracy WIN_DD_ALPHA: a value x > 0
 * counts in bucket i = ceil(log_gamma(x)), gamma = (1 + a) / (1 - a), and a bucket
 * answers for its values with 2 gamma^i / (gamma + 1), which is within a of each of
 * them; negative values likewise by |x|, zero on its own. The nearest-rank
 * percentile (the value of rank ceil(p n)) is therefore within a of the exact one.
 * Each sign's buckets are one array of counts over the indexes seen, at most
 * WIN_DD_MAX_BUCKETS wide (a span of 10^30 between the smallest and largest |x|);
 * beyond, the buckets of the smallest magnitudes are merged into the lowest kept one.
 *
 * Both live in a struct win_acc of the window and take their blocks from the rule's
 * arena (win_mem.h); an insert that needs memory the bound does not give returns
 * -ENOMEM and changes nothing.
 */
#ifndef RIPTIDE_WIN_SKETCH_H
#define RIPTIDE_WIN_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "win_mem.h"

#define WIN_DISTINCT_EXACT 64
#define WIN_HLL_P	   17
#define WIN_HLL_M	   (1u << WIN_HLL_P)
#define WIN_DD_ALPHA	   0.009
#define WIN_DD_MAX_BUCKETS 4096
/* 1 / ln(gamma) for WIN_DD_ALPHA (a unit test holds them together) */
#define WIN_DD_INV_LOG_GAMMA 55.55405552315441

/* The state of one aggregate of one window: 16 bytes. */
struct win_acc {
	union {
		int64_t i;
		double d;
		uint64_t n;
		void *p;
	} a;
	union {
		int64_t i;
		double d;
		uint64_t n;
		struct {
			uint32_t n, cap;
		} u;
	} b;
};

/* A 64-bit hash of len bytes (good enough for HyperLogLog: every input bit reaches
 * every output bit). */
uint64_t win_hash64(const void *p, size_t len, uint64_t seed);
/* The same for one 8-byte value. */
static inline uint64_t win_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* COUNT_DISTINCT. acc zeroed is the empty set. */
int win_distinct_add(struct win_acc *acc, uint64_t hash, struct win_arena *ar);
uint64_t win_distinct_count(const struct win_acc *acc);
/* dst = dst U src (session merges); src is left as it was. */
int win_distinct_merge(struct win_acc *dst, const struct win_acc *src, struct win_arena *ar);
void win_distinct_free(struct win_acc *acc, struct win_arena *ar);
size_t win_distinct_bytes(const struct win_acc *acc);

/* PERCENTILE_APPROX. acc zeroed is the empty sketch. Non-finite values are ignored. */
int win_dd_add(struct win_acc *acc, double x, struct win_arena *ar);
/* The value of rank ceil(p n); returns 0 with *out set, or -1 when empty. */
int win_dd_quantile(const struct win_acc *acc, double p, double *out);
int win_dd_merge(struct win_acc *dst, const struct win_acc *src, struct win_arena *ar);
void win_dd_free(struct win_acc *acc, struct win_arena *ar);
size_t win_dd_bytes(const struct win_acc *acc);

#endif

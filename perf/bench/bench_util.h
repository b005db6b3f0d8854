/* SPDX-License-Identifier: BSD-3-Clause */
/* What the benchmarks share: a monotonic clock, a fast deterministic generator, and a
 * Hyperscan callback that counts matches. */
#ifndef RIPTIDE_BENCH_UTIL_H
#define RIPTIDE_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* xorshift64: the same sequence for the same seed, on every machine */
static inline uint64_t bench_rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A Hyperscan match callback adding one to the uint64_t at ctx. */
static inline int bench_count_match(unsigned int id, unsigned long long from, unsigned long long to,
				    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

#endif

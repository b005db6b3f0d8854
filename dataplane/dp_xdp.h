/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP pre-filter's configuration from the description the software twin runs
 * on: the streams' UDP ports (a rule set), the block list (dp_prefix) and the rate
 * limit (pps, burst, through dp_ratelimit_params()). One description, two back ends:
 * what riptide and riptidectl set reaches both. Plain C without DPDK.
 */
#ifndef RIPTIDE_DP_XDP_H
#define RIPTIDE_DP_XDP_H

#include <stdint.h>

#include "bpf/rt_xdp_load.h"
#include "dp_filter.h"
#include "patterns/pat_rules.h"

/* allowed[p] set for the port of every stream of rs (rs NULL: none); others kept,
 * so that two sets' ports can be joined. */
void dp_xdp_ports_of(const struct pat_ruleset *rs, uint8_t allowed[65536]);

/* The block list v[0..n) and the rate limit into x's maps. Returns 0 or -errno. */
int dp_xdp_set_filter(struct rt_xdp *x, const struct dp_prefix *v, uint32_t n, uint64_t pps,
		      uint64_t burst);

/* Packets the program dropped as from prefix p. */
uint64_t dp_xdp_prefix_hits(struct rt_xdp *x, const struct dp_prefix *p);

#endif

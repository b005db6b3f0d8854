/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The user side of the XDP pre-filter: creates its maps and checks the program with
 * the kernel's verifier (from the object embedded in riptide), fills the maps, reads
 * the counters, and runs the program on a packet (BPF_PROG_TEST_RUN) for the tests
 * and the benchmark.
 *
 * How the program reaches an af_xdp port: DPDK's af_xdp driver loads an object file
 * (its xdp_prog devarg) and attaches it; rt_xdp_obj_path() is that file (a memfd
 * holding the embedded object). The maps are pinned by name under /sys/fs/bpf while
 * the ports start, so that the driver's load reuses them (libbpf's
 * LIBBPF_PIN_BY_NAME) and the program runs with riptide's configuration from its
 * first packet; then rt_xdp_unpin() removes the pins and riptide holds the maps by
 * their descriptors alone. A lock (rt_xdp_open() to rt_xdp_unpin()) keeps two
 * riptides from starting on the same pins at once.
 *
 * Not thread-safe: one thread at a time (riptide's control plane holds its lock).
 */
#ifndef RIPTIDE_RT_XDP_LOAD_H
#define RIPTIDE_RT_XDP_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_xdp.h"

struct rt_xdp;

/* Maps created, the program verified. pin: pinned by name (stale pins of a riptide
 * that died are replaced). Returns 0, or -errno with a message in err. */
int rt_xdp_open(struct rt_xdp **out, bool pin, char *err, size_t errlen);
/* The object file for DPDK's xdp_prog devarg, or NULL when it could not be made. */
const char *rt_xdp_obj_path(struct rt_xdp *x);
/* The pins go (the maps stay while x holds them). Idempotent. */
void rt_xdp_unpin(struct rt_xdp *x);
void rt_xdp_close(struct rt_xdp *x);

/* The ports that pass: allowed[p] != 0. Only the changes are written. Returns 0 or
 * -errno. */
int rt_xdp_set_ports(struct rt_xdp *x, const uint8_t allowed[65536]);
/* The blocked prefixes (host bits zero; at most RT_XDP_MAX_PREFIXES): those new are
 * added with a hit count of 0, those gone removed; a prefix listed before and now
 * keeps its hits. Returns 0, -E2BIG or -errno. */
int rt_xdp_set_blocked(struct rt_xdp *x, const struct rt_xdp_prefix *v, size_t n);
/* Packets dropped as from prefix p (summed over CPUs); 0 when it is not listed. */
uint64_t rt_xdp_prefix_hits(struct rt_xdp *x, const struct rt_xdp_prefix *p);
/* The rate limit, as dp_ratelimit_set() computes it (interval 0: off). */
int rt_xdp_set_rate(struct rt_xdp *x, uint64_t interval_ns, uint64_t tolerance_ns);
/* Forgets every source's rate state. */
int rt_xdp_clear_rate(struct rt_xdp *x);
/* The counters (rt_xdp.h slots), summed over CPUs. Returns 0 or -errno. */
int rt_xdp_counts(struct rt_xdp *x, uint64_t c[RT_XDP_N_COUNTS]);

/* Runs the program repeat times (at least 1) on the frame pkt[0..len) with
 * BPF_PROG_TEST_RUN; *action gets its verdict (XDP_DROP, XDP_PASS: to user space
 * with no socket bound) and *ns the kernel's mean time per run. Returns 0 or -errno. */
int rt_xdp_test_run(struct rt_xdp *x, const void *pkt, uint32_t len, uint32_t repeat,
		    uint32_t *action, uint32_t *ns);

#endif

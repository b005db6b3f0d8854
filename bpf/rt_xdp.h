/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP pre-filter (riptide_xdp.bpf.c) and user space share: the maps' keys
 * and values, the counter slots, and the rate limit's arithmetic. The software twin
 * (dataplane/dp_filter.c) runs the same rate step, and dp_decode.h's filter reasons
 * index the drop counters, so that both back ends of the pre-filter count alike.
 *
 * Verdicts: a well-formed UDP datagram to a port no stream declares, from a blocked
 * source prefix, or above its source's rate is dropped and counted under that
 * reason; every other packet goes to the AF_XDP socket of its queue, where riptide's
 * decode gives it its verdict (a datagram, or filtered or broken under a reason), so
 * that no packet reaches user space uncounted and none is dropped in the kernel
 * without a counter. The map names are those pinned under bpffs (LIBBPF_PIN_BY_NAME)
 * while riptide starts its af_xdp ports.
 */
#ifndef RIPTIDE_RT_XDP_H
#define RIPTIDE_RT_XDP_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u8 rt_u8;
typedef __u32 rt_u32;
typedef __u64 rt_u64;
#else
#include <stdint.h>
typedef uint8_t rt_u8;
typedef uint32_t rt_u32;
typedef uint64_t rt_u64;
#endif

/* Counter slots of rt_xdp_counts (per CPU). The drop reasons are those of
 * DP_FILTER_REASONS (dataplane/dp_decode.h) at the same index; the BPF side drops
 * under three of them only. */
#define RT_XDP_UNKNOWN_PORT   3 /* DP_FILTER_UNKNOWN_PORT */
#define RT_XDP_BLOCKED_SOURCE 4 /* DP_FILTER_BLOCKED_SOURCE */
#define RT_XDP_RATE_LIMITED   5 /* DP_FILTER_RATE_LIMITED */
#define RT_XDP_REDIRECTED     6 /* to the queue's AF_XDP socket */
#define RT_XDP_NO_SOCKET      7 /* no socket on the queue: passed to the kernel */
#define RT_XDP_N_COUNTS	      8

/* Most blocked prefixes; each has a hit counter slot (per CPU) of its own. */
#define RT_XDP_MAX_PREFIXES 16384
/* Sources whose rate is tracked (LRU: the least recently seen gives way). */
#define RT_XDP_RATE_SOURCES 65536
/* Most AF_XDP sockets (queues) of an interface. */
#define RT_XDP_MAX_QUEUES 64

/* rt_xdp_blocked: an LPM trie over 16-byte addresses, IPv4 as v4-mapped IPv6
 * (::ffff:a.b.c.d, an IPv4 /n being /96+n), as dp_decode() gives addresses. */
struct rt_xdp_prefix {
	rt_u32 prefixlen;
	rt_u8 addr[16];
};

/* rt_xdp_config[0]: the rate limit (interval 0: off), as dp_ratelimit_set(). */
struct rt_xdp_config {
	rt_u64 interval_ns;
	rt_u64 tolerance_ns;
};

/* The generic cell rate algorithm's step for a source whose theoretical arrival
 * time is *tat (0: new) at now: 1 and *tat moved on when the packet is within the
 * rate, 0 (and *tat unchanged) when it is not. The one definition both back ends
 * run. */
static inline int rt_gcra_step(rt_u64 *tat, rt_u64 now, rt_u64 interval, rt_u64 tolerance)
{
	rt_u64 t;

	if (*tat == 0) {
		*tat = now + interval;
		return 1;
	}
	t = *tat > now ? *tat : now;
	if (t - now > tolerance)
		return 0;
	*tat = t + interval;
	return 1;
}

#endif

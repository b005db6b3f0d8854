/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * riptide's XDP pre-filter: the program of every af_xdp input (rt_xdp.h says what it
 * drops and where the rest goes). It parses what dp_decode() parses, with the same
 * limits (two VLAN tags, eight IPv6 extension headers), and drops only datagrams
 * that dp_decode() would pass as well-formed UDP: anything it does not fully
 * recognise goes to user space, which decides and counts. Checked against the
 * software twin packet by packet (tests/unit/xdp_test.c).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rt_xdp.h"

#define ETH_HLEN      14
#define VLAN_HLEN     4
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN     40
#define UDP_HLEN      8
#define MAX_VLANS     2 /* DP_MAX_VLANS */
#define MAX_IPV6_EXT  8 /* DP_MAX_IPV6_EXT */

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, RT_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps"); /* the name DPDK's af_xdp driver looks for */

/* UDP destination ports some stream declares: 1 allowed. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_ports SEC(".maps");

/* Blocked source prefixes; the value is the prefix's hit counter slot. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RT_XDP_MAX_PREFIXES);
	__type(key, struct rt_xdp_prefix);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_XDP_MAX_PREFIXES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rt_xdp_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_XDP_N_COUNTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_counts SEC(".maps");

/* Each source's theoretical arrival time (rt_gcra_step), by 16-byte address. */
struct rt_src {
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RT_XDP_RATE_SOURCES);
	__type(key, struct rt_src);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rt_xdp_rate SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&rt_xdp_counts, &slot);

	if (v)
		*v += 1;
}

static __always_inline int drop(__u32 reason)
{
	count(reason);
	return XDP_DROP;
}

/* To the queue's AF_XDP socket: riptide's decode decides (or the kernel, when no
 * socket is bound to the queue). */
static __always_inline int to_user(struct xdp_md *ctx)
{
	int act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

	count(act == XDP_REDIRECT ? RT_XDP_REDIRECTED : RT_XDP_NO_SOCKET);
	return act;
}

/* A well-formed datagram from src to port: the pre-filter's three checks, in the
 * software twin's order. */
static __always_inline int judge(struct xdp_md *ctx, const __u8 *src, __u16 port)
{
	struct rt_xdp_prefix key = { .prefixlen = 128 };
	const struct rt_xdp_config *cfg;
	__u32 p = port, zero = 0, *slot;
	__u8 *allowed = bpf_map_lookup_elem(&rt_xdp_ports, &p);
	struct rt_src s;
	__u64 *tat, now;

	if (!allowed || !*allowed)
		return drop(RT_XDP_UNKNOWN_PORT);
	__builtin_memcpy(key.addr, src, 16);
	slot = bpf_map_lookup_elem(&rt_xdp_blocked, &key);
	if (slot) {
		__u32 k = *slot;
		__u64 *hits = bpf_map_lookup_elem(&rt_xdp_hits, &k);

		if (hits)
			*hits += 1;
		return drop(RT_XDP_BLOCKED_SOURCE);
	}
	cfg = bpf_map_lookup_elem(&rt_xdp_config, &zero);
	if (!cfg || cfg->interval_ns == 0)
		return to_user(ctx);
	__builtin_memcpy(s.addr, src, 16);
	now = bpf_ktime_get_ns();
	tat = bpf_map_lookup_elem(&rt_xdp_rate, &s);
	if (!tat) {
		__u64 t = 0;

		rt_gcra_step(&t, now, cfg->interval_ns, cfg->tolerance_ns);
		bpf_map_update_elem(&rt_xdp_rate, &s, &t, BPF_ANY);
		return to_user(ctx);
	}
	/* lock-free: two CPUs on one source may both pass a packet at the edge, as
	 * when the software twin runs on two lcores */
	if (!rt_gcra_step(tat, now, cfg->interval_ns, cfg->tolerance_ns))
		return drop(RT_XDP_RATE_LIMITED);
	return to_user(ctx);
}

/* The UDP header at off within an IP payload that ends at end. */
static __always_inline int udp(struct xdp_md *ctx, void *data, void *data_end, __u32 off, __u32 end,
			       const __u8 *src)
{
	__u8 *u = (__u8 *)data + off;
	__u16 ulen;

	if (off > 0xffff || (void *)(u + UDP_HLEN) > data_end || end < off + UDP_HLEN)
		return to_user(ctx); /* truncated */
	ulen = (__u16)(u[4] << 8 | u[5]);
	if (ulen < UDP_HLEN || ulen > end - off)
		return to_user(ctx); /* bad_udp_length */
	return judge(ctx, src, (__u16)(u[2] << 8 | u[3]));
}

static __always_inline int ipv4(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				__u32 len)
{
	__u8 *ip = (__u8 *)data + off;
	__u8 src[16];
	__u32 hlen, tot;

	if ((void *)(ip + IPV4_MIN_HLEN) > data_end)
		return to_user(ctx);
	if (ip[0] >> 4 != 4)
		return to_user(ctx);
	hlen = (__u32)(ip[0] & 0x0f) * 4;
	tot = (__u32)(ip[2] << 8 | ip[3]);
	if (hlen < IPV4_MIN_HLEN || tot < hlen || tot > len - off)
		return to_user(ctx);
	if (ip[9] != 17 || ((ip[6] << 8 | ip[7]) & 0x3fff))
		return to_user(ctx);  /* not_udp, ip_fragment */
	__builtin_memset(src, 0, 10); /* v4-mapped: ::ffff:a.b.c.d */
	src[10] = 0xff;
	src[11] = 0xff;
	__builtin_memcpy(src + 12, ip + 12, 4);
	return udp(ctx, data, data_end, off + hlen, off + tot, src);
}

static __always_inline int ipv6(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				__u32 len)
{
	__u8 *ip = (__u8 *)data + off;
	__u8 src[16];
	__u32 end, cur, plen;
	__u8 next;
	int i;

	if ((void *)(ip + IPV6_HLEN) > data_end)
		return to_user(ctx);
	if (ip[0] >> 4 != 6)
		return to_user(ctx);
	plen = (__u32)(ip[4] << 8 | ip[5]);
	end = off + IPV6_HLEN + plen;
	if (plen == 0 || end > len)
		return to_user(ctx);
	__builtin_memcpy(src, ip + 8, 16);
	next = ip[6];
	cur = off + IPV6_HLEN;
#pragma unroll
	for (i = 0; i < MAX_IPV6_EXT; i++) {
		__u8 *e;
		__u32 elen;

		if (next == 17)
			return udp(ctx, data, data_end, cur, end, src);
		/* hop-by-hop, routing, destination options, AH; a fragment header or
		 * anything else is user space's to judge */
		if (next != 0 && next != 43 && next != 60 && next != 51)
			return to_user(ctx);
		if (cur > 0xffff)
			return to_user(ctx);
		e = (__u8 *)data + cur;
		if ((void *)(e + 8) > data_end || end - cur < 8)
			return to_user(ctx);
		elen = next == 51 ? ((__u32)e[1] + 2) * 4 : ((__u32)e[1] + 1) * 8;
		if (elen > end - cur)
			return to_user(ctx);
		next = e[0];
		cur += elen;
	}
	if (next == 17)
		return udp(ctx, data, data_end, cur, end, src);
	return to_user(ctx);
}

SEC("xdp")
int riptide_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(data_end - data), off = ETH_HLEN;
	__u8 *p = data;
	__u16 type;
	int v;

	if ((void *)(p + ETH_HLEN) > data_end)
		return to_user(ctx);
	type = (__u16)(p[12] << 8 | p[13]);
#pragma unroll
	for (v = 0; v < MAX_VLANS; v++) {
		__u8 *t = p + off;

		if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
			break;
		if ((void *)(t + VLAN_HLEN) > data_end)
			return to_user(ctx);
		type = (__u16)(t[2] << 8 | t[3]);
		off += VLAN_HLEN;
	}
	if (type == 0x0800)
		return ipv4(ctx, data, data_end, off, len);
	if (type == 0x86dd)
		return ipv6(ctx, data, data_end, off, len);
	return to_user(ctx); /* not_ip, too_many_vlans */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

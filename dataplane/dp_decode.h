/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet decode: Ethernet, up to two VLAN tags, IPv4, IPv6 with extension headers,
 * UDP. Plain C over a byte buffer, with no DPDK in the interface, so that unit tests
 * and the fuzzer drive it without hugepages.
 *
 * Every frame gets exactly one verdict: a UDP datagram, filtered under a reason (a
 * well-formed packet that riptide does not want), or a decode error under a reason (a
 * packet that is broken). These are the first two terms of the conservation law of
 * INTERFACES.md: rx_packets = filtered{reason} + decode_errors{reason} + datagrams.
 */
#ifndef RIPTIDE_DP_DECODE_H
#define RIPTIDE_DP_DECODE_H

#include <stdint.h>

/* Reasons a well-formed packet is not passed on. The names are the counter names of
 * the stats and are shared with the XDP pre-filter (bpf/), which counts the same
 * reasons under xdp_dropped. Keep the order: the BPF maps index by it. */
#define DP_FILTER_REASONS(X)                \
	X(NOT_IP, "not_ip")                 \
	X(NOT_UDP, "not_udp")               \
	X(IP_FRAGMENT, "ip_fragment")       \
	X(UNKNOWN_PORT, "unknown_port")     \
	X(BLOCKED_SOURCE, "blocked_source") \
	X(RATE_LIMITED, "rate_limited")

/* Reasons a packet is broken. */
#define DP_DECODE_ERRORS(X)                 \
	X(TRUNCATED, "truncated")           \
	X(BAD_IP_VERSION, "bad_ip_version") \
	X(BAD_IP_HEADER, "bad_ip_header")   \
	X(BAD_IP_LENGTH, "bad_ip_length")   \
	X(BAD_UDP_LENGTH, "bad_udp_length") \
	X(BAD_CHECKSUM, "bad_checksum")     \
	X(TOO_MANY_VLANS, "too_many_vlans") \
	X(IPV6_EXT_CHAIN, "ipv6_ext_chain")

#define DP_ENUM_FILTER(id, name) DP_FILTER_##id,
#define DP_ENUM_DERR(id, name)	 DP_DERR_##id,
enum dp_filter_reason { DP_FILTER_REASONS(DP_ENUM_FILTER) DP_FILTER__COUNT };
enum dp_decode_error { DP_DECODE_ERRORS(DP_ENUM_DERR) DP_DERR__COUNT };
#undef DP_ENUM_FILTER
#undef DP_ENUM_DERR

/* Snake_case counter name of a reason; NULL when out of range. */
const char *dp_filter_reason_name(unsigned int reason);
const char *dp_decode_error_name(unsigned int reason);

enum dp_verdict {
	DP_DATAGRAM = 0, /* a UDP datagram: dp_l4 is filled in */
	DP_FILTERED,	 /* reason is an enum dp_filter_reason */
	DP_DECODE_ERROR, /* reason is an enum dp_decode_error */
};

/* Most VLAN tags riptide steps over (802.1Q inside 802.1ad); a deeper stack is a
 * decode error rather than a guess. */
#define DP_MAX_VLANS 2
/* Most IPv6 extension headers walked before the chain counts as an error. */
#define DP_MAX_IPV6_EXT 8

/* What decode learns of a datagram. Source addresses are kept as 16 bytes, IPv4 as
 * v4-mapped IPv6 (::ffff:a.b.c.d), so that one prefix table serves both families. */
struct dp_l4 {
	uint32_t payload_off; /* from the start of the frame */
	uint32_t payload_len; /* UDP length minus its header */
	uint16_t src_port;    /* host byte order */
	uint16_t dst_port;    /* host byte order */
	uint16_t vlan_id;     /* innermost tag's VID, 0 when untagged */
	uint8_t ip_version;   /* 4 or 6 */
	uint8_t src_addr[16];
};

/*
 * Decode one frame of len bytes at frame (len may be 0). Reads nothing outside
 * [frame, frame + len). Returns the verdict; *reason is set for DP_FILTERED and
 * DP_DECODE_ERROR, and *l4 is filled for DP_DATAGRAM only.
 *
 * Choices: bytes past the IP total length are link padding and ignored; the UDP
 * length must fit in the IP payload (bad_udp_length otherwise); any IPv4 fragment
 * (MF set or offset non-zero) and any IPv6 packet with a Fragment header is
 * ip_fragment, since riptide does not reassemble; checksums are not recomputed here
 * (the port's RX offload flags are consulted by the caller).
 */
enum dp_verdict dp_decode(const uint8_t *frame, uint32_t len, struct dp_l4 *l4, uint8_t *reason);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet decode: every verdict and reason on crafted frames, decoded from buffers of
 * their exact length so that ASan catches any read past the end. */
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_decode.h"
#include "perf/gen/gen_frame.h"
#include "unit.h"

static const uint8_t payload[] = "{\"ts\":1,\"card\":\"c1\"}";
#define PLEN ((uint32_t)(sizeof(payload) - 1))

static struct gen_addr addr4(void)
{
	struct gen_addr a = { .ip_version = 4, .sport = 40000, .dport = 9000 };

	a.src[0] = 10;
	a.src[3] = 7;
	a.dst[0] = 10;
	a.dst[3] = 1;
	return a;
}

static struct gen_addr addr6(void)
{
	struct gen_addr a = { .ip_version = 6, .sport = 40001, .dport = 9001 };

	a.src[0] = 0xfd;
	a.src[15] = 9;
	a.dst[0] = 0xfd;
	a.dst[15] = 1;
	return a;
}

/* Decodes len bytes of f from a heap copy of exactly len bytes. */
static enum dp_verdict decode(const uint8_t *f, uint32_t len, struct dp_l4 *l4, uint8_t *reason)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum dp_verdict v;

	memcpy(copy, f, len);
	v = dp_decode(copy, len, l4, reason);
	free(copy);
	return v;
}

#define ASSERT_VERDICT(f, len, verdict, why)                               \
	do {                                                               \
		struct dp_l4 l4_;                                          \
		uint8_t r_ = 0xff;                                         \
		CU_ASSERT_EQUAL(decode((f), (len), &l4_, &r_), (verdict)); \
		CU_ASSERT_EQUAL(r_, (why));                                \
	} while (0)

static void test_ipv4_udp(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = addr4();
	uint32_t len = gen_udp_frame(f, &a, payload, PLEN);
	struct dp_l4 l4;
	uint8_t reason;
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7 };

	CU_ASSERT_EQUAL_FATAL(decode(f, len, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.ip_version, 4);
	CU_ASSERT_EQUAL(l4.src_port, 40000);
	CU_ASSERT_EQUAL(l4.dst_port, 9000);
	CU_ASSERT_EQUAL(l4.payload_off, 14 + 20 + 8);
	CU_ASSERT_EQUAL(l4.payload_len, PLEN);
	CU_ASSERT_EQUAL(l4.vlan_id, 0);
	CU_ASSERT_EQUAL(memcmp(l4.src_addr, mapped, 16), 0);
	CU_ASSERT_EQUAL(memcmp(f + l4.payload_off, payload, PLEN), 0);
}

static void test_ipv6_udp(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = addr6();
	uint32_t len = gen_udp_frame(f, &a, payload, PLEN);
	struct dp_l4 l4;
	uint8_t reason;

	CU_ASSERT_EQUAL_FATAL(decode(f, len, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.ip_version, 6);
	CU_ASSERT_EQUAL(l4.dst_port, 9001);
	CU_ASSERT_EQUAL(l4.payload_off, 14 + 40 + 8);
	CU_ASSERT_EQUAL(l4.payload_len, PLEN);
	CU_ASSERT_EQUAL(memcmp(l4.src_addr, a.src, 16), 0);
}

static void test_vlan(void)
{
	uint8_t f[GEN_MAX_FRAME], q[GEN_MAX_FRAME];
	struct gen_addr a = addr4();
	struct dp_l4 l4;
	uint8_t reason;
	uint32_t len;

	a.vlan_id = 100;
	len = gen_udp_frame(f, &a, payload, PLEN);
	CU_ASSERT_EQUAL_FATAL(decode(f, len, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.vlan_id, 100);
	CU_ASSERT_EQUAL(l4.payload_off, 18 + 20 + 8);

	/* 802.1ad outer tag around the 802.1Q one */
	memcpy(q, f, 12);
	q[12] = 0x88;
	q[13] = 0xa8;
	q[14] = 0x00;
	q[15] = 0x07;
	memcpy(q + 16, f + 12, len - 12);
	CU_ASSERT_EQUAL_FATAL(decode(q, len + 4, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.vlan_id, 100);
	CU_ASSERT_EQUAL(l4.payload_len, PLEN);

	/* a third tag is refused */
	memcpy(f, q, 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0;
	f[15] = 5;
	memcpy(f + 16, q + 12, len + 4 - 12);
	ASSERT_VERDICT(f, len + 8, DP_DECODE_ERROR, DP_DERR_TOO_MANY_VLANS);
	/* a tag cut short */
	ASSERT_VERDICT(f, 16, DP_DECODE_ERROR, DP_DERR_TRUNCATED);
}

/* Every proper prefix of a valid frame is truncated, never read past. */
static void test_every_prefix_truncated(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr addrs[3] = { addr4(), addr6(), addr4() };
	uint32_t cut, len, k;

	addrs[2].vlan_id = 3;
	for (k = 0; k < 3; k++) {
		len = gen_udp_frame(f, &addrs[k], payload, PLEN);
		for (cut = 0; cut < len; cut++)
			ASSERT_VERDICT(f, cut, DP_DECODE_ERROR, DP_DERR_TRUNCATED);
	}
}

static void test_padding_ignored(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = addr4();
	uint32_t len = gen_udp_frame(f, &a, (const uint8_t *)"x", 1);
	struct dp_l4 l4;
	uint8_t reason;

	memset(f + len, 0, 60 - len); /* Ethernet minimum frame */
	CU_ASSERT_EQUAL_FATAL(decode(f, 60, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.payload_len, 1);
}

static void test_filtered(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = addr4();
	uint32_t len;

	len = gen_arp_frame(f);
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_NOT_IP);
	len = gen_tcp_frame(f, &a);
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_NOT_UDP);

	len = gen_udp_frame(f, &a, payload, PLEN);
	len = gen_make_fragment(f, len, &a, payload, PLEN);
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_IP_FRAGMENT);
	/* a later fragment: offset set, MF clear */
	f[14 + 6] = 0x00;
	f[14 + 7] = 0x10;
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_IP_FRAGMENT);

	a = addr6();
	len = gen_udp_frame(f, &a, payload, PLEN);
	len = gen_make_fragment(f, len, &a, payload, PLEN);
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_IP_FRAGMENT);

	/* ICMPv6 */
	len = gen_udp_frame(f, &a, payload, PLEN);
	f[14 + 6] = 58;
	ASSERT_VERDICT(f, len, DP_FILTERED, DP_FILTER_NOT_UDP);
}

/* IPv6 with n destination-options headers (8 bytes each) before UDP. */
static uint32_t ipv6_with_ext(uint8_t *f, unsigned int n)
{
	uint8_t inner[GEN_MAX_FRAME];
	struct gen_addr a = addr6();
	uint32_t len = gen_udp_frame(inner, &a, payload, PLEN), udp_len = len - 54, k;

	memcpy(f, inner, 54);
	for (k = 0; k < n; k++) {
		uint8_t *e = f + 54 + 8 * k;

		memset(e, 0, 8);
		e[0] = k + 1 < n ? 60 : 17;
		e[2] = 1; /* PadN option filling the header */
		e[3] = 4;
	}
	f[14 + 6] = n ? 60 : 17;
	f[14 + 4] = (uint8_t)((udp_len + 8 * n) >> 8);
	f[14 + 5] = (uint8_t)(udp_len + 8 * n);
	memcpy(f + 54 + 8 * n, inner + 54, udp_len);
	return len + 8 * n;
}

static void test_ipv6_extension_headers(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct dp_l4 l4;
	uint8_t reason;
	uint32_t len;

	len = ipv6_with_ext(f, 1);
	CU_ASSERT_EQUAL_FATAL(decode(f, len, &l4, &reason), DP_DATAGRAM);
	CU_ASSERT_EQUAL(l4.payload_off, 14 + 40 + 8 + 8);
	CU_ASSERT_EQUAL(l4.payload_len, PLEN);
	len = ipv6_with_ext(f, DP_MAX_IPV6_EXT);
	CU_ASSERT_EQUAL(decode(f, len, &l4, &reason), DP_DATAGRAM);
	len = ipv6_with_ext(f, DP_MAX_IPV6_EXT + 1);
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_IPV6_EXT_CHAIN);
	/* an extension header longer than the packet */
	len = ipv6_with_ext(f, 1);
	f[54 + 1] = 200;
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_IPV6_EXT_CHAIN);
}

static void test_broken_headers(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = addr4();
	uint32_t len = gen_udp_frame(f, &a, payload, PLEN);
	uint8_t save;

	save = f[14];
	f[14] = 0x65; /* version 6 under the IPv4 ethertype */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_VERSION);
	f[14] = 0x44; /* IHL 4 */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_HEADER);
	f[14] = 0x4f; /* IHL 15: 60 bytes of header in a packet shorter than that */
	f[16] = 0;
	f[17] = 40;
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_LENGTH);
	f[14] = save;
	len = gen_udp_frame(f, &a, payload, PLEN);
	f[16] = 0;
	f[17] = 19; /* total length below the header */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_LENGTH);

	len = gen_udp_frame(f, &a, payload, PLEN);
	f[34 + 4] = 0;
	f[34 + 5] = 7; /* UDP length below its header */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_UDP_LENGTH);
	f[34 + 5] = (uint8_t)(PLEN + 9); /* one byte past the IP payload */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_UDP_LENGTH);

	a = addr6();
	len = gen_udp_frame(f, &a, payload, PLEN);
	f[14 + 4] = 0;
	f[14 + 5] = 0; /* jumbogram announcement */
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_LENGTH);
	len = gen_udp_frame(f, &a, payload, PLEN);
	f[14] = 0x40;
	ASSERT_VERDICT(f, len, DP_DECODE_ERROR, DP_DERR_BAD_IP_VERSION);
}

static void test_reason_names(void)
{
	unsigned int i, j;

	for (i = 0; i < DP_FILTER__COUNT; i++) {
		const char *n = dp_filter_reason_name(i);

		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_EQUAL(strspn(n, "abcdefghijklmnopqrstuvwxyz_0123456789"), strlen(n));
		for (j = 0; j < DP_DERR__COUNT; j++)
			CU_ASSERT_STRING_NOT_EQUAL(n, dp_decode_error_name(j));
	}
	for (j = 0; j < DP_DERR__COUNT; j++)
		CU_ASSERT_PTR_NOT_NULL(dp_decode_error_name(j));
	CU_ASSERT_PTR_NULL(dp_filter_reason_name(DP_FILTER__COUNT));
	CU_ASSERT_PTR_NULL(dp_decode_error_name(DP_DERR__COUNT));
	CU_ASSERT_STRING_EQUAL(dp_filter_reason_name(DP_FILTER_UNKNOWN_PORT), "unknown_port");
	CU_ASSERT_STRING_EQUAL(dp_decode_error_name(DP_DERR_TRUNCATED), "truncated");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "ipv4_udp", test_ipv4_udp },
		{ "ipv6_udp", test_ipv6_udp },
		{ "vlan", test_vlan },
		{ "every_prefix_truncated", test_every_prefix_truncated },
		{ "padding_ignored", test_padding_ignored },
		{ "filtered", test_filtered },
		{ "ipv6_extension_headers", test_ipv6_extension_headers },
		{ "broken_headers", test_broken_headers },
		{ "reason_names", test_reason_names },
		{ NULL, NULL },
	};

	return unit_run("dp_decode", tests);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_decode.h"

#include <stddef.h>
#include <string.h>

#define ETH_HLEN      14
#define VLAN_HLEN     4
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN     40
#define UDP_HLEN      8

#define ETHERTYPE_IPV4	   0x0800
#define ETHERTYPE_IPV6	   0x86dd
#define ETHERTYPE_VLAN	   0x8100
#define ETHERTYPE_QINQ	   0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define IPPROTO_UDP_ 17
#define IP6_HOPOPTS  0
#define IP6_ROUTING  43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS  60
#define IP6_AH	     51

#define NAME_OF(id, name) name,
static const char *const filter_names[] = { DP_FILTER_REASONS(NAME_OF) };
static const char *const derr_names[] = { DP_DECODE_ERRORS(NAME_OF) };
#undef NAME_OF

const char *dp_filter_reason_name(unsigned int reason)
{
	return reason < DP_FILTER__COUNT ? filter_names[reason] : NULL;
}

const char *dp_decode_error_name(unsigned int reason)
{
	return reason < DP_DERR__COUNT ? derr_names[reason] : NULL;
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline enum dp_verdict filtered(uint8_t *reason, enum dp_filter_reason r)
{
	*reason = (uint8_t)r;
	return DP_FILTERED;
}

static inline enum dp_verdict broken(uint8_t *reason, enum dp_decode_error r)
{
	*reason = (uint8_t)r;
	return DP_DECODE_ERROR;
}

/* The UDP header at off, inside an IP payload that ends at end (<= len). */
static enum dp_verdict decode_udp(const uint8_t *frame, uint32_t off, uint32_t end,
				  struct dp_l4 *l4, uint8_t *reason)
{
	uint16_t ulen;

	if (end - off < UDP_HLEN)
		return broken(reason, DP_DERR_TRUNCATED);
	ulen = rd16(frame + off + 4);
	if (ulen < UDP_HLEN || ulen > end - off)
		return broken(reason, DP_DERR_BAD_UDP_LENGTH);
	l4->src_port = rd16(frame + off);
	l4->dst_port = rd16(frame + off + 2);
	l4->payload_off = off + UDP_HLEN;
	l4->payload_len = ulen - UDP_HLEN;
	return DP_DATAGRAM;
}

static enum dp_verdict decode_ipv4(const uint8_t *frame, uint32_t off, uint32_t len,
				   struct dp_l4 *l4, uint8_t *reason)
{
	const uint8_t *ip = frame + off;
	uint32_t hlen, tot;
	uint16_t frag;

	if (len - off < IPV4_MIN_HLEN)
		return broken(reason, DP_DERR_TRUNCATED);
	if (ip[0] >> 4 != 4)
		return broken(reason, DP_DERR_BAD_IP_VERSION);
	hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HLEN)
		return broken(reason, DP_DERR_BAD_IP_HEADER);
	tot = rd16(ip + 2);
	if (tot < hlen)
		return broken(reason, DP_DERR_BAD_IP_LENGTH);
	if (tot > len - off || hlen > len - off)
		return broken(reason, DP_DERR_TRUNCATED);
	if (ip[9] != IPPROTO_UDP_)
		return filtered(reason, DP_FILTER_NOT_UDP);
	frag = rd16(ip + 6);
	if (frag & 0x3fff) /* MF flag or a fragment offset */
		return filtered(reason, DP_FILTER_IP_FRAGMENT);
	l4->ip_version = 4;
	memset(l4->src_addr, 0, 10);
	l4->src_addr[10] = 0xff;
	l4->src_addr[11] = 0xff;
	memcpy(l4->src_addr + 12, ip + 12, 4);
	return decode_udp(frame, off + hlen, off + tot, l4, reason);
}

static enum dp_verdict decode_ipv6(const uint8_t *frame, uint32_t off, uint32_t len,
				   struct dp_l4 *l4, uint8_t *reason)
{
	const uint8_t *ip = frame + off;
	uint32_t end, cur;
	uint8_t next;
	int i;

	if (len - off < IPV6_HLEN)
		return broken(reason, DP_DERR_TRUNCATED);
	if (ip[0] >> 4 != 6)
		return broken(reason, DP_DERR_BAD_IP_VERSION);
	/* A payload length of 0 announces a jumbogram, which no Ethernet carries. */
	if (rd16(ip + 4) == 0)
		return broken(reason, DP_DERR_BAD_IP_LENGTH);
	end = off + IPV6_HLEN + rd16(ip + 4);
	if (end > len)
		return broken(reason, DP_DERR_TRUNCATED);
	next = ip[6];
	cur = off + IPV6_HLEN;
	for (i = 0;; i++) {
		uint32_t elen;

		if (next == IPPROTO_UDP_)
			break;
		if (next == IP6_FRAGMENT)
			return filtered(reason, DP_FILTER_IP_FRAGMENT);
		if (next != IP6_HOPOPTS && next != IP6_ROUTING && next != IP6_DSTOPTS &&
		    next != IP6_AH)
			return filtered(reason, DP_FILTER_NOT_UDP);
		if (i == DP_MAX_IPV6_EXT)
			return broken(reason, DP_DERR_IPV6_EXT_CHAIN);
		if (end - cur < 8)
			return broken(reason, DP_DERR_IPV6_EXT_CHAIN);
		/* AH counts its length in 4-byte units less 2; the others in 8-byte units
		 * not counting the first 8 bytes. */
		if (next == IP6_AH)
			elen = ((uint32_t)frame[cur + 1] + 2) * 4;
		else
			elen = ((uint32_t)frame[cur + 1] + 1) * 8;
		if (elen > end - cur)
			return broken(reason, DP_DERR_IPV6_EXT_CHAIN);
		next = frame[cur];
		cur += elen;
	}
	l4->ip_version = 6;
	memcpy(l4->src_addr, ip + 8, 16);
	return decode_udp(frame, cur, end, l4, reason);
}

enum dp_verdict dp_decode(const uint8_t *frame, uint32_t len, struct dp_l4 *l4, uint8_t *reason)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;
	int vlans = 0;

	if (len < ETH_HLEN)
		return broken(reason, DP_DERR_TRUNCATED);
	l4->vlan_id = 0;
	type = rd16(frame + 12);
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (++vlans > DP_MAX_VLANS)
			return broken(reason, DP_DERR_TOO_MANY_VLANS);
		if (len - off < VLAN_HLEN)
			return broken(reason, DP_DERR_TRUNCATED);
		l4->vlan_id = rd16(frame + off) & 0x0fff;
		type = rd16(frame + off + 2);
		off += VLAN_HLEN;
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(frame, off, len, l4, reason);
	case ETHERTYPE_IPV6:
		return decode_ipv6(frame, off, len, l4, reason);
	default:
		return filtered(reason, DP_FILTER_NOT_IP);
	}
}

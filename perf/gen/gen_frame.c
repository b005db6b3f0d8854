/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_frame.h"

#include <string.h>

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t eth(uint8_t *f, uint16_t vlan, uint16_t type)
{
	uint32_t off = 12;

	memcpy(f, mac_dst, 6);
	memcpy(f + 6, mac_src, 6);
	if (vlan) {
		wr16(f + off, 0x8100);
		wr16(f + off + 2, vlan & 0x0fff);
		off += 4;
	}
	wr16(f + off, type);
	return off + 2;
}

static void ipv4(uint8_t *ip, const struct gen_addr *a, uint8_t proto, uint16_t total)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, total);
	wr16(ip + 4, 0x1234);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, a->src, 4);
	memcpy(ip + 16, a->dst, 4);
	wr16(ip + 10, fold(sum16(ip, 20, 0)));
}

static void ipv6(uint8_t *ip, const struct gen_addr *a, uint8_t next, uint16_t plen)
{
	memset(ip, 0, 40);
	ip[0] = 0x60;
	wr16(ip + 4, plen);
	ip[6] = next;
	ip[7] = 64;
	memcpy(ip + 8, a->src, 16);
	memcpy(ip + 24, a->dst, 16);
}

/* UDP header and checksum over the pseudo-header of the family. */
static void udp(uint8_t *u, const struct gen_addr *a, const uint8_t *payload, uint32_t len)
{
	uint16_t ulen = (uint16_t)(len + 8);
	uint32_t sum;
	uint16_t ck;

	wr16(u, a->sport);
	wr16(u + 2, a->dport);
	wr16(u + 4, ulen);
	wr16(u + 6, 0);
	memcpy(u + 8, payload, len);
	if (a->ip_version == 4) {
		sum = sum16(a->src, 4, 0);
		sum = sum16(a->dst, 4, sum);
	} else {
		sum = sum16(a->src, 16, 0);
		sum = sum16(a->dst, 16, sum);
	}
	sum += 17 + ulen;
	sum = sum16(u, ulen, sum);
	ck = fold(sum);
	wr16(u + 6, ck ? ck : 0xffff);
}

uint32_t gen_udp_frame(uint8_t *frame, const struct gen_addr *a, const uint8_t *payload,
		       uint32_t len)
{
	uint32_t off, ihl = a->ip_version == 4 ? 20 : 40;

	if (len + 8 + ihl + 18 > GEN_MAX_FRAME)
		return 0;
	off = eth(frame, a->vlan_id, a->ip_version == 4 ? 0x0800 : 0x86dd);
	if (a->ip_version == 4)
		ipv4(frame + off, a, 17, (uint16_t)(20 + 8 + len));
	else
		ipv6(frame + off, a, 17, (uint16_t)(8 + len));
	udp(frame + off + ihl, a, payload, len);
	return off + ihl + 8 + len;
}

uint32_t gen_tcp_frame(uint8_t *frame, const struct gen_addr *a)
{
	uint32_t off = eth(frame, 0, 0x0800);
	uint8_t *t = frame + off + 20;

	ipv4(frame + off, a, 6, 40);
	memset(t, 0, 20);
	wr16(t, a->sport);
	wr16(t + 2, a->dport);
	t[12] = 0x50;
	t[13] = 0x02; /* SYN */
	wr16(t + 14, 65535);
	return off + 40;
}

uint32_t gen_arp_frame(uint8_t *frame)
{
	uint32_t off = eth(frame, 0, 0x0806);

	memset(frame + off, 0, 28);
	wr16(frame + off, 1);
	wr16(frame + off + 2, 0x0800);
	frame[off + 4] = 6;
	frame[off + 5] = 4;
	wr16(frame + off + 6, 1);
	memset(frame + off + 28, 0, 60 - (off + 28)); /* padding to the Ethernet minimum */
	return 60;
}

uint32_t gen_make_fragment(uint8_t *frame, uint32_t len, const struct gen_addr *a,
			   const uint8_t *payload, uint32_t plen)
{
	uint32_t off = a->vlan_id ? 18 : 14;
	uint8_t *ip = frame + off;

	if (a->ip_version == 4) {
		ip[6] = 0x20; /* MF, offset 0 */
		ip[7] = 0;
		wr16(ip + 10, 0);
		wr16(ip + 10, fold(sum16(ip, 20, 0)));
		return len;
	}
	/* IPv6: Fragment header (8 bytes) between the fixed header and UDP. */
	ipv6(ip, a, 44, (uint16_t)(8 + 8 + plen));
	memset(ip + 40, 0, 8);
	ip[40] = 17;
	ip[43] = 1; /* M flag */
	udp(ip + 48, a, payload, plen);
	return off + 48 + 8 + plen;
}

int gen_pcap_header(FILE *f)
{
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	return fwrite(hdr, sizeof(hdr), 1, f) == 1 ? 0 : -1;
}

int gen_pcap_packet(FILE *f, uint64_t ts_us, const uint8_t *frame, uint32_t len)
{
	const uint32_t rec[4] = { (uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), len,
				  len };

	if (fwrite(rec, sizeof(rec), 1, f) != 1 || fwrite(frame, 1, len, f) != len)
		return -1;
	return 0;
}

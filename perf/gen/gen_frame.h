/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames for tests and benchmarks: Ethernet (optionally VLAN-tagged) + IPv4 or IPv6 +
 * UDP around a payload, with correct lengths and checksums, and the broken or
 * unwanted variants that riptide's decoder must sort into its buckets. Plus a
 * minimal pcap writer. Plain C: tests link it too.
 */
#ifndef RIPTIDE_GEN_FRAME_H
#define RIPTIDE_GEN_FRAME_H

#include <stdint.h>
#include <stdio.h>

#define GEN_MAX_FRAME 9216

struct gen_addr {
	uint8_t ip_version; /* 4 or 6 */
	uint16_t vlan_id;   /* 0: untagged */
	uint8_t src[16];    /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

/* Ethernet + IP + UDP around len bytes of payload into frame (GEN_MAX_FRAME bytes).
 * Returns the frame length, or 0 when it does not fit. */
uint32_t gen_udp_frame(uint8_t *frame, const struct gen_addr *a, const uint8_t *payload,
		       uint32_t len);

/* An IPv4 TCP SYN from a to its port. Returns the frame length. */
uint32_t gen_tcp_frame(uint8_t *frame, const struct gen_addr *a);

/* An ARP request. Returns the frame length. */
uint32_t gen_arp_frame(uint8_t *frame);

/* Marks the IPv4 UDP frame made by gen_udp_frame as a first fragment (MF set), or for
 * IPv6 rebuilds it with a Fragment header. Returns the new length. */
uint32_t gen_make_fragment(uint8_t *frame, uint32_t len, const struct gen_addr *a,
			   const uint8_t *payload, uint32_t plen);

/* pcap (microsecond, Ethernet) writer. */
int gen_pcap_header(FILE *f);
int gen_pcap_packet(FILE *f, uint64_t ts_us, const uint8_t *frame, uint32_t len);

#endif

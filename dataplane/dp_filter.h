/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software twin of the XDP pre-filter, for ports without XDP (pci, pcap, memif,
 * af_packet): after the port allow-list, a source-prefix block list and a per-source
 * packet-rate limit, with the reasons blocked_source and rate_limited of the BPF
 * side. Plain C without DPDK. Addresses are 16 bytes, IPv4 as v4-mapped IPv6
 * (::ffff:a.b.c.d), as dp_decode() gives them.
 */
#ifndef RIPTIDE_DP_FILTER_H
#define RIPTIDE_DP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_prefix {
	uint8_t addr[16]; /* host bits zero */
	uint8_t len;	  /* 0..128; an IPv4 /n is 96 + n */
};

/* "10.0.0.0/8", "2001:db8::/32", or an address alone (/32, /128). Host bits are
 * cleared. Returns 0, or -EINVAL with a message in err. */
int dp_prefix_parse(const char *s, struct dp_prefix *p, char *err, size_t errlen);

/* The prefix as text (IPv4 ones in dotted form). */
void dp_prefix_format(const struct dp_prefix *p, char *buf, size_t len);

/* An immutable set of blocked prefixes, looked up longest first. */
struct dp_blocklist;

/* Returns NULL and sets errno on allocation failure. n may be 0. */
struct dp_blocklist *dp_blocklist_new(const struct dp_prefix *v, size_t n);
void dp_blocklist_free(struct dp_blocklist *b);
/* true when addr lies in a blocked prefix. b may be NULL (nothing blocked). */
bool dp_blocklist_match(const struct dp_blocklist *b, const uint8_t addr[16]);
/* The same, saying which: the index (in the list given to dp_blocklist_new()) of the
 * longest prefix that holds addr, or -1. */
int dp_blocklist_lookup(const struct dp_blocklist *b, const uint8_t addr[16]);

/*
 * Per-source rate limit: a token bucket per source address, kept as the generic cell
 * rate algorithm's one timestamp (the theoretical arrival time) per source. One per
 * lcore, written by it alone. A table of slots in 4-way buckets; when a bucket is full
 * the source seen longest ago gives its slot to the new one (which starts with a full
 * bucket): under more sources than slots the limit errs towards letting packets in.
 */
struct dp_rl_entry {
	uint64_t k0, k1; /* the address */
	uint64_t tat;	 /* 0: free */
	uint64_t pad;
};

struct dp_ratelimit {
	uint64_t interval_ns;  /* 1e9 / pps; 0: no limit */
	uint64_t tolerance_ns; /* (burst - 1) * interval */
	uint32_t mask;	       /* buckets - 1 */
	struct dp_rl_entry *slots;
};

#define DP_RL_WAYS 4

/* pps 0: no limit. burst: packets a source may send at once (0: pps). slots: a power
 * of two, at least DP_RL_WAYS. Returns 0 or -errno. */
int dp_ratelimit_init(struct dp_ratelimit *rl, uint64_t pps, uint64_t burst, uint32_t slots);
/* The limit's parameters for pps and burst, as both back ends run it (rt_xdp.h's
 * rt_gcra_step): a packet every interval, bursts up to tolerance ahead. */
void dp_ratelimit_params(uint64_t pps, uint64_t burst, uint64_t *interval_ns,
			 uint64_t *tolerance_ns);
/* A new limit (pps 0: off) for the sources that follow; the table stays. */
void dp_ratelimit_set(struct dp_ratelimit *rl, uint64_t pps, uint64_t burst);
void dp_ratelimit_fini(struct dp_ratelimit *rl);

/* true when a packet from addr at time now_ns is within its source's rate. */
bool dp_ratelimit_allow(struct dp_ratelimit *rl, const uint8_t addr[16], uint64_t now_ns);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP pre-filter in the kernel (BPF_PROG_TEST_RUN) beside its software twin, on
 * one description (a rule set's ports, a block list, a rate limit) given to both:
 * crafted packets with the verdict each must get (short, truncated at every length,
 * VLAN stacks, IPv6 extension chains, fragments, every drop reason, the rate limit),
 * then a differential run over generated and mangled packets where the two must
 * agree on each one, and on every prefix's hits. Needs CAP_BPF (root): skipped
 * (exit 77) without it.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/dp_ingest.h"
#include "dataplane/dp_xdp.h"
#include "perf/gen/gen_frame.h"
#include "unit.h"

static const char rules[] = "CREATE STREAM a (card STRING) WITH (format = 'json', port = 9000);\n"
			    "CREATE STREAM b (card STRING) WITH (format = 'csv', port = 9001);\n";
static const char *const blocked_text[] = { "10.0.1.0/24", "10.0.2.7", "fd00::100/120",
					    "fd00:1::/32" };
#define N_BLOCKED 4

static struct rt_xdp *x;
static struct pat_ruleset *rs;
static struct dp_pipeline pl;
static struct sink_topics topics;
static struct dp_counters c;
static struct dp_ingest in;
static volatile bool quit;
static struct dp_prefix blocked[N_BLOCKED];
static uint64_t twin_hits[N_BLOCKED];

enum { USER = 0, DROP = 1 };

struct verdict {
	int kind;	/* USER: to user space (XDP_PASS with no socket bound), DROP */
	uint8_t reason; /* of a drop: enum dp_filter_reason */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One description into both back ends. */
static void configure(uint64_t pps, uint64_t burst)
{
	static uint8_t allowed[65536];

	memset(allowed, 0, sizeof(allowed));
	dp_xdp_ports_of(rs, allowed);
	CU_ASSERT_FATAL(rt_xdp_set_ports(x, allowed) == 0);
	CU_ASSERT_FATAL(dp_xdp_set_filter(x, blocked, N_BLOCKED, pps, burst) == 0);
	CU_ASSERT_FATAL(rt_xdp_clear_rate(x) == 0);
	dp_ratelimit_fini(&in.rl);
	CU_ASSERT_FATAL(dp_ratelimit_init(&in.rl, pps, burst, 4096) == 0);
}

static struct verdict twin(const uint8_t *f, uint32_t len)
{
	struct verdict v = { USER, 0 };
	struct dp_l4 l4;
	uint8_t reason;
	int r;

	if (dp_decode(f, len, &l4, &reason) == DP_DATAGRAM) {
		struct dp_origin o = { .src_addr = l4.src_addr,
				       .dst_port = l4.dst_port,
				       .now_ns = mono_ns() };

		r = dp_ingest_prefilter(&in, &o);
		if (r >= 0) {
			v.kind = DROP;
			v.reason = (uint8_t)r;
		}
	}
	return v;
}

static struct verdict xdp(const uint8_t *f, uint32_t len)
{
	uint64_t before[RT_XDP_N_COUNTS], after[RT_XDP_N_COUNTS];
	struct verdict v = { USER, 0 };
	uint32_t action = 0, k;

	CU_ASSERT_FATAL(rt_xdp_counts(x, before) == 0);
	CU_ASSERT_FATAL(rt_xdp_test_run(x, f, len, 1, &action, NULL) == 0);
	CU_ASSERT_FATAL(rt_xdp_counts(x, after) == 0);
	CU_ASSERT(action == XDP_PASS || action == XDP_DROP);
	if (action == XDP_DROP) {
		v.kind = DROP;
		for (k = 0; k < RT_XDP_N_COUNTS; k++)
			if (after[k] != before[k])
				v.reason = (uint8_t)k;
	} else {
		CU_ASSERT_EQUAL(after[RT_XDP_NO_SOCKET], before[RT_XDP_NO_SOCKET] + 1);
	}
	return v;
}

static unsigned int disagreements;

/* Both back ends on f; they must agree, and give want when want.kind >= 0. */
static void judge(const uint8_t *f, uint32_t len, struct verdict want, const char *what)
{
	struct verdict s = twin(f, len), k = xdp(f, len);

	if (s.kind != k.kind || (s.kind == DROP && s.reason != k.reason)) {
		if (disagreements++ < 10)
			fprintf(stderr, "\n  %s (%u bytes): twin %d/%u, XDP %d/%u", what, len,
				s.kind, s.reason, k.kind, k.reason);
		CU_FAIL("the twin and the XDP program disagree");
	}
	if (want.kind >= 0 &&
	    (k.kind != want.kind || (want.kind == DROP && k.reason != want.reason))) {
		fprintf(stderr, "\n  %s: got %d/%u, want %d/%u", what, k.kind, k.reason, want.kind,
			want.reason);
		CU_FAIL("unexpected verdict");
	}
}

static const struct verdict to_user = { USER, 0 };

static struct verdict dropped(uint8_t reason)
{
	struct verdict v = { DROP, reason };

	return v;
}

static const uint8_t payload[] = "{\"card\":\"c1\"}";
#define PLEN ((uint32_t)(sizeof(payload) - 1))

static struct gen_addr v4(uint8_t b2, uint8_t b3, uint16_t dport)
{
	struct gen_addr a = { .ip_version = 4, .sport = 40000, .dport = dport };

	a.src[0] = 10;
	a.src[2] = b2;
	a.src[3] = b3;
	a.dst[0] = 10;
	a.dst[3] = 1;
	return a;
}

static struct gen_addr v6(uint16_t w1, uint16_t last, uint16_t dport)
{
	struct gen_addr a = { .ip_version = 6, .sport = 40001, .dport = dport };

	a.src[0] = 0xfd;
	a.src[2] = (uint8_t)(w1 >> 8);
	a.src[3] = (uint8_t)w1;
	a.src[14] = (uint8_t)(last >> 8);
	a.src[15] = (uint8_t)last;
	a.dst[0] = 0xfd;
	a.dst[15] = 1;
	return a;
}

/* An IPv6 UDP frame with n extension headers (hop-by-hop first, then destination
 * options, routing and AH in turn) of 8 bytes each (AH: 12). */
static uint32_t v6_ext(uint8_t *f, const struct gen_addr *a, unsigned int n)
{
	static const uint8_t kinds[] = { 60, 43, 51 };
	uint8_t plain[GEN_MAX_FRAME];
	uint32_t len = gen_udp_frame(plain, a, payload, PLEN), off = 54, k, ext = 0;
	uint8_t next = 17;

	/* built back to front: each header names the one after it */
	for (k = n; k-- > 0;) {
		uint8_t kind = k == 0 ? 0 : kinds[(k - 1) % 3];
		uint32_t elen = kind == 51 ? 12 : 8;

		memmove(plain + off + elen, plain + off, len - off);
		memset(plain + off, 0, elen);
		plain[off] = next;
		plain[off + 1] = kind == 51 ? 1 : 0;
		next = kind;
		len += elen;
		ext += elen;
	}
	plain[14 + 6] = next;
	plain[14 + 4] = (uint8_t)((PLEN + 8 + ext) >> 8);
	plain[14 + 5] = (uint8_t)(PLEN + 8 + ext);
	memcpy(f, plain, len);
	return len;
}

static void test_crafted(void)
{
	uint8_t f[GEN_MAX_FRAME], g[GEN_MAX_FRAME];
	struct gen_addr a;
	uint32_t len, l;
	unsigned int n;

	const struct {
		struct gen_addr a;
		struct verdict want;
		const char *what;
	} plain[] = {
		{ v4(0, 9, 9000), to_user, "IPv4 datagram" },
		{ v4(0, 9, 9001), to_user, "IPv4 to the second stream" },
		{ v4(0, 9, 9002), dropped(DP_FILTER_UNKNOWN_PORT), "unknown port" },
		{ v4(1, 200, 9000), dropped(DP_FILTER_BLOCKED_SOURCE),
		  "IPv4 source in 10.0.1.0/24" },
		{ v4(2, 7, 9000), dropped(DP_FILTER_BLOCKED_SOURCE), "IPv4 host 10.0.2.7" },
		{ v4(2, 8, 9000), to_user, "IPv4 next to a blocked host" },
		{ v4(1, 200, 9002), dropped(DP_FILTER_UNKNOWN_PORT),
		  "blocked source, unknown port: the port first" },
		{ v6(0, 0x105, 9000), dropped(DP_FILTER_BLOCKED_SOURCE),
		  "IPv6 source in fd00::100/120" },
		{ v6(1, 5, 9001), dropped(DP_FILTER_BLOCKED_SOURCE), "IPv6 source in fd00:1::/32" },
		{ v6(2, 5, 9001), to_user, "IPv6 datagram" },
	};

	configure(0, 0);
	for (n = 0; n < sizeof(plain) / sizeof(plain[0]); n++)
		judge(f, gen_udp_frame(f, &plain[n].a, payload, PLEN), plain[n].want,
		      plain[n].what);

	/* VLAN: one tag, two (802.1ad around 802.1Q), three (user space: too many) */
	a = v4(1, 1, 9000);
	a.vlan_id = 100;
	len = gen_udp_frame(f, &a, payload, PLEN);
	judge(f, len, dropped(DP_FILTER_BLOCKED_SOURCE), "one VLAN tag");
	for (n = 2; n <= 3; n++) {
		memcpy(g, f, 12);
		for (l = 0; l < n - 1; l++) {
			g[12 + 4 * l] = 0x88;
			g[13 + 4 * l] = 0xa8;
			g[14 + 4 * l] = 0;
			g[15 + 4 * l] = (uint8_t)(l + 1);
		}
		memcpy(g + 12 + 4 * (n - 1), f + 12, len - 12);
		judge(g, len + 4 * (n - 1), n == 2 ? dropped(DP_FILTER_BLOCKED_SOURCE) : to_user,
		      n == 2 ? "two VLAN tags" : "three VLAN tags");
	}

	/* IPv6 extension chains: walked up to eight headers, as dp_decode() does */
	a = v6(0, 0x101, 9000);
	for (n = 0; n <= 9; n++) {
		char what[64];

		snprintf(what, sizeof(what), "IPv6, %u extension header(s)", n);
		judge(f, v6_ext(f, &a, n), n <= 8 ? dropped(DP_FILTER_BLOCKED_SOURCE) : to_user,
		      what);
	}

	/* fragments, other protocols, not IP: user space judges (and counts) them */
	a = v4(1, 1, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	judge(f, gen_make_fragment(f, len, &a, payload, PLEN), to_user, "IPv4 first fragment");
	a = v6(0, 0x101, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	judge(f, gen_make_fragment(f, len, &a, payload, PLEN), to_user, "IPv6 fragment");
	a = v4(1, 1, 9000);
	judge(f, gen_tcp_frame(f, &a), to_user, "TCP from a blocked source");
	judge(f, gen_arp_frame(f), to_user, "ARP");

	/* every truncation of a datagram that the filter would drop: user space's
	 * (truncated, bad lengths) until the whole frame is there; a frame under 14
	 * bytes cannot be run (the kernel refuses it), and is truncated for the twin */
	a = v4(1, 1, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	for (l = 14; l <= len; l++)
		judge(f, l, l == len ? dropped(DP_FILTER_BLOCKED_SOURCE) : to_user, "IPv4 cut");
	a = v6(0, 0x101, 9000);
	len = v6_ext(f, &a, 3);
	for (l = 14; l <= len; l++)
		judge(f, l, l == len ? dropped(DP_FILTER_BLOCKED_SOURCE) : to_user, "IPv6 cut");
	{
		uint32_t action;

		CU_ASSERT_EQUAL(rt_xdp_test_run(x, f, 13, 1, &action, NULL), -EINVAL);
	}
	/* link padding after the IP packet is ignored; a UDP length past it is not */
	a = v4(1, 1, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	memset(f + len, 0, 20);
	judge(f, len + 20, dropped(DP_FILTER_BLOCKED_SOURCE), "padded");
	f[14 + 20 + 5] += 1;
	judge(f, len, to_user, "UDP length past the IP packet");
	CU_ASSERT_EQUAL(disagreements, 0);
}

static void test_rate_limit(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = v4(3, 3, 9000), b = v4(3, 4, 9000);
	uint32_t len, lb;
	uint8_t g[GEN_MAX_FRAME];
	int k;

	/* one packet a second, bursts of three: a source's fourth at once is over */
	configure(1, 3);
	len = gen_udp_frame(f, &a, payload, PLEN);
	lb = gen_udp_frame(g, &b, payload, PLEN);
	for (k = 0; k < 3; k++)
		judge(f, len, to_user, "within the burst");
	judge(f, len, dropped(DP_FILTER_RATE_LIMITED), "over the rate");
	judge(g, lb, to_user, "another source has its own bucket");
	judge(f, len, dropped(DP_FILTER_RATE_LIMITED), "still over");
	/* blocked before rate limited */
	a = v4(1, 1, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	for (k = 0; k < 5; k++)
		judge(f, len, dropped(DP_FILTER_BLOCKED_SOURCE), "blocked, whatever the rate");
	/* off again: everything passes */
	configure(0, 0);
	a = v4(3, 3, 9000);
	len = gen_udp_frame(f, &a, payload, PLEN);
	for (k = 0; k < 5; k++)
		judge(f, len, to_user, "no limit");
	CU_ASSERT_EQUAL(disagreements, 0);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t below)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % below);
}

/* A random frame: family, tags, extension headers, fragment, protocol, source (a
 * third blocked), port (a third unknown), then maybe cut short or a header byte
 * changed at random. */
static uint32_t random_frame(uint8_t *f)
{
	static const uint16_t ports[] = { 9000, 9001, 9002, 53 };
	uint16_t port = ports[rnd(4)];
	struct gen_addr a;
	uint32_t len, k;

	if (rnd(2)) {
		a = v4(rnd(3) == 0 ? 1 : (uint8_t)(4 + rnd(8)), (uint8_t)rnd(16), port);
		a.vlan_id = rnd(4) == 0 ? (uint16_t)(1 + rnd(4000)) : 0;
		len = rnd(10) == 0 ? gen_tcp_frame(f, &a) : gen_udp_frame(f, &a, payload, PLEN);
	} else {
		a = v6(rnd(3) == 0 ? 1 : (uint16_t)(2 + rnd(4)), (uint16_t)rnd(16), port);
		len = v6_ext(f, &a, rnd(3) == 0 ? rnd(10) : 0);
	}
	if (rnd(20) == 0)
		len = gen_make_fragment(f, len, &a, payload, PLEN);
	if (rnd(5) == 0)
		len = 14 + rnd(len - 13);
	for (k = rnd(3); k > 0; k--)
		f[rnd(len < 80 ? len : 80)] = (uint8_t)rnd(256);
	return len;
}

static void test_differential(void)
{
	uint8_t f[GEN_MAX_FRAME];
	uint64_t t0 = mono_ns(), xdp_hits0[N_BLOCKED];
	unsigned int k;

	/* a limit that bites within the run: 1 packet/s, bursts of 100, per source */
	configure(1, 100);
	memset(twin_hits, 0, sizeof(twin_hits));
	for (k = 0; k < N_BLOCKED; k++)
		xdp_hits0[k] = dp_xdp_prefix_hits(x, &blocked[k]);
	for (k = 0; k < 20000; k++) {
		uint32_t len = random_frame(f);

		judge(f, len, (struct verdict){ -1, 0 }, "generated");
	}
	CU_ASSERT_EQUAL(disagreements, 0);
	for (k = 0; k < N_BLOCKED; k++)
		CU_ASSERT_EQUAL(dp_xdp_prefix_hits(x, &blocked[k]) - xdp_hits0[k], twin_hits[k]);
	{
		uint64_t cnt[RT_XDP_N_COUNTS];

		CU_ASSERT_FATAL(rt_xdp_counts(x, cnt) == 0);
		/* every reason came up */
		CU_ASSERT(cnt[RT_XDP_UNKNOWN_PORT] > 0 && cnt[RT_XDP_BLOCKED_SOURCE] > 0 &&
			  cnt[RT_XDP_RATE_LIMITED] > 0);
	}
	/* the limit assumed the run took under a second (one token a second) */
	CU_ASSERT(mono_ns() - t0 < 1000000000u);
}

/* A prefix listed before and after a change keeps its hits; one removed and added
 * again starts from 0. */
static void test_hits_kept(void)
{
	uint8_t f[GEN_MAX_FRAME];
	struct gen_addr a = v4(1, 1, 9000);
	uint32_t len = gen_udp_frame(f, &a, payload, PLEN);
	uint64_t h;

	configure(0, 0);
	judge(f, len, dropped(DP_FILTER_BLOCKED_SOURCE), "hit");
	h = dp_xdp_prefix_hits(x, &blocked[0]);
	CU_ASSERT(h > 0);
	CU_ASSERT_FATAL(dp_xdp_set_filter(x, blocked, 2, 0, 0) == 0);
	CU_ASSERT_EQUAL(dp_xdp_prefix_hits(x, &blocked[0]), h);
	CU_ASSERT_FATAL(dp_xdp_set_filter(x, blocked + 1, 1, 0, 0) == 0);
	CU_ASSERT_EQUAL(dp_xdp_prefix_hits(x, &blocked[0]), 0);
	CU_ASSERT_EQUAL(xdp(f, len).kind, USER); /* unblocked (the twin's list stays) */
	CU_ASSERT_FATAL(dp_xdp_set_filter(x, blocked, N_BLOCKED, 0, 0) == 0);
	CU_ASSERT_EQUAL(dp_xdp_prefix_hits(x, &blocked[0]), 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "crafted packets, each reason", test_crafted },
		{ "rate limit", test_rate_limit },
		{ "differential: 20,000 generated packets", test_differential },
		{ "prefix hits across changes", test_hits_kept },
		{ NULL, NULL },
	};
	struct pat_diags d = { 0 };
	char err[512];
	unsigned int k;
	int rc = rt_xdp_open(&x, false, err, sizeof(err));

	if (rc == -EPERM || rc == -EACCES) {
		printf("xdp: skipped, BPF needs root (%s)\n", err);
		return 77;
	}
	if (rc != 0) {
		fprintf(stderr, "xdp: %s\n", err);
		return 1;
	}
	if (pat_compile("t.rql", rules, strlen(rules), &rs, &d) != 0 ||
	    dp_pipeline_init(&pl, rs, &topics, NULL) != 0 ||
	    dp_ingest_init(&in, &pl, &c, NULL, &quit) != 0)
		return 1;
	for (k = 0; k < N_BLOCKED; k++)
		if (dp_prefix_parse(blocked_text[k], &blocked[k], err, sizeof(err)) != 0)
			return 1;
	in.blocked = dp_blocklist_new(blocked, N_BLOCKED);
	in.hits = twin_hits;
	rc = unit_run("xdp", tests);
	dp_blocklist_free((struct dp_blocklist *)(uintptr_t)in.blocked);
	in.blocked = NULL;
	in.hits = NULL;
	dp_ingest_fini(&in);
	dp_pipeline_fini(&pl);
	pat_ruleset_free(rs);
	sink_topics_free(&topics);
	rt_xdp_close(x);
	return rc;
}

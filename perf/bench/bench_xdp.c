/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP pre-filter's cost per packet in the kernel: BPF_PROG_TEST_RUN's mean time
 * over N repeats of one frame, for each path through the program (to the socket,
 * dropped for an unknown port, for a blocked source among P prefixes, over the rate,
 * an IPv6 datagram behind three extension headers), beside a reference program that
 * returns XDP_PASS at once, timed the same way in the same run. Needs CAP_BPF.
 *
 *   riptide-bench-xdp [--repeat N] [--prefixes P]
 *
 * One JSON object per line: {"path", "ns", "reference_ns", "prefixes"}.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/rt_xdp_load.h"
#include "perf/gen/gen_frame.h"

static const uint8_t payload[150] = "{\"ts\":1767225600000,\"card\":\"4000123412341234\"}";

/* r0 = XDP_PASS; exit */
static int reference_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "rt_bench_ref", "GPL", insns, 2, NULL);
}

static uint32_t ref_ns(int fd, const uint8_t *f, uint32_t len, uint32_t repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len, .repeat = repeat);

	return bpf_prog_test_run_opts(fd, &o) == 0 ? o.duration : 0;
}

static struct gen_addr addr(int v6, uint8_t last, uint16_t dport)
{
	struct gen_addr a = { .ip_version = (uint8_t)(v6 ? 6 : 4), .sport = 40000, .dport = dport };

	if (v6) {
		a.src[0] = a.dst[0] = 0xfd;
		a.src[15] = last;
		a.dst[15] = 1;
	} else {
		a.src[0] = a.dst[0] = 192;
		a.src[1] = a.dst[1] = 168;
		a.src[3] = last;
		a.dst[3] = 1;
	}
	return a;
}

/* An IPv6 frame with three 8-byte destination-options headers before UDP. */
static uint32_t v6_ext3(uint8_t *f, const struct gen_addr *a)
{
	uint32_t len = gen_udp_frame(f, a, payload, sizeof(payload)), k;

	memmove(f + 54 + 24, f + 54, len - 54);
	for (k = 0; k < 3; k++) {
		memset(f + 54 + 8 * k, 0, 8);
		f[54 + 8 * k] = k == 2 ? 17 : 60;
	}
	f[14 + 6] = 60;
	f[14 + 4] = (uint8_t)((sizeof(payload) + 8 + 24) >> 8);
	f[14 + 5] = (uint8_t)(sizeof(payload) + 8 + 24);
	return len + 24;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "repeat", required_argument, NULL, 'r' },
					      { "prefixes", required_argument, NULL, 'p' },
					      { NULL, 0, NULL, 0 } };
	static uint8_t allowed[65536];
	uint32_t repeat = 1000000, n_prefixes = 1000, k;
	struct rt_xdp_prefix *pre;
	struct rt_xdp *x;
	char err[512];
	int c, ref;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			repeat = (uint32_t)strtoul(optarg, NULL, 10);
		else if (c == 'p')
			n_prefixes = (uint32_t)strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (n_prefixes < 1 || n_prefixes > RT_XDP_MAX_PREFIXES) {
		fprintf(stderr, "riptide-bench-xdp: --prefixes 1..%d\n", RT_XDP_MAX_PREFIXES);
		return 2;
	}
	if (rt_xdp_open(&x, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "riptide-bench-xdp: %s\n", err);
		return 1;
	}
	ref = reference_prog();
	if (ref < 0) {
		fprintf(stderr, "riptide-bench-xdp: reference program: %s\n", strerror(errno));
		return 1;
	}
	allowed[9000] = 1;
	/* P prefixes: 192.168.0.0/24 (the blocked source's), the rest /24s in 10/8 */
	pre = calloc(n_prefixes, sizeof(*pre));
	if (pre == NULL || rt_xdp_set_ports(x, allowed) != 0)
		return 1;
	for (k = 0; k < n_prefixes; k++) {
		pre[k].prefixlen = 96 + 24;
		pre[k].addr[10] = pre[k].addr[11] = 0xff;
		pre[k].addr[12] = k == 0 ? 192 : 10;
		pre[k].addr[13] = k == 0 ? 168 : (uint8_t)(k >> 8);
		pre[k].addr[14] = k == 0 ? 0 : (uint8_t)k;
	}
	if (rt_xdp_set_blocked(x, pre, n_prefixes) != 0)
		return 1;
	{
		/* 192.168.0.0/24 is blocked; rate: 0 off, 1 one packet a second with no
		 * burst (every run after the first is over), 2 a limit no run reaches */
		static const struct {
			const char *path;
			int v6, ext3;
			uint8_t net, src;
			uint16_t port;
			int rate;
		} cases[] = {
			{ "to_socket_ipv4", 0, 0, 1, 0, 9000, 0 },
			{ "unknown_port", 0, 0, 0, 0, 9001, 0 },
			{ "blocked_source", 0, 0, 0, 0, 9000, 0 },
			{ "rate_limited", 1, 0, 0, 7, 9000, 1 },
			{ "to_socket_ipv6_rate_on", 1, 0, 0, 8, 9000, 2 },
			{ "to_socket_ipv6_3_ext", 1, 1, 0, 9, 9000, 0 },
		};
		static const uint64_t interval[] = { 0, 1000000000u, 1 };
		uint8_t f[GEN_MAX_FRAME];

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			struct gen_addr a = addr(cases[k].v6, cases[k].src, cases[k].port);
			uint32_t len, action, ns = 0;

			if (!cases[k].v6)
				a.src[2] = cases[k].net;
			len = cases[k].ext3 ? v6_ext3(f, &a)
					    : gen_udp_frame(f, &a, payload, sizeof(payload));
			rt_xdp_set_rate(x, interval[cases[k].rate], 0);
			rt_xdp_clear_rate(x);
			if (rt_xdp_test_run(x, f, len, repeat, &action, &ns) != 0) {
				fprintf(stderr, "riptide-bench-xdp: test run: %s\n",
					strerror(errno));
				return 1;
			}
			printf("{\"path\":\"%s\",\"action\":\"%s\",\"ns\":%u,\"reference_ns\":%u,"
			       "\"prefixes\":%u,\"repeat\":%u}\n",
			       cases[k].path, action == XDP_DROP ? "drop" : "pass", ns,
			       ref_ns(ref, f, len, repeat), n_prefixes, repeat);
		}
	}
	close(ref);
	free(pre);
	rt_xdp_close(x);
	return 0;
}

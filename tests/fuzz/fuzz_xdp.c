/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer, differential: any frame through riptide's XDP program in the kernel
 * (BPF_PROG_TEST_RUN) and through the software twin (dp_decode, then the port
 * allow-list and the block list in the pre-filter's order); they must agree on the
 * verdict (to user space, or dropped under the same reason). The rate limit, which
 * depends on time, is left to the unit test. Needs CAP_BPF (root): without it the
 * target says so and runs nothing.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/rt_xdp_load.h"
#include "dataplane/dp_decode.h"
#include "dataplane/dp_filter.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rt_xdp *x;
static struct dp_blocklist *bl;
static uint8_t allowed[65536];
static const char *const blocked_text[] = { "10.0.0.0/25", "192.168.7.7", "fd00::/120",
					    "2001:db8::/32", "0.0.0.0/32" };
#define N_BLOCKED 5

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rt_xdp_prefix b[N_BLOCKED];
	struct dp_prefix p[N_BLOCKED];
	char err[512];
	unsigned int k;

	(void)argc;
	(void)argv;
	if (rt_xdp_open(&x, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_xdp: %s: nothing to fuzz without BPF\n", err);
		x = NULL;
		return 0;
	}
	for (k = 0; k < N_BLOCKED; k++) {
		if (dp_prefix_parse(blocked_text[k], &p[k], err, sizeof(err)) != 0)
			abort();
		b[k].prefixlen = p[k].len;
		memcpy(b[k].addr, p[k].addr, 16);
	}
	bl = dp_blocklist_new(p, N_BLOCKED);
	allowed[9000] = allowed[0] = allowed[65535] = 1;
	if (bl == NULL || rt_xdp_set_ports(x, allowed) != 0 ||
	    rt_xdp_set_blocked(x, b, N_BLOCKED) != 0 || rt_xdp_set_rate(x, 0, 0) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t before[RT_XDP_N_COUNTS], after[RT_XDP_N_COUNTS];
	int twin = -1, drop = -1;
	uint32_t action, k;
	struct dp_l4 l4;
	uint8_t reason;

	if (x == NULL || size < 14 || size > 4096)
		return 0; /* the kernel runs frames of 14 bytes on */
	if (dp_decode(data, (uint32_t)size, &l4, &reason) == DP_DATAGRAM) {
		if (!allowed[l4.dst_port])
			twin = DP_FILTER_UNKNOWN_PORT;
		else if (dp_blocklist_match(bl, l4.src_addr))
			twin = DP_FILTER_BLOCKED_SOURCE;
	}
	if (rt_xdp_counts(x, before) != 0 ||
	    rt_xdp_test_run(x, data, (uint32_t)size, 1, &action, NULL) != 0 ||
	    rt_xdp_counts(x, after) != 0)
		abort();
	if (action == XDP_DROP)
		for (k = 0; k < RT_XDP_N_COUNTS; k++)
			if (after[k] != before[k])
				drop = (int)k;
	if (action != XDP_DROP && action != XDP_PASS)
		abort();
	if (drop != twin) {
		fprintf(stderr, "fuzz_xdp: the twin says %d, the XDP program %d\n", twin, drop);
		abort();
	}
	return 0;
}

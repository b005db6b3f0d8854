/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_xdp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void dp_xdp_ports_of(const struct pat_ruleset *rs, uint8_t allowed[65536])
{
	uint32_t k;

	for (k = 0; rs != NULL && k < rs->n_streams; k++)
		allowed[rs->streams[k].port] = 1;
}

static struct rt_xdp_prefix to_bpf(const struct dp_prefix *p)
{
	struct rt_xdp_prefix b = { .prefixlen = p->len };

	memcpy(b.addr, p->addr, 16);
	return b;
}

int dp_xdp_set_filter(struct rt_xdp *x, const struct dp_prefix *v, uint32_t n, uint64_t pps,
		      uint64_t burst)
{
	struct rt_xdp_prefix *b = calloc(n + 1, sizeof(*b));
	uint64_t interval, tolerance;
	uint32_t k;
	int rc;

	if (b == NULL)
		return -ENOMEM;
	for (k = 0; k < n; k++)
		b[k] = to_bpf(&v[k]);
	rc = rt_xdp_set_blocked(x, b, n);
	free(b);
	if (rc != 0)
		return rc;
	dp_ratelimit_params(pps, burst, &interval, &tolerance);
	return rt_xdp_set_rate(x, interval, tolerance);
}

uint64_t dp_xdp_prefix_hits(struct rt_xdp *x, const struct dp_prefix *p)
{
	struct rt_xdp_prefix b = to_bpf(p);

	return rt_xdp_prefix_hits(x, &b);
}

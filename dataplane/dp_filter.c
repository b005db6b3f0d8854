/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/rt_xdp.h"
#include "dp_decode.h"

/* The BPF side counts its drops at the twin's reason numbers. */
_Static_assert(RT_XDP_UNKNOWN_PORT == DP_FILTER_UNKNOWN_PORT, "XDP counter slot");
_Static_assert(RT_XDP_BLOCKED_SOURCE == DP_FILTER_BLOCKED_SOURCE, "XDP counter slot");
_Static_assert(RT_XDP_RATE_LIMITED == DP_FILTER_RATE_LIMITED, "XDP counter slot");
_Static_assert(RT_XDP_REDIRECTED >= DP_FILTER__COUNT, "XDP counter slot");

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void mask_addr(uint8_t *a, unsigned int len)
{
	unsigned int k;

	for (k = 0; k < 16; k++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		a[k] &= (uint8_t)(0xff00 >> len);
		len = 0;
	}
}

int dp_prefix_parse(const char *s, struct dp_prefix *p, char *err, size_t errlen)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;
	int v4;

	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, host, p->addr + 12) == 1) {
		memcpy(p->addr, v4_mapped, 12);
		v4 = 1;
	} else if (inet_pton(AF_INET6, host, p->addr) == 1) {
		v4 = 0;
	} else {
		goto bad;
	}
	len = v4 ? 32 : 128;
	if (slash != NULL) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
		    len > (v4 ? 32u : 128u)) {
			snprintf(err, errlen, "'%s': prefix length must be 0 to %d", s,
				 v4 ? 32 : 128);
			return -EINVAL;
		}
	}
	p->len = (uint8_t)(v4 ? 96 + len : len);
	mask_addr(p->addr, p->len);
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address or prefix (CIDR)", s);
	return -EINVAL;
}

void dp_prefix_format(const struct dp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (p->len >= 96 && memcmp(p->addr, v4_mapped, 12) == 0) {
		inet_ntop(AF_INET, p->addr + 12, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, p->len - 96);
	} else {
		inet_ntop(AF_INET6, p->addr, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, p->len);
	}
}

/* ---- block list: one hash set of masked addresses per prefix length ---- */

struct dp_blockslot {
	struct dp_prefix p; /* p.len 0xff: free */
	uint32_t id;	    /* its index in the list given to dp_blocklist_new() */
};

struct dp_blocklevel {
	uint8_t len;
	uint32_t mask; /* slots - 1 */
	struct dp_blockslot *slots;
};

struct dp_blocklist {
	unsigned int n_levels;
	struct dp_blocklevel levels[129]; /* longest first */
};

static inline uint64_t hash_addr(const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x ^= y * UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	return x ^ (x >> 29);
}

void dp_blocklist_free(struct dp_blocklist *b)
{
	unsigned int k;

	if (b == NULL)
		return;
	for (k = 0; k < b->n_levels; k++)
		free(b->levels[k].slots);
	free(b);
}

struct dp_blocklist *dp_blocklist_new(const struct dp_prefix *v, size_t n)
{
	struct dp_blocklist *b = calloc(1, sizeof(*b));
	size_t count[129] = { 0 }, k;
	int len;

	if (b == NULL)
		return NULL;
	for (k = 0; k < n; k++)
		count[v[k].len]++;
	for (len = 128; len >= 0; len--) {
		struct dp_blocklevel *lv;
		uint32_t slots = 4;

		if (count[len] == 0)
			continue;
		while (slots < 2 * count[len])
			slots <<= 1;
		lv = &b->levels[b->n_levels++];
		lv->len = (uint8_t)len;
		lv->mask = slots - 1;
		lv->slots = malloc(slots * sizeof(*lv->slots));
		if (lv->slots == NULL) {
			dp_blocklist_free(b);
			errno = ENOMEM;
			return NULL;
		}
		memset(lv->slots, 0xff, slots * sizeof(*lv->slots));
		for (k = 0; k < n; k++) {
			uint32_t h;

			if (v[k].len != len)
				continue;
			for (h = (uint32_t)hash_addr(v[k].addr) & lv->mask;;
			     h = (h + 1) & lv->mask) {
				if (lv->slots[h].p.len == 0xff) {
					lv->slots[h].p = v[k];
					lv->slots[h].id = (uint32_t)k;
					break;
				}
				if (memcmp(lv->slots[h].p.addr, v[k].addr, 16) == 0)
					break; /* listed twice: the first counts */
			}
		}
	}
	return b;
}

int dp_blocklist_lookup(const struct dp_blocklist *b, const uint8_t addr[16])
{
	unsigned int k;

	if (b == NULL)
		return -1;
	for (k = 0; k < b->n_levels; k++) {
		const struct dp_blocklevel *lv = &b->levels[k];
		uint8_t a[16];
		uint32_t h;

		memcpy(a, addr, 16);
		mask_addr(a, lv->len);
		for (h = (uint32_t)hash_addr(a) & lv->mask; lv->slots[h].p.len != 0xff;
		     h = (h + 1) & lv->mask)
			if (memcmp(lv->slots[h].p.addr, a, 16) == 0)
				return (int)lv->slots[h].id;
	}
	return -1;
}

bool dp_blocklist_match(const struct dp_blocklist *b, const uint8_t addr[16])
{
	return dp_blocklist_lookup(b, addr) >= 0;
}

/* ---- rate limit ---- */

int dp_ratelimit_init(struct dp_ratelimit *rl, uint64_t pps, uint64_t burst, uint32_t slots)
{
	memset(rl, 0, sizeof(*rl));
	if (slots < DP_RL_WAYS || (slots & (slots - 1)) != 0)
		return -EINVAL;
	rl->mask = slots / DP_RL_WAYS - 1;
	/* also without a limit: riptidectl filter rate may set one later */
	rl->slots = calloc(slots, sizeof(*rl->slots));
	if (rl->slots == NULL)
		return -ENOMEM;
	dp_ratelimit_set(rl, pps, burst);
	return 0;
}

void dp_ratelimit_params(uint64_t pps, uint64_t burst, uint64_t *interval_ns,
			 uint64_t *tolerance_ns)
{
	if (pps == 0) {
		*interval_ns = *tolerance_ns = 0;
		return;
	}
	if (burst == 0)
		burst = pps;
	*interval_ns = pps >= 1000000000 ? 1 : 1000000000 / pps;
	*tolerance_ns = (burst - 1) * *interval_ns;
}

void dp_ratelimit_set(struct dp_ratelimit *rl, uint64_t pps, uint64_t burst)
{
	dp_ratelimit_params(pps, burst, &rl->interval_ns, &rl->tolerance_ns);
}

void dp_ratelimit_fini(struct dp_ratelimit *rl)
{
	free(rl->slots);
	rl->slots = NULL;
}

bool dp_ratelimit_allow(struct dp_ratelimit *rl, const uint8_t addr[16], uint64_t now_ns)
{
	struct dp_rl_entry *b, *victim;
	uint64_t k0, k1;
	unsigned int w;

	if (rl->interval_ns == 0)
		return true;
	memcpy(&k0, addr, 8);
	memcpy(&k1, addr + 8, 8);
	b = &rl->slots[(hash_addr(addr) & rl->mask) * DP_RL_WAYS];
	victim = &b[0];
	for (w = 0; w < DP_RL_WAYS; w++) {
		if (b[w].tat != 0 && b[w].k0 == k0 && b[w].k1 == k1)
			return rt_gcra_step(&b[w].tat, now_ns, rl->interval_ns, rl->tolerance_ns);
		if (victim->tat != 0 && (b[w].tat == 0 || b[w].tat < victim->tat))
			victim = &b[w];
	}
	victim->k0 = k0;
	victim->k1 = k1;
	victim->tat = 0; /* a new source */
	return rt_gcra_step(&victim->tat, now_ns, rl->interval_ns, rl->tolerance_ns);
}

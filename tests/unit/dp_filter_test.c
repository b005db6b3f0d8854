/* SPDX-License-Identifier: BSD-3-Clause */
/* The software pre-filter: prefixes as given on the command line, longest-prefix
 * block list over IPv4 and IPv6, and the per-source token bucket. */
#include <arpa/inet.h>
#include <string.h>

#include "dataplane/dp_filter.h"
#include "unit.h"

/* addr as riptide's decoder gives it: IPv4 v4-mapped. */
static const uint8_t *addr(const char *s)
{
	static uint8_t a[16];

	memset(a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return a;
	}
	CU_ASSERT_FATAL(inet_pton(AF_INET6, s, a) == 1);
	return a;
}

static void test_prefix_parse(void)
{
	struct dp_prefix p;
	char err[256], buf[64];

	CU_ASSERT_EQUAL(dp_prefix_parse("10.1.2.3/8", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.len, 104);
	dp_prefix_format(&p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "10.0.0.0/8"); /* host bits cleared */
	CU_ASSERT_EQUAL(dp_prefix_parse("192.0.2.7", &p, err, sizeof(err)), 0);
	dp_prefix_format(&p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "192.0.2.7/32");
	CU_ASSERT_EQUAL(dp_prefix_parse("2001:db8:ffff::1/33", &p, err, sizeof(err)), 0);
	dp_prefix_format(&p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8:8000::/33");
	CU_ASSERT_EQUAL(dp_prefix_parse("::/0", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.len, 0);
	CU_ASSERT_EQUAL(dp_prefix_parse("10.0.0.0/33", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "'10.0.0.0/33': prefix length must be 0 to 32");
	CU_ASSERT_EQUAL(dp_prefix_parse("fd00::/129", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(dp_prefix_parse("10.0.0.0/", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(dp_prefix_parse("10.0.0.0/-1", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(dp_prefix_parse("host.example/8", &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "'host.example/8' is not an IPv4 or IPv6 address or prefix (CIDR)");
	CU_ASSERT_EQUAL(dp_prefix_parse("", &p, err, sizeof(err)), -EINVAL);
}

static void test_blocklist(void)
{
	static const char *const list[] = { "10.0.0.0/8",    "192.0.2.128/25", "192.0.2.5",
					    "2001:db8::/32", "fd00::1",	       "10.0.0.0/8" };
	struct dp_prefix v[6];
	struct dp_blocklist *b;
	char err[128];
	size_t k;

	for (k = 0; k < 6; k++)
		CU_ASSERT_EQUAL_FATAL(dp_prefix_parse(list[k], &v[k], err, sizeof(err)), 0);
	b = dp_blocklist_new(v, 6);
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT(dp_blocklist_match(b, addr("10.255.1.2")));
	CU_ASSERT(!dp_blocklist_match(b, addr("11.0.0.1")));
	CU_ASSERT(dp_blocklist_match(b, addr("192.0.2.200")));
	CU_ASSERT(!dp_blocklist_match(b, addr("192.0.2.127")));
	CU_ASSERT(dp_blocklist_match(b, addr("192.0.2.5")));
	CU_ASSERT(!dp_blocklist_match(b, addr("192.0.2.6")));
	CU_ASSERT(dp_blocklist_match(b, addr("2001:db8:1::9")));
	CU_ASSERT(!dp_blocklist_match(b, addr("2001:db9::1")));
	CU_ASSERT(dp_blocklist_match(b, addr("fd00::1")));
	CU_ASSERT(!dp_blocklist_match(b, addr("fd00::2")));
	/* an IPv4 prefix never matches an IPv6 address with the same low bits */
	CU_ASSERT(!dp_blocklist_match(b, addr("::a00:1")));
	dp_blocklist_free(b);
	CU_ASSERT(!dp_blocklist_match(NULL, addr("10.0.0.1")));

	/* everything */
	CU_ASSERT_EQUAL_FATAL(dp_prefix_parse("::/0", &v[0], err, sizeof(err)), 0);
	b = dp_blocklist_new(v, 1);
	CU_ASSERT(dp_blocklist_match(b, addr("10.0.0.1")));
	CU_ASSERT(dp_blocklist_match(b, addr("2001:db8::1")));
	dp_blocklist_free(b);
}

static void test_blocklist_many(void)
{
	static struct dp_prefix v[4096];
	struct dp_blocklist *b;
	char s[64], err[128];
	unsigned int k;

	/* 4,096 /24s of 10.x.y.0: every one blocks its own and nothing else */
	for (k = 0; k < 4096; k++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k >> 8, k & 255);
		CU_ASSERT_EQUAL_FATAL(dp_prefix_parse(s, &v[k], err, sizeof(err)), 0);
	}
	b = dp_blocklist_new(v, 4096);
	CU_ASSERT_FATAL(b != NULL);
	for (k = 0; k < 4096; k += 97) {
		snprintf(s, sizeof(s), "10.%u.%u.77", k >> 8, k & 255);
		CU_ASSERT(dp_blocklist_match(b, addr(s)));
	}
	CU_ASSERT(!dp_blocklist_match(b, addr("10.16.0.1")));
	dp_blocklist_free(b);
}

static void test_ratelimit(void)
{
	struct dp_ratelimit rl;
	const uint64_t ms = 1000000;
	uint8_t a[16], other[16];
	int k, passed;

	memcpy(a, addr("10.0.0.1"), 16);
	memcpy(other, addr("10.0.0.2"), 16);
	/* off */
	CU_ASSERT_EQUAL(dp_ratelimit_init(&rl, 0, 0, 16), 0);
	for (k = 0; k < 1000; k++)
		CU_ASSERT(dp_ratelimit_allow(&rl, a, 0));
	dp_ratelimit_fini(&rl);
	CU_ASSERT_EQUAL(dp_ratelimit_init(&rl, 10, 10, 3), -EINVAL);

	/* 1,000/s, burst 5: five at once, then one a millisecond */
	CU_ASSERT_EQUAL_FATAL(dp_ratelimit_init(&rl, 1000, 5, 16), 0);
	for (k = 0, passed = 0; k < 20; k++)
		passed += dp_ratelimit_allow(&rl, a, 100 * ms);
	CU_ASSERT_EQUAL(passed, 5);
	CU_ASSERT(dp_ratelimit_allow(&rl, other, 100 * ms)); /* its own bucket */
	CU_ASSERT(!dp_ratelimit_allow(&rl, a, 100 * ms + ms / 2));
	CU_ASSERT(dp_ratelimit_allow(&rl, a, 101 * ms));
	CU_ASSERT(!dp_ratelimit_allow(&rl, a, 101 * ms));
	/* a long pause refills the bucket, never beyond the burst */
	for (k = 0, passed = 0; k < 20; k++)
		passed += dp_ratelimit_allow(&rl, a, 10000 * ms);
	CU_ASSERT_EQUAL(passed, 5);
	/* a steady 2,000/s source gets 1,000/s (plus the burst) */
	for (k = 0, passed = 0; k < 2000; k++)
		passed += dp_ratelimit_allow(&rl, other, 20000 * ms + (uint64_t)k * ms / 2);
	CU_ASSERT(passed >= 1000 && passed <= 1005);
	dp_ratelimit_fini(&rl);

	/* more sources than slots: the oldest gives way, and a newcomer is let in */
	CU_ASSERT_EQUAL_FATAL(dp_ratelimit_init(&rl, 1, 1, 4), 0);
	for (k = 0; k < 64; k++) {
		a[15] = (uint8_t)k;
		CU_ASSERT(dp_ratelimit_allow(&rl, a, (uint64_t)(k + 1) * ms));
	}
	a[15] = 63; /* the newest is still remembered */
	CU_ASSERT(!dp_ratelimit_allow(&rl, a, 65 * ms));
	dp_ratelimit_fini(&rl);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "prefix parse", test_prefix_parse },
		{ "block list", test_blocklist },
		{ "block list of 4096 prefixes", test_blocklist_many },
		{ "rate limit", test_ratelimit },
		{ NULL, NULL },
	};

	return unit_run("dp_filter", tests);
}

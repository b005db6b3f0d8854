/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters: the conservation check, the sum over lcores, the stats JSON. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dp_stats.h"
#include "unit.h"

static void test_balanced(void)
{
	struct dp_counters c = { 0 };

	CU_ASSERT_TRUE(dp_counters_balanced(&c));
	c.rx_packets = 10;
	c.datagrams = 6;
	c.filtered[DP_FILTER_NOT_UDP] = 3;
	CU_ASSERT_FALSE(dp_counters_balanced(&c));
	c.decode_errors[DP_DERR_TRUNCATED] = 1;
	CU_ASSERT_TRUE(dp_counters_balanced(&c));
	c.records = 2;
	CU_ASSERT_FALSE(dp_counters_balanced(&c));
	c.events = 2;
	CU_ASSERT_TRUE(dp_counters_balanced(&c));
}

static void test_accumulate(void)
{
	struct dp_counters a = { 0 }, b = { 0 }, sum = { 0 };

	a.rx_packets = 3;
	a.filtered[DP_FILTER_RATE_LIMITED] = 3;
	b.rx_packets = 5;
	b.datagrams = 4;
	b.decode_errors[DP_DERR_BAD_CHECKSUM] = 1;
	dp_counters_accumulate(&sum, &a);
	dp_counters_accumulate(&sum, &b);
	CU_ASSERT_EQUAL(sum.rx_packets, 8);
	CU_ASSERT_EQUAL(sum.datagrams, 4);
	CU_ASSERT_EQUAL(sum.filtered[DP_FILTER_RATE_LIMITED], 3);
	CU_ASSERT_EQUAL(sum.decode_errors[DP_DERR_BAD_CHECKSUM], 1);
	CU_ASSERT_TRUE(dp_counters_balanced(&sum));
	CU_ASSERT_EQUAL(sizeof(struct dp_counters) % 64, 0);
}

static void test_json(void)
{
	static const char *const keys[] = { "rx_packets", "datagrams",	 "records",
					    "events",	  "filtered",	 "decode_errors",
					    "malformed",  "xdp_dropped", "late_events",
					    "results",	  "delivered",	 "spooled",
					    "lost",	  "ruleset" };
	struct dp_port_report port = {
		.spec = "pcap:x", .device = "net_pcap0", .rx_queues = 1, .ipackets = 7
	};
	struct dp_stats_report r = { .ruleset = 3, .n_ports = 1, .ports = &port };
	char path[] = "/tmp/riptide-stats-XXXXXX";
	json_t *o, *back;
	size_t k;
	int fd;

	r.total.rx_packets = 7;
	r.total.datagrams = 5;
	r.total.filtered[DP_FILTER_UNKNOWN_PORT] = 2;
	o = dp_stats_json(&r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		CU_ASSERT_PTR_NOT_NULL(json_object_get(o, keys[k]));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "rx_packets")), 7);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "ruleset")), 3);
	CU_ASSERT_EQUAL(
		json_integer_value(json_object_get(json_object_get(o, "filtered"), "unknown_port")),
		2);
	/* zero counters are left out of the reason objects */
	CU_ASSERT_EQUAL(json_object_size(json_object_get(o, "filtered")), 1);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(o, "decode_errors")), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "ports")), 1);

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(dp_stats_write(path, &r), 0);
	back = json_load_file(path, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_TRUE(json_equal(o, back));
	json_decref(back);
	json_decref(o);
	unlink(path);
	CU_ASSERT_EQUAL(dp_stats_write("/nonexistent-dir/s.json", &r), -ENOENT);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "balanced", test_balanced },
		{ "accumulate", test_accumulate },
		{ "json", test_json },
		{ NULL, NULL },
	};

	return unit_run("dp_stats", tests);
}

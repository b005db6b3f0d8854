/* SPDX-License-Identifier: BSD-3-Clause */
/* The command line: --input specs, options and the EAL arguments built from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dp_config.h"
#include "sinks/sink_spool.h"
#include "unit.h"

static char err[256];

static void test_input_specs(void)
{
	struct dp_input in;

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("pcap:/tmp/x.pcap", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_PCAP);
	CU_ASSERT_STRING_EQUAL(in.target, "/tmp/x.pcap");
	free(in.target);

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("af_xdp:veth1:4", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_AF_XDP);
	CU_ASSERT_STRING_EQUAL(in.target, "veth1");
	CU_ASSERT_EQUAL(in.queues, 4);
	free(in.target);

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("af_packet:eth0", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_AF_PACKET);
	CU_ASSERT_EQUAL(in.queues, 0);
	free(in.target);

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("memif:/run/m.sock:client", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_MEMIF);
	CU_ASSERT_STRING_EQUAL(in.target, "/run/m.sock");
	CU_ASSERT_EQUAL(in.memif_client, 1);
	free(in.target);
	CU_ASSERT_EQUAL_FATAL(dp_input_parse("memif:/run/m.sock", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.memif_client, 0);
	free(in.target);

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("pci:0000:3b:00.0", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_PCI);
	CU_ASSERT_STRING_EQUAL(in.target, "0000:3b:00.0");
	free(in.target);

	CU_ASSERT_EQUAL_FATAL(dp_input_parse("null", &in, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(in.kind, DP_IN_NULL);
	CU_ASSERT_PTR_NULL(in.target);
}

static void test_input_errors(void)
{
	struct dp_input in;

	CU_ASSERT_EQUAL(dp_input_parse("tap:x", &in, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
			       "--input 'tap:x': unknown kind (pcap:, af_xdp:, af_packet:, memif:, "
			       "pci:, null)");
	CU_ASSERT_EQUAL(dp_input_parse("pcap:", &in, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--input 'pcap:': missing the file path");
	CU_ASSERT_EQUAL(dp_input_parse("af_xdp:veth1:0", &in, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "queue count must be 1 to"));
	CU_ASSERT_EQUAL(dp_input_parse("af_xdp:veth1:x", &in, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(dp_input_parse("af_packet:averyveryverylongname", &in, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 to 15 characters"));
	CU_ASSERT_EQUAL(dp_input_parse("pcap:/tmp/a,b.pcap", &in, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "may not contain ',' or '='"));
	CU_ASSERT_EQUAL(dp_input_parse("memif::server", &in, err, sizeof(err)), -EINVAL);
}

static int parse(struct dp_config *cfg, int argc, const char **argv)
{
	dp_config_init(cfg);
	return dp_config_parse(cfg, argc, (char **)argv, err, sizeof(err));
}

static void test_options(void)
{
	struct dp_config cfg;
	const char *ok[] = { "riptide",	    "--rules",	   "r.rql",  "--input",
			     "pcap:a.pcap", "--input",	   "null",   "--workers",
			     "3",	    "--stats-out", "s.json", "--log-level",
			     "debug",	    "--",	   "-m",     "512" };

	CU_ASSERT_EQUAL_FATAL(parse(&cfg, 16, ok), 0);
	CU_ASSERT_STRING_EQUAL(cfg.rules_path, "r.rql");
	CU_ASSERT_EQUAL(cfg.n_inputs, 2);
	CU_ASSERT_EQUAL(cfg.workers, 3);
	CU_ASSERT_STRING_EQUAL(cfg.stats_out, "s.json");
	CU_ASSERT_EQUAL(cfg.log_level, DP_LOG_DEBUG);
	CU_ASSERT_EQUAL(cfg.eal_argc, 2);
	CU_ASSERT_STRING_EQUAL(cfg.eal_argv[0], "-m");
	dp_config_free(&cfg);

	{
		const char *argv[] = { "riptide", "--rules", "r.rql", "--check-rules" };

		CU_ASSERT_EQUAL(parse(&cfg, 4, argv), 0);
		CU_ASSERT_EQUAL(cfg.check_rules, 1);
		CU_ASSERT_EQUAL(cfg.workers, -1);
	}
}

/* The options of the ingest path: outputs, pre-filter, back-pressure, roles. */
static void test_ingest_options(void)
{
	struct dp_config cfg;
	const char *ok[] = { "riptide",	   "--rules",	     "r",	  "--input",
			     "null",	   "--out",	     "o",	  "--block",
			     "10.1.2.3/8", "--block",	     "fd00::/16", "--rate-limit",
			     "1000",	   "--rate-burst",   "50",	  "--backpressure",
			     "drop",	   "--result-ring",  "128",	  "--workers",
			     "3",	   "--state-lcores", "2",	  "--share-cores" };
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(parse(&cfg, 24, ok), 0);
	CU_ASSERT_STRING_EQUAL(cfg.out_dir, "o");
	CU_ASSERT_EQUAL_FATAL(cfg.n_blocked, 2);
	dp_prefix_format(&cfg.blocked[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "10.0.0.0/8");
	dp_prefix_format(&cfg.blocked[1], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "fd00::/16");
	CU_ASSERT_EQUAL(cfg.rate_pps, 1000);
	CU_ASSERT_EQUAL(cfg.rate_burst, 50);
	CU_ASSERT_EQUAL(cfg.backpressure_drop, 1);
	CU_ASSERT_EQUAL(cfg.result_ring_kib, 128);
	CU_ASSERT_EQUAL(cfg.state_lcores, 2);
	CU_ASSERT_EQUAL(cfg.share_cores, 1);
	dp_config_free(&cfg);

	/* defaults */
	{
		const char *argv[] = { "riptide", "--rules", "r", "--input", "null" };

		CU_ASSERT_EQUAL_FATAL(parse(&cfg, 5, argv), 0);
		CU_ASSERT_PTR_NULL(cfg.out_dir);
		CU_ASSERT_EQUAL(cfg.n_blocked, 0);
		CU_ASSERT_EQUAL(cfg.rate_pps, 0);
		CU_ASSERT_EQUAL(cfg.backpressure_drop, 0);
		CU_ASSERT_EQUAL(cfg.result_ring_kib, 4096);
		CU_ASSERT_EQUAL(cfg.state_lcores, 0);
		dp_config_free(&cfg);
	}
}

/* One bad option after a good command line: the message. */
static void check_bad(const char *opt, const char *val, const char *want)
{
	struct dp_config cfg;
	const char *argv[] = { "riptide", "--rules", "r", "--input", "null", opt, val };

	CU_ASSERT_EQUAL(parse(&cfg, 7, argv), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, want);
	dp_config_free(&cfg);
}

static void test_ingest_option_errors(void)
{
	check_bad("--block", "10.0.0.0/40", "--block '10.0.0.0/40': prefix length must be 0 to 32");
	check_bad("--block", "nowhere",
		  "--block 'nowhere' is not an IPv4 or IPv6 address or prefix (CIDR)");
	check_bad("--rate-limit", "-5",
		  "--rate-limit '-5': expected packets per second, 0 to 1000000000");
	check_bad("--rate-burst", "0", "--rate-burst '0': expected 1 to 1000000000");
	check_bad("--backpressure", "spool", "--backpressure 'spool': expected wait or drop");
	check_bad("--result-ring", "100",
		  "--result-ring '100': expected a power of two from 64 to 1048576 (KiB)");
	check_bad("--state-lcores", "65", "--state-lcores '65': expected 0 to 64");
	{
		struct dp_config cfg;
		const char *argv[] = { "riptide", "--rules",	    "r",
				       "--input", "null",	    "--workers",
				       "2",	  "--state-lcores", "2" };

		CU_ASSERT_EQUAL(parse(&cfg, 9, argv), -EINVAL);
		CU_ASSERT_STRING_EQUAL(
			err,
			"--state-lcores 2 leaves no worker to receive: give --workers at least 3");
		dp_config_free(&cfg);
	}
}

static void test_option_errors(void)
{
	struct dp_config cfg;
	const char *no_rules[] = { "riptide", "--input", "null" };
	const char *no_input[] = { "riptide", "--rules", "r" };
	const char *unknown[] = { "riptide", "--frobnicate" };
	const char *short_unknown[] = { "riptide", "-x" };
	const char *missing[] = { "riptide", "--rules" };
	const char *workers[] = { "riptide", "--rules", "r", "--input", "null", "--workers", "-1" };
	const char *level[] = { "riptide", "--log-level", "loud" };
	const char *stray[] = { "riptide", "--rules", "r", "--input", "null", "extra" };

	CU_ASSERT_EQUAL(parse(&cfg, 3, no_rules), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--rules FILE is required (see riptide --help)");
	dp_config_free(&cfg);
	CU_ASSERT_EQUAL(parse(&cfg, 3, no_input), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "at least one --input SPEC is required");
	CU_ASSERT_EQUAL(parse(&cfg, 2, unknown), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--frobnicate' (see riptide --help)");
	CU_ASSERT_EQUAL(parse(&cfg, 2, short_unknown), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '-x' (see riptide --help)");
	CU_ASSERT_EQUAL(parse(&cfg, 2, missing), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "option '--rules' needs a value");
	CU_ASSERT_EQUAL(parse(&cfg, 7, workers), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--workers '-1': expected 0 to 1024");
	dp_config_free(&cfg);
	CU_ASSERT_EQUAL(parse(&cfg, 3, level), -EINVAL);
	CU_ASSERT_EQUAL(parse(&cfg, 6, stray), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unexpected argument 'extra'"));
	dp_config_free(&cfg);
}

static int has_arg(const struct dp_argv *a, const char *s)
{
	int i;

	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return 1;
	return 0;
}

static void test_eal_args(void)
{
	struct dp_config cfg;
	struct dp_argv a;
	const unsigned int cores[] = { 2, 5, 6 };
	const char *argv[] = { "riptide",	"--rules",	"r",
			       "--input",	"pcap:/p.pcap", "--input",
			       "memif:/m.sock", "--input",	"af_xdp:v1:2",
			       "--input",	"af_packet:v2", "--input",
			       "null",		"--",		"--telemetry" };

	CU_ASSERT_EQUAL_FATAL(parse(&cfg, 15, argv), 0);
	CU_ASSERT_EQUAL_FATAL(dp_eal_args(&cfg, cores, 3, "riptide-42", &a), 0);
	CU_ASSERT_STRING_EQUAL(a.argv[0], "riptide");
	CU_ASSERT(has_arg(&a, "--lcores=0@2,1@5,2@6"));
	CU_ASSERT(has_arg(&a, "--main-lcore=0"));
	CU_ASSERT(has_arg(&a, "--file-prefix=riptide-42"));
	CU_ASSERT(has_arg(&a, "--no-pci"));
	CU_ASSERT(has_arg(&a, "--huge-unlink"));
	CU_ASSERT(has_arg(&a, "--log-level=lib.*:warning"));
	CU_ASSERT(has_arg(&a, "--log-level=pmd.*:warning"));
	CU_ASSERT(has_arg(&a, "--vdev=net_pcap0,rx_pcap=/p.pcap"));
	CU_ASSERT(has_arg(&a,
			  "--vdev=net_memif1,role=server,socket=/m.sock,socket-abstract=no,id=0"));
	CU_ASSERT(has_arg(&a, "--vdev=net_af_xdp2,iface=v1,start_queue=0,queue_count=2"));
	CU_ASSERT(has_arg(
		&a,
		"--vdev=net_af_packet3,iface=v2,qpairs=1,blocksz=4096,framesz=2048,framecnt=4096"));
	CU_ASSERT(has_arg(&a, "--vdev=net_null4"));
	/* the user's own EAL arguments come last, so that they win */
	CU_ASSERT_STRING_EQUAL(a.argv[a.argc - 1], "--telemetry");
	CU_ASSERT_PTR_NULL(a.argv[a.argc]);
	dp_argv_free(&a);
	dp_config_free(&cfg);

	{
		const char *pci[] = { "riptide", "--rules", "r", "--input", "pci:0000:01:00.0" };

		CU_ASSERT_EQUAL_FATAL(parse(&cfg, 5, pci), 0);
		CU_ASSERT_EQUAL_FATAL(dp_eal_args(&cfg, cores, 1, "p", &a), 0);
		CU_ASSERT(has_arg(&a, "-a0000:01:00.0"));
		CU_ASSERT(!has_arg(&a, "--no-pci"));
		CU_ASSERT(has_arg(&a, "--lcores=0@2"));
		dp_argv_free(&a);
		dp_config_free(&cfg);
	}
}

/* The delivery options: Kafka, spool, archive; their defaults and errors. */
static void test_delivery_options(void)
{
	struct dp_config cfg;
	const char *ok[] = { "riptide",
			     "--rules",
			     "r",
			     "--input",
			     "null",
			     "--kafka",
			     "b1:9092,b2:9092",
			     "--kafka-config",
			     "k.props",
			     "--kafka-stall-ms",
			     "2500",
			     "--spool",
			     "/var/spool/rt",
			     "--spool-max",
			     "64",
			     "--spool-full",
			     "drop-oldest",
			     "--drain-timeout",
			     "0",
			     "--archive",
			     "/data",
			     "--archive-max-mb",
			     "16",
			     "--archive-max-age",
			     "60",
			     "--archive-level",
			     "3" };
	const char *defaults[] = { "riptide", "--rules", "r", "--input", "null" };

	CU_ASSERT_EQUAL_FATAL(parse(&cfg, (int)(sizeof(ok) / sizeof(ok[0])), ok), 0);
	CU_ASSERT_STRING_EQUAL(cfg.kafka, "b1:9092,b2:9092");
	CU_ASSERT_STRING_EQUAL(cfg.kafka_config, "k.props");
	CU_ASSERT_EQUAL(cfg.kafka_stall_ms, 2500);
	CU_ASSERT_STRING_EQUAL(cfg.spool_dir, "/var/spool/rt");
	CU_ASSERT_EQUAL(cfg.spool_max_mb, 64);
	CU_ASSERT_EQUAL(cfg.spool_full, SPOOL_FULL_DROP_OLDEST);
	CU_ASSERT_EQUAL(cfg.drain_s, 0);
	CU_ASSERT_STRING_EQUAL(cfg.archive_dir, "/data");
	CU_ASSERT_EQUAL(cfg.archive_max_mb, 16);
	CU_ASSERT_EQUAL(cfg.archive_max_age, 60);
	CU_ASSERT_EQUAL(cfg.archive_level, 3);
	dp_config_free(&cfg);
	CU_ASSERT_EQUAL_FATAL(parse(&cfg, 5, defaults), 0);
	CU_ASSERT_PTR_NULL(cfg.kafka);
	CU_ASSERT_EQUAL(cfg.spool_max_mb, 10240);
	CU_ASSERT_EQUAL(cfg.spool_full, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(cfg.kafka_stall_ms, 5000);
	CU_ASSERT_EQUAL(cfg.drain_s, 30);
	CU_ASSERT_EQUAL(cfg.archive_max_mb, 128);
	CU_ASSERT_EQUAL(cfg.archive_max_age, 300);
	CU_ASSERT_EQUAL(cfg.archive_level, 1);
	dp_config_free(&cfg);

	check_bad("--spool", "/s",
		  "--spool needs --kafka (the spool holds what Kafka cannot take)");
	check_bad("--kafka-config", "k",
		  "--kafka-config needs --kafka (the spool holds what Kafka cannot take)");
	check_bad("--kafka", "", "--kafka: expected host:port[,host:port...]");
	check_bad("--kafka-stall-ms", "10", "--kafka-stall-ms '10': expected 100 to 3600000");
	check_bad("--spool-full", "block",
		  "--spool-full 'block': expected wait, drop-newest or drop-oldest");
	check_bad("--drain-timeout", "-1", "--drain-timeout '-1': expected 0 to 86400 s");
	check_bad("--archive-level", "4", "--archive-level '4': expected 0 to 3");
	check_bad("--archive-max-age", "0", "--archive-max-age '0': expected 1 to 86400 s");
	check_bad("--archive-max-mb", "0", "--archive-max-mb '0': expected 1 to 1048576");
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "input_specs", test_input_specs },
		{ "input_errors", test_input_errors },
		{ "options", test_options },
		{ "option_errors", test_option_errors },
		{ "eal_args", test_eal_args },
		{ "ingest options", test_ingest_options },
		{ "ingest option errors", test_ingest_option_errors },
		{ "delivery options", test_delivery_options },
		{ NULL, NULL },
	};

	return unit_run("dp_config", tests);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sink_spool.h"

const char dp_usage[] =
	"usage: riptide --rules FILE --input SPEC [--input SPEC ...] [options] [-- EAL-ARGS...]\n"
	"\n"
	"Reads UDP event feeds from DPDK ports, parses their records into events, runs the\n"
	"rule file's alerts, windowed aggregates and patterns on them, and counts every\n"
	"packet and every record in one bucket:\n"
	"  rx_packets = filtered{reason} + decode_errors{reason} + datagrams\n"
	"  records    = malformed{reason} + events\n"
	"\n"
	"inputs (--input SPEC, repeatable):\n"
	"  pcap:PATH                    replay a pcap file; the input ends at its end\n"
	"  af_xdp:IFACE[:QUEUES]        AF_XDP socket(s) on IFACE, behind riptide's XDP pre-filter\n"
	"  af_packet:IFACE[:QUEUES]     AF_PACKET socket(s) on IFACE\n"
	"  memif:SOCKET[:server|client] shared-memory packet interface (server by default)\n"
	"  pci:BDF                      a NIC bound to vfio-pci (or a bifurcated driver)\n"
	"  null                         DPDK's null port, for benchmarks of what follows RX\n"
	"\n"
	"options:\n"
	"  --rules FILE        rule file; an invalid file is reported and riptide exits 2\n"
	"  --check-rules       only check --rules, print errors as FILE:LINE:COL, exit 0 or 2\n"
	"  --stats-out FILE    write the final counters as JSON at exit\n"
	"  --out DIR           file sink: each topic appends NDJSON to DIR/<topic>.ndjson\n"
	"  --kafka BROKERS     Kafka sink: an idempotent producer (acks=all) to these\n"
	"                      bootstrap servers (host:port,...)\n"
	"  --kafka-config FILE more librdkafka properties, key=value lines (TLS, SASL,\n"
	"                      compression.codec, linger.ms, batch.size, ...)\n"
	"  --kafka-stall-ms MS no delivery report for MS while results wait counts as an\n"
	"                      outage (default 5000)\n"
	"  --spool DIR         while Kafka cannot take results, they wait in DIR (CRC32C\n"
	"                      framed segments) and are replayed in order, also after a\n"
	"                      restart\n"
	"  --spool-max MB      bound of the spool (default 10240; 0: none)\n"
	"  --spool-full P      when the spool is full: wait (default: the result rings fill\n"
	"                      and --backpressure applies), drop-newest or drop-oldest\n"
	"                      (counted in lost{spool_full})\n"
	"  --drain-timeout S   at stop, how long to wait for Kafka to take what is left\n"
	"                      (default 30); the rest is spooled or counted as lost\n"
	"  --archive DIR       every accepted record, raw, gzip'd (ISA-L igzip) in\n"
	"                      DIR/stream=S/dt=YYYY-MM-DD/hour=HH/part-*.{json,csv,bin}.gz\n"
	"                      (the hour riptide took it, UTC)\n"
	"  --archive-max-mb MB a file closes at this compressed size (default 128)\n"
	"  --archive-max-age S and after this many seconds (default 300)\n"
	"  --archive-level N   igzip level, 0 (fastest) to 3 (default 1)\n"
	"  --block PREFIX      drop datagrams from this source prefix (IPv4 or IPv6 CIDR;\n"
	"                      repeatable): filtered{blocked_source}\n"
	"  --rate-limit PPS    per-source packet rate limit (0 = off, the default):\n"
	"                      filtered{rate_limited}\n"
	"  --rate-burst N      packets a source may send at once (default: PPS)\n"
	"  --backpressure P    when an lcore's result ring is full: wait (default) for the\n"
	"                      sink, or drop the message and count it in lost{sink_ring_full}\n"
	"  --result-ring KIB   bytes of each lcore's result ring, in KiB (default 4096)\n"
	"  --workers N         worker lcores (default: every available core but the main one;\n"
	"                      0 runs everything on the main lcore)\n"
	"  --state-lcores M    of the workers, M own keys only and poll no port; the others\n"
	"                      receive (default 0: every worker receives and owns a share of\n"
	"                      the keys). Events of streams with KEY columns, aggregates\n"
	"                      or patterns go to the lcore that owns their key over\n"
	"                      per-pair rings; windows and patterns run there\n"
	"  --share-cores       allow more lcores than usable cores: they take the cores in\n"
	"                      turn (for tests on small machines: lcores that share a core\n"
	"                      slow each other down)\n"
	"  --log-level LEVEL   error, warn, info (default) or debug\n"
	"  --control PATH      control socket for riptidectl (default " DP_CONTROL_DEFAULT ";\n"
	"                      none: no control plane), mode 0600, peers checked\n"
	"  --control-group G   the socket is 0660 to group G, whose members may use it\n"
	"  --metrics ADDR:PORT Prometheus text at http://ADDR:PORT/metrics (off by default)\n"
	"  --user USER         after start-up, run as USER, keeping only the capabilities\n"
	"                      the ports need (docs/operations.md)\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"With no pci: input riptide passes --no-pci to EAL, and it always gives EAL a\n"
	"--file-prefix of its own. When every input has ended (pcap) riptide writes its\n"
	"final stats and exits 0; otherwise it runs until SIGINT or SIGTERM.\n"
	"Exit status: 0 clean stop, 1 runtime failure, 2 bad command line or rules.\n";

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void dp_config_init(struct dp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = -1;
	cfg->log_level = DP_LOG_INFO;
	cfg->result_ring_kib = 4096;
	cfg->spool_max_mb = 10240;
	cfg->kafka_stall_ms = 5000;
	cfg->drain_s = 30;
	cfg->archive_max_mb = 128;
	cfg->archive_max_age = 300;
	cfg->archive_level = 1;
	cfg->control = DP_CONTROL_DEFAULT;
}

void dp_config_free(struct dp_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->n_inputs; i++)
		free(cfg->inputs[i].target);
	cfg->n_inputs = 0;
	free(cfg->blocked);
	cfg->blocked = NULL;
	cfg->n_blocked = 0;
}

/* A whole decimal number in [min, max]. Returns 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* DPDK devargs are comma-separated key=value pairs: a target holding ',' or '='
 * would be read as more arguments. */
static int devarg_safe(const char *s)
{
	return strpbrk(s, ",=") == NULL;
}

static int parse_queues(const char *s, uint16_t *q)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 1 || v > DP_MAX_QUEUES)
		return -EINVAL;
	*q = (uint16_t)v;
	return 0;
}

int dp_input_parse(const char *spec, struct dp_input *in, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum dp_input_kind kind;
	} kinds[] = {
		{ "pcap:", DP_IN_PCAP },
		{ "af_xdp:", DP_IN_AF_XDP },
		{ "af_packet:", DP_IN_AF_PACKET },
		{ "memif:", DP_IN_MEMIF },
		{ "pci:", DP_IN_PCI },
	};
	const char *rest = NULL;
	char *colon;
	size_t k;

	memset(in, 0, sizeof(*in));
	in->spec = spec;
	if (strcmp(spec, "null") == 0) {
		in->kind = DP_IN_NULL;
		return 0;
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n = strlen(kinds[k].prefix);

		if (strncmp(spec, kinds[k].prefix, n) == 0) {
			in->kind = kinds[k].kind;
			rest = spec + n;
			break;
		}
	}
	if (rest == NULL)
		return fail(err, errlen,
			    "--input '%s': unknown kind (pcap:, af_xdp:, af_packet:, memif:, pci:, "
			    "null)",
			    spec);
	if (*rest == '\0')
		return fail(err, errlen, "--input '%s': missing %s", spec,
			    in->kind == DP_IN_PCAP    ? "the file path"
			    : in->kind == DP_IN_MEMIF ? "the socket path"
			    : in->kind == DP_IN_PCI   ? "the PCI address"
						      : "the interface name");
	in->target = strdup(rest);
	if (in->target == NULL)
		return -ENOMEM;
	switch (in->kind) {
	case DP_IN_AF_XDP:
	case DP_IN_AF_PACKET:
		colon = strchr(in->target, ':');
		if (colon != NULL) {
			*colon = '\0';
			if (parse_queues(colon + 1, &in->queues))
				goto bad_queues;
		}
		if (in->target[0] == '\0' || strlen(in->target) >= 16)
			goto bad_iface;
		break;
	case DP_IN_MEMIF:
		colon = strrchr(in->target, ':');
		if (colon != NULL &&
		    (strcmp(colon + 1, "server") == 0 || strcmp(colon + 1, "client") == 0)) {
			in->memif_client = strcmp(colon + 1, "client") == 0;
			*colon = '\0';
		}
		if (in->target[0] == '\0')
			goto missing;
		break;
	default:
		break;
	}
	if (!devarg_safe(in->target)) {
		fail(err, errlen, "--input '%s': '%s' may not contain ',' or '='", spec,
		     in->target);
		goto out;
	}
	return 0;
bad_queues:
	fail(err, errlen, "--input '%s': queue count must be 1 to %d", spec, DP_MAX_QUEUES);
	goto out;
bad_iface:
	fail(err, errlen, "--input '%s': interface name must be 1 to 15 characters", spec);
	goto out;
missing:
	fail(err, errlen, "--input '%s': missing the socket path", spec);
out:
	free(in->target);
	in->target = NULL;
	return -EINVAL;
}

int dp_input_devname(const struct dp_input *in, unsigned int idx, char *buf, size_t len)
{
	static const char *const drivers[] = {
		[DP_IN_PCAP] = "net_pcap",	     [DP_IN_AF_XDP] = "net_af_xdp",
		[DP_IN_AF_PACKET] = "net_af_packet", [DP_IN_MEMIF] = "net_memif",
		[DP_IN_NULL] = "net_null",
	};
	int n;

	if (in->kind == DP_IN_PCI)
		n = snprintf(buf, len, "%s", in->target);
	else
		n = snprintf(buf, len, "%s%u", drivers[in->kind], idx);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static int parse_log_level(const char *s, enum dp_log_level *lvl)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (strcmp(s, names[k]) == 0) {
			*lvl = (enum dp_log_level)k;
			return 0;
		}
	}
	return -EINVAL;
}

int dp_config_parse(struct dp_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	enum {
		OPT_RULES = 256,
		OPT_CHECK,
		OPT_INPUT,
		OPT_STATS,
		OPT_WORKERS,
		OPT_LOG,
		OPT_OUT,
		OPT_BLOCK,
		OPT_RATE,
		OPT_BURST,
		OPT_BP,
		OPT_RING,
		OPT_STATE,
		OPT_SHARE,
		OPT_KAFKA,
		OPT_KAFKA_CONFIG,
		OPT_KAFKA_STALL,
		OPT_SPOOL,
		OPT_SPOOL_MAX,
		OPT_SPOOL_FULL,
		OPT_DRAIN,
		OPT_ARCHIVE,
		OPT_ARCHIVE_MB,
		OPT_ARCHIVE_AGE,
		OPT_ARCHIVE_LEVEL,
		OPT_CONTROL,
		OPT_CONTROL_GROUP,
		OPT_METRICS,
		OPT_USER
	};
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "check-rules", no_argument, NULL, OPT_CHECK },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "stats-out", required_argument, NULL, OPT_STATS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "log-level", required_argument, NULL, OPT_LOG },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "block", required_argument, NULL, OPT_BLOCK },
		{ "rate-limit", required_argument, NULL, OPT_RATE },
		{ "rate-burst", required_argument, NULL, OPT_BURST },
		{ "backpressure", required_argument, NULL, OPT_BP },
		{ "result-ring", required_argument, NULL, OPT_RING },
		{ "state-lcores", required_argument, NULL, OPT_STATE },
		{ "share-cores", no_argument, NULL, OPT_SHARE },
		{ "kafka", required_argument, NULL, OPT_KAFKA },
		{ "kafka-config", required_argument, NULL, OPT_KAFKA_CONFIG },
		{ "kafka-stall-ms", required_argument, NULL, OPT_KAFKA_STALL },
		{ "spool", required_argument, NULL, OPT_SPOOL },
		{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
		{ "spool-full", required_argument, NULL, OPT_SPOOL_FULL },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
		{ "archive", required_argument, NULL, OPT_ARCHIVE },
		{ "archive-max-mb", required_argument, NULL, OPT_ARCHIVE_MB },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "control-group", required_argument, NULL, OPT_CONTROL_GROUP },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "user", required_argument, NULL, OPT_USER },
		{ "archive-max-age", required_argument, NULL, OPT_ARCHIVE_AGE },
		{ "archive-level", required_argument, NULL, OPT_ARCHIVE_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_prefix *bv;
	uint64_t u;
	char *end;
	long v;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_RULES:
			cfg->rules_path = optarg;
			break;
		case OPT_CHECK:
			cfg->check_rules = 1;
			break;
		case OPT_INPUT:
			if (cfg->n_inputs == DP_MAX_INPUTS)
				return fail(err, errlen, "at most %d --input", DP_MAX_INPUTS);
			rc = dp_input_parse(optarg, &cfg->inputs[cfg->n_inputs], err, errlen);
			if (rc)
				return rc;
			cfg->n_inputs++;
			break;
		case OPT_STATS:
			cfg->stats_out = optarg;
			break;
		case OPT_WORKERS:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 1024)
				return fail(err, errlen, "--workers '%s': expected 0 to 1024",
					    optarg);
			cfg->workers = (int)v;
			break;
		case OPT_LOG:
			if (parse_log_level(optarg, &cfg->log_level))
				return fail(err, errlen,
					    "--log-level '%s': expected error, warn, info or debug",
					    optarg);
			break;
		case OPT_OUT:
			cfg->out_dir = optarg;
			break;
		case OPT_BLOCK:
			if (cfg->n_blocked == DP_MAX_BLOCKED)
				return fail(err, errlen, "at most %d --block", DP_MAX_BLOCKED);
			bv = realloc(cfg->blocked, (cfg->n_blocked + 1) * sizeof(*bv));
			if (bv == NULL)
				return fail(err, errlen, "out of memory");
			cfg->blocked = bv;
			if (dp_prefix_parse(optarg, &bv[cfg->n_blocked], err, errlen) != 0) {
				char msg[256];

				snprintf(msg, sizeof(msg), "%s", err);
				return fail(err, errlen, "--block %s", msg);
			}
			cfg->n_blocked++;
			break;
		case OPT_RATE:
			if (parse_u64(optarg, 0, 1000000000, &cfg->rate_pps))
				return fail(err, errlen,
					    "--rate-limit '%s': expected packets per second, 0 to "
					    "1000000000",
					    optarg);
			break;
		case OPT_BURST:
			if (parse_u64(optarg, 1, 1000000000, &cfg->rate_burst))
				return fail(err, errlen,
					    "--rate-burst '%s': expected 1 to 1000000000", optarg);
			break;
		case OPT_BP:
			if (strcmp(optarg, "wait") == 0)
				cfg->backpressure_drop = 0;
			else if (strcmp(optarg, "drop") == 0)
				cfg->backpressure_drop = 1;
			else
				return fail(err, errlen,
					    "--backpressure '%s': expected wait or drop", optarg);
			break;
		case OPT_RING:
			if (parse_u64(optarg, 64, 1 << 20, &u) || (u & (u - 1)) != 0)
				return fail(
					err, errlen,
					"--result-ring '%s': expected a power of two from 64 to "
					"1048576 (KiB)",
					optarg);
			cfg->result_ring_kib = (uint32_t)u;
			break;
		case OPT_SHARE:
			cfg->share_cores = 1;
			break;
		case OPT_KAFKA:
			if (*optarg == '\0')
				return fail(err, errlen,
					    "--kafka: expected host:port[,host:port...]");
			cfg->kafka = optarg;
			break;
		case OPT_KAFKA_CONFIG:
			cfg->kafka_config = optarg;
			break;
		case OPT_KAFKA_STALL:
			if (parse_u64(optarg, 100, 3600000, &u))
				return fail(err, errlen,
					    "--kafka-stall-ms '%s': expected 100 to 3600000",
					    optarg);
			cfg->kafka_stall_ms = (uint32_t)u;
			break;
		case OPT_SPOOL:
			cfg->spool_dir = optarg;
			break;
		case OPT_CONTROL:
			if (*optarg == '\0')
				return fail(err, errlen,
					    "--control: expected a socket path or none");
			cfg->control = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case OPT_CONTROL_GROUP:
			cfg->control_group = optarg;
			break;
		case OPT_METRICS:
			if (strrchr(optarg, ':') == NULL)
				return fail(err, errlen, "--metrics '%s': expected ADDR:PORT",
					    optarg);
			cfg->metrics = optarg;
			break;
		case OPT_USER:
			cfg->user = optarg;
			break;
		case OPT_SPOOL_MAX:
			if (parse_u64(optarg, 0, UINT64_C(1) << 30, &cfg->spool_max_mb))
				return fail(err, errlen, "--spool-max '%s': expected MB, 0 to %llu",
					    optarg, 1ull << 30);
			break;
		case OPT_SPOOL_FULL:
			if (strcmp(optarg, "wait") == 0)
				cfg->spool_full = SPOOL_FULL_WAIT;
			else if (strcmp(optarg, "drop-newest") == 0)
				cfg->spool_full = SPOOL_FULL_DROP_NEWEST;
			else if (strcmp(optarg, "drop-oldest") == 0)
				cfg->spool_full = SPOOL_FULL_DROP_OLDEST;
			else
				return fail(err, errlen,
					    "--spool-full '%s': expected wait, drop-newest or "
					    "drop-oldest",
					    optarg);
			break;
		case OPT_DRAIN:
			if (parse_u64(optarg, 0, 86400, &u))
				return fail(err, errlen,
					    "--drain-timeout '%s': expected 0 to 86400 s", optarg);
			cfg->drain_s = (uint32_t)u;
			break;
		case OPT_ARCHIVE:
			cfg->archive_dir = optarg;
			break;
		case OPT_ARCHIVE_MB:
			if (parse_u64(optarg, 1, 1 << 20, &cfg->archive_max_mb))
				return fail(err, errlen, "--archive-max-mb '%s': expected 1 to %d",
					    optarg, 1 << 20);
			break;
		case OPT_ARCHIVE_AGE:
			if (parse_u64(optarg, 1, 86400, &u))
				return fail(err, errlen,
					    "--archive-max-age '%s': expected 1 to 86400 s",
					    optarg);
			cfg->archive_max_age = (uint32_t)u;
			break;
		case OPT_ARCHIVE_LEVEL:
			if (parse_u64(optarg, 0, 3, &u))
				return fail(err, errlen, "--archive-level '%s': expected 0 to 3",
					    optarg);
			cfg->archive_level = (int)u;
			break;
		case OPT_STATE:
			if (parse_u64(optarg, 0, 64, &u))
				return fail(err, errlen, "--state-lcores '%s': expected 0 to 64",
					    optarg);
			cfg->state_lcores = (int)u;
			break;
		case 'h':
			fputs(dp_usage, stdout);
			return 1;
		case 'V':
			printf("riptide %s\n", RIPTIDE_VERSION);
			return 1;
		case ':':
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			/* optopt names a short option, even inside a bundle like -Vx */
			if (optopt)
				return fail(err, errlen,
					    "unknown option '-%c' (see riptide --help)", optopt);
			return fail(err, errlen, "unknown option '%s' (see riptide --help)",
				    argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, errlen,
				    "unexpected argument '%s' (EAL arguments go after --)",
				    argv[optind]);
		cfg->eal_argc = argc - optind;
		cfg->eal_argv = argv + optind;
	}
	if (cfg->rules_path == NULL)
		return fail(err, errlen, "--rules FILE is required (see riptide --help)");
	if (!cfg->check_rules && cfg->n_inputs == 0)
		return fail(err, errlen, "at least one --input SPEC is required");
	if (cfg->kafka == NULL && (cfg->kafka_config != NULL || cfg->spool_dir != NULL))
		return fail(err, errlen,
			    "%s needs --kafka (the spool holds what Kafka cannot take)",
			    cfg->spool_dir != NULL ? "--spool" : "--kafka-config");
	if (cfg->state_lcores > 0 && cfg->workers >= 0 && cfg->state_lcores >= cfg->workers)
		return fail(err, errlen,
			    "--state-lcores %d leaves no worker to receive: give --workers at "
			    "least %d",
			    cfg->state_lcores, cfg->state_lcores + 1);
	return 0;
}

static int argv_push(struct dp_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int argv_push(struct dp_argv *a, const char *fmt, ...)
{
	char **v = realloc(a->argv, (size_t)(a->argc + 2) * sizeof(*v));
	va_list ap;
	int n;

	if (v == NULL)
		return -ENOMEM;
	a->argv = v;
	va_start(ap, fmt);
	n = vasprintf(&a->argv[a->argc], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	a->argv[++a->argc] = NULL;
	return 0;
}

static int input_vdev(struct dp_argv *a, const struct dp_input *in, const char *name,
		      const char *xdp_prog)
{
	switch (in->kind) {
	case DP_IN_PCAP:
		return argv_push(a, "--vdev=%s,rx_pcap=%s", name, in->target);
	case DP_IN_AF_XDP:
		if (xdp_prog != NULL)
			return argv_push(a,
					 "--vdev=%s,iface=%s,start_queue=0,queue_count=%u,"
					 "xdp_prog=%s",
					 name, in->target, in->queues ? in->queues : 1, xdp_prog);
		return argv_push(a, "--vdev=%s,iface=%s,start_queue=0,queue_count=%u", name,
				 in->target, in->queues ? in->queues : 1);
	case DP_IN_AF_PACKET:
		/* 4096 frames of 2 KiB a queue (8 MiB) rather than the driver's 512, so
		 * that a burst is buffered while the lcore is busy: the kernel drops what
		 * overflows the ring, and DPDK 22.11 does not report those drops. */
		return argv_push(a,
				 "--vdev=%s,iface=%s,qpairs=%u,blocksz=4096,framesz=2048,"
				 "framecnt=4096",
				 name, in->target, in->queues ? in->queues : 1);
	case DP_IN_MEMIF:
		return argv_push(a, "--vdev=%s,role=%s,socket=%s,socket-abstract=no,id=0", name,
				 in->memif_client ? "client" : "server", in->target);
	case DP_IN_NULL:
		return argv_push(a, "--vdev=%s", name);
	case DP_IN_PCI:
		return argv_push(a, "-a%s", in->target);
	}
	return -EINVAL;
}

int dp_eal_args(const struct dp_config *cfg, const unsigned int *cores, unsigned int n_cores,
		const char *file_prefix, struct dp_argv *out)
{
	static const char *const levels[] = { "error", "warning", "info", "debug" };
	const char *lvl;
	char list[1024];
	size_t off = 0;
	unsigned int i;
	int has_pci = 0, rc;

	out->argc = 0;
	out->argv = NULL;
	if (n_cores == 0)
		return -EINVAL;
	/* lcore i runs on cores[i]: --lcores, not -l, so that lcores may share a core
	 * (--share-cores) */
	for (i = 0; i < n_cores; i++) {
		int n = snprintf(list + off, sizeof(list) - off, "%s%u@%u", i ? "," : "", i,
				 cores[i]);

		if (n < 0 || (size_t)n >= sizeof(list) - off)
			return -EINVAL;
		off += (size_t)n;
	}
	rc = argv_push(out, "riptide");
	rc = rc ?: argv_push(out, "--lcores=%s", list);
	rc = rc ?: argv_push(out, "--main-lcore=0");
	rc = rc ?: argv_push(out, "--file-prefix=%s", file_prefix);
	/* Hugepage files are unlinked once mapped: nothing is left behind in hugetlbfs,
	 * even after kill -9. riptide has no secondary processes that would need them. */
	rc = rc ?: argv_push(out, "--huge-unlink");
	/* riptide's control socket is the way in; DPDK's telemetry socket is left off
	 * (EAL arguments after -- may turn it back on with --telemetry). */
	rc = rc ?: argv_push(out, "--no-telemetry");
	/* DPDK's own libraries and drivers follow riptide's level, one step quieter at
	 * info. Not the global level: that would cap riptide's log types too. */
	lvl = levels[cfg->log_level == DP_LOG_INFO ? DP_LOG_WARN : cfg->log_level];
	rc = rc ?: argv_push(out, "--log-level=lib.*:%s", lvl);
	rc = rc ?: argv_push(out, "--log-level=pmd.*:%s", lvl);
	for (i = 0; i < cfg->n_inputs && rc == 0; i++) {
		char name[64];

		if (cfg->inputs[i].kind == DP_IN_PCI)
			has_pci = 1;
		rc = dp_input_devname(&cfg->inputs[i], i, name, sizeof(name));
		rc = rc ?: input_vdev(out, &cfg->inputs[i], name, cfg->xdp_prog);
	}
	if (rc == 0 && !has_pci)
		rc = argv_push(out, "--no-pci");
	for (i = 0; rc == 0 && (int)i < cfg->eal_argc; i++)
		rc = argv_push(out, "%s", cfg->eal_argv[i]);
	if (rc)
		dp_argv_free(out);
	return rc;
}

void dp_argv_free(struct dp_argv *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide: the appliance daemon. main() owns the order of things: command line, rule
 * file, inputs checked before EAL, EAL and ports, lcores launched, then the stop (end
 * of every input, or a signal), final counters and exit status (INTERFACES.md).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "bpf/rt_xdp_load.h"
#include "control/ctl_metrics.h"
#include "control/ctl_server.h"

#include "dp_config.h"
#include "dp_lcore.h"
#include "dp_log.h"
#include "dp_port.h"
#include "dp_privs.h"
#include "dp_runtime.h"
#include "dp_stats.h"
#include "patterns/pat_rules.h"
#include "sinks/sink.h"
#include "sinks/sink_archive.h"
#include "sinks/sink_kafka.h"

RTE_LOG_REGISTER(dp_logtype, riptide.dataplane, INFO);

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static void on_signal(int sig)
{
	(void)sig;
	dp_force_quit = true;
}

/* Compiles the rule file; prints every error. Returns 0 or EXIT_USAGE. */
/* The lcores' clock (dp_cycles), for the sink thread: the RX stamps of results. */
static uint64_t sink_rx_clock(void)
{
	return dp_cycles();
}

static int load_rules(const char *path, struct pat_ruleset **rs)
{
	struct pat_diags diags = { 0 };
	size_t k;
	int rc;

	rc = pat_compile_file(path, rs, &diags);
	for (k = 0; k < diags.n; k++)
		fprintf(stderr, "%s\n", diags.msgs[k]);
	pat_diags_free(&diags);
	if (rc == -ENOMEM)
		fprintf(stderr, "riptide: out of memory compiling %s\n", path);
	return rc ? EXIT_USAGE : EXIT_OK;
}

/* The cores this process may run on, in order. */
static unsigned int usable_cores(unsigned int *cores, unsigned int max)
{
	cpu_set_t set;
	unsigned int n = 0, c;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cores[n++] = c;
	return n;
}

/* Waits for every worker lcore to return, asleep: the main lcore's core is shared
 * with the sink thread (and, on a small machine, with others), so it must not spin
 * as rte_eal_mp_wait_lcore() does. */
static void wait_workers(void)
{
	const struct timespec nap = { .tv_nsec = 5 * 1000 * 1000 };
	unsigned int lcore;
	bool running;

	do {
		running = false;
		RTE_LCORE_FOREACH_WORKER(lcore)
		running |= rte_eal_get_lcore_state(lcore) == RUNNING;
		if (running)
			nanosleep(&nap, NULL);
	} while (running);
	rte_eal_mp_wait_lcore(); /* collects the return values; returns at once */
}

/* The rule file's text, for `rules show` (NULL when it cannot be read again). */
static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	FILE *m;
	char chunk[65536];
	size_t got;

	*len = 0;
	if (f == NULL)
		return NULL;
	m = open_memstream(&buf, &n);
	if (m == NULL) {
		fclose(f);
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, got, m);
	fclose(f);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gives each lcore its share of the (port, queue) pairs, round-robin. */
static int assign_queues(struct dp_worker *workers, unsigned int n_workers,
			 const struct dp_port *ports, unsigned int n_ports)
{
	unsigned int p, next = 0;
	uint16_t q;

	for (p = 0; p < n_ports; p++) {
		for (q = 0; q < ports[p].n_rxq; q++) {
			struct dp_worker *w = &workers[next++ % n_workers];

			if (w->n_rxq == DP_MAX_RXQ_PER_LCORE)
				return -ENOSPC;
			w->rxq[w->n_rxq].port = &ports[p];
			w->rxq[w->n_rxq].queue = q;
			w->n_rxq++;
		}
	}
	return 0;
}

/* Every event of a keyed stream went to its owner (in place or over a ring) or was
 * dropped and counted, and every event sent was received. */
static bool shard_balanced(const struct dp_counters *t)
{
	return t->shard_local + t->shard_sent + t->shard_dropped == t->shard_routed &&
	       t->shard_sent == t->shard_received &&
	       t->shard_handled == t->shard_local + t->shard_received;
}

static void print_summary(const struct dp_stats_report *r)
{
	const struct dp_counters *t = &r->total;
	uint64_t filtered = 0, derr = 0, malformed = 0, lost = 0;
	unsigned int k;

	for (k = 0; k < DP_FILTER__COUNT; k++)
		filtered += t->filtered[k];
	for (k = 0; k < DP_DERR__COUNT; k++)
		derr += t->decode_errors[k];
	for (k = 0; k < FMT_M__COUNT; k++)
		malformed += t->malformed[k];
	for (k = 0; k < DP_LOST__COUNT; k++)
		lost += t->lost[k];
	for (k = 0; k < SINK_LOST__COUNT; k++)
		lost += r->sink_lost[k];
	printf("riptide: rx_packets %lu = datagrams %lu + filtered %lu + decode_errors %lu\n",
	       (unsigned long)t->rx_packets, (unsigned long)t->datagrams, (unsigned long)filtered,
	       (unsigned long)derr);
	printf("riptide: records %lu = events %lu + malformed %lu\n", (unsigned long)t->records,
	       (unsigned long)t->events, (unsigned long)malformed);
	printf("riptide: messages produced %lu, delivered %lu, spooled %lu, lost %lu\n",
	       (unsigned long)t->produced, (unsigned long)r->delivered, (unsigned long)r->spooled,
	       (unsigned long)lost);
	for (k = 0; k < DP_FILTER__COUNT; k++)
		if (t->filtered[k])
			printf("  filtered %-16s %lu\n", dp_filter_reason_name(k),
			       (unsigned long)t->filtered[k]);
	for (k = 0; k < DP_DERR__COUNT; k++)
		if (t->decode_errors[k])
			printf("  decode_errors %-11s %lu\n", dp_decode_error_name(k),
			       (unsigned long)t->decode_errors[k]);
	for (k = 0; k < FMT_M__COUNT; k++)
		if (t->malformed[k])
			printf("  malformed %-15s %lu\n", fmt_malformed_name(k),
			       (unsigned long)t->malformed[k]);
	for (k = 0; k < DP_LOST__COUNT; k++)
		if (t->lost[k])
			printf("  lost %-20s %lu\n", dp_lost_name(k), (unsigned long)t->lost[k]);
	for (k = 0; k < SINK_LOST__COUNT; k++)
		if (r->sink_lost[k])
			printf("  lost %-20s %lu\n", sink_lost_name(k),
			       (unsigned long)r->sink_lost[k]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct dp_config cfg;
	static struct dp_runtime rt = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct pat_ruleset *rs = NULL;
	struct dp_port ports[DP_MAX_INPUTS] = { 0 };
	struct dp_stats_report report = { 0 };
	struct ctl_metrics *metrics = NULL;
	struct rte_rcu_qsbr *qsbr = NULL;
	struct dp_worker *workers = NULL;
	struct dp_pipeline *pipeline = NULL;
	struct sink_topics topics = { 0 };
	static struct sink sink;
	unsigned int cores[RTE_MAX_LCORE], n_cores, n_workers, n_loops, n_rx, i;
	struct dp_argv eal = { 0 };
	char **eal_view = NULL;
	char err[512], prefix[64];
	int rc, status = EXIT_RUNTIME, eal_up = 0, ports_up = 0;
	json_t *sink_json = NULL, *archive_json = NULL, *stats = NULL;
	static struct sink_archiver archiver;
	static struct sink_archive_stream arch_streams[PAT_MAX_STREAMS];
	uint64_t sink_lost = 0;
	double t0;

	dp_config_init(&cfg);
	rc = dp_config_parse(&cfg, argc, argv, err, sizeof(err));
	if (rc == 1)
		return EXIT_OK;
	if (rc) {
		fprintf(stderr, "riptide: %s\n", err);
		return EXIT_USAGE;
	}
	status = load_rules(cfg.rules_path, &rs);
	if (cfg.check_rules || status != EXIT_OK) {
		if (status == EXIT_OK)
			printf("%s: %u stream(s), %u rule(s), no errors\n", cfg.rules_path,
			       rs->n_streams, rs->n_rules);
		goto out;
	}
	if (cfg.kafka != NULL) {
		sink.kafka.conf = sink_kafka_conf(cfg.kafka, cfg.kafka_config, err, sizeof(err));
		if (sink.kafka.conf == NULL) {
			fprintf(stderr, "riptide: %s\n", err);
			status = EXIT_USAGE;
			goto out;
		}
		sink.kafka.spool = cfg.spool_dir;
		sink.kafka.spool_max = cfg.spool_max_mb << 20;
		sink.kafka.spool_full = cfg.spool_full;
		sink.kafka.stall_ms = cfg.kafka_stall_ms;
		sink.kafka.drain_ms = cfg.drain_s * 1000u;
	}
	status = EXIT_USAGE;
	if (cfg.user != NULL && dp_privs_check(cfg.user, err, sizeof(err)) != 0) {
		fprintf(stderr, "riptide: %s\n", err);
		goto out;
	}
	for (i = 0; i < cfg.n_inputs; i++) {
		if (cfg.inputs[i].kind != DP_IN_PCAP)
			continue;
		if (dp_pcap_count(cfg.inputs[i].target, &ports[i].expected, err, sizeof(err))) {
			fprintf(stderr, "riptide: --input %s\n", err);
			goto out;
		}
	}
	n_cores = usable_cores(cores, RTE_MAX_LCORE);
	if (n_cores == 0) {
		fprintf(stderr, "riptide: cannot read the CPU affinity: %s\n", strerror(errno));
		goto out;
	}
	if (cfg.workers < 0)
		cfg.workers = (int)n_cores - 1;
	if ((unsigned int)cfg.workers + 1 > n_cores) {
		if (!cfg.share_cores || cfg.workers + 1 > RTE_MAX_LCORE) {
			fprintf(stderr,
				"riptide: --workers %d needs %d cores, this process may use %u "
				"(--share-cores lets lcores share them)\n",
				cfg.workers, cfg.workers + 1, n_cores);
			goto out;
		}
		/* the workers past the cores take them in turn, the main one's included
		 * (the main lcore sleeps while they run): worker k on core k mod n */
		for (i = n_cores; i < (unsigned int)cfg.workers + 1; i++)
			cores[i] = cores[i % n_cores];
	}
	n_workers = (unsigned int)cfg.workers;
	if (cfg.state_lcores > 0 && (unsigned int)cfg.state_lcores >= n_workers) {
		fprintf(stderr,
			"riptide: --state-lcores %d leaves no worker lcore to receive (--workers %u)\n",
			cfg.state_lcores, n_workers);
		goto out;
	}
	/* af_xdp inputs run riptide's XDP pre-filter: its maps made and filled from
	 * the rule set and the command line before the driver loads it (dp_xdp.h) */
	for (i = 0; i < cfg.n_inputs; i++)
		if (cfg.inputs[i].kind == DP_IN_AF_XDP)
			break;
	if (i < cfg.n_inputs && dp_rt_xdp_open(&rt, &cfg, rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "riptide: %s\n", err);
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "riptide-%d", (int)getpid());
	if (dp_eal_args(&cfg, cores, n_workers + 1, prefix, &eal)) {
		fprintf(stderr, "riptide: cannot build the EAL arguments\n");
		goto out;
	}
	status = EXIT_RUNTIME;
	/* EAL permutes its argv and writes the program name over one slot: it gets a
	 * copy of the pointers, and the strings are freed from the original at exit. */
	eal_view = malloc((size_t)(eal.argc + 1) * sizeof(*eal_view));
	if (eal_view == NULL) {
		fprintf(stderr, "riptide: out of memory\n");
		goto out;
	}
	memcpy(eal_view, eal.argv, (size_t)(eal.argc + 1) * sizeof(*eal_view));
	if (rte_eal_init(eal.argc, eal_view) < 0) {
		fprintf(stderr, "riptide: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		goto out;
	}
	eal_up = 1;
	rte_log_set_level(dp_logtype, cfg.log_level == DP_LOG_ERROR  ? RTE_LOG_ERR
				      : cfg.log_level == DP_LOG_WARN ? RTE_LOG_WARNING
				      : cfg.log_level == DP_LOG_INFO ? RTE_LOG_INFO
								     : RTE_LOG_DEBUG);

	/* With no worker lcore, the main lcore runs the loop itself (run to completion). */
	n_loops = n_workers ? n_workers : 1;
	n_rx = n_loops - (unsigned int)cfg.state_lcores;
	for (i = 0; i < cfg.n_inputs; i++) {
		ports[i].in = &cfg.inputs[i];
		dp_input_devname(&cfg.inputs[i], i, ports[i].devname, sizeof(ports[i].devname));
	}
	if (dp_ports_start(ports, &cfg, (uint16_t)n_rx, err, sizeof(err))) {
		fprintf(stderr, "riptide: %s\n", err);
		goto out;
	}
	ports_up = 1;
	if (rt.xdp != NULL) {
		rt_xdp_unpin(rt.xdp); /* the driver's program holds the maps now */
		for (i = 0; i < cfg.n_inputs; i++)
			ports[i].xdp = cfg.inputs[i].kind == DP_IN_AF_XDP;
	}

	/* Ports that stamp their packets (pcap) registered the timestamp field. */
	dp_rx_ts_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	rc = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	dp_rx_ts_flag = rc >= 0 ? UINT64_C(1) << rc : 0;
	if (rc < 0)
		dp_rx_ts_offset = -1;

	pipeline = calloc(1, sizeof(*pipeline));
	workers = rte_zmalloc("workers", n_loops * sizeof(*workers), RTE_CACHE_LINE_SIZE);
	if (pipeline == NULL || workers == NULL) {
		fprintf(stderr, "riptide: out of memory for the lcores\n");
		goto out;
	}
	rc = dp_pipeline_init(pipeline, rs, &topics, &rt.slots);
	if (rc != 0) {
		fprintf(stderr, "riptide: cannot set up the streams: %s\n", strerror(-rc));
		goto out;
	}
	/* the block list and rate limit come with the control plane's filter set
	 * (dp_rt_begin), which riptidectl filter replaces */
	pipeline->backpressure = cfg.backpressure_drop ? DP_BP_DROP : DP_BP_WAIT;
	pipeline->has_sink = cfg.out_dir != NULL || cfg.kafka != NULL;
	pipeline->ruleset = 1; /* the set loaded at start; each reload will count up */
	pipeline->clock_from_packets = dp_rx_ts_offset >= 0;
	for (i = 0; i < n_loops; i++) {
		struct dp_worker *w = &workers[i];
		struct timespec wall;
		struct sink_ring *ring = NULL;

		w->index = i;
		w->linear = rte_malloc("linear", DP_MAX_FRAME, RTE_CACHE_LINE_SIZE);
		if (pipeline->has_sink) {
			ring = sink_ring_new((size_t)cfg.result_ring_kib * 1024);
			if (ring != NULL)
				sink.rings[sink.n_rings++] = ring;
		}
		if (w->linear == NULL || (pipeline->has_sink && ring == NULL) ||
		    dp_ingest_init(&w->in, pipeline, &w->c, ring, &dp_force_quit) != 0) {
			fprintf(stderr, "riptide: out of memory for the lcores\n");
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &wall);
		w->tsc0 = rte_rdtsc();
		w->wall0_ns = (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec;
		w->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
		w->in.us_per_cycle_fp = dp_us_per_cycle_fp((double)rte_get_tsc_hz());
	}
	dp_stage_calibrate();
	if (cfg.archive_dir != NULL) {
		struct sink_archive_opts ao = {
			.dir = cfg.archive_dir,
			.max_bytes = cfg.archive_max_mb << 20,
			.max_age_s = cfg.archive_max_age,
			.level = cfg.archive_level,
			/* by stream slot: streams that a reload adds are named there
			 * before any record of theirs comes */
			.n_streams = PAT_MAX_STREAMS,
			.streams = arch_streams,
		};

		rt.arch_streams = arch_streams;
		for (i = 0; i < n_loops; i++) {
			struct sink_ring *ring = sink_ring_new((size_t)cfg.result_ring_kib * 1024);

			if (ring == NULL) {
				fprintf(stderr, "riptide: out of memory for the archive rings\n");
				goto out;
			}
			archiver.rings[archiver.n_rings++] = ring;
			workers[i].in.archive = ring;
		}
		archiver.a = sink_archive_open(&ao, err, sizeof(err));
		if (archiver.a == NULL || sink_archiver_start(&archiver, err, sizeof(err)) != 0) {
			fprintf(stderr, "riptide: %s\n", err);
			goto out;
		}
	}
	sink.out_dir = cfg.out_dir;
	sink.rx_clock = sink_rx_clock;
	sink.rx_us_per_tick_fp = dp_us_per_cycle_fp((double)rte_get_tsc_hz());
	sink.topics = &topics;
	if (sink_start(&sink, err, sizeof(err)) != 0) {
		fprintf(stderr, "riptide: %s\n", err);
		goto out;
	}
	/* Roles: the first n_rx workers receive; the last --state-lcores own keys only,
	 * or, with none, every worker owns a share of the keys. */
	if (dp_shard_setup(workers, n_loops, n_rx, n_rx < n_loops ? n_rx : 0, pipeline, err,
			   sizeof(err)) != 0) {
		fprintf(stderr, "riptide: %s\n", err);
		goto out;
	}
	if (assign_queues(workers, n_rx, ports, cfg.n_inputs)) {
		fprintf(stderr, "riptide: more than %d RX queues for one lcore\n",
			DP_MAX_RXQ_PER_LCORE);
		goto out;
	}

	/* the control plane: the runtime it reaches, the generation and filter set the
	 * lcores start with, their quiescent states, the socket and the metrics */
	rt.cfg = &cfg;
	rt.topics = &topics;
	rt.workers = workers;
	rt.n_workers = n_loops;
	rt.ports = ports;
	rt.n_ports = cfg.n_inputs;
	rt.sink = &sink;
	if (dp_rt_begin(&rt, pipeline, rs, cfg.rules_path) != 0) {
		fprintf(stderr, "riptide: out of memory for the control plane\n");
		goto out;
	}
	pipeline = NULL; /* the runtime's now, with rs */
	rs = NULL;
	rt.rules_text = read_text(cfg.rules_path, &rt.rules_len);
	qsbr = rte_zmalloc("qsbr", rte_rcu_qsbr_get_memsize(n_loops), RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, n_loops) != 0) {
		fprintf(stderr, "riptide: out of memory for the control plane\n");
		goto out;
	}
	for (i = 0; i < n_loops; i++)
		rte_rcu_qsbr_thread_register(qsbr, i);
	rt.qsbr = qsbr;
	dp_qsbr = qsbr;
	if (cfg.control != NULL) {
		struct ctl_server_opts co = {
			.path = cfg.control,
			.group = cfg.control_group,
			.fn = dp_rt_handle,
			.ctx = &rt,
		};

		rt.ctl = ctl_server_start(&co, err, sizeof(err));
		if (rt.ctl == NULL) {
			fprintf(stderr, "riptide: %s\n", err);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (cfg.metrics != NULL) {
		metrics = ctl_metrics_start(cfg.metrics, dp_rt_metrics, &rt, err, sizeof(err));
		if (metrics == NULL) {
			fprintf(stderr, "riptide: %s\n", err);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (cfg.user != NULL) {
		rc = dp_privs_drop(cfg.user, &cfg, rt.ctl, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "riptide: %s\n", err);
			goto out;
		}
		DP_LOG(INFO, "running as %s", cfg.user);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	rt.t0 = t0;
	if (n_workers == 0) {
		workers[0].lcore_id = rte_lcore_id();
		DP_LOG(INFO, "main lcore polling %u port(s), run to completion", cfg.n_inputs);
		dp_worker_main(&workers[0]);
	} else {
		unsigned int lcore, k = 0;

		RTE_LCORE_FOREACH_WORKER(lcore)
		{
			workers[k].lcore_id = lcore;
			rc = rte_eal_remote_launch(dp_worker_main, &workers[k], lcore);
			if (rc) {
				/* Its queues would go unpolled: stop the others, fail. */
				DP_LOG(ERR, "cannot launch lcore %u: %s", lcore, rte_strerror(-rc));
				dp_force_quit = true;
				rte_eal_mp_wait_lcore();
				goto out;
			}
			k++;
		}
		DP_LOG(INFO, "%u worker lcore(s) polling %u port(s)", n_workers, cfg.n_inputs);
		wait_workers();
	}

	/* Every producer has stopped. The control plane goes first (it reads the sink),
	 * then the sink drains what is left and closes. */
	dp_rt_control_stop(&rt);
	ctl_metrics_stop(metrics);
	metrics = NULL;
	sink_stop(&sink);
	if (cfg.archive_dir != NULL) {
		const struct sink_archive_stats *as = &archiver.final;

		sink_archiver_stop(&archiver);
		archive_json = json_pack("{sI sI sI sI sI}", "records", (json_int_t)as->records,
					 "bytes_in", (json_int_t)as->bytes_in, "bytes_out",
					 (json_int_t)as->bytes_out, "files", (json_int_t)as->files,
					 "errors", (json_int_t)as->errors);
	}
	sink_json = sink_stats_json(&sink);
	if (dp_rt_report(&rt, &report) != 0) {
		fprintf(stderr, "riptide: out of memory for the stats\n");
		goto out;
	}
	report.sink = sink_json;
	report.archive = archive_json;
	report.uptime_s = now_s() - t0;
	print_summary(&report);
	status = EXIT_OK;
	if (!dp_counters_balanced(&report.total)) {
		DP_LOG(ERR, "counters do not balance: a packet escaped every bucket");
		status = EXIT_RUNTIME;
	}
	if (!shard_balanced(&report.total)) {
		DP_LOG(ERR,
		       "keyed events do not balance: routed %lu = local %lu + sent %lu + "
		       "dropped %lu, received %lu",
		       (unsigned long)report.total.shard_routed,
		       (unsigned long)report.total.shard_local,
		       (unsigned long)report.total.shard_sent,
		       (unsigned long)report.total.shard_dropped,
		       (unsigned long)report.total.shard_received);
		status = EXIT_RUNTIME;
	}
	/* Messages lost on the lcores were never produced into a ring; the sink's
	 * balance (sinks/sink.h) counts the spool's backlog on both sides. */
	for (i = 0; i < SINK_LOST__COUNT; i++)
		sink_lost += sink.c.lost[i];
	if (report.total.produced + sink.spool_backlog_start !=
	    report.delivered + sink_lost + sink.spool_backlog_end) {
		DP_LOG(ERR,
		       "messages do not balance: produced %lu + spooled before %lu != delivered "
		       "%lu + lost %lu + left in the spool %lu",
		       (unsigned long)report.total.produced,
		       (unsigned long)sink.spool_backlog_start, (unsigned long)report.delivered,
		       (unsigned long)sink_lost, (unsigned long)sink.spool_backlog_end);
		status = EXIT_RUNTIME;
	}
	if (cfg.stats_out != NULL) {
		stats = dp_rt_stats(&rt, sink_json, archive_json);
		rc = stats != NULL ? dp_stats_write_json(cfg.stats_out, stats) : -ENOMEM;
		if (rc) {
			fprintf(stderr, "riptide: --stats-out %s: %s\n", cfg.stats_out,
				strerror(-rc));
			status = EXIT_RUNTIME;
		}
	}
out:
	dp_rt_control_stop(&rt);
	ctl_metrics_stop(metrics);
	sink_stop(&sink);
	sink_archiver_stop(&archiver);
	for (i = 0; i < archiver.n_rings; i++)
		sink_ring_free(archiver.rings[i]);
	dp_rt_report_free(&report);
	json_decref(stats);
	json_decref(archive_json);
	json_decref(sink_json);
	json_decref(sink.stats);
	if (sink.kafka.conf != NULL)
		rd_kafka_conf_destroy(sink.kafka.conf);
	if (ports_up)
		dp_ports_stop(ports, cfg.n_inputs);
	rt_xdp_close(rt.xdp);
	if (workers != NULL)
		dp_shard_teardown(workers, n_loops);
	if (workers != NULL)
		for (i = 0; i < n_loops; i++) {
			rte_free(workers[i].linear);
			dp_ingest_fini(&workers[i].in);
		}
	for (i = 0; i < sink.n_rings; i++)
		sink_ring_free(sink.rings[i]);
	dp_rt_end(&rt);
	dp_qsbr = NULL;
	rte_free(qsbr);
	sink_topics_free(&topics);
	rte_free(workers);
	if (pipeline != NULL)
		dp_pipeline_fini(pipeline);
	free(pipeline);
	if (eal_up)
		rte_eal_cleanup();
	free(eal_view);
	dp_argv_free(&eal);
	pat_ruleset_free(rs);
	dp_config_free(&cfg);
	return status;
}

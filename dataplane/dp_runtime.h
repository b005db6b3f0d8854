/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the control plane reaches of a running riptide: the generation in force and
 * its rule file, the workers' counters, the ports, the sinks, the live filter. main()
 * fills it in before the launch; afterwards the control thread and the metrics thread
 * use it under lock (one at a time), and main again once the lcores have stopped.
 */
#ifndef RIPTIDE_DP_RUNTIME_H
#define RIPTIDE_DP_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "control/ctl_proto.h"
#include "control/ctl_server.h"
#include "dp_config.h"
#include "dp_gen.h"
#include "dp_stats.h"

struct dp_worker;
struct dp_port;
struct sink;
struct sink_archive_stream;
struct sink_topics;
struct rte_rcu_qsbr;
struct ctl_server;

struct dp_runtime {
	pthread_mutex_t lock;
	const struct dp_config *cfg;
	struct dp_slots slots;
	struct sink_topics *topics;
	struct dp_gen *gen;	/* in force; owns its pipeline and rule set */
	struct dp_gen *retired; /* one a stop interrupted the grace period of */
	char *rules_file;	/* its rule file: name, text, when */
	char *rules_text;
	size_t rules_len;
	time_t loaded_at;
	struct dp_worker *workers;
	unsigned int n_workers;
	struct dp_port *ports;
	unsigned int n_ports;
	struct sink *sink;
	struct sink_archive_stream *arch_streams; /* by stream slot */
	struct rte_rcu_qsbr *qsbr;
	struct rt_xdp *xdp;	      /* the XDP pre-filter's maps (af_xdp inputs), or NULL */
	struct dp_filter_set *filter; /* in force */
	struct dp_prefix *prefixes;   /* its blocked prefixes, in its order */
	uint64_t *hits_base;	      /* their hits counted by the sets before */
	struct ctl_server *ctl;
	struct ctl_server_counters ctl_final; /* its counters when it stopped */
	double t0;			      /* CLOCK_MONOTONIC seconds at the launch */
	uint64_t reloads, reload_failures;
	double last_compile_ms, last_swap_ms;
};

/* The initial generation (version 1, which takes pl and rs over) and filter set from
 * the command line, published for the launch. Returns 0 or -ENOMEM. */
int dp_rt_begin(struct dp_runtime *rt, struct dp_pipeline *pl, struct pat_ruleset *rs,
		const char *rules_file);

/* Before EAL: the XDP pre-filter's maps made, pinned for the af_xdp driver's load
 * and filled from rs and the command line; cfg->xdp_prog set to its object. Returns
 * 0, or -errno with a message in err. */
int dp_rt_xdp_open(struct dp_runtime *rt, struct dp_config *cfg, const struct pat_ruleset *rs,
		   char *err, size_t errlen);

/* Frees the generations and filter sets (after the lcores have stopped). */
void dp_rt_end(struct dp_runtime *rt);

/* The stats object (INTERFACES.md), live; sink_json: the sink's figures to include
 * (NULL: the live ones). A new reference, NULL when out of memory. Takes the lock. */
json_t *dp_rt_stats(struct dp_runtime *rt, json_t *sink_json, json_t *archive_json);

/* The same, filling r (its arrays malloc'd: dp_rt_report_free). Without the lock. */
int dp_rt_report(struct dp_runtime *rt, struct dp_stats_report *r);
void dp_rt_report_free(struct dp_stats_report *r);

/* The control socket's handler (ctl_server.h): ctx is the runtime. */
json_t *dp_rt_handle(void *ctx, const struct ctl_request *req);

/* Stops the control socket (before the sink stops: stats read the sink). */
void dp_rt_control_stop(struct dp_runtime *rt);

/* The metrics endpoint's source (ctl_metrics.h): ctx is the runtime. */
json_t *dp_rt_metrics(void *ctx);

#endif

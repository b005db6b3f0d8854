/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint (--metrics ADDR:PORT): GET /metrics renders the stats JSON
 * (the same object as `riptidectl stats --json`) in the text exposition format, so
 * that the two never disagree. libmicrohttpd serves it from a thread of its own.
 *
 * Names: riptide_<path> for numbers (riptide_rx_packets, riptide_shard_routed,
 * riptide_sink_kafka_produced); objects of counts by reason, rule, stream or topic
 * become one family with that label (riptide_filtered{reason="unknown_port"},
 * riptide_results{rule="big_payment"}); per-stream, per-rule state, per-port and
 * per-lcore objects carry their name as a label; histograms of powers of two
 * (*_latency_us) become Prometheus histograms (_bucket{le}, _count).
 */
#ifndef RIPTIDE_CTL_METRICS_H
#define RIPTIDE_CTL_METRICS_H

#include <stddef.h>

#include <jansson.h>

/* Returns the stats object (a new reference), NULL on failure. Called on the
 * endpoint's thread. */
typedef json_t *(*ctl_stats_fn)(void *ctx);

struct ctl_metrics;

/* Serves addr:port ("127.0.0.1:9464", "[::1]:9464", ":9464" for every address).
 * Returns NULL with a message in err. */
struct ctl_metrics *ctl_metrics_start(const char *addr_port, ctl_stats_fn fn, void *ctx, char *err,
				      size_t errlen);
void ctl_metrics_stop(struct ctl_metrics *m);

/* The text exposition of stats, malloc'd; NULL when out of memory. */
char *ctl_metrics_render(json_t *stats);

#endif

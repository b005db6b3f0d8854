/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters. Each lcore owns one struct dp_counters, on cache lines of its own, and is
 * its only writer (plain increments). Readers (the main lcore, the control plane) sum
 * them with relaxed loads and never reset them. The stats JSON is the format of
 * INTERFACES.md, for --stats-out and `riptidectl stats --json`.
 */
#ifndef RIPTIDE_DP_STATS_H
#define RIPTIDE_DP_STATS_H

#include <stdint.h>

#include <jansson.h>

#include "dp_decode.h"

struct dp_counters {
	uint64_t rx_packets;
	uint64_t datagrams;
	uint64_t records;
	uint64_t events;
	uint64_t filtered[DP_FILTER__COUNT];
	uint64_t decode_errors[DP_DERR__COUNT];
} __attribute__((aligned(64)));

/* Port-level figures from the driver: packets it lost before riptide saw them. */
struct dp_port_report {
	const char *spec;   /* the --input SPEC */
	const char *device; /* DPDK device name */
	uint16_t rx_queues;
	uint64_t ipackets;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t rx_nombuf;
};

struct dp_lcore_report {
	unsigned int lcore;
	uint16_t n_rxq;
	uint64_t rx_packets;
};

struct dp_stats_report {
	struct dp_counters total;
	uint64_t ruleset;
	double uptime_s;
	unsigned int n_ports;
	const struct dp_port_report *ports;
	unsigned int n_lcores;
	const struct dp_lcore_report *lcores;
};

/* sum += c, reading c with relaxed atomic loads (c may be written meanwhile). */
void dp_counters_accumulate(struct dp_counters *sum, const struct dp_counters *c);

/* 1 when both conservation equations of INTERFACES.md hold for c, else 0. */
int dp_counters_balanced(const struct dp_counters *c);

/* The stats object; NULL on allocation failure. The caller owns the reference. */
json_t *dp_stats_json(const struct dp_stats_report *r);

/* Writes the stats JSON to path atomically (a temporary file renamed over it).
 * Returns 0 or -errno. */
int dp_stats_write(const char *path, const struct dp_stats_report *r);

#endif

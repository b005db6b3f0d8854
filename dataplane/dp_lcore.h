/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll-mode loop. Each lcore owns a struct dp_worker: its RX queues, its counters
 * and a buffer for frames that span several mbufs. Only that lcore writes it; main
 * fills it in before the launch and reads the counters (relaxed) while and after it
 * runs.
 */
#ifndef RIPTIDE_DP_LCORE_H
#define RIPTIDE_DP_LCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_ingest.h"
#include "dp_port.h"
#include "dp_shard.h"
#include "dp_stats.h"

#define DP_BURST	     32
#define DP_MAX_RXQ_PER_LCORE 32
/* Largest frame decoded whole: a 64 KiB UDP datagram with its headers. */
#define DP_MAX_FRAME (65536 + 128)

/* Set by the signal handler and by main; read by every lcore loop. */
extern volatile bool dp_force_quit;

/* The mbuf field where ports that have one (pcap) put the packet's receive time in
 * microseconds, and the flag that says it is set; offset -1: no port has one. Set by
 * main before the launch. */
extern int dp_rx_ts_offset;
/* RX lcores still running; a state lcore stops once it is 0 and its rings are empty. */
extern unsigned int dp_rx_live;
extern uint64_t dp_rx_ts_flag;

struct dp_rxq {
	const struct dp_port *port;
	uint16_t queue;
};

struct dp_gen;

/* Quiescent states of the worker lcores (live reload, dp_gen.h), thread id = worker
 * index; NULL: no reload. Set by main before the launch. */
extern struct rte_rcu_qsbr *dp_qsbr;

struct dp_worker {
	struct dp_counters c; /* written by this lcore only */
	unsigned int lcore_id;
	unsigned int index;	  /* among the workers: its kit, its RCU thread id */
	const struct dp_gen *gen; /* the generation it runs */
	uint16_t n_rxq;
	uint16_t n_live; /* queues not yet ended */
	struct dp_rxq rxq[DP_MAX_RXQ_PER_LCORE];
	bool ended[DP_MAX_RXQ_PER_LCORE];
	struct dp_ingest in;	   /* the pipeline, the result ring, parse state */
	struct dp_shard_out *sout; /* RX role with stateful streams: events out by key */
	struct dp_shard_in *sin;   /* state role: events in from the RX lcores */
	bool rx_role;		   /* polls RX queues (it may have none) */
	uint8_t *linear;	   /* DP_MAX_FRAME bytes, for multi-segment frames */
	/* wall-clock time from the TSC: ns = wall0_ns + (tsc - tsc0) * ns_per_tsc */
	uint64_t tsc0, wall0_ns;
	double ns_per_tsc;
	uint64_t clock_ns;		/* arrival time of its last packet */
	uint64_t idle_next_ns;		/* next look for idle streams, packet time */
	uint64_t next_house, house_tsc; /* housekeeping: when, and how often */
} __attribute__((aligned(64)));

/*
 * The lcore main loop (rte_eal_remote_launch). Returns when dp_force_quit is set or
 * every one of its queues has ended (the end of a pcap). arg is a struct dp_worker.
 */
int dp_worker_main(void *arg);

#endif

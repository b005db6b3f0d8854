/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: one DPDK port per --input, configured with as many RX queues as the port and
 * the workers allow (RSS when more than one), started, and stopped at exit.
 */
#ifndef RIPTIDE_DP_PORT_H
#define RIPTIDE_DP_PORT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp_config.h"
#include "dp_stats.h"

struct rte_mempool;

struct dp_port {
	const struct dp_input *in;
	char devname[64];
	uint16_t port_id;
	uint16_t n_rxq;
	/* pcap: packets in the file, so that the end of the input is known exactly;
	 * 0 for inputs that do not end. */
	uint64_t expected;
	struct rte_mempool *pool;
	bool xdp; /* af_xdp running riptide's XDP pre-filter: sources judged there */
	/* memif: polled only while its link is up. DPDK 22.11's memif receive takes
	 * the ring's address before it looks at whether the peer is connected, so a
	 * poll that straddles the connection reads the ring through a region not yet
	 * mapped (seen crashing riptide and testpmd when a client came to 8 polling
	 * lcores); the link goes up after the mapping, down before the unmapping. */
	bool link_gated;
};

/*
 * Counts the packets of a pcap file with libpcap, which also checks that it is one.
 * Returns 0, or -EINVAL/-errno with a message in err. No DPDK needed.
 */
int dp_pcap_count(const char *path, uint64_t *count, char *err, size_t errlen);

/*
 * Finds, configures and starts the port of each input (after rte_eal_init). rxq_want
 * is the number of RX queues to ask for where the input does not say (one per
 * worker). Returns 0, or -errno with a message in err; ports already started are
 * stopped again on failure.
 */
int dp_ports_start(struct dp_port *ports, const struct dp_config *cfg, uint16_t rxq_want, char *err,
		   size_t errlen);

/* The driver's figures for a port (rte_eth_stats_get). */
void dp_port_report(const struct dp_port *p, struct dp_port_report *r);

/* Stops and closes every port. */
void dp_ports_stop(struct dp_port *ports, unsigned int n);

#endif

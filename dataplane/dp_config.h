/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide's command line: the one configuration struct, its defaults, the --input
 * specs of INTERFACES.md and the EAL arguments built from them. Plain C with no DPDK,
 * so that the tests can check every spec and every error message.
 */
#ifndef RIPTIDE_DP_CONFIG_H
#define RIPTIDE_DP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "dp_filter.h"

#define DP_MAX_INPUTS	   16
#define DP_MAX_BLOCKED	   4096
#define DP_MAX_QUEUES	   64
#define DP_CONTROL_DEFAULT "/run/riptide/control.sock"

enum dp_input_kind {
	DP_IN_PCAP,
	DP_IN_AF_XDP,
	DP_IN_AF_PACKET,
	DP_IN_MEMIF,
	DP_IN_PCI,
	DP_IN_NULL
};

struct dp_input {
	enum dp_input_kind kind;
	const char *spec; /* as given, for messages and stats */
	char *target;	  /* path, interface, socket or PCI address; NULL for null */
	uint16_t queues;  /* RX queues asked for; 0: one per worker, as the port allows */
	int memif_client; /* memif role */
};

enum dp_log_level { DP_LOG_ERROR, DP_LOG_WARN, DP_LOG_INFO, DP_LOG_DEBUG };

struct dp_config {
	const char *rules_path;
	/* not an option: the object file of riptide's XDP pre-filter that af_xdp ports
	 * run (DPDK's xdp_prog), set by main before dp_eal_args(); NULL: the driver's */
	const char *xdp_prog;
	int check_rules;
	struct dp_input inputs[DP_MAX_INPUTS];
	unsigned int n_inputs;
	const char *stats_out;
	const char *out_dir;	   /* --out: the file sink */
	const char *kafka;	   /* --kafka: bootstrap servers */
	const char *kafka_config;  /* --kafka-config FILE */
	const char *spool_dir;	   /* --spool DIR */
	uint64_t spool_max_mb;	   /* --spool-max */
	int spool_full;		   /* --spool-full: enum spool_full */
	uint32_t kafka_stall_ms;   /* --kafka-stall-ms */
	uint32_t drain_s;	   /* --drain-timeout */
	const char *archive_dir;   /* --archive DIR */
	uint64_t archive_max_mb;   /* --archive-max-mb */
	uint32_t archive_max_age;  /* --archive-max-age, seconds */
	int archive_level;	   /* --archive-level */
	struct dp_prefix *blocked; /* --block, n_blocked of them */
	unsigned int n_blocked;
	uint64_t rate_pps;	  /* --rate-limit: per-source packets per second, 0: off */
	uint64_t rate_burst;	  /* --rate-burst: 0 means rate_pps */
	int backpressure_drop;	  /* --backpressure drop */
	uint32_t result_ring_kib; /* --result-ring: per-lcore result ring size */
	int workers;		  /* -1: every available core but the main one */
	int state_lcores;	  /* --state-lcores: workers that own keys only (0: all do both) */
	int share_cores;	  /* --share-cores: lcores may outnumber cores */
	enum dp_log_level log_level;
	const char *control;	   /* --control: the control socket; NULL: none */
	const char *control_group; /* --control-group: the socket is 0660 to it */
	const char *metrics;	   /* --metrics ADDR:PORT; NULL: off */
	const char *user;	   /* --user: run as this user after start-up */
	int eal_argc;		   /* EAL arguments given after "--", passed through as they are */
	char **eal_argv;
};

/* Sets the defaults. */
void dp_config_init(struct dp_config *cfg);
void dp_config_free(struct dp_config *cfg);

/*
 * Parses the command line (argv[0] is the program). Returns 0 when riptide should
 * run, 1 when --help or --version was printed to stdout and riptide should exit 0,
 * -EINVAL with a message in err when the command line is wrong (exit 2).
 */
int dp_config_parse(struct dp_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Parses one --input SPEC. Returns 0, or -EINVAL with a message in err. */
int dp_input_parse(const char *spec, struct dp_input *in, char *err, size_t errlen);

/* Name of the DPDK device that input number idx becomes (net_pcap0, ..., or the PCI
 * address). Writes at most len bytes; returns 0 or -ENOSPC. */
int dp_input_devname(const struct dp_input *in, unsigned int idx, char *buf, size_t len);

/* An argument vector that owns its strings. */
struct dp_argv {
	int argc;
	char **argv;
};

/*
 * The EAL arguments for cfg: the program name, the lcore list (cores[0] is the main
 * lcore, the rest are workers), a --file-prefix of its own (file_prefix), a --vdev
 * for each virtual input, -a for each PCI input and --no-pci when there is none, the
 * log level, then the user's extra arguments. Returns 0 or -ENOMEM/-EINVAL.
 */
int dp_eal_args(const struct dp_config *cfg, const unsigned int *cores, unsigned int n_cores,
		const char *file_prefix, struct dp_argv *out);
void dp_argv_free(struct dp_argv *a);

/* The usage text, for --help and the man-like docs. */
extern const char dp_usage[];

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * After start-up (EAL, ports, sinks, control socket), riptide drops what it no longer
 * needs (--user): it becomes that user and group, with no supplementary groups, and
 * keeps only the capabilities its ports use while they run (docs/operations.md):
 * CAP_NET_RAW for af_packet, CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF for af_xdp, none
 * for pcap, memif and null. The bounding set loses the rest and no_new_privs is set.
 */
#ifndef RIPTIDE_DP_PRIVS_H
#define RIPTIDE_DP_PRIVS_H

#include <stddef.h>

struct dp_config;
struct ctl_server;

/* Does user exist? Returns 0, or -EINVAL with a message in err. */
int dp_privs_check(const char *user, char *err, size_t errlen);

/* Becomes user, keeping what cfg's inputs need; the control socket becomes the user's.
 * Returns 0, or -errno with a message in err. */
int dp_privs_drop(const char *user, const struct dp_config *cfg, const struct ctl_server *ctl,
		  char *err, size_t errlen);

#endif

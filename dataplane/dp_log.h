/* SPDX-License-Identifier: BSD-3-Clause */
/* The data plane's log type. Never used per packet: the data path counts. */
#ifndef RIPTIDE_DP_LOG_H
#define RIPTIDE_DP_LOG_H

#include <rte_log.h>

extern int dp_logtype;

#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_logtype, "riptide: " fmt "\n", ##__VA_ARGS__)

#endif

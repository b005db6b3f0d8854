/* SPDX-License-Identifier: BSD-3-Clause */
/* What the sink threads' files and clocks share: a write that finishes, the monotonic
 * clock in nanoseconds. */
#ifndef RIPTIDE_SINK_IO_H
#define RIPTIDE_SINK_IO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Writes all n bytes of p to fd (short writes and EINTR resumed). Returns 0 or -errno. */
int sink_write_all(int fd, const uint8_t *p, size_t n);

static inline uint64_t sink_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif

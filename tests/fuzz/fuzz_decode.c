/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the packet decoder on any bytes. It must give exactly one verdict with a
 * reason in range, and a datagram's payload must lie inside the frame. */
#include <stdint.h>
#include <stdlib.h>

#include "dataplane/dp_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_l4 l4;
	uint8_t reason = 0xff;

	if (size > UINT32_MAX)
		return 0;
	switch (dp_decode(data, (uint32_t)size, &l4, &reason)) {
	case DP_DATAGRAM:
		if ((uint64_t)l4.payload_off + l4.payload_len > size)
			abort();
		if (l4.ip_version != 4 && l4.ip_version != 6)
			abort();
		break;
	case DP_FILTERED:
		if (reason >= DP_FILTER__COUNT)
			abort();
		break;
	case DP_DECODE_ERROR:
		if (reason >= DP_DERR__COUNT)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}

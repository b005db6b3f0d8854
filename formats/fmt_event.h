/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An event row flattened into one buffer: what crosses a ring from the RX lcore that
 * parsed it to the state lcore that owns its key. The row points into a datagram
 * and a scratch buffer that the RX lcore reuses at once; the packed event owns its
 * bytes. Plain C.
 *
 * Layout: struct fmt_event_hdr, then for each column with a value, in column order,
 * 8 bytes (BIGINT, DOUBLE, TIMESTAMP, BOOLEAN) or a 4-byte length and the string's
 * bytes, each item starting on a 4-byte boundary.
 */
#ifndef RIPTIDE_FMT_EVENT_H
#define RIPTIDE_FMT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

struct fmt_event_hdr {
	uint32_t len;	/* bytes, this header included */
	uint8_t stream; /* stream index in the rule set */
	uint8_t n_cols;
	uint16_t pad;
	int64_t ts_ms;
	uint64_t present;
};

/* Bytes that fmt_event_pack() needs for row. */
size_t fmt_event_size(const struct fmt_schema *sc, const struct fmt_row *row);

/* Packs row of stream into buf (cap bytes). Returns the length, 0 when cap is short. */
size_t fmt_event_pack(const struct fmt_schema *sc, uint8_t stream, const struct fmt_row *row,
		      void *buf, size_t cap);

/* The row of a packed event; its strings point into buf. Returns 0, or -1 when buf
 * is not a well-formed event of schema sc (its lengths run past len). */
int fmt_event_unpack(const struct fmt_schema *sc, const void *buf, size_t len, struct fmt_row *row);

#endif

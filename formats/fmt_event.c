/* SPDX-License-Identifier: BSD-3-Clause */
#include "fmt_event.h"

#include <string.h>

static inline size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

size_t fmt_event_size(const struct fmt_schema *sc, const struct fmt_row *row)
{
	size_t n = sizeof(struct fmt_event_hdr);
	uint32_t c;

	for (c = 0; c < sc->n_cols; c++) {
		if (!(row->present >> c & 1))
			continue;
		n += sc->type[c] == PAT_T_STRING ? align4(4 + row->v[c].s.len) : 8;
	}
	return n;
}

size_t fmt_event_pack(const struct fmt_schema *sc, uint8_t stream, const struct fmt_row *row,
		      void *buf, size_t cap)
{
	size_t n = fmt_event_size(sc, row), off = sizeof(struct fmt_event_hdr);
	struct fmt_event_hdr h = { .len = (uint32_t)n,
				   .stream = stream,
				   .n_cols = (uint8_t)sc->n_cols,
				   .ts_ms = row->ts_ms,
				   .present = row->present };
	uint8_t *b = buf;
	uint32_t c;

	if (n > cap || n > UINT32_MAX)
		return 0;
	memcpy(b, &h, sizeof(h));
	for (c = 0; c < sc->n_cols; c++) {
		if (!(row->present >> c & 1))
			continue;
		if (sc->type[c] == PAT_T_STRING) {
			uint32_t len = row->v[c].s.len;

			memcpy(b + off, &len, 4);
			memcpy(b + off + 4, row->v[c].s.p, len);
			off += align4(4 + len);
		} else {
			memcpy(b + off, &row->v[c].i, 8); /* the union's 8 bytes */
			off += 8;
		}
	}
	return n;
}

int fmt_event_unpack(const struct fmt_schema *sc, const void *buf, size_t len, struct fmt_row *row)
{
	const uint8_t *b = buf;
	struct fmt_event_hdr h;
	size_t off = sizeof(h);
	uint32_t c;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, b, sizeof(h));
	if (h.len != len || h.n_cols != sc->n_cols ||
	    (sc->n_cols < 64 && (h.present >> sc->n_cols) != 0))
		return -1;
	row->present = h.present;
	row->ts_ms = h.ts_ms;
	for (c = 0; c < sc->n_cols; c++) {
		if (!(h.present >> c & 1))
			continue;
		if (sc->type[c] == PAT_T_STRING) {
			uint32_t sl;

			if (len - off < 4)
				return -1;
			memcpy(&sl, b + off, 4);
			if (sl > len - off - 4)
				return -1;
			row->v[c].s.p = b + off + 4;
			row->v[c].s.len = sl;
			off += align4(4 + sl);
			if (off > len)
				return -1;
		} else {
			if (len - off < 8)
				return -1;
			memcpy(&row->v[c].i, b + off, 8);
			off += 8;
		}
	}
	return off == len ? 0 : -1;
}

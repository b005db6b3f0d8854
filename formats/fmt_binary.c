/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binary records: columns back to back in declaration order, little-endian, no
 * padding (spec/RULES.md). A datagram whose length is not a multiple of the record
 * size has every one of its records malformed (bad_length). Binary values have no
 * NULL; a STRING(n) value ends at its first NUL byte or after n bytes.
 */
#include <string.h>

#include "fmt_internal.h"

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

int fmt_parse_binary(const struct fmt_schema *sc, const uint8_t *rec, size_t len, size_t dgram_len,
		     struct fmt_row *row, uint8_t *reason)
{
	uint32_t c;

	row->present = 0;
	if (sc->record_size == 0 || len != sc->record_size || dgram_len % sc->record_size != 0) {
		*reason = FMT_M_BAD_LENGTH;
		return -1;
	}
	for (c = 0; c < sc->n_cols; c++) {
		const uint8_t *p = rec + sc->offset[c];
		struct fmt_value *v = &row->v[c];
		uint64_t u;
		const uint8_t *nul;

		switch ((enum pat_type)sc->type[c]) {
		case PAT_T_BIGINT:
		case PAT_T_TIMESTAMP:
		case PAT_T_NULL: /* no column has this type */
			v->i = (int64_t)le64(p);
			break;
		case PAT_T_DOUBLE:
			u = le64(p);
			memcpy(&v->d, &u, 8);
			break;
		case PAT_T_BOOLEAN:
			if (*p > 1) {
				*reason = FMT_M_BAD_TYPE;
				return -1;
			}
			v->b = *p;
			break;
		case PAT_T_STRING:
			nul = memchr(p, 0, sc->size[c]);
			if (fmt_string_value(row, c, p, nul ? (size_t)(nul - p) : sc->size[c],
					     reason) != 0)
				return -1;
			break;
		}
		row->present |= UINT64_C(1) << c;
	}
	return 0;
}

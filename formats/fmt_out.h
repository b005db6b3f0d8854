/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing output messages (spec/RULES.md "Output messages") straight into a result
 * ring's reservation: JSON text without allocation. Every write is bounded by cap; a
 * message that does not fit sets overflow and is not to be sent.
 */
#ifndef RIPTIDE_FMT_OUT_H
#define RIPTIDE_FMT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fmt_out {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
};

/* The most bytes fmt_out_str() writes for n bytes of input. */
#define FMT_OUT_STR_MAX(n) (6 * (size_t)(n) + 2)
/* The most bytes fmt_out_base64() writes for n bytes of input. */
#define FMT_OUT_B64_MAX(n) (4 * (((size_t)(n) + 2) / 3) + 2)

static inline void fmt_out_raw(struct fmt_out *o, const void *s, size_t n)
{
	if (o->cap - o->len < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void fmt_out_lit(struct fmt_out *o, const char *s)
{
	fmt_out_raw(o, s, strlen(s));
}

/* s as a JSON string, quotes included; control characters as \u00XX. The caller
 * passes valid UTF-8 (fmt_utf8_valid). */
void fmt_out_str(struct fmt_out *o, const uint8_t *s, size_t n);
void fmt_out_i64(struct fmt_out *o, int64_t v);
/* Shortest text that reads back to the same double; null for NaN and infinities. */
void fmt_out_double(struct fmt_out *o, double v);
/* s as a JSON string of its base64 (RFC 4648, padded). */
void fmt_out_base64(struct fmt_out *o, const uint8_t *s, size_t n);

#endif

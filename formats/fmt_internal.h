/* SPDX-License-Identifier: BSD-3-Clause */
/* What the three parsers share: numbers, typed conversion of text, string checks. */
#ifndef RIPTIDE_FMT_INTERNAL_H
#define RIPTIDE_FMT_INTERNAL_H

#include "fmt.h"

/* A decimal number as scanned: mantissa digits and a power of ten. */
struct fmt_num {
	const uint8_t *start;
	size_t len;
	uint64_t mant; /* the first 19 significant digits */
	int32_t exp10; /* value = mant * 10^exp10 (when !truncated) */
	bool neg;
	bool is_int;	/* no fraction, no exponent */
	bool truncated; /* more than 19 significant digits */
};

/*
 * Scans a number in JSON's grammar (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)
 * at p, or, with lenient, also a leading '+' and leading zeros (CSV text). Returns
 * the end of the number, or NULL when p does not start one.
 */
const uint8_t *fmt_scan_number(const uint8_t *p, const uint8_t *end, struct fmt_num *n,
			       bool lenient);

/* Returns 0, or -1 when n is not an integer or is out of range. */
int fmt_num_to_bigint(const struct fmt_num *n, int64_t *v);
/* Returns 0, or -1 when the number cannot be read (overlong text). */
int fmt_num_to_double(const struct fmt_num *n, double *v);

/*
 * Column c of a row from its text form (a CSV field, or a JSON string for a
 * TIMESTAMP column): BIGINT, DOUBLE, BOOLEAN (true/false/1/0, any case), STRING
 * (checked for length and UTF-8), TIMESTAMP (epoch ms or ISO-8601). Returns 0, or -1
 * with *reason.
 */
int fmt_text_value(const struct fmt_schema *sc, uint32_t c, const uint8_t *s, size_t len,
		   struct fmt_row *row, uint8_t *reason);

/* The unquoted '\n' that ends the CSV record starting at p, or NULL when it runs to
 * end. A quote left open at the end of the datagram does not swallow the records
 * after it: the record then ends at the first '\n' (and is malformed). */
const uint8_t *fmt_csv_record_end(const struct fmt_schema *sc, const uint8_t *p,
				  const uint8_t *end);

/* Checks a string value bound for a STRING column: length and UTF-8. */
static inline int fmt_string_value(struct fmt_row *row, uint32_t c, const uint8_t *s, size_t len,
				   uint8_t *reason)
{
	if (len > PAT_MAX_STRING) {
		*reason = FMT_M_STRING_TOO_LONG;
		return -1;
	}
	if (!fmt_utf8_valid(s, len)) {
		*reason = FMT_M_BAD_UTF8;
		return -1;
	}
	row->v[c].s.p = s;
	row->v[c].s.len = (uint32_t)len;
	row->present |= UINT64_C(1) << c;
	return 0;
}

#endif

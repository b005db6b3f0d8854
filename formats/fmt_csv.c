/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV records (RFC 4180): fields in column order, separated by the stream's
 * delimiter; a field in double quotes may hold the delimiter, newlines and "" for a
 * quote. An empty unquoted field is NULL; "" is the empty string. Spaces are part of
 * a field. Reasons, strongest first: bad_csv (quoting), field_count, then the first
 * type error of a field.
 */
#include <string.h>

#include "fmt_internal.h"

const uint8_t *fmt_csv_record_end(const struct fmt_schema *sc, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *nl = memchr(p, '\n', (size_t)(end - p)), *q;
	uint8_t delim = (uint8_t)sc->delimiter;
	bool field_start = true;

	/* the common case: no quote on the line */
	if (memchr(p, '"', (size_t)((nl ? nl : end) - p)) == NULL)
		return nl;
	/* RFC 4180: a quote opens a quoted field only at the start of a field; inside
	 * one, "" is a quote and a lone " closes it. A quote elsewhere is the parser's
	 * bad_csv, not the framer's business. */
	for (q = p; q < end; q++) {
		if (field_start && *q == '"') {
			for (q++;; q++) {
				if (q == end) /* open at the end: the record is its line */
					return nl;
				if (*q == '"') {
					if (q + 1 < end && q[1] == '"')
						q++;
					else
						break;
				}
			}
			field_start = false;
			continue;
		}
		if (*q == '\n')
			return q;
		field_start = *q == delim;
	}
	return NULL;
}

int fmt_parse_csv(const struct fmt_schema *sc, const uint8_t *rec, size_t len, struct fmt_row *row,
		  struct fmt_scratch *scratch, uint8_t *reason)
{
	const uint8_t *p = rec, *end = rec + len, *f, *q;
	uint8_t delim = (uint8_t)sc->delimiter, type_reason = 0xff, r;
	uint32_t c = 0;
	size_t n;

	row->present = 0;
	for (;;) {
		if (p < end && *p == '"') {
			/* quoted: zero-copy unless it holds "" */
			uint8_t *d = NULL;

			f = ++p;
			for (;;) {
				q = memchr(p, '"', (size_t)(end - p));
				if (q == NULL) {
					*reason = FMT_M_BAD_CSV;
					return -1;
				}
				if (q + 1 < end && q[1] == '"') {
					if (d == NULL) {
						d = scratch->buf + scratch->used;
						memcpy(d, f, (size_t)(q - f));
						n = (size_t)(q - f);
					} else {
						memcpy(d + n, p, (size_t)(q - p));
						n += (size_t)(q - p);
					}
					d[n++] = '"';
					p = q + 2;
					continue;
				}
				break;
			}
			if (d != NULL) {
				memcpy(d + n, p, (size_t)(q - p));
				n += (size_t)(q - p);
				scratch->used += n;
				f = d;
			} else {
				n = (size_t)(q - f);
			}
			p = q + 1;
			if (p < end && *p != delim) {
				*reason = FMT_M_BAD_CSV;
				return -1;
			}
			if (c < sc->n_cols && type_reason == 0xff &&
			    fmt_text_value(sc, c, f, n, row, &r) != 0)
				type_reason = r;
		} else {
			f = p;
			q = memchr(p, delim, (size_t)(end - p));
			p = q ? q : end;
			n = (size_t)(p - f);
			if (memchr(f, '"', n) != NULL) {
				*reason = FMT_M_BAD_CSV;
				return -1;
			}
			if (n > 0 && c < sc->n_cols && type_reason == 0xff &&
			    fmt_text_value(sc, c, f, n, row, &r) != 0)
				type_reason = r;
		}
		c++;
		if (p == end)
			break;
		p++; /* the delimiter */
	}
	if (c != sc->n_cols) {
		*reason = FMT_M_FIELD_COUNT;
		return -1;
	}
	if (type_reason != 0xff) {
		*reason = type_reason;
		return -1;
	}
	return 0;
}

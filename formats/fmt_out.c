/* SPDX-License-Identifier: BSD-3-Clause */
#include "fmt_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void fmt_out_str(struct fmt_out *o, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t *d;
	size_t k;

	if (o->cap - o->len < FMT_OUT_STR_MAX(n)) {
		/* the exact size is only known by escaping: count first */
		size_t need = 2;

		for (k = 0; k < n; k++)
			need += s[k] < 0x20 ? (s[k] == '\n' || s[k] == '\t' || s[k] == '\r' ||
							       s[k] == '\b' || s[k] == '\f'
						       ? 2
						       : 6)
				: s[k] == '"' || s[k] == '\\' ? 2
							      : 1;
		if (o->cap - o->len < need) {
			o->overflow = true;
			return;
		}
	}
	d = o->p + o->len;
	*d++ = '"';
	for (k = 0; k < n; k++) {
		uint8_t c = s[k];

		if (c >= 0x20 && c != '"' && c != '\\') {
			*d++ = c;
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*d++ = c;
			break;
		case '\n':
			*d++ = 'n';
			break;
		case '\t':
			*d++ = 't';
			break;
		case '\r':
			*d++ = 'r';
			break;
		case '\b':
			*d++ = 'b';
			break;
		case '\f':
			*d++ = 'f';
			break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = (uint8_t)hex[c >> 4];
			*d++ = (uint8_t)hex[c & 15];
			break;
		}
	}
	*d++ = '"';
	o->len = (size_t)(d - o->p);
}

void fmt_out_i64(struct fmt_out *o, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	fmt_out_raw(o, buf, (size_t)n);
}

void fmt_out_double(struct fmt_out *o, double v)
{
	char buf[32];
	int n, prec;

	if (!isfinite(v)) {
		fmt_out_lit(o, "null");
		return;
	}
	/* the shortest of %.15g, %.16g, %.17g that reads back exactly */
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (prec == 17 || strtod(buf, NULL) == v)
			break;
	}
	fmt_out_raw(o, buf, (size_t)n);
}

void fmt_out_base64(struct fmt_out *o, const uint8_t *s, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t *d;
	size_t k;

	if (o->cap - o->len < FMT_OUT_B64_MAX(n)) {
		o->overflow = true;
		return;
	}
	d = o->p + o->len;
	*d++ = '"';
	for (k = 0; k + 2 < n; k += 3) {
		uint32_t w = (uint32_t)s[k] << 16 | (uint32_t)s[k + 1] << 8 | s[k + 2];

		*d++ = (uint8_t)b64[w >> 18];
		*d++ = (uint8_t)b64[w >> 12 & 63];
		*d++ = (uint8_t)b64[w >> 6 & 63];
		*d++ = (uint8_t)b64[w & 63];
	}
	if (k < n) {
		uint32_t w = (uint32_t)s[k] << 16 | (k + 1 < n ? (uint32_t)s[k + 1] << 8 : 0);

		*d++ = (uint8_t)b64[w >> 18];
		*d++ = (uint8_t)b64[w >> 12 & 63];
		*d++ = k + 1 < n ? (uint8_t)b64[w >> 6 & 63] : '=';
		*d++ = '=';
	}
	*d++ = '"';
	o->len = (size_t)(d - o->p);
}

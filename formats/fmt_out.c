/* SPDX-License-Identifier: BSD-3-Clause */
#include "fmt_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The decimal digits of v at the end of buf (ending at end); returns where they begin. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void fmt_out_i64(struct fmt_out *o, int64_t v)
{
	char buf[24], *end = buf + sizeof(buf), *p;

	p = u64_digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	fmt_out_raw(o, p, (size_t)(end - p));
}

/* Powers of ten that doubles hold exactly. */
static const double pow10_exact[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };

/*
 * What %.15g prints for v, without printf, when v is m / 10^k for an integer m below
 * 10^15 and k at most 9 (money, counts, their sums and averages that come out even):
 * then the decimal m * 10^-k reads back to v (the division and strtod round the same
 * exact quotient), it has at most 15 significant digits, and v lies within half an ulp
 * of it, far less than half a unit of its 15th digit, so %.15g rounds v to exactly it.
 * 1e-4 <= |v| < 1e15 keeps %g off its exponent form. Returns the length, or 0 for
 * another v (printf's turn).
 */
/* m (below 10^17) with its decimal point k digits from the right, as %g prints it: no
 * trailing zeros in the fraction, no point without one, "0." before a fraction alone. */
static int fixed_text(char *buf, bool neg, uint64_t m, unsigned int k)
{
	char digits[24], *end = digits + sizeof(digits), *d, *o = buf;
	int n_int;

	d = u64_digits(end, m);
	if (neg)
		*o++ = '-';
	n_int = (int)(end - d) - (int)k; /* digits before the point */
	if (n_int <= 0) {
		*o++ = '0';
	} else {
		memcpy(o, d, (size_t)n_int);
		o += n_int;
		d += n_int;
	}
	while (end > d && end[-1] == '0')
		end--;
	if (end > d) {
		/* the fraction: leading zeros, its digits, none of m's trailing zeros */
		*o++ = '.';
		for (; n_int < 0; n_int++)
			*o++ = '0';
		memcpy(o, d, (size_t)(end - d));
		o += end - d;
	}
	return (int)(o - buf);
}

static int decimal_fast(double v, char *buf)
{
	double a = fabs(v), m = 0;
	unsigned int k;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (k = 0; k < sizeof(pow10_exact) / sizeof(pow10_exact[0]); k++) {
		m = nearbyint(a * pow10_exact[k]);
		if (m >= 1e15)
			return 0;
		if (m / pow10_exact[k] == a)
			break;
	}
	if (k == sizeof(pow10_exact) / sizeof(pow10_exact[0]))
		return 0;
	return fixed_text(buf, v < 0, (uint64_t)m, k);
}

/*
 * What the shortest of %.15g, %.16g and %.17g that reads back prints for v, without
 * printf, when 1e-4 <= |v| < 1e15 (any double there: running sums, quotients), by
 * exact integer arithmetic. |v| = f * 2^e exactly, so |v| * 10^k = f * 5^k * 2^(e+k):
 * for k <= 20 fractional digits, f * 5^k < 2^100 fits 128 bits, and R, |v| * 10^k
 * rounded half to even (printf's rounding of the exact value), is a shift and a look
 * at the bits shifted out. The decimal R * 10^-k reads back as v (strtod rounds to
 * nearest, ties to even) when it lies within half the gap to v's neighbours: 2 |R * 2^s
 * - f * 5^k| < 5^k for s = -(e + k), a tie reading back when f is even. (Below a power
 * of two the gap is half that above; but a power of two here has at most 15
 * significant digits, so %.15g prints it exactly.) Returns the length, or 0 when %g
 * would take its exponent form (printf's turn).
 */
static int exact_fixed(double v, char *buf)
{
	static const uint64_t pow5[21] = { 1ULL,
					   5ULL,
					   25ULL,
					   125ULL,
					   625ULL,
					   3125ULL,
					   15625ULL,
					   78125ULL,
					   390625ULL,
					   1953125ULL,
					   9765625ULL,
					   48828125ULL,
					   244140625ULL,
					   1220703125ULL,
					   6103515625ULL,
					   30517578125ULL,
					   152587890625ULL,
					   762939453125ULL,
					   3814697265625ULL,
					   19073486328125ULL,
					   95367431640625ULL };
	static const double above[] = { 1e-3, 1e-2, 1e-1, 1e0,	1e1,  1e2,  1e3,  1e4,	1e5, 1e6,
					1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	double a = fabs(v);
	static const uint64_t pow10_u64[18] = { 1ULL,
						10ULL,
						100ULL,
						1000ULL,
						10000ULL,
						100000ULL,
						1000000ULL,
						10000000ULL,
						100000000ULL,
						1000000000ULL,
						10000000000ULL,
						100000000000ULL,
						1000000000000ULL,
						10000000000000ULL,
						100000000000000ULL,
						1000000000000000ULL,
						10000000000000000ULL,
						100000000000000000ULL };
	uint64_t bits, f;
	int e, x = -4, x0, prec, tries;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	memcpy(&bits, &a, 8);
	f = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52; /* normal here */
	e = (int)(bits >> 52) - 1075;
	/* the decimal exponent of |v| (the powers of ten below 1 are read a little
	 * above their value, so that a double is at least one exactly when it is at
	 * least its reading) */
	while (x < 14 && a >= above[x + 4])
		x++;
	x0 = x;
	for (prec = 15; prec <= 17; prec++) {
		const uint64_t lo = pow10_u64[prec - 1], hi = pow10_u64[prec];
		unsigned __int128 n, r = 0;
		int k = 0;
		bool back = true;

		x = x0; /* one more when the rounding carries to 10^prec */
		for (tries = 0; tries < 3; tries++) {
			int s;

			k = prec - 1 - x;
			if (k < 0 || k > 20)
				return 0;
			n = (unsigned __int128)f * pow5[k];
			s = -(e + k);
			if (s <= 0) {
				r = n << -s; /* |v| * 10^k is an integer: R is exact */
				back = true;
			} else {
				unsigned __int128 rem, half = (unsigned __int128)1 << (s - 1), rs,
						       diff;

				r = n >> s;
				rem = n - (r << s);
				if (rem > half || (rem == half && (r & 1)))
					r++;
				rs = r << s;
				diff = rs > n ? rs - n : n - rs;
				diff <<= 1;
				back = diff < pow5[k] || (diff == pow5[k] && !(f & 1));
			}
			if (r >= hi)
				x++;
			else if (r < lo)
				x--;
			else
				break;
		}
		if (tries == 3 || x < -4 || x >= prec)
			return 0; /* %g's exponent form */
		if (back || prec == 17)
			return fixed_text(buf, v < 0, (uint64_t)r, (unsigned int)k);
	}
	return 0;
}

void fmt_out_double(struct fmt_out *o, double v)
{
	char buf[32];
	int n, prec;

	if (!isfinite(v)) {
		fmt_out_lit(o, "null");
		return;
	}
	n = decimal_fast(v, buf);
	if (n > 0) {
		fmt_out_raw(o, buf, (size_t)n);
		return;
	}
	n = exact_fixed(v, buf);
	if (n > 0) {
		fmt_out_raw(o, buf, (size_t)n);
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

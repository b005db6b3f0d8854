/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON records: one object per record, parsed in a single pass without allocation.
 * Only the keys of declared columns (and the objects on their dotted paths) are
 * converted; every other value is still checked against the grammar of RFC 8259, so
 * that what is not JSON is refused whole. A syntax error anywhere outranks a type
 * error: the reason of a record that is both is bad_json.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt_internal.h"

struct jp {
	const uint8_t *p, *end;
	const struct fmt_schema *sc;
	struct fmt_row *row;
	struct fmt_scratch *scratch;
	uint8_t reason;	     /* the syntax error, when a function returned -1 */
	uint8_t type_reason; /* the first type error; 0xff: none */
};

#define NO_REASON 0xff

/* Compact JSON has no whitespace between tokens: one test says so. */
static inline bool likely_not_ws(const struct jp *j)
{
	return j->p<j->end && * j->p> ' ';
}

static inline void skip_ws(struct jp *j)
{
	if (likely_not_ws(j))
		return;
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static inline int fail(struct jp *j, uint8_t reason)
{
	j->reason = reason;
	return -1;
}

static inline void type_error(struct jp *j, uint8_t reason)
{
	if (j->type_reason == NO_REASON)
		j->type_reason = reason;
}

static int hex4(const uint8_t *s, uint32_t *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++) {
		uint8_t c = s[k];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (uint8_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
		*v = *v << 4 | c;
	}
	return 0;
}

/* The first byte at or after p that ends or interrupts a JSON string: a quote, a
 * backslash or a control character (or end). Sixteen bytes at a time where they are
 * there to read. */
static inline const uint8_t *string_stop(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      ctl = _mm_set1_epi8(0x1f);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)p);
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
			_mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl)); /* x <= 0x1f */
		unsigned int m = (unsigned int)_mm_movemask_epi8(hit);

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
		p++;
	return p;
}

/* At the opening quote: checks the string, leaves j->p after the closing quote.
 * *s, *len: the bytes between the quotes; *esc: whether there is a backslash. */
static inline __attribute__((always_inline)) int scan_string(struct jp *j, const uint8_t **s,
							     size_t *len, bool *esc)
{
	const uint8_t *p = j->p + 1, *end = j->end;
	uint32_t u;

	*s = p;
	*esc = false;
#ifdef __SSE2__
	/* the common case, decided from the masks alone: a quote within 16 bytes and
	 * no backslash or control character before it */
	if (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)p);
		unsigned int q =
			(unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
		unsigned int b = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
			_mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f))));

		if (q != 0 && (b & (q ^ (q - 1))) == 0) {
			*len = (size_t)__builtin_ctz(q);
			j->p = p + *len + 1;
			return 0;
		}
	}
#endif
	for (;;) {
		p = string_stop(p, end);
		if (p == end || *p < 0x20)
			return fail(j, FMT_M_BAD_JSON);
		if (*p == '"')
			break;
		*esc = true;
		if (p + 1 == end)
			return fail(j, FMT_M_BAD_JSON);
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u':
			if (end - p < 6 || hex4(p + 2, &u) != 0)
				return fail(j, FMT_M_BAD_JSON);
			p += 6;
			break;
		default:
			return fail(j, FMT_M_BAD_JSON);
		}
	}
	*len = (size_t)(p - *s);
	j->p = p + 1;
	return 0;
}

static size_t put_utf8(uint8_t *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (uint8_t)(0xc0 | cp >> 6);
		d[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (uint8_t)(0xe0 | cp >> 12);
		d[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (uint8_t)(0xf0 | cp >> 18);
	d[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes the escapes of a string checked by scan_string into d (which has room for
 * len bytes: no escape decodes longer than itself). Returns the decoded length, or
 * -1 for a \u escape that is a lone surrogate (not Unicode).
 */
static long unescape(const uint8_t *s, size_t len, uint8_t *d)
{
	const uint8_t *end = s + len;
	uint8_t *o = d;
	uint32_t cp, lo;

	while (s < end) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		switch (s[1]) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			hex4(s + 2, &cp);
			s += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				    hex4(s + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			o += put_utf8(o, cp);
			continue;
		default: /* " \ / */
			*o++ = s[1];
			break;
		}
		s += 2;
	}
	return o - d;
}

static int literal(struct jp *j, const char *word, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, FMT_M_BAD_JSON);
	j->p += n;
	return 0;
}

/* A JSON number at p, as fmt_scan_number() scans it, with a short path for what
 * feeds hold: up to 19 digits, no exponent. */
/* The length of the run of decimal digits at p (16 bytes at a time where they are
 * there to read). */
static inline size_t digit_run(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = p;

#ifdef __SSE2__
	while (end - q >= 16) {
		__m128i y = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)q), _mm_set1_epi8('0'));
		unsigned int d = (unsigned int)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_max_epu8(y, _mm_set1_epi8(9)), _mm_set1_epi8(9)));

		if (d != 0xffff)
			return (size_t)(q - p) + (size_t)__builtin_ctz(~d);
		q += 16;
	}
#endif
	while (q < end && (unsigned int)(*q - '0') < 10)
		q++;
	return (size_t)(q - p);
}

/* The value of n <= 19 digits, in two independent halves (half the latency of one
 * multiply-add chain). */
static inline uint64_t digits_value(const uint8_t *p, size_t n)
{
	uint64_t a = 0, b = 0;
	size_t k, h = n > 8 ? n - 8 : 0;

	for (k = 0; k < h; k++)
		a = a * 10 + (uint64_t)(p[k] - '0');
	for (; k < n; k++)
		b = b * 10 + (uint64_t)(p[k] - '0');
	return h ? a * 100000000u + b : b;
}

/* A JSON number at p, as fmt_scan_number() scans it, with a short path for what
 * feeds hold: up to 19 digits, no exponent. */
static inline const uint8_t *scan_number(const uint8_t *p, const uint8_t *end, struct fmt_num *n)
{
	const uint8_t *start = p, *d0, *f0 = NULL;
	size_t nd, nf = 0;

	n->neg = p < end && *p == '-';
	p += n->neg;
	d0 = p;
	nd = digit_run(p, end);
	p += nd;
	if (nd == 0 || (nd > 1 && *d0 == '0'))
		return NULL;
	n->is_int = true;
	if (p < end && *p == '.') {
		f0 = ++p;
		nf = digit_run(p, end);
		p += nf;
		if (nf == 0)
			return NULL;
		n->is_int = false;
	}
	if (nd + nf > 19 || (p < end && (*p == 'e' || *p == 'E')))
		return fmt_scan_number(start, end, n, false);
	if (nf == 0) {
		n->mant = digits_value(d0, nd);
	} else {
		/* the fraction's digits follow the integer's: scale and add */
		static const uint64_t p10[] = { 1,
						10,
						100,
						1000,
						10000,
						100000,
						1000000,
						10000000,
						100000000,
						1000000000,
						10000000000ULL,
						100000000000ULL,
						1000000000000ULL,
						10000000000000ULL,
						100000000000000ULL,
						1000000000000000ULL,
						10000000000000000ULL,
						100000000000000000ULL,
						1000000000000000000ULL };

		n->mant = digits_value(d0, nd) * p10[nf] + digits_value(f0, nf);
	}
	n->exp10 = -(int32_t)nf;
	n->truncated = false;
	n->start = start;
	n->len = (size_t)(p - start);
	return p;
}

static int skip_value(struct jp *j, int depth);

/* Object (node >= 0: a level some column looks into) or, with node < 0, any object. */
static int object(struct jp *j, int node, int depth);

static int array(struct jp *j, int depth)
{
	if (depth > FMT_JSON_MAX_DEPTH)
		return fail(j, FMT_M_TOO_DEEP);
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		skip_ws(j);
		if (skip_value(j, depth) != 0)
			return -1;
		skip_ws(j);
		if (j->p == j->end)
			return fail(j, FMT_M_BAD_JSON);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return fail(j, FMT_M_BAD_JSON);
	}
}

static int skip_value(struct jp *j, int depth)
{
	const uint8_t *s;
	struct fmt_num n;
	size_t len;
	bool esc;

	if (j->p == j->end)
		return fail(j, FMT_M_BAD_JSON);
	switch (*j->p) {
	case '{':
		return object(j, -1, depth + 1);
	case '[':
		return array(j, depth + 1);
	case '"':
		return scan_string(j, &s, &len, &esc);
	case 't':
		return literal(j, "true", 4);
	case 'f':
		return literal(j, "false", 5);
	case 'n':
		return literal(j, "null", 4);
	default:
		s = scan_number(j->p, j->end, &n);
		if (s == NULL)
			return fail(j, FMT_M_BAD_JSON);
		j->p = s;
		return 0;
	}
}

/* A string value for column c: unescaped into the scratch when it has escapes. */
static void string_column(struct jp *j, uint32_t c, const uint8_t *s, size_t len, bool esc)
{
	struct fmt_scratch *sc = j->scratch;
	uint8_t reason;
	long n;

	if (esc) {
		if (sc->cap - sc->used < len) {
			type_error(j, FMT_M_STRING_TOO_LONG);
			return;
		}
		n = unescape(s, len, sc->buf + sc->used);
		if (n < 0) {
			type_error(j, FMT_M_BAD_UTF8);
			return;
		}
		s = sc->buf + sc->used;
		len = (size_t)n;
		sc->used += len;
	}
	if (j->sc->type[c] == PAT_T_STRING) {
		if (fmt_string_value(j->row, c, s, len, &reason) != 0)
			type_error(j, reason);
	} else if (j->sc->type[c] == PAT_T_TIMESTAMP) {
		if (fmt_text_value(j->sc, c, s, len, j->row, &reason) != 0)
			type_error(j, reason);
	} else {
		type_error(j, FMT_M_BAD_TYPE);
	}
}

/* The value of key k, which names column c. */
static int column_value(struct jp *j, uint32_t c, int depth)
{
	struct fmt_row *row = j->row;
	uint8_t t = j->sc->type[c];
	const uint8_t *s;
	struct fmt_num n;
	size_t len;
	bool esc;

	row->present &= ~(UINT64_C(1) << c); /* a repeated key: the last one counts */
	switch (*j->p) {
	case '"':
		if (scan_string(j, &s, &len, &esc) != 0)
			return -1;
		string_column(j, c, s, len, esc);
		return 0;
	case 'n':
		return literal(j, "null", 4);
	case 't':
	case 'f':
		row->v[c].b = *j->p == 't';
		if (skip_value(j, depth) != 0)
			return -1;
		if (t != PAT_T_BOOLEAN) {
			type_error(j, FMT_M_BAD_TYPE);
			return 0;
		}
		row->present |= UINT64_C(1) << c;
		return 0;
	case '{':
	case '[':
		if (skip_value(j, depth) != 0)
			return -1;
		type_error(j, FMT_M_BAD_TYPE);
		return 0;
	default:
		s = scan_number(j->p, j->end, &n);
		if (s == NULL)
			return fail(j, FMT_M_BAD_JSON);
		j->p = s;
		if (t == PAT_T_BIGINT || t == PAT_T_TIMESTAMP) {
			if (fmt_num_to_bigint(&n, &row->v[c].i) != 0) {
				type_error(j, t == PAT_T_BIGINT ? FMT_M_BAD_TYPE
								: FMT_M_BAD_TIMESTAMP);
				return 0;
			}
		} else if (t == PAT_T_DOUBLE) {
			if (fmt_num_to_double(&n, &row->v[c].d) != 0) {
				type_error(j, FMT_M_BAD_TYPE);
				return 0;
			}
		} else {
			type_error(j, FMT_M_BAD_TYPE);
			return 0;
		}
		row->present |= UINT64_C(1) << c;
		return 0;
	}
}

/* Does key name s[0..len)? end: how far s may be read (the record's end). */
static inline bool same_key(const struct fmt_jkey *key, const uint8_t *s, size_t len,
			    const uint8_t *end)
{
	uint64_t w;

	if (key->len != len)
		return false;
	if (end - s >= 8) { /* most keys: one load and one compare */
		memcpy(&w, s, 8);
		if ((w & key->mask) != key->head)
			return false;
		return len <= 8 || memcmp(key->name + 8, s + 8, len - 8) == 0;
	}
	return memcmp(key->name, s, len) == 0;
}

/* The key of level node that matches s[0..len), or NULL. Records of a feed keep their
 * keys in one order, so the key after the last one found is tried first. */
static inline __attribute__((always_inline)) const struct fmt_jkey *
find_key(const struct fmt_schema *sc, int node, const uint8_t *s, size_t len, bool esc,
	 uint16_t *hint, const uint8_t *end)
{
	const struct fmt_jnode *n = &sc->jnodes[node];
	uint8_t buf[256];
	uint16_t k;

	if (esc) { /* rare: a key spelt with escapes */
		long m;

		if (len > sizeof(buf))
			return NULL;
		m = unescape(s, len, buf);
		if (m < 0)
			return NULL;
		s = buf;
		len = (size_t)m;
		end = buf + m;
	}
	if (*hint < n->n && same_key(&sc->jkeys[n->first + *hint], s, len, end))
		return &sc->jkeys[n->first + (*hint)++];
	for (k = 0; k < n->n; k++) {
		if (same_key(&sc->jkeys[n->first + k], s, len, end)) {
			*hint = (uint16_t)(k + 1);
			return &sc->jkeys[n->first + k];
		}
	}
	return NULL;
}

/* The key that the hint expects, when the record has it at j->p spelt as the
 * schema does ("name":), found with one 16-byte compare; else NULL. */
static inline const struct fmt_jkey *expected_key(const struct jp *j, int node, uint16_t hint)
{
#ifdef __SSE2__
	const struct fmt_jnode *n = &j->sc->jnodes[node];
	const struct fmt_jkey *k;
	unsigned int m;

	if (hint >= n->n || j->end - j->p < 16)
		return NULL;
	k = &j->sc->jkeys[n->first + hint];
	if (k->qlen == 0)
		return NULL;
	m = (unsigned int)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)j->p),
			       _mm_loadu_si128((const __m128i *)k->quoted)));
	return (m & k->qmask) == k->qmask ? k : NULL;
#else
	(void)j;
	(void)node;
	(void)hint;
	return NULL;
#endif
}

static int object(struct jp *j, int node, int depth)
{
	const struct fmt_jkey *key;
	const uint8_t *s;
	uint16_t hint = 0;
	size_t len;
	bool esc;

	if (depth > FMT_JSON_MAX_DEPTH)
		return fail(j, FMT_M_TOO_DEEP);
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		skip_ws(j);
		if (j->p == j->end || *j->p != '"')
			return fail(j, FMT_M_BAD_JSON);
		key = node >= 0 ? expected_key(j, node, hint) : NULL;
		if (key != NULL) {
			/* "key": as expected, byte for byte: no scan for its end */
			hint++;
			j->p += key->qlen;
		} else {
			if (scan_string(j, &s, &len, &esc) != 0)
				return -1;
			skip_ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return fail(j, FMT_M_BAD_JSON);
			key = node >= 0 ? find_key(j->sc, node, s, len, esc, &hint, j->end) : NULL;
		}
		skip_ws(j);
		if (j->p == j->end)
			return fail(j, FMT_M_BAD_JSON);
		if (key == NULL) {
			/* the values of other keys: strings and numbers here, the rest
			 * (objects, arrays, literals) in skip_value */
			if (*j->p == '"') {
				if (scan_string(j, &s, &len, &esc) != 0)
					return -1;
			} else if (*j->p == '-' || (unsigned int)(*j->p - '0') < 10) {
				struct fmt_num n;

				s = scan_number(j->p, j->end, &n);
				if (s == NULL)
					return fail(j, FMT_M_BAD_JSON);
				j->p = s;
			} else if (skip_value(j, depth) != 0) {
				return -1;
			}
		} else if (*j->p == '{' && key->node >= 0) {
			if (object(j, key->node, depth + 1) != 0)
				return -1;
		} else if (key->col >= 0) {
			if (column_value(j, (uint32_t)key->col, depth) != 0)
				return -1;
		} else if (skip_value(j, depth) != 0) {
			return -1;
		}
		skip_ws(j);
		if (j->p == j->end)
			return fail(j, FMT_M_BAD_JSON);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return fail(j, FMT_M_BAD_JSON);
	}
}

int fmt_parse_json(const struct fmt_schema *sc, const uint8_t *rec, size_t len, struct fmt_row *row,
		   struct fmt_scratch *scratch, uint8_t *reason)
{
	struct jp j = { .p = rec,
			.end = rec + len,
			.sc = sc,
			.row = row,
			.scratch = scratch,
			.type_reason = NO_REASON };

	row->present = 0;
	skip_ws(&j);
	if (j.p == j.end || *j.p != '{') {
		*reason = FMT_M_BAD_JSON;
		return -1;
	}
	if (object(&j, 0, 1) != 0) {
		*reason = j.reason;
		return -1;
	}
	skip_ws(&j);
	if (j.p != j.end) {
		*reason = FMT_M_BAD_JSON;
		return -1;
	}
	if (j.type_reason != NO_REASON) {
		*reason = j.type_reason;
		return -1;
	}
	return 0;
}

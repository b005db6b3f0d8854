/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_internal.h"

static const char *const malformed_names[] = {
#define X(e, s) s,
	FMT_MALFORMED_REASONS(X)
#undef X
};

const char *fmt_malformed_name(unsigned int reason)
{
	return reason < FMT_M__COUNT ? malformed_names[reason] : "unknown";
}

/* The key of level node named name[0..len), added when absent. Returns its index or
 * -1 when the table is full. */
static int jkey_of(struct fmt_schema *sc, uint16_t node, const char *name, uint32_t len)
{
	struct fmt_jnode *n = &sc->jnodes[node];
	uint16_t k;

	for (k = n->first; k < n->first + n->n; k++)
		if (sc->jkeys[k].len == len && memcmp(sc->jkeys[k].name, name, len) == 0)
			return k;
	if (sc->n_jkeys == FMT_MAX_JSON_NODES)
		return -1;
	/* Keys of a level stay contiguous: shift the later levels' keys up by one. */
	k = n->first + n->n;
	memmove(&sc->jkeys[k + 1], &sc->jkeys[k], (size_t)(sc->n_jkeys - k) * sizeof(sc->jkeys[0]));
	for (uint16_t j = 0; j < sc->n_jnodes; j++)
		if (j != node && sc->jnodes[j].first >= k)
			sc->jnodes[j].first++;
	sc->jkeys[k] = (struct fmt_jkey){ .name = name, .len = len, .col = -1, .node = -1 };
	memcpy(&sc->jkeys[k].head, name, len < 8 ? len : 8);
	sc->jkeys[k].mask = len >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * len)) - 1;
	if (len + 3 <= 16 && memchr(name, '"', len) == NULL && memchr(name, '\\', len) == NULL) {
		sc->jkeys[k].quoted[0] = '"';
		memcpy(sc->jkeys[k].quoted + 1, name, len);
		sc->jkeys[k].quoted[len + 1] = '"';
		sc->jkeys[k].quoted[len + 2] = ':';
		sc->jkeys[k].qlen = (uint16_t)(len + 3);
		sc->jkeys[k].qmask = (uint16_t)((1u << (len + 3)) - 1);
	}
	sc->n_jkeys++;
	n->n++;
	return k;
}

/* Adds column c, whose name is a dotted path, to the JSON key levels. */
static int add_json_path(struct fmt_schema *sc, uint32_t c, const char *path)
{
	uint16_t node = 0;
	const char *seg = path, *dot;
	int k;

	for (;;) {
		dot = strchr(seg, '.');
		k = jkey_of(sc, node, seg, dot ? (uint32_t)(dot - seg) : (uint32_t)strlen(seg));
		if (k < 0)
			return -EINVAL;
		if (dot == NULL) {
			sc->jkeys[k].col = (int16_t)c;
			return 0;
		}
		if (sc->jkeys[k].node < 0) {
			if (sc->n_jnodes == FMT_MAX_JSON_NODES)
				return -EINVAL;
			sc->jnodes[sc->n_jnodes] =
				(struct fmt_jnode){ .first = sc->n_jkeys, .n = 0 };
			sc->jkeys[k].node = (int16_t)sc->n_jnodes++;
		}
		node = (uint16_t)sc->jkeys[k].node;
		seg = dot + 1;
	}
}

int fmt_schema_init(struct fmt_schema *sc, const struct pat_stream *s)
{
	uint32_t c, off = 0;

	memset(sc, 0, sizeof(*sc));
	sc->format = s->format;
	sc->n_cols = s->n_cols;
	sc->ts_col = s->ts_col;
	sc->delimiter = s->delimiter;
	sc->n_jnodes = 1; /* level 0: the record's top level */
	for (c = 0; c < s->n_cols; c++) {
		sc->type[c] = (uint8_t)s->cols[c].type;
		switch (s->cols[c].type) {
		case PAT_T_BOOLEAN:
			sc->size[c] = 1;
			break;
		case PAT_T_STRING:
			sc->size[c] = s->cols[c].size;
			break;
		default:
			sc->size[c] = 8;
			break;
		}
		sc->offset[c] = off;
		off += sc->size[c];
		if (s->format == PAT_FMT_JSON && add_json_path(sc, c, s->cols[c].name) != 0)
			return -EINVAL;
	}
	sc->record_size = off;
	return 0;
}

bool fmt_next_record(const struct fmt_schema *sc, const uint8_t *data, size_t len, size_t *pos,
		     const uint8_t **rec, size_t *rec_len)
{
	size_t p = *pos, e;

	if (sc->format == PAT_FMT_BINARY) {
		if (p >= len || sc->record_size == 0)
			return false;
		e = len - p < sc->record_size ? len : p + sc->record_size;
		*rec = data + p;
		*rec_len = e - p;
		*pos = e;
		return true;
	}
	for (;;) {
		const uint8_t *nl;
		size_t n;

		if (p >= len)
			return false;
		if (sc->format == PAT_FMT_CSV)
			nl = fmt_csv_record_end(sc, data + p, data + len);
		else
			nl = memchr(data + p, '\n', len - p);
		e = nl ? (size_t)(nl - data) : len;
		n = e - p;
		if (n > 0 && data[e - 1] == '\r')
			n--;
		*pos = nl ? e + 1 : len;
		if (n == 0) { /* an empty line is not a record */
			p = *pos;
			continue;
		}
		*rec = data + p;
		*rec_len = n;
		return true;
	}
}

int fmt_parse(const struct fmt_schema *sc, const uint8_t *rec, size_t len, size_t dgram_len,
	      struct fmt_row *row, struct fmt_scratch *scratch, uint8_t *reason)
{
	int rc;

	scratch->used = 0;
	switch (sc->format) {
	case PAT_FMT_JSON:
		rc = fmt_parse_json(sc, rec, len, row, scratch, reason);
		break;
	case PAT_FMT_CSV:
		rc = fmt_parse_csv(sc, rec, len, row, scratch, reason);
		break;
	default:
		rc = fmt_parse_binary(sc, rec, len, dgram_len, row, reason);
		break;
	}
	if (rc == 0 && sc->ts_col >= 0) {
		if (!(row->present >> sc->ts_col & 1)) {
			*reason = FMT_M_MISSING_TIMESTAMP;
			return -1;
		}
		row->ts_ms = row->v[sc->ts_col].i;
	}
	return rc;
}

/* ---- numbers ---- */

const uint8_t *fmt_scan_number(const uint8_t *p, const uint8_t *end, struct fmt_num *n,
			       bool lenient)
{
	const uint8_t *start = p;
	uint32_t sig = 0;
	int32_t dropped = 0, frac = 0;

	n->mant = 0;
	n->neg = false;
	n->is_int = true;
	n->truncated = false;
	if (p < end && (*p == '-' || (lenient && *p == '+'))) {
		n->neg = *p == '-';
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return NULL;
	if (*p == '0' && !lenient) {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return NULL; /* JSON has no leading zeros */
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (sig < 19) {
				if (n->mant != 0 || *p != '0') {
					n->mant = n->mant * 10 + (uint64_t)(*p - '0');
					if (n->mant != 0)
						sig++;
				}
			} else {
				dropped++;
				n->truncated = true;
			}
		}
	}
	if (p < end && *p == '.') {
		p++;
		n->is_int = false;
		if (p == end || *p < '0' || *p > '9')
			return NULL;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (sig < 19) {
				n->mant = n->mant * 10 + (uint64_t)(*p - '0');
				frac++;
				if (n->mant != 0)
					sig++;
			} else if (*p != '0') {
				n->truncated = true;
			}
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		int32_t e = 0;
		bool eneg = false;

		p++;
		n->is_int = false;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || *p < '0' || *p > '9')
			return NULL;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		dropped += eneg ? -e : e;
	}
	n->exp10 = dropped - frac;
	n->start = start;
	n->len = (size_t)(p - start);
	return p;
}

int fmt_num_to_bigint(const struct fmt_num *n, int64_t *v)
{
	if (!n->is_int || n->truncated || n->exp10 != 0)
		return -1;
	if (n->neg) {
		if (n->mant > (uint64_t)INT64_MAX + 1)
			return -1;
		*v = n->mant == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n->mant;
	} else {
		if (n->mant > (uint64_t)INT64_MAX)
			return -1;
		*v = (int64_t)n->mant;
	}
	return 0;
}

int fmt_num_to_double(const struct fmt_num *n, double *v)
{
	static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	char buf[1024];
	double d;

	/* Clinger's fast path: both the mantissa and the power of ten are exact doubles,
	 * so one multiplication or division rounds correctly. */
	if (!n->truncated && n->mant <= (UINT64_C(1) << 53) && n->exp10 >= -22 && n->exp10 <= 22) {
		d = (double)n->mant;
		d = n->exp10 < 0 ? d / pow10[-n->exp10] : d * pow10[n->exp10];
		*v = n->neg ? -d : d;
		return 0;
	}
	if (n->len >= sizeof(buf))
		return -1;
	memcpy(buf, n->start, n->len);
	buf[n->len] = '\0';
	*v = strtod(buf, NULL);
	return 0;
}

/* ---- text values ---- */

static bool text_is(const uint8_t *s, size_t len, const char *word)
{
	size_t k;

	if (strlen(word) != len)
		return false;
	for (k = 0; k < len; k++)
		if ((s[k] | 0x20) != word[k])
			return false;
	return true;
}

int fmt_text_value(const struct fmt_schema *sc, uint32_t c, const uint8_t *s, size_t len,
		   struct fmt_row *row, uint8_t *reason)
{
	struct fmt_value *v = &row->v[c];
	struct fmt_num n;

	switch ((enum pat_type)sc->type[c]) {
	case PAT_T_STRING:
		return fmt_string_value(row, c, s, len, reason);
	case PAT_T_BIGINT:
		if (fmt_scan_number(s, s + len, &n, true) != s + len ||
		    fmt_num_to_bigint(&n, &v->i) != 0)
			goto bad_type;
		break;
	case PAT_T_DOUBLE:
		if (fmt_scan_number(s, s + len, &n, true) != s + len ||
		    fmt_num_to_double(&n, &v->d) != 0)
			goto bad_type;
		break;
	case PAT_T_BOOLEAN:
		if (text_is(s, len, "true") || text_is(s, len, "1"))
			v->b = true;
		else if (text_is(s, len, "false") || text_is(s, len, "0"))
			v->b = false;
		else
			goto bad_type;
		break;
	case PAT_T_TIMESTAMP:
		if (fmt_scan_number(s, s + len, &n, true) == s + len) {
			if (fmt_num_to_bigint(&n, &v->i) != 0) {
				*reason = FMT_M_BAD_TIMESTAMP;
				return -1;
			}
		} else if (fmt_parse_iso8601(s, len, &v->i) != 0) {
			*reason = FMT_M_BAD_TIMESTAMP;
			return -1;
		}
		break;
	case PAT_T_NULL: /* no column has this type */
		goto bad_type;
	}
	row->present |= UINT64_C(1) << c;
	return 0;
bad_type:
	*reason = FMT_M_BAD_TYPE;
	return -1;
}

/* ---- timestamps ---- */

static int digits(const uint8_t *s, int n, int *v)
{
	int k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		*v = *v * 10 + (s[k] - '0');
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

int fmt_parse_iso8601(const uint8_t *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, zh = 0, zm = 0, k = 0, sign;
	size_t p = 19;

	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (s[p] == '.' || s[p] == ',') {
		p++;
		if (p == len || s[p] < '0' || s[p] > '9')
			return -1;
		for (; p < len && s[p] >= '0' && s[p] <= '9'; p++, k++)
			if (k < 3)
				frac = frac * 10 + (s[p] - '0');
		for (; k < 3; k++)
			frac *= 10;
	}
	if (p == len)
		return -1; /* the spec wants a zone: local time is not an instant */
	if ((s[p] == 'Z' || s[p] == 'z') && p + 1 == len) {
		sign = 0;
	} else if (s[p] == '+' || s[p] == '-') {
		sign = s[p] == '-' ? -1 : 1;
		p++;
		if (len - p == 2) {
			if (digits(s + p, 2, &zh))
				return -1;
		} else if (len - p == 4) {
			if (digits(s + p, 2, &zh) || digits(s + p + 2, 2, &zm))
				return -1;
		} else if (len - p == 5 && s[p + 2] == ':') {
			if (digits(s + p, 2, &zh) || digits(s + p + 3, 2, &zm))
				return -1;
		} else {
			return -1;
		}
		if (zh > 23 || zm > 59)
			return -1;
	} else {
		return -1;
	}
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	       (int64_t)sign * (zh * 3600 + zm * 60)) *
		      1000 +
	      frac;
	return 0;
}

/* ---- UTF-8 ---- */

bool fmt_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t w;
		uint8_t c;

		/* ASCII eight bytes at a time: the common case for feeds. */
		if (i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if ((w & UINT64_C(0x8080808080808080)) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c < 0x80) {
			i++;
		} else if (c >= 0xc2 && c <= 0xdf) {
			if (i + 1 >= len || (s[i + 1] & 0xc0) != 0x80)
				return false;
			i += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (i + 2 >= len || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80)
				return false;
			if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f))
				return false; /* overlong, surrogate */
			i += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (i + 3 >= len || (s[i + 1] & 0xc0) != 0x80 ||
			    (s[i + 2] & 0xc0) != 0x80 || (s[i + 3] & 0xc0) != 0x80)
				return false;
			if ((c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
				return false; /* overlong, above U+10FFFF */
			i += 4;
		} else {
			return false;
		}
	}
	return true;
}

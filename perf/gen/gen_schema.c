/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_schema.h"

#include <inttypes.h>
#include <string.h>

const struct gen_schema gen_schemas[GEN__SCHEMAS] = {
	[GEN_PAYMENTS] = { "payments",
			   "card",
			   6,
			   { { "ts", GT_TIMESTAMP, 0 },
			     { "card", GT_STRING, 16 },
			     { "merchant", GT_STRING, 16 },
			     { "amount", GT_DOUBLE, 0 },
			     { "country", GT_STRING, 2 },
			     { "status", GT_STRING, 8 } } },
	[GEN_CLICKSTREAM] = { "clickstream",
			      "user",
			      7,
			      { { "ts", GT_TIMESTAMP, 0 },
				{ "user", GT_STRING, 16 },
				{ "session", GT_STRING, 16 },
				{ "page", GT_STRING, 24 },
				{ "action", GT_STRING, 12 },
				{ "duration_ms", GT_BIGINT, 0 },
				{ "referrer", GT_STRING, 16 } } },
	[GEN_IOT] = { "iot",
		      "device",
		      6,
		      { { "ts", GT_TIMESTAMP, 0 },
			{ "device", GT_STRING, 16 },
			{ "sensor", GT_STRING, 12 },
			{ "value", GT_DOUBLE, 0 },
			{ "battery", GT_DOUBLE, 0 },
			{ "ok", GT_BOOLEAN, 0 } } },
};

int gen_schema_find(const char *name)
{
	int k;

	for (k = 0; k < GEN__SCHEMAS; k++)
		if (strcmp(name, gen_schemas[k].name) == 0)
			return k;
	return -1;
}

static size_t col_bytes(const struct gen_col *c)
{
	switch (c->type) {
	case GT_BOOLEAN:
		return 1;
	case GT_STRING:
		return c->width;
	default:
		return 8;
	}
}

size_t gen_binary_size(const struct gen_schema *s)
{
	size_t n = 0;
	unsigned int k;

	for (k = 0; k < s->n_cols; k++)
		n += col_bytes(&s->cols[k]);
	return n;
}

/* The column a kind of damage applies to: the first of a type (-1: none). */
static int first_of(const struct gen_schema *s, enum gen_type t, unsigned int from)
{
	unsigned int k;

	for (k = from; k < s->n_cols; k++)
		if (s->cols[k].type == t)
			return (int)k;
	return -1;
}

static int numeric_col(const struct gen_schema *s)
{
	int a = first_of(s, GT_BIGINT, 1), b = first_of(s, GT_DOUBLE, 1);

	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* The text of v for column c (JSON: strings quoted). */
static int text(char *p, size_t cap, const struct gen_col *c, const struct gen_val *v, bool json,
		bool bad_type, bool bad_utf8)
{
	const char *q = json ? "\"" : "";

	switch (c->type) {
	case GT_TIMESTAMP:
	case GT_BIGINT:
		if (bad_type)
			return snprintf(p, cap, json ? "\"%" PRId64 "\"" : "x%" PRId64, v->i);
		return snprintf(p, cap, "%" PRId64, v->i);
	case GT_DOUBLE:
		if (bad_type)
			return snprintf(p, cap, json ? "\"%.3f\"" : "x%.3f", v->d);
		return snprintf(p, cap, "%.3f", v->d);
	case GT_BOOLEAN:
		return snprintf(p, cap, "%s", v->i ? "true" : "false");
	case GT_STRING:
		return snprintf(p, cap, "%s%s%s%s", q, bad_utf8 ? "\xff" : "", v->s, q);
	}
	return 0;
}

size_t gen_write_generic(char *p, size_t cap, const struct gen_schema *s, const struct gen_val *v,
			 enum gen_fmt f, int kind)
{
	int num = numeric_col(s), str = first_of(s, GT_STRING, 1);
	size_t len = 0;
	unsigned int k;
	int n;

	if (f == GEN_BINARY) {
		uint8_t *b = (uint8_t *)p;
		size_t need = gen_binary_size(s), at = 0;

		if (cap < need)
			return 0;
		memset(b, 0, need);
		for (k = 0; k < s->n_cols; k++) {
			const struct gen_col *c = &s->cols[k];
			size_t w = col_bytes(c);

			if (c->type == GT_DOUBLE)
				memcpy(b + at, &v[k].d, 8); /* little-endian hosts, as riptide */
			else if (c->type == GT_STRING) {
				size_t l = strlen(v[k].s);

				if (kind == MK_BAD_UTF8 && (int)k == str && w > 0) {
					b[at] = 0xff;
					memcpy(b + at + 1, v[k].s, l + 1 > w ? w - 1 : l);
				} else {
					memcpy(b + at, v[k].s, l > w ? w : l);
				}
			} else if (c->type == GT_BOOLEAN)
				b[at] = (uint8_t)(v[k].i != 0);
			else
				memcpy(b + at, &v[k].i, 8);
			at += w;
		}
		return need;
	}
	if (f == GEN_JSON && cap > 0)
		p[len++] = '{';
	for (k = 0; k < s->n_cols; k++) {
		const struct gen_col *c = &s->cols[k];
		bool last = k + 1 == s->n_cols;

		if (k == 0 && kind == MK_MISSING_TS) {
			if (f == GEN_CSV)
				n = snprintf(p + len, cap - len, ",");
			else
				n = 0;
		} else if (f == GEN_JSON) {
			n = snprintf(p + len, cap - len, "\"%s\":", c->name);
			if (n < 0 || (size_t)n >= cap - len)
				return 0;
			len += (size_t)n;
			if (k == 0 && kind == MK_BAD_TIMESTAMP)
				n = snprintf(p + len, cap - len, "\"yesterday\"");
			else
				n = text(p + len, cap - len, c, &v[k], true,
					 kind == MK_BAD_TYPE && (int)k == num,
					 kind == MK_BAD_UTF8 && (int)k == str);
			if (n >= 0 && (size_t)n < cap - len && !last) {
				p[len + (size_t)n] = ',';
				n++;
			}
		} else {
			if (last && kind == MK_FIELD_COUNT) {
				if (len > 0)
					len--; /* the separator before it goes too */
				break;
			}
			if (k == 0 && kind == MK_BAD_TIMESTAMP)
				n = snprintf(p + len, cap - len, "noon");
			else if ((int)k == str && kind == MK_SYNTAX)
				/* a quote inside an unquoted field: not CSV */
				n = snprintf(p + len, cap - len, "a\"%s", v[k].s);
			else
				n = text(p + len, cap - len, c, &v[k], false,
					 kind == MK_BAD_TYPE && (int)k == num,
					 kind == MK_BAD_UTF8 && (int)k == str);
			if (n >= 0 && (size_t)n < cap - len && !last) {
				p[len + (size_t)n] = ',';
				n++;
			}
		}
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	if (f == GEN_JSON) {
		if (len > 0 && p[len - 1] == ',')
			len--; /* the last column was left out */
		if (kind != MK_SYNTAX) {
			if (len + 1 >= cap)
				return 0;
			p[len++] = '}';
		}
	}
	return len;
}

void gen_ddl(FILE *out, const struct gen_schema *s, const char *name, enum gen_fmt f, uint16_t port,
	     bool arrival)
{
	static const char *const types[] = { "TIMESTAMP", "BIGINT", "DOUBLE", "BOOLEAN", "STRING" };
	static const char *const fmts[] = { "json", "csv", "binary" };
	unsigned int k;

	fprintf(out, "CREATE STREAM %s (", name);
	for (k = 0; k < s->n_cols; k++) {
		const struct gen_col *c = &s->cols[k];

		fprintf(out, "%s%s %s", k ? ", " : "", c->name, types[c->type]);
		if (c->type == GT_STRING && f == GEN_BINARY)
			fprintf(out, "(%u)", c->width);
	}
	fprintf(out, ")\n    WITH (format = '%s', port = %u%s);\n", fmts[f], port,
		arrival ? "" : ", timestamp = 'ts'");
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event schemas of riptide-gen: payments, clickstream and IoT readings, their
 * columns as riptide's CREATE STREAM declares them, and the writers of a record of
 * the generic schemas (clickstream, IoT) in JSON, CSV or the binary layout, whole or
 * spoilt in one of the ways riptide counts. Payments keep their own writer in
 * gen_main.c (the feeds of the tests were made with it).
 */
#ifndef RIPTIDE_GEN_SCHEMA_H
#define RIPTIDE_GEN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum gen_fmt { GEN_JSON, GEN_CSV, GEN_BINARY };

/* The ways a record is spoilt ("syntax" is the format's own: bad JSON, bad CSV, or in
 * binary a datagram length that is not a multiple of the record size). */
enum gen_mkind {
	MK_SYNTAX,
	MK_BAD_TYPE,
	MK_BAD_TIMESTAMP,
	MK_MISSING_TS,
	MK_BAD_UTF8,
	MK_FIELD_COUNT,
	MK__COUNT
};

enum gen_type { GT_TIMESTAMP, GT_BIGINT, GT_DOUBLE, GT_BOOLEAN, GT_STRING };

#define GEN_MAX_COLS 8

struct gen_col {
	const char *name;
	enum gen_type type;
	uint8_t width; /* STRING(n) of the binary layout */
};

enum gen_schema_id { GEN_PAYMENTS, GEN_CLICKSTREAM, GEN_IOT, GEN__SCHEMAS };

struct gen_schema {
	const char *name;
	const char *key; /* the column that carries the key (card, user, device) */
	unsigned int n_cols;
	struct gen_col cols[GEN_MAX_COLS]; /* the first is ts, TIMESTAMP */
};

extern const struct gen_schema gen_schemas[GEN__SCHEMAS];

/* The schema called name, or -1. */
int gen_schema_find(const char *name);

/* A value of a column: i (BIGINT, TIMESTAMP, BOOLEAN), d (DOUBLE) or s (STRING). */
struct gen_val {
	int64_t i;
	double d;
	char s[32];
};

/* The bytes of a binary record of schema s. */
size_t gen_binary_size(const struct gen_schema *s);

/* One record of a generic schema at p (cap bytes); kind MK__COUNT: whole. Returns its
 * length, 0 when it does not fit. */
size_t gen_write_generic(char *p, size_t cap, const struct gen_schema *s, const struct gen_val *v,
			 enum gen_fmt f, int kind);

/* CREATE STREAM name (...) for schema s in format f on port; arrival: no timestamp
 * column (event time is arrival time). */
void gen_ddl(FILE *out, const struct gen_schema *s, const char *name, enum gen_fmt f, uint16_t port,
	     bool arrival);

#endif

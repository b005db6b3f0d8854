/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record framing and parsing: the bytes of one UDP datagram in, typed event rows out
 * (spec/RULES.md, CREATE STREAM). Plain C: no DPDK, no allocation after
 * fmt_schema_init(), nothing read outside [data, data + len).
 *
 * A row points into the datagram for string values that need no unescaping; values
 * that do (JSON escapes, CSV "" quotes) are written into the caller's scratch buffer.
 * A row is therefore valid only as long as the datagram and the scratch are.
 */
#ifndef RIPTIDE_FMT_H
#define RIPTIDE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "patterns/pat_rules.h"

/* Why a record is malformed: the names of the malformed{reason} counters. */
#define FMT_MALFORMED_REASONS(X)                  \
	X(BAD_JSON, "bad_json")                   \
	X(BAD_CSV, "bad_csv")                     \
	X(FIELD_COUNT, "field_count")             \
	X(BAD_LENGTH, "bad_length")               \
	X(BAD_TYPE, "bad_type")                   \
	X(BAD_TIMESTAMP, "bad_timestamp")         \
	X(MISSING_TIMESTAMP, "missing_timestamp") \
	X(STRING_TOO_LONG, "string_too_long")     \
	X(BAD_UTF8, "bad_utf8")                   \
	X(TOO_DEEP, "too_deep")

enum fmt_malformed {
#define X(e, s) FMT_M_##e,
	FMT_MALFORMED_REASONS(X)
#undef X
		FMT_M__COUNT
};

/* JSON nesting deeper than this is refused (too_deep), so that the recursive skip of
 * values is bounded. */
#define FMT_JSON_MAX_DEPTH 64
/* Dotted JSON paths: at most this many object levels are looked into. */
#define FMT_MAX_JSON_NODES (2 * PAT_MAX_COLUMNS)

struct fmt_value {
	union {
		int64_t i; /* BIGINT, TIMESTAMP (epoch ms) */
		double d;  /* DOUBLE */
		bool b;	   /* BOOLEAN */
		struct {
			const uint8_t *p;
			uint32_t len;
		} s; /* STRING: UTF-8, not NUL-terminated */
	};
};

struct fmt_row {
	uint64_t present; /* bit c set: column c has a value; clear: SQL NULL */
	int64_t ts_ms;	  /* event time: the timestamp column, or arrival time */
	struct fmt_value v[PAT_MAX_COLUMNS];
};

/* One key of a JSON object level that some column needs. */
struct fmt_jkey {
	uint64_t head; /* the name's first 8 bytes (fewer: zero-padded), for one compare */
	uint64_t mask; /* the bytes of head that the name has */
	const char *name;
	uint32_t len;
	/* the key as it appears in a record, quotes and colon included ("ts":), for
	 * one 16-byte compare where it fits (qlen 0: it does not) */
	uint8_t quoted[16];
	uint16_t qlen, qmask;
	int16_t col;  /* >= 0: the column this key holds */
	int16_t node; /* >= 0: the object level this key leads to (dotted paths) */
};

struct fmt_jnode {
	uint16_t first, n; /* keys[first .. first + n) */
};

/* What the parsers need of a stream, laid out for the hot path. Built once per rule
 * set; immutable after. */
struct fmt_schema {
	enum pat_format format;
	uint32_t n_cols;
	int ts_col;
	char delimiter;
	uint8_t type[PAT_MAX_COLUMNS];	  /* enum pat_type */
	uint32_t size[PAT_MAX_COLUMNS];	  /* binary layout: bytes of each column */
	uint32_t offset[PAT_MAX_COLUMNS]; /* binary layout: offset in the record */
	uint32_t record_size;		  /* binary layout */
	uint16_t n_jnodes, n_jkeys;
	struct fmt_jnode jnodes[FMT_MAX_JSON_NODES];
	struct fmt_jkey jkeys[FMT_MAX_JSON_NODES];
};

/* Where unescaped string values go: at least as many bytes as the record. */
struct fmt_scratch {
	uint8_t *buf;
	size_t cap;
	size_t used;
};

/*
 * Builds the schema of stream s. Column names (dotted paths) are borrowed from s,
 * which must outlive the schema. Returns 0 or -EINVAL when the JSON paths need more
 * levels than FMT_MAX_JSON_NODES.
 */
int fmt_schema_init(struct fmt_schema *sc, const struct pat_stream *s);

/*
 * The next record of a datagram: data[*pos ..] up to the record separator. Returns
 * false at the end of the datagram. Empty lines of JSON and CSV datagrams are not
 * records and are stepped over. A binary datagram whose length is not a multiple of
 * the record size yields its records all the same (ceil(len / size) of them; the parse
 * of each reports bad_length), so that every one is counted.
 */
bool fmt_next_record(const struct fmt_schema *sc, const uint8_t *data, size_t len, size_t *pos,
		     const uint8_t **rec, size_t *rec_len);

/*
 * Parses one record (as framed by fmt_next_record) into row, in the stream's format.
 * dgram_len is the whole datagram's length (binary records check it). Returns 0, or
 * -1 with *reason set (enum fmt_malformed); the row is then not to be used. Does not
 * set row->ts_ms when the stream has no timestamp column.
 */
int fmt_parse(const struct fmt_schema *sc, const uint8_t *rec, size_t len, size_t dgram_len,
	      struct fmt_row *row, struct fmt_scratch *scratch, uint8_t *reason);

int fmt_parse_json(const struct fmt_schema *sc, const uint8_t *rec, size_t len, struct fmt_row *row,
		   struct fmt_scratch *scratch, uint8_t *reason);
int fmt_parse_csv(const struct fmt_schema *sc, const uint8_t *rec, size_t len, struct fmt_row *row,
		  struct fmt_scratch *scratch, uint8_t *reason);
int fmt_parse_binary(const struct fmt_schema *sc, const uint8_t *rec, size_t len, size_t dgram_len,
		     struct fmt_row *row, uint8_t *reason);

/* ISO-8601 date-time with a zone (Z, +HH:MM, +HHMM, +HH) into epoch milliseconds;
 * fractions beyond the millisecond are truncated. Returns 0 or -1. */
int fmt_parse_iso8601(const uint8_t *s, size_t len, int64_t *ms);

/* true when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool fmt_utf8_valid(const uint8_t *s, size_t len);

const char *fmt_malformed_name(unsigned int reason);

#endif

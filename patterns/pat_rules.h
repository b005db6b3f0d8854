/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule compiler's front end: a rule file (spec/RULES.md) in, an immutable rule
 * set out, or every error found, each as "FILE:LINE:COL: error: message".
 *
 * This version compiles CREATE STREAM completely; CREATE ALERT, AGGREGATE and
 * PATTERN are recognised and refused with a located error, so that a file that uses
 * them is never half-loaded.
 */
#ifndef RIPTIDE_PAT_RULES_H
#define RIPTIDE_PAT_RULES_H

#include <stddef.h>
#include <stdint.h>

#define PAT_MAX_COLUMNS 64
#define PAT_MAX_STREAMS 64
/* Longest string value a record may carry (spec: longer is malformed). */
#define PAT_MAX_STRING (64 * 1024)
/* Largest rule file read; anything larger is refused before lexing. */
#define PAT_MAX_FILE (16 * 1024 * 1024)
/* Errors reported before the compiler gives up on a file. */
#define PAT_MAX_ERRORS 100

enum pat_type { PAT_T_BIGINT, PAT_T_DOUBLE, PAT_T_BOOLEAN, PAT_T_STRING, PAT_T_TIMESTAMP };
enum pat_format { PAT_FMT_JSON, PAT_FMT_CSV, PAT_FMT_BINARY };

struct pat_column {
	char *name;
	enum pat_type type;
	uint32_t size;	    /* STRING(n): bytes in the binary layout; 0 when not given */
	int key;	    /* declared KEY: part of the stream's shard key */
	uint32_t line, col; /* where it is declared, for messages */
};

struct pat_stream {
	char *name;
	enum pat_format format;
	uint16_t port;
	int ts_col; /* index into cols, -1: arrival time is event time */
	int64_t watermark_delay_ms;
	int64_t idle_timeout_ms;
	char delimiter;		 /* CSV only */
	char *dead_letter_topic; /* NULL: malformed records are counted only */
	uint32_t n_cols;
	struct pat_column *cols;
	/* The KEY columns, in declaration order: the state lcore that owns an event is
	 * chosen by a hash of their values. None: events stay on their RX lcore. */
	uint32_t n_keys;
	uint32_t key_cols[PAT_MAX_COLUMNS];
};

struct pat_ruleset {
	uint32_t n_streams;
	struct pat_stream *streams;
};

/* Diagnostics, in the order found (source order within a statement's syntax); each string is a
 * whole "FILE:LINE:COL: error: ..." line. */
struct pat_diags {
	char **msgs;
	size_t n;
};

/*
 * Compile len bytes of src; file is the name used in messages. On success returns 0
 * and *out owns a new rule set (free with pat_ruleset_free). When the file has errors
 * returns -EINVAL, *out is NULL and diags holds every error found (up to
 * PAT_MAX_ERRORS). -ENOMEM when memory runs out. diags is appended to; free it with
 * pat_diags_free.
 */
int pat_compile(const char *file, const char *src, size_t len, struct pat_ruleset **out,
		struct pat_diags *diags);

/* pat_compile() on the contents of path. Returns also -errno when it cannot be read
 * (with a diagnostic naming the file), -EFBIG above PAT_MAX_FILE. */
int pat_compile_file(const char *path, struct pat_ruleset **out, struct pat_diags *diags);

void pat_ruleset_free(struct pat_ruleset *rs);
void pat_diags_free(struct pat_diags *diags);

/* The stream that owns UDP port port, or NULL. */
const struct pat_stream *pat_stream_by_port(const struct pat_ruleset *rs, uint16_t port);

const char *pat_type_name(enum pat_type t);
const char *pat_format_name(enum pat_format f);

/* Parse "<int> <unit>" (unit as in RULES.md, any case) into milliseconds. Returns 0 or
 * -EINVAL. Exposed for the tests and for WITH options of the later statements. */
int pat_parse_duration(const char *s, int64_t *ms);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule compiler's front end: a rule file (spec/RULES.md) in, an immutable rule
 * set out, or every error found, each as "FILE:LINE:COL: error: message".
 *
 * Every statement is parsed and checked: names, types, aggregate use, window
 * arithmetic, pattern limits. The LIKE and REGEXP predicates of all rules are
 * compiled into one Hyperscan database per (stream, string column) (pat_hs.h);
 * expressions are typed trees evaluated without allocation (pat_expr.h).
 */
#ifndef RIPTIDE_PAT_RULES_H
#define RIPTIDE_PAT_RULES_H

#include <stdbool.h>
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

/* The state bounds of an AGGREGATE or PATTERN without WITH (max_keys, max_state_mb). */
#define PAT_DEFAULT_MAX_KEYS	 1000000
#define PAT_DEFAULT_MAX_STATE_MB 1024
/* Rules (ALERT, AGGREGATE, PATTERN) of a rule set. */
#define PAT_MAX_RULES 10000
/* LIKE/REGEXP predicates of one stream, all rules together (distinct ones). */
#define PAT_MAX_PREDICATES 65536
/* Longest LIKE or REGEXP pattern, in bytes. */
#define PAT_MAX_PATTERN 4096
/* Nesting of expressions and of MATCH_RECOGNIZE patterns: the parser recurses. */
#define PAT_MAX_DEPTH 64
/* Variables of a MATCH_RECOGNIZE pattern (spec). */
#define PAT_MAX_VARS 8
/* patterns sharing one Hyperscan stream a partition (docs/rules.md, Patterns: cost) */
#define PAT_BANK_LANES 16
/* Largest bound of a pattern quantifier {n,m}. */
#define PAT_MAX_REPEAT 10000
/* A pattern's size once its quantifiers are unrolled (the verifier's steps, pat_re_steps). */
#define PAT_MAX_PATTERN_STEPS 100000
/* Rows of a partition that a pattern keeps for its verifier: a match is at most this
 * long (docs/rules.md, "Patterns"). */
#define PAT_MAX_MATCH_ROWS 4096
/* Select items, GROUP BY columns, measures of one rule. */
#define PAT_MAX_ITEMS 64

/* PAT_T_NULL is the type of the NULL literal only; no column has it. */
enum pat_type {
	PAT_T_BIGINT,
	PAT_T_DOUBLE,
	PAT_T_BOOLEAN,
	PAT_T_STRING,
	PAT_T_TIMESTAMP,
	PAT_T_NULL
};
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
	/* the statement's tokens as a canonical text: equal when two rule files declare
	 * the stream alike, whatever their layout (NULL: out of memory) */
	char *sig;
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

/* Expression operators (pat_expr.h evaluates them). */
enum pat_op {
	PAT_OP_CONST,
	PAT_OP_COL, /* a column of the current event */
	PAT_OP_NEG,
	PAT_OP_NOT,
	PAT_OP_AND,
	PAT_OP_OR,
	PAT_OP_ADD,
	PAT_OP_SUB,
	PAT_OP_MUL,
	PAT_OP_DIV,
	PAT_OP_MOD,
	PAT_OP_EQ,
	PAT_OP_NE,
	PAT_OP_LT,
	PAT_OP_LE,
	PAT_OP_GT,
	PAT_OP_GE,
	PAT_OP_IS_NULL, /* neg: IS NOT NULL */
	PAT_OP_IN,	/* a IN (list); neg: NOT IN */
	PAT_OP_BETWEEN, /* a BETWEEN b AND c; neg: NOT BETWEEN */
	PAT_OP_MATCH,	/* column LIKE/REGEXP: predicate bit idx of the event; neg: NOT */
	PAT_OP_LOWER,
	PAT_OP_UPPER,
	PAT_OP_LENGTH,
	PAT_OP_ABS,
	PAT_OP_AGG,	/* an aggregate call (AGGREGATE select list, HAVING): slot idx */
	PAT_OP_MEASURE, /* a MATCH_RECOGNIZE measure of variable idx */
	PAT_OP_NAME,	/* unresolved name: only between parsing and checking */
	PAT_OP_CALL,	/* unresolved function call (s, list): the same */
};

enum pat_agg_fn {
	PAT_AGG_COUNT_STAR,
	PAT_AGG_COUNT,
	PAT_AGG_SUM,
	PAT_AGG_MIN,
	PAT_AGG_MAX,
	PAT_AGG_AVG,
	PAT_AGG_COUNT_DISTINCT,
	PAT_AGG_PERCENTILE,
};

enum pat_measure_fn {
	PAT_M_FIRST,
	PAT_M_LAST,
	PAT_M_COUNT, /* COUNT(V.*): rows of V */
	PAT_M_SUM,
	PAT_M_MIN,
	PAT_M_MAX,
	PAT_M_AVG,
};

struct pat_expr {
	uint8_t op;   /* enum pat_op */
	uint8_t type; /* enum pat_type of the result, set by the checker */
	uint8_t neg;  /* IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE, NOT REGEXP */
	uint8_t fn;   /* PAT_OP_AGG: enum pat_agg_fn; PAT_OP_MEASURE: enum pat_measure_fn;
			 PAT_OP_MATCH: 0 LIKE, 1 REGEXP */
	uint8_t var;  /* PAT_OP_MEASURE: the pattern variable */
	uint8_t memo; /* a comparison that conditions of its stream share: slot + 1
			 (pat_memo_plan(), pat_expr.h); 0: none */
	uint32_t line, col;
	uint32_t idx; /* COL: column; MATCH: predicate; AGG, MEASURE: slot */
	uint32_t arg; /* MATCH, AGG, MEASURE: the column (UINT32_MAX: none, COUNT(*)) */
	struct pat_expr *a, *b, *c;
	struct pat_expr **list; /* IN: the literals */
	uint32_t n_list;
	double p; /* PERCENTILE_APPROX */
	/* CONST: the value (type says which); NAME: s is the name, qual the variable
	 * before a dot or NULL */
	int64_t i;
	double d;
	char *s;
	uint32_t len;
	char *qual;
};

/* One item of a select list or of MEASURES. */
struct pat_item {
	struct pat_expr *e;
	char *name; /* AS alias, or the column's name, or KSQL_COL_<n> */
};

enum pat_rule_kind { PAT_R_ALERT, PAT_R_AGGREGATE, PAT_R_PATTERN };
enum pat_window_kind { PAT_W_TUMBLING, PAT_W_HOPPING, PAT_W_SESSION };

/* A MATCH_RECOGNIZE pattern: a variable, a sequence or an alternation, quantified. */
struct pat_re {
	uint8_t kind; /* 0 variable, 1 sequence, 2 alternation */
	uint8_t var;
	uint32_t min, max; /* max UINT32_MAX: unbounded; 1, 1 without a quantifier */
	uint32_t line, col;
	uint32_t n_kids;
	struct pat_re **kids;
};
#define PAT_RE_VAR 0
#define PAT_RE_SEQ 1
#define PAT_RE_ALT 2

struct pat_rule {
	char *name;
	char *sig; /* as pat_stream's: the same definition, the same text */
	enum pat_rule_kind kind;
	uint32_t line, col;
	uint32_t stream; /* index in the rule set */
	char *topic;	 /* WITH topic, default the rule's name */
	char *late_topic;
	struct pat_expr *where; /* NULL: every event */
	/* ALERT, AGGREGATE: the select list (SELECT * expands to the columns) */
	uint32_t n_items;
	struct pat_item *items;
	/* AGGREGATE */
	enum pat_window_kind window;
	int64_t size_ms, advance_ms, grace_ms, emit_interval_ms;
	/* AGGREGATE, PATTERN: bounds of its state on each state lcore (WITH max_keys,
	 * max_state_mb); 0: the defaults, PAT_DEFAULT_MAX_KEYS and _MAX_STATE_MB */
	uint32_t max_keys, max_state_mb;
	bool emit_changes;
	uint32_t n_group;
	uint32_t group_cols[PAT_MAX_ITEMS];
	/* slots: PAT_OP_AGG nodes of an aggregate's select list and HAVING, or the
	 * PAT_OP_MEASURE nodes of a pattern's MEASURES */
	uint32_t n_aggs;
	struct pat_expr *aggs[PAT_MAX_ITEMS * 2];
	struct pat_expr *having;
	/* PATTERN */
	uint32_t n_partition;
	uint32_t partition_cols[PAT_MAX_ITEMS];
	uint32_t n_vars;
	char *vars[PAT_MAX_VARS];
	struct pat_expr *define[PAT_MAX_VARS]; /* NULL: the variable matches every row */
	struct pat_re *pattern;
	int64_t within_ms; /* -1: none */
	uint32_t n_measures;
	struct pat_item *measures;
	/* the pattern over row symbols (pat_seq_expr), Hyperscan streaming mode; NULL
	 * when the rule set was only checked */
	struct hs_database *seq_db;
	/* PATTERN: its bank. The patterns of a stream with the same PARTITION BY share
	 * banks of up to PAT_BANK_LANES (pat_hs.c): one Hyperscan stream a partition for
	 * the bank, fed a byte a row for each shape (the patterns, its lanes, with one
	 * PATTERN over their variables' numbers, share byte values), so that a row costs
	 * one lookup and one scan for the bank. */
	uint32_t bank;	   /* the rule index of the bank's first lane */
	uint8_t lane;	   /* this rule's place in its bank */
	uint8_t lane_base; /* the byte of its symbol 0 (symbol s: lane_base + s), its
			      shape's: the first lane of the shape has it */
	uint8_t n_lanes;   /* on the bank's first lane: how many */
	/* on the first lane of a bank of several: the shapes' database (match id: the
	 * shape's first lane); a bank of one scans seq_db */
	struct hs_database *bank_db;
};

/* A pattern's size once its quantifiers are unrolled (the verifier's program), and the
 * fewest and the most rows a match takes; all saturate at UINT64_MAX (an unbounded
 * quantifier: no most). */
uint64_t pat_re_steps(const struct pat_re *re);
uint64_t pat_re_min_rows(const struct pat_re *re);
uint64_t pat_re_max_rows(const struct pat_re *re);

/* One LIKE or REGEXP predicate: a bit of the per-event predicate set of its stream. */
struct pat_pred {
	uint32_t col;	       /* STRING column of the stream */
	char *expr;	       /* the Hyperscan expression (LIKE: translated) */
	bool regexp;	       /* REGEXP (else LIKE) */
	uint32_t line, col_no; /* where the pattern literal stands, for messages */
};

struct pat_hs; /* pat_hs.h */

struct pat_ruleset {
	uint32_t n_streams;
	struct pat_stream *streams;
	uint32_t n_rules;
	struct pat_rule *rules;
	/* per stream: its predicates and their Hyperscan databases (NULL: none) */
	uint32_t n_preds[PAT_MAX_STREAMS];
	struct pat_pred *preds[PAT_MAX_STREAMS];
	struct pat_hs *hs[PAT_MAX_STREAMS];
	/* LOWER/UPPER results that the expressions of one rule may hold at once: an
	 * lcore needs eval_strings * PAT_MAX_STRING bytes of evaluation scratch */
	uint32_t eval_strings;
	/* built with PAT_HS_CHECK_ONLY: no Hyperscan databases, not to be run */
	bool checked_only;
};

/* How pat_compile_ex() compiles the Hyperscan databases. */
enum pat_hs_mode {
	PAT_HS_SANDBOX, /* in a child process, bounded in time and memory (default) */
	PAT_HS_INPROCESS,
	PAT_HS_CHECK_ONLY, /* each pattern checked (hs_expression_info), no database:
			      for checking only (pat_ruleset.checked_only) */
};

struct pat_options {
	enum pat_hs_mode hs_mode;
	uint32_t hs_time_ms;   /* PAT_HS_SANDBOX: wall-clock limit of all databases */
	uint64_t hs_mem_bytes; /* PAT_HS_SANDBOX: address-space limit of the compiler */
};

#define PAT_HS_TIME_MS	 10000
#define PAT_HS_MEM_BYTES (4ull << 30)

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
/* The same with options (NULL: the defaults). */
int pat_compile_ex(const char *file, const char *src, size_t len, const struct pat_options *opt,
		   struct pat_ruleset **out, struct pat_diags *diags);

/* pat_compile() on the contents of path. Returns also -errno when it cannot be read
 * (with a diagnostic naming the file), -EFBIG above PAT_MAX_FILE. */
int pat_compile_file(const char *path, struct pat_ruleset **out, struct pat_diags *diags);
int pat_compile_file_ex(const char *path, const struct pat_options *opt, struct pat_ruleset **out,
			struct pat_diags *diags);

/* The rule named name, or NULL. */
const struct pat_rule *pat_rule_by_name(const struct pat_ruleset *rs, const char *name);
const char *pat_rule_kind_name(enum pat_rule_kind k);

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

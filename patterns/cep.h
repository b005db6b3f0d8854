/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MATCH_RECOGNIZE on one state lcore (spec/RULES.md, CREATE PATTERN). Plain C on
 * Hyperscan, no DPDK.
 *
 * Symbols: each row is classified by the rule's DEFINE conditions into one byte, bit
 * v set when variable v may take the row (cep_symbol(), on the RX lcore where the
 * row's LIKE/REGEXP bits are). The pattern is a regular expression over those bytes
 * (pat_seq_expr()), compiled in streaming mode when the rule set is loaded.
 *
 * Banks: the patterns of a stream with one PARTITION BY share, in banks of up to
 * PAT_BANK_LANES (struct cep_bank), one partition table, the kept rows and one
 * Hyperscan stream a partition: a row is fed as a byte for each pattern (lane), each
 * lane on its own byte values, and each lane's expression skips the other lanes'
 * bytes, so a row costs one lookup and one scan for the whole bank.
 *
 * Partitions: every PARTITION BY key with a match in progress for some lane owns a
 * Hyperscan stream and the rows that a match could still start from. Hyperscan says
 * where some match of a lane's expression ends; a verifier (a Pike VM over the kept
 * rows: threads in the pattern's order of preference, so the first complete one is
 * the parse a backtracking matcher would choose) then applies the spec: the match
 * that ends on the earliest row, among those the one that starts earliest, WITHIN,
 * greedy quantifiers and left-first alternation; it computes the MEASURES. After a
 * match the lane starts afresh past its last row (AFTER MATCH SKIP PAST LAST ROW: the
 * lane's floor), as it does past a row that none of its variables takes.
 *
 * A partition is opened by a row that can begin a match of some lane and closed, its
 * stream reset into a pool and its rows freed, when no match of any lane can
 * complete any more: no row left that could start one (rows older than WITHIN, below
 * a lane's floor or that no first variable takes are forgotten from the front), or a
 * time W with last row + WITHIN < W. Rows must come in timestamp order (the data path
 * sees to it: dp_window.h).
 *
 * Bounds: max_keys partitions (the one idle longest is forgotten to make room for a
 * new one) and max_bytes of rows and long keys; a partition keeps the longest match
 * the lanes allow (more while rows not for every lane are kept and a match may need
 * them), at most PAT_MAX_MATCH_ROWS rows and one arena block of them (WIN_ARENA_MAX
 * bytes: fewer rows when a row keeps many measure columns). Whatever a
 * bound makes the operator forget is reported (CEP_FULL, with the lanes) for the
 * caller to count.
 */
#ifndef RIPTIDE_CEP_H
#define RIPTIDE_CEP_H

#include <stdbool.h>
#include <stdint.h>

#include <hs/hs.h>

#include "formats/fmt.h"
#include "patterns/pat_expr.h"
#include "patterns/pat_rules.h"
#include "windows/win_keys.h"

/* The verifier's program: a row step, a choice (x preferred), a jump, the end. */
enum cep_op { CEP_SYM, CEP_SPLIT, CEP_JMP, CEP_MATCH };

struct cep_ins {
	uint8_t op;
	uint8_t var; /* CEP_SYM */
	uint32_t x, y;
};

/* A measure slot: fn of variable var over kept column k. */
struct cep_slot {
	uint8_t fn; /* enum pat_measure_fn */
	uint8_t var;
	uint8_t type; /* the result's */
	uint8_t in_type;
	uint32_t k; /* index among the kept columns (COUNT: none) */
};

/* What a PATTERN rule runs on, built once per rule set; immutable. */
struct cep_prog {
	uint32_t n_ins;
	struct cep_ins *ins;
	uint8_t first;	       /* symbols that can begin a match (one of these bits) */
	uint8_t last;	       /* symbols that can end one */
	int64_t within;	       /* ms, -1: none */
	uint32_t min_rows;     /* the fewest rows of a match */
	uint64_t longest;      /* the most (UINT64_MAX: unbounded) */
	struct win_keyspec ks; /* PARTITION BY */
	/* the columns that rows keep for the measures (columns of the stream), and
	 * their types */
	uint32_t n_cols;
	uint32_t cols[PAT_MAX_COLUMNS];
	uint8_t col_type[PAT_MAX_COLUMNS];
	uint32_t n_slots;
	struct cep_slot slots[PAT_MAX_ITEMS * 2];
	uint32_t max_keys;
	size_t max_bytes;
};

/* The program of PATTERN rule r over stream s (r checked and compiled: r->seq_db).
 * Returns 0, -EINVAL (no database) or -ENOMEM. */
int cep_prog_init(struct cep_prog *p, const struct pat_rule *r, const struct pat_stream *s);
void cep_prog_fini(struct cep_prog *p);

/*
 * A bank: the patterns of one stream with one PARTITION BY that share a partition
 * table, the kept rows and one Hyperscan stream a partition (pat_plan_banks()). Each
 * pattern is a lane; lanes of one shape (one PATTERN over their variables' numbers)
 * have one base. A row is a byte a shape, base + the symbols of its lanes together,
 * and db (an expression a shape, match id its first lane) finds where a match of some
 * lane of the shape may end; the verifier decides which. A bank of one lane scans its
 * rule's seq_db (base 0). Built once per rule set from its lanes' programs, which must
 * outlive it; immutable.
 */
struct cep_bank {
	const hs_database_t *db;
	uint32_t n_lanes;
	const struct cep_prog *lane[PAT_BANK_LANES];
	uint8_t base[PAT_BANK_LANES];
	uint8_t first[PAT_BANK_LANES]; /* each lane's cep_prog.first */
	uint8_t last[PAT_BANK_LANES];  /* each lane's cep_prog.last */
	/* lanes of one shape (one base) share a byte a row: the first of them, by lane,
	 * and on it the lanes of the shape */
	uint8_t shape[PAT_BANK_LANES];
	uint16_t shape_lanes[PAT_BANK_LANES];
	int64_t lane_within[PAT_BANK_LANES]; /* each lane's cep_prog.within */
	int64_t within;	    /* the longest of the lanes' (-1: some lane has none) */
	uint32_t max_rows;  /* the most rows a partition keeps */
	uint16_t truncates; /* lanes whose matches may be longer than that */
	uint32_t keep_rows; /* enough for the longest match when every row is for
			       every lane (at most max_rows) */
	/* the kept columns: every lane's, each once; lane l's column k is col_of[l][k] */
	uint32_t n_cols;
	uint32_t cols[PAT_MAX_COLUMNS];
	uint8_t col_type[PAT_MAX_COLUMNS];
	uint8_t col_of[PAT_BANK_LANES][PAT_MAX_COLUMNS];
	uint32_t max_keys; /* the most of the lanes' */
	size_t max_bytes;  /* the sum of the lanes' */
	size_t val_off;	   /* where a kept row's values start */
	size_t row_size;   /* a kept row's bytes */
};

/* The bank of n programs (lane l: lanes[l], its symbols from byte base[l]; lanes with
 * one base are of one shape) scanned by db. Returns 0 or -EINVAL (no database, too
 * many lanes). */
int cep_bank_init(struct cep_bank *b, const hs_database_t *db, const struct cep_prog *const *lanes,
		  const uint8_t *base, uint32_t n);

/* The symbol of the row in env (its predicate bits set when the stream has any):
 * bit v when variable v has no DEFINE or its DEFINE is TRUE. */
uint8_t cep_symbol(const struct pat_rule *r, struct pat_env *env);

/* A match, valid during the emit callback only. */
struct cep_match {
	uint32_t lane;		   /* whose */
	const struct fmt_row *key; /* the PARTITION BY values (other columns absent) */
	const uint8_t *key_bytes;  /* encoded: equal keys, equal bytes */
	uint32_t key_len;
	int64_t start, end;	     /* timestamps of its first and last rows */
	uint32_t rows;		     /* how many */
	const struct pat_val *slots; /* the measures, by slot */
	const uint8_t *vars;	     /* the variable of each row */
};

typedef void (*cep_emit_fn)(void *ctx, const struct cep_match *m);

enum cep_verdict {
	CEP_TAKEN,
	CEP_FULL,	  /* taken, but a bound made the operator forget (or refuse) rows */
	CEP_OUT_OF_RANGE, /* event time beyond +-WIN_MAX_TIME: not taken */
	CEP_ERROR,	  /* Hyperscan failed: the partition was dropped */
};

struct cep_state;

/* The operator of bank b (which must outlive it), scanning with scratch (the lcore's,
 * which fits b->db), emitting lane l's matches through fn(ctx[l]). Returns NULL with
 * errno set. */
struct cep_state *cep_state_new(const struct cep_bank *b, hs_scratch_t *scratch, cep_emit_fn fn,
				void *const *ctx);
void cep_state_free(struct cep_state *st);

/* A row for the lanes in mask `lanes` (bit l), lane l's symbol sym[l]: its time
 * row->ts_ms, seq its place among its stream's rows (rising: rows of two banks with
 * one seq are one row, cep_merge()). A match that it completes is emitted before the
 * call returns. Rows come in nondecreasing time. CEP_FULL: *lost says the lanes
 * that a bound made forget. */
enum cep_verdict cep_take(struct cep_state *st, const struct fmt_row *row, uint64_t seq,
			  uint16_t lanes, const uint8_t *sym, uint16_t *lost);

/* The same as cep_take() with the partition's key hashed ahead and its loads started,
 * for a caller with several rows at hand (as win_add_hashed(), windows/win_agg.h):
 * cep_hash() is the hash of row's PARTITION BY key, cep_prefetch_slot() starts loading
 * its index slot, cep_prefetch_key() (once the slot has had time to arrive) its
 * record, cep_prefetch_part() (once the record has) the partition's Hyperscan stream
 * and the kept rows that the take reads and writes. Prefetching changes nothing but
 * the time. */
uint64_t cep_hash(const struct cep_state *st, const struct fmt_row *row);
void cep_prefetch_slot(const struct cep_state *st, uint64_t h);
void cep_prefetch_key(const struct cep_state *st, uint64_t h);
void cep_prefetch_part(const struct cep_state *st, uint64_t h);
enum cep_verdict cep_take_hashed(struct cep_state *st, const struct fmt_row *row, uint64_t seq,
				 uint16_t lanes, const uint8_t *sym, uint64_t h, uint16_t *lost);

/* No row before W will come: partitions whose WITHIN has passed are closed. */
void cep_advance(struct cep_state *st, int64_t W);

/* The least W at which cep_advance() closes a partition (INT64_MAX: none). */
int64_t cep_next_expiry(const struct cep_state *st);

/* Every partition closed (the end of the input: nothing more can match). */
void cep_clear(struct cep_state *st);

/*
 * A live reload: to (a new operator, of a bank whose lanes may come from several old
 * ones) takes over the partitions of from, whose lane l is to's lane map[l] (-1: a
 * rule that is gone), their rows merged by seq with what to has. Once every old
 * operator is merged, cep_rescan() feeds each partition's kept rows to a new
 * Hyperscan stream of to's database, which then finds every match the old streams
 * would have (a match starts on a kept row). *lost: to's lanes that its bounds made
 * forget. Returns 0, or -ENOMEM (to keeps what it took).
 */
int cep_merge(struct cep_state *to, struct cep_state *from, const int8_t *map, uint16_t *lost);
int cep_rescan(struct cep_state *to);

/* Gauges: live partitions, rows kept, bytes of state (records, index, rows, streams),
 * and the high-water marks of partitions and bytes (with the partitions then). */
struct cep_usage {
	uint64_t keys, rows, bytes;
	uint64_t peak_keys, peak_bytes, peak_bytes_keys;
};
void cep_usage(const struct cep_state *st, struct cep_usage *u);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The LIKE and REGEXP predicates of a rule set on Hyperscan (spec/RULES.md,
 * "Expressions"): for each stream, one block-mode database per string column that
 * some predicate reads, holding every distinct pattern of every rule on that column.
 * Each string value of an event is scanned once, whatever the number of rules; the
 * matches land as bits of a per-event predicate set that the expressions read
 * (PAT_OP_MATCH). The databases are built by pat_compile(), in a child process
 * bounded in time and memory by default, so that a hostile rule file cannot stall
 * the control plane.
 *
 * Scratch: pat_hs_scratch() makes one prototype that fits every database of a rule
 * set; each lcore takes its own with hs_clone_scratch() (Hyperscan scratch is not
 * shared between threads).
 */
#ifndef RIPTIDE_PAT_HS_H
#define RIPTIDE_PAT_HS_H

#include <stdint.h>

#include <hs/hs.h>

#include "formats/fmt.h"
#include "patterns/pat_rules.h"

struct pat_hs_db {
	uint32_t col;	   /* the STRING column scanned */
	hs_database_t *db; /* its predicates, ids = predicate indexes */
};

/* The databases of one stream; immutable once built. */
struct pat_hs {
	uint32_t n_preds; /* predicate bits of an event of this stream */
	uint32_t n_dbs;
	struct pat_hs_db dbs[PAT_MAX_COLUMNS];
};

/* 64-bit words of a predicate set of n predicates. */
#define PAT_PRED_WORDS(n) (((n) + 63u) / 64u)

/*
 * A scratch prototype for every database of rs (into *proto, NULL when rs has no
 * predicate and no pattern). Returns 0 or -ENOMEM. Free with hs_free_scratch().
 */
int pat_hs_scratch(const struct pat_ruleset *rs, hs_scratch_t **proto);

/*
 * Scans the string columns of row (an event of the stream of hs) and sets bit k of
 * preds for each predicate k that matches; preds has PAT_PRED_WORDS(hs->n_preds)
 * words and is cleared first. A NULL column is not scanned (its predicates are NULL,
 * which the expression sees from the row). scratch is the lcore's own. Returns 0, or
 * -EIO when Hyperscan fails (the bits are then all clear).
 */
int pat_hs_scan(const struct pat_hs *hs, const struct fmt_row *row, hs_scratch_t *scratch,
		uint64_t *preds);

/*
 * The Hyperscan expression of a MATCH_RECOGNIZE pattern over row symbols: a row is one
 * byte with bit v set when variable v may take it (its DEFINE holds, or it has none),
 * so a variable is the class of the bytes with its bit, and the pattern's structure
 * and greedy quantifiers carry over as they are. Returns a malloc'd string, or NULL
 * when out of memory. pat_compile() builds each PATTERN rule's streaming database
 * (pat_rule.seq_db) from it; pat_hs_scratch() covers those databases too.
 */
char *pat_seq_expr(const struct pat_re *re);

/* Puts rs's patterns in banks (pat_rule.bank, lane, lane_base, n_lanes): in rule order,
 * each into the first bank of its stream and PARTITION BY with fewer than
 * PAT_BANK_LANES lanes and, unless a lane of its shape (the same PATTERN over the
 * variables' numbers) is there to share byte values with, room for its own
 * (2^variables; 256 in all), else a bank of its own. pat_hs_build() does it and
 * compiles each bank of several lanes into bank_db, an expression a shape; a bank
 * whose database does not compile is split into banks of one. */
struct pat_ruleset;
void pat_plan_banks(struct pat_ruleset *rs);

/* The Hyperscan flags of a predicate: what LIKE and REGEXP mean (docs/rules.md). */
unsigned int pat_hs_flags(const struct pat_pred *pr);

#endif

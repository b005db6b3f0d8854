/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Evaluation of checked expressions (struct pat_expr of pat_rules.h) over one event:
 * the typed tree is walked without allocation; SQL three-valued logic; BIGINT
 * overflow, division by zero and non-finite DOUBLE results are NULL. LIKE and REGEXP
 * read the event's predicate bits (pat_hs.h), so Hyperscan has scanned the event
 * before any expression of its stream is evaluated.
 */
#ifndef RIPTIDE_PAT_EXPR_H
#define RIPTIDE_PAT_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/fmt.h"
#include "patterns/pat_rules.h"

struct pat_val {
	uint8_t type; /* enum pat_type */
	bool null;
	union {
		int64_t i; /* BIGINT, TIMESTAMP */
		double d;
		bool b;
		struct {
			const uint8_t *p;
			uint32_t len;
		} s;
	};
};

/* What an evaluation reads, and where LOWER/UPPER write. */
/* The comparisons an event's conditions share (pat_memo_plan()): bit k of known is
 * set once slot k is decided, its value in val. */
#define PAT_MEMO_SLOTS 64
struct pat_memo {
	uint64_t known, val;
};

struct pat_env {
	const struct fmt_row *row;
	/* NULL, or where pat_eval_cond() keeps the shared comparisons of this row: the
	 * caller clears known whenever row is another event */
	struct pat_memo *memo;
	const uint64_t *preds; /* the event's predicate bits (NULL: the stream has none) */
	/* results of aggregates (PAT_OP_AGG) and measures (PAT_OP_MEASURE) by slot, set
	 * by the window and pattern operators before HAVING, select lists, MEASURES */
	const struct pat_val *slots;
	uint8_t *buf; /* rs->eval_strings * PAT_MAX_STRING bytes */
	size_t cap;
	size_t used; /* reset by the caller before each top-level evaluation */
};

/* Evaluates e into *out. Strings in out point into the row or into env->buf. */
void pat_eval(const struct pat_expr *e, struct pat_env *env, struct pat_val *out);

/*
 * A predicate without which condition e cannot be TRUE: e is a LIKE or REGEXP (not
 * negated), or an AND with one among its operands. Returns its index, or -1. The
 * data path evaluates a rule only on events whose predicate set holds it, so that a
 * thousand pattern rules cost a scan and the few that fired, not a thousand walks.
 */
int pat_expr_required_pred(const struct pat_expr *e);

/* A WHERE, HAVING or DEFINE: true only when e is TRUE (NULL is false). */
bool pat_eval_cond(const struct pat_expr *e, struct pat_env *env);

/*
 * Marks the comparisons of a column with a literal that several conditions of one
 * stream hold (the WHEREs and DEFINEs of its rules, through AND and OR), up to
 * PAT_MEMO_SLOTS a stream: pat_eval_cond() with a memo decides each of them once an
 * event (ten patterns on `status = 'declined'` compare the status once).
 */
void pat_memo_plan(struct pat_ruleset *rs);

#endif

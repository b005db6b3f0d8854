/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live rule reload (ARCHITECTURE.md "Principles of the hot path"): generations of the
 * data path's configuration.
 *
 * A generation is an immutable struct dp_pipeline built from one rule set, with, for
 * each worker lcore, a kit of what that lcore needs to run it (evaluation scratch, a
 * Hyperscan scratch clone, rule lists, the window and pattern operators of the rules
 * that are new), all prepared on the control thread. It is published with one atomic
 * pointer store (dp_gen_current). Each lcore notices it in its housekeeping (every
 * millisecond) and adopts it: it swaps the kit's pointers with its own, moves the
 * state of the rules that survive (same name, same definition, same stream
 * definition) from their old places to their new ones, and leaves in the kit what it
 * no longer needs. An RX lcore tells each state lcore where its events of the old
 * generation end (a marker in the ring); a state lcore that has adopted translates
 * the old events still in flight (stream and rule indexes of the old generation
 * mapped to the new ones, or dropped where the rule is gone). An lcore reports a
 * quiescent state (rte_rcu_qsbr) only when it runs the current generation and has
 * seen the end of the old one on every inbound ring; after that grace period the
 * control thread frees the old pipeline, its rule set and the kits' leftovers.
 *
 * Counters are indexed by slots (struct dp_slots), one per rule or stream name for
 * the life of the process, so that a rule's counts go on across reloads and those of
 * a removed rule stay in the stats.
 *
 * Ownership: a kit belongs to the control thread until the generation is published,
 * then to its lcore until that lcore has adopted it, then to the control thread again.
 */
#ifndef RIPTIDE_DP_GEN_H
#define RIPTIDE_DP_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "patterns/pat_rules.h"

struct dp_pipeline;
struct win_state;
struct cep_state;
struct dp_bank_take;
struct dp_emit_ctx;
struct dp_blocklist;

/* Names to counter slots, append-only; written by the control thread (or main before
 * the launch), read by whoever builds the stats under the runtime's lock. */
struct dp_slots {
	uint32_t n_rules, n_streams;
	char *rule[PAT_MAX_RULES];
	uint8_t rule_stateful[PAT_MAX_RULES];
	char *stream[PAT_MAX_STREAMS];
};

/* The slot of a rule (stateful: an aggregate or a pattern) or stream name, added when
 * new. Returns it, or -ENOSPC (every slot taken) / -ENOMEM. */
int dp_slot_rule(struct dp_slots *s, const char *name, bool stateful);
int dp_slot_stream(struct dp_slots *s, const char *name);
void dp_slots_free(struct dp_slots *s);

/* A rule reference whose rule is gone (a reload removed it). */
#define DP_REF_DEAD 0xffffu

/* What one lcore needs to run a generation; after adoption, what it left behind. */
struct dp_kit {
	/* dp_ingest */
	uint8_t *env_buf;
	size_t env_cap;
	uint32_t *pass;
	hs_scratch_t *hs_scratch;
	/* dp_shard_out */
	uint32_t *list;
	/* dp_win_lcore: operators by srule index of the pipeline they belong to (NULL:
	 * carried over from the generation before) */
	uint32_t n_srules;
	struct win_state **win;
	struct cep_state **cep;
	struct dp_emit_ctx *ectx;
	uint32_t *prefs;
	struct dp_bank_take *btake;
	/* room to permute per-stream state without allocating on the lcore */
	void *tmp;
};

/* Exchanges two lvalues of one type (a kit's pointers with an lcore's). */
#define DP_SWAP(a, b)                      \
	do {                               \
		__typeof__(a) swap_ = (a); \
		(a) = (b);                 \
		(b) = swap_;               \
	} while (0)

/* Frees what kit holds; n_srules says how many operators its arrays have. */
void dp_kit_free(struct dp_kit *kit);

/* A generation: a pipeline and a kit per worker lcore (by worker index). */
struct dp_gen {
	uint64_t version;
	struct dp_pipeline *pl;
	struct pat_ruleset *rs;
	struct dp_kit *kits;
	unsigned int n_kits;
};

/* The generation the lcores are to run; set by main before the launch, then by the
 * control thread (release store), read by the lcores (acquire load). */
extern struct dp_gen *dp_gen_current;

/* The live source-prefix block list and rate limit (riptidectl filter ...), published
 * like a generation: an lcore loads it in its housekeeping. */
struct dp_filter_set {
	uint64_t version;
	const struct dp_blocklist *blocked; /* NULL: none */
	uint64_t rate_pps, rate_burst;	    /* 0: off */
	/* hits of each blocked prefix, a row of n_prefixes per lcore, each row on cache
	 * lines of its own (written by that lcore only) */
	uint64_t *hits;
	uint32_t n_prefixes, hits_stride;
};

extern struct dp_filter_set *dp_filter_current;

#endif

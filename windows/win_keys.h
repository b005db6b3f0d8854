/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keys of a state operator (GROUP BY of an aggregate, PARTITION BY of a pattern)
 * on one state lcore. A key is the values of its columns encoded as bytes (equal keys,
 * equal bytes; a NULL is a value of its own; -0.0 is 0.0). Records of a fixed stride
 * (struct win_key, then the operator's own part) sit in a pool; an open-addressing
 * index finds them (linear probing, load <= 1/2, backward-shift deletion, so no
 * tombstones); keys longer than WIN_KEY_INLINE bytes live in the operator's arena.
 * Everything is reserved at set-up: nothing is allocated per event.
 */
#ifndef RIPTIDE_WIN_KEYS_H
#define RIPTIDE_WIN_KEYS_H

#include <stdint.h>

#include "formats/fmt.h"
#include "patterns/pat_rules.h"
#include "win_mem.h"

#define WIN_KEY_INLINE 24

/* Which columns make the key, and their types. */
struct win_keyspec {
	uint32_t n;
	uint32_t cols[PAT_MAX_ITEMS];
	uint8_t type[PAT_MAX_ITEMS];
	uint32_t strings; /* columns of type STRING */
};

/* Columns cols[0..n) of stream s. */
void win_keyspec_init(struct win_keyspec *ks, const uint32_t *cols, uint32_t n,
		      const struct pat_stream *s);

struct win_key {
	uint64_t hash;
	uint32_t len;
	uint32_t aux; /* the operator's */
	union {
		uint8_t in[WIN_KEY_INLINE];
		uint8_t *p;
	} b;
	/* the operator's part of the record follows */
};

struct win_index_ent {
	uint32_t tag; /* hash bits */
	uint32_t idx; /* record + 1; 0: empty (so that untouched pages are empty) */
};

struct win_keys {
	const struct win_keyspec *ks;
	struct win_pool recs;
	struct win_index_ent *index;
	uint32_t mask;
	struct win_arena *arena; /* long keys */
	/* the current key (win_keys_encode) */
	uint8_t *kbuf;
	size_t kcap;
	uint32_t klen;
	uint64_t khash;
	struct fmt_row krow; /* a key decoded (win_keys_row) */
};

/* A table of up to cap keys of ks, each record data_size bytes after its struct
 * win_key (a multiple of 8), long keys in arena. Returns 0, -EINVAL or -ENOMEM. */
int win_keys_init(struct win_keys *t, const struct win_keyspec *ks, size_t data_size, uint32_t cap,
		  struct win_arena *arena);
void win_keys_fini(struct win_keys *t);

/* Makes row's key the current one. */
void win_keys_encode(struct win_keys *t, const struct fmt_row *row);

/* The hash of row's key (what win_keys_encode() computes), and the same encoding with
 * that hash given, for a caller that hashed its events ahead to prefetch their keys. */
uint64_t win_keys_hash(const struct win_keys *t, const struct fmt_row *row);
void win_keys_encode_hashed(struct win_keys *t, const struct fmt_row *row, uint64_t h);

/* Starts loading the index slot of hash h; then, once that has had time to arrive,
 * the record that slot holds when its tag is h's (what win_keys_find() will read). */
static inline void win_keys_prefetch_slot(const struct win_keys *t, uint64_t h)
{
	__builtin_prefetch(&t->index[(uint32_t)h & t->mask]);
}

void win_keys_prefetch_record(const struct win_keys *t, uint64_t h);

/* The operator's part of the record that hash h's home slot holds when its tag is h's
 * (perhaps another key's), else NULL: for a caller that prefetches what the record
 * points to, once win_keys_prefetch_record() has had time to bring it. */
void *win_keys_peek(const struct win_keys *t, uint64_t h);

/* The record of the current key, or WIN_NONE; *slot is where it is or would go. */
uint32_t win_keys_find(const struct win_keys *t, uint32_t *slot);

/* Adds the current key at *slot (from win_keys_find, with nothing deleted since): its
 * record, zeroed past the struct win_key, or WIN_NONE when cap keys are live or the
 * arena is spent. */
uint32_t win_keys_add(struct win_keys *t, uint32_t slot);

/* Removes record i. */
void win_keys_del(struct win_keys *t, uint32_t i);

static inline struct win_key *win_keys_at(const struct win_keys *t, uint32_t i)
{
	return win_pool_at(&t->recs, i);
}

static inline void *win_keys_data(const struct win_keys *t, uint32_t i)
{
	return (uint8_t *)win_pool_at(&t->recs, i) + sizeof(struct win_key);
}

static inline const uint8_t *win_key_bytes(const struct win_key *k)
{
	return k->len <= WIN_KEY_INLINE ? k->b.in : k->b.p;
}

/* Record i's key values as a row (only the key columns present), valid until the
 * next call. */
const struct fmt_row *win_keys_row(struct win_keys *t, uint32_t i);

/* Bytes of the index and records of the live keys (their long keys are in the
 * arena's count). */
uint64_t win_keys_bytes(const struct win_keys *t);

#endif

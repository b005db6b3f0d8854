/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory of the window operator, taken at set-up and never from malloc on an event:
 * - struct win_pool: fixed-size records (keys, windows) in one reservation, handed out
 *   from a free list; pages are touched only as records are first used.
 * - struct win_arena: variable blocks (key bytes, sketches) in power-of-two size
 *   classes from 16 B to WIN_ARENA_MAX, carved from one reservation of the rule's
 *   memory bound and recycled through a free list per class.
 * Both fail (NULL) when their bound is reached: the caller counts and refuses.
 * Single-threaded: a state lcore owns its pools and arenas.
 */
#ifndef RIPTIDE_WIN_MEM_H
#define RIPTIDE_WIN_MEM_H

#include <stddef.h>
#include <stdint.h>

#define WIN_ARENA_MIN_SHIFT 4
#define WIN_ARENA_MAX_SHIFT 17
#define WIN_ARENA_MAX	    ((size_t)1 << WIN_ARENA_MAX_SHIFT)
#define WIN_NONE	    UINT32_MAX

/* bytes of address space, pages committed when written; NULL when refused */
void *win_reserve(size_t bytes);
void win_unreserve(void *p, size_t bytes);

struct win_pool {
	uint8_t *base;
	size_t stride;
	uint32_t cap;	/* records reserved */
	uint32_t top;	/* records ever handed out */
	uint32_t free;	/* free list head, WIN_NONE: empty */
	uint32_t inuse; /* live records */
};

/* A pool of cap records of stride bytes (a multiple of 8). Returns 0 or -ENOMEM. */
int win_pool_init(struct win_pool *p, size_t stride, uint32_t cap);
void win_pool_fini(struct win_pool *p);
/* A record's index, or WIN_NONE when cap records are live. Its bytes are zeroed. */
uint32_t win_pool_get(struct win_pool *p);
void win_pool_put(struct win_pool *p, uint32_t idx);

static inline void *win_pool_at(const struct win_pool *p, uint32_t idx)
{
	return p->base + (size_t)idx * p->stride;
}

struct win_arena {
	uint8_t *base;
	size_t cap;  /* bytes reserved: the bound */
	size_t top;  /* bytes carved */
	size_t used; /* bytes of live blocks (their classes' sizes) */
	void *free[WIN_ARENA_MAX_SHIFT + 1];
};

/* An arena of up to cap bytes. Returns 0 or -ENOMEM. */
int win_arena_init(struct win_arena *a, size_t cap);
void win_arena_fini(struct win_arena *a);
/* A block of at least n bytes (n <= WIN_ARENA_MAX), 16-byte aligned, not zeroed; NULL
 * when the bound is reached. */
void *win_alloc(struct win_arena *a, size_t n);
/* Frees a block of win_alloc(a, n) (the same n, or any n of the same class). */
void win_free(struct win_arena *a, void *b, size_t n);
/* The bytes a block of n bytes takes. */
size_t win_block_size(size_t n);

#endif

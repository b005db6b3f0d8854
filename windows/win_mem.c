/* SPDX-License-Identifier: BSD-3-Clause */
#include "win_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

void *win_reserve(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void win_unreserve(void *p, size_t bytes)
{
	if (p != NULL)
		munmap(p, bytes);
}

int win_pool_init(struct win_pool *p, size_t stride, uint32_t cap)
{
	memset(p, 0, sizeof(*p));
	if (cap == 0 || cap == WIN_NONE || stride % 8 != 0)
		return -EINVAL;
	p->base = win_reserve(stride * cap);
	if (p->base == NULL)
		return -ENOMEM;
	p->stride = stride;
	p->cap = cap;
	p->free = WIN_NONE;
	return 0;
}

void win_pool_fini(struct win_pool *p)
{
	if (p->base != NULL)
		munmap(p->base, p->stride * p->cap);
	memset(p, 0, sizeof(*p));
}

uint32_t win_pool_get(struct win_pool *p)
{
	uint32_t idx;

	if (p->free != WIN_NONE) {
		idx = p->free;
		memcpy(&p->free, win_pool_at(p, idx), sizeof(p->free));
	} else if (p->top < p->cap) {
		idx = p->top++;
	} else {
		return WIN_NONE;
	}
	memset(win_pool_at(p, idx), 0, p->stride);
	p->inuse++;
	return idx;
}

void win_pool_put(struct win_pool *p, uint32_t idx)
{
	memcpy(win_pool_at(p, idx), &p->free, sizeof(p->free));
	p->free = idx;
	p->inuse--;
}

int win_arena_init(struct win_arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->base = win_reserve(cap);
	if (a->base == NULL)
		return -ENOMEM;
	a->cap = cap;
	return 0;
}

void win_arena_fini(struct win_arena *a)
{
	if (a->base != NULL)
		munmap(a->base, a->cap);
	memset(a, 0, sizeof(*a));
}

static inline unsigned int class_of(size_t n)
{
	unsigned int c = WIN_ARENA_MIN_SHIFT;

	if (n > ((size_t)1 << c))
		c = 64 - (unsigned int)__builtin_clzll((unsigned long long)n - 1);
	return c;
}

size_t win_block_size(size_t n)
{
	return (size_t)1 << class_of(n);
}

void *win_alloc(struct win_arena *a, size_t n)
{
	unsigned int c;
	size_t size;
	void *b;

	if (n > WIN_ARENA_MAX)
		return NULL;
	c = class_of(n);
	size = (size_t)1 << c;
	b = a->free[c];
	if (b != NULL) {
		memcpy(&a->free[c], b, sizeof(void *));
	} else {
		if (a->cap - a->top < size)
			return NULL;
		b = a->base + a->top;
		a->top += size;
	}
	a->used += size;
	return b;
}

void win_free(struct win_arena *a, void *b, size_t n)
{
	unsigned int c = class_of(n);

	if (b == NULL)
		return;
	memcpy(b, &a->free[c], sizeof(void *));
	a->free[c] = b;
	a->used -= (size_t)1 << c;
}

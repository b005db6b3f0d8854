/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A header with this topic fills the end of the buffer: the next message is at 0. */
#define PAD_TOPIC 0xffff

/* Messages begin at multiples of a header's size, so that a header always fits at
 * the end of the buffer (as a pad when the message does not). */
#define MSG_ALIGN sizeof(struct sink_msg)
_Static_assert((sizeof(struct sink_msg) & (sizeof(struct sink_msg) - 1)) == 0,
	       "a header's size is a power of two");

static inline size_t align_msg(size_t n)
{
	return (n + MSG_ALIGN - 1) & ~(size_t)(MSG_ALIGN - 1);
}

struct sink_ring *sink_ring_new(size_t size)
{
	struct sink_ring *r;

	if (size < 4096 || (size & (size - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(64, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = aligned_alloc(64, size);
	if (r->buf == NULL) {
		free(r);
		return NULL;
	}
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void sink_ring_free(struct sink_ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

size_t sink_ring_max_msg(const struct sink_ring *r)
{
	return r->size / 2 - sizeof(struct sink_msg);
}

uint8_t *sink_ring_reserve(struct sink_ring *r, size_t max)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t pos = head & (r->size - 1), need, contig, wrap, total;

	if (max > sink_ring_max_msg(r))
		return NULL;
	need = align_msg(sizeof(struct sink_msg) + max);
	contig = r->size - pos;
	wrap = contig < need ? contig : 0;
	total = wrap + need;
	if (r->size - (head - r->head_cache) < total) {
		r->head_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (r->size - (head - r->head_cache) < total)
			return NULL;
	}
	r->res_wrap = wrap;
	r->res_at = wrap ? 0 : pos;
	return r->buf + r->res_at + sizeof(struct sink_msg);
}

void sink_ring_commit(struct sink_ring *r, uint16_t topic, uint16_t key_len, size_t len)
{
	sink_ring_commit_rx(r, topic, key_len, len, 0);
}

void sink_ring_commit_rx(struct sink_ring *r, uint16_t topic, uint16_t key_len, size_t len,
			 uint64_t rx)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct sink_msg *m = (struct sink_msg *)(r->buf + r->res_at);

	if (r->res_wrap) {
		struct sink_msg *pad = (struct sink_msg *)(r->buf + (head & (r->size - 1)));

		pad->len = (uint32_t)(r->res_wrap - sizeof(*pad));
		pad->topic = PAD_TOPIC;
		pad->key_len = 0;
		pad->rx = 0;
	}
	m->len = (uint32_t)len;
	m->topic = topic;
	m->key_len = key_len;
	m->rx = rx;
	atomic_store_explicit(&r->head, head + r->res_wrap + align_msg(sizeof(*m) + len),
			      memory_order_release);
}

const struct sink_msg *sink_ring_peek(struct sink_ring *r)
{
	for (;;) {
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		const struct sink_msg *m;

		if (tail == head)
			return NULL;
		m = (const struct sink_msg *)(r->buf + (tail & (r->size - 1)));
		if (m->topic != PAD_TOPIC)
			return m;
		atomic_store_explicit(&r->tail, tail + sizeof(*m) + m->len, memory_order_release);
	}
}

void sink_ring_release(struct sink_ring *r, const struct sink_msg *m)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + align_msg(sizeof(*m) + m->len),
			      memory_order_release);
}

size_t sink_ring_used(const struct sink_ring *r)
{
	return (size_t)(atomic_load_explicit(&r->head, memory_order_acquire) -
			atomic_load_explicit(&r->tail, memory_order_acquire));
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A single-producer single-consumer ring of variable-length messages: how results and
 * dead letters leave a polling lcore for the sink thread without locks, allocation or
 * copies beyond the one into the ring. The producer (one lcore) reserves room, writes
 * the message in place and commits; the consumer (the sink thread) peeks at the oldest
 * message and releases it. rte_ring carries fixed-size elements only, and a result
 * (a raw dead record up to 64 KiB) is not one.
 *
 * Ownership: head is written by the producer only, tail by the consumer only; each
 * reads the other's with acquire loads, so message bytes are visible before the
 * index that publishes them.
 */
#ifndef RIPTIDE_SINK_RING_H
#define RIPTIDE_SINK_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* What precedes each message's bytes in the ring. */
struct sink_msg {
	uint32_t len;	  /* bytes after this header: key then value */
	uint16_t topic;	  /* index into the sink's topic table */
	uint16_t key_len; /* the Kafka message key, first key_len bytes; 0: no key */
	uint64_t rx;	  /* the producer's clock reading at the RX of the packet behind
			   * it (below 2^63), 0: none (made by the clock) */
};

struct sink_ring {
	_Atomic uint64_t head __attribute__((aligned(64))); /* producer: bytes committed */
	/* producer only, on head's line: the last tail seen and the last reservation
	 * (where its header goes, and the padding before it at the end of the buffer) */
	uint64_t head_cache;
	uint64_t res_at, res_wrap;
	_Atomic uint64_t tail __attribute__((aligned(64))); /* consumer: bytes released */
	uint64_t size __attribute__((aligned(64)));	    /* power of two */
	uint8_t *buf;
};

/* A ring of size bytes (a power of two, at least 4 KiB). Returns NULL and sets errno. */
struct sink_ring *sink_ring_new(size_t size);
void sink_ring_free(struct sink_ring *r);

/* Largest message (header, key and value) that the ring can ever hold. */
size_t sink_ring_max_msg(const struct sink_ring *r);

/*
 * Producer: room for a message of up to max bytes after its header. Returns where the
 * key and value go, or NULL when the ring has no room now (the caller's back-pressure
 * policy decides) or max exceeds sink_ring_max_msg().
 */
uint8_t *sink_ring_reserve(struct sink_ring *r, size_t max);
/* Producer: publishes the reserved message with len bytes of key and value. topic is
 * below SINK_MAX_TOPICS (the ring keeps 0xffff for itself). */
void sink_ring_commit(struct sink_ring *r, uint16_t topic, uint16_t key_len, size_t len);
/* The same, stamped with the RX time rx of what the message comes from (struct
 * sink_msg's rx). */
void sink_ring_commit_rx(struct sink_ring *r, uint16_t topic, uint16_t key_len, size_t len,
			 uint64_t rx);

/* Consumer: the oldest message, or NULL when the ring is empty. */
const struct sink_msg *sink_ring_peek(struct sink_ring *r);
/* Consumer: frees the message returned by the last peek. */
void sink_ring_release(struct sink_ring *r, const struct sink_msg *m);

/* Bytes in use (either side may ask; the answer may be stale). */
size_t sink_ring_used(const struct sink_ring *r);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Kafka sink (--kafka): an idempotent librdkafka producer (acks=all) on the sink
 * thread, and, with --spool, the disk spool that holds results while the brokers
 * cannot take them.
 *
 * Two states. DIRECT: results are produced as they come. SPOOLING: results are
 * appended to the spool, and the spool is replayed in order from its ack: one record
 * first (a probe, which waits in librdkafka's queue until a broker takes it), then a
 * window of them once one is delivered; when the replay has read every record the
 * sink is DIRECT again. The sink goes SPOOLING on an outage: every broker down
 * (librdkafka's ALL_BROKERS_DOWN), no delivery report for stall_ms while messages
 * wait, a full producer queue, a failed delivery (message.timeout.ms, a purge) or a
 * fatal producer error. Then the producer's queue is purged and its messages, which
 * were never sent, are spooled first, in order, before any newer result; a fatal
 * error also replaces the producer once its messages are back. Order per key holds,
 * and a record is sent again only when librdkafka reported it as failed: a message
 * that timed out while in flight (possibly written) may arrive twice, never zero
 * times.
 *
 * Without a spool a failed result is counted as lost under its reason, and a full
 * queue is back-pressure (sink_kafka_send returns -EAGAIN).
 */
#ifndef RIPTIDE_SINK_KAFKA_H
#define RIPTIDE_SINK_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "sink.h"
#include "sink_spool.h"

#define SINK_OUTAGE_REASONS(X)                                                       \
	X(BROKERS_DOWN, "brokers_down")	      /* librdkafka: every broker down */    \
	X(STALLED, "stalled")		      /* no delivery report for stall_ms */  \
	X(QUEUE_FULL, "queue_full")	      /* the producer's queue refused one */ \
	X(DELIVERY_FAILED, "delivery_failed") /* a delivery report with an error */  \
	X(FATAL, "fatal")		      /* a fatal producer error */           \
	X(SPOOL_BACKLOG, "spool_backlog")     /* records waited in the spool at start */

enum sink_outage {
#define X(e, s) SINK_OUTAGE_##e,
	SINK_OUTAGE_REASONS(X)
#undef X
		SINK_OUTAGE__COUNT
};

const char *sink_outage_name(unsigned int reason);

struct sink_kafka_stats {
	uint64_t produced;  /* handed to librdkafka (replays included) */
	uint64_t delivered; /* acknowledged by the brokers */
	uint64_t replayed;  /* of those, read from the spool */
	uint64_t spooled;   /* results written to the spool */
	uint64_t outages[SINK_OUTAGE__COUNT];
	uint64_t producer_restarts;  /* after fatal errors */
	uint64_t rewinds;	     /* replays begun again after a failed replayed record */
	uint64_t queue_full_waits;   /* sends refused for a full queue (no spool) */
	uint64_t late_failures;	     /* results failed while in flight after newer ones spooled */
	uint64_t possibly_persisted; /* failed results the brokers may have written anyway */
	uint64_t outq_peak;	     /* most messages librdkafka held at once */
	uint64_t outq;		     /* messages librdkafka holds now */
	uint64_t latency_us[SINK_LAT_BUCKETS];	  /* produce to acknowledgement */
	uint64_t rx_latency_us[SINK_LAT_BUCKETS]; /* the packet's RX to acknowledgement */
	uint64_t rx_untimed; /* acknowledged without an RX stamp (made by the clock, replayed) */
};

/*
 * The producer's configuration: riptide's defaults (client.id riptide, linger.ms 5,
 * compression.codec lz4), then the key=value lines of path (NULL: none; '#' starts a
 * comment), then bootstrap.servers = brokers, enable.idempotence = true and acks =
 * all, which the file may not change. Returns NULL with "PATH:LINE: ..." in err.
 */
rd_kafka_conf_t *sink_kafka_conf(const char *brokers, const char *path, char *err, size_t errlen);

struct sink_kafka;

/*
 * A producer on conf (taken, also on failure). spool: NULL, or the open spool, which
 * the sink then owns and closes. Counts deliveries and losses into c (delivered,
 * topic[], lost[]). stall_ms: see above. Returns NULL with errno set and a message.
 */
struct sink_kafka *sink_kafka_new(rd_kafka_conf_t *conf, const struct sink_topics *topics,
				  struct spool *spool, struct sink_counters *c, uint32_t stall_ms,
				  char *err, size_t errlen);

/*
 * One result. Returns 0 when it was taken (produced, spooled, or lost and counted),
 * -EAGAIN when it cannot be now (a full queue without a spool, a full spool with
 * SPOOL_FULL_WAIT): the caller keeps it and tries again after sink_kafka_poll().
 */
int sink_kafka_send(struct sink_kafka *k, uint16_t topic, const uint8_t *key, size_t key_len,
		    const uint8_t *value, size_t value_len, uint64_t rx);

/* The clock of the results' RX stamps (sink_kafka_send's rx, below 2^63; 0: none): a
 * reading and microseconds a tick (32.32 fixed point). With it, each acknowledged
 * result that has a stamp counts its RX-to-acknowledgement time (rx_latency_us). */
void sink_kafka_rx_clock(struct sink_kafka *k, uint64_t (*clock)(void), uint64_t us_per_tick_fp);

/* Serves delivery reports and errors, notices outages, replays the spool, writes and
 * (every SINK_SPOOL_SYNC_MS) fsyncs it. now_ns: CLOCK_MONOTONIC. */
void sink_kafka_poll(struct sink_kafka *k, uint64_t now_ns);

/* Writes what the spool buffers (after each batch of results). */
void sink_kafka_flush(struct sink_kafka *k);

/* 1 when every result taken is delivered or lost: nothing in librdkafka, nothing
 * waiting in the spool. */
int sink_kafka_idle(const struct sink_kafka *k);

/* What a closed Kafka sink leaves: its figures, and the spool's. */
struct sink_kafka_final {
	struct sink_kafka_stats st;
	int has_spool;
	struct spool_stats spool;
	uint64_t backlog;     /* records left in the spool */
	uint64_t spool_bytes; /* their segments' size */
};

/*
 * Stop: delivers and replays for up to drain_ms, then purges what librdkafka still
 * holds (spooled, or counted as lost{undelivered_at_stop} without a spool), syncs and
 * closes the spool, destroys the producer, fills fin (when not NULL) and frees k.
 */
void sink_kafka_close(struct sink_kafka *k, uint32_t drain_ms, struct sink_kafka_final *fin);

const struct sink_kafka_stats *sink_kafka_stats(const struct sink_kafka *k);
/* NULL when there is no spool. */
const struct spool *sink_kafka_spool(const struct sink_kafka *k);

#endif

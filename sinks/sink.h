/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sink thread: drains every lcore's result ring (sink_ring.h) into the outputs:
 * the file sink (--out), Kafka (--kafka) with its disk spool (--spool). It runs on the
 * main lcore's core, never on a polling one, and is the only writer of its counters;
 * others read them with relaxed loads.
 *
 * With Kafka, a result is delivered when the brokers acknowledge it; the file sink
 * (when both are given) writes every result too and counts its own write errors.
 * Every result taken is delivered, waiting in the spool, or lost under a reason:
 *   produced + spool backlog at start = delivered + lost + spool backlog at stop
 */
#ifndef RIPTIDE_SINK_H
#define RIPTIDE_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sink_ring.h"

/* Topics of a rule set: every rule may have its own (PAT_MAX_RULES), and streams their
 * dead letters and late events. */
#define SINK_MAX_TOPICS 16384
#define SINK_MAX_RINGS	128

/* Latency histograms (RX to result on the lcores, result to delivery here): bucket k
 * counts [2^(k-1), 2^k) microseconds (bucket 0: under 1 us), the last open-ended. */
#define SINK_LAT_BUCKETS 28

static inline unsigned int sink_lat_bucket(uint64_t us)
{
	unsigned int b = us == 0 ? 0 : 64 - (unsigned int)__builtin_clzll(us);

	return b < SINK_LAT_BUCKETS ? b : SINK_LAT_BUCKETS - 1;
}

/* A histogram as the stats show it: {"LE": count} for each bucket that counted,
 * LE its upper bound in microseconds ("+Inf" for the last). A new reference. */
json_t *sink_lat_json(const uint64_t *b);

/* Topic names, by index: what a struct sink_msg's topic refers to. */
struct sink_topics {
	unsigned int n;
	char *names[SINK_MAX_TOPICS];
};

/* The index of topic name, added when new. Returns it, or -ENOSPC / -ENOMEM. */
int sink_topics_add(struct sink_topics *t, const char *name);
void sink_topics_free(struct sink_topics *t);

/* Why a result taken by the sink thread reached no output. */
#define SINK_LOST_REASONS(X)                                                                    \
	X(WRITE_ERROR, "write_error")		      /* the file sink could not write it */    \
	X(KAFKA_TIMED_OUT, "kafka_timed_out")	      /* message.timeout.ms, no spool */        \
	X(KAFKA_FATAL, "kafka_fatal")		      /* fatal producer error, no spool */      \
	X(KAFKA_REJECTED, "kafka_rejected")	      /* refused for good (size, topic, ACL) */ \
	X(KAFKA_ERROR, "kafka_error")		      /* another delivery error, no spool */    \
	X(UNDELIVERED_AT_STOP, "undelivered_at_stop") /* still queued at stop, no spool */      \
	X(SPOOL_FULL, "spool_full")		      /* --spool-full drop-newest/oldest */     \
	X(SPOOL_ERROR, "spool_error")		      /* the spool could not write it */        \
	X(SPOOL_CORRUPT, "spool_corrupt")	      /* in a corrupt spool segment tail */

enum sink_lost {
#define X(e, s) SINK_LOST_##e,
	SINK_LOST_REASONS(X)
#undef X
		SINK_LOST__COUNT
};

const char *sink_lost_name(unsigned int reason);

struct sink_counters {
	uint64_t delivered;		 /* results delivered (Kafka: acknowledged) */
	uint64_t spooled;		 /* results written to the disk spool */
	uint64_t file_written;		 /* results written by the file sink */
	uint64_t file_errors;		 /* and refused by it (counted lost without Kafka) */
	uint64_t lost[SINK_LOST__COUNT]; /* results taken that reached no output */
	uint64_t topic[SINK_MAX_TOPICS]; /* delivered, by topic */
};

/* What --kafka and --spool ask for. */
struct sink_kafka_cfg {
	void *conf;	    /* rd_kafka_conf_t from sink_kafka_conf(), taken by sink_start */
	const char *spool;  /* --spool DIR, or NULL */
	uint64_t spool_max; /* bytes, 0: no bound */
	uint64_t spool_seg; /* segment size, 0: the default */
	int spool_full;	    /* enum spool_full */
	uint32_t stall_ms;  /* --kafka-stall-ms */
	uint32_t drain_ms;  /* --drain-timeout: how long the stop waits for deliveries */
};

struct sink {
	/* set before sink_start() */
	const char *out_dir;	     /* --out, or NULL */
	struct sink_kafka_cfg kafka; /* kafka.conf NULL: no Kafka */
	const struct sink_topics *topics;
	/* the producers' clock (struct sink_msg's rx), to time RX to the Kafka
	 * acknowledgement: a reading, and microseconds a tick in 32.32 fixed point;
	 * NULL: not timed */
	uint64_t (*rx_clock)(void);
	uint64_t rx_us_per_tick_fp;
	unsigned int n_rings;
	struct sink_ring *rings[SINK_MAX_RINGS];
	/* the sink thread's */
	struct sink_counters c;
	atomic_bool stop;
	pthread_t thread;
	struct sink_file *file;
	struct sink_kafka *k;
	int running;
	/* set by sink_stop */
	uint64_t spool_backlog_start, spool_backlog_end;
	json_t *stats;	    /* kafka and spool figures, taken before they close */
	int topics_counted; /* stats has delivered_by_topic */
};

/* Opens the outputs (the spool replays its backlog first) and starts the thread.
 * Returns 0 or -errno with a message in err. */
int sink_start(struct sink *s, char *err, size_t errlen);

/* Once no producer writes any more: drains every ring, delivers for up to
 * kafka.drain_ms, flushes and closes the outputs, joins the thread. */
void sink_stop(struct sink *s);

/* The sink's part of the stats JSON: an object with "file", "kafka" and "spool" for
 * the outputs there were and "delivered_by_topic", read after sink_stop. A new reference; NULL on
 * allocation failure. */
json_t *sink_stats_json(const struct sink *s);

/* While the sink runs: its Kafka figures so far ({"kafka": ...}, or {} without Kafka),
 * a new reference; and the messages librdkafka holds now. Read from any thread. */
json_t *sink_live_json(const struct sink *s);
uint64_t sink_kafka_queue(const struct sink *s);

/* Drains what the rings hold now into the outputs, on the caller's thread (the tests,
 * and sink_stop after the join). Returns the number of messages taken. */
uint64_t sink_drain(struct sink *s);

#endif

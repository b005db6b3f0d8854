/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink_file.h"
#include "sink_io.h"
#include "sink_kafka.h"

/* Messages taken from one ring before the next ring gets its turn. */
#define SINK_BATCH 512

int sink_topics_add(struct sink_topics *t, const char *name)
{
	unsigned int k;

	for (k = 0; k < t->n; k++)
		if (strcmp(t->names[k], name) == 0)
			return (int)k;
	if (t->n == SINK_MAX_TOPICS)
		return -ENOSPC;
	t->names[t->n] = strdup(name);
	if (t->names[t->n] == NULL)
		return -ENOMEM;
	return (int)t->n++;
}

void sink_topics_free(struct sink_topics *t)
{
	unsigned int k;

	for (k = 0; k < t->n; k++)
		free(t->names[k]);
	t->n = 0;
}

static const char *const lost_names[] = {
#define X(e, s) s,
	SINK_LOST_REASONS(X)
#undef X
};

const char *sink_lost_name(unsigned int reason)
{
	return reason < SINK_LOST__COUNT ? lost_names[reason] : "unknown";
}

/* One message to every output. Returns 0, or -EAGAIN when Kafka cannot take it now
 * (it stays in its ring). */
static int deliver(struct sink *s, const struct sink_msg *m)
{
	const uint8_t *key = (const uint8_t *)(m + 1);
	const uint8_t *value = key + m->key_len;
	size_t len = m->len - m->key_len;
	int file_rc = 0;

	if (s->k != NULL &&
	    sink_kafka_send(s->k, m->topic, key, m->key_len, value, len, m->rx) != 0)
		return -EAGAIN;
	if (s->file != NULL) {
		file_rc = sink_file_write(s->file, m->topic, value, len);
		if (file_rc == 0)
			s->c.file_written++;
		else
			s->c.file_errors++;
	}
	if (s->k != NULL)
		return 0; /* Kafka's delivery reports count it */
	if (file_rc != 0) {
		s->c.lost[SINK_LOST_WRITE_ERROR]++;
		return 0;
	}
	s->c.delivered++;
	if (m->topic < SINK_MAX_TOPICS)
		s->c.topic[m->topic]++;
	return 0;
}

uint64_t sink_drain(struct sink *s)
{
	const struct sink_msg *m;
	uint64_t got = 0;
	unsigned int r, k;

	for (r = 0; r < s->n_rings; r++) {
		for (k = 0; k < SINK_BATCH && (m = sink_ring_peek(s->rings[r])) != NULL; k++) {
			if (deliver(s, m) != 0)
				goto out; /* back-pressure: the rings wait for Kafka */
			sink_ring_release(s->rings[r], m);
			got++;
		}
	}
out:
	if (s->k != NULL)
		sink_kafka_flush(s->k);
	return got;
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	const struct timespec nap = { .tv_nsec = 200 * 1000 };
	int dirty = 0;

	for (;;) {
		bool stopping = atomic_load_explicit(&s->stop, memory_order_acquire);

		if (s->k != NULL)
			sink_kafka_poll(s->k, sink_mono_ns());
		if (sink_drain(s) > 0) {
			dirty = 1;
			continue;
		}
		if (stopping)
			break;
		if (dirty && s->file != NULL) {
			/* idle: what was written becomes readable by others */
			sink_file_flush(s->file);
			dirty = 0;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* The producer, and the spool whose backlog it replays first. */
static int kafka_open(struct sink *s, char *err, size_t errlen)
{
	struct spool *sp = NULL;
	rd_kafka_conf_t *conf = s->kafka.conf;

	s->kafka.conf = NULL; /* taken */
	if (s->kafka.spool != NULL) {
		struct spool_opts o = {
			.dir = s->kafka.spool,
			.max_bytes = s->kafka.spool_max,
			.segment_bytes = s->kafka.spool_seg,
			.full = (enum spool_full)s->kafka.spool_full,
		};

		sp = spool_open(&o, err, errlen);
		if (sp == NULL) {
			rd_kafka_conf_destroy(conf);
			return -errno;
		}
		s->spool_backlog_start = spool_end_id(sp) - spool_ack_id(sp);
	}
	s->k = sink_kafka_new(conf, s->topics, sp, &s->c, s->kafka.stall_ms, err, errlen);
	if (s->k == NULL)
		return -errno;
	sink_kafka_rx_clock(s->k, s->rx_clock, s->rx_us_per_tick_fp);
	return 0;
}

int sink_start(struct sink *s, char *err, size_t errlen)
{
	int rc;

	atomic_init(&s->stop, false);
	if (s->out_dir != NULL) {
		s->file = sink_file_open(s->out_dir, s->topics, err, errlen);
		if (s->file == NULL)
			return -errno;
	}
	if (s->kafka.conf != NULL) {
		rc = kafka_open(s, err, errlen);
		if (rc)
			goto fail;
	}
	rc = pthread_create(&s->thread, NULL, sink_main, s);
	if (rc != 0) {
		snprintf(err, errlen, "sink thread: %s", strerror(rc));
		rc = -rc;
		goto fail;
	}
	pthread_setname_np(s->thread, "riptide-sink");
	s->running = 1;
	return 0;
fail:
	if (s->k != NULL) {
		sink_kafka_close(s->k, 0, NULL);
		s->k = NULL;
	}
	sink_file_close(s->file);
	s->file = NULL;
	return rc;
}

static int rings_empty(const struct sink *s)
{
	unsigned int r;

	for (r = 0; r < s->n_rings; r++)
		if (sink_ring_used(s->rings[r]) > 0)
			return 0;
	return 1;
}

json_t *sink_lat_json(const uint64_t *b)
{
	json_t *o = json_object();
	unsigned int k;

	for (k = 0; k < SINK_LAT_BUCKETS && o != NULL; k++) {
		char le[32];

		if (b[k] == 0)
			continue;
		if (k + 1 == SINK_LAT_BUCKETS)
			snprintf(le, sizeof(le), "+Inf");
		else
			snprintf(le, sizeof(le), "%llu", 1ull << k);
		json_object_set_new(o, le, json_integer((json_int_t)b[k]));
	}
	return o;
}

static json_t *kafka_json(const struct sink_kafka_final *f)
{
	const struct sink_kafka_stats *st = &f->st;
	json_t *outages = json_object();
	unsigned int k;

	for (k = 0; k < SINK_OUTAGE__COUNT && outages != NULL; k++)
		if (st->outages[k])
			json_object_set_new(outages, sink_outage_name(k),
					    json_integer((json_int_t)st->outages[k]));
	return json_pack(
		"{sI sI sI sI so sI sI sI sI sI sI sI so so sI}", "produced",
		(json_int_t)st->produced, "delivered", (json_int_t)st->delivered, "replayed",
		(json_int_t)st->replayed, "spooled", (json_int_t)st->spooled, "outages", outages,
		"producer_restarts", (json_int_t)st->producer_restarts, "replay_rewinds",
		(json_int_t)st->rewinds, "queue_full_waits", (json_int_t)st->queue_full_waits,
		"late_failures", (json_int_t)st->late_failures, "possibly_persisted",
		(json_int_t)st->possibly_persisted, "queue_peak", (json_int_t)st->outq_peak,
		"queue_at_stop", (json_int_t)st->outq, "delivery_latency_us",
		sink_lat_json(st->latency_us), "rx_to_ack_latency_us",
		sink_lat_json(st->rx_latency_us), "rx_to_ack_untimed", (json_int_t)st->rx_untimed);
}

static json_t *spool_json(const struct sink_kafka_final *f)
{
	const struct spool_stats *sp = &f->spool;

	return json_pack("{sI sI sI sI sI sI sI sI sI sI sI sI sI sI}", "records_at_start",
			 (json_int_t)sp->records_at_open, "records_at_stop", (json_int_t)f->backlog,
			 "bytes_at_stop", (json_int_t)f->spool_bytes, "peak_bytes",
			 (json_int_t)sp->peak_bytes, "appended", (json_int_t)sp->appended,
			 "appended_bytes", (json_int_t)sp->appended_bytes, "read",
			 (json_int_t)sp->read, "acked", (json_int_t)sp->acked, "dropped_full",
			 (json_int_t)sp->dropped_full, "corrupt_tails",
			 (json_int_t)sp->corrupt_tails, "corrupt_bytes",
			 (json_int_t)sp->corrupt_bytes, "corrupt_records",
			 (json_int_t)sp->corrupt_records, "fsyncs", (json_int_t)sp->syncs,
			 "ack_file_rejected", (json_int_t)sp->ack_file_rejected);
}

void sink_stop(struct sink *s)
{
	const struct timespec nap = { .tv_nsec = 1000 * 1000 };
	uint64_t t0 = sink_mono_ns(), deadline = t0 + (uint64_t)s->kafka.drain_ms * 1000000u, now;
	const struct sink_msg *m;
	struct sink_kafka_final fin;
	unsigned int r;

	if (s->running) {
		atomic_store_explicit(&s->stop, true, memory_order_release);
		pthread_join(s->thread, NULL);
		s->running = 0;
	}
	for (;;) {
		now = sink_mono_ns();
		if (s->k != NULL)
			sink_kafka_poll(s->k, now);
		if (sink_drain(s) > 0)
			continue;
		if (rings_empty(s) || now >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	/* what Kafka could not take before the deadline */
	for (r = 0; r < s->n_rings; r++) {
		while ((m = sink_ring_peek(s->rings[r])) != NULL) {
			s->c.lost[SINK_LOST_UNDELIVERED_AT_STOP]++;
			sink_ring_release(s->rings[r], m);
		}
	}
	if (s->k != NULL) {
		now = sink_mono_ns();
		sink_kafka_close(s->k, now < deadline ? (uint32_t)((deadline - now) / 1000000u) : 0,
				 &fin);
		s->k = NULL;
		s->spool_backlog_end = fin.backlog;
		/* records lost inside the spool are results lost */
		s->c.lost[SINK_LOST_SPOOL_FULL] += fin.spool.dropped_full;
		s->c.lost[SINK_LOST_SPOOL_CORRUPT] += fin.spool.corrupt_records;
		json_decref(s->stats);
		s->stats = json_object();
		if (s->stats != NULL) {
			json_object_set_new(s->stats, "kafka", kafka_json(&fin));
			if (fin.has_spool)
				json_object_set_new(s->stats, "spool", spool_json(&fin));
		}
	}
	if (s->file != NULL) {
		int rc = sink_file_close(s->file);

		if (rc != 0)
			fprintf(stderr, "riptide: closing the file sink: %s\n", strerror(-rc));
		if (s->stats == NULL)
			s->stats = json_object();
		if (s->stats != NULL)
			json_object_set_new(s->stats, "file",
					    json_pack("{sI sI}", "written",
						      (json_int_t)s->c.file_written, "errors",
						      (json_int_t)s->c.file_errors));
	}
	s->file = NULL;
	if (s->topics != NULL && !s->topics_counted) {
		json_t *t = json_object();
		unsigned int k;

		for (k = 0; t != NULL && k < s->topics->n; k++)
			if (s->c.topic[k] > 0)
				json_object_set_new(t, s->topics->names[k],
						    json_integer((json_int_t)s->c.topic[k]));
		if (s->stats == NULL)
			s->stats = json_object();
		if (s->stats != NULL && t != NULL)
			json_object_set_new(s->stats, "delivered_by_topic", t);
		s->topics_counted = 1;
	}
}

json_t *sink_live_json(const struct sink *s)
{
	struct sink_kafka_final f;

	if (s->k == NULL || !s->running)
		return json_object();
	memset(&f, 0, sizeof(f));
	/* counters the sink thread writes as this reads them: each one is whole
	 * (aligned 8 bytes), the set is not a snapshot */
	memcpy(&f.st, sink_kafka_stats(s->k), sizeof(f.st));
	return json_pack("{s:o}", "kafka", kafka_json(&f));
}

uint64_t sink_kafka_queue(const struct sink *s)
{
	if (s->k == NULL || !s->running)
		return 0;
	return __atomic_load_n(&sink_kafka_stats(s->k)->outq, __ATOMIC_RELAXED);
}

json_t *sink_stats_json(const struct sink *s)
{
	return s->stats != NULL ? json_deep_copy(s->stats) : json_object();
}

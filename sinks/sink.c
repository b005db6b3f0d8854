/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink_file.h"

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

static void deliver(struct sink *s, const struct sink_msg *m)
{
	const uint8_t *value = (const uint8_t *)(m + 1) + m->key_len;
	size_t len = m->len - m->key_len;

	if (s->file != NULL && sink_file_write(s->file, m->topic, value, len) != 0) {
		s->c.lost_write++;
		return;
	}
	s->c.delivered++;
	if (m->topic < SINK_MAX_TOPICS)
		s->c.topic[m->topic]++;
}

uint64_t sink_drain(struct sink *s)
{
	const struct sink_msg *m;
	uint64_t got = 0;
	unsigned int r, k;

	for (r = 0; r < s->n_rings; r++) {
		for (k = 0; k < SINK_BATCH && (m = sink_ring_peek(s->rings[r])) != NULL; k++) {
			deliver(s, m);
			sink_ring_release(s->rings[r], m);
			got++;
		}
	}
	return got;
}

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	const struct timespec nap = { .tv_nsec = 200 * 1000 };
	int dirty = 0;

	for (;;) {
		bool stopping = atomic_load_explicit(&s->stop, memory_order_acquire);

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

int sink_start(struct sink *s, char *err, size_t errlen)
{
	int rc;

	atomic_init(&s->stop, false);
	if (s->out_dir != NULL) {
		s->file = sink_file_open(s->out_dir, s->topics, err, errlen);
		if (s->file == NULL)
			return -errno;
	}
	rc = pthread_create(&s->thread, NULL, sink_main, s);
	if (rc != 0) {
		snprintf(err, errlen, "sink thread: %s", strerror(rc));
		sink_file_close(s->file);
		s->file = NULL;
		return -rc;
	}
	pthread_setname_np(s->thread, "riptide-sink");
	s->running = 1;
	return 0;
}

void sink_stop(struct sink *s)
{
	if (s->running) {
		atomic_store_explicit(&s->stop, true, memory_order_release);
		pthread_join(s->thread, NULL);
		s->running = 0;
	}
	while (sink_drain(s) > 0)
		;
	if (s->file != NULL) {
		int rc = sink_file_close(s->file);

		if (rc != 0)
			fprintf(stderr, "riptide: closing the file sink: %s\n", strerror(-rc));
	}
	s->file = NULL;
}

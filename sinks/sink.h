/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sink thread: drains every lcore's result ring (sink_ring.h) into the outputs
 * (the file sink today; Kafka, the spool and the archive with their issues). It runs
 * on the main lcore's core, never on a polling one, and is the only writer of its
 * counters; others read them with relaxed loads.
 */
#ifndef RIPTIDE_SINK_H
#define RIPTIDE_SINK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink_ring.h"

/* Topics of a rule set: every rule may have its own (PAT_MAX_RULES), and streams their
 * dead letters and late events. */
#define SINK_MAX_TOPICS 16384
#define SINK_MAX_RINGS	128

/* Topic names, by index: what a struct sink_msg's topic refers to. */
struct sink_topics {
	unsigned int n;
	char *names[SINK_MAX_TOPICS];
};

/* The index of topic name, added when new. Returns it, or -ENOSPC / -ENOMEM. */
int sink_topics_add(struct sink_topics *t, const char *name);
void sink_topics_free(struct sink_topics *t);

struct sink_counters {
	uint64_t delivered;		 /* messages written to every output */
	uint64_t lost_write;		 /* messages an output refused (I/O error) */
	uint64_t topic[SINK_MAX_TOPICS]; /* delivered, by topic */
};

struct sink {
	/* set before sink_start() */
	const char *out_dir; /* --out, or NULL */
	const struct sink_topics *topics;
	unsigned int n_rings;
	struct sink_ring *rings[SINK_MAX_RINGS];
	/* the sink thread's */
	struct sink_counters c;
	atomic_bool stop;
	pthread_t thread;
	struct sink_file *file;
	int running;
};

/* Opens the outputs and starts the thread. Returns 0 or -errno with a message in err. */
int sink_start(struct sink *s, char *err, size_t errlen);

/* Once no producer writes any more: drains every ring, flushes and closes the
 * outputs, joins the thread. */
void sink_stop(struct sink *s);

/* Drains what the rings hold now into the outputs, on the caller's thread (the tests,
 * and sink_stop after the join). Returns the number of messages taken. */
uint64_t sink_drain(struct sink *s);

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The archive (--archive DIR): every accepted record, raw, compressed with ISA-L's
 * igzip into gzip files a data lake reads as they are:
 *
 *   DIR/stream=<name>/dt=YYYY-MM-DD/hour=HH/part-<opened, epoch ms>-<pid>-<n>.<ext>.gz
 *
 * <ext> is json (one record per line: NDJSON), csv (one record per line) or bin
 * (binary records back to back). The partition is the hour (UTC) at which riptide
 * took the record, not its event time: a file is written once and never reopened,
 * however late its events (Flink's FileSink buckets the same way by default). A file
 * is written under a hidden name (.part-...gz.inprogress, which Hive, Spark, Trino and
 * DuckDB skip) and renamed when it closes: at max_bytes of compressed output, after
 * max_age_s, when the hour turns, and at stop.
 *
 * The records come from the lcores over rings of their own (sink_ring.h, topic = the
 * stream's index), drained by the archive thread, which alone writes the files and
 * the counters.
 */
#ifndef RIPTIDE_SINK_ARCHIVE_H
#define RIPTIDE_SINK_ARCHIVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sink.h"

struct sink_archive_stream {
	const char *name;
	const char *ext; /* "json", "csv" or "bin" */
	bool newline;	 /* a '\n' after each record */
};

struct sink_archive_opts {
	const char *dir;
	uint64_t max_bytes; /* compressed bytes of a file; 0: 128 MiB */
	uint32_t max_age_s; /* 0: 300 s */
	int level;	    /* igzip level, 0 to 3 */
	unsigned int n_streams;
	const struct sink_archive_stream *streams;
};

struct sink_archive_stats {
	uint64_t records;
	uint64_t bytes_in;  /* record bytes (with their newlines) */
	uint64_t bytes_out; /* compressed bytes written */
	uint64_t files;	    /* files closed */
	uint64_t errors;    /* records or files an I/O error cost */
};

struct sink_archive;

/* Opens the archive under o->dir (created when missing). Returns NULL with errno and a
 * message naming the path in err. */
struct sink_archive *sink_archive_open(const struct sink_archive_opts *o, char *err, size_t errlen);

/* Appends a record of stream s taken at now_ms (wall clock, epoch ms). Returns 0 or
 * -errno (counted in errors). */
int sink_archive_put(struct sink_archive *a, unsigned int s, const uint8_t *rec, size_t len,
		     int64_t now_ms);

/* Closes the files that are older than max_age_s or of an hour gone by at now_ms. */
void sink_archive_tick(struct sink_archive *a, int64_t now_ms);

/* Closes (finishes and renames) every open file and frees a. Returns 0 or the first
 * -errno met. stats, when not NULL, gets the final figures. */
int sink_archive_close(struct sink_archive *a, struct sink_archive_stats *stats);

/* The archive thread: drains rings into a (which it owns from start to stop). */
struct sink_archiver {
	struct sink_archive *a;
	unsigned int n_rings;
	struct sink_ring *rings[SINK_MAX_RINGS];
	atomic_bool stop;
	pthread_t thread;
	int running;
	struct sink_archive_stats final;
};

/* Starts the thread. Returns 0 or -errno with a message in err. */
int sink_archiver_start(struct sink_archiver *w, char *err, size_t errlen);
/* Once no lcore writes any more: drains the rings, closes the archive, joins. */
void sink_archiver_stop(struct sink_archiver *w);

#endif

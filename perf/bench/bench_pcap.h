/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmarks' input from a pcap (riptide-gen's feeds): its frames held in memory,
 * and the records of the datagrams that a pipeline's streams take, framed as riptide
 * frames them. Shared by riptide-bench-ingest and riptide-bench-rules (the lab's
 * references on the lab's own feed).
 */
#ifndef RIPTIDE_BENCH_PCAP_H
#define RIPTIDE_BENCH_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp_ingest.h"

struct bench_frame {
	const uint8_t *data;
	uint32_t len;
};

struct bench_feed {
	struct bench_frame *frames;
	size_t n_frames;
	const uint8_t **recs; /* into the frames */
	size_t *rec_lens, n_recs;
};

/* Loads every frame of path. Returns 0, or -1 with a message on stderr after who. */
int bench_pcap_load(struct bench_feed *f, const char *path, const char *who);

/* Frames the datagrams of f that go to a stream of pl into records (f->recs). Returns
 * the stream of the last one, or NULL when there is no record (or no memory: said on
 * stderr). */
const struct dp_stream_rt *bench_pcap_records(struct bench_feed *f, const struct dp_pipeline *pl);

void bench_pcap_free(struct bench_feed *f);

#endif

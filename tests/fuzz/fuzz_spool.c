/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: the spool's segment reader on any bytes. The input is parsed as frames
 * (each one found must lie inside the input, its lengths adding up), then written as
 * the frames of a segment behind a valid header and opened and read as riptide does
 * after a crash: every record read lies inside its body, ids follow each other, and a
 * bad tail ends the segment, counted, never a crash or a loop.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "sinks/sink_spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* The scratch directory goes when libFuzzer exits. */
static void cleanup(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_spool: could not remove %s\n", dir);
}

static void write_segment(const uint8_t *data, size_t size)
{
	uint8_t h[SPOOL_HEADER] = { 0 };
	char path[128];
	uint32_t crc;
	int fd;

	memcpy(h, "RTSPOOL1", 8); /* first id 0, time 0 */
	crc = crc32_iscsi(h, 28, 0);
	memcpy(h + 28, &crc, 4);
	snprintf(path, sizeof(path), "%s/seg-%020d.spool", dir, 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/ack", dir);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_opts o = { .segment_bytes = 1 << 20 };
	struct spool_rec r;
	struct spool *sp;
	char err[256];
	size_t off = 0;
	uint64_t want = 0;
	int64_t n;
	int rc;

	while (off < size && (n = spool_frame_parse(data + off, size - off, &r)) > 0) {
		const uint8_t *end = data + off + (size_t)n;

		if ((const uint8_t *)r.topic < data + off || r.value + r.value_len != end ||
		    (size_t)n != spool_frame_size(r.topic_len, r.key_len, r.value_len))
			abort();
		off += (size_t)n;
	}
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/riptide-fuzz-spool.%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
	write_segment(data, size);
	o.dir = dir;
	sp = spool_open(&o, err, sizeof(err));
	if (sp == NULL)
		abort();
	/* the frames before the first bad one are the records */
	while ((rc = spool_read(sp, &r)) == 1) {
		if (r.id != want++ || r.value_len > size)
			abort();
	}
	if (rc != 0 || want != spool_end_id(sp))
		abort();
	spool_ack(sp, spool_end_id(sp));
	spool_close(sp);
	return 0;
}

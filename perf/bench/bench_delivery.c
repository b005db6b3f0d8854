/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide-bench-delivery: the delivery side, each beside a reference run on the same
 * data in the same process.
 *
 *   kafka --brokers B [--messages N] [--size S]
 *       results per second into a Kafka broker through riptide's sink (sink_kafka:
 *       idempotent, acks=all, delivery reports counted, spool logic) against a bare
 *       librdkafka producer with the same properties.
 *   spool --dir D [--messages N] [--size S]
 *       spool writes (framed, CRC32C, fsync every 100 ms) and replay reads (CRC checked)
 *       in MB/s against write()+fdatasync and read() of the same bytes.
 *   gzip [--mb M]
 *       GB/s per core of igzip (levels 0-3) and of zlib (levels 1 and 6) on the same
 *       JSON payment records, and of riptide's archive writer (igzip level 1, files).
 *
 * Prints one JSON object per measurement.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>
#include <librdkafka/rdkafka.h>
#include <zlib.h>

#include "bench_util.h"
#include "sinks/sink_archive.h"
#include "sinks/sink_kafka.h"
#include "sinks/sink_spool.h"

/* A JSON alert message about a payment, padded with spaces to size - 1 bytes when
 * pad (size must leave room for it unpadded: 160 bytes do). */
static size_t record(char *buf, size_t size, uint64_t *rnd, uint64_t n, int pad)
{
	uint64_t r = bench_rnd(rnd);
	int len =
		snprintf(buf, size,
			 "{\"rule\":\"big_spend\",\"ts\":%llu,\"card\":\"4000%012llu\","
			 "\"merchant\":\"merchant-%04llu\",\"amount\":%llu.%02llu,"
			 "\"country\":\"%s\",\"ruleset\":1}",
			 1767225600000ull + n, (unsigned long long)(r % 100000),
			 (unsigned long long)(r >> 20) % 1000, (unsigned long long)(r >> 30) % 5000,
			 (unsigned long long)(r >> 40) % 100,
			 (const char *[]){ "US", "GB", "DE", "IT", "FR" }[(r >> 50) % 5]);

	if (len < 0 || (size_t)len >= size)
		abort();
	while (pad && (size_t)len + 1 < size)
		buf[len++] = ' ';
	buf[len] = '\0';
	return (size_t)len;
}

/* --- Kafka --- */

static uint64_t ref_delivered, ref_failed;

static void ref_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err)
		ref_failed++;
	else
		ref_delivered++;
}

static int bench_kafka(const char *brokers, uint64_t n, size_t size)
{
	static struct sink_counters c;
	struct sink_topics topics = { 0 };
	char err[512], *buf = malloc(size + 1), key[32];
	rd_kafka_conf_t *conf;
	rd_kafka_topic_t *rkt;
	struct sink_kafka *k;
	struct sink_kafka_final fin;
	uint64_t rnd = 42, i;
	double t0, ref_ns, rip_ns;
	rd_kafka_t *rk;

	/* reference: librdkafka alone, the same properties */
	conf = sink_kafka_conf(brokers, NULL, err, sizeof(err));
	if (conf == NULL || buf == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, ref_dr);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	rkt = rd_kafka_topic_new(rk, "bench_reference", NULL);
	/* one message first: the producer id and the topic's metadata, outside the clock */
	rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)"warm", 4, NULL,
			 0, NULL);
	rd_kafka_flush(rk, 30000);
	ref_delivered = 0;
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		size_t len = record(buf, size + 1, &rnd, i, 1);
		int kl = snprintf(key, sizeof(key), "k%llu", (unsigned long long)(i % 1000));

		while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, buf, len,
					key, (size_t)kl, NULL) != 0)
			rd_kafka_poll(rk, 1);
		if ((i & 63) == 0) /* as often as the riptide side below */
			rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 120000);
	ref_ns = bench_now_ns() - t0;
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);

	/* riptide's sink */
	sink_topics_add(&topics, "bench_riptide");
	conf = sink_kafka_conf(brokers, NULL, err, sizeof(err));
	k = sink_kafka_new(conf, &topics, NULL, &c, 5000, err, sizeof(err));
	if (k == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	sink_kafka_send(k, 0, NULL, 0, (const uint8_t *)"warm", 4, 0);
	while (!sink_kafka_idle(k))
		sink_kafka_poll(k, (uint64_t)bench_now_ns());
	c.delivered = 0;
	rnd = 42;
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		size_t len = record(buf, size + 1, &rnd, i, 1);
		int kl = snprintf(key, sizeof(key), "k%llu", (unsigned long long)(i % 1000));

		while (sink_kafka_send(k, 0, (const uint8_t *)key, (size_t)kl, (const uint8_t *)buf,
				       len, 0) == -EAGAIN)
			sink_kafka_poll(k, (uint64_t)bench_now_ns());
		if ((i & 63) == 0)
			sink_kafka_poll(k, (uint64_t)bench_now_ns());
	}
	while (!sink_kafka_idle(k))
		sink_kafka_poll(k, (uint64_t)bench_now_ns());
	rip_ns = bench_now_ns() - t0;
	sink_kafka_close(k, 1000, &fin);
	printf("{\"bench\":\"kafka\",\"messages\":%llu,\"size\":%zu,"
	       "\"reference_delivered\":%llu,\"reference_failed\":%llu,\"reference_per_s\":%.0f,"
	       "\"reference_ns\":%.0f,\"riptide_delivered\":%llu,\"riptide_per_s\":%.0f,"
	       "\"riptide_ns\":%.0f,\"ratio\":%.2f,\"queue_peak\":%llu}\n",
	       (unsigned long long)n, size, (unsigned long long)ref_delivered,
	       (unsigned long long)ref_failed, n / (ref_ns / 1e9), ref_ns / (double)n,
	       (unsigned long long)c.delivered, n / (rip_ns / 1e9), rip_ns / (double)n,
	       rip_ns / ref_ns, (unsigned long long)fin.st.outq_peak);
	sink_topics_free(&topics);
	free(buf);
	return c.delivered == n && ref_delivered == n ? 0 : 1;
}

/* --- spool --- */

static int bench_spool(const char *dir, uint64_t n, size_t size)
{
	struct spool_opts o = { .dir = dir };
	char err[256], path[512], *buf = malloc(n * (size + 1));
	struct spool_rec r;
	struct spool *sp;
	uint64_t rnd = 7, i, bytes = 0, got = 0;
	double t0, last_sync, w_ns, r_ns, refw_ns, refr_ns, ack_ns;
	uint8_t *chunk;
	int fd;

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (buf == NULL || system(path) != 0)
		return 1;
	sp = spool_open(&o, err, sizeof(err));
	if (sp == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) /* the records first, outside the clock */
		record(buf + i * (size + 1), size + 1, &rnd, i, 1);
	t0 = last_sync = bench_now_ns();
	for (i = 0; i < n; i++) {
		if (spool_append(sp, "alerts", 6, (const uint8_t *)"card-1", 6,
				 (uint8_t *)buf + i * (size + 1), size))
			return 1;
		bytes += spool_frame_size(6, 6, size);
		if ((i & 1023) == 0 && bench_now_ns() - last_sync > 100e6) {
			spool_sync(sp);
			last_sync = bench_now_ns();
		}
	}
	spool_sync(sp);
	w_ns = bench_now_ns() - t0;
	t0 = bench_now_ns();
	while (spool_read(sp, &r) == 1)
		got++;
	r_ns = bench_now_ns() - t0;
	t0 = bench_now_ns();
	spool_ack(sp, spool_end_id(sp)); /* the segments deleted, the ack synced */
	spool_sync(sp);
	ack_ns = bench_now_ns() - t0;
	spool_close(sp);

	/* reference: the same bytes with write() in 1 MiB pieces and fdatasync every
	 * 100 ms, then read() back */
	snprintf(path, sizeof(path), "%s/reference", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	chunk = malloc(1 << 20);
	if (fd < 0 || chunk == NULL)
		return 1;
	memset(chunk, 'x', 1 << 20);
	t0 = last_sync = bench_now_ns();
	for (uint64_t left = bytes; left > 0;) {
		size_t k = left > (1 << 20) ? (1 << 20) : left;

		if (write(fd, chunk, k) != (ssize_t)k)
			return 1;
		left -= k;
		if (bench_now_ns() - last_sync > 100e6) {
			fdatasync(fd);
			last_sync = bench_now_ns();
		}
	}
	fdatasync(fd);
	refw_ns = bench_now_ns() - t0;
	t0 = bench_now_ns();
	lseek(fd, 0, SEEK_SET);
	while (read(fd, chunk, 1 << 20) > 0)
		;
	refr_ns = bench_now_ns() - t0;
	close(fd);
	unlink(path);
	rmdir(dir);
	free(chunk);
	free(buf);
	printf("{\"bench\":\"spool\",\"records\":%llu,\"size\":%zu,\"bytes\":%llu,"
	       "\"write_mb_s\":%.0f,\"reference_write_mb_s\":%.0f,\"write_ratio\":%.2f,"
	       "\"write_ns_per_record\":%.0f,\"replay_mb_s\":%.0f,\"reference_read_mb_s\":%.0f,"
	       "\"replay_ratio\":%.2f,\"replay_ns_per_record\":%.0f,\"replayed\":%llu,"
	       "\"ack_and_delete_ms\":%.1f}\n",
	       (unsigned long long)n, size, (unsigned long long)bytes, bytes / w_ns * 1e3,
	       bytes / refw_ns * 1e3, w_ns / refw_ns, w_ns / (double)n, bytes / r_ns * 1e3,
	       bytes / refr_ns * 1e3, r_ns / refr_ns, r_ns / (double)n, (unsigned long long)got,
	       ack_ns / 1e6);
	return got == n ? 0 : 1;
}

/* --- gzip --- */

static const uint32_t igzip_bufs[] = { ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
				       ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT };

/* Compresses in (len) as a gzip stream in 64 KiB pieces; returns compressed bytes. */
static size_t igzip(const uint8_t *in, size_t len, int level, uint8_t *out, size_t cap)
{
	struct isal_zstream zs;
	uint8_t *lb = igzip_bufs[level] ? malloc(igzip_bufs[level]) : NULL;
	size_t off = 0;

	isal_deflate_init(&zs);
	zs.level = (uint32_t)level;
	zs.level_buf = lb;
	zs.level_buf_size = igzip_bufs[level];
	zs.gzip_flag = IGZIP_GZIP;
	zs.next_out = out;
	zs.avail_out = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	while (off < len) {
		size_t k = len - off > 65536 ? 65536 : len - off;

		zs.next_in = (uint8_t *)(uintptr_t)(in + off);
		zs.avail_in = (uint32_t)k;
		off += k;
		zs.end_of_stream = off == len;
		zs.flush = off == len ? FULL_FLUSH : NO_FLUSH;
		if (isal_deflate(&zs) != COMP_OK)
			return 0;
	}
	free(lb);
	return zs.total_out;
}

static size_t zlib_gzip(const uint8_t *in, size_t len, int level, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	size_t off = 0;

	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	while (off < len) {
		size_t k = len - off > 65536 ? 65536 : len - off;

		z.next_in = (Bytef *)(uintptr_t)(in + off);
		z.avail_in = (uInt)k;
		off += k;
		if (deflate(&z, off == len ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR)
			return 0;
	}
	deflateEnd(&z);
	return z.total_out;
}

/* One codec at one level on the n records of data: a line of JSON. */
static void gzip_run(const char *codec,
		     size_t (*fn)(const uint8_t *, size_t, int, uint8_t *, size_t), int level,
		     const uint8_t *data, size_t len, size_t n, uint8_t *out, size_t cap)
{
	double t0 = bench_now_ns(), ns;
	size_t z = fn(data, len, level, out, cap);

	ns = bench_now_ns() - t0;
	printf("{\"bench\":\"gzip\",\"codec\":\"%s\",\"level\":%d,\"bytes\":%zu,"
	       "\"gb_s\":%.3f,\"ratio\":%.2f,\"ns_per_record\":%.1f}\n",
	       codec, level, len, len / ns, (double)len / (double)z, ns / (double)n);
}

static int bench_gzip(uint64_t mb)
{
	size_t cap = (size_t)mb << 20, len = 0, n = 0;
	uint8_t *data = malloc(cap), *out = malloc(cap + (1 << 20));
	struct sink_archive_stream st = { "payments", "json", true };
	struct sink_archive_opts ao = {
		.dir = "/tmp/riptide-bench-archive", .level = 1, .n_streams = 1, .streams = &st
	};
	struct sink_archive_stats as;
	struct sink_archive *a;
	uint64_t rnd = 3;
	char err[256], rec[512];
	double t0, ns;
	int level;

	if (data == NULL || out == NULL)
		return 1;
	while (len + 512 < cap) { /* NDJSON, as the archive holds it */
		size_t k = record(rec, sizeof(rec), &rnd, n++, 0);

		memcpy(data + len, rec, k);
		len += k;
		data[len++] = '\n';
	}
	for (level = 0; level <= 3; level++)
		gzip_run("igzip", igzip, level, data, len, n, out, cap + (1 << 20));
	gzip_run("zlib", zlib_gzip, 1, data, len, n, out, cap + (1 << 20));
	gzip_run("zlib", zlib_gzip, 6, data, len, n, out, cap + (1 << 20));
	/* the archive writer: record by record into files, igzip level 1 */
	if (system("rm -rf /tmp/riptide-bench-archive") != 0)
		return 1;
	a = sink_archive_open(&ao, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	t0 = bench_now_ns();
	for (size_t off = 0; off < len;) {
		uint8_t *nl = memchr(data + off, '\n', len - off);

		sink_archive_put(a, 0, data + off, (size_t)(nl - (data + off)), 1767225600000);
		off = (size_t)(nl - data) + 1;
	}
	sink_archive_close(a, &as);
	ns = bench_now_ns() - t0;
	printf("{\"bench\":\"gzip\",\"codec\":\"riptide archive (igzip)\",\"level\":1,\"bytes\":%zu,"
	       "\"gb_s\":%.3f,\"ratio\":%.2f,\"ns_per_record\":%.1f,\"files\":%llu}\n",
	       len, len / ns, (double)as.bytes_in / (double)as.bytes_out, ns / (double)n,
	       (unsigned long long)as.files);
	if (system("rm -rf /tmp/riptide-bench-archive") != 0)
		return 1;
	free(data);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "messages", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "mb", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *brokers = NULL, *dir = "/tmp/riptide-bench-spool";
	uint64_t n = 200000, mb = 256;
	size_t size = 200;
	int c;

	if (argc < 2) {
		fprintf(stderr, "usage: riptide-bench-delivery kafka|spool|gzip [options]\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			brokers = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm':
			mb = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (size < 160 || size > 4096 || n == 0 || mb == 0) {
		fprintf(stderr, "bench: --size 160..4096, --messages and --mb above 0\n");
		return 2;
	}
	if (strcmp(argv[1], "kafka") == 0 && brokers != NULL)
		return bench_kafka(brokers, n, size);
	if (strcmp(argv[1], "spool") == 0)
		return bench_spool(dir, n, size);
	if (strcmp(argv[1], "gzip") == 0)
		return bench_gzip(mb);
	fprintf(stderr, "usage: riptide-bench-delivery kafka --brokers B|spool|gzip [options]\n");
	return 2;
}

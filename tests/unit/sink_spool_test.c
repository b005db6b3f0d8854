/* SPDX-License-Identifier: BSD-3-Clause */
/* The disk spool: the frame format and its CRC, appends read back in order across
 * segment rotation and restarts, the ack and segment deletion, torn and corrupt tails
 * (detected, counted, skipped), a damaged ack file, and the size bound's policies. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinks/sink_spool.h"
#include "unit.h"

static char dir[64];

static void rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT(system(cmd) == 0);
}

static struct spool *open_spool(uint64_t max, uint64_t seg, enum spool_full full)
{
	struct spool_opts o = { .dir = dir, .max_bytes = max, .segment_bytes = seg, .full = full };
	char err[256];
	struct spool *sp = spool_open(&o, err, sizeof(err));

	CU_ASSERT_FATAL(sp != NULL);
	return sp;
}

/* Record k: topic t<k%3>, key k<k> (none for k%5 == 0), value of 10 + k%200 bytes. */
static int append_k(struct spool *sp, unsigned int k)
{
	char topic[8], key[16], val[256];
	size_t vl = 10 + k % 200;

	snprintf(topic, sizeof(topic), "t%u", k % 3);
	snprintf(key, sizeof(key), "k%u", k);
	memset(val, 'a' + (int)(k % 26), vl);
	snprintf(val, 12, "%010u", k);
	val[10] = '|';
	return spool_append(sp, topic, strlen(topic), (const uint8_t *)key, k % 5 ? strlen(key) : 0,
			    (const uint8_t *)val, vl);
}

static size_t key_len(unsigned int k)
{
	char key[16];

	return k % 5 ? (size_t)snprintf(key, sizeof(key), "k%u", k) : 0;
}

/* Reads the next record and checks that it is record k with id. */
static int read_is(struct spool *sp, unsigned int k, uint64_t id)
{
	struct spool_rec r;
	char want[16];

	if (spool_read(sp, &r) != 1)
		return 0;
	snprintf(want, sizeof(want), "%010u", k);
	return r.id == id && r.value_len == 10 + k % 200 && memcmp(r.value, want, 10) == 0 &&
	       r.topic_len == 2 && r.topic[1] == (char)('0' + k % 3) && r.key_len == key_len(k);
}

static unsigned int count_segments(void)
{
	char cmd[128];
	FILE *p;
	unsigned int n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^seg-'", dir);
	p = popen(cmd, "r");
	if (p != NULL) {
		if (fscanf(p, "%u", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

static void test_frame(void)
{
	uint8_t buf[128];
	struct spool_rec r;
	size_t n = spool_frame_size(3, 2, 5);
	int64_t got;
	size_t i;

	CU_ASSERT_EQUAL(n, 8 + 4 + 10);
	spool_frame_encode(buf, "top", 3, (const uint8_t *)"ky", 2, (const uint8_t *)"value", 5);
	got = spool_frame_parse(buf, n, &r);
	CU_ASSERT_EQUAL(got, (int64_t)n);
	CU_ASSERT(r.topic_len == 3 && memcmp(r.topic, "top", 3) == 0);
	CU_ASSERT(r.key_len == 2 && memcmp(r.key, "ky", 2) == 0);
	CU_ASSERT(r.value_len == 5 && memcmp(r.value, "value", 5) == 0);
	/* every prefix is incomplete, never an error */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(spool_frame_parse(buf, i, &r), 0);
	/* every single bit flipped is caught: the CRC covers the length too */
	for (i = 0; i < n * 8; i++) {
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		got = spool_frame_parse(buf, n, &r);
		CU_ASSERT(got == -EBADMSG || (i < 32 && got == 0));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* lengths inside the body that overrun it */
	spool_frame_encode(buf, "top", 3, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(spool_frame_parse(buf, spool_frame_size(3, 0, 0), &r), 12 + 3);
	CU_ASSERT_EQUAL(r.value_len, 0);
}

static void test_append_read_ack(void)
{
	struct spool *sp;
	struct spool_rec r;
	unsigned int k, ok = 0;

	rm_dir();
	sp = open_spool(0, 4096, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_end_id(sp), 0);
	CU_ASSERT_EQUAL(spool_read(sp, &r), 0);
	for (k = 0; k < 1000; k++)
		CU_ASSERT_EQUAL(append_k(sp, k), 0);
	CU_ASSERT_EQUAL(spool_end_id(sp), 1000);
	CU_ASSERT(count_segments() > 20); /* 4 KiB segments: rotated */
	for (k = 0; k < 600; k++)
		ok += read_is(sp, k, k);
	CU_ASSERT_EQUAL(ok, 600);
	/* a rewind reads the same records again */
	CU_ASSERT_EQUAL(spool_rewind(sp, 100), 0);
	CU_ASSERT(read_is(sp, 100, 100));
	CU_ASSERT_EQUAL(spool_rewind(sp, 101), 0);
	/* acknowledged segments go, the rest stays */
	spool_ack(sp, 500);
	CU_ASSERT_EQUAL(spool_ack_id(sp), 500);
	CU_ASSERT_EQUAL(spool_rewind(sp, 499), -ERANGE);
	CU_ASSERT_EQUAL(spool_rewind(sp, 500), 0);
	for (k = 500, ok = 0; k < 1000; k++)
		ok += read_is(sp, k, k);
	CU_ASSERT_EQUAL(ok, 500);
	CU_ASSERT_EQUAL(spool_read(sp, &r), 0);
	/* appends after the reader caught up are read as they come */
	CU_ASSERT_EQUAL(append_k(sp, 1000), 0);
	CU_ASSERT(read_is(sp, 1000, 1000));
	spool_close(sp);

	/* a restart: the ack and the records after it */
	sp = open_spool(0, 4096, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_stats(sp)->records_at_open, 501);
	CU_ASSERT_EQUAL(spool_ack_id(sp), 500);
	CU_ASSERT_EQUAL(spool_end_id(sp), 1001);
	for (k = 500, ok = 0; k < 1001; k++)
		ok += read_is(sp, k, k);
	CU_ASSERT_EQUAL(ok, 501);
	CU_ASSERT_EQUAL(append_k(sp, 1001), 0); /* ids go on */
	CU_ASSERT(read_is(sp, 1001, 1001));
	spool_ack(sp, 1002);
	CU_ASSERT_EQUAL(spool_bytes(sp), 0);
	CU_ASSERT_EQUAL(count_segments(), 0); /* empty: no segment left */
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_tails, 0);
	spool_close(sp);
	sp = open_spool(0, 4096, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_end_id(sp), 1002);
	CU_ASSERT_EQUAL(spool_ack_id(sp), 1002);
	spool_close(sp);
}

static void seg_path(char *buf, size_t len, unsigned int index)
{
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s | grep '^seg-' | sed -n %up", dir, index + 1);
	p = popen(cmd, "r");
	buf[0] = '\0';
	if (p != NULL) {
		char name[64] = "";

		if (fgets(name, sizeof(name), p) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			snprintf(buf, len, "%s/%s", dir, name);
		}
		pclose(p);
	}
}

static void test_torn_tail(void)
{
	struct spool *sp;
	struct spool_rec r;
	char path[160];
	struct stat st;
	unsigned int k, ok = 0;

	rm_dir();
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	for (k = 0; k < 100; k++)
		CU_ASSERT_EQUAL(append_k(sp, k), 0);
	spool_close(sp);
	/* kill -9 in the middle of a write: the last frame is cut short */
	seg_path(path, sizeof(path), 0);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_FATAL(truncate(path, st.st_size - 7) == 0);
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_end_id(sp), 99);
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_tails, 1);
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_bytes, spool_frame_size(2, key_len(99), 109) - 7);
	for (k = 0; k < 99; k++)
		ok += read_is(sp, k, k);
	CU_ASSERT_EQUAL(ok, 99);
	/* new records go to a new segment, never after the torn tail */
	CU_ASSERT_EQUAL(append_k(sp, 99), 0);
	CU_ASSERT(read_is(sp, 99, 99));
	CU_ASSERT_EQUAL(spool_read(sp, &r), 0);
	CU_ASSERT_EQUAL(count_segments(), 2);
	spool_close(sp);
	/* opened again, the torn segment is read as far as it goes and the next one
	 * says how many records the tail held: one */
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	for (k = 0, ok = 0; k < 100; k++)
		ok += read_is(sp, k, k);
	CU_ASSERT_EQUAL(ok, 100);
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_records, 0); /* 99 was spooled again */
	spool_close(sp);
}

static void test_corrupt_middle(void)
{
	struct spool *sp;
	struct spool_rec r;
	char path[160];
	unsigned int k, got = 0, first_bad;
	uint8_t b;
	int fd;

	rm_dir();
	sp = open_spool(0, 2048, SPOOL_FULL_WAIT);
	for (k = 0; k < 200; k++)
		CU_ASSERT_EQUAL(append_k(sp, k), 0);
	spool_close(sp);
	/* one byte of the second segment's third frame goes bad on disk */
	seg_path(path, sizeof(path), 1);
	CU_ASSERT_FATAL(path[0] != '\0');
	CU_ASSERT_EQUAL_FATAL(sscanf(strrchr(path, '/'), "/seg-%u.spool", &first_bad), 1);
	fd = open(path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	{
		off_t at = 32;

		for (k = first_bad; k < first_bad + 2; k++)
			at += (off_t)spool_frame_size(2, key_len(k), 10 + k % 200);
		CU_ASSERT(pread(fd, &b, 1, at + 20) == 1);
		b ^= 0x40;
		CU_ASSERT(pwrite(fd, &b, 1, at + 20) == 1);
	}
	close(fd);
	sp = open_spool(0, 2048, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_end_id(sp), 200);
	while (spool_read(sp, &r) == 1) {
		char want[16];

		snprintf(want, sizeof(want), "%010u", (unsigned int)r.id);
		got += memcmp(r.value, want, 10) == 0;
	}
	/* the records of the segment from the bad frame on are lost and counted; the
	 * rest, before and after, are read */
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_tails, 1);
	CU_ASSERT(spool_stats(sp)->corrupt_records > 0);
	CU_ASSERT_EQUAL(got + spool_stats(sp)->corrupt_records, 200);
	CU_ASSERT(spool_stats(sp)->corrupt_bytes > 0);
	spool_close(sp);
}

static void test_ack_file(void)
{
	struct spool *sp;
	char path[160];
	FILE *f;
	unsigned int k, ok = 0;

	rm_dir();
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	for (k = 0; k < 50; k++)
		CU_ASSERT_EQUAL(append_k(sp, k), 0);
	for (k = 0; k < 50; k++)
		ok += read_is(sp, k, k);
	spool_ack(sp, 30);
	spool_close(sp);
	/* a damaged ack: everything still on disk is replayed (duplicates, not losses) */
	snprintf(path, sizeof(path), "%s/ack", dir);
	f = fopen(path, "r+");
	CU_ASSERT_FATAL(f != NULL);
	fputc('x', f);
	fclose(f);
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(spool_stats(sp)->ack_file_rejected, 1);
	CU_ASSERT_EQUAL(spool_ack_id(sp), 0);
	CU_ASSERT(read_is(sp, 0, 0));
	spool_close(sp);
	CU_ASSERT_EQUAL(ok, 50);
}

/* Records larger than the write and read buffers (1 MiB each), between small ones. */
static void test_large_record(void)
{
	size_t big = (3u << 20) + 7;
	uint8_t *v = malloc(big);
	struct spool_rec r;
	struct spool *sp;
	size_t i;

	CU_ASSERT_FATAL(v != NULL);
	for (i = 0; i < big; i++)
		v[i] = (uint8_t)(i * 31);
	rm_dir();
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT);
	CU_ASSERT_EQUAL(append_k(sp, 0), 0);
	CU_ASSERT_EQUAL(spool_append(sp, "big", 3, NULL, 0, v, big), 0);
	CU_ASSERT_EQUAL(append_k(sp, 2), 0);
	CU_ASSERT_EQUAL(spool_append(sp, "big", 3, NULL, 0, v, SPOOL_MAX_BODY), -EMSGSIZE);
	spool_close(sp);
	sp = open_spool(0, 1 << 20, SPOOL_FULL_WAIT); /* read back after a restart */
	CU_ASSERT_EQUAL(spool_end_id(sp), 3);
	CU_ASSERT(read_is(sp, 0, 0));
	CU_ASSERT_EQUAL_FATAL(spool_read(sp, &r), 1);
	CU_ASSERT(r.id == 1 && r.value_len == big && memcmp(r.value, v, big) == 0);
	CU_ASSERT(read_is(sp, 2, 2));
	CU_ASSERT_EQUAL(spool_stats(sp)->corrupt_tails, 0);
	spool_close(sp);
	free(v);
}

static void test_full(void)
{
	struct spool *sp;
	unsigned int k;
	int rc = 0;

	/* wait / drop-newest: the spool refuses, nothing on disk is touched */
	rm_dir();
	sp = open_spool(16384, 4096, SPOOL_FULL_DROP_NEWEST);
	for (k = 0; k < 1000 && (rc = append_k(sp, k)) == 0; k++)
		;
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT(spool_bytes(sp) <= 16384);
	CU_ASSERT(spool_is_full(sp, 300));
	CU_ASSERT(read_is(sp, 0, 0));
	spool_close(sp);

	/* drop-oldest: the oldest segments go, counted; appends go on */
	rm_dir();
	sp = open_spool(16384, 4096, SPOOL_FULL_DROP_OLDEST);
	for (k = 0; k < 1000; k++)
		CU_ASSERT_EQUAL(append_k(sp, k), 0);
	CU_ASSERT(spool_bytes(sp) <= 16384);
	CU_ASSERT(spool_stats(sp)->dropped_full > 800);
	CU_ASSERT_EQUAL(spool_ack_id(sp), spool_stats(sp)->dropped_full);
	/* the reader starts at the oldest record still there */
	CU_ASSERT(read_is(sp, (unsigned int)spool_ack_id(sp), spool_ack_id(sp)));
	spool_close(sp);
	rm_dir();
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "frame: encode, parse, every bit flip caught", test_frame },
		{ "append, read, rewind, ack, restart", test_append_read_ack },
		{ "torn tail after kill -9", test_torn_tail },
		{ "corrupt frame inside a closed segment", test_corrupt_middle },
		{ "damaged ack file", test_ack_file },
		{ "records larger than the buffers", test_large_record },
		{ "size bound: drop-newest, drop-oldest", test_full },
		{ NULL, NULL },
	};

	snprintf(dir, sizeof(dir), "/tmp/riptide-spool-test.%d", (int)getpid());
	return unit_run("sink_spool", tests);
}

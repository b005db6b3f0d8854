/* SPDX-License-Identifier: BSD-3-Clause */
/* The archive: records gzip'd by igzip read back whole by zlib, in Hive-style
 * partitions by the hour taken, rotated by hour, age and size, hidden while written,
 * binary streams without newlines, every igzip level, errors that name the path. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "sinks/sink_archive.h"
#include "unit.h"

static char dir[64];

/* 2026-11-22T10:59:59.500Z */
#define T0 INT64_C(1795345199500)

static const struct sink_archive_stream streams[] = {
	{ "payments", "json", true },
	{ "readings", "bin", false },
};

static struct sink_archive *open_archive(uint64_t max_bytes, uint32_t max_age, int level)
{
	struct sink_archive_opts o = {
		.dir = dir,
		.max_bytes = max_bytes,
		.max_age_s = max_age,
		.level = level,
		.n_streams = 2,
		.streams = streams,
	};
	char err[256];
	struct sink_archive *a = sink_archive_open(&o, err, sizeof(err));

	CU_ASSERT_FATAL(a != NULL);
	return a;
}

static void rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT(system(cmd) == 0);
}

/* The files under sub (sorted by name, which is by time opened), and what they hold,
 * gunzipped one after the other into out (cap bytes). Returns the number of files;
 * hidden (in-progress) files are counted in *hidden. */
static int read_back(const char *sub, char *out, size_t cap, size_t *len, int *hidden)
{
	char path[2048], names[64][256];
	struct dirent *e;
	int n = 0, i, j;
	DIR *d;

	*len = 0;
	*hidden = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < 64) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_name[0] == '.') {
			(*hidden)++;
			continue;
		}
		snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	}
	closedir(d);
	for (i = 0; i < n; i++) /* by name */
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char t[256];

				memcpy(t, names[i], sizeof(t));
				memcpy(names[i], names[j], sizeof(t));
				memcpy(names[j], t, sizeof(t));
			}
	for (i = 0; i < n; i++) {
		gzFile g;
		int got;

		if (snprintf(path, sizeof(path), "%s/%s/%.255s", dir, sub, names[i]) >=
		    (int)sizeof(path))
			return -1;
		g = gzopen(path, "rb");
		CU_ASSERT_FATAL(g != NULL);
		while ((got = gzread(g, out + *len, (unsigned int)(cap - *len))) > 0)
			*len += (size_t)got;
		CU_ASSERT(gzclose(g) == Z_OK); /* the trailer's CRC and length check out */
	}
	return n;
}

static void test_partitions_and_hour(void)
{
	static char got[1 << 20];
	struct sink_archive_stats st;
	struct sink_archive *a;
	size_t len;
	int hidden;

	rm_dir();
	a = open_archive(0, 0, 1);
	CU_ASSERT_EQUAL(sink_archive_put(a, 0, (const uint8_t *)"{\"a\":1}", 7, T0), 0);
	CU_ASSERT_EQUAL(sink_archive_put(a, 1, (const uint8_t *)"\x01\x02\x00", 3, T0), 0);
	CU_ASSERT_EQUAL(sink_archive_put(a, 0, (const uint8_t *)"{\"a\":2}", 7, T0 + 100), 0);
	/* while open, the file is hidden from lake readers */
	CU_ASSERT_EQUAL(
		read_back("stream=payments/dt=2026-11-22/hour=10", got, sizeof(got), &len, &hidden),
		0);
	CU_ASSERT_EQUAL(hidden, 1);
	/* the hour turns: a file of its own */
	CU_ASSERT_EQUAL(sink_archive_put(a, 0, (const uint8_t *)"{\"a\":3}", 7, T0 + 600), 0);
	CU_ASSERT_EQUAL(sink_archive_put(a, 2, (const uint8_t *)"x", 1, T0), -EINVAL);
	CU_ASSERT_EQUAL(sink_archive_close(a, &st), 0);
	CU_ASSERT_EQUAL(st.records, 4);
	CU_ASSERT_EQUAL(st.files, 3);
	CU_ASSERT_EQUAL(st.bytes_in, 8 + 3 + 8 + 8);
	CU_ASSERT_EQUAL(
		read_back("stream=payments/dt=2026-11-22/hour=10", got, sizeof(got), &len, &hidden),
		1);
	CU_ASSERT_EQUAL(hidden, 0);
	CU_ASSERT(len == 16 && memcmp(got, "{\"a\":1}\n{\"a\":2}\n", 16) == 0);
	CU_ASSERT_EQUAL(
		read_back("stream=payments/dt=2026-11-22/hour=11", got, sizeof(got), &len, &hidden),
		1);
	CU_ASSERT(len == 8 && memcmp(got, "{\"a\":3}\n", 8) == 0);
	/* binary records back to back, no newline */
	CU_ASSERT_EQUAL(
		read_back("stream=readings/dt=2026-11-22/hour=10", got, sizeof(got), &len, &hidden),
		1);
	CU_ASSERT(len == 3 && memcmp(got, "\x01\x02\x00", 3) == 0);
	{
		char cmd[256];

		snprintf(
			cmd, sizeof(cmd),
			"ls %s/stream=readings/dt=2026-11-22/hour=10 | grep -q '^part-.*\\.bin\\.gz$'",
			dir);
		CU_ASSERT(system(cmd) == 0);
	}
}

static void test_age_and_tick(void)
{
	static char got[1 << 20];
	struct sink_archive *a;
	size_t len;
	int hidden;

	rm_dir();
	a = open_archive(0, 60, 1);
	CU_ASSERT_EQUAL(sink_archive_put(a, 0, (const uint8_t *)"one", 3, T0 - 3000000), 0);
	CU_ASSERT_EQUAL(sink_archive_put(a, 0, (const uint8_t *)"two", 3, T0 - 3000000 + 61000), 0);
	/* no record for a while: the tick closes the file once it is old enough */
	sink_archive_tick(a, T0 - 3000000 + 61000 + 30000);
	CU_ASSERT_EQUAL(
		read_back("stream=payments/dt=2026-11-22/hour=10", got, sizeof(got), &len, &hidden),
		1);
	CU_ASSERT_EQUAL(hidden, 1);
	sink_archive_tick(a, T0 - 3000000 + 61000 + 61000);
	CU_ASSERT_EQUAL(
		read_back("stream=payments/dt=2026-11-22/hour=10", got, sizeof(got), &len, &hidden),
		2);
	CU_ASSERT_EQUAL(hidden, 0);
	CU_ASSERT(len == 8 && memcmp(got, "one\ntwo\n", 8) == 0);
	CU_ASSERT_EQUAL(sink_archive_close(a, NULL), 0);
}

static void test_size_and_levels(void)
{
	static char got[4 << 20], want[4 << 20];
	struct sink_archive_stats st;
	int level;

	for (level = 0; level <= 3; level++) {
		struct sink_archive *a;
		size_t len, wl = 0;
		unsigned int k, seed = 7;
		int hidden, files;

		rm_dir();
		a = open_archive(64 << 10, 0, level);
		/* 20,000 records of random digits: about 1.2 MB that compress ~2x */
		for (k = 0; k < 20000; k++) {
			char rec[64];
			int n = snprintf(rec, sizeof(rec), "{\"k\":%u,\"r\":\"%u%u\"}", k,
					 rand_r(&seed), rand_r(&seed));

			CU_ASSERT_EQUAL_FATAL(sink_archive_put(a, 0, (const uint8_t *)rec,
							       (size_t)n, T0 - 1000000 + k),
					      0);
			memcpy(want + wl, rec, (size_t)n);
			wl += (size_t)n;
			want[wl++] = '\n';
		}
		CU_ASSERT_EQUAL(sink_archive_close(a, &st), 0);
		files = read_back("stream=payments/dt=2026-11-22/hour=10", got, sizeof(got), &len,
				  &hidden);
		/* rotated at 64 KiB of output (~300 KB in all): several files, together every
		 * record in order */
		CU_ASSERT(files >= 3);
		/* a file closes at the first write past 64 KiB: none closes short of it */
		CU_ASSERT((uint64_t)files <= st.bytes_out / (64 << 10) + 1);
		CU_ASSERT_EQUAL(st.files, (uint64_t)files);
		CU_ASSERT_EQUAL(len, wl);
		CU_ASSERT(memcmp(got, want, wl) == 0);
		CU_ASSERT_EQUAL(st.bytes_in, wl);
		CU_ASSERT(st.bytes_out < wl);
	}
}

static void test_errors(void)
{
	struct sink_archive_opts o = {
		.dir = "/proc/riptide-archive", .n_streams = 2, .streams = streams, .level = 1
	};
	char err[256];

	CU_ASSERT(sink_archive_open(&o, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "/proc/riptide-archive") != NULL);
	o.dir = dir;
	o.level = 4;
	CU_ASSERT(sink_archive_open(&o, err, sizeof(err)) == NULL);
	CU_ASSERT_EQUAL(errno, EINVAL);
	rm_dir();
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "partitions by hour, hidden while written, binary", test_partitions_and_hour },
		{ "rotation by age, closed by the tick", test_age_and_tick },
		{ "rotation by size, every igzip level, read back by zlib", test_size_and_levels },
		{ "errors", test_errors },
		{ NULL, NULL },
	};

	snprintf(dir, sizeof(dir), "/tmp/riptide-archive-test.%d", (int)getpid());
	return unit_run("sink_archive", tests);
}

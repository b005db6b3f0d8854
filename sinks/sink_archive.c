/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "sink_io.h"

/* Records are compressed a buffer at a time, not one by one. */
#define ARCH_IN	 (64u << 10)
#define ARCH_OUT (256u << 10)

struct arch_file {
	int fd; /* -1: none open */
	int64_t opened_ms, hour;
	char tmp[4352], final[4352];
	struct isal_zstream zs;
	uint8_t *level_buf;
	uint8_t in[ARCH_IN];
	size_t in_len;
	uint8_t out[ARCH_OUT];
	uint64_t written; /* compressed bytes in the file */
};

struct sink_archive {
	struct sink_archive_opts o;
	uint32_t level_buf_size;
	uint64_t seq;
	struct arch_file *files; /* by stream */
	struct sink_archive_stats st;
};

static const uint32_t level_bufs[] = {
	ISAL_DEF_LVL0_DEFAULT,
	ISAL_DEF_LVL1_DEFAULT,
	ISAL_DEF_LVL2_DEFAULT,
	ISAL_DEF_LVL3_DEFAULT,
};

/* mkdir -p of path (writable copy). */
static int mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Compresses what f->in holds (finishing the gzip member when last). */
static int deflate_in(struct sink_archive *a, struct arch_file *f, bool last)
{
	struct isal_zstream *zs = &f->zs;
	int rc;

	zs->next_in = f->in;
	zs->avail_in = (uint32_t)f->in_len;
	zs->end_of_stream = last;
	zs->flush = last ? FULL_FLUSH : NO_FLUSH;
	for (;;) {
		zs->next_out = f->out;
		zs->avail_out = ARCH_OUT;
		if (isal_deflate(zs) != COMP_OK)
			return -EIO;
		rc = sink_write_all(f->fd, f->out, ARCH_OUT - zs->avail_out);
		if (rc)
			return rc;
		f->written += ARCH_OUT - zs->avail_out;
		a->st.bytes_out += ARCH_OUT - zs->avail_out;
		if (zs->avail_in == 0 && (!last || zs->internal_state.state == ZSTATE_END))
			break;
	}
	f->in_len = 0;
	return 0;
}

static int file_close(struct sink_archive *a, struct arch_file *f)
{
	int rc;

	if (f->fd < 0)
		return 0;
	rc = deflate_in(a, f, true);
	if (rc == 0 && fsync(f->fd) != 0)
		rc = -errno;
	close(f->fd);
	f->fd = -1;
	if (rc == 0 && rename(f->tmp, f->final) != 0)
		rc = -errno;
	if (rc) {
		a->st.errors++;
		fprintf(stderr, "riptide: archive: %s: %s\n", f->final, strerror(-rc));
		return rc;
	}
	a->st.files++;
	return 0;
}

static int file_open(struct sink_archive *a, unsigned int s, int64_t now_ms)
{
	const struct sink_archive_stream *st = &a->o.streams[s];
	struct arch_file *f = &a->files[s];
	time_t secs = (time_t)(now_ms / 1000);
	char dir[4096];
	struct tm tm;
	int rc, n;

	gmtime_r(&secs, &tm);
	n = snprintf(dir, sizeof(dir), "%s/stream=%s/dt=%04d-%02d-%02d/hour=%02d", a->o.dir,
		     st->name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	rc = mkdirs(dir);
	if (rc)
		return rc;
	a->seq++;
	snprintf(f->final, sizeof(f->final), "%s/part-%" PRId64 "-%d-%" PRIu64 ".%s.gz", dir,
		 now_ms, (int)getpid(), a->seq, st->ext);
	snprintf(f->tmp, sizeof(f->tmp), "%s/.part-%" PRId64 "-%d-%" PRIu64 ".%s.gz.inprogress",
		 dir, now_ms, (int)getpid(), a->seq, st->ext);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (f->fd < 0)
		return -errno;
	isal_deflate_init(&f->zs);
	f->zs.level = (uint32_t)a->o.level;
	f->zs.level_buf = f->level_buf;
	f->zs.level_buf_size = a->level_buf_size;
	f->zs.gzip_flag = IGZIP_GZIP;
	f->opened_ms = now_ms;
	f->hour = now_ms / 3600000;
	f->in_len = 0;
	f->written = 0;
	return 0;
}

/* The file of stream s must close before a record taken at now_ms. */
static bool due(const struct sink_archive *a, const struct arch_file *f, int64_t now_ms)
{
	return f->fd >= 0 && (now_ms / 3600000 != f->hour || f->written >= a->o.max_bytes ||
			      now_ms - f->opened_ms >= (int64_t)a->o.max_age_s * 1000);
}

/* Adds bytes to the file's input buffer, compressing it each time it fills. */
static int in_add(struct sink_archive *a, struct arch_file *f, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = n < ARCH_IN - f->in_len ? n : ARCH_IN - f->in_len;
		int rc;

		memcpy(f->in + f->in_len, p, k);
		f->in_len += k;
		p += k;
		n -= k;
		if (f->in_len == ARCH_IN && (rc = deflate_in(a, f, false)) != 0)
			return rc;
	}
	return 0;
}

int sink_archive_put(struct sink_archive *a, unsigned int s, const uint8_t *rec, size_t len,
		     int64_t now_ms)
{
	const struct sink_archive_stream *st;
	struct arch_file *f;
	int rc = 0;

	if (s >= a->o.n_streams)
		return -EINVAL;
	st = &a->o.streams[s];
	f = &a->files[s];
	if (due(a, f, now_ms))
		file_close(a, f);
	if (f->fd < 0)
		rc = file_open(a, s, now_ms);
	rc = rc ?: in_add(a, f, rec, len);
	if (rc == 0 && st->newline)
		rc = in_add(a, f, (const uint8_t *)"\n", 1);
	if (rc) {
		a->st.errors++;
		if (a->st.errors == 1)
			fprintf(stderr, "riptide: archive: stream %s: %s\n", st->name,
				strerror(-rc));
		return rc;
	}
	a->st.records++;
	a->st.bytes_in += len + st->newline;
	return 0;
}

void sink_archive_tick(struct sink_archive *a, int64_t now_ms)
{
	unsigned int s;

	for (s = 0; s < a->o.n_streams; s++)
		if (due(a, &a->files[s], now_ms))
			file_close(a, &a->files[s]);
}

struct sink_archive *sink_archive_open(const struct sink_archive_opts *o, char *err, size_t errlen)
{
	struct sink_archive *a = calloc(1, sizeof(*a));
	char path[4096];
	unsigned int s;
	int rc = -ENOMEM;

	if (a == NULL)
		goto fail;
	a->o = *o;
	if (a->o.max_bytes == 0)
		a->o.max_bytes = 128u << 20;
	if (a->o.max_age_s == 0)
		a->o.max_age_s = 300;
	if (a->o.level < 0 || a->o.level > 3) {
		rc = -EINVAL;
		goto fail;
	}
	a->level_buf_size = level_bufs[a->o.level];
	a->files = calloc(o->n_streams ? o->n_streams : 1, sizeof(*a->files));
	if (a->files == NULL)
		goto fail;
	for (s = 0; s < o->n_streams; s++) {
		a->files[s].fd = -1;
		if (a->level_buf_size > 0) {
			a->files[s].level_buf = malloc(a->level_buf_size);
			if (a->files[s].level_buf == NULL)
				goto fail;
		}
	}
	snprintf(path, sizeof(path), "%s", o->dir);
	rc = mkdirs(path);
	if (rc == 0 && access(o->dir, W_OK) != 0)
		rc = -errno;
	if (rc)
		goto fail;
	return a;
fail:
	snprintf(err, errlen, "--archive %s: %s", o->dir, strerror(-rc));
	if (a != NULL)
		sink_archive_close(a, NULL);
	errno = -rc;
	return NULL;
}

int sink_archive_close(struct sink_archive *a, struct sink_archive_stats *stats)
{
	unsigned int s;
	int rc = 0, r;

	if (a == NULL)
		return 0;
	for (s = 0; a->files != NULL && s < a->o.n_streams; s++) {
		r = file_close(a, &a->files[s]);
		if (r && rc == 0)
			rc = r;
		free(a->files[s].level_buf);
	}
	if (stats != NULL)
		*stats = a->st;
	free(a->files);
	free(a);
	return rc;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes what the rings hold now. Returns the number of records. */
static uint64_t archiver_drain(struct sink_archiver *w)
{
	int64_t now = wall_ms();
	uint64_t got = 0;
	unsigned int r, k;

	for (r = 0; r < w->n_rings; r++) {
		const struct sink_msg *m;

		for (k = 0; k < 1024 && (m = sink_ring_peek(w->rings[r])) != NULL; k++) {
			sink_archive_put(w->a, m->topic, (const uint8_t *)(m + 1), m->len, now);
			sink_ring_release(w->rings[r], m);
			got++;
		}
	}
	return got;
}

static void *archiver_main(void *arg)
{
	struct sink_archiver *w = arg;
	const struct timespec nap = { .tv_nsec = 1000 * 1000 };
	int64_t last_tick = 0;

	for (;;) {
		bool stopping = atomic_load_explicit(&w->stop, memory_order_acquire);
		int64_t now;

		if (archiver_drain(w) > 0)
			continue;
		if (stopping)
			break;
		now = wall_ms();
		if (now - last_tick >= 1000) {
			sink_archive_tick(w->a, now);
			last_tick = now;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

int sink_archiver_start(struct sink_archiver *w, char *err, size_t errlen)
{
	int rc;

	atomic_init(&w->stop, false);
	rc = pthread_create(&w->thread, NULL, archiver_main, w);
	if (rc != 0) {
		snprintf(err, errlen, "archive thread: %s", strerror(rc));
		return -rc;
	}
	pthread_setname_np(w->thread, "riptide-archive");
	w->running = 1;
	return 0;
}

void sink_archiver_stop(struct sink_archiver *w)
{
	if (w->running) {
		atomic_store_explicit(&w->stop, true, memory_order_release);
		pthread_join(w->thread, NULL);
		w->running = 0;
	}
	if (w->a == NULL)
		return;
	while (archiver_drain(w) > 0)
		;
	sink_archive_close(w->a, &w->final);
	w->a = NULL;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_spool.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "sink_io.h"

#define SPOOL_MAGIC "RTSPOOL1"
/* Buffered appends are written out past this many bytes (and by spool_flush). */
#define SPOOL_WBUF (1u << 20)
#define SPOOL_RBUF (1u << 20)
#define ACK_FILE   "ack"

struct seg {
	uint64_t first; /* id of its first record */
	uint64_t bytes; /* on disk (the active one: written so far) */
};

struct spool {
	struct spool_opts o;
	int dirfd;
	struct seg *segs; /* by first id; when wfd >= 0 the last one is being written */
	unsigned int n_segs, cap_segs;
	uint64_t bytes; /* of every segment, buffered bytes included */
	/* writer */
	int wfd;
	uint64_t end; /* next id to append */
	uint8_t *wbuf;
	size_t wlen;
	bool unsynced;
	/* acknowledgment */
	int ackfd;
	uint64_t ack, ack_synced;
	/* reader: rfd reads segment rfirst, whose next frame is record rcur at file
	 * offset roff - (rlen - rpos); rid is the record spool_read returns next */
	int rfd;
	uint64_t rfirst, rcur, rid, roff;
	uint8_t *rbuf;
	size_t rpos, rlen, rcap;
	struct spool_stats st;
};

static uint32_t crc32c(const void *p, size_t n, uint32_t crc)
{
	return crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n, crc);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

size_t spool_frame_size(size_t topic_len, size_t key_len, size_t value_len)
{
	return SPOOL_FRAME_HEAD + 4 + topic_len + key_len + value_len;
}

void spool_frame_encode(uint8_t *dst, const char *topic, size_t topic_len, const uint8_t *key,
			size_t key_len, const uint8_t *value, size_t value_len)
{
	size_t body = 4 + topic_len + key_len + value_len;
	uint8_t *b = dst + SPOOL_FRAME_HEAD;
	uint16_t tl = htole16((uint16_t)topic_len), kl = htole16((uint16_t)key_len);

	put32(dst, (uint32_t)body);
	memcpy(b, &tl, 2);
	memcpy(b + 2, &kl, 2);
	memcpy(b + 4, topic, topic_len);
	if (key_len)
		memcpy(b + 4 + topic_len, key, key_len);
	if (value_len)
		memcpy(b + 4 + topic_len + key_len, value, value_len);
	put32(dst + 4, crc32c(b, body, crc32c(dst, 4, 0)));
}

int64_t spool_frame_parse(const uint8_t *buf, size_t len, struct spool_rec *rec)
{
	const uint8_t *b = buf + SPOOL_FRAME_HEAD;
	uint32_t body, tl, kl;

	if (len < SPOOL_FRAME_HEAD)
		return 0;
	body = get32(buf);
	if (body < 4 || body > SPOOL_MAX_BODY)
		return -EBADMSG;
	if (len - SPOOL_FRAME_HEAD < body)
		return 0;
	if (crc32c(b, body, crc32c(buf, 4, 0)) != get32(buf + 4))
		return -EBADMSG;
	tl = get16(b);
	kl = get16(b + 2);
	if (4 + tl + kl > body)
		return -EBADMSG;
	rec->topic = (const char *)b + 4;
	rec->topic_len = (uint16_t)tl;
	rec->key = b + 4 + tl;
	rec->key_len = (uint16_t)kl;
	rec->value = b + 4 + tl + kl;
	rec->value_len = body - 4 - tl - kl;
	return (int64_t)(SPOOL_FRAME_HEAD + body);
}

static void seg_name(char *buf, size_t len, uint64_t first)
{
	snprintf(buf, len, "seg-%020" PRIu64 ".spool", first);
}

/* The index of the segment holding id: the last whose first id is <= id; -1: none. */
static int seg_find(const struct spool *sp, uint64_t id)
{
	int i;

	for (i = (int)sp->n_segs - 1; i >= 0; i--)
		if (sp->segs[i].first <= id)
			return i;
	return -1;
}

/* Records of segment i: up to the next one's first id (or the end). */
static uint64_t seg_next_first(const struct spool *sp, unsigned int i)
{
	return i + 1 < sp->n_segs ? sp->segs[i + 1].first : sp->end;
}

static void reader_close(struct spool *sp)
{
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
	sp->rpos = sp->rlen = 0;
}

/* Deletes segment i (never the one being written). */
static void seg_delete(struct spool *sp, unsigned int i)
{
	char name[64];

	if (sp->rfd >= 0 && sp->rfirst == sp->segs[i].first)
		reader_close(sp);
	seg_name(name, sizeof(name), sp->segs[i].first);
	unlinkat(sp->dirfd, name, 0);
	sp->bytes -= sp->segs[i].bytes;
	memmove(&sp->segs[i], &sp->segs[i + 1], (sp->n_segs - i - 1) * sizeof(sp->segs[0]));
	sp->n_segs--;
	sp->st.segments_deleted++;
}

static int seg_push(struct spool *sp, uint64_t first, uint64_t bytes)
{
	if (sp->n_segs == sp->cap_segs) {
		unsigned int cap = sp->cap_segs ? sp->cap_segs * 2 : 16;
		struct seg *s = realloc(sp->segs, cap * sizeof(*s));

		if (s == NULL)
			return -ENOMEM;
		sp->segs = s;
		sp->cap_segs = cap;
	}
	sp->segs[sp->n_segs].first = first;
	sp->segs[sp->n_segs].bytes = bytes;
	sp->n_segs++;
	return 0;
}

int spool_flush(struct spool *sp)
{
	int rc;

	if (sp->wlen == 0 || sp->wfd < 0)
		return 0;
	rc = sink_write_all(sp->wfd, sp->wbuf, sp->wlen);
	if (rc)
		return rc;
	sp->wlen = 0;
	sp->unsynced = true;
	return 0;
}

static int ack_write(struct spool *sp)
{
	uint8_t b[12];

	put64(b, sp->ack);
	put32(b + 8, crc32c(b, 8, 0));
	if (pwrite(sp->ackfd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	return 0;
}

int spool_sync(struct spool *sp)
{
	int rc = spool_flush(sp);

	if (rc)
		return rc;
	if (sp->unsynced && sp->wfd >= 0) {
		if (fdatasync(sp->wfd) != 0)
			return -errno;
		sp->st.syncs++;
	}
	sp->unsynced = false;
	if (sp->ack != sp->ack_synced) {
		rc = ack_write(sp);
		if (rc == 0 && fdatasync(sp->ackfd) != 0)
			rc = -errno;
		if (rc)
			return rc;
		sp->ack_synced = sp->ack;
	}
	return 0;
}

/* Closes the segment being written (it stays on disk, closed). */
static int writer_close(struct spool *sp)
{
	int rc = 0;

	if (sp->wfd < 0)
		return 0;
	rc = spool_flush(sp);
	if (rc == 0 && sp->unsynced && fdatasync(sp->wfd) != 0)
		rc = -errno;
	sp->unsynced = false;
	close(sp->wfd);
	sp->wfd = -1;
	return rc;
}

static int writer_open(struct spool *sp)
{
	uint8_t h[SPOOL_HEADER] = { 0 };
	struct timespec now;
	char name[64];
	int fd, rc;

	clock_gettime(CLOCK_REALTIME, &now);
	seg_name(name, sizeof(name), sp->end);
	fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	memcpy(h, SPOOL_MAGIC, 8);
	put64(h + 8, sp->end);
	put64(h + 16, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
	put32(h + 28, crc32c(h, 28, 0));
	rc = sink_write_all(fd, h, sizeof(h));
	if (rc == 0)
		rc = seg_push(sp, sp->end, sizeof(h));
	if (rc) {
		close(fd);
		unlinkat(sp->dirfd, name, 0);
		return rc;
	}
	/* the new name is durable before records go in */
	fsync(sp->dirfd);
	sp->wfd = fd;
	sp->bytes += sizeof(h);
	sp->st.segments_created++;
	return 0;
}

/* The active segment: every record acknowledged, it goes. */
static void drop_empty_active(struct spool *sp)
{
	if (sp->wfd < 0 || sp->ack < sp->end || sp->wlen > 0)
		return;
	close(sp->wfd);
	sp->wfd = -1;
	sp->unsynced = false;
	seg_delete(sp, sp->n_segs - 1);
}

void spool_ack(struct spool *sp, uint64_t id)
{
	if (id > sp->end)
		id = sp->end;
	if (id <= sp->ack)
		return;
	sp->st.acked += id - sp->ack;
	sp->ack = id;
	while (sp->n_segs > (sp->wfd >= 0 ? 1u : 0u) && seg_next_first(sp, 0) <= sp->ack)
		seg_delete(sp, 0);
	drop_empty_active(sp);
	if (sp->rid < sp->ack)
		sp->rid = sp->ack;
}

/* SPOOL_FULL_DROP_OLDEST: deletes the oldest segment, its records counted. */
static int drop_oldest(struct spool *sp)
{
	uint64_t next;

	if (sp->n_segs == 0)
		return -ENOSPC;
	if (sp->n_segs == 1 && sp->wfd >= 0) {
		/* only the active segment: close it so that it can go */
		int rc = writer_close(sp);

		if (rc)
			return rc;
	}
	next = seg_next_first(sp, 0);
	if (next > sp->ack) {
		sp->st.dropped_full += next - sp->ack;
		sp->ack = next;
	}
	seg_delete(sp, 0);
	if (sp->rid < sp->ack)
		sp->rid = sp->ack;
	return 0;
}

enum spool_full spool_full_policy(const struct spool *sp)
{
	return sp->o.full;
}

int spool_is_full(const struct spool *sp, size_t body)
{
	return sp->o.max_bytes > 0 &&
	       sp->bytes + SPOOL_HEADER + SPOOL_FRAME_HEAD + body > sp->o.max_bytes;
}

int spool_append(struct spool *sp, const char *topic, size_t topic_len, const uint8_t *key,
		 size_t key_len, const uint8_t *value, size_t value_len)
{
	size_t n = spool_frame_size(topic_len, key_len, value_len);
	int rc;

	if (n - SPOOL_FRAME_HEAD > SPOOL_MAX_BODY || topic_len > UINT16_MAX || key_len > UINT16_MAX)
		return -EMSGSIZE;
	while (spool_is_full(sp, n - SPOOL_FRAME_HEAD)) {
		if (sp->o.full != SPOOL_FULL_DROP_OLDEST)
			return -ENOSPC;
		rc = drop_oldest(sp);
		if (rc)
			return rc;
	}
	if (sp->wfd < 0 || sp->segs[sp->n_segs - 1].bytes >= sp->o.segment_bytes) {
		rc = writer_close(sp);
		rc = rc ?: writer_open(sp);
		if (rc) {
			sp->st.write_errors++;
			return rc;
		}
	}
	if (sp->wlen + n > SPOOL_WBUF) {
		rc = spool_flush(sp);
		if (rc) {
			sp->st.write_errors++;
			return rc;
		}
	}
	if (n > SPOOL_WBUF) {
		/* a record larger than the buffer goes straight to the file */
		uint8_t *tmp = malloc(n);

		if (tmp == NULL)
			return -ENOMEM;
		spool_frame_encode(tmp, topic, topic_len, key, key_len, value, value_len);
		rc = sink_write_all(sp->wfd, tmp, n);
		free(tmp);
		if (rc) {
			sp->st.write_errors++;
			return rc;
		}
		sp->unsynced = true;
	} else {
		spool_frame_encode(sp->wbuf + sp->wlen, topic, topic_len, key, key_len, value,
				   value_len);
		sp->wlen += n;
	}
	sp->segs[sp->n_segs - 1].bytes += n;
	sp->bytes += n;
	if (sp->bytes > sp->st.peak_bytes)
		sp->st.peak_bytes = sp->bytes;
	sp->end++;
	sp->st.appended++;
	sp->st.appended_bytes += n;
	return 0;
}

/* Opens segment first for reading and checks its header. Returns 0, -EBADMSG when
 * the header is not one, or -errno. */
static int reader_open(struct spool *sp, uint64_t first)
{
	uint8_t h[SPOOL_HEADER];
	char name[64];
	ssize_t n;

	reader_close(sp);
	seg_name(name, sizeof(name), first);
	sp->rfd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (sp->rfd < 0)
		return -errno;
	n = pread(sp->rfd, h, sizeof(h), 0);
	sp->rfirst = first;
	sp->rcur = first;
	sp->roff = SPOOL_HEADER;
	if (n != (ssize_t)sizeof(h) || memcmp(h, SPOOL_MAGIC, 8) != 0 || get64(h + 8) != first ||
	    crc32c(h, 28, 0) != get32(h + 28))
		return -EBADMSG;
	return 0;
}

/* More bytes of the open segment into rbuf, room made for the whole frame the reader
 * is at (its length was checked against SPOOL_MAX_BODY by spool_frame_parse). Returns
 * bytes read, 0 at its end, or -errno. */
static ssize_t reader_fill(struct spool *sp)
{
	size_t want = sp->rcap < SPOOL_RBUF ? SPOOL_RBUF : sp->rcap;
	ssize_t n;

	if (sp->rlen - sp->rpos >= SPOOL_FRAME_HEAD &&
	    SPOOL_FRAME_HEAD + get32(sp->rbuf + sp->rpos) > want)
		want = SPOOL_FRAME_HEAD + get32(sp->rbuf + sp->rpos);

	if (sp->rpos > 0) {
		memmove(sp->rbuf, sp->rbuf + sp->rpos, sp->rlen - sp->rpos);
		sp->rlen -= sp->rpos;
		sp->rpos = 0;
	}
	if (want > sp->rcap) {
		uint8_t *b = realloc(sp->rbuf, want);

		if (b == NULL)
			return -ENOMEM;
		sp->rbuf = b;
		sp->rcap = want;
	}
	n = pread(sp->rfd, sp->rbuf + sp->rlen, sp->rcap - sp->rlen, (off_t)sp->roff);
	if (n < 0)
		return -errno;
	sp->rlen += (size_t)n;
	sp->roff += (uint64_t)n;
	return n;
}

/* The segment being read ends at the frame the reader is at (torn, corrupt, or short
 * of the records the next segment's id says it holds): count, and go on at next. */
static void skip_tail(struct spool *sp, uint64_t next, uint64_t file_bytes)
{
	uint64_t at = sp->roff - (sp->rlen - sp->rpos);

	if (file_bytes > at || sp->rcur < next) {
		sp->st.corrupt_tails++;
		sp->st.corrupt_bytes += file_bytes > at ? file_bytes - at : 0;
		sp->st.corrupt_records += next > sp->rcur ? next - sp->rcur : 0;
	}
	reader_close(sp);
	sp->rid = next;
}

int spool_read(struct spool *sp, struct spool_rec *rec)
{
	for (;;) {
		struct spool_rec r;
		uint64_t next;
		int64_t got;
		int i, rc;

		if (sp->rid >= sp->end)
			return 0;
		i = seg_find(sp, sp->rid);
		if (i < 0) { /* below the first segment: deleted */
			sp->rid = sp->n_segs ? sp->segs[0].first : sp->end;
			continue;
		}
		next = seg_next_first(sp, (unsigned int)i);
		if (sp->wfd >= 0 && (unsigned int)i == sp->n_segs - 1) {
			rc = spool_flush(sp);
			if (rc)
				return rc;
		}
		if (sp->rfd < 0 || sp->rfirst != sp->segs[i].first || sp->rcur > sp->rid) {
			rc = reader_open(sp, sp->segs[i].first);
			if (rc == -EBADMSG) {
				sp->rcur = sp->segs[i].first;
				sp->rpos = sp->rlen = 0;
				sp->roff = 0;
				skip_tail(sp, next, sp->segs[i].bytes);
				continue;
			}
			if (rc)
				return rc;
		}
		got = spool_frame_parse(sp->rbuf + sp->rpos, sp->rlen - sp->rpos, &r);
		if (got == 0 && sp->rcur < next) {
			ssize_t n = reader_fill(sp);

			if (n < 0)
				return (int)n;
			if (n > 0)
				continue;
		}
		if (got <= 0 || sp->rcur >= next) {
			struct stat stt;
			uint64_t fb = fstat(sp->rfd, &stt) == 0 ? (uint64_t)stt.st_size : sp->roff;

			if (next == sp->end && sp->wfd >= 0 && (unsigned int)i == sp->n_segs - 1) {
				/* the segment being written cannot take more after a bad
				 * frame: what follows goes to a new one */
				int wrc = writer_close(sp);

				if (wrc)
					return wrc;
			}
			skip_tail(sp, next, fb);
			continue;
		}
		sp->rpos += (size_t)got;
		if (sp->rcur++ < sp->rid)
			continue; /* before the cursor (after a rewind or an open) */
		r.id = sp->rid++;
		sp->st.read++;
		*rec = r;
		return 1;
	}
}

int spool_rewind(struct spool *sp, uint64_t id)
{
	if (id < sp->ack || id > sp->end)
		return -ERANGE;
	sp->rid = id;
	return 0;
}

uint64_t spool_ack_id(const struct spool *sp)
{
	return sp->ack;
}

uint64_t spool_read_id(const struct spool *sp)
{
	return sp->rid;
}

uint64_t spool_end_id(const struct spool *sp)
{
	return sp->end;
}

uint64_t spool_bytes(const struct spool *sp)
{
	return sp->bytes;
}

const struct spool_stats *spool_stats(const struct spool *sp)
{
	return &sp->st;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The segments in the directory, by first id. */
static int scan_dir(struct spool *sp)
{
	struct dirent *e;
	DIR *d;
	int fd = dup(sp->dirfd), rc = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL && rc == 0) {
		unsigned long long first;
		struct stat stt;
		int used = 0;

		if (sscanf(e->d_name, "seg-%20llu.spool%n", &first, &used) != 1 ||
		    (size_t)used != strlen(e->d_name) || strlen(e->d_name) != 30)
			continue;
		if (fstatat(sp->dirfd, e->d_name, &stt, 0) != 0)
			continue;
		rc = seg_push(sp, first, (uint64_t)stt.st_size);
		sp->bytes += (uint64_t)stt.st_size;
	}
	closedir(d);
	if (sp->n_segs > 1)
		qsort(sp->segs, sp->n_segs, sizeof(sp->segs[0]), cmp_seg);
	return rc;
}

/* The ack file: its id, or rejected when missing or damaged. */
static int ack_open(struct spool *sp, bool *valid)
{
	uint8_t b[12];

	sp->ackfd = openat(sp->dirfd, ACK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->ackfd < 0)
		return -errno;
	*valid = pread(sp->ackfd, b, sizeof(b), 0) == (ssize_t)sizeof(b) &&
		 crc32c(b, 8, 0) == get32(b + 8);
	sp->ack = *valid ? get64(b) : 0;
	return 0;
}

/* How many records the last segment holds, reading it through. */
static int count_last(struct spool *sp)
{
	unsigned int i = sp->n_segs - 1;
	int rc;

	sp->end = UINT64_MAX; /* read to the file's end */
	rc = reader_open(sp, sp->segs[i].first);
	if (rc == -EBADMSG) {
		sp->st.corrupt_tails++;
		sp->st.corrupt_bytes += sp->segs[i].bytes;
		sp->end = sp->segs[i].first;
		reader_close(sp);
		return 0;
	}
	if (rc)
		return rc;
	for (;;) {
		struct spool_rec r;
		int64_t got = spool_frame_parse(sp->rbuf + sp->rpos, sp->rlen - sp->rpos, &r);

		if (got == 0) {
			ssize_t n = reader_fill(sp);

			if (n < 0)
				return (int)n;
			if (n > 0)
				continue;
		}
		if (got <= 0) {
			uint64_t at = sp->roff - (sp->rlen - sp->rpos);

			if (sp->segs[i].bytes > at) {
				sp->st.corrupt_tails++;
				sp->st.corrupt_bytes += sp->segs[i].bytes - at;
			}
			break;
		}
		sp->rpos += (size_t)got;
		sp->rcur++;
	}
	sp->end = sp->rcur;
	reader_close(sp);
	return 0;
}

struct spool *spool_open(const struct spool_opts *o, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	bool ack_valid = false;
	int rc = -ENOMEM;

	if (sp == NULL) {
		snprintf(err, errlen, "--spool %s: out of memory", o->dir);
		errno = ENOMEM;
		return NULL;
	}
	sp->o = *o;
	if (sp->o.segment_bytes == 0)
		sp->o.segment_bytes = 64u << 20;
	sp->wfd = sp->rfd = sp->ackfd = -1;
	sp->dirfd = -1;
	sp->wbuf = malloc(SPOOL_WBUF);
	sp->rbuf = malloc(SPOOL_RBUF);
	sp->rcap = SPOOL_RBUF;
	if (sp->wbuf == NULL || sp->rbuf == NULL)
		goto fail;
	if (mkdir(o->dir, 0750) != 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	sp->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = ack_open(sp, &ack_valid);
	rc = rc ?: scan_dir(sp);
	if (rc)
		goto fail;
	if (sp->n_segs > 0) {
		rc = count_last(sp);
		if (rc)
			goto fail;
	}
	if (!ack_valid && sp->n_segs > 0) {
		/* without an ack every record spooled is replayed: duplicates rather
		 * than losses */
		sp->st.ack_file_rejected = 1;
		sp->ack = sp->segs[0].first;
	}
	if (sp->end < sp->ack)
		sp->end = sp->ack;
	if (sp->n_segs > 0 && sp->ack < sp->segs[0].first)
		sp->ack = sp->segs[0].first;
	while (sp->n_segs > 0 && seg_next_first(sp, 0) <= sp->ack)
		seg_delete(sp, 0);
	sp->rid = sp->ack;
	sp->ack_synced = ack_valid ? sp->ack : UINT64_MAX;
	sp->st.records_at_open = sp->end - sp->ack;
	sp->st.peak_bytes = sp->bytes;
	rc = spool_sync(sp);
	if (rc)
		goto fail;
	return sp;
fail:
	snprintf(err, errlen, "--spool %s: %s", o->dir, strerror(-rc));
	spool_close(sp);
	errno = -rc;
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->ackfd >= 0 && sp->dirfd >= 0) {
		spool_sync(sp);
		writer_close(sp);
	}
	reader_close(sp);
	if (sp->ackfd >= 0)
		close(sp->ackfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->segs);
	free(sp->wbuf);
	free(sp->rbuf);
	free(sp);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The disk spool (--spool DIR): where results wait while Kafka cannot take them, in
 * the order they came, until they are replayed and acknowledged.
 *
 * DIR holds append-only segment files seg-<first id, 20 digits>.spool and a file
 * "ack". Every record has an id, one more than the record before it, across segments
 * and restarts. A segment is a 32-byte header (magic "RTSPOOL1", its first id, its
 * creation time, CRC32C of the 28 bytes before) and frames:
 *
 *   le32 len | le32 crc | body (len bytes): le16 topic_len | le16 key_len | topic | key | value
 *
 * where crc is the ISA-L CRC32C of the len field then the body. A frame whose len is
 * out of range or whose crc does not match ends the segment: the bytes from there on
 * are a torn or corrupt tail, counted and skipped (the records in it are counted as
 * lost when a later segment tells how many there were). "ack" holds the id below which
 * every record was delivered (le64, then CRC32C of those 8 bytes); segments wholly
 * below it are deleted.
 *
 * Writes are buffered and written by spool_flush() (the sink calls it after each
 * batch, so kill -9 loses nothing that was taken), and fsync'd by spool_sync() (the
 * sink calls it every SINK_SPOOL_SYNC_MS and at stop). At open, writing starts in a
 * new segment: a torn tail of the last one is never appended to. Used by one thread.
 */
#ifndef RIPTIDE_SINK_SPOOL_H
#define RIPTIDE_SINK_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_HEADER	 32
#define SPOOL_FRAME_HEAD 8
/* Largest body: a message of a result ring (at most 1 GiB / 2, in practice results
 * and dead letters of some KiB), with its topic name. */
#define SPOOL_MAX_BODY (16u << 20)

/* What spool_append() does when the spool holds max_bytes. */
enum spool_full {
	SPOOL_FULL_WAIT,	/* refuse (-ENOSPC) and let the caller hold the message */
	SPOOL_FULL_DROP_NEWEST, /* refuse (-ENOSPC): the caller drops and counts it */
	SPOOL_FULL_DROP_OLDEST	/* delete the oldest segment, counted in dropped_full */
};

struct spool_opts {
	const char *dir;
	uint64_t max_bytes;	/* 0: no bound */
	uint64_t segment_bytes; /* a segment is closed past this size */
	enum spool_full full;
};

/* One record, pointing into the spool's (or the parser's) buffer. */
struct spool_rec {
	uint64_t id;
	const char *topic;
	const uint8_t *key, *value;
	uint16_t topic_len, key_len;
	uint32_t value_len;
};

struct spool_stats {
	uint64_t appended;	    /* records written this run */
	uint64_t appended_bytes;    /* frame bytes written this run */
	uint64_t read;		    /* records read back (replays, rereads included) */
	uint64_t acked;		    /* records acknowledged this run */
	uint64_t dropped_full;	    /* records deleted by SPOOL_FULL_DROP_OLDEST */
	uint64_t corrupt_records;   /* records lost in corrupt tails (when countable) */
	uint64_t corrupt_tails;	    /* segments that ended in a torn or corrupt frame */
	uint64_t corrupt_bytes;	    /* bytes skipped in those tails */
	uint64_t syncs;		    /* fsyncs */
	uint64_t segments_created;  /* this run */
	uint64_t segments_deleted;  /* this run */
	uint64_t peak_bytes;	    /* largest size on disk */
	uint64_t records_at_open;   /* records waiting when the spool was opened */
	uint64_t write_errors;	    /* appends that failed on I/O */
	uint64_t ack_file_rejected; /* 1 when "ack" was missing a valid id at open */
};

struct spool;

/*
 * Opens (creating it when missing) the spool in o->dir: reads "ack", deletes segments
 * wholly acknowledged, counts the records of the last segment (its torn tail, if any,
 * counted in corrupt_*), and puts the reader at the ack. Returns NULL with errno set
 * and a message naming the path in err.
 */
struct spool *spool_open(const struct spool_opts *o, char *err, size_t errlen);

/* Writes and fsyncs what is buffered and the ack, then frees. */
void spool_close(struct spool *sp);

/*
 * Appends a record. Returns 0, -ENOSPC when the spool is full (SPOOL_FULL_WAIT and
 * _DROP_NEWEST; the record was not written), -EMSGSIZE when the record is larger than
 * SPOOL_MAX_BODY, or -errno of a failed write (counted in write_errors).
 */
int spool_append(struct spool *sp, const char *topic, size_t topic_len, const uint8_t *key,
		 size_t key_len, const uint8_t *value, size_t value_len);

/* The policy the spool was opened with. */
enum spool_full spool_full_policy(const struct spool *sp);

/* 1 when an append of body bytes would be refused now (SPOOL_FULL_WAIT). */
int spool_is_full(const struct spool *sp, size_t body);

/* Writes the buffered records to the segment file. Returns 0 or -errno. */
int spool_flush(struct spool *sp);
/* spool_flush(), then fsync of the segment and the ack file when they changed. */
int spool_sync(struct spool *sp);

/*
 * The reader: the next record from its cursor (first the oldest not acknowledged).
 * Returns 1 with rec pointing into the spool's buffer (valid until the next call),
 * 0 when every record appended has been read, or -errno on an I/O error. Records lost
 * in a corrupt tail are skipped and counted.
 */
int spool_read(struct spool *sp, struct spool_rec *rec);

/* Puts the reader back at record id (>= the ack): the next spool_read returns it. */
int spool_rewind(struct spool *sp, uint64_t id);

/* Every record below id was delivered: advances the ack, deletes the segments below
 * it (and, once the spool is empty, the segment being written). */
void spool_ack(struct spool *sp, uint64_t id);

/* Ids: the ack, the next one to be read, and the next one to be appended. Records
 * waiting = end - ack. */
uint64_t spool_ack_id(const struct spool *sp);
uint64_t spool_read_id(const struct spool *sp);
uint64_t spool_end_id(const struct spool *sp);
/* Bytes of every segment on disk. */
uint64_t spool_bytes(const struct spool *sp);
const struct spool_stats *spool_stats(const struct spool *sp);

/*
 * The frame format, for the reader, the tests and the fuzz target. spool_frame_parse:
 * the frame at buf (len bytes available). Returns its size with rec filled (id left
 * alone), 0 when buf holds only part of a valid-looking frame, or -EBADMSG when it
 * cannot be one (len out of range, CRC mismatch, lengths inside the body wrong).
 * spool_frame_size / spool_frame_encode: the bytes of a record's frame, and writes it.
 */
int64_t spool_frame_parse(const uint8_t *buf, size_t len, struct spool_rec *rec);
size_t spool_frame_size(size_t topic_len, size_t key_len, size_t value_len);
void spool_frame_encode(uint8_t *dst, const char *topic, size_t topic_len, const uint8_t *key,
			size_t key_len, const uint8_t *value, size_t value_len);

#endif

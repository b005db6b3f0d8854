/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The file sink (--out DIR): each topic appends one JSON message per line to
 * DIR/<topic>.ndjson. Used by the sink thread only.
 */
#ifndef RIPTIDE_SINK_FILE_H
#define RIPTIDE_SINK_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

struct sink_file;

/* Creates DIR when missing; a topic's file is opened (appended to) with its first
 * message, so that a rule set of thousands of topics holds files for those that
 * speak only. topics must outlive the sink. Returns NULL with errno set and a
 * message naming the path in err. */
struct sink_file *sink_file_open(const char *dir, const struct sink_topics *topics, char *err,
				 size_t errlen);

/* Appends value and a newline to the topic's file (buffered). Returns 0 or -errno
 * (also when the file cannot be opened). */
int sink_file_write(struct sink_file *f, uint16_t topic, const uint8_t *value, size_t len);

/* Writes buffered lines to the files. Returns 0 or -errno. */
int sink_file_flush(struct sink_file *f);

/* Flushes and closes. Returns 0 or the first -errno met. */
int sink_file_close(struct sink_file *f);

#endif

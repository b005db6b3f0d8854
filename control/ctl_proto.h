/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control protocol between riptidectl and riptide, over a UNIX stream socket:
 * one request and one reply per connection, each a frame of a 4-byte big-endian
 * length and that many bytes of JSON (docs/operations.md, "Control protocol").
 *
 * Request: {"cmd": NAME, ...arguments}. Reply: {"ok": true, "result": ...} or
 * {"ok": false, "error": MESSAGE[, "errors": [FILE:LINE:COL messages]]}.
 *
 * Plain C on jansson, no DPDK: riptidectl, the server and the fuzzer share it.
 */
#ifndef RIPTIDE_CTL_PROTO_H
#define RIPTIDE_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A request carries at most a rule file (16 MiB) and its name. */
#define CTL_MAX_REQUEST ((size_t)17 << 20)
/* A reply: the stats of 10,000 rules, or a rule file shown back. */
#define CTL_MAX_REPLY ((size_t)64 << 20)

enum ctl_cmd {
	CTL_STATUS,
	CTL_STATS,
	CTL_RULES_CHECK,
	CTL_RULES_LOAD,
	CTL_RULES_SHOW,
	CTL_FILTER_ADD,
	CTL_FILTER_DEL,
	CTL_FILTER_LIST,
	CTL_FILTER_RATE,
	CTL__COUNT
};

/* The wire name of a command ("rules.load"), NULL when cmd is out of range. */
const char *ctl_cmd_name(enum ctl_cmd cmd);

struct ctl_request {
	enum ctl_cmd cmd;
	const char *file; /* RULES_CHECK, RULES_LOAD: the name the errors give */
	const char *text; /* and the rule file's bytes (may hold NUL bytes) */
	size_t text_len;
	const char *prefix; /* FILTER_ADD, FILTER_DEL */
	uint64_t pps;	    /* FILTER_RATE (0: off) */
	uint64_t burst;	    /* FILTER_RATE (0: pps) */
	json_t *root;	    /* owns the strings above */
};

/*
 * Parses and checks one request of len bytes. Returns 0, or -EINVAL with a message in
 * err (not JSON, not an object, unknown command, a missing or mistyped argument).
 * Free with ctl_request_free().
 */
int ctl_request_parse(const char *buf, size_t len, struct ctl_request *req, char *err,
		      size_t errlen);
void ctl_request_free(struct ctl_request *req);

/* Writes one frame. Returns 0 or -errno. */
int ctl_write_frame(int fd, const char *buf, size_t len);

/*
 * Reads one frame of at most max bytes into *buf (malloc'd, NUL-terminated), waiting
 * at most timeout_ms for all of it. Returns 0, -EMSGSIZE (longer than max),
 * -ETIMEDOUT, -ENODATA (the peer closed without sending a byte), -EPIPE (it closed
 * before the end: a truncated frame) or -errno.
 */
int ctl_read_frame(int fd, char **buf, size_t *len, size_t max, int timeout_ms);

/* The reply {"ok":false,"error":msg}. */
json_t *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

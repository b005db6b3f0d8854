/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_proto.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const cmd_names[CTL__COUNT] = {
	[CTL_STATUS] = "status",	   [CTL_STATS] = "stats",
	[CTL_RULES_CHECK] = "rules.check", [CTL_RULES_LOAD] = "rules.load",
	[CTL_RULES_SHOW] = "rules.show",   [CTL_FILTER_ADD] = "filter.add",
	[CTL_FILTER_DEL] = "filter.del",   [CTL_FILTER_LIST] = "filter.list",
	[CTL_FILTER_RATE] = "filter.rate",
};

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	return (unsigned int)cmd < CTL__COUNT ? cmd_names[cmd] : NULL;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A string argument (may hold NUL bytes when allow_nul). */
static int get_string(json_t *root, const char *key, const char **out, size_t *len, bool allow_nul,
		      char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v))
		return bad(err, errlen, "'%s' must be a string", key);
	*out = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	if (!allow_nul && strlen(*out) != json_string_length(v))
		return bad(err, errlen, "'%s' holds a NUL byte", key);
	return 0;
}

static int get_u64(json_t *root, const char *key, uint64_t max, bool optional, uint64_t *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL && optional) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return bad(err, errlen, "'%s' must be an integer from 0 to %llu", key,
			   (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int ctl_request_parse(const char *buf, size_t len, struct ctl_request *req, char *err,
		      size_t errlen)
{
	json_error_t jerr;
	const char *name;
	unsigned int k;
	int rc;

	memset(req, 0, sizeof(*req));
	req->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (req->root == NULL)
		return bad(err, errlen, "request is not JSON: %s at byte %d", jerr.text,
			   jerr.position);
	rc = -EINVAL;
	if (!json_is_object(req->root)) {
		bad(err, errlen, "request is not a JSON object");
		goto fail;
	}
	if (get_string(req->root, "cmd", &name, NULL, false, err, errlen) != 0)
		goto fail;
	for (k = 0; k < CTL__COUNT && strcmp(cmd_names[k], name) != 0; k++)
		;
	if (k == CTL__COUNT) {
		bad(err, errlen, "unknown command '%.64s'", name);
		goto fail;
	}
	req->cmd = (enum ctl_cmd)k;
	switch (req->cmd) {
	case CTL_RULES_CHECK:
	case CTL_RULES_LOAD:
		if (get_string(req->root, "file", &req->file, NULL, false, err, errlen) != 0 ||
		    get_string(req->root, "text", &req->text, &req->text_len, true, err, errlen) !=
			    0)
			goto fail;
		break;
	case CTL_FILTER_ADD:
	case CTL_FILTER_DEL:
		if (get_string(req->root, "prefix", &req->prefix, NULL, false, err, errlen) != 0)
			goto fail;
		break;
	case CTL_FILTER_RATE:
		if (get_u64(req->root, "pps", 1000000000, false, &req->pps, err, errlen) != 0 ||
		    get_u64(req->root, "burst", 1000000000, true, &req->burst, err, errlen) != 0)
			goto fail;
		break;
	default:
		break;
	}
	return 0;
fail:
	ctl_request_free(req);
	return rc;
}

void ctl_request_free(struct ctl_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_write_frame(int fd, const char *buf, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			   (uint8_t)len };
	int rc;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	rc = write_all(fd, hdr, sizeof(hdr));
	return rc ? rc : write_all(fd, buf, len);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly len bytes by the deadline. */
static int read_all(int fd, void *p, size_t len, int64_t deadline)
{
	char *c = p;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		n = read(fd, c, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_read_frame(int fd, char **buf, size_t *len, size_t max, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	uint8_t hdr[4];
	size_t n;
	char *b;
	int rc;

	*buf = NULL;
	*len = 0;
	rc = read_all(fd, hdr, 1, deadline);
	if (rc == -EPIPE)
		return -ENODATA; /* closed before a byte: a probe, not a request */
	if (rc == 0)
		rc = read_all(fd, hdr + 1, sizeof(hdr) - 1, deadline);
	if (rc != 0)
		return rc;
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > max)
		return -EMSGSIZE;
	b = malloc(n + 1);
	if (b == NULL)
		return -ENOMEM;
	rc = read_all(fd, b, n, deadline);
	if (rc != 0) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

json_t *ctl_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

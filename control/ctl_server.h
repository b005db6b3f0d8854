/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptide's control socket: a UNIX stream socket, mode 0600 (0660 with a group), no
 * TCP listener, served by a thread of its own on the main lcore's core. Each
 * connection carries one request (ctl_proto.h); the peer's credentials (SO_PEERCRED)
 * are checked before its request is read: root, riptide's own user, and with a group
 * the members of that group may use it; anyone else is refused and counted.
 */
#ifndef RIPTIDE_CTL_SERVER_H
#define RIPTIDE_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "ctl_proto.h"

/* Serves one checked request: returns the whole reply ({"ok":...}), NULL when out of
 * memory. Runs on the server thread, one request at a time. */
typedef json_t *(*ctl_handler_fn)(void *ctx, const struct ctl_request *req);

struct ctl_server_opts {
	const char *path;
	const char *group; /* NULL: mode 0600 */
	ctl_handler_fn fn;
	void *ctx;
	int timeout_ms; /* for a request to arrive whole (default 5000) */
};

struct ctl_server_counters {
	uint64_t requests, refused_peers, bad_requests, oversized, timeouts;
};

struct ctl_server;

/*
 * Binds the socket and starts serving. A socket file left by a riptide that is gone
 * is replaced; one that answers is not (-EADDRINUSE). The socket's directory is made
 * (0755) when missing. Returns NULL with a message in err.
 */
struct ctl_server *ctl_server_start(const struct ctl_server_opts *o, char *err, size_t errlen);

/* Stops serving, removes the socket file, frees s (NULL: nothing). */
void ctl_server_stop(struct ctl_server *s);

/* The counters so far (read while it runs). */
void ctl_server_counters(const struct ctl_server *s, struct ctl_server_counters *c);

/* Changes the socket file's owner (after riptide drops to --user). Returns 0 or -errno. */
int ctl_server_chown(const struct ctl_server *s, uid_t uid, gid_t gid);

#endif

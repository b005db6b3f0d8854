/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_server {
	struct ctl_server_opts o;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	int stop[2]; /* a pipe: written to stop the thread */
	bool has_group;
	gid_t gid;
	pthread_t thread;
	bool started;
	struct ctl_server_counters c; /* written by the thread, read relaxed */
};

static void bump(uint64_t *v)
{
	__atomic_store_n(v, *v + 1, __ATOMIC_RELAXED);
}

/* May this peer use the socket? */
static bool peer_allowed(const struct ctl_server *s, const struct ucred *cr)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = 256, k;

	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!s->has_group)
		return false;
	if (cr->gid == s->gid)
		return true;
	if (getpwuid_r(cr->uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (k = 0; k < n; k++)
		if (groups[k] == s->gid)
			return true;
	return false;
}

static void reply(int fd, json_t *r)
{
	char *text = r != NULL ? json_dumps(r, JSON_COMPACT) : NULL;

	if (text != NULL)
		(void)ctl_write_frame(fd, text, strlen(text));
	else
		(void)ctl_write_frame(fd, "{\"ok\":false,\"error\":\"out of memory\"}", 36);
	free(text);
	json_decref(r);
}

static void serve(struct ctl_server *s, int fd)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	struct ctl_request req;
	char err[512], *buf;
	size_t len;
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || !peer_allowed(s, &cr)) {
		bump(&s->c.refused_peers);
		reply(fd, ctl_error("permission denied: uid %u may not use this socket",
				    (unsigned int)cr.uid));
		return;
	}
	rc = ctl_read_frame(fd, &buf, &len, CTL_MAX_REQUEST, s->o.timeout_ms);
	if (rc != 0) {
		if (rc == -EMSGSIZE) {
			bump(&s->c.oversized);
			reply(fd, ctl_error("request larger than %zu bytes", CTL_MAX_REQUEST));
		} else if (rc == -ETIMEDOUT) {
			bump(&s->c.timeouts);
			reply(fd, ctl_error("request incomplete after %d ms", s->o.timeout_ms));
		} else if (rc != -ENODATA) {
			bump(&s->c.bad_requests); /* truncated: the peer is gone */
		}
		return;
	}
	rc = ctl_request_parse(buf, len, &req, err, sizeof(err));
	free(buf);
	if (rc != 0) {
		bump(&s->c.bad_requests);
		reply(fd, ctl_error("bad request: %s", err));
		return;
	}
	bump(&s->c.requests);
	reply(fd, s->o.fn(s->o.ctx, &req));
	ctl_request_free(&req);
}

static void *server_main(void *arg)
{
	struct ctl_server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
				       { .fd = s->stop[0], .events = POLLIN } };
		struct timeval tv;
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a peer that does not read its reply does not hold the server */
		tv.tv_sec = s->o.timeout_ms / 1000;
		tv.tv_usec = (s->o.timeout_ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

/* Is some process serving path? */
static bool answers(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return yes;
}

static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

struct ctl_server *ctl_server_start(const struct ctl_server_opts *o, char *err, size_t errlen)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = 0600, old_mask;
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "--control: out of memory");
		return NULL;
	}
	s->o = *o;
	if (s->o.timeout_ms <= 0)
		s->o.timeout_ms = 5000;
	s->fd = s->stop[0] = s->stop[1] = -1;
	if (strlen(o->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--control %s: longer than %zu bytes", o->path,
			 sizeof(sa.sun_path) - 1);
		goto fail;
	}
	memcpy(sa.sun_path, o->path, strlen(o->path) + 1);
	snprintf(s->path, sizeof(s->path), "%s", o->path);
	if (o->group != NULL) {
		struct group gr, *res = NULL;
		char buf[4096];

		if (getgrnam_r(o->group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
			snprintf(err, errlen, "--control-group %s: no such group", o->group);
			goto fail;
		}
		s->has_group = true;
		s->gid = gr.gr_gid;
		mode = 0660;
	}
	rc = make_parent(o->path);
	if (rc != 0) {
		snprintf(err, errlen, "--control %s: cannot make its directory: %s", o->path,
			 strerror(-rc));
		goto fail;
	}
	if (answers(&sa)) {
		snprintf(err, errlen,
			 "--control %s: another riptide answers on this socket (give each its "
			 "own --control)",
			 o->path);
		errno = EADDRINUSE;
		goto fail;
	}
	unlink(o->path); /* a socket file left by a riptide that is gone */
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || pipe2(s->stop, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "--control %s: %s", o->path, strerror(errno));
		goto fail;
	}
	/* created with the final mode: no moment where others could connect */
	old_mask = umask(0777 & ~mode);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc != 0 || (s->has_group && chown(o->path, (uid_t)-1, s->gid) != 0) ||
	    chmod(o->path, mode) != 0 || listen(s->fd, 16) != 0) {
		snprintf(err, errlen, "--control %s: %s", o->path, strerror(errno));
		goto fail;
	}
	rc = pthread_create(&s->thread, NULL, server_main, s);
	if (rc != 0) {
		snprintf(err, errlen, "--control: cannot start its thread: %s", strerror(rc));
		goto fail;
	}
	pthread_setname_np(s->thread, "rt-control");
	s->started = true;
	return s;
fail:
	ctl_server_stop(s);
	return NULL;
}

void ctl_server_stop(struct ctl_server *s)
{
	if (s == NULL)
		return;
	if (s->started) {
		(void)!write(s->stop[1], "x", 1);
		pthread_join(s->thread, NULL);
	}
	if (s->fd >= 0) {
		close(s->fd);
		unlink(s->path);
	}
	if (s->stop[0] >= 0)
		close(s->stop[0]);
	if (s->stop[1] >= 0)
		close(s->stop[1]);
	free(s);
}

void ctl_server_counters(const struct ctl_server *s, struct ctl_server_counters *c)
{
	c->requests = __atomic_load_n(&s->c.requests, __ATOMIC_RELAXED);
	c->refused_peers = __atomic_load_n(&s->c.refused_peers, __ATOMIC_RELAXED);
	c->bad_requests = __atomic_load_n(&s->c.bad_requests, __ATOMIC_RELAXED);
	c->oversized = __atomic_load_n(&s->c.oversized, __ATOMIC_RELAXED);
	c->timeouts = __atomic_load_n(&s->c.timeouts, __ATOMIC_RELAXED);
}

int ctl_server_chown(const struct ctl_server *s, uid_t uid, gid_t gid)
{
	return chown(s->path, uid, s->has_group ? s->gid : gid) == 0 ? 0 : -errno;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

struct ctl_metrics {
	struct MHD_Daemon *d;
	ctl_stats_fn fn;
	void *ctx;
};

/* Objects whose members are counts by one label. */
static const struct {
	const char *key, *label;
} by_label[] = {
	{ "filtered", "reason" },
	{ "decode_errors", "reason" },
	{ "malformed", "reason" },
	{ "lost", "reason" },
	{ "xdp_dropped", "reason" },
	{ "late_events", "rule" },
	{ "results", "rule" },
	{ "state_full", "rule" },
	{ "outages", "reason" },
	{ "delivered_by_topic", "topic" },
	{ "watermark_lag_ms", "stream" },
};
/* Objects whose members are objects of one thing each: the member's name a label. */
static const struct {
	const char *key, *label;
} by_name[] = {
	{ "streams", "stream" },
	{ "state", "rule" },
	{ "stages", "stage" },
};

static const char *label_of(const char *key, bool nested)
{
	size_t k;

	if (!nested)
		for (k = 0; k < sizeof(by_label) / sizeof(by_label[0]); k++)
			if (strcmp(by_label[k].key, key) == 0)
				return by_label[k].label;
	for (k = 0; k < sizeof(by_name) / sizeof(by_name[0]); k++)
		if (nested && strcmp(by_name[k].key, key) == 0)
			return by_name[k].label;
	return NULL;
}

/* A label value, escaped as the format says (\\, \", \n). */
static void put_label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

/* A metric name from a path: [a-zA-Z0-9_], others become '_'. */
static void put_name(FILE *f, const char *name)
{
	for (; *name; name++)
		fputc((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
				      (*name >= '0' && *name <= '9')
			      ? *name
			      : '_',
		      f);
}

static void sample(FILE *f, const char *name, const char *labels, double v)
{
	fputs("riptide_", f);
	put_name(f, name);
	if (labels[0])
		fprintf(f, "{%s}", labels);
	fprintf(f, " %.17g\n", v);
}

static bool is_histogram(const char *name, json_t *v)
{
	size_t n = strlen(name);

	return json_is_object(v) && n > 11 && strcmp(name + n - 11, "_latency_us") == 0;
}

struct bucket {
	double le; /* INFINITY: +Inf */
	double n;
};

static int by_le(const void *a, const void *b)
{
	double x = ((const struct bucket *)a)->le, y = ((const struct bucket *)b)->le;

	return x < y ? -1 : x > y;
}

/* The stats' histograms are objects {"<le>": count, ..., "+Inf": count} of the
 * buckets that have counts; Prometheus wants them cumulative, in order. */
static void histogram(FILE *f, const char *name, const char *labels, json_t *o)
{
	struct bucket b[64];
	size_t n = 0, k;
	const char *key;
	double cum = 0;
	json_t *x;

	json_object_foreach(o, key, x)
	{
		if (n == 64)
			break;
		b[n].le = strcmp(key, "+Inf") == 0 ? INFINITY : strtod(key, NULL);
		b[n++].n = json_number_value(x);
	}
	qsort(b, n, sizeof(*b), by_le);
	if (n == 0 || !isinf(b[n - 1].le))
		b[n++] = (struct bucket){ INFINITY, 0 };
	for (k = 0; k < n; k++) {
		cum += b[k].n;
		fputs("riptide_", f);
		put_name(f, name);
		fprintf(f, "_bucket{%s%s", labels, labels[0] ? "," : "");
		if (isinf(b[k].le))
			fprintf(f, "le=\"+Inf\"} %.17g\n", cum);
		else
			fprintf(f, "le=\"%.17g\"} %.17g\n", b[k].le, cum);
	}
	fputs("riptide_", f);
	put_name(f, name);
	if (labels[0])
		fprintf(f, "_count{%s} %.17g\n", labels, cum);
	else
		fprintf(f, "_count %.17g\n", cum);
}

static void walk(FILE *f, const char *path, const char *key, const char *labels, json_t *v);

/* labels + name="value" */
static void add_label(char *out, size_t len, const char *labels, const char *name,
		      const char *value)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	if (m == NULL) {
		snprintf(out, len, "%s", labels);
		return;
	}
	fprintf(m, "%s%s", labels, labels[0] ? "," : "");
	put_label(m, name, value);
	fclose(m);
	snprintf(out, len, "%s", buf);
	free(buf);
}

static void walk_object(FILE *f, const char *path, const char *labels, json_t *v, const char *key)
{
	const char *k, *label = key != NULL ? label_of(key, false) : NULL;
	const char *nlabel = key != NULL ? label_of(key, true) : NULL;
	char sub[512], lb[1024];
	json_t *x;

	json_object_foreach(v, k, x)
	{
		if (label != NULL && json_is_number(x)) {
			add_label(lb, sizeof(lb), labels, label, k);
			sample(f, path, lb, json_number_value(x));
			continue;
		}
		if (nlabel != NULL && json_is_object(x)) {
			add_label(lb, sizeof(lb), labels, nlabel, k);
			snprintf(sub, sizeof(sub), "%s", path);
			walk(f, sub, NULL, lb, x);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "_" : "", k);
		walk(f, sub, k, labels, x);
	}
}

/* An array of objects (ports, lcores): their string members and index as labels. */
static void walk_array(FILE *f, const char *path, const char *labels, json_t *a)
{
	char lb[1024], idx[32], sub[512];
	const char *k;
	json_t *o, *x;
	size_t i;

	json_array_foreach(a, i, o)
	{
		snprintf(idx, sizeof(idx), "%zu", i);
		add_label(lb, sizeof(lb), labels, "index", idx);
		if (!json_is_object(o)) {
			if (json_is_number(o))
				sample(f, path, lb, json_number_value(o));
			continue;
		}
		json_object_foreach(o, k, x) if (json_is_string(x))
			add_label(lb, sizeof(lb), lb, k, json_string_value(x));
		json_object_foreach(o, k, x)
		{
			if (json_is_string(x))
				continue;
			snprintf(sub, sizeof(sub), "%s_%s", path, k);
			walk(f, sub, k, lb, x);
		}
	}
}

/* v, the member key of its parent (NULL: none), at path. */
static void walk(FILE *f, const char *path, const char *key, const char *labels, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (is_histogram(path, v))
			histogram(f, path, labels, v);
		else
			walk_object(f, path, labels, v, key);
		break;
	case JSON_ARRAY:
		walk_array(f, path, labels, v);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		sample(f, path, labels, json_number_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		sample(f, path, labels, json_is_true(v) ? 1 : 0);
		break;
	default:
		break; /* strings are labels, not samples */
	}
}

char *ctl_metrics_render(json_t *stats)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	walk(f, "", NULL, "", stats);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct ctl_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;
	char *body = NULL;
	json_t *stats;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		body = strdup("only GET\n");
	} else if (strcmp(url, "/metrics") != 0) {
		code = MHD_HTTP_NOT_FOUND;
		body = strdup("riptide serves /metrics\n");
	} else {
		stats = m->fn(m->ctx);
		body = stats != NULL ? ctl_metrics_render(stats) : NULL;
		json_decref(stats);
		if (body == NULL) {
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
			body = strdup("cannot build the stats\n");
		}
	}
	if (body == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT". Returns 0 or -EINVAL. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[128];
	size_t hl;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL)
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port == 0 || port > 65535)
		goto bad;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			goto bad;
		return 0;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	if (hl == 0)
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "--metrics '%s': expected ADDR:PORT (127.0.0.1:9464, [::1]:9464, :9464)", s);
	return -EINVAL;
}

struct ctl_metrics *ctl_metrics_start(const char *addr_port, ctl_stats_fn fn, void *ctx, char *err,
				      size_t errlen)
{
	struct ctl_metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (m == NULL) {
		snprintf(err, errlen, "--metrics: out of memory");
		return NULL;
	}
	if (parse_addr(addr_port, &ss, err, errlen) != 0) {
		free(m);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->fn = fn;
	m->ctx = ctx;
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)10, MHD_OPTION_END);
	if (m->d == NULL) {
		snprintf(err, errlen,
			 "--metrics %s: cannot listen there (in use, or no such address)",
			 addr_port);
		free(m);
		return NULL;
	}
	return m;
}

void ctl_metrics_stop(struct ctl_metrics *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}

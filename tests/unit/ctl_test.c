/* SPDX-License-Identifier: BSD-3-Clause */
/* The control plane's pieces without a daemon: the request parser, the frames, the
 * socket server (peers, a second server, a stale socket file), the Prometheus text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/ctl_metrics.h"
#include "control/ctl_proto.h"
#include "control/ctl_server.h"
#include "unit.h"

static int parse(const char *s, struct ctl_request *r, char *err)
{
	return ctl_request_parse(s, strlen(s), r, err, 256);
}

static void test_requests(void)
{
	static const struct {
		const char *in, *err; /* err NULL: accepted */
	} cases[] = {
		{ "{\"cmd\":\"status\"}", NULL },
		{ "{\"cmd\":\"stats\"}", NULL },
		{ "{\"cmd\":\"rules.show\"}", NULL },
		{ "{\"cmd\":\"filter.list\"}", NULL },
		{ "{\"cmd\":\"rules.load\",\"file\":\"a\",\"text\":\"x\"}", NULL },
		{ "{\"cmd\":\"rules.check\",\"file\":\"a\",\"text\":\"\"}", NULL },
		{ "{\"cmd\":\"filter.add\",\"prefix\":\"10.0.0.0/8\"}", NULL },
		{ "{\"cmd\":\"filter.rate\",\"pps\":5}", NULL },
		{ "", "request is not JSON" },
		{ "{\"cmd\":", "request is not JSON" },
		{ "[]", "request is not a JSON object" },
		{ "{}", "'cmd' must be a string" },
		{ "{\"cmd\":7}", "'cmd' must be a string" },
		{ "{\"cmd\":\"stats\",\"cmd\":\"status\"}", "request is not JSON" },
		{ "{\"cmd\":\"halt\"}", "unknown command 'halt'" },
		{ "{\"cmd\":\"sta\\u0000ts\"}", "'cmd' holds a NUL byte" },
		{ "{\"cmd\":\"rules.load\",\"text\":\"x\"}", "'file' must be a string" },
		{ "{\"cmd\":\"rules.load\",\"file\":\"a\"}", "'text' must be a string" },
		{ "{\"cmd\":\"filter.del\"}", "'prefix' must be a string" },
		{ "{\"cmd\":\"filter.rate\",\"pps\":-1}",
		  "'pps' must be an integer from 0 to 1000000000" },
		{ "{\"cmd\":\"filter.rate\",\"pps\":1,\"burst\":\"x\"}",
		  "'burst' must be an integer from 0 to 1000000000" },
	};
	struct ctl_request r;
	char err[256];
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int rc = parse(cases[k].in, &r, err);

		if (cases[k].err == NULL) {
			CU_ASSERT_EQUAL(rc, 0);
			if (rc == 0)
				ctl_request_free(&r);
		} else {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			CU_ASSERT_EQUAL(strncmp(err, cases[k].err, strlen(cases[k].err)), 0);
			if (strncmp(err, cases[k].err, strlen(cases[k].err)) != 0)
				fprintf(stderr, "case %zu: %s\n", k, err);
		}
	}
	/* a rule file may hold NUL bytes: its length comes through */
	CU_ASSERT_EQUAL_FATAL(
		parse("{\"cmd\":\"rules.load\",\"file\":\"a\",\"text\":\"a\\u0000b\"}", &r, err),
		0);
	CU_ASSERT_EQUAL(r.cmd, CTL_RULES_LOAD);
	CU_ASSERT_EQUAL(r.text_len, 3);
	ctl_request_free(&r);
	CU_ASSERT_EQUAL_FATAL(parse("{\"cmd\":\"filter.rate\",\"pps\":5,\"burst\":9}", &r, err), 0);
	CU_ASSERT_EQUAL(r.pps, 5);
	CU_ASSERT_EQUAL(r.burst, 9);
	ctl_request_free(&r);
}

static void test_frames(void)
{
	int sv[2];
	char *buf;
	size_t len;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CU_ASSERT_EQUAL(ctl_write_frame(sv[0], "hello", 5), 0);
	CU_ASSERT_EQUAL(ctl_read_frame(sv[1], &buf, &len, 100, 1000), 0);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	free(buf);
	/* longer than the reader takes: refused on its header */
	CU_ASSERT_EQUAL(ctl_write_frame(sv[0], "hello", 5), 0);
	CU_ASSERT_EQUAL(ctl_read_frame(sv[1], &buf, &len, 4, 1000), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(buf);
	CU_ASSERT_EQUAL(read(sv[1], (char[8]){ 0 }, 5), 5);
	/* a header and part of the body, then nothing: the deadline */
	CU_ASSERT_EQUAL(write(sv[0], "\0\0\0\x10{", 5), 5);
	CU_ASSERT_EQUAL(ctl_read_frame(sv[1], &buf, &len, 100, 100), -ETIMEDOUT);
	/* then the writer goes: a truncated frame */
	CU_ASSERT_EQUAL(write(sv[0], "\0\0\0\x10{", 5), 5);
	close(sv[0]);
	CU_ASSERT_EQUAL(ctl_read_frame(sv[1], &buf, &len, 100, 1000), -EPIPE);
	close(sv[1]);
}

static json_t *echo(void *ctx, const struct ctl_request *req)
{
	(*(int *)ctx)++;
	return json_pack("{s:b, s:s}", "ok", 1, "result", ctl_cmd_name(req->cmd));
}

static char *ask(const char *path, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char *buf = NULL;
	size_t len;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    ctl_write_frame(fd, req, strlen(req)) == 0)
		ctl_read_frame(fd, &buf, &len, 1 << 20, 2000);
	close(fd);
	return buf;
}

static void test_server(void)
{
	char dir[] = "/tmp/ctl_test.XXXXXX", path[100], err[256], *r;
	struct ctl_server_counters c;
	struct ctl_server *s, *t;
	int calls = 0, fd;
	struct ctl_server_opts o = { .fn = echo, .ctx = &calls, .timeout_ms = 200 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *gr;
	struct stat sb;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/run/ctl.sock", dir); /* its directory is made */
	o.path = path;
	s = ctl_server_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	r = ask(path, "{\"cmd\":\"stats\"}");
	CU_ASSERT_STRING_EQUAL(r, "{\"ok\":true,\"result\":\"stats\"}");
	free(r);
	r = ask(path, "nonsense");
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "bad request: request is not JSON"));
	free(r);
	/* a second server on the same socket is refused while the first answers */
	t = ctl_server_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another riptide answers on this socket"));
	/* a peer that sends half a header is dropped after the timeout */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CU_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_EQUAL(write(fd, "\0\0", 2), 2);
	r = NULL;
	{
		size_t len;

		CU_ASSERT_EQUAL(ctl_read_frame(fd, &r, &len, 4096, 2000), 0);
	}
	CU_ASSERT_PTR_NOT_NULL(r != NULL ? strstr(r, "request incomplete after 200 ms") : NULL);
	free(r);
	close(fd);
	ctl_server_counters(s, &c);
	CU_ASSERT_EQUAL(c.requests, 1);
	CU_ASSERT_EQUAL(c.bad_requests, 1);
	CU_ASSERT_EQUAL(c.timeouts, 1);
	CU_ASSERT_EQUAL(calls, 1);
	ctl_server_stop(s);
	CU_ASSERT_EQUAL(access(path, F_OK), -1); /* removed */
	/* a socket file left by a server that is gone is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	s = ctl_server_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	r = ask(path, "{\"cmd\":\"status\"}");
	CU_ASSERT_STRING_EQUAL(r, "{\"ok\":true,\"result\":\"status\"}");
	free(r);
	ctl_server_stop(s);
	/* 0600 alone; 0660 to the group given, which owns the file */
	s = ctl_server_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	ctl_server_stop(s);
	gr = getgrnam("daemon");
	CU_ASSERT_PTR_NOT_NULL_FATAL(gr);
	o.group = "daemon";
	s = ctl_server_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0660);
	CU_ASSERT_EQUAL(sb.st_gid, gr->gr_gid);
	ctl_server_stop(s);
	o.group = "no-such-group-here";
	CU_ASSERT_PTR_NULL(ctl_server_start(&o, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--control-group no-such-group-here: no such group");
	snprintf(path, sizeof(path), "%s/run", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_metrics(void)
{
	json_t *st =
		json_loads("{\"rx_packets\":10,\"uptime_s\":1.5,\"filtered\":{\"unknown_port\":2},"
			   "\"results\":{\"big\":3},\"streams\":{\"pay\":{\"events\":4}},"
			   "\"ports\":[{\"input\":\"pcap:a\\\"b\",\"ipackets\":9}],"
			   "\"sink\":{\"kafka\":{\"produced\":5,\"outages\":{\"stalled\":1},"
			   "\"delivery_latency_us\":{\"4\":2,\"1\":1,\"+Inf\":1}}}}",
			   0, NULL);
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	text = ctl_metrics_render(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_rx_packets 10\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_uptime_s 1.5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_filtered{reason=\"unknown_port\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_results{rule=\"big\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_streams_events{stream=\"pay\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "riptide_ports_ipackets{index=\"0\",input=\"pcap:a\\\"b\"} 9\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_sink_kafka_produced 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "riptide_sink_kafka_outages{reason=\"stalled\"} 1\n"));
	/* buckets in order of le, cumulative, +Inf last */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "riptide_sink_kafka_delivery_latency_us_bucket{le=\"1\"} 1\n"
			     "riptide_sink_kafka_delivery_latency_us_bucket{le=\"4\"} 3\n"
			     "riptide_sink_kafka_delivery_latency_us_bucket{le=\"+Inf\"} 4\n"
			     "riptide_sink_kafka_delivery_latency_us_count 4\n"));
	free(text);
	json_decref(st);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "requests", test_requests },
		{ "frames", test_frames },
		{ "server", test_server },
		{ "metrics text", test_metrics },
		{ NULL, NULL },
	};

	return unit_run("ctl", tests);
}

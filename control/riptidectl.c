/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * riptidectl: the control CLI (INTERFACES.md). One request per command over riptide's
 * control socket (ctl_proto.h); human output by default, the daemon's JSON with
 * --json. Exit status: 0 done, 1 the daemon refused (its reason on stderr), 2 bad
 * usage, 3 no daemon answers on the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_proto.h"

#define DEFAULT_SOCKET "/run/riptide/control.sock"

enum { EXIT_DONE = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NO_DAEMON = 3 };

static const char usage[] =
	"usage: riptidectl [--socket PATH] [--json] [--timeout S] COMMAND\n"
	"\n"
	"Talks to a running riptide over its control socket.\n"
	"\n"
	"commands:\n"
	"  status                 version, uptime, ruleset version, ports, lcores, rates\n"
	"  stats                  every counter (a table, or the stats JSON with --json)\n"
	"  top [--count N]        live rates and drops, refreshed every second (N frames,\n"
	"                         default: until interrupted)\n"
	"  rules check FILE       compile FILE in riptide without loading it; errors as\n"
	"                         FILE:LINE:COL\n"
	"  rules load FILE        compile FILE and swap it in without stopping traffic\n"
	"  rules show             the rule set in force, with its version\n"
	"  filter add PREFIX      block a source prefix (IPv4 or IPv6 CIDR)\n"
	"  filter del PREFIX      unblock it\n"
	"  filter list            blocked prefixes and the per-source rate limit, with hits\n"
	"  filter rate PPS [BURST] per-source packet-rate limit (0 = off)\n"
	"\n"
	"options:\n"
	"  --socket PATH   riptide's --control socket (default " DEFAULT_SOCKET ")\n"
	"  --json          print the daemon's JSON reply\n"
	"  --timeout S     how long to wait for the reply (default 120)\n"
	"  -h, --help      this text\n"
	"\n"
	"Exit status: 0 done, 1 riptide refused (the reason on stderr), 2 bad usage,\n"
	"3 no riptide answers on the socket.\n";

struct ctl {
	const char *socket;
	bool json;
	int timeout_ms;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "riptidectl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return EXIT_USAGE;
}

/* Sends req and reads the reply. Returns 0, or an exit status with a message said. */
static int call(const struct ctl *c, json_t *req, json_t **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *text = json_dumps(req, JSON_COMPACT), *buf = NULL;
	json_error_t jerr;
	size_t len;
	int fd = -1, rc, status = EXIT_REFUSED;

	*reply = NULL;
	if (text == NULL) {
		fprintf(stderr, "riptidectl: out of memory\n");
		return EXIT_REFUSED;
	}
	if (strlen(c->socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "riptidectl: --socket %s: path too long\n", c->socket);
		status = EXIT_USAGE;
		goto out;
	}
	memcpy(sa.sun_path, c->socket, strlen(c->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "riptidectl: no riptide answers on %s: %s\n", c->socket,
			strerror(errno));
		status = EXIT_NO_DAEMON;
		goto out;
	}
	rc = ctl_write_frame(fd, text, strlen(text));
	if (rc == 0)
		rc = ctl_read_frame(fd, &buf, &len, CTL_MAX_REPLY, c->timeout_ms);
	if (rc == -EPIPE || rc == -ENODATA || rc == -ECONNRESET) {
		fprintf(stderr, "riptidectl: riptide on %s closed the connection without a reply\n",
			c->socket);
		status = EXIT_NO_DAEMON;
		goto out;
	}
	if (rc != 0) {
		fprintf(stderr, "riptidectl: %s: %s\n", c->socket,
			rc == -ETIMEDOUT ? "no reply in time (--timeout)" : strerror(-rc));
		status = rc == -ETIMEDOUT ? EXIT_NO_DAEMON : EXIT_REFUSED;
		goto out;
	}
	*reply = json_loadb(buf, len, 0, &jerr);
	if (!json_is_object(*reply)) {
		fprintf(stderr, "riptidectl: riptide's reply is not a JSON object\n");
		json_decref(*reply);
		*reply = NULL;
		goto out;
	}
	status = EXIT_DONE;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(text);
	return status;
}

/* The reply's verdict: its errors said on stderr when it refused. */
static int verdict(json_t *reply)
{
	json_t *errs = json_object_get(reply, "errors"), *e;
	size_t k;

	if (json_is_true(json_object_get(reply, "ok")))
		return EXIT_DONE;
	json_array_foreach(errs, k, e)
		fprintf(stderr, "%s\n", json_string_value(e) ? json_string_value(e) : "?");
	fprintf(stderr, "riptidectl: %s\n",
		json_string_value(json_object_get(reply, "error"))
			? json_string_value(json_object_get(reply, "error"))
			: "refused");
	return EXIT_REFUSED;
}

/* ---- human output ---- */

/* Every leaf of v as "path value", one per line. */
static void flatten(const char *path, json_t *v)
{
	char sub[512];
	const char *key;
	json_t *x;
	size_t k;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, x)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			flatten(sub, x);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, k, x)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, k);
			flatten(sub, x);
		}
		break;
	case JSON_STRING:
		printf("%-48s %s\n", path, json_string_value(v));
		break;
	case JSON_INTEGER:
		printf("%-48s %" JSON_INTEGER_FORMAT "\n", path, json_integer_value(v));
		break;
	case JSON_REAL:
		printf("%-48s %.3f\n", path, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		printf("%-48s %s\n", path, json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		printf("%-48s null\n", path);
		break;
	}
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_status(json_t *r)
{
	json_t *rates = json_object_get(r, "rates"), *a, *x;
	size_t k;

	printf("riptide %s, pid %" JSON_INTEGER_FORMAT ", up %.1f s\n",
	       json_string_value(json_object_get(r, "version")), num(r, "pid"),
	       json_real_value(json_object_get(r, "uptime_s")));
	printf("ruleset %" JSON_INTEGER_FORMAT " (%s): %" JSON_INTEGER_FORMAT
	       " stream(s), %" JSON_INTEGER_FORMAT " rule(s)\n",
	       num(r, "ruleset"), json_string_value(json_object_get(r, "rules_file")),
	       num(r, "streams"), num(r, "rules"));
	a = json_object_get(r, "ports");
	json_array_foreach(a, k, x) printf(
		"port %-28s %-14s %d queue(s)\n", json_string_value(json_object_get(x, "input")),
		json_string_value(json_object_get(x, "device")), (int)num(x, "rx_queues"));
	a = json_object_get(r, "lcores");
	json_array_foreach(a, k, x)
		printf("lcore %-3d %-9s %d queue(s)\n", (int)num(x, "lcore"),
		       json_string_value(json_object_get(x, "role")), (int)num(x, "rx_queues"));
	printf("rates (last second): %.0f packets/s, %.0f events/s, %.0f results/s, %.0f "
	       "delivered/s\n",
	       json_number_value(json_object_get(rates, "rx_packets")),
	       json_number_value(json_object_get(rates, "events")),
	       json_number_value(json_object_get(rates, "produced")),
	       json_number_value(json_object_get(rates, "delivered")));
}

static void print_rules(json_t *r)
{
	json_t *rules = json_object_get(r, "rules"), *x;
	size_t k;

	printf("ruleset %" JSON_INTEGER_FORMAT " from %s, loaded %s\n", num(r, "ruleset"),
	       json_string_value(json_object_get(r, "file")),
	       json_string_value(json_object_get(r, "loaded_at")));
	json_array_foreach(rules, k, x)
		printf("  %-10s %-32s stream %s\n", json_string_value(json_object_get(x, "kind")),
		       json_string_value(json_object_get(x, "name")),
		       json_string_value(json_object_get(x, "stream")));
	printf("\n%s", json_string_value(json_object_get(r, "text")));
}

static void print_filter(json_t *r)
{
	json_t *a = json_object_get(r, "blocked"), *x;
	size_t k;

	printf("rate limit: %" JSON_INTEGER_FORMAT
	       " packets/s per source%s, burst %" JSON_INTEGER_FORMAT "\n",
	       num(r, "rate_pps"), num(r, "rate_pps") ? "" : " (off)", num(r, "rate_burst"));
	printf("rate_limited: %" JSON_INTEGER_FORMAT " packets\n", num(r, "rate_limited"));
	printf("blocked prefixes: %zu\n", json_array_size(a));
	json_array_foreach(a, k, x)
		printf("  %-43s %" JSON_INTEGER_FORMAT " hit(s)\n",
		       json_string_value(json_object_get(x, "prefix")), num(x, "hits"));
}

static void print_load(json_t *r)
{
	printf("ruleset %" JSON_INTEGER_FORMAT " in force: %" JSON_INTEGER_FORMAT
	       " rule(s), %" JSON_INTEGER_FORMAT " kept their state, %" JSON_INTEGER_FORMAT
	       " new, %" JSON_INTEGER_FORMAT " removed; compile %.1f ms, swap %.1f ms\n",
	       num(r, "ruleset"), num(r, "rules"), num(r, "carried"), num(r, "added"),
	       num(r, "removed"), json_real_value(json_object_get(r, "compile_ms")),
	       json_real_value(json_object_get(r, "swap_ms")));
}

/* ---- top ---- */

static volatile sig_atomic_t stop_top;

static void on_int(int sig)
{
	(void)sig;
	stop_top = 1;
}

/* The rate of each member of object cur (numbers) against prev over dt seconds, the
 * busiest first, at most max lines. */
static void rates_of(const char *title, json_t *cur, json_t *prev, const char *field, double dt,
		     int max)
{
	const char *key;
	json_t *v;
	int n = 0;

	printf("%s\n", title);
	json_object_foreach(cur, key, v)
	{
		json_t *p = json_object_get(prev, key);
		double a = json_number_value(field ? json_object_get(v, field) : v);
		double b = json_number_value(field ? json_object_get(p, field) : p);

		if (n++ == max)
			break;
		printf("  %-32s %12.0f /s %16.0f\n", key, (a - b) / dt, a);
	}
}

static void drops(const char *group, json_t *cur, json_t *prev, double dt)
{
	const char *key;
	json_t *v;

	json_object_foreach(cur, key, v)
	{
		double a = json_number_value(v), b = json_number_value(json_object_get(prev, key));

		if (a > 0)
			printf("  %-14s %-20s %12.0f /s %16.0f\n", group, key, (a - b) / dt, a);
	}
}

/* The q-quantile of what histogram cur (stats' *_latency_us: {"LE": count}, LE 1,
 * 2, 4, ... microseconds, then "+Inf") counted since prev: the upper bound of its
 * bucket, -1 for +Inf; 0 when nothing was counted. *n gets the count. */
static double quantile(json_t *cur, json_t *prev, double q, int64_t *n)
{
	double total = 0, acc = 0, le;
	char key[24];
	int pass;

	/* twice over the buckets in order: the total, then where it reaches q */
	for (pass = 0; pass < 2; pass++) {
		for (le = 1; le <= 0x1p62; le *= 2) {
			const char *k = le < 0x1p62 ? key : "+Inf";
			double c;

			snprintf(key, sizeof(key), "%.0f", le);
			c = json_number_value(json_object_get(cur, k)) -
			    json_number_value(json_object_get(prev, k));
			if (pass == 0) {
				total += c;
				continue;
			}
			acc += c;
			if (total > 0 && acc >= q * total)
				return le < 0x1p62 ? le : -1;
		}
		*n = (int64_t)total;
	}
	return 0;
}

static void latency_line(const char *what, json_t *cur, json_t *prev)
{
	int64_t n;
	double p50 = quantile(cur, prev, 0.5, &n), p99 = quantile(cur, prev, 0.99, &n);
	char a[24], b[24];

	if (n == 0) {
		printf("  %-20s none this interval\n", what);
		return;
	}
	snprintf(a, sizeof(a), p50 < 0 ? "+Inf" : "%.0f", p50);
	snprintf(b, sizeof(b), p99 < 0 ? "+Inf" : "%.0f", p99);
	printf("  %-20s p50 < %8s us  p99 < %8s us  (%" PRId64 " timed)\n", what, a, b, n);
}

static void top_frame(json_t *cur, json_t *prev, double dt)
{
	json_t *a = json_object_get(cur, "ports"), *pa = json_object_get(prev, "ports"), *x;
	json_t *live = json_object_get(cur, "live"), *lag, *kafka;
	const char *key;
	size_t k;

	printf("riptide: ruleset %" JSON_INTEGER_FORMAT ", up %.0f s, %.0f packets/s, %.0f "
	       "events/s, %.0f results/s, %.0f delivered/s\n",
	       num(cur, "ruleset"), json_real_value(json_object_get(cur, "uptime_s")),
	       (double)(num(cur, "rx_packets") - num(prev, "rx_packets")) / dt,
	       (double)(num(cur, "events") - num(prev, "events")) / dt,
	       (double)(num(cur, "produced") - num(prev, "produced")) / dt,
	       (double)(num(cur, "delivered") - num(prev, "delivered")) / dt);
	printf("ports\n");
	json_array_foreach(a, k, x)
	{
		json_t *p = json_array_get(pa, k);

		printf("  %-32s %12.0f /s  imissed %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(x, "input")),
		       (double)(num(x, "ipackets") - num(p, "ipackets")) / dt, num(x, "imissed"));
	}
	printf("lcores\n");
	a = json_object_get(cur, "lcores");
	pa = json_object_get(prev, "lcores");
	json_array_foreach(a, k, x)
	{
		json_t *p = json_array_get(pa, k);
		json_t *ring = json_array_get(json_object_get(live, "result_ring_fill"), k);

		printf("  lcore %-3d %-9s %12.0f packets/s  result ring %5.1f%%\n",
		       (int)num(x, "lcore"), json_string_value(json_object_get(x, "role")),
		       (double)(num(x, "rx_packets") - num(p, "rx_packets")) / dt,
		       100.0 * json_number_value(ring));
	}
	rates_of("streams (events)", json_object_get(cur, "streams"),
		 json_object_get(prev, "streams"), "events", dt, 20);
	rates_of("rules (results)", json_object_get(cur, "results"),
		 json_object_get(prev, "results"), NULL, dt, 20);
	printf("drops\n");
	drops("filtered", json_object_get(cur, "filtered"), json_object_get(prev, "filtered"), dt);
	drops("decode_errors", json_object_get(cur, "decode_errors"),
	      json_object_get(prev, "decode_errors"), dt);
	drops("malformed", json_object_get(cur, "malformed"), json_object_get(prev, "malformed"),
	      dt);
	drops("lost", json_object_get(cur, "lost"), json_object_get(prev, "lost"), dt);
	drops("xdp_dropped", json_object_get(cur, "xdp_dropped"),
	      json_object_get(prev, "xdp_dropped"), dt);
	printf("kafka queue %" JSON_INTEGER_FORMAT " message(s), spool %" JSON_INTEGER_FORMAT
	       " record(s)\n",
	       num(live, "kafka_queue"), num(live, "spool_records"));
	printf("latency (this interval)\n");
	latency_line("RX to result", json_object_get(cur, "rx_to_result_latency_us"),
		     json_object_get(prev, "rx_to_result_latency_us"));
	kafka = json_object_get(json_object_get(cur, "sink"), "kafka");
	if (kafka != NULL) {
		json_t *pk = json_object_get(json_object_get(prev, "sink"), "kafka");

		latency_line("result to delivery", json_object_get(kafka, "delivery_latency_us"),
			     json_object_get(pk, "delivery_latency_us"));
		latency_line("RX to delivery", json_object_get(kafka, "rx_to_ack_latency_us"),
			     json_object_get(pk, "rx_to_ack_latency_us"));
	}
	printf("watermark lag (ms)\n");
	json_object_foreach(json_object_get(live, "watermark_lag_ms"), key, lag)
		printf("  %-32s %12" JSON_INTEGER_FORMAT "\n", key, json_integer_value(lag));
}

static int cmd_top(const struct ctl *c, int count)
{
	json_t *req = json_pack("{s:s}", "cmd", "stats"), *prev = NULL, *cur = NULL, *reply;
	struct timespec t0, t1, nap = { .tv_sec = 1 };
	bool tty = isatty(STDOUT_FILENO);
	int status, frames = 0;

	signal(SIGINT, on_int);
	status = call(c, req, &reply);
	if (status == EXIT_DONE && (status = verdict(reply)) == EXIT_DONE)
		prev = json_incref(json_object_get(reply, "result"));
	json_decref(reply);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (status == EXIT_DONE && !stop_top && (count <= 0 || frames < count)) {
		nanosleep(&nap, NULL);
		status = call(c, req, &reply);
		if (status != EXIT_DONE || (status = verdict(reply)) != EXIT_DONE) {
			json_decref(reply);
			break;
		}
		cur = json_incref(json_object_get(reply, "result"));
		json_decref(reply);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (tty)
			printf("\033[H\033[2J");
		top_frame(cur, prev,
			  (double)(t1.tv_sec - t0.tv_sec) +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		fflush(stdout);
		json_decref(prev);
		prev = cur;
		t0 = t1;
		frames++;
	}
	json_decref(prev);
	json_decref(req);
	return status;
}

/* ---- commands ---- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			char *b;

			cap = cap ? cap * 2 : 65536;
			if (cap > CTL_MAX_REQUEST) {
				errno = EFBIG;
				goto fail;
			}
			b = realloc(buf, cap);
			if (b == NULL)
				goto fail;
			buf = b;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		goto fail;
	fclose(f);
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/* Runs one request and prints its result: how, by command. */
static int run(const struct ctl *c, json_t *req, void (*print)(json_t *))
{
	json_t *reply;
	int status = call(c, req, &reply);

	json_decref(req);
	if (status != EXIT_DONE)
		return status;
	if (c->json)
		json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	status = verdict(reply);
	if (c->json)
		printf("\n");
	else if (status == EXIT_DONE && print != NULL)
		print(json_object_get(reply, "result"));
	json_decref(reply);
	return status;
}

static void print_stats(json_t *r)
{
	flatten("", r);
}

static void print_ok(json_t *r)
{
	const char *msg = json_string_value(json_object_get(r, "message"));

	if (msg != NULL)
		printf("%s\n", msg);
}

static int rules_file(const struct ctl *c, const char *cmd, const char *path,
		      void (*print)(json_t *))
{
	size_t len = 0;
	char *text = read_file(path, &len);
	json_t *req;

	if (text == NULL) {
		fprintf(stderr, "riptidectl: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s, s:s%}", "cmd", cmd, "file", path, "text", text, len);
	free(text);
	if (req == NULL) {
		fprintf(stderr, "riptidectl: out of memory\n");
		return EXIT_REFUSED;
	}
	return run(c, req, print);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *s != '-' && *v <= 1000000000;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .socket = DEFAULT_SOCKET, .timeout_ms = 120000 };
	uint64_t v, burst = 0;
	int opt, count = 0, n;
	const char *cmd, *sub;

	while ((opt = getopt_long(argc, argv, "+hjs:t:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.socket = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			if (!parse_u64(optarg, &v) || v == 0 || v > 86400)
				return usage_error("--timeout '%s': expected 1 to 86400 s", optarg);
			c.timeout_ms = (int)v * 1000;
			break;
		case 'n':
			if (!parse_u64(optarg, &v) || v == 0)
				return usage_error("--count '%s': expected a positive number",
						   optarg);
			count = (int)v;
			break;
		case 'h':
			printf("%s", usage);
			return EXIT_DONE;
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	n = argc - optind;
	if (n == 0)
		return usage_error("%s", "expected a command");
	cmd = argv[optind];
	sub = n >= 2 ? argv[optind + 1] : "";
	if (strcmp(cmd, "status") == 0 && n == 1)
		return run(&c, json_pack("{s:s}", "cmd", "status"), print_status);
	if (strcmp(cmd, "stats") == 0 && n == 1)
		return run(&c, json_pack("{s:s}", "cmd", "stats"), print_stats);
	if (strcmp(cmd, "top") == 0) {
		if (n == 3 && strcmp(sub, "--count") == 0) {
			if (!parse_u64(argv[optind + 2], &v) || v == 0)
				return usage_error("--count '%s': expected a positive number",
						   argv[optind + 2]);
			count = (int)v;
		} else if (n != 1) {
			return usage_error("%s", "expected top [--count N]");
		}
		return cmd_top(&c, count);
	}
	if (strcmp(cmd, "rules") == 0) {
		if (strcmp(sub, "check") == 0 && n == 3)
			return rules_file(&c, "rules.check", argv[optind + 2], print_ok);
		if (strcmp(sub, "load") == 0 && n == 3)
			return rules_file(&c, "rules.load", argv[optind + 2], print_load);
		if (strcmp(sub, "show") == 0 && n == 2)
			return run(&c, json_pack("{s:s}", "cmd", "rules.show"), print_rules);
		return usage_error("%s",
				   "expected rules check FILE, rules load FILE or rules show");
	}
	if (strcmp(cmd, "filter") == 0) {
		if ((strcmp(sub, "add") == 0 || strcmp(sub, "del") == 0) && n == 3)
			return run(&c,
				   json_pack("{s:s, s:s}", "cmd",
					     sub[0] == 'a' ? "filter.add" : "filter.del", "prefix",
					     argv[optind + 2]),
				   print_ok);
		if (strcmp(sub, "list") == 0 && n == 2)
			return run(&c, json_pack("{s:s}", "cmd", "filter.list"), print_filter);
		if (strcmp(sub, "rate") == 0 && (n == 3 || n == 4)) {
			if (!parse_u64(argv[optind + 2], &v))
				return usage_error("filter rate '%s': expected packets per second, "
						   "0 to 1000000000",
						   argv[optind + 2]);
			if (n == 4 && (!parse_u64(argv[optind + 3], &burst) || burst == 0))
				return usage_error("filter rate: burst '%s': expected 1 to "
						   "1000000000",
						   argv[optind + 3]);
			return run(&c,
				   json_pack("{s:s, s:I, s:I}", "cmd", "filter.rate", "pps",
					     (json_int_t)v, "burst", (json_int_t)burst),
				   print_ok);
		}
		return usage_error("%s", "expected filter add|del PREFIX, filter list or filter "
					 "rate PPS [BURST]");
	}
	return usage_error("unknown command '%s'", cmd);
}

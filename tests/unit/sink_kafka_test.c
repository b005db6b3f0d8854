/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Kafka sink against librdkafka's mock cluster, with faults injected: transient
 * produce errors (retried by librdkafka, nothing spooled), a broker whose round trip
 * is longer than message.timeout.ms (results spooled, replayed once it is fast again,
 * none lost; without a spool counted as lost{kafka_timed_out}), a fatal idempotence
 * error (results spooled, a new producer, none lost), retries purged to the spool by an
 * outage (counted as possibly persisted: at most that many arrive twice), and the
 * configuration checks.
 * A consumer on the same mock cluster reads back what arrived. The real broker is in
 * tests/integration/kafka_delivery.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "sinks/sink_kafka.h"
#include "unit.h"

/* The Kafka protocol's ApiKey of Produce requests (librdkafka keeps its table private). */
#define KAFKA_API_PRODUCE 0

static char dir[64];

/* A test's cluster, with the topic "seq" and the sink's topics and counters. */
struct mock {
	rd_kafka_t *owner;
	rd_kafka_mock_cluster_t *mc;
	char bootstraps[256];
	struct sink_topics t;
	struct sink_counters c;
};

static void mock_up(struct mock *m)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	memset(m, 0, sizeof(*m));
	CU_ASSERT(sink_topics_add(&m->t, "seq") == 0);

	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	CU_ASSERT_FATAL(m->owner != NULL);
	m->mc = rd_kafka_mock_cluster_new(m->owner, 1);
	CU_ASSERT_FATAL(m->mc != NULL);
	snprintf(m->bootstraps, sizeof(m->bootstraps), "%s",
		 rd_kafka_mock_cluster_bootstraps(m->mc));
	CU_ASSERT(rd_kafka_mock_topic_create(m->mc, "seq", 1, 1) == 0);
}

static void mock_down(struct mock *m)
{
	sink_topics_free(&m->t);
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->owner);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A producer on the mock cluster with the given extra properties (key=value lines). */
static struct sink_kafka *producer(struct mock *m, const char *props, struct spool *sp)
{
	char path[128], err[512];
	rd_kafka_conf_t *conf;
	struct sink_kafka *k;
	FILE *f;

	snprintf(path, sizeof(path), "%s.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "log_level=0\n%s", props);
	fclose(f);
	conf = sink_kafka_conf(m->bootstraps, path, err, sizeof(err));
	unlink(path);
	CU_ASSERT_FATAL(conf != NULL);
	k = sink_kafka_new(conf, &m->t, sp, &m->c, 1000, err, sizeof(err));
	CU_ASSERT_FATAL(k != NULL);
	return k;
}

/* A fresh spool of max bytes (0: unbounded) in segments of seg bytes. */
static struct spool *spool_bounded(uint64_t max, uint64_t seg, enum spool_full full)
{
	struct spool_opts o = { .dir = dir, .max_bytes = max, .segment_bytes = seg, .full = full };
	char err[256], cmd[128];
	struct spool *sp;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT(system(cmd) == 0);
	sp = spool_open(&o, err, sizeof(err));
	CU_ASSERT_FATAL(sp != NULL);
	return sp;
}

static struct spool *spool_new(void)
{
	return spool_bounded(0, 65536, SPOOL_FULL_WAIT);
}

/* The RX stamp send_one gives its results (0: none). */
static uint64_t send_rx;

/* Result "<n>", keyed k<n % 7>. Returns what sink_kafka_send does. */
static int send_one(struct sink_kafka *k, unsigned int n)
{
	char v[16], key[16];
	int len = snprintf(v, sizeof(v), "%u", n);
	int kl = snprintf(key, sizeof(key), "k%u", n % 7);

	return sink_kafka_send(k, 0, (const uint8_t *)key, (size_t)kl, (const uint8_t *)v,
			       (size_t)len, send_rx);
}

/* Sends results "<n>" for n in [from, to), polling as the sink thread does. */
static void send_range(struct sink_kafka *k, unsigned int from, unsigned int to)
{
	unsigned int n;

	for (n = from; n < to; n++) {
		while (send_one(k, n) == -EAGAIN)
			sink_kafka_poll(k, now_ns());
		if (n % 64 == 0) {
			sink_kafka_flush(k);
			sink_kafka_poll(k, now_ns());
		}
	}
	sink_kafka_flush(k);
}

/* Polls until every result is delivered or lost (or seconds pass). */
static int run_until_idle(struct sink_kafka *k, int seconds)
{
	uint64_t end = now_ns() + (uint64_t)seconds * 1000000000u;

	while (now_ns() < end) {
		sink_kafka_poll(k, now_ns());
		if (sink_kafka_idle(k))
			return 1;
		usleep(2000);
	}
	return 0;
}

/* What arrived in topic seq: counts of each value below n, how many were out of order
 * per key (a value below the key's last), and the total read. */
struct got {
	unsigned int *count;
	unsigned int total, out_of_order, missing, twice;
};

static void consume(const struct mock *m, unsigned int n, struct got *g)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	unsigned int last[7] = { 0 }, seen[7] = { 0 }, k;
	uint64_t end = now_ns() + 10000000000ull, idle_since = 0;
	char err[256];
	rd_kafka_t *c;

	memset(g, 0, sizeof(*g));
	g->count = calloc(n, sizeof(*g->count));
	rd_kafka_conf_set(conf, "bootstrap.servers", m->bootstraps, err, sizeof(err));
	rd_kafka_conf_set(conf, "group.id", "check", err, sizeof(err));
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(parts, "seq", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	CU_ASSERT(rd_kafka_assign(c, parts) == 0);
	rd_kafka_topic_partition_list_destroy(parts);
	while (now_ns() < end) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
		unsigned int v, key;

		if (msg == NULL) {
			/* everything read once nothing comes for a second after n */
			if (g->total >= n && idle_since && now_ns() - idle_since > 1000000000ull)
				break;
			if (!idle_since)
				idle_since = now_ns();
			continue;
		}
		idle_since = 0;
		if (msg->err == 0 && msg->len < 16 && msg->key_len == 2) {
			char b[16];

			memcpy(b, msg->payload, msg->len);
			b[msg->len] = '\0';
			v = (unsigned int)strtoul(b, NULL, 10);
			key = (unsigned int)(((const char *)msg->key)[1] - '0');
			if (v < n && key < 7 && key == v % 7) {
				g->count[v]++;
				g->total++;
				if (seen[key] && v < last[key])
					g->out_of_order++;
				seen[key] = 1;
				last[key] = v;
			}
		}
		rd_kafka_message_destroy(msg);
	}
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	for (k = 0; k < n; k++) {
		g->missing += g->count[k] == 0;
		g->twice += g->count[k] > 1;
	}
	free(g->count);
}

static uint64_t lost_total(const struct sink_counters *c)
{
	uint64_t n = 0;
	unsigned int k;

	for (k = 0; k < SINK_LOST__COUNT; k++)
		n += c->lost[k];
	return n;
}

/* A producer with a spool on a fresh cluster, its first n results delivered. */
static struct sink_kafka *started(struct mock *m, const char *props, unsigned int n)
{
	struct sink_kafka *k;

	mock_up(m);
	k = producer(m, props, spool_new());
	send_range(k, 0, n);
	CU_ASSERT(run_until_idle(k, 10));
	return k;
}

static void test_transient_errors(void)
{
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	struct got g;

	mock_up(&m);
	/* five produce requests fail with errors a broker gives while it is busy or
	 * moving leaders: librdkafka retries them, idempotence keeps them once */
	rd_kafka_mock_push_request_errors(
		m.mc, KAFKA_API_PRODUCE, 5, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
		RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
		RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
		RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
	k = producer(&m, "retry.backoff.ms=10\n", spool_new());
	send_range(k, 0, 2000);
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 1000, &fin);
	CU_ASSERT_EQUAL(m.c.delivered, 2000);
	CU_ASSERT_EQUAL(m.c.topic[0], 2000);
	CU_ASSERT_EQUAL(m.c.spooled, 0);
	CU_ASSERT_EQUAL(lost_total(&m.c), 0);
	CU_ASSERT_EQUAL(fin.backlog, 0);
	consume(&m, 2000, &g);
	CU_ASSERT_EQUAL(g.total, 2000);
	CU_ASSERT_EQUAL(g.missing, 0);
	CU_ASSERT_EQUAL(g.twice, 0);
	CU_ASSERT_EQUAL(g.out_of_order, 0);
	mock_down(&m);
}

/* The RX stamps' clock in test_rx_to_ack: stands still at 10 s, a tick a microsecond. */
static uint64_t fake_ticks(void)
{
	return 10000000;
}

/* Results stamped 5 ms before the clock's reading count 5 ms from RX to the
 * acknowledgement (the bucket [4096, 8192) us), whatever the produce took; results
 * without a stamp count untimed. */
static void test_rx_to_ack(void)
{
	const struct sink_kafka_stats *st;
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	uint64_t timed = 0;
	unsigned int b;

	mock_up(&m);
	k = producer(&m, "", NULL);
	sink_kafka_rx_clock(k, fake_ticks, 1ull << 32);
	send_rx = fake_ticks() - 5000;
	send_range(k, 0, 300);
	send_rx = 0;
	send_range(k, 300, 400);
	CU_ASSERT(run_until_idle(k, 30));
	st = sink_kafka_stats(k);
	for (b = 0; b < SINK_LAT_BUCKETS; b++)
		timed += st->rx_latency_us[b];
	CU_ASSERT_EQUAL(st->rx_latency_us[sink_lat_bucket(5000)], 300);
	CU_ASSERT_EQUAL(sink_lat_bucket(5000), 13); /* [4096, 8192) */
	CU_ASSERT_EQUAL(timed, 300);
	CU_ASSERT_EQUAL(st->rx_untimed, 100);
	CU_ASSERT_EQUAL(m.c.delivered, 400);
	sink_kafka_close(k, 1000, &fin);
	mock_down(&m);
}

/* A round trip of 3 s against a message timeout of 1 s. */
static void slow_broker(int with_spool)
{
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	struct got g;
	unsigned int n;
	uint64_t t0;

	mock_up(&m);
	k = producer(&m, "message.timeout.ms=1000\nlinger.ms=1\n", with_spool ? spool_new() : NULL);
	/* connected and fast first */
	send_range(k, 0, 100);
	CU_ASSERT(run_until_idle(k, 10));
	CU_ASSERT_EQUAL(m.c.delivered, 100);
	rd_kafka_mock_broker_set_rtt(m.mc, 1, 3000);
	/* 3 s of a slow broker while results keep coming, 10 every 50 ms: requests
	 * wait for their answers (5 in flight at most), results queue behind them */
	t0 = now_ns();
	for (n = 100; n < 700; n += 10) {
		send_range(k, n, n + 10);
		while (now_ns() - t0 < (uint64_t)(n - 100) * 5000000u) {
			sink_kafka_poll(k, now_ns());
			usleep(2000);
		}
	}
	send_range(k, 700, 800);
	rd_kafka_mock_broker_set_rtt(m.mc, 1, 0);
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 5000, &fin);
	consume(&m, 800, &g);
	if (with_spool) {
		/* every result arrives; those that timed out in flight may twice */
		CU_ASSERT(m.c.spooled > 0);
		CU_ASSERT(fin.st.replayed > 0);
		CU_ASSERT(fin.st.outages[SINK_OUTAGE_DELIVERY_FAILED] +
				  fin.st.outages[SINK_OUTAGE_STALLED] >=
			  1);
		CU_ASSERT_EQUAL(m.c.delivered, 800 + fin.st.replayed - m.c.spooled);
		CU_ASSERT_EQUAL(lost_total(&m.c), 0);
		CU_ASSERT_EQUAL(fin.backlog, 0);
		CU_ASSERT_EQUAL(g.missing, 0);
		CU_ASSERT(g.total >= 800);
		/* each result that arrived twice was one the broker may have had */
		CU_ASSERT(fin.st.possibly_persisted > 0);
		CU_ASSERT(g.twice <= fin.st.possibly_persisted);
	} else {
		/* none silently: what timed out is counted, the rest arrived */
		CU_ASSERT(m.c.lost[SINK_LOST_KAFKA_TIMED_OUT] > 0);
		CU_ASSERT_EQUAL(m.c.delivered + m.c.lost[SINK_LOST_KAFKA_TIMED_OUT], 800);
		CU_ASSERT_EQUAL(m.c.spooled, 0);
		CU_ASSERT(g.total - g.twice >= m.c.delivered);
		/* a lost result that arrived anyway was one the broker may have had */
		CU_ASSERT(g.total - g.twice - m.c.delivered <= fin.st.possibly_persisted);
	}
	mock_down(&m);
}

static void test_slow_broker_spool(void)
{
	slow_broker(1);
}

static void test_slow_broker_no_spool(void)
{
	slow_broker(0);
}

static void test_fatal(void)
{
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	struct got g;

	k = started(&m, "linger.ms=1\n", 300);
	/* the broker answers a produce request with a sequence number it did not
	 * expect: the idempotent producer is out of sync with the broker, a fatal
	 * error, and that producer can send nothing more */
	rd_kafka_mock_push_request_errors(m.mc, KAFKA_API_PRODUCE, 1,
					  RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	send_range(k, 300, 1000);
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 5000, &fin);
	CU_ASSERT(fin.st.outages[SINK_OUTAGE_FATAL] >= 1);
	CU_ASSERT(fin.st.producer_restarts >= 1);
	CU_ASSERT(m.c.spooled > 0);
	CU_ASSERT_EQUAL(lost_total(&m.c), 0);
	CU_ASSERT_EQUAL(fin.backlog, 0);
	consume(&m, 1000, &g);
	CU_ASSERT_EQUAL(g.missing, 0);
	CU_ASSERT_EQUAL(g.out_of_order, 0);
	mock_down(&m);
}

/* Polls for ms milliseconds, as the sink thread does while idle. */
static void poll_for(struct sink_kafka *k, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;

	while (now_ns() < end) {
		sink_kafka_poll(k, now_ns());
		usleep(2000);
	}
}

/* The broker goes down with requests under way (written, the answer not yet sent: a
 * round trip of 500 ms), as a broker stopped under load does: librdkafka keeps them to
 * retry, the outage purges them to the spool, and the replay sends them again: each
 * copy that arrives twice was counted as possibly persisted, and none is lost. */
static void test_down_in_flight(void)
{
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	struct got g;

	k = started(&m, "linger.ms=1\n", 100);
	rd_kafka_mock_broker_set_rtt(m.mc, 1, 500);
	send_range(k, 100, 200);
	poll_for(k, 200);
	rd_kafka_mock_broker_set_down(m.mc, 1);
	poll_for(k, 2000);
	send_range(k, 200, 300);
	rd_kafka_mock_broker_set_rtt(m.mc, 1, 0);
	rd_kafka_mock_broker_set_up(m.mc, 1);
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 1000, &fin);
	CU_ASSERT(fin.st.outages[SINK_OUTAGE_BROKERS_DOWN] >= 1);
	CU_ASSERT(fin.st.possibly_persisted > 0);
	CU_ASSERT_EQUAL(lost_total(&m.c), 0);
	consume(&m, 300, &g);
	CU_ASSERT_EQUAL(g.missing, 0);
	CU_ASSERT(g.twice <= fin.st.possibly_persisted);
	mock_down(&m);
}

/* Produce requests that time out on the broker (librdkafka cannot know whether it
 * wrote them) retried for longer than --kafka-stall-ms: the stall purges the retries
 * to the spool, counted as possibly persisted, and the replay delivers them once. */
static void test_retry_purged(void)
{
	static const rd_kafka_resp_err_t timed_out = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	static struct mock m;
	unsigned int e;
	struct got g;

	k = started(&m, "linger.ms=1\nretry.backoff.ms=100\n", 100);
	for (e = 0; e < 20; e++) /* 2 s of answers "timed out" */
		rd_kafka_mock_push_request_errors_array(m.mc, KAFKA_API_PRODUCE, 1, &timed_out);
	send_range(k, 100, 200);
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 1000, &fin);
	CU_ASSERT(fin.st.outages[SINK_OUTAGE_STALLED] >= 1);
	CU_ASSERT(fin.st.possibly_persisted > 0);
	CU_ASSERT(m.c.spooled >= fin.st.possibly_persisted);
	CU_ASSERT_EQUAL(fin.st.replayed, m.c.spooled);
	CU_ASSERT_EQUAL(m.c.delivered, 200);
	CU_ASSERT_EQUAL(lost_total(&m.c), 0);
	consume(&m, 200, &g);
	CU_ASSERT_EQUAL(g.missing, 0);
	CU_ASSERT(g.twice <= fin.st.possibly_persisted);
	CU_ASSERT_EQUAL(g.out_of_order, 0);
	mock_down(&m);
}

/* The broker down and a spool of 16 KiB: drop-newest drops (counted) and never holds
 * the sink back; wait holds results back (-EAGAIN), loses none, and lets them through
 * once the broker is back and the replay makes room. */
static void test_spool_full(void)
{
	static struct mock m;
	struct sink_kafka_final fin;
	struct sink_kafka *k;
	unsigned int n, refused = 0;
	struct got g;

	mock_up(&m);
	rd_kafka_mock_broker_set_down(m.mc, 1);
	k = producer(&m, "", spool_bounded(16384, 4096, SPOOL_FULL_DROP_NEWEST));
	poll_for(k, 1500); /* librdkafka finds no broker: the sink turns to the spool */
	for (n = 0; n < 2000; n++)
		refused += send_one(k, n) == -EAGAIN;
	sink_kafka_flush(k);
	poll_for(k, 1500);
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT(m.c.lost[SINK_LOST_SPOOL_FULL] > 0);
	CU_ASSERT(m.c.spooled > 0);
	sink_kafka_close(k, 0, &fin);
	/* everything sent is spooled (and still there) or counted */
	CU_ASSERT_EQUAL(m.c.spooled + m.c.lost[SINK_LOST_SPOOL_FULL], 2000);
	CU_ASSERT_EQUAL(fin.backlog, m.c.spooled);
	CU_ASSERT(fin.spool_bytes <= 16384);
	mock_down(&m);

	mock_up(&m);
	rd_kafka_mock_broker_set_down(m.mc, 1);
	k = producer(&m, "linger.ms=1\n", spool_bounded(16384, 4096, SPOOL_FULL_WAIT));
	poll_for(k, 1500);
	for (n = 0; n < 2000 && send_one(k, n) == 0; n++)
		;
	CU_ASSERT(n < 2000); /* held back once the spool is full */
	CU_ASSERT_EQUAL(send_one(k, n), -EAGAIN);
	rd_kafka_mock_broker_set_up(m.mc, 1);
	send_range(k, n, 2000); /* the replay makes room: the rest gets through */
	CU_ASSERT(run_until_idle(k, 30));
	sink_kafka_close(k, 1000, &fin);
	CU_ASSERT_EQUAL(lost_total(&m.c), 0);
	CU_ASSERT_EQUAL(fin.backlog, 0);
	consume(&m, 2000, &g);
	CU_ASSERT_EQUAL(g.missing, 0);
	CU_ASSERT_EQUAL(g.twice, 0);
	CU_ASSERT_EQUAL(g.out_of_order, 0);
	mock_down(&m);
}

static void test_conf(void)
{
	char path[128], err[512];
	rd_kafka_conf_t *conf;
	FILE *f;

	snprintf(path, sizeof(path), "%s.props", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "# comment\n\ncompression.codec = zstd\nlinger.ms=20\nno.such.property=1\n");
	fclose(f);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, ".props:5: ") != NULL && strstr(err, "no.such.property") != NULL);

	f = fopen(path, "w");
	fprintf(f, "acks=1\n");
	fclose(f);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, ":1: acks") != NULL);
	f = fopen(path, "w");
	fprintf(f, "enable.idempotence=false\n");
	fclose(f);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err)) == NULL);
	f = fopen(path, "w");
	fprintf(f, "bootstrap.servers=elsewhere:9092\n");
	fclose(f);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "--kafka") != NULL);
	f = fopen(path, "w");
	fprintf(f, "linger.ms\n");
	fclose(f);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, ":1: expected key=value") != NULL);

	/* valid: the file's values, riptide's fixed ones */
	f = fopen(path, "w");
	fprintf(f, "compression.codec=zstd\nlinger.ms = 20\nacks=all\n");
	fclose(f);
	conf = sink_kafka_conf("127.0.0.1:9", path, err, sizeof(err));
	CU_ASSERT_FATAL(conf != NULL);
	{
		char v[64];
		size_t n = sizeof(v);

		CU_ASSERT(rd_kafka_conf_get(conf, "compression.codec", v, &n) == RD_KAFKA_CONF_OK &&
			  strcmp(v, "zstd") == 0);
		n = sizeof(v);
		CU_ASSERT(rd_kafka_conf_get(conf, "enable.idempotence", v, &n) ==
				  RD_KAFKA_CONF_OK &&
			  strcmp(v, "true") == 0);
		n = sizeof(v);
		CU_ASSERT(rd_kafka_conf_get(conf, "acks", v, &n) == RD_KAFKA_CONF_OK &&
			  strcmp(v, "-1") == 0);
		n = sizeof(v);
		CU_ASSERT(rd_kafka_conf_get(conf, "bootstrap.servers", v, &n) == RD_KAFKA_CONF_OK &&
			  strcmp(v, "127.0.0.1:9") == 0);
	}
	rd_kafka_conf_destroy(conf);
	CU_ASSERT(sink_kafka_conf("127.0.0.1:9", "/nonexistent/k.props", err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "/nonexistent/k.props") != NULL);
	unlink(path);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "configuration: file, errors located, fixed properties", test_conf },
		{ "mock cluster: transient produce errors", test_transient_errors },
		{ "mock cluster: RX to acknowledgement from the results' RX stamps",
		  test_rx_to_ack },
		{ "mock cluster: RTT above message.timeout.ms, spooled", test_slow_broker_spool },
		{ "mock cluster: RTT above message.timeout.ms, no spool",
		  test_slow_broker_no_spool },
		{ "mock cluster: fatal idempotence error", test_fatal },
		{ "mock cluster: retries purged by a stall, possibly persisted",
		  test_retry_purged },
		{ "mock cluster: broker down with requests under way", test_down_in_flight },
		{ "mock cluster: broker down, spool full: drop-newest, wait", test_spool_full },
		{ NULL, NULL },
	};
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/riptide-kafka-test.%d", (int)getpid());
	rc = unit_run("sink_kafka", tests);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}

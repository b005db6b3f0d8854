/* SPDX-License-Identifier: BSD-3-Clause */
/* The result ring (wrap-around, full, largest message, a producer and a consumer
 * thread racing) and the file sink behind the sink thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks/sink.h"
#include "sinks/sink_file.h"
#include "unit.h"

static void put(struct sink_ring *r, uint16_t topic, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val);
	uint8_t *p = sink_ring_reserve(r, kl + vl);

	CU_ASSERT_FATAL(p != NULL);
	memcpy(p, key, kl);
	memcpy(p + kl, val, vl);
	sink_ring_commit(r, topic, (uint16_t)kl, kl + vl);
}

static void test_ring_basic(void)
{
	struct sink_ring *r = sink_ring_new(4096);
	const struct sink_msg *m;
	char val[600];
	int k, got;

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT(sink_ring_new(4000) == NULL && errno == EINVAL);
	CU_ASSERT(sink_ring_peek(r) == NULL);
	put(r, 3, "card-1", "{\"a\":1}");
	m = sink_ring_peek(r);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->topic, 3);
	CU_ASSERT_EQUAL(m->key_len, 6);
	CU_ASSERT_EQUAL(m->len, 13);
	CU_ASSERT(memcmp(m + 1, "card-1{\"a\":1}", 13) == 0);
	sink_ring_release(r, m);
	CU_ASSERT(sink_ring_peek(r) == NULL);
	CU_ASSERT_EQUAL(sink_ring_used(r), 0);

	/* wrap around many times with sizes that do not divide the ring */
	memset(val, 'v', sizeof(val));
	for (k = 0, got = 0; k < 1000; k++) {
		val[100 + k % 400] = '\0';
		put(r, (uint16_t)k, "", val);
		val[100 + k % 400] = 'v';
		m = sink_ring_peek(r);
		CU_ASSERT_FATAL(m != NULL);
		got += m->topic == k && m->len == (uint32_t)(100 + k % 400);
		sink_ring_release(r, m);
	}
	CU_ASSERT_EQUAL(got, 1000);

	/* full: a reservation fails and nothing is lost */
	for (k = 0; sink_ring_reserve(r, 500) != NULL; k++)
		sink_ring_commit(r, (uint16_t)k, 0, 500);
	CU_ASSERT(k >= 6 && k <= 8);
	for (got = 0; (m = sink_ring_peek(r)) != NULL; got++) {
		CU_ASSERT_EQUAL(m->topic, got);
		sink_ring_release(r, m);
	}
	CU_ASSERT_EQUAL(got, k);
	/* the largest message fits an empty ring wherever the ring stands */
	CU_ASSERT(sink_ring_reserve(r, sink_ring_max_msg(r) + 1) == NULL);
	for (k = 0; k < 5; k++) {
		CU_ASSERT_FATAL(sink_ring_reserve(r, sink_ring_max_msg(r)) != NULL);
		sink_ring_commit(r, 1, 0, sink_ring_max_msg(r));
		m = sink_ring_peek(r);
		CU_ASSERT_FATAL(m != NULL);
		sink_ring_release(r, m);
		put(r, 2, "", "odd"); /* moves the ring off its start */
		sink_ring_release(r, sink_ring_peek(r));
	}
	sink_ring_free(r);
}

#define RACE_N 200000

static void *producer(void *arg)
{
	struct sink_ring *r = arg;
	uint32_t k;

	for (k = 0; k < RACE_N; k++) {
		size_t len = 4 + k % 61;
		uint8_t *p;

		while ((p = sink_ring_reserve(r, len)) == NULL)
			;
		memcpy(p, &k, 4);
		memset(p + 4, (int)(k & 0xff), len - 4);
		sink_ring_commit(r, (uint16_t)(k & 0xff), 0, len);
	}
	return NULL;
}

static void test_ring_race(void)
{
	struct sink_ring *r = sink_ring_new(8192);
	const struct sink_msg *m;
	uint32_t want = 0, k, bad = 0;
	pthread_t t;

	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, producer, r) == 0);
	while (want < RACE_N) {
		const uint8_t *p;

		m = sink_ring_peek(r);
		if (m == NULL)
			continue;
		p = (const uint8_t *)(m + 1);
		memcpy(&k, p, 4);
		bad += k != want || m->len != 4 + want % 61 || m->topic != (want & 0xff);
		for (uint32_t i = 4; i < m->len; i++)
			bad += p[i] != (want & 0xff);
		sink_ring_release(r, m);
		want++;
	}
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(sink_ring_peek(r) == NULL);
	sink_ring_free(r);
}

static void test_file_sink(void)
{
	char dir[] = "/tmp/riptide-sink-test.XXXXXX", path[256], line[64], err[256];
	struct sink_topics topics = { 0 };
	struct sink s = { 0 };
	FILE *f;
	int k;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT_EQUAL(sink_topics_add(&topics, "alerts"), 0);
	CU_ASSERT_EQUAL(sink_topics_add(&topics, "dead"), 1);
	CU_ASSERT_EQUAL(sink_topics_add(&topics, "alerts"), 0);
	s.out_dir = dir;
	s.topics = &topics;
	s.n_rings = 2;
	s.rings[0] = sink_ring_new(4096);
	s.rings[1] = sink_ring_new(4096);
	CU_ASSERT_FATAL(sink_start(&s, err, sizeof(err)) == 0);
	for (k = 0; k < 300; k++) {
		char v[32];

		snprintf(v, sizeof(v), "{\"n\":%d}", k);
		while (sink_ring_reserve(s.rings[k & 1], strlen(v) + 3) == NULL)
			usleep(100);
		put(s.rings[k & 1], (uint16_t)(k % 3 == 0), "key", v);
	}
	sink_stop(&s);
	CU_ASSERT_EQUAL(s.c.delivered, 300);
	CU_ASSERT_EQUAL(s.c.file_written, 300);
	{
		json_t *st = sink_stats_json(&s);

		CU_ASSERT(json_integer_value(
				  json_object_get(json_object_get(st, "file"), "written")) == 300);
		CU_ASSERT(json_integer_value(json_object_get(
				  json_object_get(st, "delivered_by_topic"), "dead")) == 100);
		json_decref(st);
	}
	json_decref(s.stats);
	CU_ASSERT_EQUAL(s.c.topic[1], 100);
	CU_ASSERT_EQUAL(s.c.topic[0], 200);
	snprintf(path, sizeof(path), "%s/dead.ndjson", dir);
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	/* one ring's messages keep their order; the key is not in the file */
	for (k = 0; fgets(line, sizeof(line), f) != NULL; k++)
		if (k == 0)
			CU_ASSERT_STRING_EQUAL(line, "{\"n\":0}\n");
	CU_ASSERT_EQUAL(k, 100);
	fclose(f);
	unlink(path);
	snprintf(path, sizeof(path), "%s/alerts.ndjson", dir);
	unlink(path);

	/* an output that cannot be opened is an error that names it */
	snprintf(path, sizeof(path), "%s/not-a-dir", dir);
	f = fopen(path, "w");
	fclose(f);
	CU_ASSERT_FATAL(sink_file_open(path, &topics, err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "not-a-dir") != NULL);
	unlink(path);
	rmdir(dir);
	sink_ring_free(s.rings[0]);
	sink_ring_free(s.rings[1]);
	sink_topics_free(&topics);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "ring", test_ring_basic },
		{ "ring: producer and consumer threads", test_ring_race },
		{ "file sink", test_file_sink },
		{ NULL, NULL },
	};

	return unit_run("sink", tests);
}

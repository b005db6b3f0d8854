/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_kafka.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink_io.h"

/* Replayed records in flight at most (and the span of the delivered bitmap). */
#define REPLAY_WINDOW (1u << 20)
/* How often the spool is fsync'd while it is written. */
#define SINK_SPOOL_SYNC_MS 100
/* A message's opaque: a replayed record's id, shifted, with bit 0 set; a direct
 * result's RX stamp, shifted (0: none). */
#define REPLAY_TAG(id) ((void *)(uintptr_t)((id) << 1 | 1))

enum { K_DIRECT, K_SPOOLING };

/* Topics met in the spool that the rule set does not name (replays after a change). */
#define EXTRA_TOPICS 64

struct sink_kafka {
	rd_kafka_t *rk;
	rd_kafka_conf_t *conf; /* a copy, for a new producer after a fatal error */
	const struct sink_topics *topics;
	rd_kafka_topic_t **rkt; /* by topic index, made on first use */
	struct {
		char *name;
		rd_kafka_topic_t *rkt;
	} extra[EXTRA_TOPICS];
	unsigned int n_extra;
	uint32_t *by_name; /* open addressing over topic names: index + 1, 0 empty */
	uint32_t name_mask;
	struct spool *spool;
	struct sink_counters *c;
	struct sink_kafka_stats st;
	uint64_t stall_ns;
	int state;
	/* outage handling, set from callbacks, acted on after rd_kafka_poll */
	bool purge_pending;
	bool fatal;	  /* the producer is unusable: replace it once its messages are back */
	bool rewind;	  /* a replayed record failed: replay again from the ack */
	bool probing;	  /* no replayed record delivered since the outage began */
	bool closing;	  /* sink_kafka_close: failures are not outages any more */
	bool full_logged; /* "spool: full" said since the last append that fitted */
	uint64_t direct;  /* direct results librdkafka holds */
	uint64_t replays; /* replayed records librdkafka holds */
	uint64_t ack;	  /* every replayed record below is delivered */
	uint8_t *done;	  /* delivered bits of ids ack .. ack + REPLAY_WINDOW */
	uint64_t progress_ns, now_ns, synced_ns;
	uint64_t (*rx_clock)(void); /* NULL: RX to acknowledgement not timed */
	uint64_t rx_fp;
};

static const char *const outage_names[] = {
#define X(e, s) s,
	SINK_OUTAGE_REASONS(X)
#undef X
};

const char *sink_outage_name(unsigned int reason)
{
	return reason < SINK_OUTAGE__COUNT ? outage_names[reason] : "unknown";
}

/* --- configuration --- */

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen)
{
	char why[256];

	if (rd_kafka_conf_set(conf, k, v, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A property riptide decides: the file may not set it, or only to riptide's value. */
static const char *fixed_property(const char *k, const char *v)
{
	if (strcmp(k, "bootstrap.servers") == 0 || strcmp(k, "metadata.broker.list") == 0)
		return "the brokers are given by --kafka";
	if (strcmp(k, "enable.idempotence") == 0 && strcmp(v, "true") != 0)
		return "riptide's producer is idempotent (enable.idempotence=true)";
	if ((strcmp(k, "acks") == 0 || strcmp(k, "request.required.acks") == 0) &&
	    strcmp(v, "all") != 0 && strcmp(v, "-1") != 0)
		return "riptide waits for every in-sync replica (acks=all)";
	return NULL;
}

static int conf_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen)
{
	char line[4096], why[512];
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *k, *v;
		const char *no;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
				 sizeof(line) - 2);
			rc = -EINVAL;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected key=value", path, lineno);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		no = fixed_property(k, v);
		if (no != NULL) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, k, no);
			rc = -EINVAL;
		} else if (conf_set(conf, k, v, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -EINVAL;
		}
	}
	fclose(f);
	return rc;
}

rd_kafka_conf_t *sink_kafka_conf(const char *brokers, const char *path, char *err, size_t errlen)
{
	static const char *const defaults[][2] = {
		{ "client.id", "riptide" },
		{ "linger.ms", "5" },
		{ "compression.codec", "lz4" },
	};
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512];
	size_t k;
	int rc = 0;

	for (k = 0; k < sizeof(defaults) / sizeof(defaults[0]) && rc == 0; k++)
		rc = conf_set(conf, defaults[k][0], defaults[k][1], err, errlen);
	if (rc == 0 && path != NULL)
		rc = conf_file(conf, path, err, errlen);
	if (rc == 0 && conf_set(conf, "bootstrap.servers", brokers, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "--kafka %s: %s", brokers, why);
		rc = -EINVAL;
	}
	rc = rc ?: conf_set(conf, "enable.idempotence", "true", err, errlen);
	rc = rc ?: conf_set(conf, "acks", "all", err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

/* --- topics --- */

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int names_init(struct sink_kafka *k)
{
	uint32_t cap = 16, t;

	while (cap < 2 * k->topics->n + 2)
		cap <<= 1;
	k->by_name = calloc(cap, sizeof(*k->by_name));
	if (k->by_name == NULL)
		return -ENOMEM;
	k->name_mask = cap - 1;
	for (t = 0; t < k->topics->n; t++) {
		const char *nm = k->topics->names[t];
		uint32_t i = name_hash(nm, strlen(nm)) & k->name_mask;

		while (k->by_name[i])
			i = (i + 1) & k->name_mask;
		k->by_name[i] = t + 1;
	}
	return 0;
}

/* The index of topic name, or -1 when the rule set has no such topic. */
static int topic_index(const struct sink_kafka *k, const char *name, size_t n)
{
	uint32_t i = name_hash(name, n) & k->name_mask, t;

	while ((t = k->by_name[i]) != 0) {
		const char *nm = k->topics->names[t - 1];

		if (strlen(nm) == n && memcmp(nm, name, n) == 0)
			return (int)t - 1;
		i = (i + 1) & k->name_mask;
	}
	return -1;
}

static rd_kafka_topic_t *topic_new(struct sink_kafka *k, const char *name, uintptr_t opaque)
{
	/* the producer's topic properties (message.timeout.ms, acks, compression...),
	 * not librdkafka's defaults */
	rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(k->rk);

	if (tc == NULL)
		return NULL;
	rd_kafka_topic_conf_set_opaque(tc, (void *)opaque);
	return rd_kafka_topic_new(k->rk, name, tc);
}

static rd_kafka_topic_t *topic_of(struct sink_kafka *k, unsigned int t)
{
	if (k->rkt[t] == NULL)
		k->rkt[t] = topic_new(k, k->topics->names[t], t + 1);
	return k->rkt[t];
}

/* A topic by name, for replayed records. */
static rd_kafka_topic_t *topic_named(struct sink_kafka *k, const char *name, size_t n)
{
	int t = topic_index(k, name, n);
	unsigned int i;
	char *copy;

	if (t >= 0)
		return topic_of(k, (unsigned int)t);
	for (i = 0; i < k->n_extra; i++)
		if (strlen(k->extra[i].name) == n && memcmp(k->extra[i].name, name, n) == 0)
			return k->extra[i].rkt;
	copy = strndup(name, n);
	if (copy == NULL)
		return NULL;
	if (k->n_extra == EXTRA_TOPICS) { /* forget the oldest */
		free(k->extra[0].name);
		rd_kafka_topic_destroy(k->extra[0].rkt);
		memmove(&k->extra[0], &k->extra[1], (EXTRA_TOPICS - 1) * sizeof(k->extra[0]));
		k->n_extra--;
	}
	k->extra[k->n_extra].rkt = topic_new(k, copy, 0);
	if (k->extra[k->n_extra].rkt == NULL) {
		free(copy);
		return NULL;
	}
	k->extra[k->n_extra].name = copy;
	return k->extra[k->n_extra++].rkt;
}

static void topics_release(struct sink_kafka *k)
{
	unsigned int t;

	for (t = 0; t < k->topics->n; t++) {
		if (k->rkt[t] != NULL)
			rd_kafka_topic_destroy(k->rkt[t]);
		k->rkt[t] = NULL;
	}
	for (t = 0; t < k->n_extra; t++) {
		rd_kafka_topic_destroy(k->extra[t].rkt);
		free(k->extra[t].name);
	}
	k->n_extra = 0;
}

/* --- delivery --- */

static void outage(struct sink_kafka *k, enum sink_outage why)
{
	if (k->spool == NULL || k->closing)
		return;
	if (k->state == K_DIRECT) {
		k->state = K_SPOOLING;
		k->st.outages[why]++;
		k->probing = true;
		k->purge_pending = true;
		fprintf(stderr,
			"riptide: kafka: %s: results go to the spool until the brokers "
			"take them again\n",
			sink_outage_name(why));
	}
}

/* Errors that concern the message itself: sending it again would fail again. */
static bool permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		return true;
	default:
		return false;
	}
}

static enum sink_lost lost_reason(rd_kafka_resp_err_t err)
{
	if (permanent(err))
		return SINK_LOST_KAFKA_REJECTED;
	switch (err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
		return SINK_LOST_KAFKA_TIMED_OUT;
	case RD_KAFKA_RESP_ERR__FATAL:
		return SINK_LOST_KAFKA_FATAL;
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
		return SINK_LOST_UNDELIVERED_AT_STOP;
	default:
		return SINK_LOST_KAFKA_ERROR;
	}
}

/* A result to the spool. Returns 0 (spooled, or lost and counted) or -EAGAIN (full,
 * SPOOL_FULL_WAIT). */
static int spool_put(struct sink_kafka *k, const char *topic, size_t tl, const void *key, size_t kl,
		     const void *val, size_t vl)
{
	int rc = spool_append(k->spool, topic, tl, key, kl, val, vl);

	if (rc == 0) {
		k->st.spooled++;
		k->c->spooled++;
		k->full_logged = false;
		return 0;
	}
	if (rc == -ENOSPC) {
		bool wait = spool_full_policy(k->spool) == SPOOL_FULL_WAIT;

		if (!k->full_logged)
			fprintf(stderr, "riptide: spool: full, %s\n",
				wait ? "results wait"
				     : "new results are dropped (lost{spool_full})");
		k->full_logged = true;
		if (wait)
			return -EAGAIN;
		k->c->lost[SINK_LOST_SPOOL_FULL]++; /* SPOOL_FULL_DROP_NEWEST */
		return 0;
	}
	k->c->lost[SINK_LOST_SPOOL_ERROR]++;
	if (k->c->lost[SINK_LOST_SPOOL_ERROR] == 1)
		fprintf(stderr, "riptide: spool: cannot write: %s\n", strerror(-rc));
	return 0;
}

/* A failed direct result, from a delivery report: to the spool behind the others. */
static void spool_failed(struct sink_kafka *k, const rd_kafka_message_t *m)
{
	const char *name = rd_kafka_topic_name(m->rkt);

	if (spool_put(k, name, strlen(name), m->key, m->key_len, m->payload, m->len) == -EAGAIN) {
		/* full with SPOOL_FULL_WAIT: a delivery report cannot wait */
		k->c->lost[SINK_LOST_SPOOL_FULL]++;
	}
}

static bool done_get(const struct sink_kafka *k, uint64_t id)
{
	uint64_t b = id % REPLAY_WINDOW;

	return k->done[b >> 3] >> (b & 7) & 1;
}

static void done_set(struct sink_kafka *k, uint64_t id, bool v)
{
	uint64_t b = id % REPLAY_WINDOW;

	if (v)
		k->done[b >> 3] |= (uint8_t)(1u << (b & 7));
	else
		k->done[b >> 3] &= (uint8_t) ~(1u << (b & 7));
}

/* The spool may have moved its ack (SPOOL_FULL_DROP_OLDEST): follow it. */
static void ack_follow(struct sink_kafka *k)
{
	uint64_t a = spool_ack_id(k->spool);

	if (a <= k->ack)
		return;
	if (a - k->ack >= REPLAY_WINDOW)
		memset(k->done, 0, REPLAY_WINDOW / 8);
	else
		for (; k->ack < a; k->ack++)
			done_set(k, k->ack, false);
	k->ack = a;
}

static void ack_advance(struct sink_kafka *k)
{
	uint64_t top = spool_read_id(k->spool), a0 = k->ack;

	ack_follow(k);
	while (k->ack < top && done_get(k, k->ack))
		done_set(k, k->ack++, false);
	if (k->ack != a0)
		spool_ack(k->spool, k->ack);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sink_kafka *k = opaque;
	uintptr_t tag = (uintptr_t)m->_private;
	int64_t lat = rd_kafka_message_latency(m);

	(void)rk;
	k->progress_ns = k->now_ns;
	if (tag & 1)
		k->replays--;
	else
		k->direct--;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		uintptr_t t = (uintptr_t)rd_kafka_topic_opaque(m->rkt);

		k->st.delivered++;
		k->c->delivered++;
		if (t > 0 && t <= SINK_MAX_TOPICS)
			k->c->topic[t - 1]++;
		if (lat >= 0)
			k->st.latency_us[sink_lat_bucket((uint64_t)lat)]++;
		if ((tag & 1) == 0 && tag != 0 && k->rx_clock != NULL) {
			uint64_t ticks = k->rx_clock() - (uint64_t)(tag >> 1);

			k->st.rx_latency_us[sink_lat_bucket(
				(uint64_t)((unsigned __int128)ticks * k->rx_fp >> 32))]++;
		} else {
			k->st.rx_untimed++;
		}
		if (tag & 1) {
			k->st.replayed++;
			k->probing = false;
			if ((tag >> 1) >= k->ack)
				done_set(k, tag >> 1, true);
			ack_advance(k);
		}
		return;
	}
	/* sent before and failed after (a connection lost under a request, a timeout in
	 * flight, a purge of its retry): what is sent again may arrive twice */
	if (rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED)
		k->st.possibly_persisted++;
	if (tag & 1) {
		/* a replayed record: it is still in the spool */
		if (permanent(m->err)) {
			k->c->lost[SINK_LOST_KAFKA_REJECTED]++;
			if ((tag >> 1) >= k->ack)
				done_set(k, tag >> 1, true);
			ack_advance(k);
			return;
		}
		if (!k->closing && !k->rewind) {
			k->rewind = true;
			k->purge_pending = true;
			k->probing = true;
		}
		if (m->err == RD_KAFKA_RESP_ERR__FATAL)
			k->fatal = true;
		outage(k, m->err == RD_KAFKA_RESP_ERR__FATAL ? SINK_OUTAGE_FATAL
							     : SINK_OUTAGE_DELIVERY_FAILED);
		return;
	}
	if (permanent(m->err) || k->spool == NULL) {
		k->c->lost[lost_reason(m->err)]++;
		return;
	}
	if (k->state == K_SPOOLING && !k->closing && m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE)
		k->st.late_failures++; /* in flight when the outage began: newer ones went first */
	if (m->err == RD_KAFKA_RESP_ERR__FATAL)
		k->fatal = true;
	outage(k, m->err == RD_KAFKA_RESP_ERR__FATAL ? SINK_OUTAGE_FATAL
						     : SINK_OUTAGE_DELIVERY_FAILED);
	spool_failed(k, m);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct sink_kafka *k = opaque;
	char why[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		fprintf(stderr, "riptide: kafka: fatal producer error: %s\n", why);
		k->fatal = true;
		outage(k, SINK_OUTAGE_FATAL);
	} else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		outage(k, SINK_OUTAGE_BROKERS_DOWN);
	} else if (err != RD_KAFKA_RESP_ERR__TRANSPORT) {
		fprintf(stderr, "riptide: kafka: %s: %s\n", rd_kafka_err2name(err), reason);
	}
}

static int producer_new(struct sink_kafka *k, char *err, size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_dup(k->conf);
	char why[512];

	rd_kafka_conf_set_opaque(c, k);
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_error_cb(c, on_error);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof(why));
	if (k->rk == NULL) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "kafka producer: %s", why);
		return -EINVAL;
	}
	return 0;
}

/* Purges what librdkafka has not sent yet and serves the reports: those results go to
 * the spool now, ahead of anything newer. */
static void serve_purge(struct sink_kafka *k)
{
	int rounds = 0;

	while (k->purge_pending && rounds++ < 8) {
		k->purge_pending = false;
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE); /* reports queued on return */
		while (rd_kafka_poll(k->rk, 0) > 0)
			;
	}
}

static rd_kafka_resp_err_t produce(struct sink_kafka *k, rd_kafka_topic_t *rkt, const void *key,
				   size_t kl, const void *val, size_t vl, void *tag)
{
	if (rkt == NULL)
		return RD_KAFKA_RESP_ERR__INVALID_ARG;
	if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
			     (void *)(uintptr_t)val, vl, kl ? key : NULL, kl, tag) != 0)
		return rd_kafka_last_error();
	k->st.produced++;
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void sink_kafka_rx_clock(struct sink_kafka *k, uint64_t (*clock)(void), uint64_t us_per_tick_fp)
{
	k->rx_clock = us_per_tick_fp ? clock : NULL;
	k->rx_fp = us_per_tick_fp;
}

int sink_kafka_send(struct sink_kafka *k, uint16_t topic, const uint8_t *key, size_t key_len,
		    const uint8_t *value, size_t value_len, uint64_t rx)
{
	const char *name = k->topics->names[topic];
	rd_kafka_resp_err_t err;

	if (k->purge_pending)
		serve_purge(k);
	if (k->state == K_SPOOLING)
		return spool_put(k, name, strlen(name), key, key_len, value, value_len);
	err = produce(k, topic_of(k, topic), key, key_len, value, value_len,
		      (void *)(uintptr_t)((rx & (UINT64_MAX >> 1)) << 1));
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (k->direct++ == 0)
			k->progress_ns = k->now_ns;
		return 0;
	}
	if (permanent(err)) {
		k->c->lost[SINK_LOST_KAFKA_REJECTED]++;
		return 0;
	}
	if (k->spool == NULL) {
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			k->st.queue_full_waits++;
			return -EAGAIN;
		}
		if (err == RD_KAFKA_RESP_ERR__FATAL)
			k->fatal = true;
		k->c->lost[lost_reason(err)]++;
		return 0;
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		k->fatal = true;
	outage(k, err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? SINK_OUTAGE_QUEUE_FULL
		  : err == RD_KAFKA_RESP_ERR__FATAL    ? SINK_OUTAGE_FATAL
						       : SINK_OUTAGE_DELIVERY_FAILED);
	serve_purge(k);
	return spool_put(k, name, strlen(name), key, key_len, value, value_len);
}

/* A fatal error: once librdkafka has handed every message back, a new producer. */
static void replace_producer(struct sink_kafka *k)
{
	char err[512];

	if (rd_kafka_outq_len(k->rk) > 0 || k->direct > 0 || k->replays > 0)
		return;
	topics_release(k);
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
	if (producer_new(k, err, sizeof(err)) != 0) {
		fprintf(stderr, "riptide: kafka: %s\n", err);
		return; /* tried again at the next poll */
	}
	k->fatal = false;
	k->st.producer_restarts++;
	fprintf(stderr, "riptide: kafka: new producer after a fatal error\n");
}

static void replay(struct sink_kafka *k)
{
	uint64_t limit = k->probing ? 1 : REPLAY_WINDOW / 2;
	struct spool_rec r;
	int rc = 1;

	if (k->rewind) {
		if (k->replays > 0)
			return;
		ack_follow(k);
		spool_rewind(k->spool, k->ack);
		k->rewind = false;
		k->st.rewinds++;
	}
	if (k->direct > 0)
		return; /* older results are still on their way */
	while (k->replays < limit && spool_read_id(k->spool) - k->ack < REPLAY_WINDOW - 1) {
		rd_kafka_resp_err_t err;

		rc = spool_read(k->spool, &r);
		if (rc <= 0)
			break;
		if (r.id < k->ack || done_get(k, r.id))
			continue; /* delivered before a rewind */
		err = produce(k, topic_named(k, r.topic, r.topic_len), r.key, r.key_len, r.value,
			      r.value_len, REPLAY_TAG(r.id));
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			k->replays++;
			continue;
		}
		if (permanent(err)) {
			k->c->lost[SINK_LOST_KAFKA_REJECTED]++;
			done_set(k, r.id, true);
			ack_advance(k);
			continue;
		}
		if (err == RD_KAFKA_RESP_ERR__FATAL)
			k->fatal = true;
		spool_rewind(k->spool, r.id); /* the queue is full: again later */
		rc = 1;
		break;
	}
	if (rc < 0)
		fprintf(stderr, "riptide: spool: cannot read: %s\n", strerror(-rc));
	ack_advance(k);
	if (rc == 0 && !k->probing && !k->rewind && !k->closing) {
		/* every spooled record is on its way: new results may follow them */
		k->state = K_DIRECT;
		fprintf(stderr, "riptide: kafka: spool replayed, results go to the brokers\n");
	}
}

void sink_kafka_poll(struct sink_kafka *k, uint64_t now_ns)
{
	uint64_t outq;

	k->now_ns = now_ns;
	rd_kafka_poll(k->rk, 0);
	serve_purge(k);
	outq = (uint64_t)rd_kafka_outq_len(k->rk);
	k->st.outq = outq;
	if (outq > k->st.outq_peak)
		k->st.outq_peak = outq;
	if (k->state == K_DIRECT && k->direct > 0 && now_ns - k->progress_ns > k->stall_ns)
		outage(k, SINK_OUTAGE_STALLED);
	serve_purge(k);
	if (k->fatal)
		replace_producer(k);
	if (k->spool == NULL)
		return;
	if (k->state == K_SPOOLING && !k->fatal)
		replay(k);
	if (now_ns - k->synced_ns >= SINK_SPOOL_SYNC_MS * 1000000ull) {
		int rc = spool_sync(k->spool);

		if (rc)
			fprintf(stderr, "riptide: spool: sync: %s\n", strerror(-rc));
		k->synced_ns = now_ns;
	}
}

void sink_kafka_flush(struct sink_kafka *k)
{
	if (k->spool != NULL)
		spool_flush(k->spool);
}

int sink_kafka_idle(const struct sink_kafka *k)
{
	return k->direct == 0 && k->replays == 0 &&
	       (k->spool == NULL || spool_end_id(k->spool) == spool_ack_id(k->spool));
}

struct sink_kafka *sink_kafka_new(rd_kafka_conf_t *conf, const struct sink_topics *topics,
				  struct spool *spool, struct sink_counters *c, uint32_t stall_ms,
				  char *err, size_t errlen)
{
	struct sink_kafka *k = calloc(1, sizeof(*k));
	int rc = -ENOMEM;

	if (k == NULL) {
		rd_kafka_conf_destroy(conf);
		spool_close(spool);
		snprintf(err, errlen, "kafka: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	k->conf = conf;
	k->topics = topics;
	k->spool = spool;
	k->c = c;
	k->stall_ns = (uint64_t)stall_ms * 1000000u;
	k->rkt = calloc(SINK_MAX_TOPICS, sizeof(*k->rkt));
	k->done = calloc(REPLAY_WINDOW / 8, 1);
	if (k->rkt == NULL || k->done == NULL || names_init(k) != 0) {
		snprintf(err, errlen, "kafka: out of memory");
		goto fail;
	}
	rc = producer_new(k, err, errlen);
	if (rc)
		goto fail;
	k->now_ns = k->progress_ns = k->synced_ns = sink_mono_ns();
	if (spool != NULL) {
		k->ack = spool_ack_id(spool);
		if (spool_end_id(spool) > k->ack) {
			/* what an earlier run spooled goes first */
			k->state = K_SPOOLING;
			k->probing = true;
			k->st.outages[SINK_OUTAGE_SPOOL_BACKLOG]++;
		}
	}
	return k;
fail:
	free(k->rkt);
	free(k->done);
	free(k->by_name);
	rd_kafka_conf_destroy(conf);
	spool_close(spool);
	free(k);
	errno = -rc;
	return NULL;
}

void sink_kafka_close(struct sink_kafka *k, uint32_t drain_ms, struct sink_kafka_final *fin)
{
	uint64_t t0 = sink_mono_ns(), deadline = t0 + (uint64_t)drain_ms * 1000000u, now;

	if (k == NULL)
		return;
	if (!sink_kafka_idle(k) && drain_ms > 0)
		fprintf(stderr,
			"riptide: kafka: stopping: waiting up to %u s for the brokers to take "
			"%llu result(s) (--drain-timeout)\n",
			drain_ms / 1000,
			(unsigned long long)(k->direct + k->replays +
					     (k->spool != NULL ? spool_end_id(k->spool) -
									 spool_read_id(k->spool)
							       : 0)));
	/* deliver and replay while there is something to and time left */
	while (!sink_kafka_idle(k) && (now = sink_mono_ns()) < deadline) {
		sink_kafka_poll(k, now);
		if (!sink_kafka_idle(k))
			rd_kafka_poll(k->rk, 10);
	}
	k->closing = true;
	if (rd_kafka_outq_len(k->rk) > 0 || k->direct > 0 || k->replays > 0) {
		/* the rest: direct results to the spool (or lost), replayed ones stay */
		if (k->spool != NULL)
			k->state = K_SPOOLING;
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		t0 = sink_mono_ns();
		while ((k->direct > 0 || k->replays > 0) && sink_mono_ns() - t0 < 5000000000ull)
			rd_kafka_poll(k->rk, 10);
	}
	if (k->direct > 0)
		k->c->lost[SINK_LOST_UNDELIVERED_AT_STOP] += k->direct;
	k->st.outq = (uint64_t)rd_kafka_outq_len(k->rk);
	if (fin != NULL) {
		memset(fin, 0, sizeof(*fin));
		fin->st = k->st;
		if (k->spool != NULL) {
			spool_sync(k->spool);
			fin->has_spool = 1;
			fin->spool = *spool_stats(k->spool);
			fin->backlog = spool_end_id(k->spool) - spool_ack_id(k->spool);
			fin->spool_bytes = spool_bytes(k->spool);
		}
	}
	topics_release(k);
	rd_kafka_destroy(k->rk);
	rd_kafka_conf_destroy(k->conf);
	spool_close(k->spool);
	free(k->rkt);
	free(k->done);
	free(k->by_name);
	free(k);
}

const struct sink_kafka_stats *sink_kafka_stats(const struct sink_kafka *k)
{
	return &k->st;
}

const struct spool *sink_kafka_spool(const struct sink_kafka *k)
{
	return k->spool;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/rt_xdp.h"
#include "sinks/sink.h"

static inline uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

const char *dp_stage_name(unsigned int stage)
{
	static const char *const names[] = {
#define X(e, s) s,
		DP_STAGES(X)
#undef X
	};

	return stage < DP_STAGE__COUNT ? names[stage] : "?";
}

void dp_counters_accumulate(struct dp_counters *sum, const struct dp_counters *c)
{
	unsigned int k;

	sum->rx_packets += load(&c->rx_packets);
	sum->datagrams += load(&c->datagrams);
	sum->records += load(&c->records);
	sum->events += load(&c->events);
	sum->empty_datagrams += load(&c->empty_datagrams);
	sum->archived += load(&c->archived);
	sum->archive_dropped += load(&c->archive_dropped);
	sum->produced += load(&c->produced);
	sum->sink_waits += load(&c->sink_waits);
	sum->shard_routed += load(&c->shard_routed);
	sum->shard_local += load(&c->shard_local);
	sum->shard_sent += load(&c->shard_sent);
	sum->shard_dropped += load(&c->shard_dropped);
	sum->shard_waits += load(&c->shard_waits);
	sum->shard_received += load(&c->shard_received);
	sum->shard_handled += load(&c->shard_handled);
	sum->shard_corrupt += load(&c->shard_corrupt);
	sum->rule_errors += load(&c->rule_errors);
	sum->rx_result_untimed += load(&c->rx_result_untimed);
	for (k = 0; k < SINK_LAT_BUCKETS; k++)
		sum->rx_result_us[k] += load(&c->rx_result_us[k]);
	for (k = 0; k < DP_STAGE__COUNT; k++) {
		sum->stage[k].cycles += load(&c->stage[k].cycles);
		sum->stage[k].samples += load(&c->stage[k].samples);
	}
	for (k = 0; k < PAT_MAX_RULES; k++) {
		sum->results[k] += load(&c->results[k]);
		sum->late[k] += load(&c->late[k]);
		sum->state_full[k] += load(&c->state_full[k]);
		/* the peaks of the lcores add up: each holds its share of the keys */
		sum->state[k].peak_keys += load(&c->state[k].peak_keys);
		sum->state[k].peak_bytes += load(&c->state[k].peak_bytes);
		sum->state[k].peak_bytes_keys += load(&c->state[k].peak_bytes_keys);
	}
	for (k = 0; k < DP_FILTER__COUNT; k++)
		sum->filtered[k] += load(&c->filtered[k]);
	for (k = 0; k < DP_DERR__COUNT; k++)
		sum->decode_errors[k] += load(&c->decode_errors[k]);
	for (k = 0; k < FMT_M__COUNT; k++)
		sum->malformed[k] += load(&c->malformed[k]);
	for (k = 0; k < DP_LOST__COUNT; k++)
		sum->lost[k] += load(&c->lost[k]);
	for (k = 0; k < PAT_MAX_STREAMS; k++) {
		sum->streams[k].datagrams += load(&c->streams[k].datagrams);
		sum->streams[k].records += load(&c->streams[k].records);
		sum->streams[k].events += load(&c->streams[k].events);
		sum->streams[k].malformed += load(&c->streams[k].malformed);
		sum->streams[k].dead_letters += load(&c->streams[k].dead_letters);
		sum->streams[k].keyed_events += load(&c->streams[k].keyed_events);
	}
}

static const char *const lost_names[] = {
#define X(e, s) s,
	DP_LOST_REASONS(X)
#undef X
};

const char *dp_lost_name(unsigned int reason)
{
	return reason < DP_LOST__COUNT ? lost_names[reason] : "unknown";
}

int dp_counters_balanced(const struct dp_counters *c)
{
	uint64_t in = c->datagrams, rec = c->events;
	unsigned int k;

	for (k = 0; k < DP_FILTER__COUNT; k++)
		in += c->filtered[k];
	for (k = 0; k < DP_DERR__COUNT; k++)
		in += c->decode_errors[k];
	for (k = 0; k < FMT_M__COUNT; k++)
		rec += c->malformed[k];
	return in == c->rx_packets && c->records == rec;
}

/* An object reason -> count of the non-zero counters. */
static json_t *reasons(const uint64_t *v, unsigned int n, const char *(*name)(unsigned int),
		       bool zeros)
{
	json_t *o = json_object();
	unsigned int k;

	for (k = 0; o != NULL && k < n; k++) {
		if ((v[k] != 0 || zeros) &&
		    json_object_set_new(o, name(k), json_integer((json_int_t)v[k]))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* What the XDP program dropped, by reason ({} without one: nothing is dropped
 * before riptide sees it). */
static json_t *xdp_dropped(const struct dp_stats_report *r)
{
	uint64_t v[DP_FILTER__COUNT] = { 0 };

	if (r->xdp == NULL)
		return json_object();
	v[RT_XDP_UNKNOWN_PORT] = r->xdp[RT_XDP_UNKNOWN_PORT];
	v[RT_XDP_BLOCKED_SOURCE] = r->xdp[RT_XDP_BLOCKED_SOURCE];
	v[RT_XDP_RATE_LIMITED] = r->xdp[RT_XDP_RATE_LIMITED];
	if (!r->zeros)
		return reasons(v, DP_FILTER__COUNT, dp_filter_reason_name, false);
	/* /metrics: the three reasons it has, at 0 too */
	return json_pack("{s:I, s:I, s:I}", "unknown_port", (json_int_t)v[RT_XDP_UNKNOWN_PORT],
			 "blocked_source", (json_int_t)v[RT_XDP_BLOCKED_SOURCE], "rate_limited",
			 (json_int_t)v[RT_XDP_RATE_LIMITED]);
}

/* Releases a half-built array; NULL, so that json_pack fails on it. */
static json_t *drop(json_t *a)
{
	json_decref(a);
	return NULL;
}

/* The archive thread's figures with the lcores': events handed over, and dropped. */
static json_t *archive_json(const json_t *a, uint64_t taken, uint64_t dropped)
{
	json_t *o = json_deep_copy(a);

	if (o != NULL &&
	    (json_object_set_new(o, "taken", json_integer((json_int_t)taken)) != 0 ||
	     json_object_set_new(o, "dropped", json_integer((json_int_t)dropped)) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {stage: {ns, samples, cycles}}: ns per sample, every stage (0 without samples). */
static json_t *stages_json(const struct dp_counters *t, double ns_per_cycle)
{
	json_t *o = json_object();
	unsigned int k;

	for (k = 0; k < DP_STAGE__COUNT && o != NULL; k++) {
		const struct dp_stage *s = &t->stage[k];
		double ns = s->samples ? (double)s->cycles * ns_per_cycle / (double)s->samples : 0;

		if (json_object_set_new(o, dp_stage_name(k),
					json_pack("{s:f, s:I, s:I}", "ns", ns, "samples",
						  (json_int_t)s->samples, "cycles",
						  (json_int_t)s->cycles)) != 0)
			o = drop(o);
	}
	return o;
}

json_t *dp_stats_json(const struct dp_stats_report *r)
{
	const struct dp_counters *t = &r->total;
	json_t *ports, *lcores, *streams, *results, *lost, *o, *late, *full, *state;
	unsigned int k;

	ports = json_array();
	for (k = 0; ports != NULL && k < r->n_ports; k++) {
		const struct dp_port_report *p = &r->ports[k];

		if (json_array_append_new(
			    ports,
			    json_pack("{s:s, s:s, s:i, s:I, s:I, s:I, s:I}", "input", p->spec,
				      "device", p->device, "rx_queues", (int)p->rx_queues,
				      "ipackets", (json_int_t)p->ipackets, "imissed",
				      (json_int_t)p->imissed, "ierrors", (json_int_t)p->ierrors,
				      "rx_nombuf", (json_int_t)p->rx_nombuf)) != 0)
			ports = drop(ports);
	}
	lcores = json_array();
	for (k = 0; lcores != NULL && k < r->n_lcores; k++)
		if (json_array_append_new(
			    lcores, json_pack("{s:i, s:s, s:i, s:I, s:I}", "lcore",
					      (int)r->lcores[k].lcore, "role", r->lcores[k].role,
					      "rx_queues", (int)r->lcores[k].n_rxq, "rx_packets",
					      (json_int_t)r->lcores[k].rx_packets, "keyed_events",
					      (json_int_t)r->lcores[k].keyed_events)) != 0)
			lcores = drop(lcores);
	streams = json_object();
	for (k = 0; streams != NULL && k < r->n_streams; k++) {
		const struct dp_stream_counters *sc = &t->streams[k];

		if (json_object_set_new(streams, r->stream_names[k],
					json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "datagrams",
						  (json_int_t)sc->datagrams, "records",
						  (json_int_t)sc->records, "events",
						  (json_int_t)sc->events, "malformed",
						  (json_int_t)sc->malformed, "dead_letters",
						  (json_int_t)sc->dead_letters, "keyed_events",
						  (json_int_t)sc->keyed_events)) != 0)
			streams = drop(streams);
	}
	results = json_object();
	for (k = 0; results != NULL && k < r->n_rules; k++)
		if (json_object_set_new(results, r->rule_names[k],
					json_integer((json_int_t)t->results[k])) != 0)
			results = drop(results);
	/* the stateful rules' own: late events, refusals at the bounds, state size */
	late = json_object();
	full = json_object();
	state = json_object();
	for (k = 0; k < r->n_rules && r->rule_stateful != NULL; k++) {
		const struct dp_state_gauge *g = &t->state[k];

		if (!r->rule_stateful[k] || late == NULL || full == NULL || state == NULL)
			continue;
		if (json_object_set_new(late, r->rule_names[k],
					json_integer((json_int_t)t->late[k])) != 0)
			late = drop(late);
		if (full != NULL &&
		    json_object_set_new(full, r->rule_names[k],
					json_integer((json_int_t)t->state_full[k])) != 0)
			full = drop(full);
		if (state != NULL &&
		    json_object_set_new(
			    state, r->rule_names[k],
			    json_pack("{s:I, s:I, s:I}", "peak_keys", (json_int_t)g->peak_keys,
				      "peak_bytes", (json_int_t)g->peak_bytes, "bytes_per_key",
				      (json_int_t)(g->peak_bytes_keys
							   ? g->peak_bytes / g->peak_bytes_keys
							   : 0))) != 0)
			state = drop(state);
	}
	lost = reasons(t->lost, DP_LOST__COUNT, dp_lost_name, r->zeros);
	if (lost != NULL && r->sink_lost != NULL) {
		json_t *more = reasons(r->sink_lost, SINK_LOST__COUNT, sink_lost_name, r->zeros);

		if (more == NULL || json_object_update(lost, more) != 0)
			lost = drop(lost);
		json_decref(more);
	}
	/* "o" (not "o*"): a member that could not be built fails the whole object,
	 * so that the stats never come out with a key silently missing. */
	o = json_pack(
		"{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, "
		"s:I, s:f, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
		"s:o, s:o}",
		"rx_packets", (json_int_t)t->rx_packets, "datagrams", (json_int_t)t->datagrams,
		"records", (json_int_t)t->records, "events", (json_int_t)t->events, "filtered",
		reasons(t->filtered, DP_FILTER__COUNT, dp_filter_reason_name, r->zeros),
		"decode_errors",
		reasons(t->decode_errors, DP_DERR__COUNT, dp_decode_error_name, r->zeros),
		"malformed", reasons(t->malformed, FMT_M__COUNT, fmt_malformed_name, r->zeros),
		"xdp_dropped", xdp_dropped(r), "late_events", late, "results", results, "delivered",
		(json_int_t)r->delivered, "spooled", (json_int_t)r->spooled, "lost", lost,
		"ruleset", (json_int_t)r->ruleset, "uptime_s", r->uptime_s, "ports", ports,
		"lcores", lcores, "streams", streams, "produced", (json_int_t)t->produced,
		"empty_datagrams", (json_int_t)t->empty_datagrams, "rule_errors",
		(json_int_t)t->rule_errors, "sink_waits", (json_int_t)t->sink_waits, "shard",
		"routed", (json_int_t)t->shard_routed, "local", (json_int_t)t->shard_local, "sent",
		(json_int_t)t->shard_sent, "dropped", (json_int_t)t->shard_dropped, "waits",
		(json_int_t)t->shard_waits, "received", (json_int_t)t->shard_received, "handled",
		(json_int_t)t->shard_handled, "state_full", full, "state", state);
	if (o != NULL && json_object_set_new(o, "rx_to_result_latency_us",
					     sink_lat_json(t->rx_result_us)) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && json_object_set_new(o, "rx_to_result_untimed",
					     json_integer((json_int_t)t->rx_result_untimed)) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && r->ns_per_cycle > 0 &&
	    json_object_set_new(o, "stages", stages_json(t, r->ns_per_cycle)) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && r->xdp != NULL &&
	    json_object_set_new(o, "xdp",
				json_pack("{s:I, s:I}", "redirected",
					  (json_int_t)r->xdp[RT_XDP_REDIRECTED], "no_socket",
					  (json_int_t)r->xdp[RT_XDP_NO_SOCKET])) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && r->archive != NULL &&
	    json_object_set_new(o, "archive",
				archive_json(r->archive, t->archived, t->archive_dropped)) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL && r->sink != NULL &&
	    json_object_set_new(o, "sink", json_deep_copy(r->sink)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int dp_stats_write(const char *path, const struct dp_stats_report *r)
{
	json_t *o = dp_stats_json(r);
	int rc;

	if (o == NULL)
		return -ENOMEM;
	rc = dp_stats_write_json(path, o);
	json_decref(o);
	return rc;
}

int dp_stats_write_json(const char *path, json_t *o)
{
	char *tmp = NULL;
	int rc = 0;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
		rc = errno ? -errno : -EIO;
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void dp_counters_accumulate(struct dp_counters *sum, const struct dp_counters *c)
{
	unsigned int k;

	sum->rx_packets += load(&c->rx_packets);
	sum->datagrams += load(&c->datagrams);
	sum->records += load(&c->records);
	sum->events += load(&c->events);
	for (k = 0; k < DP_FILTER__COUNT; k++)
		sum->filtered[k] += load(&c->filtered[k]);
	for (k = 0; k < DP_DERR__COUNT; k++)
		sum->decode_errors[k] += load(&c->decode_errors[k]);
}

int dp_counters_balanced(const struct dp_counters *c)
{
	uint64_t in = c->datagrams;
	unsigned int k;

	for (k = 0; k < DP_FILTER__COUNT; k++)
		in += c->filtered[k];
	for (k = 0; k < DP_DERR__COUNT; k++)
		in += c->decode_errors[k];
	/* records = malformed + events: no record is framed before the ingest stage
	 * exists, so both sides are zero until then and the check is exact. */
	return in == c->rx_packets && c->records == c->events;
}

/* An object reason -> count of the non-zero counters. */
static json_t *reasons(const uint64_t *v, unsigned int n, const char *(*name)(unsigned int))
{
	json_t *o = json_object();
	unsigned int k;

	for (k = 0; o != NULL && k < n; k++) {
		if (v[k] != 0 && json_object_set_new(o, name(k), json_integer((json_int_t)v[k]))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Releases a half-built array; NULL, so that json_pack fails on it. */
static json_t *drop(json_t *a)
{
	json_decref(a);
	return NULL;
}

json_t *dp_stats_json(const struct dp_stats_report *r)
{
	const struct dp_counters *t = &r->total;
	json_t *ports, *lcores, *o;
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
			    lcores, json_pack("{s:i, s:i, s:I}", "lcore", (int)r->lcores[k].lcore,
					      "rx_queues", (int)r->lcores[k].n_rxq, "rx_packets",
					      (json_int_t)r->lcores[k].rx_packets)) != 0)
			lcores = drop(lcores);
	/* "o" (not "o*"): a member that could not be built fails the whole object,
	 * so that the stats never come out with a key silently missing. */
	o = json_pack(
		"{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, "
		"s:I, s:f, s:o, s:o}",
		"rx_packets", (json_int_t)t->rx_packets, "datagrams", (json_int_t)t->datagrams,
		"records", (json_int_t)t->records, "events", (json_int_t)t->events, "filtered",
		reasons(t->filtered, DP_FILTER__COUNT, dp_filter_reason_name), "decode_errors",
		reasons(t->decode_errors, DP_DERR__COUNT, dp_decode_error_name),
		/* Stages that come with later parts of the pipeline: nothing is
		 * counted there yet, so the objects are empty, not absent. */
		"malformed", json_object(), "xdp_dropped", json_object(), "late_events",
		json_object(), "results", json_object(), "delivered", (json_int_t)0, "spooled",
		(json_int_t)0, "lost", json_object(), "ruleset", (json_int_t)r->ruleset, "uptime_s",
		r->uptime_s, "ports", ports, "lcores", lcores);
	return o;
}

int dp_stats_write(const char *path, const struct dp_stats_report *r)
{
	json_t *o = dp_stats_json(r);
	char *tmp = NULL;
	int rc = 0;

	if (o == NULL)
		return -ENOMEM;
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
	json_decref(o);
	return rc;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's side of riptide: the commands of riptidectl (INTERFACES.md) on
 * the runtime, the live stats, and the two changes made while traffic runs: a rule
 * set swapped in (dp_gen.h) and the pre-filter's block list and rate limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "control/ctl_server.h"
#include "dp_lcore.h"
#include "dp_log.h"
#include "dp_port.h"
#include "dp_runtime.h"
#include "dp_xdp.h"
#include "sinks/sink.h"
#include "sinks/sink_archive.h"
#include "sinks/sink_kafka.h"
#include "sinks/sink_ring.h"

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *ok(json_t *result)
{
	return result != NULL ? json_pack("{s:b, s:o}", "ok", 1, "result", result) : NULL;
}

/* ---- generations ---- */

/* Waits for every online lcore to have left what came before the latest publication.
 * Returns false when riptide stops meanwhile (the lcores may never report). */
static bool grace(struct dp_runtime *rt)
{
	const struct timespec nap = { .tv_nsec = 200 * 1000 };
	uint64_t token = rte_rcu_qsbr_start(rt->qsbr);

	while (rte_rcu_qsbr_check(rt->qsbr, token, false) != 1) {
		if (dp_force_quit)
			return false;
		nanosleep(&nap, NULL);
	}
	return true;
}

static void gen_free(struct dp_gen *g)
{
	unsigned int k;

	if (g == NULL)
		return;
	for (k = 0; g->kits != NULL && k < g->n_kits; k++)
		dp_kit_free(&g->kits[k]);
	free(g->kits);
	if (g->pl != NULL)
		dp_pipeline_fini(g->pl);
	free(g->pl);
	pat_ruleset_free(g->rs);
	free(g);
}

/* The per-lcore kits of generation g (dp_gen.h). Returns 0 or -ENOMEM. */
static int kits_prepare(struct dp_runtime *rt, struct dp_gen *g)
{
	size_t tmp =
		dp_win_tmp_size() > dp_shard_tmp_size() ? dp_win_tmp_size() : dp_shard_tmp_size();
	unsigned int k;

	g->kits = calloc(rt->n_workers, sizeof(*g->kits));
	if (g->kits == NULL)
		return -ENOMEM;
	g->n_kits = rt->n_workers;
	for (k = 0; k < rt->n_workers; k++) {
		struct dp_worker *w = &rt->workers[k];
		struct dp_kit *kit = &g->kits[k];

		kit->tmp = malloc(tmp);
		if (kit->tmp == NULL || dp_ingest_kit(kit, g->pl) != 0 ||
		    (w->sout != NULL && dp_shard_kit(kit, g->pl) != 0) ||
		    (w->sin != NULL && dp_win_kit(kit, &w->sin->wl, g->pl) != 0))
			return -ENOMEM;
	}
	return 0;
}

static const char *format_ext(enum pat_format f)
{
	return f == PAT_FMT_JSON ? "json" : f == PAT_FMT_CSV ? "csv" : "bin";
}

/* The archive's name of each stream slot that the pipeline uses. */
static void archive_streams(struct dp_runtime *rt, const struct dp_pipeline *pl)
{
	uint32_t k;

	if (rt->arch_streams == NULL)
		return;
	for (k = 0; k < pl->n_streams; k++) {
		struct sink_archive_stream *as = &rt->arch_streams[pl->streams[k].slot];

		as->ext = format_ext(pl->streams[k].s->format);
		as->newline = pl->streams[k].s->format != PAT_FMT_BINARY;
		as->name = rt->slots.stream[pl->streams[k].slot];
	}
}

static void filter_free(struct dp_filter_set *fs)
{
	if (fs == NULL)
		return;
	dp_blocklist_free((struct dp_blocklist *)(uintptr_t)fs->blocked);
	free(fs->hits);
	free(fs);
}

/* A filter set of version `version` blocking v[0..n), with its hit rows; NULL when
 * out of memory. */
static struct dp_filter_set *filter_new(const struct dp_runtime *rt, uint64_t version,
					const struct dp_prefix *v, uint32_t n, uint64_t pps,
					uint64_t burst)
{
	struct dp_filter_set *fs = calloc(1, sizeof(*fs));

	if (fs == NULL)
		return NULL;
	fs->version = version;
	fs->rate_pps = pps;
	fs->rate_burst = burst;
	fs->n_prefixes = n;
	fs->hits_stride = (n + 7) / 8 * 8; /* a row: whole cache lines */
	if (n > 0) {
		fs->blocked = dp_blocklist_new(v, n);
		size_t bytes = (size_t)rt->n_workers * fs->hits_stride * sizeof(*fs->hits);

		/* each lcore's row on cache lines of its own: aligned, whole lines */
		fs->hits = aligned_alloc(64, bytes);
		if (fs->blocked == NULL || fs->hits == NULL) {
			filter_free(fs);
			return NULL;
		}
		memset(fs->hits, 0, bytes);
	}
	return fs;
}

int dp_rt_begin(struct dp_runtime *rt, struct dp_pipeline *pl, struct pat_ruleset *rs,
		const char *rules_file)
{
	uint32_t n = rt->cfg->n_blocked;
	struct dp_gen *g = calloc(1, sizeof(*g));
	struct dp_filter_set *fs;
	unsigned int k;

	rt->prefixes = calloc(n + 1, sizeof(*rt->prefixes));
	rt->hits_base = calloc(n + 1, sizeof(*rt->hits_base));
	rt->rules_file = strdup(rules_file);
	if (g == NULL || rt->prefixes == NULL || rt->hits_base == NULL || rt->rules_file == NULL) {
		free(g);
		return -ENOMEM;
	}
	if (n > 0)
		memcpy(rt->prefixes, rt->cfg->blocked, n * sizeof(*rt->prefixes));
	fs = filter_new(rt, 1, rt->prefixes, n, rt->cfg->rate_pps, rt->cfg->rate_burst);
	if (fs == NULL) {
		free(g);
		return -ENOMEM;
	}
	g->version = pl->ruleset;
	g->pl = pl;
	g->rs = rs;
	rt->gen = g;
	rt->filter = fs;
	rt->loaded_at = time(NULL);
	archive_streams(rt, pl);
	for (k = 0; k < rt->n_workers; k++) {
		rt->workers[k].gen = g;
		dp_ingest_filter(&rt->workers[k].in, fs, k);
	}
	dp_gen_current = g;
	dp_filter_current = fs;
	return 0;
}

void dp_rt_end(struct dp_runtime *rt)
{
	gen_free(rt->retired);
	gen_free(rt->gen);
	rt->gen = rt->retired = NULL;
	filter_free(rt->filter);
	rt->filter = NULL;
	free(rt->prefixes);
	free(rt->hits_base);
	free(rt->rules_file);
	free(rt->rules_text);
	dp_slots_free(&rt->slots);
}

static json_t *diags_json(const struct pat_diags *d)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a != NULL && k < d->n; k++)
		json_array_append_new(a, json_string(d->msgs[k]));
	return a;
}

/* Compiles the request's rule file; on errors, the reply. */
static json_t *compile(const struct ctl_request *req, struct pat_ruleset **rs)
{
	struct pat_diags diags = { 0 };
	json_t *r;
	int rc;

	*rs = NULL;
	rc = pat_compile(req->file, req->text, req->text_len, rs, &diags);
	if (rc == 0) {
		pat_diags_free(&diags);
		return NULL;
	}
	r = json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
		      rc == -ENOMEM
			      ? "out of memory compiling the rule file"
			      : "the rule file has errors; the rule set in force is unchanged",
		      "errors", diags_json(&diags));
	pat_diags_free(&diags);
	return r;
}

static json_t *rules_check(const struct ctl_request *req)
{
	struct pat_ruleset *rs;
	json_t *r = compile(req, &rs);
	char msg[512];

	if (r != NULL)
		return r;
	snprintf(msg, sizeof(msg), "%s: %u stream(s), %u rule(s), no errors", req->file,
		 rs->n_streams, rs->n_rules);
	r = ok(json_pack("{s:s, s:i, s:i}", "message", msg, "streams", (int)rs->n_streams, "rules",
			 (int)rs->n_rules));
	pat_ruleset_free(rs);
	return r;
}

static bool has_rule(const struct pat_ruleset *rs, const char *name)
{
	uint32_t k;

	for (k = 0; k < rs->n_rules; k++)
		if (strcmp(rs->rules[k].name, name) == 0)
			return true;
	return false;
}

/* Stateful rules that keep their state; rules (by name) new and gone. */
static void count_changes(const struct pat_ruleset *old, const struct pat_ruleset *rs,
			  const struct dp_pipeline *pl, uint32_t *carried, uint32_t *added,
			  uint32_t *removed)
{
	uint32_t k;

	for (k = 0; k < pl->n_srules; k++)
		*carried += pl->srule_from[k] >= 0;
	for (k = 0; k < rs->n_rules; k++)
		*added += !has_rule(old, rs->rules[k].name);
	for (k = 0; k < old->n_rules; k++)
		*removed += !has_rule(rs, old->rules[k].name);
}

/* The XDP program's port allow-list: the ports of a and b (b NULL: a's alone). During
 * a swap both sets' ports pass there; the lcores' pipelines judge them. */
static void xdp_ports(struct dp_runtime *rt, const struct pat_ruleset *a,
		      const struct pat_ruleset *b)
{
	static uint8_t allowed[65536]; /* under rt->lock */
	int rc;

	if (rt->xdp == NULL)
		return;
	memset(allowed, 0, sizeof(allowed));
	dp_xdp_ports_of(a, allowed);
	dp_xdp_ports_of(b, allowed);
	rc = rt_xdp_set_ports(rt->xdp, allowed);
	if (rc != 0)
		DP_LOG(ERR, "XDP pre-filter: the ports of the rule set: %s", strerror(-rc));
}

int dp_rt_xdp_open(struct dp_runtime *rt, struct dp_config *cfg, const struct pat_ruleset *rs,
		   char *err, size_t errlen)
{
	int rc = rt_xdp_open(&rt->xdp, true, err, errlen);

	if (rc != 0)
		return rc;
	xdp_ports(rt, rs, NULL);
	rc = dp_xdp_set_filter(rt->xdp, cfg->blocked, cfg->n_blocked, cfg->rate_pps,
			       cfg->rate_burst);
	cfg->xdp_prog = rt_xdp_obj_path(rt->xdp);
	if (rc != 0 || cfg->xdp_prog == NULL) {
		snprintf(err, errlen, "XDP pre-filter: cannot fill its maps: %s",
			 strerror(rc ? -rc : ENOMEM));
		rt_xdp_close(rt->xdp);
		rt->xdp = NULL;
		return rc ? rc : -ENOMEM;
	}
	return 0;
}

static json_t *rules_load(struct dp_runtime *rt, const struct ctl_request *req)
{
	double t0 = mono_s(), t1, t2;
	struct dp_gen *g = NULL, *old;
	struct pat_ruleset *rs;
	struct dp_pipeline *pl;
	uint32_t k, carried = 0, added = 0, removed = 0;
	char *text;
	json_t *r;
	int rc;

	r = compile(req, &rs);
	if (r != NULL) {
		pthread_mutex_lock(&rt->lock);
		rt->reload_failures++;
		pthread_mutex_unlock(&rt->lock);
		return r;
	}
	t1 = mono_s();
	text = malloc(req->text_len + 1);
	g = calloc(1, sizeof(*g));
	pl = calloc(1, sizeof(*pl));
	if (text == NULL || g == NULL || pl == NULL) {
		free(text);
		free(g);
		free(pl);
		pat_ruleset_free(rs);
		return ctl_error("out of memory for the new rule set");
	}
	pthread_mutex_lock(&rt->lock);
	old = rt->gen;
	g->rs = rs;
	g->pl = pl;
	rc = dp_pipeline_init_after(pl, rs, rt->topics, &rt->slots, old->pl, old->rs);
	if (rc == 0) {
		pl->ruleset = old->pl->ruleset + 1;
		pl->has_sink = old->pl->has_sink;
		pl->backpressure = old->pl->backpressure;
		pl->clock_from_packets = old->pl->clock_from_packets;
		g->version = pl->ruleset;
		rc = kits_prepare(rt, g);
	}
	if (rc != 0) {
		rt->reload_failures++;
		pthread_mutex_unlock(&rt->lock);
		gen_free(g);
		free(text);
		return ctl_error("cannot set up the new rule set: %s%s", strerror(-rc),
				 rc == -ENOSPC ? " (a riptide counts at most 10000 rule names and "
						 "64 stream names over its life, and 16384 topics)"
					       : "");
	}
	archive_streams(rt, pl);
	count_changes(old->rs, rs, pl, &carried, &added, &removed);
	xdp_ports(rt, old->rs, rs);
	__atomic_store_n(&dp_gen_current, g, __ATOMIC_RELEASE);
	rt->gen = g;
	if (!grace(rt)) {
		/* stopping: the lcores are leaving; the old generation is freed at exit */
		rt->retired = old;
		pthread_mutex_unlock(&rt->lock);
		free(text);
		return ctl_error("riptide is stopping");
	}
	t2 = mono_s();
	xdp_ports(rt, rs, NULL);
	/* every lcore runs g: what they left in their kits, and the old generation, go */
	for (k = 0; k < g->n_kits; k++)
		dp_kit_free(&g->kits[k]);
	gen_free(old);
	memcpy(text, req->text, req->text_len);
	text[req->text_len] = '\0';
	free(rt->rules_text);
	free(rt->rules_file);
	rt->rules_text = text;
	rt->rules_len = req->text_len;
	rt->rules_file = strdup(req->file);
	rt->loaded_at = time(NULL);
	rt->reloads++;
	rt->last_compile_ms = (t1 - t0) * 1e3;
	rt->last_swap_ms = (t2 - t1) * 1e3;
	r = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:f, s:f}", "ruleset",
		      (json_int_t)pl->ruleset, "rules", (int)rs->n_rules, "streams",
		      (int)rs->n_streams, "carried", (int)carried, "added", (int)added, "removed",
		      (int)removed, "compile_ms", rt->last_compile_ms, "swap_ms", rt->last_swap_ms);
	pthread_mutex_unlock(&rt->lock);
	DP_LOG(INFO, "ruleset %lu from %s in force: compile %.1f ms, swap %.1f ms",
	       (unsigned long)pl->ruleset, req->file, rt->last_compile_ms, rt->last_swap_ms);
	return ok(r);
}

static json_t *rules_show(struct dp_runtime *rt)
{
	const struct pat_ruleset *rs = rt->gen->rs;
	static const char *const kinds[] = { "alert", "aggregate", "pattern" };
	static const char *const formats[] = { "json", "csv", "binary" };
	json_t *rules = json_array(), *streams = json_array();
	char when[64];
	struct tm tm;
	uint32_t k;

	gmtime_r(&rt->loaded_at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (k = 0; rules != NULL && k < rs->n_rules; k++)
		json_array_append_new(rules,
				      json_pack("{s:s, s:s, s:s, s:s}", "name", rs->rules[k].name,
						"kind", kinds[rs->rules[k].kind], "stream",
						rs->streams[rs->rules[k].stream].name, "topic",
						rs->rules[k].topic));
	for (k = 0; streams != NULL && k < rs->n_streams; k++)
		json_array_append_new(streams,
				      json_pack("{s:s, s:i, s:s}", "name", rs->streams[k].name,
						"port", (int)rs->streams[k].port, "format",
						formats[rs->streams[k].format]));
	return ok(json_pack(
		"{s:I, s:s, s:s, s:s%, s:o, s:o}", "ruleset", (json_int_t)rt->gen->version, "file",
		rt->rules_file, "loaded_at", when, "text", rt->rules_text ? rt->rules_text : "",
		rt->rules_text ? rt->rules_len : (size_t)0, "rules", rules, "streams", streams));
}

/* ---- the pre-filter ---- */

/* The software pre-filter's hits of prefix i of the set in force: its base and
 * every lcore's row. */
static uint64_t soft_hits(const struct dp_runtime *rt, uint32_t i)
{
	const struct dp_filter_set *fs = rt->filter;
	uint64_t n = rt->hits_base[i];
	unsigned int w;

	for (w = 0; fs->hits != NULL && w < rt->n_workers; w++)
		n += __atomic_load_n(&fs->hits[(size_t)w * fs->hits_stride + i], __ATOMIC_RELAXED);
	return n;
}

/* Its hits in both back ends (the XDP program keeps its own while listed). */
static uint64_t prefix_hits(const struct dp_runtime *rt, uint32_t i)
{
	return soft_hits(rt, i) +
	       (rt->xdp != NULL ? dp_xdp_prefix_hits(rt->xdp, &rt->prefixes[i]) : 0);
}

/*
 * Publishes a filter set with prefixes v[0..n) (hits counted so far: base) and the
 * rate limit, waits for every lcore to use it, frees the old one. Takes v and base.
 * Returns 0, -ENOMEM, the XDP maps' -errno (nothing published), or -EINTR when
 * riptide stops meanwhile.
 */
static int filter_publish(struct dp_runtime *rt, struct dp_prefix *v, uint64_t *base, uint32_t n,
			  uint64_t pps, uint64_t burst)
{
	struct dp_filter_set *old = rt->filter;
	struct dp_filter_set *fs = filter_new(rt, old->version + 1, v, n, pps, burst);

	if (fs == NULL) {
		free(v);
		free(base);
		return -ENOMEM;
	}
	if (rt->xdp != NULL) {
		int rc = dp_xdp_set_filter(rt->xdp, v, n, pps, burst);

		if (rc != 0) {
			filter_free(fs);
			free(v);
			free(base);
			return rc;
		}
	}
	__atomic_store_n(&dp_filter_current, fs, __ATOMIC_RELEASE);
	rt->filter = fs;
	free(rt->prefixes);
	free(rt->hits_base);
	rt->prefixes = v;
	rt->hits_base = base;
	if (!grace(rt))
		return -EINTR; /* the old set is forgotten: riptide exits */
	filter_free(old);
	return 0;
}

static json_t *filter_change(struct dp_runtime *rt, const struct ctl_request *req)
{
	const struct dp_filter_set *fs = rt->filter;
	uint32_t n = fs->n_prefixes, i, at = UINT32_MAX, m = 0;
	struct dp_prefix p, *v;
	uint64_t *base, pps = fs->rate_pps, burst = fs->rate_burst;
	char err[256], text[64];
	int rc;

	if (req->cmd == CTL_FILTER_RATE) {
		pps = req->pps;
		burst = req->burst;
	} else {
		if (dp_prefix_parse(req->prefix, &p, err, sizeof(err)) != 0)
			return ctl_error("%s", err);
		for (i = 0; i < n; i++)
			if (rt->prefixes[i].len == p.len &&
			    memcmp(rt->prefixes[i].addr, p.addr, 16) == 0)
				at = i;
		dp_prefix_format(&p, text, sizeof(text));
		if (req->cmd == CTL_FILTER_ADD && at != UINT32_MAX)
			return ctl_error("%s is already blocked", text);
		if (req->cmd == CTL_FILTER_DEL && at == UINT32_MAX)
			return ctl_error("%s is not blocked", text);
		if (req->cmd == CTL_FILTER_ADD && n == DP_MAX_BLOCKED)
			return ctl_error("at most %d blocked prefixes", DP_MAX_BLOCKED);
	}
	v = calloc(n + 1, sizeof(*v));
	base = calloc(n + 1, sizeof(*base));
	if (v == NULL || base == NULL) {
		free(v);
		free(base);
		return ctl_error("out of memory");
	}
	for (i = 0; i < n; i++) {
		if (i == at)
			continue; /* deleted: its hits go with it */
		v[m] = rt->prefixes[i];
		base[m++] = soft_hits(rt, i);
	}
	if (req->cmd == CTL_FILTER_ADD)
		v[m++] = p;
	rc = filter_publish(rt, v, base, m, pps, burst);
	if (rc != 0)
		return ctl_error("%s", rc == -EINTR ? "riptide is stopping" : strerror(-rc));
	if (req->cmd == CTL_FILTER_RATE)
		snprintf(err, sizeof(err), "per-source rate limit %llu packets/s%s",
			 (unsigned long long)pps, pps ? "" : " (off)");
	else
		snprintf(err, sizeof(err), "%s %s", text,
			 req->cmd == CTL_FILTER_ADD ? "blocked" : "unblocked");
	return ok(json_pack("{s:s, s:I}", "message", err, "version",
			    (json_int_t)rt->filter->version));
}

static json_t *filter_list(struct dp_runtime *rt)
{
	const struct dp_filter_set *fs = rt->filter;
	struct dp_counters sum;
	json_t *a = json_array();
	char text[64];
	uint32_t i;
	unsigned int w;

	memset(&sum, 0, sizeof(sum));
	for (w = 0; w < rt->n_workers; w++)
		dp_counters_accumulate(&sum, &rt->workers[w].c);
	for (i = 0; a != NULL && i < fs->n_prefixes; i++) {
		dp_prefix_format(&rt->prefixes[i], text, sizeof(text));
		json_array_append_new(a, json_pack("{s:s, s:I}", "prefix", text, "hits",
						   (json_int_t)prefix_hits(rt, i)));
	}
	return ok(json_pack("{s:o, s:I, s:I, s:I, s:I}", "blocked", a, "rate_pps",
			    (json_int_t)fs->rate_pps, "rate_burst",
			    (json_int_t)(fs->rate_burst ? fs->rate_burst : fs->rate_pps),
			    "rate_limited", (json_int_t)sum.filtered[DP_FILTER_RATE_LIMITED],
			    "blocked_source", (json_int_t)sum.filtered[DP_FILTER_BLOCKED_SOURCE]));
}

/* ---- stats ---- */

static const char *worker_role(const struct dp_worker *w)
{
	if (!w->rx_role)
		return "state";
	return w->sout == NULL || w->sout->self >= 0 ? "rx+state" : "rx";
}

int dp_rt_report(struct dp_runtime *rt, struct dp_stats_report *r)
{
	struct dp_port_report *ports = calloc(rt->n_ports + 1, sizeof(*ports));
	struct dp_lcore_report *lcores = calloc(rt->n_workers + 1, sizeof(*lcores));
	unsigned int k;

	memset(r, 0, sizeof(*r));
	if (ports == NULL || lcores == NULL) {
		free(ports);
		free(lcores);
		return -ENOMEM;
	}
	for (k = 0; k < rt->n_workers; k++) {
		const struct dp_worker *w = &rt->workers[k];

		dp_counters_accumulate(&r->total, &w->c);
		lcores[k].lcore = w->lcore_id;
		lcores[k].n_rxq = w->n_rxq;
		lcores[k].rx_packets = __atomic_load_n(&w->c.rx_packets, __ATOMIC_RELAXED);
		lcores[k].keyed_events = __atomic_load_n(&w->c.shard_handled, __ATOMIC_RELAXED);
		lcores[k].role = worker_role(w);
	}
	for (k = 0; k < rt->n_ports; k++)
		dp_port_report(&rt->ports[k], &ports[k]);
	r->ports = ports;
	r->n_ports = rt->n_ports;
	r->lcores = lcores;
	r->n_lcores = rt->n_workers;
	r->n_streams = __atomic_load_n(&rt->slots.n_streams, __ATOMIC_ACQUIRE);
	r->stream_names = (const char *const *)rt->slots.stream;
	r->n_rules = __atomic_load_n(&rt->slots.n_rules, __ATOMIC_ACQUIRE);
	r->rule_names = (const char *const *)rt->slots.rule;
	r->rule_stateful = rt->slots.rule_stateful;
	r->delivered = __atomic_load_n(&rt->sink->c.delivered, __ATOMIC_RELAXED);
	r->spooled = __atomic_load_n(&rt->sink->c.spooled, __ATOMIC_RELAXED);
	r->sink_lost = rt->sink->c.lost;
	r->ruleset = rt->gen->version;
	r->uptime_s = mono_s() - rt->t0;
	/* dp_cycles() is the TSC (dp_ingest.h), or nanoseconds */
	r->ns_per_cycle = !DP_CYCLES_ARE_TSC ? 1.0 : rt->n_workers ? rt->workers[0].ns_per_tsc : 0;
	return 0;
}

void dp_rt_report_free(struct dp_stats_report *r)
{
	free((void *)(uintptr_t)r->ports);
	free((void *)(uintptr_t)r->lcores);
	r->ports = NULL;
	r->lcores = NULL;
}

/* What is true now rather than counted: ring fill, Kafka's queue, watermark lag. */
static json_t *live_json(struct dp_runtime *rt)
{
	json_t *fill = json_array(), *lag = json_object();
	struct timespec now;
	int64_t now_ms;
	unsigned int k;
	uint32_t si;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (k = 0; fill != NULL && k < rt->n_workers; k++) {
		const struct sink_ring *ring = rt->workers[k].in.ring;

		json_array_append_new(fill, json_real(ring != NULL ? (double)sink_ring_used(ring) /
									     (double)ring->size
								   : 0.0));
	}
	/* the least watermark of each stream over the state lcores that have one */
	for (si = 0; lag != NULL && si < rt->gen->pl->n_streams; si++) {
		int64_t w = INT64_MAX;

		for (k = 0; k < rt->n_workers; k++) {
			const struct dp_shard_in *in = rt->workers[k].sin;
			int64_t W;

			if (in == NULL)
				continue;
			W = __atomic_load_n(&in->wl.time[si].W, __ATOMIC_RELAXED);
			if (W != INT64_MIN && W < w)
				w = W;
		}
		if (w != INT64_MAX)
			json_object_set_new(lag, rt->gen->pl->streams[si].name,
					    json_integer((json_int_t)(now_ms - w)));
	}
	return json_pack("{s:o, s:I, s:o}", "result_ring_fill", fill, "kafka_queue",
			 (json_int_t)sink_kafka_queue(rt->sink), "watermark_lag_ms", lag);
}

static json_t *stats(struct dp_runtime *rt, json_t *sink_json, json_t *archive_json, bool zeros)
{
	uint64_t xdp[RT_XDP_N_COUNTS];
	struct dp_stats_report r;
	struct ctl_server_counters cc = { 0 };
	json_t *o = NULL, *sink_live = NULL;

	pthread_mutex_lock(&rt->lock);
	if (dp_rt_report(rt, &r) != 0)
		goto out;
	if (sink_json == NULL)
		sink_json = sink_live = sink_live_json(rt->sink);
	r.sink = sink_json;
	r.archive = archive_json;
	r.zeros = zeros;
	if (rt->xdp != NULL && rt_xdp_counts(rt->xdp, xdp) == 0)
		r.xdp = xdp;
	o = dp_stats_json(&r);
	if (rt->ctl != NULL)
		ctl_server_counters(rt->ctl, &cc);
	else
		cc = rt->ctl_final;
	if (o != NULL &&
	    (json_object_set_new(o, "live", live_json(rt)) != 0 ||
	     json_object_set_new(o, "control",
				 json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I}",
					   "reloads", (json_int_t)rt->reloads, "reload_failures",
					   (json_int_t)rt->reload_failures, "last_compile_ms",
					   rt->last_compile_ms, "last_swap_ms", rt->last_swap_ms,
					   "requests", (json_int_t)cc.requests, "refused_peers",
					   (json_int_t)cc.refused_peers, "bad_requests",
					   (json_int_t)cc.bad_requests, "oversized",
					   (json_int_t)cc.oversized, "timeouts",
					   (json_int_t)cc.timeouts)) != 0)) {
		json_decref(o);
		o = NULL;
	}
	dp_rt_report_free(&r);
out:
	json_decref(sink_live);
	pthread_mutex_unlock(&rt->lock);
	return o;
}

json_t *dp_rt_stats(struct dp_runtime *rt, json_t *sink_json, json_t *archive_json)
{
	return stats(rt, sink_json, archive_json, false);
}

void dp_rt_control_stop(struct dp_runtime *rt)
{
	if (rt->ctl == NULL)
		return;
	ctl_server_counters(rt->ctl, &rt->ctl_final);
	ctl_server_stop(rt->ctl);
	rt->ctl = NULL;
}

/* Every reason's series, those at 0 too: a rate() in Prometheus needs the series
 * before the first count. */
json_t *dp_rt_metrics(void *ctx)
{
	return stats(ctx, NULL, NULL, true);
}

/* ---- status ---- */

static json_t *status(struct dp_runtime *rt)
{
	static const char *const counters[] = { "rx_packets", "events", "produced", "delivered" };
	const struct timespec gap = { .tv_nsec = 250 * 1000 * 1000 };
	json_t *a = dp_rt_stats(rt, NULL, NULL), *b, *rates = json_object(), *r;
	unsigned int k;
	double dt;

	nanosleep(&gap, NULL);
	b = dp_rt_stats(rt, NULL, NULL);
	if (a == NULL || b == NULL || rates == NULL) {
		json_decref(a);
		json_decref(b);
		json_decref(rates);
		return NULL;
	}
	dt = json_real_value(json_object_get(b, "uptime_s")) -
	     json_real_value(json_object_get(a, "uptime_s"));
	for (k = 0; k < 4; k++)
		json_object_set_new(
			rates, counters[k],
			json_real((double)(json_integer_value(json_object_get(b, counters[k])) -
					   json_integer_value(json_object_get(a, counters[k]))) /
				  (dt > 0 ? dt : 1)));
	pthread_mutex_lock(&rt->lock);
	r = json_pack("{s:s, s:i, s:O, s:O, s:s, s:i, s:i, s:O, s:O, s:o, s:f}", "version",
		      RIPTIDE_VERSION, "pid", (int)getpid(), "uptime_s",
		      json_object_get(b, "uptime_s"), "ruleset", json_object_get(b, "ruleset"),
		      "rules_file", rt->rules_file, "streams", (int)rt->gen->rs->n_streams, "rules",
		      (int)rt->gen->rs->n_rules, "ports", json_object_get(b, "ports"), "lcores",
		      json_object_get(b, "lcores"), "rates", rates, "rates_over_s", dt);
	pthread_mutex_unlock(&rt->lock);
	json_decref(a);
	json_decref(b);
	return ok(r);
}

json_t *dp_rt_handle(void *ctx, const struct ctl_request *req)
{
	struct dp_runtime *rt = ctx;
	json_t *r;

	switch (req->cmd) {
	case CTL_STATUS:
		return status(rt);
	case CTL_STATS:
		return ok(dp_rt_stats(rt, NULL, NULL));
	case CTL_RULES_CHECK:
		return rules_check(req);
	case CTL_RULES_LOAD:
		return rules_load(rt, req);
	case CTL_RULES_SHOW:
		pthread_mutex_lock(&rt->lock);
		r = rules_show(rt);
		pthread_mutex_unlock(&rt->lock);
		return r;
	case CTL_FILTER_ADD:
	case CTL_FILTER_DEL:
	case CTL_FILTER_RATE:
		pthread_mutex_lock(&rt->lock);
		r = filter_change(rt, req);
		pthread_mutex_unlock(&rt->lock);
		return r;
	case CTL_FILTER_LIST:
		pthread_mutex_lock(&rt->lock);
		r = filter_list(rt);
		pthread_mutex_unlock(&rt->lock);
		return r;
	default:
		return ctl_error("unknown command");
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_ingest.h"
#include "dp_gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

/* Source slots of the per-lcore rate limiter (32 bytes each: 2 MiB). */
#define DP_RL_SLOTS (1u << 16)
/* Scratch for unescaped strings: at least the largest record (a whole datagram). */
#define DP_SCRATCH (128u * 1024)

/* The alerts of stream st behind each predicate (counting sort by predicate). */
static int pred_index(struct dp_stream_rt *st, const struct dp_alert_rt *alerts, uint32_t n_preds)
{
	uint32_t k, *fill;

	if (n_preds == 0)
		return 0;
	st->pred_first = calloc(n_preds + 1, sizeof(*st->pred_first));
	st->pred_alerts = calloc(st->n_alerts - st->n_always + 1, sizeof(*st->pred_alerts));
	fill = calloc(n_preds, sizeof(*fill));
	if (st->pred_first == NULL || st->pred_alerts == NULL || fill == NULL) {
		free(fill);
		return -ENOMEM;
	}
	for (k = st->first_alert + st->n_always; k < st->first_alert + st->n_alerts; k++)
		st->pred_first[alerts[k].pred + 1]++;
	for (k = 0; k < n_preds; k++)
		st->pred_first[k + 1] += st->pred_first[k];
	for (k = st->first_alert + st->n_always; k < st->first_alert + st->n_alerts; k++) {
		uint32_t p = (uint32_t)alerts[k].pred;

		st->pred_alerts[st->pred_first[p] + fill[p]++] = k;
	}
	free(fill);
	return 0;
}

/* The alert table, by stream, with the topics of the alerts. */
static int alerts_init(struct dp_pipeline *pl, const struct pat_ruleset *rs,
		       struct sink_topics *topics)
{
	static const char *const ts_field[] = { "ts" };
	uint32_t si, k;
	int rc;

	if (rs->checked_only)
		return -EINVAL;
	pl->alerts = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*pl->alerts));
	if (pl->alerts == NULL)
		return -ENOMEM;
	pl->n_alerts = 0;
	for (si = 0; si < rs->n_streams; si++) {
		struct dp_stream_rt *st = &pl->streams[si];
		int pass;

		st->first_alert = pl->n_alerts;
		/* those evaluated for every event first, then those behind a predicate */
		for (pass = 0; pass < 2; pass++) {
			for (k = 0; k < rs->n_rules; k++) {
				const struct pat_rule *r = &rs->rules[k];
				struct dp_alert_rt *a = &pl->alerts[pl->n_alerts];
				int req = r->where ? pat_expr_required_pred(r->where) : -1;

				if (r->kind != PAT_R_ALERT || r->stream != si ||
				    (req >= 0) != (pass == 1))
					continue;
				rc = sink_topics_add(topics, r->topic);
				if (rc < 0)
					return rc;
				a->r = r;
				a->rule = k;
				a->topic = (uint16_t)rc;
				a->pred = req;
				pl->n_alerts++;
				rc = dp_tpl_prepare(&a->tpl, r, ts_field, 1, r->items, r->n_items);
				if (rc != 0)
					return rc;
			}
			if (pass == 0)
				st->n_always = pl->n_alerts - st->first_alert;
		}
		st->n_alerts = pl->n_alerts - st->first_alert;
		rc = pred_index(st, pl->alerts, rs->n_preds[si]);
		if (rc != 0)
			return rc;
	}
	pl->eval_bytes = (size_t)rs->eval_strings * PAT_MAX_STRING;
	return pat_hs_scratch(rs, &pl->hs_proto);
}

/* Counters by slot: each rule's and stream's (their indexes in rs without slots). */
static int assign_slots(struct dp_pipeline *pl, const struct pat_ruleset *rs,
			struct dp_slots *slots)
{
	uint32_t k;
	int rc;

	for (k = 0; k < rs->n_streams; k++) {
		rc = slots ? dp_slot_stream(slots, rs->streams[k].name) : (int)k;
		if (rc < 0)
			return rc;
		pl->streams[k].slot = (uint32_t)rc;
	}
	for (k = 0; k < pl->n_alerts; k++) {
		const struct pat_rule *r = pl->alerts[k].r;

		rc = slots ? dp_slot_rule(slots, r->name, false) : (int)(r - rs->rules);
		if (rc < 0)
			return rc;
		pl->alerts[k].rule = (uint32_t)rc;
	}
	for (k = 0; k < pl->n_srules; k++) {
		const struct pat_rule *r = pl->srules[k].r;

		rc = slots ? dp_slot_rule(slots, r->name, true) : (int)(r - rs->rules);
		if (rc < 0)
			return rc;
		pl->srules[k].rule = (uint32_t)rc;
	}
	return 0;
}

int dp_pipeline_init(struct dp_pipeline *pl, const struct pat_ruleset *rs,
		     struct sink_topics *topics, struct dp_slots *slots)
{
	uint32_t i;
	int rc;

	pl->prev = NULL;
	pl->srule_from = pl->prev_srule_to = NULL;
	for (i = 0; i < PAT_MAX_STREAMS; i++)
		pl->stream_from[i] = pl->prev_stream_to[i] = -1;
	memset(pl->stream_of_port, DP_NO_STREAM, sizeof(pl->stream_of_port));
	pl->n_streams = rs->n_streams;
	for (i = 0; i < rs->n_streams; i++) {
		const struct pat_stream *s = &rs->streams[i];
		struct dp_stream_rt *st = &pl->streams[i];

		rc = fmt_schema_init(&st->sc, s);
		if (rc != 0)
			return rc;
		st->s = s;
		st->name = s->name;
		st->dl_topic = -1;
		st->wm_delay_ms = s->watermark_delay_ms;
		st->idle_timeout_ms = s->idle_timeout_ms;
		st->n_keys = s->n_keys;
		memcpy(st->key_cols, s->key_cols, sizeof(st->key_cols));
		if (s->dead_letter_topic != NULL) {
			rc = sink_topics_add(topics, s->dead_letter_topic);
			if (rc < 0)
				return rc;
			st->dl_topic = rc;
		}
		pl->stream_of_port[s->port] = (uint8_t)i;
		st->hs = rs->hs[i];
	}
	rc = alerts_init(pl, rs, topics);
	if (rc != 0)
		return rc;
	rc = dp_srules_init(pl, rs, topics);
	if (rc != 0)
		return rc;
	return assign_slots(pl, rs, slots);
}

static bool same_sig(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int dp_pipeline_init_after(struct dp_pipeline *pl, struct pat_ruleset *rs,
			   struct sink_topics *topics, struct dp_slots *slots,
			   const struct dp_pipeline *prev, struct pat_ruleset *prev_rs)
{
	int16_t stream_from[PAT_MAX_STREAMS];
	int32_t *rule_from = calloc(rs->n_rules + 1, sizeof(*rule_from));
	int32_t *srule_of_rule = calloc(prev_rs->n_rules + 1, sizeof(*srule_of_rule));
	uint32_t i, j;
	int rc = -ENOMEM;

	if (rule_from == NULL || srule_of_rule == NULL)
		goto out;
	for (i = 0; i < rs->n_streams; i++) {
		stream_from[i] = -1;
		for (j = 0; j < prev_rs->n_streams; j++)
			if (strcmp(rs->streams[i].name, prev_rs->streams[j].name) == 0 &&
			    same_sig(rs->streams[i].sig, prev_rs->streams[j].sig))
				stream_from[i] = (int16_t)j;
	}
	for (i = 0; i < rs->n_rules; i++) {
		struct pat_rule *r = &rs->rules[i];

		rule_from[i] = -1;
		if (r->kind == PAT_R_ALERT || stream_from[r->stream] < 0)
			continue;
		for (j = 0; j < prev_rs->n_rules; j++) {
			struct pat_rule *o = &prev_rs->rules[j];

			if (o->kind != r->kind || strcmp(o->name, r->name) != 0 ||
			    !same_sig(o->sig, r->sig) ||
			    o->stream != (uint32_t)stream_from[r->stream])
				continue;
			rule_from[i] = (int32_t)j;
			break;
		}
	}
	rc = dp_pipeline_init(pl, rs, topics, slots);
	if (rc == 0) {
		rc = -ENOMEM;
		pl->srule_from = calloc(pl->n_srules + 1, sizeof(*pl->srule_from));
		pl->prev_srule_to = calloc(prev->n_srules + 1, sizeof(*pl->prev_srule_to));
		if (pl->srule_from != NULL && pl->prev_srule_to != NULL)
			rc = 0;
	}
	if (rc != 0)
		goto out;
	pl->prev = prev;
	for (i = 0; i < rs->n_streams; i++) {
		pl->stream_from[i] = stream_from[i];
		if (stream_from[i] >= 0)
			pl->prev_stream_to[stream_from[i]] = (int16_t)i;
	}
	for (j = 0; j < prev_rs->n_rules; j++)
		srule_of_rule[j] = -1;
	for (j = 0; j < prev->n_srules; j++) {
		srule_of_rule[prev->srules[j].r - prev_rs->rules] = (int32_t)j;
		pl->prev_srule_to[j] = -1;
	}
	for (i = 0; i < pl->n_srules; i++) {
		int32_t from = rule_from[pl->srules[i].r - rs->rules];

		pl->srule_from[i] = from >= 0 ? srule_of_rule[from] : -1;
		if (pl->srule_from[i] >= 0)
			pl->prev_srule_to[pl->srule_from[i]] = (int32_t)i;
	}
	rc = 0;
out:
	free(rule_from);
	free(srule_of_rule);
	return rc;
}

void dp_pipeline_fini(struct dp_pipeline *pl)
{
	uint32_t k;

	for (k = 0; k < PAT_MAX_STREAMS; k++) {
		free(pl->streams[k].pred_first);
		free(pl->streams[k].pred_alerts);
		pl->streams[k].pred_first = NULL;
		pl->streams[k].pred_alerts = NULL;
	}
	for (k = 0; k < pl->n_alerts; k++)
		dp_tpl_release(&pl->alerts[k].tpl);
	free(pl->alerts);
	pl->alerts = NULL;
	pl->n_alerts = 0;
	dp_srules_fini(pl);
	hs_free_scratch(pl->hs_proto);
	pl->hs_proto = NULL;
	free(pl->srule_from);
	free(pl->prev_srule_to);
	pl->srule_from = pl->prev_srule_to = NULL;
}

int dp_ingest_init(struct dp_ingest *in, const struct dp_pipeline *pl, struct dp_counters *c,
		   struct sink_ring *ring, const volatile bool *quit)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->c = c;
	in->pl = pl;
	in->ring = ring;
	in->quit = quit;
	in->blocked = pl->blocked;
	in->scratch.buf = malloc(DP_SCRATCH);
	in->scratch.cap = DP_SCRATCH;
	if (in->scratch.buf == NULL)
		return -ENOMEM;
	rc = dp_ratelimit_init(&in->rl, pl->rate_pps, pl->rate_burst, DP_RL_SLOTS);
	if (rc != 0)
		goto fail;
	rc = -ENOMEM;
	in->preds = calloc(PAT_PRED_WORDS(PAT_MAX_PREDICATES), sizeof(*in->preds));
	if (in->preds == NULL)
		goto fail;
	if (pl->eval_bytes > 0) {
		in->env.buf = malloc(pl->eval_bytes);
		if (in->env.buf == NULL)
			goto fail;
		in->env.cap = pl->eval_bytes;
	}
	in->pass = calloc(pl->n_srules + 1, sizeof(*in->pass));
	if (in->pass == NULL)
		goto fail;
	if (pl->hs_proto != NULL && hs_clone_scratch(pl->hs_proto, &in->hs_scratch) != HS_SUCCESS)
		goto fail;
	return 0;
fail:
	dp_ingest_fini(in);
	return rc;
}

int dp_ingest_kit(struct dp_kit *kit, const struct dp_pipeline *pl)
{
	if (pl->eval_bytes > 0) {
		kit->env_buf = malloc(pl->eval_bytes);
		if (kit->env_buf == NULL)
			return -ENOMEM;
		kit->env_cap = pl->eval_bytes;
	}
	kit->pass = calloc(pl->n_srules + 1, sizeof(*kit->pass));
	if (kit->pass == NULL)
		return -ENOMEM;
	if (pl->hs_proto != NULL && hs_clone_scratch(pl->hs_proto, &kit->hs_scratch) != HS_SUCCESS)
		return -ENOMEM;
	return 0;
}

void dp_ingest_adopt(struct dp_ingest *in, const struct dp_pipeline *pl, struct dp_kit *kit)
{
	DP_SWAP(in->env.buf, kit->env_buf);
	DP_SWAP(in->env.cap, kit->env_cap);
	DP_SWAP(in->pass, kit->pass);
	DP_SWAP(in->hs_scratch, kit->hs_scratch);
	in->pl = pl;
}

void dp_ingest_filter(struct dp_ingest *in, const struct dp_filter_set *fs, unsigned int row)
{
	in->fs = fs;
	in->blocked = fs->blocked;
	in->hits = fs->hits != NULL ? fs->hits + (size_t)row * fs->hits_stride : NULL;
	dp_ratelimit_set(&in->rl, fs->rate_pps, fs->rate_burst);
}

void dp_ingest_fini(struct dp_ingest *in)
{
	dp_ratelimit_fini(&in->rl);
	free(in->scratch.buf);
	in->scratch.buf = NULL;
	free(in->preds);
	in->preds = NULL;
	free(in->env.buf);
	in->env.buf = NULL;
	free(in->pass);
	in->pass = NULL;
	hs_free_scratch(in->hs_scratch);
	in->hs_scratch = NULL;
}

uint32_t dp_route_hash(const struct dp_stream_rt *st, const struct dp_route *rt,
		       const struct fmt_row *row)
{
	uint32_t h = 0, k;

	for (k = 0; k < rt->n; k++) {
		uint32_t c = rt->cols[k];
		uint8_t tag = (uint8_t)(row->present >> c & 1);

		h = crc32_iscsi(&tag, 1, h);
		if (!tag)
			continue;
		if (st->sc.type[c] == PAT_T_STRING)
			h = crc32_iscsi((unsigned char *)(uintptr_t)row->v[c].s.p,
					(int)row->v[c].s.len, h);
		else
			h = crc32_iscsi((unsigned char *)(uintptr_t)&row->v[c].i, 8, h);
	}
	return h;
}

uint32_t dp_key_hash(const struct dp_stream_rt *st, const struct fmt_row *row)
{
	return dp_route_hash(st, &st->routes[0], row); /* route 0 is the KEY */
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

bool dp_ingest_begin(struct dp_ingest *in, size_t max, struct fmt_out *out)
{
	struct dp_counters *c = in->c;
	uint8_t *p;
	bool waited = false;

	if (in->ring == NULL) {
		c->lost[DP_LOST_NO_SINK]++;
		return false;
	}
	if (max > sink_ring_max_msg(in->ring)) {
		c->lost[DP_LOST_TOO_LARGE]++;
		return false;
	}
	while ((p = sink_ring_reserve(in->ring, max)) == NULL) {
		if (in->pl->backpressure == DP_BP_DROP) {
			c->lost[DP_LOST_SINK_RING_FULL]++;
			return false;
		}
		if (*in->quit) {
			c->lost[DP_LOST_SHUTDOWN]++;
			return false;
		}
		if (!waited) {
			c->sink_waits++;
			waited = true;
		}
		cpu_relax();
	}
	out->p = p;
	out->cap = max;
	out->len = 0;
	out->overflow = false;
	return true;
}

void dp_ingest_commit_key(struct dp_ingest *in, const struct fmt_out *out, uint16_t topic,
			  uint16_t key_len)
{
	uint64_t us;

	if (out->overflow) { /* max is an upper bound: cannot happen; never send half */
		in->c->lost[DP_LOST_TOO_LARGE]++;
		return;
	}
	sink_ring_commit_rx(in->ring, topic, key_len, out->len, in->rx_cycles);
	in->c->produced++;
	if (in->rx_cycles == 0 || in->us_per_cycle_fp == 0) {
		in->c->rx_result_untimed++;
		return;
	}
	us = (uint64_t)((unsigned __int128)(dp_cycles() - in->rx_cycles) * in->us_per_cycle_fp >>
			32);
	in->c->rx_result_us[sink_lat_bucket(us)]++;
}

void dp_ingest_commit(struct dp_ingest *in, const struct fmt_out *out, uint16_t topic)
{
	dp_ingest_commit_key(in, out, topic, 0);
}

/* An accepted record, raw, to the archive thread (under its stream's slot); its ring
 * full, the back-pressure policy of the results applies. */
static void archive(struct dp_ingest *in, uint8_t si, const uint8_t *rec, size_t len)
{
	uint8_t *p;

	if (len > sink_ring_max_msg(in->archive)) {
		in->c->archive_dropped++;
		return;
	}
	while ((p = sink_ring_reserve(in->archive, len)) == NULL) {
		if (in->pl->backpressure == DP_BP_DROP || *in->quit) {
			in->c->archive_dropped++;
			return;
		}
		cpu_relax();
	}
	memcpy(p, rec, len);
	sink_ring_commit(in->archive, si, 0, len);
	in->c->archived++;
}

/* The raw record and why it is malformed, to the stream's dead letter topic. */
static void dead_letter(struct dp_ingest *in, const struct dp_stream_rt *st,
			const struct dp_origin *o, const uint8_t *rec, size_t len, uint8_t reason)
{
	struct fmt_out out;
	char src[INET6_ADDRSTRLEN];
	bool text = st->sc.format != PAT_FMT_BINARY && fmt_utf8_valid(rec, len);
	size_t max = 256 + FMT_OUT_STR_MAX(strlen(st->name)) + FMT_OUT_STR_MAX(len);

	if (!dp_ingest_begin(in, max, &out))
		return;
	if (memcmp(o->src_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		inet_ntop(AF_INET, o->src_addr + 12, src, sizeof(src));
	else
		inet_ntop(AF_INET6, o->src_addr, src, sizeof(src));
	fmt_out_lit(&out, "{\"stream\":");
	fmt_out_str(&out, (const uint8_t *)st->name, strlen(st->name));
	fmt_out_lit(&out, ",\"reason\":\"");
	fmt_out_lit(&out, fmt_malformed_name(reason));
	fmt_out_lit(&out, "\",\"ruleset\":");
	fmt_out_i64(&out, (int64_t)in->pl->ruleset);
	fmt_out_lit(&out, ",\"ts\":");
	fmt_out_i64(&out, o->arrival_ms);
	fmt_out_lit(&out, ",\"src\":\"");
	fmt_out_lit(&out, src);
	fmt_out_lit(&out, "\",\"port\":");
	fmt_out_i64(&out, o->dst_port);
	if (text) {
		fmt_out_lit(&out, ",\"record\":");
		fmt_out_str(&out, rec, len);
	} else {
		fmt_out_lit(&out, ",\"record_base64\":");
		fmt_out_base64(&out, rec, len);
	}
	fmt_out_lit(&out, "}");
	dp_ingest_commit(in, &out, (uint16_t)st->dl_topic);
}

uint64_t dp_stage_read_cost;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void dp_stage_calibrate(void)
{
	uint64_t d[1025], a;
	unsigned int k;

	for (k = 0; k < 1025; k++) {
		a = dp_cycles();
		d[k] = dp_cycles() - a;
	}
	qsort(d, 1025, sizeof(d[0]), cmp_u64);
	dp_stage_read_cost = d[512]; /* the median: the least is out-of-order overlap */
}

int dp_ingest_prefilter(struct dp_ingest *in, const struct dp_origin *o)
{
	if (in->pl->stream_of_port[o->dst_port] == DP_NO_STREAM)
		return DP_FILTER_UNKNOWN_PORT;
	if (o->xdp_checked)
		return -1; /* the XDP program judged its source */
	if (in->blocked != NULL) {
		int b = dp_blocklist_lookup(in->blocked, o->src_addr);

		if (b >= 0) {
			if (in->hits != NULL)
				in->hits[b]++;
			return DP_FILTER_BLOCKED_SOURCE;
		}
	}
	if (!dp_ratelimit_allow(&in->rl, o->src_addr, o->now_ns))
		return DP_FILTER_RATE_LIMITED;
	return -1;
}

void dp_ingest_datagram(struct dp_ingest *in, const struct dp_origin *o, const uint8_t *payload,
			uint32_t len)
{
	const struct dp_pipeline *pl = in->pl;
	struct dp_counters *c = in->c;
	const struct dp_stream_rt *st;
	struct dp_stream_counters *sc;
	const uint8_t *rec;
	size_t pos = 0, rl;
	uint32_t n = 0, events = 0;
	uint8_t si = pl->stream_of_port[o->dst_port], reason;
	uint64_t t = 0;
	bool bad;

	int r = dp_ingest_prefilter(in, o);

	if (r >= 0) {
		c->filtered[r]++;
		return;
	}
	st = &pl->streams[si];
	sc = &c->streams[st->slot];
	c->datagrams++;
	sc->datagrams++;
	for (;;) {
		if (in->timing)
			t = dp_cycles();
		if (!fmt_next_record(&st->sc, payload, len, &pos, &rec, &rl))
			break;
		n++;
		bad = fmt_parse(&st->sc, rec, rl, len, &in->row, &in->scratch, &reason) != 0;
		if (in->timing)
			dp_stage_add(&c->stage[DP_STAGE_PARSE], dp_cycles() - t, 1);
		if (bad) {
			c->malformed[reason]++;
			sc->malformed++;
			if (st->dl_topic >= 0) {
				dead_letter(in, st, o, rec, rl, reason);
				sc->dead_letters++;
			}
			continue;
		}
		if (in->archive != NULL)
			archive(in, (uint8_t)st->slot, rec, rl);
		if (st->sc.ts_col < 0)
			in->row.ts_ms = o->arrival_ms;
		if (st->n_alerts > 0 || st->stateful)
			dp_rules_event(in, si, &in->row, o->now_ns);
		events++;
	}
	c->records += n;
	sc->records += n;
	c->events += events;
	sc->events += events;
	if (n == 0)
		c->empty_datagrams++;
}

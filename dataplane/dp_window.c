/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE AGGREGATE on the data path. At load: the aggregate table, the routes that
 * shard each stream's events, the message templates. On a state lcore: the stream
 * watermarks it has been told of, one window operator (windows/win_agg.h) per rule,
 * and the results, late events and bounds they give, as messages and counters.
 */
#include "dp_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- at load ---- */

static bool in_list(const uint32_t *v, uint32_t n, uint32_t x)
{
	uint32_t k;

	for (k = 0; k < n; k++)
		if (v[k] == x)
			return true;
	return false;
}

/* The route of an aggregate grouped by cols: the KEY when its GROUP BY holds every KEY
 * column (same group, same KEY, same lcore), else the route of those columns, made
 * when new. Returns its index or -E2BIG. */
static int route_of(struct dp_stream_rt *st, const uint32_t *cols, uint32_t n)
{
	uint32_t k, c;

	if (st->n_keys > 0) {
		for (c = 0; c < st->n_keys && in_list(cols, n, st->key_cols[c]); c++)
			;
		if (c == st->n_keys)
			return 0;
	}
	for (k = st->n_keys > 0; k < st->n_routes; k++) {
		const struct dp_route *rt = &st->routes[k];

		if (rt->n != n)
			continue;
		for (c = 0; c < n && in_list(rt->cols, rt->n, cols[c]); c++)
			;
		if (c == n)
			return (int)k;
	}
	if (st->n_routes == DP_MAX_ROUTES)
		return -E2BIG;
	st->routes[st->n_routes].n = n;
	memcpy(st->routes[st->n_routes].cols, cols, n * sizeof(*cols));
	return (int)st->n_routes++;
}

int dp_aggs_init(struct dp_pipeline *pl, const struct pat_ruleset *rs, struct sink_topics *topics)
{
	static const char *const head[] = { "window_start", "window_end" };
	static const char *const late_head[] = { "ts" };
	uint32_t si, k;
	int rc;

	pl->aggs = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*pl->aggs));
	if (pl->aggs == NULL)
		return -ENOMEM;
	pl->n_aggs = 0;
	for (si = 0; si < rs->n_streams; si++) {
		struct dp_stream_rt *st = &pl->streams[si];

		st->n_routes = 0;
		if (st->n_keys > 0) {
			st->routes[0].n = st->n_keys;
			memcpy(st->routes[0].cols, st->key_cols, sizeof(st->key_cols));
			st->n_routes = 1;
		}
		st->first_agg = pl->n_aggs;
		for (k = 0; k < rs->n_rules; k++) {
			const struct pat_rule *r = &rs->rules[k];
			struct dp_agg_rt *a = &pl->aggs[pl->n_aggs];

			if (r->kind != PAT_R_AGGREGATE || r->stream != si)
				continue;
			rc = route_of(st, r->group_cols, r->n_group);
			if (rc < 0)
				return rc;
			a->route = (uint8_t)rc;
			rc = sink_topics_add(topics, r->topic);
			if (rc < 0)
				return rc;
			a->topic = (uint16_t)rc;
			a->late_topic = -1;
			if (r->late_topic != NULL) {
				rc = sink_topics_add(topics, r->late_topic);
				if (rc < 0)
					return rc;
				a->late_topic = rc;
			}
			a->r = r;
			a->rule = k;
			a->stream = (uint8_t)si;
			win_spec_init(&a->spec, r, &rs->streams[si]);
			pl->n_aggs++;
			rc = dp_tpl_prepare(&a->tpl, r, head, 2, r->items, r->n_items);
			if (rc == 0)
				rc = dp_tpl_prepare(&a->late, r, late_head, 1, NULL, 0);
			if (rc != 0)
				return rc;
		}
		st->n_aggs = pl->n_aggs - st->first_agg;
		st->stateful = st->n_keys > 0 || st->n_aggs > 0;
	}
	return 0;
}

void dp_aggs_fini(struct dp_pipeline *pl)
{
	uint32_t k;

	for (k = 0; k < pl->n_aggs; k++) {
		dp_tpl_release(&pl->aggs[k].tpl);
		dp_tpl_release(&pl->aggs[k].late);
	}
	free(pl->aggs);
	pl->aggs = NULL;
	pl->n_aggs = 0;
}

/* ---- messages ---- */

static void fmt_to_val(struct pat_val *v, uint8_t type, const struct fmt_row *row, uint32_t c)
{
	v->type = type;
	v->null = !(row->present >> c & 1);
	if (v->null)
		return;
	switch (type) {
	case PAT_T_STRING:
		v->s.p = row->v[c].s.p;
		v->s.len = row->v[c].s.len;
		break;
	case PAT_T_DOUBLE:
		v->d = row->v[c].d;
		break;
	case PAT_T_BOOLEAN:
		v->b = row->v[c].b;
		break;
	default:
		v->i = row->v[c].i;
		break;
	}
}

/* The Kafka key: the GROUP BY values joined with '|' (NULL: nothing), at most
 * DP_KEY_MAX bytes. */
#define DP_KEY_MAX 4096

static size_t put_key(struct fmt_out *o, const struct win_spec *sp, const struct fmt_row *key)
{
	size_t start = o->len;
	uint32_t k;

	for (k = 0; k < sp->n_group; k++) {
		uint32_t c = sp->group_cols[k];
		struct pat_val v;

		if (k > 0)
			fmt_out_lit(o, "|");
		fmt_to_val(&v, sp->group_type[k], key, c);
		if (v.null)
			continue;
		if (v.type == PAT_T_STRING) {
			size_t room = DP_KEY_MAX - (o->len - start);

			fmt_out_raw(o, v.s.p, v.s.len < room ? v.s.len : room);
		} else {
			dp_put_value(o, &v);
		}
		if (o->len - start >= DP_KEY_MAX)
			break;
	}
	if (o->len - start > DP_KEY_MAX)
		o->len = start + DP_KEY_MAX;
	return o->len - start;
}

struct dp_emit_ctx {
	struct dp_win_lcore *wl;
	uint32_t agg;
};

/* A window's result: HAVING, then the message, keyed by the group. */
static void on_result(void *ctx, const struct win_result *res)
{
	const struct dp_emit_ctx *e = ctx;
	struct dp_win_lcore *wl = e->wl;
	const struct dp_agg_rt *a = &wl->pl->aggs[e->agg];
	const struct pat_rule *r = a->r;
	struct dp_ingest *out = wl->out;
	struct fmt_out o;
	int64_t fields[2] = { res->start, res->end };
	size_t key_len;
	uint32_t k;

	out->env.row = res->key;
	out->env.slots = res->slots;
	out->env.preds = NULL;
	out->env.used = 0;
	if (r->having != NULL && !pat_eval_cond(r->having, &out->env))
		return;
	for (k = 0; k < r->n_items; k++)
		pat_eval(r->items[k].e, &out->env, &out->vals[k]);
	out->c->results[a->rule]++;
	if (!dp_ingest_begin(out, DP_KEY_MAX + dp_tpl_max(&a->tpl, out->vals), &o))
		return;
	key_len = put_key(&o, &a->spec, res->key);
	dp_tpl_write(&o, &a->tpl, fields, out->vals, wl->pl->ruleset);
	dp_ingest_commit_key(out, &o, a->topic, (uint16_t)key_len);
}

/* A late event, whole, to the rule's late_topic:
 * {"rule","ts","event":{every column},"ruleset"}. */
static void late_event(struct dp_win_lcore *wl, const struct dp_agg_rt *a,
		       const struct fmt_row *row)
{
	const struct dp_stream_rt *st = &wl->pl->streams[a->stream];
	const struct pat_stream *s = st->s;
	struct dp_ingest *out = wl->out;
	struct pat_val v;
	struct fmt_out o;
	size_t max = a->late.fixed + 16;
	uint32_t c;

	for (c = 0; c < s->n_cols; c++) {
		fmt_to_val(&v, st->sc.type[c], row, c);
		max += 4 + FMT_OUT_STR_MAX(strlen(s->cols[c].name)) + dp_value_max(&v);
	}
	if (!dp_ingest_begin(out, max, &o))
		return;
	fmt_out_raw(&o, a->late.text, a->late.field_end[0]);
	fmt_out_i64(&o, row->ts_ms);
	fmt_out_lit(&o, ",\"event\":{");
	for (c = 0; c < s->n_cols; c++) {
		if (c > 0)
			fmt_out_lit(&o, ",");
		fmt_out_str(&o, (const uint8_t *)s->cols[c].name, strlen(s->cols[c].name));
		fmt_out_lit(&o, ":");
		fmt_to_val(&v, st->sc.type[c], row, c);
		dp_put_value(&o, &v);
	}
	fmt_out_lit(&o, "},\"ruleset\":");
	fmt_out_i64(&o, (int64_t)wl->pl->ruleset);
	fmt_out_lit(&o, "}");
	dp_ingest_commit(out, &o, (uint16_t)a->late_topic);
}

/* ---- on a state lcore ---- */

int dp_win_lcore_init(struct dp_win_lcore *wl, const struct dp_pipeline *pl, struct dp_ingest *out)
{
	uint32_t k, s;

	memset(wl, 0, sizeof(*wl));
	wl->pl = pl;
	wl->out = out;
	for (s = 0; s < PAT_MAX_STREAMS; s++) {
		wl->time[s].W = INT64_MIN;
		wl->time[s].next_close = INT64_MAX;
	}
	if (pl->n_aggs == 0)
		return 0;
	wl->win = calloc(pl->n_aggs, sizeof(*wl->win));
	wl->ectx = calloc(pl->n_aggs, sizeof(*wl->ectx));
	if (wl->win == NULL || wl->ectx == NULL)
		goto nomem;
	for (k = 0; k < pl->n_aggs; k++) {
		wl->ectx[k].wl = wl;
		wl->ectx[k].agg = k;
		wl->win[k] = win_state_new(&pl->aggs[k].spec, on_result, &wl->ectx[k]);
		if (wl->win[k] == NULL)
			goto nomem;
	}
	return 0;
nomem:
	dp_win_lcore_fini(wl);
	return -ENOMEM;
}

void dp_win_lcore_fini(struct dp_win_lcore *wl)
{
	uint32_t k;

	if (wl->win != NULL)
		for (k = 0; k < wl->pl->n_aggs; k++)
			win_state_free(wl->win[k]);
	free(wl->win);
	free(wl->ectx);
	wl->win = NULL;
	wl->ectx = NULL;
}

/* The high-water marks of a rule's state on this lcore, sampled before windows close
 * (when it is largest). */
static void sample_usage(struct dp_win_lcore *wl, uint32_t k)
{
	const struct dp_agg_rt *a = &wl->pl->aggs[k];
	struct dp_state_gauge *g = &wl->out->c->state[a->rule];
	struct win_usage u;

	win_usage(wl->win[k], &u);
	if (u.keys > g->peak_keys)
		g->peak_keys = u.keys;
	if (u.bytes > g->peak_bytes) {
		g->peak_bytes = u.bytes;
		g->peak_bytes_keys = u.keys;
	}
}

/* The stream's watermark is now W: windows that it closes go out. */
static void advance(struct dp_win_lcore *wl, uint8_t si, int64_t W)
{
	const struct dp_stream_rt *st = &wl->pl->streams[si];
	struct dp_stream_time *t = &wl->time[si];
	int64_t next = INT64_MAX;
	uint32_t k;

	t->W = W;
	if (W < t->next_close)
		return;
	for (k = st->first_agg; k < st->first_agg + st->n_aggs; k++) {
		if (win_next_close(wl->win[k]) <= W) {
			sample_usage(wl, k);
			win_advance(wl->win[k], W);
		}
		if (win_next_close(wl->win[k]) < next)
			next = win_next_close(wl->win[k]);
	}
	t->next_close = next;
}

void dp_win_watermark(struct dp_win_lcore *wl, unsigned int ch, uint8_t si, int64_t wm)
{
	struct dp_stream_time *t = &wl->time[si];
	uint64_t seen;
	int64_t W = INT64_MAX;

	if (t->seen >> ch & 1) {
		if (wm <= t->ch[ch])
			return; /* a channel's watermark only rises */
	}
	t->seen |= UINT64_C(1) << ch;
	t->ch[ch] = wm;
	/* the minimum over the RX lcores that have seen the stream */
	for (seen = t->seen; seen != 0; seen &= seen - 1) {
		unsigned int c = (unsigned int)__builtin_ctzll(seen);

		if (t->ch[c] < W)
			W = t->ch[c];
	}
	if (W > t->W) /* it may lag, it never goes back */
		advance(wl, si, W);
}

void dp_win_event(struct dp_win_lcore *wl, unsigned int ch, uint8_t si, const struct fmt_row *row,
		  int64_t wm, int64_t now_ms, const uint16_t *aggs, uint32_t n)
{
	struct dp_stream_time *t = &wl->time[si];
	uint32_t k;

	dp_win_watermark(wl, ch, si, wm);
	if (now_ms > wl->now_ms)
		wl->now_ms = now_ms;
	for (k = 0; k < n; k++) {
		const struct dp_agg_rt *a = &wl->pl->aggs[aggs[k]];
		struct win_state *w = wl->win[aggs[k]];

		switch (win_add(w, row, t->W, wl->now_ms)) {
		case WIN_ADDED:
			break;
		case WIN_LATE:
			wl->out->c->late[a->rule]++;
			if (a->late_topic >= 0)
				late_event(wl, a, row);
			break;
		case WIN_FULL:
			wl->out->c->state_full[a->rule]++;
			break;
		case WIN_OUT_OF_RANGE:
			wl->out->c->rule_errors++;
			break;
		}
		if (win_next_close(w) < t->next_close)
			t->next_close = win_next_close(w);
	}
}

void dp_win_tick(struct dp_win_lcore *wl, int64_t now_ms)
{
	uint32_t k;

	if (now_ms > wl->now_ms)
		wl->now_ms = now_ms;
	for (k = 0; k < wl->pl->n_aggs; k++)
		if (wl->pl->aggs[k].spec.emit_changes)
			win_tick(wl->win[k], wl->now_ms);
}

void dp_win_finish(struct dp_win_lcore *wl)
{
	uint32_t si;

	for (si = 0; si < wl->pl->n_streams; si++) {
		wl->time[si].next_close = INT64_MIN; /* look at every rule */
		advance(wl, (uint8_t)si, INT64_MAX);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE AGGREGATE and CREATE PATTERN on the data path. At load: the table of these
 * stateful rules, the routes that shard each stream's events, the message templates.
 * On a state lcore: the stream watermarks it has been told of, one window operator
 * (windows/win_agg.h) or pattern operator (patterns/cep.h) per rule, the rows that
 * wait for the watermark before patterns take them, and the results, late events and
 * bounds they give, as messages and counters.
 */
#include "dp_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_gen.h"
#include "formats/fmt_event.h"

/* Rows waiting for the watermark (patterns of streams with a watermark_delay), on one
 * state lcore: address space reserved, pages taken as used. */
#define DP_PENDING_BYTES ((size_t)1 << 30)

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

/* A pattern's program and its message items: the PARTITION BY columns, then the
 * measures. Returns 0 or -errno. */
static int pattern_init(struct dp_srule *a, const struct pat_rule *r, const struct pat_stream *s)
{
	static const char *const head[] = { "match_start", "match_end" };
	uint32_t k, n = r->n_partition;
	int rc;

	a->pattern = true;
	a->cep = calloc(1, sizeof(*a->cep));
	a->cols = calloc(n + r->n_measures + 1, sizeof(*a->cols));
	if (a->cep == NULL || a->cols == NULL)
		return -ENOMEM;
	rc = cep_prog_init(a->cep, r, s);
	if (rc != 0) {
		free(a->cep);
		a->cep = NULL;
		return rc;
	}
	for (k = 0; k < n; k++) {
		struct pat_expr *e = calloc(1, sizeof(*e));

		if (e == NULL)
			return -ENOMEM;
		e->op = PAT_OP_COL;
		e->idx = r->partition_cols[k];
		e->type = (uint8_t)s->cols[e->idx].type;
		a->cols[k].e = e;
		a->cols[k].name = s->cols[e->idx].name;
	}
	for (k = 0; k < r->n_measures; k++)
		a->cols[n + k] = r->measures[k];
	return dp_tpl_prepare(&a->tpl, r, head, 2, a->cols, n + r->n_measures);
}

/* Each pattern's bank (pat_plan_banks()): its first lane's srule holds the bank,
 * built over the lanes' programs. Returns 0, -EINVAL (a rule set not compiled) or
 * -ENOMEM. */
static int banks_init(struct dp_pipeline *pl)
{
	const struct cep_prog *progs[PAT_BANK_LANES];
	uint8_t base[PAT_BANK_LANES];
	uint32_t k, j, l;

	for (k = 0; k < pl->n_srules; k++) {
		struct dp_srule *a = &pl->srules[k];

		if (!a->pattern)
			continue;
		for (j = 0; j < pl->n_srules && pl->srules[j].rule != a->r->bank; j++)
			;
		if (j == pl->n_srules)
			return -EINVAL;
		a->bank_lead = j;
		a->lane = a->r->lane;
		pl->srules[j].lane_srule[a->lane] = k;
	}
	for (k = 0; k < pl->n_srules; k++) {
		struct dp_srule *a = &pl->srules[k];

		if (!a->pattern || a->bank_lead != k)
			continue;
		a->bank = calloc(1, sizeof(*a->bank));
		if (a->bank == NULL)
			return -ENOMEM;
		for (l = 0; l < a->r->n_lanes; l++) {
			const struct dp_srule *b = &pl->srules[a->lane_srule[l]];

			progs[l] = b->cep;
			base[l] = b->r->lane_base;
		}
		if (cep_bank_init(a->bank, a->r->n_lanes > 1 ? a->r->bank_db : a->r->seq_db, progs,
				  base, a->r->n_lanes) != 0)
			return -EINVAL;
	}
	return 0;
}

int dp_srules_init(struct dp_pipeline *pl, const struct pat_ruleset *rs, struct sink_topics *topics)
{
	static const char *const head[] = { "window_start", "window_end" };
	static const char *const late_head[] = { "ts" };
	uint32_t si, k;
	int rc;

	pl->srules = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*pl->srules));
	if (pl->srules == NULL)
		return -ENOMEM;
	pl->n_srules = 0;
	for (si = 0; si < rs->n_streams; si++) {
		struct dp_stream_rt *st = &pl->streams[si];

		st->n_routes = 0;
		if (st->n_keys > 0) {
			st->routes[0].n = st->n_keys;
			memcpy(st->routes[0].cols, st->key_cols, sizeof(st->key_cols));
			st->n_routes = 1;
		}
		st->first_srule = pl->n_srules;
		for (k = 0; k < rs->n_rules; k++) {
			const struct pat_rule *r = &rs->rules[k];
			struct dp_srule *a = &pl->srules[pl->n_srules];

			if ((r->kind != PAT_R_AGGREGATE && r->kind != PAT_R_PATTERN) ||
			    r->stream != si)
				continue;
			rc = r->kind == PAT_R_PATTERN
				     ? route_of(st, r->partition_cols, r->n_partition)
				     : route_of(st, r->group_cols, r->n_group);
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
			pl->n_srules++;
			if (r->kind == PAT_R_PATTERN) {
				rc = pattern_init(a, r, &rs->streams[si]);
			} else {
				win_spec_init(&a->spec, r, &rs->streams[si]);
				rc = dp_tpl_prepare(&a->tpl, r, head, 2, r->items, r->n_items);
			}
			if (rc == 0)
				rc = dp_tpl_prepare(&a->late, r, late_head, 1, NULL, 0);
			if (rc != 0)
				return rc;
		}
		st->n_srules = pl->n_srules - st->first_srule;
		st->stateful = st->n_keys > 0 || st->n_srules > 0;
	}
	return banks_init(pl);
}

void dp_srules_fini(struct dp_pipeline *pl)
{
	uint32_t k;

	for (k = 0; k < pl->n_srules; k++) {
		struct dp_srule *a = &pl->srules[k];

		dp_tpl_release(&a->tpl);
		dp_tpl_release(&a->late);
		if (a->cep != NULL) {
			uint32_t c;

			for (c = 0; c < a->r->n_partition && a->cols != NULL; c++)
				free(a->cols[c].e);
			cep_prog_fini(a->cep);
		}
		free(a->cep);
		free(a->cols);
		free(a->bank);
	}
	free(pl->srules);
	pl->srules = NULL;
	pl->n_srules = 0;
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

/* The Kafka key: the GROUP BY or PARTITION BY values joined with '|' (NULL: nothing),
 * at most DP_KEY_MAX bytes. */
#define DP_KEY_MAX 4096

static size_t put_key(struct fmt_out *o, const struct win_keyspec *ks, const struct fmt_row *key)
{
	size_t start = o->len;
	uint32_t k;

	for (k = 0; k < ks->n; k++) {
		uint32_t c = ks->cols[k];
		struct pat_val v;

		if (k > 0)
			fmt_out_lit(o, "|");
		fmt_to_val(&v, ks->type[k], key, c);
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
	const struct dp_srule *a = &wl->pl->srules[e->agg];
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
	key_len = put_key(&o, &a->spec.group, res->key);
	dp_tpl_write(&o, &a->tpl, fields, out->vals, wl->pl->ruleset);
	dp_ingest_commit_key(out, &o, a->topic, (uint16_t)key_len);
}

/* A late event, whole, to the rule's late_topic:
 * {"rule","ts","event":{every column},"ruleset"}. */
static void late_event(struct dp_win_lcore *wl, const struct dp_srule *a, const struct fmt_row *row)
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

/* A match: the message, keyed by the partition. */
static void on_match(void *ctx, const struct cep_match *m)
{
	const struct dp_emit_ctx *e = ctx;
	struct dp_win_lcore *wl = e->wl;
	const struct dp_srule *a = &wl->pl->srules[e->agg];
	const struct pat_rule *r = a->r;
	const struct cep_prog *p = a->cep;
	struct dp_ingest *out = wl->out;
	int64_t fields[2] = { m->start, m->end };
	uint32_t k, n = r->n_partition + r->n_measures;
	struct fmt_out o;
	size_t key_len;

	out->env.row = m->key;
	out->env.slots = m->slots;
	out->env.preds = NULL;
	out->env.used = 0;
	for (k = 0; k < n; k++)
		pat_eval(a->cols[k].e, &out->env, &out->vals[k]);
	out->c->results[a->rule]++;
	if (!dp_ingest_begin(out, DP_KEY_MAX + dp_tpl_max(&a->tpl, out->vals), &o))
		return;
	key_len = put_key(&o, &p->ks, m->key);
	dp_tpl_write(&o, &a->tpl, fields, out->vals, wl->pl->ruleset);
	dp_ingest_commit_key(out, &o, a->topic, (uint16_t)key_len);
}

/* ---- on a state lcore ---- */

static void time_init(struct dp_stream_time *t)
{
	memset(t, 0, sizeof(*t));
	t->W = INT64_MIN;
	t->next_close = INT64_MAX;
	t->taken = INT64_MIN;
}

/* Rows wait for the watermark in pl: some pattern's stream has a delay. */
static bool needs_pending(const struct dp_pipeline *pl)
{
	uint32_t k;

	for (k = 0; k < pl->n_srules; k++)
		if (pl->srules[k].pattern && pl->streams[pl->srules[k].stream].wm_delay_ms > 0)
			return true;
	return false;
}

/* The operator of the bank whose first lane is srule k of pl, its lanes' matches to
 * ectx (by srule index). */
static struct cep_state *bank_state(const struct dp_pipeline *pl, uint32_t k, hs_scratch_t *scratch,
				    struct dp_emit_ctx *ectx)
{
	const struct dp_srule *a = &pl->srules[k];
	void *ctx[PAT_BANK_LANES];
	uint32_t l;

	for (l = 0; l < a->bank->n_lanes; l++)
		ctx[l] = &ectx[a->lane_srule[l]];
	return cep_state_new(a->bank, scratch, on_match, ctx);
}

/* The lanes of every bank of pl point at their first lane's operator. */
static void share_banks(const struct dp_pipeline *pl, struct cep_state **cep)
{
	uint32_t k;

	for (k = 0; k < pl->n_srules; k++)
		if (pl->srules[k].pattern && pl->srules[k].bank_lead != k)
			cep[k] = cep[pl->srules[k].bank_lead];
}

/* Only the first lanes own their operators: the others' pointers cleared. */
static void unshare_banks(const struct dp_pipeline *pl, struct cep_state **cep)
{
	uint32_t k;

	for (k = 0; k < pl->n_srules; k++)
		if (pl->srules[k].pattern && pl->srules[k].bank_lead != k)
			cep[k] = NULL;
}

int dp_win_lcore_init(struct dp_win_lcore *wl, const struct dp_pipeline *pl, struct dp_ingest *out)
{
	bool pending = needs_pending(pl);
	uint32_t k, s;

	memset(wl, 0, sizeof(*wl));
	wl->pl = pl;
	wl->out = out;
	for (s = 0; s < PAT_MAX_STREAMS; s++)
		time_init(&wl->time[s]);
	if (pl->n_srules == 0)
		return 0;
	wl->win = calloc(pl->n_srules, sizeof(*wl->win));
	wl->cep = calloc(pl->n_srules, sizeof(*wl->cep));
	wl->ectx = calloc(pl->n_srules, sizeof(*wl->ectx));
	wl->prefs = calloc(pl->n_srules, sizeof(*wl->prefs));
	wl->btake = calloc(pl->n_srules, sizeof(*wl->btake));
	if (wl->win == NULL || wl->cep == NULL || wl->ectx == NULL || wl->prefs == NULL ||
	    wl->btake == NULL)
		goto nomem;
	for (k = 0; k < pl->n_srules; k++) {
		wl->ectx[k].wl = wl;
		wl->ectx[k].agg = k;
	}
	for (k = 0; k < pl->n_srules; k++) {
		const struct dp_srule *a = &pl->srules[k];

		if (a->pattern) {
			if (a->bank_lead != k)
				continue;
			wl->cep[k] = bank_state(pl, k, out->hs_scratch, wl->ectx);
			if (wl->cep[k] == NULL)
				goto nomem;
		} else {
			wl->win[k] = win_state_new(&a->spec, on_result, &wl->ectx[k]);
			if (wl->win[k] == NULL)
				goto nomem;
		}
	}
	share_banks(pl, wl->cep);
	if (pending && win_arena_init(&wl->pend_arena, DP_PENDING_BYTES) != 0)
		goto nomem;
	return 0;
nomem:
	dp_win_lcore_fini(wl);
	return -ENOMEM;
}

void dp_win_lcore_fini(struct dp_win_lcore *wl)
{
	uint32_t k;

	if (wl->cep != NULL)
		unshare_banks(wl->pl, wl->cep);
	for (k = 0; k < wl->pl->n_srules; k++) {
		if (wl->win != NULL)
			win_state_free(wl->win[k]);
		if (wl->cep != NULL)
			cep_state_free(wl->cep[k]);
	}
	for (k = 0; k < PAT_MAX_STREAMS; k++) {
		free(wl->time[k].pend);
		wl->time[k].pend = NULL;
		wl->time[k].n_pend = wl->time[k].cap_pend = 0;
	}
	win_arena_fini(&wl->pend_arena);
	free(wl->win);
	free(wl->cep);
	free(wl->ectx);
	free(wl->prefs);
	free(wl->btake);
	wl->win = NULL;
	wl->cep = NULL;
	wl->ectx = NULL;
	wl->prefs = NULL;
	wl->btake = NULL;
}

/* The high-water marks of a rule's state on this lcore, sampled before windows close
 * or partitions expire (when it is largest). */
static void sample_usage(struct dp_win_lcore *wl, uint32_t k)
{
	const struct dp_srule *a = &wl->pl->srules[k];
	struct dp_state_gauge *g = &wl->out->c->state[a->rule];
	uint64_t keys, bytes;

	if (a->pattern) {
		struct cep_usage u;

		cep_usage(wl->cep[k], &u);
		if (u.peak_keys > g->peak_keys)
			g->peak_keys = u.peak_keys;
		if (u.peak_bytes > g->peak_bytes) {
			g->peak_bytes = u.peak_bytes;
			g->peak_bytes_keys = u.peak_bytes_keys;
		}
		keys = u.keys; /* and now, rows included */
		bytes = u.bytes;
	} else {
		struct win_usage u;

		win_usage(wl->win[k], &u);
		keys = u.keys;
		bytes = u.bytes;
	}
	if (keys > g->peak_keys)
		g->peak_keys = keys;
	if (bytes > g->peak_bytes) {
		g->peak_bytes = bytes;
		g->peak_bytes_keys = keys;
	}
}

/* When rule k next has something to close (INT64_MAX: nothing). */
static int64_t next_close(const struct dp_win_lcore *wl, uint32_t k)
{
	return wl->pl->srules[k].pattern ? cep_next_expiry(wl->cep[k]) : win_next_close(wl->win[k]);
}

/* Patterns refs[0..n) take a row of stream si, in its timestamp order: each bank
 * once, with the symbols of its lanes among them (and its key's hash when bit k of
 * hash_ok says that hash[k] is refs[k]'s). */
static void take_row(struct dp_win_lcore *wl, uint8_t si, const struct fmt_row *row,
		     const uint32_t *refs, uint32_t n, const uint64_t *hash, uint32_t hash_ok)
{
	const struct dp_pipeline *pl = wl->pl;
	struct dp_stream_time *t = &wl->time[si];
	struct dp_counters *c = wl->out->c;
	uint64_t seq = t->rows++;
	uint32_t k, l;

	for (k = 0; k < n; k++) {
		uint32_t idx = DP_REF_IDX(refs[k]);
		const struct dp_srule *a;
		struct dp_bank_take *bt;

		if (idx == DP_REF_DEAD)
			continue; /* a row that waited for a rule that a reload removed */
		a = &pl->srules[idx];
		bt = &wl->btake[a->bank_lead];
		bt->lanes |= (uint16_t)(1u << a->lane);
		bt->sym[a->lane] = DP_REF_SYM(refs[k]);
		if (k < 32 && (hash_ok >> k & 1) && a->bank_lead == idx) {
			bt->h = hash[k];
			bt->hashed = true;
		}
	}
	for (k = 0; k < n; k++) {
		uint32_t idx = DP_REF_IDX(refs[k]), lead;
		const struct dp_srule *b;
		struct dp_bank_take *bt;
		struct cep_state *cs;
		uint16_t lost = 0;

		if (idx == DP_REF_DEAD)
			continue;
		lead = pl->srules[idx].bank_lead;
		bt = &wl->btake[lead];
		if (bt->lanes == 0)
			continue; /* taken at the bank's first reference */
		b = &pl->srules[lead];
		cs = wl->cep[lead];
		switch (bt->hashed ? cep_take_hashed(cs, row, seq, bt->lanes, bt->sym, bt->h, &lost)
				   : cep_take(cs, row, seq, bt->lanes, bt->sym, &lost)) {
		case CEP_TAKEN:
			break;
		case CEP_FULL:
			for (l = 0; l < b->bank->n_lanes; l++)
				if (lost >> l & 1)
					c->state_full[pl->srules[b->lane_srule[l]].rule]++;
			break;
		default: /* out of range, or Hyperscan failed */
			c->rule_errors += (uint64_t)__builtin_popcount(bt->lanes);
			break;
		}
		bt->lanes = 0;
		bt->hashed = false;
		if (cep_next_expiry(cs) < t->next_close)
			t->next_close = cep_next_expiry(cs);
	}
	if (row->ts_ms > t->taken)
		t->taken = row->ts_ms;
}

/* A waiting row's block: the patterns it is for, then the row packed (fmt_event.h). */
struct pend_blk {
	uint32_t n, ev_len;
	uint32_t refs[];
};

static inline size_t pend_size(uint32_t n, size_t ev_len)
{
	return sizeof(struct pend_blk) + n * sizeof(uint32_t) + ev_len;
}

static inline bool pend_less(const struct dp_pending *a, const struct dp_pending *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* A row that waits for the watermark: copied with its patterns' references. */
static void pend(struct dp_win_lcore *wl, uint8_t si, const struct fmt_row *row,
		 const uint32_t *refs, uint32_t n)
{
	const struct fmt_schema *sc = &wl->pl->streams[si].sc;
	struct dp_stream_time *t = &wl->time[si];
	size_t ev_len = fmt_event_size(sc, row), size = pend_size(n, ev_len);
	struct dp_pending e, *h;
	struct pend_blk *blk;
	uint32_t pos, k;

	if (t->n_pend == t->cap_pend) {
		uint32_t cap = t->cap_pend ? t->cap_pend * 2 : 1024;

		h = cap > t->cap_pend ? realloc(t->pend, cap * sizeof(*h)) : NULL;
		if (h == NULL)
			goto full;
		t->pend = h;
		t->cap_pend = cap;
	}
	blk = size <= WIN_ARENA_MAX ? win_alloc(&wl->pend_arena, size) : NULL;
	if (blk == NULL)
		goto full;
	blk->n = n;
	blk->ev_len = (uint32_t)ev_len;
	memcpy(blk->refs, refs, n * sizeof(*refs));
	fmt_event_pack(sc, si, row, blk->refs + n, ev_len);
	e = (struct dp_pending){ row->ts_ms, wl->seq++, blk };
	for (pos = t->n_pend++; pos > 0 && pend_less(&e, &t->pend[(pos - 1) / 2]);
	     pos = (pos - 1) / 2)
		t->pend[pos] = t->pend[(pos - 1) / 2];
	t->pend[pos] = e;
	return;
full:
	for (k = 0; k < n; k++)
		wl->out->c->state_full[wl->pl->srules[DP_REF_IDX(refs[k])].rule]++;
}

/* The waiting rows of stream si up to W, taken in order. */
static void take_pending(struct dp_win_lcore *wl, uint8_t si, int64_t W)
{
	const struct fmt_schema *sc = &wl->pl->streams[si].sc;
	struct dp_stream_time *t = &wl->time[si];

	while (t->n_pend > 0 && t->pend[0].ts <= W) {
		struct dp_pending e = t->pend[0], last = t->pend[--t->n_pend];
		struct pend_blk *blk = e.blk;
		uint32_t pos = 0, kid;

		/* sift the last entry down from the root */
		while ((kid = 2 * pos + 1) < t->n_pend) {
			if (kid + 1 < t->n_pend && pend_less(&t->pend[kid + 1], &t->pend[kid]))
				kid++;
			if (!pend_less(&t->pend[kid], &last))
				break;
			t->pend[pos] = t->pend[kid];
			pos = kid;
		}
		t->pend[pos] = last;
		if (fmt_event_unpack(sc, blk->refs + blk->n, blk->ev_len, &wl->prow) == 0)
			take_row(wl, si, &wl->prow, blk->refs, blk->n, NULL, 0);
		else
			wl->out->c->rule_errors++; /* cannot happen: packed here */
		win_free(&wl->pend_arena, blk, pend_size(blk->n, blk->ev_len));
	}
}

/* The stream's watermark is now W: rows that waited for it are taken, windows that it
 * closes go out, partitions whose WITHIN it passes close. */
static void advance(struct dp_win_lcore *wl, uint8_t si, int64_t W)
{
	const struct dp_stream_rt *st = &wl->pl->streams[si];
	struct dp_stream_time *t = &wl->time[si];
	int64_t next = INT64_MAX;
	uint32_t k;

	t->W = W;
	if (t->n_pend > 0 && t->pend[0].ts <= W)
		take_pending(wl, si, W);
	if (W < t->next_close)
		return;
	for (k = st->first_srule; k < st->first_srule + st->n_srules; k++) {
		if (next_close(wl, k) <= W) {
			sample_usage(wl, k);
			if (wl->pl->srules[k].pattern)
				cep_advance(wl->cep[k], W);
			else
				win_advance(wl->win[k], W);
		}
		if (next_close(wl, k) < next)
			next = next_close(wl, k);
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

/* A late event: counted for the rule, and to its late_topic when it has one. */
static void late(struct dp_win_lcore *wl, const struct dp_srule *a, const struct fmt_row *row)
{
	wl->out->c->late[a->rule]++;
	if (a->late_topic >= 0)
		late_event(wl, a, row);
}

/* The patterns' part of an event: in order, waiting, or late. */
static void pattern_row(struct dp_win_lcore *wl, uint8_t si, const struct fmt_row *row,
			const uint32_t *refs, uint32_t n)
{
	const struct dp_stream_rt *st = &wl->pl->streams[si];
	struct dp_stream_time *t = &wl->time[si];
	int64_t ts = row->ts_ms;
	uint32_t k;

	if (ts < t->W || (st->wm_delay_ms == 0 && ts < t->taken)) {
		for (k = 0; k < n; k++)
			late(wl, &wl->pl->srules[DP_REF_IDX(refs[k])], row);
	} else if (st->wm_delay_ms == 0 || ts <= t->W) {
		take_row(wl, si, row, refs, n, wl->phash, wl->phash_ok);
	} else {
		pend(wl, si, row, refs, n);
	}
}

void dp_win_event(struct dp_win_lcore *wl, unsigned int ch, uint8_t si, const struct fmt_row *row,
		  int64_t wm, int64_t now_ms, const uint32_t *refs, uint32_t n,
		  const uint64_t *hash, uint32_t n_hash)
{
	struct dp_stream_time *t = &wl->time[si];
	uint32_t k, np = 0;

	dp_win_watermark(wl, ch, si, wm);
	if (now_ms > wl->now_ms)
		wl->now_ms = now_ms;
	wl->phash_ok = 0;
	for (k = 0; k < n; k++) {
		uint32_t idx = DP_REF_IDX(refs[k]);
		const struct dp_srule *a = &wl->pl->srules[idx];
		struct win_state *w = wl->win[idx];

		if (a->pattern) {
			/* a bank's first lane: the look-ahead hashed its key */
			if (k < n_hash && np < DP_WIN_HASHES && a->bank_lead == idx) {
				wl->phash[np] = hash[k];
				wl->phash_ok |= 1u << np;
			}
			wl->prefs[np++] = refs[k];
			continue;
		}
		switch (win_add_hashed(w, row, k < n_hash ? hash[k] : win_hash(w, row), t->W,
				       wl->now_ms)) {
		case WIN_ADDED:
			break;
		case WIN_LATE:
			late(wl, a, row);
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
	if (np > 0)
		pattern_row(wl, si, row, wl->prefs, np);
}

void dp_win_tick(struct dp_win_lcore *wl, int64_t now_ms)
{
	uint32_t k;

	if (now_ms > wl->now_ms)
		wl->now_ms = now_ms;
	for (k = 0; k < wl->pl->n_srules; k++) {
		if (wl->pl->srules[k].pattern)
			sample_usage(wl, k);
		else if (wl->pl->srules[k].spec.emit_changes)
			win_tick(wl->win[k], wl->now_ms);
	}
}

void dp_win_finish(struct dp_win_lcore *wl)
{
	uint32_t si, k;

	for (si = 0; si < wl->pl->n_streams; si++) {
		wl->time[si].next_close = INT64_MIN; /* look at every rule */
		advance(wl, (uint8_t)si, INT64_MAX);
	}
	for (k = 0; k < wl->pl->n_srules; k++) {
		if (wl->pl->srules[k].pattern) {
			sample_usage(wl, k);
			cep_clear(wl->cep[k]); /* no row will come: nothing more can match */
		}
	}
}

/* ---- live reload (dp_gen.h) ---- */

int dp_win_kit(struct dp_kit *kit, struct dp_win_lcore *wl, const struct dp_pipeline *pl)
{
	uint32_t k, n = pl->n_srules;

	kit->n_srules = n;
	kit->win = calloc(n + 1, sizeof(*kit->win));
	kit->cep = calloc(n + 1, sizeof(*kit->cep));
	kit->ectx = calloc(n + 1, sizeof(*kit->ectx));
	kit->prefs = calloc(n + 1, sizeof(*kit->prefs));
	kit->btake = calloc(n + 1, sizeof(*kit->btake));
	if (kit->win == NULL || kit->cep == NULL || kit->ectx == NULL || kit->prefs == NULL ||
	    kit->btake == NULL)
		return -ENOMEM;
	/* The lcore has not needed it yet, so it does not touch it until it adopts
	 * this generation (published after this, with release). */
	if (wl->pend_arena.base == NULL && needs_pending(pl) &&
	    win_arena_init(&wl->pend_arena, DP_PENDING_BYTES) != 0)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		kit->ectx[k].wl = wl;
		kit->ectx[k].agg = k;
	}
	for (k = 0; k < n; k++) {
		const struct dp_srule *a = &pl->srules[k];

		if (a->pattern) {
			/* every bank's operator is new: the lcore merges the old ones' rows
			 * into it (dp_win_adopt); only the first lane holds it until then */
			if (a->bank_lead != k)
				continue;
			kit->cep[k] = bank_state(pl, k, kit->hs_scratch, kit->ectx);
			if (kit->cep[k] == NULL)
				return -ENOMEM;
			continue;
		}
		if (pl->srule_from != NULL && pl->srule_from[k] >= 0)
			continue; /* its operator comes from the lcore's */
		kit->win[k] = win_state_new(&a->spec, on_result, &kit->ectx[k]);
		if (kit->win[k] == NULL)
			return -ENOMEM;
	}
	return 0;
}

size_t dp_win_tmp_size(void)
{
	return sizeof(((struct dp_win_lcore *)0)->time);
}

/* The waiting rows of a surviving stream refer to the rules by their new indexes;
 * those of removed rules are skipped when the rows are taken. */
static void pend_translate(const struct dp_pipeline *pl, struct dp_stream_time *t)
{
	uint32_t e, k;

	for (e = 0; e < t->n_pend; e++) {
		struct pend_blk *blk = t->pend[e].blk;

		for (k = 0; k < blk->n; k++) {
			uint32_t idx = DP_REF_IDX(blk->refs[k]);
			int32_t to = idx == DP_REF_DEAD ? -1 : pl->prev_srule_to[idx];

			blk->refs[k] = to >= 0 ? DP_REF(to, DP_REF_SYM(blk->refs[k]))
					       : DP_REF(DP_REF_DEAD, 0);
		}
	}
}

static void pend_drop(struct dp_win_lcore *wl, struct dp_stream_time *t)
{
	uint32_t e;

	for (e = 0; e < t->n_pend; e++) {
		struct pend_blk *blk = t->pend[e].blk;

		win_free(&wl->pend_arena, blk, pend_size(blk->n, blk->ev_len));
	}
	/* a reload is rare: the one free() an lcore does outside start and stop */
	free(t->pend);
	t->pend = NULL;
	t->n_pend = t->cap_pend = 0;
}

/* The new operator `to` of the bank whose first lane is srule lead of pl takes the
 * partitions of its lanes' old operators (rules that survive the reload), each old
 * operator once, and rebuilds their Hyperscan streams. */
static void adopt_bank(struct dp_win_lcore *wl, const struct dp_pipeline *pl, uint32_t lead,
		       struct cep_state *to)
{
	const struct dp_pipeline *old = wl->pl;
	const struct dp_srule *b = &pl->srules[lead];
	struct dp_counters *c = wl->out->c;
	uint32_t l, m, x;
	bool merged = false;

	for (l = 0; l < b->bank->n_lanes; l++) {
		int32_t f = pl->srule_from[b->lane_srule[l]];
		int8_t map[PAT_BANK_LANES];
		uint32_t of;
		uint16_t lost = 0;

		if (f < 0)
			continue;
		of = old->srules[f].bank_lead;
		/* an old operator is merged at its first surviving lane */
		for (m = 0; m < l; m++) {
			int32_t g = pl->srule_from[b->lane_srule[m]];

			if (g >= 0 && old->srules[g].bank_lead == of)
				break;
		}
		if (m < l)
			continue;
		memset(map, -1, sizeof(map));
		for (x = 0; x < old->srules[of].bank->n_lanes; x++) {
			int32_t to_k = pl->prev_srule_to[old->srules[of].lane_srule[x]];

			if (to_k >= 0 && pl->srules[to_k].bank_lead == lead)
				map[x] = (int8_t)pl->srules[to_k].lane;
		}
		cep_merge(to, wl->cep[of], map, &lost);
		for (x = 0; x < b->bank->n_lanes; x++)
			if (lost >> x & 1)
				c->state_full[pl->srules[b->lane_srule[x]].rule]++;
		merged = true;
	}
	if (merged && cep_rescan(to) != 0)
		c->rule_errors++;
}

void dp_win_adopt(struct dp_win_lcore *wl, const struct dp_pipeline *pl, struct dp_kit *kit)
{
	const struct dp_pipeline *old = wl->pl;
	struct dp_stream_time *tmp = kit->tmp;
	uint32_t k, si;

	for (k = 0; k < pl->n_srules; k++) {
		const struct dp_srule *a = &pl->srules[k];
		int32_t f = pl->srule_from[k];

		if (a->pattern) {
			if (a->bank_lead == k)
				adopt_bank(wl, pl, k, kit->cep[k]);
			continue;
		}
		if (f < 0)
			continue;
		kit->win[k] = wl->win[f];
		wl->win[f] = NULL;
		win_state_rebind(kit->win[k], &a->spec, on_result, &kit->ectx[k]);
	}
	share_banks(pl, kit->cep);
	unshare_banks(old, wl->cep); /* the old operators stay with the kit, to be freed */
	DP_SWAP(wl->win, kit->win);
	DP_SWAP(wl->cep, kit->cep);
	DP_SWAP(wl->ectx, kit->ectx);
	DP_SWAP(wl->prefs, kit->prefs);
	DP_SWAP(wl->btake, kit->btake);
	kit->n_srules = old->n_srules; /* the operators of removed rules stay there */
	memcpy(tmp, wl->time, sizeof(wl->time));
	for (si = 0; si < PAT_MAX_STREAMS; si++) {
		int16_t from = si < pl->n_streams ? pl->stream_from[si] : -1;

		if (from < 0) {
			time_init(&wl->time[si]);
			continue;
		}
		wl->time[si] = tmp[from];
		tmp[from].pend = NULL;
		pend_translate(pl, &wl->time[si]);
	}
	for (si = 0; si < PAT_MAX_STREAMS; si++)
		if (tmp[si].pend != NULL)
			pend_drop(wl, &tmp[si]);
	wl->pl = pl;
}

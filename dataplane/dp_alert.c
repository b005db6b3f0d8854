/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules on the RX lcore: CREATE ALERT, one message per event that satisfies the
 * rule's WHERE, {"rule", "ts", the select list, "ruleset"} (spec/RULES.md, "Output
 * messages"), written straight into the lcore's result ring; and the WHERE of each
 * aggregate, whose events then go to the state lcore of their key. Message templates,
 * shared with the window results.
 */
#include "dp_ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a value may take as JSON text: a string escaped, anything else 32. */
size_t dp_value_max(const struct pat_val *v)
{
	return !v->null && v->type == PAT_T_STRING ? FMT_OUT_STR_MAX(v->s.len) : 32;
}

void dp_put_value(struct fmt_out *o, const struct pat_val *v)
{
	if (v->null) {
		fmt_out_lit(o, "null");
		return;
	}
	switch ((enum pat_type)v->type) {
	case PAT_T_STRING:
		fmt_out_str(o, v->s.p, v->s.len);
		break;
	case PAT_T_DOUBLE:
		fmt_out_double(o, v->d);
		break;
	case PAT_T_BOOLEAN:
		fmt_out_lit(o, v->b ? "true" : "false");
		break;
	default: /* BIGINT, TIMESTAMP (epoch ms) */
		fmt_out_i64(o, v->i);
		break;
	}
}

/* The tail of every message: ,"ruleset":<up to 20 digits>} */
#define TAIL_MAX (sizeof(",\"ruleset\":}") + 20)

int dp_tpl_prepare(struct dp_tpl *t, const struct pat_rule *r, const char *const *fields,
		   uint32_t n_fields, const struct pat_item *items, uint32_t n_items)
{
	size_t cap = 16 + FMT_OUT_STR_MAX(strlen(r->name));
	struct fmt_out out;
	uint32_t k;

	memset(t, 0, sizeof(*t));
	if (n_fields > sizeof(t->field_end) / sizeof(t->field_end[0]))
		return -EINVAL;
	for (k = 0; k < n_fields; k++)
		cap += 4 + strlen(fields[k]);
	for (k = 0; k < n_items; k++)
		cap += 2 + FMT_OUT_STR_MAX(strlen(items[k].name));
	t->text = malloc(cap);
	t->key_end = calloc(n_items + 1, sizeof(*t->key_end));
	if (t->text == NULL || t->key_end == NULL) {
		dp_tpl_release(t);
		return -ENOMEM;
	}
	t->n_fields = n_fields;
	t->n_items = n_items;
	out = (struct fmt_out){ .p = (uint8_t *)t->text, .cap = cap };
	fmt_out_lit(&out, "{\"rule\":");
	fmt_out_str(&out, (const uint8_t *)r->name, strlen(r->name));
	t->head = (uint32_t)out.len;
	for (k = 0; k < n_fields; k++) {
		fmt_out_lit(&out, ",\"");
		fmt_out_lit(&out, fields[k]);
		fmt_out_lit(&out, "\":");
		t->field_end[k] = (uint32_t)out.len;
	}
	for (k = 0; k < n_items; k++) {
		fmt_out_lit(&out, ",");
		fmt_out_str(&out, (const uint8_t *)items[k].name, strlen(items[k].name));
		fmt_out_lit(&out, ":");
		t->key_end[k] = (uint32_t)out.len;
	}
	t->fixed = out.len + 20 * n_fields + TAIL_MAX;
	return 0;
}

void dp_tpl_release(struct dp_tpl *t)
{
	free(t->text);
	free(t->key_end);
	t->text = NULL;
	t->key_end = NULL;
}

size_t dp_tpl_max(const struct dp_tpl *t, const struct pat_val *vals)
{
	size_t max = t->fixed;
	uint32_t k;

	for (k = 0; k < t->n_items; k++)
		max += dp_value_max(&vals[k]);
	return max;
}

void dp_tpl_write(struct fmt_out *o, const struct dp_tpl *t, const int64_t *fields,
		  const struct pat_val *vals, uint64_t ruleset)
{
	uint32_t k, at = t->head;

	fmt_out_raw(o, t->text, at);
	for (k = 0; k < t->n_fields; at = t->field_end[k++]) {
		fmt_out_raw(o, t->text + at, t->field_end[k] - at);
		fmt_out_i64(o, fields[k]);
	}
	for (k = 0; k < t->n_items; at = t->key_end[k++]) {
		fmt_out_raw(o, t->text + at, t->key_end[k] - at);
		dp_put_value(o, &vals[k]);
	}
	fmt_out_lit(o, ",\"ruleset\":");
	fmt_out_i64(o, (int64_t)ruleset);
	fmt_out_lit(o, "}");
}

static void alert(struct dp_ingest *in, const struct dp_alert_rt *a, const struct fmt_row *row)
{
	const struct pat_rule *r = a->r;
	struct fmt_out out;
	uint32_t k;

	for (k = 0; k < r->n_items; k++)
		pat_eval(r->items[k].e, &in->env, &in->vals[k]);
	if (!dp_ingest_begin(in, dp_tpl_max(&a->tpl, in->vals), &out))
		return;
	dp_tpl_write(&out, &a->tpl, &row->ts_ms, in->vals, in->pl->ruleset);
	dp_ingest_commit(in, &out, a->topic);
}

/* Alert a on the event: its WHERE, then its message. */
static inline void consider(struct dp_ingest *in, const struct dp_alert_rt *a,
			    const struct fmt_row *row)
{
	in->env.used = 0;
	if (a->r->where != NULL && !pat_eval_cond(a->r->where, &in->env))
		return;
	in->c->results[a->rule]++;
	alert(in, a, row);
}

static void alerts(struct dp_ingest *in, const struct dp_stream_rt *st, const struct fmt_row *row)
{
	const struct dp_pipeline *pl = in->pl;
	uint32_t k, w;

	for (k = st->first_alert; k < st->first_alert + st->n_always; k++)
		consider(in, &pl->alerts[k], row);
	if (st->n_always == st->n_alerts)
		return;
	/* the others only where their predicate fired */
	for (w = 0; w < PAT_PRED_WORDS(st->hs->n_preds); w++) {
		uint64_t bits = in->preds[w];

		while (bits != 0) {
			uint32_t p = w * 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			for (k = st->pred_first[p]; k < st->pred_first[p + 1]; k++)
				consider(in, &pl->alerts[st->pred_alerts[k]], row);
		}
	}
}

void dp_rules_event(struct dp_ingest *in, uint8_t si, const struct fmt_row *row, uint64_t now_ns)
{
	const struct dp_pipeline *pl = in->pl;
	const struct dp_stream_rt *st = &pl->streams[si];
	uint64_t t0 = in->timing ? dp_cycles() : 0, t1;
	uint32_t k, n = 0;

	in->env.row = row;
	in->env.preds = NULL;
	in->env.memo = &in->memo;
	in->memo.known = 0;
	in->memo.val = 0;
	if (st->hs != NULL && (st->n_alerts > 0 || st->n_srules > 0)) {
		if (pat_hs_scan(st->hs, row, in->hs_scratch, in->preds) != 0) {
			in->c->rule_errors++; /* no rule of the stream sees this event */
			return;
		}
		in->env.preds = in->preds;
	}
	if (st->n_alerts > 0)
		alerts(in, st, row);
	if (!st->stateful || in->route == NULL) {
		if (in->timing)
			dp_stage_add(&in->c->stage[DP_STAGE_MATCH], dp_cycles() - t0, 1);
		return;
	}
	for (k = st->first_srule; k < st->first_srule + st->n_srules; k++) {
		const struct pat_rule *r = pl->srules[k].r;

		in->env.used = 0;
		if (pl->srules[k].pattern) /* every row: one that no variable takes breaks */
			in->pass[n++] = DP_REF(k, cep_symbol(r, &in->env));
		else if (r->where == NULL || pat_eval_cond(r->where, &in->env))
			in->pass[n++] = DP_REF(k, 0);
	}
	if (!in->timing) {
		in->route(in->route_ctx, si, row, now_ns, in->pass, n);
		return;
	}
	t1 = dp_cycles();
	dp_stage_add(&in->c->stage[DP_STAGE_MATCH], t1 - t0, 1);
	in->state_inner = 0; /* the state work of events kept on this lcore, timed apart */
	in->route(in->route_ctx, si, row, now_ns, in->pass, n);
	dp_stage_add(&in->c->stage[DP_STAGE_ROUTE], dp_cycles() - t1 - in->state_inner, 1);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE ALERT on the data path: one message per event that satisfies the rule's
 * WHERE, {"rule", "ts", the select list, "ruleset"} (spec/RULES.md, "Output
 * messages"), written straight into the lcore's result ring.
 */
#include "dp_ingest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a value may take as JSON text: a string escaped, anything else 32. */
static size_t value_max(const struct pat_val *v)
{
	return !v->null && v->type == PAT_T_STRING ? FMT_OUT_STR_MAX(v->s.len) : 32;
}

static void put_value(struct fmt_out *o, const struct pat_val *v)
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

int dp_alert_prepare(struct dp_alert_rt *a, const struct pat_rule *r)
{
	size_t cap = 16 + FMT_OUT_STR_MAX(strlen(r->name));
	struct fmt_out out;
	uint32_t k;

	for (k = 0; k < r->n_items; k++)
		cap += 2 + FMT_OUT_STR_MAX(strlen(r->items[k].name));
	a->text = malloc(cap);
	a->key_end = calloc(r->n_items + 1, sizeof(*a->key_end));
	if (a->text == NULL || a->key_end == NULL) {
		dp_alert_release(a);
		return -ENOMEM;
	}
	out = (struct fmt_out){ .p = (uint8_t *)a->text, .cap = cap };
	fmt_out_lit(&out, "{\"rule\":");
	fmt_out_str(&out, (const uint8_t *)r->name, strlen(r->name));
	fmt_out_lit(&out, ",\"ts\":");
	a->head_len = (uint32_t)out.len;
	for (k = 0; k < r->n_items; k++) {
		fmt_out_lit(&out, ",");
		fmt_out_str(&out, (const uint8_t *)r->items[k].name, strlen(r->items[k].name));
		fmt_out_lit(&out, ":");
		a->key_end[k] = (uint32_t)out.len;
	}
	a->fixed = out.len + 20 /* ts */ + TAIL_MAX;
	return 0;
}

void dp_alert_release(struct dp_alert_rt *a)
{
	free(a->text);
	free(a->key_end);
	a->text = NULL;
	a->key_end = NULL;
}

static void alert(struct dp_ingest *in, const struct dp_alert_rt *a, const struct fmt_row *row)
{
	const struct pat_rule *r = a->r;
	struct fmt_out out;
	size_t max = a->fixed;
	uint32_t k, at;

	for (k = 0; k < r->n_items; k++) {
		pat_eval(r->items[k].e, &in->env, &in->vals[k]);
		max += value_max(&in->vals[k]);
	}
	if (!dp_ingest_begin(in, max, &out))
		return;
	fmt_out_raw(&out, a->text, a->head_len);
	fmt_out_i64(&out, row->ts_ms);
	for (k = 0, at = a->head_len; k < r->n_items; at = a->key_end[k++]) {
		fmt_out_raw(&out, a->text + at, a->key_end[k] - at);
		put_value(&out, &in->vals[k]);
	}
	fmt_out_lit(&out, ",\"ruleset\":");
	fmt_out_i64(&out, (int64_t)in->pl->ruleset);
	fmt_out_lit(&out, "}");
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

void dp_alerts_event(struct dp_ingest *in, uint8_t si, const struct fmt_row *row)
{
	const struct dp_pipeline *pl = in->pl;
	const struct dp_stream_rt *st = &pl->streams[si];
	uint32_t k, w;

	in->env.row = row;
	in->env.preds = NULL;
	if (st->hs != NULL) {
		if (pat_hs_scan(st->hs, row, in->hs_scratch, in->preds) != 0) {
			in->c->rule_errors++; /* no rule of the stream sees this event */
			return;
		}
		in->env.preds = in->preds;
	}
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

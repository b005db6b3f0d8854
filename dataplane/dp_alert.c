/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE ALERT on the data path: one message per event that satisfies the rule's
 * WHERE, {"rule", "ts", the select list, "ruleset"} (spec/RULES.md, "Output
 * messages"), written straight into the lcore's result ring.
 */
#include "dp_ingest.h"

#include "formats/fmt_out.h"

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

static void alert(struct dp_ingest *in, const struct dp_alert_rt *a, const struct fmt_row *row)
{
	const struct pat_rule *r = a->r;
	struct fmt_out out;
	size_t max = 96 + FMT_OUT_STR_MAX(strlen(r->name));
	uint32_t k;

	for (k = 0; k < r->n_items; k++) {
		pat_eval(r->items[k].e, &in->env, &in->vals[k]);
		max += FMT_OUT_STR_MAX(strlen(r->items[k].name)) + 1 + value_max(&in->vals[k]);
	}
	out.p = dp_ingest_reserve(in, max);
	if (out.p == NULL)
		return;
	out.cap = max;
	out.len = 0;
	out.overflow = false;
	fmt_out_lit(&out, "{\"rule\":");
	fmt_out_str(&out, (const uint8_t *)r->name, strlen(r->name));
	fmt_out_lit(&out, ",\"ts\":");
	fmt_out_i64(&out, row->ts_ms);
	for (k = 0; k < r->n_items; k++) {
		fmt_out_lit(&out, ",");
		fmt_out_str(&out, (const uint8_t *)r->items[k].name, strlen(r->items[k].name));
		fmt_out_lit(&out, ":");
		put_value(&out, &in->vals[k]);
	}
	fmt_out_lit(&out, ",\"ruleset\":");
	fmt_out_i64(&out, (int64_t)in->pl->ruleset);
	fmt_out_lit(&out, "}");
	if (out.overflow) { /* max is an upper bound: cannot happen; never send half */
		in->c->lost[DP_LOST_TOO_LARGE]++;
		return;
	}
	sink_ring_commit(in->ring, a->topic, 0, out.len);
	in->c->produced++;
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

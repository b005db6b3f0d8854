/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/cep.h"
#include "windows/win_agg.h"

struct dp_gen *dp_gen_current;
struct dp_filter_set *dp_filter_current;

static int slot_of(char **names, uint32_t *n, uint32_t max, const char *name)
{
	uint32_t k;
	char *copy;

	for (k = 0; k < *n; k++)
		if (strcmp(names[k], name) == 0)
			return (int)k;
	if (*n == max)
		return -ENOSPC;
	copy = strdup(name);
	if (copy == NULL)
		return -ENOMEM;
	names[*n] = copy;
	/* readers that do not hold the runtime's lock see the name before the count */
	__atomic_store_n(n, *n + 1, __ATOMIC_RELEASE);
	return (int)k;
}

int dp_slot_rule(struct dp_slots *s, const char *name, bool stateful)
{
	int k = slot_of(s->rule, &s->n_rules, PAT_MAX_RULES, name);

	if (k >= 0 && stateful)
		s->rule_stateful[k] = 1;
	return k;
}

int dp_slot_stream(struct dp_slots *s, const char *name)
{
	return slot_of(s->stream, &s->n_streams, PAT_MAX_STREAMS, name);
}

void dp_slots_free(struct dp_slots *s)
{
	uint32_t k;

	for (k = 0; k < s->n_rules; k++)
		free(s->rule[k]);
	for (k = 0; k < s->n_streams; k++)
		free(s->stream[k]);
	s->n_rules = s->n_streams = 0;
}

void dp_kit_free(struct dp_kit *kit)
{
	uint32_t k;

	for (k = 0; k < kit->n_srules; k++) {
		if (kit->win != NULL)
			win_state_free(kit->win[k]);
		if (kit->cep != NULL)
			cep_state_free(kit->cep[k]);
	}
	free(kit->win);
	free(kit->cep);
	free(kit->ectx);
	free(kit->prefs);
	free(kit->btake);
	free(kit->env_buf);
	free(kit->pass);
	free(kit->list);
	free(kit->tmp);
	hs_free_scratch(kit->hs_scratch);
	memset(kit, 0, sizeof(*kit));
}

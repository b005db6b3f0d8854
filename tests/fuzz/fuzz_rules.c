/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the rule compiler on any text. It either compiles or reports located
 * errors in the FILE:LINE:COL format, never both and never neither. Hyperscan checks
 * every LIKE/REGEXP pattern in process (hs_expression_info); building databases, in
 * a child process per input, would slow the fuzzer a hundredfold and is covered by
 * the unit tests. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/pat_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pat_diags d = { 0 };
	static const struct pat_options opt = { .hs_mode = PAT_HS_CHECK_ONLY };
	struct pat_ruleset *rs = NULL;
	size_t k;
	int rc;

	rc = pat_compile_ex("fuzz.rql", (const char *)data, size, &opt, &rs, &d);
	if (rc == 0 && (rs == NULL || d.n != 0 || rs->n_streams == 0))
		abort();
	if (rc == -EINVAL && (rs != NULL || d.n == 0))
		abort();
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	for (k = 0; k < d.n; k++)
		if (strncmp(d.msgs[k], "fuzz.rql:", 9) != 0 ||
		    strstr(d.msgs[k], ": error: ") == NULL)
			abort();
	pat_ruleset_free(rs);
	pat_diags_free(&d);
	return 0;
}

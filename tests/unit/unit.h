/* SPDX-License-Identifier: BSD-3-Clause */
/* The runner shared by the unit tests: one CUnit suite per module, run verbosely,
 * the number of failures as exit status (meson reads non-zero as a failed test). */
#ifndef RIPTIDE_TESTS_UNIT_H
#define RIPTIDE_TESTS_UNIT_H

#include <CUnit/Basic.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static inline int unit_run(const char *suite_name, const struct unit_test *tests)
{
	CU_pSuite suite;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (suite == NULL)
		goto fail;
	for (; tests->name != NULL; tests++)
		if (CU_add_test(suite, tests->name, tests->fn) == NULL)
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}

#endif

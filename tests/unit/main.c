/* main.c - run every Check suite linked into this binary. */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"


int main(void)
{
	SRunner *sr = NULL;
	int failed;

#define ADD(n)                                                 \
	if (n##_suite) {                                       \
		if (!sr)                                       \
			sr = srunner_create(n##_suite());      \
		else                                           \
			srunner_add_suite(sr, n##_suite());    \
	}
	SLIM_SUITES(ADD)
	if (!sr) {
		fprintf(stderr, "no suites\n");
		return 1;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main.c - run every Check suite listed in SLIM_SUITES (testutil.h), then
 * print the skips the checks recorded and one summary line:
 *   N checks: P passed, F failed, S skipped
 * (a check that recorded a skip counts as skipped, not passed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* The suites' files (tests/unit/check_NAME.c: NAME), from the Makefile. */
#ifndef TU_SUITE_FILES
#error "build with the Makefile: it passes -DTU_SUITE_FILES (the tests/unit/check_*.c files)"
#endif

#define SLIM_SUITE_NAME(n) #n,
static const char *const listed[] = { SLIM_SUITES(SLIM_SUITE_NAME) };
#define NLISTED (sizeof(listed) / sizeof(listed[0]))

static int is_listed(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NLISTED; i++)
		if (strlen(listed[i]) == len && strncmp(listed[i], name, len) == 0)
			return 1;
	return 0;
}

/* Every check_*.c has its suite in SLIM_SUITES, and every listed suite a
 * file (a listed suite with no definition at all does not link). */
START_TEST(every_file_listed)
{
	const char *p = TU_SUITE_FILES, *q;
	size_t i, nfiles = 0;

	for (; *p; p = q) {
		while (*p == ' ')
			p++;
		for (q = p; *q && *q != ' '; q++)
			;
		if (q == p)
			continue;
		nfiles++;
		ck_assert_msg(is_listed(p, (size_t)(q - p)),
			      "tests/unit/check_%.*s.c: its suite is not in SLIM_SUITES (tests/unit/testutil.h)",
			      (int)(q - p), p);
	}
	for (i = 0; i < NLISTED; i++) {
		char w[128];
		snprintf(w, sizeof(w), " %s ", listed[i]);
		ck_assert_msg(strstr(" " TU_SUITE_FILES " ", w) != NULL,
			      "SLIM_SUITES lists '%s', but there is no tests/unit/check_%s.c", listed[i],
			      listed[i]);
	}
	ck_assert_uint_eq(nfiles, NLISTED);
}
END_TEST

static Suite *suites_suite(void)
{
	Suite *s = suite_create("suites");
	TCase *t = tcase_create("list");

	tcase_add_test(t, every_file_listed);
	suite_add_tcase(s, t);
	return s;
}

/* Print the recorded skips; return how many checks skipped (distinct names
 * up to a '/' that names a part of a check). */
static int report_skips(const char *path)
{
	char line[4096], seen[256][128];
	int nseen = 0, i;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, ":/");
		int found = 0;
		printf("skip %s", line);
		for (i = 0; i < nseen && !found; i++)
			found = strlen(seen[i]) == n && strncmp(seen[i], line, n) == 0;
		if (!found && nseen < 256)
			snprintf(seen[nseen++], sizeof(seen[0]), "%.*s", (int)n, line);
	}
	fclose(f);
	return nseen;
}

int main(void)
{
	SRunner *sr = srunner_create(suites_suite());
	const char *base = getenv("TMPDIR");
	char skips[4096];
	int fd, run, failed, skipped, passed;

#define ADD(n) srunner_add_suite(sr, n##_suite());
	SLIM_SUITES(ADD)
	snprintf(skips, sizeof(skips), "%s/slim-unit-skips.XXXXXX", base && *base ? base : "/tmp");
	fd = mkstemp(skips);
	if (fd < 0) {
		perror(skips);
		return EXIT_FAILURE;
	}
	close(fd);
	setenv(TU_SKIP_FILE_ENV, skips, 1);
	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	skipped = report_skips(skips);
	unlink(skips);
	passed = run - failed - skipped;
	printf("%d checks: %d passed, %d failed, %d skipped\n", run, passed < 0 ? 0 : passed, failed,
	       skipped);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

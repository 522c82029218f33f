/* testutil.h - helpers shared by the Check suites.
 *
 * Every suite file tests/unit/check_NAME.c defines `Suite *NAME_suite(void)`
 * and NAME is listed in SLIM_SUITES below; main.c runs exactly that list.
 * Both directions are checked: a listed suite that does not exist is a link
 * error (the declarations are strong), and a check_*.c file that is not
 * listed fails the check "suites/every_file_listed" (the Makefile tells
 * main.c which files there are).
 * Each test makes its own temporary directory with tu_tmpdir().
 */
#ifndef SLIM_TESTUTIL_H
#define SLIM_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Every suite, in the order they run; one a line (merges stay easy). */
#define SLIM_SUITES(X) \
	X(util)       \
	X(content)    \
	X(pool)       \
	X(report)     \
	X(strip)      \
	X(fatbin)     \
	X(relstrip)   \
	X(ar)         \
	X(fsutil)     \
	X(walk)       \
	X(rules)      \
	X(dedup)      \
	X(container)  \
	X(audit)      \
	X(image)      \
	X(source)     \
	X(sink)       \
	X(pipeline)
#define SLIM_DECL_SUITE(n) Suite *n##_suite(void);
SLIM_SUITES(SLIM_DECL_SUITE)

/* A fresh directory under $TMPDIR (or /tmp); removed by tu_rmrf(). Caller
 * frees the string. */
char *tu_tmpdir(void);
void tu_rmrf(const char *dir);
/* Write len bytes (or strlen(data) when len == (size_t)-1) to dir/name. */
void tu_write(const char *dir, const char *name, const void *data, size_t len);
/* Read a whole file; caller frees; *len gets its size. NULL if missing. */
unsigned char *tu_read(const char *path, size_t *len);
/* Run a shell command (printf-style); returns its exit status. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Does a command exist on PATH? */
int tu_have(const char *cmd);

/*
 * Check has no "skipped": a check that cannot run what it means to (a tool
 * is missing) records a skip instead of passing in silence.  main.c prints
 * "skip NAME: why" for each and counts the check as skipped, not passed,
 * in its summary line.  With UNIT_NO_SKIP=1 in the environment a skip
 * fails the check instead.  NAME is the check (or check/part) that skipped.
 */
void tu_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Skip the rest of the running check (a START_TEST body): records the skip
 * under the check's name and returns from it. */
#define TU_SKIP(...)                                \
	do {                                        \
		tu_skip(tu_check_name(__func__), __VA_ARGS__); \
		return;                             \
	} while (0)
/* The check's name from its function's (START_TEST(x) defines x_fn). */
const char *tu_check_name(const char *func);
/* TU_NEED("tool", ...): TU_SKIP unless every tool is on PATH. */
#define TU_NEED(...)                                                  \
	do {                                                          \
		const char *tu_missing_ = tu_missing(__VA_ARGS__, NULL); \
		if (tu_missing_)                                      \
			TU_SKIP("%s missing", tu_missing_);           \
	} while (0)
/* The first of the tools (NULL-terminated) not on PATH, or NULL. */
const char *tu_missing(const char *tool, ...);

/* The environment variable through which checks (forked) report skips. */
#define TU_SKIP_FILE_ENV "SLIM_UNIT_SKIP_FILE"

#endif

/* testutil.h - helpers shared by the Check suites.
 *
 * Every suite file defines `Suite *NAME_suite(void)`; main.c runs those it
 * finds (weak references), so adding a suite needs no edit elsewhere.
 * Each test makes its own temporary directory with tu_tmpdir().
 */
#ifndef SLIM_TESTUTIL_H
#define SLIM_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Every suite; those not linked in are NULL (weak) and skipped. */
#define SLIM_SUITES(X) \
	X(util) X(report) X(strip) X(fsutil) X(walk) X(ar) X(rules) X(dedup) X(layer) \
	X(container) X(audit) X(image) X(source) X(sink) X(pipeline)
#define SLIM_DECL_SUITE(n) Suite *n##_suite(void) __attribute__((weak));
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

#endif

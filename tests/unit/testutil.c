#include "testutil.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/slimtest.XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(b.p));
	return buf_detach(&b, NULL);
}

void tu_rmrf(const char *dir)
{
	tu_sh("chmod -R u+rwX '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
}

void tu_write(const char *dir, const char *name, const void *data, size_t len)
{
	struct buf p = BUF_INIT;
	FILE *f;

	if (len == (size_t)-1)
		len = strlen(data);
	buf_addf(&p, "%s/%s", dir, name);
	f = fopen(p.p, "wb");
	ck_assert_msg(f != NULL, "cannot create %s", p.p);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	buf_release(&p);
}

unsigned char *tu_read(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return (unsigned char *)buf_detach(&b, len);
}

int tu_sh(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = system(b.p);
	buf_release(&b);
	if (rc == -1)
		return -1;
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

int tu_have(const char *cmd)
{
	return tu_sh("command -v '%s' >/dev/null 2>&1", cmd) == 0;
}

const char *tu_missing(const char *tool, ...)
{
	const char *t, *missing = NULL;
	va_list ap;

	va_start(ap, tool);
	for (t = tool; t && !missing; t = va_arg(ap, const char *))
		if (!tu_have(t))
			missing = t;
	va_end(ap);
	return missing;
}

const char *tu_check_name(const char *func)
{
	static char name[256];
	size_t n = strlen(func);

	if (n > 3 && strcmp(func + n - 3, "_fn") == 0)
		n -= 3;
	snprintf(name, sizeof(name), "%.*s", (int)n, func);
	return name;
}

void tu_skip(const char *name, const char *fmt, ...)
{
	const char *file = getenv(TU_SKIP_FILE_ENV);
	const char *strict = getenv("UNIT_NO_SKIP");
	struct buf b = BUF_INIT;
	va_list ap;
	int fd;

	buf_addf(&b, "%s: ", name);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (strict && *strict && strcmp(strict, "0") != 0)
		ck_abort_msg("skip %s (UNIT_NO_SKIP is set)", b.p);
	buf_addch(&b, '\n');
	/* one write with O_APPEND: the checks run in forked children */
	if (!file || (fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		fprintf(stderr, "skip %s", b.p);
		ck_abort_msg("skip %s: no %s to record it in", name, TU_SKIP_FILE_ENV);
	}
	ck_assert_int_eq(write(fd, b.p, b.len), (ssize_t)b.len);
	close(fd);
	buf_release(&b);
}

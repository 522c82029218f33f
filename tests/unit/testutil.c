#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

char buf_empty[1];

static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed;
}

uint64_t hash_seed(void)
{
	pthread_once(&seed_once, seed_init);
	return seed;
}

void xoom(void)
{
	fputs("slim: out of memory\n", stderr);
	exit(3);
}


void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xoom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xoom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xoom();
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		xoom();
	return p;
}

void xgrow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t n;

	if (need <= *cap)
		return;
	n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			xoom();
		n *= 2;
	}
	*p = xrealloc(*p, n * size);
	*cap = n;
}

#define STRPOOL_BLOCK (256 * 1024)

static char *strpool_block(struct strpool *sp, size_t n)
{
	xgrow(&sp->blocks, &sp->capblocks, sp->nblocks + 1, sizeof(*sp->blocks));
	return sp->blocks[sp->nblocks++] = xmalloc(n);
}

char *strpool_dup(struct strpool *sp, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > STRPOOL_BLOCK / 8) /* a long one gets its own block */
		return memcpy(strpool_block(sp, n), s, n);
	if (n > sp->avail) {
		sp->cur = strpool_block(sp, STRPOOL_BLOCK);
		sp->avail = STRPOOL_BLOCK;
	}
	p = memcpy(sp->cur, s, n);
	sp->cur += n;
	sp->avail -= n;
	return p;
}

void strpool_release(struct strpool *sp)
{
	size_t i;

	for (i = 0; i < sp->nblocks; i++)
		free(sp->blocks[i]);
	free(sp->blocks);
	*sp = (struct strpool)STRPOOL_INIT;
}

void buf_init(struct buf *b)
{
	b->p = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->p);
	buf_init(b);
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		xoom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (!b->cap) {
		size_t cap = 0;
		char *p = NULL;
		xgrow(&p, &cap, need, 1);
		p[0] = '\0';
		b->p = p;
		b->cap = cap;
		return;
	}
	xgrow(&b->p, &b->cap, need, 1);
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->p + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (!b->cap || (size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > b->len)
		len = b->len;
	b->len = len;
	if (b->cap)
		b->p[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->cap)
		buf_grow(b, 0);
	p = b->p;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

void err_vset(struct err *e, int errnum, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	buf_vaddf(&b, fmt, ap);
	if (errnum)
		buf_addf(&b, ": %s", strerror(errnum));
	free(e->msg);
	e->msg = buf_detach(&b, NULL);
	e->code = errnum;
}

void err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, 0, fmt, ap);
	va_end(ap);
}

void err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, errnum, fmt, ap);
	va_end(ap);
}

void err_release(struct err *e)
{
	free(e->msg);
	e->msg = NULL;
	e->code = 0;
}

void fmt_bytes(char *out, size_t outsz, uint64_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, outsz, "%llu B", (unsigned long long)n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	snprintf(out, outsz, "%.1f %s", v, unit[u]);
}

/* The one walk over a path's components behind path_normalize and
 * path_fold.  dotdot: what a ".." is (PN_KEEP, PN_REFUSE, PN_FOLD). */
enum { PN_KEEP, PN_REFUSE, PN_FOLD };
static char *normalize(const char *p, int dotdot, const char **why)
{
	struct buf b = BUF_INIT;
	const char *s = p;

	while (*s) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len == 2 && s[0] == '.' && s[1] == '.' && dotdot != PN_KEEP) {
			char *cut = strrchr(b.p, '/');
			if (dotdot == PN_REFUSE || !b.len) {
				buf_release(&b);
				if (why)
					*why = dotdot == PN_REFUSE ? "'..' in the path"
								   : "'..' above the top";
				return NULL;
			}
			buf_setlen(&b, cut ? (size_t)(cut - b.p) : 0);
		} else if (len && !(len == 1 && s[0] == '.')) {
			if (b.len)
				buf_addch(&b, '/');
			buf_add(&b, s, len);
		}
		s += len;
		while (*s == '/')
			s++;
	}
	return buf_detach(&b, NULL);
}

char *path_normalize(const char *p, bool strict, const char **why)
{
	if (strict && *p == '/') {
		*why = "absolute path";
		return NULL;
	}
	return normalize(p, strict ? PN_REFUSE : PN_KEEP, why);
}

char *path_fold(const char *p, const char **why)
{
	return normalize(p, PN_FOLD, why);
}

int pread_exact(int fd, void *buf, size_t n, uint64_t off, struct err *e)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t k = pread(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err_errno(e, errno, "read failed");
			return -1;
		}
		if (k == 0) {
			err_set(e, "file changed size while being read");
			return -1;
		}
		p += k;
		off += (uint64_t)k;
		n -= (size_t)k;
	}
	return 0;
}

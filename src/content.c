/* content.c - new content as pieces (content.h): built, read, written. */
#include "content.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HOLE_BLOCK 4096u

void content_init(struct content *c, const unsigned char *mem, uint64_t memlen)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->mem = mem;
	c->memlen = memlen;
}

void content_release(struct content *c)
{
	size_t i;

	for (i = 0; i < c->nown; i++)
		free(c->own[i]);
	free(c->own);
	if (c->map)
		munmap(c->map, c->maplen);
	free(c->v);
	content_init(c, NULL, 0);
}

void content_set_fd(struct content *c, int fd, uint64_t base)
{
	c->fd = fd;
	c->base = base;
}

/* Append a piece, merged into the last one when it continues it. */
static void add(struct content *c, enum piece_kind k, uint64_t len, uint64_t off,
		const unsigned char *p)
{
	struct cpiece *l = c->n ? &c->v[c->n - 1] : NULL;

	if (!len)
		return;
	if (l && l->kind == k && ((k == PIECE_ZERO) || (k == PIECE_SRC && l->off + l->len == off) ||
				  (k == PIECE_MEM && l->p + l->len == p))) {
		l->len += len;
	} else {
		xgrow(&c->v, &c->cap, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = (struct cpiece){ k, c->len, len, off, p };
	}
	c->len += len;
}

void content_add_src(struct content *c, uint64_t off, uint64_t len)
{
	add(c, PIECE_SRC, len, off, NULL);
}

void content_add_zero(struct content *c, uint64_t len)
{
	add(c, PIECE_ZERO, len, 0, NULL);
}

void content_add_ref(struct content *c, const void *p, size_t len)
{
	add(c, PIECE_MEM, len, 0, p);
}

void content_own(struct content *c, void *p)
{
	xgrow(&c->own, &c->capown, c->nown + 1, sizeof(*c->own));
	c->own[c->nown++] = p;
}

void content_own_map(struct content *c, void *map, size_t len)
{
	c->map = map;
	c->maplen = len;
}

void content_add_mem(struct content *c, const void *p, size_t len)
{
	void *q;

	if (!len)
		return;
	q = xmalloc(len);
	memcpy(q, p, len);
	content_take(c, q, len);
}

void content_take(struct content *c, void *p, size_t len)
{
	content_own(c, p);
	content_add_ref(c, p, len);
}

/* The piece that holds offset off (off < c->len). */
static size_t piece_at(const struct content *c, uint64_t off)
{
	size_t lo = 0, hi = c->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].pos <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Append the part [from, to) of piece x (offsets within it) to d. */
static void add_part(struct content *d, const struct cpiece *x, uint64_t from, uint64_t to)
{
	add(d, x->kind, to - from, x->off + from, x->p ? x->p + from : NULL);
}

bool content_splice(struct content *c, uint64_t off, uint64_t len, const struct cpiece *w,
		    size_t nw)
{
	struct content d = *c;
	uint64_t sum = 0, end = off + len;
	size_t i;

	for (i = 0; i < nw; i++)
		sum += w[i].len;
	if (sum != len || end < off || end > c->len)
		return false;
	d.v = NULL;
	d.n = d.cap = 0;
	d.len = 0;
	for (i = 0; i < c->n; i++) { /* what comes before */
		const struct cpiece *x = &c->v[i];
		if (x->pos < off)
			add_part(&d, x, 0, x->pos + x->len < off ? x->len : off - x->pos);
	}
	for (i = 0; i < nw; i++)
		add_part(&d, &w[i], 0, w[i].len);
	for (i = 0; i < c->n; i++) { /* and after */
		const struct cpiece *x = &c->v[i];
		if (x->pos + x->len > end)
			add_part(&d, x, x->pos >= end ? 0 : end - x->pos, x->len);
	}
	free(c->v);
	*c = d;
	return true;
}

bool content_find_src(const struct content *c, uint64_t off, uint64_t len, uint64_t *pos)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct cpiece *x = &c->v[i];
		if (x->kind == PIECE_SRC && off >= x->off && off - x->off <= x->len &&
		    len <= x->len - (off - x->off)) {
			*pos = x->pos + (off - x->off);
			return true;
		}
	}
	return false;
}

int content_read_src(const struct content *c, uint64_t off, void *buf, size_t n, struct err *e)
{
	unsigned char *p = buf;

	if (c->fd < 0) {
		if (off > c->memlen || n > c->memlen - off) {
			err_set(e, "read past the end of the original");
			return -1;
		}
		memcpy(buf, c->mem + off, n);
		return 0;
	}
	if (pread_exact(c->fd, p, n, c->base + off, e) != 0)
		return -1;
	return 0;
}

int content_read(const struct content *c, uint64_t off, void *buf, size_t n, struct err *e)
{
	unsigned char *p = buf;
	size_t i;

	if (off > c->len || n > c->len - off) {
		err_set(e, "read past the end of new content");
		return -1;
	}
	for (i = n ? piece_at(c, off) : c->n; n; i++) {
		const struct cpiece *x = &c->v[i];
		uint64_t in = off - x->pos, k = x->len - in < n ? x->len - in : n;
		if (x->kind == PIECE_MEM)
			memcpy(p, x->p + in, k);
		else if (x->kind == PIECE_ZERO)
			memset(p, 0, k);
		else if (content_read_src(c, x->off + in, p, k, e) != 0)
			return -1;
		p += k;
		off += k;
		n -= k;
	}
	return 0;
}

int content_same_as_src(const struct content *c, uint64_t off, uint64_t srcoff, uint64_t n,
			struct err *e)
{
	size_t chunk = n < CONTENT_CHUNK ? (size_t)n : CONTENT_CHUNK;
	unsigned char *a = xmalloc(chunk ? chunk : 1), *b = xmalloc(chunk ? chunk : 1);
	int rc = 1;

	while (n && rc == 1) {
		size_t k = n < chunk ? (size_t)n : chunk;
		if (content_read(c, off, a, k, e) != 0 || content_read_src(c, srcoff, b, k, e) != 0)
			rc = -1;
		else if (memcmp(a, b, k) != 0)
			rc = 0;
		off += k;
		srcoff += k;
		n -= k;
	}
	free(a);
	free(b);
	return rc;
}

static int pwrite_all(int fd, const unsigned char *p, size_t n, uint64_t at)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, (off_t)at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		at += (uint64_t)k;
		n -= (size_t)k;
	}
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Write p[0..n) at at, whole 4 KiB blocks of zeros (aligned in the file)
 * left as holes. */
static int write_sparse(int fd, const unsigned char *p, size_t n, uint64_t at)
{
	size_t i = 0;

	while (i < n) {
		uint64_t a = at + i;
		size_t blk = HOLE_BLOCK - (size_t)(a % HOLE_BLOCK), j = i;
		/* a run of data blocks, then a run of zero ones */
		while (j < n) {
			size_t k = n - j < blk ? n - j : blk;
			if (k == HOLE_BLOCK && all_zero(p + j, k))
				break;
			j += k;
			blk = HOLE_BLOCK;
		}
		if (j > i && pwrite_all(fd, p + i, j - i, at + i) != 0)
			return -1;
		while (n - j >= HOLE_BLOCK && all_zero(p + j, HOLE_BLOCK))
			j += HOLE_BLOCK;
		i = j;
	}
	return 0;
}

/* SRC piece x, read and written through buf (CONTENT_CHUNK bytes). */
static int write_src_slow(const struct content *c, int fd, uint64_t off, uint64_t n,
			  uint64_t at, unsigned char *buf, struct err *e)
{
	while (n) {
		size_t k = n < CONTENT_CHUNK ? (size_t)n : CONTENT_CHUNK;
		/* chunks end on block boundaries of the output, as one write would */
		if (k == CONTENT_CHUNK && (at + k) % HOLE_BLOCK)
			k -= (size_t)((at + k) % HOLE_BLOCK);
		if (content_read_src(c, off, buf, k, e) != 0)
			return -1;
		if (write_sparse(fd, buf, k, at) != 0) {
			err_errno(e, errno, "cannot write");
			return -1;
		}
		off += k;
		at += k;
		n -= k;
	}
	return 0;
}

/* SRC piece [off, off + n) to at in fd: copy_file_range while the kernel
 * can; 1 when it cannot (nothing or part copied: *done says how much). */
static int write_src_fast(const struct content *c, int fd, uint64_t off, uint64_t n,
			  uint64_t at, uint64_t *done, struct err *e)
{
	*done = 0;
	while (*done < n) {
		loff_t in = (loff_t)(c->base + off + *done), out = (loff_t)(at + *done);
		size_t want = n - *done > (1u << 30) ? (1u << 30) : (size_t)(n - *done);
		ssize_t k = copy_file_range(c->fd, &in, fd, &out, want, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			      errno == EOPNOTSUPP || errno == EBADF || errno == EPERM))
			return 1;
		if (k < 0) {
			err_errno(e, errno, "cannot copy");
			return -1;
		}
		if (k == 0) {
			err_set(e, "file changed size while being read");
			return -1;
		}
		*done += (uint64_t)k;
	}
	return 0;
}

int content_write(const struct content *c, int fd, bool copy_range, struct err *e)
{
	unsigned char *buf = NULL;
	int rc = 0;
	size_t i;

	for (i = 0; i < c->n && rc == 0; i++) {
		const struct cpiece *x = &c->v[i];
		uint64_t done = 0;
		if (x->kind == PIECE_ZERO)
			continue;
		if (x->kind == PIECE_MEM) {
			if (write_sparse(fd, x->p, (size_t)x->len, x->pos) != 0) {
				err_errno(e, errno, "cannot write");
				rc = -1;
			}
			continue;
		}
		if (copy_range && c->fd >= 0) {
			rc = write_src_fast(c, fd, x->off, x->len, x->pos, &done, e);
			if (rc <= 0)
				continue;
			rc = 0;
		}
		if (!buf)
			buf = xmalloc(CONTENT_CHUNK);
		rc = write_src_slow(c, fd, x->off + done, x->len - done, x->pos + done, buf, e);
	}
	free(buf);
	if (rc == 0 && ftruncate(fd, (off_t)c->len) != 0) {
		err_errno(e, errno, "cannot write");
		rc = -1;
	}
	return rc;
}

int content_to_buf(const struct content *c, unsigned char **out, struct err *e)
{
	unsigned char *p = xmalloc(c->len ? (size_t)c->len : 1);

	if (content_read(c, 0, p, (size_t)c->len, e) != 0) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

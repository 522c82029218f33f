/* spool.c - an unlinked temporary file for a layer's contents. */
#include "spool.h"

#include "content.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int spool_open(struct spool *s, struct err *e)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];

	s->end = 0;
	pthread_mutex_init(&s->lock, NULL);
	if (!dir || !*dir)
		dir = "/tmp";
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd >= 0)
		return 0;
	snprintf(tmpl, sizeof(tmpl), "%s/slim-spool.XXXXXX", dir);
	s->fd = mkostemp(tmpl, O_CLOEXEC);
	if (s->fd < 0) {
		err_errno(e, errno, "cannot create a spool file in %s", dir);
		pthread_mutex_destroy(&s->lock);
		return -1;
	}
	unlink(tmpl);
	return 0;
}

void spool_close(struct spool *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		pthread_mutex_destroy(&s->lock);
	}
	s->fd = -1;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return n && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int pwrite_all(struct spool *s, const unsigned char *c, size_t len, uint64_t at,
		      struct err *e)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k = pwrite(s->fd, c + done, len - done, (off_t)(at + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, errno, "cannot write the spool file");
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

/* The file must reach at least to end (it ends in a hole). */
static int extend(struct spool *s, uint64_t end, struct err *e)
{
	struct stat st;

	if (fstat(s->fd, &st) == 0 && (uint64_t)st.st_size >= end)
		return 0;
	if (ftruncate(s->fd, (off_t)end) != 0) {
		err_errno(e, errno, "cannot write the spool file");
		return -1;
	}
	return 0;
}

uint64_t spool_begin(struct spool *s)
{
	s->end = (s->end + SPOOL_HOLE_MIN - 1) / SPOOL_HOLE_MIN * SPOOL_HOLE_MIN;
	return s->end;
}

/* Write len bytes at at: data blocks written, zero blocks (whole
 * SPOOL_HOLE_MIN blocks of the buffer) left as holes.  Data usually starts
 * with a non-zero byte, so telling the two apart costs a compare. */
static int write_at(struct spool *s, const unsigned char *c, size_t len, uint64_t at,
		    struct err *e)
{
	size_t i = 0, j = 0;

	while (i < len) {
		for (j = i; j < len && !(len - j >= SPOOL_HOLE_MIN && all_zero(c + j, SPOOL_HOLE_MIN));)
			j += len - j < SPOOL_HOLE_MIN ? len - j : SPOOL_HOLE_MIN;
		if (j > i && pwrite_all(s, c + i, j - i, at + i, e) != 0)
			return -1;
		for (i = j; len - i >= SPOOL_HOLE_MIN && all_zero(c + i, SPOOL_HOLE_MIN);)
			i += SPOOL_HOLE_MIN;
	}
	if (len && j < len) /* ends in a hole: the file must reach past it */
		return extend(s, at + len, e);
	return 0;
}

int spool_write(struct spool *s, const void *p, size_t len, struct err *e)
{
	uint64_t at = s->end;

	s->end += len;
	return write_at(s, p, len, at, e);
}

int spool_skip(struct spool *s, uint64_t len, struct err *e)
{
	s->end += len;
	return extend(s, s->end, e);
}

int spool_put(struct spool *s, const void *data, size_t len, uint64_t *off, struct err *e)
{
	int rc;

	/* serialized: extend() compares with the size another put may be
	 * raising meanwhile */
	pthread_mutex_lock(&s->lock);
	*off = spool_begin(s);
	rc = spool_write(s, data, len, e);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int spool_put_content(struct spool *s, const struct content *c, uint64_t *off, struct err *e)
{
	unsigned char *buf = xmalloc(CONTENT_CHUNK);
	uint64_t at = 0;
	int rc = 0;

	/* as spool_put: chunks of whole blocks leave the same holes */
	pthread_mutex_lock(&s->lock);
	*off = spool_begin(s);
	while (rc == 0 && at < c->len) {
		size_t k = c->len - at < CONTENT_CHUNK ? (size_t)(c->len - at) : CONTENT_CHUNK;
		rc = content_read(c, at, buf, k, e);
		if (rc == 0)
			rc = spool_write(s, buf, k, e);
		at += k;
	}
	pthread_mutex_unlock(&s->lock);
	free(buf);
	return rc;
}

int spool_read(const struct spool *s, void *p, size_t len, uint64_t off)
{
	unsigned char *c = p;
	size_t done = 0;

	while (done < len) {
		ssize_t k = pread(s->fd, c + done, len - done, (off_t)(off + done));
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

bool spool_is_hole(const struct spool *s, uint64_t off, size_t len)
{
	off_t d = lseek(s->fd, (off_t)off, SEEK_DATA);

	return (d < 0 && errno == ENXIO) || (d >= 0 && (uint64_t)d >= off + len);
}

size_t spool_map(const struct spool *s, uint64_t off, uint64_t len,
		 void (*add)(void *ctx, uint64_t at, uint64_t n), void *ctx)
{
	uint64_t pos = off, end = off + len;
	size_t n = 0;

	while (pos < end) {
		off_t d = lseek(s->fd, (off_t)pos, SEEK_DATA), h;
		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0)
			d = (off_t)pos; /* holes unknown here: all data */
		if ((uint64_t)d >= end)
			break;
		h = lseek(s->fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > end)
			h = (off_t)end;
		add(ctx, (uint64_t)d - off, (uint64_t)h - (uint64_t)d);
		n++;
		pos = (uint64_t)h;
	}
	return n;
}

/* source.c - what every source shares: reading an open entry's content. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fsutil.h"

/* Content this large is mapped rather than read (as fsu_view_open). */
#define VIEW_MAP_MIN (256 * 1024)
#define VIEW_POPULATE_MAX (32u << 20) /* larger: faulted in as read */

void source_free(struct source *s)
{
	if (!s)
		return;
	free(s->prefix);
	s->ops->free(s);
}

void source_display(const struct source *s, const char *rel, struct buf *out)
{
	if (s->ops->display) {
		s->ops->display(s, rel, out);
		return;
	}
	buf_setlen(out, 0);
	buf_adds(out, rel);
}

int source_pread(const struct source_file *f, void *buf, size_t len, uint64_t off, struct err *e)
{
	return pread_exact(f->fd, buf, len, f->off + off, e);
}

void source_close(struct source_file *f)
{
	if (f->own && f->fd >= 0)
		close(f->fd);
	*f = (struct source_file)SOURCE_FILE_INIT;
}

/* A region of a file (a spool's): mapped from the page it starts in. */
static int view_region(const struct source_file *f, struct source_view *v, struct err *e)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t start = f->off / (uint64_t)pg * (uint64_t)pg;
	size_t lead = (size_t)(f->off - start);
	unsigned char *p;

	if (f->size >= VIEW_MAP_MIN) {
		p = mmap(NULL, f->size + lead, PROT_READ,
			 MAP_PRIVATE | (f->size <= VIEW_POPULATE_MAX ? MAP_POPULATE : 0), f->fd,
			 (off_t)start);
		if (p != MAP_FAILED) {
			v->map = p;
			v->maplen = f->size + lead;
			v->p = p + lead;
			return 0;
		}
	}
	p = xmalloc(f->size + 1);
	if (source_pread(f, p, f->size, 0, e) != 0) {
		free(p);
		return -1;
	}
	v->p = p;
	return 0;
}

int source_view_open(const struct source_file *f, struct source_view *v, struct err *e)
{
	struct fsu_view fv;

	memset(v, 0, sizeof(*v));
	v->n = (size_t)f->size;
	if (!f->own) /* a region of a shared file: no more, no less */
		return view_region(f, v, e);
	if (fsu_view_open(f->fd, (size_t)f->size, &fv, e) != 0)
		return -1;
	v->p = fv.p;
	if (fv.mapped) {
		v->map = (void *)fv.p;
		v->maplen = fv.n;
	}
	return 0;
}

void source_view_close(struct source_view *v)
{
	if (v->map)
		munmap(v->map, v->maplen);
	else
		free((void *)v->p);
	memset(v, 0, sizeof(*v));
}

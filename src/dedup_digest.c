/* dedup_digest.c - the digests dedup compares, taken by whoever reads a
 * file first (the walk's probe, a pass that writes new content). */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "content.h"
#include "dedup.h"
#include "util.h"

bool dedup_is_elf_so(const unsigned char *h, size_t n)
{
	unsigned type;

	if (n < 18 || memcmp(h, ELFMAG, SELFMAG) != 0)
		return false;
	if (h[EI_DATA] == ELFDATA2LSB)
		type = h[16] | (unsigned)h[17] << 8;
	else if (h[EI_DATA] == ELFDATA2MSB)
		type = (unsigned)h[16] << 8 | h[17];
	else
		return false;
	return type == ET_DYN;
}

void dedup_digest_of(const void *data, size_t len, struct dedup_digest *d)
{
	XXH3_state_t *st = XXH3_createState();
	size_t head = len < DEDUP_BLOCK ? len : DEDUP_BLOCK;

	if (!st)
		xoom();
	d->size = len;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, data, head);
	d->head = XXH3_128bits_digest(st);
	XXH3_128bits_update(st, (const unsigned char *)data + head, len - head);
	d->full = XXH3_128bits_digest(st);
	d->elf_so = dedup_is_elf_so(data, head);
	XXH3_freeState(st);
}

int dedup_digest_content(const struct content *c, struct dedup_digest *d, struct err *e)
{
	XXH3_state_t *st = XXH3_createState();
	size_t head = c->len < DEDUP_BLOCK ? (size_t)c->len : DEDUP_BLOCK;
	unsigned char *buf = xmalloc(CONTENT_CHUNK);
	uint64_t at = head;
	int rc = -1;

	if (!st)
		xoom();
	d->size = c->len;
	XXH3_128bits_reset(st);
	if (content_read(c, 0, buf, head, e) != 0)
		goto out;
	XXH3_128bits_update(st, buf, head);
	d->head = XXH3_128bits_digest(st);
	d->elf_so = dedup_is_elf_so(buf, head);
	while (at < c->len) {
		size_t k = c->len - at < CONTENT_CHUNK ? (size_t)(c->len - at) : CONTENT_CHUNK;
		if (content_read(c, at, buf, k, e) != 0)
			goto out;
		XXH3_128bits_update(st, buf, k);
		at += k;
	}
	d->full = XXH3_128bits_digest(st);
	rc = 0;
out:
	free(buf);
	XXH3_freeState(st);
	return rc;
}

struct dedup_probe *dedup_probe_head(const struct stat *st, const unsigned char *head, size_t len)
{
	uint64_t size = (uint64_t)st->st_size;
	size_t hl = size < DEDUP_BLOCK ? (size_t)size : DEDUP_BLOCK;
	struct dedup_probe *p;

	if (!S_ISREG(st->st_mode) || !size || len < hl)
		return NULL;
	p = xmalloc(sizeof(*p));
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	p->size = size;
	p->mtime = st->st_mtim;
	p->head = XXH3_128bits(head, hl);
	p->elf_so = dedup_is_elf_so(head, hl);
	return p;
}

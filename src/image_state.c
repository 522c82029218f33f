/* image_state.c - what every part of an image run shares (image_int.h):
 * the string map, the memo of blobs done, the run's first error (img_fail)
 * and names made safe for a terminal (img_esc).  It calls no other image_*
 * file; they call it. */
#include "image_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- the state ------------------------------------------------------------------------ */

static size_t smap_slot(const struct smap *m, const char *k)
{
	size_t mask = m->cap - 1, i = XXH3_64bits_withSeed(k, strlen(k), hash_seed()) & mask;

	while (m->key[i] && strcmp(m->key[i], k) != 0)
		i = (i + 1) & mask;
	return i;
}

void *smap_get(const struct smap *m, const char *k)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = smap_slot(m, k);
	return m->key[i] ? m->val[i] : NULL;
}

void *smap_put(struct smap *m, const char *k, void *v)
{
	size_t i;
	void *old;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct smap big = { xcalloc(cap, sizeof(char *)), xcalloc(cap, sizeof(void *)), m->n,
				    cap };
		for (i = 0; i < m->cap; i++)
			if (m->key[i]) {
				size_t j = smap_slot(&big, m->key[i]);
				big.key[j] = m->key[i];
				big.val[j] = m->val[i];
			}
		free(m->key);
		free(m->val);
		*m = big;
	}
	i = smap_slot(m, k);
	if (!m->key[i]) {
		m->key[i] = xstrdup(k);
		m->n++;
	}
	old = m->val[i];
	m->val[i] = v;
	return old;
}

void smap_release(struct smap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->key[i] && free_val)
			free_val(m->val[i]);
		free(m->key[i]);
	}
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}


void blobres_free(void *p)
{
	struct blobres *r = p;

	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->lrep)
		report_release(r->lrep);
	free(r->lrep);
	free(r->tmp); /* in the scratch, which goes */
	free(r->key);
	free(r->name);
	free(r->in_rel);
	free(r->in_digest);
	free(r->in_diff_id);
	free(r->path);
	free(r->digest);
	free(r->diff_id);
	free(r->media_type);
	image_entries_release(&r->ents);
	free(r);
}

char *memo_key(const char *kind, const char *k)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s:%s", kind, k);
	return buf_detach(&b, NULL);
}

struct blobres *memo_get(struct image *img, const char *key)
{
	return smap_get(&img->memo, key);
}

struct blobres *memo_add(struct image *img, const char *key)
{
	struct blobres *r = xcalloc(1, sizeof(*r));

	r->key = xstrdup(key);
	r->fd = -1;
	blobres_free(smap_put(&img->memo, key, r)); /* callers look first: none */
	return r;
}

/* ---- messages ---------------------------------------------------------------------------- */

int img_fail(struct image *img, const char *fmt, ...)
{
	va_list ap;

	if (img->err.msg)
		return -1;
	va_start(ap, fmt);
	err_vset(&img->err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

const char *img_esc(struct image *img, const char *s)
{
	struct buf b = BUF_INIT;
	char *p;

	report_escape_text(&b, s ? s : "");
	p = strpool_dup(&img->names, b.p);
	buf_release(&b);
	return p;
}

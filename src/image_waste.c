/* image_waste.c - the waste of a stack of layers (image_format.h): bytes
 * of a layer's files that a layer above deletes or replaces.  Pure: the
 * listings come in, the numbers go out.
 */
#include "image_format.h"

#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

void image_entries_add(struct image_entries *l, const char *tarpath, uint64_t size, bool dir,
		       bool regular)
{
	struct image_entry x = { path_normalize(tarpath, false, NULL), size, IMAGE_E_OTHER };
	char *base = strrchr(x.path, '/');

	base = base ? base + 1 : x.path;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		x.kind = IMAGE_E_OPAQUE;
		base[base == x.path ? 0 : -1] = '\0';
		x.size = 0;
	} else if (strncmp(base, ".wh.", 4) == 0) {
		x.kind = IMAGE_E_WHITEOUT;
		memmove(base, base + 4, strlen(base + 4) + 1);
		x.size = 0;
	} else if (dir) {
		x.kind = IMAGE_E_DIR;
		x.size = 0;
	} else if (regular) {
		x.kind = IMAGE_E_FILE;
	} else {
		x.size = 0;
	}
	xgrow(&l->e, &l->cap, l->n + 1, sizeof(*l->e));
	l->e[l->n++] = x;
}

void image_entries_release(struct image_entries *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].path);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

/* What the layers above hide of a path: */
enum { W_EXACT = 1,   /* an entry of the same path */
       W_SUBTREE = 2, /* a whiteout or a non-directory: the path and all below */
       W_BELOW = 4 }; /* an opaque directory: everything below, not itself */

/*
 * The paths of the layers above, by a seeded 128-bit hash of each (a path
 * is never compared byte by byte): the prefixes of a path are then looked
 * up in one pass over it, so that a path of a megabyte and half a million
 * components costs a pass, not a pass per component.
 */
struct wset {
	XXH128_hash_t *key;
	unsigned char *flag; /* 0: a free slot */
	size_t n, cap;
};

static size_t ws_slot(const struct wset *s, XXH128_hash_t h)
{
	size_t mask = s->cap - 1, i = (size_t)h.low64 & mask;

	while (s->flag[i] && !XXH128_isEqual(s->key[i], h))
		i = (i + 1) & mask;
	return i;
}

static unsigned ws_get(const struct wset *s, XXH128_hash_t h)
{
	return s->cap ? s->flag[ws_slot(s, h)] : 0;
}

static void ws_put(struct wset *s, const char *k, unsigned f)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(k, strlen(k), hash_seed());
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct wset big = { xcalloc(cap, sizeof(*big.key)), xcalloc(cap, 1), s->n, cap };
		for (i = 0; i < s->cap; i++)
			if (s->flag[i]) {
				size_t j = ws_slot(&big, s->key[i]);
				big.key[j] = s->key[i];
				big.flag[j] = s->flag[i];
			}
		free(s->key);
		free(s->flag);
		*s = big;
	}
	i = ws_slot(s, h);
	if (!s->flag[i]) {
		s->key[i] = h;
		s->n++;
	}
	s->flag[i] |= (unsigned char)f;
}

/* Is path hidden by the layers above: itself, or a directory above it?
 * st: a hash state to use. */
static bool ws_hidden(const struct wset *s, const char *path, XXH3_state_t *st)
{
	const char *p, *from = path;

	XXH3_128bits_reset_withSeed(st, hash_seed());
	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		XXH3_128bits_update(st, from, (size_t)(p - from));
		from = p;
		if (ws_get(s, XXH3_128bits_digest(st)) & (W_SUBTREE | W_BELOW))
			return true;
	}
	XXH3_128bits_update(st, from, strlen(from));
	return ws_get(s, XXH3_128bits_digest(st)) & (W_EXACT | W_SUBTREE);
}

void image_waste(const struct image_entries *const *layers, size_t n, uint64_t *waste)
{
	struct wset s = { NULL, NULL, 0, 0 };
	XXH3_state_t st;
	size_t i, k;

	for (i = n; i-- > 0;) {
		const struct image_entries *l = layers[i];
		waste[i] = 0;
		for (k = 0; k < l->n; k++)
			if (l->e[k].kind == IMAGE_E_FILE && ws_hidden(&s, l->e[k].path, &st))
				waste[i] += l->e[k].size;
		for (k = 0; k < l->n; k++) {
			const struct image_entry *x = &l->e[k];
			switch (x->kind) {
			case IMAGE_E_WHITEOUT: ws_put(&s, x->path, W_SUBTREE); break;
			case IMAGE_E_OPAQUE: ws_put(&s, x->path, W_BELOW); break;
			case IMAGE_E_DIR: ws_put(&s, x->path, W_EXACT); break;
			default: ws_put(&s, x->path, W_EXACT | W_SUBTREE); break;
			}
		}
	}
	free(s.key);
	free(s.flag);
}

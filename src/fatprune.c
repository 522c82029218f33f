/* fatprune.c - remove the GPU code no listed GPU can run from the fat
 * binary containers of an ELF image, in place (fatbin.h says what stays).
 *
 * Nothing moves but entries inside their own container: the container
 * keeps its start, where the runtime's wrappers (.nvFatBinSegment) and the
 * libraries' own tables point, and the ELF structure is untouched.  The
 * bytes freed at a container's end become zeros: a hole on disk, nothing
 * in a compressed layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatbin.h"
#include "util.h"

int cuda_targets_parse(const char *s, struct cuda_targets *t, char *err, size_t n)
{
	const char *p = s;

	t->n = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		unsigned arch = 0, digits = 0;
		size_t i = 3;

		if (len < 5 || strncmp(p, "sm_", 3) != 0)
			goto bad;
		while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 5) {
			arch = arch * 10 + (unsigned)(p[i++] - '0');
			digits++;
		}
		if (i < len && (p[i] == 'a' || p[i] == 'f'))
			i++; /* sm_90a, sm_100f: code for that GPU; the GPU is sm_90 */
		if (i != len || digits < 2 || arch < 10 || arch > 1000)
			goto bad;
		if (t->n == CUDA_TARGETS_MAX) {
			snprintf(err, n, "too many GPU architectures (at most %d)", CUDA_TARGETS_MAX);
			return -1;
		}
		t->arch[t->n++] = arch;
		p += len + (end != NULL);
		if (end && !*p)
			goto bad_end;
		continue;
bad:
		snprintf(err, n, "invalid GPU architecture '%.*s' (expected sm_NN, as sm_90 or sm_80,sm_90)",
			 (int)(len > 32 ? 32 : len), p);
		return -1;
	}
	if (t->n)
		return 0;
bad_end:
	snprintf(err, n, "invalid --cuda-arch '%s' (expected sm_NN, as sm_90 or sm_80,sm_90)", s);
	return -1;
}

/* Can entry e run on (SASS) or be compiled for (PTX) GPU g? */
static bool serves(const struct fatbin_entry *e, uint32_t g)
{
	if (e->kind == FATBIN_OTHER)
		return false;
	if (e->variant == 'a')
		return e->arch == g;
	if (e->kind == FATBIN_PTX)
		return e->arch <= g && (e->variant != 'f' || e->arch / 10 == g / 10);
	/* SASS (and sm_NNf): same major version, no newer minor */
	return e->arch / 10 == g / 10 && e->arch <= g;
}

struct ents {
	struct fatbin_entry *v;
	size_t n, cap;
};

static void collect(void *ctx, const struct fatbin_entry *e)
{
	struct ents *x = ctx;

	xgrow(&x->v, &x->cap, x->n + 1, sizeof(*x->v));
	x->v[x->n++] = *e;
}

/* The best entry of x for GPU g (the newest SASS, else the newest PTX), or -1. */
static long best_for(const struct ents *x, uint32_t g)
{
	long best = -1;
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct fatbin_entry *e = &x->v[i], *b;
		if (!serves(e, g))
			continue;
		b = best < 0 ? NULL : &x->v[best];
		if (!b || (e->kind == FATBIN_SASS && b->kind != FATBIN_SASS) ||
		    (e->kind == b->kind && e->arch > b->arch))
			best = (long)i;
	}
	return best;
}

/* Mark what stays in keep[]: false when the container stays whole. */
static bool choose(const struct ents *x, const struct cuda_targets *t, bool *keep)
{
	uint32_t top = 0;
	long ptx = -1;
	size_t i, k;

	for (k = 0; k < t->n; k++) {
		if (best_for(x, t->arch[k]) < 0)
			return false; /* nothing here for a listed GPU */
		if (t->arch[k] > top)
			top = t->arch[k];
	}
	for (i = 0; i < x->n; i++) {
		const struct fatbin_entry *e = &x->v[i];
		keep[i] = e->kind == FATBIN_OTHER;
		for (k = 0; k < t->n && !keep[i]; k++)
			keep[i] = e->kind == FATBIN_SASS && serves(e, t->arch[k]);
		/* the newest PTX no newer than the newest GPU, for GPUs to come */
		if (!t->no_ptx && e->kind == FATBIN_PTX && !e->variant && e->arch <= top &&
		    (ptx < 0 || e->arch > x->v[ptx].arch))
			ptx = (long)i;
	}
	if (ptx >= 0)
		keep[ptx] = true;
	for (k = 0; k < t->n; k++) {
		bool served = false;
		for (i = 0; i < x->n && !served; i++)
			served = keep[i] && serves(&x->v[i], t->arch[k]);
		if (!served) /* only PTX served it: that PTX stays */
			keep[best_for(x, t->arch[k])] = true;
	}
	return true;
}

/* Is the container at p (len bytes, was a copy of old) made of exactly the
 * kept entries of x, in order, and zeros after them? */
static bool check(const unsigned char *p, uint64_t len, const unsigned char *old,
		  const struct ents *x, const bool *keep, uint64_t used)
{
	uint64_t at = FATBIN_HEADER, i;

	if (fatbin_container(p, len, NULL, NULL, NULL) != used)
		return false;
	for (i = 0; i < x->n; i++) {
		if (!keep[i])
			continue;
		if (memcmp(p + at, old + x->v[i].off, x->v[i].bytes) != 0)
			return false;
		at += x->v[i].bytes;
	}
	if (at != used)
		return false;
	for (; at < len; at++)
		if (p[at])
			return false;
	return true;
}

struct prune_ctx {
	unsigned char *buf;
	const struct cuda_targets *t;
	struct fatbin_pruned *p;
	uint64_t removed;
};

static void put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Compact the container at buf + off (len bytes); the scan walked it. */
static void prune_container(void *ctx, size_t off, uint64_t len)
{
	struct prune_ctx *c = ctx;
	unsigned char *p = c->buf + off, *old;
	struct ents x = { 0 };
	uint64_t used = FATBIN_HEADER, freed = 0;
	bool *keep, moved8 = true;
	size_t i;

	fatbin_container(p, len, collect, &x, NULL);
	keep = xcalloc(x.n ? x.n : 1, sizeof(*keep));
	if (!choose(&x, c->t, keep)) {
		c->p->whole++;
		goto out;
	}
	for (i = 0; i < x.n; i++) {
		if (keep[i])
			used += x.v[i].bytes;
		else
			moved8 &= x.v[i].bytes % 8 == 0; /* entries keep their 8-byte alignment */
	}
	if (used == len || !moved8)
		goto out;
	old = xmalloc(len);
	memcpy(old, p, len);
	for (i = 0, used = FATBIN_HEADER; i < x.n; i++) {
		if (!keep[i])
			continue;
		memmove(p + used, old + x.v[i].off, x.v[i].bytes);
		used += x.v[i].bytes;
	}
	put_le64(p + 8, used - FATBIN_HEADER);
	memset(p + used, 0, len - used);
	if (!check(p, len, old, &x, keep, used)) {
		memcpy(p, old, len);
		c->p->failed++;
	} else {
		for (i = 0; i < x.n; i++)
			if (!keep[i]) {
				fatbin_summary_add(&c->p->removed, &x.v[i]);
				freed += x.v[i].bytes;
			}
		c->p->containers++;
		c->removed += freed;
	}
	free(old);
out:
	free(keep);
	free(x.v);
}

static bool prune_region(void *ctx, size_t lo, size_t hi)
{
	struct prune_ctx *c = ctx;

	/* compacting shortens a container: the walk goes on after its old end */
	return fatbin_each(c->buf, lo, hi, prune_container, c, NULL, NULL);
}

uint64_t fatbin_prune(unsigned char *buf, size_t lo, size_t hi, const struct cuda_targets *t,
		      struct fatbin_pruned *p)
{
	struct prune_ctx c = { buf, t, p, 0 };

	memset(p, 0, sizeof(*p));
	fatbin_summary_init(&p->removed);
	if (t->n)
		prune_region(&c, lo, hi);
	return c.removed;
}

/* The containers of an image, as the input has them. */
struct spot {
	size_t off;
	uint64_t len;
};

struct spots {
	const unsigned char *buf;
	struct spot *v;
	size_t n, cap;
};

static void add_spot(void *ctx, size_t off, uint64_t len)
{
	struct spots *s = ctx;

	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n].off = off;
	s->v[s->n++].len = len;
}

static bool find_region(void *ctx, size_t lo, size_t hi)
{
	struct spots *s = ctx;

	return fatbin_each(s->buf, lo, hi, add_spot, s, NULL, NULL);
}

static int cmp_spot(const void *a, const void *b)
{
	size_t x = ((const struct spot *)a)->off, y = ((const struct spot *)b)->off;

	return (x > y) - (x < y);
}

uint64_t fatbin_prune_elf(unsigned char *buf, size_t n, const struct cuda_targets *t,
			  struct fatbin_pruned *p)
{
	struct prune_ctx c = { buf, t, p, 0 };
	struct spots s = { buf, NULL, 0, 0 };
	uint64_t end = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	fatbin_summary_init(&p->removed);
	if (!t->n)
		return 0;
	/* every container first, then each pruned: sections may overlap, and
	 * one walked after another was pruned would read bytes that are no
	 * longer the input's; a container that overlaps one before it stays */
	fatbin_elf_regions(buf, n, find_region, &s);
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), cmp_spot);
	for (i = 0; i < s.n; i++) {
		if (s.v[i].off < end)
			continue;
		prune_container(&c, s.v[i].off, s.v[i].len);
		end = s.v[i].off + s.v[i].len;
	}
	free(s.v);
	return c.removed;
}

void fatbin_pruned_release(struct fatbin_pruned *p)
{
	fatbin_summary_release(&p->removed);
}

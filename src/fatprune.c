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

#include "content.h"
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

/* What stays of the container at p (len bytes): its entries in x, which
 * stay in *keep (both freed by the caller), *used the bytes they and the
 * header take.  False when it stays whole. */
static bool plan(const unsigned char *p, uint64_t len, const struct cuda_targets *t,
		 struct fatbin_pruned *pr, struct ents *x, bool **keep, uint64_t *used)
{
	bool moved8 = true;
	size_t i;

	fatbin_container(p, len, collect, x, NULL);
	*keep = xcalloc(x->n ? x->n : 1, sizeof(**keep));
	*used = FATBIN_HEADER;
	if (!choose(x, t, *keep)) {
		pr->whole++;
		return false;
	}
	for (i = 0; i < x->n; i++) {
		if ((*keep)[i])
			*used += x->v[i].bytes;
		else
			moved8 &= x->v[i].bytes % 8 == 0; /* entries keep their 8-byte alignment */
	}
	return *used != len && moved8;
}

/* The entries removed from a container that passed its check, counted. */
static uint64_t count_removed(struct fatbin_pruned *pr, const struct ents *x, const bool *keep)
{
	uint64_t freed = 0;
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!keep[i]) {
			fatbin_summary_add(&pr->removed, &x->v[i]);
			freed += x->v[i].bytes;
		}
	pr->containers++;
	return freed;
}

/* Compact the container at buf + off (len bytes); the scan walked it. */
static void prune_container(void *ctx, size_t off, uint64_t len)
{
	struct prune_ctx *c = ctx;
	unsigned char *p = c->buf + off, *old;
	struct ents x = { 0 };
	uint64_t used;
	bool *keep;
	size_t i;

	if (!plan(p, len, c->t, c->p, &x, &keep, &used))
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
		c->removed += count_removed(c->p, &x, keep);
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

/* The containers found, in order, each to fn, but one that overlaps one
 * before it (sections may overlap); s is emptied. */
static void each_apart(struct spots *s, fatbin_container_fn fn, void *ctx)
{
	uint64_t end = 0;
	size_t i;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_spot);
	for (i = 0; i < s->n; i++) {
		if (s->v[i].off < end)
			continue;
		fn(ctx, s->v[i].off, s->v[i].len);
		end = s->v[i].off + s->v[i].len;
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

uint64_t fatbin_prune_elf(unsigned char *buf, size_t n, const struct cuda_targets *t,
			  struct fatbin_pruned *p)
{
	struct prune_ctx c = { buf, t, p, 0 };
	struct spots s = { buf, NULL, 0, 0 };

	memset(p, 0, sizeof(*p));
	fatbin_summary_init(&p->removed);
	if (!t->n)
		return 0;
	/* every container first, then each pruned: sections may overlap, and
	 * one walked after another was pruned would read bytes that are no
	 * longer the input's; a container that overlaps one before it stays */
	fatbin_elf_regions(buf, n, find_region, &s);
	each_apart(&s, prune_container, &c);
	return c.removed;
}

void fatbin_pruned_release(struct fatbin_pruned *p)
{
	fatbin_summary_release(&p->removed);
}

/* ---- pruning a content ----------------------------------------------------- */

struct cprune {
	const unsigned char *in;
	struct content *c;
	const struct cuda_targets *t;
	struct fatbin_pruned *p;
	uint64_t removed;
};

/* Are [at, at + n) of c all zeros? */
static bool zeros(const struct content *c, uint64_t at, uint64_t n, struct err *e)
{
	unsigned char *b = xmalloc(n < CONTENT_CHUNK ? (size_t)n + 1 : CONTENT_CHUNK);
	bool ok = true;

	while (ok && n) {
		size_t k = n < CONTENT_CHUNK ? (size_t)n : CONTENT_CHUNK;
		ok = content_read(c, at, b, k, e) == 0 && b[0] == 0 && memcmp(b, b + 1, k - 1) == 0;
		at += k;
		n -= k;
	}
	free(b);
	return ok;
}

/* check() of the container at pos in c (len bytes), read back from c: a
 * valid container of exactly the kept entries of x (from the input's
 * container at src), in order, and zeros after them. */
static bool check_content(const struct content *c, uint64_t pos, uint64_t len, uint64_t src,
			  const struct ents *x, const bool *keep, uint64_t used)
{
	unsigned char h[FATBIN_ENTRY_MIN];
	struct err e = ERR_INIT;
	struct fatbin_entry fe;
	uint64_t at = FATBIN_HEADER;
	bool ok;
	size_t i;

	ok = content_read(c, pos, h, FATBIN_HEADER, &e) == 0 && fatbin_header(h, len) == used;
	for (i = 0; ok && i < x->n; i++) {
		if (!keep[i])
			continue;
		/* the walk fatbin_container() makes: each entry holds, they tile it */
		ok = used - at >= FATBIN_ENTRY_MIN &&
		     content_read(c, pos + at, h, FATBIN_ENTRY_MIN, &e) == 0 &&
		     fatbin_entry_read(h, used - at, &fe) && fe.bytes == x->v[i].bytes &&
		     content_same_as_src(c, pos + at, src + x->v[i].off, fe.bytes, &e) == 1;
		at += x->v[i].bytes;
	}
	ok = ok && at == used && zeros(c, pos + used, len - used, &e);
	err_release(&e);
	return ok;
}

/* The pieces of the pruned container at in + off: header, kept entries,
 * zeros; into w (x->n + 2 of them). */
static size_t pruned_pieces(struct cprune *c, size_t off, uint64_t len, const struct ents *x,
			    const bool *keep, uint64_t used, struct cpiece *w)
{
	unsigned char *hdr = xmalloc(FATBIN_HEADER);
	size_t i, nw = 0;

	memcpy(hdr, c->in + off, FATBIN_HEADER);
	put_le64(hdr + 8, used - FATBIN_HEADER);
	content_own(c->c, hdr);
	w[nw++] = (struct cpiece){ .kind = PIECE_MEM, .len = FATBIN_HEADER, .p = hdr };
	for (i = 0; i < x->n; i++)
		if (keep[i])
			w[nw++] = (struct cpiece){ .kind = PIECE_SRC, .len = x->v[i].bytes,
						   .off = off + x->v[i].off };
	w[nw++] = (struct cpiece){ .kind = PIECE_ZERO, .len = len - used };
	return nw;
}

/* Prune the input's container at in + off (len bytes) where c holds it. */
static void prune_in_content(struct cprune *c, size_t off, uint64_t len)
{
	struct cpiece back = { .kind = PIECE_SRC, .len = len, .off = off }, *w;
	struct ents x = { 0 };
	uint64_t pos, used;
	bool *keep = NULL;
	size_t nw;

	if (!content_find_src(c->c, off, len, &pos))
		return; /* not in the output as it is: it stays */
	if (!plan(c->in + off, len, c->t, c->p, &x, &keep, &used))
		goto out;
	w = xcalloc(x.n + 2, sizeof(*w));
	nw = pruned_pieces(c, off, len, &x, keep, used, w);
	if (!content_splice(c->c, pos, len, w, nw) ||
	    !check_content(c->c, pos, len, off, &x, keep, used)) {
		content_splice(c->c, pos, len, &back, 1);
		c->p->failed++;
	} else {
		c->removed += count_removed(c->p, &x, keep);
	}
	free(w);
out:
	free(keep);
	free(x.v);
}

struct cfind {
	struct spots s;
	fatbin_done_fn done;
	void *dctx;
	struct cprune *k;
};

/* Prune one container of the content, then say its bytes are done. */
static void prune_then_done(void *ctx, size_t off, uint64_t len)
{
	struct cfind *f = ctx;

	prune_in_content(f->k, off, len);
	if (f->done)
		f->done(f->dctx, off, (size_t)(off + len));
}

static bool find_region_paged(void *ctx, size_t lo, size_t hi)
{
	struct cfind *f = ctx;

	return fatbin_each_paged(f->s.buf, lo, hi, add_spot, &f->s, f->done, f->dctx);
}

uint64_t fatbin_prune_content(const unsigned char *in, size_t n, struct content *c,
			      const struct cuda_targets *t, struct fatbin_pruned *p,
			      fatbin_done_fn done, void *dctx)
{
	struct cprune k = { in, c, t, p, 0 };
	struct cfind f = { { in, NULL, 0, 0 }, done, dctx, &k };

	memset(p, 0, sizeof(*p));
	fatbin_summary_init(&p->removed);
	if (!t->n)
		return 0;
	/* as fatbin_prune_elf(): every container first, then each pruned */
	fatbin_elf_regions(in, n, find_region_paged, &f);
	each_apart(&f.s, prune_then_done, &f);
	return k.removed;
}

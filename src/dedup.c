/* dedup.c - find identical files in narrowing stages; link the copies
 * through the caller. */
#include "dedup.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "content.h"
#include "dedup_int.h"
#include "pool.h"
#include "util.h"

static void get_item(const struct dedup *c, size_t i, struct dedup_item *it)
{
	memset(it, 0, sizeof(*it));
	c->items.get(c->items.ctx, i, it);
}

static struct dext *ext(struct dfile *f)
{
	if (!f->x) {
		f->x = xcalloc(1, sizeof(*f->x));
		buf_init(&f->x->xattrs);
		f->x->err_item = SIZE_MAX;
	}
	return f->x;
}

/* f's error: why, about its first name unless said otherwise. */
static struct err *errp(const struct dedup *c, struct dfile *f)
{
	struct dext *x = ext(f);

	if (x->err_item == SIZE_MAX)
		x->err_item = first_name(c, f);
	return &x->err;
}

/* Longer than a block and never hashed whole: one of a pair that verifying
 * compares byte for byte (pair_unhashed). */
static bool unhashed(const struct dfile *f)
{
	return (f->flags & F_FULL_IS_HEAD) && f->size > DEDUP_BLOCK;
}

static XXH128_hash_t full_of(const struct dfile *f)
{
	return (f->flags & F_FULL_IS_HEAD) || !f->x ? f->head : f->x->full;
}

static void set_mtime(struct dfile *f, struct timespec t)
{
	f->mtime_sec = t.tv_sec;
	f->mtime_nsec = (uint32_t)t.tv_nsec;
}

static bool same_mtime(const struct dfile *f, struct timespec t)
{
	return f->mtime_sec == t.tv_sec && f->mtime_nsec == (uint32_t)t.tv_nsec;
}

/* The size of the content dedup works on (after earlier passes). */
static uint64_t item_size(const struct dedup_item *it)
{
	return it->pre ? it->pre->size : it->size;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_hash(XXH128_hash_t a, XXH128_hash_t b)
{
	int r = cmp_u64(a.high64, b.high64);
	return r ? r : cmp_u64(a.low64, b.low64);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void array_get(const void *ctx, size_t i, struct dedup_item *it)
{
	*it = ((const struct dedup_item *)ctx)[i];
}

struct dedup_items dedup_items_array(const struct dedup_item *v, size_t n)
{
	return (struct dedup_items){ .n = n, .get = array_get, .ctx = v };
}

/* ---- finding the distinct inodes ---------------------------------------- */

/* The index of dev in c->devs, added if new (a tree spans a few devices). */
static uint32_t dev_index(struct dedup *c, dev_t dev)
{
	size_t i;

	if (c->ndevs && c->devs[c->lastdev] == dev)
		return (uint32_t)c->lastdev;
	for (i = 0; i < c->ndevs; i++)
		if (c->devs[i] == dev)
			break;
	if (i == c->ndevs) {
		c->devs = xrealloc(c->devs, (c->ndevs + 1) * sizeof(*c->devs));
		c->devs[c->ndevs++] = dev;
	}
	c->lastdev = i;
	return (uint32_t)i;
}

static bool takes_part(const struct dedup_item *it)
{
	return S_ISREG(it->mode) && item_size(it) > 0;
}

/* A new file whose first name is it: its key, and its head when the walk's
 * probe of it still describes it. */
static void init_file(struct dfile *f, const struct dedup_item *it, uint32_t dev)
{
	const struct dedup_probe *pr = &it->probe;
	uint64_t size = item_size(it);

	f->size = size;
	f->dev = dev;
	f->mode = (uint16_t)it->mode;
	f->uid = (uint32_t)it->uid;
	f->gid = (uint32_t)it->gid;
	if (it->pre) {
		f->flags |= F_PRE;
		return;
	}
	if (it->has_probe && pr->dev == it->dev && pr->ino == it->ino && pr->size == size) {
		/* the walk read the head: nothing to open for it */
		set_mtime(f, pr->mtime);
		f->head = pr->head;
		f->flags |= F_PROBED | (pr->elf_so ? F_ELF_SO : 0) |
			    (size <= DEDUP_BLOCK ? F_FULL_IS_HEAD : F_REST);
	}
}

/* A regular file's st_mode fits 16 bits, an owner 32. */
_Static_assert(sizeof(uid_t) <= 4 && sizeof(gid_t) <= 4, "owners fit a dfile");

/* Fill c->files, c->order, c->devs: every regular non-empty inode, its
 * names.  Memory at the peak: 16 + 4 bytes a name, 68 a file. */
static void collect_files(struct dedup *c)
{
	struct dedup_item it;
	struct gname *g;
	uint32_t *run_of; /* item -> 1 + where its file's names start in g */
	size_t i, n = c->items.n, ng = 0, nf = 0, start, k;

	if (n > UINT32_MAX)
		n = UINT32_MAX; /* more than a source holds */
	for (i = 0; i < n; i++) {
		get_item(c, i, &it);
		ng += takes_part(&it);
	}
	if (!ng)
		return;
	g = xcalloc(ng, sizeof(*g));
	for (i = 0, k = 0; i < n && k < ng; i++) {
		get_item(c, i, &it);
		if (takes_part(&it))
			g[k++] = (struct gname){ it.ino, dev_index(c, it.dev), (uint32_t)i };
	}
	ng = k;
	dedup_sort_names(g, ng);
	/* each file at its first name (the least item of its run) */
	run_of = xcalloc(n, sizeof(*run_of));
	for (start = 0; start < ng; start = i) {
		for (i = start + 1; i < ng; i++)
			if (g[i].dev != g[start].dev || g[i].ino != g[start].ino)
				break;
		run_of[g[start].item] = (uint32_t)start + 1;
		nf++;
	}
	c->files = xcalloc(nf, sizeof(*c->files));
	c->order = xcalloc(ng, sizeof(*c->order));
	for (k = 0; k < n; k++) {
		struct dfile *f;

		if (!run_of[k])
			continue;
		start = run_of[k] - 1;
		get_item(c, k, &it);
		f = &c->files[c->nfiles++];
		f->names = (uint32_t)c->norder;
		init_file(f, &it, g[start].dev);
		for (i = start; i < ng && g[i].dev == g[start].dev && g[i].ino == g[start].ino; i++)
			c->order[c->norder++] = g[i].item;
	}
	free(run_of);
	free(g);
}

/* ---- narrowing: keep only files that share their key with another ----- */

static int key_cmp(const struct dedup *c, size_t a, size_t b, enum stage s)
{
	const struct dfile *x = &c->files[a], *y = &c->files[b];
	int r = cmp_u64(x->dev, y->dev);

	if (!r)
		r = cmp_u64(x->size, y->size);
	if (!r)
		r = cmp_u64(x->mode, y->mode);
	if (!r)
		r = cmp_u64(x->uid, y->uid);
	if (!r)
		r = cmp_u64(x->gid, y->gid);
	if (r || s == STAGE_META)
		return r;
	r = cmp_hash(x->head, y->head);
	if (r || s == STAGE_HEAD)
		return r;
	return cmp_hash(full_of(x), full_of(y));
}

/* Xattrs, once read (canonical form): an order for the classes of a span. */
static int cmp_xattrs(const struct dfile *x, const struct dfile *y)
{
	size_t xl = x->x ? x->x->xattrs.len : 0, yl = y->x ? y->x->xattrs.len : 0;
	int r = cmp_u64(xl, yl);

	return r || !xl ? r : memcmp(x->x->xattrs.p, y->x->xattrs.p, xl);
}

static int cmp_work(const void *a, const void *b, void *ctx)
{
	const struct dedup *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = key_cmp(c, x, y, c->stage);

	return r ? r : cmp_u32(a, b);
}

/* f's hash state, if any, is needed no more. */
static void retire_state(struct dfile *f)
{
	if (!f->x)
		return;
	XXH3_freeState(f->x->state);
	f->x->state = NULL;
}

/* f takes no more part: what it holds goes, but an error. */
static void retire(struct dfile *f)
{
	if (!f->x)
		return;
	retire_state(f);
	if (f->x->err.msg)
		return;
	buf_release(&f->x->xattrs);
	free(f->x);
	f->x = NULL;
	f->flags &= (uint8_t)~F_XATTRS_KNOWN;
}

/* Drop from c->work the files that failed or have no partner under key s;
 * the rest stay sorted by key (equal keys in file order). */
static void narrow(struct dedup *c, enum stage s)
{
	size_t i, k = 0, n = 0;

	if (!c->work)
		return; /* nothing in the running */
	for (i = 0; i < c->nwork; i++)
		if (!ferr(&c->files[c->work[i]]))
			c->work[n++] = c->work[i];
		else
			retire(&c->files[c->work[i]]);
	c->stage = s;
	if (s == STAGE_META) {
		qsort_r(c->work, n, sizeof(*c->work), cmp_work, c);
	} else {
		/* sorted by the last stage's key, which this one extends: only
		 * its runs need sorting */
		for (i = 0; i < n; i = k) {
			for (k = i + 1; k < n; k++)
				if (key_cmp(c, c->work[i], c->work[k], s - 1) != 0)
					break;
			if (k - i > 1)
				qsort_r(c->work + i, k - i, sizeof(*c->work), cmp_work, c);
		}
		k = 0;
	}
	for (i = 0; i < n; i++) {
		if ((i > 0 && key_cmp(c, c->work[i - 1], c->work[i], s) == 0) ||
		    (i + 1 < n && key_cmp(c, c->work[i], c->work[i + 1], s) == 0)) {
			c->work[k++] = c->work[i];
			continue;
		}
		retire(&c->files[c->work[i]]);
	}
	c->nwork = k;
}

/* The runs of equal keys left by narrow(c, STAGE_FULL), in file order of
 * their first members. */
static int cmp_span(const void *a, const void *b, void *ctx)
{
	const struct dedup *c = ctx;
	const struct span *x = a, *y = b;

	return cmp_u32(&c->work[x->start], &c->work[y->start]);
}

static void make_groups(struct dedup *c)
{
	size_t i, start;

	c->groups = xcalloc(c->nwork / 2 + 1, sizeof(*c->groups));
	for (start = 0; start < c->nwork; start = i) {
		for (i = start + 1; i < c->nwork; i++)
			if (key_cmp(c, c->work[start], c->work[i], STAGE_FULL) != 0)
				break;
		c->groups[c->ngroups++] = (struct span){ start, i - start };
	}
	qsort_r(c->groups, c->ngroups, sizeof(*c->groups), cmp_span, c);
}

/* ---- reading files ------------------------------------------------------ */

/*
 * Open f's content and check it is still the file the items describe
 * (and, once hashed, unchanged since: mtime and xattrs; xattrs not read yet
 * are read here).  Returns 0 with sf open, or -1 with f's error set.
 */
static int open_file(const struct dedup *c, struct dfile *f, bool hashed, struct source_file *sf)
{
	const struct stat *st = &sf->st;
	struct dedup_item it;
	struct buf xa = BUF_INIT;
	struct dext *x;

	get_item(c, first_name(c, f), &it);
	if (c->src->ops->open(c->src, it.entry, sf, errp(c, f)) != 0)
		return -1;
	if (st->st_dev != c->devs[f->dev] || st->st_ino != it.ino || st->st_mode != f->mode ||
	    (uint64_t)st->st_size != it.size || st->st_uid != f->uid || st->st_gid != f->gid ||
	    (hashed && !same_mtime(f, st->st_mtim))) {
		err_set(errp(c, f), "file changed while being processed; left as it was");
		goto fail;
	}
	if (!hashed)
		return 0;
	x = ext(f);
	if (!(f->flags & F_XATTRS_KNOWN)) {
		if (c->src->ops->xattrs(c->src, it.entry, sf, &x->xattrs, errp(c, f)) != 0)
			goto fail;
		f->flags |= F_XATTRS_KNOWN;
		return 0;
	}
	if (c->src->ops->xattrs(c->src, it.entry, sf, &xa, errp(c, f)) != 0)
		goto fail;
	if (xa.len != x->xattrs.len || memcmp(xa.p, x->xattrs.p, xa.len) != 0) {
		err_set(errp(c, f), "extended attributes changed while being processed; left as it was");
		goto fail;
	}
	buf_release(&xa);
	return 0;
fail:
	buf_release(&xa);
	source_close(sf);
	return -1;
}

/* After reading: did the open file keep its size and mtime?  (A region of
 * a shared file, a layer's spool, never changes.) */
static int check_unchanged(const struct dedup *c, const struct source_file *sf, struct dfile *f)
{
	struct dedup_item it;
	struct stat st;

	if (!sf->own)
		return 0;
	get_item(c, first_name(c, f), &it);
	if (fstat(sf->fd, &st) != 0 || (uint64_t)st.st_size != it.size || !same_mtime(f, st.st_mtim)) {
		err_set(errp(c, f), "file changed while being read; left as it was");
		return -1;
	}
	return 0;
}

/* ---- hashing ------------------------------------------------------------ */

/* Pool pass 1: the first block's digest, the ELF type (and xattrs, where
 * the file is opened here).  The hash state is kept for files longer than
 * one block.  A probed file has all this from the walk. */
static void hash_head(void *ctx, size_t k)
{
	struct dedup *c = ctx;
	struct dfile *f = &c->files[c->work[k]];
	size_t len = f->size < DEDUP_BLOCK ? (size_t)f->size : DEDUP_BLOCK;
	unsigned char head[DEDUP_BLOCK];
	struct source_file sf = SOURCE_FILE_INIT;
	struct dedup_item it;
	struct dext *x;

	if (f->flags & F_PROBED)
		return;
	if (open_file(c, f, false, &sf) != 0)
		return;
	x = ext(f);
	set_mtime(f, sf.st.st_mtim);
	if (f->flags & F_PRE) {
		get_item(c, first_name(c, f), &it);
		f->head = it.pre->head;
		x->full = it.pre->full;
		f->flags |= it.pre->elf_so ? F_ELF_SO : 0;
		if (c->src->ops->xattrs(c->src, it.entry, &sf, &x->xattrs, errp(c, f)) == 0)
			f->flags |= F_XATTRS_KNOWN;
		goto out;
	}
	get_item(c, first_name(c, f), &it);
	if (c->src->ops->xattrs(c->src, it.entry, &sf, &x->xattrs, errp(c, f)) != 0)
		goto out;
	f->flags |= F_XATTRS_KNOWN;
	if (source_pread(&sf, head, len, 0, errp(c, f)) != 0)
		goto out;
	x->state = XXH3_createState();
	if (!x->state) {
		err_set(errp(c, f), "out of memory for a hash state");
		goto out;
	}
	XXH3_128bits_reset(x->state);
	XXH3_128bits_update(x->state, head, len);
	f->head = XXH3_128bits_digest(x->state);
	f->flags |= dedup_is_elf_so(head, len) ? F_ELF_SO : 0;
	if (len == f->size) {
		f->flags |= F_FULL_IS_HEAD;
		XXH3_freeState(x->state);
		x->state = NULL;
	} else {
		f->flags |= F_REST;
	}
	check_unchanged(c, &sf, f);
out:
	source_close(&sf);
}

/* Hash the rest of f (open as sf), continuing its state, or all of it
 * from the start when its head came from a probe (which must still be
 * what the file starts with). */
static void hash_from(const struct dedup *c, struct dfile *f, const struct source_file *sf)
{
	struct dext *x = ext(f);
	unsigned char *buf = NULL;
	uint64_t off = DEDUP_BLOCK;

	if (!x->state) {
		x->state = XXH3_createState();
		if (!x->state) {
			err_set(errp(c, f), "out of memory for a hash state");
			return;
		}
		XXH3_128bits_reset(x->state);
		off = 0;
	}
	buf = xmalloc(DEDUP_CHUNK);
	while (off < f->size) {
		size_t len = f->size - off < DEDUP_CHUNK ? (size_t)(f->size - off) : DEDUP_CHUNK;

		if (source_pread(sf, buf, len, off, errp(c, f)) != 0)
			goto out;
		/* a probe's head: it must be what is there now */
		if (off == 0 && !XXH128_isEqual(XXH3_128bits(buf, DEDUP_BLOCK), f->head)) {
			err_set(errp(c, f), "file changed while being processed; left as it was");
			goto out;
		}
		XXH3_128bits_update(x->state, buf, len);
		off += len;
	}
	x->full = XXH3_128bits_digest(x->state);
out:
	free(buf);
}

/* Pool pass 2: the rest of a long file, continuing its state (and its
 * xattrs, read as it is open).  A file of one block is not opened: its
 * xattrs are read when it is verified. */
static void hash_rest(void *ctx, size_t k)
{
	struct dedup *c = ctx;
	struct dfile *f = &c->files[c->work[k]];
	struct source_file sf = SOURCE_FILE_INIT;

	if (!(f->flags & F_REST))
		return;
	if (open_file(c, f, true, &sf) != 0)
		goto out;
	hash_from(c, f, &sf);
	if (!ferr(f))
		check_unchanged(c, &sf, f);
out:
	source_close(&sf);
	if (f->x) {
		XXH3_freeState(f->x->state);
		f->x->state = NULL;
	}
}

/* ---- verifying and linking ---------------------------------------------- */

/* Settings and the kept copy of one group while its copies are linked. */
struct group_io {
	bool would_link; /* the group's copies are to be linked (report: would be) */
	bool link;       /* ... and this run really links */
	bool kept_pre;   /* the kept copy's content is known only by digest */
	struct source_file kept;
	size_t kept_item;
	unsigned char *buf; /* 2 * DEDUP_CHUNK */
};

/* Compare the two open files byte for byte: 0 if equal, 1 if they differ,
 * -1 with e set if one cannot be read. */
static int same_content(const struct source_file *a, const struct source_file *b, uint64_t size,
			unsigned char *buf, struct err *e)
{
	uint64_t off;

	for (off = 0; off < size;) {
		size_t len = size - off < DEDUP_CHUNK ? (size_t)(size - off) : DEDUP_CHUNK;

		if (source_pread(a, buf, len, off, e) != 0 ||
		    source_pread(b, buf + DEDUP_CHUNK, len, off, e) != 0)
			return -1;
		if (memcmp(buf, buf + DEDUP_CHUNK, len) != 0)
			return 1;
		off += len;
	}
	return 0;
}

/* Replace every name of f (stat st, as verified) by a link to the kept copy. */
static bool relink_names(const struct dedup *c, const struct group_io *io, struct dfile *f,
			 const struct stat *st)
{
	const uint32_t *names = names_of(c, f);
	size_t i, nn = nnames(c, f), failed = 0;
	struct dedup_item kept, *it;
	int rc;

	if (!c->o->link) {
		err_set(errp(c, f), "cannot be linked here");
		return false;
	}
	get_item(c, io->kept_item, &kept);
	it = xcalloc(nn, sizeof(*it));
	for (i = 0; i < nn; i++)
		get_item(c, names[i], &it[i]);
	rc = c->o->link(c->o->link_ctx, &kept, it, nn, st, &failed, errp(c, f));
	free(it);
	if (rc != 0) {
		f->x->err_item = names[failed < nn ? failed : 0];
		return false;
	}
	return true;
}

/* What verifying a copy came to. */
enum verdict {
	VERIFIED,   /* linked, left alone or failed: done with */
	TAKES_OVER, /* the kept copy is full of links (EMLINK): f, untouched, is
		     * the kept copy for the rest of the group */
	OTHER_CLASS /* its xattrs are not the kept copy's: a later class */
};

/* Verify copy f against the kept one and link it. */
static enum verdict verify_copy(const struct dedup *c, const struct group_io *io,
				const struct dfile *kept, struct dfile *f)
{
	struct source_file sf = SOURCE_FILE_INIT;
	enum verdict v = VERIFIED;
	bool linked;

	if (open_file(c, f, true, &sf) != 0)
		return VERIFIED;
	if (cmp_xattrs(f, kept) != 0) {
		v = OTHER_CLASS;
		goto out;
	}
	/* Names outside the items keep the inode alive: linking frees nothing
	 * (and the kept copy, chosen the same way, has none). */
	if (sf.st.st_nlink > nnames(c, f))
		goto out;
	/* linking needs the content on disk to be the content hashed */
	if (c->o->mode == DEDUP_LINK && !c->o->dry_run && (uint64_t)sf.st.st_size != f->size)
		goto out;
	/* A report on content an earlier pass has not written yet can only
	 * trust the digests; a link always compares the bytes on disk. */
	if (!(!io->link && (io->kept_pre || (f->flags & F_PRE)))) {
		int r = same_content(&io->kept, &sf, f->size, io->buf, errp(c, f));

		/* one of a pair compared instead of hashed may differ */
		if (r > 0 && !unhashed(f))
			err_set(errp(c, f), "content differs from the kept copy despite equal hashes; "
					    "left as it was");
		if (r != 0)
			goto out;
	}
	if (check_unchanged(c, &sf, f) != 0)
		goto out;
	f->role = ROLE_COPY;
	linked = io->would_link;
	if (io->link)
		linked = relink_names(c, io, f, &sf.st);
	f->flags = (uint8_t)(linked ? f->flags | F_LINKED : f->flags & ~F_LINKED);
	if (io->link && !linked && f->x->err.code == EMLINK &&
	    f->x->err_item == first_name(c, f)) {
		/* nothing moved yet: f stays whole and takes over */
		err_release(&f->x->err);
		f->x->err_item = SIZE_MAX;
		f->role = ROLE_NONE;
		v = TAKES_OVER;
	}
out:
	source_close(&sf);
	return v;
}

/* The first file of span s that is still as hashed and has no names
 * outside the items: the kept copy (opened into io).  *k: where the
 * search stopped. */
static struct dfile *pick_kept(const struct dedup *c, const struct span *s, struct group_io *io,
			       size_t *k)
{
	struct dfile *kept = NULL;

	for (*k = 0; *k < s->len && io->kept.fd < 0; (*k)++) {
		kept = &c->files[c->work[s->start + *k]];
		if (open_file(c, kept, true, &io->kept) != 0)
			continue;
		/* Names outside the items: the copies linked to it would change
		 * with it when it is edited there.  It takes no part. */
		if (io->kept.st.st_nlink > nnames(c, kept))
			source_close(&io->kept);
	}
	return io->kept.fd >= 0 ? kept : NULL;
}

/* Verify and link the files of span s (equal content) whose xattrs are
 * those of its kept copy (the first that is still as hashed).  Files with
 * other xattrs are moved to the end of the span, in file order; returns
 * how many. */
static size_t verify_class(const struct dedup *c, const struct span *s, unsigned char *buf)
{
	struct group_io io = { .kept = SOURCE_FILE_INIT, .buf = buf };
	uint32_t *w = c->work + s->start, *later = NULL;
	size_t k, m, n = 0;
	struct dfile *kept = pick_kept(c, s, &io, &k);

	if (!kept)
		return 0;
	kept->role = ROLE_KEPT;
	io.kept_item = first_name(c, kept);
	io.kept_pre = kept->flags & F_PRE;
	io.link = c->o->mode == DEDUP_LINK && !c->o->dry_run;
	/* a real run links only what is on disk as it was hashed */
	io.would_link = group_would_link(c, kept) &&
			(!io.link || (uint64_t)io.kept.st.st_size == kept->size);
	io.link = io.link && io.would_link;
	for (; k < s->len; k++) {
		struct dfile *f = &c->files[w[k]];
		struct source_file nf = SOURCE_FILE_INIT;
		enum verdict v = verify_copy(c, &io, kept, f);

		if (v == OTHER_CLASS) {
			if (!later)
				later = xmalloc((s->len - k) * sizeof(*later));
			later[n++] = w[k];
			w[k] = UINT32_MAX;
		}
		if (v != TAKES_OVER)
			continue;
		/* the kept copy is full of links: link the rest to f, kept
		 * too.  If f cannot be opened again (its error says why), the
		 * next copy finds the kept copy full and takes over. */
		if (open_file(c, f, true, &nf) != 0)
			continue;
		f->role = ROLE_KEPT;
		source_close(&io.kept);
		io.kept = nf;
		io.kept_item = first_name(c, f);
	}
	source_close(&io.kept);
	if (!n)
		return 0;
	/* this class first, then the others, each in file order */
	for (k = m = 0; k < s->len; k++)
		if (w[k] != UINT32_MAX)
			w[m++] = w[k];
	memcpy(w + m, later, n * sizeof(*later));
	free(later);
	return n;
}

static int cmp_class(const void *a, const void *b, void *ctx)
{
	const struct dedup *c = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = cmp_xattrs(&c->files[x], &c->files[y]);

	return r ? r : cmp_u32(a, b);
}

/* Pool pass 3: the files of group g (equal content and metadata), a class
 * of equal xattrs at a time.  Xattrs are compared here, where each file is
 * opened anyway, rather than in stage 3, which opens no file of one block:
 * the files with other xattrs than the first class's (every one of them
 * read by now) are sorted into classes, each marked F_CLASS at its first
 * file and verified on its own. */
static void verify_group(void *ctx, size_t g)
{
	struct dedup *c = ctx;
	const struct span *s = &c->groups[g];
	unsigned char *buf = xmalloc(2 * (size_t)DEDUP_CHUNK);
	size_t k, end = s->start + s->len, start = end - verify_class(c, s, buf);

	qsort_r(c->work + start, end - start, sizeof(*c->work), cmp_class, c);
	for (; start < end; start = k) {
		for (k = start + 1; k < end; k++)
			if (cmp_xattrs(&c->files[c->work[start]], &c->files[c->work[k]]))
				break;
		c->files[c->work[start]].flags |= F_CLASS;
		/* its files' xattrs were read, and each open checks them: none
		 * is left for a later class */
		verify_class(c, &(struct span){ start, k - start }, buf);
	}
	free(buf);
}

void dedup_free(struct dedup *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nfiles; i++) {
		struct dext *x = c->files[i].x;

		if (!x)
			continue;
		XXH3_freeState(x->state);
		buf_release(&x->xattrs);
		err_release(&x->err);
		free(x);
	}
	free(c->files);
	free(c->order);
	free(c->devs);
	free(c->work);
	free(c->groups);
	free(c);
}

struct dedup *dedup_new(struct source *src, const struct dedup_items *items,
			const struct dedup_opts *o)
{
	struct dedup *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->src = src;
	c->items = *items;
	c->o = o;
	if (o->mode == DEDUP_OFF || !items->n)
		return c; /* no files: every phase does nothing */
	collect_files(c);
	c->work = xcalloc(c->nfiles ? c->nfiles : 1, sizeof(*c->work));
	for (i = 0; i < c->nfiles; i++)
		c->work[c->nwork++] = (uint32_t)i;
	narrow(c, STAGE_META);
	return c;
}

/*
 * Two files alone with their size, metadata and first block: comparing
 * them byte for byte when verifying reads each once, hashing the rest
 * first would read each twice.  They go on unhashed, their head standing
 * for their full digest.  (Three or more are hashed: what differs among
 * them is sorted out by digests, not by comparing every pair.)
 */
static void pair_unhashed(struct dedup *c)
{
	size_t i, k;

	for (i = 0; i < c->nwork; i = k) {
		struct dfile *a = &c->files[c->work[i]], *b;

		for (k = i + 1; k < c->nwork; k++)
			if (key_cmp(c, c->work[i], c->work[k], STAGE_HEAD) != 0)
				break;
		if (k - i != 2)
			continue;
		b = &c->files[c->work[i + 1]];
		if (!(a->flags & b->flags & F_REST))
			continue;
		retire_state(a);
		retire_state(b);
		a->flags = (uint8_t)((a->flags & ~F_REST) | F_FULL_IS_HEAD);
		b->flags = (uint8_t)((b->flags & ~F_REST) | F_FULL_IS_HEAD);
	}
}

void dedup_hash_heads(struct dedup *c)
{
	pool_run(c->o->jobs, c->nwork, hash_head, c, NULL);
	narrow(c, STAGE_HEAD);
	pair_unhashed(c);
}

void dedup_hash_rest(struct dedup *c)
{
	pool_run(c->o->jobs, c->nwork, hash_rest, c, NULL);
	narrow(c, STAGE_FULL);
	make_groups(c);
}

void dedup_link(struct dedup *c, struct dedup_result *res)
{
	const struct dedup_opts *o = c->o;

	*res = (struct dedup_result)DEDUP_RESULT_INIT;
	/* linking renames over copies, freeing their blocks: waits on the device */
	pool_run(o->mode == DEDUP_LINK && !o->dry_run ? pool_io_jobs(o->jobs) : o->jobs,
		 c->ngroups, verify_group, c, NULL);
	dedup_build_result(c, res);
}

int dedup_run(struct source *src, const struct dedup_item *items, size_t n,
	      const struct dedup_opts *o, struct dedup_result *res)
{
	struct dedup_items its = dedup_items_array(items, n);
	struct dedup *c;

	if (!res || !o || (!items && n) || (!src && n)) {
		errno = EINVAL;
		return -1;
	}
	c = dedup_new(src, &its, o);
	dedup_hash_heads(c);
	dedup_hash_rest(c);
	dedup_link(c, res);
	dedup_free(c);
	return 0;
}

void dedup_result_release(struct dedup_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->ngroups; i++) {
		free(res->groups[i].items);
		free(res->groups[i].copies);
	}
	free(res->groups);
	for (i = 0; i < res->nerrors; i++)
		err_release(&res->errors[i].err);
	free(res->errors);
	*res = (struct dedup_result)DEDUP_RESULT_INIT;
}

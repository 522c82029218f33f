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
#include "pool.h"
#include "util.h"

enum role { ROLE_NONE, ROLE_KEPT, ROLE_COPY };

/*
 * One distinct inode among the regular, non-empty items.  During a pool
 * pass a dfile is written only by the thread handed it (or its group), so
 * no locking is needed and the merge in file order is deterministic.
 */
struct dfile {
	const size_t *names;   /* item indices of its names, ascending */
	size_t nnames;
	XXH3_state_t *state;   /* kept between the two hash passes */
	XXH128_hash_t head;    /* digest of the first DEDUP_BLOCK bytes */
	XXH128_hash_t full;    /* digest of everything */
	struct timespec mtime; /* when hashed */
	struct buf xattrs;     /* canonical form: see fsu_read_xattrs() */
	bool xattrs_known;     /* xattrs read (a probe has none) */
	bool elf_so;
	bool rest;             /* the rest is to be hashed (state or from 0) */
	enum role role;
	bool linked;           /* replaced by a link (or would be) */
	size_t err_item;       /* the name err is about */
	struct err err;
};

/* The comparison keys of the three narrowing stages. */
enum stage { STAGE_META, STAGE_HEAD, STAGE_FULL };

struct span {
	size_t start, len;
};

struct dedup {
	struct source *src;
	const struct dedup_item *items;
	const struct dedup_opts *o;
	size_t *order;       /* regular non-empty items by (dev, ino, index) */
	struct dfile *files; /* in item order of their first names */
	size_t nfiles;
	size_t *work;        /* file indices still in the running */
	size_t nwork;
	struct span *groups; /* runs of work with equal content and metadata */
	size_t ngroups;
	enum stage stage;    /* key used by cmp_work() */
};

static const struct dedup_item *first_item(const struct dedup *c, const struct dfile *f)
{
	return &c->items[f->names[0]];
}

/* The size of the content dedup works on (after earlier passes). */
static uint64_t item_size(const struct dedup_item *it)
{
	return it->pre ? it->pre->size : it->size;
}

static uint64_t file_size(const struct dedup *c, const struct dfile *f)
{
	return item_size(first_item(c, f));
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

static int cmp_size_t(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- finding the distinct inodes ---------------------------------------- */

static int cmp_inode(const void *a, const void *b, void *ctx)
{
	const struct dedup_item *items = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = cmp_u64(items[x].dev, items[y].dev);

	if (!r)
		r = cmp_u64(items[x].ino, items[y].ino);
	return r ? r : cmp_size_t(a, b);
}

static int cmp_file_first(const void *a, const void *b)
{
	const struct dfile *x = a, *y = b;
	return cmp_size_t(&x->names[0], &y->names[0]);
}

/* Fill c->order and c->files: every regular non-empty inode, its names. */
static void collect_files(struct dedup *c, size_t n)
{
	const struct dedup_item *it = c->items;
	size_t i, norder = 0, start;

	c->order = xcalloc(n, sizeof(*c->order));
	for (i = 0; i < n; i++)
		if (S_ISREG(it[i].mode) && item_size(&it[i]) > 0)
			c->order[norder++] = i;
	qsort_r(c->order, norder, sizeof(*c->order), cmp_inode, (void *)it);
	c->files = xcalloc(norder, sizeof(*c->files));
	for (start = 0; start < norder; start = i) {
		struct dfile *f = &c->files[c->nfiles++];
		const struct dedup_item *a = &it[c->order[start]];

		for (i = start + 1; i < norder; i++)
			if (it[c->order[i]].dev != a->dev || it[c->order[i]].ino != a->ino)
				break;
		f->names = &c->order[start];
		f->nnames = i - start;
		f->err_item = f->names[0];
		buf_init(&f->xattrs);
	}
	qsort(c->files, c->nfiles, sizeof(*c->files), cmp_file_first);
}

/* ---- narrowing: keep only files that share their key with another ----- */

static int key_cmp(const struct dedup *c, size_t a, size_t b, enum stage s)
{
	const struct dfile *x = &c->files[a], *y = &c->files[b];
	const struct dedup_item *p = first_item(c, x), *q = first_item(c, y);
	int r = cmp_u64(p->dev, q->dev);

	if (!r)
		r = cmp_u64(item_size(p), item_size(q));
	if (!r)
		r = cmp_u64(p->mode, q->mode);
	if (!r)
		r = cmp_u64(p->uid, q->uid);
	if (!r)
		r = cmp_u64(p->gid, q->gid);
	if (r || s == STAGE_META)
		return r;
	r = cmp_hash(x->head, y->head);
	if (r || s == STAGE_HEAD)
		return r;
	r = cmp_u64(x->xattrs.len, y->xattrs.len);
	if (!r)
		r = memcmp(x->xattrs.p, y->xattrs.p, x->xattrs.len);
	if (!r)
		r = cmp_hash(x->full, y->full);
	return r;
}

static int cmp_work(const void *a, const void *b, void *ctx)
{
	const struct dedup *c = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = key_cmp(c, x, y, c->stage);

	return r ? r : cmp_size_t(a, b);
}

/* Drop from c->work the files that failed or have no partner under key s;
 * the rest stay sorted by key (equal keys in file order). */
static void narrow(struct dedup *c, enum stage s)
{
	size_t i, k = 0, n = 0;

	if (!c->work)
		return; /* nothing in the running */
	for (i = 0; i < c->nwork; i++)
		if (!c->files[c->work[i]].err.msg)
			c->work[n++] = c->work[i];
	c->stage = s;
	qsort_r(c->work, n, sizeof(*c->work), cmp_work, c);
	for (i = 0; i < n; i++) {
		struct dfile *f = &c->files[c->work[i]];

		if ((i > 0 && key_cmp(c, c->work[i - 1], c->work[i], s) == 0) ||
		    (i + 1 < n && key_cmp(c, c->work[i], c->work[i + 1], s) == 0)) {
			c->work[k++] = c->work[i];
			continue;
		}
		XXH3_freeState(f->state);
		f->state = NULL;
	}
	c->nwork = k;
}

/* The runs of equal keys left by narrow(c, STAGE_FULL), in file order of
 * their first members. */
static int cmp_span(const void *a, const void *b, void *ctx)
{
	const struct dedup *c = ctx;
	const struct span *x = a, *y = b;

	return cmp_size_t(&c->work[x->start], &c->work[y->start]);
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

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * Open f's content and check it is still the file the items describe
 * (and, once hashed, unchanged since: mtime and xattrs; xattrs not read yet
 * are read here).  Returns 0 with sf open, or -1 with f->err set.
 */
static int open_file(const struct dedup *c, struct dfile *f, bool hashed, struct source_file *sf)
{
	const struct dedup_item *it = first_item(c, f);
	const struct stat *st = &sf->st;
	struct buf xa = BUF_INIT;

	if (c->src->ops->open(c->src, it->entry, sf, &f->err) != 0)
		return -1;
	if (st->st_dev != it->dev || st->st_ino != it->ino || st->st_mode != it->mode ||
	    (uint64_t)st->st_size != it->size || st->st_uid != it->uid ||
	    st->st_gid != it->gid || (hashed && !same_time(st->st_mtim, f->mtime))) {
		err_set(&f->err, "file changed while being processed; left as it was");
		goto fail;
	}
	if (!hashed)
		return 0;
	if (!f->xattrs_known) {
		if (c->src->ops->xattrs(c->src, it->entry, sf, &f->xattrs, &f->err) != 0)
			goto fail;
		f->xattrs_known = true;
		return 0;
	}
	if (c->src->ops->xattrs(c->src, it->entry, sf, &xa, &f->err) != 0)
		goto fail;
	if (xa.len != f->xattrs.len || memcmp(xa.p, f->xattrs.p, xa.len) != 0) {
		err_set(&f->err, "extended attributes changed while being processed; left as it was");
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
	struct stat st;

	if (!sf->own)
		return 0;
	if (fstat(sf->fd, &st) != 0 || (uint64_t)st.st_size != first_item(c, f)->size ||
	    !same_time(st.st_mtim, f->mtime)) {
		err_set(&f->err, "file changed while being read; left as it was");
		return -1;
	}
	return 0;
}

/* ---- hashing ------------------------------------------------------------ */

/* Pool pass 1: the first block's digest, the ELF type (and xattrs, where
 * the file is opened here).  The hash state is kept for files longer than
 * one block. */
static void hash_head(void *ctx, size_t k)
{
	struct dedup *c = ctx;
	struct dfile *f = &c->files[c->work[k]];
	const struct dedup_item *it = first_item(c, f);
	const struct dedup_digest *pre = it->pre;
	const struct dedup_probe *pr = it->probe;
	uint64_t size = file_size(c, f);
	size_t len = size < DEDUP_BLOCK ? (size_t)size : DEDUP_BLOCK;
	unsigned char head[DEDUP_BLOCK];
	struct source_file sf = SOURCE_FILE_INIT;

	if (!pre && pr && pr->dev == it->dev && pr->ino == it->ino && pr->size == size) {
		/* the walk read the head: nothing to open here */
		f->mtime = pr->mtime;
		f->head = pr->head;
		f->elf_so = pr->elf_so;
		if (size <= DEDUP_BLOCK)
			f->full = f->head;
		else
			f->rest = true;
		return;
	}
	if (open_file(c, f, false, &sf) != 0)
		return;
	f->mtime = sf.st.st_mtim;
	if (pre) {
		f->head = pre->head;
		f->full = pre->full;
		f->elf_so = pre->elf_so;
		f->xattrs_known = c->src->ops->xattrs(c->src, it->entry, &sf, &f->xattrs, &f->err) == 0;
		goto out;
	}
	if (c->src->ops->xattrs(c->src, it->entry, &sf, &f->xattrs, &f->err) != 0)
		goto out;
	f->xattrs_known = true;
	if (source_pread(&sf, head, len, 0, &f->err) != 0)
		goto out;
	f->state = XXH3_createState();
	if (!f->state) {
		err_set(&f->err, "out of memory for a hash state");
		goto out;
	}
	XXH3_128bits_reset(f->state);
	XXH3_128bits_update(f->state, head, len);
	f->head = XXH3_128bits_digest(f->state);
	f->elf_so = dedup_is_elf_so(head, len);
	if (len == size) {
		f->full = f->head;
		XXH3_freeState(f->state);
		f->state = NULL;
	} else {
		f->rest = true;
	}
	check_unchanged(c, &sf, f);
out:
	source_close(&sf);
}

/* Hash the rest of f (open as sf), continuing its state, or all of it
 * from the start when its head came from a probe (which must still be
 * what the file starts with). */
static void hash_from(struct dfile *f, const struct source_file *sf, uint64_t size)
{
	unsigned char *buf = NULL;
	uint64_t off = DEDUP_BLOCK;

	if (!f->state) {
		f->state = XXH3_createState();
		if (!f->state) {
			err_set(&f->err, "out of memory for a hash state");
			return;
		}
		XXH3_128bits_reset(f->state);
		off = 0;
	}
	buf = xmalloc(DEDUP_CHUNK);
	while (off < size) {
		size_t len = size - off < DEDUP_CHUNK ? (size_t)(size - off) : DEDUP_CHUNK;

		if (source_pread(sf, buf, len, off, &f->err) != 0)
			goto out;
		/* a probe's head: it must be what is there now */
		if (off == 0 && !XXH128_isEqual(XXH3_128bits(buf, DEDUP_BLOCK), f->head)) {
			err_set(&f->err, "file changed while being processed; left as it was");
			goto out;
		}
		XXH3_128bits_update(f->state, buf, len);
		off += len;
	}
	f->full = XXH3_128bits_digest(f->state);
out:
	free(buf);
}

/* Pool pass 2: the rest of a long file, continuing its state; the xattrs
 * of a probed file. */
static void hash_rest(void *ctx, size_t k)
{
	struct dedup *c = ctx;
	struct dfile *f = &c->files[c->work[k]];
	struct source_file sf = SOURCE_FILE_INIT;

	if (!f->rest && f->xattrs_known)
		return;
	if (open_file(c, f, true, &sf) != 0 || !f->rest)
		goto out;
	hash_from(f, &sf, file_size(c, f));
	if (!f->err.msg)
		check_unchanged(c, &sf, f);
out:
	source_close(&sf);
	XXH3_freeState(f->state);
	f->state = NULL;
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

static bool group_would_link(const struct dedup *c, const struct dfile *kept)
{
	return !kept->elf_so || c->o->link_elf;
}

/* Compare the two open files byte for byte; -1 with e set if they differ. */
static int same_content(const struct source_file *a, const struct source_file *b, uint64_t size,
			unsigned char *buf, struct err *e)
{
	uint64_t off;

	for (off = 0; off < size;) {
		size_t len = size - off < DEDUP_CHUNK ? (size_t)(size - off) : DEDUP_CHUNK;

		if (source_pread(a, buf, len, off, e) != 0 ||
		    source_pread(b, buf + DEDUP_CHUNK, len, off, e) != 0)
			return -1;
		if (memcmp(buf, buf + DEDUP_CHUNK, len) != 0) {
			err_set(e, "content differs from the kept copy despite equal hashes; left as it was");
			return -1;
		}
		off += len;
	}
	return 0;
}

/* Replace every name of f (stat st, as verified) by a link to the kept copy. */
static bool relink_names(const struct dedup *c, const struct group_io *io, struct dfile *f,
			 const struct stat *st)
{
	size_t failed = 0;

	if (!c->o->link) {
		err_set(&f->err, "cannot be linked here");
		return false;
	}
	if (c->o->link(c->o->link_ctx, c->items, io->kept_item, f->names, f->nnames, st, &failed,
		       &f->err) != 0) {
		f->err_item = f->names[failed < f->nnames ? failed : 0];
		return false;
	}
	f->err_item = f->names[0];
	return true;
}

/* Verify copy f against the kept one and link it.  Returns true when the
 * kept copy has as many links as the file system allows (EMLINK) and f,
 * untouched, should be the kept copy for the rest of the group. */
static bool verify_copy(const struct dedup *c, const struct group_io *io, struct dfile *f)
{
	struct source_file sf = SOURCE_FILE_INIT;
	bool full = false;

	if (open_file(c, f, true, &sf) != 0)
		return false;
	/* Names outside the items keep the inode alive: linking frees nothing
	 * (and the kept copy, chosen the same way, has none). */
	if (sf.st.st_nlink > f->nnames)
		goto out;
	/* linking needs the content on disk to be the content hashed */
	if (c->o->mode == DEDUP_LINK && !c->o->dry_run && (uint64_t)sf.st.st_size != file_size(c, f))
		goto out;
	/* A report on content an earlier pass has not written yet can only
	 * trust the digests; a link always compares the bytes on disk. */
	if (!(!io->link && (io->kept_pre || first_item(c, f)->pre)) &&
	    same_content(&io->kept, &sf, file_size(c, f), io->buf, &f->err) != 0)
		goto out;
	if (check_unchanged(c, &sf, f) != 0)
		goto out;
	f->role = ROLE_COPY;
	f->linked = io->would_link;
	if (io->link)
		f->linked = relink_names(c, io, f, &sf.st);
	if (io->link && !f->linked && f->err.code == EMLINK && f->err_item == f->names[0]) {
		/* nothing moved yet: f stays whole and takes over */
		err_release(&f->err);
		f->role = ROLE_NONE;
		full = true;
	}
out:
	source_close(&sf);
	return full;
}

/* The first file of span s that is still as hashed and has no names
 * outside the items: the kept copy (opened into io).  *k: where the
 * search stopped. */
static struct dfile *pick_kept(struct dedup *c, const struct span *s, struct group_io *io,
			       size_t *k)
{
	struct dfile *kept = NULL;

	for (*k = 0; *k < s->len && io->kept.fd < 0; (*k)++) {
		kept = &c->files[c->work[s->start + *k]];
		if (open_file(c, kept, true, &io->kept) != 0)
			continue;
		/* Names outside the items: the copies linked to it would change
		 * with it when it is edited there.  It takes no part. */
		if (io->kept.st.st_nlink > kept->nnames)
			source_close(&io->kept);
	}
	return io->kept.fd >= 0 ? kept : NULL;
}

/* Pool pass 3: pick the kept copy (the first that is still as hashed),
 * compare the others with it and link them. */
static void verify_group(void *ctx, size_t g)
{
	struct dedup *c = ctx;
	const struct span *s = &c->groups[g];
	struct group_io io = { .kept = SOURCE_FILE_INIT };
	struct dfile *kept;
	size_t k;

	kept = pick_kept(c, s, &io, &k);
	if (!kept)
		return;
	kept->role = ROLE_KEPT;
	io.kept_item = kept->names[0];
	io.kept_pre = first_item(c, kept)->pre != NULL;
	io.link = c->o->mode == DEDUP_LINK && !c->o->dry_run;
	/* a real run links only what is on disk as it was hashed */
	io.would_link = group_would_link(c, kept) &&
			(!io.link || (uint64_t)io.kept.st.st_size == file_size(c, kept));
	io.link = io.link && io.would_link;
	io.buf = xmalloc(2 * (size_t)DEDUP_CHUNK);
	for (; k < s->len; k++) {
		struct dfile *f = &c->files[c->work[s->start + k]];
		struct source_file nf = SOURCE_FILE_INIT;
		if (!verify_copy(c, &io, f))
			continue;
		/* the kept copy is full of links: link the rest to f */
		if (open_file(c, f, true, &nf) != 0)
			break;
		source_close(&io.kept);
		io.kept = nf;
		io.kept_item = f->names[0];
	}
	free(io.buf);
	source_close(&io.kept);
}

/* ---- the result --------------------------------------------------------- */

/* Turn span s into a group of res, if at least one copy survived. */
static void add_group(const struct dedup *c, const struct span *s, struct dedup_result *res,
		      size_t *cap)
{
	struct dedup_group g = { 0 };
	const struct dfile *kept = NULL;
	size_t k, nitems = 0, ncopies = 0, nlinked = 0;

	for (k = 0; k < s->len; k++) {
		const struct dfile *f = &c->files[c->work[s->start + k]];

		if (f->role == ROLE_NONE)
			continue;
		if (f->role == ROLE_KEPT)
			kept = f;
		ncopies += f->role == ROLE_COPY;
		nlinked += f->linked;
		nitems += f->nnames;
	}
	if (!kept || !ncopies)
		return;
	g.items = xcalloc(nitems, sizeof(*g.items));
	for (k = 0; k < s->len; k++) {
		const struct dfile *f = &c->files[c->work[s->start + k]];

		if (f->role != ROLE_NONE) {
			memcpy(g.items + g.nitems, f->names, f->nnames * sizeof(*g.items));
			g.nitems += f->nnames;
		}
	}
	qsort(g.items, g.nitems, sizeof(*g.items), cmp_size_t);
	g.nfiles = ncopies + 1;
	g.size = file_size(c, kept);
	g.elf_shared = kept->elf_so;
	g.linked = nlinked > 0;
	res->files_linked += nlinked;
	res->bytes_saved += g.size * nlinked;
	if (!group_would_link(c, kept)) {
		res->elf_groups++;
		res->elf_bytes_unlinked += g.size * ncopies;
	}
	xgrow(&res->groups, cap, res->ngroups + 1, sizeof(*res->groups));
	res->groups[res->ngroups++] = g;
}

static int cmp_group(const void *a, const void *b)
{
	const struct dedup_group *x = a, *y = b;
	return cmp_size_t(&x->items[0], &y->items[0]);
}

static int cmp_error(const void *a, const void *b)
{
	const struct dfile *x = *(const struct dfile *const *)a, *y = *(const struct dfile *const *)b;
	return cmp_size_t(&x->err_item, &y->err_item);
}

/* Every file's error, in item order. */
static void collect_errors(const struct dedup *c, struct dedup_result *res)
{
	const struct dfile **bad;
	size_t i, n = 0;

	for (i = 0; i < c->nfiles; i++)
		n += c->files[i].err.msg != NULL;
	if (!n)
		return;
	bad = xcalloc(n, sizeof(*bad));
	for (i = 0, n = 0; i < c->nfiles; i++)
		if (c->files[i].err.msg)
			bad[n++] = &c->files[i];
	qsort(bad, n, sizeof(*bad), cmp_error);
	res->errors = xcalloc(n, sizeof(*res->errors));
	for (i = 0; i < n; i++) {
		res->errors[i].item = bad[i]->err_item;
		res->errors[i].err.msg = xstrdup(bad[i]->err.msg);
		res->errors[i].err.code = bad[i]->err.code;
	}
	res->nerrors = n;
	free(bad);
}

static void build_result(const struct dedup *c, struct dedup_result *res)
{
	size_t g, cap = 0;

	for (g = 0; g < c->ngroups; g++)
		add_group(c, &c->groups[g], res, &cap);
	/* a promoted kept copy may come later than its span's first file */
	if (res->ngroups)
		qsort(res->groups, res->ngroups, sizeof(*res->groups), cmp_group);
	collect_errors(c, res);
}

void dedup_free(struct dedup *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nfiles; i++) {
		XXH3_freeState(c->files[i].state);
		buf_release(&c->files[i].xattrs);
		err_release(&c->files[i].err);
	}
	free(c->files);
	free(c->order);
	free(c->work);
	free(c->groups);
	free(c);
}

struct dedup *dedup_new(struct source *src, const struct dedup_item *items, size_t n,
			const struct dedup_opts *o)
{
	struct dedup *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->src = src;
	c->items = items;
	c->o = o;
	if (o->mode == DEDUP_OFF || !n)
		return c; /* no files: every phase does nothing */
	collect_files(c, n);
	c->work = xcalloc(c->nfiles ? c->nfiles : 1, sizeof(*c->work));
	for (i = 0; i < c->nfiles; i++)
		c->work[c->nwork++] = i;
	narrow(c, STAGE_META);
	return c;
}

void dedup_hash_heads(struct dedup *c)
{
	pool_run(c->o->jobs, c->nwork, hash_head, c, NULL);
	narrow(c, STAGE_HEAD);
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
	build_result(c, res);
}

int dedup_run(struct source *src, const struct dedup_item *items, size_t n,
	      const struct dedup_opts *o, struct dedup_result *res)
{
	struct dedup *c;

	if (!res || !o || (!items && n) || (!src && n)) {
		errno = EINVAL;
		return -1;
	}
	c = dedup_new(src, items, n, o);
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
	for (i = 0; i < res->ngroups; i++)
		free(res->groups[i].items);
	free(res->groups);
	for (i = 0; i < res->nerrors; i++)
		err_release(&res->errors[i].err);
	free(res->errors);
	*res = (struct dedup_result)DEDUP_RESULT_INIT;
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

/* source_layer.c - a layer's entries: headers, content in a spool, and the
 * layer's rules of validity and final state. */
#include "source_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "content.h"
#include "dedup.h"
#include "fsutil.h"

/* What each entry has beyond its record. */
struct lside {
	struct archive_entry *ae; /* header as read; owned */
	uint64_t off, len;        /* its current content in the spool */
	char *xattrs;             /* canonical xattr blob for dedup; NULL: none */
	size_t xattrs_len;
	struct dedup_digest dg;   /* of the content as read (dedup on) */
	/* content still in the tree packed (source_layer_data_tree), not in
	 * the spool: the file as it was read, to check it is still that one */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	uint32_t nondir;          /* the latest entry of its path that is not a
				   * directory, as the layer stood at this entry */
	bool dg_valid;            /* dg describes the current content */
	bool tree;                /* the content is the tree's file (above) */
};

struct pathmap {
	size_t *slot; /* entry index + 1; 0 empty */
	size_t cap;
};

struct lsource {
	struct source base;
	const struct slim_opts *o;
	struct report *rep;
	struct lside *side;   /* parallel to base.ents */
	size_t capside;
	struct pathmap map;   /* path -> last entry with it */
	struct spool spool;
	struct err err;       /* why the layer is refused */
	int rootfd;           /* a tree packed: its root (owned), or -1 */
	/* the file whose content is being added */
	size_t cur;
	uint64_t pos, size;   /* bytes added so far, and declared */
	XXH3_state_t *h;
	uint64_t hashed;
};

#define L_OF(s) ((struct lsource *)(s))

/* What a hole reads as, a piece at a time (for the hash). */
static const unsigned char zeros[1u << 20];

/* ---- a small string -> index map ------------------------------------------ */

static size_t pm_find(const struct pathmap *m, const struct entry *e, const char *key, bool *found)
{
	size_t mask = m->cap - 1, i = XXH3_64bits_withSeed(key, strlen(key), hash_seed()) & mask;

	for (;; i = (i + 1) & mask) {
		if (!m->slot[i]) {
			*found = false;
			return i;
		}
		if (strcmp(e[m->slot[i] - 1].path, key) == 0) {
			*found = true;
			return i;
		}
	}
}

static void pm_put(struct pathmap *m, const struct entry *e, size_t n, size_t idx)
{
	bool found;
	size_t i;

	if (!m->cap || n * 2 >= m->cap) {
		struct pathmap big = { xcalloc(m->cap ? m->cap * 2 : 1024, sizeof(size_t)),
				       m->cap ? m->cap * 2 : 1024 };
		for (i = 0; i < m->cap; i++)
			if (m->slot[i])
				big.slot[pm_find(&big, e, e[m->slot[i] - 1].path, &found)] = m->slot[i];
		free(m->slot);
		*m = big;
	}
	m->slot[pm_find(m, e, e[idx].path, &found)] = idx + 1;
}

static uint32_t pm_get(const struct pathmap *m, const struct entry *e, const char *key)
{
	bool found;
	size_t i;

	if (!m->cap)
		return ENT_NONE;
	i = pm_find(m, e, key, &found);
	return found ? (uint32_t)(m->slot[i] - 1) : ENT_NONE;
}

/* ---- errors ------------------------------------------------------------------ */

int source_layer_fail(struct source *s, const char *fmt, ...)
{
	struct lsource *L = L_OF(s);
	va_list ap;

	if (L->err.msg)
		return -1;
	va_start(ap, fmt);
	err_vset(&L->err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

const char *source_layer_err(const struct source *s)
{
	return L_OF(s)->err.msg;
}

void source_layer_reset(struct source *s)
{
	err_release(&L_OF(s)->err);
}

/* ---- names -------------------------------------------------------------------- */

static bool is_whiteout(const char *path)
{
	return strncmp(entry_base(path), ".wh.", 4) == 0;
}

/*
 * A whiteout ".wh.NAME" makes a runtime remove NAME beside it, and
 * ".wh..wh..opq" empties its directory.  NAME "" or "." would remove the
 * directory itself, ".." its parent; another ".wh." name hides nothing
 * (".wh..wh.plnk" and the like are AUFS metadata, which runtimes skip:
 * kept at the top only, where AUFS put them).  Returns why path is such a
 * whiteout, or NULL.
 */
static const char *bad_whiteout(const char *path)
{
	const char *base = entry_base(path), *name;

	if (strncmp(base, ".wh.", 4) != 0)
		return NULL;
	name = base + 4;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "a whiteout of the directory itself or its parent";
	if (strncmp(name, ".wh.", 4) == 0 && strcmp(name, ".wh..opq") != 0 && base != path)
		return "a whiteout that names no entry";
	return NULL;
}

/* Owners a tar can carry and a system can have: uid_t, less (uid_t)-1
 * ("no change" to chown).  A negative one also makes libarchive's writer
 * fail ("This can't happen") and leak. */
static const char *bad_owner(struct archive_entry *ae)
{
	la_int64_t u = archive_entry_uid(ae), g = archive_entry_gid(ae);

	if (u < 0 || u >= (la_int64_t)UINT32_MAX)
		return "uid";
	if (g < 0 || g >= (la_int64_t)UINT32_MAX)
		return "gid";
	return NULL;
}

/*
 * Does a proper prefix of path name something that is not a directory, as
 * the layer stands at this entry (its latest entry of that path)?  A
 * symlink would take the entry elsewhere, a file makes it fail; one that a
 * later directory entry replaced does not count (extraction replaces it
 * too).  Returns that entry, or NULL.
 */
static const struct entry *through_nondir(const struct lsource *L, const char *path)
{
	const struct entry *v = L->base.ents.v, *hit = NULL;
	struct buf b = BUF_INIT;
	const char *s;

	for (s = strchr(path, '/'); s && !hit; s = strchr(s + 1, '/')) {
		uint32_t i;
		buf_setlen(&b, 0);
		buf_add(&b, path, (size_t)(s - path));
		i = pm_get(&L->map, v, b.p);
		if (i != ENT_NONE && v[i].type != ENT_DIR)
			hit = &v[i];
	}
	buf_release(&b);
	return hit;
}

/*
 * Is entry t, the latest of its path, gone: did an entry after it replace
 * one of its directories by something that is not a directory (which
 * takes the directory's contents with it)?  This looks at the layer as
 * read so far: at a hard link, whether its target still exists there.
 * b: scratch.
 */
static bool shadowed(const struct lsource *L, size_t t, struct buf *b)
{
	const char *path = L->base.ents.v[t].path, *s;
	bool gone = false;

	for (s = strchr(path, '/'); s && !gone; s = strchr(s + 1, '/')) {
		uint32_t q;
		buf_setlen(b, 0);
		buf_add(b, path, (size_t)(s - path));
		q = pm_get(&L->map, L->base.ents.v, b->p);
		gone = q != ENT_NONE && L->side[q].nondir != ENT_NONE && L->side[q].nondir > t;
	}
	return gone;
}

/* ---- adding entries ------------------------------------------------------------ */

static void xattr_blob(struct lside *x)
{
	struct buf b = BUF_INIT;
	const char *name;
	const void *val;
	size_t size;

	if (archive_entry_xattr_reset(x->ae) == 0)
		return;
	/* libarchive keeps them in header order; tar writers sort them */
	while (archive_entry_xattr_next(x->ae, &name, &val, &size) == ARCHIVE_OK) {
		buf_add(&b, name, strlen(name) + 1);
		buf_add(&b, &size, sizeof(size));
		buf_add(&b, val, size);
	}
	x->xattrs = buf_detach(&b, &x->xattrs_len);
}

/*
 * x's type.  A hard link must name a file that exists at this point of
 * the layer: the latest entry of that path, not since removed with a
 * directory of its path (GNU tar and container runtimes fail on one that
 * does not; slim refuses it rather than guess).
 */
static int classify(struct lsource *L, struct entry *x, struct archive_entry *ae, const char *raw)
{
	const char *link = archive_entry_hardlink(ae), *why = NULL;

	if (link) {
		char *t = path_normalize(link, true, &why);
		uint32_t ti = t ? pm_get(&L->map, L->base.ents.v, t) : ENT_NONE;
		struct buf b = BUF_INIT;
		bool gone;
		free(t);
		if (ti == ENT_NONE || L->base.ents.v[ti].type != ENT_FILE)
			return source_layer_fail(&L->base, "entry '%s': hard link to '%s', which is not a "
					       "file earlier in the layer", raw, link);
		gone = shadowed(L, ti, &b);
		buf_release(&b);
		if (gone)
			return source_layer_fail(&L->base, "entry '%s': hard link to '%s', which an entry "
					       "after it removed (with a directory of its path)", raw, link);
		x->type = ENT_HARDLINK;
		x->link = ti;
		return 0;
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG: x->type = ENT_FILE; break;
	case AE_IFDIR: x->type = ENT_DIR; break;
	case AE_IFLNK: x->type = ENT_SYMLINK; break;
	default: x->type = ENT_OTHER; break;
	}
	return 0;
}

/* Room for one more entry and its side; NULL past ENT_MAX. */
static struct entry *new_entry(struct lsource *L, const char *path, struct archive_entry *ae)
{
	struct entry *x = entries_add(&L->base.ents, path, ENT_OTHER);
	struct lside *sd;

	if (!x)
		return NULL;
	xgrow(&L->side, &L->capside, L->base.ents.n, sizeof(*L->side));
	sd = &L->side[L->base.ents.n - 1];
	memset(sd, 0, sizeof(*sd));
	sd->ae = ae;
	sd->nondir = ENT_NONE;
	x->mode = (uint32_t)archive_entry_mode(ae);
	x->size = archive_entry_size(ae) > 0 ? (uint64_t)archive_entry_size(ae) : 0;
	return x;
}

/* The checks that need only the entry's own header and name. */
static int check_entry(struct lsource *L, struct archive_entry *ae, const char *path,
		       const char *raw)
{
	const struct entry *via;
	const char *why;

	if (is_whiteout(path) && (why = bad_whiteout(path)))
		return source_layer_fail(&L->base, "entry '%s': %s", raw, why);
	if ((why = bad_owner(ae)))
		return source_layer_fail(&L->base, "entry '%s': %s %lld out of range", raw, why,
					 (long long)(*why == 'u' ? archive_entry_uid(ae)
								 : archive_entry_gid(ae)));
	if ((via = through_nondir(L, path)))
		return source_layer_fail(&L->base, via->type == ENT_SYMLINK
				       ? "entry '%s' goes through the symlink '%s'"
				       : "entry '%s' goes through '%s', which is not a directory",
				       raw, via->path);
	return 0;
}

static void count(struct report *rep, const struct entry *x)
{
	switch (x->type) {
	case ENT_DIR: report_seen(rep, REPORT_DIR); break;
	case ENT_SYMLINK: report_seen(rep, REPORT_SYMLINK); break;
	case ENT_OTHER: report_seen(rep, REPORT_OTHER); break;
	default: report_seen(rep, REPORT_REGULAR); break;
	}
}

/* Where the layer stands once x (entry i) is in it. */
static void place(struct lsource *L, struct entry *x, size_t i)
{
	uint32_t prev = pm_get(&L->map, L->base.ents.v, x->path);

	L->side[i].nondir = x->type != ENT_DIR ? (uint32_t)i
			    : prev != ENT_NONE ? L->side[prev].nondir : ENT_NONE;
	if (prev != ENT_NONE)
		L->base.ents.v[prev].flags |= ENT_GONE;
	pm_put(&L->map, L->base.ents.v, L->base.ents.n, i);
}

static int add_named(struct lsource *L, struct archive_entry *ae, const char *raw, char *path)
{
	struct entry *x;
	size_t i;

	if (!*path) { /* "./": the root itself */
		free(path);
		path = xstrdup(".");
	}
	x = new_entry(L, path, ae);
	free(path);
	if (!x) {
		archive_entry_free(ae);
		return source_layer_fail(&L->base, "entry '%s': too many entries in the layer", raw);
	}
	i = L->base.ents.n - 1;
	if (is_whiteout(x->path))
		x->flags |= ENT_WHITEOUT;
	if (check_entry(L, ae, x->path, raw) != 0 || classify(L, x, ae, raw) != 0)
		return -1;
	/* checked: ids fit */
	x->uid = (uint32_t)archive_entry_uid(ae);
	x->gid = (uint32_t)archive_entry_gid(ae);
	if (strcmp(x->path, ".") == 0 && x->type != ENT_DIR) /* no writer can name it either */
		return source_layer_fail(&L->base, "entry '%s': names the top of the layer, which "
				       "is a directory", raw);
	place(L, x, i);
	count(L->rep, x);
	if (x->type != ENT_FILE)
		return 0;
	xattr_blob(&L->side[i]);
	report_bytes(L->rep, x->size);
	return 0;
}

int source_layer_add(struct source *s, struct archive_entry *ae)
{
	struct lsource *L = L_OF(s);
	const char *raw = archive_entry_pathname(ae), *why = NULL;
	char *path;
	int rc;

	if (!raw) {
		archive_entry_free(ae);
		return source_layer_fail(s, "an entry has no readable name");
	}
	path = path_normalize(raw, true, &why);
	if (!path) {
		rc = source_layer_fail(s, "entry '%s': %s leaves the layer", raw, why);
		archive_entry_free(ae);
		return rc;
	}
	if (strlen(path) >= PATH_MAX) {
		/* no file system takes it; and each check of its directories
		 * costs its length again (bounded so) */
		rc = source_layer_fail(s, "entry '%.100s...': a name of %zu bytes, longer than "
				       "PATH_MAX (%d)", path, strlen(path), PATH_MAX);
		free(path);
		archive_entry_free(ae);
		return rc;
	}
	/* raw points into ae, which the new entry owns from here on */
	rc = add_named(L, ae, raw, path);
	if (rc == 0 && s->ents.v[s->ents.n - 1].type == ENT_FILE) {
		L->cur = s->ents.n - 1;
		L->pos = 0;
		L->size = s->ents.v[L->cur].size;
		L->side[L->cur].off = spool_begin(&L->spool);
		L->hashed = 0;
		if (L->h)
			XXH3_128bits_reset(L->h);
	}
	return rc;
}

/* ---- content --------------------------------------------------------------------- */

/* Hash one piece of the content the way dedup_digest_of() hashes a whole
 * buffer: the first DEDUP_BLOCK bytes apart, then everything. */
static void hash_piece(struct lsource *L, struct lside *x, const unsigned char *p, size_t k)
{
	size_t i = 0;

	if (L->hashed < DEDUP_BLOCK) {
		i = k < DEDUP_BLOCK - L->hashed ? k : (size_t)(DEDUP_BLOCK - L->hashed);
		XXH3_128bits_update(L->h, p, i);
		L->hashed += i;
		if (L->hashed == DEDUP_BLOCK || L->hashed == L->size)
			x->dg.head = XXH3_128bits_digest(L->h);
	}
	XXH3_128bits_update(L->h, p + i, k - i);
}

int source_layer_data(struct source *s, const void *p, size_t len)
{
	struct lsource *L = L_OF(s);
	struct entry *x = &s->ents.v[L->cur];
	struct lside *sd = &L->side[L->cur];
	size_t k;

	if (!L->pos) { /* the head: what it may be */
		if (!p || !strip_candidate(p, len))
			x->flags |= ENT_NOT_ELF;
		sd->dg.elf_so = p && len && dedup_is_elf_so(p, len);
	}
	L->pos += len;
	if (L->h) /* a hole hashes as the zeros it reads as */
		for (k = 0; k < len; k += sizeof(zeros))
			hash_piece(L, sd, p ? (const unsigned char *)p + k : zeros,
				   len - k < sizeof(zeros) ? len - k : sizeof(zeros));
	if (p ? spool_write(&L->spool, p, len, &L->err) : spool_skip(&L->spool, len, &L->err))
		return -1;
	return 0;
}

int source_layer_data_tree(struct source *s, int fd, const struct stat *st)
{
	struct lsource *L = L_OF(s);
	struct entry *x = &s->ents.v[L->cur];
	struct lside *sd = &L->side[L->cur];
	unsigned char head[64];
	ssize_t k = pread(fd, head, sizeof(head), 0);

	if (k < 0)
		return source_layer_fail(s, "cannot read '%s': %s", x->path, strerror(errno));
	if (!strip_candidate(head, (size_t)k))
		x->flags |= ENT_NOT_ELF;
	sd->dg.elf_so = k > 0 && dedup_is_elf_so(head, (size_t)k);
	sd->tree = true;
	sd->dev = st->st_dev;
	sd->ino = st->st_ino;
	sd->mtime = st->st_mtim;
	/* no hash: dedup reads only the files that have a size twin */
	L->pos = (uint64_t)st->st_size;
	return 0;
}

void source_layer_set_root(struct source *s, int rootfd)
{
	L_OF(s)->rootfd = rootfd;
}

/* Open content c that is still the tree's file, checked to be the file
 * read when it was packed (same inode, size and time).  The fd, or -1
 * with e set. */
static int tree_open(const struct lsource *L, size_t c, struct err *e)
{
	const struct lside *sd = &L->side[c];
	const char *path = L->base.ents.v[c].path;
	struct stat st;
	int fd = fsu_open_beneath(L->rootfd, path, O_RDONLY | O_NONBLOCK, L->o->xdev);

	if (fd < 0) {
		err_errno(e, errno, "cannot open '%s'", path);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != sd->dev ||
	    st.st_ino != sd->ino || (uint64_t)st.st_size != sd->len ||
	    st.st_mtim.tv_sec != sd->mtime.tv_sec || st.st_mtim.tv_nsec != sd->mtime.tv_nsec) {
		err_set(e, "'%s' changed after it was read", path);
		close(fd);
		return -1;
	}
	return fd;
}

int source_layer_open(const struct source *s, size_t c, struct source_file *f, struct err *e)
{
	const struct lsource *L = L_OF(s);

	*f = (struct source_file)SOURCE_FILE_INIT;
	f->size = L->side[c].len;
	if (!L->side[c].tree) {
		f->fd = L->spool.fd;
		f->off = L->side[c].off;
		return 0;
	}
	f->fd = tree_open(L, c, e);
	f->own = true;
	return f->fd < 0 ? -1 : 0;
}

bool source_layer_in_spool(const struct source *s, size_t c)
{
	return !L_OF(s)->side[c].tree;
}

void source_layer_done(struct source *s)
{
	struct lsource *L = L_OF(s);
	struct lside *sd = &L->side[L->cur];

	sd->len = L->pos;
	s->ents.v[L->cur].size = L->pos;
	if (!L->pos)
		s->ents.v[L->cur].flags |= ENT_NOT_ELF;
	if (!L->h || sd->tree)
		return;
	if (!L->pos)
		sd->dg.head = XXH3_128bits_digest(L->h);
	sd->dg.full = XXH3_128bits_digest(L->h);
	sd->dg.size = L->pos;
	sd->dg_valid = true;
}

/* ---- the final state ---------------------------------------------------------------- */

/* The latest entry of the nearest directory of path the layer has. */
static uint32_t nearest_parent(const struct lsource *L, const char *path, struct buf *b)
{
	char *slash;
	uint32_t k = ENT_NONE;

	buf_setlen(b, 0);
	buf_adds(b, path);
	while (k == ENT_NONE && (slash = strrchr(b->p, '/'))) {
		buf_setlen(b, (size_t)(slash - b->p));
		k = pm_get(&L->map, L->base.ents.v, b->p);
	}
	return k;
}

/*
 * Entries a later entry removed with one of their directories (replaced by
 * a file, a symlink, ...) are not in the layer's final state: like an entry
 * of the same path replaced later, they are superseded, not written, and
 * nothing may link to them.
 */
void source_layer_finish(struct source *s)
{
	struct lsource *L = L_OF(s);
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < s->ents.n; i++) {
		struct entry *x = &s->ents.v[i];
		if (!(x->flags & ENT_GONE) && shadowed(L, i, &b))
			x->flags |= ENT_GONE;
		x->parent = nearest_parent(L, x->path, &b);
	}
	for (i = 0; i < s->ents.n; i++)
		if (s->ents.v[i].flags & ENT_GONE)
			report_superseded(L->rep, 1);
	buf_release(&b);
}

void source_layer_set_zip(struct source *s)
{
	s->zip = true;
}

struct archive_entry *source_layer_header(const struct source *s, size_t i)
{
	return L_OF(s)->side[i].ae;
}

void source_layer_region(const struct source *s, size_t i, uint64_t *off, uint64_t *len)
{
	*off = L_OF(s)->side[i].off;
	*len = L_OF(s)->side[i].len;
}

const struct spool *source_layer_spool(const struct source *s)
{
	return &L_OF(s)->spool;
}

/* ---- the source's operations ---------------------------------------------------------- */

/* The entry whose content i names. */
static size_t content_of(const struct source *s, size_t i)
{
	return s->ents.v[i].type == ENT_HARDLINK ? s->ents.v[i].link : i;
}

static int l_open(struct source *s, size_t i, struct source_file *f, struct err *e)
{
	size_t c = content_of(s, i);
	const struct entry *x = &s->ents.v[c];

	if (source_layer_open(s, c, f, e) != 0)
		return -1;
	f->st.st_ino = (ino_t)c + 1;
	f->st.st_nlink = 1;
	f->st.st_mode = x->mode;
	f->st.st_uid = x->uid;
	f->st.st_gid = x->gid;
	f->st.st_size = (off_t)f->size;
	/* a tree's file is one of its own: its time is checked after reading */
	f->st.st_mtim = L_OF(s)->side[c].tree ? L_OF(s)->side[c].mtime : f->st.st_mtim;
	return 0;
}

static int l_xattrs(struct source *s, size_t i, const struct source_file *f, struct buf *out,
		    struct err *e)
{
	const struct lside *x = &L_OF(s)->side[content_of(s, i)];

	(void)f;
	(void)e;
	buf_add(out, x->xattrs ? x->xattrs : "", x->xattrs_len);
	return 0;
}

static ssize_t l_read_head(struct source *s, size_t i, size_t max, unsigned char **buf)
{
	const struct lside *x = &L_OF(s)->side[content_of(s, i)];
	size_t n = x->len < max ? (size_t)x->len : max;
	struct source_file f;
	struct err e = ERR_INIT;
	int rc = source_layer_open(s, content_of(s, i), &f, &e);

	*buf = xmalloc(n + 1);
	if (rc == 0)
		rc = fsu_pread_all(f.fd, *buf, n, f.off);
	source_close(&f);
	err_release(&e);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return (ssize_t)n;
}

static const struct dedup_digest *l_digest(const struct source *s, size_t i)
{
	const struct lside *x = &L_OF(s)->side[content_of(s, i)];

	return x->dg_valid ? &x->dg : NULL;
}

static void l_ident(const struct source *s, size_t i, dev_t *dev, ino_t *ino)
{
	*dev = 0;
	*ino = (ino_t)content_of(s, i) + 1;
}

static uint32_t l_find(const struct source *s, const char *path)
{
	return pm_get(&L_OF(s)->map, s->ents.v, path);
}

static int l_put(struct source *s, size_t i, const struct content *c, struct err *e)
{
	struct lsource *L = L_OF(s);
	struct lside *x = &L->side[content_of(s, i)];
	uint64_t off;

	if (spool_put_content(&L->spool, c, &off, e) != 0)
		return -1;
	x->off = off;
	x->len = c->len;
	x->dg_valid = false;
	x->tree = false;
	return 0;
}

static void l_free(struct source *s)
{
	struct lsource *L = L_OF(s);
	size_t i;

	for (i = 0; i < s->ents.n; i++) {
		archive_entry_free(L->side[i].ae);
		free(L->side[i].xattrs);
	}
	free(L->side);
	free(L->map.slot);
	spool_close(&L->spool);
	if (L->rootfd >= 0)
		close(L->rootfd);
	XXH3_freeState(L->h);
	err_release(&L->err);
	entries_release(&s->ents);
	free(L);
}

static const struct source_ops layer_ops = {
	.open = l_open,
	.xattrs = l_xattrs,
	.read_head = l_read_head,
	.digest = l_digest,
	.ident = l_ident,
	.find = l_find,
	.put = l_put,
	.free = l_free,
};

struct source *source_layer_new(const struct slim_opts *o, struct report *rep, size_t chunk,
				struct err *e)
{
	struct lsource *L = xcalloc(1, sizeof(*L));

	L->base.ops = &layer_ops;
	L->base.chunk = chunk;
	L->base.max_view = o->max_entry;
	L->o = o;
	L->rep = rep;
	L->rootfd = -1;
	if (spool_open(&L->spool, e) != 0) {
		free(L);
		return NULL;
	}
	if (o->dedup != DEDUP_OFF) {
		L->h = XXH3_createState();
		if (!L->h)
			xoom();
	}
	return &L->base;
}

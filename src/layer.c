/* layer.c - a tar layer (or a directory) in, a tar layer out.
 *
 * Pass 1 reads every entry once: its header is kept (a libarchive entry
 * clone), its content is stripped in memory when it is an ELF file or an
 * archive, hashed for dedup, and appended to an unlinked spool file (zero
 * runs as holes); every byte read is charged to the input's bound.  Then
 * the decisions that need the whole layer are taken: later duplicates of a
 * path win (and take what was under a directory they replace), hard links
 * are resolved, a wheel's RECORD is rewritten, identical files are found.
 * Pass 2 writes the kept entries in their original order from the spool.
 */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include <xxhash.h>

#include "bound.h"
#include "fsutil.h"
#include "walk.h"

#define NONE ((size_t)-1)
/* I/O buffers: 1 MiB, or less for a small input (a wheel, a fuzz input)
 * whose tar stream is likely small too; only the number of calls changes. */
#define CHUNK_MAX (1u << 20)
#define CHUNK_MIN (64u << 10)
#define CHUNK (L->chunk)

enum ltype { L_FILE, L_DIR, L_SYMLINK, L_HARDLINK, L_OTHER };

struct lent {
	struct archive_entry *ae; /* header as read; owned */
	char *path;               /* normalized: no "./", no trailing '/' */
	enum ltype type;
	bool whiteout;            /* .wh.NAME or .wh..wh..opq */
	uint64_t off, len;        /* content in the spool */
	uint64_t orig;            /* size before stripping */
	struct dedup_digest dg;
	bool superseded;          /* a later entry has the same path */
	bool dropped;             /* by a rule */
	size_t nondir;            /* the latest of a path: the latest entry of that
				   path that is not a directory, or NONE */
	size_t target;            /* hard links: the entry they name */
	size_t dup_of;            /* dedup: the kept copy, or NONE */
	bool promoted;            /* hard link that takes its removed target's place */
	size_t heir;              /* removed file: the link promoted in its place */
	char *xattrs;             /* canonical xattr blob for dedup; NULL: none */
	size_t xattrs_len;
	/* what the strip pass did; reported once the rules have decided */
	bool candidate;
	enum strip_verdict sv;
	enum skip_reason sreason;
	char *serr;
	struct strip_members *sar;
};

struct pathmap {
	size_t *slot; /* entry index + 1; 0 empty */
	size_t cap;
};

struct layer {
	const struct slim_opts *o;
	struct report *rep;
	const char *input;
	const char *output;
	int compress;
	struct sha256_ctx sha; /* of the output tar stream: the diff_id */
	struct archive *inner; /* the compressing writer behind the tar writer */
	bool zip;              /* the input is a zip (a wheel): so is the output */
	struct lent *e;
	size_t n, cap;
	struct pathmap map;  /* path -> last entry with it */
	struct bound bound;  /* what the input may expand to (bound.h) */
	uint64_t in_size;    /* of the input file (0: a directory) */
	int spool;
	uint64_t spool_end;
	size_t chunk;        /* I/O buffer size (CHUNK) */
	struct buf msg;      /* fatal error of the whole layer */
};

/* ---- a small string -> index map ---------------------------------------- */

static size_t pm_find(const struct pathmap *m, const struct lent *e, const char *key, bool *found)
{
	size_t mask = m->cap - 1, i = XXH3_64bits(key, strlen(key)) & mask;

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

static void pm_put(struct pathmap *m, const struct lent *e, size_t n, size_t idx)
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

static size_t pm_get(const struct pathmap *m, const struct lent *e, const char *key)
{
	bool found;
	size_t i;

	if (!m->cap)
		return NONE;
	i = pm_find(m, e, key, &found);
	return found ? m->slot[i] - 1 : NONE;
}

/* ---- errors ---------------------------------------------------------------- */

static int fatal(struct layer *L, const char *fmt, ...) SLIM_PRINTF(2, 3);
static int fatal(struct layer *L, const char *fmt, ...)
{
	va_list ap;

	if (L->msg.len)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(&L->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- names ----------------------------------------------------------------- */

static bool is_whiteout(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, ".wh.", 4) == 0;
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
	const char *base = strrchr(path, '/'), *name;

	base = base ? base + 1 : path;
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
static const struct lent *through_nondir(struct layer *L, const char *path)
{
	struct buf b = BUF_INIT;
	const struct lent *hit = NULL;
	const char *s;

	for (s = strchr(path, '/'); s && !hit; s = strchr(s + 1, '/')) {
		size_t i;
		buf_setlen(&b, 0);
		buf_add(&b, path, (size_t)(s - path));
		i = pm_get(&L->map, L->e, b.p);
		if (i != NONE && L->e[i].type != L_DIR)
			hit = &L->e[i];
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
static bool shadowed(const struct layer *L, size_t t, struct buf *b)
{
	const char *path = L->e[t].path, *s;
	bool gone = false;

	for (s = strchr(path, '/'); s && !gone; s = strchr(s + 1, '/')) {
		size_t q;
		buf_setlen(b, 0);
		buf_add(b, path, (size_t)(s - path));
		q = pm_get(&L->map, L->e, b->p);
		gone = q != NONE && L->e[q].nondir != NONE && L->e[q].nondir > t;
	}
	return gone;
}

/* ---- the spool --------------------------------------------------------------- */

static int spool_open(struct layer *L)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];

	if (!dir || !*dir)
		dir = "/tmp";
	L->spool = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (L->spool >= 0)
		return 0;
	snprintf(tmpl, sizeof(tmpl), "%s/slim-spool.XXXXXX", dir);
	L->spool = mkostemp(tmpl, O_CLOEXEC);
	if (L->spool < 0)
		return fatal(L, "cannot create a spool file in %s: %s", dir, strerror(errno));
	unlink(tmpl);
	return 0;
}

/* What a hole reads as, a chunk at a time. */
static const unsigned char zeros[CHUNK_MAX];

static bool all_zero(const unsigned char *p, size_t n)
{
	return n && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Zero runs of at least this many bytes are left as holes in the spool. */
#define HOLE_MIN 4096u

static int spool_pwrite(struct layer *L, const unsigned char *c, size_t len, uint64_t at)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k = pwrite(L->spool, c + done, len - done, (off_t)(at + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return fatal(L, "cannot write the spool file: %s", strerror(errno));
		}
		done += (size_t)k;
	}
	return 0;
}

/*
 * Append len bytes to the spool (*off: where).  Runs of zeros (whole
 * HOLE_MIN blocks of the buffer) are left as holes, which read back as
 * zeros: a sparse entry, stripped or not, stays sparse (and a file of
 * zeros is not written out to the disk).  Data blocks usually start with
 * a non-zero byte, so telling them apart costs a compare.
 */
static int spool_write(struct layer *L, const void *p, size_t len, uint64_t *off)
{
	const unsigned char *c = p;
	size_t i = 0, j;

	*off = L->spool_end;
	while (i < len) {
		for (j = i; j < len && !(len - j >= HOLE_MIN && all_zero(c + j, HOLE_MIN));)
			j += len - j < HOLE_MIN ? len - j : HOLE_MIN;
		if (j > i && spool_pwrite(L, c + i, j - i, L->spool_end + i) != 0)
			return -1;
		for (i = j; len - i >= HOLE_MIN && all_zero(c + i, HOLE_MIN);)
			i += HOLE_MIN;
	}
	if (len && j < len) { /* ends in a hole: the file must reach past it */
		if (ftruncate(L->spool, (off_t)(L->spool_end + len)) != 0)
			return fatal(L, "cannot write the spool file: %s", strerror(errno));
	}
	L->spool_end += len;
	return 0;
}

/* Add a hole of len bytes to the spool (a sparse entry's). */
static int spool_skip(struct layer *L, size_t len)
{
	if (ftruncate(L->spool, (off_t)(L->spool_end + len)) != 0)
		return fatal(L, "cannot write the spool file: %s", strerror(errno));
	L->spool_end += len;
	return 0;
}

static int spool_read(const struct layer *L, void *p, size_t len, uint64_t off)
{
	unsigned char *c = p;
	size_t done = 0;

	while (done < len) {
		ssize_t k = pread(L->spool, c + done, len - done, (off_t)(off + done));
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}

/* ---- pass 1 ------------------------------------------------------------------ */

static void xattr_blob(struct lent *x)
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

static const struct strip_opts *entry_strip_opts(const struct layer *L, const char *path)
{
	static const struct strip_opts none;
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".ko") == 0)
		return &none;
	return &L->o->strip;
}

/* Strip data (if it is an ELF file or archive) and spool what stays. */
static int take_content(struct layer *L, struct lent *x, unsigned char *data, size_t len)
{
	struct strip_result sr = STRIP_RESULT_INIT;
	const unsigned char *keep = data;
	size_t keeplen = len;
	int rc;

	x->orig = len;
	x->sv = STRIP_SKIPPED;
	if (L->o->strip_on && strip_candidate(data, len)) {
		x->candidate = true;
		x->sv = strip_buffer(data, len, entry_strip_opts(L, x->path), &sr);
		x->sreason = sr.reason;
		if (x->sv == STRIP_CHANGED) {
			keep = sr.out;
			keeplen = sr.outlen;
		} else if (x->sv == STRIP_FAILED) {
			x->serr = xstrdup(sr.err.msg);
		}
		if (sr.archive) {
			x->sar = xmalloc(sizeof(*x->sar));
			*x->sar = sr.ar;
		}
	}
	if (L->o->dedup != DEDUP_OFF)
		dedup_digest_of(keep, keeplen, &x->dg);
	x->len = keeplen;
	rc = spool_write(L, keep, keeplen, &x->off);
	strip_result_release(&sr);
	return rc;
}

/*
 * An entry's content as libarchive hands it out: data blocks at offsets,
 * with holes between them (a sparse entry) and perhaps after the last.
 * Every byte, hole or data, is charged to the layer's bound as it is
 * handed on, so a sparse entry that claims a petabyte or a zip member that
 * inflates a thousandfold is stopped at the limit, not at the end.
 */
struct src {
	struct archive *a;
	const char *path;         /* for messages */
	uint64_t size;            /* declared (logical) size */
	uint64_t pos;             /* bytes handed on so far */
	const unsigned char *blk; /* the rest of the current block */
	size_t blklen;
	uint64_t blkoff;          /* its offset in the content */
	bool sparse;              /* the entry has a sparse map */
	bool eof;                 /* libarchive has no more blocks */
};

/* The start of an entry's content, read already, and the rest of it
 * (src), for an entry spooled in chunks (too big for the stripper, or of
 * no interest to it). */
struct stream {
	struct src *src;
	const unsigned char *head;
	size_t headlen;
};

static int stream_content(struct layer *L, struct lent *x, const struct stream *s);

/* Charge n bytes of the input (entry name: for the message). */
static int charge(struct layer *L, const char *name, uint64_t n)
{
	struct err e = ERR_INIT;
	int rc = 0;

	if (bound_charge(&L->bound, n, &e) != 0) {
		rc = fatal(L, "entry '%s': the layer %s", name, e.msg);
		err_release(&e);
	}
	return rc;
}

/* Refuse an entry whose declared size alone would pass the bound, before
 * anything is read, skipped or allocated for it (charged as it is read). */
static int bound_check(struct layer *L, const char *name, uint64_t n)
{
	struct bound b = L->bound;

	return bound_over(&b, n) ? charge(L, name, n) : 0;
}

/* Fetch the next block of s if the current one is used up. */
static int src_fill(struct layer *L, struct src *s)
{
	const void *b;
	size_t len;
	la_int64_t off;
	int r;

	while (!s->blklen && !s->eof) {
		r = archive_read_data_block(s->a, &b, &len, &off);
		if (r == ARCHIVE_EOF) {
			s->eof = true;
		} else if (r != ARCHIVE_OK) {
			return fatal(L, "entry '%s': %s", s->path,
				     archive_error_string(s->a) ? archive_error_string(s->a)
								: "cannot read the data");
		} else if (off < 0 || (uint64_t)off < s->pos) {
			return fatal(L, "entry '%s': data blocks out of order", s->path);
		} else {
			s->blk = b;
			s->blklen = len;
			s->blkoff = (uint64_t)off;
		}
	}
	return 0;
}

/*
 * The next piece of an entry's content, at most max bytes: data (*p) or a
 * hole (*p NULL: *n bytes that read as zeros).  *n is 0 at the end.
 * Returns 0, or -1 (the layer's error is set).
 */
static int src_next(struct layer *L, struct src *s, size_t max, const unsigned char **p, size_t *n)
{
	uint64_t left = s->size - s->pos;

	*p = NULL;
	*n = 0;
	if (!left)
		return 0;
	if (src_fill(L, s) != 0)
		return -1;
	if (s->blklen && s->blkoff > s->pos) { /* a hole before the block */
		uint64_t gap = s->blkoff - s->pos;
		*n = (size_t)(gap < left ? (gap < max ? gap : max) : (left < max ? left : max));
	} else if (s->blklen) {
		*n = s->blklen < max ? s->blklen : max;
		if (*n > left)
			*n = (size_t)left;
		*p = s->blk;
		s->blk += *n;
		s->blklen -= *n;
		s->blkoff += *n;
	} else if (s->sparse) { /* the rest is a hole */
		*n = (size_t)(left < max ? left : max);
	} else {
		return fatal(L, "entry '%s': data ends early", s->path);
	}
	s->pos += *n;
	return charge(L, s->path, *n);
}

/* Read the next n bytes of s into buf (holes as zeros). */
static int src_read(struct layer *L, struct src *s, unsigned char *buf, size_t n)
{
	size_t got = 0, k;
	const unsigned char *p;

	while (got < n) {
		if (src_next(L, s, n - got, &p, &k) != 0)
			return -1;
		if (!k)
			return fatal(L, "entry '%s': data ends early", s->path);
		if (p)
			memcpy(buf + got, p, k);
		else
			memset(buf + got, 0, k);
		got += k;
	}
	return 0;
}

/*
 * x's type.  A hard link must name a file that exists at this point of
 * the layer: the latest entry of that path, not since removed with a
 * directory of its path (GNU tar and container runtimes fail on one that
 * does not; slim refuses it rather than guess).
 */
static int classify(struct layer *L, struct lent *x, const char *raw)
{
	const char *link = archive_entry_hardlink(x->ae), *why = NULL;

	if (link) {
		char *t = path_normalize(link, true, &why);
		size_t ti = t ? pm_get(&L->map, L->e, t) : NONE;
		struct buf b = BUF_INIT;
		bool gone;
		free(t);
		if (ti == NONE || L->e[ti].type != L_FILE)
			return fatal(L, "entry '%s': hard link to '%s', which is not a file earlier in the layer",
				     raw, link);
		gone = shadowed(L, ti, &b);
		buf_release(&b);
		if (gone)
			return fatal(L, "entry '%s': hard link to '%s', which an entry after it removed "
				     "(with a directory of its path)", raw, link);
		x->type = L_HARDLINK;
		x->target = ti;
		return 0;
	}
	switch (archive_entry_filetype(x->ae)) {
	case AE_IFREG: x->type = L_FILE; break;
	case AE_IFDIR: x->type = L_DIR; break;
	case AE_IFLNK: x->type = L_SYMLINK; break;
	default: x->type = L_OTHER; break;
	}
	return 0;
}

/* Add one entry; ae is taken over.  Its content (files only) is data, or
 * comes from s when s is not NULL. */
static int add_entry(struct layer *L, struct archive_entry *ae, unsigned char *data, size_t len,
		     const struct stream *s)
{
	const char *raw = archive_entry_pathname(ae), *why = NULL;
	const struct lent *via;
	struct lent *x;
	char *path;
	size_t i;

	if (!raw) {
		archive_entry_free(ae);
		return fatal(L, "an entry has no readable name");
	}
	path = path_normalize(raw, true, &why);
	if (!path) {
		int rc = fatal(L, "entry '%s': %s leaves the layer", raw, why);
		archive_entry_free(ae);
		return rc;
	}
	if (!*path) { /* "./": the root itself */
		free(path);
		path = xstrdup(".");
	}
	xgrow(&L->e, &L->cap, L->n + 1, sizeof(*L->e));
	i = L->n;
	x = &L->e[L->n++];
	memset(x, 0, sizeof(*x));
	x->ae = ae;
	x->path = path;
	x->target = NONE;
	x->dup_of = NONE;
	x->heir = NONE;
	x->whiteout = is_whiteout(path);
	if (x->whiteout && (why = bad_whiteout(path)))
		return fatal(L, "entry '%s': %s", raw, why);
	if ((why = bad_owner(ae)))
		return fatal(L, "entry '%s': %s %lld out of range", raw, why,
			     (long long)(*why == 'u' ? archive_entry_uid(ae) : archive_entry_gid(ae)));
	if ((via = through_nondir(L, path)))
		return fatal(L, via->type == L_SYMLINK ? "entry '%s' goes through the symlink '%s'"
						       : "entry '%s' goes through '%s', which is not a directory",
			     raw, via->path);
	if (classify(L, x, raw) != 0)
		return -1;
	if (strcmp(path, ".") == 0 && x->type != L_DIR) /* no writer can name it either */
		return fatal(L, "entry '%s': names the top of the layer, which is a directory", raw);
	{
		size_t prev = pm_get(&L->map, L->e, path);
		x->nondir = x->type != L_DIR ? i : prev != NONE ? L->e[prev].nondir : NONE;
		if (prev != NONE)
			L->e[prev].superseded = true;
	}
	pm_put(&L->map, L->e, L->n, i);
	L->rep->seen++;
	switch (x->type) {
	case L_DIR: L->rep->dirs++; break;
	case L_SYMLINK: L->rep->symlinks++; break;
	case L_OTHER: L->rep->other++; break;
	default: L->rep->regular++; break;
	}
	if (x->type != L_FILE)
		return 0;
	xattr_blob(x);
	L->rep->bytes_before += s ? s->src->size : len;
	return s ? stream_content(L, x, s) : take_content(L, x, data, len);
}

/* Hash one piece of a streamed entry the way dedup_digest_of() hashes a
 * whole buffer: the first DEDUP_BLOCK bytes apart, then everything. */
static void hash_piece(struct lent *x, XXH3_state_t *h, uint64_t *hashed, uint64_t size,
		       const unsigned char *p, size_t k)
{
	size_t i = 0;

	if (*hashed < DEDUP_BLOCK) {
		i = k < DEDUP_BLOCK - *hashed ? k : (size_t)(DEDUP_BLOCK - *hashed);
		XXH3_128bits_update(h, p, i);
		*hashed += i;
		if (*hashed == DEDUP_BLOCK || *hashed == size)
			x->dg.head = XXH3_128bits_digest(h);
	}
	XXH3_128bits_update(h, p + i, k - i);
}

static int stream_content(struct layer *L, struct lent *x, const struct stream *s)
{
	XXH3_state_t *h = L->o->dedup != DEDUP_OFF ? XXH3_createState() : NULL;
	uint64_t hashed = 0, size = s->src->size;
	const unsigned char *p = s->head;
	size_t k = s->headlen;
	int rc = 0;

	x->orig = x->len = size;
	x->off = L->spool_end;
	x->sv = STRIP_SKIPPED;
	x->dg.elf_so = k && dedup_is_elf_so(p, k);
	if (h)
		XXH3_128bits_reset(h);
	while (k && !rc) {
		if (h) /* a hole hashes as the zeros it reads as */
			hash_piece(x, h, &hashed, size, p ? p : zeros, k);
		rc = p ? spool_write(L, p, k, &(uint64_t){ 0 }) : spool_skip(L, k);
		if (!rc)
			rc = src_next(L, s->src, CHUNK, &p, &k);
	}
	if (h) {
		if (!size)
			x->dg.head = XXH3_128bits_digest(h);
		x->dg.full = XXH3_128bits_digest(h);
		x->dg.size = size;
		XXH3_freeState(h);
	}
	return rc;
}

/*
 * One entry of the archive.  Its declared size is checked against the
 * bound first (a sparse entry's holes count); a regular file's content is
 * then read whole for the stripper (an ELF file or archive up to
 * --max-entry-size) or streamed to the spool.
 */
static int read_entry(struct layer *L, struct archive *a, struct archive_entry *ae,
		      unsigned char *head, unsigned char **data, size_t *cap)
{
	const char *name = archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "?";
	la_int64_t size = archive_entry_size(ae);
	bool reg = archive_entry_filetype(ae) == AE_IFREG && !archive_entry_hardlink(ae), cand;
	struct src s = { .a = a, .path = name, .size = (uint64_t)size,
			 .sparse = archive_entry_sparse_count(ae) > 0 };
	size_t headlen;
	int rc;

	if (size < 0 || (reg && !archive_entry_size_is_set(ae)))
		return fatal(L, "entry '%s': bad size", name);
	/* what is not read is skipped, which decompresses it as well */
	if (bound_check(L, name, (uint64_t)size) != 0)
		return -1;
	if (!reg)
		return add_entry(L, archive_entry_clone(ae), NULL, 0, NULL);
	headlen = s.size < CHUNK ? (size_t)s.size : CHUNK;
	if (src_read(L, &s, head, headlen) != 0)
		return -1;
	cand = L->o->strip_on && strip_candidate(head, headlen);
	if (cand && s.size <= L->o->max_entry) { /* the stripper wants it whole */
		if (s.size + 1 > *cap) {
			*cap = (size_t)s.size + 1;
			free(*data);
			*data = xmalloc(*cap);
		}
		memcpy(*data, head, headlen);
		if (src_read(L, &s, *data + headlen, (size_t)s.size - headlen) != 0)
			return -1;
		return add_entry(L, archive_entry_clone(ae), *data, (size_t)s.size, NULL);
	}
	rc = add_entry(L, archive_entry_clone(ae), NULL, 0,
		       &(struct stream){ &s, head, headlen });
	if (!rc && cand) {
		struct lent *x = &L->e[L->n - 1];
		x->candidate = true;
		x->sreason = SKIP_TOO_LARGE;
	}
	return rc;
}

static int read_archive(struct layer *L, uint64_t *tar_bytes)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	unsigned char *data = NULL, *head = xmalloc(CHUNK);
	size_t cap = 0;
	int r, rc = 0;

	bound_init(&L->bound, L->in_size, L->o->max_ratio);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, L->input, CHUNK) != ARCHIVE_OK) {
		rc = fatal(L, "%s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		/* headers, and what is skipped, count too: the stream moves */
		uint64_t pos = (uint64_t)archive_filter_bytes(a, 0), now;
		r = archive_read_next_header(a, &ae);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			break;
		now = (uint64_t)archive_filter_bytes(a, 0);
		if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
			L->zip = true;
		if ((now > pos && charge(L, archive_entry_pathname(ae) ? archive_entry_pathname(ae)
								       : "?", now - pos) != 0) ||
		    read_entry(L, a, ae, head, &data, &cap) != 0) {
			rc = -1;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		rc = fatal(L, "%s", archive_error_string(a) ? archive_error_string(a)
							     : "cannot read the layer");
	*tar_bytes = L->zip ? 0 : (uint64_t)archive_filter_bytes(a, 0);
out:
	free(data);
	free(head);
	archive_read_free(a);
	return rc;
}

/* ---- a directory as the source ----------------------------------------------- */

struct dirsrc {
	struct layer *L;
	int rootfd;
	struct archive_entry_linkresolver *lr;
	int rc;
};

static void dir_xattrs(int fd, struct archive_entry *ae)
{
	char *names = NULL, *val = NULL;
	ssize_t nl = flistxattr(fd, NULL, 0);
	const char *n;

	if (nl <= 0)
		return;
	names = xmalloc((size_t)nl);
	nl = flistxattr(fd, names, (size_t)nl);
	for (n = names; nl > 0 && n < names + nl; n += strlen(n) + 1) {
		ssize_t vl = fgetxattr(fd, n, NULL, 0);
		if (vl < 0)
			continue;
		val = xrealloc(val, (size_t)vl + 1);
		vl = fgetxattr(fd, n, val, (size_t)vl);
		if (vl >= 0)
			archive_entry_xattr_add_entry(ae, n, val, (size_t)vl);
	}
	free(names);
	free(val);
}

static enum walk_action dir_visit(void *ctx, const struct walk_entry *w)
{
	struct dirsrc *d = ctx;
	struct archive_entry *ae = archive_entry_new(), *spare = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	int fd = -1;

	if (S_ISSOCK(w->st->st_mode)) {
		/* a tar has no type for it; GNU tar says "socket ignored" too */
		d->L->rep->seen++;
		d->L->rep->other++;
		report_skip(d->L->rep, w->relpath, SKIP_SOCKET, 0);
		archive_entry_free(ae);
		return WALK_CONTINUE;
	}
	archive_entry_copy_stat(ae, w->st);
	archive_entry_copy_pathname(ae, w->relpath);
	if (S_ISLNK(w->st->st_mode)) {
		char t[PATH_MAX + 1];
		ssize_t k = readlinkat(w->dirfd, w->name, t, PATH_MAX);
		if (k < 0) {
			d->rc = fatal(d->L, "cannot read the symlink '%s': %s", w->relpath, strerror(errno));
			archive_entry_free(ae);
			return WALK_STOP;
		}
		t[k] = '\0';
		archive_entry_copy_symlink(ae, t);
	} else if (S_ISREG(w->st->st_mode) || S_ISDIR(w->st->st_mode)) {
		fd = openat(w->dirfd, w->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			d->rc = fatal(d->L, "cannot open '%s': %s", w->relpath, strerror(errno));
			archive_entry_free(ae);
			return WALK_STOP;
		}
		dir_xattrs(fd, ae);
	}
	/* second and later names of an inode become hard links */
	if (S_ISREG(w->st->st_mode))
		archive_entry_linkify(d->lr, &ae, &spare);
	if (ae && S_ISREG(w->st->st_mode) && !archive_entry_hardlink(ae)) {
		struct err e = ERR_INIT;
		if (fsu_read_all(fd, (size_t)w->st->st_size, &data, &e) != 0) {
			d->rc = fatal(d->L, "cannot read '%s': %s", w->relpath, e.msg);
			err_release(&e);
			archive_entry_free(ae);
			close(fd);
			return WALK_STOP;
		}
		len = (size_t)w->st->st_size;
	}
	if (fd >= 0)
		close(fd);
	if (ae && add_entry(d->L, ae, data, len, NULL) != 0)
		d->rc = -1;
	free(data);
	return d->rc ? WALK_STOP : WALK_CONTINUE;
}

static void dir_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct dirsrc *d = ctx;

	d->rc = fatal(d->L, "'%s': %s: %s", relpath, what, strerror(errnum));
}

static int read_dir(struct layer *L)
{
	struct dirsrc d = { .L = L };
	struct walk_opts wo = { .xdev = L->o->xdev, .visit = dir_visit, .error = dir_error, .ctx = &d };

	d.rootfd = open(L->input, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.rootfd < 0)
		return fatal(L, "cannot open: %s", strerror(errno));
	d.lr = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(d.lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	walk_tree(d.rootfd, &wo);
	archive_entry_linkresolver_free(d.lr);
	close(d.rootfd);
	return d.rc;
}

/*
 * Entries a later entry removed with one of their directories (replaced by
 * a file, a symlink, ...) are not in the layer's final state: like an entry
 * of the same path replaced later, they are superseded, not written, and
 * nothing may link to them.
 */
static void mark_shadowed(struct layer *L)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < L->n; i++)
		if (!L->e[i].superseded && shadowed(L, i, &b))
			L->e[i].superseded = true;
	buf_release(&b);
}

/* ---- who owns what ------------------------------------------------------- */

/* Distributions (from RECORD files) and npm packages, for grouping. */
static void find_owners(struct layer *L)
{
	size_t i, n;

	for (i = 0; i < L->n; i++) {
		const struct lent *x = &L->e[i];
		unsigned char *data;
		n = strlen(x->path);
		if (x->superseded)
			continue;
		if (x->type == L_DIR)
			report_owner_from_path(L->rep, x->path);
		if (x->type != L_FILE || n < 17 || strcmp(x->path + n - 17, ".dist-info/RECORD") != 0)
			continue;
		data = xmalloc(x->len + 1);
		if (spool_read(L, data, x->len, x->off) == 0)
			report_owners_from_record(L->rep, x->path, (char *)data, x->len);
		free(data);
	}
}

/* ---- decisions that need the whole layer --------------------------------- */

static bool gone(const struct lent *x)
{
	return x->superseded || x->dropped;
}

static enum rules_type rules_type_of(const struct lent *x)
{
	if (x->whiteout)
		return RT_WHITEOUT;
	switch (x->type) {
	case L_FILE:
	case L_HARDLINK: return RT_FILE;
	case L_DIR: return RT_DIR;
	case L_SYMLINK: return RT_SYMLINK;
	default: return RT_OTHER;
	}
}

struct rules_ctx {
	struct layer *L;
	size_t *ix; /* rules entry -> layer entry */
};

static ssize_t read_spooled(void *ctx, size_t i, size_t max, unsigned char **buf)
{
	struct rules_ctx *c = ctx;
	const struct lent *x = &c->L->e[c->ix[i]];
	size_t n;

	if (x->type == L_HARDLINK)
		x = &c->L->e[x->target];
	n = x->len < max ? (size_t)x->len : max;
	*buf = xmalloc(n + 1);
	if (spool_read(c->L, *buf, n, x->off) != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return (ssize_t)n;
}

/* The removal rules, over the entries that will be written. */
static int apply_rules(struct layer *L, int **rule_of)
{
	struct rules_ctx c = { .L = L, .ix = xmalloc((L->n ? L->n : 1) * sizeof(size_t)) };
	struct rules_entry *ents = xcalloc(L->n ? L->n : 1, sizeof(*ents));
	struct rules_verdict *v;
	struct err e = ERR_INIT;
	size_t i, n = 0;
	int rc = 0;

	*rule_of = xcalloc(L->n ? L->n : 1, sizeof(int));
	for (i = 0; i < L->n; i++) {
		(*rule_of)[i] = -1;
		if (L->e[i].superseded || strcmp(L->e[i].path, ".") == 0)
			continue;
		c.ix[n] = i;
		ents[n].path = L->e[i].path;
		ents[n].type = rules_type_of(&L->e[i]);
		ents[n].size = L->e[i].len;
		n++;
	}
	v = xcalloc(n ? n : 1, sizeof(*v));
	if (rules_decide(L->o->rules, ents, n, read_spooled, &c, v, &e) != 0) {
		rc = fatal(L, "%s", e.msg);
		err_release(&e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct lent *x = &L->e[c.ix[i]];
		x->dropped = v[i].rule >= 0;
		(*rule_of)[c.ix[i]] = v[i].rule;
		if (v[i].kept_on_purpose)
			report_kept(L->rep, x->path, v[i].why ? v[i].why : "kept");
	}
out:
	free(v);
	free(ents);
	free(c.ix);
	return rc;
}

/* The entry whose removal takes x with it: its highest dropped ancestor
 * present in the layer, or x itself. */
static size_t removal_top(const struct layer *L, size_t i)
{
	struct buf p = BUF_INIT;
	size_t top = i;

	buf_adds(&p, L->e[i].path);
	for (;;) {
		char *slash = strrchr(p.p, '/');
		size_t k;
		if (!slash)
			break;
		buf_setlen(&p, (size_t)(slash - p.p));
		k = pm_get(&L->map, L->e, p.p);
		if (k != NONE && L->e[k].dropped)
			top = k;
	}
	buf_release(&p);
	return top;
}

/* Report what the rules removed, one line per removed subtree. */
static void report_rules(struct layer *L, const int *rule_of)
{
	uint64_t *files = xcalloc(L->n ? L->n : 1, sizeof(*files));
	uint64_t *bytes = xcalloc(L->n ? L->n : 1, sizeof(*bytes));
	size_t i;

	for (i = 0; i < L->n; i++) {
		const struct lent *x = &L->e[i];
		size_t t;
		if (!x->dropped)
			continue;
		t = removal_top(L, i);
		if (x->type == L_FILE || x->type == L_HARDLINK)
			files[t]++;
		/* a file whose hard link survives keeps its bytes */
		if (x->type == L_FILE && x->heir == NONE)
			bytes[t] += x->orig;
	}
	for (i = 0; i < L->n; i++)
		if (L->e[i].dropped && removal_top(L, i) == i)
			report_removed(L->rep, L->e[i].path, rules_name(L->o->rules, rule_of[i]),
				       files[i], bytes[i]);
	free(files);
	free(bytes);
}

/* What the strip pass did to the entries whose content is written. */
static void report_strip(struct layer *L)
{
	size_t i;

	for (i = 0; i < L->n; i++) {
		const struct lent *x = &L->e[i];
		const char *path = x->path;
		if (!x->candidate)
			continue;
		if (gone(x)) {
			if (x->heir == NONE)
				continue;
			path = L->e[x->heir].path;
		}
		L->rep->elf++;
		if (x->sar)
			report_archive(L->rep, x->sar, x->sv == STRIP_CHANGED);
		if (x->sv == STRIP_CHANGED)
			report_change(L->rep, path, "strip", x->orig, x->len);
		else if (x->sv == STRIP_SKIPPED)
			report_skip(L->rep, path, x->sreason, x->orig);
		else
			report_error(L->rep, path, x->serr ? x->serr : "cannot strip");
	}
}

/* Hard links whose file is gone: the first becomes the file, the others
 * link to it. */
static void resolve_links(struct layer *L)
{
	size_t i;

	for (i = 0; i < L->n; i++) {
		struct lent *x = &L->e[i], *t;
		if (x->type != L_HARDLINK || gone(x))
			continue;
		t = &L->e[x->target];
		if (!gone(t))
			continue;
		if (t->heir != NONE) {
			x->target = t->heir;
		} else {
			x->promoted = true;
			t->heir = i;
		}
	}
}

/*
 * The report's bytes describe the layer's final state, what extraction
 * gives and the output holds: a file a later entry replaces is not in it
 * (its bytes were counted as it was read), unless a hard link of it
 * survives and carries them.
 */
static void count_final(struct layer *L)
{
	size_t i;

	for (i = 0; i < L->n; i++) {
		const struct lent *x = &L->e[i];
		if (x->type == L_FILE && x->superseded && x->heir == NONE)
			L->rep->bytes_before -= x->orig;
	}
}

/* Content of a file entry, following a promoted link to its data. */
static const struct lent *data_of(const struct layer *L, const struct lent *x)
{
	return x->promoted ? &L->e[x->target] : x;
}

/* Order of candidates: by everything that must match, then layer order. */
static int key_cmp(const struct lent *x, const struct lent *y)
{
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(&x->dg.full, &y->dg.full, sizeof(x->dg.full))))
		return c;
	if (archive_entry_mode(x->ae) != archive_entry_mode(y->ae))
		return archive_entry_mode(x->ae) < archive_entry_mode(y->ae) ? -1 : 1;
	if (archive_entry_uid(x->ae) != archive_entry_uid(y->ae))
		return archive_entry_uid(x->ae) < archive_entry_uid(y->ae) ? -1 : 1;
	if (archive_entry_gid(x->ae) != archive_entry_gid(y->ae))
		return archive_entry_gid(x->ae) < archive_entry_gid(y->ae) ? -1 : 1;
	if (x->xattrs_len != y->xattrs_len)
		return x->xattrs_len < y->xattrs_len ? -1 : 1;
	return x->xattrs_len ? memcmp(x->xattrs, y->xattrs, x->xattrs_len) : 0;
}

static int cmp_dup(const void *a, const void *b, void *ctx)
{
	const struct layer *L = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = key_cmp(&L->e[i], &L->e[j]);

	return c ? c : (i < j ? -1 : 1);
}

static bool same_bytes(const struct layer *L, const struct lent *a, const struct lent *b,
		       unsigned char *buf)
{
	uint64_t off;

	for (off = 0; off < a->len;) {
		size_t k = a->len - off < CHUNK ? (size_t)(a->len - off) : CHUNK;
		if (spool_read(L, buf, k, a->off + off) || spool_read(L, buf + CHUNK, k, b->off + off) ||
		    memcmp(buf, buf + CHUNK, k) != 0)
			return false;
		off += k;
	}
	return true;
}

/* Identical files of the layer become hard links to the first of them (in
 * the layer's order, so that every link follows its target). */
static void dedup_layer(struct layer *L)
{
	size_t *ix = xmalloc((L->n ? L->n : 1) * sizeof(*ix)), n = 0, i, j;
	unsigned char *buf = xmalloc(2 * (size_t)CHUNK);

	for (i = 0; i < L->n; i++) {
		const struct lent *x = &L->e[i];
		if (x->type == L_FILE && !gone(x) && !x->whiteout && x->len && x->heir == NONE)
			ix[n++] = i;
	}
	qsort_r(ix, n, sizeof(*ix), cmp_dup, L);
	for (i = 0; i < n; i = j) {
		struct lent *k = &L->e[ix[i]];
		uint64_t copies = 0;
		bool link = L->o->dedup == DEDUP_LINK && (!k->dg.elf_so || L->o->dedup_elf) &&
			    !L->zip; /* a zip has no hard links: report only */
		for (j = i + 1; j < n; j++) {
			struct lent *c = &L->e[ix[j]];
			if (key_cmp(k, c) != 0)
				break;
			if (!same_bytes(L, k, c, buf))
				continue;
			copies++;
			if (link) {
				c->dup_of = ix[i];
				report_change(L->rep, c->path, "dedup", c->len, 0);
			}
		}
		if (!copies)
			continue;
		L->rep->dup_groups++;
		if (link) {
			L->rep->dup_files_linked += copies;
			L->rep->dup_bytes_saved += copies * k->len;
		} else if (k->dg.elf_so && !L->o->dedup_elf) {
			L->rep->dup_elf_groups++;
			L->rep->dup_elf_bytes += copies * k->len;
		}
		report_dup(L->rep, k->path, k->len, copies, link, k->dg.elf_so);
	}
	free(buf);
	free(ix);
}

/* ---- pass 2 ------------------------------------------------------------------ */

static int want_compress(const struct slim_opts *o, const char *p)
{
	size_t n = strlen(p);

	if (o->compress != COMPRESS_AUTO)
		return o->compress;
	if ((n > 4 && !strcmp(p + n - 4, ".zst")) || (n > 5 && !strcmp(p + n - 5, ".tzst")))
		return COMPRESS_ZSTD;
	if ((n > 3 && !strcmp(p + n - 3, ".gz")) || (n > 4 && !strcmp(p + n - 4, ".tgz")))
		return COMPRESS_GZIP;
	return COMPRESS_NONE;
}

/* The compressing writer: raw format (bytes pass through) and a filter. */
static int setup_inner(struct layer *L, struct archive *w)
{
	char num[32];

	archive_write_set_format_raw(w);
	switch (L->compress) {
	case COMPRESS_ZSTD:
		archive_write_add_filter_zstd(w);
		snprintf(num, sizeof(num), "%d", L->o->level ? L->o->level : 3);
		if (archive_write_set_filter_option(w, "zstd", "compression-level", num) != ARCHIVE_OK)
			return fatal(L, "invalid zstd level %s", num);
		snprintf(num, sizeof(num), "%d", L->o->jobs);
		archive_write_set_filter_option(w, "zstd", "threads", num);
		break;
	case COMPRESS_GZIP:
		archive_write_add_filter_gzip(w);
		/* no name, no time: the same input gives the same bytes */
		archive_write_set_filter_option(w, "gzip", "timestamp", NULL);
		if (L->o->level) {
			snprintf(num, sizeof(num), "%d", L->o->level);
			if (archive_write_set_filter_option(w, "gzip", "compression-level", num) !=
			    ARCHIVE_OK)
				return fatal(L, "invalid gzip level %s", num);
		}
		break;
	default:
		archive_write_add_filter_none(w);
		break;
	}
	archive_write_set_bytes_per_block(w, 0);
	return 0;
}

/* The tar writer hands every byte of the tar stream here: hash it (the
 * layer's diff_id), then compress it. */
static la_ssize_t tar_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct layer *L = ctx;
	la_ssize_t k;

	(void)a;
	sha256_update(&L->sha, len, buf);
	k = archive_write_data(L->inner, buf, len);
	if (k < 0 || (size_t)k != len) {
		fatal(L, "cannot write '%s': %s", L->output, archive_error_string(L->inner));
		return -1;
	}
	return k;
}

/* Is [off, off + len) of the spool a hole (left by spool_write)? */
static bool spool_is_hole(const struct layer *L, uint64_t off, size_t len)
{
	off_t d = lseek(L->spool, (off_t)off, SEEK_DATA);

	return (d < 0 && errno == ENXIO) || (d >= 0 && (uint64_t)d >= off + len);
}

/*
 * A sparse entry stays sparse: the output entry oe (whose size is set)
 * gets the data regions of src's content as the spool holds them (its
 * holes were left as holes there), found with SEEK_DATA and SEEK_HOLE.
 * The tar writer then writes GNU sparse PAX 1.0, which GNU tar, Go's
 * archive/tar and Python's tarfile extract; a file system that does not
 * report holes gives one region, and a plain entry.
 */
static void spool_map(const struct layer *L, const struct lent *src, struct archive_entry *oe)
{
	uint64_t pos = src->off, end = src->off + src->len;
	bool any = false;

	while (pos < end) {
		off_t d = lseek(L->spool, (off_t)pos, SEEK_DATA), h;
		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0)
			d = (off_t)pos; /* holes unknown here: all data */
		if ((uint64_t)d >= end)
			break;
		h = lseek(L->spool, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > end)
			h = (off_t)end;
		archive_entry_sparse_add_entry(oe, (la_int64_t)((uint64_t)d - src->off),
					       (la_int64_t)((uint64_t)h - (uint64_t)d));
		any = true;
		pos = (uint64_t)h;
	}
	if (!any) /* all hole: one empty region at the end, as GNU tar writes it */
		archive_entry_sparse_add_entry(oe, (la_int64_t)src->len, 0);
}

static int write_data(struct layer *L, struct archive *w, const struct lent *src, unsigned char *buf)
{
	uint64_t off;

	for (off = 0; off < src->len;) {
		size_t k = src->len - off < CHUNK ? (size_t)(src->len - off) : CHUNK;
		const unsigned char *p = buf;
		/* a hole is not read: the kernel would zero a page for each */
		if (k >= 4096 && spool_is_hole(L, src->off + off, k))
			p = zeros;
		else if (spool_read(L, buf, k, src->off + off) != 0)
			return fatal(L, "cannot read the spool file: %s", strerror(errno));
		if (archive_write_data(w, p, k) != (la_ssize_t)k)
			return fatal(L, "cannot write '%s': %s", src->path, archive_error_string(w));
		off += k;
	}
	return 0;
}

static void clamp(const struct slim_opts *o, struct archive_entry *ae)
{
	if (!o->clamp_mtime)
		return;
	if (archive_entry_mtime(ae) > o->mtime)
		archive_entry_set_mtime(ae, o->mtime, 0);
	if (archive_entry_atime_is_set(ae) && archive_entry_atime(ae) > o->mtime)
		archive_entry_set_atime(ae, o->mtime, 0);
	if (archive_entry_ctime_is_set(ae) && archive_entry_ctime(ae) > o->mtime)
		archive_entry_set_ctime(ae, o->mtime, 0);
}

/* Is path a wheel's RECORD ("NAME-VER.dist-info/RECORD" at the top)? */
static bool is_record(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash && strcmp(slash, "/RECORD") == 0 && slash - path > 10 &&
	       strncmp(slash - 10, ".dist-info", 10) == 0;
}

/* "sha256=" + urlsafe base64 without padding, as RECORD wants. */
static void record_hash(const struct layer *L, const struct lent *x, struct buf *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *buf = xmalloc(CHUNK), d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	uint64_t off;
	size_t i;

	sha256_init(&c);
	for (off = 0; off < x->len;) {
		size_t k = x->len - off < CHUNK ? (size_t)(x->len - off) : CHUNK;
		if (spool_read(L, buf, k, x->off + off) != 0)
			break;
		sha256_update(&c, k, buf);
		off += k;
	}
	sha256_digest(&c, sizeof(d), d);
	free(buf);
	buf_adds(out, "sha256=");
	for (i = 0; i < sizeof(d); i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (i + 1 < sizeof(d) ? (unsigned)d[i + 1] << 8 : 0) |
			     (i + 2 < sizeof(d) ? d[i + 2] : 0);
		buf_addch(out, b64[v >> 18 & 63]);
		buf_addch(out, b64[v >> 12 & 63]);
		if (i + 1 < sizeof(d))
			buf_addch(out, b64[v >> 6 & 63]);
		if (i + 2 < sizeof(d))
			buf_addch(out, b64[v & 63]);
	}
}

/*
 * One CSV field of RECORD at p (before end), as Python's csv module reads
 * it: plain up to ',' or the end of the line, or quoted ("..." with ""
 * for a quote; commas and newlines inside are the field's).  Its value
 * goes to val; returns where it stops (a ',', a line end, or end).
 */
static const char *csv_field(const char *p, const char *end, struct buf *val)
{
	buf_setlen(val, 0);
	if (p < end && *p == '"') {
		for (p++; p < end; p++) {
			if (*p == '"' && (p + 1 == end || p[1] != '"')) {
				p++;
				break;
			}
			p += *p == '"'; /* "" */
			buf_addch(val, *p);
		}
	}
	for (; p < end && *p != ',' && *p != '\n' && *p != '\r'; p++)
		buf_addch(val, *p);
	return p;
}

/* The entry a RECORD line names, if it is a file slim changed or removed. */
static const struct lent *record_target(const struct layer *L, const char *name)
{
	const char *why;
	char *path = path_normalize(name, true, &why);
	size_t k = path ? pm_get(&L->map, L->e, path) : NONE;

	free(path);
	if (k == NONE || L->e[k].type != L_FILE || is_record(L->e[k].path))
		return NULL;
	return gone(&L->e[k]) || L->e[k].len != L->e[k].orig ? &L->e[k] : NULL;
}

/*
 * A wheel's RECORD after slim: removed files leave it, changed files get
 * their new hash and size, every other line (RECORD's own, unhashed,
 * included) stays as it was, byte for byte.  Lines are CSV records: a
 * path may be quoted, with doubled quotes, commas or newlines in it.
 * Returns whether anything changed.
 */
static bool rewrite_record(const struct layer *L, const struct lent *rec, struct buf *out)
{
	char *data = xmalloc(rec->len + 1);
	const char *p = data, *end = data + rec->len;
	struct buf name = BUF_INIT, rest = BUF_INIT;
	bool changed = false;

	if (spool_read(L, data, rec->len, rec->off) != 0)
		end = data;
	while (p < end) {
		const char *start = p, *f1, *eol;
		const struct lent *t;
		p = f1 = csv_field(p, end, &name);
		while (p < end && *p == ',')
			p = csv_field(p + 1, end, &rest);
		eol = p;
		p += p < end && *p == '\r';
		p += p < end && *p == '\n';
		if (!(t = record_target(L, name.p))) {
			buf_add(out, start, (size_t)(p - start));
			continue;
		}
		changed = true;
		if (gone(t))
			continue; /* removed: not listed any more */
		buf_add(out, start, (size_t)(f1 - start));
		buf_addch(out, ',');
		record_hash(L, t, out);
		buf_addf(out, ",%llu", (unsigned long long)t->len);
		buf_add(out, eol, (size_t)(p - eol));
	}
	buf_release(&name);
	buf_release(&rest);
	free(data);
	return changed;
}

/*
 * A wheel's RECORDs are rewritten (rewrite_record) once every decision is
 * taken and before anything is reported or written: the new bytes take the
 * old ones' place in the spool, and the change is reported, so that a dry
 * run reports what a real run writes, byte for byte.
 */
static int update_records(struct layer *L)
{
	struct buf rec = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < L->n && !rc; i++) {
		struct lent *x = &L->e[i];
		if (!L->zip || x->type != L_FILE || gone(x) || !is_record(x->path))
			continue;
		buf_setlen(&rec, 0);
		if (!rewrite_record(L, x, &rec))
			continue;
		rc = spool_write(L, rec.p, rec.len, &x->off);
		x->len = rec.len;
		if (L->o->dedup != DEDUP_OFF)
			dedup_digest_of(rec.p, rec.len, &x->dg);
		report_change(L->rep, x->path, "record", x->orig, x->len);
	}
	buf_release(&rec);
	return rc;
}

static int write_entries(struct layer *L, struct archive *w)
{
	unsigned char *buf = xmalloc(CHUNK);
	size_t i;
	int rc = 0;

	for (i = 0; i < L->n && !rc; i++) {
		const struct lent *x = &L->e[i], *src = NULL;
		struct archive_entry *oe;

		if (gone(x))
			continue;
		oe = archive_entry_clone(x->ae);
		/* the input's sparse map describes the input's bytes, not these */
		archive_entry_sparse_clear(oe);
		clamp(L->o, oe);
		if (x->type == L_FILE && x->dup_of != NONE) {
			archive_entry_set_hardlink(oe, archive_entry_pathname(L->e[x->dup_of].ae));
			archive_entry_set_size(oe, 0);
		} else if (x->type == L_FILE) {
			src = x;
		} else if (x->type == L_HARDLINK && x->promoted) {
			archive_entry_set_hardlink(oe, NULL);
			archive_entry_set_filetype(oe, AE_IFREG);
			src = data_of(L, x);
		} else if (x->type == L_HARDLINK) {
			const struct lent *t = &L->e[x->target];
			if (t->dup_of != NONE)
				t = &L->e[t->dup_of];
			archive_entry_set_hardlink(oe, archive_entry_pathname(t->ae));
			archive_entry_set_size(oe, 0);
		}
		if (src) {
			archive_entry_set_size(oe, (la_int64_t)src->len);
			if (!L->zip && archive_entry_sparse_count(src->ae) > 0)
				spool_map(L, src, oe);
		}
		if (archive_write_header(w, oe) < ARCHIVE_WARN)
			rc = fatal(L, "cannot write '%s': %s", x->path, archive_error_string(w));
		else if (src)
			rc = write_data(L, w, src, buf);
		archive_entry_free(oe);
	}
	free(buf);
	return rc;
}

/* The writers: tar (hashed) into a compressor, or zip for a wheel. */
static int open_writers(struct layer *L, int fd, struct archive **wp, struct archive **inp)
{
	struct archive *w = archive_write_new(), *in = NULL;
	struct archive_entry *raw;

	*wp = w;
	if (L->zip) {
		archive_write_set_format_zip(w);
		archive_write_set_format_option(w, "zip", "compression", "deflate");
		if (archive_write_open_fd(w, fd) != ARCHIVE_OK)
			return fatal(L, "cannot write '%s': %s", L->output, archive_error_string(w));
		return 0;
	}
	in = archive_write_new();
	*inp = in;
	if (setup_inner(L, in) != 0)
		return -1;
	raw = archive_entry_new();
	archive_entry_set_filetype(raw, AE_IFREG);
	if (archive_write_open_fd(in, fd) != ARCHIVE_OK || archive_write_header(in, raw) != ARCHIVE_OK) {
		archive_entry_free(raw);
		return fatal(L, "cannot write '%s': %s", L->output, archive_error_string(in));
	}
	archive_entry_free(raw);
	L->inner = in;
	sha256_init(&L->sha);
	archive_write_set_format_pax_restricted(w);
	/* SCHILY.xattr only: what GNU tar, Docker and containers/storage read */
	archive_write_set_format_option(w, "pax", "xattrheader", "SCHILY");
	archive_write_add_filter_none(w);
	if (archive_write_open2(w, L, NULL, tar_out, NULL, NULL) != ARCHIVE_OK)
		return fatal(L, "cannot write '%s': %s", L->output, archive_error_string(w));
	return 0;
}

/*
 * Write the layer to L->output through a temporary name, or, for a dry
 * run or an audit (no output), to /dev/null: the sizes, compressed ones
 * included, are then exactly those a real run would give.
 */
static int write_layer(struct layer *L, struct layer_result *res)
{
	bool sink = L->o->dry_run || !L->output;
	const char *out = L->output ? L->output : "(audit)", *base = out;
	struct archive *w = NULL, *in = NULL;
	char tmp[FSU_TMPNAME_MAX];
	int dirfd = -1, fd = -1, rc = -1;

	if (sink) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	} else {
		dirfd = fsu_open_dir_of(out, &base);
		if (dirfd < 0)
			return fatal(L, "cannot open the directory of '%s': %s", out, strerror(errno));
		/* a fresh name, O_EXCL | O_NOFOLLOW: never someone else's file */
		fd = fsu_tmp_create(dirfd, tmp, O_WRONLY, 0666);
	}
	if (fd < 0) {
		sink = true; /* nothing of ours to remove */
		fatal(L, "cannot create '%s': %s", out, strerror(errno));
		goto out;
	}
	if (open_writers(L, fd, &w, &in) != 0 || write_entries(L, w) != 0)
		goto out;
	if (archive_write_close(w) != ARCHIVE_OK || L->msg.len) {
		fatal(L, "cannot write '%s': %s", out, archive_error_string(w));
		goto out;
	}
	if (in) {
		res->tar_out = (uint64_t)archive_filter_bytes(w, -1);
		sha256_digest(&L->sha, sizeof(res->diff_id), res->diff_id);
		if (archive_write_close(in) != ARCHIVE_OK) {
			fatal(L, "cannot write '%s': %s", out, archive_error_string(in));
			goto out;
		}
		res->file_out = (uint64_t)archive_filter_bytes(in, -1);
	} else {
		res->file_out = (uint64_t)archive_filter_bytes(w, -1);
	}
	if (!sink && (fsync(fd) != 0 || close(fd) != 0)) {
		fd = -1;
		fatal(L, "cannot write '%s': %s", out, strerror(errno));
		goto out;
	}
	if (!sink)
		fd = -1;
	if (!sink && renameat(dirfd, tmp, dirfd, base) != 0) {
		fatal(L, "cannot rename to '%s': %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (w)
		archive_write_free(w);
	if (in)
		archive_write_free(in);
	L->inner = NULL;
	if (fd >= 0)
		close(fd);
	if (rc && !sink)
		unlinkat(dirfd, tmp, 0);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/* ---- the run -------------------------------------------------------------------- */

bool layer_detect(const char *path)
{
	unsigned char h[512];
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	k = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (k < 6)
		return false;
	return (h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) ||   /* zip, wheel */
	       (h[0] == 0x1f && h[1] == 0x8b) ||                           /* gzip */
	       (h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd) || /* zstd */
	       (h[0] == 0xfd && memcmp(h + 1, "7zXZ", 4) == 0) ||              /* xz */
	       (h[0] == 'B' && h[1] == 'Z' && h[2] == 'h') ||                 /* bzip2 */
	       (k >= 263 && memcmp(h + 257, "ustar", 5) == 0);                 /* tar */
}

static void layer_release(struct layer *L)
{
	size_t i;

	for (i = 0; i < L->n; i++) {
		archive_entry_free(L->e[i].ae);
		free(L->e[i].path);
		free(L->e[i].xattrs);
		free(L->e[i].serr);
		free(L->e[i].sar);
	}
	free(L->e);
	free(L->map.slot);
	if (L->spool >= 0)
		close(L->spool);
	buf_release(&L->msg);
}

int layer_process(const struct slim_opts *o, const char *input, const char *output, int compress,
		  struct report *rep, struct layer_result *res)
{
	struct layer L = { .o = o, .rep = rep, .input = input, .output = output,
			   .compress = compress, .spool = -1, .msg = BUF_INIT };
	struct stat st;
	int *rule_of = NULL;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	rep->layer = true;
	if (stat(input, &st) != 0) {
		report_error(rep, input, strerror(errno));
		return -1;
	}
	L.in_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	L.chunk = CHUNK_MAX;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < CHUNK_MAX / 4)
		L.chunk = (uint64_t)st.st_size * 4 < CHUNK_MIN ? CHUNK_MIN : (size_t)st.st_size * 4;
	rc = spool_open(&L);
	if (!rc)
		rc = S_ISDIR(st.st_mode) ? read_dir(&L) : read_archive(&L, &res->tar_in);
	if (!rc) {
		mark_shadowed(&L);
		for (i = 0; i < L.n; i++)
			if (L.e[i].superseded)
				rep->superseded++;
		find_owners(&L);
		if (o->rules)
			rc = apply_rules(&L, &rule_of);
	}
	if (!rc) {
		resolve_links(&L);
		count_final(&L);
		if (o->rules)
			report_rules(&L, rule_of);
		report_strip(&L);
		rc = update_records(&L);
	}
	if (!rc) {
		if (o->dedup != DEDUP_OFF)
			dedup_layer(&L);
		rc = write_layer(&L, res);
	}
	free(rule_of);
	if (rc) {
		report_error(rep, input, L.msg.len ? L.msg.p : "cannot process the layer");
	} else {
		res->file_in = S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
		rep->tar_before += res->tar_in;
		rep->comp_before += res->file_in;
		rep->tar_after += res->tar_out;
		rep->comp_after += res->file_out;
	}
	layer_release(&L);
	return rc;
}

static bool is_zip(const char *path)
{
	unsigned char h[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t k = fd >= 0 ? pread(fd, h, sizeof(h), 0) : -1;

	if (fd >= 0)
		close(fd);
	return k == (ssize_t)sizeof(h) && memcmp(h, "PK\3\4", 4) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

/*
 * A zip (a wheel) is written as a zip, deflated as a wheel is: OUT must be
 * named .whl or .zip, and --compress and --level, which choose a tar's
 * compression, do not apply.  A layer or a directory is written as a tar,
 * never under a zip's name.  Why o->output does not fit input, or NULL.
 */
static const char *output_misfit(const struct slim_opts *o, const char *input)
{
	bool zip_name = has_suffix(o->output, ".whl") || has_suffix(o->output, ".zip");

	if (!is_zip(input))
		return zip_name ? "a layer or directory is written as a tar: -o must not name a .whl "
				  "or .zip file" : NULL;
	if (!zip_name)
		return "a wheel or zip is written as a zip: -o must name a .whl or .zip file";
	if (o->compress != COMPRESS_AUTO || o->level)
		return "a wheel or zip is written deflated: --compress and --level do not apply";
	return NULL;
}

int layer_run(const struct slim_opts *o, const char *input, struct report *rep)
{
	struct layer_result res;
	const char *why;

	report_add_root(rep, input);
	/* refused before any work: a mismatch is a mistake, not a conversion */
	if (o->output && (why = output_misfit(o, input))) {
		report_error(rep, input, why);
		return -1;
	}
	/* an audit without -o measures what zstd (a zip: deflate) leaves */
	return layer_process(o, input, o->output,
			     o->output ? want_compress(o, o->output) : COMPRESS_ZSTD, rep, &res);
}

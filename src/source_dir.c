/* source_dir.c - a directory tree as a source: in place, or packed as a
 * layer. */
#include "source_dir.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bound.h"
#include "dedup.h"
#include "fsutil.h"
#include "source_layer.h"
#include "walk.h"

#define D_OF(s) ((struct source_dir *)(s))

struct source_dir *source_dir_of(struct source *s)
{
	return D_OF(s);
}

void source_dir_display(const struct source_dir *d, struct buf *out, const char *rel)
{
	buf_setlen(out, 0);
	if (d->single) {
		buf_adds(out, d->display_root);
		return;
	}
	if (*d->display_root) {
		buf_adds(out, d->display_root);
		if (out->len && out->p[out->len - 1] != '/')
			buf_addch(out, '/');
	}
	buf_adds(out, rel);
}

static void d_display(const struct source *s, const char *rel, struct buf *out)
{
	source_dir_display(D_OF(s), out, rel);
}

static void walk_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct source_dir *d = ctx;
	struct buf path = BUF_INIT, msg = BUF_INIT;

	source_dir_display(d, &path, relpath);
	buf_addf(&msg, "%s: %s", what, strerror(errnum));
	report_error(d->rep, path.p, msg.p);
	buf_release(&path);
	buf_release(&msg);
}

/* Record an entry; false (nothing recorded) past ENT_MAX entries. */
static bool add_rec(struct source_dir *d, const char *rel, const struct stat *st, int depth)
{
	mode_t m = st->st_mode;
	enum entry_type t = S_ISREG(m) ? ENT_FILE : S_ISDIR(m) ? ENT_DIR
			    : S_ISLNK(m) ? ENT_SYMLINK : ENT_OTHER;
	struct entry *x = entries_add(&d->base.ents, rel, t);
	size_t i = d->base.ents.n - 1;
	struct dir_side *sd;

	if (!x)
		return false;
	xgrow(&d->side, &d->capside, i + 1, sizeof(*d->side));
	sd = &d->side[i];
	sd->dev = st->st_dev;
	sd->ino = st->st_ino;
	sd->nlink = st->st_nlink < ENT_NONE ? (uint32_t)st->st_nlink : ENT_NONE;
	sd->next = ENT_NONE;
	x->size = (uint64_t)st->st_size;
	x->mode = st->st_mode;
	x->uid = st->st_uid;
	x->gid = st->st_gid;
	x->parent = depth > 1 ? d->dirs[depth - 2] : ENT_NONE;
	if (t == ENT_DIR) {
		xgrow(&d->dirs, &d->capdirs, (size_t)depth, sizeof(*d->dirs));
		d->dirs[depth - 1] = (uint32_t)i;
	}
	return true;
}

/* The walk is over: the arrays give back what they grew by. */
static void fit(struct source_dir *d)
{
	struct entries *t = &d->base.ents;
	size_t n = t->n ? t->n : 1;

	t->v = xrealloc(t->v, n * sizeof(*t->v));
	t->cap = n;
	if (d->side) {
		d->side = xrealloc(d->side, n * sizeof(*d->side));
		d->capside = n;
	}
	if (d->probes) {
		d->probes = xrealloc(d->probes, (d->nprobes ? d->nprobes : 1) * sizeof(*d->probes));
		d->capprobes = d->nprobes ? d->nprobes : 1;
	}
}

/* The walk's probe (in its threads): what dedup needs of the file. */
static void *probe(void *ctx, int fd, const struct stat *st, const unsigned char *head, size_t len)
{
	const struct source_dir *d = ctx;

	(void)fd;
	if ((uint64_t)st->st_size < d->probe_min)
		return NULL; /* dedup takes no file this small */
	return dedup_probe_head(st, head, len);
}

static void probe_free(void *ctx, void *obj)
{
	(void)ctx;
	free(obj);
}

/* A name slim itself made, left by a run that was killed: never an entry. */
static bool slims_own(struct source_dir *d, const struct walk_entry *e)
{
	unsigned long long ino;

	if (!S_ISREG(e->st->st_mode))
		return false;
	if (fsu_is_journal(e->name, &ino)) {
		xgrow(&d->journals, &d->capjournals, d->njournals + 1, sizeof(*d->journals));
		d->journals[d->njournals++] = xstrdup(e->relpath);
		return true;
	}
	if (!fsu_is_tmpname(e->name))
		return false;
	xgrow(&d->tmps, &d->captmps, d->ntmps + 1, sizeof(*d->tmps));
	d->tmps[d->ntmps].path = xstrdup(e->relpath);
	d->tmps[d->ntmps].dev = e->st->st_dev;
	d->tmps[d->ntmps++].ino = e->st->st_ino;
	return true;
}

static void count(struct report *rep, mode_t m)
{
	if (S_ISDIR(m))
		report_seen(rep, REPORT_DIR);
	else if (S_ISLNK(m))
		report_seen(rep, REPORT_SYMLINK);
	else if (S_ISREG(m))
		report_seen(rep, REPORT_REGULAR);
	else
		report_seen(rep, REPORT_OTHER); /* devices, fifos, sockets: left alone */
}

static enum walk_action visit(void *ctx, const struct walk_entry *e)
{
	struct source_dir *d = ctx;
	mode_t m = e->st->st_mode;
	struct dedup_probe *pr = e->probe; /* ours now; only regular files have one */
	struct entry *x;
	size_t i;

	if (slims_own(d, e)) {
		free(pr);
		return WALK_CONTINUE;
	}
	count(d->rep, m);
	if (!add_rec(d, e->relpath, e->st, e->depth)) {
		free(pr);
		walk_error(d, e->relpath, "too many entries: the walk stops here", EOVERFLOW);
		return WALK_STOP;
	}
	i = d->base.ents.n - 1;
	x = &d->base.ents.v[i];
	if (S_ISREG(m) && bound_sparse((uint64_t)e->st->st_blocks * 512, (uint64_t)e->st->st_size,
				       d->o->max_ratio)) {
		/* its probe read a head of holes; dedup and the rules read none */
		x->flags |= ENT_SPARSE;
	} else if (pr && pr->dev == e->st->st_dev && pr->ino == e->st->st_ino &&
		   pr->size == (uint64_t)e->st->st_size && pr->size >= d->probe_min) {
		/* kept only as what the record does not hold already */
		xgrow(&d->probes, &d->capprobes, d->nprobes + 1, sizeof(*d->probes));
		d->probes[d->nprobes++] = (struct dir_probe){
			.entry = (uint32_t)i,
			.head = pr->head,
			.mtime_sec = pr->mtime.tv_sec,
			.mtime_nsec = (uint32_t)pr->mtime.tv_nsec | (pr->elf_so ? DIR_PROBE_ELF_SO : 0),
		};
	}
	free(pr);
	if (S_ISREG(m) && e->headlen >= 0 && !strip_candidate(e->head, (size_t)e->headlen))
		x->flags |= ENT_NOT_ELF;
	return WALK_CONTINUE;
}

static int cmp_inode(const void *a, const void *b, void *ctx)
{
	const struct dir_side *side = ctx;
	const struct dir_side *x = &side[*(const size_t *)a], *y = &side[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Chain the names of each multiply-linked inode; the first name in walk
 * order carries the file, the others become hard links to it. */
static void d_ready(struct source *s)
{
	struct source_dir *d = D_OF(s);
	struct entry *v = s->ents.v;
	size_t *ix = NULL, n = 0, i, j;

	for (i = 0; i < s->ents.n; i++)
		if (v[i].type == ENT_FILE && d->side[i].nlink > 1)
			n++;
	if (n) {
		ix = xmalloc(n * sizeof(*ix));
		for (i = 0, j = 0; i < s->ents.n; i++)
			if (v[i].type == ENT_FILE && d->side[i].nlink > 1)
				ix[j++] = i;
		qsort_r(ix, n, sizeof(*ix), cmp_inode, d->side);
		for (i = 1; i < n; i++) {
			struct dir_side *p = &d->side[ix[i - 1]], *c = &d->side[ix[i]];
			if (p->dev == c->dev && p->ino == c->ino) {
				p->next = (uint32_t)ix[i];
				v[ix[i]].type = ENT_HARDLINK;
				v[ix[i]].link = v[ix[i - 1]].type == ENT_FILE ? (uint32_t)ix[i - 1]
									    : v[ix[i - 1]].link;
			}
		}
		free(ix);
	}
	for (i = 0; i < s->ents.n; i++)
		if (v[i].type == ENT_FILE)
			report_bytes(d->rep, v[i].size);
}

size_t source_dir_names(const struct source_dir *d, size_t leader)
{
	size_t n = 0, i;

	for (i = leader; i != ENT_NONE; i = d->side[i].next)
		n++;
	return n;
}

/* ---- reading --------------------------------------------------------------------- */

static int d_open(struct source *s, size_t i, struct source_file *f, struct err *e)
{
	struct source_dir *d = D_OF(s);

	*f = (struct source_file)SOURCE_FILE_INIT;
	f->fd = fsu_open_beneath(d->rootfd, s->ents.v[i].path, O_RDONLY | O_NONBLOCK, d->o->xdev);
	if (f->fd < 0) {
		err_errno(e, errno, "cannot open");
		return -1;
	}
	f->own = true;
	if (fstat(f->fd, &f->st) != 0) {
		err_errno(e, errno, "cannot stat");
		source_close(f);
		return -1;
	}
	f->size = (uint64_t)f->st.st_size;
	return 0;
}

static int d_xattrs(struct source *s, size_t i, const struct source_file *f, struct buf *out,
		    struct err *e)
{
	(void)s;
	(void)i;
	return fsu_read_xattrs(f->fd, out, e);
}

static ssize_t d_read_head(struct source *s, size_t i, size_t max, unsigned char **buf)
{
	struct source_dir *d = D_OF(s);
	int fd;
	ssize_t n;

	if (s->ents.v[i].flags & ENT_SPARSE) /* unreadable, for the rules and the owners */
		return -1;
	fd = fsu_open_beneath(d->rootfd, s->ents.v[i].path, O_RDONLY | O_NONBLOCK, d->o->xdev);
	if (fd < 0)
		return -1;
	n = fsu_read_head(fd, max, buf);
	close(fd);
	return n;
}

static void d_ident(const struct source *s, size_t i, dev_t *dev, ino_t *ino)
{
	const struct source_dir *d = D_OF(s);

	*dev = d->side[i].dev;
	*ino = d->side[i].ino;
}

/* The probe of entry i, if it has one.  Dedup asks in entry order, a
 * pass over the entries at a time: the first probe past this thread's
 * last answer is where to look first, else a binary search. */
static const struct dir_probe *find_probe(const struct source_dir *d, uint32_t i)
{
	static _Thread_local size_t next;
	size_t n = d->nprobes, k = next < n ? next : n, steps = 0, lo, hi;
	/* near: everything before k is of an entry < i */
	bool near = k == 0 || d->probes[k - 1].entry < i;

	while (near && k < n && d->probes[k].entry < i) {
		if (++steps > 4)
			near = false;
		else
			k++;
	}
	if (!near) { /* the first probe of an entry >= i */
		for (lo = 0, hi = n; lo < hi;) {
			size_t mid = lo + (hi - lo) / 2;

			if (d->probes[mid].entry < i)
				lo = mid + 1;
			else
				hi = mid;
		}
		k = lo;
	}
	if (k < n && d->probes[k].entry == i) {
		next = k + 1;
		return &d->probes[k];
	}
	next = k;
	return NULL;
}

static bool d_probe(const struct source *s, size_t i, struct dedup_probe *out)
{
	const struct source_dir *d = D_OF(s);
	const struct dir_probe *pr;

	if (!d->probes || i > UINT32_MAX)
		return false;
	pr = find_probe(d, (uint32_t)i);
	if (!pr)
		return false;
	out->dev = d->side[i].dev;
	out->ino = d->side[i].ino;
	out->size = s->ents.v[i].size;
	out->mtime.tv_sec = pr->mtime_sec;
	out->mtime.tv_nsec = pr->mtime_nsec & ~DIR_PROBE_ELF_SO;
	out->head = pr->head;
	out->elf_so = pr->mtime_nsec & DIR_PROBE_ELF_SO;
	return true;
}

/* Are there names of i's inode the walk did not see?  (As it saw them.) */
static bool d_outside(const struct source *s, size_t i)
{
	const struct source_dir *d = D_OF(s);
	size_t lead = s->ents.v[i].type == ENT_HARDLINK ? s->ents.v[i].link : i;

	return d->side[lead].nlink > source_dir_names(d, lead);
}

/* Dedup has taken what it needs of the walk's probes (32 bytes a file it
 * may take): they are read no more. */
static void d_drop_probes(struct source *s)
{
	struct source_dir *d = D_OF(s);

	free(d->probes);
	d->probes = NULL;
	d->nprobes = d->capprobes = 0;
}

static void d_free(struct source *s)
{
	struct source_dir *d = D_OF(s);
	size_t i;

	d_drop_probes(s);
	free(d->side);
	free(d->dirs);
	for (i = 0; i < d->ntmps; i++)
		free(d->tmps[i].path);
	free(d->tmps);
	for (i = 0; i < d->njournals; i++)
		free(d->journals[i]);
	free(d->journals);
	if (d->lockfd >= 0 && d->lockfd != d->rootfd)
		close(d->lockfd);
	if (d->rootfd >= 0)
		close(d->rootfd);
	entries_release(&s->ents);
	free(d);
}

static const struct source_ops dir_ops = {
	.open = d_open,
	.xattrs = d_xattrs,
	.read_head = d_read_head,
	.probe = d_probe,
	.ident = d_ident,
	.outside_names = d_outside,
	.drop_probes = d_drop_probes,
	.display = d_display,
	.ready = d_ready,
	.free = d_free,
};

/* ---- opening and walking ------------------------------------------------------------ */

/* Open the directory of a one-file root and the file (for its lock). */
static int open_single(struct source_dir *d, const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir;

	if (slash == path)
		dir = xstrdup("/");
	else if (slash)
		dir = strndup(path, (size_t)(slash - path));
	else
		dir = xstrdup(".");
	if (!dir)
		dir = xstrdup(".");
	d->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (d->rootfd < 0)
		return -1;
	/* the lock is the file's: a run over its directory does not wait */
	d->lockfd = openat(d->rootfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	d->single = true;
	return 0;
}

struct source *source_dir_open(const struct slim_opts *o, struct report *rep, const char *root,
			       struct err *e)
{
	struct source_dir *d = xcalloc(1, sizeof(*d));
	struct stat st;

	d->base.ops = &dir_ops;
	d->base.max_view = UINT64_MAX;
	d->base.chunk = 1u << 20;
	d->o = o;
	d->rep = rep;
	d->root = root;
	d->rootfd = d->lockfd = -1;
	d->display_root = strcmp(root, ".") == 0 ? "" : root;
	d->base.name = d->display_root;
	d->base.link_names = true;
	d->base.report_not_elf = true;
	if (stat(root, &st) != 0) {
		err_set(e, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		err_set(e, "not a directory or regular file");
		goto fail;
	}
	if (S_ISREG(st.st_mode) ? open_single(d, root) != 0
				: (d->rootfd = d->lockfd = open(root, O_RDONLY | O_DIRECTORY |
								O_CLOEXEC)) < 0) {
		err_set(e, "%s", strerror(errno));
		goto fail;
	}
	return &d->base;
fail:
	d_free(&d->base);
	return NULL;
}

struct source *source_dir_bare(const struct slim_opts *o, struct report *rep, int rootfd)
{
	struct source_dir *d = xcalloc(1, sizeof(*d));
	struct stat st;

	d->base.ops = &dir_ops;
	d->base.max_view = UINT64_MAX;
	d->base.chunk = 1u << 20;
	d->base.name = d->display_root = d->root = "";
	d->base.link_names = true;
	d->base.report_not_elf = true;
	d->o = o;
	d->rep = rep;
	d->rootfd = d->lockfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (d->rootfd >= 0 && fstat(d->rootfd, &st) == 0)
		d->root_dev = st.st_dev;
	return &d->base;
}

long source_dir_add(struct source *s, const char *path, const struct stat *st)
{
	struct source_dir *d = D_OF(s);
	const char *slash = strrchr(path, '/');
	uint32_t parent = ENT_NONE;
	size_t i, n = slash ? (size_t)(slash - path) : 0;

	/* the caller's entries need not come with their directories */
	for (i = s->ents.n; slash && i-- > 0;)
		if (s->ents.v[i].type == ENT_DIR && strncmp(s->ents.v[i].path, path, n) == 0 &&
		    s->ents.v[i].path[n] == '\0') {
			parent = (uint32_t)i;
			break;
		}
	if (!add_rec(d, path, st, 1))
		return -1;
	s->ents.v[s->ents.n - 1].parent = parent;
	return (long)s->ents.n - 1;
}

/* A one-file root: its only entry. */
static int scan_single(struct source_dir *d)
{
	const char *base = entry_base(d->root);
	struct stat st;

	if (fstatat(d->rootfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	report_seen(d->rep, REPORT_REGULAR);
	add_rec(d, base, &st, 1);
	return 0;
}

int source_dir_scan(struct source *s, struct err *e)
{
	struct source_dir *d = D_OF(s);
	const struct slim_opts *o = d->o;
	struct walk_opts wo = { .xdev = o->xdev, .jobs = o->jobs > 0 ? o->jobs : 1,
				.peek = true, .visit = visit, .error = walk_error, .ctx = d };
	struct stat st;

	if (o->dedup != DEDUP_OFF) { /* dedup's first look, while the walk has the file open */
		d->probe_min = dedup_min_size(o, true);
		wo.probe = probe;
		wo.probe_free = probe_free;
		wo.probe_len = DEDUP_BLOCK;
	}
	if (fstat(d->rootfd, &st) != 0) {
		err_set(e, "%s", strerror(errno));
		return -1;
	}
	d->root_dev = st.st_dev;
	if (d->single ? scan_single(d) != 0 : (walk_tree(d->rootfd, &wo), 0)) {
		err_set(e, "%s", strerror(errno));
		return -1;
	}
	fit(d);
	return 0;
}

/* ---- packed as a layer --------------------------------------------------------------- */

struct pack {
	struct source *s;
	const struct slim_opts *o;
	struct report *rep;
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

/* The header of w: its stat, its name, a symlink's target, xattrs (fd:
 * the file or directory, open).  -1 (the layer refused) on failure. */
static int pack_header(struct pack *p, const struct walk_entry *w, struct archive_entry *ae,
		       int *fd)
{
	archive_entry_copy_stat(ae, w->st);
	archive_entry_copy_pathname(ae, w->relpath);
	if (S_ISLNK(w->st->st_mode)) {
		char t[PATH_MAX + 1];
		ssize_t k = readlinkat(w->dirfd, w->name, t, PATH_MAX);
		if (k < 0)
			return source_layer_fail(p->s, "cannot read the symlink '%s': %s", w->relpath,
						 strerror(errno));
		t[k] = '\0';
		archive_entry_copy_symlink(ae, t);
	} else if (S_ISREG(w->st->st_mode) || S_ISDIR(w->st->st_mode)) {
		*fd = openat(w->dirfd, w->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (*fd < 0)
			return source_layer_fail(p->s, "cannot open '%s': %s", w->relpath,
						 strerror(errno));
		dir_xattrs(*fd, ae);
	}
	return 0;
}

static enum walk_action pack_visit(void *ctx, const struct walk_entry *w)
{
	struct pack *p = ctx;
	struct archive_entry *ae, *spare = NULL;
	bool reg, ok = false;
	int fd = -1;

	if (S_ISSOCK(w->st->st_mode)) {
		/* a tar has no type for it; GNU tar says "socket ignored" too */
		report_seen(p->rep, REPORT_OTHER);
		report_skip(p->rep, w->relpath, SKIP_SOCKET, 0);
		return WALK_CONTINUE;
	}
	ae = archive_entry_new();
	if (pack_header(p, w, ae, &fd) != 0)
		goto out;
	/* second and later names of an inode become hard links */
	if (S_ISREG(w->st->st_mode))
		archive_entry_linkify(p->lr, &ae, &spare);
	reg = ae && S_ISREG(w->st->st_mode) && !archive_entry_hardlink(ae);
	if (reg && bound_sparse((uint64_t)w->st->st_blocks * 512, (uint64_t)w->st->st_size,
				p->o->max_ratio)) {
		/* its holes would be read as data: the one bound (bound.h) */
		source_layer_fail(p->s, "cannot pack '%s': %llu bytes in %llu of blocks, more "
				  "than --max-ratio %u times (a sparse file; --max-ratio 0 packs it)",
				  w->relpath, (unsigned long long)w->st->st_size,
				  (unsigned long long)w->st->st_blocks * 512, p->o->max_ratio);
		goto out;
	}
	if (ae) {
		struct archive_entry *a = ae;
		ae = NULL; /* the source's now */
		/* the content stays in the tree: read for its head and hash only */
		if (source_layer_add(p->s, a) != 0 ||
		    (reg && source_layer_data_tree(p->s, fd, w->st) != 0))
			goto out;
		if (reg)
			source_layer_done(p->s);
	}
	ok = true;
out:
	if (!ok)
		p->rc = -1;
	archive_entry_free(ae);
	if (fd >= 0)
		close(fd);
	return p->rc ? WALK_STOP : WALK_CONTINUE;
}

static void pack_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct pack *p = ctx;

	p->rc = source_layer_fail(p->s, "'%s': %s: %s", relpath, what, strerror(errnum));
}

struct source *source_dir_pack(const struct slim_opts *o, struct report *rep, const char *root,
			       size_t chunk, struct err *e)
{
	struct pack p = { .o = o, .rep = rep };
	struct walk_opts wo = { .xdev = o->xdev, .visit = pack_visit, .error = pack_error, .ctx = &p };
	int rootfd;

	p.s = source_layer_new(o, rep, chunk, e);
	if (!p.s)
		return NULL;
	/* a tree's files are read whole as they are packed: no file of it is
	 * too large to strip (--max-entry-size is a tarball's) */
	p.s->max_view = UINT64_MAX;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		source_layer_fail(p.s, "cannot open: %s", strerror(errno));
		return p.s;
	}
	p.lr = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(p.lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	walk_tree(rootfd, &wo);
	archive_entry_linkresolver_free(p.lr);
	/* the files are read from the tree again when written */
	source_layer_set_root(p.s, rootfd);
	if (!p.rc)
		source_layer_finish(p.s);
	return p.s;
}

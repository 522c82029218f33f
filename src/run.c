/* run.c - directory mode: walk a tree, remove what the rules drop, strip
 * what can be stripped, link duplicates, commit in place (or nothing, for
 * a dry run), and fill the report.
 *
 * The walk records every entry (a small record each); names that share an
 * inode become one work item.  Worker threads process the items; each
 * keeps its results in its own record, and the report is filled from the
 * records in walk order afterwards, so the output does not depend on the
 * number of threads.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bound.h"
#include "container.h"
#include "fsutil.h"
#include "pool.h"
#include "walk.h"

/* "no record" in a rec's 32-bit index fields; a size_t loaded from one
 * compares equal to it */
#define NONE ((uint32_t)-1)
#define REC_MAX ((size_t)NONE - 1)

enum rec_state { R_OTHER = 0, R_CHANGED, R_SKIPPED, R_ERROR, R_FOLLOWER };

/* One per walked entry, so kept small: widest fields first, indices as
 * 32 bits (add_rec() refuses a tree of more entries). */
struct rec {
	char *path;       /* relative to the root; in run.paths */
	dev_t dev;
	ino_t ino;
	uint64_t size;
	uint64_t after;
	char *msg;        /* error message */
	struct strip_members *ar; /* archives: what happened to the members */
	struct dedup_digest *dg;  /* stripped: digest of the new content, for dedup */
	struct dedup_probe *probe; /* the walk's look at it, for dedup */
	uint32_t parent;    /* the directory holding it, or NONE at the top */
	uint32_t next_link; /* next name of the same inode, or NONE */
	uint32_t nlink;     /* saturates at UINT32_MAX */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint8_t type;     /* enum rules_type */
	uint8_t state;    /* enum rec_state */
	uint8_t reason;   /* enum skip_reason */
	bool dropped;     /* by a removal rule */
	bool candidate;   /* ELF or archive */
	bool not_candidate; /* the walk's peek says neither */
	bool sparse;      /* far larger than its blocks (bound_sparse): never read */
};

struct run {
	const struct slim_opts *o;
	struct report *rep;
	int rootfd;
	dev_t root_dev;
	int lockfd; /* holds the root's lock: rootfd, or a one-file root */
	const char *display_root; /* "" when paths are shown as they are */
	struct rec *recs;
	size_t nrecs, caprecs;
	struct strpool paths; /* the records' paths */
	size_t *work; /* indices of records to process */
	size_t nwork;
	atomic_size_t done;
	atomic_ullong saved;
	struct buf disp;
	bool single; /* root is one file */
	size_t *dirs; /* the walk's current directories, by depth */
	size_t capdirs;
	struct removal *removal; /* under way beside the strip pass */
	struct closer *closer; /* closes the originals the strip pass replaced */
	char **journals; /* ".slim-link-*.tmp" left by a killed run */
	size_t njournals, capjournals;
	struct { dev_t dev; ino_t ino; } *tmps_left; /* temp names not removed (dry run) */
	size_t ntmps_left, captmps_left;
	struct container_info ci; /* in a container build: files from lower layers */
	bool in_container;
	atomic_ullong lower_files, lower_bytes;
};

static void display_path(const struct run *r, struct buf *out, const char *rel)
{
	buf_setlen(out, 0);
	if (r->single) {
		buf_adds(out, r->display_root);
		return;
	}
	if (*r->display_root) {
		buf_adds(out, r->display_root);
		if (out->len && out->p[out->len - 1] != '/')
			buf_addch(out, '/');
	}
	buf_adds(out, rel);
}

static void walk_error(void *ctx, const char *relpath, const char *what, int errnum)
{
	struct run *r = ctx;
	struct buf msg = BUF_INIT;

	display_path(r, &r->disp, relpath);
	buf_addf(&msg, "%s: %s", what, strerror(errnum));
	report_error(r->rep, r->disp.p, msg.p);
	buf_release(&msg);
}

/* Record an entry; false (nothing recorded) past REC_MAX entries. */
static bool add_rec(struct run *r, const char *rel, const struct stat *st, int depth)
{
	struct rec *x;
	mode_t m = st->st_mode;

	if (r->nrecs >= REC_MAX)
		return false;
	xgrow(&r->recs, &r->caprecs, r->nrecs + 1, sizeof(*r->recs));
	x = &r->recs[r->nrecs++];
	memset(x, 0, sizeof(*x));
	x->path = strpool_dup(&r->paths, rel);
	x->dev = st->st_dev;
	x->ino = st->st_ino;
	x->size = (uint64_t)st->st_size;
	x->nlink = st->st_nlink < NONE ? (uint32_t)st->st_nlink : NONE;
	x->mode = st->st_mode;
	x->uid = st->st_uid;
	x->gid = st->st_gid;
	x->next_link = NONE;
	x->type = S_ISREG(m) ? RT_FILE : S_ISDIR(m) ? RT_DIR : S_ISLNK(m) ? RT_SYMLINK : RT_OTHER;
	x->parent = depth > 1 ? (uint32_t)r->dirs[depth - 2] : NONE;
	if (x->type == RT_DIR) {
		xgrow(&r->dirs, &r->capdirs, (size_t)depth, sizeof(*r->dirs));
		r->dirs[depth - 1] = r->nrecs - 1;
	}
	return true;
}

/* Remove a temporary file a killed run left (the walk may give no dirfd). */
static int remove_tmp(struct run *r, const struct walk_entry *e)
{
	const char *base;
	int dfd = e->dirfd, rc, saved;

	if (dfd >= 0)
		return unlinkat(dfd, e->name, 0);
	dfd = fsu_open_parent(r->rootfd, e->relpath, &base, r->o->xdev);
	if (dfd < 0)
		return -1;
	rc = unlinkat(dfd, base, 0);
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

/* The walk's probe (in its threads): what dedup needs of the file. */
static void *probe(void *ctx, int fd, const struct stat *st, const unsigned char *head, size_t len)
{
	(void)ctx;
	(void)fd;
	return dedup_probe_head(st, head, len);
}

static void probe_free(void *ctx, void *obj)
{
	(void)ctx;
	free(obj);
}

static enum walk_action visit(void *ctx, const struct walk_entry *e)
{
	struct run *r = ctx;
	mode_t m = e->st->st_mode;
	unsigned long long ino;
	struct dedup_probe *pr = e->probe; /* ours now; only regular files have one */

	if (S_ISREG(m) && fsu_is_journal(e->name, &ino)) {
		/* a killed run was moving hard links: finished after the walk */
		free(pr);
		xgrow(&r->journals, &r->capjournals, r->njournals + 1, sizeof(*r->journals));
		r->journals[r->njournals++] = xstrdup(e->relpath);
		return WALK_CONTINUE;
	}
	if (S_ISREG(m) && fsu_is_tmpname(e->name)) {
		/* left by a run that was killed: never a user's file */
		free(pr);
		r->rep->tmp_removed++;
		if (!r->o->dry_run && remove_tmp(r, e) == 0)
			return WALK_CONTINUE;
		if (!r->o->dry_run)
			walk_error(r, e->relpath, "cannot remove temporary file", errno);
		/* still a name of its file: a journal's proof counts it */
		xgrow(&r->tmps_left, &r->captmps_left, r->ntmps_left + 1, sizeof(*r->tmps_left));
		r->tmps_left[r->ntmps_left].dev = e->st->st_dev;
		r->tmps_left[r->ntmps_left++].ino = e->st->st_ino;
		return WALK_CONTINUE;
	}
	r->rep->seen++;
	if (S_ISDIR(m))
		r->rep->dirs++;
	else if (S_ISLNK(m))
		r->rep->symlinks++;
	else if (S_ISREG(m))
		r->rep->regular++;
	else
		r->rep->other++; /* devices, fifos, sockets: left alone */
	if (!add_rec(r, e->relpath, e->st, e->depth)) {
		free(pr);
		walk_error(r, e->relpath, "too many entries: the walk stops here", EOVERFLOW);
		return WALK_STOP;
	}
	r->recs[r->nrecs - 1].probe = pr;
	if (S_ISREG(m) && bound_sparse((uint64_t)e->st->st_blocks * 512, (uint64_t)e->st->st_size,
				       r->o->max_ratio)) {
		/* its probe read a head of holes; dedup and the rules read none */
		free(pr);
		r->recs[r->nrecs - 1].probe = NULL;
		r->recs[r->nrecs - 1].sparse = true;
	}
	if (S_ISREG(m) && e->headlen >= 0 && !strip_candidate(e->head, (size_t)e->headlen))
		r->recs[r->nrecs - 1].not_candidate = true;
	return WALK_CONTINUE;
}

static int cmp_inode(const void *a, const void *b, void *ctx)
{
	const struct rec *recs = ctx;
	const struct rec *x = &recs[*(const size_t *)a], *y = &recs[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Chain the names of each multiply-linked inode; the first name in walk
 * order leads.  Build the work list of leaders. */
static void group_links(struct run *r)
{
	size_t *ix = NULL, n = 0, i, j;

	for (i = 0; i < r->nrecs; i++)
		if (r->recs[i].type == RT_FILE && r->recs[i].nlink > 1)
			n++;
	if (n) {
		ix = xmalloc(n * sizeof(*ix));
		for (i = 0, j = 0; i < r->nrecs; i++)
			if (r->recs[i].type == RT_FILE && r->recs[i].nlink > 1)
				ix[j++] = i;
		qsort_r(ix, n, sizeof(*ix), cmp_inode, r->recs);
		for (i = 1; i < n; i++) {
			struct rec *p = &r->recs[ix[i - 1]], *c = &r->recs[ix[i]];
			if (p->dev == c->dev && p->ino == c->ino) {
				p->next_link = ix[i];
				c->state = R_FOLLOWER;
			}
		}
		free(ix);
	}
	for (i = 0; i < r->nrecs; i++)
		if (r->recs[i].type == RT_FILE && r->recs[i].state != R_FOLLOWER)
			r->rep->bytes_before += r->recs[i].size;
}

static bool looks_like_library(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	return (n > 2 && strcmp(base + n - 2, ".a") == 0) ||
	       (n > 3 && strcmp(base + n - 3, ".so") == 0) || strstr(base, ".so.") != NULL;
}

/* The strip pass's work: one name of every inode rules keep. */
static void make_work(struct run *r)
{
	size_t i;

	r->work = xmalloc((r->nrecs ? r->nrecs : 1) * sizeof(*r->work));
	r->nwork = 0;
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];
		if (x->type != RT_FILE || x->state == R_FOLLOWER || x->dropped || x->size < 8)
			continue;
		if (x->not_candidate) { /* the walk read its magic: nothing to strip */
			if (looks_like_library(x->path)) {
				r->recs[i].state = R_SKIPPED;
				r->recs[i].reason = SKIP_NOT_ELF;
			}
			continue;
		}
		if (x->sparse) { /* an ELF head, and then holes */
			r->recs[i].state = R_SKIPPED;
			r->recs[i].reason = SKIP_SPARSE;
			continue;
		}
		r->work[r->nwork++] = i;
	}
}

static size_t count_names(const struct run *r, size_t i)
{
	size_t n = 0;

	for (; i != NONE; i = r->recs[i].next_link)
		n++;
	return n;
}

/* Paths of separate debug files, which must never be stripped. */
static bool debug_path(const char *path)
{
	size_t n = strlen(path);

	return strncmp(path, "usr/lib/debug/", 14) == 0 || strstr(path, "/usr/lib/debug/") ||
	       (n > 6 && strcmp(path + n - 6, ".debug") == 0);
}

static void set_error(struct rec *x, const char *fmt, ...) SLIM_PRINTF(2, 3);
static void set_error(struct rec *x, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	x->state = R_ERROR;
	free(x->msg);
	x->msg = buf_detach(&b, NULL);
}

/* Point every other name of x's inode (old: its stat, as stripped) at the
 * new file. */
static void relink_followers(struct run *r, struct rec *x, int dirfd, const char *base,
			     const struct stat *old, ino_t newino)
{
	size_t k;

	for (k = x->next_link; k != NONE; k = r->recs[k].next_link) {
		struct rec *f = &r->recs[k];
		struct err e = ERR_INIT;
		const char *fbase;
		int fdir;

		if (f->dropped)
			continue;
		fdir = fsu_open_parent(r->rootfd, f->path, &fbase, r->o->xdev);

		if (fdir < 0) {
			set_error(f, "cannot open directory to relink: %s", strerror(errno));
			continue;
		}
		if (fsu_relink(dirfd, base, fdir, fbase, old, &e) != 0)
			set_error(f, "%s", e.msg);
		else
			f->ino = newino;
		err_release(&e);
		close(fdir);
	}
}

/* Kernel modules are ET_REL too: never stripped, even with --strip-objects. */
static const struct strip_opts *object_opts(const struct run *r, const char *path)
{
	static const struct strip_opts none;
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".ko") == 0)
		return &none;
	return &r->o->strip;
}

static void keep_members(struct rec *x, const struct strip_result *sr)
{
	if (!sr->archive)
		return;
	x->ar = xmalloc(sizeof(*x->ar));
	*x->ar = sr->ar;
}

struct strip_call {
	const unsigned char *data;
	size_t n;
	const struct strip_opts *o;
	struct strip_result *sr;
};

static void do_strip(void *ctx)
{
	struct strip_call *c = ctx;

	strip_buffer(c->data, c->n, c->o, c->sr);
}

static void process(void *ctx, size_t wi)
{
	struct run *r = ctx;
	struct rec *x = &r->recs[r->work[wi]];
	struct strip_result sr = STRIP_RESULT_INIT;
	struct err e = ERR_INIT;
	struct fsu_view view = { NULL, 0, false };
	struct strip_call call;
	unsigned char head[8];
	const char *base;
	struct stat st, nst;
	int dirfd = -1, fd;
	bool replaced = false;
	ssize_t k;

	fd = fsu_open_beneath(r->rootfd, x->path, O_RDONLY | O_NONBLOCK, r->o->xdev);
	if (fd < 0) {
		set_error(x, "cannot open: %s", errno == ENOENT ? "file vanished" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != x->ino ||
	    st.st_dev != x->dev) {
		set_error(x, "%s", "file was replaced during the run");
		goto out;
	}
	x->size = (uint64_t)st.st_size;
	k = pread(fd, head, sizeof(head), 0);
	if (k < 0) {
		set_error(x, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!strip_candidate(head, (size_t)k)) {
		if (looks_like_library(x->path)) {
			x->state = R_SKIPPED;
			x->reason = SKIP_NOT_ELF;
		}
		goto out;
	}
	x->candidate = true;
	if (debug_path(x->path)) {
		x->state = R_SKIPPED;
		x->reason = SKIP_DEBUG_FILE;
		goto out;
	}
	if (fsu_view_open(fd, (size_t)st.st_size, &view, &e) != 0) {
		set_error(x, "%s", e.msg);
		goto out;
	}
	call.data = view.p;
	call.n = view.n;
	call.o = object_opts(r, x->path);
	call.sr = &sr;
	if (fsu_guard(do_strip, &call) != 0) {
		sr = (struct strip_result)STRIP_RESULT_INIT; /* lost to the unwind */
		set_error(x, "%s", "file shrank while being read");
		goto out;
	}
	switch (sr.verdict) {
	case STRIP_SKIPPED:
		x->state = R_SKIPPED;
		x->reason = sr.reason;
		keep_members(x, &sr);
		goto out;
	case STRIP_FAILED:
		set_error(x, "%s", sr.err.msg);
		goto out;
	case STRIP_CHANGED:
		keep_members(x, &sr);
		break;
	}
	/* Rewriting would split links we cannot see: leave it whole. */
	if (st.st_nlink > count_names(r, (size_t)(x - r->recs))) {
		x->state = R_SKIPPED;
		x->reason = SKIP_LINKS_OUTSIDE;
		goto out;
	}
	if (r->in_container && container_from_lower(&r->ci, &st)) {
		atomic_fetch_add(&r->lower_files, 1);
		atomic_fetch_add(&r->lower_bytes, (unsigned long long)st.st_size);
	}
	if (!r->o->dry_run) {
		dirfd = fsu_open_parent(r->rootfd, x->path, &base, r->o->xdev);
		if (dirfd < 0) {
			set_error(x, "cannot open its directory: %s", strerror(errno));
			goto out;
		}
		char journal[64];
		bool linked = x->next_link != NONE;
		fsu_journal_name(journal, sizeof(journal), (unsigned long long)st.st_ino);
		if (fsu_replace_j(dirfd, base, fd, &st, sr.out, sr.outlen, linked ? journal : NULL,
				  &nst, &e) != 0) {
			set_error(x, "%s", e.msg);
			goto out;
		}
		replaced = true;
		x->ino = nst.st_ino;
		relink_followers(r, x, dirfd, base, &st, nst.st_ino);
		/* every name moved (or reported): the journal has done its job */
		if (linked)
			unlinkat(dirfd, journal, 0);
	}
	if (r->o->dedup != DEDUP_OFF) {
		/* dedup compares what was written without reading it back */
		x->dg = xmalloc(sizeof(*x->dg));
		dedup_digest_of(sr.out, sr.outlen, x->dg);
	}
	x->state = R_CHANGED;
	x->after = sr.outlen;
	atomic_fetch_add(&r->saved, (unsigned long long)(x->size - x->after));
out:
	if (view.p)
		fsu_view_close(&view);
	strip_result_release(&sr);
	err_release(&e);
	/* fd is the last reference to a replaced original: closing it frees
	 * its blocks, which may wait for the disk (pool.h) */
	if (replaced)
		closer_put(r->closer, fd);
	else if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	atomic_fetch_add(&r->done, 1);
}

static void tick(void *ctx)
{
	struct run *r = ctx;
	char saved[32];

	fmt_bytes(saved, sizeof(saved), atomic_load(&r->saved));
	fprintf(stderr, "\rslim: %zu/%zu files, %s %s ", atomic_load(&r->done), r->nwork,
		saved, r->o->dry_run ? "to save" : "saved");
	fflush(stderr);
}

static void collect(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nrecs; i++) {
		struct rec *x = &r->recs[i];

		display_path(r, &r->disp, x->path);
		if (x->candidate)
			r->rep->elf++;
		if (x->ar)
			report_archive(r->rep, x->ar, x->state == R_CHANGED);
		switch (x->state) {
		case R_CHANGED:
			report_change(r->rep, r->disp.p, "strip", x->size, x->after);
			break;
		case R_SKIPPED:
			report_skip(r->rep, r->disp.p, x->reason, x->size);
			break;
		case R_ERROR:
			report_error(r->rep, r->disp.p, x->msg);
			break;
		case R_OTHER:
		case R_FOLLOWER:
			break;
		}
	}
}

static void run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nrecs; i++) {
		free(r->recs[i].msg);
		free(r->recs[i].ar);
		free(r->recs[i].dg);
		free(r->recs[i].probe);
	}
	free(r->recs);
	strpool_release(&r->paths);
	free(r->work);
	free(r->dirs);
	for (i = 0; i < r->njournals; i++)
		free(r->journals[i]);
	free(r->journals);
	free(r->tmps_left);
	buf_release(&r->disp);
}

/* ---- the rules pass --------------------------------------------------- */

static ssize_t read_entry(void *ctx, size_t i, size_t max, unsigned char **buf)
{
	struct run *r = ctx;
	int fd;
	ssize_t n;

	if (r->recs[i].sparse) /* unreadable, for the rules and the owners */
		return -1;
	fd = fsu_open_beneath(r->rootfd, r->recs[i].path, O_RDONLY | O_NONBLOCK, r->o->xdev);
	if (fd < 0)
		return -1;
	n = fsu_read_head(fd, max, buf);
	close(fd);
	return n;
}

/* Are all names of x's inode dropped (so removing them frees its bytes)? */
static bool inode_dropped(const struct run *r, const struct rec *x)
{
	size_t k;

	if (x->state == R_FOLLOWER || !x->dropped)
		return false;
	for (k = x->next_link; k != NONE; k = r->recs[k].next_link)
		if (!r->recs[k].dropped)
			return false;
	return x->nlink <= count_names(r, (size_t)(x - r->recs));
}

/* Report what removing the dropped entry i (with its subtree) frees. */
static void report_entry_removed(struct run *r, size_t i, const char *rule)
{
	const struct rec *x = &r->recs[i];
	size_t plen = strlen(x->path), j;
	uint64_t files = 0, bytes = 0;

	for (j = i; j < r->nrecs; j++) {
		const struct rec *y = &r->recs[j];
		if (j > i && (strncmp(y->path, x->path, plen) != 0 || y->path[plen] != '/'))
			break;
		if (y->type != RT_FILE)
			continue;
		files++;
		if (inode_dropped(r, y))
			bytes += y->size;
	}
	display_path(r, &r->disp, x->path);
	report_removed(r->rep, r->disp.p, rule, files, bytes);
}

/*
 * Removal.  On many file systems an unlink waits on the device, not the CPU
 * (see pool_io_jobs), so the removers are more than the CPUs and the work
 * is cut finer than a dropped subtree: first every dropped
 * non-directory, in batches of names sharing a directory, then the dropped
 * directories, deepest first, each level at once.  A directory that is not
 * empty by then (something the walk did not see) is removed with its
 * contents; one holding an entry that could not be removed is left.
 */
#define REMOVE_BATCH 32

struct removal {
	const struct run *r;
	size_t *tops, ntops; /* the top of each dropped subtree, in walk order */
	size_t *top;         /* per record: the top of its dropped subtree */
	size_t *depth;       /* per record: its depth below that top */
	size_t *files, nfiles; /* phase 1: non-directories, by directory */
	size_t *cut, nbatches; /* batch k is files[cut[k] .. cut[k+1]) */
	size_t *dirs, ndirs;   /* phase 2: directories, deepest first */
	const size_t *idx;   /* what the running phase's jobs index */
	char **errs;         /* per record: why it could not be removed */
	bool *blocked;       /* per record: a directory holding what is left */
	int threads;
	pthread_t thread;
	bool threaded;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Is i on another file system than the one its removal happens on, that
 * of the directory holding its dropped subtree's top?  (Not the top's own:
 * a dropped directory that is a mount point has the mount's device.) */
static bool other_fs(const struct removal *m, size_t i)
{
	const struct run *r = m->r;
	uint32_t p = r->recs[m->top[i]].parent;

	return r->recs[i].dev != (p == NONE ? r->root_dev : r->recs[p].dev);
}

static void other_fs_error(struct removal *m, size_t i)
{
	struct err e = ERR_INIT;

	err_set(&e, "'%s' is another file system: left in place", m->r->recs[i].path);
	m->errs[i] = e.msg;
}

/* Phase 1 job: unlink one batch of names in one directory. */
static void unlink_batch(void *ctx, size_t k)
{
	struct removal *m = ctx;
	const struct run *r = m->r;
	size_t j, first = m->idx[m->cut[k]];
	const char *base;
	int dfd = fsu_open_parent(r->rootfd, r->recs[first].path, &base, r->o->xdev);
	int open_errno = errno;

	for (j = m->cut[k]; j < m->cut[k + 1]; j++) {
		size_t i = m->idx[j];
		struct err e = ERR_INIT;
		if (dfd < 0) {
			m->errs[i] = xstrdup(strerror(open_errno));
			continue;
		}
		base = base_name(r->recs[i].path);
		if (unlinkat(dfd, base, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			m->errs[i] = xstrdup(strerror(errno));
			continue;
		}
		/* a directory now, where the walk saw none */
		if (fsu_remove_tree(dfd, base, &e) != 0)
			m->errs[i] = xstrdup(e.msg);
		err_release(&e);
	}
	if (dfd >= 0)
		close(dfd);
}

/* Phase 2 job: remove the directory idx[k], empty by now if all went well. */
static void rmdir_job(void *ctx, size_t k)
{
	struct removal *m = ctx;
	const struct run *r = m->r;
	size_t i = m->idx[k];
	struct err e = ERR_INIT;
	const char *base;
	int dfd;

	if (m->blocked[i])
		return; /* what is left inside has its own error */
	if (other_fs(m, i)) {
		other_fs_error(m, i);
		return;
	}
	dfd = fsu_open_parent(r->rootfd, r->recs[i].path, &base, r->o->xdev);
	if (dfd < 0) {
		m->errs[i] = xstrdup(strerror(errno));
		return;
	}
	if (unlinkat(dfd, base, AT_REMOVEDIR) != 0 && errno != ENOENT) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			m->errs[i] = xstrdup(strerror(errno));
		else if (fsu_remove_tree(dfd, base, &e) != 0) /* what the walk did not see */
			m->errs[i] = xstrdup(e.msg);
	}
	err_release(&e);
	close(dfd);
}

/* Mark the parents of what could not be removed (in idx[from .. to)). */
static void block_parents(struct removal *m, size_t from, size_t to)
{
	const struct rec *recs = m->r->recs;
	size_t j;

	for (j = from; j < to; j++) {
		size_t i = m->idx[j];
		if ((m->errs[i] || m->blocked[i]) && m->top[i] != i)
			m->blocked[recs[i].parent] = true;
	}
}

static int cmp_parent(const void *a, const void *b, void *ctx)
{
	const struct rec *recs = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t pi = recs[i].parent + 1, pj = recs[j].parent + 1; /* NONE sorts first */

	if (pi != pj)
		return pi < pj ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int cmp_depth(const void *a, const void *b, void *ctx)
{
	const size_t *depth = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (depth[i] != depth[j])
		return depth[i] > depth[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Phases 1 and 2 (on a thread of their own while the strip pass runs). */
static void *removal_work(void *arg)
{
	struct removal *m = arg;
	size_t j, from;

	m->idx = m->files;
	pool_run(m->threads, m->nbatches, unlink_batch, m, NULL);
	block_parents(m, 0, m->nfiles);
	for (from = 0; from < m->ndirs; from = j) {
		for (j = from; j < m->ndirs && m->depth[m->dirs[j]] == m->depth[m->dirs[from]]; j++)
			;
		m->idx = m->dirs + from;
		pool_run(m->threads, j - from, rmdir_job, m, NULL);
		m->idx = m->dirs;
		block_parents(m, from, j);
	}
	return NULL;
}

/*
 * Start removing every dropped record (tops: the top of each dropped
 * subtree, in walk order; taken over).  Removal runs beside the strip pass,
 * which never touches a dropped name or anything beneath a dropped
 * directory; dedup waits for it (removal_finish), as it counts names.
 */
static void removal_start(struct run *r, size_t *tops, size_t ntops)
{
	size_t n = r->nrecs, i, j, nf = 0, nd = 0;
	struct removal *m = xcalloc(1, sizeof(*m));

	for (i = 0; i < n; i++)
		if (r->recs[i].dropped)
			*(r->recs[i].type == RT_DIR ? &nd : &nf) += 1;
	m->r = r;
	m->tops = tops;
	m->ntops = ntops;
	m->top = xmalloc(n * sizeof(*m->top));
	m->depth = xcalloc(n, sizeof(*m->depth));
	m->files = xmalloc((nf ? nf : 1) * sizeof(*m->files));
	m->dirs = xmalloc((nd ? nd : 1) * sizeof(*m->dirs));
	m->cut = xmalloc((nf + 1) * sizeof(*m->cut));
	m->errs = xcalloc(n, sizeof(char *));
	m->blocked = xcalloc(n, sizeof(bool));
	m->threads = pool_io_jobs(r->o->jobs);
	for (i = 0; i < n; i++) {
		const struct rec *x = &r->recs[i];
		bool is_top;
		if (!x->dropped)
			continue;
		is_top = x->parent == NONE || !r->recs[x->parent].dropped;
		m->top[i] = is_top ? i : m->top[x->parent];
		m->depth[i] = is_top ? 0 : m->depth[x->parent] + 1;
		if (x->type == RT_DIR)
			m->dirs[m->ndirs++] = i;
		else if (!other_fs(m, i))
			m->files[m->nfiles++] = i;
		else
			other_fs_error(m, i);
	}
	/* phase 1: names grouped by directory, in batches */
	qsort_r(m->files, m->nfiles, sizeof(*m->files), cmp_parent, r->recs);
	for (j = 0; j < m->nfiles; j++)
		if (j == 0 || r->recs[m->files[j]].parent != r->recs[m->files[j - 1]].parent ||
		    j - m->cut[m->nbatches - 1] == REMOVE_BATCH)
			m->cut[m->nbatches++] = j;
	m->cut[m->nbatches] = m->nfiles;
	/* phase 2: directories, deepest first, walk order within a level */
	qsort_r(m->dirs, m->ndirs, sizeof(*m->dirs), cmp_depth, m->depth);
	r->removal = m;
	m->threaded = pthread_create(&m->thread, NULL, removal_work, m) == 0;
	if (!m->threaded)
		removal_work(m);
}

/* Wait for the removal; report, per dropped top in walk order, the first
 * error in its subtree. */
static void removal_finish(struct run *r)
{
	struct removal *m = r->removal;
	size_t i, j, n = r->nrecs;

	if (!m)
		return;
	if (m->threaded)
		pthread_join(m->thread, NULL);
	for (j = 0; j < m->ntops; j++) {
		size_t t = m->tops[j];
		for (i = t; i < n && (i == t || (r->recs[i].dropped && m->top[i] == t)); i++)
			if (m->errs[i]) {
				display_path(r, &r->disp, r->recs[t].path);
				report_error(r->rep, r->disp.p, m->errs[i]);
				break;
			}
	}
	for (i = 0; i < n; i++)
		free(m->errs[i]);
	free(m->errs);
	free(m->blocked);
	free(m->top);
	free(m->depth);
	free(m->files);
	free(m->dirs);
	free(m->cut);
	free(m->tops);
	free(m);
	r->removal = NULL;
}

static void run_rules(struct run *r)
{
	struct rules_entry *ents;
	struct rules_verdict *v;
	struct err e = ERR_INIT;
	size_t i, *tops, ntops = 0;

	if (!r->o->rules || !r->nrecs)
		return;
	ents = xcalloc(r->nrecs, sizeof(*ents));
	v = xcalloc(r->nrecs, sizeof(*v));
	for (i = 0; i < r->nrecs; i++) {
		ents[i].path = r->recs[i].path;
		ents[i].type = r->recs[i].type;
		ents[i].size = r->recs[i].size;
	}
	if (rules_decide_jobs(r->o->rules, ents, r->nrecs, read_entry, r, r->o->jobs, v, &e) != 0) {
		display_path(r, &r->disp, "");
		report_error(r->rep, r->display_root, e.msg);
		err_release(&e);
		goto out;
	}
	for (i = 0; i < r->nrecs; i++) {
		r->recs[i].dropped = v[i].rule >= 0;
		if (v[i].kept_on_purpose) {
			display_path(r, &r->disp, r->recs[i].path);
			report_kept(r->rep, r->disp.p, v[i].why ? v[i].why : "kept");
		}
	}
	/* the top of every dropped subtree: reported in walk order, removed
	 * by the pool, errors reported in walk order */
	tops = xmalloc(r->nrecs * sizeof(*tops));
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];
		if (x->dropped && (x->parent == NONE || !r->recs[x->parent].dropped)) {
			report_entry_removed(r, i, rules_name(r->o->rules, v[i].rule));
			tops[ntops++] = i;
		}
	}
	if (!r->o->dry_run && ntops)
		removal_start(r, tops, ntops);
	else
		free(tops);
out:
	free(ents);
	free(v);
}

/* Dedup hashes beside the removal and links after it: it counts names. */
static void removal_barrier(void *ctx)
{
	removal_finish(ctx);
}

/* Dedup has hashed the first blocks: the walk's probes (about 80 bytes a
 * regular file) are read no more. */
static void free_probes(void *ctx)
{
	struct run *r = ctx;
	size_t i;

	for (i = 0; i < r->nrecs; i++) {
		free(r->recs[i].probe);
		r->recs[i].probe = NULL;
	}
}

/* The dedup pass, over every regular file as the strip pass left it. */
static void run_dedup(struct run *r)
{
	struct dedup_opts o = { .mode = r->o->dedup, .link_elf = r->o->dedup_elf,
				.dry_run = r->o->dry_run, .xdev = r->o->xdev, .jobs = r->o->jobs,
				.barrier = removal_barrier, .barrier_ctx = r,
				.probes_done = free_probes };
	struct dedup_result res = DEDUP_RESULT_INIT;
	struct dedup_item *it;
	size_t i, g, k;

	if (r->o->dedup == DEDUP_OFF || !r->nrecs)
		return;
	it = xcalloc(r->nrecs, sizeof(*it));
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];
		if (x->type != RT_FILE || x->dropped || x->sparse)
			continue; /* mode 0: dedup leaves the item alone */
		it[i].path = x->path;
		it[i].dev = x->dev;
		it[i].ino = x->ino;
		it[i].mode = x->mode;
		it[i].uid = x->uid;
		it[i].gid = x->gid;
		it[i].size = x->size;
		it[i].pre = x->dg;
		it[i].probe = x->probe;
		if (x->state == R_CHANGED && !r->o->dry_run)
			it[i].size = x->after;
	}
	/* followers share their leader's new inode, size and digest */
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];
		for (k = x->next_link; x->state != R_FOLLOWER && k != NONE;
		     k = r->recs[k].next_link) {
			if (r->recs[k].state == R_ERROR || r->recs[k].dropped || x->dropped)
				continue;
			it[k].size = it[i].size;
			it[k].pre = it[i].pre;
		}
	}
	dedup_run(r->rootfd, it, r->nrecs, &o, &res);
	r->rep->dup_groups += res.ngroups;
	r->rep->dup_files_linked += res.files_linked;
	r->rep->dup_bytes_saved += res.bytes_saved;
	r->rep->dup_elf_groups += res.elf_groups;
	r->rep->dup_elf_bytes += res.elf_bytes_unlinked;
	for (g = 0; g < res.ngroups; g++) {
		const struct dedup_group *d = &res.groups[g];
		const struct dedup_item *kept = &it[d->items[0]];
		display_path(r, &r->disp, kept->path);
		report_dup(r->rep, r->disp.p, d->size, d->nfiles - 1, d->linked, d->elf_shared);
		if (!d->linked)
			continue;
		/* one change per linked inode, under its first name */
		for (k = 1; k < d->nitems; k++) {
			const struct dedup_item *c = &it[d->items[k]];
			size_t p;
			bool seen = c->ino == kept->ino && c->dev == kept->dev;
			for (p = 1; p < k && !seen; p++)
				seen = it[d->items[p]].ino == c->ino && it[d->items[p]].dev == c->dev;
			if (seen)
				continue;
			display_path(r, &r->disp, c->path);
			report_change(r->rep, r->disp.p, "dedup", d->size, 0);
		}
	}
	for (i = 0; i < res.nerrors; i++) {
		display_path(r, &r->disp, res.errors[i].path);
		report_error(r->rep, r->disp.p, res.errors[i].msg);
	}
	dedup_result_release(&res);
	free(it);
}

/* Distributions (from RECORD files) and npm packages, for grouping. */
static void find_owners(struct run *r)
{
	size_t i, n;

	for (i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];
		unsigned char *data = NULL;
		ssize_t len;
		n = strlen(x->path);
		if (x->type == RT_DIR) {
			display_path(r, &r->disp, x->path);
			report_owner_from_path(r->rep, r->disp.p);
		}
		if (x->type != RT_FILE || n < 17 || strcmp(x->path + n - 17, ".dist-info/RECORD") != 0)
			continue;
		len = read_entry(r, i, (size_t)-1, &data);
		if (len >= 0) {
			display_path(r, &r->disp, x->path);
			report_owners_from_record(r->rep, r->disp.p, (char *)data, (size_t)len);
		}
		free(data);
	}
}

/* ---- journals left by a killed run ----------------------------------- */

/* Names of (dev, ino) in the tree: records, and temp names still there. */
static size_t names_of(const struct run *r, dev_t dev, ino_t ino, size_t *first)
{
	size_t i, n = 0;

	*first = NONE;
	for (i = 0; i < r->nrecs; i++)
		if (r->recs[i].type == RT_FILE && r->recs[i].ino == ino && r->recs[i].dev == dev) {
			if (!n++)
				*first = i;
		}
	for (i = 0; i < r->ntmps_left; i++)
		n += r->tmps_left[i].dev == dev && r->tmps_left[i].ino == ino;
	return n;
}

/* Mode, owner, mtime and every xattr the same? */
static bool same_meta(int a, const struct stat *as, int b, const struct stat *bs)
{
	struct buf xa = BUF_INIT, xb = BUF_INIT;
	struct err e = ERR_INIT;
	bool same = as->st_mode == bs->st_mode && as->st_uid == bs->st_uid &&
		    as->st_gid == bs->st_gid && as->st_mtim.tv_sec == bs->st_mtim.tv_sec &&
		    as->st_mtim.tv_nsec == bs->st_mtim.tv_nsec;

	if (same)
		same = fsu_read_xattrs(a, &xa, &e) == 0 && fsu_read_xattrs(b, &xb, &e) == 0 &&
		       xa.len == xb.len && memcmp(xa.p, xb.p, xa.len) == 0;
	buf_release(&xa);
	buf_release(&xb);
	err_release(&e);
	return same;
}

struct proof_call {
	const unsigned char *in, *journal; /* journal NULL: in must be stripped already */
	size_t inlen, jlen;
	const struct strip_opts *o;
	bool proven;
};

static void do_proof(void *ctx)
{
	struct proof_call *c = ctx;
	struct strip_result sr = STRIP_RESULT_INIT;

	strip_buffer(c->in, c->inlen, c->o, &sr);
	if (!c->journal)
		c->proven = sr.verdict == STRIP_SKIPPED && sr.reason == SKIP_STRIPPED;
	else
		c->proven = sr.verdict == STRIP_CHANGED && sr.outlen == c->jlen &&
			    memcmp(sr.out, c->journal, c->jlen) == 0;
	strip_result_release(&sr);
}

/* Strip in (fd, st) with this run's options for path, in memory: is the
 * result the journal's content (jfd, jst), or, with jfd < 0, nothing to
 * strip? */
static bool strips_to(const struct run *r, int fd, const struct stat *st, const char *path,
		      int jfd, const struct stat *jst)
{
	struct fsu_view in = { NULL, 0, false }, jv = { NULL, 0, false };
	struct proof_call c = { .o = object_opts(r, path) };
	struct err e = ERR_INIT;

	if (fsu_view_open(fd, (size_t)st->st_size, &in, &e) != 0 ||
	    (jfd >= 0 && fsu_view_open(jfd, (size_t)jst->st_size, &jv, &e) != 0))
		goto out;
	c.in = in.p;
	c.inlen = in.n;
	c.journal = jfd >= 0 ? jv.p : NULL;
	c.jlen = jv.n;
	if (fsu_guard(do_proof, &c) != 0)
		c.proven = false;
out:
	if (in.p)
		fsu_view_close(&in);
	if (jv.p)
		fsu_view_close(&jv);
	err_release(&e);
	return c.proven;
}

/*
 * Does the journal (jfd, jst; its old inode number old) prove it is what a
 * killed run of slim, with this run's options, made?  Either names are on
 * the old inode (*first: the first), all of them in the tree, and the
 * journal is exactly what stripping that file makes, with its mode, owner,
 * mtime and xattrs: moving the names to it is then what this run would do
 * anyway.  Or none is left and the journal is one more name of a stripped
 * file whose other names are all in the tree: removing it loses nothing.
 * Otherwise *why says why not.  *old_st gets the old file's stat.
 */
static bool journal_proven(const struct run *r, int jfd, const struct stat *jst,
			   unsigned long long old, size_t *first, struct stat *old_st,
			   const char **why)
{
	size_t n = names_of(r, jst->st_dev, (ino_t)old, first), first_new;
	bool proven = false;
	int fd = -1;

	if (!n) {
		*why = "no file is left on the inode it names, and it is not one more name "
		       "of a stripped file linked only in the tree";
		return jst->st_nlink > 1 &&
		       names_of(r, jst->st_dev, jst->st_ino, &first_new) == jst->st_nlink - 1 &&
		       first_new != NONE &&
		       strips_to(r, jfd, jst, r->recs[first_new].path, -1, NULL);
	}
	*why = "its content is not what stripping the file on the inode it names makes";
	fd = fsu_open_beneath(r->rootfd, r->recs[*first].path, O_RDONLY | O_NONBLOCK, r->o->xdev);
	if (fd < 0 || fstat(fd, old_st) != 0 || old_st->st_dev != jst->st_dev ||
	    old_st->st_ino != (ino_t)old || !S_ISREG(old_st->st_mode))
		goto out;
	if (old_st->st_nlink > n) {
		*why = "the file on the inode it names has links outside the tree";
		goto out;
	}
	proven = same_meta(fd, old_st, jfd, jst) &&
		 strips_to(r, fd, old_st, r->recs[*first].path, jfd, jst);
out:
	if (fd >= 0)
		close(fd);
	return proven;
}

/* Move every name of the old file (from first on) to the journal; false
 * if one could not be moved (reported). */
static bool journal_move(struct run *r, int jdir, const char *jbase, const struct stat *jst,
			 size_t first, const struct stat *old_st)
{
	bool all = true;
	size_t i;

	for (i = first; i < r->nrecs; i++) {
		struct rec *x = &r->recs[i];
		struct err e = ERR_INIT;
		const char *base;
		int dir;
		if (x->type != RT_FILE || x->ino != old_st->st_ino || x->dev != old_st->st_dev)
			continue;
		dir = fsu_open_parent(r->rootfd, x->path, &base, r->o->xdev);
		if (dir >= 0 && fsu_relink(jdir, jbase, dir, base, old_st, &e) == 0) {
			x->ino = jst->st_ino;
			x->size = (uint64_t)jst->st_size;
		} else {
			all = false;
			display_path(r, &r->disp, x->path);
			report_error(r->rep, r->disp.p, e.msg ? e.msg : "cannot finish a hard link");
		}
		err_release(&e);
		if (dir >= 0)
			close(dir);
	}
	return all;
}

/*
 * A journal names the new version of a hard-linked file whose names a
 * killed run was moving (FSU_JOURNAL_PREFIX).  Its name says only an inode
 * number, which after a copy of the tree (cp -a, COPY, tar) or in a planted
 * file names any file: it is trusted only as far as journal_proven() goes.
 * Proven, the names still on the old inode move to it and it is removed
 * (a dry run only counts it); not, it is reported and left as it is.
 */
static void finish_journal(struct run *r, const char *jp)
{
	const char *jbase, *why = "cannot be read";
	unsigned long long old;
	struct stat jst, old_st;
	size_t first = NONE, i;
	int jdir, jfd = -1;

	fsu_is_journal(base_name(jp), &old);
	jdir = fsu_open_parent(r->rootfd, jp, &jbase, r->o->xdev);
	if (jdir >= 0)
		jfd = openat(jdir, jbase, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (jfd < 0 || fstat(jfd, &jst) != 0 || !S_ISREG(jst.st_mode) ||
	    !journal_proven(r, jfd, &jst, old, &first, &old_st, &why)) {
		struct buf msg = BUF_INIT;
		buf_addf(&msg, "not proven to be a journal of slim's (%s); left as it was", why);
		display_path(r, &r->disp, jp);
		report_error(r->rep, r->disp.p, msg.p);
		buf_release(&msg);
		goto out;
	}
	if (r->o->dry_run) {
		r->rep->tmp_removed++;
		goto out;
	}
	if (first != NONE && !journal_move(r, jdir, jbase, &jst, first, &old_st))
		goto out; /* a name left on the old inode: the journal stays for it */
	if (unlinkat(jdir, jbase, 0) != 0)
		goto out;
	r->rep->tmp_removed++;
	/* the names on the new inode, without the journal */
	if (fstat(jfd, &jst) != 0)
		goto out;
	for (i = 0; i < r->nrecs; i++)
		if (r->recs[i].type == RT_FILE && r->recs[i].ino == jst.st_ino &&
		    r->recs[i].dev == jst.st_dev)
			r->recs[i].nlink = jst.st_nlink < NONE ? (uint32_t)jst.st_nlink : NONE;
out:
	if (jfd >= 0)
		close(jfd);
	if (jdir >= 0)
		close(jdir);
}

static void finish_journals(struct run *r)
{
	size_t j;

	for (j = 0; j < r->njournals; j++)
		finish_journal(r, r->journals[j]);
}

static void run_records(struct run *r)
{
	finish_journals(r);
	group_links(r);
	find_owners(r);
	run_rules(r);
	make_work(r);
	if (r->o->strip_on) {
		if (!r->o->dry_run && r->nwork)
			r->closer = closer_start(pool_io_jobs(r->o->jobs));
		pool_run(r->o->jobs, r->nwork, process, r, r->o->progress ? tick : NULL);
		closer_finish(r->closer);
		r->closer = NULL;
	}
	if (r->o->progress && r->nwork)
		fprintf(stderr, "\r\033[K");
	collect(r);
	/* Hand back what the walk's threads, the rules and the strip workers
	 * freed: dedup's tables come on top of the records, and peak memory
	 * is what the process holds.  (Not before the strip pass: it reuses
	 * freed buffers rather than faulting in fresh pages.) */
	if (r->o->dedup != DEDUP_OFF)
		malloc_trim(0);
	run_dedup(r);
	removal_finish(r);
}

/*
 * One run at a time on a root: two would each replace what the other just
 * wrote ("file changed") and leave temp files.  A second run waits; a dry
 * run shares the lock with other dry runs.  Where flock() fails otherwise
 * (some NFS setups) the run goes on without.
 */
static void lock_root(const struct run *r, int fd, const char *root)
{
	int op = r->o->dry_run ? LOCK_SH : LOCK_EX;

	if (flock(fd, op | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return;
	if (!r->o->quiet)
		fprintf(stderr, "slim: waiting for another slim run on '%s'\n", root);
	while (flock(fd, op) != 0 && errno == EINTR)
		;
}

/* Open the directory of a one-file root, lock the file and record it. */
static int run_single(struct run *r, const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;
	char *dir;
	int dfd;

	if (slash == path)
		dir = xstrdup("/");
	else if (slash)
		dir = strndup(path, (size_t)(slash - path));
	else
		dir = xstrdup(".");
	if (!dir)
		dir = xstrdup(".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0)
		return -1;
	r->rootfd = dfd;
	/* the lock is the file's: a run over its directory does not wait */
	r->lockfd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (r->lockfd >= 0)
		lock_root(r, r->lockfd, path);
	if (fstat(dfd, &st) != 0)
		return -1;
	r->root_dev = st.st_dev;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	r->single = true;
	r->rep->seen++;
	r->rep->regular++;
	add_rec(r, base, &st, 1);
	return 0;
}

/* Open a directory root, lock it and walk it. */
static int run_tree(struct run *r, const char *root, const struct walk_opts *wo)
{
	struct stat st;

	r->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0)
		return -1;
	r->lockfd = r->rootfd;
	lock_root(r, r->rootfd, root);
	if (fstat(r->rootfd, &st) != 0)
		return -1;
	r->root_dev = st.st_dev;
	walk_tree(r->rootfd, wo);
	return 0;
}

static void run_close(struct run *r)
{
	if (r->lockfd >= 0 && r->lockfd != r->rootfd)
		close(r->lockfd);
	if (r->rootfd >= 0)
		close(r->rootfd);
	run_release(r);
}

int run_dir(const struct slim_opts *o, const char *root, struct report *rep)
{
	struct run r = { .o = o, .rep = rep, .rootfd = -1, .lockfd = -1, .disp = BUF_INIT };
	struct walk_opts wo = { .xdev = o->xdev, .jobs = o->jobs > 0 ? o->jobs : 1,
				.peek = o->strip_on, .visit = visit, .error = walk_error, .ctx = &r };
	struct stat st;
	int rc = -1;

	if (o->dedup != DEDUP_OFF) { /* dedup's first look, while the walk has the file open */
		wo.probe = probe;
		wo.probe_free = probe_free;
		wo.probe_len = DEDUP_BLOCK;
	}

	atomic_init(&r.done, 0);
	atomic_init(&r.saved, 0);
	atomic_init(&r.lower_files, 0);
	atomic_init(&r.lower_bytes, 0);
	report_add_root(rep, root);
	r.display_root = strcmp(root, ".") == 0 ? "" : root;
	if (stat(root, &st) != 0) {
		report_error(rep, root, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		report_error(rep, root, "not a directory or regular file");
		goto out;
	}
	if ((S_ISREG(st.st_mode) ? run_single(&r, root) : run_tree(&r, root, &wo)) != 0) {
		report_error(rep, root, strerror(errno));
		goto out;
	}
	r.in_container = !o->dry_run && container_detect(&r.ci);
	run_records(&r);
	if (atomic_load(&r.lower_files)) {
		char b[32];
		fmt_bytes(b, sizeof(b), atomic_load(&r.lower_bytes));
		fprintf(stderr, "slim: warning: %llu files (%s) came from lower image layers; rewriting "
				"them adds new copies on top and grows the image if this stage is the "
				"one you ship (see README, 'Use in a Dockerfile')\n",
			(unsigned long long)atomic_load(&r.lower_files), b);
	}
	rc = 0;
out:
	run_close(&r);
	return rc;
}

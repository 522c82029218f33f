#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

struct walker {
	const struct walk_opts *o;
	dev_t rootdev;
	struct buf path;
	bool stop;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read all names of a directory (without . and ..), sorted. */
static char **read_names(int dfd, size_t *count, int *errnum)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;
	int fd = dup(dfd);

	*errnum = 0;
	if (fd < 0 || !(dir = fdopendir(fd))) {
		*errnum = errno;
		if (fd >= 0)
			close(fd);
		*count = 0;
		return NULL;
	}
	rewinddir(dir);
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (!d) {
			*errnum = errno;
			break;
		}
		if (d->d_name[0] == '.' &&
		    (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0')))
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = xstrdup(d->d_name);
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*count = n;
	return v;
}

static void walk_dir(struct walker *w, int dfd, int depth)
{
	size_t n, i, base = w->path.len;
	int errnum;
	char **names = read_names(dfd, &n, &errnum);

	if (errnum)
		w->o->error(w->o->ctx, w->path.len ? w->path.p : ".", "cannot read directory",
			    errnum);
	for (i = 0; i < n && !w->stop; i++) {
		struct walk_entry e;
		struct stat st;
		enum walk_action act;

		buf_setlen(&w->path, base);
		if (base)
			buf_addch(&w->path, '/');
		buf_adds(&w->path, names[i]);
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			/* vanished since readdir: not an error of the tree */
			if (errno != ENOENT)
				w->o->error(w->o->ctx, w->path.p, "cannot stat", errno);
			continue;
		}
		e.relpath = w->path.p;
		e.name = names[i];
		e.dirfd = dfd;
		e.st = &st;
		e.depth = depth;
		e.head = NULL;
		e.headlen = -1;
		e.probe = NULL;
		act = w->o->visit(w->o->ctx, &e);
		if (act == WALK_STOP) {
			w->stop = true;
			break;
		}
		if (S_ISDIR(st.st_mode) && act == WALK_CONTINUE &&
		    (!w->o->xdev || st.st_dev == w->rootdev)) {
			struct stat st2;
			int sub = openat(dfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (errno != ENOENT)
					w->o->error(w->o->ctx, w->path.p, "cannot open directory",
						    errno);
				continue;
			}
			/* swapped between stat and open? then it is not ours */
			if (fstat(sub, &st2) != 0 || st2.st_dev != st.st_dev ||
			    st2.st_ino != st.st_ino) {
				w->o->error(w->o->ctx, w->path.p, "directory changed during the walk",
					    EAGAIN);
				close(sub);
				continue;
			}
			walk_dir(w, sub, depth + 1);
			close(sub);
			buf_setlen(&w->path, base);
			if (base)
				buf_addch(&w->path, '/');
			buf_adds(&w->path, names[i]);
			if (w->o->leave) {
				e.relpath = w->path.p;
				e.st = &st;
				w->o->leave(w->o->ctx, &e);
			}
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_setlen(&w->path, base);
}

/* ---- the parallel walk ----------------------------------------------------
 *
 * Threads take directories from a shared stack: each lists one, sorts its
 * names, lstat()s them (and reads the first bytes of regular files), and
 * then pushes its subdirectories, the first one last, so that the top of
 * the stack is the directory the report needs soonest.  A directory is
 * opened by its path beneath the root (fsu_open_beneath: no symlink, no
 * "..") and must be the inode its parent listed.  Meanwhile the calling
 * thread reports the tree depth first, in name order, exactly as
 * walk_dir() does, freeing it as it goes; errors are kept where they
 * happened and reported in that order too.
 *
 * The readers run ahead of the report by a bounded number of entries (the
 * budget, o->ahead): a reader takes no new directory while that many
 * entries are read and not yet reported, so a tree of millions of files
 * is never held whole.  One directory is read whole, though: the bound is
 * the budget plus one directory per reader (a directory of a million
 * names is a million entries in memory, as it must be to sort them).  The
 * reporter never waits on the budget: a directory it needs that no reader
 * has taken it reads itself, and one a reader is reading it waits for.
 * A subtree the report drops (pruned, stopped, not to be entered) is
 * taken off the stack unread.
 */

struct pstat { /* what a parallel walk keeps of an lstat */
	dev_t dev;
	ino_t ino;
	mode_t mode;
	nlink_t nlink;
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec mtim;
};

struct pnode;

struct pent {
	const char *name;      /* in the node's names block */
	struct pstat st;
	int stat_err;          /* errno of a failed lstat */
	signed char headlen;   /* -1: not read */
	unsigned char dtype;   /* from readdir */
	unsigned char head[WALK_PEEK];
	void *probe;           /* from o->probe, until visit takes it */
	struct pnode *child;   /* a directory to descend into (it owns it) */
};

enum pstate {
	P_QUEUED,              /* on the stack, not read */
	P_READING,             /* taken by a reader (or the reporter) */
	P_READ,                /* listed: ents and n are its own */
};

struct pnode {
	char *relpath;         /* "" for the root; freed once read */
	int fd;                /* opened by the parent's reader, or -1 */
	dev_t dev;             /* what the parent listed */
	ino_t ino;
	int open_err;          /* cannot open it (or it changed) */
	int read_err;          /* cannot (fully) read it */
	char *names;           /* every name, NUL-separated */
	struct pent *ents;
	size_t n;
	enum pstate state;     /* under pwalk.mu */
	size_t counted;        /* entries of it still in pwalk.ahead */
};

struct pwalk {
	const struct walk_opts *o;
	int rootfd;
	dev_t rootdev;
	pthread_mutex_t mu;
	pthread_cond_t work;   /* readers: a directory or budget to be had */
	pthread_cond_t done;   /* the reporter: a directory was read */
	struct pnode **stack;  /* P_QUEUED ones; the top is needed first */
	size_t nstack, capstack;
	size_t ahead;          /* entries read and not yet reported */
	size_t budget;         /* readers take no directory past it */
	bool quit;             /* the report is over */
	bool waiting;          /* the reporter waits on done */
	atomic_int held;       /* descriptors of pushed directories */
};

/* Directories on the stack hold a descriptor, up to this many; past it they
 * are opened by path when their turn comes. */
#define WALK_HELD_MAX 512

static int cmp_pent(const void *a, const void *b)
{
	return strcmp(((const struct pent *)a)->name, ((const struct pent *)b)->name);
}

static void pst_from(struct pstat *p, const struct stat *st)
{
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	p->mode = st->st_mode;
	p->nlink = st->st_nlink;
	p->uid = st->st_uid;
	p->gid = st->st_gid;
	p->size = st->st_size;
	p->mtim = st->st_mtim;
}

static void pst_to(struct stat *st, const struct pstat *p)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = p->dev;
	st->st_ino = p->ino;
	st->st_mode = p->mode;
	st->st_nlink = p->nlink;
	st->st_uid = p->uid;
	st->st_gid = p->gid;
	st->st_size = p->size;
	st->st_mtim = p->mtim;
}

/* Read the head of open regular file fd: the peek and the probe. */
static void peek(struct pwalk *p, int fd, const struct stat *st, struct pent *x)
{
	unsigned char buf[WALK_PROBE_MAX];
	size_t want = p->o->probe ? p->o->probe_len : WALK_PEEK, got;

	if (want > sizeof(buf))
		want = sizeof(buf);
	if (want < WALK_PEEK)
		want = WALK_PEEK;
	if ((off_t)want > st->st_size)
		want = (size_t)st->st_size; /* no read that can only say EOF */
	got = fsu_pread_upto(fd, buf, want);
	if (!got)
		return;
	x->headlen = (signed char)(got < WALK_PEEK ? got : WALK_PEEK);
	memcpy(x->head, buf, (size_t)x->headlen);
	if (p->o->probe)
		x->probe = p->o->probe(p->o->ctx, fd, st, buf,
					got < p->o->probe_len ? got : p->o->probe_len);
}

/* Open regular file name in dfd for peeking; -1 if that fails. */
static int open_reg(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/* Open directory d for reading: a descriptor, or -1 with d->open_err
 * (it cannot be opened beneath the root, or it changed) or d->read_err
 * set. */
static int open_node(struct pwalk *p, struct pnode *d)
{
	struct stat st;
	int fd;

	if (d->fd >= 0) {
		fd = d->fd; /* opened beneath its parent's descriptor */
		d->fd = -1;
		atomic_fetch_sub(&p->held, 1);
	} else if (!*d->relpath) {
		/* its own open file description: the listing's offset is not
		 * shared with the caller's descriptor */
		fd = openat(p->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = fsu_open_beneath(p->rootfd, d->relpath, O_RDONLY | O_DIRECTORY, p->o->xdev);
		if (fd < 0) {
			d->open_err = errno;
			return -1;
		}
		/* swapped between the parent's listing and now: not ours */
		if (fstat(fd, &st) != 0 || st.st_dev != d->dev || st.st_ino != d->ino) {
			d->open_err = EAGAIN;
			close(fd);
			return -1;
		}
	}
	if (fd < 0)
		d->read_err = errno;
	return fd;
}

/* List directory fd into d: every name (but . and ..) into d->names, an
 * entry each in d->ents, sorted by name. */
static void list_node(struct pnode *d, int fd)
{
	size_t i, n = 0, cap = 0, used = 0, capnames = 0, off;
	_Alignas(struct dirent64) char dbuf[32768];
	struct dirent64 *de;

	/* getdents64 straight into a buffer: no DIR (whose fdopendir costs a
	 * stat and two fcntl per directory) */
	for (;;) {
		ssize_t got = getdents64(fd, dbuf, sizeof(dbuf));
		size_t at;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			d->read_err = got < 0 ? errno : 0;
			break;
		}
		for (at = 0; at < (size_t)got; at += de->d_reclen) {
			size_t len;
			de = (struct dirent64 *)(dbuf + at);
			if (de->d_name[0] == '.' &&
			    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			len = strlen(de->d_name) + 1;
			xgrow(&d->names, &capnames, used + len, 1);
			memcpy(d->names + used, de->d_name, len);
			used += len;
			xgrow(&d->ents, &cap, n + 1, sizeof(*d->ents));
			memset(&d->ents[n], 0, sizeof(d->ents[n]));
			d->ents[n].dtype = de->d_type;
			n++;
		}
	}
	/* the listing is kept until it is reported: no slack */
	if (n && cap > n)
		d->ents = xrealloc(d->ents, n * sizeof(*d->ents));
	if (used && capnames > used)
		d->names = xrealloc(d->names, used);
	/* names now stay put: point at them */
	for (i = 0, off = 0; i < n; i++) {
		d->ents[i].name = d->names + off;
		d->ents[i].headlen = -1;
		off += strlen(d->names + off) + 1;
	}
	d->n = n;
	if (n)
		qsort(d->ents, n, sizeof(*d->ents), cmp_pent);
}

/*
 * A directory: open it here, by its one name beneath dfd, and stat what
 * was opened; its reader (this thread or another) starts from that
 * descriptor, with no path to resolve and nothing that could have been
 * swapped since.  Returns the descriptor (*st filled), or -1: it is
 * opened by path when its turn comes (past WALK_HELD_MAX held, or on a
 * failure).
 */
static int open_child(struct pwalk *p, int dfd, const struct pent *x, struct stat *st)
{
	int cfd = -1;

	if (atomic_fetch_add(&p->held, 1) < WALK_HELD_MAX)
		cfd = openat(dfd, x->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd >= 0 && fstat(cfd, st) != 0) {
		close(cfd);
		cfd = -1;
	}
	if (cfd < 0)
		atomic_fetch_sub(&p->held, 1); /* by path, later */
	return cfd;
}

/* Open regular file x of dfd for peeking; -1 if that fails or it is not
 * what st says (when given) or not a regular file.  st NULL: fill fst
 * from the file opened. */
static int open_peek(int dfd, const struct pent *x, const struct stat *st, struct stat *fst)
{
	int ffd = open_reg(dfd, x->name);

	if (ffd >= 0 && (fstat(ffd, fst) != 0 || !S_ISREG(fst->st_mode) ||
			 (st && (fst->st_dev != st->st_dev || fst->st_ino != st->st_ino)))) {
		close(ffd);
		ffd = -1;
	}
	return ffd;
}

/* A directory x of d (stat'ed as st; cfd its descriptor or -1) to be
 * read: its node, queued once d is read. */
static void add_child(const struct pnode *d, struct pent *x, const struct stat *st, int cfd)
{
	struct pnode *c = xcalloc(1, sizeof(*c));
	struct buf path = BUF_INIT;

	if (*d->relpath) {
		buf_adds(&path, d->relpath);
		buf_addch(&path, '/');
	}
	buf_adds(&path, x->name);
	c->relpath = buf_detach(&path, NULL);
	c->fd = cfd; /* if opened: a directory, and !xdev */
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->state = P_QUEUED;
	x->child = c;
}

/* Stat entry x of d (in directory fd), peek at a regular file, make a
 * directory's node. */
static void read_entry(struct pwalk *p, struct pnode *d, int fd, struct pent *x)
{
	bool want = p->o->peek || p->o->probe;
	int ffd = -1, cfd = -1;
	struct stat st, st2;

	if (x->dtype == DT_DIR && !p->o->xdev)
		cfd = open_child(p, fd, x, &st);
	if (cfd < 0) {
		/* a regular file to read: open it and stat what was opened */
		if (want && x->dtype == DT_REG) {
			ffd = open_peek(fd, x, NULL, &st);
			want = ffd >= 0;
		}
		if (ffd < 0 && fstatat(fd, x->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			x->stat_err = errno;
			return;
		}
	}
	pst_from(&x->st, &st);
	/* and a file it must be what was stat'ed */
	if (want && ffd < 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		ffd = open_peek(fd, x, &st, &st2);
	if (ffd >= 0) {
		if (st.st_size > 0)
			peek(p, ffd, &st, x);
		close(ffd);
	}
	if (S_ISDIR(st.st_mode) && (!p->o->xdev || st.st_dev == p->rootdev))
		add_child(d, x, &st, cfd);
}

/* List, stat and peek one directory (taken: P_READING). */
static void read_node(struct pwalk *p, struct pnode *d)
{
	size_t i;
	int fd = open_node(p, d);

	if (fd < 0)
		return;
	list_node(d, fd);
	for (i = 0; i < d->n; i++)
		read_entry(p, d, fd, &d->ents[i]);
	close(fd);
}

/* k more entries of d are reported (p->mu held): wake the readers if that
 * brings the entries read ahead back under the budget. */
static void uncount(struct pwalk *p, struct pnode *d, size_t k)
{
	bool over = p->ahead >= p->budget;

	d->counted -= k;
	p->ahead -= k;
	if (over && p->ahead < p->budget)
		pthread_cond_broadcast(&p->work);
}

/* d has been read (p->mu held): count its entries, and queue its
 * subdirectories with the first on top, the one the report needs first. */
static void finish_node(struct pwalk *p, struct pnode *d)
{
	size_t i;
	bool pushed = false;

	free(d->relpath); /* its children have theirs */
	d->relpath = NULL;
	d->state = P_READ;
	d->counted = d->n;
	p->ahead += d->n;
	for (i = d->n; i-- > 0;) {
		if (!d->ents[i].child)
			continue;
		xgrow(&p->stack, &p->capstack, p->nstack + 1, sizeof(*p->stack));
		p->stack[p->nstack++] = d->ents[i].child;
		pushed = true;
	}
	if (pushed && p->ahead < p->budget)
		pthread_cond_broadcast(&p->work);
	if (p->waiting)
		pthread_cond_broadcast(&p->done);
}

/* Take queued d off the stack (p->mu held).  The reporter wants it, so it
 * is at or near the top: search from there. */
static void unqueue(struct pwalk *p, const struct pnode *d)
{
	size_t i = p->nstack;

	while (i-- > 0)
		if (p->stack[i] == d) {
			memmove(p->stack + i, p->stack + i + 1,
				(p->nstack - i - 1) * sizeof(*p->stack));
			p->nstack--;
			return;
		}
}

/* A reader: take the directory on top of the stack while under the
 * budget, until the report is over. */
static void *pworker(void *arg)
{
	struct pwalk *p = arg;
	struct pnode *d;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && (!p->nstack || p->ahead >= p->budget))
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		d = p->stack[--p->nstack];
		d->state = P_READING;
		pthread_mutex_unlock(&p->mu);
		read_node(p, d);
		pthread_mutex_lock(&p->mu);
		finish_node(p, d);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Wait until no reader is busy with d (p->mu held). */
static void wait_read(struct pwalk *p, const struct pnode *d)
{
	while (d->state == P_READING) {
		p->waiting = true;
		pthread_cond_wait(&p->done, &p->mu);
	}
	p->waiting = false;
}

/* The reporter needs d read: it reads d itself if no reader has taken it
 * (whatever the budget: the report must go on), else waits for the
 * reader. */
static void need_node(struct pwalk *p, struct pnode *d)
{
	pthread_mutex_lock(&p->mu);
	if (d->state == P_QUEUED) {
		unqueue(p, d);
		d->state = P_READING;
		pthread_mutex_unlock(&p->mu);
		read_node(p, d);
		pthread_mutex_lock(&p->mu);
		finish_node(p, d);
	}
	wait_read(p, d);
	pthread_mutex_unlock(&p->mu);
}

/* Free d and everything below it that was not reported, probes included
 * (the reporter's job, in its thread).  A directory a reader is busy with
 * is waited for; one not read yet is taken off the stack, never read. */
static void drop_node(struct pwalk *p, struct pnode *d)
{
	const struct walk_opts *o = p->o;
	size_t i;

	pthread_mutex_lock(&p->mu);
	wait_read(p, d);
	if (d->state == P_QUEUED)
		unqueue(p, d);
	else
		uncount(p, d, d->counted);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < d->n; i++) {
		if (d->ents[i].child)
			drop_node(p, d->ents[i].child);
		if (d->ents[i].probe && o->probe_free)
			o->probe_free(o->ctx, d->ents[i].probe);
	}
	if (d->fd >= 0) { /* queued with a descriptor */
		close(d->fd);
		atomic_fetch_sub(&p->held, 1);
	}
	free(d->ents);
	free(d->names);
	free(d->relpath);
	free(d);
}

/* The report counts entries off the budget in batches of this many (and
 * before it may wait for a directory): a lock per batch, not per entry. */
#define WALK_BATCH 256

/* Count k entries of d reported, k then 0. */
static void reported(struct pwalk *p, struct pnode *d, size_t *k)
{
	pthread_mutex_lock(&p->mu);
	uncount(p, d, *k);
	pthread_mutex_unlock(&p->mu);
	*k = 0;
}

/* Report node d (read) as walk_dir() would; frees it and what is below. */
static void report_node(struct walker *w, struct pwalk *p, struct pnode *d, int depth)
{
	size_t i, base = w->path.len, k = 0;

	if (d->read_err)
		w->o->error(w->o->ctx, w->path.len ? w->path.p : ".", "cannot read directory",
			    d->read_err);
	for (i = 0; i < d->n; i++) {
		struct pent *x = &d->ents[i];
		struct walk_entry e;
		struct stat st;
		enum walk_action act;

		if (w->stop)
			break;
		if (++k >= WALK_BATCH)
			reported(p, d, &k);
		buf_setlen(&w->path, base);
		if (base)
			buf_addch(&w->path, '/');
		buf_adds(&w->path, x->name);
		if (x->stat_err) {
			if (x->stat_err != ENOENT)
				w->o->error(w->o->ctx, w->path.p, "cannot stat", x->stat_err);
			continue;
		}
		pst_to(&st, &x->st);
		e.relpath = w->path.p;
		e.name = x->name;
		e.dirfd = -1;
		e.st = &st;
		e.depth = depth;
		e.head = x->headlen >= 0 ? x->head : NULL;
		e.headlen = x->headlen;
		e.probe = x->probe;
		x->probe = NULL; /* visit's now */
		act = w->o->visit(w->o->ctx, &e);
		if (act == WALK_STOP) {
			w->stop = true;
			break;
		}
		if (!x->child)
			continue;
		if (act != WALK_CONTINUE) { /* pruned: unread if still queued */
			drop_node(p, x->child);
			x->child = NULL;
			continue;
		}
		if (k)
			reported(p, d, &k);
		need_node(p, x->child);
		if (x->child->open_err) {
			if (x->child->open_err == EAGAIN)
				w->o->error(w->o->ctx, w->path.p, "directory changed during the walk",
					    EAGAIN);
			else if (x->child->open_err != ENOENT)
				w->o->error(w->o->ctx, w->path.p, "cannot open directory",
					    x->child->open_err);
			drop_node(p, x->child);
			x->child = NULL;
			continue;
		}
		report_node(w, p, x->child, depth + 1);
		x->child = NULL; /* freed there */
		buf_setlen(&w->path, base);
		if (base)
			buf_addch(&w->path, '/');
		buf_adds(&w->path, x->name);
		if (w->o->leave) {
			e.relpath = w->path.p;
			e.st = &st;
			w->o->leave(w->o->ctx, &e);
		}
	}
	buf_setlen(&w->path, base);
	drop_node(p, d); /* what is left: after a stop, or nothing */
}

static int walk_parallel(int rootfd, const struct walk_opts *o, dev_t rootdev)
{
	struct pwalk p = { .o = o, .rootfd = rootfd, .rootdev = rootdev,
			   .budget = o->ahead ? o->ahead : WALK_AHEAD };
	struct walker w = { .o = o, .path = BUF_INIT };
	struct pnode *root = xcalloc(1, sizeof(*root));
	pthread_t *t = xcalloc((size_t)o->jobs, sizeof(*t));
	int i, started = 0;

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	root->relpath = xstrdup("");
	root->fd = -1;
	root->state = P_QUEUED;
	xgrow(&p.stack, &p.capstack, 1, sizeof(*p.stack));
	p.stack[p.nstack++] = root;
	for (i = 0; i < o->jobs; i++)
		if (pthread_create(&t[i], NULL, pworker, &p) == 0)
			started++;
	/* with no threads to be had, need_node reads every directory here */
	need_node(&p, root);
	report_node(&w, &p, root, 1);
	/* everything is dropped: the stack is empty, no reader busy */
	pthread_mutex_lock(&p.mu);
	p.quit = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
	free(p.stack);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	buf_release(&w.path);
	return w.stop ? 1 : 0;
}

int walk_tree(int rootfd, const struct walk_opts *o)
{
	struct walker w = { .o = o, .path = BUF_INIT };
	struct stat st;

	if (o->jobs > 0) {
		if (fstat(rootfd, &st) != 0)
			st.st_dev = 0;
		return walk_parallel(rootfd, o, st.st_dev);
	}

	if (fstat(rootfd, &st) == 0)
		w.rootdev = st.st_dev;
	walk_dir(&w, rootfd, 1);
	buf_release(&w.path);
	return w.stop ? 1 : 0;
}

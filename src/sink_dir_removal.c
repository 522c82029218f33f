/* sink_dir_removal.c - remove what the rules dropped, in place.
 *
 * On many file systems an unlink waits on the device, not the CPU (see
 * pool_io_jobs), so the removers are more than the CPUs and the work is cut
 * finer than a dropped subtree: first every dropped non-directory, in
 * batches of names sharing a directory, then the dropped directories,
 * deepest first, each level at once.  A directory that is not empty by
 * then (something the walk did not see) is removed with its contents; one
 * holding an entry that could not be removed is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "sink_dir_int.h"

#define REMOVE_BATCH 32

struct removal {
	struct dsink *D;
	const struct entry *v;  /* the tree's entries */
	size_t n;
	size_t *tops, ntops; /* the top of each dropped subtree, in walk order */
	size_t *top;         /* per entry: the top of its dropped subtree */
	size_t *depth;       /* per entry: its depth below that top */
	size_t *files, nfiles; /* phase 1: non-directories, by directory */
	size_t *cut, nbatches; /* batch k is files[cut[k] .. cut[k+1]) */
	size_t *dirs, ndirs;   /* phase 2: directories, deepest first */
	const size_t *idx;   /* what the running phase's jobs index */
	struct err *errs;    /* per entry: why it could not be removed */
	bool *blocked;       /* per entry: a directory holding what is left */
	int threads;
	pthread_t thread;
	bool threaded;
};

static bool dropped(const struct removal *m, size_t i)
{
	return m->D->p->v[i].dropped;
}

/* Is i on another file system than the one its removal happens on, that
 * of the directory holding its dropped subtree's top?  (Not the top's own:
 * a dropped directory that is a mount point has the mount's device.) */
static bool other_fs(const struct removal *m, size_t i)
{
	const struct source_dir *d = m->D->d;
	uint32_t p = m->v[m->top[i]].parent;

	return d->side[i].dev != (p == ENT_NONE ? d->root_dev : d->side[p].dev);
}

static void other_fs_error(struct removal *m, size_t i)
{
	err_set(&m->errs[i], "'%s' is another file system: left in place", m->v[i].path);
}

/* Phase 1 job: unlink one batch of names in one directory. */
static void unlink_batch(void *ctx, size_t k)
{
	struct removal *m = ctx;
	const struct source_dir *d = m->D->d;
	size_t j, first = m->idx[m->cut[k]];
	const char *base;
	int dfd = fsu_open_parent(d->rootfd, m->v[first].path, &base, d->o->xdev);
	int open_errno = errno;

	for (j = m->cut[k]; j < m->cut[k + 1]; j++) {
		size_t i = m->idx[j];
		if (dfd < 0) {
			err_set(&m->errs[i], "%s", strerror(open_errno));
			continue;
		}
		base = entry_base(m->v[i].path);
		if (unlinkat(dfd, base, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			err_set(&m->errs[i], "%s", strerror(errno));
			continue;
		}
		/* a directory now, where the walk saw none */
		fsu_remove_tree(dfd, base, &m->errs[i]);
	}
	if (dfd >= 0)
		close(dfd);
}

/* Phase 2 job: remove the directory idx[k], empty by now if all went well. */
static void rmdir_job(void *ctx, size_t k)
{
	struct removal *m = ctx;
	const struct source_dir *d = m->D->d;
	size_t i = m->idx[k];
	const char *base;
	int dfd;

	if (m->blocked[i])
		return; /* what is left inside has its own error */
	if (other_fs(m, i)) {
		other_fs_error(m, i);
		return;
	}
	dfd = fsu_open_parent(d->rootfd, m->v[i].path, &base, d->o->xdev);
	if (dfd < 0) {
		err_set(&m->errs[i], "%s", strerror(errno));
		return;
	}
	if (unlinkat(dfd, base, AT_REMOVEDIR) != 0 && errno != ENOENT) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			err_set(&m->errs[i], "%s", strerror(errno));
		else /* what the walk did not see */
			fsu_remove_tree(dfd, base, &m->errs[i]);
	}
	close(dfd);
}

/* Mark the parents of what could not be removed (in idx[from .. to)). */
static void block_parents(struct removal *m, size_t from, size_t to)
{
	size_t j;

	for (j = from; j < to; j++) {
		size_t i = m->idx[j];
		if ((m->errs[i].msg || m->blocked[i]) && m->top[i] != i)
			m->blocked[m->v[i].parent] = true;
	}
}

static int cmp_parent(const void *a, const void *b, void *ctx)
{
	const struct entry *v = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t pi = v[i].parent + 1, pj = v[j].parent + 1; /* ENT_NONE sorts first */

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

static struct removal *removal_new(struct dsink *D, size_t *tops, size_t ntops)
{
	struct removal *m = xcalloc(1, sizeof(*m));
	size_t n = D->d->base.ents.n, i, nf = 0, nd = 0;

	m->D = D;
	m->v = D->d->base.ents.v;
	m->n = n;
	for (i = 0; i < n; i++)
		if (dropped(m, i))
			*(m->v[i].type == ENT_DIR ? &nd : &nf) += 1;
	m->tops = tops;
	m->ntops = ntops;
	m->top = xmalloc(n * sizeof(*m->top));
	m->depth = xcalloc(n, sizeof(*m->depth));
	m->files = xmalloc((nf ? nf : 1) * sizeof(*m->files));
	m->dirs = xmalloc((nd ? nd : 1) * sizeof(*m->dirs));
	m->cut = xmalloc((nf + 1) * sizeof(*m->cut));
	m->errs = xcalloc(n, sizeof(*m->errs));
	m->blocked = xcalloc(n, sizeof(bool));
	m->threads = pool_io_jobs(D->o->jobs);
	return m;
}

/*
 * Start removing every dropped entry (tops: the top of each dropped
 * subtree, in walk order; taken over).  Removal runs beside the strip pass,
 * which never touches a dropped name or anything beneath a dropped
 * directory; dedup waits for it (sink_dir_removal_finish), as it counts
 * names.  A dry run removes nothing.
 */
void sink_dir_drop(struct sink *k, struct pipeline *p, size_t *tops, size_t ntops)
{
	struct dsink *D = (struct dsink *)k;
	struct removal *m;
	size_t i, j;

	(void)p;
	if (D->o->dry_run || !ntops) {
		free(tops);
		return;
	}
	m = removal_new(D, tops, ntops);
	for (i = 0; i < m->n; i++) {
		const struct entry *x = &m->v[i];
		bool is_top;
		if (!dropped(m, i))
			continue;
		is_top = x->parent == ENT_NONE || !dropped(m, x->parent);
		m->top[i] = is_top ? i : m->top[x->parent];
		m->depth[i] = is_top ? 0 : m->depth[x->parent] + 1;
		if (x->type == ENT_DIR)
			m->dirs[m->ndirs++] = i;
		else if (!other_fs(m, i))
			m->files[m->nfiles++] = i;
		else
			other_fs_error(m, i);
	}
	/* phase 1: names grouped by directory, in batches */
	qsort_r(m->files, m->nfiles, sizeof(*m->files), cmp_parent, (void *)m->v);
	for (j = 0; j < m->nfiles; j++)
		if (j == 0 || m->v[m->files[j]].parent != m->v[m->files[j - 1]].parent ||
		    j - m->cut[m->nbatches - 1] == REMOVE_BATCH)
			m->cut[m->nbatches++] = j;
	m->cut[m->nbatches] = m->nfiles;
	/* phase 2: directories, deepest first, walk order within a level */
	qsort_r(m->dirs, m->ndirs, sizeof(*m->dirs), cmp_depth, m->depth);
	D->removal = m;
	m->threaded = pthread_create(&m->thread, NULL, removal_work, m) == 0;
	if (!m->threaded)
		removal_work(m);
}

/* Wait for the removal; report, per dropped top in walk order, the first
 * error in its subtree. */
void sink_dir_removal_finish(struct dsink *D)
{
	struct removal *m = D->removal;
	size_t i, j;

	if (!m)
		return;
	if (m->threaded)
		pthread_join(m->thread, NULL);
	for (j = 0; j < m->ntops; j++) {
		size_t t = m->tops[j];
		for (i = t; i < m->n && (i == t || (dropped(m, i) && m->top[i] == t)); i++)
			if (m->errs[i].msg) {
				pipeline_error(D->p, t, m->errs[i].msg);
				break;
			}
	}
	for (i = 0; i < m->n; i++)
		err_release(&m->errs[i]);
	free(m->errs);
	free(m->blocked);
	free(m->top);
	free(m->depth);
	free(m->files);
	free(m->dirs);
	free(m->cut);
	free(m->tops);
	free(m);
	D->removal = NULL;
}

/* sink_dir.c - carry the passes' decisions out in the tree itself. */
#include "sink_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "fsutil.h"
#include "pipeline.h"
#include "pool.h"
#include "sink_dir_int.h"
#include "source_dir.h"

#define S_OF(k) ((struct dsink *)(k))

/*
 * One run at a time on a root: two would each replace what the other just
 * wrote ("file changed") and leave temp files.  A second run waits; a dry
 * run shares the lock with other dry runs.  Where flock() fails otherwise
 * (some NFS setups) the run goes on without.
 */
static void lock_root(const struct slim_opts *o, int fd, const char *root)
{
	int op = o->dry_run ? LOCK_SH : LOCK_EX;

	if (fd < 0 || flock(fd, op | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return;
	if (!o->quiet)
		fprintf(stderr, "slim: waiting for another slim run on '%s'\n", root);
	while (flock(fd, op) != 0 && errno == EINTR)
		;
}

/* ---- temporary files of a killed run ---------------------------------------- */

static int remove_tmp(const struct source_dir *d, const char *rel)
{
	const char *base;
	int dfd = fsu_open_parent(d->rootfd, rel, &base, d->o->xdev), rc, saved;

	if (dfd < 0)
		return -1;
	rc = unlinkat(dfd, base, 0);
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

/* Temporary names a killed run left: never a user's file.  What stays
 * (a dry run, a failure) is still a name of its file, which a journal's
 * proof counts. */
static void remove_tmps(struct dsink *D)
{
	struct source_dir *d = D->d;
	struct buf path = BUF_INIT, msg = BUF_INIT;
	size_t i;

	for (i = 0; i < d->ntmps; i++) {
		report_tmp_removed(d->rep);
		if (D->o->dry_run)
			continue;
		if (remove_tmp(d, d->tmps[i].path) == 0) {
			d->tmps[i].path[0] = '\0'; /* gone */
			continue;
		}
		source_dir_display(d, &path, d->tmps[i].path);
		buf_setlen(&msg, 0);
		buf_addf(&msg, "cannot remove temporary file: %s", strerror(errno));
		report_error(d->rep, path.p, msg.p);
	}
	buf_release(&path);
	buf_release(&msg);
}

static void d_begin(struct sink *k, struct pipeline *p)
{
	struct dsink *D = S_OF(k);

	D->p = p;
	remove_tmps(D);
	sink_dir_journals(D);
	D->in_container = !D->o->dry_run && container_detect(&D->ci);
}

/* ---- replacing a stripped file ----------------------------------------------- */

static void name_error(struct dsink *D, size_t k, const char *msg)
{
	D->p->v[k].state = V_ERROR;
	pipeline_error(D->p, k, msg);
}

/* Point every other name of content i's inode (old: its stat, as
 * stripped) at the new file, which carrier c (in dirfd, base) names. */
static void relink_names(struct dsink *D, size_t i, size_t c, int dirfd, const char *base,
			 const struct stat *old, ino_t newino)
{
	struct source_dir *d = D->d;
	size_t k;

	for (k = i; k != ENT_NONE; k = d->side[k].next) {
		struct err e = ERR_INIT;
		const char *fbase;
		int fdir;
		if (k == c || D->p->v[k].dropped)
			continue;
		fdir = fsu_open_parent(d->rootfd, d->base.ents.v[k].path, &fbase, D->o->xdev);
		if (fdir < 0) {
			err_errno(&e, errno, "cannot open directory to relink");
			name_error(D, k, e.msg);
		} else if (fsu_relink(dirfd, base, fdir, fbase, old, &e) != 0) {
			name_error(D, k, e.msg);
		} else {
			d->side[k].ino = newino;
		}
		err_release(&e);
		if (fdir >= 0)
			close(fdir);
	}
}

static enum sink_replace d_replace(struct sink *k, struct pipeline *p, size_t i,
				   struct source_file *f, const struct content *data, struct err *e)
{
	struct dsink *D = S_OF(k);
	struct source_dir *d = D->d;
	size_t c = p->v[i].heir, names = source_dir_names(d, i);
	char journal[64];
	struct stat nst;
	const char *base;
	int dirfd;

	/* rewriting would split links we cannot see: leave it whole */
	if (f->st.st_nlink > names)
		return SINK_LINKS_OUTSIDE;
	if (D->in_container && container_from_lower(&D->ci, &f->st)) {
		atomic_fetch_add(&D->lower_files, 1);
		atomic_fetch_add(&D->lower_bytes, (unsigned long long)f->st.st_size);
	}
	if (D->o->dry_run)
		return SINK_REPLACED;
	dirfd = fsu_open_parent(d->rootfd, p->src->ents.v[c].path, &base, D->o->xdev);
	if (dirfd < 0) {
		err_errno(e, errno, "cannot open its directory");
		return SINK_FAILED;
	}
	fsu_journal_name(journal, sizeof(journal), (unsigned long long)f->st.st_ino);
	if (fsu_replace_c(dirfd, base, f->fd, &f->st, data, names > 1 ? journal : NULL, &nst,
			  e) != 0) {
		close(dirfd);
		return SINK_FAILED;
	}
	d->side[c].ino = nst.st_ino;
	relink_names(D, i, c, dirfd, base, &f->st, nst.st_ino);
	/* every name moved (or reported): the journal has done its job */
	if (names > 1)
		unlinkat(dirfd, journal, 0);
	close(dirfd);
	/* f's descriptor is the last reference to the replaced original:
	 * closing it frees its blocks, which may wait for the disk (pool.h) */
	if (f->own) {
		closer_put(D->closer, f->fd);
		f->fd = -1;
	}
	return SINK_REPLACED;
}

static void d_replace_begin(struct sink *k, struct pipeline *p)
{
	struct dsink *D = S_OF(k);

	if (!D->o->dry_run && p->nwork)
		D->closer = closer_start(pool_io_jobs(D->o->jobs));
}

static void d_replace_end(struct sink *k, struct pipeline *p)
{
	struct dsink *D = S_OF(k);

	(void)p;
	closer_finish(D->closer);
	D->closer = NULL;
}

/* ---- linking copies ------------------------------------------------------------ */

/* Make every name of a copy a hard link to the kept copy (dedup.h). */
static int d_link(void *ctx, const struct dedup_item *kept, const struct dedup_item *names,
		  size_t n, const struct stat *st, size_t *failed, struct err *e)
{
	struct dsink *D = ctx;
	const struct source_dir *d = D->d;
	const char *kbase, *base;
	int kdir = fsu_open_parent(d->rootfd, kept->path, &kbase, D->o->xdev), rc = 0;
	size_t k;

	*failed = 0;
	if (kdir < 0) {
		err_errno(e, errno, "cannot open the directory");
		return -1;
	}
	for (k = 0; k < n && rc == 0; k++) {
		int dir = fsu_open_parent(d->rootfd, names[k].path, &base, D->o->xdev);
		*failed = k;
		if (dir < 0) {
			err_errno(e, errno, "cannot open the directory");
			rc = -1;
			break;
		}
		rc = fsu_relink(kdir, kbase, dir, base, st, e);
		close(dir);
	}
	close(kdir);
	return rc;
}

/* ---- the sink ------------------------------------------------------------------- */

static void d_wait(struct sink *k, struct pipeline *p)
{
	(void)p;
	sink_dir_removal_finish(S_OF(k));
}

static int d_finish(struct sink *k, struct pipeline *p, struct err *e)
{
	(void)e;
	d_wait(k, p);
	return 0;
}

static void d_free(struct sink *k)
{
	struct dsink *D = S_OF(k);

	sink_dir_removal_finish(D);
	closer_finish(D->closer);
	free(D);
}

static const struct sink_ops dir_ops = {
	.begin = d_begin,
	.drop = sink_dir_drop,
	.replace_begin = d_replace_begin,
	.replace_end = d_replace_end,
	.replace = d_replace,
	.wait = d_wait,
	.finish = d_finish,
	.free = d_free,
};

struct sink *sink_dir_new(const struct slim_opts *o, struct source *src)
{
	struct dsink *D = xcalloc(1, sizeof(*D));

	D->base.ops = &dir_ops;
	D->base.link = d_link;
	D->base.link_ctx = D;
	D->base.overlap = SINK_BESIDE_STRIP | SINK_BESIDE_DEDUP_HASH;
	D->base.dry_run = o->dry_run;
	D->base.report_would_link = true;
	D->o = o;
	D->d = source_dir_of(src);
	atomic_init(&D->lower_files, 0);
	atomic_init(&D->lower_bytes, 0);
	lock_root(o, D->d->lockfd, D->d->root);
	return &D->base;
}

void sink_dir_lower(const struct sink *k, uint64_t *files, uint64_t *bytes)
{
	const struct dsink *D = S_OF(k);

	*files = atomic_load(&D->lower_files);
	*bytes = atomic_load(&D->lower_bytes);
}

/* sink_dir_journal.c - journals left by a killed run.
 *
 * A journal names the new version of a hard-linked file whose names a
 * killed run was moving (FSU_JOURNAL_PREFIX).  Its name says only an inode
 * number, which after a copy of the tree (cp -a, COPY, tar) or in a planted
 * file names any file: it is trusted only as far as journal_proven() goes.
 * Proven, the names still on the old inode move to it and it is removed
 * (a dry run only counts it); not, it is reported and left as it is.
 * This runs before the source groups names by inode (source_ops.ready):
 * every name is still an ENT_FILE of its own here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content.h"
#include "fsutil.h"
#include "sink_dir_int.h"

/* Names of (dev, ino) in the tree: entries, and temp names still there. */
static size_t names_of(const struct source_dir *d, dev_t dev, ino_t ino, size_t *first)
{
	const struct entries *t = &d->base.ents;
	size_t i, n = 0;

	*first = ENT_NONE;
	for (i = 0; i < t->n; i++)
		if (entry_is_file(&t->v[i]) && d->side[i].ino == ino && d->side[i].dev == dev) {
			if (!n++)
				*first = i;
		}
	for (i = 0; i < d->ntmps; i++)
		n += d->tmps[i].path[0] && d->tmps[i].dev == dev && d->tmps[i].ino == ino;
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
	const unsigned char *in;
	int fd, jfd;                       /* jfd < 0: in must be stripped already */
	size_t inlen, jlen;
	const struct slim_opts *o;
	const char *path;
	bool proven;
};

/* Is what the stripper made (sr, CHANGED) the journal jfd's content?
 * Compared in chunks: neither is ever held whole. */
static bool same_as_journal(const struct strip_result *sr, int jfd)
{
	struct source_file jf = { .fd = jfd, .size = sr->outlen };
	unsigned char *a = xmalloc(CONTENT_CHUNK), *b = xmalloc(CONTENT_CHUNK);
	struct err e = ERR_INIT;
	struct content own;
	const struct content *c = sr->content;
	uint64_t at = 0;
	bool same = true;

	if (!c) {
		content_init(&own, NULL, 0);
		content_add_ref(&own, sr->out, sr->outlen);
		c = &own;
	}
	while (same && at < c->len) {
		size_t k = c->len - at < CONTENT_CHUNK ? (size_t)(c->len - at) : CONTENT_CHUNK;
		same = content_read(c, at, a, k, &e) == 0 && source_pread(&jf, b, k, at, &e) == 0 &&
		       memcmp(a, b, k) == 0;
		at += k;
	}
	if (c == &own)
		content_release(&own);
	err_release(&e);
	free(a);
	free(b);
	return same;
}

static void do_proof(void *ctx)
{
	struct proof_call *c = ctx;
	struct strip_result sr = STRIP_RESULT_INIT;

	pass_strip_make(c->o, c->path, c->in, c->inlen, c->fd, &sr);
	if (c->jfd < 0)
		c->proven = sr.verdict == STRIP_SKIPPED && sr.reason == SKIP_STRIPPED;
	else
		c->proven = sr.verdict == STRIP_CHANGED && sr.outlen == c->jlen &&
			    same_as_journal(&sr, c->jfd);
	strip_result_release(&sr);
}

/* Strip in (fd, st) with this run's options for path, in memory: is the
 * result the journal's content (jfd, jst), or, with jfd < 0, nothing to
 * strip? */
static bool strips_to(const struct dsink *D, int fd, const struct stat *st, const char *path,
		      int jfd, const struct stat *jst)
{
	struct fsu_view in = { NULL, 0, false };
	struct proof_call c = { .o = D->o, .path = path, .fd = fd, .jfd = jfd };
	struct err e = ERR_INIT;

	if (fsu_view_open(fd, (size_t)st->st_size, &in, &e) != 0)
		goto out;
	c.in = in.p;
	c.inlen = in.n;
	c.jlen = jfd >= 0 ? (size_t)jst->st_size : 0;
	if (fsu_guard(do_proof, &c) != 0)
		c.proven = false;
out:
	if (in.p)
		fsu_view_close(&in);
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
static bool journal_proven(const struct dsink *D, int jfd, const struct stat *jst,
			   unsigned long long old, size_t *first, struct stat *old_st,
			   const char **why)
{
	const struct source_dir *d = D->d;
	size_t n = names_of(d, jst->st_dev, (ino_t)old, first), first_new;
	bool proven = false;
	int fd = -1;

	if (!n) {
		*why = "no file is left on the inode it names, and it is not one more name "
		       "of a stripped file linked only in the tree";
		return jst->st_nlink > 1 &&
		       names_of(d, jst->st_dev, jst->st_ino, &first_new) == jst->st_nlink - 1 &&
		       first_new != ENT_NONE &&
		       strips_to(D, jfd, jst, d->base.ents.v[first_new].path, -1, NULL);
	}
	*why = "its content is not what stripping the file on the inode it names makes";
	fd = fsu_open_beneath(d->rootfd, d->base.ents.v[*first].path, O_RDONLY | O_NONBLOCK,
			      D->o->xdev);
	if (fd < 0 || fstat(fd, old_st) != 0 || old_st->st_dev != jst->st_dev ||
	    old_st->st_ino != (ino_t)old || !S_ISREG(old_st->st_mode))
		goto out;
	if (old_st->st_nlink > n) {
		*why = "the file on the inode it names has links outside the tree";
		goto out;
	}
	proven = same_meta(fd, old_st, jfd, jst) &&
		 strips_to(D, fd, old_st, d->base.ents.v[*first].path, jfd, jst);
out:
	if (fd >= 0)
		close(fd);
	return proven;
}

static void report_at(struct dsink *D, const char *rel, const char *msg)
{
	struct buf path = BUF_INIT;

	source_dir_display(D->d, &path, rel);
	report_error(D->d->rep, path.p, msg);
	buf_release(&path);
}

/* Move every name of the old file (from first on) to the journal; false
 * if one could not be moved (reported). */
static bool journal_move(struct dsink *D, int jdir, const char *jbase, const struct stat *jst,
			 size_t first, const struct stat *old_st)
{
	struct source_dir *d = D->d;
	struct entries *t = &d->base.ents;
	bool all = true;
	size_t i;

	for (i = first; i < t->n; i++) {
		struct err e = ERR_INIT;
		const char *base;
		int dir;
		if (!entry_is_file(&t->v[i]) || d->side[i].ino != old_st->st_ino ||
		    d->side[i].dev != old_st->st_dev)
			continue;
		dir = fsu_open_parent(d->rootfd, t->v[i].path, &base, D->o->xdev);
		if (dir >= 0 && fsu_relink(jdir, jbase, dir, base, old_st, &e) == 0) {
			d->side[i].ino = jst->st_ino;
			t->v[i].size = (uint64_t)jst->st_size;
		} else {
			all = false;
			report_at(D, t->v[i].path, e.msg ? e.msg : "cannot finish a hard link");
		}
		err_release(&e);
		if (dir >= 0)
			close(dir);
	}
	return all;
}

/* The names on the journal's inode, the journal itself gone. */
static void recount(struct source_dir *d, const struct stat *jst)
{
	size_t i;

	for (i = 0; i < d->base.ents.n; i++)
		if (entry_is_file(&d->base.ents.v[i]) && d->side[i].ino == jst->st_ino &&
		    d->side[i].dev == jst->st_dev)
			d->side[i].nlink = jst->st_nlink < ENT_NONE ? (uint32_t)jst->st_nlink : ENT_NONE;
}

static void finish_journal(struct dsink *D, const char *jp)
{
	const char *jbase, *why = "cannot be read";
	unsigned long long old;
	struct stat jst, old_st;
	size_t first = ENT_NONE;
	int jdir, jfd = -1;

	fsu_is_journal(entry_base(jp), &old);
	jdir = fsu_open_parent(D->d->rootfd, jp, &jbase, D->o->xdev);
	if (jdir >= 0)
		jfd = openat(jdir, jbase, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (jfd < 0 || fstat(jfd, &jst) != 0 || !S_ISREG(jst.st_mode) ||
	    !journal_proven(D, jfd, &jst, old, &first, &old_st, &why)) {
		struct buf msg = BUF_INIT;
		buf_addf(&msg, "not proven to be a journal of slim's (%s); left as it was", why);
		report_at(D, jp, msg.p);
		buf_release(&msg);
		goto out;
	}
	if (D->o->dry_run) {
		report_tmp_removed(D->d->rep);
		goto out;
	}
	if (first != ENT_NONE && !journal_move(D, jdir, jbase, &jst, first, &old_st))
		goto out; /* a name left on the old inode: the journal stays for it */
	if (unlinkat(jdir, jbase, 0) != 0)
		goto out;
	report_tmp_removed(D->d->rep);
	if (fstat(jfd, &jst) == 0)
		recount(D->d, &jst);
out:
	if (jfd >= 0)
		close(jfd);
	if (jdir >= 0)
		close(jdir);
}

void sink_dir_journals(struct dsink *D)
{
	size_t j;

	for (j = 0; j < D->d->njournals; j++)
		finish_journal(D, D->d->journals[j]);
}

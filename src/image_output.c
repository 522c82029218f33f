/* image_output.c - the output of an image run.
 *
 * The output is built as a tree in the scratch (img->out), then becomes
 * o->output by one rename (a layout), or is tarred, in name order with
 * fixed owners, modes and times, to a temporary name beside o->output that
 * is renamed over it (a tar).  Every file of the tree is written under a
 * temporary name first (fsu_out_open), so that nothing half-written is
 * ever at a name.
 */
#include "image_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* ---- files of the output tree --------------------------------------------------- */

char *img_tmp_name(const char *dir)
{
	struct buf b = BUF_INIT;
	char name[64];

	fsu_tmpname(name, sizeof(name));
	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

int img_mkparents(const char *root, const char *rel)
{
	struct buf b = BUF_INIT;
	const char *s;
	int rc = 0;

	for (s = strchr(rel, '/'); s && !rc; s = strchr(s + 1, '/')) {
		buf_setlen(&b, 0);
		buf_addf(&b, "%s/%.*s", root, (int)(s - rel), rel);
		if (mkdir(b.p, 0755) != 0 && errno != EEXIST)
			rc = -1;
	}
	buf_release(&b);
	return rc;
}

/* How write_new() fills a new file. */
typedef int fill_fn(struct image *img, int fd, const void *ctx);

/*
 * Write the new file path (in the output tree, or o->output) through a
 * temporary name beside it that is renamed to path once fill has written
 * it all; on failure nothing is left.  mode: as open(2)'s.
 */
static int write_new(struct image *img, const char *path, mode_t mode, fill_fn *fill,
		     const void *ctx)
{
	struct err e = ERR_INIT;
	struct fsu_out f;
	int rc = -1;

	if (fsu_out_open(&f, path, mode, &e) != 0) {
		img_fail(img, "%s", e.msg);
	} else if (fill(img, f.fd, ctx) != 0) {
		img_fail(img, "cannot write '%s': %s", path, strerror(errno));
		fsu_out_abort(&f);
	} else if (fsu_out_commit(&f, false, &e) != 0) {
		img_fail(img, "%s", e.msg);
	} else {
		rc = 0;
	}
	err_release(&e);
	return rc;
}

struct bytes {
	const void *p;
	size_t n;
};

static int fill_bytes(struct image *img, int fd, const void *ctx)
{
	const struct bytes *b = ctx;

	(void)img;
	return fsu_write_all(fd, b->p, b->n);
}

int img_put_file(struct image *img, const char *rel, const void *data, size_t len)
{
	struct buf path = BUF_INIT;
	struct bytes b = { data, len };
	int rc = -1;

	buf_addf(&path, "%s/%s", img->out, rel);
	if (img_mkparents(img->out, rel) != 0)
		img_fail(img, "cannot create the directories of '%s': %s", path.p, strerror(errno));
	else
		rc = write_new(img, path.p, 0644, fill_bytes, &b);
	buf_release(&path);
	return rc;
}

int img_put_blob(struct image *img, const void *data, size_t len, char **digest)
{
	unsigned char d[32];
	char *rel;
	int rc;

	image_sha256(data, len, d);
	*digest = image_digest_str(d);
	rel = image_blob_path(*digest);
	rc = img_put_file(img, rel, data, len);
	free(rel);
	if (rc) {
		free(*digest);
		*digest = NULL;
	}
	return rc;
}

/* Copy the file fd (from its start) to the new file out. */
static int copy_fd(int fd, int out)
{
	char *b = NULL;
	loff_t off = 0;
	ssize_t k;
	int rc = -1;

	/* in the kernel (a reflink where the file system can) */
	while ((k = copy_file_range(fd, &off, out, NULL, 1 << 30, 0)) > 0)
		;
	if (k == 0) {
		rc = 0;
		goto out;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		goto out;
	b = xmalloc(CHUNK);
	while ((k = pread(fd, b, CHUNK, off)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || fsu_write_all(out, b, (size_t)k) != 0)
			goto out;
		off += k;
	}
	rc = 0;
out:
	free(b);
	return rc;
}

static int fill_copy(struct image *img, int fd, const void *ctx)
{
	(void)img;
	return copy_fd(*(const int *)ctx, fd);
}

/* The input unpacked from a tar is slim's own: hard-linked.  A file of an
 * input directory is hard-linked only when it is the caller's own and
 * nobody else may write it, else copied: the output must not change after
 * slim checked it. */
int img_copy_in(struct image *img, int fd, const char *rel)
{
	struct buf dst = BUF_INIT;
	char proc[64];
	struct stat st;
	int rc = 0;

	buf_addf(&dst, "%s/%s", img->out, rel);
	if (access(dst.p, F_OK) == 0) /* already there: the same blob */
		goto out;
	if (img_mkparents(img->out, rel) != 0 || fstat(fd, &st) != 0) {
		rc = img_fail(img, "cannot create the directories of '%s': %s", dst.p,
			      strerror(errno));
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((img->tar_in || (st.st_uid == geteuid() && !(st.st_mode & 022))) &&
	    linkat(AT_FDCWD, proc, AT_FDCWD, dst.p, AT_SYMLINK_FOLLOW) == 0)
		goto out;
	rc = write_new(img, dst.p, 0644, fill_copy, &fd);
out:
	buf_release(&dst);
	return rc;
}

/* ---- the move to -o ------------------------------------------------------------------ */

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Add root/rel (a directory, recursively, in name order) to the tar w. */
static int tar_add(struct image *img, struct archive *w, const char *root, const char *rel)
{
	struct dirent **names = NULL;
	struct archive_entry *ae = archive_entry_new();
	struct buf path = BUF_INIT, sub = BUF_INIT;
	struct stat st;
	char *buf = NULL;
	int n = 0, i, fd = -1, rc = -1;

	buf_addf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	if (lstat(path.p, &st) != 0) {
		img_fail(img, "cannot stat '%s': %s", path.p, strerror(errno));
		goto out;
	}
	if (*rel) {
		archive_entry_set_pathname(ae, rel);
		archive_entry_set_filetype(ae, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(ae, S_ISDIR(st.st_mode) ? 0755 : 0644);
		archive_entry_set_size(ae, S_ISDIR(st.st_mode) ? 0 : st.st_size);
		archive_entry_set_mtime(ae, img->o->clamp_mtime ? img->o->mtime : 0, 0);
		if (archive_write_header(w, ae) != ARCHIVE_OK) {
			img_fail(img, "cannot write the image tar: %s", archive_error_string(w));
			goto out;
		}
	}
	if (S_ISREG(st.st_mode)) {
		ssize_t k;
		buf = xmalloc(CHUNK);
		fd = open(path.p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			img_fail(img, "cannot open '%s': %s", path.p, strerror(errno));
			goto out;
		}
		while ((k = read(fd, buf, CHUNK)) != 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 || archive_write_data(w, buf, (size_t)k) != k) {
				img_fail(img, "cannot write the image tar: %s",
					 k < 0 ? strerror(errno) : archive_error_string(w));
				goto out;
			}
		}
		rc = 0;
		goto out;
	}
	n = scandir(path.p, &names, skip_dots, name_cmp);
	if (n < 0) {
		img_fail(img, "cannot read '%s': %s", path.p, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_setlen(&sub, 0);
		buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]->d_name);
		if (tar_add(img, w, root, sub.p) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (fd >= 0)
		close(fd);
	free(buf);
	archive_entry_free(ae);
	buf_release(&path);
	buf_release(&sub);
	return rc;
}

/* Tar img->out into the new file fd. */
static int fill_tar(struct image *img, int fd, const void *ctx)
{
	struct archive *w = archive_write_new();
	int rc = 0;

	(void)ctx;
	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_none(w);
	if (archive_write_open_fd(w, fd) != ARCHIVE_OK || tar_add(img, w, img->out, "") != 0 ||
	    archive_write_close(w) != ARCHIVE_OK) /* (tar_add's own error comes first) */
		rc = img_fail(img, "cannot write the image tar: %s",
			      archive_error_string(w) ? archive_error_string(w) : strerror(errno));
	archive_write_free(w);
	return rc;
}

int img_finish(struct image *img)
{
	const char *out = img->o->output;

	if (img->tar_in)
		return write_new(img, out, 0666, fill_tar, NULL);
	if (rename(img->out, out) != 0)
		return img_fail(img, "cannot rename to '%s': %s%s", out, strerror(errno),
				errno == ENOTEMPTY || errno == EEXIST ? " (it must not exist, or be empty)"
								      : "");
	free(img->out);
	img->out = NULL;
	return 0;
}

/* Beside the output (same file system: renames), or under $TMPDIR for a
 * dry run. */
int img_make_scratch(struct image *img)
{
	const char *o = img->o->output, *tmpdir = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	char *dir;

	if (img->o->dry_run || !o) {
		buf_addf(&b, "%s/slim-image.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(b.p)) {
			img_fail(img, "cannot create a directory in %s: %s", tmpdir ? tmpdir : "/tmp",
				 strerror(errno));
			buf_release(&b);
			return -1;
		}
		img->scratch = buf_detach(&b, NULL);
	} else {
		const char *slash = strrchr(o, '/');
		if (slash)
			buf_addf(&b, "%.*s", (int)(slash == o ? 1 : slash - o), o);
		else
			buf_adds(&b, ".");
		dir = buf_detach(&b, NULL);
		img->scratch = img_tmp_name(dir);
		free(dir);
		if (mkdir(img->scratch, 0755) != 0) {
			img_fail(img, "cannot create '%s': %s", img->scratch, strerror(errno));
			free(img->scratch);
			img->scratch = NULL;
			return -1;
		}
	}
	buf_addf(&b, "%s/out", img->scratch);
	img->out = buf_detach(&b, NULL);
	if (mkdir(img->out, 0755) != 0)
		return img_fail(img, "cannot create '%s': %s", img->out, strerror(errno));
	if (img->tar_in) {
		buf_addf(&b, "%s/in", img->scratch);
		img->in = buf_detach(&b, NULL);
		if (mkdir(img->in, 0755) != 0)
			return img_fail(img, "cannot create '%s': %s", img->in, strerror(errno));
	} else {
		img->in = xstrdup(img->input);
	}
	return 0;
}

bool img_dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

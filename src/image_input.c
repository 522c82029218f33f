/* image_input.c - the input tree of an image run.
 *
 * The input is read from a directory: an OCI layout as it is, or the tar of
 * an image unpacked into the scratch first (regular files only; the
 * symlinks and hard links a docker-archive uses between its files are
 * remembered as aliases, never created; every byte and hole unpacked counts
 * toward the input's bound).  Every file of the input is opened by
 * img_in_open(): beneath the input's directory, never through a link the
 * kernel follows (slim resolves links itself, and only to files inside the
 * input), and only once it is known to be a regular file.
 */
#include "image_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "progress.h"

/* Resolve target (of a symlink at link) to a path in the input; NULL if it
 * leaves it. */
static char *resolve_target(const char *link, const char *target)
{
	struct buf all = BUF_INIT;
	const char *slash = strrchr(link, '/');
	char *p;

	if (*target == '/' || strlen(target) >= PATH_MAX)
		return NULL;
	if (slash)
		buf_addf(&all, "%.*s/", (int)(slash - link), link);
	buf_adds(&all, target);
	p = path_fold(all.p, NULL);
	buf_release(&all);
	if (p && !image_path_valid(p)) {
		free(p);
		p = NULL;
	}
	return p;
}

/* A tar's symlink or hard link entry from -> to (to: owned; NULL: from is
 * a file again, the later entry winning as in tar). */
static void alias_set(struct image *img, const char *from, char *to)
{
	if (to || smap_get(&img->alias, from))
		free(smap_put(&img->alias, from, to));
}

/* Charge n bytes made of the input tar's entry (NULL: none) to the bound. */
static int charge(struct image *img, uint64_t n, const char *entry)
{
	struct err e = ERR_INIT;

	if (bound_charge(&img->bound, n, &e) == 0)
		return 0;
	if (entry)
		img_fail(img, "entry '%s': %s", (entry), e.msg);
	else
		img_fail(img, "%s", e.msg);
	err_release(&e);
	return -1;
}

/* Charge what the input tar's decompressed stream has grown by since it
 * was last charged (headers, data of entries not unpacked). */
static int charge_stream(struct image *img, struct archive *a, const char *entry)
{
	uint64_t now = (uint64_t)archive_filter_bytes(a, 0);

	if (now <= img->streamed)
		return 0;
	now -= img->streamed;
	img->streamed += now;
	return charge(img, now, entry);
}

/* Write the data of the current entry (size bytes, charged already) to fd.
 * Holes stay holes on disk. */
/* The line of progress, when one is due: how far into the input tar. */
static void unpacking(const struct image *img, struct archive *a)
{
	uint64_t at = (uint64_t)archive_filter_bytes(a, -1);
	char x[32], y[32];

	if (!progress_due())
		return;
	fmt_bytes(x, sizeof(x), at);
	fmt_bytes(y, sizeof(y), img->tar_size);
	progress_show("unpacking the image: %s of %s (%.0f%%)", x, y,
		      img->tar_size && at <= img->tar_size
			      ? 100.0 * (double)at / (double)img->tar_size : 0.0);
}

static int unpack_data(struct image *img, struct archive *a, struct archive_entry *ae, int fd,
		       uint64_t size)
{
	const char *name = archive_entry_pathname(ae);
	la_int64_t off;
	const void *p;
	size_t n;
	int r;

	while ((r = archive_read_data_block(a, &p, &n, &off)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return img_fail(img, "entry '%s': %s", (name),
					archive_error_string(a) ? archive_error_string(a) : "bad data");
		if (off < 0 || (uint64_t)off > size || n > size - (uint64_t)off)
			return img_fail(img, "entry '%s': data past its size", (name));
		if (n && pwrite(fd, p, n, off) != (ssize_t)n)
			return img_fail(img, "cannot write '%s': %s", (name), strerror(errno));
		unpacking(img, a);
	}
	if (ftruncate(fd, (off_t)size) != 0) /* a hole at the end */
		return img_fail(img, "cannot write '%s': %s", (name), strerror(errno));
	return 0;
}

/* One entry of the input tar: a directory or regular file is made under
 * img->in, a link remembered as an alias, anything else ignored. */
static int unpack_entry(struct image *img, struct archive *a, struct archive_entry *ae)
{
	const char *raw = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
	const char *sl = archive_entry_symlink(ae);
	mode_t type = archive_entry_filetype(ae);
	char *name = raw ? path_normalize(raw, false, NULL) : NULL, *to;
	struct buf path = BUF_INIT;
	la_int64_t size;
	int fd = -1, rc = -1;

	if (!name || !image_path_valid(name)) {
		if (name && !*name) /* "./" */
			rc = 0;
		else
			img_fail(img, "entry '%s': unsafe path", (raw ? raw : ""));
		goto out;
	}
	buf_addf(&path, "%s/%s", img->in, name);
	if (hl || type == AE_IFLNK) {
		to = hl ? path_normalize(hl, false, NULL) : sl ? resolve_target(name, sl) : NULL;
		if (to && image_path_valid(to)) {
			unlink(path.p); /* the later entry wins */
			alias_set(img, name, to);
		} else {
			free(to);
		}
		rc = 0;
		goto out;
	}
	if (type != AE_IFREG && type != AE_IFDIR) {
		rc = 0;
		goto out;
	}
	if (img_mkparents(img->in, name) != 0 ||
	    (type == AE_IFDIR && mkdir(path.p, 0755) != 0 && errno != EEXIST)) {
		img_fail(img, "entry '%s': cannot create it: %s", (raw), strerror(errno));
		goto out;
	}
	if (type == AE_IFDIR) {
		rc = 0;
		goto out;
	}
	alias_set(img, name, NULL);
	/* every byte of it (holes read as zeros) counts, before anything is written */
	size = archive_entry_size(ae);
	if (size < 0 || charge(img, (uint64_t)size, raw) != 0) {
		img_fail(img, "entry '%s': bad size", (raw));
		goto out;
	}
	img->streamed += (uint64_t)size; /* its data in the stream, charged */
	unlink(path.p); /* the later of two entries wins, as in tar */
	fd = open(path.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		img_fail(img, "entry '%s': cannot create it: %s", (raw), strerror(errno));
		goto out;
	}
	if (unpack_data(img, a, ae, fd, (uint64_t)size) != 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		img_fail(img, "entry '%s': cannot write it: %s", (raw), strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(name);
	buf_release(&path);
	return rc;
}

/*
 * Unpack the image tar into img->in: directories and regular files only
 * (links are remembered as aliases, never created).  Every byte this makes
 * of the input (its decompressed stream, and the holes of sparse entries)
 * counts toward img->bound, and the entries are counted: a bomb is refused
 * before it fills the disk.
 */
int img_unpack(struct image *img)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct stat st;
	int r, rc = -1, fd = open(img->input, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		img_fail(img, "%s", strerror(errno));
		goto out;
	}
	bound_init(&img->bound, (uint64_t)st.st_size, img->o->max_ratio);
	img->tar_size = (uint64_t)st.st_size;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK) {
		img_fail(img, "%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (++img->nentries > MAX_ENTRIES) {
			img_fail(img, "more than %u entries: not a saved image", MAX_ENTRIES);
			goto out;
		}
		if (charge_stream(img, a, archive_entry_pathname(ae)) != 0 ||
		    unpack_entry(img, a, ae) != 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		img_fail(img, "%s", archive_error_string(a) ? archive_error_string(a) : "cannot read the image");
		goto out;
	}
	rc = 0;
out:
	progress_clear();
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* p with its first prefix that is a link replaced by what the link names
 * (NULL: none).  A tar input's links are its aliases; a directory's are
 * read with readlinkat and resolved here, never by the kernel.  *out: the
 * link leaves the input. */
static char *follow_link(struct image *img, const char *p, bool *out)
{
	struct buf pre = BUF_INIT, res = BUF_INIT;
	const char *s, *end;
	char target[PATH_MAX], *to = NULL;
	struct stat st;
	ssize_t k;

	*out = false;
	for (s = p;; s = end + 1) {
		end = strchr(s, '/');
		buf_setlen(&pre, 0);
		buf_add(&pre, p, end ? (size_t)(end - p) : strlen(p));
		if (img->tar_in) {
			const char *a = smap_get(&img->alias, pre.p);
			if (a) {
				to = xstrdup(a);
				break;
			}
		} else if (fstatat(img->infd, pre.p, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			break;
		} else if (S_ISLNK(st.st_mode)) {
			k = readlinkat(img->infd, pre.p, target, sizeof(target) - 1);
			if (k < 0)
				break;
			target[k] = '\0';
			to = resolve_target(pre.p, target);
			*out = !to;
			break;
		}
		if (!end)
			break;
	}
	buf_release(&pre);
	if (!to)
		return NULL;
	buf_adds(&res, to);
	if (end)
		buf_adds(&res, end); /* "/" and the rest */
	free(to);
	return buf_detach(&res, NULL);
}

/* Is p a path in the input slim will look for?  Saved images name their
 * files with two or three components; a path much longer or deeper would
 * only cost time (links are looked up a component at a time). */
static bool in_path_ok(const char *p)
{
	size_t n = 0, depth = 0;

	for (; p[n] && n < PATH_MAX; n++)
		depth += p[n] == '/';
	return n < PATH_MAX && depth < MAX_PATH_DEPTH;
}

/* An O_PATH descriptor of p beneath the input, or -1 (errno ELOOP when p
 * itself or a directory on the way is a symlink). */
static int open_path(struct image *img, const char *p)
{
	struct stat st;
	int fd = fsu_open_beneath(img->infd, p, O_PATH, false);

	/* O_PATH | O_NOFOLLOW opens a trailing symlink itself */
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = ELOOP;
	}
	return fd;
}

/* (image_int.h) Links are followed by name (follow_link), a hop at a
 * time; the file is opened for reading through its O_PATH descriptor once
 * it is known to be a regular file, so that a device is never opened. */
int img_in_open(struct image *img, const char *rel, char **where, struct err *e)
{
	char *p = xstrdup(rel), *next, proc[64];
	bool out = false;
	struct stat st;
	int fd = -1, rfd = -1, hops, saved;

	if (!image_path_valid(rel)) {
		err_set(e, "unsafe path");
		goto out;
	}
	for (hops = 0; fd < 0; hops++) {
		if (hops > MAX_HOPS) {
			err_errno(e, ELOOP, "more than %d links", MAX_HOPS);
			goto out;
		}
		if (!in_path_ok(p)) {
			err_set(e, "path longer than %d bytes or %d components", PATH_MAX - 1,
				MAX_PATH_DEPTH);
			goto out;
		}
		/* in a tar, a link and a file may share a name: the alias is the later */
		next = img->tar_in ? follow_link(img, p, &out) : NULL;
		if (!next) {
			fd = open_path(img, p);
			saved = errno;
			if (fd < 0 && (img->tar_in || !(next = follow_link(img, p, &out)))) {
				if (out) {
					err_set(e, "a symlink leads out of the input");
					e->code = ELOOP;
				} else {
					err_errno(e, saved, "cannot open");
				}
				goto out;
			}
		}
		if (next) {
			free(p);
			p = next;
		}
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "not a regular file");
		goto out;
	}
	rfd = open(proc, O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		err_errno(e, errno, "cannot open");
		goto out;
	}
	if (where) {
		*where = p;
		p = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return rfd;
}

bool img_in_exists(struct image *img, const char *rel)
{
	struct err e = ERR_INIT;
	int fd = img_in_open(img, rel, NULL, &e);
	bool yes = fd >= 0 || e.code != ENOENT;

	err_release(&e);
	if (fd >= 0)
		close(fd);
	return yes;
}

int img_read_small(struct image *img, const char *rel, const char *digest, int64_t size,
		   char **data, size_t *len)
{
	struct err e = ERR_INIT;
	struct stat st;
	unsigned char d[32];
	char *got = NULL;
	int fd, rc = -1;

	*data = NULL;
	*len = 0;
	fd = img_in_open(img, rel, NULL, &e);
	if (fd < 0) {
		img_fail(img, "'%s': %s", (rel), e.msg);
		goto out;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > IMAGE_MAX_JSON) {
		img_fail(img, "'%s': larger than %u bytes", (rel), IMAGE_MAX_JSON);
		goto out;
	}
	if (fsu_read_all(fd, (size_t)st.st_size, (unsigned char **)data, &e) != 0) {
		img_fail(img, "cannot read '%s': %s", (rel), e.msg);
		goto out;
	}
	*len = (size_t)st.st_size;
	image_sha256(*data, *len, d);
	got = image_digest_str(d);
	if ((digest && strcmp(got, digest) != 0) || (size >= 0 && (uint64_t)size != *len)) {
		img_fail(img, "'%s' does not match its descriptor: it is %s, %zu bytes; expected %s, %lld "
			  "bytes", (rel), got, *len, digest ? digest : got,
			 size >= 0 ? (long long)size : (long long)*len);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(*data);
		*data = NULL;
	}
	free(got);
	err_release(&e);
	if (fd >= 0)
		close(fd);
	return rc;
}

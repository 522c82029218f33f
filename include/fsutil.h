/* fsutil.h - safe opening beneath a root and atomic replacement.
 *
 * Every path here is relative to a directory descriptor and is resolved
 * without following symlinks and without leaving that directory (openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component-by-component walk
 * with O_NOFOLLOW on kernels without openat2).
 */
#ifndef SLIM_FSUTIL_H
#define SLIM_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

/* Temporary files are named ".slim-<16 hex digits>.tmp"; a run that finds
 * one left by a killed run removes it. */
#define FSU_TMP_PREFIX ".slim-"
#define FSU_TMP_SUFFIX ".tmp"
bool fsu_is_tmpname(const char *name);
/* A fresh temporary name (".slim-<16 random hex>.tmp") into out. */
void fsu_tmpname(char *out, size_t n);
#define FSU_TMPNAME_MAX 64

/*
 * Create a new temporary file in dirfd under a fresh random name (into
 * name, FSU_TMPNAME_MAX bytes), O_CREAT | O_EXCL | O_NOFOLLOW: never an
 * existing file, never through a planted symlink.  flags: O_WRONLY or
 * O_RDWR (O_CLOEXEC is added).  Returns the fd, or -1 with errno set.
 */
int fsu_tmp_create(int dirfd, char *name, int flags, mode_t mode);

/*
 * Open the directory that holds path (a user's output path, say) and set
 * *base to its last component; "" and paths ending in '/' or naming "." or
 * ".." have none (-1, EINVAL).  Returns the directory's fd, or -1.
 */
int fsu_open_dir_of(const char *path, const char **base);

/* Write all of data to fd (retrying short writes and EINTR); 0 or -1. */
int fsu_write_all(int fd, const void *data, size_t len);
/* The same at offset 0 of a new, empty file, leaving each aligned 4 KiB
 * block of zeros a hole. */
int fsu_write_sparse(int fd, const void *data, size_t len);

/*
 * A new file at a user's path, written beside it and put in place at the
 * end: fsu_out_open() creates a temporary file in path's directory
 * (fsu_tmp_create: O_EXCL | O_NOFOLLOW, open O_RDWR) and gives its fd;
 * fsu_out_commit() closes it (fsync first when sync) and renames it to
 * path; fsu_out_abort() removes it.  On any failure of open or commit
 * nothing is left and e says why; abort after commit, or twice, is fine.
 * path is borrowed until commit or abort.
 */
struct fsu_out {
	int fd, dirfd;
	const char *path, *base;
	char tmp[FSU_TMPNAME_MAX];
};
int fsu_out_open(struct fsu_out *o, const char *path, mode_t mode, struct err *e);
int fsu_out_commit(struct fsu_out *o, bool sync, struct err *e);
void fsu_out_abort(struct fsu_out *o);

/*
 * While the names of a hard-linked file are moved to its new version one
 * by one, the new version also carries a journal name
 * ".slim-link-<old inode, 16 hex digits>.tmp" in the first name's
 * directory.  A run killed meanwhile leaves it; the next run moves every
 * name still on the old inode to it, then removes it.
 */
#define FSU_JOURNAL_PREFIX ".slim-link-"
/* Is name a journal name?  Then *ino gets the old inode number. */
bool fsu_is_journal(const char *name, unsigned long long *ino);
void fsu_journal_name(char *out, size_t n, unsigned long long ino);

/*
 * Open relpath beneath rootfd without following any symlink.  flags are
 * open(2) flags; O_NOFOLLOW and O_CLOEXEC are added.  Returns an fd or -1
 * with errno set (ELOOP/EXDEV when a symlink or escape was refused).
 * xdev also refuses to cross a mount point.  A path longer than PATH_MAX
 * is opened a component at a time, each with O_NOFOLLOW.
 */
int fsu_open_beneath(int rootfd, const char *relpath, int flags, bool xdev);

/* Open the directory holding relpath and return it; *base points into
 * relpath at the last component. */
int fsu_open_parent(int rootfd, const char *relpath, const char **base, bool xdev);

/*
 * A read-only view of a whole regular file of size bytes: mapped when it
 * is large (no copy), read into a buffer when small.  A mapped file that
 * another process truncates raises SIGBUS on access: read a view only
 * inside fsu_guard().
 */
struct fsu_view {
	const unsigned char *p;
	size_t n;
	bool mapped;
};
int fsu_view_open(int fd, size_t size, struct fsu_view *v, struct err *e);
void fsu_view_close(struct fsu_view *v);

/*
 * Call fn(ctx); if it touches a mapped page past the end of a file that
 * shrank meanwhile (SIGBUS), unwind and return -1 instead of dying.  What
 * fn had allocated by then is lost; that only happens when a file changes
 * under slim, which is an error of its own.
 */
int fsu_guard(void (*fn)(void *ctx), void *ctx);

/* n bytes of fd at off into buf: 0, or -1 (errno; EIO when the file
 * ends before). */
int fsu_pread_all(int fd, void *buf, size_t n, uint64_t off);

/* Read all of fd (a regular file of st_size bytes) into a malloc'd buffer.
 * Fails with EAGAIN-like message if the size changed while reading. */
int fsu_read_all(int fd, size_t size, unsigned char **out, struct err *e);

/*
 * Every replacement of a name below (fsu_replace, fsu_replace_j,
 * fsu_relink) replaces only the file the caller checked: the new file is
 * exchanged with the name (renameat2 RENAME_EXCHANGE) and what comes out
 * must be that file (dev, ino) and unchanged (size, mtime), else it is put
 * back and the call fails with "file changed while being processed".  A
 * file another process renamed to the name meanwhile is never replaced.
 * (Where the file system has no RENAME_EXCHANGE: a check, then a rename.)
 */

/*
 * Replace dirfd/name with data[0..len) atomically: write a temp file in
 * the same directory, give it the mode (setuid too), owner, xattrs
 * (security.capability last) and times of the original (open as origfd,
 * stat as *st), and put it in the original's place, which must still hold
 * *st's file, unchanged.  On success *newst (if not NULL) gets the new
 * file's stat.  On failure nothing is left behind and the original is
 * intact; returns -1 and fills e.
 */
int fsu_replace(int dirfd, const char *name, int origfd, const struct stat *st,
		const void *data, size_t len, struct stat *newst, struct err *e);
/* fsu_replace that, when journal is not NULL, also links the finished
 * temp file as dirfd/journal before the exchange (see FSU_JOURNAL_PREFIX);
 * removed again when the call fails. */
/* fsu_replace_j of a content (content.h), written with content_write. */
struct content;
int fsu_replace_c(int dirfd, const char *name, int origfd, const struct stat *st,
		  const struct content *c, const char *journal, struct stat *newst,
		  struct err *e);
int fsu_replace_j(int dirfd, const char *name, int origfd, const struct stat *st,
		  const void *data, size_t len, const char *journal, struct stat *newst,
		  struct err *e);

/*
 * Make dirfd/name a hard link to srcdir/srcname, atomically (link to a temp
 * name, exchange).  expect: the file name must still be (dev, ino) and
 * unchanged since (size, mtime), else it is left and the call fails.
 * Returns 0 or -1 with e filled.
 */
int fsu_relink(int srcdir, const char *srcname, int dirfd, const char *name,
	       const struct stat *expect, struct err *e);

/* Tests only (NULL in slim): called with the directory and name right
 * before a name is replaced, after the caller's last look at it. */
extern void (*fsu_test_hook)(int dirfd, const char *name);

/*
 * Every extended attribute of fd in a canonical form, appended to out
 * (empty): two files' attributes are equal exactly when the forms are.
 * Nothing where xattrs are unsupported.  Returns 0, or -1 with e set.
 */
int fsu_read_xattrs(int fd, struct buf *out, struct err *e);

/*
 * Remove dirfd/name and, if it is a directory, everything below it, with
 * unlinkat on directory descriptors: never following a symlink, never
 * crossing into a file system other than dirfd's (a mount point, name
 * itself included, is left with its content and reported).  Returns 0, or
 * -1 with e saying what could not be removed.
 */
int fsu_remove_tree(int dirfd, const char *name, struct err *e);

/* Read at most max bytes from the start of fd into a malloc'd buffer;
 * returns the count or -1. */
ssize_t fsu_read_head(int fd, size_t max, unsigned char **out);
/* Read up to want bytes from the start of fd into buf (retrying short
 * reads); returns how many were read, fewer at end of file or an error. */
size_t fsu_pread_upto(int fd, void *buf, size_t want);

/*
 * Where a tree given as path sits below root (an absolute, resolved
 * directory, "/" for the file system root): path resolved (realpath), and
 * root's part of it cut off, as a normalized relative path ("" for root
 * itself); for a file, its directory's.  Returns it (malloc'd: the caller
 * frees), or NULL with e set when path cannot be resolved or is not below
 * root.
 */
char *fsu_place(const char *path, const char *root, struct err *e);

/* Raise the open-file limit to its hard maximum (deep trees). */
void fsu_raise_nofile(void);

#endif

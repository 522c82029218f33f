#include "fsutil.h"
#include "content.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

bool fsu_is_tmpname(const char *name)
{
	size_t pl = strlen(FSU_TMP_PREFIX), sl = strlen(FSU_TMP_SUFFIX), i;

	if (strlen(name) != pl + 16 + sl || strncmp(name, FSU_TMP_PREFIX, pl) != 0 ||
	    strcmp(name + pl + 16, FSU_TMP_SUFFIX) != 0)
		return false;
	for (i = pl; i < pl + 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

bool fsu_is_journal(const char *name, unsigned long long *ino)
{
	size_t pl = strlen(FSU_JOURNAL_PREFIX), sl = strlen(FSU_TMP_SUFFIX), i;
	unsigned long long v = 0;

	if (strlen(name) != pl + 16 + sl || strncmp(name, FSU_JOURNAL_PREFIX, pl) != 0 ||
	    strcmp(name + pl + 16, FSU_TMP_SUFFIX) != 0)
		return false;
	for (i = pl; i < pl + 16; i++) {
		char ch = name[i];
		if (ch >= '0' && ch <= '9')
			v = v * 16 + (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v * 16 + (unsigned)(ch - 'a' + 10);
		else
			return false;
	}
	*ino = v;
	return true;
}

void fsu_journal_name(char *out, size_t n, unsigned long long ino)
{
	snprintf(out, n, FSU_JOURNAL_PREFIX "%016llx" FSU_TMP_SUFFIX, ino);
}

/* One getrandom() per thread, then splitmix64: distinct names, no syscall
 * per name (dedup makes one per link). */
static _Thread_local unsigned long long tmp_state;
static _Thread_local bool tmp_seeded;

void fsu_tmpname(char *out, size_t n)
{
	unsigned long long z;

	if (!tmp_seeded) {
		if (getrandom(&tmp_state, sizeof(tmp_state), 0) != sizeof(tmp_state))
			tmp_state = ((unsigned long long)getpid() << 32) ^
				    (unsigned long long)(uintptr_t)&tmp_state ^
				    (unsigned long long)time(NULL);
		tmp_seeded = true;
	}
	z = (tmp_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	snprintf(out, n, FSU_TMP_PREFIX "%016llx" FSU_TMP_SUFFIX, z);
}

int fsu_tmp_create(int dirfd, char *name, int flags, mode_t mode)
{
	int tries, fd = -1;

	for (tries = 0; tries < 16; tries++) {
		fsu_tmpname(name, FSU_TMPNAME_MAX);
		fd = openat(dirfd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	return fd;
}

int fsu_open_dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	char *dir;
	int fd;

	if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd >= 0)
		*base = b;
	return fd;
}

static _Atomic int openat2_state; /* 0 unknown, 1 works, -1 ENOSYS */

/* Fallback: one component at a time, refusing symlinks and "..". */
static int open_walk(int rootfd, const char *relpath, int flags, bool xdev)
{
	struct stat rst;
	char *copy, *p, *slash;
	int dfd, fd = -1;

	if (xdev && fstat(rootfd, &rst) != 0)
		return -1;
	dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	copy = xstrdup(relpath);
	p = copy;
	for (;;) {
		int nfd;
		struct stat st;
		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (strcmp(p, "..") == 0) {
			errno = EXDEV;
			break;
		}
		if (!slash) {
			fd = openat(dfd, *p ? p : ".", flags | O_NOFOLLOW | O_CLOEXEC, 0);
			if (fd >= 0 && xdev && (fstat(fd, &st) || st.st_dev != rst.st_dev)) {
				close(fd);
				fd = -1;
				errno = EXDEV;
			}
			break;
		}
		nfd = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			break;
		if (xdev && (fstat(nfd, &st) || st.st_dev != rst.st_dev)) {
			close(nfd);
			errno = EXDEV;
			break;
		}
		close(dfd);
		dfd = nfd;
		p = slash + 1;
	}
	{
		int saved = errno;
		close(dfd);
		free(copy);
		errno = saved;
	}
	return fd;
}

int fsu_open_beneath(int rootfd, const char *relpath, int flags, bool xdev)
{
	struct open_how how;
	long fd;

	if (!*relpath)
		relpath = ".";
	if (openat2_state >= 0) {
		memset(&how, 0, sizeof(how));
		how.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC);
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		if (xdev)
			how.resolve |= RESOLVE_NO_XDEV;
		do
			fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
		if (fd < 0 && errno == ENAMETOOLONG) /* deeper than PATH_MAX */
			return open_walk(rootfd, relpath, flags, xdev);
		if (fd >= 0 || errno != ENOSYS) {
			openat2_state = 1;
			return (int)fd;
		}
		openat2_state = -1;
	}
	return open_walk(rootfd, relpath, flags, xdev);
}

int fsu_open_parent(int rootfd, const char *relpath, const char **base, bool xdev)
{
	const char *slash = strrchr(relpath, '/');
	char *dir;
	int fd;

	if (!slash) {
		*base = relpath;
		return fsu_open_beneath(rootfd, ".", O_RDONLY | O_DIRECTORY, xdev);
	}
	*base = slash + 1;
	dir = xmalloc((size_t)(slash - relpath) + 1);
	memcpy(dir, relpath, (size_t)(slash - relpath));
	dir[slash - relpath] = '\0';
	fd = fsu_open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, xdev);
	free(dir);
	return fd;
}

#define VIEW_MAP_MIN (256 * 1024)
#define VIEW_POPULATE_MAX (32u << 20)

int fsu_view_open(int fd, size_t size, struct fsu_view *v, struct err *e)
{
	unsigned char *p;

	v->p = NULL;
	v->n = size;
	v->mapped = false;
	if (size >= VIEW_MAP_MIN) {
		/* faulted in up front while small: a large file (a CUDA library
		 * of 500 MB, mostly never read) only as far as it is read */
		p = mmap(NULL, size, PROT_READ,
			 MAP_PRIVATE | (size <= VIEW_POPULATE_MAX ? MAP_POPULATE : 0), fd, 0);
		if (p != MAP_FAILED) {
			v->p = p;
			v->mapped = true;
			return 0;
		}
	}
	if (fsu_read_all(fd, size, &p, e) != 0)
		return -1;
	v->p = p;
	return 0;
}

void fsu_view_close(struct fsu_view *v)
{
	if (v->mapped)
		munmap((void *)v->p, v->n);
	else
		free((void *)v->p);
	v->p = NULL;
	v->n = 0;
}

static __thread sigjmp_buf *guard_jb;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig)
{
	if (guard_jb)
		siglongjmp(*guard_jb, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

int fsu_guard(void (*fn)(void *ctx), void *ctx)
{
	sigjmp_buf jb;

	pthread_once(&guard_once, guard_install);
	if (sigsetjmp(jb, 1)) {
		guard_jb = NULL;
		return -1;
	}
	guard_jb = &jb;
	fn(ctx);
	guard_jb = NULL;
	return 0;
}

int fsu_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t k = pread(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO; /* shorter than it was */
			return -1;
		}
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int fsu_read_all(int fd, size_t size, unsigned char **out, struct err *e)
{
	unsigned char *p = xmalloc(size + 1);
	size_t got = 0;

	while (got <= size) {
		ssize_t k = pread(fd, p + got, size + 1 - got, (off_t)got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, errno, "read failed");
			free(p);
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got != size) {
		err_set(e, "file changed size while being read");
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int fsu_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Is p[0..n) all zeros? */
static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

int fsu_write_sparse(int fd, const void *data, size_t len)
{
	const size_t blk = 4096;
	const unsigned char *p = data;
	size_t at = 0, run = 0; /* bytes from at on to write */
	bool hole = false;

	while (at + run < len) {
		size_t n = len - (at + run) < blk ? len - (at + run) : blk;
		if (n == blk && all_zero(p + at + run, n)) {
			if (run && fsu_write_all(fd, p + at, run) != 0)
				return -1;
			at += run + n;
			run = 0;
			if (lseek(fd, (off_t)at, SEEK_SET) < 0)
				return -1;
			hole = true;
			continue;
		}
		run += n;
	}
	if (run && fsu_write_all(fd, p + at, run) != 0)
		return -1;
	/* a file that ends in a hole gets its length */
	return hole && !run && ftruncate(fd, (off_t)len) != 0 ? -1 : 0;
}

/* Copy every xattr of src to dst; security.capability last, since the
 * kernel drops it on any later write or chown. */
static int copy_xattrs(int src, int dst, struct err *e)
{
	char *names = NULL, *val = NULL, *cap = NULL;
	ssize_t nl, vl, capl = -1;
	size_t vcap = 0;
	const char *n;
	int rc = -1;

	nl = flistxattr(src, NULL, 0);
	if (nl < 0) {
		if (errno == ENOTSUP)
			return 0;
		err_errno(e, errno, "cannot list extended attributes");
		return -1;
	}
	if (nl == 0)
		return 0;
	names = xmalloc((size_t)nl);
	nl = flistxattr(src, names, (size_t)nl);
	if (nl < 0) {
		err_errno(e, errno, "cannot list extended attributes");
		goto out;
	}
	for (n = names; n < names + nl; n += strlen(n) + 1) {
		vl = fgetxattr(src, n, NULL, 0);
		if (vl < 0)
			goto get_fail;
		if ((size_t)vl + 1 > vcap) {
			vcap = (size_t)vl + 1;
			val = xrealloc(val, vcap);
		}
		vl = fgetxattr(src, n, val, vcap);
		if (vl < 0)
			goto get_fail;
		if (strcmp(n, "security.capability") == 0) {
			cap = xmalloc((size_t)vl + 1);
			memcpy(cap, val, (size_t)vl);
			capl = vl;
			continue;
		}
		if (fsetxattr(dst, n, val, (size_t)vl, 0) != 0) {
			err_errno(e, errno, "cannot copy extended attribute %s", n);
			goto out;
		}
	}
	if (capl >= 0 && fsetxattr(dst, "security.capability", cap, (size_t)capl, 0) != 0) {
		err_errno(e, errno, "cannot copy extended attribute security.capability");
		goto out;
	}
	rc = 0;
	goto out;
get_fail:
	err_errno(e, errno, "cannot read extended attribute %s", n);
out:
	free(names);
	free(val);
	free(cap);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the xattr names of fd into *names (NUL-separated, caller frees);
 * returns the list's length, 0 where xattrs are unsupported, or -1. */
static ssize_t list_xattrs(int fd, char **names, struct err *e)
{
	ssize_t n;

	*names = NULL;
	for (;;) {
		n = flistxattr(fd, NULL, 0);
		if (n <= 0)
			break;
		*names = xrealloc(*names, (size_t)n);
		n = flistxattr(fd, *names, (size_t)n);
		if (n >= 0 || errno != ERANGE)
			break;
	}
	if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
		return 0;
	if (n < 0)
		err_errno(e, errno, "cannot list extended attributes");
	return n;
}

/* Append the value of xattr name to out. */
static int add_xattr_value(int fd, const char *name, struct buf *out, struct err *e)
{
	ssize_t n;

	for (;;) {
		n = fgetxattr(fd, name, NULL, 0);
		if (n < 0)
			break;
		buf_grow(out, (size_t)n);
		n = fgetxattr(fd, name, out->p + out->len, (size_t)n);
		if (n >= 0 || errno != ERANGE)
			break;
	}
	if (n < 0) {
		err_errno(e, errno, "cannot read extended attribute %s", name);
		return -1;
	}
	out->len += (size_t)n;
	out->p[out->len] = '\0';
	return 0;
}

/* The canonical form: names in byte order, each followed by its NUL, the
 * value's length (8 bytes) and the value. */
int fsu_read_xattrs(int fd, struct buf *out, struct err *e)
{
	char *names = NULL, **v = NULL, *p;
	size_t nv = 0, cap = 0, i;
	ssize_t len = list_xattrs(fd, &names, e);
	int rc = -1;

	if (len < 0)
		goto out;
	for (p = names; p < names + len; p += strlen(p) + 1) {
		xgrow(&v, &cap, nv + 1, sizeof(*v));
		v[nv++] = p;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_str);
	for (i = 0; i < nv; i++) {
		uint64_t vlen;
		size_t at;

		buf_add(out, v[i], strlen(v[i]) + 1);
		at = out->len;
		buf_add(out, "\0\0\0\0\0\0\0\0", 8);
		if (add_xattr_value(fd, v[i], out, e) != 0)
			goto out;
		vlen = out->len - at - 8;
		memcpy(out->p + at, &vlen, 8);
	}
	rc = 0;
out:
	free(v);
	free(names);
	return rc;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

void (*fsu_test_hook)(int dirfd, const char *name);

/* Remove dirfd/tmp if it still is our file (dev, ino): never a name that
 * came to hold something else. */
static void drop_ours(int dirfd, const char *tmp, dev_t dev, ino_t ours)
{
	struct stat st;

	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dev &&
	    st.st_ino == ours)
		unlinkat(dirfd, tmp, 0);
}

/* Without RENAME_EXCHANGE (NFS, some FUSE file systems) the best there is:
 * check, then rename.  A file renamed to name between the two is lost. */
static int check_and_rename(int dirfd, const char *tmp, const char *name,
			    const struct stat *want, struct err *e)
{
	struct stat now;

	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0 || !same_file(&now, want)) {
		err_set(e, "file changed while being processed; left as it was");
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		err_errno(e, errno, "cannot rename over the original");
		return -1;
	}
	return 0;
}

/*
 * Put dirfd/tmp (a file of ours) in the place of dirfd/name, which must
 * still be the file *want describes (dev, ino, size, mtime).  The names
 * are exchanged first and what came out is looked at after: a check before
 * a rename could not stop a file renamed to name in between from being
 * replaced, unseen.  What came out is not the file checked: it goes back.
 * Returns 0 (tmp gone), or -1 with e set and name holding what it held;
 * *tmp_ours then says that tmp should hold ours still, for the caller to
 * remove (drop_ours).
 */
static int put_in_place(int dirfd, const char *tmp, const char *name, const struct stat *want,
			bool *tmp_ours, struct err *e)
{
	struct stat out;

	*tmp_ours = true;
	if (fsu_test_hook)
		fsu_test_hook(dirfd, name);
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) != 0) {
		if (errno == EINVAL || errno == ENOSYS)
			return check_and_rename(dirfd, tmp, name, want, e);
		if (errno == ENOENT)
			err_set(e, "file changed while being processed; left as it was");
		else
			err_errno(e, errno, "cannot rename over the original");
		return -1;
	}
	if (fstatat(dirfd, tmp, &out, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&out, want)) {
		/* a failure leaves a temp name, which the next run removes */
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) != 0) {
		*tmp_ours = false;
		err_errno(e, errno, "file changed while being processed, and what was there "
			  "could not be put back: it is now '%s'", tmp);
		return -1;
	}
	err_set(e, "file changed while being processed; left as it was");
	return -1;
}

int fsu_replace(int dirfd, const char *name, int origfd, const struct stat *st,
		const void *data, size_t len, struct stat *newst, struct err *e)
{
	return fsu_replace_j(dirfd, name, origfd, st, data, len, NULL, newst, e);
}

int fsu_replace_j(int dirfd, const char *name, int origfd, const struct stat *st,
		  const void *data, size_t len, const char *journal, struct stat *newst,
		  struct err *e)
{
	struct content c;
	int rc;

	content_init(&c, NULL, 0);
	content_add_ref(&c, data, len);
	rc = fsu_replace_c(dirfd, name, origfd, st, &c, journal, newst, e);
	content_release(&c);
	return rc;
}

int fsu_replace_c(int dirfd, const char *name, int origfd, const struct stat *st,
		  const struct content *c, const char *journal, struct stat *newst,
		  struct err *e)
{
	char tmp[FSU_TMPNAME_MAX];
	struct stat tst;
	struct timespec ts[2];
	bool ours;
	int fd = fsu_tmp_create(dirfd, tmp, O_WRONLY, 0600);

	if (fd < 0) {
		err_errno(e, errno, "cannot create temporary file");
		return -1;
	}
	/* blocks of zeros (GPU code pruned) stay holes: disk use drops.  Not
	 * through copy_file_range: it copies blocks of zeros as data (9 MB more
	 * on disk for CUDA 13's libraries pruned to sm_90) and was no faster */
	if (content_write(c, fd, false, e) != 0) {
		/* a failed write says so as it always has; a failed read as is */
		if (e->msg && (strncmp(e->msg, "cannot write", 12) == 0 ||
			       strncmp(e->msg, "cannot copy", 11) == 0))
			err_errno(e, e->code, "cannot write temporary file");
		goto fail;
	}
	if (fstat(fd, &tst) != 0) {
		err_errno(e, errno, "cannot stat temporary file");
		goto fail;
	}
	if ((tst.st_uid != st->st_uid || tst.st_gid != st->st_gid) &&
	    fchown(fd, st->st_uid, st->st_gid) != 0) {
		err_errno(e, errno, "cannot keep owner %u:%u", (unsigned)st->st_uid,
			  (unsigned)st->st_gid);
		goto fail;
	}
	/* after chown, which clears setuid/setgid */
	if (fchmod(fd, st->st_mode & 07777) != 0) {
		err_errno(e, errno, "cannot keep mode %04o", (unsigned)(st->st_mode & 07777));
		goto fail;
	}
	if (copy_xattrs(origfd, fd, e) != 0)
		goto fail;
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (futimens(fd, ts) != 0) {
		err_errno(e, errno, "cannot keep modification time");
		goto fail;
	}
	if (newst && fstat(fd, newst) != 0) {
		err_errno(e, errno, "cannot stat temporary file");
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_errno(e, errno, "cannot write temporary file");
		goto fail;
	}
	fd = -1;
	if (journal && linkat(dirfd, tmp, dirfd, journal, 0) != 0) {
		err_errno(e, errno, "cannot create the journal link");
		goto fail;
	}
	/* st is origfd's file: put_in_place checks it is still at name and
	 * unchanged (size, mtime) as it takes it out */
	if (put_in_place(dirfd, tmp, name, st, &ours, e) != 0) {
		if (ours)
			drop_ours(dirfd, tmp, tst.st_dev, tst.st_ino);
		if (journal)
			drop_ours(dirfd, journal, tst.st_dev, tst.st_ino);
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

int fsu_relink(int srcdir, const char *srcname, int dirfd, const char *name,
	       const struct stat *expect, struct err *e)
{
	char tmp[FSU_TMPNAME_MAX];
	struct stat src;
	bool ours;
	int tries, rc = -1;

	for (tries = 0; tries < 8; tries++) {
		fsu_tmpname(tmp, sizeof(tmp));
		rc = linkat(srcdir, srcname, dirfd, tmp, 0);
		if (rc == 0 || errno != EEXIST)
			break;
	}
	if (rc != 0) {
		err_errno(e, errno, "cannot create hard link");
		return -1;
	}
	if (put_in_place(dirfd, tmp, name, expect, &ours, e) == 0)
		return 0;
	/* ours is what srcname is (only failures pay for the look) */
	if (ours && fstatat(srcdir, srcname, &src, AT_SYMLINK_NOFOLLOW) == 0)
		drop_ours(dirfd, tmp, src.st_dev, src.st_ino);
	return -1;
}

/* Remove what dfd holds; dfd must be on dev (it may have become a mount
 * point since its parent looked at it). */
static int remove_below(int dfd, dev_t dev, struct err *e)
{
	int fd = dup(dfd), rc = 0;
	struct dirent *d;
	struct stat dst;
	DIR *dir;

	if (fd >= 0 && fstat(fd, &dst) == 0 && dst.st_dev != dev) {
		close(fd);
		err_set(e, "a directory became another file system: left in place");
		return -1;
	}
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		err_errno(e, errno, "cannot read a directory to remove");
		return -1;
	}
	while ((d = readdir(dir))) {
		struct stat st;
		if (d->d_name[0] == '.' &&
		    (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])))
			continue;
		/* Not a directory by its d_type: unlink without a stat.  Had it
		 * become one since, unlinkat() refuses (EISDIR) and we look. */
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) {
			if (unlinkat(dfd, d->d_name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR && errno != EPERM) {
				err_errno(e, errno, "cannot remove '%s'", d->d_name);
				rc = -1;
				continue;
			}
		}
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT) {
				err_errno(e, errno, "cannot stat '%s'", d->d_name);
				rc = -1;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;
			if (st.st_dev != dev) {
				err_set(e, "'%s' is another file system: left in place", d->d_name);
				rc = -1;
				continue;
			}
			sub = openat(dfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || remove_below(sub, dev, e) != 0) {
				if (sub < 0)
					err_errno(e, errno, "cannot open '%s'", d->d_name);
				rc = -1;
			}
			if (sub >= 0)
				close(sub);
			if (rc == 0 && unlinkat(dfd, d->d_name, AT_REMOVEDIR) != 0) {
				err_errno(e, errno, "cannot remove '%s'", d->d_name);
				rc = -1;
			}
		} else if (unlinkat(dfd, d->d_name, 0) != 0 && errno != ENOENT) {
			err_errno(e, errno, "cannot remove '%s'", d->d_name);
			rc = -1;
		}
	}
	closedir(dir);
	return rc;
}

int fsu_remove_tree(int dirfd, const char *name, struct err *e)
{
	struct stat st, dst;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		err_errno(e, errno, "cannot stat");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
			err_errno(e, errno, "cannot remove");
			return -1;
		}
		return 0;
	}
	/* The removal happens on dirfd's file system: a directory that is a
	 * mount point has another device than its parent, not than itself. */
	if (fstat(dirfd, &dst) != 0) {
		err_errno(e, errno, "cannot stat");
		return -1;
	}
	if (st.st_dev != dst.st_dev) {
		err_set(e, "'%s' is another file system: left in place", name);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, errno, "cannot open");
		return -1;
	}
	rc = remove_below(fd, dst.st_dev, e);
	close(fd);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
		err_errno(e, errno, "cannot remove the directory");
		rc = -1;
	}
	return rc;
}

ssize_t fsu_read_head(int fd, size_t max, unsigned char **out)
{
	struct stat st;
	unsigned char *p;
	size_t want, got = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	want = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	p = xmalloc(want + 1);
	got = fsu_pread_upto(fd, p, want);
	*out = p;
	return (ssize_t)got;
}

size_t fsu_pread_upto(int fd, void *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t k = pread(fd, (char *)buf + got, want - got, (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

void fsu_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int fsu_out_open(struct fsu_out *o, const char *path, mode_t mode, struct err *e)
{
	o->fd = -1;
	o->tmp[0] = '\0';
	o->dirfd = fsu_open_dir_of(path, &o->base);
	if (o->dirfd < 0) {
		err_errno(e, errno, "cannot open the directory of '%s'", path);
		return -1;
	}
	o->fd = fsu_tmp_create(o->dirfd, o->tmp, O_RDWR, mode);
	if (o->fd < 0) {
		err_errno(e, errno, "cannot create a file beside '%s'", path);
		o->tmp[0] = '\0';
		fsu_out_abort(o);
		return -1;
	}
	o->path = path;
	return 0;
}

int fsu_out_commit(struct fsu_out *o, bool sync, struct err *e)
{
	int rc = 0;

	if (sync && fsync(o->fd) != 0)
		rc = -1;
	if (close(o->fd) != 0)
		rc = -1;
	o->fd = -1;
	if (rc != 0) {
		err_errno(e, errno, "cannot write '%s'", o->path);
		fsu_out_abort(o);
		return -1;
	}
	if (renameat(o->dirfd, o->tmp, o->dirfd, o->base) != 0) {
		err_errno(e, errno, "cannot rename to '%s'", o->path);
		fsu_out_abort(o);
		return -1;
	}
	o->tmp[0] = '\0';
	fsu_out_abort(o);
	return 0;
}

void fsu_out_abort(struct fsu_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0] && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp, 0);
	o->tmp[0] = '\0';
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
}

char *fsu_place(const char *path, const char *root, struct err *e)
{
	char *real = realpath(path, NULL), *out = NULL, *slash;
	size_t rl = strlen(root);
	struct stat st;

	if (!real) {
		err_errno(e, errno, "cannot resolve '%s'", path);
		return NULL;
	}
	/* a file's place is its directory's */
	if (stat(real, &st) == 0 && !S_ISDIR(st.st_mode) && (slash = strrchr(real, '/')))
		*(slash == real ? slash + 1 : slash) = '\0';
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0; /* the file system root: every path is below it */
	if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
		err_set(e, "'%s' is not under '%s'", path, root);
		free(real);
		return NULL;
	}
	out = xstrdup(real + rl + (real[rl] == '/'));
	free(real);
	return out;
}

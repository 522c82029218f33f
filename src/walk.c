#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int walk_tree(int rootfd, const struct walk_opts *o)
{
	struct walker w = { .o = o, .path = BUF_INIT };
	struct stat st;

	if (fstat(rootfd, &st) == 0)
		w.rootdev = st.st_dev;
	walk_dir(&w, rootfd, 1);
	buf_release(&w.path);
	return w.stop ? 1 : 0;
}

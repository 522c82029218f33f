/* walk.h - a safe, sorted, depth-first walk of a directory tree.
 *
 * The walker reports entries and decides nothing.  It never follows a
 * symlink (fstatat AT_SYMLINK_NOFOLLOW, subdirectories opened with
 * O_NOFOLLOW | O_DIRECTORY through the parent's descriptor), so it cannot
 * leave the tree it was given.  Entries of a directory come in byte order
 * of their names, so two walks of the same tree agree.
 */
#ifndef SLIM_WALK_H
#define SLIM_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Bytes a parallel walk reads from the start of each regular file. */
#define WALK_PEEK 16
/* The most bytes a probe is given. */
#define WALK_PROBE_MAX 4096
/* Entries a parallel walk reads ahead of its report by default: some 8 MB
 * of listings (and the probes'), enough to keep the threads busy while
 * the report works. */
#define WALK_AHEAD 65536

struct walk_entry {
	const char *relpath;   /* from the root, no leading "./"; borrowed */
	const char *name;      /* last component; borrowed */
	int dirfd;             /* descriptor of the containing directory; -1
				* in a parallel walk */
	const struct stat *st; /* lstat of the entry (a parallel walk fills
				* dev, ino, mode, nlink, uid, gid, size and
				* mtim only) */
	int depth;             /* 1 for the root's children */
	/* A parallel walk with peek set: the first bytes of a non-empty
	 * regular file (headlen of them), or headlen -1 when they were not
	 * read (not asked, empty, not regular, or the file could not be
	 * opened: whoever needs it reads it again and reports why). */
	const unsigned char *head;
	int headlen;
	/* A parallel walk with a probe: what the probe made of this file
	 * (NULL if none).  visit takes it over. */
	void *probe;
};

enum walk_action {
	WALK_CONTINUE = 0, /* descend into a directory */
	WALK_PRUNE,        /* do not descend */
	WALK_STOP,         /* end the walk */
};

struct walk_opts {
	bool xdev; /* do not descend into another file system */
	/* jobs > 0: read the tree with that many threads, ahead of the
	 * report, which comes in the same order as a plain walk, from the
	 * calling thread (entries carry no dirfd).  peek: also read each
	 * regular file's first WALK_PEEK bytes (parallel walks only). */
	int jobs;
	bool peek;
	/* A parallel walk's read-ahead: the threads take no new directory
	 * while this many entries are read and not yet reported (0:
	 * WALK_AHEAD).  A directory is read whole, so the most held is about
	 * this plus one directory per thread, plus the listings of the
	 * directories being reported (the path down to the current entry). */
	size_t ahead;
	/* probe (parallel walks only, may be NULL): called from the walk's
	 * threads (or from the calling thread, between visits, for a
	 * directory no thread had taken when the report needed it) for
	 * every non-empty regular file, with the file open (O_NOFOLLOW,
	 * read-only), its fstat and its first bytes (up to probe_len, at
	 * most WALK_PROBE_MAX; fewer only if the file is shorter or a read
	 * fails).  What it returns reaches visit as e->probe; probe_free
	 * releases what no visit got (called from the calling thread). */
	size_t probe_len;
	void *(*probe)(void *ctx, int fd, const struct stat *st, const unsigned char *head,
		       size_t len);
	void (*probe_free)(void *ctx, void *obj);
	/* Called for every entry (directories before their contents). */
	enum walk_action (*visit)(void *ctx, const struct walk_entry *e);
	/* Called when a directory cannot be read or an entry cannot be
	 * stat'ed; errnum is the errno.  The walk goes on. */
	void (*error)(void *ctx, const char *relpath, const char *what, int errnum);
	/* Called after a directory's contents (for pruning bookkeeping); may
	 * be NULL. */
	void (*leave)(void *ctx, const struct walk_entry *e);
	void *ctx;
};

/* Walk the tree below rootfd (which is not reported itself).  Returns 0,
 * or 1 when visit asked to stop. */
int walk_tree(int rootfd, const struct walk_opts *o);

#endif

/* source_dir.h - a directory tree (or one regular file) as a source.
 *
 * In place: the safe parallel walk (walk.h) lists every entry; it never
 * follows a symlink and never leaves the root, and reads each regular
 * file's first bytes while it has it open (what the file may be, and
 * dedup's first look at it, a probe).  Names that share an inode become
 * one file: the first in walk order is ENT_FILE, the others ENT_HARDLINK
 * naming it.  Temporary files and journals a killed run of slim left are
 * not entries: they are listed for the in-place sink (sink_dir.h), which
 * removes or finishes them.  Content is read from the files themselves,
 * opened beneath the root without following symlinks.
 *
 * Packed as a layer (DIR -o OUT): a plain walk builds a layer source
 * (source_layer.h) with a tar header for every entry (sockets, which a tar
 * cannot hold, are skipped and reported) and every regular file's content
 * in the spool; later names of an inode become hard links to its first.
 */
#ifndef SLIM_SOURCE_DIR_H
#define SLIM_SOURCE_DIR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <xxhash.h>

#include "report.h"
#include "slim.h"
#include "source.h"

/* What the walk saw of each entry, beside its record (for dedup, the
 * removal and the in-place sink). */
struct dir_side {
	dev_t dev;
	ino_t ino;        /* updated when the file is replaced or relinked */
	uint32_t nlink;   /* saturates at UINT32_MAX */
	uint32_t next;    /* the next name of the same inode, or ENT_NONE */
};

/* What the walk's probe saw of a regular file's first block, for dedup:
 * 32 bytes, beside the side's dev and ino and the entry's size, which it
 * was checked against.  Only files dedup may take have one (not those
 * under its minimum size), in entry order. */
struct dir_probe {
	uint32_t entry;
	uint32_t mtime_nsec;   /* and DIR_PROBE_ELF_SO */
	int64_t mtime_sec;
	XXH128_hash_t head;
};
#define DIR_PROBE_ELF_SO (1u << 31)

/* A temporary name a killed run left (not an entry). */
struct dir_tmp {
	char *path;
	dev_t dev;
	ino_t ino;
};

/* The in-place source.  Its fields are for the in-place sink; others use
 * the source operations. */
struct source_dir {
	struct source base;
	const struct slim_opts *o;
	struct report *rep;
	int rootfd;                 /* the root (or a one-file root's directory) */
	int lockfd;                 /* what the sink locks: rootfd, or the one file */
	dev_t root_dev;
	bool single;                /* the root is one regular file */
	const char *root;           /* as given; borrowed */
	const char *display_root;   /* "" when paths are shown as they are */
	struct dir_side *side;      /* parallel to base.ents */
	size_t capside;
	struct dir_probe *probes;   /* by entry, ascending; NULL once dropped */
	size_t nprobes, capprobes;
	uint64_t probe_min;         /* files smaller than this get no probe */
	uint32_t *dirs;             /* the walk's current directories, by depth */
	size_t capdirs;
	struct dir_tmp *tmps;       /* temporary files of a killed run */
	size_t ntmps, captmps;
	char **journals;            /* ".slim-link-*.tmp" of a killed run */
	size_t njournals, capjournals;
};

/*
 * Open root (a directory, or one regular file) for an in-place run; walk
 * nothing yet.  NULL with e set (the reason: "not a directory or regular
 * file", or strerror) when root cannot be opened.
 */
struct source *source_dir_open(const struct slim_opts *o, struct report *rep, const char *root,
			       struct err *e);
/* Walk it (the root locked meanwhile: sink_dir_new); per-entry problems
 * are reported and the walk goes on.  0, or -1 with e set when root itself
 * cannot be read. */
int source_dir_scan(struct source *s, struct err *e);
/* The source's own view of it, for the in-place sink. */
struct source_dir *source_dir_of(struct source *s);
/* path as the report shows it (the root and rel). */
void source_dir_display(const struct source_dir *d, struct buf *out, const char *rel);

/*
 * A tree source whose entries the caller lists (a caller that walked
 * already; tests): rootfd (duplicated; the caller keeps its own) is the
 * root, nothing is walked, and source_dir_add() adds an entry with path
 * (relative, normalized) and what st says (dev, ino, nlink, mode, uid,
 * gid, size).  Each is an ENT_FILE, _DIR, _SYMLINK or _OTHER of its own.
 * Returns the entry's number, or -1 past ENT_MAX.
 */
struct source *source_dir_bare(const struct slim_opts *o, struct report *rep, int rootfd);
long source_dir_add(struct source *s, const char *path, const struct stat *st);

/* The names of the file whose first name is leader, ENT_NONE-terminated
 * chain through dir_side.next: how many. */
size_t source_dir_names(const struct source_dir *d, size_t leader);

/*
 * A tree packed as a layer: walk root into a new layer source.  NULL with
 * e set when no spool can be made; otherwise the source, whose
 * source_layer_err() says why the tree could not be read, if it could not.
 */
struct source *source_dir_pack(const struct slim_opts *o, struct report *rep, const char *root,
			       size_t chunk, struct err *e);

#endif

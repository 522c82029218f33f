/* source.h - where entries come from, and how every pass reads them.
 *
 * A source yields the entries of one input (entry.h) and gives their
 * content to the passes, whatever holds it: a file beneath the root of a
 * tree, opened without following symlinks (source_dir.h), or a region of
 * the spool a layer's content waits in (source_tar.h).  The passes read
 * through the operations below and never know which; a source decides
 * nothing about what becomes of an entry (the passes do) or how it is
 * written (the sink does).
 *
 * Threads: after its scan a source is read from the pool's threads at once
 * (open, xattrs, read_head, view); put() is thread-safe too.  The scan
 * itself and free() run on the pipeline's thread.
 */
#ifndef SLIM_SOURCE_H
#define SLIM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "entry.h"
#include "util.h"

struct content;
struct dedup_digest;
struct dedup_probe;

/*
 * An entry's content, open for reading: size bytes at off in fd.  st says
 * what the source holds now: a walk's fstat of the open file; for a layer,
 * made up from the entry (st_dev 0, st_ino entry + 1, st_nlink 1, mtime 0,
 * st_size the content's current size), so that checks of "the same file,
 * unchanged" always pass there.
 */
struct source_file {
	int fd;        /* -1: not open */
	bool own;      /* fd is this file's (closed by source_close); else shared */
	uint64_t off;
	uint64_t size;
	struct stat st;
};
#define SOURCE_FILE_INIT { .fd = -1 }

struct source;

struct source_ops {
	/* Open entry i (a name of a regular file).  Returns 0, or -1 with e
	 * set ("cannot open: ...", "file was replaced during the run"). */
	int (*open)(struct source *s, size_t i, struct source_file *f, struct err *e);
	/* Every extended attribute of i (open as f), appended to out in a
	 * form where two files' attributes are equal exactly when the forms
	 * are (within one source).  Returns 0, or -1 with e set. */
	int (*xattrs)(struct source *s, size_t i, const struct source_file *f, struct buf *out,
		      struct err *e);
	/* At most max bytes from the start of i's content (max SIZE_MAX:
	 * all) into a malloc'd *buf; -1 when it cannot be read (a sparse
	 * file of a walk).  The rules' and the owners' reader: thread-safe. */
	ssize_t (*read_head)(struct source *s, size_t i, size_t max, unsigned char **buf);
	/* The digest dedup would compute of i's current content, when the
	 * source took it while reading (a layer); else NULL.  Borrowed. */
	const struct dedup_digest *(*digest)(const struct source *s, size_t i);
	/* What the walk saw of i's first block, for dedup, into *out; false
	 * if nothing (or no longer: source_drop_probes). */
	bool (*probe)(const struct source *s, size_t i, struct dedup_probe *out);
	/* What identifies i's file as a source_file's st_dev and st_ino
	 * would (a layer makes them up: 0 and the content's entry + 1). */
	void (*ident)(const struct source *s, size_t i, dev_t *dev, ino_t *ino);
	/* May be NULL (never): does the file i names have names that the
	 * source did not yield (hard links outside the tree)? */
	bool (*outside_names)(const struct source *s, size_t i);
	/* May be NULL: the latest entry of path (normalized), or ENT_NONE. */
	uint32_t (*find)(const struct source *s, const char *path);
	/* May be NULL (the sink writes new content itself): replace i's
	 * content by c (content.h: its SRC pieces may read the source's own
	 * file), which from then on is what open() and read_head() give;
	 * thread-safe.  Returns 0, or -1 with e set. */
	int (*put)(struct source *s, size_t i, const struct content *c, struct err *e);
	/* May be NULL: forget the probes (dedup reads them no more). */
	void (*drop_probes)(struct source *s);
	/* May be NULL (rel as it is): rel as messages and the report name
	 * it (a tree in place: below the root as given). */
	void (*display)(const struct source *s, const char *rel, struct buf *out);
	/* May be NULL: the sink has begun (it may have moved names: the
	 * journals of a killed run); take the final view of the entries (a
	 * walk groups names by inode now).  Called once, before any pass. */
	void (*ready)(struct source *s);
	void (*free)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	struct entries ents;
	const char *name;  /* the input as messages about all of it name it */
	/* The strip pass holds a file's content in memory up to this size;
	 * a larger candidate is skipped as too_large (a layer's
	 * --max-entry-size; a walk maps files, UINT64_MAX). */
	uint64_t max_view;
	size_t chunk;  /* I/O buffer size for this input */
	bool zip;      /* the input is a zip (a wheel): no hard links, RECORDs */
	/* Every name of a file takes part in dedup, and is linked, on its
	 * own (a tree: each name is a directory entry of its own); else only
	 * the entry that carries the content does, and its hard links follow
	 * it (a layer). */
	bool link_names;
	/* The strip pass reports a file named like a library that is not an
	 * ELF image or archive (a linker script named libc.so) as skipped,
	 * "not ELF" (a tree; a layer's report lists only what the stripper
	 * looked into, as it always has). */
	bool report_not_elf;
	/* A tree in place: its root's path from the file system root (or
	 * --root), normalized relative, "" for / (rules.h, struct rules_at);
	 * owned by the source.  NULL: paths start at the image's root already
	 * (layers, images, a tree written as a layer). */
	char *prefix;
	/* The tree is on the system slim runs on (in place, no --root): its
	 * CPU is the host's. */
	bool on_host;
};

/* Free s (any source); NULL is fine. */
void source_free(struct source *s);
/* rel as the source names it in messages, into out. */
void source_display(const struct source *s, const char *rel, struct buf *out);

/* Read exactly len bytes at off of f's content into buf; a short read
 * means the file shrank: -1 with e "file changed size while being read". */
int source_pread(const struct source_file *f, void *buf, size_t len, uint64_t off, struct err *e);
/* Close f (if its fd is its own) and reset it to SOURCE_FILE_INIT. */
void source_close(struct source_file *f);

/*
 * All of f's content, read-only: mapped when large, read when small.  A
 * mapped file another process truncates raises SIGBUS: read a view only
 * inside fsu_guard().  Returns 0, or -1 with e set.
 */
struct source_view {
	const unsigned char *p;
	size_t n;
	void *map;     /* what to unmap (page-aligned), or NULL */
	size_t maplen;
};
int source_view_open(const struct source_file *f, struct source_view *v, struct err *e);
void source_view_close(struct source_view *v);

#endif

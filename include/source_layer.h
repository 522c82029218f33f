/* source_layer.h - a layer's entries, as a tar describes them: a header
 * each, their content waiting in a spool, and the layer's own rules.
 *
 * Both layer sources build one: the tar reader (source_tar.h) from a
 * libarchive stream, and a tree packed as a layer (source_dir.h) from a
 * walk.  Every entry is checked as it is added, and a hostile one refuses
 * the whole layer (the first error is kept, see source_layer_err): a name
 * that leaves the layer (absolute, "..") or goes through a symlink or a
 * file an earlier entry planted; a hard link to something that is not a
 * file earlier in the layer, or that a later entry removed with one of its
 * directories; a whiteout of ".", ".." or of nothing; an owner id below 0
 * or past 4294967294; the top of the layer as anything but a directory.
 *
 * The layer's final state is decided here too, as extraction would make
 * it: when a path occurs twice the later entry wins, and entries under a
 * directory that a later entry replaced by something else go with it; both
 * are flagged ENT_GONE when the layer is complete (source_layer_finish) and
 * counted as superseded in the report.
 *
 * A regular file's content is appended to the spool as it is read (zero
 * runs as holes), hashed for dedup on the way when dedup is on; its first
 * bytes tell whether it may be an ELF image or archive (ENT_NOT_ELF if
 * not).  The source's put() gives an entry new content (a stripped file, a
 * rewritten RECORD) in a new region of the spool.
 */
#ifndef SLIM_SOURCE_LAYER_H
#define SLIM_SOURCE_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "report.h"
#include "slim.h"
#include "source.h"
#include "spool.h"

struct archive_entry;

/* An empty layer source: counts what it is given in rep.  chunk: the I/O
 * buffer size for this input.  NULL with e set when no spool can be made. */
struct source *source_layer_new(const struct slim_opts *o, struct report *rep, size_t chunk,
				struct err *e);

/*
 * Add an entry with header ae (taken over, also on failure).  A regular
 * file's content follows: source_layer_data() for each piece, in order, and
 * source_layer_done() after the last; anything else has none.  Returns 0,
 * or -1 when the entry refuses the layer (source_layer_err says why).
 */
int source_layer_add(struct source *s, struct archive_entry *ae);
/* Append a piece of the current file's content: len bytes at p, or, with
 * p NULL, a hole of len bytes (reads as zeros).  0, or -1 (err set). */
int source_layer_data(struct source *s, const void *p, size_t len);
void source_layer_done(struct source *s);
/* Instead of source_layer_data(): the current file's content is the file
 * fd (st) of the tree being packed, read now only for its head (dedup
 * reads the files that have a size twin itself); it is read again from the tree, by its path beneath
 * the root (source_layer_set_root), when the strip pass or the writer
 * needs it, and refused if it is no longer that file (inode, size, time).
 * 0, or -1 (the layer refused).  source_layer_done() follows. */
int source_layer_data_tree(struct source *s, int fd, const struct stat *st);
/* The root of the tree packed (owned from here on). */
void source_layer_set_root(struct source *s, int rootfd);

/* Refuse the layer with this message (the first one stays).  Returns -1. */
int source_layer_fail(struct source *s, const char *fmt, ...) SLIM_PRINTF(2, 3);
/* The message of the first failure, or NULL. */
const char *source_layer_err(const struct source *s);
/* Forget a failure of a source that has no entry yet (to read it again
 * another way). */
void source_layer_reset(struct source *s);

/* The layer is complete: decide its final state (ENT_GONE), each entry's
 * parent (the latest entry of the nearest directory of its path that the
 * layer has), and count what is superseded. */
void source_layer_finish(struct source *s);

/* Mark the input as a zip (a wheel). */
void source_layer_set_zip(struct source *s);

/* For the tar writer: entry i's header as read (borrowed), where its
 * current content lies in the spool, and the spool; or (content c not in
 * the spool, source_layer_in_spool) the tree's file, opened and checked
 * by source_layer_open (also for content in the spool: the spool's fd at
 * an offset).  0, or -1 with e set. */
int source_layer_open(const struct source *s, size_t c, struct source_file *f, struct err *e);
bool source_layer_in_spool(const struct source *s, size_t c);
struct archive_entry *source_layer_header(const struct source *s, size_t i);
void source_layer_region(const struct source *s, size_t i, uint64_t *off, uint64_t *len);
const struct spool *source_layer_spool(const struct source *s);

#endif

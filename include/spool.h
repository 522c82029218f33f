/* spool.h - an unlinked temporary file (in $TMPDIR) where a layer's
 * contents wait until the layer is written.
 *
 * Content is appended, each piece at a block-aligned offset, and runs of
 * zeros (whole SPOOL_HOLE_MIN blocks of what is appended) are left as
 * holes: they read back as zeros, cost no disk, and a sparse entry's map is
 * found again from them (spool_map).  A region once written never changes;
 * new content for an entry is appended elsewhere.
 */
#ifndef SLIM_SPOOL_H
#define SLIM_SPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SPOOL_HOLE_MIN 4096u

struct spool {
	int fd;               /* -1: not open */
	uint64_t end;         /* where the next piece goes */
	pthread_mutex_t lock; /* appends may come from several threads */
};

/* Open an unlinked spool file in $TMPDIR (or /tmp).  0, or -1 with e set. */
int spool_open(struct spool *s, struct err *e);
/* Close it (nothing is left on disk); fine on one that failed to open. */
void spool_close(struct spool *s);

/*
 * Start a new region at the next block boundary and return its offset.
 * Then append its content with spool_write() and spool_skip() in order,
 * from one thread; spool_put() does all three for a whole buffer and may
 * be called from any thread.
 */
uint64_t spool_begin(struct spool *s);
/* Append len bytes (zero blocks left as holes).  0, or -1 with e set. */
int spool_write(struct spool *s, const void *p, size_t len, struct err *e);
/* Append a hole of len bytes.  0, or -1 with e set. */
int spool_skip(struct spool *s, uint64_t len, struct err *e);
/* A new region holding data[0..len): *off gets where.  Thread-safe. */
int spool_put(struct spool *s, const void *data, size_t len, uint64_t *off, struct err *e);
/* spool_put() of a content (content.h), read in chunks: its SRC pieces
 * may be read from this spool.  Thread-safe. */
struct content;
int spool_put_content(struct spool *s, const struct content *c, uint64_t *off, struct err *e);

/* Read len bytes at off.  0, or -1 (errno set). */
int spool_read(const struct spool *s, void *p, size_t len, uint64_t off);
/* Is [off, off + len) one hole (reads as zeros without reading)? */
bool spool_is_hole(const struct spool *s, uint64_t off, size_t len);
/* The data regions of [off, off + len), in order, as (offset from off,
 * length) to add(); a file system that does not report holes gives one
 * region of everything.  Returns how many regions it found. */
size_t spool_map(const struct spool *s, uint64_t off, uint64_t len,
		 void (*add)(void *ctx, uint64_t at, uint64_t n), void *ctx);

#endif

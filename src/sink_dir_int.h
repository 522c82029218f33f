/* sink_dir_int.h - what the in-place sink's three files share (sink_dir.c,
 * sink_dir_removal.c, sink_dir_journal.c); not for other modules. */
#ifndef SLIM_SINK_DIR_INT_H
#define SLIM_SINK_DIR_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "container.h"
#include "pipeline.h"
#include "pool.h"
#include "sink.h"
#include "source_dir.h"

struct removal;

struct dsink {
	struct sink base;
	const struct slim_opts *o;
	struct source_dir *d;
	struct pipeline *p;        /* from begin() on */
	struct removal *removal;   /* under way beside the strip pass */
	struct closer *closer;     /* closes the originals the strip pass replaced */
	struct container_info ci;  /* in a container build: files from lower layers */
	bool in_container;
	atomic_ullong lower_files, lower_bytes;
};

/* The journals a killed run left: finished, or reported (sink_dir_journal.c). */
void sink_dir_journals(struct dsink *D);

/* Start removing the dropped subtrees tops[0..n) (taken over) beside the
 * passes; wait for it and report what could not be removed
 * (sink_dir_removal.c).  finish is a no-op when nothing was started. */
void sink_dir_drop(struct sink *k, struct pipeline *p, size_t *tops, size_t n);
void sink_dir_removal_finish(struct dsink *D);

#endif

/* sink.h - how the passes' decisions become an output.
 *
 * A sink applies what the passes decided, as they decide it: the in-place
 * sink (sink_dir.h) removes, rewrites and links files in the tree, or
 * changes nothing in a dry run; the tar sink (sink_tar.h) writes a layer or
 * a zip, or writes it into nothing in a dry run so that the sizes are
 * exact.  Passes never touch the output themselves.
 *
 * The sink says which of its work may run beside which pass (overlap): the
 * pipeline waits for the sink (wait) before any pass the sink does not
 * allow beside it, and always before dedup links (which counts names).
 */
#ifndef SLIM_SINK_H
#define SLIM_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "dedup.h"
#include "source.h"
#include "util.h"

struct content;
struct pipeline;
struct sink;

/* What became of new content for an entry (sink_ops.replace). */
enum sink_replace {
	SINK_REPLACED,      /* it is the entry's content now (or would be: dry run) */
	SINK_LINKS_OUTSIDE, /* left as it was: it has names outside the input, which
			     * a rewrite would split */
	SINK_FAILED,        /* left as it was: e says why (the entry's error) */
	SINK_FATAL,         /* the output cannot be made: e says why */
};

/* May the sink's work run beside these passes? */
enum sink_overlap {
	SINK_BESIDE_STRIP = 1 << 0,      /* what drop() started, beside the strip pass */
	SINK_BESIDE_DEDUP_HASH = 1 << 1, /* ... and beside dedup's hashing */
};

struct sink_ops {
	/* May be NULL.  Before any pass, after the source's scan (the tree's
	 * sink finishes what a killed run left). */
	void (*begin)(struct sink *k, struct pipeline *p);
	/* May be NULL.  The rules dropped tops[0..n) (each with everything
	 * below it), in entry order; tops is taken over. */
	void (*drop)(struct sink *k, struct pipeline *p, size_t *tops, size_t n);
	/* May be NULL.  Around the strip pass, which calls replace(): the
	 * sink may start helpers (the tree's closers). */
	void (*replace_begin)(struct sink *k, struct pipeline *p);
	void (*replace_end)(struct sink *k, struct pipeline *p);
	/* New content for the file whose content entry i is (an ENT_FILE; open
	 * as f, the original, at the name that carries it: the verdict's
	 * heir), from a pool thread: c (content.h), whose SRC pieces read
	 * f's content.  The sink may take f's descriptor (f->fd is then -1)
	 * once c is written.  Fills e unless SINK_REPLACED. */
	enum sink_replace (*replace)(struct sink *k, struct pipeline *p, size_t i,
				     struct source_file *f, const struct content *c,
				     struct err *e);
	/* May be NULL.  Wait for the work drop() started. */
	void (*wait)(struct sink *k, struct pipeline *p);
	/* Commit: the output is complete (the tar is written; the tree's
	 * removal is done).  Returns 0, or -1 with e set: no output. */
	int (*finish)(struct sink *k, struct pipeline *p, struct err *e);
	void (*free)(struct sink *k);
};

struct sink {
	const struct sink_ops *ops;
	/* dedup's link step (dedup.h), with link_ctx; NULL: the output
	 * cannot hold hard links (a zip), copies are only reported */
	dedup_link_fn link;
	void *link_ctx;
	unsigned overlap;        /* enum sink_overlap */
	bool dry_run;            /* nothing changes: dedup compares no bytes it
				  * cannot read (a file the strip pass did not
				  * write) and links nothing */
	/* --dedup report: a group the tree's sink would link is reported as
	 * linked and its bytes as saved (what linking would save); the tar
	 * sink reports it found, not linked (what the output holds). */
	bool report_would_link;
};

void sink_free(struct sink *k); /* NULL is fine */

#endif

/* pipeline.h - one pipeline for every input: a source's entries go
 * through the passes, in one order, and out through a sink.
 *
 *   source ──entries──▶ rules ─▶ strip ─▶ (RECORD) ─▶ dedup ──▶ sink
 *
 * The pipeline holds what the passes decide about each entry (struct
 * verdict, beside the source's records) and the one list of per-entry
 * errors; it calls the passes in order, tells the sink when to wait, and
 * fills the report from the verdicts in entry order, so that the report
 * never depends on the number of threads.
 *
 * Threads: the pipeline's own thread runs the steps; the rules, the strip
 * pass and dedup run work on the pool's threads (pool.h), which write only
 * their own entries' verdicts and report per-entry errors through
 * pipeline_error() (locked).  The sink may run work of its own beside a
 * pass when it says so (sink.h).
 */
#ifndef SLIM_PIPELINE_H
#define SLIM_PIPELINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dedup.h"
#include "report.h"
#include "sink.h"
#include "slim.h"
#include "source.h"

/* What the strip pass did to an entry (verdict.state). */
enum verdict_state { V_NONE, V_CHANGED, V_SKIPPED, V_ERROR };

/* What the passes decided about one entry: 8 bytes. */
struct verdict {
	/* An ENT_FILE entry: the entry that carries its content into the
	 * output - itself, or, when it is gone (dropped, superseded), the
	 * first of its hard links that is not; ENT_NONE when none is left.
	 * Other entries: ENT_NONE. */
	uint32_t heir;
	uint8_t state;   /* enum verdict_state: the strip pass's, at the file's
			  * ENT_FILE entry (reported under its heir's name);
			  * V_ERROR also on a name the sink could not move */
	uint8_t reason;  /* V_SKIPPED: enum skip_reason; V_CHANGED by GPU code
			  * pruning alone: why the stripper left it */
	bool dropped;    /* a removal rule drops it (with its subtree) */
	bool candidate;  /* its content starts an ELF image or ar archive */
};

/* What the passes made of the content of the few files they changed or
 * looked into (at the file's ENT_FILE entry). */
struct strip_out {
	uint64_t after;            /* V_CHANGED, or replaced: bytes of the new content */
	bool replaced;             /* the source gives the new content from now on (a
				    * layer's spool; a tree's file, but not in a dry run) */
	struct strip_members *ar;  /* an archive: what happened to its members */
	struct fatbin_summary *gpu; /* an ELF file's GPU code, when it has some */
	struct fatbin_pruned *pruned; /* what --cuda-arch removed of it, if anything */
	bool stripped;             /* V_CHANGED: the stripper made it smaller */
	struct dedup_digest dg;    /* of the new content (dedup on) */
	bool have_dg;
};

struct pipeline {
	const struct slim_opts *o;
	struct report *rep;
	struct source *src;
	struct sink *sink;
	bool strict;              /* a failure of a step refuses the whole input (a layer) */
	struct verdict *v;        /* parallel to src->ents */
	bool *excluded;           /* parallel to src->ents: --exclude matches it; NULL: none */
	struct strip_out **out;   /* parallel to src->ents; mostly NULL */
	struct err fatal;         /* the first failure of the whole input */
	pthread_mutex_t lock;     /* errs */
	struct pipeline_err {
		uint32_t entry;
		char *msg;
	} *errs;
	size_t nerrs, caperrs;
	size_t change0, skip0;    /* the report's changes and skips before this input */
	/* the strip pass */
	size_t *work;             /* the entries it reads */
	size_t nwork;
	atomic_size_t done;
	atomic_ullong saved;
};

/*
 * Run src (scanned) through the passes into sink; fill the report.
 * strict: any failure of a step (the rules engine, the spool, the output)
 * refuses the whole input and leaves no output: -1, with the reason in
 * p->fatal (the caller reports it).  Otherwise per-entry problems are
 * reported and the run goes on; returns 0.  The caller frees src and sink.
 */
int pipeline_run(struct pipeline *p, const struct slim_opts *o, struct report *rep,
		 struct source *src, struct sink *sink, bool strict);
void pipeline_release(struct pipeline *p);

/* Entry i failed: its message (copied) goes to the report, under i's
 * path.  Thread-safe. */
void pipeline_error(struct pipeline *p, size_t i, const char *msg);
/* The whole input failed (the first failure stays).  Thread-safe. */
void pipeline_fail(struct pipeline *p, const char *msg);

/* An entry's path as the report names it, into out. */
void pipeline_display(const struct pipeline *p, size_t i, struct buf *out);

/* Is entry i gone from the output: dropped by a rule or not in the
 * input's final state? */
static inline bool pipeline_gone(const struct pipeline *p, size_t i)
{
	return p->v[i].dropped || (p->src->ents.v[i].flags & ENT_GONE);
}

/* Does --exclude leave entry i alone (no pass touches it)? */
static inline bool pipeline_excluded(const struct pipeline *p, size_t i)
{
	return p->excluded && p->excluded[i];
}

/* The digest dedup should use for the content of entry i (an ENT_FILE), or
 * NULL: what a pass wrote, else what the source took while reading. */
const struct dedup_digest *pipeline_digest(const struct pipeline *p, size_t i);
/* The size of the content of entry i (an ENT_FILE) as the source gives it now. */
uint64_t pipeline_size(const struct pipeline *p, size_t i);
/* The strip_out of entry i, made on first use (one thread per entry). */
struct strip_out *pipeline_out(struct pipeline *p, size_t i);

/* ---- the passes, in the order the pipeline runs them --------------------- */

/* Distributions (from *.dist-info/RECORD) and npm packages, for grouping. */
void pass_owners(struct pipeline *p);
/* The removal rules: verdicts, heirs, what is reported removed and kept;
 * the sink's drop().  0, or -1 when the rules could not decide (e set). */
int pass_rules(struct pipeline *p, struct err *e);
/* Which entry carries each file's content (verdict.heir), once the rules
 * have decided. */
void pass_heirs(struct pipeline *p);
/* Strip ELF images and archives on the pool's threads; the sink gets the
 * new content; the report gets the verdicts. */
void pass_strip(struct pipeline *p);
/* The stripper's options for path: none for a kernel module (*.ko, never
 * stripped), else o->strip.  Static or o's; borrowed. */
const struct strip_opts *pass_strip_opts(const struct slim_opts *o, const char *path);
/* What the strip pass makes of content in[0..n) at path: the stripper's
 * result, its GPU code pruned (--cuda-arch).  sr as strip_file() fills it:
 * in is also fd's content (fd >= 0; sr->content may read it), or only
 * memory (fd -1: as strip_buffer() fills it). */
void pass_strip_make(const struct slim_opts *o, const char *path, const unsigned char *in,
		     size_t n, int fd, struct strip_result *sr);
/* A wheel's RECORD: the new hash and size of every changed file, no line
 * for a removed one (a zip only). */
void pass_record(struct pipeline *p);
/* Identical files: grouped, verified, linked by the sink. */
void pass_dedup(struct pipeline *p);
/* The whole input's accounting (report.h): every regular file of the final
 * state to one package, its directories, its kind and the largest files;
 * the changes and skips from index change0 and skip0 on (this input's)
 * tagged with their package.  Keeps nothing per entry (account.c). */
void pass_account(struct pipeline *p, size_t change0, size_t skip0);

#endif

/* imgio.h - images by name, and the standard streams, around one run.
 *
 * A PATH, or -o OUT, may be:
 *   - "-": standard input (a layer, a zip or a saved image, told apart by
 *     content as a file is) or standard output (what slim would write to a
 *     file: a layer tar, a zip, or an image tar);
 *   - a reference in one of skopeo's transports: containers-storage:NAME,
 *     docker-daemon:NAME, docker://REF, oci:DIR[:TAG], oci-archive:FILE,
 *     docker-archive:FILE (imgio_kind_of).  A name that exists on disk is
 *     always a path, whatever its colons.
 * Neither is a file slim can open, so the run goes through a directory of
 * slim's own under $TMPDIR (mkdtemp, mode 0700, removed at the end, also on
 * failure): `skopeo copy` (run directly, no shell) brings a reference in as
 * an OCI layout (-o a reference, or no -o) or a docker-archive (-o a file
 * or "-"), stdin is spooled to a file; the run writes beside them, and the
 * result goes to stdout, or through `skopeo copy` to the reference.
 * skopeo's own messages are relayed when it fails, with the reference.
 */
#ifndef SLIM_IMGIO_H
#define SLIM_IMGIO_H

#include <stdbool.h>

#include "report.h"
#include "slim.h"
#include "util.h"

enum imgio_kind {
	IMGIO_PATH,  /* a file or directory */
	IMGIO_STDIO, /* "-" */
	IMGIO_REF,   /* TRANSPORT:NAME of one of skopeo's transports */
};

/* What s (a PATH or -o's OUT) names: "-"; else a path when something is
 * there (lstat), or when s starts with no transport of the list above;
 * else a reference. */
enum imgio_kind imgio_kind_of(const char *s);

/* Does a run of path (with o->output) need imgio: a "-" or a reference at
 * either end, or an image layout directory to be written to stdout? */
bool imgio_needed(const struct slim_opts *o, const char *path);

/* One run's staging.  Initialise with imgio_begin, always end with
 * imgio_end. */
struct imgio {
	const struct slim_opts *o;
	const char *path;  /* the PATH as given (borrowed) */
	char *tmp;         /* slim's directory under $TMPDIR; NULL: none */
	char *input;       /* what the run reads: path, or a file in tmp */
	const char *output; /* where the run writes: o->output, a name in tmp, or NULL */
	char *out_tmp;     /* that name in tmp, when it is one (owned) */
};

/*
 * Make the staging directory and bring path in (skopeo, or stdin spooled
 * to a file; an image layout directory bound for stdout goes through
 * skopeo to a docker-archive).  On return io->input and io->output say
 * what to run: a name in the staging directory for an -o of "-" or a
 * reference (out.tar, out.zip, or out/ for a layout).  Returns 0, or -1
 * with e set (a message to report against path).
 */
int imgio_begin(struct imgio *io, const struct slim_opts *o, const char *path, struct err *e);

/* After a run that wrote its output: send it to stdout, or copy it to
 * o->output's reference (skopeo: from an OCI layout, a docker-archive or
 * an oci-archive, as the run wrote it).  image: did the run make an image
 * (a reference takes nothing else)?  Returns 0, or -1 with e set. */
int imgio_deliver(struct imgio *io, bool image, struct err *e);

/* The report names what the user gave, not slim's staging: roots and
 * errors added to rep from index root0 and err0 on that name io->input
 * are renamed io->path. */
void imgio_rename(const struct imgio *io, struct report *rep, size_t root0, size_t err0);

/* Remove the staging directory (everything in it is slim's own). */
void imgio_end(struct imgio *io);

#endif

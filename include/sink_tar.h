/* sink_tar.h - a layer out: a PAX tar (compressed or not), or a zip for a
 * zip input (a wheel).
 *
 * Works with a layer source (source_layer.h): the headers as read, the
 * contents from the spool.  It writes the layer's final state in the
 * input's order: what the rules dropped and what a later entry superseded
 * is left out; a hard link whose target is gone becomes the file (the
 * first of them; later ones link to it); a copy dedup found becomes a hard
 * link to the first copy (so every link follows its target); a sparse
 * entry stays sparse (a GNU sparse PAX 1.0 entry whose map is that of the
 * bytes written, from the spool's holes); owners, modes, mtimes (clamped
 * with --mtime), xattrs (SCHILY.xattr), symlinks, devices, fifos and
 * whiteouts are kept.  For an image, the tar stream is hashed as written
 * (its diff_id), and so is what reaches the output file; that goes out a
 * megabyte at a time.
 *
 * The output goes to a temporary name beside the output path and is
 * renamed at the end (fsu_out_open); on any failure nothing is left.  With
 * no output path (a dry run, an audit) everything is written into
 * /dev/null, so that the sizes, compressed ones included, are exactly a
 * real run's.  gzip output carries no name and no time; zstd uses
 * o->jobs threads.
 */
#ifndef SLIM_SINK_TAR_H
#define SLIM_SINK_TAR_H

#include <stdbool.h>
#include <stdint.h>

#include "sink.h"
#include "slim.h"

struct sink_tar_result {
	uint64_t tar_out;               /* bytes of the output tar stream (0: a zip) */
	uint64_t file_out;              /* bytes of the output file */
	unsigned char diff_id[32];      /* sha256 of the output tar stream (when asked) */
	unsigned char out_digest[32];   /* sha256 of the output file (when asked) */
};

/*
 * A sink writing to output (NULL: into nothing), compressed with compress
 * (COMPRESS_NONE, _GZIP or _ZSTD; a zip source is written as a zip,
 * deflated, whatever it says); digests: hash the tar stream and what
 * reaches the output file (an image's layer).  Messages name the output name, or (NULL) output itself (an
 * image's layer goes to a scratch file its messages never name).  Both
 * are borrowed.  The result is valid after the pipeline finished without
 * error.
 */
struct sink *sink_tar_new(const struct slim_opts *o, const char *output, const char *name,
			  int compress, bool digests);
void sink_tar_result(const struct sink *k, struct sink_tar_result *res);

#endif

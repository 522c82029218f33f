/* layer.h - layer mode: a tar layer (or a directory) in, a tar layer out.
 *
 * Entries stream from a libarchive reader (or the safe directory walk)
 * through the same passes as in directory mode and out through a
 * libarchive writer (PAX).  Nothing is extracted: the processed contents
 * wait in an unlinked temporary spool file, so memory is bounded by the
 * largest entry.  Owners, modes, mtimes, xattrs, symlinks, devices, fifos,
 * hard links, OCI whiteouts and sparse entries (as sparse entries) are
 * kept.  Every byte the input yields - decompressed, a sparse entry's
 * holes, a zip member inflated - is charged to one bound of the input's
 * size (bound.h, o->max_ratio), and an entry's declared size is checked
 * against it before the entry is read.  The output is written to a
 * temporary name beside o->output and renamed at the end; on any error no
 * output is left.  A zip (a wheel) is written as a zip.
 */
#ifndef SLIM_LAYER_H
#define SLIM_LAYER_H

#include <stdbool.h>

#include "report.h"
#include "slim.h"

/* Does the file at path look like a (compressed) tar layer?  Reads its
 * first bytes. */
bool layer_detect(const char *path);

/* Process input (a tar layer file, a zip or a directory) into o->output,
 * with the compression o->compress asks for or OUT's name implies; a zip
 * only into a .whl or .zip name, without --compress or --level (refused
 * before any work otherwise).  Fills rep; returns 0, or -1 when no output
 * could be written (also in rep). */
int layer_run(const struct slim_opts *o, const char *input, struct report *rep);

/* What one layer became (layer_process). */
struct layer_result {
	uint64_t tar_in, tar_out;   /* bytes of the uncompressed tar streams */
	uint64_t file_in, file_out; /* bytes of the input and output files */
	unsigned char diff_id[32];  /* sha256 of the output tar stream */
};

/*
 * The work of layer_run for one layer, as images need it: input (a tar
 * layer, any compression, or a directory) to output (NULL, or a dry run:
 * nothing written) compressed with compress (COMPRESS_NONE, _GZIP or
 * _ZSTD; never AUTO).  Adds to rep (but not a root) and fills *res.
 * Returns 0 or -1 (the error is in rep; no output is left).
 */
int layer_process(const struct slim_opts *o, const char *input, const char *output, int compress,
		  struct report *rep, struct layer_result *res);

#endif

/* layer.h - layer mode: a tar layer, a zip (a wheel) or a directory in, a
 * tar layer (or a zip) out.
 *
 * One pipeline (pipeline.h) from a layer source (source_tar.h: a tarball
 * in any compression, or a zip; source_dir.h: a tree packed as a layer)
 * through the passes into the tar writer (sink_tar.h).  Nothing is
 * extracted: the contents wait in an unlinked temporary spool file.
 * Owners, modes, mtimes, xattrs, symlinks, devices, fifos, hard links, OCI
 * whiteouts and sparse entries (as sparse entries) are kept.  Every byte
 * the input yields is charged to one bound of the input's size (bound.h,
 * o->max_ratio).  The output is written to a temporary name beside it and
 * renamed at the end; on any error no output is left.  A zip is written
 * as a zip.
 */
#ifndef SLIM_LAYER_H
#define SLIM_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "report.h"
#include "slim.h"

/* Does the file at path look like a (compressed) tar layer or a zip?
 * Reads its first bytes. */
bool layer_detect(const char *path);

/* Process input (a tar layer file, a zip or a directory) into o->output,
 * with the compression o->compress asks for or OUT's name implies; a zip
 * only into a .whl or .zip name, without --compress or --level (refused
 * before any work otherwise).  Without o->output (an audit), into nothing
 * with zstd (a zip: deflate), for the sizes.  Fills rep; returns 0, or -1
 * when no output could be written (also in rep). */
int layer_run(const struct slim_opts *o, const char *input, struct report *rep);

/* The compression a layer written to path gets: o->compress, or (AUTO)
 * what its name ends with (.zst/.tzst, .gz/.tgz; else COMPRESS_NONE). */
int layer_output_compress(const struct slim_opts *o, const char *path);

/* One entry of a layer as its tar has it, for an image's table of what
 * later layers waste (image_entries_add in image.c). */
struct layer_listed {
	char *path;    /* the name as in the tar (not normalized); owned */
	uint64_t size; /* a regular file's size, else 0 */
	bool dir;      /* a directory */
	bool regular;  /* a regular file (not a hard link) */
};

/* Every header of a layer, in the tar's order. */
struct layer_listing {
	struct layer_listed *v;
	size_t n, cap;
};

/* What one layer became (layer_process, layer_process_fd).  Release with
 * layer_result_release() (the listing is owned). */
struct layer_result {
	uint64_t tar_in, tar_out;     /* bytes of the uncompressed tar streams (the
				       * input's up to its end-of-archive blocks) */
	uint64_t file_in, file_out;   /* bytes of the input and output files */
	unsigned char in_digest[32];  /* sha256 of the input blob as read (compressed
				       * bytes); layer_process_fd on a tar only */
	unsigned char in_diff_id[32]; /* sha256 of the input's whole uncompressed tar
				       * stream; layer_process_fd on a tar only */
	uint64_t in_stream;           /* the bytes of that stream (tar_in and the
				       * blocks after the tar's end) */
	unsigned char diff_id[32];    /* sha256 of the output tar stream */
	unsigned char out_digest[32]; /* sha256 of the output file, hashed while written;
				       * layer_process_fd only */
	struct layer_listing entries; /* the input's headers as read (layer_process_fd;
				       * as far as it got when the layer failed) */
	const char *codec_in;         /* the input file's compression, by its first bytes:
				       * "gzip", "zstd", "xz", "bzip2", "zip", "none";
				       * NULL for a directory (static) */
	bool changed;                 /* some pass changed the layer's content, or an
				       * entry a later one superseded was left out: the
				       * output's tar stream is not the input's */
};
void layer_result_release(struct layer_result *res);

/*
 * The work of layer_run for one layer, as images need it: input (a tar
 * layer, any compression, or a directory) to output (NULL, or a dry run:
 * nothing written) compressed with compress (COMPRESS_NONE, _GZIP or
 * _ZSTD; never AUTO).  Adds to rep (but not a root) and fills *res (no
 * digest of the input or of the output file, no listing: they cost a pass
 * of sha256 over each).  Returns 0 or -1 (the error is in
 * rep, under input; no output is left).
 */
int layer_process(const struct slim_opts *o, const char *input, const char *output, int compress,
		  struct report *rep, struct layer_result *res);

/*
 * One layer of an image, read once: the layer in in_fd (a tarball in any
 * compression, read from offset 0; not closed) is read, digested, listed
 * and slimmed in the one pass, into out_path (NULL, or o->dry_run: nothing
 * is written, every size is still exact) compressed with compress
 * (COMPRESS_NONE, _GZIP or _ZSTD).  in_name names the layer in every
 * message (report errors are filed under it).  Fills *res - in_digest,
 * in_diff_id and entries included - which the caller releases, also after
 * a failure; the digests are set only when the layer was read to its end,
 * so a caller that must check them before any output exists compares
 * them when this returns and, on a mismatch, removes out_path.  Returns 0,
 * or -1 (the error is in rep; nothing is left at out_path).
 */
int layer_process_fd(const struct slim_opts *o, int in_fd, const char *in_name,
		     const char *out_path, int compress, struct report *rep,
		     struct layer_result *res);

#endif

/* source_tar.h - a layer tarball (tar, in any compression libarchive
 * detects) or a zip (a wheel) as a source.
 *
 * The input is read once, from the start of its descriptor, as a stream:
 * each entry's header is kept and its content goes to the layer's spool
 * (source_layer.h, which also holds every check of a hostile entry).
 * Every byte the input yields - decompressed, a sparse entry's holes, a
 * zip member inflated - is charged to one bound of the input's size
 * (bound.h, o->max_ratio), and an entry's declared size is checked against
 * it before the entry is read.  A tar's digests are taken on the way: of
 * the input as read (compressed) and of its uncompressed tar stream, both
 * to their very end (what follows the tar's end-of-archive blocks
 * included, and charged to the bound).
 */
#ifndef SLIM_SOURCE_TAR_H
#define SLIM_SOURCE_TAR_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

struct source_tar_opts {
	uint64_t in_size;   /* the input's size (the bound's measure) */
	unsigned max_ratio; /* the bound's ratio (0: no limit) */
	bool digests;       /* take the input's digests on the way: it must be a
			     * tar (any compression), a zip is refused */
	/* If set, called for every header as read, before any check: its
	 * name as the tar has it, its size (a regular file's, else 0),
	 * whether it is a directory and whether a regular file (not a
	 * hard link).  For an image's table of what later layers waste. */
	void (*listed)(void *ctx, const char *name, uint64_t size, bool dir, bool regular);
	void *ctx;
};

struct source_tar_result {
	uint64_t tar_bytes;           /* of the tar stream up to its end (0: a zip) */
	bool digests;                 /* the two below are set (asked, and a tar) */
	unsigned char in_digest[32];  /* sha256 of the input as read */
	unsigned char in_diff_id[32]; /* sha256 of its whole uncompressed stream */
	uint64_t stream_bytes;        /* the bytes of that stream */
};

/*
 * Read the layer in fd (from offset 0) into s, an empty layer source
 * (source_layer_new), and finish it (source_layer_finish).  A zip is
 * recognised by its first bytes ("PK") and read with its central
 * directory; s is then marked as a zip.  Returns 0, or -1 with the reason
 * in source_layer_err(s).  fd is not closed.
 */
int source_tar_read(struct source *s, int fd, const struct source_tar_opts *to,
		    struct source_tar_result *res);

#endif

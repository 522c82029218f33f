/* source_tar.c - read a layer tarball (or a zip) into a layer source.
 *
 * A tar in any compression is read in two levels, so that both digests
 * come from the one read: the lower libarchive reader decompresses the
 * input (hashing it as read), and the upper one reads the tar from the
 * decompressed stream (hashing that).  A zip is read from the descriptor
 * directly: libarchive finds its central directory, which holds what its
 * local headers lack (a member's mode).
 */
#include "source_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "bound.h"
#include "progress.h"
#include "source_layer.h"

/* How the tar reader gets its bytes, and what it hashes on the way. */
struct stack {
	int fd;
	bool hash;            /* the digests were asked for */
	struct archive *raw;  /* decompresses (format raw) */
	struct sha256_ctx blob, tar;
	unsigned char *buf;   /* the lower reader's input buffer */
	size_t chunk;
	struct bound *bound;  /* what follows the tar's end is charged here */
	bool draining;
	uint64_t tar_n;       /* bytes of the tar stream handed on */
};

struct reader {
	struct source *s;
	int fd;               /* the input (for how far the read is) */
	struct archive *a;    /* the tar (or zip) reader */
	struct bound bound;   /* what the input may expand to (bound.h) */
	size_t chunk;
	const struct source_tar_opts *to;
	bool unrecognized;    /* the first header: no format it knows */
};

/*
 * An entry's content as libarchive hands it out: data blocks at offsets,
 * with holes between them (a sparse entry) and perhaps after the last.
 * Every byte, hole or data, is charged to the layer's bound as it is
 * handed on, so a sparse entry that claims a petabyte or a zip member that
 * inflates a thousandfold is stopped at the limit, not at the end.
 */
struct src {
	struct archive *a;
	const char *path;         /* for messages */
	uint64_t size;            /* declared (logical) size */
	uint64_t pos;             /* bytes handed on so far */
	const unsigned char *blk; /* the rest of the current block */
	size_t blklen;
	uint64_t blkoff;          /* its offset in the content */
	bool sparse;              /* the entry has a sparse map */
	bool eof;                 /* libarchive has no more blocks */
};

/* Charge n bytes of the input (entry name: for the message). */
static int charge(struct reader *R, const char *name, uint64_t n)
{
	struct err e = ERR_INIT;
	int rc = 0;

	if (bound_charge(&R->bound, n, &e) != 0) {
		rc = source_layer_fail(R->s, "entry '%s': the layer %s", name, e.msg);
		err_release(&e);
	}
	return rc;
}

/* Refuse an entry whose declared size alone would pass the bound, before
 * anything is read, skipped or allocated for it (charged as it is read). */
static int bound_check(struct reader *R, const char *name, uint64_t n)
{
	struct bound b = R->bound;

	return bound_over(&b, n) ? charge(R, name, n) : 0;
}

/* The line of progress, when one is due: how far into the input file
 * the read is (of its size, when known), and the entries so far. */
static void reading(const struct reader *R)
{
	char at_s[32], size_s[32];
	off_t at;

	if (!progress_due())
		return;
	at = lseek(R->fd, 0, SEEK_CUR);
	if (at < 0)
		at = 0;
	fmt_bytes(at_s, sizeof(at_s), (uint64_t)at);
	if (R->to->in_size && (uint64_t)at <= R->to->in_size) {
		fmt_bytes(size_s, sizeof(size_s), R->to->in_size);
		progress_show("reading %s of %s (%.0f%%), %zu %s", at_s, size_s,
			      100.0 * (double)at / (double)R->to->in_size, R->s->ents.n,
			      R->s->ents.n == 1 ? "entry" : "entries");
	} else {
		progress_show("reading %s, %zu %s", at_s, R->s->ents.n,
			      R->s->ents.n == 1 ? "entry" : "entries");
	}
}

/* Fetch the next block of s if the current one is used up. */
static int src_fill(struct reader *R, struct src *s)
{
	const void *b;
	size_t len;
	la_int64_t off;
	int r;

	while (!s->blklen && !s->eof) {
		r = archive_read_data_block(s->a, &b, &len, &off);
		if (r == ARCHIVE_EOF) {
			s->eof = true;
		} else if (r != ARCHIVE_OK) {
			return source_layer_fail(R->s, "entry '%s': %s", s->path,
						 archive_error_string(s->a) ? archive_error_string(s->a)
									    : "cannot read the data");
		} else if (off < 0 || (uint64_t)off < s->pos) {
			return source_layer_fail(R->s, "entry '%s': data blocks out of order", s->path);
		} else {
			s->blk = b;
			s->blklen = len;
			s->blkoff = (uint64_t)off;
		}
	}
	return 0;
}

/*
 * The next piece of an entry's content, at most max bytes: data (*p) or a
 * hole (*p NULL: *n bytes that read as zeros).  *n is 0 at the end.
 * Returns 0, or -1 (the layer's error is set).
 */
static int src_next(struct reader *R, struct src *s, size_t max, const unsigned char **p, size_t *n)
{
	uint64_t left = s->size - s->pos;

	*p = NULL;
	*n = 0;
	if (!left)
		return 0;
	if (src_fill(R, s) != 0)
		return -1;
	if (s->blklen && s->blkoff > s->pos) { /* a hole before the block */
		uint64_t gap = s->blkoff - s->pos;
		*n = (size_t)(gap < left ? (gap < max ? gap : max) : (left < max ? left : max));
	} else if (s->blklen) {
		*n = s->blklen < max ? s->blklen : max;
		if (*n > left)
			*n = (size_t)left;
		*p = s->blk;
		s->blk += *n;
		s->blklen -= *n;
		s->blkoff += *n;
	} else if (s->sparse) { /* the rest is a hole */
		*n = (size_t)(left < max ? left : max);
	} else {
		return source_layer_fail(R->s, "entry '%s': data ends early", s->path);
	}
	s->pos += *n;
	return charge(R, s->path, *n);
}

/* Read the next n bytes of s into buf (holes as zeros). */
static int src_read(struct reader *R, struct src *s, unsigned char *buf, size_t n)
{
	size_t got = 0, k;
	const unsigned char *p;

	while (got < n) {
		if (src_next(R, s, n - got, &p, &k) != 0)
			return -1;
		if (!k)
			return source_layer_fail(R->s, "entry '%s': data ends early", s->path);
		if (p)
			memcpy(buf + got, p, k);
		else
			memset(buf + got, 0, k);
		got += k;
	}
	return 0;
}

/* A regular file: its head (read whole, holes as zeros, for what it may
 * be) before the entry counts, then the rest as libarchive gives it. */
static int read_file(struct reader *R, struct src *s, struct archive_entry *ae,
		     unsigned char *head)
{
	size_t headlen = s->size < R->chunk ? (size_t)s->size : R->chunk, k;
	const unsigned char *p;

	if (src_read(R, s, head, headlen) != 0 || source_layer_add(R->s, archive_entry_clone(ae)) != 0 ||
	    source_layer_data(R->s, head, headlen) != 0)
		return -1;
	for (;;) {
		if (src_next(R, s, R->chunk, &p, &k) != 0)
			return -1;
		if (!k)
			break;
		if (source_layer_data(R->s, p, k) != 0)
			return -1;
		reading(R); /* a large file takes a while too */
	}
	source_layer_done(R->s);
	return 0;
}

/* One entry of the archive.  Its declared size is checked against the
 * bound first (a sparse entry's holes count). */
static int read_entry(struct reader *R, struct archive_entry *ae, unsigned char *head)
{
	const char *name = archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "?";
	la_int64_t size = archive_entry_size(ae);
	bool reg = archive_entry_filetype(ae) == AE_IFREG && !archive_entry_hardlink(ae);
	struct src s = { .a = R->a, .path = name, .size = (uint64_t)size,
			 .sparse = archive_entry_sparse_count(ae) > 0 };

	if (R->to->listed)
		R->to->listed(R->to->ctx, archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "",
			      reg && size > 0 ? (uint64_t)size : 0,
			      archive_entry_filetype(ae) == AE_IFDIR, reg);
	if (size < 0 || (reg && !archive_entry_size_is_set(ae)))
		return source_layer_fail(R->s, "entry '%s': bad size", name);
	/* what is not read is skipped, which decompresses it as well */
	if (bound_check(R, name, (uint64_t)size) != 0)
		return -1;
	if (reg)
		return read_file(R, &s, ae, head);
	return source_layer_add(R->s, archive_entry_clone(ae));
}

/* Every entry, to the archive's end. */
static int read_entries(struct reader *R, uint64_t *tar_bytes)
{
	struct archive_entry *ae;
	unsigned char *head = xmalloc(R->chunk);
	int r, rc = 0;

	for (;;) {
		/* headers, and what is skipped, count too: the stream moves */
		uint64_t pos = (uint64_t)archive_filter_bytes(R->a, 0), now;
		r = archive_read_next_header(R->a, &ae);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			/* libarchive's "Unrecognized archive format" is EILSEQ
			 * (ARCHIVE_ERRNO_FILE_FORMAT, not in its public header) */
			R->unrecognized = !R->s->ents.n && archive_errno(R->a) == EILSEQ;
			break;
		}
		now = (uint64_t)archive_filter_bytes(R->a, 0);
		if ((archive_format(R->a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
			source_layer_set_zip(R->s);
		if ((now > pos && charge(R, archive_entry_pathname(ae) ? archive_entry_pathname(ae)
								       : "?", now - pos) != 0) ||
		    read_entry(R, ae, head) != 0) {
			rc = -1;
			goto out;
		}
		reading(R);
	}
	if (r != ARCHIVE_EOF)
		rc = source_layer_fail(R->s, "%s", archive_error_string(R->a)
					   ? archive_error_string(R->a) : "cannot read the layer");
	*tar_bytes = R->s->zip ? 0 : (uint64_t)archive_filter_bytes(R->a, 0);
out:
	free(head);
	return rc;
}

/* ---- the two levels -------------------------------------------------------------- */

/* The lower reader's input: the file, hashed as read. */
static la_ssize_t read_blob(struct archive *a, void *ctx, const void **out)
{
	struct stack *k = ctx;
	ssize_t n;

	do
		n = read(k->fd, k->buf, k->chunk);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "cannot read it: %s", strerror(errno));
		return -1;
	}
	if (k->hash)
		sha256_update(&k->blob, (size_t)n, k->buf);
	*out = k->buf;
	return n;
}

/* The upper reader's input: the lower one's data, hashed as handed on. */
static la_ssize_t read_tar(struct archive *a, void *ctx, const void **out)
{
	struct stack *k = ctx;
	struct err e = ERR_INIT;
	const void *p;
	size_t n;
	la_int64_t off;
	int r;

	do
		r = archive_read_data_block(k->raw, &p, &n, &off);
	while (r == ARCHIVE_OK && n == 0);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		archive_set_error(a, -1, "%s", archive_error_string(k->raw) ? archive_error_string(k->raw)
									 : "cannot decompress it");
		return -1;
	}
	if (k->draining && bound_charge(k->bound, n, &e) != 0) {
		archive_set_error(a, -1, "%s", e.msg);
		err_release(&e);
		return -1;
	}
	if (k->hash)
		sha256_update(&k->tar, n, p);
	k->tar_n += n;
	*out = p;
	return (la_ssize_t)n;
}

/* After the tar's end: the rest of both streams, for the digests. */
static int drain(struct reader *R, struct stack *k)
{
	const void *p;
	la_ssize_t n;

	k->draining = true;
	while ((n = read_tar(R->a, k, &p)) > 0)
		;
	if (n == 0)
		while ((n = read_blob(k->raw, k, &p)) > 0)
			;
	if (n < 0)
		return source_layer_fail(R->s, "%s", archive_error_string(R->a)
					   ? archive_error_string(R->a) : "cannot read it");
	return 0;
}

static int read_stacked(struct reader *R, int fd, struct source_tar_result *res)
{
	struct stack k = { .fd = fd, .chunk = R->chunk, .bound = &R->bound, .hash = R->to->digests };
	struct archive_entry *ae;
	int rc = -1;

	k.buf = xmalloc(k.chunk);
	k.raw = archive_read_new();
	sha256_init(&k.blob);
	sha256_init(&k.tar);
	archive_read_support_filter_all(k.raw);
	archive_read_support_format_raw(k.raw);
	archive_read_support_format_tar(R->a);
	archive_read_support_format_gnutar(R->a);
	if (!R->to->digests) /* an image's layer is a tar: its diff_id says so */
		archive_read_support_format_zip(R->a);
	if (archive_read_open(k.raw, &k, NULL, read_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(k.raw, &ae) != ARCHIVE_OK) {
		source_layer_fail(R->s, "%s", archive_error_string(k.raw) ? archive_error_string(k.raw)
									 : "cannot read the layer");
		goto out;
	}
	/* the format is chosen as it opens */
	if (archive_read_open(R->a, &k, NULL, read_tar, NULL) != ARCHIVE_OK) {
		R->unrecognized = archive_errno(R->a) == EILSEQ;
		source_layer_fail(R->s, "%s", archive_error_string(R->a) ? archive_error_string(R->a)
									: "cannot read the layer");
		goto out;
	}
	/* what follows the tar's end counts for the digests, when asked */
	if (read_entries(R, &res->tar_bytes) != 0 || (k.hash && drain(R, &k) != 0))
		goto out;
	if (k.hash) {
		sha256_digest(&k.blob, sizeof(res->in_digest), res->in_digest);
		sha256_digest(&k.tar, sizeof(res->in_diff_id), res->in_diff_id);
		res->stream_bytes = k.tar_n;
		res->digests = true;
	}
	rc = 0;
out:
	archive_read_free(R->a);
	R->a = NULL;
	archive_read_free(k.raw);
	free(k.buf);
	return rc;
}

static int read_zip(struct reader *R, int fd, struct source_tar_result *res)
{
	int rc = -1;

	archive_read_support_filter_all(R->a);
	archive_read_support_format_tar(R->a);
	archive_read_support_format_gnutar(R->a);
	archive_read_support_format_zip(R->a);
	if (archive_read_open_fd(R->a, fd, R->chunk) != ARCHIVE_OK)
		source_layer_fail(R->s, "%s", archive_error_string(R->a));
	else
		rc = read_entries(R, &res->tar_bytes);
	archive_read_free(R->a);
	R->a = NULL;
	return rc;
}

/* A zip after a prefix (a self-extracting one): only its central
 * directory at the end finds it.  Anything else no format knew gets the
 * same answer from this reader as from the other. */
static int read_again(struct reader *R, int fd, struct source_tar_result *res)
{
	source_layer_reset(R->s);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return source_layer_fail(R->s, "cannot read it: %s", strerror(errno));
	memset(res, 0, sizeof(*res));
	R->a = archive_read_new();
	return read_zip(R, fd, res);
}

static bool starts_zip(int fd)
{
	unsigned char h[2];

	return pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && h[0] == 'P' && h[1] == 'K';
}

int source_tar_read(struct source *s, int fd, const struct source_tar_opts *to,
		    struct source_tar_result *res)
{
	struct reader R = { .s = s, .fd = fd, .chunk = s->chunk, .to = to };
	int rc;

	memset(res, 0, sizeof(*res));
	bound_init(&R.bound, to->in_size, to->max_ratio);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return source_layer_fail(s, "cannot read it: %s", strerror(errno));
	if (to->digests && starts_zip(fd)) /* nothing a digest could be checked on */
		return source_layer_fail(s, "a zip archive, not a tar layer");
	R.a = archive_read_new();
	rc = starts_zip(fd) ? read_zip(&R, fd, res) : read_stacked(&R, fd, res);
	if (rc != 0 && R.unrecognized && !to->digests)
		rc = read_again(&R, fd, res);
	progress_clear();
	if (rc == 0)
		source_layer_finish(s);
	return rc;
}

/* sink_tar.c - write a layer's final state as a tar (or a zip). */
#include "sink_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "fsutil.h"
#include "pipeline.h"
#include "progress.h"
#include "source_layer.h"

struct tsink {
	struct sink base;
	const struct slim_opts *o;
	const char *output;      /* NULL: into /dev/null */
	const char *name;        /* what messages call the output (NULL: output) */
	int compress;
	bool digests;            /* hash the tar stream and what reaches the output */
	unsigned char *obuf;     /* what goes to fd, in large writes */
	size_t olen;
	uint32_t *dup_of;        /* per entry: the copy dedup kept, or ENT_NONE */
	size_t ndup;
	struct pipeline *p;      /* while writing */
	struct sha256_ctx tar;   /* of the tar stream: the diff_id */
	struct sha256_ctx file;  /* of what reaches the output */
	struct archive *inner;   /* the compressing writer behind the tar writer */
	int fd;
	uint64_t written;        /* bytes that reached the output so far */
	size_t at;               /* the entry being written (progress) */
	struct err err;          /* the first write error */
	struct sink_tar_result res;
};

#define T_OF(k) ((struct tsink *)(k))

/* What a hole reads as, a chunk at a time. */
static const unsigned char zeros[1u << 20];

static void fail(struct tsink *T, const char *fmt, ...) SLIM_PRINTF(2, 3);
static void fail(struct tsink *T, const char *fmt, ...)
{
	va_list ap;

	if (T->err.msg)
		return;
	va_start(ap, fmt);
	err_vset(&T->err, 0, fmt, ap);
	va_end(ap);
}

static const char *out_name(const struct tsink *T)
{
	return T->name ? T->name : T->output ? T->output : "(audit)";
}

/* The output file, beside its path; a message that names it as asked. */
/* The output could not be made (what: "create", "write"): the message
 * names it as asked.  Returns -1. */
static int out_failed(struct tsink *T, const char *what, struct err *e)
{
	if (T->name)
		fail(T, "cannot %s the output of '%s': %s", what, T->name, strerror(e->code));
	else
		fail(T, "%s", e->msg);
	err_release(e);
	return -1;
}

static int out_open(struct tsink *T, struct fsu_out *out)
{
	struct err e = ERR_INIT;

	return fsu_out_open(out, T->output, 0666, &e) == 0 ? 0 : out_failed(T, "create", &e);
}

static int out_commit(struct tsink *T, struct fsu_out *out)
{
	struct err e = ERR_INIT;

	return fsu_out_commit(out, true, &e) == 0 ? 0 : out_failed(T, "write", &e);
}

/* ---- the writers ------------------------------------------------------------- */

/* The compressing writer: raw format (bytes pass through) and a filter. */
static int setup_inner(struct tsink *T, struct archive *w)
{
	char num[32];

	archive_write_set_format_raw(w);
	switch (T->compress) {
	case COMPRESS_ZSTD:
		archive_write_add_filter_zstd(w);
		snprintf(num, sizeof(num), "%d", T->o->level ? T->o->level : 3);
		if (archive_write_set_filter_option(w, "zstd", "compression-level", num) != ARCHIVE_OK) {
			fail(T, "invalid zstd level %s", num);
			return -1;
		}
		snprintf(num, sizeof(num), "%d", T->o->jobs);
		archive_write_set_filter_option(w, "zstd", "threads", num);
		break;
	case COMPRESS_GZIP:
		archive_write_add_filter_gzip(w);
		/* no name, no time: the same input gives the same bytes */
		archive_write_set_filter_option(w, "gzip", "timestamp", NULL);
		if (T->o->level) {
			snprintf(num, sizeof(num), "%d", T->o->level);
			if (archive_write_set_filter_option(w, "gzip", "compression-level", num) !=
			    ARCHIVE_OK) {
				fail(T, "invalid gzip level %s", num);
				return -1;
			}
		}
		break;
	default:
		archive_write_add_filter_none(w);
		break;
	}
	archive_write_set_bytes_per_block(w, 0);
	return 0;
}

#define OBUF (1u << 20) /* libarchive hands over 10 KiB at a time */

static int flush_out(struct tsink *T)
{
	int rc = T->olen ? fsu_write_all(T->fd, T->obuf, T->olen) : 0;

	T->olen = 0;
	return rc;
}

/* What reaches the output file: hashed, then written in large blocks. */
static la_ssize_t file_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct tsink *T = ctx;

	if (T->digests)
		sha256_update(&T->file, len, buf);
	T->written += len;
	if (T->olen + len > OBUF && flush_out(T) != 0)
		goto fail;
	if (len >= OBUF) {
		if (fsu_write_all(T->fd, buf, len) != 0)
			goto fail;
	} else {
		memcpy(T->obuf + T->olen, buf, len);
		T->olen += len;
	}
	return (la_ssize_t)len;
fail:
	archive_set_error(a, errno, "%s", strerror(errno));
	return -1;
}

/* The tar writer hands every byte of the tar stream here: hash it (the
 * layer's diff_id), then compress it. */
static la_ssize_t tar_out(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct tsink *T = ctx;
	la_ssize_t k;

	(void)a;
	if (T->digests)
		sha256_update(&T->tar, len, buf);
	k = archive_write_data(T->inner, buf, len);
	if (k < 0 || (size_t)k != len) {
		fail(T, "cannot write '%s': %s", out_name(T), archive_error_string(T->inner));
		return -1;
	}
	return k;
}

/* The writers: tar (hashed) into a compressor, or zip for a wheel. */
static int open_writers(struct tsink *T, bool zip, struct archive **wp)
{
	struct archive *w = archive_write_new(), *in;
	struct archive_entry *raw;

	*wp = w;
	sha256_init(&T->file);
	if (zip) {
		archive_write_set_format_zip(w);
		archive_write_set_format_option(w, "zip", "compression", "deflate");
		/* as a regular file gets it: the last block is not padded */
		archive_write_set_bytes_in_last_block(w, 1);
		if (archive_write_open2(w, T, NULL, file_out, NULL, NULL) != ARCHIVE_OK)
			goto fail;
		return 0;
	}
	in = T->inner = archive_write_new();
	if (setup_inner(T, in) != 0)
		return -1;
	raw = archive_entry_new();
	archive_entry_set_filetype(raw, AE_IFREG);
	if (archive_write_open2(in, T, NULL, file_out, NULL, NULL) != ARCHIVE_OK ||
	    archive_write_header(in, raw) != ARCHIVE_OK) {
		archive_entry_free(raw);
		fail(T, "cannot write '%s': %s", out_name(T), archive_error_string(in));
		return -1;
	}
	archive_entry_free(raw);
	sha256_init(&T->tar);
	archive_write_set_format_pax_restricted(w);
	/* SCHILY.xattr only: what GNU tar, Docker and containers/storage read */
	archive_write_set_format_option(w, "pax", "xattrheader", "SCHILY");
	archive_write_add_filter_none(w);
	if (archive_write_open2(w, T, NULL, tar_out, NULL, NULL) != ARCHIVE_OK)
		goto fail;
	return 0;
fail:
	fail(T, "cannot write '%s': %s", out_name(T), archive_error_string(w));
	return -1;
}

/* ---- entries ------------------------------------------------------------------ */

/* The line of progress, when one is due: entries, and bytes out. */
static void writing(const struct tsink *T)
{
	char b[32];
	size_t n = T->p->src->ents.n;

	if (!progress_due())
		return;
	fmt_bytes(b, sizeof(b), T->written);
	progress_show("writing %s: %zu/%zu %s, %s written", T->output ? "the output" : "(audit)",
		      T->at, n, n == 1 ? "entry" : "entries", b);
}

static void add_region(void *ctx, uint64_t at, uint64_t n)
{
	archive_entry_sparse_add_entry(ctx, (la_int64_t)at, (la_int64_t)n);
}

/*
 * A sparse entry stays sparse: the output entry oe (whose size is set)
 * gets the data regions of the content as the spool holds them (its holes
 * were left as holes there).  The tar writer then writes GNU sparse PAX
 * 1.0, which GNU tar, Go's archive/tar and Python's tarfile extract; a
 * file system that does not report holes gives one region, and a plain
 * entry.
 */
static void sparse_map(const struct source *s, size_t c, struct archive_entry *oe)
{
	uint64_t off, len;

	source_layer_region(s, c, &off, &len);
	if (!spool_map(source_layer_spool(s), off, len, add_region, oe))
		/* all hole: one empty region at the end, as GNU tar writes it */
		archive_entry_sparse_add_entry(oe, (la_int64_t)len, 0);
}

/* Content c, from the spool or (a tree packed) from the tree's file. */
static int write_data(struct tsink *T, struct archive *w, size_t c, const char *path,
		      unsigned char *buf)
{
	const struct source *s = T->p->src;
	const struct spool *sp = source_layer_spool(s);
	bool spooled = source_layer_in_spool(s, c);
	struct source_file f;
	struct err e = ERR_INIT;
	uint64_t at;
	int rc = 0;

	if (source_layer_open(s, c, &f, &e) != 0) {
		fail(T, "%s", e.msg);
		err_release(&e);
		return -1;
	}
	for (at = 0; at < f.size && !rc;) {
		size_t k = f.size - at < s->chunk ? (size_t)(f.size - at) : s->chunk;
		const unsigned char *q = buf;
		/* a hole is not read: the kernel would zero a page for each */
		if (spooled && k >= 4096 && spool_is_hole(sp, f.off + at, k)) {
			q = zeros;
		} else if (fsu_pread_all(f.fd, buf, k, f.off + at) != 0) {
			fail(T, spooled ? "cannot read the spool file: %s" : "cannot read '%s': %s",
			     spooled ? strerror(errno) : path, strerror(errno));
			rc = -1;
			break;
		}
		if (archive_write_data(w, q, k) != (la_ssize_t)k) {
			fail(T, "cannot write '%s': %s", path, archive_error_string(w));
			rc = -1;
		}
		at += k;
		writing(T); /* a large file takes a while too */
	}
	source_close(&f);
	return rc;
}

static void clamp(const struct slim_opts *o, struct archive_entry *ae)
{
	if (!o->clamp_mtime)
		return;
	if (archive_entry_mtime(ae) > o->mtime)
		archive_entry_set_mtime(ae, o->mtime, 0);
	if (archive_entry_atime_is_set(ae) && archive_entry_atime(ae) > o->mtime)
		archive_entry_set_atime(ae, o->mtime, 0);
	if (archive_entry_ctime_is_set(ae) && archive_entry_ctime(ae) > o->mtime)
		archive_entry_set_ctime(ae, o->mtime, 0);
}

static void link_to(struct archive_entry *oe, const struct source *s, size_t t)
{
	archive_entry_set_hardlink(oe, archive_entry_pathname(source_layer_header(s, t)));
	archive_entry_set_size(oe, 0);
}

/* Entry i's header in the output; *src: whose content follows, or
 * ENT_NONE. */
static struct archive_entry *out_header(struct tsink *T, size_t i, size_t *src)
{
	const struct pipeline *p = T->p;
	const struct source *s = p->src;
	const struct entry *x = &s->ents.v[i];
	struct archive_entry *oe = archive_entry_clone(source_layer_header(s, i));

	*src = ENT_NONE;
	/* the input's sparse map describes the input's bytes, not these */
	archive_entry_sparse_clear(oe);
	clamp(T->o, oe);
	if (x->type == ENT_FILE && T->dup_of[i] != ENT_NONE) {
		link_to(oe, s, T->dup_of[i]);
	} else if (x->type == ENT_FILE) {
		*src = i;
	} else if (x->type == ENT_HARDLINK && p->v[x->link].heir == i && pipeline_gone(p, x->link)) {
		/* its file is gone: the first link left takes its place */
		archive_entry_set_hardlink(oe, NULL);
		archive_entry_set_filetype(oe, AE_IFREG);
		*src = x->link;
	} else if (x->type == ENT_HARDLINK) {
		size_t t = x->link;
		if (pipeline_gone(p, t))
			t = p->v[t].heir;
		else if (T->dup_of[t] != ENT_NONE)
			t = T->dup_of[t];
		link_to(oe, s, t);
	}
	if (*src != ENT_NONE) {
		uint64_t off, len;
		source_layer_region(s, *src, &off, &len);
		archive_entry_set_size(oe, (la_int64_t)len);
		if (!s->zip && archive_entry_sparse_count(source_layer_header(s, *src)) > 0)
			sparse_map(s, *src, oe);
	}
	return oe;
}

static int write_entries(struct tsink *T, struct archive *w)
{
	const struct source *s = T->p->src;
	unsigned char *buf = xmalloc(s->chunk);
	size_t i, src;
	int rc = 0;

	for (i = 0; i < s->ents.n && !rc; i++) {
		struct archive_entry *oe;
		T->at = i + 1;
		writing(T);
		if (pipeline_gone(T->p, i))
			continue;
		oe = out_header(T, i, &src);
		if (archive_write_header(w, oe) < ARCHIVE_WARN) {
			fail(T, "cannot write '%s': %s", s->ents.v[i].path, archive_error_string(w));
			rc = -1;
		} else if (src != ENT_NONE) {
			rc = write_data(T, w, src, s->ents.v[i].path, buf);
		}
		archive_entry_free(oe);
	}
	free(buf);
	return rc;
}

/* ---- the sink ------------------------------------------------------------------- */

/* Close the writers; the sizes and digests. */
static int close_writers(struct tsink *T, struct archive *w)
{
	if (archive_write_close(w) != ARCHIVE_OK || T->err.msg) {
		fail(T, "cannot write '%s': %s", out_name(T), archive_error_string(w));
		return -1;
	}
	if (T->inner) {
		T->res.tar_out = (uint64_t)archive_filter_bytes(w, -1);
		sha256_digest(&T->tar, sizeof(T->res.diff_id), T->res.diff_id);
		if (archive_write_close(T->inner) != ARCHIVE_OK) {
			fail(T, "cannot write '%s': %s", out_name(T), archive_error_string(T->inner));
			return -1;
		}
		T->res.file_out = (uint64_t)archive_filter_bytes(T->inner, -1);
	} else {
		T->res.file_out = (uint64_t)archive_filter_bytes(w, -1);
	}
	if (flush_out(T) != 0) {
		fail(T, "cannot write '%s': %s", out_name(T), strerror(errno));
		return -1;
	}
	if (T->digests)
		sha256_digest(&T->file, sizeof(T->res.out_digest), T->res.out_digest);
	return 0;
}

static int t_finish(struct sink *k, struct pipeline *p, struct err *e)
{
	struct tsink *T = T_OF(k);
	struct fsu_out out = { .fd = -1, .dirfd = -1 };
	struct archive *w = NULL;
	int rc = -1;

	T->p = p;
	if (T->output) {
		if (out_open(T, &out) != 0)
			goto done;
		T->fd = out.fd;
	} else {
		T->fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (T->fd < 0) {
			fail(T, "cannot create '%s': %s", out_name(T), strerror(errno));
			goto done;
		}
	}
	if (open_writers(T, p->src->zip, &w) != 0 || write_entries(T, w) != 0 ||
	    close_writers(T, w) != 0) {
		progress_clear();
		goto done;
	}
	progress_clear();
	if (T->output && out_commit(T, &out) != 0)
		goto done;
	rc = 0;
done:
	if (w)
		archive_write_free(w);
	if (T->inner)
		archive_write_free(T->inner);
	T->inner = NULL;
	if (T->output)
		fsu_out_abort(&out);
	else if (T->fd >= 0)
		close(T->fd);
	T->fd = -1;
	if (rc)
		err_set(e, "%s", T->err.msg ? T->err.msg : "cannot write the layer");
	return rc;
}

/* New content goes to the source's spool, where the writer reads it. */
static enum sink_replace t_replace(struct sink *k, struct pipeline *p, size_t i,
				   struct source_file *f, const struct content *c, struct err *e)
{
	(void)k;
	(void)f;
	return p->src->ops->put(p->src, i, c, e) == 0 ? SINK_REPLACED : SINK_FATAL;
}

/* A verified copy becomes a hard link to the kept copy in the output. */
static int t_link(void *ctx, const struct dedup_item *kept, const struct dedup_item *names,
		  size_t n, const struct stat *st, size_t *failed, struct err *e)
{
	struct tsink *T = ctx;
	size_t k;

	(void)st;
	(void)failed;
	(void)e;
	for (k = 0; k < n; k++)
		if (names[k].entry < T->ndup)
			T->dup_of[names[k].entry] = (uint32_t)kept->entry;
	return 0;
}

static void t_begin(struct sink *k, struct pipeline *p)
{
	struct tsink *T = T_OF(k);
	size_t i;

	T->ndup = p->src->ents.n;
	T->dup_of = xmalloc((T->ndup ? T->ndup : 1) * sizeof(*T->dup_of));
	for (i = 0; i < T->ndup; i++)
		T->dup_of[i] = ENT_NONE;
	/* a zip has no hard links: its copies are only reported */
	k->link = p->src->zip ? NULL : t_link;
}

static void t_free(struct sink *k)
{
	struct tsink *T = T_OF(k);

	free(T->dup_of);
	free(T->obuf);
	err_release(&T->err);
	free(T);
}

static const struct sink_ops tar_ops = {
	.begin = t_begin,
	.replace = t_replace,
	.finish = t_finish,
	.free = t_free,
};

struct sink *sink_tar_new(const struct slim_opts *o, const char *output, const char *name,
			  int compress, bool digests)
{
	struct tsink *T = xcalloc(1, sizeof(*T));

	T->base.ops = &tar_ops;
	T->base.link = t_link;
	T->base.link_ctx = T;
	T->o = o;
	T->output = output;
	T->name = name;
	T->compress = compress;
	T->digests = digests;
	T->obuf = xmalloc(OBUF);
	T->fd = -1;
	return &T->base;
}

void sink_tar_result(const struct sink *k, struct sink_tar_result *res)
{
	*res = T_OF(k)->res;
}

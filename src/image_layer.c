/* image_layer.c - the layers of an image run.
 *
 * A layer is opened once (the memo: whatever the number of images that
 * name it), run once (run_layer: read, listed, slimmed into the scratch),
 * then checked against each descriptor and diff_id that names it, and
 * only then settled into the output tree: its original blob when slimming
 * changed nothing, else the new one.  A mismatch refuses the image before
 * anything reaches the output; what the run wrote to the scratch goes with
 * it.
 *
 * run_layer reads a layer twice for now: once to hash it (as stored, and as
 * a tar stream) and list it (read_layer), once through layer_process(), and
 * its new blob is hashed once written.  layer_process_fd() (layer.h, to
 * come) does all of it in one read; then read_layer and file_sha256 go.
 */
#include "image_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "fsutil.h"

/* ---- reading a layer (until layer_process_fd) ------------------------------------ */

/*
 * Reading a layer blob once: its bytes are hashed as they are stored
 * (lr_blob), decompressed by a raw reader, and hashed again as the tar
 * stream that a tar reader lists (lr_tar).
 */
struct lread {
	struct image *img;
	int fd;
	struct archive *raw;
	struct sha256_ctx blob, tar;
	uint64_t blob_bytes, tar_bytes;
	char buf[CHUNK];
};

static la_ssize_t lr_blob(struct archive *a, void *ctx, const void **out)
{
	struct lread *l = ctx;
	ssize_t k;

	do
		k = read(l->fd, l->buf, sizeof(l->buf));
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	sha256_update(&l->blob, (size_t)k, (const uint8_t *)l->buf);
	l->blob_bytes += (uint64_t)k;
	*out = l->buf;
	return k;
}

/* The tar reader's input: the decompressed stream, each byte charged to
 * the image's bound. */
static la_ssize_t lr_tar(struct archive *a, void *ctx, const void **out)
{
	struct lread *l = ctx;
	struct err e = ERR_INIT;
	const void *p = NULL;
	size_t n = 0;
	la_int64_t off;
	int r;

	do
		r = archive_read_data_block(l->raw, &p, &n, &off);
	while (r == ARCHIVE_OK && n == 0);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		archive_set_error(a, -1, "%s",
				  archive_error_string(l->raw) ? archive_error_string(l->raw)
							       : "cannot decompress it");
		return -1;
	}
	if (bound_charge(&l->img->bound, n, &e) != 0) {
		archive_set_error(a, -1, "%s", e.msg);
		err_release(&e);
		return -1;
	}
	sha256_update(&l->tar, n, p);
	l->tar_bytes += n;
	*out = p;
	return (la_ssize_t)n;
}

static const char *aerr(struct archive *a, const char *dflt)
{
	return archive_error_string(a) ? archive_error_string(a) : dflt;
}

/*
 * Read the layer r->fd, from its start: r->ents gets its entries;
 * r->in_digest, in_size, in_diff_id and in_tar what it is.  Every byte
 * decompressed counts toward img->bound.
 */
static int read_layer(struct image *img, struct blobres *r)
{
	struct lread *l = xcalloc(1, sizeof(*l));
	struct archive *tar = archive_read_new();
	struct archive_entry *ae;
	unsigned char d[32];
	const void *p;
	la_ssize_t k;
	int x, rc = -1;

	l->img = img;
	l->fd = r->fd;
	l->raw = archive_read_new();
	sha256_init(&l->blob);
	sha256_init(&l->tar);
	archive_read_support_filter_all(l->raw);
	archive_read_support_format_raw(l->raw);
	archive_read_support_format_tar(tar);
	archive_read_support_format_gnutar(tar);
	if (lseek(r->fd, 0, SEEK_SET) != 0 ||
	    archive_read_open(l->raw, l, NULL, lr_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(l->raw, &ae) != ARCHIVE_OK) {
		img_fail(img, "layer '%s': %s", (r->name), aerr(l->raw, "cannot read it"));
		goto out;
	}
	if (archive_read_open(tar, l, NULL, lr_tar, NULL) != ARCHIVE_OK) {
		img_fail(img, "layer '%s': %s", (r->name), aerr(tar, "not a tar"));
		goto out;
	}
	while ((x = archive_read_next_header(tar, &ae)) == ARCHIVE_OK || x == ARCHIVE_WARN) {
		mode_t t = archive_entry_filetype(ae);
		bool reg = t == AE_IFREG && !archive_entry_hardlink(ae);
		la_int64_t sz = archive_entry_size(ae);
		const char *nm = archive_entry_pathname(ae);
		image_entries_add(&r->ents, nm ? nm : "", reg && sz > 0 ? (uint64_t)sz : 0,
				  t == AE_IFDIR, reg);
		if (archive_read_data_skip(tar) != ARCHIVE_OK) {
			x = ARCHIVE_FATAL;
			break;
		}
	}
	/* what follows the tar's end, decompressed and not, counts for the digests too */
	if (x == ARCHIVE_EOF)
		while ((k = lr_tar(tar, l, &p)) > 0)
			;
	if (x == ARCHIVE_EOF && k == 0)
		while ((k = lr_blob(l->raw, l, &p)) > 0)
			;
	if (x != ARCHIVE_EOF || k < 0) {
		img_fail(img, "layer '%s': %s", (r->name),
			 x == ARCHIVE_EOF && archive_error_string(l->raw) ? archive_error_string(l->raw)
								      : aerr(tar, "cannot read it"));
		goto out;
	}
	sha256_digest(&l->blob, 32, d);
	r->in_digest = image_digest_str(d);
	sha256_digest(&l->tar, 32, d);
	r->in_diff_id = image_digest_str(d);
	r->in_size = l->blob_bytes;
	r->in_tar = l->tar_bytes;
	rc = 0;
out:
	archive_read_free(tar);
	archive_read_free(l->raw);
	free(l);
	return rc;
}

/* sha256 and size of a file (of the scratch). */
static int file_sha256(const char *path, unsigned char d[32], uint64_t *size)
{
	struct sha256_ctx c;
	char b[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return -1;
	sha256_init(&c);
	*size = 0;
	while ((k = read(fd, b, sizeof(b))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		sha256_update(&c, (size_t)k, (const uint8_t *)b);
		*size += (uint64_t)k;
	}
	close(fd);
	sha256_digest(&c, 32, d);
	return 0;
}

/* The message of the error layer_process reported on input. */
static const char *layer_error(const struct report *lrep, const char *input)
{
	size_t i;

	for (i = lrep->nerrors; i-- > 0;)
		if (strcmp(lrep->errors[i].path, input) == 0)
			return lrep->errors[i].msg;
	return lrep->nerrors ? lrep->errors[lrep->nerrors - 1].msg : "cannot process it";
}

/*
 * Slim the layer r (read already) with compression target into the new
 * file tmp in the scratch: r->lrep and r->res get what it did, r->out_sha
 * and out_size what it made.
 */
static int slim_layer(struct image *img, struct blobres *r, int target, const char *tmp)
{
	char proc[64];

	/* the opened file itself, not a name that could lead elsewhere by now */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
	if (layer_process(&img->lo, proc, tmp, target, r->lrep, &r->res) != 0)
		return img_fail(img, "layer '%s': %s", r->name, layer_error(r->lrep, proc));
	if (file_sha256(tmp, r->out_sha, &r->out_size) != 0)
		return img_fail(img, "cannot read '%s': %s", tmp, strerror(errno));
	return 0;
}

/* ---- running a layer ----------------------------------------------------------------- */

/*
 * Run the layer r, once: read it (its digests, its entries) and, unless it
 * is foreign, slim it with the compression asked for into the scratch.
 * What it made stays there (r->tmp) until the layer is checked and
 * settled; a layer whose content did not change and that keeps its
 * compression keeps its original blob (r->tmp NULL).
 */
static int run_layer(struct image *img, struct blobres *r, bool docker)
{
	char *tmp = NULL;
	int rc = -1;

	r->ran = true;
	if (r->absent)
		return 0;
	if (read_layer(img, r) != 0)
		return -1;
	if (r->comp == IMAGE_C_FOREIGN) /* not ours to change */
		return 0;
	r->target = img->target == COMPRESS_AUTO ? r->comp : img->target;
	if (docker && r->target == COMPRESS_ZSTD)
		return img_fail(img, "zstd compression is not supported for docker images: use "
				     "--compress gzip, or an OCI layout");
	r->lrep = xcalloc(1, sizeof(*r->lrep));
	report_init(r->lrep, img->o->dry_run);
	tmp = img_tmp_name(img->scratch);
	if (slim_layer(img, r, r->target, tmp) != 0)
		goto out;
	if (r->target != r->comp || r->lrep->nchanges || r->lrep->superseded) {
		r->tmp = tmp; /* a new blob */
		tmp = NULL;
	}
	rc = 0;
out:
	if (tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- checking a layer ------------------------------------------------------------------ */

/* Does the layer r as read match digest and size (NULL, -1: anything)? */
static int match_desc(struct image *img, struct blobres *r, const char *digest, int64_t size)
{
	if ((!digest || strcmp(r->in_digest, digest) == 0) &&
	    (size < 0 || r->in_size == (uint64_t)size))
		return 0;
	return img_fail(img, "layer '%s' does not match its descriptor: it is %s, %llu bytes; "
			     "expected %s, %lld bytes", r->name, r->in_digest,
			(unsigned long long)r->in_size, digest ? digest : r->in_digest,
			size >= 0 ? (long long)size : (long long)r->in_size);
}

/* Is the layer r as read the one its config's rootfs.diff_ids names?  A
 * layer changed after the image was built is not. */
static int diff_check(struct image *img, const struct img_layer_ref *ref, const struct blobres *r)
{
	if (r->absent || strcmp(r->in_diff_id, ref->diff_id) == 0)
		return 0;
	return img_fail(img, "image '%s': layer %zu ('%s') is not the layer its config names: its "
			     "tar is %s, rootfs.diff_ids[%zu] is %s (changed after the image was "
			     "built?)", ref->label, ref->index, r->name, r->in_diff_id, ref->index,
			ref->diff_id);
}

/* The layer at where (fd: opened; -1: absent), new in the memo as key. */
static struct blobres *new_layer(struct image *img, const char *key, int fd, char *where,
				 const struct img_layer_ref *ref, const char *digest)
{
	struct blobres *r = memo_add(img, key);
	struct stat st;
	unsigned char h[4];

	r->name = xstrdup(ref->name);
	r->fd = fd;
	r->in_rel = where;
	r->comp = ref->comp;
	if (fd >= 0 && ref->comp == IMAGE_C_SNIFF)
		r->comp = image_sniff_compression(h, fsu_pread_upto(fd, h, sizeof(h)));
	if (fd < 0) { /* a foreign layer that is not here: nothing to check */
		r->absent = true;
		r->in_digest = xstrdup(digest);
		r->in_size = (uint64_t)ref->size;
	} else if (!img->tar_in && fstat(fd, &st) == 0) {
		/* a directory's size, for the bound: the blobs slim reads */
		img->bound.in += (uint64_t)st.st_size;
	}
	return r;
}

/*
 * The memo entry of the layer ref names, opened (new) or found.  *digest
 * gets what it must match: ref's, or the digest a docker-archive's path
 * blobs/sha256/<hex> names (*named; caller frees).
 */
static struct blobres *open_layer(struct image *img, const struct img_layer_ref *ref,
				  const char **digest, char **named)
{
	struct blobres *r = NULL;
	struct err e = ERR_INIT;
	char *where = NULL, *k = ref->key ? memo_key("layer", ref->key) : NULL;
	int fd = -1;

	*digest = ref->digest;
	if (!(k && (r = memo_get(img, k)))) {
		fd = img_in_open(img, ref->rel, &where, &e);
		if (fd < 0 && !(ref->comp == IMAGE_C_FOREIGN && e.code == ENOENT)) {
			img_fail(img, "layer '%s': %s", ref->name, e.msg);
			goto out;
		}
		if (!k) {
			*named = where ? image_named_digest(where) : NULL;
			*digest = *named ? *named : *digest;
			k = memo_key("layer", *named ? *named : where ? where : ref->rel);
			r = memo_get(img, k);
		}
	}
	if (r) {
		if (fd >= 0)
			close(fd);
		free(where);
		goto out;
	}
	r = new_layer(img, k, fd, where, ref, *digest);
out:
	free(k);
	err_release(&e);
	return r;
}

struct blobres *img_layer(struct image *img, const struct img_layer_ref *ref)
{
	const char *digest;
	char *named = NULL;
	struct blobres *r = open_layer(img, ref, &digest, &named);

	if (r && !r->ran && run_layer(img, r, ref->docker) != 0)
		r = NULL;
	if (r && !r->absent &&
	    (match_desc(img, r, digest, ref->size) != 0 || diff_check(img, ref, r) != 0))
		r = NULL;
	free(named);
	return r;
}

int img_layers(struct image *img, const struct img_layer_ref *refs, size_t n, bool layout,
	       struct blobres **ls, bool *changed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(ls[i] = img_layer(img, &refs[i])))
			return -1;
	for (i = 0; i < n; i++) {
		if (img_layer_settle(img, ls[i], refs[i].docker, layout) != 0)
			return -1;
		*changed |= ls[i]->changed;
	}
	return 0;
}

/* ---- settling a layer ------------------------------------------------------------------ */

/* A layer whose original blob goes into the output as it is. */
static int keep_layer(struct image *img, struct blobres *r, bool layout)
{
	r->row.kept = true;
	r->row.tar_before = r->row.tar_after = r->in_tar;
	r->row.blob_before = r->row.blob_after = r->in_size;
	r->path = layout || !r->in_rel ? image_blob_path(r->in_digest) : xstrdup(r->in_rel);
	r->digest = xstrdup(r->in_digest);
	r->size = r->in_size;
	r->diff_id = r->in_diff_id ? xstrdup(r->in_diff_id) : NULL;
	return r->absent ? 0 : img_copy_in(img, r->fd, r->path);
}

/* Put the new blob r->tmp in place; r gets what it is. */
static int put_layer(struct image *img, struct blobres *r, bool docker, bool layout)
{
	const struct report *l = r->lrep;
	struct buf dst = BUF_INIT;
	char hex[65];
	int rc = -1;

	r->row.tar_before = r->res.tar_in;
	r->row.blob_before = r->in_size;
	r->row.tar_after = r->res.tar_out;
	r->row.strip_saved = l->strip.before - l->strip.after;
	r->row.rules_saved = report_rules_bytes(l);
	r->row.dedup_saved = l->dup_bytes_saved;
	r->diff_id = image_digest_str(r->res.diff_id);
	image_hex(r->out_sha, hex);
	r->digest = image_digest_str(r->out_sha);
	r->size = r->out_size;
	r->changed = true;
	if (r->target != r->comp)
		r->media_type = xstrdup(image_layer_media_type(docker, r->target));
	if (layout) {
		r->path = image_blob_path(r->digest);
	} else {
		buf_addf(&dst, "%s.tar", hex);
		r->path = buf_detach(&dst, NULL);
	}
	buf_addf(&dst, "%s/%s", img->out, r->path);
	if (img_mkparents(img->out, r->path) != 0 || rename(r->tmp, dst.p) != 0) {
		img_fail(img, "cannot rename to '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	free(r->tmp);
	r->tmp = NULL;
	r->row.blob_after = r->size;
	rc = 0;
out:
	buf_release(&dst);
	return rc;
}

int img_layer_settle(struct image *img, struct blobres *r, bool docker, bool layout)
{
	int rc;

	if (r->done)
		return 0;
	r->done = true;
	if (r->lrep) /* all of it for a new blob, what stays true for a kept one */
		report_merge(img->rep, r->lrep, !r->tmp);
	rc = r->tmp ? put_layer(img, r, docker, layout) : keep_layer(img, r, layout);
	if (r->lrep)
		report_release(r->lrep);
	free(r->lrep);
	r->lrep = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	return rc;
}

void img_report_layers(struct image *img, const char *label, struct blobres **ls,
		       const char *const *before, size_t n)
{
	const struct image_entries **ents = xcalloc(n + 1, sizeof(*ents));
	uint64_t *waste = xcalloc(n + 1, sizeof(*waste));
	size_t i;

	for (i = 0; i < n; i++)
		ents[i] = &ls[i]->ents;
	image_waste(ents, n, waste);
	for (i = 0; i < n; i++) {
		struct report_image_layer row = ls[i]->row;
		row.image = (char *)label;
		row.index = (unsigned)i;
		row.digest_before = (char *)before[i];
		row.digest_after = ls[i]->digest;
		row.waste = waste[i];
		row.shared = ls[i]->reported;
		report_image_layer(img->rep, &row);
		ls[i]->reported = true;
	}
	free(ents);
	free(waste);
}

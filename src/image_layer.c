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
 * run_layer reads a layer once (layer_process_fd): its digests as stored
 * and as a tar stream, its entries, and its new blob hashed as written.
 */
#include "image_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "progress.h"

/* The message of the error layer_process_fd reported on the layer name. */
static const char *layer_error(const struct report *lrep, const char *name)
{
	size_t i;

	for (i = lrep->nerrors; i-- > 0;)
		if (strcmp(lrep->errors[i].path, name) == 0)
			return lrep->errors[i].msg;
	return lrep->nerrors ? lrep->errors[lrep->nerrors - 1].msg : "cannot process it";
}

/* What layer_process_fd read and made, into r. */
static void took(struct blobres *r, const struct layer_result *res)
{
	size_t i;

	for (i = 0; i < res->entries.n; i++)
		image_entries_add(&r->ents, res->entries.v[i].path, res->entries.v[i].size,
				  res->entries.v[i].dir, res->entries.v[i].regular);
	r->in_digest = image_digest_str(res->in_digest);
	r->in_size = res->file_in;
	r->in_diff_id = image_digest_str(res->in_diff_id);
	r->in_tar = res->in_stream; /* a kept layer is all of it */
	r->res = *res;
	r->res.entries = (struct layer_listing){ NULL, 0, 0 };
	memcpy(r->out_sha, res->out_digest, sizeof(r->out_sha));
	r->out_size = res->file_out;
}

/* ---- running a layer ----------------------------------------------------------------- */

/*
 * Run the layer r, once: read it (its digests, its entries) and, unless it
 * is foreign, slim it with the compression asked for into the scratch, in
 * one read (layer_process_fd).  What it made stays there (r->tmp) until
 * the layer is checked and settled; a layer whose content did not change
 * and that keeps its compression keeps its original blob (r->tmp NULL).
 */
static int run_layer(struct image *img, struct blobres *r, bool docker)
{
	struct layer_result res;
	bool foreign = r->comp == IMAGE_C_FOREIGN; /* not ours to change: read only */
	char *tmp = NULL;
	int rc = -1;

	r->ran = true;
	if (r->absent)
		return 0;
	r->target = foreign ? COMPRESS_NONE : img->target == COMPRESS_AUTO ? r->comp : img->target;
	if (docker && !foreign && r->target == COMPRESS_ZSTD)
		return img_fail(img, "zstd compression is not supported for docker images: use "
				     "--compress gzip, or an OCI layout");
	r->lrep = xcalloc(1, sizeof(*r->lrep));
	report_init(r->lrep, img->o->dry_run);
	/* layers run in the image's order: each sees the lists of those before */
	if (!img->lists)
		img->lists = account_lists_new();
	r->lrep->inherit = img->lists;
	tmp = foreign ? NULL : img_tmp_name(img->scratch);
	if (layer_process_fd(&img->lo, r->fd, r->name, tmp, r->target, r->lrep, &res) != 0) {
		img_fail(img, "layer '%s': %s", r->name, layer_error(r->lrep, r->name));
		goto out;
	}
	took(r, &res);
	if (foreign) {
		report_release(r->lrep);
		free(r->lrep);
		r->lrep = NULL;
	} else if (r->target != r->comp || res.changed) {
		r->tmp = tmp; /* a new blob */
		tmp = NULL;
	}
	rc = 0;
out:
	layer_result_release(&res);
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

	for (i = 0; i < n; i++) {
		progress_label("layer %zu/%zu", i + 1, n);
		ls[i] = img_layer(img, &refs[i]);
		progress_label(NULL);
		if (!ls[i])
			return -1;
	}
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
		/* the blob's digest, also where a docker-archive names it by a path */
		row.digest_before = ls[i]->in_digest ? ls[i]->in_digest : (char *)before[i];
		row.digest_after = ls[i]->digest;
		row.waste = waste[i];
		row.shared = ls[i]->reported;
		report_image_layer(img->rep, &row);
		ls[i]->reported = true;
	}
	free(ents);
	free(waste);
}

/* image_run.c - an image run (image.h, image_run): the walk over what the
 * input names (its state and memo: image_state.c).
 *
 * An OCI layout: index.json, the manifests and indexes it names (nested
 * at most MAX_DEPTH deep), each image's config and layers.  A
 * docker-archive: each entry of manifest.json, its config and layers.
 * Manifests, configs and indexes are checked against their descriptors as
 * they are read (img_read_small); each layer is run and checked by
 * img_layer before any of its image is settled.  Then what depends on a
 * layer is rewritten, in order: the config, the manifest, the index (or
 * manifest.json).
 *
 * Each blob is handled once, whatever number of manifests name it: the
 * memo maps an input blob (by digest, or by where a docker-archive's path
 * leads) to what it became.
 */
#include "image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "fsutil.h"

/* ---- manifests and indexes --------------------------------------------------------------- */

static struct blobres *do_manifest(struct image *img, const struct image_desc *d, int depth);

/* The memo's entry of key, new if there is none. */
static struct blobres *memo_at(struct image *img, const char *key)
{
	struct blobres *r = memo_get(img, key);

	return r ? r : memo_add(img, key);
}

/* key's blob is not in the output (its platform, an attestation, ...). */
static struct blobres *dropped(struct image *img, const char *key)
{
	struct blobres *r = memo_at(img, key);

	r->dropped = true;
	return r;
}

/* Write a manifest-like blob: the original bytes (data, checked against
 * d) when nothing changed (newdata NULL), else newdata. */
static int settle(struct image *img, struct blobres *r, const struct image_desc *d,
		  const char *data, size_t len, const char *newdata, size_t newlen)
{
	if (!newdata) {
		r->digest = xstrdup(d->digest);
		r->size = d->size;
		r->path = image_blob_path(d->digest);
		return img_put_file(img, r->path, data, len);
	}
	if (img_put_blob(img, newdata, newlen, &r->digest) != 0)
		return -1;
	r->size = newlen;
	r->path = image_blob_path(r->digest);
	r->changed = true;
	return 0;
}

/* One image of an index: its manifest, config and layers. */
struct oimage {
	const struct image_desc *d; /* its descriptor */
	const char *data;           /* the manifest's bytes */
	size_t len;
	struct image_manifest m;
	struct image_config c;
	char *cdata;                /* the config's bytes */
	size_t clen;
	char *label;                /* its platform */
	struct blobres **ls;        /* its layers */
	bool changed;               /* a layer changed */
};

/* The layers of the image, each checked against its descriptor and the
 * config's diff_id (img_layers). */
static int image_layers(struct image *img, struct oimage *x)
{
	size_t i, n = x->m.nlayers;
	struct img_layer_ref *refs = xcalloc(n + 1, sizeof(*refs));
	char **rels = xcalloc(n + 1, sizeof(*rels));
	int rc = 0;

	x->ls = xcalloc(n + 1, sizeof(*x->ls));
	for (i = 0; i < n && rc == 0; i++) {
		const struct image_desc *l = &x->m.layers[i];
		rels[i] = image_blob_path(l->digest);
		refs[i] = (struct img_layer_ref){ l->digest, rels[i], l->digest, l->digest,
						  (int64_t)l->size,
						  image_layer_compression(l->media_type),
						  x->m.docker, x->label, i, x->c.diff_ids[i] };
		if (refs[i].comp == IMAGE_C_UNKNOWN)
			rc = img_fail(img, "image '%s': layer %zu (%s): unknown media type '%s'",
				      x->label, i, l->digest, l->media_type);
	}
	if (rc == 0)
		rc = img_layers(img, refs, n, true, x->ls, &x->changed);
	for (i = 0; i < n; i++)
		free(rels[i]);
	free(rels);
	free(refs);
	return rc;
}

/* The new config and manifest of an image whose layers changed. */
static int image_rewrite(struct image *img, struct oimage *x, struct blobres *r,
			 struct blobres *cr)
{
	size_t n = x->m.nlayers, i, len;
	struct image_desc *nl = xcalloc(n + 1, sizeof(*nl)), ncfg = { 0 };
	char **ids = xcalloc(n + 1, sizeof(*ids)), *nc = NULL, *nm = NULL;
	struct err e = ERR_INIT;
	int rc = -1;

	for (i = 0; i < n; i++) {
		nl[i].digest = x->ls[i]->digest;
		nl[i].size = x->ls[i]->size;
		nl[i].media_type = x->ls[i]->media_type;
		/* an absent foreign layer keeps the diff_id it had */
		ids[i] = x->ls[i]->diff_id ? x->ls[i]->diff_id : x->c.diff_ids[i];
	}
	if (!cr->digest) {
		nc = image_config_rewrite(x->cdata, x->clen, ids, n, &len, &e);
		if (!nc || settle(img, cr, &x->m.config, x->cdata, x->clen, nc, len) != 0) {
			img_fail(img, "config %s: %s", x->m.config.digest, e.msg ? e.msg : "cannot write it");
			goto out;
		}
	}
	ncfg.digest = cr->digest;
	ncfg.size = cr->size;
	nm = image_manifest_rewrite(x->data, x->len, &ncfg, nl, n, &len, &e);
	if (!nm) {
		img_fail(img, "manifest %s: %s", x->d->digest, e.msg);
		goto out;
	}
	rc = settle(img, r, x->d, x->data, x->len, nm, len);
out:
	free(nl);
	free(ids);
	free(nc);
	free(nm);
	err_release(&e);
	return rc;
}

/* Read and check an image's config; is it for the platform asked for? */
static int image_config(struct image *img, struct oimage *x, bool *wanted)
{
	struct err e = ERR_INIT;
	char *crel = image_blob_path(x->m.config.digest);
	int rc = -1;

	if (img_read_small(img, crel, x->m.config.digest, (int64_t)x->m.config.size, &x->cdata,
			   &x->clen) != 0)
		goto out;
	if (image_config_parse(x->cdata, x->clen, &x->c, &e) != 0) {
		img_fail(img, "config %s: %s", x->m.config.digest, e.msg);
		goto out;
	}
	x->label = image_platform_str(x->d->platform.os ? &x->d->platform : &x->c.platform);
	*wanted = !img->have_want ||
		  image_platform_match(&img->want, x->d->platform.os ? &x->d->platform : &x->c.platform);
	if (*wanted && x->m.nlayers != x->c.ndiff_ids)
		img_fail(img, "manifest %s: %zu layers but %zu diff_ids in its config", x->d->digest,
			 x->m.nlayers, x->c.ndiff_ids);
	else if (*wanted && x->m.docker && img->target == COMPRESS_ZSTD)
		img_fail(img, "manifest %s is a Docker v2 manifest (%s): zstd compression is not "
			  "supported for docker images; use --compress gzip, or convert to OCI first",
			 x->d->digest, (x->m.media_type));
	else
		rc = 0;
out:
	free(crel);
	err_release(&e);
	return rc;
}

/* An image manifest d (its bytes: data, len). */
static struct blobres *do_image(struct image *img, const struct image_desc *d, char *data, size_t len)
{
	struct oimage x = { .d = d, .data = data, .len = len };
	struct err e = ERR_INIT;
	struct blobres *r = NULL, *cr;
	const char **before = NULL;
	char *ck = NULL;
	bool wanted;
	size_t i;

	if (image_manifest_parse(data, len, &x.m, &e) != 0) {
		img_fail(img, "manifest %s: %s", d->digest, e.msg);
		goto out;
	}
	if (x.m.artifact) {
		img->dropped_other++;
		r = dropped(img, d->digest);
		goto out;
	}
	if (image_config(img, &x, &wanted) != 0)
		goto out;
	ck = memo_key("config", x.m.config.digest);
	if (!wanted) {
		img->dropped_platforms++;
		r = dropped(img, d->digest);
		dropped(img, ck);
		goto out;
	}
	if (image_layers(img, &x) != 0)
		goto out;
	before = xcalloc(x.m.nlayers + 1, sizeof(*before));
	for (i = 0; i < x.m.nlayers; i++)
		before[i] = x.m.layers[i].digest;
	img_report_layers(img, x.label, x.ls, before, x.m.nlayers);
	r = memo_at(img, d->digest);
	cr = memo_at(img, ck);
	if (!x.changed) {
		if ((!cr->digest && settle(img, cr, &x.m.config, x.cdata, x.clen, NULL, 0) != 0) ||
		    settle(img, r, d, data, len, NULL, 0) != 0)
			r = NULL;
	} else if (image_rewrite(img, &x, r, cr) != 0) {
		r = NULL;
	}
out:
	image_manifest_release(&x.m);
	image_config_release(&x.c);
	free(x.ls);
	free(x.cdata);
	free(x.label);
	free(before);
	free(ck);
	err_release(&e);
	return r;
}

/*
 * The manifests of an index (its bytes: data, len).  *out gets the new
 * index bytes (NULL: unchanged; caller frees); *kept the number of its
 * manifests that stay.
 */
static int do_index(struct image *img, const char *what, const char *data, size_t len, int depth,
		    char **out, size_t *outlen, size_t *kept)
{
	struct image_index x;
	struct image_desc *repl = NULL;
	struct err e = ERR_INIT;
	bool changed = false;
	size_t i;
	int rc = -1;

	*out = NULL;
	*kept = 0;
	if (depth > MAX_DEPTH)
		return img_fail(img, "%s: indexes nested too deep", what);
	if (image_index_parse(data, len, &x, &e) != 0) {
		img_fail(img, "%s: %s", what, e.msg);
		err_release(&e);
		return -1;
	}
	repl = xcalloc(x.n + 1, sizeof(*repl));
	for (i = 0; i < x.n; i++) {
		struct blobres *r = do_manifest(img, &x.m[i], depth + 1);
		if (!r)
			goto out;
		if (r->dropped) {
			changed = true;
			continue;
		}
		repl[i].digest = r->digest;
		repl[i].size = r->size;
		changed |= r->changed;
		(*kept)++;
	}
	if (changed) {
		*out = image_index_rewrite(data, len, repl, x.n, outlen, &e);
		if (!*out) {
			img_fail(img, "%s: %s", what, e.msg);
			goto out;
		}
	}
	rc = 0;
out:
	free(repl);
	image_index_release(&x);
	err_release(&e);
	return rc;
}

/* A descriptor of an index: a nested index or an image manifest. */
static struct blobres *do_manifest(struct image *img, const struct image_desc *d, int depth)
{
	struct blobres *r = memo_get(img, d->digest);
	char *rel = NULL, *data = NULL, *ndata = NULL;
	size_t len, nlen = 0, kept;
	enum image_kind kind;

	if (r)
		return r;
	if (d->attestation) {
		img->dropped_attest++;
		return dropped(img, d->digest);
	}
	rel = image_blob_path(d->digest);
	if (img_read_small(img, rel, d->digest, (int64_t)d->size, &data, &len) != 0)
		goto out;
	kind = image_kind_of(d->media_type, data, len);
	if (kind == IMAGE_K_INDEX) {
		if (do_index(img, d->digest, data, len, depth, &ndata, &nlen, &kept) != 0)
			goto out;
		if (!kept) {
			r = dropped(img, d->digest);
			goto out;
		}
		r = memo_add(img, d->digest);
		if (settle(img, r, d, data, len, ndata, nlen) != 0)
			r = NULL;
	} else if (kind == IMAGE_K_MANIFEST) {
		r = do_image(img, d, data, len);
	} else {
		img->dropped_other++; /* an artifact: a signature, an SBOM, ... */
		r = dropped(img, d->digest);
	}
out:
	free(rel);
	free(data);
	free(ndata);
	return r;
}

/* --tag: the new index.json or manifest.json (*ndata, or *data when
 * *ndata is NULL: nothing else changed) names the image o->tag. */
static int retag(struct image *img, bool docker, const char *data, size_t len, char **ndata,
		 size_t *nlen)
{
	struct err e = ERR_INIT;
	char *named = image_name_set(*ndata ? *ndata : data, *ndata ? *nlen : len, docker,
				     img->o->tag, nlen, &e);

	if (!named) {
		img_fail(img, "%s", e.msg);
		err_release(&e);
		return -1;
	}
	free(*ndata);
	*ndata = named;
	return 0;
}

/* The OCI layout: index.json and what it names. */
static int do_layout(struct image *img)
{
	char *data = NULL, *ndata = NULL;
	size_t len, nlen = 0, kept;
	int rc = -1;

	if (img_read_small(img, "index.json", NULL, -1, &data, &len) != 0)
		return -1;
	if (do_index(img, "index.json", data, len, 0, &ndata, &nlen, &kept) != 0)
		goto out;
	if (!kept) {
		img_fail(img, "no image left in index.json%s", img->have_want ? " for --platform" : "");
		goto out;
	}
	if (img->o->tag && retag(img, false, data, len, &ndata, &nlen) != 0)
		goto out;
	if (img_put_file(img, "index.json", ndata ? ndata : data, ndata ? nlen : len) != 0)
		goto out;
	free(data);
	data = NULL;
	if (img_read_small(img, "oci-layout", NULL, -1, &data, &len) != 0 ||
	    img_put_file(img, "oci-layout", data, len) != 0)
		goto out;
	rc = 0;
out:
	free(data);
	free(ndata);
	return rc;
}

/* ---- docker-archive -------------------------------------------------------------------- */

/* One image of manifest.json. */
struct dimage {
	const struct image_docker_entry *x;
	struct image_config c;
	char *cdata;        /* the config's bytes */
	size_t clen;
	char *named;        /* the digest the config's path names, if any */
	char *label;        /* its tag, or its platform */
	struct blobres **ls;
	bool changed;       /* a layer changed */
};

/* The layers of the image, each checked against the config's diff_id
 * (img_layers). */
static int docker_layers(struct image *img, struct dimage *y)
{
	size_t i, n = y->x->nlayers;
	struct img_layer_ref *refs = xcalloc(n + 1, sizeof(*refs));
	int rc;

	y->ls = xcalloc(n + 1, sizeof(*y->ls));
	for (i = 0; i < n; i++)
		refs[i] = (struct img_layer_ref){ NULL, y->x->layers[i], y->x->layers[i], NULL, -1,
						  IMAGE_C_SNIFF, true, y->label, i,
						  y->c.diff_ids[i] };
	rc = img_layers(img, refs, n, false, y->ls, &y->changed);
	free(refs);
	return rc;
}

/* The new config of an image whose layers changed, written as <hex>.json
 * unless the OCI layout beside it (newer Docker) holds the same already.
 * *cfg gets its path. */
static int docker_config(struct image *img, struct dimage *y, char **cfg)
{
	size_t n = y->x->nlayers, i, len;
	char **ids = xcalloc(n + 1, sizeof(*ids)), *nc, *got = NULL, *ck = NULL, h[65];
	struct err e = ERR_INIT;
	struct buf name = BUF_INIT;
	struct blobres *cr;
	unsigned char d[32];
	int rc = -1;

	for (i = 0; i < n; i++)
		ids[i] = y->ls[i]->diff_id;
	nc = image_config_rewrite(y->cdata, y->clen, ids, n, &len, &e);
	if (!nc) {
		img_fail(img, "'%s': %s", (y->x->config), e.msg);
		goto out;
	}
	image_sha256(nc, len, d);
	got = image_digest_str(d);
	ck = y->named ? memo_key("config", y->named) : NULL;
	cr = ck ? memo_get(img, ck) : NULL;
	if (cr && cr->path && cr->digest && strcmp(cr->digest, got) == 0) {
		*cfg = xstrdup(cr->path);
		rc = 0;
		goto out;
	}
	image_hex(d, h);
	buf_addf(&name, "%s.json", h);
	if (img_put_file(img, name.p, nc, len) == 0) {
		*cfg = buf_detach(&name, NULL);
		rc = 0;
	}
out:
	free(ids);
	free(nc);
	free(got);
	free(ck);
	buf_release(&name);
	err_release(&e);
	return rc;
}

/* One manifest.json entry: *cfg and lay[] get its new paths (caller frees
 * *cfg only; NULL: dropped). */
static int do_docker_entry(struct image *img, const struct image_docker_entry *x, char **cfg,
			   char **lay)
{
	struct dimage y = { .x = x };
	struct err e = ERR_INIT;
	size_t i;
	int rc = -1;

	*cfg = NULL;
	y.named = image_named_digest(x->config);
	if (img_read_small(img, x->config, y.named, -1, &y.cdata, &y.clen) != 0)
		goto out;
	if (image_config_parse(y.cdata, y.clen, &y.c, &e) != 0) {
		img_fail(img, "'%s': %s", (x->config), e.msg);
		goto out;
	}
	if (img->have_want && !image_platform_match(&img->want, &y.c.platform)) {
		img->dropped_platforms++;
		rc = 0;
		goto out;
	}
	if (x->nlayers != y.c.ndiff_ids) {
		img_fail(img, "'%s': %zu layers but %zu diff_ids", (x->config), x->nlayers,
			 y.c.ndiff_ids);
		goto out;
	}
	y.label = x->tag ? xstrdup(x->tag) : image_platform_str(&y.c.platform);
	if (docker_layers(img, &y) != 0)
		goto out;
	for (i = 0; i < x->nlayers; i++)
		lay[i] = y.ls[i]->path;
	img_report_layers(img, y.label, y.ls, (const char *const *)x->layers, x->nlayers);
	if (y.changed) {
		rc = docker_config(img, &y, cfg);
	} else if (img_put_file(img, x->config, y.cdata, y.clen) == 0) {
		*cfg = xstrdup(x->config);
		rc = 0;
	}
out:
	image_config_release(&y.c);
	err_release(&e);
	free(y.cdata);
	free(y.named);
	free(y.label);
	free(y.ls);
	return rc;
}

static int do_docker(struct image *img)
{
	struct image_docker dk = { 0 };
	struct err e = ERR_INIT;
	char *data = NULL, *ndata = NULL, **cfg = NULL, ***lay = NULL;
	size_t len, nlen, i, kept = 0;
	int rc = -1;

	if (img->target == COMPRESS_ZSTD) {
		return img_fail(img, "a docker-archive cannot hold zstd layers (zstd compression is not "
				 "supported for docker images): use --compress gzip or none, or an "
				 "OCI layout");
	}
	if (img_read_small(img, "manifest.json", NULL, -1, &data, &len) != 0)
		return -1;
	if (image_docker_parse(data, len, &dk, &e) != 0) {
		img_fail(img, "%s", e.msg);
		goto out;
	}
	cfg = xcalloc(dk.n, sizeof(*cfg));
	lay = xcalloc(dk.n, sizeof(*lay));
	for (i = 0; i < dk.n; i++) {
		lay[i] = xcalloc(dk.e[i].nlayers + 1, sizeof(**lay));
		if (do_docker_entry(img, &dk.e[i], &cfg[i], lay[i]) != 0)
			goto out;
		kept += cfg[i] != NULL;
	}
	if (!kept) {
		img_fail(img, "no image left in manifest.json%s", img->have_want ? " for --platform" : "");
		goto out;
	}
	ndata = image_docker_rewrite(data, len, cfg, lay, dk.n, &nlen, &e);
	if (!ndata) {
		img_fail(img, "%s", e.msg);
		goto out;
	}
	if (img->o->tag && retag(img, true, data, len, &ndata, &nlen) != 0)
		goto out;
	rc = img_put_file(img, "manifest.json", ndata, nlen);
out:
	for (i = 0; cfg && i < dk.n; i++) {
		free(cfg[i]);
		free(lay[i]);
	}
	free(cfg);
	free(lay);
	image_docker_release(&dk);
	err_release(&e);
	free(data);
	free(ndata);
	return rc;
}

/* Check the command line against the input; make the scratch; unpack a tar
 * (within the bound) and open the input tree. */
static int image_open(struct image *img)
{
	const struct slim_opts *o = img->o;
	struct stat st;

	if (o->platform) {
		if (image_platform_parse(o->platform, &img->want, &img->err) != 0)
			return -1;
		img->have_want = true;
	}
	if (stat(img->input, &st) != 0)
		return img_fail(img, "%s", strerror(errno));
	img->tar_in = !S_ISDIR(st.st_mode);
	if (!o->output && !o->dry_run)
		return img_fail(img, "an image: give -o OUT for a slimmed copy");
	if (o->output && !o->dry_run && stat(o->output, &st) == 0 &&
	    S_ISDIR(st.st_mode) == img->tar_in)
		return img_fail(img, "'%s' exists and is %s", (o->output),
				img->tar_in ? "a directory (a tar image makes a tar)"
					: "not a directory (an image layout makes a directory)");
	if (o->output && !o->dry_run && !img->tar_in && !img_dir_empty(o->output))
		return img_fail(img, "'%s' exists and is not empty (an image layout goes to a new "
				 "directory)", (o->output));
	/* layers are read by layer_process through the checked file's descriptor */
	if (access("/proc/self/fd", X_OK) != 0)
		return img_fail(img, "/proc is not mounted: slim reads image layers through "
				 "/proc/self/fd");
	if (img_make_scratch(img) != 0)
		return -1;
	bound_init(&img->bound, 0, o->max_ratio);
	if (img->tar_in && img_unpack(img) != 0)
		return -1;
	img->infd = open(img->in, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->infd < 0)
		return img_fail(img, "%s", strerror(errno));
	return 0;
}

/* Remove the scratch (slim's own: what cannot go is left, as ever). */
static void remove_scratch(struct image *img)
{
	struct err e = ERR_INIT;
	const char *base;
	int dfd = img->scratch ? fsu_open_dir_of(img->scratch, &base) : -1;

	if (dfd >= 0) {
		fsu_remove_tree(dfd, base, &e);
		close(dfd);
	}
	err_release(&e);
}

int image_run(const struct slim_opts *o, const char *input, struct report *rep)
{
	struct image img = { .o = o, .rep = rep, .input = input, .infd = -1, .err = ERR_INIT };
	bool layout, docker;
	int rc = -1;

	report_add_root(rep, input);
	report_set_image(rep);
	img.lo = *o;
	img.lo.dry_run = false; /* every write goes to the scratch directory */
	img.target = o->compress;
	if (image_open(&img) != 0)
		goto out;
	layout = img_in_exists(&img, "oci-layout") && img_in_exists(&img, "index.json");
	docker = img_in_exists(&img, "manifest.json");
	if (!layout && !docker) {
		img_fail(&img, "not an image: no manifest.json, and no oci-layout with index.json");
		goto out;
	}
	if (docker && img.target == COMPRESS_ZSTD) {
		do_docker(&img);
		goto out;
	}
	if ((layout && do_layout(&img) != 0) || (docker && do_docker(&img) != 0))
		goto out;
	if (img.dropped_platforms && !o->quiet)
		fprintf(stderr, "slim: --platform %s: dropped %u manifest(s) of other platforms from "
				"the output\n", img_esc(&img, o->platform), img.dropped_platforms);
	/* only then: a saved image without them (podman save) has nothing to lose */
	if ((img.dropped_attest || img.dropped_other) && !o->quiet)
		fprintf(stderr, "slim: warning: signatures and attestations of '%s' do not apply to "
				"the slimmed image: dropped %u attestation and %u other non-image "
				"manifest(s) (signatures, SBOMs) that name the original\n",
			img_esc(&img, input), img.dropped_attest, img.dropped_other);
	if (!o->dry_run && img_finish(&img) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		report_error(rep, input, img.err.msg ? img.err.msg : "cannot process the image");
	if (img.infd >= 0)
		close(img.infd);
	smap_release(&img.memo, blobres_free);
	account_lists_free(img.lists);
	smap_release(&img.alias, free);
	remove_scratch(&img);
	free(img.scratch);
	free(img.in);
	free(img.out);
	image_platform_release(&img.want);
	strpool_release(&img.names);
	err_release(&img.err);
	return rc;
}

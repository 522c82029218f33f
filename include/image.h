/* image.h - whole images offline: a saved image in, a smaller valid image out.
 *
 * Two inputs, told apart by content:
 *   - an OCI image layout directory (oci-layout, index.json, blobs/sha256/);
 *   - a tar of one: a docker-archive (`docker save`, `podman save`: a
 *     manifest.json, with or without the OCI layout newer Docker adds
 *     beside it) or an oci-archive (the layout, tarred).
 * The output has the input's form: a directory for a directory, a tar for
 * a tar.
 *
 * Every layer goes through layer_process() on its own, so dedup never
 * links across layers.  Then what depends on a layer is rewritten, in
 * order: its descriptor (digest, size, media type), the config's
 * rootfs.diff_ids, the config descriptor, the manifest, the index (or
 * manifest.json).  A layer whose content slim does not change (and whose
 * compression stays) keeps its original blob, and an image none of whose
 * layers changed keeps its config and manifest bytes, so their digests do
 * not move; a layer whose content changed is rewritten even if its blob
 * grows, so that the report describes the output.  history is never
 * touched.
 *
 * The input is untrusted.  Every file slim reads of it must be a regular
 * file inside it (symlinks are followed only by slim, only to files inside
 * it), and match what names it: a descriptor's digest and size, a config's
 * diff_id for each layer's tar stream, a docker-archive's blobs/sha256/<hex>
 * or <hex>.json name.  Unpacking a tar and decompressing layers count
 * toward one bound (bound.h) of the input's size; a tar of more than 65536
 * entries is no image.  Any mismatch refuses the image, with an error that
 * names the image and the layer, before anything is written.
 *
 * All output goes to temporary names beside the output and is renamed at
 * the end; on any error nothing is left at the output path.  A dry run
 * does the same work in a scratch directory under $TMPDIR, removed at the
 * end, so it reports the same numbers.
 */
#ifndef SLIM_IMAGE_H
#define SLIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "slim.h"
#include "util.h"

/* Is path a saved image: a directory holding oci-layout and index.json, or
 * a tar (any compression) with, at its top, a manifest.json that parses as
 * a docker-archive's (an array of objects with Config and Layers), or an
 * oci-layout with an index.json?  A layer whose manifest.json is something
 * else is no image.  An uncompressed tar is read to its end (headers, and
 * those three files); a compressed one only through its first 16 entries,
 * and no further than a name no image has: there, entries all named as an
 * image's are, some by digests (blobs/sha256/<hex>, <hex>.tar, <hex>/...),
 * also make an image (its manifest.json often comes last). */
bool image_detect(const char *path);

/* Slim the image at input into o->output (see above).  Fills rep (one root:
 * input; one report_image_layer row per layer of each image).  Returns 0,
 * or -1 with the error in rep and nothing at o->output. */
int image_run(const struct slim_opts *o, const char *input, struct report *rep);

/* ---- the parts, pure, for tests and the fuzz target ---------------------- */

/* A platform: "OS/ARCH[/VARIANT]". */
struct image_platform {
	char *os, *arch, *variant; /* variant may be NULL */
};
/* Parse s; 0, or -1 with e set.  Release with image_platform_release. */
int image_platform_parse(const char *s, struct image_platform *p, struct err *e);
void image_platform_release(struct image_platform *p);
/* Does have (variant may be NULL) satisfy want?  os and arch must be equal
 * (arch names as OCI spells them; "x86_64" and "aarch64" are accepted);
 * a wanted variant must be equal, arm64's absent variant counting as v8. */
bool image_platform_match(const struct image_platform *want, const struct image_platform *have);

/* A content descriptor, or a docker-archive's file reference. */
struct image_desc {
	char *media_type;  /* NULL when absent */
	char *digest;      /* "sha256:" and 64 lowercase hex digits (validated) */
	uint64_t size;
	struct image_platform platform; /* index entries; fields NULL when absent */
	bool attestation;  /* vnd.docker.reference.type: attestation-manifest */
};

/* An image manifest (OCI or Docker v2 schema 2). */
struct image_manifest {
	char *media_type;  /* its mediaType field; NULL when absent */
	bool docker;       /* Docker v2 media types (no zstd may go in) */
	bool artifact;     /* not a container image: artifactType, a subject, or
			    * a config that is not an image config */
	struct image_desc config;
	struct image_desc *layers;
	size_t nlayers;
};

/* An image index (OCI) or manifest list (Docker); also index.json. */
struct image_index {
	struct image_desc *m;
	size_t n;
};

/* An image config: what slim needs of it. */
struct image_config {
	struct image_platform platform; /* os, architecture, variant */
	char **diff_ids;                /* rootfs.diff_ids, validated digests */
	size_t ndiff_ids;
};

/* One image of a docker-archive's manifest.json. */
struct image_docker_entry {
	char *config;    /* path of the config in the archive */
	char **layers;   /* paths of the layer tars */
	size_t nlayers;
	char *tag;       /* first RepoTags entry, or NULL */
};
struct image_docker {
	struct image_docker_entry *e;
	size_t n;
};

/* Parsers: 0, or -1 with e set (and *out released).  Inputs are untrusted
 * bytes of length len (need not be NUL-terminated). */
int image_manifest_parse(const char *json, size_t len, struct image_manifest *out, struct err *e);
int image_index_parse(const char *json, size_t len, struct image_index *out, struct err *e);
int image_config_parse(const char *json, size_t len, struct image_config *out, struct err *e);
int image_docker_parse(const char *json, size_t len, struct image_docker *out, struct err *e);
void image_desc_release(struct image_desc *d);
void image_manifest_release(struct image_manifest *m);
void image_index_release(struct image_index *x);
void image_config_release(struct image_config *c);
void image_docker_release(struct image_docker *d);

/* Is s "sha256:" followed by 64 lowercase hex digits? */
bool image_digest_valid(const char *s);
/* Is p a path a docker-archive may name: relative, no "..", no empty or
 * "." component, no backslash? */
bool image_path_valid(const char *p);

/*
 * Rewriters: parse json again, change only what is named, print it
 * compactly (keys in their original order).  They return a malloc'd
 * string (caller frees; *outlen gets its length) or NULL with e set.
 */

/* Layer descriptors: layers[i].digest/size (and media_type unless NULL)
 * replace the i-th layer's; n must equal the manifest's layer count.
 * Annotations that describe the old blob's bytes (zstd:chunked, eStargz)
 * are dropped from a layer whose digest changes.  config likewise, when
 * not NULL. */
char *image_manifest_rewrite(const char *json, size_t len, const struct image_desc *config,
			     const struct image_desc *layers, size_t n, size_t *outlen,
			     struct err *e);
/* rootfs.diff_ids become diff_ids[0..n); n must equal their count. */
char *image_config_rewrite(const char *json, size_t len, char *const *diff_ids, size_t n,
			   size_t *outlen, struct err *e);
/* manifests[i] gets repl[i]'s digest and size; a repl[i] with a NULL digest
 * is dropped from the index.  n must equal the index's count. */
char *image_index_rewrite(const char *json, size_t len, const struct image_desc *repl, size_t n,
			  size_t *outlen, struct err *e);
/* manifest.json: entry i gets config cfg[i] and layers lay[i][0..]; an
 * entry whose cfg[i] is NULL is dropped.  n must equal the entry count. */
char *image_docker_rewrite(const char *json, size_t len, char *const *cfg, char **const *lay,
			   size_t n, size_t *outlen, struct err *e);

/*
 * Waste: bytes of files in a layer that a later layer of the same image
 * deletes (whiteout, opaque directory) or replaces (the same path, or a
 * non-directory at a parent's path).
 */
enum image_entry_kind { IMAGE_E_FILE, IMAGE_E_DIR, IMAGE_E_OTHER, IMAGE_E_WHITEOUT,
			IMAGE_E_OPAQUE };
struct image_entry {
	char *path;  /* normalized: no "./", no trailing '/'; for whiteouts the
		      * path deleted, for opaque markers the directory */
	uint64_t size;
	enum image_entry_kind kind;
};
struct image_entries {
	struct image_entry *e;
	size_t n, cap;
};
/* Add an entry as a tar names it (tarpath: "./a/.wh.b" and the like). */
void image_entries_add(struct image_entries *l, const char *tarpath, uint64_t size, bool dir,
		       bool regular);
void image_entries_release(struct image_entries *l);
/* waste[i] for each of the n layers (bottom first). */
void image_waste(const struct image_entries *const *layers, size_t n, uint64_t *waste);

#endif

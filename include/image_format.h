/* image_format.h - the pure parts of image mode: bytes in, values out.
 *
 * What an image's JSON says (manifests, indexes, configs, a docker-archive's
 * manifest.json), checked as it is parsed; its rewriting once layers change;
 * digests, platforms, media types; and the waste of a stack of layers.
 * Nothing here opens a file or writes a report: the callers (image_*.c,
 * the unit tests, the fuzz target) hand in bytes of length len, untrusted
 * and not necessarily NUL-terminated, and get values or an error.
 */
#ifndef SLIM_IMAGE_FORMAT_H
#define SLIM_IMAGE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slim.h"
#include "util.h"

/* Manifests, configs and indexes larger than this are refused. */
#define IMAGE_MAX_JSON (64u << 20)

#define IMAGE_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* ---- digests and names ------------------------------------------------------ */

/* Is s "sha256:" followed by 64 lowercase hex digits? */
bool image_digest_valid(const char *s);
/* Is p a path a docker-archive may name: relative, no "..", no empty or
 * "." component, no backslash? */
bool image_path_valid(const char *p);
/* sha256 of p[0..n). */
void image_sha256(const void *p, size_t n, unsigned char d[32]);
/* d as 64 lowercase hex digits and a NUL. */
void image_hex(const unsigned char d[32], char out[65]);
/* "sha256:" and d in hex; caller frees. */
char *image_digest_str(const unsigned char d[32]);
/* "blobs/sha256/<hex>", where a layout keeps the blob of digest (valid);
 * caller frees. */
char *image_blob_path(const char *digest);
/* The digest a docker-archive path names, if any: blobs/sha256/<hex> (the
 * layout newer Docker writes) and <hex>.json (a config, named by its
 * digest).  NULL: none; caller frees. */
char *image_named_digest(const char *p);

/* ---- platforms --------------------------------------------------------------- */

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
/* "os/arch[/variant]" ("?" for a part missing), or "unknown" when neither
 * os nor arch is known: how messages and the report name an image.
 * Caller frees. */
char *image_platform_str(const struct image_platform *p);

/* ---- media types ----------------------------------------------------------------- */

/* A layer's compression: COMPRESS_NONE, _GZIP or _ZSTD (slim.h), or one of: */
enum { IMAGE_C_FOREIGN = -1, /* foreign or nondistributable: not slim's to change */
       IMAGE_C_UNKNOWN = -2 };
/* The compression a layer media type names (NULL: IMAGE_C_UNKNOWN). */
int image_layer_compression(const char *mt);
/* The compression of a blob, from its first n bytes (gzip, zstd, or none). */
int image_sniff_compression(const unsigned char *head, size_t n);
/* The media type of a layer compressed with c (NONE, GZIP or ZSTD), Docker
 * v2's (no zstd there) or OCI's. */
const char *image_layer_media_type(bool docker, int c);

/* What an index's descriptor leads to. */
enum image_kind { IMAGE_K_OTHER, IMAGE_K_INDEX, IMAGE_K_MANIFEST };
/* By the descriptor's media type mt; when it has none, by the blob's own
 * mediaType, else its shape ("manifests": an index, "layers": a manifest).
 * OTHER: an artifact (a signature, an SBOM, ...). */
enum image_kind image_kind_of(const char *mt, const char *data, size_t len);

/* ---- parsers ------------------------------------------------------------------------ */

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

/* Parsers: 0, or -1 with e set (and *out released). */
int image_manifest_parse(const char *json, size_t len, struct image_manifest *out, struct err *e);
int image_index_parse(const char *json, size_t len, struct image_index *out, struct err *e);
int image_config_parse(const char *json, size_t len, struct image_config *out, struct err *e);
int image_docker_parse(const char *json, size_t len, struct image_docker *out, struct err *e);
/* Is json an oci-layout file: an object with a string imageLayoutVersion? */
bool image_layout_file_valid(const char *json, size_t len);
void image_desc_release(struct image_desc *d);
void image_manifest_release(struct image_manifest *m);
void image_index_release(struct image_index *x);
void image_config_release(struct image_config *c);
void image_docker_release(struct image_docker *d);

/* ---- rewriters ---------------------------------------------------------------------- */

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
 * Name the one image of manifest.json (docker: its RepoTags become
 * [name]) or of index.json (its annotation org.opencontainers.image.ref.name
 * becomes name).  name is taken as NAME[:TAG]; without a tag it gets
 * ":latest", as `docker tag` gives it.  Refused (NULL, e set) when the
 * file holds more than one image: one name cannot tell them apart.
 */
char *image_name_set(const char *json, size_t len, bool docker, const char *name,
		     size_t *outlen, struct err *e);

/* ---- waste ------------------------------------------------------------------------------ */

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

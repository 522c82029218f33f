/* image_int.h - what the files of image mode share; not an interface.
 *
 *   image_format.c  the pure parts (image_format.h): JSON, digests, media types
 *   image_waste.c   the waste of a stack of layers (pure)
 *   image_detect.c  is a path an image (image_detect)
 *   image_input.c   the input tree: a tar unpacked (bounded), every file
 *                   opened beneath it and checked (in_open, read_small)
 *   image_layer.c   a layer: run once (read, slimmed), checked, put in place
 *   image_output.c  the output tree in the scratch, and its move to -o
 *   image_state.c   what they all share: the string map, the memo, the
 *                   first error (img_fail), escaped names (img_esc)
 *   image_run.c     the run: manifests, indexes, manifest.json (image_run)
 *
 * Calls go one way: image_run -> image_layer -> image_input -> image_output,
 * each of them -> image_state and the pure files (scripts/check-cycles).
 *
 * One run's state is struct image; every input blob's is a struct blobres
 * in the memo.  The first error is kept in img->err (img_fail) and ends the
 * run; a refusal names the input's files by the input's names, never the
 * scratch's.
 */
#ifndef SLIM_IMAGE_INT_H
#define SLIM_IMAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bound.h"
#include "image.h"
#include "layer.h"
#include "report.h"
#include "slim.h"
#include "util.h"

#define CHUNK (1u << 20) /* the buffer of a read or a copy */
#define MAX_DEPTH 8      /* nested indexes */
/* Saved images hold a few hundred entries; far more is no image. */
#define MAX_ENTRIES 65536
/* Links followed to reach one file of the input. */
#define MAX_HOPS 16
/* Components of a path in the input (see in_path_ok). */
#define MAX_PATH_DEPTH 64

/* A docker-archive's layer: its compression is the blob's own. */
#define IMAGE_C_SNIFF (-3)

/* ---- a map of strings (image_state.c) ------------------------------------------------------------ */

/* Open addressing, seeded hash (hash_seed): names come from the
 * image, so no crafted run of collisions.  Keys are copied; values are the
 * caller's. */
struct smap {
	char **key;
	void **val;
	size_t n, cap;
};
void *smap_get(const struct smap *m, const char *k);
/* Set k to v; returns the value k had (NULL: none). */
void *smap_put(struct smap *m, const char *k, void *v);
/* Free the keys, and each value with free_val (NULL: not the map's). */
void smap_release(struct smap *m, void (*free_val)(void *));

/* ---- the state (image_state.c) -------------------------------------------------------------------- */

/* An input blob (a layer, config, manifest or index): what it is, once
 * checked, and what it became. */
struct blobres {
	char *key;          /* the input digest, or where a docker-archive's path leads */
	char *name;         /* how messages name it: its digest, or its path */
	/* the input (layers), once read */
	bool absent;        /* a foreign layer that is not in the input */
	int fd;             /* the opened file, open until the layer is settled; or -1 */
	char *in_rel;       /* where it is in the input */
	char *in_digest;    /* sha256 of its bytes */
	uint64_t in_size;
	char *in_diff_id;   /* sha256 of its tar stream */
	uint64_t in_tar;    /* bytes of its tar stream */
	int comp;           /* its compression (COMPRESS_*, IMAGE_C_FOREIGN) */
	struct image_entries ents; /* layers: the input's entries, for waste */
	/* a layer's run (img_layer), until it is settled */
	bool ran;
	int target;         /* the compression of its output */
	char *tmp;          /* its new blob in the scratch; NULL: the original stays */
	unsigned char out_sha[32]; /* of the new blob */
	uint64_t out_size;
	struct report *lrep; /* what slimming it did; NULL: not slimmed (foreign) */
	struct layer_result res;
	/* what it became */
	bool done;
	char *path;         /* in the output tree */
	char *digest;       /* of the output blob */
	uint64_t size;
	char *diff_id;      /* layers: of the output's tar stream */
	char *media_type;   /* layers: a new media type; NULL: the same */
	bool changed;       /* path/digest differ from the input's */
	bool dropped;       /* manifests: not in the output (platform, attestation) */
	struct report_image_layer row;
	bool reported;      /* a row for this blob was already added */
};

struct image {
	const struct slim_opts *o;
	struct slim_opts lo;      /* for layer_process: writes always go to the scratch */
	struct report *rep;
	const char *input;
	struct image_platform want;
	bool have_want;
	int target;               /* o->compress, or COMPRESS_AUTO: keep each layer's */
	char *scratch;            /* removed at the end */
	char *in;                 /* the input tree */
	int infd;                 /* and open: every read of the input goes beneath it */
	char *out;                /* the output tree being built */
	bool tar_in;
	struct bound bound;       /* what the input may expand to (unpacked, decompressed) */
	uint64_t streamed;        /* bytes of the input tar's stream charged to it */
	size_t nentries;          /* entries of the input tar */
	uint64_t tar_size;        /* the input tar's bytes (progress) */
	struct smap alias;        /* tar input: a link's name -> what it names (char *) */
	struct smap memo;         /* key -> struct blobres * */
	struct account_lists *lists; /* the package lists of the layers run so far */
	struct strpool names;     /* escaped names for warnings (img_esc) */
	struct err err;           /* the first fatal error */
	unsigned dropped_platforms, dropped_attest, dropped_other;
};

/* Keep the first error of the run (later ones are consequences); -1. */
int img_fail(struct image *img, const char *fmt, ...) SLIM_PRINTF(2, 3);
/* s (a name from the image: a path, a tag, a media type) as the warnings
 * printed here show it, escaped (report_escape_text); lives as long as the
 * run.  (Error messages go to the report, whose presenters escape them
 * each its own way: not here.) */
const char *img_esc(struct image *img, const char *s);
/* A memo key: kind ("layer", "config") and k (a digest, or where a path
 * leads), so that a blob read as one kind is never taken for another;
 * manifests and indexes are keyed by their digest alone.  Caller frees. */
char *memo_key(const char *kind, const char *k);
struct blobres *memo_get(struct image *img, const char *key);
/* A new entry for key (the caller looked first: none). */
struct blobres *memo_add(struct image *img, const char *key);
/* Release a memo entry (smap_release's free_val for the memo). */
void blobres_free(void *p);

/* ---- the input tree (image_input.c) ------------------------------------------------- */

/* Unpack the image tar img->input into img->in, within img->bound. */
int img_unpack(struct image *img);
/*
 * Open the input file rel for reading: a regular file inside the input,
 * reached without the kernel ever following a link and opened only once
 * it is known to be a regular file.  *where (if not NULL) gets the path
 * reached; caller frees.  Returns the fd, or -1 with e set (e->code
 * ENOENT: no such file).
 */
int img_in_open(struct image *img, const char *rel, char **where, struct err *e);
/* Is there something at rel?  (Whether it can be read is read_small's to say.) */
bool img_in_exists(struct image *img, const char *rel);
/* Read the small input file rel (a manifest, config, index) in full; it
 * must match digest (unless NULL) and size (unless negative).  Messages
 * name it by rel.  *data: caller frees. */
int img_read_small(struct image *img, const char *rel, const char *digest, int64_t size,
		   char **data, size_t *len);

/* ---- layers (image_layer.c) ------------------------------------------------------------ */

/* What names a layer of an image. */
struct img_layer_ref {
	const char *key;     /* its memo key (its digest); NULL: where rel leads */
	const char *rel;     /* where it is in the input */
	const char *name;    /* how messages name it */
	const char *digest;  /* its descriptor's digest and size; NULL, -1: none */
	int64_t size;
	int comp;            /* its media type's compression, or IMAGE_C_SNIFF */
	bool docker;         /* a Docker v2 image's: no zstd */
	const char *label;   /* the image, for messages */
	size_t index;        /* its place in the image */
	const char *diff_id; /* the config's rootfs.diff_ids[index] */
};
/*
 * A layer of an image: opened, read and slimmed into the scratch once,
 * whatever the number of images that name it (the memo), then checked
 * against what names it (ref: digest and size, diff_id).  A foreign layer
 * is read, not slimmed, and may be absent.  Returns the memo entry, or
 * NULL (failed: the run is over).
 */
struct blobres *img_layer(struct image *img, const struct img_layer_ref *ref);
/* The n layers of an image: each run and checked (img_layer) before any
 * is settled (img_layer_settle; layout: as there).  ls[i] gets refs[i]'s
 * memo entry; *changed is set when a layer's blob changed. */
int img_layers(struct image *img, const struct img_layer_ref *refs, size_t n, bool layout,
	       struct blobres **ls, bool *changed);
/*
 * Put the checked layer r into the output tree, once: its original blob
 * when slimming changed nothing in it and its compression stays, else the
 * new one (even when it is larger, so that the output holds what the
 * report says); its report is merged into the image's.  layout: the blob
 * goes to blobs/sha256/, else to "<hex>.tar" at the top (a docker-archive).
 */
int img_layer_settle(struct image *img, struct blobres *r, bool docker, bool layout);
/* Add the report rows of one image's n layers ls (waste needs them all);
 * before[i]: how the input named layer i. */
void img_report_layers(struct image *img, const char *label, struct blobres **ls,
		       const char *const *before, size_t n);

/* ---- the output tree (image_output.c) ------------------------------------------------- */

/* dir/.slim-<16 hex>.tmp, a fresh name; caller frees. */
char *img_tmp_name(const char *dir);
/* mkdir -p of the directories of rel (not its last component) under root. */
int img_mkparents(const char *root, const char *rel);
/* Write data to the output tree's rel (through a temporary name). */
int img_put_file(struct image *img, const char *rel, const void *data, size_t len);
/* Write a blob of the output layout; *digest gets "sha256:..." (caller frees). */
int img_put_blob(struct image *img, const void *data, size_t len, char **digest);
/* Put the checked input file fd at the output tree's rel (linked or copied;
 * nothing when it is there already: the same blob). */
int img_copy_in(struct image *img, int fd, const char *rel);
/* The scratch (and in it the output tree, and the input's for a tar). */
int img_make_scratch(struct image *img);
/* Move the finished output tree to o->output (a layout), or tar it there. */
int img_finish(struct image *img);
/* Is path missing, or an empty directory? */
bool img_dir_empty(const char *path);

#endif

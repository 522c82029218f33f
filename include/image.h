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
 * Every layer goes through layer_process() on its own (once, whatever the
 * number of images that name it), so dedup never links across layers.  Then what depends on a layer is rewritten, in
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
 * or <hex>.json name.  Unpacking a tar counts toward a bound (bound.h) of
 * the input's size, decompressing a layer toward one of the layer's; a tar
 * of more than 65536 entries is no image.  Any mismatch refuses the image, with an error that
 * names the image and the layer, before anything reaches the output (a
 * layer is checked on what slimming it read: what that wrote to the
 * scratch goes with the refusal).
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

#include "image_format.h" /* the pure parts; struct image_platform for --platform */
#include "report.h"
#include "slim.h"

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

#endif

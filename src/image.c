/* image.c - whole images offline: a saved image in, a smaller valid image out.
 *
 * The input is read from a directory: an OCI layout as it is, or the tar of
 * an image unpacked into a scratch directory first (regular files only;
 * the symlinks and hard links a docker-archive uses between its files are
 * remembered as aliases, never created; every byte and hole unpacked counts
 * toward the input's bound).  Every file of the input is opened by in_open():
 * beneath the input's directory, never through a link the kernel follows
 * (slim resolves links itself, and only to files inside the input), and only
 * once it is known to be a regular file.  Manifests, configs and indexes are
 * checked against their descriptors as they are read; a layer is read once
 * before anything is made of it (list_layer: its entries, the digest of its
 * bytes and of its tar stream), checked against its descriptor and the
 * config's diff_id, then handed to layer_process() as that same open file.
 * The output is built in a staging directory, which becomes the output by
 * one rename (a layout) or is tarred to a temporary name that is renamed
 * over the output (a tar).
 *
 * Each blob is handled once, whatever number of manifests name it: the
 * memo maps an input blob (by digest, or by where a docker-archive's path
 * leads) to what it became.
 */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <nettle/sha2.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "bound.h"
#include "fsutil.h"
#include "layer.h"

#define CHUNK (1u << 20)
#define MAX_JSON (64u << 20)  /* manifests, configs and indexes larger are refused */
#define MAX_DEPTH 8           /* nested indexes */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* ---- small pure helpers ---------------------------------------------------- */

bool image_digest_valid(const char *s)
{
	size_t i;

	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return false;
	for (i = 7; i < 7 + 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool image_path_valid(const char *p)
{
	const char *s = p;

	if (!p || !*p || *p == '/' || strchr(p, '\\'))
		return false;
	while (*s) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += len;
		if (*s == '/')
			s++;
		if (end && !*s)
			return false; /* trailing slash */
	}
	return true;
}

static void hex32(const unsigned char d[32], char out[65])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[64] = '\0';
}

/* The seed of the hash tables: names come from the image, and a fixed
 * hash would let it choose a long run of collisions. */
static uint64_t hash_seed(void)
{
	static uint64_t seed;
	static bool have;

	if (!have) {
		if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
			seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed;
		have = true;
	}
	return seed;
}

static char *xdigest(const unsigned char d[32])
{
	char h[65];
	struct buf b = BUF_INIT;

	hex32(d, h);
	buf_addf(&b, "sha256:%s", h);
	return buf_detach(&b, NULL);
}

/* ---- platforms --------------------------------------------------------------- */

void image_platform_release(struct image_platform *p)
{
	free(p->os);
	free(p->arch);
	free(p->variant);
	p->os = p->arch = p->variant = NULL;
}

int image_platform_parse(const char *s, struct image_platform *p, struct err *e)
{
	const char *a = strchr(s, '/'), *v;

	memset(p, 0, sizeof(*p));
	if (!a || a == s || !a[1] || a[1] == '/') {
		err_set(e, "invalid platform '%s' (OS/ARCH[/VARIANT])", s);
		return -1;
	}
	v = strchr(a + 1, '/');
	if (v && (!v[1] || strchr(v + 1, '/'))) {
		err_set(e, "invalid platform '%s' (OS/ARCH[/VARIANT])", s);
		return -1;
	}
	p->os = xstrdup(s);
	p->os[a - s] = '\0';
	p->arch = xstrdup(a + 1);
	if (v) {
		p->arch[v - a - 1] = '\0';
		p->variant = xstrdup(v + 1);
	}
	return 0;
}

static const char *norm_arch(const char *a)
{
	if (!a)
		return "";
	if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0)
		return "amd64";
	if (strcmp(a, "aarch64") == 0)
		return "arm64";
	if (strcmp(a, "i386") == 0 || strcmp(a, "i686") == 0)
		return "386";
	return a;
}

bool image_platform_match(const struct image_platform *want, const struct image_platform *have)
{
	const char *hv = have->variant;

	if (!have->os || !have->arch || strcmp(want->os, have->os) != 0 ||
	    strcmp(norm_arch(want->arch), norm_arch(have->arch)) != 0)
		return false;
	if (!want->variant)
		return true;
	if (!hv && strcmp(norm_arch(have->arch), "arm64") == 0)
		hv = "v8";
	return hv && strcmp(want->variant, hv) == 0;
}

static char *platform_str(const struct image_platform *p)
{
	struct buf b = BUF_INIT;

	if (!p->os && !p->arch)
		return xstrdup("unknown");
	buf_addf(&b, "%s/%s", p->os ? p->os : "?", p->arch ? p->arch : "?");
	if (p->variant)
		buf_addf(&b, "/%s", p->variant);
	return buf_detach(&b, NULL);
}

/* ---- JSON helpers -------------------------------------------------------------- */

static json_t *jload(const char *json, size_t len, const char *what, struct err *e)
{
	json_error_t je;
	json_t *j;

	if (len > MAX_JSON) {
		err_set(e, "%s: larger than %u bytes", what, MAX_JSON);
		return NULL;
	}
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		err_set(e, "%s: invalid JSON: %s (line %d)", what, je.text, je.line);
		return NULL;
	}
	if (!json_is_object(j) && !json_is_array(j)) {
		json_decref(j);
		err_set(e, "%s: not a JSON object", what);
		return NULL;
	}
	return j;
}

static char *jdump(json_t *j, size_t *outlen, struct err *e)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (!s) {
		err_set(e, "cannot print JSON");
		return NULL;
	}
	if (outlen)
		*outlen = strlen(s);
	/* jansson allocates with malloc: the caller may free() it */
	return s;
}

/* An optional string member: NULL when absent, -1 (e set) when not a string. */
static int jstr(json_t *o, const char *key, char **out, const char *what, struct err *e)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		err_set(e, "%s: '%s' is not a string", what, key);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

void image_desc_release(struct image_desc *d)
{
	free(d->media_type);
	free(d->digest);
	image_platform_release(&d->platform);
	memset(d, 0, sizeof(*d));
}

static int desc_parse(json_t *o, struct image_desc *d, const char *what, struct err *e)
{
	json_t *size, *plat, *ann, *v;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o)) {
		err_set(e, "%s: a descriptor is not an object", what);
		return -1;
	}
	if (jstr(o, "mediaType", &d->media_type, what, e) || jstr(o, "digest", &d->digest, what, e))
		goto bad;
	if (!image_digest_valid(d->digest)) {
		err_set(e, "%s: missing or unsupported digest '%s' (sha256 only)", what,
			d->digest ? d->digest : "");
		goto bad;
	}
	size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		err_set(e, "%s: missing or invalid size", what);
		goto bad;
	}
	d->size = (uint64_t)json_integer_value(size);
	plat = json_object_get(o, "platform");
	if (plat) {
		if (!json_is_object(plat)) {
			err_set(e, "%s: 'platform' is not an object", what);
			goto bad;
		}
		if (jstr(plat, "os", &d->platform.os, what, e) ||
		    jstr(plat, "architecture", &d->platform.arch, what, e) ||
		    jstr(plat, "variant", &d->platform.variant, what, e))
			goto bad;
	}
	ann = json_object_get(o, "annotations");
	if (json_is_object(ann)) {
		v = json_object_get(ann, "vnd.docker.reference.type");
		d->attestation = json_is_string(v) &&
				 strcmp(json_string_value(v), "attestation-manifest") == 0;
	}
	return 0;
bad:
	image_desc_release(d);
	return -1;
}

/* ---- parsers -------------------------------------------------------------------- */

void image_manifest_release(struct image_manifest *m)
{
	size_t i;

	free(m->media_type);
	image_desc_release(&m->config);
	for (i = 0; i < m->nlayers; i++)
		image_desc_release(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

int image_manifest_parse(const char *json, size_t len, struct image_manifest *m, struct err *e)
{
	json_t *j = jload(json, len, "manifest", e), *layers, *sv;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (!j)
		return -1;
	if (!json_is_object(j)) {
		err_set(e, "manifest: not a JSON object");
		goto bad;
	}
	sv = json_object_get(j, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		err_set(e, "manifest: schemaVersion is not 2");
		goto bad;
	}
	if (jstr(j, "mediaType", &m->media_type, "manifest", e))
		goto bad;
	m->docker = m->media_type && strcmp(m->media_type, MT_DOCKER_MANIFEST) == 0;
	if (m->media_type && !m->docker && strcmp(m->media_type, MT_OCI_MANIFEST) != 0) {
		err_set(e, "manifest: unknown media type '%s'", m->media_type);
		goto bad;
	}
	if (desc_parse(json_object_get(j, "config"), &m->config, "manifest config", e))
		goto bad;
	layers = json_object_get(j, "layers");
	if (!json_is_array(layers)) {
		err_set(e, "manifest: 'layers' is not an array");
		goto bad;
	}
	m->layers = xcalloc(json_array_size(layers) + 1, sizeof(*m->layers));
	for (i = 0; i < json_array_size(layers); i++) {
		if (desc_parse(json_array_get(layers, i), &m->layers[i], "manifest layer", e))
			goto bad;
		m->nlayers++;
	}
	m->artifact = json_object_get(j, "artifactType") || json_object_get(j, "subject") ||
		      !m->config.media_type ||
		      (strcmp(m->config.media_type, MT_OCI_CONFIG) != 0 &&
		       strcmp(m->config.media_type, MT_DOCKER_CONFIG) != 0);
	json_decref(j);
	return 0;
bad:
	json_decref(j);
	image_manifest_release(m);
	return -1;
}

void image_index_release(struct image_index *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		image_desc_release(&x->m[i]);
	free(x->m);
	memset(x, 0, sizeof(*x));
}

int image_index_parse(const char *json, size_t len, struct image_index *x, struct err *e)
{
	json_t *j = jload(json, len, "index", e), *ms;
	size_t i;

	memset(x, 0, sizeof(*x));
	if (!j)
		return -1;
	ms = json_is_object(j) ? json_object_get(j, "manifests") : NULL;
	if (!json_is_array(ms)) {
		err_set(e, "index: 'manifests' is not an array");
		goto bad;
	}
	x->m = xcalloc(json_array_size(ms) + 1, sizeof(*x->m));
	for (i = 0; i < json_array_size(ms); i++) {
		if (desc_parse(json_array_get(ms, i), &x->m[i], "index", e))
			goto bad;
		x->n++;
	}
	json_decref(j);
	return 0;
bad:
	json_decref(j);
	image_index_release(x);
	return -1;
}

void image_config_release(struct image_config *c)
{
	size_t i;

	image_platform_release(&c->platform);
	for (i = 0; i < c->ndiff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

int image_config_parse(const char *json, size_t len, struct image_config *c, struct err *e)
{
	json_t *j = jload(json, len, "config", e), *rootfs, *ids;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!j)
		return -1;
	if (!json_is_object(j)) {
		err_set(e, "config: not a JSON object");
		goto bad;
	}
	if (jstr(j, "os", &c->platform.os, "config", e) ||
	    jstr(j, "architecture", &c->platform.arch, "config", e) ||
	    jstr(j, "variant", &c->platform.variant, "config", e))
		goto bad;
	rootfs = json_object_get(j, "rootfs");
	ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	if (!json_is_array(ids)) {
		err_set(e, "config: 'rootfs.diff_ids' is not an array");
		goto bad;
	}
	c->diff_ids = xcalloc(json_array_size(ids) + 1, sizeof(*c->diff_ids));
	for (i = 0; i < json_array_size(ids); i++) {
		json_t *v = json_array_get(ids, i);
		if (!json_is_string(v) || !image_digest_valid(json_string_value(v))) {
			err_set(e, "config: diff_id %zu is not a sha256 digest", i);
			goto bad;
		}
		c->diff_ids[c->ndiff_ids++] = xstrdup(json_string_value(v));
	}
	json_decref(j);
	return 0;
bad:
	json_decref(j);
	image_config_release(c);
	return -1;
}

void image_docker_release(struct image_docker *d)
{
	size_t i, k;

	for (i = 0; i < d->n; i++) {
		free(d->e[i].config);
		free(d->e[i].tag);
		for (k = 0; k < d->e[i].nlayers; k++)
			free(d->e[i].layers[k]);
		free(d->e[i].layers);
	}
	free(d->e);
	memset(d, 0, sizeof(*d));
}

int image_docker_parse(const char *json, size_t len, struct image_docker *d, struct err *e)
{
	json_t *j = jload(json, len, "manifest.json", e);
	size_t i, k;

	memset(d, 0, sizeof(*d));
	if (!j)
		return -1;
	if (!json_is_array(j) || json_array_size(j) == 0) {
		err_set(e, "manifest.json: not a non-empty array");
		goto bad;
	}
	d->e = xcalloc(json_array_size(j), sizeof(*d->e));
	for (i = 0; i < json_array_size(j); i++) {
		struct image_docker_entry *x = &d->e[i];
		json_t *o = json_array_get(j, i), *layers, *tags;
		if (!json_is_object(o)) {
			err_set(e, "manifest.json: entry %zu is not an object", i);
			goto bad;
		}
		d->n++;
		if (jstr(o, "Config", &x->config, "manifest.json", e))
			goto bad;
		if (!image_path_valid(x->config)) {
			err_set(e, "manifest.json: entry %zu: missing or unsafe Config path", i);
			goto bad;
		}
		tags = json_object_get(o, "RepoTags");
		if (json_is_array(tags) && json_is_string(json_array_get(tags, 0)))
			x->tag = xstrdup(json_string_value(json_array_get(tags, 0)));
		layers = json_object_get(o, "Layers");
		if (!json_is_array(layers)) {
			err_set(e, "manifest.json: entry %zu: 'Layers' is not an array", i);
			goto bad;
		}
		x->layers = xcalloc(json_array_size(layers) + 1, sizeof(*x->layers));
		for (k = 0; k < json_array_size(layers); k++) {
			json_t *v = json_array_get(layers, k);
			if (!json_is_string(v) || !image_path_valid(json_string_value(v))) {
				err_set(e, "manifest.json: entry %zu: layer %zu: unsafe path", i, k);
				goto bad;
			}
			x->layers[x->nlayers++] = xstrdup(json_string_value(v));
		}
	}
	json_decref(j);
	return 0;
bad:
	json_decref(j);
	image_docker_release(d);
	return -1;
}

/* ---- rewriters ------------------------------------------------------------------- */

static bool blob_annotation(const char *key)
{
	return strstr(key, "zstd-chunked") || strstr(key, "stargz") || strstr(key, "estargz");
}

static int desc_set(json_t *o, const struct image_desc *d, struct err *e)
{
	json_t *old = json_object_get(o, "digest"), *ann;

	if (!image_digest_valid(d->digest)) {
		err_set(e, "invalid new digest");
		return -1;
	}
	ann = json_object_get(o, "annotations");
	if (json_is_object(ann) && json_is_string(old) &&
	    strcmp(json_string_value(old), d->digest) != 0) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(ann, tmp, k, v) {
			(void)v;
			if (blob_annotation(k))
				json_object_del(ann, k);
		}
		if (json_object_size(ann) == 0)
			json_object_del(o, "annotations");
	}
	if (json_object_set_new(o, "digest", json_string(d->digest)) ||
	    json_object_set_new(o, "size", json_integer((json_int_t)d->size)) ||
	    (d->media_type && json_object_set_new(o, "mediaType", json_string(d->media_type)))) {
		err_set(e, "cannot set a descriptor");
		return -1;
	}
	return 0;
}

char *image_manifest_rewrite(const char *json, size_t len, const struct image_desc *config,
			     const struct image_desc *layers, size_t n, size_t *outlen,
			     struct err *e)
{
	json_t *j = jload(json, len, "manifest", e), *ls;
	char *out = NULL;
	size_t i;

	if (!j)
		return NULL;
	ls = json_is_object(j) ? json_object_get(j, "layers") : NULL;
	if (!json_is_array(ls) || json_array_size(ls) != n) {
		err_set(e, "manifest: expected %zu layers", n);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!json_is_object(json_array_get(ls, i)) ||
		    desc_set(json_array_get(ls, i), &layers[i], e))
			goto out;
	if (config && (!json_is_object(json_object_get(j, "config")) ||
		       desc_set(json_object_get(j, "config"), config, e)))
		goto out;
	out = jdump(j, outlen, e);
out:
	json_decref(j);
	return out;
}

char *image_config_rewrite(const char *json, size_t len, char *const *diff_ids, size_t n,
			   size_t *outlen, struct err *e)
{
	json_t *j = jload(json, len, "config", e), *rootfs, *ids;
	char *out = NULL;
	size_t i;

	if (!j)
		return NULL;
	rootfs = json_is_object(j) ? json_object_get(j, "rootfs") : NULL;
	ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	if (!json_is_array(ids) || json_array_size(ids) != n) {
		err_set(e, "config: expected %zu diff_ids", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!image_digest_valid(diff_ids[i])) {
			err_set(e, "config: invalid new diff_id");
			goto out;
		}
		if (json_array_set_new(ids, i, json_string(diff_ids[i]))) {
			err_set(e, "config: cannot set a diff_id");
			goto out;
		}
	}
	out = jdump(j, outlen, e);
out:
	json_decref(j);
	return out;
}

char *image_index_rewrite(const char *json, size_t len, const struct image_desc *repl, size_t n,
			  size_t *outlen, struct err *e)
{
	json_t *j = jload(json, len, "index", e), *ms, *keep;
	char *out = NULL;
	size_t i;

	if (!j)
		return NULL;
	ms = json_is_object(j) ? json_object_get(j, "manifests") : NULL;
	if (!json_is_array(ms) || json_array_size(ms) != n) {
		err_set(e, "index: expected %zu manifests", n);
		goto out;
	}
	keep = json_array();
	for (i = 0; i < n; i++) {
		json_t *d = json_array_get(ms, i);
		if (!repl[i].digest)
			continue;
		if (!json_is_object(d) || desc_set(d, &repl[i], e)) {
			json_decref(keep);
			goto out;
		}
		json_array_append(keep, d);
	}
	json_object_set_new(j, "manifests", keep);
	out = jdump(j, outlen, e);
out:
	json_decref(j);
	return out;
}

char *image_docker_rewrite(const char *json, size_t len, char *const *cfg, char **const *lay,
			   size_t n, size_t *outlen, struct err *e)
{
	json_t *j = jload(json, len, "manifest.json", e), *keep = NULL;
	char *out = NULL;
	size_t i, k;

	if (!j)
		return NULL;
	if (!json_is_array(j) || json_array_size(j) != n) {
		err_set(e, "manifest.json: expected %zu entries", n);
		goto out;
	}
	keep = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(j, i), *ls, *nl;
		if (!cfg[i])
			continue;
		ls = json_is_object(o) ? json_object_get(o, "Layers") : NULL;
		if (!json_is_array(ls)) {
			err_set(e, "manifest.json: entry %zu has no Layers", i);
			goto out;
		}
		nl = json_array();
		for (k = 0; k < json_array_size(ls); k++)
			json_array_append_new(nl, json_string(lay[i][k]));
		json_object_set_new(o, "Config", json_string(cfg[i]));
		json_object_set_new(o, "Layers", nl);
		json_array_append(keep, o);
	}
	out = jdump(keep, outlen, e);
out:
	json_decref(keep);
	json_decref(j);
	return out;
}

/* ---- waste ---------------------------------------------------------------------- */

void image_entries_add(struct image_entries *l, const char *tarpath, uint64_t size, bool dir,
		       bool regular)
{
	struct image_entry x = { path_normalize(tarpath, false, NULL), size, IMAGE_E_OTHER };
	char *base = strrchr(x.path, '/');

	base = base ? base + 1 : x.path;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		x.kind = IMAGE_E_OPAQUE;
		base[base == x.path ? 0 : -1] = '\0';
		x.size = 0;
	} else if (strncmp(base, ".wh.", 4) == 0) {
		x.kind = IMAGE_E_WHITEOUT;
		memmove(base, base + 4, strlen(base + 4) + 1);
		x.size = 0;
	} else if (dir) {
		x.kind = IMAGE_E_DIR;
		x.size = 0;
	} else if (regular) {
		x.kind = IMAGE_E_FILE;
	} else {
		x.size = 0;
	}
	xgrow(&l->e, &l->cap, l->n + 1, sizeof(*l->e));
	l->e[l->n++] = x;
}

void image_entries_release(struct image_entries *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].path);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

/* What the layers above hide of a path: */
enum { W_EXACT = 1,   /* an entry of the same path */
       W_SUBTREE = 2, /* a whiteout or a non-directory: the path and all below */
       W_BELOW = 4 }; /* an opaque directory: everything below, not itself */

/*
 * The paths of the layers above, by a seeded 128-bit hash of each (a path
 * is never compared byte by byte): the prefixes of a path are then looked
 * up in one pass over it, so that a path of a megabyte and half a million
 * components costs a pass, not a pass per component.
 */
struct wset {
	XXH128_hash_t *key;
	unsigned char *flag; /* 0: a free slot */
	size_t n, cap;
};

static size_t ws_slot(const struct wset *s, XXH128_hash_t h)
{
	size_t mask = s->cap - 1, i = (size_t)h.low64 & mask;

	while (s->flag[i] && !XXH128_isEqual(s->key[i], h))
		i = (i + 1) & mask;
	return i;
}

static unsigned ws_get(const struct wset *s, XXH128_hash_t h)
{
	return s->cap ? s->flag[ws_slot(s, h)] : 0;
}

static void ws_put(struct wset *s, const char *k, unsigned f)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(k, strlen(k), hash_seed());
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct wset big = { xcalloc(cap, sizeof(*big.key)), xcalloc(cap, 1), s->n, cap };
		for (i = 0; i < s->cap; i++)
			if (s->flag[i]) {
				size_t j = ws_slot(&big, s->key[i]);
				big.key[j] = s->key[i];
				big.flag[j] = s->flag[i];
			}
		free(s->key);
		free(s->flag);
		*s = big;
	}
	i = ws_slot(s, h);
	if (!s->flag[i]) {
		s->key[i] = h;
		s->n++;
	}
	s->flag[i] |= (unsigned char)f;
}

/* Is path hidden by the layers above: itself, or a directory above it?
 * st: a hash state to use. */
static bool ws_hidden(const struct wset *s, const char *path, XXH3_state_t *st)
{
	const char *p, *from = path;

	XXH3_128bits_reset_withSeed(st, hash_seed());
	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		XXH3_128bits_update(st, from, (size_t)(p - from));
		from = p;
		if (ws_get(s, XXH3_128bits_digest(st)) & (W_SUBTREE | W_BELOW))
			return true;
	}
	XXH3_128bits_update(st, from, strlen(from));
	return ws_get(s, XXH3_128bits_digest(st)) & (W_EXACT | W_SUBTREE);
}

void image_waste(const struct image_entries *const *layers, size_t n, uint64_t *waste)
{
	struct wset s = { NULL, NULL, 0, 0 };
	XXH3_state_t st;
	size_t i, k;

	for (i = n; i-- > 0;) {
		const struct image_entries *l = layers[i];
		waste[i] = 0;
		for (k = 0; k < l->n; k++)
			if (l->e[k].kind == IMAGE_E_FILE && ws_hidden(&s, l->e[k].path, &st))
				waste[i] += l->e[k].size;
		for (k = 0; k < l->n; k++) {
			const struct image_entry *x = &l->e[k];
			switch (x->kind) {
			case IMAGE_E_WHITEOUT: ws_put(&s, x->path, W_SUBTREE); break;
			case IMAGE_E_OPAQUE: ws_put(&s, x->path, W_BELOW); break;
			case IMAGE_E_DIR: ws_put(&s, x->path, W_EXACT); break;
			default: ws_put(&s, x->path, W_EXACT | W_SUBTREE); break;
			}
		}
	}
	free(s.key);
	free(s.flag);
}

/* ---- detection ------------------------------------------------------------------ */

/* How far detection reads a compressed tar: entries, and bytes of its
 * decompressed stream.  An uncompressed one is read to its end (headers
 * only: data is skipped with seeks). */
#define DETECT_ENTRIES 16
#define DETECT_BYTES BOUND_FLOOR

/* Is p a blob, or a file or directory named by a digest (the layers and
 * configs of a docker-archive)? */
static bool digest_named(const char *p)
{
	size_t i;

	if (strncmp(p, "blobs/sha256/", 13) == 0 && p[13])
		return true;
	for (i = 0; i < 64 && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')); i++)
		;
	return i == 64 && (!p[64] || p[64] == '/' || strcmp(p + 64, ".tar") == 0 ||
			   strcmp(p + 64, ".json") == 0);
}

/* Could p be the name of an entry of a saved image? */
static bool image_shaped(const char *p)
{
	return !*p || strcmp(p, "manifest.json") == 0 || strcmp(p, "index.json") == 0 ||
	       strcmp(p, "oci-layout") == 0 || strcmp(p, "repositories") == 0 ||
	       strcmp(p, "blobs") == 0 || strcmp(p, "blobs/sha256") == 0 || digest_named(p);
}

/* The content of the current entry (at most MAX_JSON bytes); NULL if larger
 * or unreadable.  Caller frees. */
static char *entry_data(struct archive *a, struct archive_entry *ae, size_t *len)
{
	la_int64_t size = archive_entry_size(ae);
	char *p;

	if (archive_entry_filetype(ae) != AE_IFREG || size < 0 || (uint64_t)size > MAX_JSON)
		return NULL;
	p = xmalloc((size_t)size + 1);
	for (*len = 0; *len < (size_t)size;) {
		la_ssize_t k = archive_read_data(a, p + *len, (size_t)size - *len);
		if (k <= 0) {
			free(p);
			return NULL;
		}
		*len += (size_t)k;
	}
	return p;
}

/* What detection found so far. */
struct sniff {
	bool docker, layout, index; /* valid manifest.json, oci-layout, index.json */
	bool blobs;                 /* an entry named by a digest */
	bool foreign;               /* a name no image has */
};

/* Look at one entry of a tar (name normalized). */
static void sniff_entry(struct sniff *s, struct archive *a, struct archive_entry *ae, const char *p)
{
	struct err e = ERR_INIT;
	char *data = NULL;
	size_t len = 0;

	if (!image_shaped(p)) {
		s->foreign = true;
		return;
	}
	if (strcmp(p, "manifest.json") == 0) {
		struct image_docker d = { 0 };
		if ((data = entry_data(a, ae, &len)))
			s->docker = image_docker_parse(data, len, &d, &e) == 0;
		image_docker_release(&d);
	} else if (strcmp(p, "index.json") == 0) {
		struct image_index x = { 0 };
		if ((data = entry_data(a, ae, &len)))
			s->index = image_index_parse(data, len, &x, &e) == 0;
		image_index_release(&x);
	} else if (strcmp(p, "oci-layout") == 0) {
		json_t *j = (data = entry_data(a, ae, &len)) ? json_loadb(data, len, 0, NULL) : NULL;
		s->layout = json_is_string(json_object_get(j, "imageLayoutVersion"));
		json_decref(j);
	} else {
		s->blobs |= digest_named(p);
	}
	free(data);
	err_release(&e);
}

/* A tar: is it a saved image?  By content: a manifest.json that parses as
 * a docker-archive's, or an oci-layout with an index.json.  A compressed
 * tar is read only through its first entries (its manifest.json may come
 * last): there, entries that all have names an image's entries have, some
 * named by digests, also make an image. */
static bool detect_tar(int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct sniff s = { 0 };
	bool compressed = false;
	int n = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, CHUNK) == ARCHIVE_OK) {
		compressed = archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
		while (!s.docker && !(s.layout && s.index) && !(compressed && s.foreign)) {
			int r = archive_read_next_header(a, &ae);
			char *p;
			if ((r != ARCHIVE_OK && r != ARCHIVE_WARN) ||
			    (compressed && (n++ >= DETECT_ENTRIES ||
					    (uint64_t)archive_filter_bytes(a, 0) > DETECT_BYTES)))
				break;
			p = path_normalize(archive_entry_pathname(ae), false, NULL);
			sniff_entry(&s, a, ae, p);
			free(p);
		}
	}
	archive_read_free(a);
	return s.docker || (s.layout && s.index) || (compressed && !s.foreign && s.blobs);
}

bool image_detect(const char *path)
{
	struct stat st;
	bool yes = false;
	int fd;

	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode)) {
		struct stat x;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		yes = fd >= 0 && fstatat(fd, "oci-layout", &x, AT_SYMLINK_NOFOLLOW) == 0 &&
		      fstatat(fd, "index.json", &x, AT_SYMLINK_NOFOLLOW) == 0;
		if (fd >= 0)
			close(fd);
		return yes;
	}
	if (!S_ISREG(st.st_mode) || !layer_detect(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	yes = detect_tar(fd);
	close(fd);
	return yes;
}

/* ---- the run: state ------------------------------------------------------------- */

/* A map of strings (open addressing, seeded hash: names come from the
 * image, so no crafted run of collisions).  Keys are copied; values are the
 * caller's. */
struct smap {
	char **key;
	void **val;
	size_t n, cap;
};

static size_t smap_slot(const struct smap *m, const char *k)
{
	size_t mask = m->cap - 1, i = XXH3_64bits_withSeed(k, strlen(k), hash_seed()) & mask;

	while (m->key[i] && strcmp(m->key[i], k) != 0)
		i = (i + 1) & mask;
	return i;
}

static void *smap_get(const struct smap *m, const char *k)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = smap_slot(m, k);
	return m->key[i] ? m->val[i] : NULL;
}

/* Set k to v; returns the value k had (NULL: none). */
static void *smap_put(struct smap *m, const char *k, void *v)
{
	size_t i;
	void *old;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct smap big = { xcalloc(cap, sizeof(char *)), xcalloc(cap, sizeof(void *)), m->n,
				    cap };
		for (i = 0; i < m->cap; i++)
			if (m->key[i]) {
				size_t j = smap_slot(&big, m->key[i]);
				big.key[j] = m->key[i];
				big.val[j] = m->val[i];
			}
		free(m->key);
		free(m->val);
		*m = big;
	}
	i = smap_slot(m, k);
	if (!m->key[i]) {
		m->key[i] = xstrdup(k);
		m->n++;
	}
	old = m->val[i];
	m->val[i] = v;
	return old;
}

/* Free the keys, and each value with free_val (NULL: not the map's). */
static void smap_release(struct smap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->key[i] && free_val)
			free_val(m->val[i]);
		free(m->key[i]);
	}
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

/* An input blob (a layer, config, manifest or index): what it is, once
 * checked, and what it became. */
struct blobres {
	char *key;          /* the input digest, or where a docker-archive's path leads */
	char *name;         /* how messages name it: its digest, or its path */
	/* the input (layers), once checked */
	bool checked;
	bool absent;        /* a foreign layer that is not in the input */
	int fd;             /* the checked file, open until the layer is done; or -1 */
	char *in_rel;       /* where it is in the input */
	char *in_digest;    /* sha256 of its bytes */
	uint64_t in_size;
	char *in_diff_id;   /* sha256 of its tar stream */
	uint64_t in_tar;    /* bytes of its tar stream */
	int comp;           /* its compression (LC_*) */
	/* what it became */
	bool done;
	char *path;         /* in the output tree */
	char *digest;       /* of the output blob */
	uint64_t size;
	char *diff_id;      /* layers: of the output's tar stream */
	char *media_type;   /* layers: a new media type; NULL: the same */
	bool changed;       /* path/digest differ from the input's */
	bool dropped;       /* manifests: not in the output (platform, attestation) */
	struct image_entries ents; /* layers: the input's entries, for waste */
	struct report_image_layer row;
	bool reported;      /* a row for this blob was already added */
};

/* Saved images hold a few hundred entries; far more is no image. */
#define MAX_ENTRIES 65536
/* Links followed to reach one file of the input. */
#define MAX_HOPS 16
/* Components of a path in the input (see in_path_ok). */
#define MAX_PATH_DEPTH 64

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
	struct smap alias;        /* tar input: a link's name -> what it names (char *) */
	struct smap memo;         /* key -> struct blobres * */
	struct strpool names;     /* escaped names for warnings (esc) */
	struct err err;           /* the first fatal error */
	unsigned dropped_platforms, dropped_attest, dropped_other;
};

static int fail(struct image *img, const char *fmt, ...) SLIM_PRINTF(2, 3);
static int fail(struct image *img, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	if (img->err.msg)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	err_set(&img->err, "%s", b.p);
	buf_release(&b);
	return -1;
}

/*
 * s (a name from the image: a path, a tag, a media type) as the warnings
 * printed here show it: control bytes, backslashes and invalid UTF-8
 * escaped, so that no terminal sequence goes through.  (Error messages go
 * to the report, whose presenters escape them each its own way: not here.)
 * The string lives as long as the run.
 */
static const char *esc(struct image *img, const char *s)
{
	struct buf b = BUF_INIT;
	char *p;

	report_escape_text(&b, s ? s : "");
	p = strpool_dup(&img->names, b.p);
	buf_release(&b);
	return p;
}

static void blobres_free(void *p);

static struct blobres *memo_get(struct image *img, const char *key)
{
	return smap_get(&img->memo, key);
}

static struct blobres *memo_add(struct image *img, const char *key)
{
	struct blobres *r = xcalloc(1, sizeof(*r));

	r->key = xstrdup(key);
	r->fd = -1;
	blobres_free(smap_put(&img->memo, key, r)); /* callers look first: none */
	return r;
}

static void blobres_free(void *p)
{
	struct blobres *r = p;

	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->key);
	free(r->name);
	free(r->in_rel);
	free(r->in_digest);
	free(r->in_diff_id);
	free(r->path);
	free(r->digest);
	free(r->diff_id);
	free(r->media_type);
	image_entries_release(&r->ents);
	free(r);
}

/* ---- files ---------------------------------------------------------------------- */

/* dir/.slim-<16 hex>.tmp, a fresh name; caller frees. */
static char *tmp_name(const char *dir)
{
	struct buf b = BUF_INIT;
	char name[64];

	fsu_tmpname(name, sizeof(name));
	buf_addf(&b, "%s/%s", dir, name);
	return buf_detach(&b, NULL);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rm_tree(const char *p)
{
	if (p)
		nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the directories of rel (not its last component) under root. */
static int mkparents(const char *root, const char *rel)
{
	struct buf b = BUF_INIT;
	const char *s;
	int rc = 0;

	for (s = strchr(rel, '/'); s && !rc; s = strchr(s + 1, '/')) {
		buf_setlen(&b, 0);
		buf_addf(&b, "%s/%.*s", root, (int)(s - rel), rel);
		if (mkdir(b.p, 0755) != 0 && errno != EEXIST)
			rc = -1;
	}
	buf_release(&b);
	return rc;
}

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t k = write(fd, c, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Write data to root/rel (through a temporary name). */
static int put_file(struct image *img, const char *rel, const void *data, size_t len)
{
	struct buf path = BUF_INIT;
	char *tmp = NULL;
	int fd = -1, rc = -1;

	buf_addf(&path, "%s/%s", img->out, rel);
	if (mkparents(img->out, rel) != 0) {
		fail(img, "cannot create the directories of '%s': %s", path.p, strerror(errno));
		goto out;
	}
	*strrchr(path.p, '/') = '\0';
	tmp = tmp_name(path.p);
	buf_setlen(&path, 0);
	buf_addf(&path, "%s/%s", img->out, rel);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, data, len) != 0 || close(fd) != 0) {
		fd = -1;
		fail(img, "cannot write '%s': %s", path.p, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path.p) != 0) {
		fail(img, "cannot rename to '%s': %s", path.p, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	buf_release(&path);
	return rc;
}

/* Write a blob of the output layout; *digest gets "sha256:..." (caller frees). */
static int put_blob(struct image *img, const void *data, size_t len, char **digest)
{
	struct sha256_ctx c;
	unsigned char d[32];
	char h[65];
	struct buf rel = BUF_INIT;
	int rc;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	hex32(d, h);
	buf_addf(&rel, "blobs/sha256/%s", h);
	rc = put_file(img, rel.p, data, len);
	buf_release(&rel);
	*digest = rc ? NULL : xdigest(d);
	return rc;
}
/* Copy the file fd (from its start) to the new file out. */
static int copy_fd(int fd, int out)
{
	char *b = NULL;
	loff_t off = 0;
	ssize_t k;
	int rc = -1;

	/* in the kernel (a reflink where the file system can) */
	while ((k = copy_file_range(fd, &off, out, NULL, 1 << 30, 0)) > 0)
		;
	if (k == 0) {
		rc = 0;
		goto out;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		goto out;
	b = xmalloc(CHUNK);
	while ((k = pread(fd, b, CHUNK, off)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || write_all(out, b, (size_t)k) != 0)
			goto out;
		off += k;
	}
	rc = 0;
out:
	free(b);
	return rc;
}

/*
 * Put the checked input file fd at out/rel.  The input unpacked from a tar
 * is slim's own: hard-linked.  A file of an input directory is hard-linked
 * only when it is the caller's own and nobody else may write it, else
 * copied: the output must not change after slim checked it.
 */
static int copy_in(struct image *img, int fd, const char *rel)
{
	struct buf dst = BUF_INIT;
	char *tmp = NULL, *dir, proc[64];
	int out = -1, rc = -1;
	struct stat st;

	buf_addf(&dst, "%s/%s", img->out, rel);
	if (access(dst.p, F_OK) == 0) { /* already there: the same blob */
		rc = 0;
		goto out;
	}
	if (mkparents(img->out, rel) != 0 || fstat(fd, &st) != 0) {
		fail(img, "cannot create the directories of '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	dir = xstrdup(dst.p);
	*strrchr(dir, '/') = '\0';
	tmp = tmp_name(dir);
	free(dir);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((img->tar_in || (st.st_uid == geteuid() && !(st.st_mode & 022))) &&
	    linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
		goto put;
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0 || copy_fd(fd, out) != 0 || close(out) != 0) {
		fail(img, "cannot write '%s': %s", dst.p, strerror(errno));
		out = -1;
		goto out;
	}
	out = -1;
put:
	if (rename(tmp, dst.p) != 0) {
		fail(img, "cannot rename to '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	buf_release(&dst);
	return rc;
}

/* sha256 and size of a file (of the output). */
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


/* ---- the input tree ----------------------------------------------------------------- */

/* Resolve target (of a symlink at link) to a path in the input; NULL if it
 * leaves it. */
static char *resolve_target(const char *link, const char *target)
{
	struct buf b = BUF_INIT, all = BUF_INIT;
	const char *slash = strrchr(link, '/'), *s;
	char *p;

	if (*target == '/' || strlen(target) >= PATH_MAX)
		return NULL;
	if (slash)
		buf_addf(&all, "%.*s/", (int)(slash - link), link);
	buf_adds(&all, target);
	for (s = all.p; *s;) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			char *cut = strrchr(b.p, '/');
			if (!b.len) {
				buf_release(&b);
				buf_release(&all);
				return NULL;
			}
			buf_setlen(&b, cut ? (size_t)(cut - b.p) : 0);
		} else if (len && !(len == 1 && s[0] == '.')) {
			if (b.len)
				buf_addch(&b, '/');
			buf_add(&b, s, len);
		}
		s += len;
		while (*s == '/')
			s++;
	}
	buf_release(&all);
	p = buf_detach(&b, NULL);
	if (!image_path_valid(p)) {
		free(p);
		return NULL;
	}
	return p;
}

/* A tar's symlink or hard link entry from -> to (to: owned; NULL: from is
 * a file again, the later entry winning as in tar). */
static void alias_set(struct image *img, const char *from, char *to)
{
	if (to || smap_get(&img->alias, from))
		free(smap_put(&img->alias, from, to));
}

/* Charge n bytes made of the input tar's entry (NULL: none) to the bound. */
static int charge(struct image *img, uint64_t n, const char *entry)
{
	struct err e = ERR_INIT;

	if (bound_charge(&img->bound, n, &e) == 0)
		return 0;
	if (entry)
		fail(img, "entry '%s': %s", (entry), e.msg);
	else
		fail(img, "%s", e.msg);
	err_release(&e);
	return -1;
}

/* Charge what the input tar's decompressed stream has grown by since it
 * was last charged (headers, data of entries not unpacked). */
static int charge_stream(struct image *img, struct archive *a, const char *entry)
{
	uint64_t now = (uint64_t)archive_filter_bytes(a, 0);

	if (now <= img->streamed)
		return 0;
	now -= img->streamed;
	img->streamed += now;
	return charge(img, now, entry);
}

/* Write the data of the current entry (size bytes, charged already) to fd.
 * Holes stay holes on disk. */
static int unpack_data(struct image *img, struct archive *a, struct archive_entry *ae, int fd,
		       uint64_t size)
{
	const char *name = archive_entry_pathname(ae);
	la_int64_t off;
	const void *p;
	size_t n;
	int r;

	while ((r = archive_read_data_block(a, &p, &n, &off)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail(img, "entry '%s': %s", (name),
				    archive_error_string(a) ? archive_error_string(a) : "bad data");
		if (off < 0 || (uint64_t)off > size || n > size - (uint64_t)off)
			return fail(img, "entry '%s': data past its size", (name));
		if (n && pwrite(fd, p, n, off) != (ssize_t)n)
			return fail(img, "cannot write '%s': %s", (name), strerror(errno));
	}
	if (ftruncate(fd, (off_t)size) != 0) /* a hole at the end */
		return fail(img, "cannot write '%s': %s", (name), strerror(errno));
	return 0;
}

/* One entry of the input tar: a directory or regular file is made under
 * img->in, a link remembered as an alias, anything else ignored. */
static int unpack_entry(struct image *img, struct archive *a, struct archive_entry *ae)
{
	const char *raw = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
	const char *sl = archive_entry_symlink(ae);
	mode_t type = archive_entry_filetype(ae);
	char *name = raw ? path_normalize(raw, false, NULL) : NULL, *to;
	struct buf path = BUF_INIT;
	la_int64_t size;
	int fd = -1, rc = -1;

	if (!name || !image_path_valid(name)) {
		if (name && !*name) /* "./" */
			rc = 0;
		else
			fail(img, "entry '%s': unsafe path", (raw ? raw : ""));
		goto out;
	}
	buf_addf(&path, "%s/%s", img->in, name);
	if (hl || type == AE_IFLNK) {
		to = hl ? path_normalize(hl, false, NULL) : sl ? resolve_target(name, sl) : NULL;
		if (to && image_path_valid(to)) {
			unlink(path.p); /* the later entry wins */
			alias_set(img, name, to);
		} else {
			free(to);
		}
		rc = 0;
		goto out;
	}
	if (type != AE_IFREG && type != AE_IFDIR) {
		rc = 0;
		goto out;
	}
	if (mkparents(img->in, name) != 0 ||
	    (type == AE_IFDIR && mkdir(path.p, 0755) != 0 && errno != EEXIST)) {
		fail(img, "entry '%s': cannot create it: %s", (raw), strerror(errno));
		goto out;
	}
	if (type == AE_IFDIR) {
		rc = 0;
		goto out;
	}
	alias_set(img, name, NULL);
	/* every byte of it (holes read as zeros) counts, before anything is written */
	size = archive_entry_size(ae);
	if (size < 0 || charge(img, (uint64_t)size, raw) != 0) {
		fail(img, "entry '%s': bad size", (raw));
		goto out;
	}
	img->streamed += (uint64_t)size; /* its data in the stream, charged */
	unlink(path.p); /* the later of two entries wins, as in tar */
	fd = open(path.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fail(img, "entry '%s': cannot create it: %s", (raw), strerror(errno));
		goto out;
	}
	if (unpack_data(img, a, ae, fd, (uint64_t)size) != 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		fail(img, "entry '%s': cannot write it: %s", (raw), strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(name);
	buf_release(&path);
	return rc;
}

/*
 * Unpack the image tar into img->in: directories and regular files only
 * (links are remembered as aliases, never created).  Every byte this makes
 * of the input (its decompressed stream, and the holes of sparse entries)
 * counts toward img->bound, and the entries are counted: a bomb is refused
 * before it fills the disk.
 */
static int unpack(struct image *img)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct stat st;
	int r, rc = -1, fd = open(img->input, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		fail(img, "%s", strerror(errno));
		goto out;
	}
	bound_init(&img->bound, (uint64_t)st.st_size, img->o->max_ratio);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK) {
		fail(img, "%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (++img->nentries > MAX_ENTRIES) {
			fail(img, "more than %u entries: not a saved image", MAX_ENTRIES);
			goto out;
		}
		if (charge_stream(img, a, archive_entry_pathname(ae)) != 0 ||
		    unpack_entry(img, a, ae) != 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		fail(img, "%s", archive_error_string(a) ? archive_error_string(a) : "cannot read the image");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* p with its first prefix that is a link replaced by what the link names
 * (NULL: none).  A tar input's links are its aliases; a directory's are
 * read with readlinkat and resolved here, never by the kernel.  *out: the
 * link leaves the input. */
static char *follow_link(struct image *img, const char *p, bool *out)
{
	struct buf pre = BUF_INIT, res = BUF_INIT;
	const char *s, *end;
	char target[PATH_MAX], *to = NULL;
	struct stat st;
	ssize_t k;

	*out = false;
	for (s = p;; s = end + 1) {
		end = strchr(s, '/');
		buf_setlen(&pre, 0);
		buf_add(&pre, p, end ? (size_t)(end - p) : strlen(p));
		if (img->tar_in) {
			const char *a = smap_get(&img->alias, pre.p);
			if (a) {
				to = xstrdup(a);
				break;
			}
		} else if (fstatat(img->infd, pre.p, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			break;
		} else if (S_ISLNK(st.st_mode)) {
			k = readlinkat(img->infd, pre.p, target, sizeof(target) - 1);
			if (k < 0)
				break;
			target[k] = '\0';
			to = resolve_target(pre.p, target);
			*out = !to;
			break;
		}
		if (!end)
			break;
	}
	buf_release(&pre);
	if (!to)
		return NULL;
	buf_adds(&res, to);
	if (end)
		buf_adds(&res, end); /* "/" and the rest */
	free(to);
	return buf_detach(&res, NULL);
}

/* Is p a path in the input slim will look for?  Saved images name their
 * files with two or three components; a path much longer or deeper would
 * only cost time (links are looked up a component at a time). */
static bool in_path_ok(const char *p)
{
	size_t n = 0, depth = 0;

	for (; p[n] && n < PATH_MAX; n++)
		depth += p[n] == '/';
	return n < PATH_MAX && depth < MAX_PATH_DEPTH;
}

/* An O_PATH descriptor of p beneath the input, or -1 (errno ELOOP when p
 * itself or a directory on the way is a symlink). */
static int open_path(struct image *img, const char *p)
{
	struct stat st;
	int fd = fsu_open_beneath(img->infd, p, O_PATH, false);

	/* O_PATH | O_NOFOLLOW opens a trailing symlink itself */
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = ELOOP;
	}
	return fd;
}

/*
 * Open the input file rel for reading: a regular file inside the input,
 * reached without the kernel ever following a link (links are followed by
 * name, above) and opened for reading only once it is known to be a
 * regular file (a device is never opened).  *where (if not NULL) gets the
 * path reached; caller frees.  Returns the fd, or -1 with e set (e->code
 * ENOENT: no such file).
 */
static int in_open(struct image *img, const char *rel, char **where, struct err *e)
{
	char *p = xstrdup(rel), *next, proc[64];
	bool out = false;
	struct stat st;
	int fd = -1, rfd = -1, hops, saved;

	if (!image_path_valid(rel)) {
		err_set(e, "unsafe path");
		goto out;
	}
	for (hops = 0; fd < 0; hops++) {
		if (hops > MAX_HOPS) {
			err_errno(e, ELOOP, "more than %d links", MAX_HOPS);
			goto out;
		}
		if (!in_path_ok(p)) {
			err_set(e, "path longer than %d bytes or %d components", PATH_MAX - 1,
				MAX_PATH_DEPTH);
			goto out;
		}
		/* in a tar, a link and a file may share a name: the alias is the later */
		next = img->tar_in ? follow_link(img, p, &out) : NULL;
		if (!next) {
			fd = open_path(img, p);
			saved = errno;
			if (fd < 0 && (img->tar_in || !(next = follow_link(img, p, &out)))) {
				if (out) {
					err_set(e, "a symlink leads out of the input");
					e->code = ELOOP;
				} else {
					err_errno(e, saved, "cannot open");
				}
				goto out;
			}
		}
		if (next) {
			free(p);
			p = next;
		}
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "not a regular file");
		goto out;
	}
	rfd = open(proc, O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		err_errno(e, errno, "cannot open");
		goto out;
	}
	if (where) {
		*where = p;
		p = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return rfd;
}

/* Is there something at rel?  (Whether it can be read is read_small's to
 * say, with the reason.) */
static bool in_exists(struct image *img, const char *rel)
{
	struct err e = ERR_INIT;
	int fd = in_open(img, rel, NULL, &e);
	bool yes = fd >= 0 || e.code != ENOENT;

	err_release(&e);
	if (fd >= 0)
		close(fd);
	return yes;
}

/* "sha256:<hex>" of d. */
static void sha256_of(const void *p, size_t n, unsigned char d[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, 32, d);
}

/*
 * Read the small input file rel (a manifest, config, index) in full.  It
 * must match digest (unless NULL) and size (unless negative).  Messages
 * name it by rel.
 */
static int read_small(struct image *img, const char *rel, const char *digest, int64_t size,
		      char **data, size_t *len)
{
	struct err e = ERR_INIT;
	struct stat st;
	unsigned char d[32];
	char *got = NULL;
	int fd, rc = -1;

	*data = NULL;
	*len = 0;
	fd = in_open(img, rel, NULL, &e);
	if (fd < 0) {
		fail(img, "'%s': %s", (rel), e.msg);
		goto out;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > MAX_JSON) {
		fail(img, "'%s': larger than %u bytes", (rel), MAX_JSON);
		goto out;
	}
	if (fsu_read_all(fd, (size_t)st.st_size, (unsigned char **)data, &e) != 0) {
		fail(img, "cannot read '%s': %s", (rel), e.msg);
		goto out;
	}
	*len = (size_t)st.st_size;
	sha256_of(*data, *len, d);
	got = xdigest(d);
	if ((digest && strcmp(got, digest) != 0) || (size >= 0 && (uint64_t)size != *len)) {
		fail(img, "'%s' does not match its descriptor: it is %s, %zu bytes; expected %s, %lld "
			  "bytes", (rel), got, *len, digest ? digest : got,
		     size >= 0 ? (long long)size : (long long)*len);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(*data);
		*data = NULL;
	}
	free(got);
	err_release(&e);
	if (fd >= 0)
		close(fd);
	return rc;
}

static char *blob_rel(const char *digest)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "blobs/sha256/%s", digest + 7);
	return buf_detach(&b, NULL);
}

/* The digest a docker-archive path names, if any: blobs/sha256/<hex> (the
 * layout newer Docker writes) and <hex>.json (a config, named by its
 * digest).  Caller frees. */
static char *named_digest(const char *p)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(p);

	if (strncmp(p, "blobs/sha256/", 13) == 0)
		buf_addf(&b, "sha256:%s", p + 13);
	else if (n == 64 + 5 && strcmp(p + 64, ".json") == 0)
		buf_addf(&b, "sha256:%.64s", p);
	if (!image_digest_valid(b.p)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* ---- layers --------------------------------------------------------------------------- */

enum { LC_NONE = COMPRESS_NONE, LC_GZIP = COMPRESS_GZIP, LC_ZSTD = COMPRESS_ZSTD, LC_FOREIGN = -1,
       LC_UNKNOWN = -2, LC_SNIFF = -3 };

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The compression a layer media type names. */
static int layer_compression(const char *mt)
{
	size_t n;

	if (!mt)
		return LC_UNKNOWN;
	if (strstr(mt, "foreign") || strstr(mt, "nondistributable"))
		return LC_FOREIGN;
	if (!starts(mt, "application/vnd.oci.image.layer.") &&
	    !starts(mt, "application/vnd.docker.image.rootfs."))
		return LC_UNKNOWN;
	n = strlen(mt);
	if (n > 5 && (strcmp(mt + n - 5, "+gzip") == 0 || strcmp(mt + n - 5, ".gzip") == 0))
		return LC_GZIP;
	if (n > 5 && strcmp(mt + n - 5, "+zstd") == 0)
		return LC_ZSTD;
	if (n > 4 && strcmp(mt + n - 4, ".tar") == 0)
		return LC_NONE;
	return LC_UNKNOWN;
}

/* The compression of a file, from its first bytes. */
static int sniff_compression(int fd)
{
	unsigned char h[4] = { 0 };
	ssize_t k = pread(fd, h, sizeof(h), 0);

	if (k >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return LC_GZIP;
	if (k == 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return LC_ZSTD;
	return LC_NONE;
}

static const char *layer_media_type(bool docker, int c)
{
	if (docker)
		return c == LC_GZIP ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
				    : "application/vnd.docker.image.rootfs.diff.tar";
	return c == LC_GZIP ? "application/vnd.oci.image.layer.v1.tar+gzip"
	       : c == LC_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
			      : "application/vnd.oci.image.layer.v1.tar";
}

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
 * Read the layer r->fd once, from its start: r->ents gets its entries;
 * r->in_digest, in_size, in_diff_id and in_tar what it is.  Every byte
 * decompressed counts toward img->bound.
 */
static int list_layer(struct image *img, struct blobres *r)
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
		fail(img, "layer '%s': %s", (r->name), aerr(l->raw, "cannot read it"));
		goto out;
	}
	if (archive_read_open(tar, l, NULL, lr_tar, NULL) != ARCHIVE_OK) {
		fail(img, "layer '%s': %s", (r->name), aerr(tar, "not a tar"));
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
		fail(img, "layer '%s': %s", (r->name),
		     x == ARCHIVE_EOF && archive_error_string(l->raw) ? archive_error_string(l->raw)
								      : aerr(tar, "cannot read it"));
		goto out;
	}
	sha256_digest(&l->blob, 32, d);
	r->in_digest = xdigest(d);
	sha256_digest(&l->tar, 32, d);
	r->in_diff_id = xdigest(d);
	r->in_size = l->blob_bytes;
	r->in_tar = l->tar_bytes;
	rc = 0;
out:
	archive_read_free(tar);
	archive_read_free(l->raw);
	free(l);
	return rc;
}

/* The memo key of a layer: "layer:" and its digest, or where its path leads. */
static char *layer_key(const char *k)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "layer:%s", k);
	return buf_detach(&b, NULL);
}

/* Does the checked layer r match digest and size (NULL, -1: anything)? */
static int match_desc(struct image *img, struct blobres *r, const char *digest, int64_t size)
{
	if ((!digest || strcmp(r->in_digest, digest) == 0) &&
	    (size < 0 || r->in_size == (uint64_t)size))
		return 0;
	return fail(img, "layer '%s' does not match its descriptor: it is %s, %llu bytes; expected "
			 "%s, %lld bytes", (r->name), r->in_digest,
		    (unsigned long long)r->in_size, digest ? digest : r->in_digest,
		    size >= 0 ? (long long)size : (long long)r->in_size);
}

/* The checked layer r: a new memo entry with the file fd (or none: absent). */
static struct blobres *new_layer(struct image *img, const char *key, int fd, char *where,
				 const char *name, const char *digest, int64_t size, int comp)
{
	struct blobres *r = memo_add(img, key);
	struct stat st;

	r->name = xstrdup(name);
	r->fd = fd;
	r->in_rel = where;
	r->checked = true;
	r->comp = comp == LC_SNIFF && fd >= 0 ? sniff_compression(fd) : comp;
	if (fd < 0) { /* a foreign layer that is not here: nothing to check */
		r->absent = true;
		r->in_digest = xstrdup(digest);
		r->in_size = (uint64_t)size;
		return r;
	}
	/* a directory's size, for the bound: the blobs slim reads */
	if (!img->tar_in && fstat(fd, &st) == 0)
		img->bound.in += (uint64_t)st.st_size;
	if (list_layer(img, r) != 0 || match_desc(img, r, digest, size) != 0)
		return NULL;
	return r;
}

/*
 * Check one layer before anything is made of it: open the input file rel,
 * read it once (list_layer) and compare its bytes with digest and size (a
 * descriptor's; NULL, -1: none).  key (NULL: where rel leads) names it in
 * the memo, name in messages.  A docker-archive's path blobs/sha256/<hex>
 * names its digest.  A foreign layer may be absent.  Returns the memo
 * entry, or NULL (failed).
 */
static struct blobres *check_layer(struct image *img, const char *key, const char *rel,
				   const char *name, const char *digest, int64_t size, int comp)
{
	struct blobres *r = NULL;
	struct err e = ERR_INIT;
	char *where = NULL, *k = key ? layer_key(key) : NULL, *named = NULL;
	int fd = -1;

	if (!(k && (r = memo_get(img, k)))) {
		fd = in_open(img, rel, &where, &e);
		if (fd < 0 && !(comp == LC_FOREIGN && e.code == ENOENT)) {
			fail(img, "layer '%s': %s", (name), e.msg);
			goto out;
		}
		if (!k) {
			named = where ? named_digest(where) : NULL;
			digest = named ? named : digest;
			k = layer_key(named ? named : where ? where : rel);
			r = memo_get(img, k);
		}
	}
	if (r) {
		if (fd >= 0)
			close(fd);
		free(where);
		if (!r->absent && match_desc(img, r, digest, size) != 0)
			r = NULL;
		goto out;
	}
	r = new_layer(img, k, fd, where, name, digest, size, comp);
out:
	free(k);
	free(named);
	err_release(&e);
	return r;
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

/* A layer whose original blob goes into the output as it is. */
static int keep_layer(struct image *img, struct blobres *r, bool layout)
{
	r->row.kept = true;
	r->row.tar_before = r->row.tar_after = r->in_tar;
	r->row.blob_before = r->row.blob_after = r->in_size;
	r->path = layout || !r->in_rel ? blob_rel(r->in_digest) : xstrdup(r->in_rel);
	r->digest = xstrdup(r->in_digest);
	r->size = r->in_size;
	r->diff_id = r->in_diff_id ? xstrdup(r->in_diff_id) : NULL;
	return r->absent ? 0 : copy_in(img, r->fd, r->path);
}

/* Put the new blob tmp in place; r gets what it is. */
static int put_layer(struct image *img, struct blobres *r, const char *tmp, bool docker,
		     bool layout, int target)
{
	struct buf dst = BUF_INIT;
	unsigned char d[32];
	char hex[65];
	int rc = -1;

	if (file_sha256(tmp, d, &r->size) != 0) {
		fail(img, "cannot read '%s': %s", tmp, strerror(errno));
		goto out;
	}
	hex32(d, hex);
	r->digest = xdigest(d);
	r->changed = true;
	if (target != r->comp)
		r->media_type = xstrdup(layer_media_type(docker, target));
	if (layout) {
		r->path = blob_rel(r->digest);
	} else {
		buf_addf(&dst, "%s.tar", hex);
		r->path = buf_detach(&dst, NULL);
	}
	buf_addf(&dst, "%s/%s", img->out, r->path);
	if (rename(tmp, dst.p) != 0) {
		fail(img, "cannot rename to '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	r->row.blob_after = r->size;
	rc = 0;
out:
	buf_release(&dst);
	return rc;
}

/*
 * Make the output of the checked layer r, once whatever the number of
 * images that name it.  layout: it goes to blobs/sha256/, else to
 * "<hex>.tar" at the top (a docker-archive).  A layer whose content did
 * not change and that keeps its compression keeps its original blob; any
 * other is rewritten, even when its blob grows, so that the output holds
 * what the report says.  The layer's own report is merged into the
 * image's: all of it for a rewritten layer, what stays true for a kept one.
 */
static int do_layer(struct image *img, struct blobres *r, bool docker, bool layout)
{
	struct report lrep;
	struct layer_result res;
	struct buf dir = BUF_INIT;
	char proc[64], *tmp = NULL;
	int target, rc = -1;
	bool keep;

	if (r->done)
		return 0;
	r->done = true;
	report_init(&lrep, img->o->dry_run);
	if (r->comp == LC_FOREIGN) { /* not ours to change */
		rc = keep_layer(img, r, layout);
		goto out;
	}
	target = img->target == COMPRESS_AUTO ? r->comp : img->target;
	if (docker && target == LC_ZSTD) {
		fail(img, "zstd compression is not supported for docker images: use --compress gzip, "
			  "or an OCI layout");
		goto out;
	}
	buf_addf(&dir, "%s%s", img->out, layout ? "/blobs/sha256" : "");
	if (mkparents(img->out, layout ? "blobs/sha256/x" : "x") != 0) {
		fail(img, "cannot create '%s': %s", dir.p, strerror(errno));
		goto out;
	}
	tmp = tmp_name(dir.p);
	/* the checked file itself, not a name that could lead elsewhere by now */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
	if (layer_process(&img->lo, proc, tmp, target, &lrep, &res) != 0) {
		fail(img, "layer '%s': %s", (r->name), layer_error(&lrep, proc));
		goto out;
	}
	keep = target == r->comp && lrep.nchanges == 0 && lrep.superseded == 0;
	report_merge(img->rep, &lrep, keep);
	if (keep) {
		unlink(tmp);
		rc = keep_layer(img, r, layout);
		goto out;
	}
	r->row.tar_before = res.tar_in;
	r->row.blob_before = r->in_size;
	r->row.tar_after = res.tar_out;
	r->row.strip_saved = lrep.strip.before - lrep.strip.after;
	r->row.rules_saved = report_rules_bytes(&lrep);
	r->row.dedup_saved = lrep.dup_bytes_saved;
	r->diff_id = xdigest(res.diff_id);
	rc = put_layer(img, r, tmp, docker, layout, target);
out:
	if (rc && tmp)
		unlink(tmp);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(tmp);
	buf_release(&dir);
	report_release(&lrep);
	return rc;
}

/* Is the checked layer r (the i-th of image label) the one its config's
 * rootfs.diff_ids names?  A layer changed after the image was built is not. */
static int diff_check(struct image *img, const char *label, size_t i, const struct blobres *r,
		      const char *want)
{
	if (r->absent || strcmp(r->in_diff_id, want) == 0)
		return 0;
	return fail(img, "image '%s': layer %zu ('%s') is not the layer its config names: its tar is "
			 "%s, rootfs.diff_ids[%zu] is %s (changed after the image was built?)",
		    (label), i, (r->name), r->in_diff_id, i, want);
}

/* Add the report rows of one image's layers (waste needs them all). */
static void report_layers(struct image *img, const char *label, struct blobres **ls,
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

/* ---- manifests and indexes --------------------------------------------------------------- */

static struct blobres *do_manifest(struct image *img, const struct image_desc *d, int depth);

static struct blobres *dropped(struct image *img, const char *key)
{
	struct blobres *r = memo_get(img, key);

	if (!r)
		r = memo_add(img, key);
	r->dropped = true;
	return r;
}

/* The memo key of a config: "config:" and its digest. */
static char *config_key(const char *digest)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "config:%s", digest);
	return buf_detach(&b, NULL);
}

/* Write a manifest-like blob: the original bytes (data, checked against
 * d) when nothing changed (newdata NULL), else newdata. */
static int settle(struct image *img, struct blobres *r, const struct image_desc *d,
		  const char *data, size_t len, const char *newdata, size_t newlen)
{
	if (!newdata) {
		r->digest = xstrdup(d->digest);
		r->size = d->size;
		r->path = blob_rel(d->digest);
		return put_file(img, r->path, data, len);
	}
	if (put_blob(img, newdata, newlen, &r->digest) != 0)
		return -1;
	r->size = newlen;
	r->path = blob_rel(r->digest);
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

/* Check every layer of the image before any is processed: its blob against
 * its descriptor, its tar stream against the config's diff_id.  Then make
 * each one's output. */
static int image_layers(struct image *img, struct oimage *x)
{
	size_t i, n = x->m.nlayers;

	x->ls = xcalloc(n + 1, sizeof(*x->ls));
	for (i = 0; i < n; i++) {
		const struct image_desc *l = &x->m.layers[i];
		int comp = layer_compression(l->media_type);
		char *rel = blob_rel(l->digest);
		if (comp == LC_UNKNOWN)
			fail(img, "image '%s': layer %zu (%s): unknown media type '%s'",
			     (x->label), i, l->digest, (l->media_type));
		else
			x->ls[i] = check_layer(img, l->digest, rel, l->digest, l->digest,
					       (int64_t)l->size, comp);
		free(rel);
		if (!x->ls[i] || diff_check(img, x->label, i, x->ls[i], x->c.diff_ids[i]) != 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (do_layer(img, x->ls[i], x->m.docker, true) != 0)
			return -1;
		x->changed |= x->ls[i]->changed;
	}
	return 0;
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
			fail(img, "config %s: %s", x->m.config.digest, e.msg ? e.msg : "cannot write it");
			goto out;
		}
	}
	ncfg.digest = cr->digest;
	ncfg.size = cr->size;
	nm = image_manifest_rewrite(x->data, x->len, &ncfg, nl, n, &len, &e);
	if (!nm) {
		fail(img, "manifest %s: %s", x->d->digest, e.msg);
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
	char *crel = blob_rel(x->m.config.digest);
	int rc = -1;

	if (read_small(img, crel, x->m.config.digest, (int64_t)x->m.config.size, &x->cdata,
		       &x->clen) != 0)
		goto out;
	if (image_config_parse(x->cdata, x->clen, &x->c, &e) != 0) {
		fail(img, "config %s: %s", x->m.config.digest, e.msg);
		goto out;
	}
	x->label = platform_str(x->d->platform.os ? &x->d->platform : &x->c.platform);
	*wanted = !img->have_want ||
		  image_platform_match(&img->want, x->d->platform.os ? &x->d->platform : &x->c.platform);
	if (*wanted && x->m.nlayers != x->c.ndiff_ids)
		fail(img, "manifest %s: %zu layers but %zu diff_ids in its config", x->d->digest,
		     x->m.nlayers, x->c.ndiff_ids);
	else if (*wanted && x->m.docker && img->target == COMPRESS_ZSTD)
		fail(img, "manifest %s is a Docker v2 manifest (%s): zstd compression is not "
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
		fail(img, "manifest %s: %s", d->digest, e.msg);
		goto out;
	}
	if (x.m.artifact) {
		img->dropped_other++;
		r = dropped(img, d->digest);
		goto out;
	}
	if (image_config(img, &x, &wanted) != 0)
		goto out;
	ck = config_key(x.m.config.digest);
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
	report_layers(img, x.label, x.ls, before, x.m.nlayers);
	r = memo_get(img, d->digest);
	if (!r)
		r = memo_add(img, d->digest);
	cr = memo_get(img, ck);
	if (!cr)
		cr = memo_add(img, ck);
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

static bool is_index_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0);
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
		return fail(img, "%s: indexes nested too deep", what);
	if (image_index_parse(data, len, &x, &e) != 0) {
		fail(img, "%s: %s", what, e.msg);
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
			fail(img, "%s: %s", what, e.msg);
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
	const char *mt = d->media_type;
	size_t len, nlen = 0, kept;
	json_t *j = NULL;

	if (r)
		return r;
	if (d->attestation) {
		img->dropped_attest++;
		return dropped(img, d->digest);
	}
	rel = blob_rel(d->digest);
	if (read_small(img, rel, d->digest, (int64_t)d->size, &data, &len) != 0)
		goto out;
	if (!mt) { /* no media type in the descriptor: the blob's own, or its shape */
		j = json_loadb(data, len, 0, NULL);
		if (json_is_string(json_object_get(j, "mediaType")))
			mt = json_string_value(json_object_get(j, "mediaType"));
		else if (json_object_get(j, "manifests"))
			mt = MT_OCI_INDEX;
		else if (json_object_get(j, "layers"))
			mt = MT_OCI_MANIFEST;
	}
	if (is_index_type(mt)) {
		if (do_index(img, d->digest, data, len, depth, &ndata, &nlen, &kept) != 0)
			goto out;
		if (!kept) {
			r = dropped(img, d->digest);
			goto out;
		}
		r = memo_add(img, d->digest);
		if (settle(img, r, d, data, len, ndata, nlen) != 0)
			r = NULL;
	} else if (is_manifest_type(mt)) {
		r = do_image(img, d, data, len);
	} else {
		img->dropped_other++; /* an artifact: a signature, an SBOM, ... */
		r = dropped(img, d->digest);
	}
out:
	json_decref(j);
	free(rel);
	free(data);
	free(ndata);
	return r;
}

/* The OCI layout: index.json and what it names. */
static int do_layout(struct image *img)
{
	char *data = NULL, *ndata = NULL;
	size_t len, nlen = 0, kept;
	int rc = -1;

	if (read_small(img, "index.json", NULL, -1, &data, &len) != 0)
		return -1;
	if (do_index(img, "index.json", data, len, 0, &ndata, &nlen, &kept) != 0)
		goto out;
	if (!kept) {
		fail(img, "no image left in index.json%s", img->have_want ? " for --platform" : "");
		goto out;
	}
	if (put_file(img, "index.json", ndata ? ndata : data, ndata ? nlen : len) != 0)
		goto out;
	free(data);
	data = NULL;
	if (read_small(img, "oci-layout", NULL, -1, &data, &len) != 0 ||
	    put_file(img, "oci-layout", data, len) != 0)
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

/* Check every layer of the image (its tar stream against the config's
 * diff_id) before any is processed; then make each one's output. */
static int docker_layers(struct image *img, struct dimage *y)
{
	size_t i, n = y->x->nlayers;

	y->ls = xcalloc(n + 1, sizeof(*y->ls));
	for (i = 0; i < n; i++) {
		const char *p = y->x->layers[i];
		y->ls[i] = check_layer(img, NULL, p, p, NULL, -1, LC_SNIFF);
		if (!y->ls[i] || diff_check(img, y->label, i, y->ls[i], y->c.diff_ids[i]) != 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (do_layer(img, y->ls[i], true, false) != 0)
			return -1;
		y->changed |= y->ls[i]->changed;
	}
	return 0;
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
		fail(img, "'%s': %s", (y->x->config), e.msg);
		goto out;
	}
	sha256_of(nc, len, d);
	got = xdigest(d);
	ck = y->named ? config_key(y->named) : NULL;
	cr = ck ? memo_get(img, ck) : NULL;
	if (cr && cr->path && cr->digest && strcmp(cr->digest, got) == 0) {
		*cfg = xstrdup(cr->path);
		rc = 0;
		goto out;
	}
	hex32(d, h);
	buf_addf(&name, "%s.json", h);
	if (put_file(img, name.p, nc, len) == 0) {
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
	y.named = named_digest(x->config);
	if (read_small(img, x->config, y.named, -1, &y.cdata, &y.clen) != 0)
		goto out;
	if (image_config_parse(y.cdata, y.clen, &y.c, &e) != 0) {
		fail(img, "'%s': %s", (x->config), e.msg);
		goto out;
	}
	if (img->have_want && !image_platform_match(&img->want, &y.c.platform)) {
		img->dropped_platforms++;
		rc = 0;
		goto out;
	}
	if (x->nlayers != y.c.ndiff_ids) {
		fail(img, "'%s': %zu layers but %zu diff_ids", (x->config), x->nlayers,
		     y.c.ndiff_ids);
		goto out;
	}
	y.label = x->tag ? xstrdup(x->tag) : platform_str(&y.c.platform);
	if (docker_layers(img, &y) != 0)
		goto out;
	for (i = 0; i < x->nlayers; i++)
		lay[i] = y.ls[i]->path;
	report_layers(img, y.label, y.ls, (const char *const *)x->layers, x->nlayers);
	if (y.changed) {
		rc = docker_config(img, &y, cfg);
	} else if (put_file(img, x->config, y.cdata, y.clen) == 0) {
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
		return fail(img, "a docker-archive cannot hold zstd layers (zstd compression is not "
				 "supported for docker images): use --compress gzip or none, or an "
				 "OCI layout");
	}
	if (read_small(img, "manifest.json", NULL, -1, &data, &len) != 0)
		return -1;
	if (image_docker_parse(data, len, &dk, &e) != 0) {
		fail(img, "%s", e.msg);
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
		fail(img, "no image left in manifest.json%s", img->have_want ? " for --platform" : "");
		goto out;
	}
	ndata = image_docker_rewrite(data, len, cfg, lay, dk.n, &nlen, &e);
	if (!ndata) {
		fail(img, "%s", e.msg);
		goto out;
	}
	rc = put_file(img, "manifest.json", ndata, nlen);
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

/* ---- output -------------------------------------------------------------------------------- */

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Add root/rel (a directory, recursively, in name order) to the tar w. */
static int tar_add(struct image *img, struct archive *w, const char *root, const char *rel)
{
	struct dirent **names = NULL;
	struct archive_entry *ae = archive_entry_new();
	struct buf path = BUF_INIT, sub = BUF_INIT;
	struct stat st;
	char *buf = NULL;
	int n = 0, i, fd = -1, rc = -1;

	buf_addf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	if (lstat(path.p, &st) != 0) {
		fail(img, "cannot stat '%s': %s", path.p, strerror(errno));
		goto out;
	}
	if (*rel) {
		archive_entry_set_pathname(ae, rel);
		archive_entry_set_filetype(ae, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(ae, S_ISDIR(st.st_mode) ? 0755 : 0644);
		archive_entry_set_size(ae, S_ISDIR(st.st_mode) ? 0 : st.st_size);
		archive_entry_set_mtime(ae, img->o->clamp_mtime ? img->o->mtime : 0, 0);
		if (archive_write_header(w, ae) != ARCHIVE_OK) {
			fail(img, "cannot write the image tar: %s", archive_error_string(w));
			goto out;
		}
	}
	if (S_ISREG(st.st_mode)) {
		ssize_t k;
		buf = xmalloc(CHUNK);
		fd = open(path.p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fail(img, "cannot open '%s': %s", path.p, strerror(errno));
			goto out;
		}
		while ((k = read(fd, buf, CHUNK)) != 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 || archive_write_data(w, buf, (size_t)k) != k) {
				fail(img, "cannot write the image tar: %s",
				     k < 0 ? strerror(errno) : archive_error_string(w));
				goto out;
			}
		}
		rc = 0;
		goto out;
	}
	n = scandir(path.p, &names, skip_dots, name_cmp);
	if (n < 0) {
		fail(img, "cannot read '%s': %s", path.p, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_setlen(&sub, 0);
		buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]->d_name);
		if (tar_add(img, w, root, sub.p) != 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (fd >= 0)
		close(fd);
	free(buf);
	archive_entry_free(ae);
	buf_release(&path);
	buf_release(&sub);
	return rc;
}

/* Tar img->out into tmp (a new file). */
static int write_tar(struct image *img, const char *tmp)
{
	struct archive *w = archive_write_new();
	int rc = -1;

	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_none(w);
	if (archive_write_open_filename(w, tmp) != ARCHIVE_OK) {
		fail(img, "cannot create '%s': %s", tmp, archive_error_string(w));
		goto out;
	}
	if (tar_add(img, w, img->out, "") != 0)
		goto out;
	if (archive_write_close(w) != ARCHIVE_OK) {
		fail(img, "cannot write '%s': %s", tmp, archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(w);
	return rc;
}

/* Move the finished tree into place. */
static int finish(struct image *img)
{
	const char *out = img->o->output;
	char *tmp = NULL;
	int rc = -1;

	if (!img->tar_in) {
		if (rename(img->out, out) != 0)
			return fail(img, "cannot rename to '%s': %s%s", out, strerror(errno),
				    errno == ENOTEMPTY || errno == EEXIST ? " (it must not exist, or be empty)" : "");
		free(img->out);
		img->out = NULL;
		return 0;
	}
	tmp = tmp_name(img->scratch);
	if (write_tar(img, tmp) != 0)
		goto out;
	if (rename(tmp, out) != 0) {
		fail(img, "cannot rename to '%s': %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The scratch directory: beside the output (same file system: renames),
 * or under $TMPDIR for a dry run. */
static int make_scratch(struct image *img)
{
	const char *o = img->o->output, *tmpdir = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	char *dir;

	if (img->o->dry_run || !o) {
		buf_addf(&b, "%s/slim-image.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(b.p)) {
			fail(img, "cannot create a directory in %s: %s", tmpdir ? tmpdir : "/tmp",
			     strerror(errno));
			buf_release(&b);
			return -1;
		}
		img->scratch = buf_detach(&b, NULL);
	} else {
		const char *slash = strrchr(o, '/');
		if (slash)
			buf_addf(&b, "%.*s", (int)(slash == o ? 1 : slash - o), o);
		else
			buf_adds(&b, ".");
		dir = buf_detach(&b, NULL);
		img->scratch = tmp_name(dir);
		free(dir);
		if (mkdir(img->scratch, 0755) != 0) {
			fail(img, "cannot create '%s': %s", img->scratch, strerror(errno));
			free(img->scratch);
			img->scratch = NULL;
			return -1;
		}
	}
	buf_addf(&b, "%s/out", img->scratch);
	img->out = buf_detach(&b, NULL);
	if (mkdir(img->out, 0755) != 0)
		return fail(img, "cannot create '%s': %s", img->out, strerror(errno));
	if (img->tar_in) {
		buf_addf(&b, "%s/in", img->scratch);
		img->in = buf_detach(&b, NULL);
		if (mkdir(img->in, 0755) != 0)
			return fail(img, "cannot create '%s': %s", img->in, strerror(errno));
	} else {
		img->in = xstrdup(img->input);
	}
	return 0;
}

/* Is path missing, or an empty directory? */
static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static bool warned;

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
		return fail(img, "%s", strerror(errno));
	img->tar_in = !S_ISDIR(st.st_mode);
	if (!o->output && !o->dry_run)
		return fail(img, "an image: give -o OUT for a slimmed copy");
	if (o->output && !o->dry_run && stat(o->output, &st) == 0 &&
	    S_ISDIR(st.st_mode) == img->tar_in)
		return fail(img, "'%s' exists and is %s", (o->output),
			    img->tar_in ? "a directory (a tar image makes a tar)"
					: "not a directory (an image layout makes a directory)");
	if (o->output && !o->dry_run && !img->tar_in && !dir_empty(o->output))
		return fail(img, "'%s' exists and is not empty (an image layout goes to a new "
				 "directory)", (o->output));
	/* layers are read by layer_process through the checked file's descriptor */
	if (access("/proc/self/fd", X_OK) != 0)
		return fail(img, "/proc is not mounted: slim reads image layers through "
				 "/proc/self/fd");
	if (make_scratch(img) != 0)
		return -1;
	bound_init(&img->bound, 0, o->max_ratio);
	if (img->tar_in && unpack(img) != 0)
		return -1;
	img->infd = open(img->in, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (img->infd < 0)
		return fail(img, "%s", strerror(errno));
	return 0;
}

int image_run(const struct slim_opts *o, const char *input, struct report *rep)
{
	struct image img = { .o = o, .rep = rep, .input = input, .infd = -1, .err = ERR_INIT };
	bool layout, docker;
	int rc = -1;

	report_add_root(rep, input);
	rep->image = true;
	img.lo = *o;
	img.lo.dry_run = false; /* every write goes to the scratch directory */
	img.target = o->compress;
	if (!warned && !o->quiet) {
		fprintf(stderr, "slim: warning: signatures and attestations of '%s' do not apply to "
				"the slimmed image\n", esc(&img, input));
		warned = true;
	}
	if (image_open(&img) != 0)
		goto out;
	layout = in_exists(&img, "oci-layout") && in_exists(&img, "index.json");
	docker = in_exists(&img, "manifest.json");
	if (!layout && !docker) {
		fail(&img, "not an image: no manifest.json, and no oci-layout with index.json");
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
				"the output\n", esc(&img, o->platform), img.dropped_platforms);
	if ((img.dropped_attest || img.dropped_other) && !o->quiet)
		fprintf(stderr, "slim: dropped %u attestation and %u other non-image manifest(s) "
				"(signatures, SBOMs) that name the original image\n",
			img.dropped_attest, img.dropped_other);
	if (!o->dry_run && finish(&img) != 0)
		goto out;
	rc = 0;
out:
	if (rc)
		report_error(rep, input, img.err.msg ? img.err.msg : "cannot process the image");
	if (img.infd >= 0)
		close(img.infd);
	smap_release(&img.memo, blobres_free);
	smap_release(&img.alias, free);
	rm_tree(img.scratch);
	free(img.scratch);
	free(img.in);
	free(img.out);
	image_platform_release(&img.want);
	strpool_release(&img.names);
	err_release(&img.err);
	return rc;
}

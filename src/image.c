/* image.c - whole images offline: a saved image in, a smaller valid image out.
 *
 * The input is read from a directory: an OCI layout as it is, or the tar of
 * an image unpacked into a scratch directory first (regular files only;
 * the symlinks and hard links a docker-archive uses between its files are
 * remembered as aliases, never created).  The output is built in a staging
 * directory, which becomes the output by one rename (a layout) or is tarred
 * to a temporary name that is renamed over the output (a tar).
 *
 * Each blob is handled once, whatever number of manifests name it: the
 * memo maps an input blob (by digest, or by path for a docker-archive's
 * layer files) to what it became.
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
#include <unistd.h>
#include <nettle/sha2.h>
#include <xxhash.h>

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

struct wset {
	char **key;
	unsigned char *flag;
	size_t n, cap;
};

static size_t ws_slot(const struct wset *s, const char *k, size_t len)
{
	size_t mask = s->cap - 1, i = XXH3_64bits(k, len) & mask;

	while (s->key[i] && (strlen(s->key[i]) != len || memcmp(s->key[i], k, len) != 0))
		i = (i + 1) & mask;
	return i;
}

static unsigned ws_get(const struct wset *s, const char *k, size_t len)
{
	size_t i;

	if (!s->cap)
		return 0;
	i = ws_slot(s, k, len);
	return s->key[i] ? s->flag[i] : 0;
}

static void ws_put(struct wset *s, const char *k, unsigned f)
{
	size_t i, len = strlen(k);

	if ((s->n + 1) * 2 > s->cap) {
		struct wset big = { xcalloc(s->cap ? s->cap * 2 : 256, sizeof(char *)),
				    xcalloc(s->cap ? s->cap * 2 : 256, 1), s->n,
				    s->cap ? s->cap * 2 : 256 };
		for (i = 0; i < s->cap; i++)
			if (s->key[i]) {
				size_t j = ws_slot(&big, s->key[i], strlen(s->key[i]));
				big.key[j] = s->key[i];
				big.flag[j] = s->flag[i];
			}
		free(s->key);
		free(s->flag);
		*s = big;
	}
	i = ws_slot(s, k, len);
	if (!s->key[i]) {
		s->key[i] = xstrdup(k);
		s->n++;
	}
	s->flag[i] |= (unsigned char)f;
}

static bool ws_hidden(const struct wset *s, const char *path)
{
	const char *p;

	if (ws_get(s, path, strlen(path)) & (W_EXACT | W_SUBTREE))
		return true;
	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/'))
		if (ws_get(s, path, (size_t)(p - path)) & (W_SUBTREE | W_BELOW))
			return true;
	return false;
}

void image_waste(const struct image_entries *const *layers, size_t n, uint64_t *waste)
{
	struct wset s = { NULL, NULL, 0, 0 };
	size_t i, k;

	for (i = n; i-- > 0;) {
		const struct image_entries *l = layers[i];
		waste[i] = 0;
		for (k = 0; k < l->n; k++)
			if (l->e[k].kind == IMAGE_E_FILE && ws_hidden(&s, l->e[k].path))
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
	for (i = 0; i < s.cap; i++)
		free(s.key[i]);
	free(s.key);
	free(s.flag);
}

/* ---- detection ------------------------------------------------------------------ */

static bool is_image_member(const char *name, bool compressed)
{
	char *p = path_normalize(name, false, NULL);
	bool yes = strcmp(p, "manifest.json") == 0 || strcmp(p, "oci-layout") == 0;
	size_t i;

	/* a compressed tar is only looked at through its first entries, where an
	 * image has its blobs and layer files, named by digests */
	if (!yes && compressed) {
		yes = strncmp(p, "blobs/sha256/", 13) == 0 || strcmp(p, "blobs") == 0;
		if (!yes && strlen(p) >= 64) {
			for (i = 0; i < 64 && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'));
			     i++)
				;
			yes = i == 64 && (!p[64] || p[64] == '/' || strcmp(p + 64, ".tar") == 0 ||
					  strcmp(p + 64, ".json") == 0);
		}
	}
	free(p);
	return yes;
}

bool image_detect(const char *path)
{
	struct archive *a;
	struct archive_entry *ae;
	struct stat st;
	bool found = false, compressed;
	int n = 0, fd;

	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode)) {
		struct buf b = BUF_INIT;
		bool yes;
		buf_addf(&b, "%s/oci-layout", path);
		yes = access(b.p, F_OK) == 0;
		buf_setlen(&b, 0);
		buf_addf(&b, "%s/index.json", path);
		yes = yes && access(b.p, F_OK) == 0;
		buf_release(&b);
		return yes;
	}
	if (!S_ISREG(st.st_mode) || !layer_detect(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, CHUNK) == ARCHIVE_OK) {
		compressed = archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
		while (!found && !(compressed && n >= 16)) {
			int r = archive_read_next_header(a, &ae);
			if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
				break;
			found = is_image_member(archive_entry_pathname(ae), compressed);
			n++;
		}
	}
	archive_read_free(a);
	close(fd);
	return found;
}

/* ---- the run: state ------------------------------------------------------------- */

/* What an input blob (a layer, config, manifest or index) became. */
struct blobres {
	char *key;          /* the input digest, or a docker-archive's path */
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

struct alias {
	char *from, *to;
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
	char *out;                /* the output tree being built */
	bool tar_in;
	struct alias *alias;
	size_t nalias, capalias;
	struct blobres **memo;
	size_t nmemo, capmemo;
	struct err err;           /* the first fatal error */
	bool layer_failed;        /* layer_process already reported it */
	unsigned dropped_platforms, dropped_attest, dropped_other;
};

static int fail(struct image *img, const char *fmt, ...) SLIM_PRINTF(2, 3);
static int fail(struct image *img, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	if (img->err.msg || img->layer_failed)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	err_set(&img->err, "%s", b.p);
	buf_release(&b);
	return -1;
}

static struct blobres *memo_get(struct image *img, const char *key)
{
	size_t i;

	for (i = 0; i < img->nmemo; i++)
		if (strcmp(img->memo[i]->key, key) == 0)
			return img->memo[i];
	return NULL;
}

static struct blobres *memo_add(struct image *img, const char *key)
{
	struct blobres *r = xcalloc(1, sizeof(*r));

	r->key = xstrdup(key);
	xgrow(&img->memo, &img->capmemo, img->nmemo + 1, sizeof(*img->memo));
	img->memo[img->nmemo++] = r;
	return r;
}

static void memo_free(struct image *img)
{
	size_t i;

	for (i = 0; i < img->nmemo; i++) {
		struct blobres *r = img->memo[i];
		free(r->key);
		free(r->path);
		free(r->digest);
		free(r->diff_id);
		free(r->media_type);
		image_entries_release(&r->ents);
		free(r);
	}
	free(img->memo);
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

/* Copy (or hard-link) the input file src to out/rel. */
static int copy_in(struct image *img, const char *src, const char *rel)
{
	struct buf dst = BUF_INIT;
	char *tmp = NULL, *dir;
	int in = -1, fd = -1, rc = -1;
	struct stat st;

	buf_addf(&dst, "%s/%s", img->out, rel);
	if (access(dst.p, F_OK) == 0) { /* already there: the same blob */
		rc = 0;
		goto out;
	}
	if (mkparents(img->out, rel) != 0) {
		fail(img, "cannot create the directories of '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	dir = xstrdup(dst.p);
	*strrchr(dir, '/') = '\0';
	tmp = tmp_name(dir);
	free(dir);
	if (link(src, tmp) != 0) {
		in = open(src, O_RDONLY | O_CLOEXEC);
		if (in < 0 || fstat(in, &st) != 0) {
			fail(img, "cannot open '%s': %s", src, strerror(errno));
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			fail(img, "cannot create '%s': %s", tmp, strerror(errno));
			goto out;
		}
		for (;;) {
			char b[1 << 16];
			ssize_t k = read(in, b, sizeof(b));
			if (k == 0)
				break;
			if ((k < 0 && errno != EINTR) || (k > 0 && write_all(fd, b, (size_t)k) != 0)) {
				fail(img, "cannot copy '%s': %s", src, strerror(errno));
				goto out;
			}
		}
		if (close(fd) != 0) {
			fd = -1;
			fail(img, "cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
		fd = -1;
	}
	if (rename(tmp, dst.p) != 0) {
		fail(img, "cannot rename to '%s': %s", dst.p, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	buf_release(&dst);
	return rc;
}

/* sha256 and size of a file. */
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

/* Resolve target (of a symlink at link) to a path in the archive; NULL if it
 * leaves it. */
static char *resolve_target(const char *link, const char *target)
{
	struct buf b = BUF_INIT, all = BUF_INIT;
	const char *slash = strrchr(link, '/'), *s;
	char *p;

	if (*target == '/')
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

static void alias_add(struct image *img, char *from, char *to)
{
	xgrow(&img->alias, &img->capalias, img->nalias + 1, sizeof(*img->alias));
	img->alias[img->nalias].from = from;
	img->alias[img->nalias++].to = to;
}

/* Unpack the image tar into img->in: directories and regular files only. */
static int unpack(struct image *img)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct buf path = BUF_INIT;
	char *buf = xmalloc(CHUNK);
	int r, rc = -1, fd = -1;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, img->input, CHUNK) != ARCHIVE_OK) {
		fail(img, "%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char *name = path_normalize(archive_entry_pathname(ae), false, NULL);
		mode_t type = archive_entry_filetype(ae);
		const char *hl = archive_entry_hardlink(ae);

		if (!*name) { /* "./" */
			free(name);
			continue;
		}
		if (!image_path_valid(name)) {
			fail(img, "entry '%s': unsafe path", archive_entry_pathname(ae));
			free(name);
			goto out;
		}
		buf_setlen(&path, 0);
		buf_addf(&path, "%s/%s", img->in, name);
		if (hl || type == AE_IFLNK) {
			char *to = hl ? path_normalize(hl, false, NULL) : resolve_target(name, archive_entry_symlink(ae));
			if (to && image_path_valid(to))
				alias_add(img, name, to);
			else {
				free(to);
				free(name);
			}
			continue;
		}
		if (type == AE_IFDIR) {
			if (mkparents(img->in, name) != 0 || (mkdir(path.p, 0755) != 0 && errno != EEXIST)) {
				fail(img, "cannot create '%s': %s", path.p, strerror(errno));
				free(name);
				goto out;
			}
			free(name);
			continue;
		}
		if (type != AE_IFREG) {
			free(name);
			continue;
		}
		if (mkparents(img->in, name) != 0) {
			fail(img, "cannot create the directories of '%s': %s", path.p, strerror(errno));
			free(name);
			goto out;
		}
		free(name);
		unlink(path.p); /* the later of two entries wins, as in tar */
		fd = open(path.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			fail(img, "cannot create '%s': %s", path.p, strerror(errno));
			goto out;
		}
		for (;;) {
			la_ssize_t k = archive_read_data(a, buf, CHUNK);
			if (k == 0)
				break;
			if (k < 0) {
				fail(img, "entry '%s': %s", archive_entry_pathname(ae), archive_error_string(a));
				goto out;
			}
			if (write_all(fd, buf, (size_t)k) != 0) {
				fail(img, "cannot write '%s': %s", path.p, strerror(errno));
				goto out;
			}
		}
		if (close(fd) != 0) {
			fd = -1;
			fail(img, "cannot write '%s': %s", path.p, strerror(errno));
			goto out;
		}
		fd = -1;
	}
	if (r != ARCHIVE_EOF) {
		fail(img, "%s", archive_error_string(a) ? archive_error_string(a) : "cannot read the image");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	buf_release(&path);
	archive_read_free(a);
	return rc;
}

/* The input file for rel (aliases followed); caller frees.  NULL: unsafe. */
static char *in_path(struct image *img, const char *rel)
{
	struct buf b = BUF_INIT;
	int hops;
	size_t i;

	if (!image_path_valid(rel))
		return NULL;
	for (hops = 0; hops < 16; hops++) {
		for (i = 0; i < img->nalias; i++)
			if (strcmp(img->alias[i].from, rel) == 0)
				break;
		if (i == img->nalias)
			break;
		rel = img->alias[i].to;
	}
	buf_addf(&b, "%s/%s", img->in, rel);
	return buf_detach(&b, NULL);
}

static bool in_exists(struct image *img, const char *rel)
{
	char *p = in_path(img, rel);
	struct stat st;
	bool yes = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return yes;
}

/* Read a small input file (a manifest, config, index) in full; when digest
 * is given, check it (and size, unless it is 0). */
static int read_small(struct image *img, const char *rel, const char *digest, uint64_t size,
		      char **data, size_t *len)
{
	char *p = in_path(img, rel);
	struct err e = ERR_INIT;
	struct stat st;
	int fd = -1, rc = -1;

	*data = NULL;
	*len = 0;
	if (!p) {
		fail(img, "'%s': unsafe path", rel);
		goto out;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fail(img, "cannot open '%s': %s", rel, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_JSON) {
		fail(img, "'%s': not a regular file of at most %u bytes", rel, MAX_JSON);
		goto out;
	}
	if (fsu_read_all(fd, (size_t)st.st_size, (unsigned char **)data, &e) != 0) {
		fail(img, "cannot read '%s': %s", rel, e.msg);
		goto out;
	}
	*len = (size_t)st.st_size;
	if (digest) {
		struct sha256_ctx c;
		unsigned char d[32];
		char *got;
		sha256_init(&c);
		sha256_update(&c, *len, (const uint8_t *)*data);
		sha256_digest(&c, 32, d);
		got = xdigest(d);
		if (strcmp(got, digest) != 0 || (size && size != *len)) {
			fail(img, "blob '%s' does not match its descriptor (digest or size)", rel);
			free(got);
			goto out;
		}
		free(got);
	}
	rc = 0;
out:
	if (rc) {
		free(*data);
		*data = NULL;
	}
	err_release(&e);
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

static char *blob_rel(const char *digest)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "blobs/sha256/%s", digest + 7);
	return buf_detach(&b, NULL);
}

/* ---- layers --------------------------------------------------------------------------- */

/* Reading a blob through libarchive while hashing its raw bytes. */
struct hashread {
	int fd;
	struct sha256_ctx sha;
	uint64_t bytes;
	char buf[CHUNK];
};

static la_ssize_t hr_read(struct archive *a, void *ctx, const void **out)
{
	struct hashread *h = ctx;
	ssize_t k;

	(void)a;
	do
		k = read(h->fd, h->buf, sizeof(h->buf));
	while (k < 0 && errno == EINTR);
	if (k > 0) {
		sha256_update(&h->sha, (size_t)k, (const uint8_t *)h->buf);
		h->bytes += (uint64_t)k;
	}
	*out = h->buf;
	return k;
}

/* List the entries of the layer blob at path into ents; d gets the blob's
 * sha256 and *size its length. */
static int list_layer(struct image *img, const char *path, struct image_entries *ents,
		      unsigned char d[32], uint64_t *size)
{
	struct hashread *h = xmalloc(sizeof(*h));
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r, rc = -1;
	ssize_t k;

	h->fd = open(path, O_RDONLY | O_CLOEXEC);
	h->bytes = 0;
	sha256_init(&h->sha);
	if (h->fd < 0) {
		fail(img, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, h, NULL, hr_read, NULL) != ARCHIVE_OK) {
		fail(img, "layer '%s': %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		mode_t t = archive_entry_filetype(ae);
		bool reg = t == AE_IFREG && !archive_entry_hardlink(ae);
		la_int64_t sz = archive_entry_size(ae);
		image_entries_add(ents, archive_entry_pathname(ae), reg && sz > 0 ? (uint64_t)sz : 0,
				  t == AE_IFDIR, reg);
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		fail(img, "layer '%s': %s", path,
		     archive_error_string(a) ? archive_error_string(a) : "cannot read the layer");
		goto out;
	}
	/* the bytes after the end of the tar stream count for the digest too */
	while ((k = read(h->fd, h->buf, sizeof(h->buf))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			fail(img, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		sha256_update(&h->sha, (size_t)k, (const uint8_t *)h->buf);
		h->bytes += (uint64_t)k;
	}
	sha256_digest(&h->sha, 32, d);
	*size = h->bytes;
	rc = 0;
out:
	archive_read_free(a);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	return rc;
}

enum { LC_NONE = COMPRESS_NONE, LC_GZIP = COMPRESS_GZIP, LC_ZSTD = COMPRESS_ZSTD, LC_FOREIGN = -1,
       LC_UNKNOWN = -2 };

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
static int sniff_compression(const char *path)
{
	unsigned char h[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return LC_NONE;
	k = pread(fd, h, sizeof(h), 0);
	close(fd);
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

/* What the passes saved so far. */
struct saved {
	uint64_t strip, rules, dedup, superseded;
};

static void saved_now(const struct report *r, struct saved *s)
{
	s->strip = r->strip.before - r->strip.after;
	s->rules = report_rules_bytes(r);
	s->dedup = r->dup_bytes_saved;
	s->superseded = r->superseded;
}

/*
 * One layer: key names it in the memo; rel is its input file; mt its media
 * type (NULL in a docker-archive: sniffed); digest/size its descriptor's
 * (NULL/0: not checked); diff_id the config's.  layout: the output goes to
 * blobs/sha256/, else to "<hex>.tar" at the top (a docker-archive).
 */
static struct blobres *do_layer(struct image *img, const char *key, const char *rel, const char *mt,
				bool docker, const char *digest, uint64_t size, const char *diff_id,
				bool layout)
{
	struct blobres *r = memo_get(img, key);
	struct report *rep = img->rep;
	struct layer_result res;
	struct saved s0, s1;
	unsigned char d[32];
	uint64_t got_size;
	char *in = NULL, *tmp = NULL, *got = NULL, hex[65];
	struct buf dst = BUF_INIT;
	int comp, target;
	bool keep;

	if (r)
		return r;
	r = memo_add(img, key);
	in = in_path(img, rel);
	comp = mt ? layer_compression(mt) : in ? sniff_compression(in) : LC_NONE;
	if (!in) {
		fail(img, "layer '%s': unsafe path", rel);
		goto bad;
	}
	if (comp == LC_FOREIGN || comp == LC_UNKNOWN) {
		/* not ours to change: kept as it is, when it is here at all */
		if (comp == LC_UNKNOWN) {
			fail(img, "layer %s: unknown media type '%s'", key, mt);
			goto bad;
		}
		r->path = xstrdup(rel);
		r->digest = xstrdup(digest ? digest : key);
		r->size = size;
		r->diff_id = xstrdup(diff_id);
		r->row.kept = true;
		if (in_exists(img, rel) && copy_in(img, in, rel) != 0)
			goto bad;
		goto done;
	}
	target = img->target == COMPRESS_AUTO ? comp : img->target;
	if (docker && target == LC_ZSTD) {
		fail(img, "zstd compression is not supported for docker images: use --compress gzip, "
			  "or an OCI layout");
		goto bad;
	}
	if (list_layer(img, in, &r->ents, d, &got_size) != 0)
		goto bad;
	got = xdigest(d);
	if ((digest && strcmp(got, digest) != 0) || (size && got_size != size)) {
		fail(img, "layer blob %s does not match its descriptor (digest or size)", key);
		goto bad;
	}
	buf_addf(&dst, "%s%s", img->out, layout ? "/blobs/sha256" : "");
	if (mkparents(img->out, layout ? "blobs/sha256/x" : "x") != 0) {
		fail(img, "cannot create '%s': %s", dst.p, strerror(errno));
		goto bad;
	}
	tmp = tmp_name(dst.p);
	saved_now(rep, &s0);
	if (layer_process(&img->lo, in, tmp, target, rep, &res) != 0) {
		img->layer_failed = true;
		goto bad;
	}
	saved_now(rep, &s1);
	r->row.tar_before = res.tar_in;
	r->row.blob_before = res.file_in;
	r->row.strip_saved = s1.strip - s0.strip;
	r->row.rules_saved = s1.rules - s0.rules;
	r->row.dedup_saved = s1.dedup - s0.dedup;
	/* nothing gained, or a blob no smaller in the same compression: keep the original */
	keep = target == comp &&
	       ((r->row.strip_saved + r->row.rules_saved + r->row.dedup_saved == 0 &&
		 s1.superseded == s0.superseded) ||
		res.file_out >= res.file_in);
	if (keep) {
		unlink(tmp);
		rep->tar_after = rep->tar_after - res.tar_out + res.tar_in;
		rep->comp_after = rep->comp_after - res.file_out + res.file_in;
		r->row.kept = true;
		r->row.tar_after = res.tar_in;
		r->row.blob_after = res.file_in;
		r->path = layout ? blob_rel(got) : xstrdup(rel);
		r->digest = xstrdup(got);
		r->size = got_size;
		r->diff_id = xstrdup(diff_id);
		if (copy_in(img, in, r->path) != 0)
			goto bad;
		goto done;
	}
	if (file_sha256(tmp, d, &r->size) != 0) {
		fail(img, "cannot read '%s': %s", tmp, strerror(errno));
		goto bad;
	}
	hex32(d, hex);
	r->digest = xdigest(d);
	r->diff_id = xdigest(res.diff_id);
	r->changed = true;
	if (target != comp)
		r->media_type = xstrdup(layer_media_type(docker, target));
	buf_setlen(&dst, 0);
	if (layout) {
		r->path = blob_rel(r->digest);
	} else {
		buf_addf(&dst, "%s.tar", hex);
		r->path = buf_detach(&dst, NULL);
	}
	buf_setlen(&dst, 0);
	buf_addf(&dst, "%s/%s", img->out, r->path);
	if (rename(tmp, dst.p) != 0) {
		fail(img, "cannot rename to '%s': %s", dst.p, strerror(errno));
		goto bad;
	}
	r->row.tar_after = res.tar_out;
	r->row.blob_after = r->size;
done:
	free(in);
	free(tmp);
	free(got);
	buf_release(&dst);
	return r;
bad:
	if (tmp)
		unlink(tmp);
	free(in);
	free(tmp);
	free(got);
	buf_release(&dst);
	return NULL;
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

/* Keep or write a manifest-like blob: the original when nothing changed. */
static int settle(struct image *img, struct blobres *r, const struct image_desc *d, char *data,
		  size_t len, char *newdata, size_t newlen)
{
	char *in;
	int rc;

	if (!newdata) {
		r->digest = xstrdup(d->digest);
		r->size = d->size;
		r->path = blob_rel(d->digest);
		in = in_path(img, r->path);
		rc = copy_in(img, in, r->path);
		free(in);
		return rc;
	}
	(void)data;
	(void)len;
	if (put_blob(img, newdata, newlen, &r->digest) != 0)
		return -1;
	r->size = newlen;
	r->path = blob_rel(r->digest);
	r->changed = true;
	return 0;
}

/* An image manifest d (its bytes: data, len). */
static struct blobres *do_image(struct image *img, const struct image_desc *d, char *data, size_t len)
{
	struct image_manifest m;
	struct image_config c = { 0 };
	struct err e = ERR_INIT;
	struct blobres *r = NULL, **ls = NULL, *cr;
	struct image_desc *nl = NULL, ncfg = { 0 };
	const char **before = NULL;
	char *cdata = NULL, *crel = NULL, *ndata = NULL, *label = NULL, **ids = NULL;
	size_t clen, nlen, i;
	bool changed = false;
	const struct image_platform *have;

	if (image_manifest_parse(data, len, &m, &e) != 0) {
		fail(img, "manifest %s: %s", d->digest, e.msg);
		err_release(&e);
		return NULL;
	}
	if (m.artifact) {
		img->dropped_other++;
		r = dropped(img, d->digest);
		goto out;
	}
	crel = blob_rel(m.config.digest);
	if (read_small(img, crel, m.config.digest, m.config.size, &cdata, &clen) != 0)
		goto out;
	if (image_config_parse(cdata, clen, &c, &e) != 0) {
		fail(img, "config %s: %s", m.config.digest, e.msg);
		goto out;
	}
	have = d->platform.os ? &d->platform : &c.platform;
	label = platform_str(have);
	if (img->have_want && !image_platform_match(&img->want, have)) {
		img->dropped_platforms++;
		r = dropped(img, d->digest);
		dropped(img, m.config.digest);
		goto out;
	}
	if (m.nlayers != c.ndiff_ids) {
		fail(img, "manifest %s: %zu layers but %zu diff_ids in its config", d->digest,
		     m.nlayers, c.ndiff_ids);
		goto out;
	}
	if (m.docker && img->target == COMPRESS_ZSTD) {
		fail(img, "manifest %s is a Docker v2 manifest (%s): zstd compression is not "
			  "supported for docker images; use --compress gzip, or convert to OCI first",
		     d->digest, m.media_type);
		goto out;
	}
	ls = xcalloc(m.nlayers + 1, sizeof(*ls));
	nl = xcalloc(m.nlayers + 1, sizeof(*nl));
	ids = xcalloc(m.nlayers + 1, sizeof(*ids));
	before = xcalloc(m.nlayers + 1, sizeof(*before));
	for (i = 0; i < m.nlayers; i++) {
		const struct image_desc *l = &m.layers[i];
		char *rel = blob_rel(l->digest);
		ls[i] = do_layer(img, l->digest, rel, l->media_type, m.docker, l->digest, l->size,
				 c.diff_ids[i], true);
		free(rel);
		if (!ls[i])
			goto out;
		nl[i].digest = ls[i]->digest;
		nl[i].size = ls[i]->size;
		nl[i].media_type = ls[i]->media_type;
		ids[i] = ls[i]->diff_id;
		before[i] = l->digest;
		changed |= ls[i]->changed;
	}
	report_layers(img, label, ls, before, m.nlayers);
	r = memo_get(img, d->digest);
	if (!r)
		r = memo_add(img, d->digest);
	cr = memo_get(img, m.config.digest);
	if (!cr)
		cr = memo_add(img, m.config.digest);
	if (!changed) {
		if (!cr->digest && settle(img, cr, &m.config, cdata, clen, NULL, 0) != 0)
			r = NULL;
		else if (settle(img, r, d, data, len, NULL, 0) != 0)
			r = NULL;
		goto out;
	}
	if (!cr->digest) {
		size_t nclen;
		char *nc = image_config_rewrite(cdata, clen, ids, m.nlayers, &nclen, &e);
		int rc;
		if (!nc) {
			fail(img, "config %s: %s", m.config.digest, e.msg);
			r = NULL;
			goto out;
		}
		rc = settle(img, cr, &m.config, cdata, clen, nc, nclen);
		free(nc);
		if (rc) {
			r = NULL;
			goto out;
		}
	}
	ncfg.digest = cr->digest;
	ncfg.size = cr->size;
	ndata = image_manifest_rewrite(data, len, &ncfg, nl, m.nlayers, &nlen, &e);
	if (!ndata) {
		fail(img, "manifest %s: %s", d->digest, e.msg);
		r = NULL;
		goto out;
	}
	if (settle(img, r, d, data, len, ndata, nlen) != 0)
		r = NULL;
out:
	image_manifest_release(&m);
	image_config_release(&c);
	free(ls);
	free(nl);
	free(ids);
	free(before);
	free(cdata);
	free(crel);
	free(ndata);
	free(label);
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
	if (read_small(img, rel, d->digest, d->size, &data, &len) != 0)
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

	if (read_small(img, "index.json", NULL, 0, &data, &len) != 0)
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
	if (read_small(img, "oci-layout", NULL, 0, &data, &len) != 0 ||
	    put_file(img, "oci-layout", data, len) != 0)
		goto out;
	rc = 0;
out:
	free(data);
	free(ndata);
	return rc;
}

/* ---- docker-archive -------------------------------------------------------------------- */

/* The memo entry of a docker-archive path that names a layout blob, if any. */
static struct blobres *memo_of_path(struct image *img, const char *rel)
{
	struct buf b = BUF_INIT;
	struct blobres *r = NULL;

	if (strncmp(rel, "blobs/sha256/", 13) == 0) {
		buf_addf(&b, "sha256:%s", rel + 13);
		if (image_digest_valid(b.p))
			r = memo_get(img, b.p);
	}
	buf_release(&b);
	return r;
}

/* One manifest.json entry: *cfg and lay[] get its new paths (caller frees
 * *cfg only; NULL: dropped). */
static int do_docker_entry(struct image *img, const struct image_docker_entry *x, char **cfg,
			   char **lay)
{
	struct image_config c = { 0 };
	struct err e = ERR_INIT;
	struct blobres *cr = memo_of_path(img, x->config), **ls = NULL;
	const char **before = NULL;
	char *cdata = NULL, *nc = NULL, **ids = NULL, *label = NULL;
	size_t clen, nclen, i;
	bool changed = false, all = cr != NULL;
	int rc = -1;

	*cfg = NULL;
	/* the OCI layout beside it (newer Docker) did the work already */
	for (i = 0; i < x->nlayers && all; i++) {
		struct blobres *lr = memo_of_path(img, x->layers[i]);
		all = lr && lr->path;
		if (all)
			lay[i] = lr->path;
	}
	if (all) {
		if (!cr->dropped)
			*cfg = xstrdup(cr->path);
		return 0;
	}
	if (read_small(img, x->config, NULL, 0, &cdata, &clen) != 0)
		return -1;
	if (image_config_parse(cdata, clen, &c, &e) != 0) {
		fail(img, "%s: %s", x->config, e.msg);
		goto out;
	}
	if (img->have_want && !image_platform_match(&img->want, &c.platform)) {
		img->dropped_platforms++;
		rc = 0;
		goto out;
	}
	if (x->nlayers != c.ndiff_ids) {
		fail(img, "%s: %zu layers but %zu diff_ids", x->config, x->nlayers, c.ndiff_ids);
		goto out;
	}
	label = x->tag ? xstrdup(x->tag) : platform_str(&c.platform);
	ls = xcalloc(x->nlayers + 1, sizeof(*ls));
	ids = xcalloc(x->nlayers + 1, sizeof(*ids));
	before = xcalloc(x->nlayers + 1, sizeof(*before));
	for (i = 0; i < x->nlayers; i++) {
		ls[i] = do_layer(img, x->layers[i], x->layers[i], NULL, true, NULL, 0, c.diff_ids[i],
				 false);
		if (!ls[i])
			goto out;
		lay[i] = ls[i]->path;
		ids[i] = ls[i]->diff_id;
		before[i] = x->layers[i];
		changed |= ls[i]->changed;
	}
	report_layers(img, label, ls, before, x->nlayers);
	if (!changed) {
		char *in = in_path(img, x->config);
		if (copy_in(img, in, x->config) == 0) {
			*cfg = xstrdup(x->config);
			rc = 0;
		}
		free(in);
		goto out;
	}
	nc = image_config_rewrite(cdata, clen, ids, x->nlayers, &nclen, &e);
	if (!nc) {
		fail(img, "%s: %s", x->config, e.msg);
		goto out;
	}
	{
		struct sha256_ctx sc;
		unsigned char d[32];
		char h[65];
		struct buf name = BUF_INIT;
		sha256_init(&sc);
		sha256_update(&sc, nclen, (const uint8_t *)nc);
		sha256_digest(&sc, 32, d);
		hex32(d, h);
		buf_addf(&name, "%s.json", h);
		if (put_file(img, name.p, nc, nclen) == 0) {
			*cfg = buf_detach(&name, NULL);
			rc = 0;
		}
		buf_release(&name);
	}
out:
	image_config_release(&c);
	err_release(&e);
	free(cdata);
	free(nc);
	free(ids);
	free(ls);
	free(before);
	free(label);
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
	if (read_small(img, "manifest.json", NULL, 0, &data, &len) != 0)
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

int image_run(const struct slim_opts *o, const char *input, struct report *rep)
{
	struct image img = { .o = o, .rep = rep, .input = input, .err = ERR_INIT };
	struct stat st;
	bool layout, docker;
	size_t i;
	int rc = -1;

	report_add_root(rep, input);
	rep->image = true;
	img.lo = *o;
	img.lo.dry_run = false; /* every write goes to the scratch directory */
	img.target = o->compress;
	if (!warned && !o->quiet) {
		fprintf(stderr, "slim: warning: signatures and attestations of '%s' do not apply to "
				"the slimmed image\n", input);
		warned = true;
	}
	if (o->platform) {
		if (image_platform_parse(o->platform, &img.want, &img.err) != 0)
			goto out;
		img.have_want = true;
	}
	if (stat(input, &st) != 0) {
		fail(&img, "%s", strerror(errno));
		goto out;
	}
	img.tar_in = !S_ISDIR(st.st_mode);
	if (!o->output && !o->dry_run) {
		fail(&img, "an image: give -o OUT for a slimmed copy");
		goto out;
	}
	if (o->output && !o->dry_run && stat(o->output, &st) == 0 && S_ISDIR(st.st_mode) == img.tar_in) {
		fail(&img, "'%s' exists and is %s", o->output,
		     img.tar_in ? "a directory (a tar image makes a tar)"
				: "not a directory (an image layout makes a directory)");
		goto out;
	}
	if (o->output && !o->dry_run && !img.tar_in && !dir_empty(o->output)) {
		fail(&img, "'%s' exists and is not empty (an image layout goes to a new directory)",
		     o->output);
		goto out;
	}
	if (make_scratch(&img) != 0)
		goto out;
	if (img.tar_in && unpack(&img) != 0)
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
	if (layout && do_layout(&img) != 0)
		goto out;
	if (docker && do_docker(&img) != 0)
		goto out;
	if (img.dropped_platforms && !o->quiet)
		fprintf(stderr, "slim: --platform %s: dropped %u manifest(s) of other platforms from "
				"the output\n", o->platform, img.dropped_platforms);
	if ((img.dropped_attest || img.dropped_other) && !o->quiet)
		fprintf(stderr, "slim: dropped %u attestation and %u other non-image manifest(s) "
				"(signatures, SBOMs) that name the original image\n",
			img.dropped_attest, img.dropped_other);
	if (!o->dry_run && finish(&img) != 0)
		goto out;
	rc = 0;
out:
	if (rc && !img.layer_failed)
		report_error(rep, input, img.err.msg ? img.err.msg : "cannot process the image");
	rm_tree(img.scratch);
	free(img.scratch);
	free(img.in);
	free(img.out);
	for (i = 0; i < img.nalias; i++) {
		free(img.alias[i].from);
		free(img.alias[i].to);
	}
	free(img.alias);
	memo_free(&img);
	image_platform_release(&img.want);
	err_release(&img.err);
	return rc;
}

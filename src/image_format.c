/* image_format.c - the pure parts of image mode (image_format.h): digests
 * and names, platforms, media types, the JSON of manifests, indexes,
 * configs and manifest.json, parsed and rewritten.  Bytes in, values out:
 * nothing here touches a file or a report.
 */
#include "image_format.h"

#include <jansson.h>
#include <string.h>
#include <nettle/sha2.h>

/* ---- digests and names ------------------------------------------------------ */

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

void image_hex(const unsigned char d[32], char out[65])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[64] = '\0';
}

char *image_digest_str(const unsigned char d[32])
{
	char h[65];
	struct buf b = BUF_INIT;

	image_hex(d, h);
	buf_addf(&b, "sha256:%s", h);
	return buf_detach(&b, NULL);
}

void image_sha256(const void *p, size_t n, unsigned char d[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, 32, d);
}

char *image_blob_path(const char *digest)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "blobs/sha256/%s", digest + 7);
	return buf_detach(&b, NULL);
}

char *image_named_digest(const char *p)
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

char *image_platform_str(const struct image_platform *p)
{
	struct buf b = BUF_INIT;

	if (!p->os && !p->arch)
		return xstrdup("unknown");
	buf_addf(&b, "%s/%s", p->os ? p->os : "?", p->arch ? p->arch : "?");
	if (p->variant)
		buf_addf(&b, "/%s", p->variant);
	return buf_detach(&b, NULL);
}

/* ---- media types ----------------------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int image_layer_compression(const char *mt)
{
	size_t n;

	if (!mt)
		return IMAGE_C_UNKNOWN;
	if (strstr(mt, "foreign") || strstr(mt, "nondistributable"))
		return IMAGE_C_FOREIGN;
	if (!starts(mt, "application/vnd.oci.image.layer.") &&
	    !starts(mt, "application/vnd.docker.image.rootfs."))
		return IMAGE_C_UNKNOWN;
	n = strlen(mt);
	if (n > 5 && (strcmp(mt + n - 5, "+gzip") == 0 || strcmp(mt + n - 5, ".gzip") == 0))
		return COMPRESS_GZIP;
	if (n > 5 && strcmp(mt + n - 5, "+zstd") == 0)
		return COMPRESS_ZSTD;
	if (n > 4 && strcmp(mt + n - 4, ".tar") == 0)
		return COMPRESS_NONE;
	return IMAGE_C_UNKNOWN;
}

int image_sniff_compression(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return COMPRESS_GZIP;
	if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return COMPRESS_ZSTD;
	return COMPRESS_NONE;
}

const char *image_layer_media_type(bool docker, int c)
{
	if (docker)
		return c == COMPRESS_GZIP ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
					  : "application/vnd.docker.image.rootfs.diff.tar";
	return c == COMPRESS_GZIP ? "application/vnd.oci.image.layer.v1.tar+gzip"
	       : c == COMPRESS_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
				    : "application/vnd.oci.image.layer.v1.tar";
}

enum image_kind image_kind_of(const char *mt, const char *data, size_t len)
{
	json_t *j = NULL;
	enum image_kind k = IMAGE_K_OTHER;

	if (!mt) { /* no media type in the descriptor: the blob's own, or its shape */
		j = json_loadb(data, len, 0, NULL);
		if (json_is_string(json_object_get(j, "mediaType")))
			mt = json_string_value(json_object_get(j, "mediaType"));
		else if (json_object_get(j, "manifests"))
			mt = IMAGE_MT_OCI_INDEX;
		else if (json_object_get(j, "layers"))
			mt = IMAGE_MT_OCI_MANIFEST;
	}
	if (mt && (strcmp(mt, IMAGE_MT_OCI_INDEX) == 0 || strcmp(mt, IMAGE_MT_DOCKER_LIST) == 0))
		k = IMAGE_K_INDEX;
	else if (mt && (strcmp(mt, IMAGE_MT_OCI_MANIFEST) == 0 ||
			strcmp(mt, IMAGE_MT_DOCKER_MANIFEST) == 0))
		k = IMAGE_K_MANIFEST;
	json_decref(j);
	return k;
}

/* ---- JSON helpers -------------------------------------------------------------- */

static json_t *jload(const char *json, size_t len, const char *what, struct err *e)
{
	json_error_t je;
	json_t *j;

	if (len > IMAGE_MAX_JSON) {
		err_set(e, "%s: larger than %u bytes", what, IMAGE_MAX_JSON);
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
	m->docker = m->media_type && strcmp(m->media_type, IMAGE_MT_DOCKER_MANIFEST) == 0;
	if (m->media_type && !m->docker && strcmp(m->media_type, IMAGE_MT_OCI_MANIFEST) != 0) {
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
		      (strcmp(m->config.media_type, IMAGE_MT_OCI_CONFIG) != 0 &&
		       strcmp(m->config.media_type, IMAGE_MT_DOCKER_CONFIG) != 0);
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

bool image_layout_file_valid(const char *json, size_t len)
{
	json_t *j = json_loadb(json, len, 0, NULL);
	bool yes = json_is_string(json_object_get(j, "imageLayoutVersion"));

	json_decref(j);
	return yes;
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

/* name with ":latest" when its last component has no tag (nor a digest). */
static char *name_tagged(const char *name)
{
	const char *last = strrchr(name, '/');
	struct buf b = BUF_INIT;

	buf_adds(&b, name);
	if (!strchr(last ? last : name, ':') && !strchr(name, '@'))
		buf_adds(&b, ":latest");
	return buf_detach(&b, NULL);
}

char *image_name_set(const char *json, size_t len, bool docker, const char *name,
		     size_t *outlen, struct err *e)
{
	json_t *j = jload(json, len, docker ? "manifest.json" : "index.json", e), *one, *ann;
	char *full = name_tagged(name), *out = NULL;
	json_t *ms = j && !docker && json_is_object(j) ? json_object_get(j, "manifests") : j;

	if (!j)
		goto out;
	if (!json_is_array(ms) || json_array_size(ms) != 1 ||
	    !json_is_object(one = json_array_get(ms, 0))) {
		err_set(e, "--tag names one image, and %s holds %zu", docker ? "manifest.json"
									    : "index.json",
			json_is_array(ms) ? json_array_size(ms) : 0);
		goto out;
	}
	if (docker) {
		json_t *tags = json_array();
		json_array_append_new(tags, json_string(full));
		json_object_set_new(one, "RepoTags", tags);
	} else {
		ann = json_object_get(one, "annotations");
		if (!json_is_object(ann)) {
			ann = json_object();
			json_object_set_new(one, "annotations", ann);
		}
		json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(full));
	}
	out = jdump(j, outlen, e);
out:
	json_decref(j);
	free(full);
	return out;
}

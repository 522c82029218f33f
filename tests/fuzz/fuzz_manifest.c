/* libFuzzer target: the image JSON readers and rewriters (manifest, index,
 * config, docker-archive manifest.json), the waste computation over layer
 * listings, image detection over a tar (any compression) whose
 * manifest.json, index.json and oci-layout it reads, and the names and
 * kinds of image_format.h (digests a path names, platforms, media types,
 * what a blob is).  The first byte picks the reader; the rest is the JSON
 * (or the file, or the name).
 * Whatever the input, nothing may crash or leak, a rewrite of what parsed
 * must parse again to the same descriptors, an unchanged rewrite must
 * keep every value, a parsed platform must match itself, and a link
 * target folded inside the tree must be a path an image may name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ZERO "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static void manifest(const char *j, size_t n)
{
	struct image_manifest m, m2;
	struct err e = ERR_INIT;
	struct image_desc *nl;
	size_t i, outlen;
	char *out;

	if (image_manifest_parse(j, n, &m, &e) != 0) {
		err_release(&e);
		return;
	}
	nl = calloc(m.nlayers + 1, sizeof(*nl));
	for (i = 0; i < m.nlayers; i++) {
		nl[i].digest = (char *)ZERO;
		nl[i].size = i;
	}
	out = image_manifest_rewrite(j, n, &m.config, nl, m.nlayers, &outlen, &e);
	if (out) {
		if (image_manifest_parse(out, outlen, &m2, &e) != 0 || m2.nlayers != m.nlayers ||
		    strcmp(m2.config.digest, m.config.digest) != 0)
			abort();
		for (i = 0; i < m2.nlayers; i++)
			if (strcmp(m2.layers[i].digest, ZERO) != 0 || m2.layers[i].size != i)
				abort();
		image_manifest_release(&m2);
		free(out);
	}
	err_release(&e);
	free(nl);
	image_manifest_release(&m);
}

static void index_(const char *j, size_t n)
{
	struct image_index x, x2;
	struct err e = ERR_INIT;
	size_t outlen, i, kept = 0;
	char *out;

	if (image_index_parse(j, n, &x, &e) != 0) {
		err_release(&e);
		return;
	}
	/* drop every other manifest */
	for (i = 0; i < x.n; i++)
		if (i % 2) {
			free(x.m[i].digest);
			x.m[i].digest = NULL;
		} else {
			kept++;
		}
	out = image_index_rewrite(j, n, x.m, x.n, &outlen, &e);
	if (out) {
		if (image_index_parse(out, outlen, &x2, &e) != 0 || x2.n != kept)
			abort();
		image_index_release(&x2);
		free(out);
	}
	err_release(&e);
	image_index_release(&x);
}

static void config(const char *j, size_t n)
{
	struct image_config c, c2;
	struct err e = ERR_INIT;
	size_t outlen, i;
	char *out;

	if (image_config_parse(j, n, &c, &e) != 0) {
		err_release(&e);
		return;
	}
	out = image_config_rewrite(j, n, c.diff_ids, c.ndiff_ids, &outlen, &e);
	if (out) {
		if (image_config_parse(out, outlen, &c2, &e) != 0 || c2.ndiff_ids != c.ndiff_ids)
			abort();
		for (i = 0; i < c.ndiff_ids; i++)
			if (strcmp(c.diff_ids[i], c2.diff_ids[i]) != 0)
				abort();
		image_config_release(&c2);
		free(out);
	}
	err_release(&e);
	image_config_release(&c);
}

static void docker(const char *j, size_t n)
{
	struct image_docker d, d2;
	struct err e = ERR_INIT;
	char **cfg, ***lay;
	size_t outlen, i;
	char *out;

	if (image_docker_parse(j, n, &d, &e) != 0) {
		err_release(&e);
		return;
	}
	cfg = calloc(d.n, sizeof(*cfg));
	lay = calloc(d.n, sizeof(*lay));
	for (i = 0; i < d.n; i++) {
		cfg[i] = d.e[i].config;
		lay[i] = d.e[i].layers;
	}
	out = image_docker_rewrite(j, n, cfg, lay, d.n, &outlen, &e);
	if (out) {
		if (image_docker_parse(out, outlen, &d2, &e) != 0 || d2.n != d.n)
			abort();
		image_docker_release(&d2);
		free(out);
	}
	free(cfg);
	free(lay);
	err_release(&e);
	image_docker_release(&d);
}

/* Lines "L" (next layer) or "PATH SIZE" make layer listings. */
static void waste(const char *j, size_t n)
{
	struct image_entries l[8];
	const struct image_entries *lp[8];
	uint64_t w[8];
	size_t k = 0, i;
	char *s = strndup(j, n), *save = NULL, *line;

	memset(l, 0, sizeof(l));
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "L") == 0) {
			if (k < 7)
				k++;
			continue;
		}
		image_entries_add(&l[k], line, strlen(line), line[0] == 'd', line[0] == 'f');
	}
	for (i = 0; i <= k; i++)
		lp[i] = &l[i];
	image_waste(lp, k + 1, w);
	for (i = 0; i < 8; i++)
		image_entries_release(&l[i]);
	free(s);
}

/* The bytes as a file: is it an image?  (Whatever the answer, no crash.) */
static void detect(const char *j, size_t n)
{
	char path[] = "/tmp/fuzz-detect.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	if (write(fd, j, n) == (ssize_t)n)
		(void)image_detect(path);
	close(fd);
	unlink(path);
}

/* The bytes as a name: a path, a media type, a platform, a link target. */
static void names(const char *j, size_t n)
{
	struct image_platform p;
	struct err e = ERR_INIT;
	char *s = strndup(j, n), *d, *f;

	d = image_named_digest(s);
	if (d && !image_digest_valid(d))
		abort();
	free(d);
	(void)image_layer_compression(s);
	if (image_platform_parse(s, &p, &e) == 0) {
		char *str = image_platform_str(&p);
		if (!image_platform_match(&p, &p) || strcmp(str, s) != 0)
			abort();
		free(str);
		image_platform_release(&p);
	}
	f = path_fold(s, NULL);
	if (f && *f && !strchr(f, '\\') && !image_path_valid(f))
		abort();
	free(f);
	err_release(&e);
	free(s);
}

/* The bytes as a blob an index names, with no media type to say what. */
static void kind(const char *j, size_t n)
{
	enum image_kind k = image_kind_of(NULL, j, n);

	if (k != IMAGE_K_OTHER && k != IMAGE_K_INDEX && k != IMAGE_K_MANIFEST)
		abort();
	(void)image_layout_file_valid(j, n);
	(void)image_sniff_compression((const unsigned char *)j, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *j = (const char *)data + 1;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0: manifest(j, size - 1); break;
	case 1: index_(j, size - 1); break;
	case 2: config(j, size - 1); break;
	case 3: docker(j, size - 1); break;
	case 5: detect(j, size - 1); break;
	case 6: names(j, size - 1); break;
	case 7: kind(j, size - 1); break;
	default: waste(j, size - 1); break;
	}
	return 0;
}

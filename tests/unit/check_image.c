/* Unit tests of image mode's pure parts (image_format.h): JSON readers and
 * rewriters, digests and names, media types, platforms, waste; detection by
 * content (image.h); how a layer's report joins the image's. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "report.h"
#include "testutil.h"
#include "util.h"

Suite *image_suite(void);

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define D1 "sha256:" H1
#define D2 "sha256:" H2
#define D3 "sha256:" H3
#define D9 "sha256:9999999999999999999999999999999999999999999999999999999999999999"

static const char manifest_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
	"\",\"size\":100},\"layers\":["
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2
	"\",\"size\":200,\"annotations\":{\"io.github.containers.zstd-chunked.manifest-checksum\":"
	"\"x\",\"org.example\":\"kept\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D3
	"\",\"size\":300}],\"annotations\":{\"org.opencontainers.image.base.name\":\"b\"}}";

static const char config_json[] =
	"{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\",\"config\":{\"Cmd\":[\"sh\"]},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D2 "\",\"" D3 "\"]},"
	"\"history\":[{\"created_by\":\"a\"},{\"created_by\":\"b\",\"empty_layer\":true},"
	"{\"created_by\":\"c\"}]}";

START_TEST(digests_and_paths)
{
	ck_assert(image_digest_valid(D1));
	ck_assert(!image_digest_valid("sha256:111"));
	ck_assert(!image_digest_valid("sha512:1111111111111111111111111111111111111111111111111111111111111111"));
	ck_assert(!image_digest_valid("sha256:111111111111111111111111111111111111111111111111111111111111111G"));
	ck_assert(!image_digest_valid("sha256:1111111111111111111111111111111111111111111111111111111111111111/.."));
	ck_assert(image_path_valid("abc.tar"));
	ck_assert(image_path_valid("blobs/sha256/abc"));
	ck_assert(!image_path_valid("/etc/passwd"));
	ck_assert(!image_path_valid("../x"));
	ck_assert(!image_path_valid("a/../../x"));
	ck_assert(!image_path_valid("a//b"));
	ck_assert(!image_path_valid("a/"));
	ck_assert(!image_path_valid("./a"));
	ck_assert(!image_path_valid(""));
}
END_TEST

START_TEST(platforms)
{
	struct image_platform w, h = { 0 };
	struct err e = ERR_INIT;

	ck_assert_int_eq(image_platform_parse("linux/arm64", &w, &e), 0);
	ck_assert_str_eq(w.os, "linux");
	ck_assert_str_eq(w.arch, "arm64");
	ck_assert_ptr_null(w.variant);
	h.os = (char *)"linux";
	h.arch = (char *)"aarch64";
	ck_assert(image_platform_match(&w, &h));
	h.arch = (char *)"amd64";
	ck_assert(!image_platform_match(&w, &h));
	image_platform_release(&w);

	ck_assert_int_eq(image_platform_parse("linux/arm64/v8", &w, &e), 0);
	ck_assert_str_eq(w.variant, "v8");
	h.arch = (char *)"arm64"; /* no variant: arm64 means v8 */
	ck_assert(image_platform_match(&w, &h));
	image_platform_release(&w);
	ck_assert_int_eq(image_platform_parse("linux/arm/v7", &w, &e), 0);
	h.arch = (char *)"arm";
	h.variant = (char *)"v6";
	ck_assert(!image_platform_match(&w, &h));
	image_platform_release(&w);

	ck_assert_int_eq(image_platform_parse("linux", &w, &e), -1);
	ck_assert_ptr_nonnull(e.msg);
	ck_assert_int_eq(image_platform_parse("linux/", &w, &e), -1);
	ck_assert_int_eq(image_platform_parse("/amd64", &w, &e), -1);
	ck_assert_int_eq(image_platform_parse("linux/arm/v7/x", &w, &e), -1);
	err_release(&e);
}
END_TEST

START_TEST(manifest_parse_and_rewrite)
{
	struct image_manifest m, m2;
	struct image_desc nl[2] = { { 0 } }, cfg = { 0 };
	struct err e = ERR_INIT;
	size_t len;
	char *out;

	ck_assert_int_eq(image_manifest_parse(manifest_json, strlen(manifest_json), &m, &e), 0);
	ck_assert(!m.docker);
	ck_assert(!m.artifact);
	ck_assert_uint_eq(m.nlayers, 2);
	ck_assert_str_eq(m.config.digest, D1);
	ck_assert_uint_eq(m.layers[1].size, 300);

	nl[0].digest = (char *)D9;
	nl[0].size = 150;
	nl[0].media_type = (char *)"application/vnd.oci.image.layer.v1.tar+zstd";
	nl[1] = m.layers[1]; /* unchanged */
	nl[1].media_type = NULL;
	cfg.digest = (char *)D9;
	cfg.size = 99;
	out = image_manifest_rewrite(manifest_json, strlen(manifest_json), &cfg, nl, 2, &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, strlen(out));
	/* keys keep their order, and what was not named stays */
	ck_assert(strncmp(out, "{\"schemaVersion\":2,\"mediaType\":", 31) == 0);
	ck_assert_ptr_nonnull(strstr(out, "org.opencontainers.image.base.name"));
	ck_assert_ptr_nonnull(strstr(out, "\"org.example\":\"kept\""));
	ck_assert_ptr_null(strstr(out, "zstd-chunked")); /* describes the old blob */
	ck_assert_int_eq(image_manifest_parse(out, len, &m2, &e), 0);
	ck_assert_str_eq(m2.config.digest, D9);
	ck_assert_uint_eq(m2.config.size, 99);
	ck_assert_str_eq(m2.config.media_type, "application/vnd.oci.image.config.v1+json");
	ck_assert_str_eq(m2.layers[0].digest, D9);
	ck_assert_uint_eq(m2.layers[0].size, 150);
	ck_assert_str_eq(m2.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
	ck_assert_str_eq(m2.layers[1].digest, D3);
	ck_assert_str_eq(m2.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
	image_manifest_release(&m2);
	free(out);

	/* wrong layer count */
	ck_assert_ptr_null(image_manifest_rewrite(manifest_json, strlen(manifest_json), NULL, nl, 1,
						  &len, &e));
	ck_assert_ptr_nonnull(e.msg);
	image_manifest_release(&m);
	err_release(&e);
}
END_TEST

START_TEST(manifest_rejects)
{
	static const char *bad[] = {
		"", "[]", "{\"schemaVersion\":1}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:00\",\"size\":1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
		"{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
		"\",\"size\":1},\"layers\":[]}", /* duplicate keys */
		"{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":{\"digest\":\"" D1
		"\",\"size\":1},\"layers\":[]}",
	};
	static const char artifact[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"application/vnd.dev.cosign.artifact.sig.v1+json\","
		"\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}";
	static const char docker[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
		"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
		"\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}";
	struct image_manifest m;
	struct err e = ERR_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_int_eq(image_manifest_parse(bad[i], strlen(bad[i]), &m, &e), -1);
		ck_assert_ptr_nonnull(e.msg);
	}
	ck_assert_int_eq(image_manifest_parse(artifact, strlen(artifact), &m, &e), 0);
	ck_assert(m.artifact);
	image_manifest_release(&m);
	ck_assert_int_eq(image_manifest_parse(docker, strlen(docker), &m, &e), 0);
	ck_assert(m.docker);
	ck_assert(!m.artifact);
	image_manifest_release(&m);
	err_release(&e);
}
END_TEST

START_TEST(config_rewrite_keeps_history)
{
	struct image_config c, c2;
	struct err e = ERR_INIT;
	char *ids[2] = { (char *)D9, (char *)D3 }, *out;
	size_t len;

	ck_assert_int_eq(image_config_parse(config_json, strlen(config_json), &c, &e), 0);
	ck_assert_str_eq(c.platform.os, "linux");
	ck_assert_str_eq(c.platform.arch, "arm64");
	ck_assert_str_eq(c.platform.variant, "v8");
	ck_assert_uint_eq(c.ndiff_ids, 2);
	out = image_config_rewrite(config_json, strlen(config_json), ids, 2, &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "\"history\":[{\"created_by\":\"a\"},{\"created_by\":\"b\","
					  "\"empty_layer\":true},{\"created_by\":\"c\"}]"));
	ck_assert_ptr_nonnull(strstr(out, "\"diff_ids\":[\"" D9 "\",\"" D3 "\"]"));
	ck_assert_int_eq(image_config_parse(out, len, &c2, &e), 0);
	ck_assert_str_eq(c2.diff_ids[0], D9);
	image_config_release(&c2);
	free(out);
	ck_assert_ptr_null(image_config_rewrite(config_json, strlen(config_json), ids, 1, &len, &e));
	ids[0] = (char *)"sha256:bad";
	ck_assert_ptr_null(image_config_rewrite(config_json, strlen(config_json), ids, 2, &len, &e));
	image_config_release(&c);
	err_release(&e);
}
END_TEST

START_TEST(index_drops_and_replaces)
{
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1
		"\",\"size\":10,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
		"\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2
		"\",\"size\":20,\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
		"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}]}";
	struct image_index x, x2;
	struct image_desc repl[2] = { { 0 } };
	struct err e = ERR_INIT;
	size_t len;
	char *out;

	ck_assert_int_eq(image_index_parse(idx, strlen(idx), &x, &e), 0);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_str_eq(x.m[0].platform.arch, "amd64");
	ck_assert(!x.m[0].attestation);
	ck_assert(x.m[1].attestation);
	repl[0].digest = (char *)D9;
	repl[0].size = 11;
	out = image_index_rewrite(idx, strlen(idx), repl, 2, &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(image_index_parse(out, len, &x2, &e), 0);
	ck_assert_uint_eq(x2.n, 1);
	ck_assert_str_eq(x2.m[0].digest, D9);
	ck_assert_uint_eq(x2.m[0].size, 11);
	ck_assert_ptr_nonnull(strstr(out, "\"org.opencontainers.image.ref.name\":\"v1\""));
	image_index_release(&x2);
	image_index_release(&x);
	free(out);
	err_release(&e);
}
END_TEST

START_TEST(docker_manifest_json)
{
	static const char mj[] =
		"[{\"Config\":\"aaa.json\",\"RepoTags\":[\"localhost/x:1\"],"
		"\"Layers\":[\"l1.tar\",\"l2/layer.tar\"]},"
		"{\"Config\":\"bbb.json\",\"RepoTags\":null,\"Layers\":[\"l1.tar\"]}]";
	static const char evil[] = "[{\"Config\":\"../etc/passwd\",\"Layers\":[]}]";
	static const char evil2[] = "[{\"Config\":\"a.json\",\"Layers\":[\"/abs.tar\"]}]";
	struct image_docker d, d2;
	struct err e = ERR_INIT;
	char *cfg[2] = { (char *)"new.json", NULL };
	char *l0[2] = { (char *)"n1.tar", (char *)"l2/layer.tar" };
	char **lay[2] = { l0, NULL };
	size_t len;
	char *out;

	ck_assert_int_eq(image_docker_parse(mj, strlen(mj), &d, &e), 0);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.e[0].tag, "localhost/x:1");
	ck_assert_ptr_null(d.e[1].tag);
	ck_assert_str_eq(d.e[0].layers[1], "l2/layer.tar");
	out = image_docker_rewrite(mj, strlen(mj), cfg, lay, 2, &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(image_docker_parse(out, len, &d2, &e), 0);
	ck_assert_uint_eq(d2.n, 1);
	ck_assert_str_eq(d2.e[0].config, "new.json");
	ck_assert_str_eq(d2.e[0].layers[0], "n1.tar");
	ck_assert_str_eq(d2.e[0].tag, "localhost/x:1");
	image_docker_release(&d2);
	image_docker_release(&d);
	free(out);
	ck_assert_int_eq(image_docker_parse(evil, strlen(evil), &d, &e), -1);
	ck_assert_int_eq(image_docker_parse(evil2, strlen(evil2), &d, &e), -1);
	ck_assert_int_eq(image_docker_parse("{}", 2, &d, &e), -1);
	err_release(&e);
}
END_TEST

/* --tag: one image of manifest.json or index.json gets the name, with
 * ":latest" when it has no tag; more than one image is refused. */
START_TEST(name_set)
{
	static const char one[] = "[{\"Config\":\"a.json\",\"RepoTags\":[\"x:1\"],"
				  "\"Layers\":[\"l.tar\"]}]";
	static const char two[] = "[{\"Config\":\"a.json\",\"Layers\":[]},"
				  "{\"Config\":\"b.json\",\"Layers\":[]}]";
	static const char idx[] = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\","
				  "\"digest\":\"sha256:00\",\"size\":1,\"annotations\":"
				  "{\"org.opencontainers.image.ref.name\":\"old\",\"k\":\"v\"}}]}";
	static const char bare[] = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"d\"}]}";
	struct image_docker d;
	struct err e = ERR_INIT;
	size_t len;
	char *out;

	out = image_name_set(one, strlen(one), true, "localhost/app", &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(image_docker_parse(out, len, &d, &e), 0);
	ck_assert_str_eq(d.e[0].tag, "localhost/app:latest");
	ck_assert_str_eq(d.e[0].layers[0], "l.tar");
	image_docker_release(&d);
	free(out);
	out = image_name_set(one, strlen(one), true, "reg:5000/app:slim", &len, &e);
	ck_assert_ptr_nonnull(strstr(out, "\"RepoTags\":[\"reg:5000/app:slim\"]"));
	free(out);
	ck_assert_ptr_null(image_name_set(two, strlen(two), true, "a:1", &len, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "holds 2"));
	out = image_name_set(idx, strlen(idx), false, "app:slim", &len, &e);
	ck_assert_ptr_nonnull(strstr(out, "\"org.opencontainers.image.ref.name\":\"app:slim\""));
	ck_assert_ptr_nonnull(strstr(out, "\"k\":\"v\""));
	ck_assert_ptr_null(strstr(out, "old"));
	free(out);
	out = image_name_set(bare, strlen(bare), false, "app@sha256:ab", &len, &e);
	ck_assert_ptr_nonnull(strstr(out, "\"annotations\":{\"org.opencontainers.image.ref.name\":"
					  "\"app@sha256:ab\"}"));
	free(out);
	err_release(&e);
}
END_TEST

START_TEST(digests_and_names)
{
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const char hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	unsigned char d[32];
	char h[65], *p;

	image_sha256("abc", 3, d);
	ck_assert_mem_eq(d, abc, 32);
	image_hex(d, h);
	ck_assert_str_eq(h, hex);
	p = image_digest_str(d);
	ck_assert_str_eq(p + 7, hex);
	ck_assert(image_digest_valid(p));
	free(p);
	p = image_blob_path(D1);
	ck_assert_str_eq(p, "blobs/sha256/" H1);
	free(p);
	/* what a docker-archive's paths name: blobs/sha256/<hex>, <hex>.json */
	p = image_named_digest("blobs/sha256/" H2);
	ck_assert_str_eq(p, D2);
	free(p);
	p = image_named_digest(H3 ".json");
	ck_assert_str_eq(p, D3);
	free(p);
	ck_assert_ptr_null(image_named_digest(H3 ".tar"));
	ck_assert_ptr_null(image_named_digest(H3 "/layer.tar"));
	ck_assert_ptr_null(image_named_digest("blobs/sha256/abc"));
	ck_assert_ptr_null(image_named_digest("blobs/sha256/" H1 "/x"));
	ck_assert_ptr_null(image_named_digest("blobs/sha512/" H1));
	ck_assert_ptr_null(image_named_digest("1111111111111111111111111111111111111111111111111111111111111G.json"));
	ck_assert_ptr_null(image_named_digest("config.json"));
}
END_TEST

START_TEST(media_types)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0 }, zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const char idx[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	static const char man[] = "{\"schemaVersion\":2,\"layers\":[]}";
	static const char own[] = "{\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
				  "\"layers\":[]}";

	ck_assert_int_eq(image_layer_compression("application/vnd.oci.image.layer.v1.tar+gzip"), COMPRESS_GZIP);
	ck_assert_int_eq(image_layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"), COMPRESS_ZSTD);
	ck_assert_int_eq(image_layer_compression("application/vnd.oci.image.layer.v1.tar"), COMPRESS_NONE);
	ck_assert_int_eq(image_layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"),
			 COMPRESS_GZIP);
	ck_assert_int_eq(image_layer_compression("application/vnd.docker.image.rootfs.diff.tar"), COMPRESS_NONE);
	ck_assert_int_eq(image_layer_compression("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
			 IMAGE_C_FOREIGN);
	ck_assert_int_eq(image_layer_compression("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
			 IMAGE_C_FOREIGN);
	ck_assert_int_eq(image_layer_compression("application/vnd.oci.image.layer.v1.tar+bzip2"), IMAGE_C_UNKNOWN);
	ck_assert_int_eq(image_layer_compression("application/octet-stream"), IMAGE_C_UNKNOWN);
	ck_assert_int_eq(image_layer_compression(NULL), IMAGE_C_UNKNOWN);

	ck_assert_int_eq(image_sniff_compression(gz, 4), COMPRESS_GZIP);
	ck_assert_int_eq(image_sniff_compression(gz, 2), COMPRESS_GZIP);
	ck_assert_int_eq(image_sniff_compression(zst, 4), COMPRESS_ZSTD);
	ck_assert_int_eq(image_sniff_compression(zst, 3), COMPRESS_NONE); /* too short to tell */
	ck_assert_int_eq(image_sniff_compression((const unsigned char *)"ustar", 4), COMPRESS_NONE);
	ck_assert_int_eq(image_sniff_compression(gz, 0), COMPRESS_NONE);

	ck_assert_str_eq(image_layer_media_type(false, COMPRESS_ZSTD), "application/vnd.oci.image.layer.v1.tar+zstd");
	ck_assert_str_eq(image_layer_media_type(false, COMPRESS_NONE), "application/vnd.oci.image.layer.v1.tar");
	ck_assert_str_eq(image_layer_media_type(true, COMPRESS_GZIP),
			 "application/vnd.docker.image.rootfs.diff.tar.gzip");
	/* every media type it makes says the compression it was made for */
	for (int c = COMPRESS_NONE; c <= COMPRESS_ZSTD; c++) {
		ck_assert_int_eq(image_layer_compression(image_layer_media_type(false, c)), c);
		if (c != COMPRESS_ZSTD)
			ck_assert_int_eq(image_layer_compression(image_layer_media_type(true, c)), c);
	}

	/* the descriptor's media type first; then the blob's own; then its shape */
	ck_assert_int_eq(image_kind_of(IMAGE_MT_OCI_INDEX, man, strlen(man)), IMAGE_K_INDEX);
	ck_assert_int_eq(image_kind_of(IMAGE_MT_DOCKER_MANIFEST, idx, strlen(idx)), IMAGE_K_MANIFEST);
	ck_assert_int_eq(image_kind_of("application/vnd.dev.cosign.simplesigning.v1+json", man, strlen(man)),
			 IMAGE_K_OTHER);
	ck_assert_int_eq(image_kind_of(NULL, idx, strlen(idx)), IMAGE_K_INDEX);
	ck_assert_int_eq(image_kind_of(NULL, man, strlen(man)), IMAGE_K_MANIFEST);
	ck_assert_int_eq(image_kind_of(NULL, own, strlen(own)), IMAGE_K_INDEX);
	ck_assert_int_eq(image_kind_of(NULL, "{}", 2), IMAGE_K_OTHER);
	ck_assert_int_eq(image_kind_of(NULL, "not json", 8), IMAGE_K_OTHER);
	ck_assert_int_eq(image_kind_of(NULL, "[1]", 3), IMAGE_K_OTHER);

	ck_assert(image_layout_file_valid("{\"imageLayoutVersion\":\"1.0.0\"}", 30));
	ck_assert(!image_layout_file_valid("{\"imageLayoutVersion\":1}", 24));
	ck_assert(!image_layout_file_valid("{}", 2));
	ck_assert(!image_layout_file_valid("{\"imageLayoutVersion\":\"1.0.0\"", 29));
}
END_TEST

START_TEST(platform_names_and_aliases)
{
	struct image_platform w, h = { 0 };
	struct err e = ERR_INIT;
	char *s;

	s = image_platform_str(&h);
	ck_assert_str_eq(s, "unknown");
	free(s);
	h.arch = (char *)"amd64";
	s = image_platform_str(&h);
	ck_assert_str_eq(s, "?/amd64");
	free(s);
	h.os = (char *)"linux";
	h.arch = (char *)"arm";
	h.variant = (char *)"v7";
	s = image_platform_str(&h);
	ck_assert_str_eq(s, "linux/arm/v7");
	free(s);

	ck_assert_int_eq(image_platform_parse("linux/x86_64", &w, &e), 0);
	h.arch = (char *)"amd64";
	h.variant = NULL;
	ck_assert(image_platform_match(&w, &h));
	h.arch = (char *)"x86-64";
	ck_assert(image_platform_match(&w, &h));
	h.os = (char *)"windows";
	ck_assert(!image_platform_match(&w, &h));
	h.os = NULL; /* an image that does not say: never a match */
	ck_assert(!image_platform_match(&w, &h));
	image_platform_release(&w);

	ck_assert_int_eq(image_platform_parse("linux/386", &w, &e), 0);
	h.os = (char *)"linux";
	h.arch = (char *)"i686";
	ck_assert(image_platform_match(&w, &h));
	image_platform_release(&w);

	/* a wanted variant needs one, but only arm64 goes without (v8) */
	ck_assert_int_eq(image_platform_parse("linux/arm/v7", &w, &e), 0);
	h.arch = (char *)"arm";
	ck_assert(!image_platform_match(&w, &h));
	h.variant = (char *)"v7";
	ck_assert(image_platform_match(&w, &h));
	image_platform_release(&w);
	ck_assert_int_eq(image_platform_parse("linux/arm64/v9", &w, &e), 0);
	h.arch = (char *)"arm64";
	h.variant = NULL;
	ck_assert(!image_platform_match(&w, &h));
	image_platform_release(&w);
	err_release(&e);
}
END_TEST

START_TEST(parsers_reject)
{
	static const char *const idx[] = { "", "[]", "{}", "{\"manifests\":{}}",
					   "{\"manifests\":[{\"digest\":\"" D1 "\"}]}",
					   "{\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,\"platform\":\"linux\"}]}",
					   "{\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,\"mediaType\":7}]}",
					   "{\"manifests\":[7]}" };
	static const char *const cfg[] = { "[]", "{}", "{\"rootfs\":{}}", "{\"rootfs\":{\"diff_ids\":{}}}",
					   "{\"rootfs\":{\"diff_ids\":[\"sha256:00\"]}}",
					   "{\"rootfs\":{\"diff_ids\":[7]}}",
					   "{\"os\":7,\"rootfs\":{\"diff_ids\":[]}}" };
	static const char nothing[] = "{\"rootfs\":{\"diff_ids\":[]}}";
	static const char *const mj[] = { "[]", "[7]", "[{\"Layers\":[]}]", "[{\"Config\":\"a.json\"}]",
					  "[{\"Config\":\"a.json\",\"Layers\":[7]}]",
					  "[{\"Config\":\"a\\\\b.json\",\"Layers\":[]}]",
					  "[{\"Config\":\"./a.json\",\"Layers\":[]}]" };
	struct image_index x;
	struct image_config c;
	struct image_docker d;
	struct err e = ERR_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		ck_assert_int_eq(image_index_parse(idx[i], strlen(idx[i]), &x, &e), -1);
		ck_assert_ptr_nonnull(e.msg);
		ck_assert_uint_eq(x.n, 0);
		err_release(&e);
	}
	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		ck_assert_int_eq(image_config_parse(cfg[i], strlen(cfg[i]), &c, &e), -1);
		ck_assert_ptr_nonnull(e.msg);
		err_release(&e);
	}
	for (i = 0; i < ARRAY_SIZE(mj); i++) {
		ck_assert_int_eq(image_docker_parse(mj[i], strlen(mj[i]), &d, &e), -1);
		ck_assert_ptr_nonnull(e.msg);
		err_release(&e);
	}
	/* no manifest, config or index beyond IMAGE_MAX_JSON is even parsed */
	ck_assert_int_eq(image_index_parse("{}", (size_t)IMAGE_MAX_JSON + 1, &x, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "larger than"));
	err_release(&e);
	/* a config that says nothing of its platform parses, the platform unknown */
	ck_assert_int_eq(image_config_parse("", 0, &c, &e), -1);
	err_release(&e);
	ck_assert_int_eq(image_config_parse(nothing, strlen(nothing), &c, &e), 0);
	ck_assert_ptr_null(c.platform.os);
	ck_assert_uint_eq(c.ndiff_ids, 0);
	image_config_release(&c);
}
END_TEST

/* A layer descriptor whose digest changes loses the annotations that
 * describe its old bytes (zstd:chunked, eStargz), and "annotations" with
 * them when nothing else is left; one that keeps its digest keeps them. */
START_TEST(manifest_rewrite_annotations)
{
	static const char m[] =
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
		"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D2 "\",\"size\":2,"
		"\"annotations\":{\"io.github.containers.zstd-chunked.manifest-position\":\"1:2:3:4\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D3 "\",\"size\":3,"
		"\"annotations\":{\"containerd.io/snapshot/stargz/toc.digest\":\"x\"}}]}";
	struct image_desc nl[2] = { { 0 } };
	struct err e = ERR_INIT;
	size_t len;
	char *out;

	nl[0].digest = (char *)D9;
	nl[0].size = 9;
	nl[0].media_type = (char *)"application/vnd.oci.image.layer.v1.tar+gzip";
	nl[1].digest = (char *)D3;
	nl[1].size = 3;
	out = image_manifest_rewrite(m, strlen(m), NULL, nl, 2, &len, &e);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_ptr_null(strstr(out, "zstd-chunked"));
	ck_assert_ptr_nonnull(strstr(out, "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
					  "\"digest\":\"" D9 "\",\"size\":9}"));
	ck_assert_ptr_nonnull(strstr(out, "stargz/toc.digest")); /* the same blob: still true */
	ck_assert_ptr_nonnull(strstr(out, "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
					  "\"digest\":\"" D1 "\",\"size\":1}"));
	free(out);
	nl[1].digest = (char *)"sha256:bad";
	ck_assert_ptr_null(image_manifest_rewrite(m, strlen(m), NULL, nl, 2, &len, &e));
	ck_assert_ptr_nonnull(e.msg);
	err_release(&e);
}
END_TEST

START_TEST(waste_of_layers)
{
	struct image_entries l[4] = { { 0 } };
	const struct image_entries *lp[4] = { &l[0], &l[1], &l[2], &l[3] };
	uint64_t w[4];

	/* layer 0: the base */
	image_entries_add(&l[0], "./", 0, true, false);
	image_entries_add(&l[0], "./usr/lib/a.so", 1000, false, true);    /* replaced in 1 */
	image_entries_add(&l[0], "./usr/lib/b.so", 2000, false, true);    /* whiteout in 2 */
	image_entries_add(&l[0], "./opt/app/x.pyc", 300, false, true);    /* opaque opt/app in 3 */
	image_entries_add(&l[0], "./opt/keep", 40, false, true);          /* stays */
	image_entries_add(&l[0], "./srv/d/f", 5, false, true);            /* srv/d becomes a file in 3 */
	image_entries_add(&l[0], "./etc/", 0, true, false);
	/* layer 1 */
	image_entries_add(&l[1], "usr/lib/a.so", 700, false, true);
	image_entries_add(&l[1], "tmp/t", 60, false, true);               /* whole tmp gone in 3 */
	/* layer 2 */
	image_entries_add(&l[2], "usr/lib/.wh.b.so", 0, false, true);
	image_entries_add(&l[2], "etc/", 0, true, false);                 /* a directory hides nothing */
	/* layer 3 */
	image_entries_add(&l[3], "opt/app/.wh..wh..opq", 0, false, true);
	image_entries_add(&l[3], "opt/app/", 0, true, false);
	image_entries_add(&l[3], "srv/d", 9, false, true);
	image_entries_add(&l[3], ".wh.tmp", 0, false, true);
	ck_assert_int_eq(l[2].e[0].kind, IMAGE_E_WHITEOUT);
	ck_assert_str_eq(l[2].e[0].path, "usr/lib/b.so");
	ck_assert_int_eq(l[3].e[0].kind, IMAGE_E_OPAQUE);
	ck_assert_str_eq(l[3].e[0].path, "opt/app");
	image_waste(lp, 4, w);
	ck_assert_uint_eq(w[0], 1000 + 2000 + 300 + 5);
	ck_assert_uint_eq(w[1], 60);
	ck_assert_uint_eq(w[2], 0);
	ck_assert_uint_eq(w[3], 0);
	for (int i = 0; i < 4; i++)
		image_entries_release(&l[i]);
}
END_TEST

/* Paths of half a million components: one pass each, not one per component
 * (was some 15 s a path). */
START_TEST(waste_of_deep_paths)
{
	struct image_entries l[2] = { { 0 } };
	const struct image_entries *lp[2] = { &l[0], &l[1] };
	size_t n = 450000, i;
	char *deep = xmalloc(2 * n + 16);
	uint64_t w[2];

	for (i = 0; i < n; i++)
		memcpy(deep + 2 * i, "a/", 2);
	for (i = 0; i < 3; i++) {
		snprintf(deep + 2 * n, 16, "f%zu", i);
		image_entries_add(&l[0], deep, 10, false, true);
	}
	image_entries_add(&l[1], "x", 1, false, true);
	image_waste(lp, 2, w);
	ck_assert_uint_eq(w[0], 0);
	/* a whiteout of a directory half way down hides all three */
	image_entries_add(&l[1], "a/a/a/.wh.a", 0, false, true);
	image_waste(lp, 2, w);
	ck_assert_uint_eq(w[0], 30);
	image_entries_release(&l[0]);
	image_entries_release(&l[1]);
	free(deep);
}
END_TEST

/* Tar the files "name=content" given (a content "" is an empty file) under
 * dir/name.d into dir/name (compressed by tar's -a when name says so). */
static char *mktar(const char *dir, const char *name, const char *const *files)
{
	struct buf d = BUF_INIT, p = BUF_INIT;
	size_t i;

	buf_addf(&d, "%s/%s.d", dir, name);
	ck_assert_int_eq(tu_sh("mkdir -p '%s'", d.p), 0);
	for (i = 0; files[i]; i++) {
		const char *eq = strchr(files[i], '=');
		char *f = strndup(files[i], (size_t)(eq - files[i]));
		ck_assert_int_eq(tu_sh("mkdir -p \"$(dirname '%s/%s')\"", d.p, f), 0);
		tu_write(d.p, f, eq + 1, (size_t)-1);
		free(f);
	}
	buf_addf(&p, "%s/%s", dir, name);
	ck_assert_int_eq(tu_sh("cd '%s' && tar -acf '%s' *", d.p, p.p), 0);
	buf_release(&d);
	return buf_detach(&p, NULL);
}

START_TEST(detect_by_content)
{
	static const char *const pkg[] = { "manifest.json={\"name\": \"pkg\", \"version\": \"1\"}",
					   "usr/share/pkg.txt=data", NULL };
#define HEX "1111111111111111111111111111111111111111111111111111111111111111"
	/* as docker, podman and skopeo name its files */
	static const char *const docker[] = { "manifest.json=[{\"Config\": \"" HEX ".json\", "
					      "\"RepoTags\": [\"x:1\"], \"Layers\": [\"" HEX
					      "/layer.tar\"]}]",
					      HEX ".json={}", HEX "/layer.tar=", NULL };
	/* any names, uncompressed: read to its end */
	static const char *const named[] = { "manifest.json=[{\"Config\": \"c.json\", "
					     "\"Layers\": [\"l.tar\"]}]", "c.json={}", "l.tar=",
					     NULL };
	static const char *const layout_only[] = { "oci-layout={\"imageLayoutVersion\": \"1.0.0\"}",
						   "etc/motd=hi", NULL };
	static const char *const layout[] = { "oci-layout={\"imageLayoutVersion\": \"1.0.0\"}",
					      "index.json={\"schemaVersion\": 2, \"manifests\": []}",
					      NULL };
	char *dir = tu_tmpdir(), *p;
	struct buf d = BUF_INIT;

	/* a layer whose top-level manifest.json is not a docker-archive's is a layer */
	p = mktar(dir, "pkg.tar", pkg);
	ck_assert(!image_detect(p));
	free(p);
	p = mktar(dir, "pkg.tar.gz", pkg);
	ck_assert(!image_detect(p));
	free(p);
	p = mktar(dir, "layout-only.tar", layout_only);
	ck_assert(!image_detect(p));
	free(p);
	p = mktar(dir, "docker.tar", docker);
	ck_assert(image_detect(p));
	free(p);
	p = mktar(dir, "docker.tar.gz", docker);
	ck_assert(image_detect(p));
	free(p);
	p = mktar(dir, "named.tar", named);
	ck_assert(image_detect(p));
	free(p);
	p = mktar(dir, "layout.tar", layout);
	ck_assert(image_detect(p));
	free(p);
	buf_addf(&d, "%s/layout.tar.d", dir);
	ck_assert(image_detect(d.p));
	buf_setlen(&d, 0);
	buf_addf(&d, "%s/layout-only.tar.d", dir);
	ck_assert(!image_detect(d.p));
	buf_release(&d);
	tu_rmrf(dir);
	free(dir);
}
END_TEST

/* A layer's report: a stripped file, a removal, a linked and an unlinked
 * group of duplicates, a skipped file. */
static void layer_report(struct report *l)
{
	struct strip_members m = { 0 };

	report_init(l, false);
	l->layer = true;
	l->seen = 5;
	l->regular = 4;
	l->bytes_before = 9000;
	l->tar_before = 10240;
	l->tar_after = 8192;
	l->comp_before = 3000;
	l->comp_after = 3100; /* recompressed, the blob grew */
	l->superseded = 1;
	report_change(l, "usr/lib/a.so", "strip", 4000, 1000);
	report_removed(l, "app/server.key", "--drop: *.key", 1, 200);
	report_change(l, "b.dat", "dedup", 300, 0);
	report_dup(l, "a.dat", 300, 1, true, false);
	report_dup(l, "x.so", 500, 1, false, true);
	l->dup_groups = 2;
	l->dup_files_linked = 1;
	l->dup_bytes_saved = 300;
	l->dup_elf_groups = 1;
	l->dup_elf_bytes = 500;
	report_skip(l, "usr/lib/big.so", SKIP_TOO_LARGE, 700);
	report_kept(l, "app/keep.key", "--keep");
	m.members = 3;
	m.stripped = 1;
	m.before = 100;
	m.after = 50;
	report_archive(l, &m, true);
}

START_TEST(report_merge_of_a_layer)
{
	struct report img, l;

	/* rewritten: everything it says is in the output */
	layer_report(&l);
	report_init(&img, false);
	report_merge(&img, &l, false);
	ck_assert_uint_eq(img.nchanges, 3);
	ck_assert_uint_eq(report_saved(&img), 3000 + 200 + 300);
	ck_assert_uint_eq(report_rules_bytes(&img), 200);
	ck_assert_uint_eq(img.strip.files, 1);
	ck_assert_uint_eq(img.dup_groups, 2);
	ck_assert_uint_eq(img.dup_bytes_saved, 300);
	ck_assert_uint_eq(img.superseded, 1);
	ck_assert_uint_eq(img.tar_after, 8192);
	ck_assert_uint_eq(img.comp_after, 3100);
	ck_assert_uint_eq(img.archives_stripped, 1);
	report_release(&img);

	/* kept as it was: nothing changed, nothing saved; what was seen stays */
	report_init(&img, false);
	report_merge(&img, &l, true);
	report_merge(&img, &l, true);
	ck_assert_uint_eq(img.nchanges, 0);
	ck_assert_uint_eq(report_saved(&img), 0);
	ck_assert_uint_eq(report_rules_bytes(&img), 0);
	ck_assert_uint_eq(img.nrules, 0);
	ck_assert_uint_eq(img.strip.files, 0);
	ck_assert_uint_eq(img.strip.before - img.strip.after, 0);
	ck_assert_uint_eq(img.dup_bytes_saved, 0);
	ck_assert_uint_eq(img.dup_files_linked, 0);
	ck_assert_uint_eq(img.superseded, 0);
	ck_assert_uint_eq(img.archives_stripped, 0);
	ck_assert_uint_eq(img.members.stripped, 0);
	ck_assert_uint_eq(img.ndups, 2);              /* the unlinked group, twice */
	ck_assert(!img.dups[0].linked && !img.dups[1].linked);
	ck_assert_uint_eq(img.dup_groups, 2);
	ck_assert_uint_eq(img.dup_elf_bytes, 1000);
	ck_assert_uint_eq(img.seen, 10);
	ck_assert_uint_eq(img.bytes_before, 18000);
	ck_assert_uint_eq(img.nskips, 2);
	ck_assert_uint_eq(img.skip[SKIP_TOO_LARGE].bytes, 1400);
	ck_assert_uint_eq(img.nkept, 2);
	ck_assert_uint_eq(img.archives, 2);
	ck_assert_uint_eq(img.members.members, 6);
	ck_assert_uint_eq(img.tar_before, img.tar_after);
	ck_assert_uint_eq(img.comp_before, img.comp_after);
	ck_assert(img.layer);
	report_release(&img);
	report_release(&l);
}
END_TEST

Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *t = tcase_create("image");

	tcase_add_test(t, digests_and_paths);
	tcase_add_test(t, platforms);
	tcase_add_test(t, manifest_parse_and_rewrite);
	tcase_add_test(t, manifest_rejects);
	tcase_add_test(t, config_rewrite_keeps_history);
	tcase_add_test(t, index_drops_and_replaces);
	tcase_add_test(t, docker_manifest_json);
	tcase_add_test(t, name_set);
	tcase_add_test(t, digests_and_names);
	tcase_add_test(t, media_types);
	tcase_add_test(t, platform_names_and_aliases);
	tcase_add_test(t, parsers_reject);
	tcase_add_test(t, manifest_rewrite_annotations);
	tcase_add_test(t, waste_of_layers);
	tcase_add_test(t, waste_of_deep_paths);
	tcase_add_test(t, detect_by_content);
	tcase_add_test(t, report_merge_of_a_layer);
	suite_add_tcase(s, t);
	return s;
}

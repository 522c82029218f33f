/* layer.c - layer mode: one layer (a tarball, a zip or a tree) through the
 * pipeline into a tar (or a zip). */
#include "layer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"
#include "sink_tar.h"
#include "source_dir.h"
#include "source_layer.h"
#include "source_tar.h"

/* I/O buffers: 1 MiB, or less for a small input (a wheel, a fuzz input)
 * whose tar stream is likely small too; only the number of calls changes. */
#define CHUNK_MAX (1u << 20)
#define CHUNK_MIN (64u << 10)

bool layer_detect(const char *path)
{
	unsigned char h[512];
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	k = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (k < 6)
		return false;
	return (h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4) ||   /* zip, wheel */
	       (h[0] == 0x1f && h[1] == 0x8b) ||                           /* gzip */
	       (h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd) || /* zstd */
	       (h[0] == 0xfd && memcmp(h + 1, "7zXZ", 4) == 0) ||              /* xz */
	       (h[0] == 'B' && h[1] == 'Z' && h[2] == 'h') ||                 /* bzip2 */
	       (k >= 263 && memcmp(h + 257, "ustar", 5) == 0);                 /* tar */
}

/* The compression of the file in fd, by its first bytes (static). */
static const char *codec_of_fd(int fd)
{
	unsigned char h[6];
	ssize_t k = pread(fd, h, sizeof(h), 0);

	if (k < 4)
		return "none";
	if (h[0] == 'P' && h[1] == 'K' && h[2] == 3 && h[3] == 4)
		return "zip";
	if (h[0] == 0x1f && h[1] == 0x8b)
		return "gzip";
	if (h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return "zstd";
	if (k == 6 && h[0] == 0xfd && memcmp(h + 1, "7zXZ", 4) == 0)
		return "xz";
	if (h[0] == 'B' && h[1] == 'Z' && h[2] == 'h')
		return "bzip2";
	return "none";
}

static const char *codec_name(int compress)
{
	return compress == COMPRESS_GZIP ? "gzip" : compress == COMPRESS_ZSTD ? "zstd" : "none";
}

void layer_result_release(struct layer_result *res)
{
	size_t i;

	for (i = 0; i < res->entries.n; i++)
		free(res->entries.v[i].path);
	free(res->entries.v);
	res->entries.v = NULL;
	res->entries.n = res->entries.cap = 0;
}

static size_t chunk_for(const struct stat *st)
{
	if (S_ISREG(st->st_mode) && (uint64_t)st->st_size < CHUNK_MAX / 4)
		return (uint64_t)st->st_size * 4 < CHUNK_MIN ? CHUNK_MIN : (size_t)st->st_size * 4;
	return CHUNK_MAX;
}

/* Does the input hold an entry its final state has not (a later one of
 * its path, or one that replaced a directory above it, took it)?  The
 * source marked them while reading: the output leaves them out. */
static bool some_gone(const struct source *src)
{
	size_t i;

	for (i = 0; i < src->ents.n; i++)
		if (src->ents.v[i].flags & ENT_GONE)
			return true;
	return false;
}

/* src (read) through the pipeline into out_path; the sizes and digests
 * into res and rep.  Reports a failure under name.  image: an image's
 * layer, into a scratch file that messages never name; the output file's
 * digest too. */
static int run_layer(const struct slim_opts *o, struct source *src, const char *name,
		     const char *out_path, int compress, struct report *rep,
		     struct layer_result *res, bool image)
{
	struct sink *sink = sink_tar_new(o, o->dry_run ? NULL : out_path, image ? name : NULL,
					 compress, image);
	size_t nchanges = rep->nchanges;
	struct sink_tar_result tr;
	struct pipeline p;
	int rc;

	src->name = name;
	rc = pipeline_run(&p, o, rep, src, sink, true);
	if (rc) {
		report_error(rep, name, p.fatal.msg);
	} else {
		sink_tar_result(sink, &tr);
		res->tar_out = tr.tar_out;
		res->file_out = tr.file_out;
		memcpy(res->diff_id, tr.diff_id, sizeof(res->diff_id));
		memcpy(res->out_digest, tr.out_digest, sizeof(res->out_digest));
		res->changed = rep->nchanges > nchanges || some_gone(src);
		report_layer_sizes(rep, res->tar_in, res->tar_out, res->file_in, res->file_out);
		/* a zip is written as a zip (deflated) */
		report_layer_codecs(rep, res->codec_in,
				    res->codec_in && !strcmp(res->codec_in, "zip") ? "zip"
										   : codec_name(compress));
	}
	pipeline_release(&p);
	sink_free(sink);
	return rc;
}

static void listed(void *ctx, const char *name, uint64_t size, bool dir, bool regular)
{
	struct layer_listing *l = ctx;

	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct layer_listed){ xstrdup(name), size, dir, regular };
}

/* A tarball or zip in fd; with image, list its headers into res and take
 * the digests an image checks. */
static int process_fd(const struct slim_opts *o, int fd, const char *name, const char *out_path,
		      int compress, struct report *rep, struct layer_result *res, bool image)
{
	struct source_tar_opts to = { .max_ratio = o->max_ratio };
	struct source_tar_result tr;
	struct err e = ERR_INIT;
	struct source *src;
	struct stat st;
	int rc = -1;

	report_set_layer(rep);
	if (fstat(fd, &st) != 0) {
		report_error(rep, name, strerror(errno));
		return -1;
	}
	to.in_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	if (image) {
		to.listed = listed;
		to.ctx = &res->entries;
		to.digests = true;
	}
	src = source_layer_new(o, rep, chunk_for(&st), &e);
	if (!src) {
		report_error(rep, name, e.msg);
		err_release(&e);
		return -1;
	}
	if (source_tar_read(src, fd, &to, &tr) != 0) {
		const char *why = source_layer_err(src);
		report_error(rep, name, why ? why : "cannot process the layer");
		goto out;
	}
	res->tar_in = tr.tar_bytes;
	res->file_in = to.in_size;
	res->codec_in = codec_of_fd(fd);
	if (tr.digests) {
		memcpy(res->in_digest, tr.in_digest, sizeof(res->in_digest));
		memcpy(res->in_diff_id, tr.in_diff_id, sizeof(res->in_diff_id));
		res->in_stream = tr.stream_bytes;
	}
	rc = run_layer(o, src, name, out_path, compress, rep, res, image);
out:
	source_free(src);
	return rc;
}

int layer_process_fd(const struct slim_opts *o, int in_fd, const char *in_name,
		     const char *out_path, int compress, struct report *rep,
		     struct layer_result *res)
{
	memset(res, 0, sizeof(*res));
	return process_fd(o, in_fd, in_name, out_path, compress, rep, res, true);
}

/* A tree packed as a layer. */
static int process_dir(const struct slim_opts *o, const char *input, const char *output,
		       int compress, struct report *rep, struct layer_result *res)
{
	struct err e = ERR_INIT;
	struct source *src = source_dir_pack(o, rep, input, CHUNK_MAX, &e);
	int rc = -1;

	if (!src) {
		report_error(rep, input, e.msg);
		err_release(&e);
		return -1;
	}
	if (source_layer_err(src))
		report_error(rep, input, source_layer_err(src));
	else
		rc = run_layer(o, src, input, output, compress, rep, res, false);
	source_free(src);
	return rc;
}

int layer_process(const struct slim_opts *o, const char *input, const char *output, int compress,
		  struct report *rep, struct layer_result *res)
{
	struct stat st;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	report_set_layer(rep);
	if (stat(input, &st) != 0) {
		report_error(rep, input, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return process_dir(o, input, output, compress, rep, res);
	fd = open(input, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report_error(rep, input, strerror(errno));
		return -1;
	}
	rc = process_fd(o, fd, input, output, compress, rep, res, false);
	close(fd);
	return rc;
}

/* ---- the command line's layer mode ----------------------------------------------- */

int layer_output_compress(const struct slim_opts *o, const char *p)
{
	size_t n = strlen(p);

	if (o->compress != COMPRESS_AUTO)
		return o->compress;
	if ((n > 4 && !strcmp(p + n - 4, ".zst")) || (n > 5 && !strcmp(p + n - 5, ".tzst")))
		return COMPRESS_ZSTD;
	if ((n > 3 && !strcmp(p + n - 3, ".gz")) || (n > 4 && !strcmp(p + n - 4, ".tgz")))
		return COMPRESS_GZIP;
	return COMPRESS_NONE;
}

static bool is_zip(const char *path)
{
	unsigned char h[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t k = fd >= 0 ? pread(fd, h, sizeof(h), 0) : -1;

	if (fd >= 0)
		close(fd);
	return k == (ssize_t)sizeof(h) && memcmp(h, "PK\3\4", 4) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

/*
 * A zip (a wheel) is written as a zip, deflated as a wheel is: OUT must be
 * named .whl or .zip, and --compress and --level, which choose a tar's
 * compression, do not apply.  A layer or a directory is written as a tar,
 * never under a zip's name.  Why o->output does not fit input, or NULL.
 */
static const char *output_misfit(const struct slim_opts *o, const char *input)
{
	bool zip_name = has_suffix(o->output, ".whl") || has_suffix(o->output, ".zip");

	if (!is_zip(input))
		return zip_name ? "a layer or directory is written as a tar: -o must not name a .whl "
				  "or .zip file" : NULL;
	if (!zip_name)
		return "a wheel or zip is written as a zip: -o must name a .whl or .zip file";
	if (o->compress != COMPRESS_AUTO || o->level)
		return "a wheel or zip is written deflated: --compress and --level do not apply";
	return NULL;
}

/*
 * What an audit without -o measures the output with: the input's own
 * compression when slim writes it (gzip, zstd), so that the packed sizes
 * compare like with like (all passes off: the same size, give or take the
 * tar headers and the gzip level); else zstd (a zip: deflate, as written).
 * The report names both codecs (report_layer_codecs).
 */
static int audit_compress(const char *input)
{
	int fd = open(input, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	const char *c;
	struct stat st;

	if (fd < 0)
		return COMPRESS_ZSTD;
	c = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? codec_of_fd(fd) : "none";
	close(fd);
	return strcmp(c, "gzip") == 0 ? COMPRESS_GZIP : COMPRESS_ZSTD;
}

int layer_run(const struct slim_opts *o, const char *input, struct report *rep)
{
	struct layer_result res;
	const char *why;
	int rc;

	report_add_root(rep, input);
	/* refused before any work: a mismatch is a mistake, not a conversion */
	if (o->output && (why = output_misfit(o, input))) {
		report_error(rep, input, why);
		return -1;
	}
	rc = layer_process(o, input, o->output,
			   o->output ? layer_output_compress(o, o->output) : audit_compress(input), rep,
			   &res);
	layer_result_release(&res);
	return rc;
}

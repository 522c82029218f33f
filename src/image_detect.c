/* image_detect.c - is a path a saved image (image.h, image_detect)?  By
 * content, reading no more of a tar than it takes.
 */
#include "image.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bound.h"
#include "layer.h"

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

/* The content of the current entry (at most IMAGE_MAX_JSON bytes); NULL if larger
 * or unreadable.  Caller frees. */
static char *entry_data(struct archive *a, struct archive_entry *ae, size_t *len)
{
	la_int64_t size = archive_entry_size(ae);
	char *p;

	if (archive_entry_filetype(ae) != AE_IFREG || size < 0 || (uint64_t)size > IMAGE_MAX_JSON)
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
		s->layout = (data = entry_data(a, ae, &len)) && image_layout_file_valid(data, len);
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
	if (archive_read_open_fd(a, fd, 1 << 20) == ARCHIVE_OK) {
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

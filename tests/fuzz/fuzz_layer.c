/* libFuzzer target: the layer reader (libarchive input: tar, any
 * compression, or zip; name checks, hard-link and symlink rules, the
 * expansion bound, sparse maps, dedup, a wheel's RECORD) in dry-run mode.
 * layer_process, not layer_run: a zip written to no file is a dry run. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "layer.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slim_opts o = { .dry_run = true, .jobs = 1, .strip_on = true,
			       .dedup = DEDUP_LINK, .compress = COMPRESS_NONE,
			       .max_entry = 1 << 20, .max_ratio = 1000 };
	struct layer_result res;
	struct report rep;
	char path[64];
	int fd = memfd_create("layer", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	strip_init();
	report_init(&rep, true);
	layer_process(&o, path, NULL, COMPRESS_NONE, &rep, &res);
	report_finish(&rep);
	report_release(&rep);
	close(fd);
	return 0;
}

/* strip.c - strip.h: what a buffer is, and the stripper for it.
 *
 * The ELF family calls one way only: strip.c dispatches to ar.c (static
 * archives) and elfstrip.c (ELF images); ar.c strips its members through
 * elfstrip.c, which hands ET_REL to relstrip.c; all of them share
 * elfimg.c.  Nothing below calls back up.
 */
#include "strip.h"

#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <string.h>

#include "elfimg.h"

static const struct {
	const char *id, *text;
} reasons[SKIP__COUNT] = {
	[SKIP_NONE] = { "none", "none" },
	[SKIP_STRIPPED] = { "already_stripped", "already stripped" },
	[SKIP_NOT_ELF] = { "not_elf", "not ELF (linker script or data)" },
	[SKIP_THIN_ARCHIVE] = { "thin_archive", "thin archive" },
	[SKIP_OBJECT] = { "object", "relocatable object (see --strip-objects)" },
	[SKIP_ELF_TYPE] = { "elf_type", "not an executable or shared object" },
	[SKIP_NO_SHDRS] = { "no_section_headers", "no section headers" },
	[SKIP_TRAILING] = { "trailing_data", "data after the ELF image" },
	[SKIP_DEBUG_FILE] = { "debug_file", "separate debug file" },
	[SKIP_INTERLEAVED] = { "interleaved_layout", "interleaved layout" },
	[SKIP_EMIT_RELOCS] = { "emit_relocs", "relocations refer to .symtab (--emit-relocs)" },
	[SKIP_LINKED] = { "linked_section", "a kept section refers to a removable one" },
	[SKIP_NOT_SMALLER] = { "not_smaller", "would not get smaller" },
	[SKIP_LINKS_OUTSIDE] = { "links_outside", "hard links outside the tree" },
	[SKIP_LTO] = { "lto", "LTO or bitcode object" },
	[SKIP_AR_FORMAT] = { "archive_format", "BSD or unknown archive format" },
	[SKIP_FAILED] = { "member_failed", "member could not be stripped" },
	[SKIP_AR_NO_ELF] = { "archive_without_elf", "ar archive without ELF members" },
	[SKIP_TOO_LARGE] = { "too_large", "over --max-entry-size (kept as it is)" },
	[SKIP_SPARSE] = { "sparse", "sparse past --max-ratio (not read)" },
	[SKIP_SOCKET] = { "socket", "socket ignored (a tar cannot hold one)" },
};

const char *skip_reason_str(enum skip_reason r)
{
	return (unsigned)r < SKIP__COUNT ? reasons[r].text : "?";
}

const char *skip_reason_id(enum skip_reason r)
{
	return (unsigned)r < SKIP__COUNT ? reasons[r].id : "?";
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
	elf_version(EV_CURRENT);
}

void strip_init(void)
{
	pthread_once(&init_once, do_init);
}

int strip_candidate(const unsigned char *head, size_t n)
{
	if (n >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0)
		return 1;
	if (n >= 8 && memcmp(head, "!<arch>\n", 8) == 0)
		return 1;
	if (n >= 8 && memcmp(head, "!<thin>\n", 8) == 0)
		return 1;
	return 0;
}

enum strip_verdict strip_buffer(const unsigned char *in, size_t n,
				const struct strip_opts *o, struct strip_result *r)
{
	return strip_file(in, n, -1, 0, o, r);
}

enum strip_verdict strip_file(const unsigned char *in, size_t n, int fd, uint64_t base,
			      const struct strip_opts *o, struct strip_result *r)
{
	strip_init();
	r->out = NULL;
	r->outlen = 0;
	r->content = NULL;
	r->reason = SKIP_NONE;
	r->archive = false;
	memset(&r->ar, 0, sizeof(r->ar));
	if (n >= 8 && memcmp(in, "!<thin>\n", 8) == 0)
		return ei_skip(r, SKIP_THIN_ARCHIVE);
	if (n >= 8 && memcmp(in, "!<arch>\n", 8) == 0)
		return ar_strip(in, n, r);
	if (n < 4 || memcmp(in, ELFMAG, SELFMAG) != 0)
		return ei_skip(r, SKIP_NOT_ELF);
	return strip_elf_fd(in, n, fd, base, o && o->strip_objects, r);
}

/* strip.h - strip unneeded symbols from an ELF image held in memory.
 *
 * The stripper works buffer in, buffer out: it opens no file, so the same
 * code serves a file on disk, an archive member and a tar entry.  Given
 * the file's descriptor too (strip_file), an ET_EXEC or ET_DYN image's
 * output is a content (content.h) instead: pieces of the original, read
 * through the descriptor when copied or checked, so that a library of
 * 2 GB is never held.  It
 * follows ../shared/strip-spec.md rules R1-R3 and R7 (kept in the project's
 * README): bytes [0, E) of the loadable image are copied verbatim, kept
 * non-alloc sections are packed after E, then a new .shstrtab and the
 * section header table.  The result is re-parsed and verified before it is
 * returned.
 */
#ifndef SLIM_STRIP_H
#define SLIM_STRIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Why a file was left as it was.  Order is the report's order. */
enum skip_reason {
	SKIP_NONE = 0,
	SKIP_STRIPPED,       /* nothing to remove */
	SKIP_NOT_ELF,        /* named like a library but not ELF (ld script) */
	SKIP_THIN_ARCHIVE,   /* !<thin> archive: members live elsewhere */
	SKIP_OBJECT,         /* ET_REL object outside an archive */
	SKIP_ELF_TYPE,       /* ET_CORE, ET_NONE, OS/processor types */
	SKIP_NO_SHDRS,       /* e_shoff == 0 */
	SKIP_TRAILING,       /* bytes after the ELF image (signatures, payloads) */
	SKIP_DEBUG_FILE,     /* separate debug file (--only-keep-debug) */
	SKIP_INTERLEAVED,    /* a removable section lies inside the loadable image */
	SKIP_EMIT_RELOCS,    /* kept relocations refer to .symtab */
	SKIP_LINKED,         /* a kept section refers to a removable one */
	SKIP_NOT_SMALLER,    /* output would not be smaller */
	SKIP_LINKS_OUTSIDE,  /* hard links outside the tree would be split */
	SKIP_LTO,            /* GCC LTO IR or LLVM bitcode: kept byte for byte */
	SKIP_AR_FORMAT,      /* BSD or unknown archive format */
	SKIP_FAILED,         /* archive member that could not be stripped: kept */
	SKIP_AR_NO_ELF,      /* ar archive without ELF members (a .deb) */
	SKIP_TOO_LARGE,      /* layer entry over --max-entry-size: not held in memory */
	SKIP_SPARSE,         /* far larger than its blocks on disk (bound.h): not read */
	SKIP_SOCKET,         /* a socket packed into a layer: a tar cannot hold one */
	SKIP__COUNT
};

/* A short phrase for the report ("already stripped"). */
const char *skip_reason_str(enum skip_reason r);
/* A stable identifier for JSON ("already_stripped"). */
const char *skip_reason_id(enum skip_reason r);

enum strip_verdict {
	STRIP_CHANGED, /* out/outlen hold a smaller, verified image */
	STRIP_SKIPPED, /* reason says why; nothing allocated */
	STRIP_FAILED,  /* err says why (corrupt or truncated input) */
};

struct strip_opts {
	int strip_objects; /* strip a standalone ET_REL (default: skip) */
};

struct skip_count {
	uint64_t files, bytes;
};

/* What happened to the members of a static archive. */
struct strip_members {
	uint64_t members;                 /* ordinary members (no armap, no name table) */
	uint64_t stripped, before, after; /* members that got smaller */
	struct skip_count skip[SKIP__COUNT]; /* members kept byte for byte, by reason */
};

struct content;

struct strip_result {
	enum strip_verdict verdict;
	enum skip_reason reason;
	unsigned char *out; /* malloc'd; caller frees with strip_result_release */
	size_t outlen;
	/* strip_file(): the new content instead of out (content.h), when the
	 * stripper made it in pieces (ET_EXEC, ET_DYN); outlen is its length */
	struct content *content;
	struct err err;
	bool archive;       /* the input was an ar archive: ar is filled */
	struct strip_members ar;
};
#define STRIP_RESULT_INIT { .verdict = STRIP_SKIPPED }

/* Call once before any other function here (sets the libelf version). */
void strip_init(void);

/*
 * Strip the image in[0..n).  `in` is only read.  Fills *r; the caller
 * releases it.  Returns r->verdict.
 */
enum strip_verdict strip_buffer(const unsigned char *in, size_t n,
				const struct strip_opts *o, struct strip_result *r);
/*
 * strip_buffer() of a file's content: in[0..n) is also what fd holds at
 * base, which the stripper reads in bulk (copying, checking) rather than
 * through in, so that little of a large file is ever held.  An ET_EXEC or
 * ET_DYN result comes as r->content, whose pieces read fd.
 */
enum strip_verdict strip_file(const unsigned char *in, size_t n, int fd, uint64_t base,
			      const struct strip_opts *o, struct strip_result *r);
void strip_result_release(struct strip_result *r);

/* Does this head of a file (at least 8 bytes, or all of it) start an ELF
 * image or an ar archive?  Cheap test used before reading the whole file. */
int strip_candidate(const unsigned char *head, size_t n);

#endif

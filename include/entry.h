/* entry.h - what a source yields: one small record per entry of a tree or
 * a layer, the same for every source.
 *
 * A record holds what every pass needs: the entry's normalized relative
 * path (no leading "/" or "./", no "." or ".." component, no trailing '/'),
 * its type, mode, owner and size, the directory that holds it and, for a
 * hard link, the entry that carries its content.  What only one source has
 * (a walk's device, inode and link count, a tar's header and where its
 * content waits in the spool) lives in that source's side arrays, indexed
 * by the same entry number; what the passes decide lives in the pipeline's
 * (pipeline.h).  Records stay small: a million entries are about 40 MB
 * here, plus their paths.
 */
#ifndef SLIM_ENTRY_H
#define SLIM_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "util.h"

/* "No entry" in an entry number field; a source refuses more entries
 * than ENT_MAX. */
#define ENT_NONE ((uint32_t)-1)
#define ENT_MAX ((size_t)ENT_NONE - 1)

enum entry_type {
	ENT_FILE,     /* a regular file that carries its content */
	ENT_DIR,
	ENT_SYMLINK,
	ENT_HARDLINK, /* another name of the file `link` (a tar's hard link; in a
		       * walk, the second and later names of an inode) */
	ENT_OTHER,    /* device, fifo, socket */
};

enum entry_flag {
	ENT_WHITEOUT = 1 << 0, /* an OCI whiteout (.wh.NAME, .wh..wh..opq): a layer's
				* entries only; it passes through untouched */
	ENT_GONE = 1 << 1,     /* not in the input's final state: a later entry of the
				* same path, or one that replaced a directory of its
				* path, took it (a layer's entries only) */
	ENT_SPARSE = 1 << 2,   /* a file far larger than its blocks (bound_sparse):
				* never read (a walk's entries only) */
	ENT_NOT_ELF = 1 << 3,  /* the source saw its first bytes: neither an ELF image
				* nor an ar archive */
};

struct entry {
	const char *path; /* in the table's string pool */
	uint64_t size;    /* files: bytes of content as the source holds it; else
			   * what the source says (a walk's st_size, a tar's size) */
	uint32_t parent;  /* the entry of the directory that holds it, or ENT_NONE
			   * (at the top, or not in a layer) */
	uint32_t link;    /* ENT_HARDLINK: the ENT_FILE entry it names (earlier in
			   * the table); else ENT_NONE */
	uint32_t mode;    /* st_mode: type and all 07777 bits */
	uint32_t uid, gid;
	uint8_t type;     /* enum entry_type */
	uint8_t flags;    /* enum entry_flag */
};

/*
 * The entries of one input, in the source's order (a walk's sorted
 * depth-first order, or a layer's order of entries).  Owns the records and
 * their paths; not thread-safe to add to, safe to read from any thread.
 */
struct entries {
	struct entry *v;
	size_t n, cap;
	struct strpool paths;
};
#define ENTRIES_INIT { NULL, 0, 0, STRPOOL_INIT }

/* Add an entry with path (copied), every other field ENT_NONE or 0; NULL
 * past ENT_MAX entries.  The pointer is valid until the next add. */
struct entry *entries_add(struct entries *t, const char *path, enum entry_type type);
void entries_release(struct entries *t);

/* Is x a name of a regular file (ENT_FILE or ENT_HARDLINK)? */
static inline bool entry_is_file(const struct entry *x)
{
	return x->type == ENT_FILE || x->type == ENT_HARDLINK;
}

/* The type the rules engine sees: a whiteout is RT_WHITEOUT, a hard link
 * a file. */
enum rules_type entry_rules_type(const struct entry *x);

/* The last component of path. */
const char *entry_base(const char *path);

#endif

/* dedup.h - find files with identical content and metadata in one input
 * (a tree, a layer) and have the copies made hard links to one kept copy.
 *
 * The caller lists the regular files (one item per name); dedup groups
 * them and, in link mode, has the caller link them.  Candidates are
 * narrowed in stages so that as little as possible is read:
 *
 *   1. equal st_dev, size, mode, uid and gid among distinct inodes (from
 *      the items alone: nothing is read of a file that has no partner);
 *   2. an equal XXH3-128 digest of the first DEDUP_BLOCK bytes (from the
 *      item's probe when it has one, so nothing is opened at this stage);
 *   3. an equal XXH3-128 digest of the whole content, continuing the
 *      same hash state (a probed file is hashed from its start, and its
 *      first block must still match the probe; a probed file of one block
 *      is not opened here);
 *   4. right before linking, equal extended attributes (every name and
 *      value: read as each file is opened to be compared, so no file is
 *      opened only for them; a group's files with other xattrs than its
 *      kept copy's form groups of their own, one per set of xattrs), a
 *      byte-for-byte comparison with the kept copy and a check that
 *      neither file changed since it was hashed.
 *
 * Files are read through a source (source.h: a tree's files opened
 * beneath its root without following symlinks, or a layer's spool) and
 * linked through the caller (a sink): dedup itself never names a path to
 * the file system.  Memory: 68 bytes per distinct inode (its key, its
 * first-block digest, where its names are), 24 more while they are
 * gathered; about 80 more per file that gets past stage 2 (its full
 * digest, xattrs, an error), one XXH3 state (about 600 bytes) per
 * candidate longer than a block between stages 2 and 3,
 * and one chunk buffer (two while comparing) per worker thread; never a
 * whole file.
 */
#ifndef SLIM_DEDUP_H
#define SLIM_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <xxhash.h>

#include "source.h"

/* Bytes hashed for the first-block digest; files read in DEDUP_CHUNKs. */
#define DEDUP_BLOCK 4096
#define DEDUP_CHUNK (1024 * 1024)

/*
 * The content a file has after an earlier pass of this run (the stripper
 * hashes the bytes it writes, so they are never read back).  Given one,
 * dedup reads nothing to hash the file.  In a report or dry run, where the
 * file on disk may still hold its old bytes, such a file is matched on
 * these digests alone (nothing is linked then); a link run still compares
 * bytes on disk before linking.
 */
struct dedup_digest {
	uint64_t size;
	XXH128_hash_t head, full;
	bool elf_so;
};
/* Is h[0..n) the start of an ELF shared object (ET_DYN)? */
bool dedup_is_elf_so(const unsigned char *h, size_t n);
/* The digest dedup would compute for data[0..len). */
void dedup_digest_of(const void *data, size_t len, struct dedup_digest *d);
/* The same digest of a content (content.h), read in chunks.  0, or -1
 * with e set when it cannot be read. */
struct content;
int dedup_digest_content(const struct content *c, struct dedup_digest *d, struct err *e);

/*
 * What dedup needs of a file before its narrowing stages, taken while the
 * file was open for another reason (the walk's probe): the digest of its
 * first DEDUP_BLOCK bytes (of everything, for a file no longer than a
 * block).  Valid only for the inode and mtime it names: an item whose dev
 * or ino differ is read again.
 */
struct dedup_probe {
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime;
	XXH128_hash_t head;
	bool elf_so;
};
/* Probe a regular file (stat st) whose first len bytes are head (len >=
 * min(size, DEDUP_BLOCK) or it gives up); NULL if it cannot.  Free the
 * result with free(). */
struct dedup_probe *dedup_probe_head(const struct stat *st, const unsigned char *head, size_t len);

/*
 * One name of a file, as the caller saw it (lstat).  Only regular,
 * non-empty files take part; other items are ignored.  Names with equal
 * dev and ino are one file (already linked) and are never hashed twice.
 * Items are asked for when needed (struct dedup_items), never held all at
 * once: a million names would cost 100 MB.
 */
struct dedup_item {
	const char *path;  /* for messages; borrowed for the call */
	size_t entry;      /* the source's entry that holds the content */
	dev_t dev;
	ino_t ino;
	uint64_t size;
	mode_t mode;       /* st_mode: type and all 07777 bits */
	uid_t uid;
	gid_t gid;
	const struct dedup_digest *pre; /* NULL: read the file; borrowed */
	bool has_probe;    /* probe holds what the walk saw (pre wins) */
	struct dedup_probe probe;
};

/*
 * The caller's items 0..n: get() fills *it with item i (mode 0: it takes
 * no part).  Called from dedup's threads at once (it must be thread-safe)
 * and for the same item more than once (it must give the same answer
 * until dedup_free()).
 */
struct dedup_items {
	size_t n;
	void (*get)(const void *ctx, size_t i, struct dedup_item *it);
	const void *ctx;
};
/* Items that are an array (tests, small callers). */
struct dedup_items dedup_items_array(const struct dedup_item *v, size_t n);

enum dedup_mode {
	DEDUP_OFF,    /* do nothing */
	DEDUP_REPORT, /* find and report, link nothing */
	DEDUP_LINK,   /* link (unless dry_run) */
};

/*
 * Make every name of a copy a link to the kept copy: kept is the kept
 * copy's first name, names[0..n) the copy's names, st is the copy as
 * verified (each name must still be that file, unchanged).  Returns 0, or
 * -1 with e set and *failed the index in names of the name that was not
 * linked; e->code EMLINK when the kept copy can take no more links (then,
 * with *failed 0, nothing has changed).
 */
typedef int (*dedup_link_fn)(void *ctx, const struct dedup_item *kept,
			     const struct dedup_item *names, size_t n, const struct stat *st,
			     size_t *failed, struct err *e);

struct dedup_opts {
	enum dedup_mode mode;
	bool link_elf; /* also link ELF shared objects (--dedup-elf) */
	bool dry_run;  /* as DEDUP_REPORT: same numbers, nothing changed */
	int jobs;      /* worker threads for hashing and comparing (< 1: 1) */
	dedup_link_fn link; /* called for each verified copy when mode is
			     * DEDUP_LINK and not dry_run; NULL: link nothing */
	void *link_ctx;
};

/*
 * Files with identical content, mode, owner and xattrs.  "Files" are
 * inodes; items lists every name of every member, in item order, and its
 * first entry is the kept copy (the member whose first name comes first;
 * files with links outside the items are no members).
 */
struct dedup_group {
	size_t *items;     /* indices into the caller's item array; owned */
	size_t nitems;
	size_t *copies;    /* the first name of each copy (not the kept one),
			    * ascending; owned */
	size_t ncopies;
	size_t nfiles;     /* distinct inodes in the group, at least 2 */
	uint64_t size;     /* size of one copy */
	bool elf_shared;   /* ELF ET_DYN (from the content); linked only with link_elf */
	bool linked;       /* the copies were linked, or would be (report, dry run) */
};

/* A per-file problem: the item it is about, and why. */
struct dedup_error {
	size_t item;
	struct err err;
};

/*
 * What a run found.  Owns everything it points to; release with
 * dedup_result_release().  A report or dry run gives the same numbers a
 * link run would (barring files that change or fail to link meanwhile).
 */
struct dedup_result {
	struct dedup_group *groups; /* in item order of their kept copies */
	size_t ngroups;
	uint64_t files_linked;       /* inodes replaced by links to a kept copy */
	uint64_t bytes_saved;        /* sum of size * files linked */
	uint64_t elf_groups;         /* ELF groups found and left unlinked */
	uint64_t elf_bytes_unlinked; /* what linking those would have saved */
	struct dedup_error *errors;  /* in item order */
	size_t nerrors;
};
#define DEDUP_RESULT_INIT { NULL, 0, 0, 0, 0, 0, NULL, 0 }

/*
 * Find duplicates among items[0..n), read from src, and, when o->mode is
 * DEDUP_LINK and !o->dry_run, make every name of every copy a link to the
 * kept copy (o->link).  items must be in a stable sorted path order (the
 * walk's order, a layer's order): that order picks the kept copy, so two
 * runs agree.  The result never depends on o->jobs.
 *
 * A copy is linked only if it is on the kept copy's device, its content
 * is byte-for-byte equal, its mode, uid, gid and every xattr match, it is
 * unchanged (size, mtime) since it was hashed, and it has no links outside
 * the items (linking it would free nothing).  A file with links outside
 * the items is never the kept copy either (the copies would change with it
 * when it is edited there): the next in order is kept.  Problems with
 * single files (unreadable, changed since listed, link failed) go to
 * res->errors and the run goes on.
 *
 * The work comes in three phases, so that the caller can act between
 * them: dedup_new() and dedup_hash_heads() (stages 1 and 2; the items'
 * probes are read in dedup_new() and never after, so that the caller may
 * free them then),
 * dedup_hash_rest() (stage 3: nothing is compared or linked yet; the
 * caller may finish work that changes link counts now), dedup_link()
 * (stage 4, and the result).  dedup_run() does them all.
 *
 * dedup_link fills *res (which it first sets to DEDUP_RESULT_INIT); the
 * caller releases it.  items and src are borrowed until dedup_free().
 */
struct dedup;
struct dedup *dedup_new(struct source *src, const struct dedup_items *items,
			const struct dedup_opts *o);
void dedup_hash_heads(struct dedup *d);
void dedup_hash_rest(struct dedup *d);
void dedup_link(struct dedup *d, struct dedup_result *res);
void dedup_free(struct dedup *d); /* NULL is fine */
/* All of the above.  Returns 0, or -1 with errno EINVAL for a NULL argument. */
int dedup_run(struct source *src, const struct dedup_item *items, size_t n,
	      const struct dedup_opts *o, struct dedup_result *res);

/* Free everything res owns and reset it to DEDUP_RESULT_INIT.  NULL is fine. */
void dedup_result_release(struct dedup_result *res);

#endif

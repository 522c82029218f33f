/* dedup_int.h - what dedup.c shares with its helpers (dedup_names.c,
 * dedup_digest.c, dedup_result.c). */
#ifndef SLIM_DEDUP_INT_H
#define SLIM_DEDUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "dedup.h"
#include "util.h"

/* A name while the files are gathered: 16 bytes, then freed. */
struct gname {
	uint64_t ino;
	uint32_t dev;  /* an index into the devices seen */
	uint32_t item;
};

/* Sort v[0..n) by (dev, ino, item), in place: the names of a million files
 * must not need a second copy (qsort's merge sort takes one).  Quicksort,
 * heapsort past a depth of 2 log n, insertion sort for short runs. */
void dedup_sort_names(struct gname *v, size_t n);

/* ---- the state dedup.c and dedup_result.c share ---------------------- */

enum role { ROLE_NONE, ROLE_KEPT, ROLE_COPY };

enum dflag {
	F_ELF_SO = 1 << 0,
	F_REST = 1 << 1,         /* the rest is to be hashed (state or from 0) */
	F_XATTRS_KNOWN = 1 << 2, /* xattrs read (a probe has none) */
	F_LINKED = 1 << 3,       /* replaced by a link (or would be) */
	F_PRE = 1 << 4,          /* its content is known by an earlier pass's digest */
	F_PROBED = 1 << 5,       /* head and mtime are the walk's probe's */
	F_FULL_IS_HEAD = 1 << 6, /* the head stands for the full digest: no longer
				  * than a block, or one of an unhashed pair */
	F_CLASS = 1 << 7,        /* verified: the first of its span's later xattr class */
};

/* What a file needs once it is read: made on first use, by the one thread
 * that has the file. */
struct dext {
	XXH3_state_t *state;   /* kept between the two hash passes */
	XXH128_hash_t full;    /* digest of everything (unless F_FULL_IS_HEAD) */
	struct buf xattrs;     /* canonical form: see fsu_read_xattrs() */
	size_t err_item;       /* the name err is about */
	struct err err;
};

/*
 * One distinct inode among the regular, non-empty items: 64 bytes, for it
 * is kept for every file of the input.  Its names are c->order[names ..
 * the next file's names), ascending.  During a pool pass a dfile is
 * written only by the thread handed it (or its group), so no locking is
 * needed and the merge in file order is deterministic.
 */
struct dfile {
	uint64_t size;         /* of the content dedup works on (an earlier pass's
				* digest's, else the item's) */
	XXH128_hash_t head;    /* digest of the first DEDUP_BLOCK bytes */
	int64_t mtime_sec;     /* when hashed */
	struct dext *x;        /* NULL until read (or failed) */
	uint32_t names;
	uint32_t uid, gid;
	uint32_t dev;          /* index in c->devs */
	uint32_t mtime_nsec;
	uint16_t mode;         /* a regular file's st_mode fits */
	uint8_t flags;         /* enum dflag */
	uint8_t role;          /* enum role */
};

/* The comparison keys of the three narrowing stages. */
enum stage { STAGE_META, STAGE_HEAD, STAGE_FULL };

struct span {
	size_t start, len;
};

struct dedup {
	struct source *src;
	struct dedup_items items;
	const struct dedup_opts *o;
	uint32_t *order;     /* item indices: every file's names, in file order */
	size_t norder;
	dev_t *devs;         /* the devices of the files, as first seen */
	size_t ndevs, lastdev;
	struct dfile *files; /* in item order of their first names */
	size_t nfiles;
	uint32_t *work;      /* file indices still in the running */
	size_t nwork;
	struct span *groups; /* runs of work with equal content and metadata */
	size_t ngroups;
	enum stage stage;    /* key used by cmp_work() */
};

static inline size_t first_name(const struct dedup *c, const struct dfile *f)
{
	return c->order[f->names];
}

static inline const uint32_t *names_of(const struct dedup *c, const struct dfile *f)
{
	return &c->order[f->names];
}

static inline size_t nnames(const struct dedup *c, const struct dfile *f)
{
	size_t k = (size_t)(f - c->files);

	return (k + 1 < c->nfiles ? c->files[k + 1].names : c->norder) - f->names;
}

static inline const char *ferr(const struct dfile *f)
{
	return f->x ? f->x->err.msg : NULL;
}

static inline bool group_would_link(const struct dedup *c, const struct dfile *kept)
{
	return !(kept->flags & F_ELF_SO) || c->o->link_elf;
}

static inline int cmp_size_t(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* dedup_result.c: the groups and errors of a run whose files are verified. */
void dedup_build_result(const struct dedup *c, struct dedup_result *res);

#endif

/* content.h - new content for a file, as pieces rather than one buffer.
 *
 * A stripped ML library of 2 GB is mostly the original's bytes at other
 * offsets: a content says so instead of holding them.  It is an ordered
 * list of pieces, each one of
 *   MEM   bytes in memory (headers the stripper made, a new .shstrtab, a
 *         whole buffer for outputs made in memory: archives, objects);
 *   SRC   a range of the original content, by offset: read when needed,
 *         from the source's file (pread) or from memory;
 *   ZERO  zeros (gaps, GPU code pruned): holes when written.
 * Reading (content_read), writing (content_write) and hashing a content
 * hold at most CONTENT_CHUNK bytes at a time, whatever its size.
 */
#ifndef SLIM_CONTENT_H
#define SLIM_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CONTENT_CHUNK (1u << 20) /* what reading, writing and hashing hold */

enum piece_kind { PIECE_MEM, PIECE_SRC, PIECE_ZERO };

struct cpiece {
	enum piece_kind kind;
	uint64_t pos;            /* where it starts in the content */
	uint64_t len;
	uint64_t off;            /* SRC: offset in the original */
	const unsigned char *p;  /* MEM: the bytes (owned by the content or borrowed) */
};

struct content {
	struct cpiece *v;
	size_t n, cap;
	uint64_t len;
	/* where SRC pieces are read: fd >= 0, pread at base + off; else mem */
	int fd;
	uint64_t base;
	const unsigned char *mem;
	uint64_t memlen;
	void **own;              /* freed with the content (malloc'd) */
	size_t nown, capown;
	void *map;               /* unmapped with the content, or NULL */
	size_t maplen;
};

/* An empty content whose SRC pieces read mem[0..memlen). */
void content_init(struct content *c, const unsigned char *mem, uint64_t memlen);
void content_release(struct content *c);
/* From now on SRC pieces are read from fd at base + off (not from mem). */
void content_set_fd(struct content *c, int fd, uint64_t base);

/* Append a piece.  add_mem copies p; add_ref borrows it (it must outlive
 * the content, or be owned through content_own/content_own_map); take
 * takes p (malloc'd), freed with the content. */
void content_add_src(struct content *c, uint64_t off, uint64_t len);
void content_add_zero(struct content *c, uint64_t len);
void content_add_mem(struct content *c, const void *p, size_t len);
void content_add_ref(struct content *c, const void *p, size_t len);
void content_take(struct content *c, void *p, size_t len);
/* The content frees p (malloc'd), or unmaps map[0..len) (one at most). */
void content_own(struct content *c, void *p);
void content_own_map(struct content *c, void *map, size_t len);

/* Replace [off, off + len) of c by the pieces w[0..nw) (their pos is
 * ignored; their lengths add up to len).  MEM pieces are borrowed.
 * False when the range is not inside c. */
bool content_splice(struct content *c, uint64_t off, uint64_t len, const struct cpiece *w,
		    size_t nw);

/* Where in c the original's [off, off + len) lies whole in one SRC piece:
 * *pos; false when it does not. */
bool content_find_src(const struct content *c, uint64_t off, uint64_t len, uint64_t *pos);

/* Read [off, off + n) of the content into buf.  0, or -1 with e set (the
 * range is outside the content, or the original could not be read). */
int content_read(const struct content *c, uint64_t off, void *buf, size_t n, struct err *e);
/* Are [off, off + n) of the content and of the original the same bytes?
 * -1 with e set when either cannot be read. */
int content_same_as_src(const struct content *c, uint64_t off, uint64_t srcoff, uint64_t n,
			struct err *e);
/* Read [off, off + n) of the original (as SRC pieces are read). */
int content_read_src(const struct content *c, uint64_t off, void *buf, size_t n, struct err *e);

/*
 * Write the content to fd (a new, empty file) from offset 0: MEM through
 * write, blocks of 4 KiB of zeros (aligned in the file) and ZERO pieces
 * left as holes, SRC copied with copy_file_range (with copy_range false,
 * or where the kernel cannot, read and written).  The file gets the
 * content's length.  0, or -1 with e set.
 */
int content_write(const struct content *c, int fd, bool copy_range, struct err *e);
/* All of it in one malloc'd buffer (*out, c->len bytes).  0, or -1. */
int content_to_buf(const struct content *c, unsigned char **out, struct err *e);

#endif

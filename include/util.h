/* util.h - allocation wrappers, growable buffer and error values.
 *
 * Only the allocation wrappers ever exit (status 3, "out of memory"); every
 * other function in slim returns a status and fills a struct err.
 */
#ifndef SLIM_UTIL_H
#define SLIM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLIM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocate or die with "slim: out of memory" and exit status 3. */
void xoom(void) __attribute__((noreturn)); /* that death, for other allocators */

/* The seed of every hash table keyed by names from the input, random once
 * per process (thread-safe): a fixed hash would let an input choose a long
 * run of collisions. */
uint64_t hash_seed(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grow *p (an array of *cap elements of size `size`) to hold at least `need`. */
void xgrow(void *pp, size_t *cap, size_t need, size_t size);

/*
 * struct buf: a growable byte buffer.
 * Invariants: p is never NULL and p[len] == '\0' (so text is always a C
 * string); cap == 0 means p points at a shared empty string and nothing is
 * owned.  buf_detach() hands the memory to the caller (who frees it) and
 * leaves the buffer empty.
 */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};
#define BUF_INIT { buf_empty, 0, 0 }
extern char buf_empty[];

void buf_init(struct buf *b);
void buf_release(struct buf *b);          /* frees; leaves b empty */
void buf_grow(struct buf *b, size_t extra); /* room for extra more bytes */
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) SLIM_PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) SLIM_PRINTF(2, 0);
void buf_setlen(struct buf *b, size_t len); /* len <= b->len */
char *buf_detach(struct buf *b, size_t *len); /* caller frees; len may be NULL */

/*
 * struct strpool: many small strings that live as long as the pool, packed
 * into large blocks (no allocation header or rounding per string; one
 * free for all).  Strings never move: a returned pointer stays valid until
 * strpool_release().  Not thread-safe.
 */
struct strpool {
	char **blocks;
	size_t nblocks, capblocks;
	char *cur;    /* free space of the current block */
	size_t avail; /* bytes free at cur */
};
#define STRPOOL_INIT { NULL, 0, 0, NULL, 0 }
char *strpool_dup(struct strpool *sp, const char *s);
void strpool_release(struct strpool *sp);

/*
 * struct err: the message of the first failure, e.g. "truncated section
 * header table".  Modules set it; callers print it with the subject.
 * msg is NULL when no error is set.  err_set() replaces any earlier message.
 */
struct err {
	char *msg;
	int code; /* errno, or 0 */
};
#define ERR_INIT { NULL, 0 }
void err_set(struct err *e, const char *fmt, ...) SLIM_PRINTF(2, 3);
/* Like err_set, appending ": strerror(errnum)" and keeping errnum in code. */
void err_errno(struct err *e, int errnum, const char *fmt, ...) SLIM_PRINTF(3, 4);
/* The two above with a va_list (errnum 0: no strerror), for a module's own
 * wrappers that add to the message or keep the first error only. */
void err_vset(struct err *e, int errnum, const char *fmt, va_list ap) SLIM_PRINTF(3, 0);
void err_release(struct err *e);

/* Round x up to a multiple of a (a == 0 or 1: x). */
static inline uint64_t align_up(uint64_t x, uint64_t a)
{
	if (a <= 1)
		return x;
	return (x + a - 1) / a * a;
}

/* Human-readable byte count ("1.5 MiB") into out (at least 16 bytes). */
void fmt_bytes(char *out, size_t outsz, uint64_t n);

/*
 * A tar entry's name as a relative path: empty and "." components dropped
 * ("./a//./b" -> "a/b", "." -> "").  strict: refuse an absolute name or a
 * ".." component (NULL, *why says which); otherwise a leading "/" is
 * dropped and ".." kept.  The caller frees the result.
 */
char *path_normalize(const char *p, bool strict, const char **why);
/* path_normalize (lenient), with each ".." taking away the component
 * before it ("a/./b/../c" -> "a/c"), as a symlink's target is resolved
 * inside a tree: NULL (*why, unless why is NULL, says so) when a ".."
 * would climb above the top. */
char *path_fold(const char *p, const char **why);

/* n bytes of fd at off into buf: 0, or -1 with e set ("read failed: ...",
 * or "file changed size while being read" when the file ends before). */
int pread_exact(int fd, void *buf, size_t n, uint64_t off, struct err *e);

#endif

/* fatbin.h - an inventory of the GPU code (CUDA fat binaries) an ELF image
 * carries, read from a buffer: no I/O, nothing allocated but the summary.
 *
 * A fat binary container (little-endian) is a 16-byte header - u32 magic
 * 0xBA55ED50, u16 version 1, u16 header size 16, u64 size of the entries -
 * and entries back to back, each an entry header and its payload:
 *
 *   +0  u16 kind (1 PTX, 2 ELF/SASS, others kept as "other")
 *   +4  u32 size of the entry header (64, 80, 96, 112 seen)
 *   +8  u64 size of the payload (padded to 8 when compressed)
 *   +16 u32 size of the compressed payload (0 when not compressed)
 *   +28 u32 SM architecture (90 for sm_90)
 *   +40 u64 flags: 0x2000 or 0x8000 compressed, 0x100000 sm_NNa,
 *       0x200000 sm_NNf
 *   +56 u64 size of the uncompressed payload (compressed entries)
 *
 * Containers sit in .nv_fatbin and inside other sections (cuFFT's .ldata,
 * cuBLASLt's .cask_resource); they are found by their magic at 8-byte
 * aligned offsets and accepted only when the whole structure holds: the
 * header's fields, every entry header inside the container, the entries
 * tiling it exactly, a compressed payload's size within its entry.
 *
 * Work is linear in the input: the scan of n bytes walks at most about
 * n / 16 + 4096 entry headers, and the sections of an image scanned
 * together hold at most the image's size; past either bound the scan
 * stops and says so (a hostile input, never a real library).
 */
#ifndef SLIM_FATBIN_H
#define SLIM_FATBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FATBIN_MAGIC 0xBA55ED50u
#define FATBIN_HEADER 16
#define FATBIN_ENTRY_MIN 64

enum fatbin_kind { FATBIN_SASS, FATBIN_PTX, FATBIN_OTHER };

/* One entry of a container, as fatbin_container() reports it. */
struct fatbin_entry {
	enum fatbin_kind kind;
	uint16_t raw_kind;
	uint32_t arch;      /* 90 for sm_90 */
	char variant;       /* 'a' (sm_90a), 'f' (sm_100f) or 0 */
	bool compressed;
	uint64_t off;       /* of its header, from the start of the container */
	uint64_t bytes;     /* entry header + payload: what removing it frees */
	uint64_t payload;   /* as stored */
};

/* The entries of one kind and architecture, added up. */
struct fatbin_row {
	uint32_t arch;
	char variant;
	uint8_t kind;        /* enum fatbin_kind */
	uint64_t bytes, entries, compressed; /* compressed: how many entries */
};

struct fatbin_summary {
	uint64_t containers, entries;
	uint64_t bytes;      /* of every entry: the rows' sum */
	bool incomplete;     /* the scan stopped at its bound */
	struct fatbin_row *rows; /* sorted by fatbin_row_cmp() */
	size_t nrows, caprows;
};

typedef void (*fatbin_entry_fn)(void *ctx, const struct fatbin_entry *e);

/*
 * Does a valid container start at p (n bytes available)?  Its size
 * (header and entries), or 0.  Every entry goes to fn (may be NULL) once
 * the whole container has validated.  *steps (may be NULL) grows by the
 * entry headers walked.
 */
uint64_t fatbin_container(const unsigned char *p, size_t n, fatbin_entry_fn fn, void *ctx,
			  size_t *steps);

/* The container header at p (n bytes available): its whole size, or 0
 * when the header does not hold (its entries unchecked). */
uint64_t fatbin_header(const unsigned char *p, uint64_t n);
/* Does the entry header at p (at least FATBIN_ENTRY_MIN bytes readable
 * when left is as much), with left bytes up to its container's end, hold
 * together?  *e filled (but e->off). */
bool fatbin_entry_read(const unsigned char *p, uint64_t left, struct fatbin_entry *e);

/* "sass", "ptx" or "other". */
const char *fatbin_kind_str(enum fatbin_kind k);
/* "sm_90", "sm_90a", into out (at least 16 bytes). */
void fatbin_arch_str(char *out, size_t n, uint32_t arch, char variant);
/* Rows in report order: architecture, variant, kind. */
int fatbin_row_cmp(const struct fatbin_row *a, const struct fatbin_row *b);

void fatbin_summary_init(struct fatbin_summary *s);
void fatbin_summary_release(struct fatbin_summary *s);
/* Add one entry to s (its row made on first use). */
void fatbin_summary_add(struct fatbin_summary *s, const struct fatbin_entry *e);
/* Add a row of another summary to s (entries and bytes included). */
void fatbin_summary_add_row(struct fatbin_summary *s, const struct fatbin_row *row);

/*
 * Scan buf[lo, hi) for containers at offsets of buf that are multiples of
 * 8, adding what valid ones hold to s; a container must lie within
 * [lo, hi).  The scan goes on after each container's end.
 */
void fatbin_scan(const unsigned char *buf, size_t lo, size_t hi, struct fatbin_summary *s);

/* The walk under fatbin_scan(): each valid container's offset and size to
 * fn, its entries to efn (either may be NULL).  False when it stopped at
 * its bound. */
typedef void (*fatbin_container_fn)(void *ctx, size_t off, uint64_t len);
bool fatbin_each(const unsigned char *buf, size_t lo, size_t hi, fatbin_container_fn fn,
		 void *ctx, fatbin_entry_fn efn, void *ectx);
/* A scan says which ranges [lo, hi) of what it reads it is done with (it
 * may come back to them for a section that overlaps): a caller holding
 * them as a mapping drops their pages, so that scanning a library of 2 GB
 * does not hold it. */
typedef void (*fatbin_done_fn)(void *ctx, size_t lo, size_t hi);
/* fatbin_each() (containers only) that tells done() as it goes. */
bool fatbin_each_paged(const unsigned char *buf, size_t lo, size_t hi, fatbin_container_fn fn,
		       void *ctx, fatbin_done_fn done, void *dctx);

/* The regions of an ELF image that fatbin_scan_elf() scans, [lo, hi) to
 * fn in section order; fn returns false to stop.  False when stopped
 * (by fn, or at the bound on overlapping sections). */
typedef bool (*fatbin_region_fn)(void *ctx, size_t lo, size_t hi);
bool fatbin_elf_regions(const unsigned char *in, size_t n, fatbin_region_fn fn, void *ctx);

/*
 * The inventory of an ELF image in[0..n) (a little-endian one: ELF32 or
 * ELF64): when it has a section named .nv_fatbin or .nvFatBinSegment,
 * every section that occupies memory and is no code is scanned; otherwise
 * nothing is (an image with containers elsewhere only, as CUPTI keeps its
 * kernels in .rodata, is not inventoried: the price would be reading every
 * image whole).  Anything that is not a well-formed ELF image yields an
 * empty summary.
 */
void fatbin_scan_elf(const unsigned char *in, size_t n, struct fatbin_summary *s);
/* fatbin_scan_elf() that tells done() as it goes (fatbin_done_fn). */
void fatbin_scan_elf_paged(const unsigned char *in, size_t n, struct fatbin_summary *s,
			   fatbin_done_fn done, void *ctx);


/* ---- pruning (fatprune.c) ------------------------------------------------ */

#define CUDA_TARGETS_MAX 16

/* The GPUs a deployment runs (--cuda-arch), and whether PTX is kept for
 * newer ones (--cuda-ptx). */
struct cuda_targets {
	size_t n;                        /* 0: nothing is pruned */
	uint32_t arch[CUDA_TARGETS_MAX]; /* 90 for sm_90 (sm_90a is the same GPU) */
	bool no_ptx;                     /* --cuda-ptx none */
};

/* Parse "sm_90" or "sm_80,sm_90a" into t.  0, or -1 with what is wrong in
 * err (n bytes). */
int cuda_targets_parse(const char *s, struct cuda_targets *t, char *err, size_t n);

/* What pruning did to one image. */
struct fatbin_pruned {
	uint64_t containers;     /* made smaller */
	uint64_t whole;          /* left whole: nothing in them for a listed GPU */
	uint64_t failed;         /* left whole: the check after compacting failed */
	struct fatbin_summary removed; /* the entries removed, by architecture */
};

/*
 * Remove, from every container of the ELF image buf[0..n) (found as
 * fatbin_scan_elf() finds them, all before any is pruned; one that overlaps
 * another found before it stays whole), the entries no GPU of t can run: SASS
 * runs on a GPU of the same major version and no lower minor ("a" variants
 * on that GPU only); of the PTX, the newest no newer than the newest GPU
 * stays (none with no_ptx); every listed GPU keeps the best entry that
 * serves it; other kinds stay.  A container with nothing for some listed
 * GPU stays whole.  Kept entries move down, in order, to the container's
 * start; its size shrinks; the bytes freed become zeros: no container
 * moves and no byte outside the containers changes.  Each container is
 * checked after compacting (valid, kept entries byte for byte, zeros after)
 * and put back as it was if the check fails.  p is filled (its summary
 * initialised here).  Returns the bytes removed.
 */
uint64_t fatbin_prune_elf(unsigned char *buf, size_t n, const struct cuda_targets *t,
			  struct fatbin_pruned *p);
/* The same for the containers of buf[lo, hi) (as fatbin_scan() finds them). */
uint64_t fatbin_prune(unsigned char *buf, size_t lo, size_t hi, const struct cuda_targets *t,
		      struct fatbin_pruned *p);
/*
 * fatbin_prune_elf() of an image held as in[0..n) (only read), whose new
 * content is c (content.h): the containers are found in the input, each
 * pruned where it lies, unchanged, in one SRC piece of c (one that does
 * not stays as it is), by pieces: its header anew, its kept entries from
 * the input, zeros.  Each is checked (read back from c) as there.  The
 * pages of in that the search and pruning read go to done() (may be NULL).
 */
struct content;
uint64_t fatbin_prune_content(const unsigned char *in, size_t n, struct content *c,
			      const struct cuda_targets *t, struct fatbin_pruned *p,
			      fatbin_done_fn done, void *dctx);
void fatbin_pruned_release(struct fatbin_pruned *p);

#endif

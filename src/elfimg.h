/* elfimg.h - internal: an ELF image being stripped, shared by the ET_EXEC/
 * ET_DYN stripper (elfstrip.c) and the ET_REL stripper (relstrip.c), and
 * what the files of the ELF family call of each other.  Calls go one way:
 * strip.c -> ar.c -> elfstrip.c -> relstrip.c, each -> elfimg.c. */
#ifndef SLIM_ELFIMG_H
#define SLIM_ELFIMG_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>

#include "content.h"
#include "strip.h"

struct sec {
	GElf_Shdr sh;
	const char *name;
	bool keep;
	bool moved;       /* placed anew (else keeps its offset) */
	bool unlink;      /* sh_link named a removed .symtab it does not use: 0 */
	size_t ndx;       /* index in the output */
	uint64_t off;     /* offset in the output */
	uint32_t nameoff; /* sh_name in the output */
};

/* A run of the file that moves as one (elfmove.c): bytes [off, end) of the
 * input go to off - shift in the output. */
struct eblock {
	uint64_t off, end, shift;
};

struct img {
	const unsigned char *in;
	size_t n;
	int fd;            /* >= 0: in is also fd's content at base, read in bulk through it */
	uint64_t base;
	Elf *elf;
	GElf_Ehdr eh;
	int cls;
	size_t shnum, shstrndx, phnum;
	size_t shentsize;
	struct sec *s;
	uint64_t end_load; /* E: end of the loadable image */
	struct eblock *blk; /* the loaded image in blocks (ei_blocks) */
	size_t nblk;
	uint64_t new_end;  /* the loaded image's end in the output */
	uint64_t phoff;    /* e_phoff in the output */
	bool moves;        /* some block moves: program headers change */
	bool reuse_shstrtab;
	struct buf strtab; /* new .shstrtab when not reused */
	size_t newshnum, newstrndx;
	uint64_t shoff, total;
};

/* BFD's SEC_DEBUGGING name test (strip-spec.md R2). */
bool ei_debug_name(const char *n);
/* a + b <= lim without overflow */
bool ei_fits(uint64_t a, uint64_t b, uint64_t lim);
bool ei_mul_fits(uint64_t a, uint64_t b, uint64_t *res);
/* sh_addralign is 0 or a power of two no larger than 1 MiB */
bool ei_valid_align(uint64_t a);
bool ei_is_rel(const GElf_Shdr *sh);
/* Does sh_info hold a section index? */
bool ei_info_is_section(const GElf_Shdr *sh);

/* Set r to FAILED with a message, or to SKIPPED with a reason; return it. */
enum strip_verdict ei_fail(struct strip_result *r, const char *fmt, ...) SLIM_PRINTF(2, 3);
enum strip_verdict ei_skip(struct strip_result *r, enum skip_reason why);

/*
 * Parse m->in[0..m->n): headers, names, bounds of every section and
 * segment; E; bytes after the image (SKIP_TRAILING).  ET_REL is accepted
 * only when allow_rel.  Returns STRIP_CHANGED to go on.
 */
enum strip_verdict ei_load(struct img *m, bool allow_rel, struct strip_result *r);
void ei_release(struct img *m);

/*
 * elfmove.c: the loaded image (headers, segments, alloc sections) as
 * blocks.  Unless move, one block [0, E) that stays.  With move, runs of
 * segments are moved down over the gaps between them, each by a multiple
 * of the largest alignment in it, so every byte keeps its address and
 * p_offset stays congruent to p_vaddr.  STRIP_CHANGED to go on.
 */
enum strip_verdict ei_blocks(struct img *m, bool move, struct strip_result *r);
/* The block holding [off, off + len) whole, or -1; *part set when the
 * range overlaps a block without lying inside it. */
long ei_block_of(const struct img *m, uint64_t off, uint64_t len, bool *part);
/* Where input offset off (in the loaded image or just past a block) lies
 * in the output. */
uint64_t ei_moved(const struct img *m, uint64_t off);
/* May a PT_LOAD aligned to p_align move down by shift bytes?  Not at all
 * unless p_align is a power of two of a page (4 KiB) or more: the loader
 * maps pages, whatever p_align says. */
bool ei_load_shift_ok(uint64_t p_align, uint64_t shift);
/* Append the blocks to c (empty), as pieces of the input at their new
 * offsets, zeros between them, up to the loaded image's new end.  False
 * when they are not in order. */
bool ei_add_blocks(const struct img *m, struct content *c);
/* When blocks moved, write the program headers with their new offsets at
 * out + m->phoff.  False when libelf cannot encode them. */
bool ei_put_phdrs(const struct img *m, unsigned char *out);
/* NULL, or what is wrong with out's blocks (len bytes) and program
 * headers against the input (the ELF header aside); skel holds out's
 * headers (program headers, when they moved) for libelf to parse. */
const char *ei_verify_blocks(const struct img *m, const unsigned char *skel,
			     const struct content *out, size_t len);

/* Encode n bytes of type t from native src into dst in the file's class
 * and byte order. */
bool ei_xlate(int cls, unsigned enc, Elf_Type t, void *dst, size_t n, const void *src);
void ei_shdr_to32(Elf32_Shdr *d, const GElf_Shdr *s);
/* Write the ELF header of m with new e_shoff/e_shnum/e_shstrndx (extended
 * numbering applied) at out. */
bool ei_put_ehdr(const struct img *m, unsigned char *out, uint64_t shoff, size_t shnum,
		 size_t shstrndx);

/*
 * A string table builder that shares tails, as linkers and GNU strip do
 * (".rela.text" also holds ".text").  Add strings (borrowed until build),
 * then build: out gets "\0" followed by the table, offs[id] the offset of
 * each string added (the empty string is at 0).
 */
struct strtab {
	const char **v;
	size_t n, cap;
};
size_t strtab_add(struct strtab *t, const char *s);
void strtab_build(struct strtab *t, struct buf *out, uint32_t *offs);
void strtab_release(struct strtab *t);

/* elfstrip.c: strip one ELF image (ET_REL only when allow_rel), by its
 * type: rel_strip() or the ET_EXEC/ET_DYN stripper. */
enum strip_verdict strip_elf(const unsigned char *in, size_t n, bool allow_rel,
			     struct strip_result *r);
/* strip_elf of a file's content: in[0..n) is also fd's at base, read in
 * bulk through fd; an ET_EXEC/ET_DYN result is r->content. */
enum strip_verdict strip_elf_fd(const unsigned char *in, size_t n, int fd, uint64_t base,
				bool allow_rel, struct strip_result *r);
/* relstrip.c: the ET_REL stripper (R4), on a loaded image. */
enum strip_verdict rel_strip(struct img *m, struct strip_result *r);
/* ar.c: the archive rewriter (R5), for strip_buffer(): in[0..n) starts
 * with "!<arch>\n"; its members go through strip_elf(). */
enum strip_verdict ar_strip(const unsigned char *in, size_t n, struct strip_result *r);

#endif

/* elfmove.c - moving the loaded image of an ELF file while every byte keeps
 * its virtual address.
 *
 * The loader asks of each segment only that p_offset is congruent to
 * p_vaddr modulo p_align (glibc: "ELF load command address/offset not
 * page-aligned" otherwise).  So a run of segments may move down in the file
 * by any multiple of the largest alignment in it, and nothing inside the
 * run changes: addresses, relocations, the dynamic section all speak of
 * addresses, not of offsets.  Only p_offset, sh_offset, e_phoff and e_shoff
 * change, and the caller writes the last two.
 *
 * patchelf (auditwheel) appends a PT_LOAD after .symtab and .strtab: that
 * segment moves down over the removed sections, by a multiple of its
 * p_align, to the first offset past the image before it that keeps the
 * congruence.
 */
#include "elfimg.h"

#include <stdlib.h>
#include <string.h>

/* A piece of the loaded image: align 0 means it may not move. */
struct piece {
	uint64_t off, end, align;
};

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

/* An alignment a run may move by: a power of two, else 0 (it stays). */
static uint64_t move_align(uint64_t a)
{
	if (a <= 1)
		return 1;
	return (a & (a - 1)) == 0 && a <= (1ull << 30) ? a : 0;
}

/* The smallest page a loader maps: whatever its p_align says (0 and 1
 * too), a PT_LOAD's p_offset must stay congruent to p_vaddr modulo the
 * page, so one aligned to less may not move. */
#define PAGE_MIN 4096u

/* What a PT_LOAD may move by: its p_align, a page or more, else 0. */
static uint64_t load_align(uint64_t a)
{
	return a >= PAGE_MIN ? move_align(a) : 0;
}

bool ei_load_shift_ok(uint64_t p_align, uint64_t shift)
{
	return shift == 0 || (load_align(p_align) && shift % p_align == 0);
}

/* The largest of two alignments; 0 (may not move) wins. */
static uint64_t join_align(uint64_t a, uint64_t b)
{
	return a == 0 || b == 0 ? 0 : a > b ? a : b;
}

static void add_piece(struct piece *v, size_t *n, uint64_t off, uint64_t len, uint64_t align)
{
	if (len)
		v[(*n)++] = (struct piece){ off, off + len, align };
}

/* Every piece of the image: the ELF header, the program header table, each
 * segment's bytes, each alloc section's bytes.  Bounds were checked by
 * ei_load().  Returns how many, or (size_t)-1 when a header is unreadable. */
static size_t collect(const struct img *m, struct piece *v)
{
	size_t n = 0, i;

	add_piece(v, &n, 0, m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), 0);
	add_piece(v, &n, m->eh.e_phoff, (uint64_t)m->phnum * m->eh.e_phentsize, 1);
	for (i = 0; i < m->phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(m->elf, (int)i, &ph))
			return (size_t)-1;
		add_piece(v, &n, ph.p_offset, ph.p_filesz,
			  ph.p_type == PT_LOAD ? load_align(ph.p_align) : move_align(ph.p_align));
	}
	for (i = 1; i < m->shnum; i++) {
		const GElf_Shdr *sh = &m->s[i].sh;
		if ((sh->sh_flags & SHF_ALLOC) && sh->sh_type != SHT_NOBITS)
			add_piece(v, &n, sh->sh_offset, sh->sh_size, move_align(sh->sh_addralign));
	}
	return n;
}

/* Pieces that overlap or touch become one; runs placed from the start,
 * each as far down as its alignment lets it; runs with the same shift
 * become one block (the gap between them goes along). */
static void place(struct img *m, struct piece *v, size_t n)
{
	uint64_t pos = 0, shift;
	size_t i = 0, k;

	qsort(v, n, sizeof(*v), cmp_piece);
	m->nblk = 0;
	while (i < n) {
		struct piece run = v[i++];
		while (i < n && v[i].off <= run.end) {
			if (v[i].end > run.end)
				run.end = v[i].end;
			run.align = join_align(run.align, v[i].align);
			i++;
		}
		/* the first run holds the ELF header, at 0 */
		shift = run.align && run.off > pos ? (run.off - pos) / run.align * run.align : 0;
		k = m->nblk;
		if (k && m->blk[k - 1].shift == shift) {
			m->blk[k - 1].end = run.end;
		} else {
			m->blk[k] = (struct eblock){ run.off, run.end, shift };
			m->nblk++;
		}
		pos = run.end - shift;
		if (shift)
			m->moves = true;
	}
	m->new_end = pos;
}

/* Does every PT_LOAD stay, or move by a multiple of its p_align (a page
 * or more) to an offset congruent to p_vaddr modulo p_align?  One that
 * stays is left as the input has it. */
static bool congruent(const struct img *m)
{
	size_t i;

	for (i = 0; i < m->phnum; i++) {
		GElf_Phdr ph;
		uint64_t a, to;
		if (!gelf_getphdr(m->elf, (int)i, &ph))
			return false;
		if (ph.p_type != PT_LOAD)
			continue;
		a = ph.p_align;
		to = ei_moved(m, ph.p_offset);
		if (!ei_load_shift_ok(a, ph.p_offset - to) ||
		    (to != ph.p_offset && (to - ph.p_vaddr) % a != 0))
			return false;
	}
	return true;
}

enum strip_verdict ei_blocks(struct img *m, bool move, struct strip_result *r)
{
	struct piece *v;
	size_t n;

	free(m->blk);
	m->blk = NULL;
	m->moves = false;
	if (!move) {
		m->blk = xmalloc(sizeof(*m->blk));
		m->blk[0] = (struct eblock){ 0, m->end_load, 0 };
		m->nblk = 1;
		m->new_end = m->end_load;
		return STRIP_CHANGED;
	}
	v = xmalloc((2 + m->phnum + m->shnum) * sizeof(*v));
	n = collect(m, v);
	if (n == (size_t)-1) {
		free(v);
		return ei_fail(r, "cannot read program header: %s", elf_errmsg(-1));
	}
	m->blk = xmalloc(n * sizeof(*m->blk));
	place(m, v, n);
	free(v);
	m->phoff = m->phnum ? ei_moved(m, m->eh.e_phoff) : m->eh.e_phoff;
	/* a segment with no bytes in the file moves with the block before it,
	 * which may not keep its congruence: then nothing moves */
	if (!congruent(m))
		return ei_skip(r, SKIP_INTERLEAVED);
	return STRIP_CHANGED;
}

/* The last block that starts at or before off, or -1: blocks are sorted
 * and apart, so a bisection finds it (a hostile image makes as many
 * blocks as sections). */
static long block_at(const struct img *m, uint64_t off)
{
	size_t lo = 0, hi = m->nblk;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->blk[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

long ei_block_of(const struct img *m, uint64_t off, uint64_t len, bool *part)
{
	long i = block_at(m, off);

	*part = false;
	if (i >= 0 && off <= m->blk[i].end && len <= m->blk[i].end - off)
		return i;
	if (i >= 0 && off < m->blk[i].end)
		*part = true;
	/* the next block starts past off: does the range reach into it? */
	if ((size_t)(i + 1) < m->nblk && off + len > m->blk[i + 1].off)
		*part = true;
	return -1;
}

uint64_t ei_moved(const struct img *m, uint64_t off)
{
	long i = block_at(m, off);

	return off - (i >= 0 ? m->blk[i].shift : 0);
}

static void phdr_to32(Elf32_Phdr *d, const GElf_Phdr *s)
{
	d->p_type = s->p_type;
	d->p_offset = (Elf32_Off)s->p_offset;
	d->p_vaddr = (Elf32_Addr)s->p_vaddr;
	d->p_paddr = (Elf32_Addr)s->p_paddr;
	d->p_filesz = (Elf32_Word)s->p_filesz;
	d->p_memsz = (Elf32_Word)s->p_memsz;
	d->p_flags = s->p_flags;
	d->p_align = (Elf32_Word)s->p_align;
}

bool ei_add_blocks(const struct img *m, struct content *c)
{
	size_t i;

	for (i = 0; i < m->nblk; i++) {
		const struct eblock *b = &m->blk[i];
		if (b->off - b->shift < c->len)
			return false;
		content_add_zero(c, b->off - b->shift - c->len); /* the gap before it */
		content_add_src(c, b->off, b->end - b->off);
	}
	if (m->new_end < c->len)
		return false;
	content_add_zero(c, m->new_end - c->len);
	return true;
}

bool ei_put_phdrs(const struct img *m, unsigned char *out)
{
	size_t i, esz = m->eh.e_phentsize;
	unsigned char *tbl;
	bool ok = true;

	if (!m->moves || !m->phnum)
		return true;
	tbl = xcalloc(m->phnum, esz);
	for (i = 0; i < m->phnum && ok; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(m->elf, (int)i, &ph)) {
			ok = false;
			break;
		}
		ph.p_offset = ei_moved(m, ph.p_offset);
		if (m->cls == ELFCLASS64)
			((Elf64_Phdr *)(void *)tbl)[i] = ph; /* GElf_Phdr is Elf64_Phdr */
		else
			phdr_to32(&((Elf32_Phdr *)(void *)tbl)[i], &ph);
	}
	if (ok)
		ok = ei_xlate(m->cls, m->eh.e_ident[EI_DATA], ELF_T_PHDR, out + m->phoff,
			      m->phnum * esz, tbl);
	free(tbl);
	return ok;
}

/* Are in[lo, hi) and the output's copy of them the same?  A read that
 * fails counts as a difference. */
static bool same(const struct content *out, uint64_t shift, uint64_t lo, uint64_t hi)
{
	struct err e = ERR_INIT;
	bool ok = lo >= hi || content_same_as_src(out, lo - shift, lo, hi - lo, &e) == 1;

	err_release(&e);
	return ok;
}

/* Are the bytes of block b the input's, the ELF header aside and, when
 * blocks moved, the program header table (checked field by field)? */
static bool same_block(const struct img *m, const struct content *out, const struct eblock *b)
{
	uint64_t ehsz = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	uint64_t lo = b->off > ehsz ? b->off : ehsz, ph, phend;

	if (!m->moves || !m->phnum)
		return same(out, b->shift, lo, b->end);
	ph = m->eh.e_phoff;
	phend = ph + (uint64_t)m->phnum * m->eh.e_phentsize;
	return same(out, b->shift, lo, ph < b->end ? ph : b->end) &&
	       same(out, b->shift, phend > lo ? phend : lo, b->end);
}

const char *ei_verify_blocks(const struct img *m, const unsigned char *skel,
			     const struct content *out, size_t len)
{
	Elf *e;
	size_t i;
	const char *why = NULL;
	uint64_t from;
	bool part;

	for (i = 0; i < m->nblk; i++)
		if (!ei_fits(m->blk[i].off - m->blk[i].shift, m->blk[i].end - m->blk[i].off, len) ||
		    !same_block(m, out, &m->blk[i]))
			return "loadable bytes differ";
	if (!m->moves)
		return NULL;
	e = elf_memory((char *)skel, len);
	if (!e)
		return "output does not parse";
	for (i = 0; i < m->phnum && !why; i++) {
		GElf_Phdr a, b;
		if (!gelf_getphdr(m->elf, (int)i, &a) || !gelf_getphdr(e, (int)i, &b)) {
			why = "program header unreadable";
			break;
		}
		from = a.p_offset;
		a.p_offset = ei_moved(m, a.p_offset);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			why = "program header changed";
		else if (b.p_type == PT_LOAD && !ei_load_shift_ok(b.p_align, from - b.p_offset))
			why = "segment moved by other than a multiple of its alignment";
		else if (b.p_type == PT_LOAD && from != b.p_offset &&
			 (b.p_offset - b.p_vaddr) % b.p_align)
			why = "segment offset not congruent to its address";
		else if (b.p_filesz && (!ei_fits(b.p_offset, b.p_filesz, len) ||
					ei_block_of(m, from, b.p_filesz, &part) < 0))
			why = "segment out of bounds, or not in one block";
	}
	elf_end(e);
	return why;
}

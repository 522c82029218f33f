/* elfstrip.c - strip-unneeded for ET_EXEC and ET_DYN images (rules R1-R3, R7).
 *
 * libelf only reads here (section and program headers, names) and encodes
 * the new headers in the file's class and byte order.  The output is
 * assembled by hand: libelf's own layout zero-fills gaps inside segments and
 * repacks sections, both of which would change loadable bytes.
 */
#include "strip.h"
#include "elfimg.h"

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A separate debug file keeps notes but turns all other alloc sections into
 * NOBITS.  Stripping it would destroy it. */
static bool is_debug_file(const struct img *m)
{
	bool payload = false, nobits = false;
	size_t i;

	for (i = 1; i < m->shnum; i++) {
		const GElf_Shdr *sh = &m->s[i].sh;
		if (!(sh->sh_flags & SHF_ALLOC) || sh->sh_type == SHT_NOTE)
			continue;
		if (sh->sh_type == SHT_NOBITS)
			nobits = true;
		else
			payload = true;
	}
	return nobits && !payload;
}

/* Do all relocations of section i use symbol index 0? */
static bool no_symbols(struct img *m, size_t i)
{
	Elf_Data *d = elf_getdata(elf_getscn(m->elf, i), NULL);
	bool rela = m->s[i].sh.sh_type == SHT_RELA;
	size_t k, n, esz = gelf_fsize(m->elf, rela ? ELF_T_RELA : ELF_T_REL, 1, EV_CURRENT);

	if (!d || !esz)
		return false;
	n = d->d_size / esz;
	for (k = 0; k < n; k++) {
		GElf_Rela ra;
		GElf_Rel rl;
		if (rela ? !gelf_getrela(d, (int)k, &ra) : !gelf_getrel(d, (int)k, &rl))
			return false;
		if (GELF_R_SYM(rela ? ra.r_info : rl.r_info) != 0)
			return false;
	}
	return true;
}

/* Decide which sections go (R2).  STRIP_CHANGED to go on. */
static enum strip_verdict img_classify(struct img *m, struct strip_result *r)
{
	bool changed, any = false;
	size_t i;

	for (i = 0; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		s->keep = true;
		if (i == 0 || (s->sh.sh_flags & SHF_ALLOC) || i == m->shstrndx)
			continue;
		if (ei_debug_name(s->name) || s->sh.sh_type == SHT_SYMTAB)
			s->keep = false;
	}
	/* What belongs to a removed .symtab goes with it. */
	for (i = 1; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		size_t l = s->sh.sh_link;
		if (s->sh.sh_type != SHT_SYMTAB || s->keep || (s->sh.sh_flags & SHF_ALLOC))
			continue;
		if (l && l < m->shnum && l != m->shstrndx &&
		    !(m->s[l].sh.sh_flags & SHF_ALLOC) && m->s[l].sh.sh_type == SHT_STRTAB)
			m->s[l].keep = false;
	}
	for (i = 1; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		size_t l = s->sh.sh_link;
		if (s->sh.sh_type == SHT_SYMTAB_SHNDX && l < m->shnum && !m->s[l].keep)
			s->keep = false;
	}
	/* Non-alloc relocations for removed sections go too; a string table
	 * that a kept section still uses comes back. */
	do {
		changed = false;
		for (i = 1; i < m->shnum; i++) {
			struct sec *s = &m->s[i];
			size_t l = s->sh.sh_link, t = s->sh.sh_info;
			if (!s->keep)
				continue;
			if (ei_is_rel(&s->sh) && !(s->sh.sh_flags & SHF_ALLOC) && t &&
			    t < m->shnum && !m->s[t].keep) {
				s->keep = false;
				changed = true;
				continue;
			}
			if (l && l < m->shnum && !m->s[l].keep &&
			    m->s[l].sh.sh_type == SHT_STRTAB) {
				m->s[l].keep = true;
				changed = true;
			}
		}
	} while (changed);

	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		size_t l = s->sh.sh_link, t = s->sh.sh_info;
		if (!s->keep) {
			any = true;
			continue;
		}
		if (l >= m->shnum || (ei_info_is_section(&s->sh) && t >= m->shnum))
			return ei_fail(r, "corrupt: section '%s' links out of range", s->name);
		if (l && !m->s[l].keep && m->s[l].sh.sh_type == SHT_SYMTAB &&
		    ei_is_rel(&s->sh) && (s->sh.sh_flags & SHF_ALLOC) && no_symbols(m, i)) {
			/* a static binary's .rela.plt (IRELATIVE): it names .symtab
			 * but uses no symbol; GNU strip sets sh_link to 0 too */
			m->s[i].unlink = true;
			continue;
		}
		if (l && !m->s[l].keep)
			return ei_skip(r, m->s[l].sh.sh_type == SHT_SYMTAB && ei_is_rel(&s->sh)
					      ? SKIP_EMIT_RELOCS : SKIP_LINKED);
		if (ei_info_is_section(&s->sh) && t && !m->s[t].keep)
			return ei_skip(r, SKIP_LINKED);
	}
	if (!any)
		return ei_skip(r, SKIP_STRIPPED);
	if (is_debug_file(m))
		return ei_skip(r, SKIP_DEBUG_FILE);
	return STRIP_CHANGED;
}

/* Where kept sections go: those in the loaded image move with its blocks,
 * the others are placed anew.  SKIP_INTERLEAVED when a section lies across
 * a block's edge, or a removed one inside a block. */
static enum strip_verdict fit_sections(struct img *m, struct strip_result *r)
{
	size_t i, ndx = 0;
	bool part;

	for (i = 0; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		bool bytes = s->sh.sh_type != SHT_NOBITS && s->sh.sh_size;
		s->moved = false;
		if (!s->keep) {
			if (bytes && (ei_block_of(m, s->sh.sh_offset, s->sh.sh_size, &part) >= 0 || part))
				return ei_skip(r, SKIP_INTERLEAVED);
			continue;
		}
		s->ndx = ndx++;
		s->off = ei_moved(m, s->sh.sh_offset);
		if (i == 0 || (s->sh.sh_flags & SHF_ALLOC))
			continue;
		if (bytes && ei_block_of(m, s->sh.sh_offset, s->sh.sh_size, &part) >= 0)
			continue;
		if (bytes && part)
			return ei_skip(r, SKIP_INTERLEAVED);
		if (!ei_valid_align(s->sh.sh_addralign))
			return ei_fail(r, "corrupt: section '%s' has an invalid alignment", s->name);
		s->moved = true;
	}
	m->newshnum = ndx;
	return STRIP_CHANGED;
}

/* Place kept sections (R3): the loaded image stays where it is; when a
 * removed section lies inside it (patchelf appends a segment after
 * .symtab), its blocks move down over the gaps (elfmove.c).  STRIP_CHANGED
 * to go on. */
static enum strip_verdict img_layout(struct img *m, struct strip_result *r)
{
	struct sec *str = &m->s[m->shstrndx];
	enum strip_verdict v;
	uint64_t off;
	size_t i, ndx;

	v = ei_blocks(m, false, r);
	if (v == STRIP_CHANGED)
		v = fit_sections(m, r);
	if (v == STRIP_SKIPPED && r->reason == SKIP_INTERLEAVED) {
		r->reason = SKIP_NONE; /* the first try's; the blocks may move */
		v = ei_blocks(m, true, r);
		if (v == STRIP_CHANGED)
			v = fit_sections(m, r);
	}
	if (v != STRIP_CHANGED)
		return v;
	off = m->new_end;
	m->newstrndx = str->ndx;
	/* Go keeps .shstrtab inside a segment: it stays, names and all. */
	m->reuse_shstrtab = !str->moved;

	if (!m->reuse_shstrtab) {
		struct strtab t = { 0 };
		uint32_t *offs = xmalloc(m->shnum * sizeof(*offs));
		for (i = 1; i < m->shnum; i++)
			if (m->s[i].keep)
				strtab_add(&t, m->s[i].name);
		strtab_build(&t, &m->strtab, offs);
		for (i = 1, ndx = 0; i < m->shnum; i++)
			if (m->s[i].keep)
				m->s[i].nameoff = offs[ndx++];
		free(offs);
		strtab_release(&t);
	}
	for (i = 1; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		if (!s->moved || s == str)
			continue;
		off = align_up(off, s->sh.sh_addralign);
		s->off = off;
		if (s->sh.sh_type != SHT_NOBITS)
			off += s->sh.sh_size;
	}
	if (str->moved) {
		str->off = off;
		off += m->strtab.len;
	}
	m->shoff = align_up(off, m->cls == ELFCLASS64 ? 8 : 4);
	m->total = m->shoff + (uint64_t)m->newshnum * m->shentsize;
	if (m->total >= m->n)
		return ei_skip(r, SKIP_NOT_SMALLER);
	return STRIP_CHANGED;
}

/* Build the new section header for kept section s. */
static GElf_Shdr new_shdr(const struct img *m, const struct sec *s)
{
	GElf_Shdr sh = s->sh;

	sh.sh_offset = s->off;
	if (!m->reuse_shstrtab)
		sh.sh_name = s->nameoff;
	if (s == &m->s[0]) /* extended numbering: the caller sets it */
		return sh;
	if (s->unlink)
		sh.sh_link = 0;
	else if (sh.sh_link)
		sh.sh_link = (GElf_Word)m->s[sh.sh_link].ndx;
	if (ei_info_is_section(&s->sh) && sh.sh_info)
		sh.sh_info = (GElf_Word)m->s[sh.sh_info].ndx;
	if (s->moved && s == &m->s[m->shstrndx])
		sh.sh_size = m->strtab.len;
	return sh;
}

#define CHECK_FAILED "internal check failed, file left as it was"

/* The output's headers at their offsets in zeros that are never touched
 * (no memory): what libelf parses of the output, and where its MEM pieces
 * point.  NULL when it cannot be mapped. */
static unsigned char *skeleton(uint64_t len)
{
	void *p;

	if (len == 0 || len > SIZE_MAX)
		return NULL;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Append the moved sections (the new .shstrtab last) and the section
 * header table's place, with zeros between them; false when out of order. */
static bool add_moved(const struct img *m, struct content *c, const unsigned char *sk)
{
	const struct sec *str = &m->s[m->shstrndx];
	size_t i;

	for (i = 1; i <= m->shnum; i++) {
		const struct sec *s = i < m->shnum ? &m->s[i] : str;
		if ((i < m->shnum && s == str) || !s->moved || s->sh.sh_type == SHT_NOBITS ||
		    !s->sh.sh_size)
			continue;
		if (s->off < c->len)
			return false;
		content_add_zero(c, s->off - c->len);
		if (s == str)
			content_add_ref(c, sk + s->off, m->strtab.len);
		else
			content_add_src(c, s->sh.sh_offset, s->sh.sh_size);
	}
	if (m->shoff < c->len)
		return false;
	content_add_zero(c, m->shoff - c->len);
	content_add_ref(c, sk + m->shoff, m->newshnum * m->shentsize);
	return true;
}

/* Encode the new section header table at out + m->shoff. */
static bool put_shdrs(const struct img *m, unsigned char *out)
{
	size_t i, k = 0;
	void *tbl = xcalloc(m->newshnum, m->shentsize);
	bool ok;

	for (i = 0; i < m->shnum; i++) {
		GElf_Shdr sh;
		if (!m->s[i].keep)
			continue;
		sh = new_shdr(m, &m->s[i]);
		if (i == 0) {
			sh.sh_size = m->newshnum >= SHN_LORESERVE ? m->newshnum : 0;
			sh.sh_link = m->newstrndx >= SHN_LORESERVE ? (GElf_Word)m->newstrndx : 0;
		}
		if (m->cls == ELFCLASS64) {
			/* GElf_Shdr is Elf64_Shdr */
			((Elf64_Shdr *)tbl)[k++] = sh;
		} else {
			ei_shdr_to32(&((Elf32_Shdr *)tbl)[k++], &sh);
		}
	}
	ok = ei_xlate(m->cls, m->eh.e_ident[EI_DATA], ELF_T_SHDR, out + m->shoff,
		      m->newshnum * m->shentsize, tbl);
	free(tbl);
	return ok;
}

/* What libelf reads of the output besides the new headers, copied from
 * the input into the skeleton: the program headers when they stay, a
 * .shstrtab that stays (Go's, inside a segment).  The check compares the
 * output's own bytes there with the input's, so the copies are the output. */
static void put_kept(const struct img *m, unsigned char *sk)
{
	const struct sec *str = &m->s[m->shstrndx];
	uint64_t ph = m->eh.e_phoff, phlen = (uint64_t)m->phnum * m->eh.e_phentsize;

	if (!m->moves && ei_fits(ph, phlen, m->n) && ei_fits(ph, phlen, m->total))
		memcpy(sk + ph, m->in + ph, phlen);
	if (!str->moved && str->sh.sh_type != SHT_NOBITS &&
	    ei_fits(str->sh.sh_offset, str->sh.sh_size, m->n) &&
	    ei_fits(str->off, str->sh.sh_size, m->total))
		memcpy(sk + str->off, m->in + str->sh.sh_offset, str->sh.sh_size);
}

/* The output as c's pieces: the loaded image and moved sections from the
 * input, new headers in the skeleton *skel (owned by c). */
static enum strip_verdict img_emit(struct img *m, struct content *c, unsigned char **skel,
				   struct strip_result *r)
{
	uint64_t ehsz = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	uint64_t phlen = (uint64_t)m->phnum * m->eh.e_phentsize;
	unsigned char *sk = skeleton(m->total);
	struct cpiece w;

	if (!sk)
		return ei_fail(r, "cannot map memory for the new headers");
	content_own_map(c, sk, (size_t)m->total);
	*skel = sk;
	if (!ei_put_phdrs(m, sk))
		return ei_fail(r, "cannot encode program headers: %s", elf_errmsg(-1));
	if (!m->reuse_shstrtab)
		memcpy(sk + m->s[m->shstrndx].off, m->strtab.p, m->strtab.len);
	if (!put_shdrs(m, sk))
		return ei_fail(r, "cannot encode section headers: %s", elf_errmsg(-1));
	if (!ei_put_ehdr(m, sk, m->shoff, m->newshnum, m->newstrndx))
		return ei_fail(r, "cannot encode ELF header: %s", elf_errmsg(-1));
	put_kept(m, sk);
	if (!ei_add_blocks(m, c) || !add_moved(m, c, sk) || c->len != m->total)
		return ei_fail(r, "%s: layout out of order", CHECK_FAILED);
	w = (struct cpiece){ .kind = PIECE_MEM, .len = ehsz, .p = sk };
	if (!content_splice(c, 0, ehsz, &w, 1))
		return ei_fail(r, "%s: no room for headers", CHECK_FAILED);
	w = (struct cpiece){ .kind = PIECE_MEM, .len = phlen, .p = sk + m->phoff };
	if (m->moves && phlen && !content_splice(c, m->phoff, phlen, &w, 1))
		return ei_fail(r, "%s: no room for headers", CHECK_FAILED);
	return STRIP_CHANGED;
}

/* Is the output's ELF header a the input's b, but for the fields of the
 * section header table and the program header table's offset phoff? */
static bool same_ehdr(const GElf_Ehdr *a, const GElf_Ehdr *b, uint64_t phoff)
{
	return a->e_type == b->e_type && a->e_machine == b->e_machine &&
	       a->e_version == b->e_version && a->e_entry == b->e_entry &&
	       a->e_phoff == phoff && a->e_flags == b->e_flags &&
	       a->e_ehsize == b->e_ehsize && a->e_phentsize == b->e_phentsize &&
	       a->e_phnum == b->e_phnum && a->e_shentsize == b->e_shentsize &&
	       memcmp(a->e_ident, b->e_ident, EI_NIDENT) == 0;
}

/* Kept section i of m against its header in the output e (shnum sections,
 * names in section strndx): NULL, or what is wrong. */
static const char *verify_section(const struct img *m, size_t i, Elf *e, size_t shnum,
				  size_t strndx, const struct content *out, size_t len)
{
	const struct sec *s = &m->s[i];
	const char *name;
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(e, s->ndx);

	if (!scn || !gelf_getshdr(scn, &sh))
		return "section header unreadable";
	if (sh.sh_link >= shnum || (ei_info_is_section(&sh) && sh.sh_info >= shnum))
		return "section link out of range";
	if (i == 0)
		return NULL;
	name = elf_strptr(e, strndx, sh.sh_name);
	if (!name || strcmp(name, s->name) != 0)
		return "section name changed";
	if (sh.sh_type != s->sh.sh_type || sh.sh_flags != s->sh.sh_flags ||
	    sh.sh_addr != s->sh.sh_addr || sh.sh_addralign != s->sh.sh_addralign ||
	    sh.sh_entsize != s->sh.sh_entsize)
		return "section attributes changed";
	if (sh.sh_type == SHT_NOBITS)
		return NULL;
	if (!ei_fits(sh.sh_offset, sh.sh_size, len))
		return "section out of bounds";
	if (i == m->shstrndx && s->moved)
		return NULL;
	if (sh.sh_size != s->sh.sh_size)
		return "section contents changed";
	if (sh.sh_size) {
		struct err er = ERR_INIT;
		int same = content_same_as_src(out, sh.sh_offset, s->sh.sh_offset, sh.sh_size, &er);
		err_release(&er);
		if (same != 1)
			return same < 0 ? "section unreadable" : "section contents changed";
	}
	return NULL;
}

/*
 * R7: re-parse the output and check it against the input.  Everything here
 * holds by construction; the check is what makes a bug in this file cost a
 * skipped file instead of a broken one.
 */
static const char *img_verify(const struct img *m, unsigned char *skel, const struct content *out)
{
	size_t len = (size_t)out->len;
	const char *why = NULL;
	size_t shnum, strndx, i;
	GElf_Ehdr eh;
	Elf *e;

	if (len >= m->n)
		return "output is not smaller";
	if ((why = ei_verify_blocks(m, skel, out, len)))
		return why;
	/* the skeleton holds every byte libelf reads: the output's headers */
	e = elf_memory((char *)skel, len);
	if (!e || !gelf_getehdr(e, &eh)) {
		why = "output does not parse";
		goto out;
	}
	if (!same_ehdr(&eh, &m->eh, m->phoff)) {
		why = "ELF header changed";
		goto out;
	}
	if (elf_getshdrnum(e, &shnum) || shnum != m->newshnum ||
	    elf_getshdrstrndx(e, &strndx) || strndx != m->newstrndx) {
		why = "section count or name index wrong";
		goto out;
	}
	if (!ei_fits(eh.e_shoff, (uint64_t)shnum * m->shentsize, len)) {
		why = "section header table out of bounds";
		goto out;
	}
	for (i = 0; i < m->shnum && !why; i++)
		if (m->s[i].keep)
			why = verify_section(m, i, e, shnum, strndx, out, len);
out:
	if (e)
		elf_end(e);
	return why;
}

/* Hand the checked output c over: as it is when the caller reads the
 * input through m->fd (r->content), else in one buffer (r->out). */
static enum strip_verdict give(struct img *m, struct content *c, struct strip_result *r)
{
	struct err e = ERR_INIT;

	if (m->fd >= 0) {
		content_set_fd(c, m->fd, m->base);
		r->content = xmalloc(sizeof(*r->content));
		*r->content = *c;
		r->outlen = (size_t)c->len;
		return STRIP_CHANGED;
	}
	if (content_to_buf(c, &r->out, &e) != 0) {
		content_release(c);
		ei_fail(r, "%s", e.msg);
		err_release(&e);
		return STRIP_FAILED;
	}
	r->outlen = (size_t)c->len;
	content_release(c);
	return STRIP_CHANGED;
}

static enum strip_verdict exec_strip(struct img *m, struct strip_result *r)
{
	unsigned char *skel = NULL;
	struct content c;
	enum strip_verdict v;
	const char *why;

	/* read the input through m->in (the view) while checking, or through
	 * the file: the bulk of it is never held */
	content_init(&c, m->in, m->n);
	if (m->fd >= 0)
		content_set_fd(&c, m->fd, m->base);
	v = img_classify(m, r);
	if (v == STRIP_CHANGED)
		v = img_layout(m, r);
	if (v == STRIP_CHANGED)
		v = img_emit(m, &c, &skel, r);
	if (v == STRIP_CHANGED && (why = img_verify(m, skel, &c)))
		v = ei_fail(r, "%s: %s", CHECK_FAILED, why);
	if (v != STRIP_CHANGED) {
		content_release(&c);
		return v;
	}
	return give(m, &c, r);
}

enum strip_verdict strip_elf(const unsigned char *in, size_t n, bool allow_rel,
			     struct strip_result *r)
{
	return strip_elf_fd(in, n, -1, 0, allow_rel, r);
}

enum strip_verdict strip_elf_fd(const unsigned char *in, size_t n, int fd, uint64_t base,
				bool allow_rel, struct strip_result *r)
{
	struct img m = { .in = in, .n = n, .fd = fd, .base = base, .strtab = BUF_INIT };
	enum strip_verdict v;

	v = ei_load(&m, allow_rel, r);
	if (v == STRIP_CHANGED)
		v = m.eh.e_type == ET_REL ? rel_strip(&m, r) : exec_strip(&m, r);
	ei_release(&m);
	r->verdict = v;
	return v;
}

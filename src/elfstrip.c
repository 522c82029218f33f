/* elfstrip.c - strip-unneeded for ET_EXEC and ET_DYN images (rules R1-R3, R7).
 *
 * libelf only reads here (section and program headers, names) and encodes
 * the new headers in the file's class and byte order.  The output is
 * assembled by hand: libelf's own layout zero-fills gaps inside segments and
 * repacks sections, both of which would change loadable bytes.
 */
#include "strip.h"

#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *id, *text;
} reasons[SKIP__COUNT] = {
	[SKIP_NONE] = { "none", "none" },
	[SKIP_STRIPPED] = { "already_stripped", "already stripped" },
	[SKIP_NOT_ELF] = { "not_elf", "not ELF (linker script or data)" },
	[SKIP_ARCHIVE] = { "archive", "static archive (not stripped yet)" },
	[SKIP_THIN_ARCHIVE] = { "thin_archive", "thin archive" },
	[SKIP_OBJECT] = { "object", "relocatable object (see --strip-objects)" },
	[SKIP_ELF_TYPE] = { "elf_type", "not an executable or shared object" },
	[SKIP_NO_SHDRS] = { "no_section_headers", "no section headers" },
	[SKIP_TRAILING] = { "trailing_data", "data after the ELF image" },
	[SKIP_DEBUG_FILE] = { "debug_file", "separate debug file" },
	[SKIP_INTERLEAVED] = { "interleaved_layout", "interleaved layout" },
	[SKIP_EMIT_RELOCS] = { "emit_relocs", "relocations refer to .symtab (--emit-relocs)" },
	[SKIP_LINKED] = { "linked_section", "a kept section refers to a removable one" },
	[SKIP_NOT_SMALLER] = { "not_smaller", "would not get smaller" },
	[SKIP_LINKS_OUTSIDE] = { "links_outside", "hard links outside the tree" },
};

const char *skip_reason_str(enum skip_reason r)
{
	return (unsigned)r < SKIP__COUNT ? reasons[r].text : "?";
}

const char *skip_reason_id(enum skip_reason r)
{
	return (unsigned)r < SKIP__COUNT ? reasons[r].id : "?";
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
	elf_version(EV_CURRENT);
}

void strip_init(void)
{
	pthread_once(&init_once, do_init);
}

int strip_candidate(const unsigned char *head, size_t n)
{
	if (n >= 4 && memcmp(head, ELFMAG, SELFMAG) == 0)
		return 1;
	if (n >= 8 && memcmp(head, "!<arch>\n", 8) == 0)
		return 1;
	if (n >= 8 && memcmp(head, "!<thin>\n", 8) == 0)
		return 1;
	return 0;
}

void strip_result_release(struct strip_result *r)
{
	free(r->out);
	r->out = NULL;
	r->outlen = 0;
	err_release(&r->err);
}

/* ------------------------------------------------------------------ */

struct sec {
	GElf_Shdr sh;
	const char *name;
	bool keep;
	bool moved;      /* packed after E (else keeps its offset) */
	size_t ndx;      /* index in the output */
	uint64_t off;    /* offset in the output */
	uint32_t nameoff; /* sh_name in the output */
};

struct img {
	const unsigned char *in;
	size_t n;
	Elf *elf;
	GElf_Ehdr eh;
	int cls;
	size_t shnum, shstrndx, phnum;
	size_t shentsize;
	struct sec *s;
	uint64_t end_load; /* E: end of the loadable image */
	bool reuse_shstrtab;
	struct buf strtab; /* new .shstrtab when not reused */
	size_t newshnum, newstrndx;
	uint64_t shoff, total;
};

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* BFD's SEC_DEBUGGING name test (strip-spec.md R2). */
static bool debug_name(const char *n)
{
	return has_prefix(n, ".debug") || has_prefix(n, ".zdebug") ||
	       has_prefix(n, ".gnu.debuglto_.debug_") ||
	       has_prefix(n, ".gnu.linkonce.wi.") || has_prefix(n, ".line") ||
	       has_prefix(n, ".stab") || strcmp(n, ".gdb_index") == 0;
}

/* a + b <= lim without overflow */
static bool fits(uint64_t a, uint64_t b, uint64_t lim)
{
	return a <= lim && b <= lim - a;
}

static bool mul_fits(uint64_t a, uint64_t b, uint64_t *res)
{
	if (b && a > UINT64_MAX / b)
		return false;
	*res = a * b;
	return true;
}

static void img_release(struct img *m)
{
	if (m->elf)
		elf_end(m->elf);
	free(m->s);
	buf_release(&m->strtab);
}

static enum strip_verdict fail(struct strip_result *r, const char *fmt, ...) SLIM_PRINTF(2, 3);
static enum strip_verdict fail(struct strip_result *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->verdict = STRIP_FAILED;
	err_set(&r->err, "%s", b.p);
	buf_release(&b);
	return STRIP_FAILED;
}

static enum strip_verdict skip(struct strip_result *r, enum skip_reason why)
{
	r->verdict = STRIP_SKIPPED;
	r->reason = why;
	return STRIP_SKIPPED;
}

/* Read and check headers; compute E.  Returns STRIP_CHANGED to go on. */
static enum strip_verdict img_load(struct img *m, const struct strip_opts *o,
				   struct strip_result *r)
{
	uint64_t tbl, ext;
	size_t i;

	if (m->n < EI_NIDENT)
		return fail(r, "%s", "truncated ELF header");
	if ((m->in[EI_CLASS] != ELFCLASS32 && m->in[EI_CLASS] != ELFCLASS64) ||
	    (m->in[EI_DATA] != ELFDATA2LSB && m->in[EI_DATA] != ELFDATA2MSB))
		return fail(r, "%s", "unknown ELF class or byte order");
	m->cls = m->in[EI_CLASS];
	if (m->n < (m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return fail(r, "%s", "truncated ELF header");

	m->elf = elf_memory((char *)m->in, m->n);
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF)
		return fail(r, "cannot read ELF: %s", elf_errmsg(-1));
	if (!gelf_getehdr(m->elf, &m->eh))
		return fail(r, "cannot read ELF header: %s", elf_errmsg(-1));

	switch (m->eh.e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_REL:
		if (!o || !o->strip_objects)
			return skip(r, SKIP_OBJECT);
		return skip(r, SKIP_OBJECT); /* ET_REL stripping: see ar/objects */
	default:
		return skip(r, SKIP_ELF_TYPE);
	}
	if (m->eh.e_shoff == 0)
		return skip(r, SKIP_NO_SHDRS);
	if (!fits(m->eh.e_shoff, m->eh.e_shentsize, m->n))
		return fail(r, "%s", "truncated: section header table extends past end of file");
	if (elf_getshdrnum(m->elf, &m->shnum) != 0)
		return fail(r, "cannot read section count: %s", elf_errmsg(-1));
	if (elf_getshdrstrndx(m->elf, &m->shstrndx) != 0)
		return fail(r, "cannot read section name index: %s", elf_errmsg(-1));
	if (elf_getphdrnum(m->elf, &m->phnum) != 0)
		return fail(r, "cannot read program header count: %s", elf_errmsg(-1));
	if (m->shnum == 0)
		return skip(r, SKIP_NO_SHDRS);

	m->shentsize = m->cls == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (m->eh.e_shentsize != m->shentsize)
		return fail(r, "%s", "unexpected section header entry size");
	if (!mul_fits(m->shnum, m->shentsize, &tbl) || !fits(m->eh.e_shoff, tbl, m->n))
		return fail(r, "%s", "truncated: section header table extends past end of file");
	if (m->shstrndx >= m->shnum)
		return fail(r, "%s", "corrupt: section name table index out of range");

	/* E starts with the ELF header and the program header table. */
	m->end_load = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (m->phnum) {
		uint64_t ph;
		size_t want = m->cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
		if (m->eh.e_phentsize != want)
			return fail(r, "%s", "unexpected program header entry size");
		if (!mul_fits(m->phnum, want, &ph) || !fits(m->eh.e_phoff, ph, m->n))
			return fail(r, "%s", "truncated: program header table extends past end of file");
		if (m->eh.e_phoff + ph > m->end_load)
			m->end_load = m->eh.e_phoff + ph;
	}
	for (i = 0; i < m->phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(m->elf, (int)i, &ph))
			return fail(r, "cannot read program header: %s", elf_errmsg(-1));
		if (!ph.p_filesz)
			continue;
		if (!fits(ph.p_offset, ph.p_filesz, m->n))
			return fail(r, "%s", "truncated: a segment extends past end of file");
		if (ph.p_offset + ph.p_filesz > m->end_load)
			m->end_load = ph.p_offset + ph.p_filesz;
	}

	m->s = xcalloc(m->shnum, sizeof(*m->s));
	ext = m->eh.e_shoff + tbl;
	for (i = 0; i < m->shnum; i++) {
		Elf_Scn *scn = elf_getscn(m->elf, i);
		struct sec *s = &m->s[i];

		if (!scn || !gelf_getshdr(scn, &s->sh))
			return fail(r, "cannot read section header: %s", elf_errmsg(-1));
		if (i == 0) {
			s->name = "";
			continue;
		}
		s->name = elf_strptr(m->elf, m->shstrndx, s->sh.sh_name);
		if (!s->name)
			return fail(r, "%s", "corrupt: section name out of range");
		if (s->sh.sh_type == SHT_NOBITS || !s->sh.sh_size)
			continue;
		if (!fits(s->sh.sh_offset, s->sh.sh_size, m->n))
			return fail(r, "truncated: section '%s' extends past end of file", s->name);
		if (s->sh.sh_offset + s->sh.sh_size > ext)
			ext = s->sh.sh_offset + s->sh.sh_size;
		if ((s->sh.sh_flags & SHF_ALLOC) &&
		    s->sh.sh_offset + s->sh.sh_size > m->end_load)
			m->end_load = s->sh.sh_offset + s->sh.sh_size;
	}
	if (m->s[m->shstrndx].sh.sh_type != SHT_STRTAB)
		return fail(r, "%s", "corrupt: section name table is not a string table");
	if (m->end_load > ext)
		ext = m->end_load;
	if (ext < m->n)
		return skip(r, SKIP_TRAILING);
	return STRIP_CHANGED;
}

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

static bool is_rel(const GElf_Shdr *sh)
{
	return sh->sh_type == SHT_REL || sh->sh_type == SHT_RELA;
}

/* Does sh_info hold a section index? */
static bool info_is_section(const GElf_Shdr *sh)
{
	return is_rel(sh) || (sh->sh_flags & SHF_INFO_LINK);
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
		if (debug_name(s->name) || s->sh.sh_type == SHT_SYMTAB)
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
			if (is_rel(&s->sh) && !(s->sh.sh_flags & SHF_ALLOC) && t &&
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
		if (l >= m->shnum || (info_is_section(&s->sh) && t >= m->shnum))
			return fail(r, "corrupt: section '%s' links out of range", s->name);
		if (l && !m->s[l].keep)
			return skip(r, m->s[l].sh.sh_type == SHT_SYMTAB ? SKIP_EMIT_RELOCS
									: SKIP_LINKED);
		if (info_is_section(&s->sh) && t && !m->s[t].keep)
			return skip(r, SKIP_LINKED);
	}
	if (!any)
		return skip(r, SKIP_STRIPPED);
	if (is_debug_file(m))
		return skip(r, SKIP_DEBUG_FILE);
	return STRIP_CHANGED;
}

static bool valid_align(uint64_t a)
{
	return a <= (1u << 20) && (a & (a - 1)) == 0;
}

/* Place kept sections (R3).  STRIP_CHANGED to go on. */
static enum strip_verdict img_layout(struct img *m, struct strip_result *r)
{
	uint64_t E = m->end_load, off = E;
	struct sec *str = &m->s[m->shstrndx];
	size_t i, ndx = 0;

	for (i = 0; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		bool inside;
		if (!s->keep) {
			if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_size && s->sh.sh_offset < E)
				return skip(r, SKIP_INTERLEAVED);
			continue;
		}
		s->ndx = ndx++;
		s->off = s->sh.sh_offset;
		if (i == 0 || (s->sh.sh_flags & SHF_ALLOC))
			continue;
		inside = s->sh.sh_type == SHT_NOBITS || !s->sh.sh_size ||
			 s->sh.sh_offset + s->sh.sh_size <= E;
		if (!inside && s->sh.sh_offset < E)
			return skip(r, SKIP_INTERLEAVED);
		if (inside && s->sh.sh_type != SHT_NOBITS && s->sh.sh_size)
			continue;
		if (!valid_align(s->sh.sh_addralign))
			return fail(r, "corrupt: section '%s' has an invalid alignment", s->name);
		s->moved = true;
	}
	m->newshnum = ndx;
	m->newstrndx = str->ndx;
	/* Go keeps .shstrtab inside a segment: it stays, names and all. */
	m->reuse_shstrtab = !str->moved;

	if (!m->reuse_shstrtab) {
		buf_addch(&m->strtab, '\0');
		for (i = 1; i < m->shnum; i++) {
			struct sec *s = &m->s[i];
			if (!s->keep)
				continue;
			s->nameoff = (uint32_t)m->strtab.len;
			buf_add(&m->strtab, s->name, strlen(s->name) + 1);
		}
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
		return skip(r, SKIP_NOT_SMALLER);
	return STRIP_CHANGED;
}

static bool xlate(int cls, unsigned enc, Elf_Type t, void *dst, size_t n, const void *src)
{
	Elf_Data d = { .d_buf = (void *)src, .d_type = t, .d_size = n,
		       .d_version = EV_CURRENT };
	Elf_Data o = { .d_buf = dst, .d_type = t, .d_size = n, .d_version = EV_CURRENT };

	if (cls == ELFCLASS64)
		return elf64_xlatetof(&o, &d, enc) != NULL;
	return elf32_xlatetof(&o, &d, enc) != NULL;
}

static void shdr_to32(Elf32_Shdr *d, const GElf_Shdr *s)
{
	d->sh_name = s->sh_name;
	d->sh_type = s->sh_type;
	d->sh_flags = (Elf32_Word)s->sh_flags;
	d->sh_addr = (Elf32_Addr)s->sh_addr;
	d->sh_offset = (Elf32_Off)s->sh_offset;
	d->sh_size = (Elf32_Word)s->sh_size;
	d->sh_link = s->sh_link;
	d->sh_info = s->sh_info;
	d->sh_addralign = (Elf32_Word)s->sh_addralign;
	d->sh_entsize = (Elf32_Word)s->sh_entsize;
}

static void ehdr_to32(Elf32_Ehdr *d, const GElf_Ehdr *s)
{
	memcpy(d->e_ident, s->e_ident, EI_NIDENT);
	d->e_type = s->e_type;
	d->e_machine = s->e_machine;
	d->e_version = s->e_version;
	d->e_entry = (Elf32_Addr)s->e_entry;
	d->e_phoff = (Elf32_Off)s->e_phoff;
	d->e_shoff = (Elf32_Off)s->e_shoff;
	d->e_flags = s->e_flags;
	d->e_ehsize = s->e_ehsize;
	d->e_phentsize = s->e_phentsize;
	d->e_phnum = s->e_phnum;
	d->e_shentsize = s->e_shentsize;
	d->e_shnum = s->e_shnum;
	d->e_shstrndx = s->e_shstrndx;
}

/* Build the new section header for kept section s. */
static GElf_Shdr new_shdr(const struct img *m, const struct sec *s)
{
	GElf_Shdr sh = s->sh;

	sh.sh_offset = s->off;
	if (!m->reuse_shstrtab)
		sh.sh_name = s->nameoff;
	if (sh.sh_link)
		sh.sh_link = (GElf_Word)m->s[sh.sh_link].ndx;
	if (info_is_section(&s->sh) && sh.sh_info)
		sh.sh_info = (GElf_Word)m->s[sh.sh_info].ndx;
	if (s->moved && s == &m->s[m->shstrndx])
		sh.sh_size = m->strtab.len;
	return sh;
}

static enum strip_verdict img_emit(struct img *m, struct strip_result *r)
{
	unsigned enc = m->eh.e_ident[EI_DATA];
	unsigned char *out;
	GElf_Ehdr eh = m->eh;
	size_t i, k = 0;
	void *tbl;

	out = xmalloc(m->total);
	memcpy(out, m->in, m->end_load);
	memset(out + m->end_load, 0, m->total - m->end_load);
	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		if (!s->moved || s->sh.sh_type == SHT_NOBITS)
			continue;
		if (i == m->shstrndx)
			memcpy(out + s->off, m->strtab.p, m->strtab.len);
		else
			memcpy(out + s->off, m->in + s->sh.sh_offset, s->sh.sh_size);
	}

	tbl = xcalloc(m->newshnum, m->shentsize);
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
			shdr_to32(&((Elf32_Shdr *)tbl)[k++], &sh);
		}
	}
	if (!xlate(m->cls, enc, ELF_T_SHDR, out + m->shoff, m->newshnum * m->shentsize, tbl)) {
		free(tbl);
		free(out);
		return fail(r, "cannot encode section headers: %s", elf_errmsg(-1));
	}
	free(tbl);

	eh.e_shoff = m->shoff;
	eh.e_shnum = m->newshnum >= SHN_LORESERVE ? 0 : (GElf_Half)m->newshnum;
	eh.e_shstrndx = m->newstrndx >= SHN_LORESERVE ? SHN_XINDEX : (GElf_Half)m->newstrndx;
	if (m->cls == ELFCLASS64) {
		Elf64_Ehdr e64 = eh;
		if (!xlate(m->cls, enc, ELF_T_EHDR, out, sizeof(e64), &e64))
			goto enc_fail;
	} else {
		Elf32_Ehdr e32;
		ehdr_to32(&e32, &eh);
		if (!xlate(m->cls, enc, ELF_T_EHDR, out, sizeof(e32), &e32))
			goto enc_fail;
	}
	r->out = out;
	r->outlen = m->total;
	return STRIP_CHANGED;
enc_fail:
	free(out);
	return fail(r, "cannot encode ELF header: %s", elf_errmsg(-1));
}

/*
 * R7: re-parse the output and check it against the input.  Everything here
 * holds by construction; the check is what makes a bug in this file cost a
 * skipped file instead of a broken one.
 */
static const char *img_verify(const struct img *m, unsigned char *out, size_t len)
{
	const char *why = NULL;
	size_t ehsz = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t shnum, strndx, i;
	GElf_Ehdr eh;
	Elf *e;

	if (len >= m->n)
		return "output is not smaller";
	if (memcmp(out + ehsz, m->in + ehsz, m->end_load - ehsz) != 0)
		return "loadable bytes differ";
	e = elf_memory((char *)out, len);
	if (!e || !gelf_getehdr(e, &eh)) {
		why = "output does not parse";
		goto out;
	}
	if (eh.e_type != m->eh.e_type || eh.e_machine != m->eh.e_machine ||
	    eh.e_version != m->eh.e_version || eh.e_entry != m->eh.e_entry ||
	    eh.e_phoff != m->eh.e_phoff || eh.e_flags != m->eh.e_flags ||
	    eh.e_ehsize != m->eh.e_ehsize || eh.e_phentsize != m->eh.e_phentsize ||
	    eh.e_phnum != m->eh.e_phnum || eh.e_shentsize != m->eh.e_shentsize ||
	    memcmp(eh.e_ident, m->eh.e_ident, EI_NIDENT) != 0) {
		why = "ELF header changed";
		goto out;
	}
	if (elf_getshdrnum(e, &shnum) || shnum != m->newshnum ||
	    elf_getshdrstrndx(e, &strndx) || strndx != m->newstrndx) {
		why = "section count or name index wrong";
		goto out;
	}
	if (!fits(eh.e_shoff, (uint64_t)shnum * m->shentsize, len)) {
		why = "section header table out of bounds";
		goto out;
	}
	for (i = 0; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		const char *name;
		GElf_Shdr sh;
		Elf_Scn *scn;
		if (!s->keep)
			continue;
		scn = elf_getscn(e, s->ndx);
		if (!scn || !gelf_getshdr(scn, &sh)) {
			why = "section header unreadable";
			goto out;
		}
		if (sh.sh_link >= shnum || (info_is_section(&sh) && sh.sh_info >= shnum)) {
			why = "section link out of range";
			goto out;
		}
		if (i == 0)
			continue;
		name = elf_strptr(e, strndx, sh.sh_name);
		if (!name || strcmp(name, s->name) != 0) {
			why = "section name changed";
			goto out;
		}
		if (sh.sh_type != s->sh.sh_type || sh.sh_flags != s->sh.sh_flags ||
		    sh.sh_addr != s->sh.sh_addr || sh.sh_addralign != s->sh.sh_addralign ||
		    sh.sh_entsize != s->sh.sh_entsize) {
			why = "section attributes changed";
			goto out;
		}
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (!fits(sh.sh_offset, sh.sh_size, len)) {
			why = "section out of bounds";
			goto out;
		}
		if (i == m->shstrndx && s->moved)
			continue;
		if (sh.sh_size != s->sh.sh_size ||
		    memcmp(out + sh.sh_offset, m->in + s->sh.sh_offset, sh.sh_size) != 0) {
			why = "section contents changed";
			goto out;
		}
	}
out:
	if (e)
		elf_end(e);
	return why;
}

static enum strip_verdict strip_exec(const unsigned char *in, size_t n,
				     const struct strip_opts *o, struct strip_result *r)
{
	struct img m = { .in = in, .n = n, .strtab = BUF_INIT };
	enum strip_verdict v;
	const char *why;

	v = img_load(&m, o, r);
	if (v == STRIP_CHANGED)
		v = img_classify(&m, r);
	if (v == STRIP_CHANGED)
		v = img_layout(&m, r);
	if (v == STRIP_CHANGED)
		v = img_emit(&m, r);
	if (v == STRIP_CHANGED && (why = img_verify(&m, r->out, r->outlen))) {
		free(r->out);
		r->out = NULL;
		r->outlen = 0;
		v = fail(r, "internal check failed, file left as it was: %s", why);
	}
	img_release(&m);
	r->verdict = v;
	return v;
}

enum strip_verdict strip_buffer(const unsigned char *in, size_t n,
				const struct strip_opts *o, struct strip_result *r)
{
	strip_init();
	r->out = NULL;
	r->outlen = 0;
	r->reason = SKIP_NONE;
	if (n >= 8 && memcmp(in, "!<thin>\n", 8) == 0)
		return skip(r, SKIP_THIN_ARCHIVE);
	if (n >= 8 && memcmp(in, "!<arch>\n", 8) == 0)
		return skip(r, SKIP_ARCHIVE);
	if (n < 4 || memcmp(in, ELFMAG, SELFMAG) != 0)
		return skip(r, SKIP_NOT_ELF);
	return strip_exec(in, n, o, r);
}

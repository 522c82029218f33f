/* elfimg.c - reading an ELF image: the parts both strippers share; the
 * strip_result helpers every file of the ELF family uses. */
#include "elfimg.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool ei_debug_name(const char *n)
{
	return has_prefix(n, ".debug") || has_prefix(n, ".zdebug") ||
	       has_prefix(n, ".gnu.debuglto_.debug_") ||
	       has_prefix(n, ".gnu.linkonce.wi.") || has_prefix(n, ".line") ||
	       has_prefix(n, ".stab") || strcmp(n, ".gdb_index") == 0;
}

bool ei_fits(uint64_t a, uint64_t b, uint64_t lim)
{
	return a <= lim && b <= lim - a;
}

bool ei_mul_fits(uint64_t a, uint64_t b, uint64_t *res)
{
	if (b && a > UINT64_MAX / b)
		return false;
	*res = a * b;
	return true;
}

void ei_release(struct img *m)
{
	if (m->elf)
		elf_end(m->elf);
	free(m->s);
	free(m->blk);
	buf_release(&m->strtab);
}

void strip_result_release(struct strip_result *r)
{
	free(r->out);
	r->out = NULL;
	r->outlen = 0;
	if (r->content) {
		content_release(r->content);
		free(r->content);
		r->content = NULL;
	}
	err_release(&r->err);
}

enum strip_verdict ei_fail(struct strip_result *r, const char *fmt, ...)
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

enum strip_verdict ei_skip(struct strip_result *r, enum skip_reason why)
{
	r->verdict = STRIP_SKIPPED;
	r->reason = why;
	return STRIP_SKIPPED;
}

/* The ELF header: class and byte order, then libelf's reading of it; the
 * types that are stripped. */
static enum strip_verdict load_ehdr(struct img *m, bool allow_rel, struct strip_result *r)
{
	if (m->n < EI_NIDENT)
		return ei_fail(r, "%s", "truncated ELF header");
	if ((m->in[EI_CLASS] != ELFCLASS32 && m->in[EI_CLASS] != ELFCLASS64) ||
	    (m->in[EI_DATA] != ELFDATA2LSB && m->in[EI_DATA] != ELFDATA2MSB))
		return ei_fail(r, "%s", "unknown ELF class or byte order");
	m->cls = m->in[EI_CLASS];
	if (m->n < (m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return ei_fail(r, "%s", "truncated ELF header");

	m->elf = elf_memory((char *)m->in, m->n);
	if (!m->elf || elf_kind(m->elf) != ELF_K_ELF)
		return ei_fail(r, "cannot read ELF: %s", elf_errmsg(-1));
	if (!gelf_getehdr(m->elf, &m->eh))
		return ei_fail(r, "cannot read ELF header: %s", elf_errmsg(-1));

	switch (m->eh.e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_REL:
		if (!allow_rel)
			return ei_skip(r, SKIP_OBJECT);
		break;
	default:
		return ei_skip(r, SKIP_ELF_TYPE);
	}
	return STRIP_CHANGED;
}

/* The section and segment counts, and the bounds of the section header
 * table (its size into *tbl). */
static enum strip_verdict load_counts(struct img *m, uint64_t *tbl, struct strip_result *r)
{
	if (m->eh.e_shoff == 0)
		return ei_skip(r, SKIP_NO_SHDRS);
	if (!ei_fits(m->eh.e_shoff, m->eh.e_shentsize, m->n))
		return ei_fail(r, "%s", "truncated: section header table extends past end of file");
	if (elf_getshdrnum(m->elf, &m->shnum) != 0)
		return ei_fail(r, "cannot read section count: %s", elf_errmsg(-1));
	if (elf_getshdrstrndx(m->elf, &m->shstrndx) != 0)
		return ei_fail(r, "cannot read section name index: %s", elf_errmsg(-1));
	if (elf_getphdrnum(m->elf, &m->phnum) != 0)
		return ei_fail(r, "cannot read program header count: %s", elf_errmsg(-1));
	if (m->shnum == 0)
		return ei_skip(r, SKIP_NO_SHDRS);

	m->shentsize = m->cls == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (m->eh.e_shentsize != m->shentsize)
		return ei_fail(r, "%s", "unexpected section header entry size");
	if (!ei_mul_fits(m->shnum, m->shentsize, tbl) || !ei_fits(m->eh.e_shoff, *tbl, m->n))
		return ei_fail(r, "%s", "truncated: section header table extends past end of file");
	if (m->shstrndx >= m->shnum)
		return ei_fail(r, "%s", "corrupt: section name table index out of range");
	return STRIP_CHANGED;
}

/* E as far as the headers and segments go: the ELF header, the program
 * header table and every segment's bytes in the file. */
static enum strip_verdict load_segments(struct img *m, struct strip_result *r)
{
	size_t i;

	m->end_load = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (m->phnum) {
		uint64_t ph;
		size_t want = m->cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
		if (m->eh.e_phentsize != want)
			return ei_fail(r, "%s", "unexpected program header entry size");
		if (!ei_mul_fits(m->phnum, want, &ph) || !ei_fits(m->eh.e_phoff, ph, m->n))
			return ei_fail(r, "%s", "truncated: program header table extends past end of file");
		if (m->eh.e_phoff + ph > m->end_load)
			m->end_load = m->eh.e_phoff + ph;
	}
	for (i = 0; i < m->phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(m->elf, (int)i, &ph))
			return ei_fail(r, "cannot read program header: %s", elf_errmsg(-1));
		if (!ph.p_filesz)
			continue;
		if (!ei_fits(ph.p_offset, ph.p_filesz, m->n))
			return ei_fail(r, "%s", "truncated: a segment extends past end of file");
		if (ph.p_offset + ph.p_filesz > m->end_load)
			m->end_load = ph.p_offset + ph.p_filesz;
	}
	return STRIP_CHANGED;
}

/* Every section's header and name, in bounds; *ext grows to the end of
 * the last section's bytes, E to the end of the last alloc section's. */
static enum strip_verdict load_sections(struct img *m, uint64_t *ext, struct strip_result *r)
{
	size_t i;

	m->s = xcalloc(m->shnum, sizeof(*m->s));
	for (i = 0; i < m->shnum; i++) {
		Elf_Scn *scn = elf_getscn(m->elf, i);
		struct sec *s = &m->s[i];

		if (!scn || !gelf_getshdr(scn, &s->sh))
			return ei_fail(r, "cannot read section header: %s", elf_errmsg(-1));
		if (i == 0) {
			s->name = "";
			continue;
		}
		s->name = elf_strptr(m->elf, m->shstrndx, s->sh.sh_name);
		if (!s->name)
			return ei_fail(r, "%s", "corrupt: section name out of range");
		if (s->sh.sh_type == SHT_NOBITS || !s->sh.sh_size)
			continue;
		if (!ei_fits(s->sh.sh_offset, s->sh.sh_size, m->n))
			return ei_fail(r, "truncated: section '%s' extends past end of file", s->name);
		if (s->sh.sh_offset + s->sh.sh_size > *ext)
			*ext = s->sh.sh_offset + s->sh.sh_size;
		if ((s->sh.sh_flags & SHF_ALLOC) &&
		    s->sh.sh_offset + s->sh.sh_size > m->end_load)
			m->end_load = s->sh.sh_offset + s->sh.sh_size;
	}
	return STRIP_CHANGED;
}

enum strip_verdict ei_load(struct img *m, bool allow_rel, struct strip_result *r)
{
	enum strip_verdict v;
	uint64_t tbl = 0, ext;

	v = load_ehdr(m, allow_rel, r);
	if (v == STRIP_CHANGED)
		v = load_counts(m, &tbl, r);
	if (v == STRIP_CHANGED)
		v = load_segments(m, r);
	if (v != STRIP_CHANGED)
		return v;
	/* the end of what the headers and sections cover; bytes past it are
	 * another file's (SKIP_TRAILING) */
	ext = m->eh.e_shoff + tbl;
	v = load_sections(m, &ext, r);
	if (v != STRIP_CHANGED)
		return v;
	if (m->s[m->shstrndx].sh.sh_type != SHT_STRTAB)
		return ei_fail(r, "%s", "corrupt: section name table is not a string table");
	if (m->end_load > ext)
		ext = m->end_load;
	m->phoff = m->eh.e_phoff;
	if (ext < m->n)
		return ei_skip(r, SKIP_TRAILING);
	return STRIP_CHANGED;
}

bool ei_is_rel(const GElf_Shdr *sh)
{
	return sh->sh_type == SHT_REL || sh->sh_type == SHT_RELA;
}

bool ei_info_is_section(const GElf_Shdr *sh)
{
	return ei_is_rel(sh) || (sh->sh_flags & SHF_INFO_LINK);
}

bool ei_valid_align(uint64_t a)
{
	return a <= (1u << 20) && (a & (a - 1)) == 0;
}

bool ei_xlate(int cls, unsigned enc, Elf_Type t, void *dst, size_t n, const void *src)
{
	Elf_Data d = { .d_buf = (void *)src, .d_type = t, .d_size = n,
		       .d_version = EV_CURRENT };
	Elf_Data o = { .d_buf = dst, .d_type = t, .d_size = n, .d_version = EV_CURRENT };

	if (cls == ELFCLASS64)
		return elf64_xlatetof(&o, &d, enc) != NULL;
	return elf32_xlatetof(&o, &d, enc) != NULL;
}

void ei_shdr_to32(Elf32_Shdr *d, const GElf_Shdr *s)
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

bool ei_put_ehdr(const struct img *m, unsigned char *out, uint64_t shoff, size_t shnum,
		 size_t shstrndx)
{
	unsigned enc = m->eh.e_ident[EI_DATA];
	GElf_Ehdr eh = m->eh;

	eh.e_shoff = shoff;
	eh.e_phoff = m->phoff;
	eh.e_shnum = shnum >= SHN_LORESERVE ? 0 : (GElf_Half)shnum;
	eh.e_shstrndx = shstrndx >= SHN_LORESERVE ? SHN_XINDEX : (GElf_Half)shstrndx;
	if (m->cls == ELFCLASS64) {
		Elf64_Ehdr e64 = eh;
		return ei_xlate(m->cls, enc, ELF_T_EHDR, out, sizeof(e64), &e64);
	}
	{
		Elf32_Ehdr e32;
		ehdr_to32(&e32, &eh);
		return ei_xlate(m->cls, enc, ELF_T_EHDR, out, sizeof(e32), &e32);
	}
}

size_t strtab_add(struct strtab *t, const char *s)
{
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n] = s;
	return t->n++;
}

/* Descending order of the reversed strings: a string comes right after the
 * strings it is a tail of. */
static int cmp_tail(const void *a, const void *b, void *ctx)
{
	const char *const *v = ctx;
	const char *x = v[*(const size_t *)a], *y = v[*(const size_t *)b];
	size_t i = strlen(x), j = strlen(y);

	while (i && j) {
		i--;
		j--;
		if (x[i] != y[j])
			return (unsigned char)y[j] - (unsigned char)x[i];
	}
	return i == j ? 0 : (j > i ? 1 : -1);
}

void strtab_build(struct strtab *t, struct buf *out, uint32_t *offs)
{
	size_t *ix = xmalloc((t->n ? t->n : 1) * sizeof(*ix)), i, al = 0;
	const char *anchor = NULL;
	uint32_t aoff = 0;

	buf_setlen(out, 0);
	buf_addch(out, '\0');
	for (i = 0; i < t->n; i++)
		ix[i] = i;
	qsort_r(ix, t->n, sizeof(*ix), cmp_tail, t->v);
	for (i = 0; i < t->n; i++) {
		const char *s = t->v[ix[i]];
		size_t l = strlen(s);
		if (!l) {
			offs[ix[i]] = 0;
			continue;
		}
		if (anchor && al >= l && memcmp(anchor + al - l, s, l) == 0) {
			offs[ix[i]] = aoff + (uint32_t)(al - l);
			continue;
		}
		anchor = s;
		al = l;
		aoff = (uint32_t)out->len;
		offs[ix[i]] = aoff;
		buf_add(out, s, l + 1);
	}
	free(ix);
}

void strtab_release(struct strtab *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

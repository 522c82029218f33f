/* relstrip.c - strip-unneeded for ET_REL objects (rule R4).
 *
 * Debug sections and their relocations go, then groups left empty; the
 * symbol table keeps entry 0, every symbol a kept relocation or a kept
 * group's signature uses, and every global, weak and unique symbol (defined,
 * common or undefined: dropping an unreferenced undefined global can change
 * what a link pulls from an archive).  Symbol and section indices are
 * remapped wherever they appear.  The object is laid out afresh (any layout
 * is valid for ET_REL) and verified against the input before it is
 * returned: same bytes for every untouched section, same symbols, and the
 * same (offset, type, symbol, addend) for every relocation.
 */
#include <stdlib.h>
#include <string.h>

#include "elfimg.h"

#ifndef SHT_LLVM_ADDRSIG
#define SHT_LLVM_ADDRSIG 0x6fff4c03
#endif
#ifndef STB_GNU_UNIQUE
#define STB_GNU_UNIQUE 10
#endif

struct sym {
	GElf_Sym s;
	size_t shndx;   /* real section index, or 0 */
	bool special;   /* st_shndx is ABS, COMMON or another reserved value */
	bool keep;
	bool used;      /* by a kept relocation or a kept group */
	size_t ndx;     /* new index */
};

struct rel {
	struct img *m;
	size_t symtab, strtab, shndxsec; /* section indices; 0 if none */
	Elf_Data *symdata, *xdata;
	size_t nsyms;
	struct sym *y;
	size_t newnsyms, firstglobal;
	/* new contents of changed sections, by old section index */
	unsigned char **data;
	size_t *size;
};

static bool lto_name(const char *n)
{
	return strncmp(n, ".gnu.lto_", 9) == 0 || strncmp(n, ".gnu.lto.", 9) == 0 ||
	       strcmp(n, ".llvmbc") == 0 || strcmp(n, ".llvm.lto") == 0;
}

static Elf_Data *sec_data(struct img *m, size_t i)
{
	Elf_Scn *scn = elf_getscn(m->elf, i);
	return scn ? elf_getdata(scn, NULL) : NULL;
}

/* Number of entries of a table section, checking the entry size. */
static bool entries(const struct img *m, size_t i, Elf_Type t, size_t *n)
{
	const GElf_Shdr *sh = &m->s[i].sh;
	size_t want = gelf_fsize(m->elf, t, 1, EV_CURRENT);

	if (!want || sh->sh_entsize != want || sh->sh_size % want)
		return false;
	*n = sh->sh_size / want;
	return true;
}

/* The links of the kept sections: in range, to kept sections, and to the
 * one symbol table only where its indices can be remapped. */
static enum strip_verdict check_links(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	size_t i;

	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		size_t l = s->sh.sh_link, t = s->sh.sh_info;
		if (!s->keep)
			continue;
		if (l >= m->shnum || (ei_info_is_section(&s->sh) && t >= m->shnum))
			return ei_fail(r, "corrupt: section '%s' links out of range", s->name);
		if ((l && !m->s[l].keep) || (ei_info_is_section(&s->sh) && t && !m->s[t].keep))
			return ei_skip(r, SKIP_LINKED);
		/* a table of symbol indices we do not know how to remap */
		if (x->symtab && l == x->symtab && !ei_is_rel(&s->sh) &&
		    s->sh.sh_type != SHT_GROUP && s->sh.sh_type != SHT_SYMTAB_SHNDX &&
		    s->sh.sh_type != SHT_LLVM_ADDRSIG)
			return ei_skip(r, SKIP_LINKED);
		if (s->sh.sh_type == SHT_SYMTAB_SHNDX && l == x->symtab)
			x->shndxsec = i;
		/* a group names its signature in the one symbol table */
		if (s->sh.sh_type == SHT_GROUP && (!x->symtab || l != x->symtab))
			return ei_skip(r, SKIP_LINKED);
	}
	if (x->symtab) {
		/* a symbol table that is not kept (named like debug info) had
		 * its link checked by nothing above */
		x->strtab = m->s[x->symtab].sh.sh_link;
		if (x->strtab >= m->shnum)
			return ei_fail(r, "corrupt: section '%s' links out of range",
				       m->s[x->symtab].name);
		if (!x->strtab || m->s[x->strtab].sh.sh_type != SHT_STRTAB)
			return ei_skip(r, SKIP_LINKED);
		for (i = 1; i < m->shnum; i++)
			if (i != x->symtab && m->s[i].keep && m->s[i].sh.sh_link == x->strtab)
				return ei_skip(r, SKIP_LINKED);
	}
	return STRIP_CHANGED;
}

/* Sections: debug ones, their relocations, groups left empty. */
static enum strip_verdict mark_sections(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	bool changed;
	size_t i, k;

	for (i = 0; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		s->keep = true;
		if (i && lto_name(s->name))
			return ei_skip(r, SKIP_LTO);
		if (i && !(s->sh.sh_flags & SHF_ALLOC) && ei_debug_name(s->name))
			s->keep = false;
		if (s->sh.sh_type == SHT_SYMTAB) {
			if (x->symtab)
				return ei_skip(r, SKIP_LINKED); /* two symbol tables */
			x->symtab = i;
		}
	}
	do {
		changed = false;
		for (i = 1; i < m->shnum; i++) {
			struct sec *s = &m->s[i];
			size_t t = s->sh.sh_info;
			if (!s->keep)
				continue;
			if (ei_is_rel(&s->sh) && t && t < m->shnum && !m->s[t].keep) {
				s->keep = false;
				changed = true;
			} else if (s->sh.sh_type == SHT_GROUP) {
				Elf_Data *d = sec_data(m, i);
				bool any = false;
				if (!d || d->d_size < 4 || d->d_size % 4)
					return ei_fail(r, "corrupt: group section '%s'", s->name);
				for (k = 1; k < d->d_size / 4; k++) {
					Elf32_Word mem = ((Elf32_Word *)d->d_buf)[k];
					if (mem >= m->shnum)
						return ei_fail(r, "corrupt: group '%s' lists a section out of range",
							       s->name);
					any |= m->s[mem].keep;
				}
				if (!any && d->d_size > 4) {
					s->keep = false;
					changed = true;
				}
			}
		}
	} while (changed);
	return check_links(x, r);
}


static enum strip_verdict load_symbols(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	size_t i;

	if (!entries(m, x->symtab, ELF_T_SYM, &x->nsyms) || !x->nsyms)
		return ei_fail(r, "%s", "corrupt: symbol table size");
	x->symdata = sec_data(m, x->symtab);
	if (!x->symdata)
		return ei_fail(r, "cannot read symbol table: %s", elf_errmsg(-1));
	if (x->shndxsec) {
		x->xdata = sec_data(m, x->shndxsec);
		if (!x->xdata || x->xdata->d_size < x->nsyms * 4)
			return ei_fail(r, "%s", "corrupt: extended section index table");
	}
	x->y = xcalloc(x->nsyms, sizeof(*x->y));
	for (i = 0; i < x->nsyms; i++) {
		struct sym *y = &x->y[i];
		Elf32_Word xndx = 0;
		if (!gelf_getsymshndx(x->symdata, x->xdata, (int)i, &y->s, &xndx))
			return ei_fail(r, "cannot read symbol: %s", elf_errmsg(-1));
		if (y->s.st_shndx == SHN_XINDEX)
			y->shndx = xndx;
		else if (y->s.st_shndx >= SHN_LORESERVE)
			y->special = true;
		else
			y->shndx = y->s.st_shndx;
		if (y->shndx >= m->shnum)
			return ei_fail(r, "%s", "corrupt: symbol in a section out of range");
	}
	return STRIP_CHANGED;
}

/* Mark the symbols kept relocations and kept groups use. */
static enum strip_verdict mark_used(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	size_t i, k, n;

	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		Elf_Data *d;
		if (!s->keep || s->sh.sh_link != x->symtab)
			continue;
		if (s->sh.sh_type == SHT_GROUP) {
			if (s->sh.sh_info >= x->nsyms)
				return ei_fail(r, "corrupt: group '%s' signature out of range", s->name);
			x->y[s->sh.sh_info].used = true;
			continue;
		}
		if (!ei_is_rel(&s->sh))
			continue;
		if (!entries(m, i, s->sh.sh_type == SHT_RELA ? ELF_T_RELA : ELF_T_REL, &n) ||
		    !(d = sec_data(m, i)))
			return ei_fail(r, "corrupt: relocation section '%s'", s->name);
		for (k = 0; k < n; k++) {
			GElf_Rela ra;
			GElf_Rel rl;
			size_t sym;
			if (s->sh.sh_type == SHT_RELA) {
				if (!gelf_getrela(d, (int)k, &ra))
					return ei_fail(r, "cannot read relocation: %s", elf_errmsg(-1));
				sym = GELF_R_SYM(ra.r_info);
			} else {
				if (!gelf_getrel(d, (int)k, &rl))
					return ei_fail(r, "cannot read relocation: %s", elf_errmsg(-1));
				sym = GELF_R_SYM(rl.r_info);
			}
			if (sym >= x->nsyms)
				return ei_fail(r, "corrupt: relocation in '%s' names symbol %zu of %zu",
					       s->name, sym, x->nsyms);
			x->y[sym].used = true;
		}
	}
	return STRIP_CHANGED;
}

/*
 * Unreferenced undefined globals stay (they can make a link pull an archive
 * member), except _GLOBAL_OFFSET_TABLE_: the linker always defines it, so it
 * never pulls anything.  GNU strip drops it too.
 */
static bool linker_defined(const struct rel *x, const struct sym *y)
{
	const char *n;

	if (y->special || y->shndx || !y->s.st_name)
		return false;
	n = elf_strptr(x->m->elf, x->strtab, y->s.st_name);
	return n && strcmp(n, "_GLOBAL_OFFSET_TABLE_") == 0;
}

/* Decide which symbols stay; number them. */
static enum strip_verdict choose_symbols(struct rel *x, struct strip_result *r)
{
	size_t i;

	x->firstglobal = (size_t)-1;
	for (i = 0; i < x->nsyms; i++) {
		struct sym *y = &x->y[i];
		int bind = GELF_ST_BIND(y->s.st_info);
		bool in_removed = y->shndx && !x->m->s[y->shndx].keep;

		if (i == 0)
			y->keep = true;
		else if (in_removed || (!y->used && linker_defined(x, y)))
			y->keep = false;
		else
			y->keep = y->used || bind == STB_GLOBAL || bind == STB_WEAK ||
				  bind == STB_GNU_UNIQUE;
		if (in_removed && y->used)
			return ei_skip(r, SKIP_LINKED);
		if (!y->keep)
			continue;
		y->ndx = x->newnsyms++;
		if (bind != STB_LOCAL && x->firstglobal == (size_t)-1)
			x->firstglobal = y->ndx;
	}
	if (x->firstglobal == (size_t)-1)
		x->firstglobal = x->newnsyms;
	return STRIP_CHANGED;
}

static void sym_to32(Elf32_Sym *d, const GElf_Sym *s)
{
	d->st_name = s->st_name;
	d->st_value = (Elf32_Addr)s->st_value;
	d->st_size = (Elf32_Word)s->st_size;
	d->st_info = s->st_info;
	d->st_other = s->st_other;
	d->st_shndx = s->st_shndx;
}

static void set_data(struct rel *x, size_t i, void *p, size_t n)
{
	x->data[i] = p;
	x->size[i] = n;
}

/* New .symtab and .symtab_shndx in file byte order; names[k] is the
 * st_name of the k-th kept symbol (build_names). */
static bool build_symbols(struct rel *x, const uint32_t *names)
{
	struct img *m = x->m;
	unsigned enc = m->eh.e_ident[EI_DATA];
	size_t esz = m->cls == ELFCLASS64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	Elf32_Word *xt = x->shndxsec ? xcalloc(x->newnsyms, 4) : NULL;
	void *tab = xcalloc(x->newnsyms, esz);
	unsigned char *out = xmalloc(x->newnsyms * esz), *xout = NULL;
	size_t i, k = 0;
	bool ok;

	for (i = 0; i < x->nsyms; i++) {
		const struct sym *y = &x->y[i];
		GElf_Sym s = y->s;
		if (!y->keep)
			continue;
		s.st_name = names[k];
		if (y->shndx) {
			size_t nd = m->s[y->shndx].ndx;
			s.st_shndx = nd >= SHN_LORESERVE ? SHN_XINDEX : (GElf_Half)nd;
			if (xt)
				xt[k] = nd >= SHN_LORESERVE ? (Elf32_Word)nd : 0;
		}
		if (m->cls == ELFCLASS64)
			((Elf64_Sym *)tab)[k] = s;
		else
			sym_to32(&((Elf32_Sym *)tab)[k], &s);
		k++;
	}
	ok = ei_xlate(m->cls, enc, ELF_T_SYM, out, x->newnsyms * esz, tab);
	if (ok && xt) {
		xout = xmalloc(x->newnsyms * 4);
		ok = ei_xlate(m->cls, enc, ELF_T_WORD, xout, x->newnsyms * 4, xt);
	}
	if (ok) {
		set_data(x, x->symtab, out, x->newnsyms * esz);
		if (xout)
			set_data(x, x->shndxsec, xout, x->newnsyms * 4);
	} else {
		free(out);
		free(xout);
	}
	free(tab);
	free(xt);
	return ok;
}

/*
 * New string tables: section names, and the names of kept symbols (into
 * the same table when, as clang and rustc do, .symtab uses the section
 * name table).  Sets every kept section's nameoff; returns the st_name of
 * each kept symbol, in order (caller frees).
 */
static uint32_t *build_names(struct rel *x)
{
	struct img *m = x->m;
	bool shared = x->symtab && x->strtab == m->shstrndx;
	struct strtab sec = { 0 }, sym = { 0 };
	struct strtab *st = shared ? &sec : &sym;
	size_t nsec = 0, i, k = 0;
	uint32_t *offs, *names = xcalloc(x->newnsyms + 1, sizeof(*names));
	struct buf b = BUF_INIT;
	size_t len;
	char *p;

	for (i = 1; i < m->shnum; i++)
		if (m->s[i].keep) {
			strtab_add(&sec, m->s[i].name);
			nsec++;
		}
	for (i = 0; x->symtab && i < x->nsyms; i++) {
		const struct sym *y = &x->y[i];
		const char *name;
		if (!y->keep)
			continue;
		name = y->s.st_name ? elf_strptr(m->elf, x->strtab, y->s.st_name) : NULL;
		strtab_add(st, name ? name : "");
	}
	offs = xcalloc(sec.n + 1, sizeof(*offs));
	strtab_build(&sec, &b, offs);
	for (i = 1; i < m->shnum; i++)
		if (m->s[i].keep)
			m->s[i].nameoff = offs[k++];
	if (shared)
		memcpy(names, offs + nsec, (sec.n - nsec) * sizeof(*names));
	p = buf_detach(&b, &len);
	set_data(x, m->shstrndx, p, len);
	free(offs);
	if (!shared && x->symtab) {
		offs = xcalloc(sym.n + 1, sizeof(*offs));
		strtab_build(&sym, &b, offs);
		memcpy(names, offs, sym.n * sizeof(*names));
		free(offs);
		p = buf_detach(&b, &len);
		set_data(x, x->strtab, p, len);
	}
	strtab_release(&sec);
	strtab_release(&sym);
	return names;
}

/* Re-encode a kept relocation section with new symbol indices.  The
 * translated data is an array of the class's native Rel/Rela structs. */
static bool build_relocs(struct rel *x, size_t i)
{
	struct img *m = x->m;
	const GElf_Shdr *sh = &m->s[i].sh;
	bool rela = sh->sh_type == SHT_RELA;
	Elf_Type t = rela ? ELF_T_RELA : ELF_T_REL;
	Elf_Data *d = sec_data(m, i);
	size_t n = 0, k;
	unsigned char *tmp, *out;

	if (!d || !entries(m, i, t, &n) || d->d_size != sh->sh_size)
		return false;
	tmp = xmalloc(d->d_size ? d->d_size : 1);
	if (d->d_size)
		memcpy(tmp, d->d_buf, d->d_size);
	for (k = 0; k < n; k++) {
		if (m->cls == ELFCLASS64) {
			Elf64_Xword *info = rela ? &((Elf64_Rela *)tmp)[k].r_info
						 : &((Elf64_Rel *)tmp)[k].r_info;
			*info = ELF64_R_INFO(x->y[ELF64_R_SYM(*info)].ndx, ELF64_R_TYPE(*info));
		} else {
			Elf32_Word *info = rela ? &((Elf32_Rela *)tmp)[k].r_info
						: &((Elf32_Rel *)tmp)[k].r_info;
			*info = ELF32_R_INFO(x->y[ELF32_R_SYM(*info)].ndx, ELF32_R_TYPE(*info));
		}
	}
	out = xmalloc(d->d_size ? d->d_size : 1);
	if (!ei_xlate(m->cls, m->eh.e_ident[EI_DATA], t, out, d->d_size, tmp)) {
		free(tmp);
		free(out);
		return false;
	}
	free(tmp);
	set_data(x, i, out, d->d_size);
	return true;
}

/* A kept group lists its kept members under their new numbers. */
static bool build_group(struct rel *x, size_t i)
{
	struct img *m = x->m;
	Elf_Data *d = sec_data(m, i);
	size_t n, k, j = 1;
	Elf32_Word *w;
	unsigned char *out;

	if (!d || d->d_size < 4)
		return false;
	n = d->d_size / 4;
	w = xmalloc(n * 4);
	w[0] = ((Elf32_Word *)d->d_buf)[0]; /* flag word, never changed */
	for (k = 1; k < n; k++) {
		Elf32_Word mem = ((Elf32_Word *)d->d_buf)[k];
		if (m->s[mem].keep)
			w[j++] = (Elf32_Word)m->s[mem].ndx;
	}
	out = xmalloc(j * 4);
	if (!ei_xlate(m->cls, m->eh.e_ident[EI_DATA], ELF_T_WORD, out, j * 4, w)) {
		free(w);
		free(out);
		return false;
	}
	free(w);
	set_data(x, i, out, j * 4);
	return true;
}

static uint64_t new_size(const struct rel *x, size_t i)
{
	return x->data[i] ? x->size[i] : x->m->s[i].sh.sh_size;
}

static void number_sections(struct img *m)
{
	size_t i, ndx = 0;

	for (i = 0; i < m->shnum; i++)
		if (m->s[i].keep)
			m->s[i].ndx = ndx++;
	m->newshnum = ndx;
	m->newstrndx = m->s[m->shstrndx].ndx;
}

static enum strip_verdict layout(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	uint64_t off = m->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t i;

	for (i = 1; i < m->shnum; i++) {
		struct sec *s = &m->s[i];
		if (!s->keep)
			continue;
		if (!ei_valid_align(s->sh.sh_addralign))
			return ei_fail(r, "corrupt: section '%s' has an invalid alignment", s->name);
		off = align_up(off, s->sh.sh_addralign);
		s->off = off;
		if (s->sh.sh_type != SHT_NOBITS)
			off += new_size(x, i);
	}
	m->shoff = align_up(off, m->cls == ELFCLASS64 ? 8 : 4);
	m->total = m->shoff + (uint64_t)m->newshnum * m->shentsize;
	if (m->total >= m->n)
		return ei_skip(r, SKIP_NOT_SMALLER);
	return STRIP_CHANGED;
}

static GElf_Shdr new_shdr(const struct rel *x, size_t i)
{
	const struct img *m = x->m;
	const struct sec *s = &m->s[i];
	GElf_Shdr sh = s->sh;

	sh.sh_name = s->nameoff;
	sh.sh_offset = s->off;
	sh.sh_size = new_size(x, i);
	if (i == 0) /* its fields hold extended numbering: the caller sets them */
		return sh;
	if (sh.sh_link)
		sh.sh_link = (GElf_Word)m->s[sh.sh_link].ndx;
	if (sh.sh_type == SHT_LLVM_ADDRSIG)
		sh.sh_link = 0; /* symbol indices changed: lld ignores the table */
	if (ei_info_is_section(&s->sh) && sh.sh_info)
		sh.sh_info = (GElf_Word)m->s[sh.sh_info].ndx;
	else if (sh.sh_type == SHT_SYMTAB)
		sh.sh_info = (GElf_Word)x->firstglobal;
	else if (sh.sh_type == SHT_GROUP && x->symtab && s->sh.sh_info < x->nsyms)
		sh.sh_info = (GElf_Word)x->y[sh.sh_info].ndx;
	return sh;
}

static enum strip_verdict emit(struct rel *x, struct strip_result *r)
{
	struct img *m = x->m;
	unsigned char *out = xcalloc(1, m->total);
	void *tbl = xcalloc(m->newshnum, m->shentsize);
	size_t i, k = 0;

	for (i = 0; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		GElf_Shdr sh;
		if (!s->keep)
			continue;
		if (i && s->sh.sh_type != SHT_NOBITS && new_size(x, i))
			memcpy(out + s->off, x->data[i] ? x->data[i] : m->in + s->sh.sh_offset,
			       new_size(x, i));
		sh = new_shdr(x, i);
		if (i == 0) {
			sh.sh_size = m->newshnum >= SHN_LORESERVE ? m->newshnum : 0;
			sh.sh_link = m->newstrndx >= SHN_LORESERVE ? (GElf_Word)m->newstrndx : 0;
		}
		if (m->cls == ELFCLASS64)
			((Elf64_Shdr *)tbl)[k++] = sh;
		else
			ei_shdr_to32(&((Elf32_Shdr *)tbl)[k++], &sh);
	}
	if (!ei_xlate(m->cls, m->eh.e_ident[EI_DATA], ELF_T_SHDR, out + m->shoff,
		      m->newshnum * m->shentsize, tbl) ||
	    !ei_put_ehdr(m, out, m->shoff, m->newshnum, m->newstrndx)) {
		free(tbl);
		free(out);
		return ei_fail(r, "cannot encode headers: %s", elf_errmsg(-1));
	}
	free(tbl);
	r->out = out;
	r->outlen = m->total;
	return STRIP_CHANGED;
}

static const char *sec_name(Elf *e, size_t strndx, size_t i)
{
	GElf_Shdr sh;
	const char *n;
	Elf_Scn *scn = elf_getscn(e, i);

	if (!scn || !gelf_getshdr(scn, &sh) || !(n = elf_strptr(e, strndx, sh.sh_name)))
		return "";
	return n;
}

static bool same_symbol(const struct rel *x, Elf *e, size_t strndx, size_t newstr,
			const struct sym *old, const GElf_Sym *ns, Elf32_Word nx)
{
	const struct img *m = x->m;
	const char *on = old->s.st_name ? elf_strptr(m->elf, x->strtab, old->s.st_name) : "";
	const char *nn = ns->st_name ? elf_strptr(e, newstr, ns->st_name) : "";
	size_t nsec;

	if (!on || !nn || strcmp(on, nn) != 0 || old->s.st_value != ns->st_value ||
	    old->s.st_size != ns->st_size || old->s.st_info != ns->st_info ||
	    old->s.st_other != ns->st_other)
		return false;
	if (old->special)
		return ns->st_shndx == old->s.st_shndx;
	nsec = ns->st_shndx == SHN_XINDEX ? nx : ns->st_shndx;
	if (!old->shndx)
		return nsec == 0;
	return nsec == m->s[old->shndx].ndx &&
	       strcmp(sec_name(e, strndx, nsec), m->s[old->shndx].name) == 0;
}

static const char *verify_relocs(const struct rel *x, Elf *e, size_t i)
{
	const struct img *m = x->m;
	bool rela = m->s[i].sh.sh_type == SHT_RELA;
	Elf_Data *od = sec_data((struct img *)m, i);
	Elf_Data *nd = elf_getdata(elf_getscn(e, m->s[i].ndx), NULL);
	size_t n = m->s[i].sh.sh_size / (m->s[i].sh.sh_entsize ? m->s[i].sh.sh_entsize : 1), k;

	if (!od || !nd || nd->d_size != od->d_size)
		return "relocation table size changed";
	for (k = 0; k < n; k++) {
		GElf_Rela a, b;
		if (rela) {
			if (!gelf_getrela(od, (int)k, &a) || !gelf_getrela(nd, (int)k, &b))
				return "relocation unreadable";
		} else {
			GElf_Rel p, q;
			if (!gelf_getrel(od, (int)k, &p) || !gelf_getrel(nd, (int)k, &q))
				return "relocation unreadable";
			a.r_offset = p.r_offset;
			a.r_info = p.r_info;
			b.r_offset = q.r_offset;
			b.r_info = q.r_info;
			a.r_addend = b.r_addend = 0;
		}
		if (a.r_offset != b.r_offset || a.r_addend != b.r_addend ||
		    GELF_R_TYPE(a.r_info) != GELF_R_TYPE(b.r_info) ||
		    GELF_R_SYM(b.r_info) != x->y[GELF_R_SYM(a.r_info)].ndx)
			return "relocation changed";
	}
	return NULL;
}

/* R7 for ET_REL: parse the output again and compare it with the input. */
static const char *verify(const struct rel *x, unsigned char *out, size_t len)
{
	const struct img *m = x->m;
	const char *why = NULL;
	size_t shnum, strndx, i, k;
	Elf_Data *sd = NULL, *xd = NULL;
	Elf *e = elf_memory((char *)out, len);
	GElf_Ehdr eh;

	if (len >= m->n)
		return "output is not smaller";
	if (!e || !gelf_getehdr(e, &eh) || elf_getshdrnum(e, &shnum) ||
	    elf_getshdrstrndx(e, &strndx)) {
		why = "output does not parse";
		goto out;
	}
	if (shnum != m->newshnum || strndx != m->newstrndx || eh.e_type != ET_REL ||
	    eh.e_machine != m->eh.e_machine || eh.e_flags != m->eh.e_flags ||
	    memcmp(eh.e_ident, m->eh.e_ident, EI_NIDENT) != 0) {
		why = "ELF header changed";
		goto out;
	}
	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		GElf_Shdr sh;
		if (!s->keep)
			continue;
		if (!gelf_getshdr(elf_getscn(e, s->ndx), &sh) ||
		    strcmp(sec_name(e, strndx, s->ndx), s->name) != 0 ||
		    sh.sh_type != s->sh.sh_type || sh.sh_flags != s->sh.sh_flags ||
		    sh.sh_addralign != s->sh.sh_addralign || sh.sh_entsize != s->sh.sh_entsize ||
		    sh.sh_link >= shnum || (ei_info_is_section(&sh) && sh.sh_info >= shnum)) {
			why = "section header changed";
			goto out;
		}
		if (sh.sh_type != SHT_NOBITS && !ei_fits(sh.sh_offset, sh.sh_size, len)) {
			why = "section out of bounds";
			goto out;
		}
		if (!x->data[i] && sh.sh_type != SHT_NOBITS &&
		    (sh.sh_size != s->sh.sh_size ||
		     (sh.sh_size &&
		      memcmp(out + sh.sh_offset, m->in + s->sh.sh_offset, sh.sh_size) != 0))) {
			why = "section contents changed";
			goto out;
		}
		if (x->symtab && ei_is_rel(&s->sh) && s->sh.sh_link == x->symtab &&
		    (why = verify_relocs(x, e, i)))
			goto out;
	}
	if (!x->symtab)
		goto out;
	sd = elf_getdata(elf_getscn(e, m->s[x->symtab].ndx), NULL);
	if (x->shndxsec)
		xd = elf_getdata(elf_getscn(e, m->s[x->shndxsec].ndx), NULL);
	if (!sd) {
		why = "symbol table unreadable";
		goto out;
	}
	for (i = 0, k = 0; i < x->nsyms; i++) {
		GElf_Sym ns;
		Elf32_Word nx = 0;
		if (!x->y[i].keep)
			continue;
		if (!gelf_getsymshndx(sd, xd, (int)k, &ns, &nx) ||
		    !same_symbol(x, e, strndx, m->s[x->strtab].ndx, &x->y[i], &ns, nx)) {
			why = "symbol changed";
			goto out;
		}
		k++;
	}
out:
	if (e)
		elf_end(e);
	return why;
}

enum strip_verdict rel_strip(struct img *m, struct strip_result *r)
{
	struct rel x = { .m = m };
	uint32_t *names = NULL;
	enum strip_verdict v;
	bool any = false;
	const char *why;
	size_t i;

	if (m->phnum)
		return ei_skip(r, SKIP_ELF_TYPE);
	x.data = xcalloc(m->shnum, sizeof(*x.data));
	x.size = xcalloc(m->shnum, sizeof(*x.size));
	v = mark_sections(&x, r);
	if (v == STRIP_CHANGED && x.symtab) {
		v = load_symbols(&x, r);
		if (v == STRIP_CHANGED)
			v = mark_used(&x, r);
		if (v == STRIP_CHANGED)
			v = choose_symbols(&x, r);
	}
	if (v != STRIP_CHANGED)
		goto out;
	for (i = 1; i < m->shnum; i++)
		any |= !m->s[i].keep;
	if (!any && (!x.symtab || x.newnsyms == x.nsyms)) {
		v = ei_skip(r, SKIP_STRIPPED);
		goto out;
	}
	number_sections(m);
	names = build_names(&x);
	if (x.symtab && !build_symbols(&x, names))
		goto enc_fail;
	for (i = 1; i < m->shnum; i++) {
		const struct sec *s = &m->s[i];
		if (!s->keep)
			continue;
		if (x.symtab && ei_is_rel(&s->sh) && s->sh.sh_link == x.symtab && !build_relocs(&x, i))
			goto enc_fail;
		if (s->sh.sh_type == SHT_GROUP && !build_group(&x, i))
			goto enc_fail;
	}
	v = layout(&x, r);
	if (v == STRIP_CHANGED)
		v = emit(&x, r);
	if (v == STRIP_CHANGED && (why = verify(&x, r->out, r->outlen))) {
		free(r->out);
		r->out = NULL;
		r->outlen = 0;
		v = ei_fail(r, "internal check failed, object left as it was: %s", why);
	}
	goto out;
enc_fail:
	v = ei_fail(r, "cannot encode tables: %s", elf_errmsg(-1));
out:
	for (i = 0; i < m->shnum; i++)
		free(x.data[i]);
	free(x.data);
	free(x.size);
	free(x.y);
	free(names);
	return v;
}

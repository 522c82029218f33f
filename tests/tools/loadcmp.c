/*
 * loadcmp - check that a stripped ELF file still loads exactly like the original.
 *
 * Usage: loadcmp [-e] ORIG NEW
 *
 * Exit 0 iff all of these hold:
 *  - the ELF headers are identical, except e_shoff, e_shnum and e_shstrndx;
 *  - the program header tables are identical;
 *  - the file bytes of every segment (p_offset .. p_offset + p_filesz) are identical
 *    (the three ELF header fields above are masked where a segment covers them);
 *  - NEW is laid out sanely: every non-NOBITS section lies within the file, no two
 *    sections overlap, the section header table lies within the file, overlaps no
 *    section, and e_shoff is aligned to 8 (ELFCLASS64) or 4 (ELFCLASS32).
 * With -e, additionally every byte of [0, E) must be identical (masked as above),
 * where E is the end of ORIG's loadable image (strip-spec R3): the maximum of every
 * segment end, the end of the program header table and the end of every alloc,
 * non-NOBITS section.
 *
 * Prints one line per difference on stdout; exit 1 on any difference, 2 on usage or
 * I/O errors (including files that are not ELF).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct efile {
	const char *path;
	int fd;
	unsigned char *map; /* whole file, read-only; NULL when size is 0 */
	size_t size;
	Elf *elf;
	GElf_Ehdr ehdr;
	int cls;
	size_t phnum;
	size_t shnum;
};

static int ndiff;

__attribute__((format(printf, 1, 2))) static void diff(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	ndiff++;
}

static int efile_open(struct efile *f, const char *path)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		fprintf(stderr, "loadcmp: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) != 0) {
		fprintf(stderr, "loadcmp: cannot stat '%s': %s\n", path, strerror(errno));
		return -1;
	}
	f->size = (size_t)st.st_size;
	if (f->size > 0) {
		f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			fprintf(stderr, "loadcmp: cannot map '%s': %s\n", path, strerror(errno));
			return -1;
		}
	}
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		fprintf(stderr, "loadcmp: '%s': not an ELF file\n", path);
		return -1;
	}
	if (!gelf_getehdr(f->elf, &f->ehdr)) {
		fprintf(stderr, "loadcmp: '%s': cannot read ELF header: %s\n", path,
			elf_errmsg(-1));
		return -1;
	}
	f->cls = gelf_getclass(f->elf);
	if (elf_getphdrnum(f->elf, &f->phnum) != 0) {
		fprintf(stderr, "loadcmp: '%s': cannot read program header count: %s\n", path,
			elf_errmsg(-1));
		return -1;
	}
	if (elf_getshdrnum(f->elf, &f->shnum) != 0) {
		fprintf(stderr, "loadcmp: '%s': cannot read section count: %s\n", path,
			elf_errmsg(-1));
		return -1;
	}
	return 0;
}

static void efile_close(struct efile *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->map)
		munmap(f->map, f->size);
	if (f->fd > 0)
		close(f->fd);
}

/* Is byte i of the file one of e_shoff, e_shnum, e_shstrndx? */
static bool masked(int cls, uint64_t i)
{
	if (cls == ELFCLASS64)
		return (i >= 0x28 && i < 0x30) || (i >= 0x3c && i < 0x40);
	return (i >= 0x20 && i < 0x24) || (i >= 0x30 && i < 0x34);
}

/* Compare [off, off+len) of both files; report the first differing byte. */
static void cmp_range(const struct efile *a, const struct efile *b, uint64_t off, uint64_t len,
		      const char *what)
{
	uint64_t i, ndif = 0, first = 0;

	if (off > a->size || len > a->size - off) {
		diff("%s [%#llx, +%#llx) extends past the end of %s (%zu bytes)", what,
		     (unsigned long long)off, (unsigned long long)len, a->path, a->size);
		return;
	}
	if (off > b->size || len > b->size - off) {
		diff("%s [%#llx, +%#llx) extends past the end of %s (%zu bytes)", what,
		     (unsigned long long)off, (unsigned long long)len, b->path, b->size);
		return;
	}
	for (i = off; i < off + len; i++) {
		if (a->map[i] == b->map[i] || masked(a->cls, i))
			continue;
		if (!ndif++)
			first = i;
	}
	if (ndif)
		diff("%s [%#llx, +%#llx) differs: %llu byte(s), first at %#llx", what,
		     (unsigned long long)off, (unsigned long long)len, (unsigned long long)ndif,
		     (unsigned long long)first);
}

static void check_ehdr(const struct efile *a, const struct efile *b)
{
	size_t ehsz = a->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

	if (a->cls != b->cls) {
		diff("ELF class differs: %d vs %d", a->cls, b->cls);
		return;
	}
	if (a->size < ehsz || b->size < ehsz) {
		diff("file shorter than an ELF header");
		return;
	}
	cmp_range(a, b, 0, ehsz, "ELF header (except e_shoff/e_shnum/e_shstrndx)");
}

static void check_phdrs(const struct efile *a, const struct efile *b)
{
	size_t i;
	uint64_t len;

	if (a->phnum != b->phnum) {
		diff("program header count differs: %zu vs %zu", a->phnum, b->phnum);
		return;
	}
	if (a->ehdr.e_phoff != b->ehdr.e_phoff || a->ehdr.e_phentsize != b->ehdr.e_phentsize) {
		diff("program header table moved: e_phoff %#llx vs %#llx",
		     (unsigned long long)a->ehdr.e_phoff, (unsigned long long)b->ehdr.e_phoff);
		return;
	}
	len = (uint64_t)a->phnum * a->ehdr.e_phentsize;
	if (len)
		cmp_range(a, b, a->ehdr.e_phoff, len, "program header table");
	for (i = 0; i < a->phnum; i++) {
		GElf_Phdr p;
		char what[64];

		if (!gelf_getphdr(a->elf, (int)i, &p)) {
			diff("cannot read program header %zu of %s: %s", i, a->path,
			     elf_errmsg(-1));
			continue;
		}
		if (!p.p_filesz)
			continue;
		snprintf(what, sizeof(what), "segment %zu (type %#llx)", i,
			 (unsigned long long)p.p_type);
		cmp_range(a, b, p.p_offset, p.p_filesz, what);
	}
}

/* End of the loadable image of f (strip-spec R3). */
static uint64_t image_end(const struct efile *f)
{
	uint64_t e = 0;
	size_t i;

	if (f->phnum)
		e = f->ehdr.e_phoff + (uint64_t)f->phnum * f->ehdr.e_phentsize;
	for (i = 0; i < f->phnum; i++) {
		GElf_Phdr p;

		if (gelf_getphdr(f->elf, (int)i, &p) && p.p_offset + p.p_filesz > e)
			e = p.p_offset + p.p_filesz;
	}
	for (i = 1; i < f->shnum; i++) {
		Elf_Scn *scn = elf_getscn(f->elf, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			continue;
		if ((sh.sh_flags & SHF_ALLOC) && sh.sh_type != SHT_NOBITS &&
		    sh.sh_offset + sh.sh_size > e)
			e = sh.sh_offset + sh.sh_size;
	}
	return e;
}

struct span {
	uint64_t off, end;
	size_t idx; /* section index; (size_t)-1 for the section header table */
};

static int span_cmp(const void *x, const void *y)
{
	const struct span *a = x, *b = y;

	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	return 0;
}

static void span_name(const struct span *s, char *out, size_t n)
{
	if (s->idx == (size_t)-1)
		snprintf(out, n, "section header table");
	else
		snprintf(out, n, "section [%zu]", s->idx);
}

static void check_layout(const struct efile *f)
{
	struct span *sp;
	size_t i, maxi, nsp = 0, shstrndx = 0;
	uint64_t align = f->cls == ELFCLASS64 ? 8 : 4;
	uint64_t shtab = (uint64_t)f->shnum * f->ehdr.e_shentsize;

	if (f->ehdr.e_shoff % align)
		diff("%s: e_shoff %#llx is not aligned to %llu", f->path,
		     (unsigned long long)f->ehdr.e_shoff, (unsigned long long)align);
	if (f->ehdr.e_shoff && (f->ehdr.e_shoff > f->size || shtab > f->size - f->ehdr.e_shoff))
		diff("%s: section header table [%#llx, +%#llx) extends past the end of the file (%zu)",
		     f->path, (unsigned long long)f->ehdr.e_shoff, (unsigned long long)shtab,
		     f->size);
	if (elf_getshdrstrndx(f->elf, &shstrndx) != 0)
		diff("%s: cannot read the section name table index: %s", f->path, elf_errmsg(-1));
	else if (f->shnum && shstrndx >= f->shnum)
		diff("%s: e_shstrndx %zu out of range (%zu sections)", f->path, shstrndx, f->shnum);

	sp = calloc(f->shnum + 1, sizeof(*sp));
	if (!sp) {
		diff("out of memory");
		return;
	}
	for (i = 1; i < f->shnum; i++) {
		Elf_Scn *scn = elf_getscn(f->elf, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh)) {
			diff("%s: cannot read section header %zu: %s", f->path, i, elf_errmsg(-1));
			continue;
		}
		if (sh.sh_link >= f->shnum && sh.sh_type != SHT_NULL)
			diff("%s: section [%zu] sh_link %u out of range", f->path, i,
			     (unsigned)sh.sh_link);
		if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;
		if (sh.sh_offset > f->size || sh.sh_size > f->size - sh.sh_offset) {
			diff("%s: section [%zu] [%#llx, +%#llx) extends past the end of the file (%zu)",
			     f->path, i, (unsigned long long)sh.sh_offset,
			     (unsigned long long)sh.sh_size, f->size);
			continue;
		}
		sp[nsp].off = sh.sh_offset;
		sp[nsp].end = sh.sh_offset + sh.sh_size;
		sp[nsp].idx = i;
		nsp++;
	}
	if (f->ehdr.e_shoff && shtab) {
		sp[nsp].off = f->ehdr.e_shoff;
		sp[nsp].end = f->ehdr.e_shoff + shtab;
		sp[nsp].idx = (size_t)-1;
		nsp++;
	}
	qsort(sp, nsp, sizeof(*sp), span_cmp);
	for (i = 1, maxi = 0; i < nsp; i++) {
		char n1[48], n2[48];

		/* sp[maxi] is the earlier span reaching furthest */
		if (sp[maxi].end > sp[i].off) {
			span_name(&sp[maxi], n1, sizeof(n1));
			span_name(&sp[i], n2, sizeof(n2));
			diff("%s: %s [%#llx, %#llx) overlaps %s [%#llx, %#llx)", f->path, n1,
			     (unsigned long long)sp[maxi].off, (unsigned long long)sp[maxi].end, n2,
			     (unsigned long long)sp[i].off, (unsigned long long)sp[i].end);
		}
		if (sp[i].end > sp[maxi].end)
			maxi = i;
	}
	free(sp);
}

int main(int argc, char **argv)
{
	struct efile a, b;
	bool prefix = false;
	int argi = 1, rc = 2;

	if (argc > 1 && strcmp(argv[1], "-e") == 0) {
		prefix = true;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: loadcmp [-e] ORIG NEW\n");
		return 2;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "loadcmp: libelf is out of date\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	if (efile_open(&a, argv[argi]) != 0)
		goto out_a;
	if (efile_open(&b, argv[argi + 1]) != 0)
		goto out;

	check_ehdr(&a, &b);
	if (!ndiff) {
		check_phdrs(&a, &b);
		if (prefix)
			cmp_range(&a, &b, 0, image_end(&a), "loadable image [0, E)");
	}
	check_layout(&b);
	if (ndiff)
		printf("MISMATCH: %d difference(s)\n", ndiff);
	else
		printf("OK: ehdr (except e_shoff/e_shnum/e_shstrndx), phdrs, segment bytes%s "
		       "identical; layout sane\n",
		       prefix ? " and [0,E)" : "");
	rc = ndiff ? 1 : 0;
out:
	efile_close(&b);
out_a:
	efile_close(&a);
	return rc;
}

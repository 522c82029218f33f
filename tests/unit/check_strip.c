/* Unit tests of the in-memory ELF stripper on objects compiled here. */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
	strip_init();
	dir = tu_tmpdir();
	tu_write(dir, "lib.c",
		 "#include <stdio.h>\n"
		 "static int helper(int x) { return x * 3; }\n"
		 "int api(int x) { return helper(x) + 1; }\n"
		 "int main_like(void) { printf(\"%d\\n\", api(2)); return 0; }\n",
		 (size_t)-1);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -g -O1 -fPIC -shared -o lib.so lib.c", dir), 0);
}

static void teardown(void)
{
	tu_rmrf(dir);
	free(dir);
}

static unsigned char *load(const char *name, size_t *n)
{
	char p[4096];
	unsigned char *d;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	d = tu_read(p, n);
	ck_assert_msg(d != NULL, "cannot read %s", p);
	return d;
}

/* Names of all sections, space-separated. */
static char *section_names(unsigned char *img, size_t n)
{
	struct buf b = BUF_INIT;
	Elf *e = elf_memory((char *)img, n);
	size_t strndx, i, shnum;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(elf_getshdrstrndx(e, &strndx), 0);
	ck_assert_int_eq(elf_getshdrnum(e, &shnum), 0);
	for (i = 1; i < shnum; i++) {
		GElf_Shdr sh;
		ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(e, i), &sh));
		buf_addf(&b, " %s", elf_strptr(e, strndx, sh.sh_name));
	}
	buf_addch(&b, ' ');
	elf_end(e);
	return buf_detach(&b, NULL);
}

START_TEST(strips_shared_object)
{
	size_t n;
	unsigned char *in = load("lib.so", &n);
	struct strip_result r = STRIP_RESULT_INIT;
	char *before = section_names(in, n), *after;

	ck_assert_ptr_nonnull(strstr(before, " .symtab "));
	ck_assert_ptr_nonnull(strstr(before, " .debug_info "));
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	ck_assert_uint_lt(r.outlen, n);
	after = section_names(r.out, r.outlen);
	ck_assert_ptr_null(strstr(after, " .symtab "));
	ck_assert_ptr_null(strstr(after, " .strtab "));
	ck_assert_ptr_null(strstr(after, ".debug_"));
	ck_assert_ptr_nonnull(strstr(after, " .comment "));
	ck_assert_ptr_nonnull(strstr(after, " .dynsym "));
	ck_assert_ptr_nonnull(strstr(after, " .shstrtab "));
	free(before);
	free(after);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(loadable_bytes_verbatim)
{
	size_t n, i, phnum;
	unsigned char *in = load("lib.so", &n);
	struct strip_result r = STRIP_RESULT_INIT;
	Elf *a, *b;

	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	a = elf_memory((char *)in, n);
	b = elf_memory((char *)r.out, r.outlen);
	ck_assert_int_eq(elf_getphdrnum(a, &phnum), 0);
	for (i = 0; i < phnum; i++) {
		GElf_Phdr pa, pb;
		ck_assert_ptr_nonnull(gelf_getphdr(a, (int)i, &pa));
		ck_assert_ptr_nonnull(gelf_getphdr(b, (int)i, &pb));
		ck_assert(memcmp(&pa, &pb, sizeof(pa)) == 0);
		ck_assert_uint_le(pa.p_offset + pa.p_filesz, r.outlen);
		if (pa.p_offset + pa.p_filesz <= 64)
			continue;
		if (pa.p_offset < 64) { /* the ELF header: checked below */
			pa.p_filesz -= 64 - pa.p_offset;
			pa.p_offset = 64;
		}
		ck_assert(memcmp(in + pa.p_offset, r.out + pa.p_offset, pa.p_filesz) == 0);
	}
	/* only e_shoff, e_shnum and e_shstrndx of the header may change */
	ck_assert(memcmp(in, r.out, 40) == 0);
	ck_assert(memcmp(in + 48, r.out + 48, 12) == 0);
	elf_end(a);
	elf_end(b);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(second_strip_is_noop)
{
	size_t n;
	unsigned char *in = load("lib.so", &n);
	struct strip_result r = STRIP_RESULT_INIT, r2 = STRIP_RESULT_INIT;

	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	ck_assert_int_eq(strip_buffer(r.out, r.outlen, NULL, &r2), STRIP_SKIPPED);
	ck_assert_int_eq(r2.reason, SKIP_STRIPPED);
	ck_assert_ptr_null(r2.out);
	strip_result_release(&r);
	strip_result_release(&r2);
	free(in);
}
END_TEST

START_TEST(gap_bytes_survive)
{
	size_t n;
	unsigned char *in = load("lib.so", &n);
	struct strip_result r = STRIP_RESULT_INIT;
	Elf *e = elf_memory((char *)in, n);
	size_t strndx, i, shnum;
	uint64_t gap = 0;

	/* find a gap between two alloc sections and mark it */
	ck_assert_int_eq(elf_getshdrstrndx(e, &strndx), 0);
	ck_assert_int_eq(elf_getshdrnum(e, &shnum), 0);
	for (i = 1; i + 1 < shnum && !gap; i++) {
		GElf_Shdr a, b;
		gelf_getshdr(elf_getscn(e, i), &a);
		gelf_getshdr(elf_getscn(e, i + 1), &b);
		if ((a.sh_flags & SHF_ALLOC) && (b.sh_flags & SHF_ALLOC) &&
		    a.sh_type != SHT_NOBITS && b.sh_offset >= a.sh_offset + a.sh_size + 4)
			gap = a.sh_offset + a.sh_size;
	}
	elf_end(e);
	ck_assert_msg(gap != 0, "no gap between alloc sections in the test object");
	memcpy(in + gap, "GAP!", 4);
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	ck_assert(memcmp(r.out + gap, "GAP!", 4) == 0);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(skips_with_reasons)
{
	static const char script[] = "/* GNU ld script */\nGROUP ( libc.so.6 )\n";
	struct strip_result r = STRIP_RESULT_INIT;
	unsigned char *in, *big;
	size_t n;

	ck_assert_int_eq(strip_buffer((const unsigned char *)script, sizeof(script) - 1, NULL, &r),
			 STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_NOT_ELF);
	ck_assert_int_eq(strip_buffer((const unsigned char *)"!<thin>\n", 8, NULL, &r),
			 STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_THIN_ARCHIVE);

	/* trailing payload, as a signed kernel module has */
	in = load("lib.so", &n);
	big = malloc(n + 28);
	memcpy(big, in, n);
	memcpy(big + n, "~Module signature appended~\n", 28);
	ck_assert_int_eq(strip_buffer(big, n + 28, NULL, &r), STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_TRAILING);
	free(big);

	/* a relocatable object */
	ck_assert_int_eq(tu_sh("cd '%s' && cc -g -c -o lib.o lib.c", dir), 0);
	free(in);
	in = load("lib.o", &n);
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_OBJECT);
	free(in);

	/* a separate debug file */
	ck_assert_int_eq(tu_sh("cd '%s' && objcopy --only-keep-debug lib.so lib.dbg", dir), 0);
	in = load("lib.dbg", &n);
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_DEBUG_FILE);
	free(in);
}
END_TEST

START_TEST(broken_input_fails_cleanly)
{
	size_t n, i;
	unsigned char *in = load("lib.so", &n);
	struct strip_result r = STRIP_RESULT_INIT;

	/* every truncation point either fails or skips, never crashes */
	for (i = 0; i < n; i += (i < 256 ? 1 : 97)) {
		enum strip_verdict v = strip_buffer(in, i, NULL, &r);
		ck_assert_int_ne(v, STRIP_CHANGED);
		if (v == STRIP_FAILED)
			ck_assert_ptr_nonnull(r.err.msg);
		strip_result_release(&r);
	}
	ck_assert_int_eq(strip_buffer(in, n / 2, NULL, &r), STRIP_FAILED);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "truncated"));
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(cross_class_and_endian)
{
	static const char *const targets[] = { "i686-linux-gnu", "powerpc-linux-gnu",
					       "powerpc64-linux-gnu", "aarch64-linux-gnu" };
	size_t t;

	TU_NEED("clang", "ld.lld");
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		struct strip_result r = STRIP_RESULT_INIT, r2 = STRIP_RESULT_INIT;
		unsigned char *in;
		char name[64];
		size_t n;
		char *after;

		snprintf(name, sizeof(name), "x-%zu.so", t);
		ck_assert_int_eq(tu_sh("cd '%s' && printf 'int f(int x){return x+1;}\\nstatic int g;int *h(void){return &g;}\\n' > x.c && "
				       "clang --target=%s -g -O1 -fPIC -shared -nostdlib -fuse-ld=lld -o %s x.c",
				       dir, targets[t], name), 0);
		in = load(name, &n);
		ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
		after = section_names(r.out, r.outlen);
		ck_assert_ptr_null(strstr(after, " .symtab "));
		ck_assert_ptr_nonnull(strstr(after, " .dynsym "));
		ck_assert_int_eq(strip_buffer(r.out, r.outlen, NULL, &r2), STRIP_SKIPPED);
		free(after);
		strip_result_release(&r);
		strip_result_release(&r2);
		free(in);
	}
}
END_TEST

/* ---- interleaved layouts (elfmove.c) ------------------------------------ */

static void shdr(Elf64_Shdr *sh, uint32_t name, uint32_t type, uint64_t flags, uint64_t off,
		 uint64_t size, uint64_t align)
{
	uint64_t addr = off + (off >= 0x3000 ? 0x2000 : 0);

	*sh = (Elf64_Shdr){ .sh_name = name, .sh_type = type, .sh_flags = flags,
			    .sh_addr = flags & SHF_ALLOC ? addr : 0, .sh_offset = off,
			    .sh_size = size, .sh_addralign = align };
}

/*
 * An ELF64 LE shared object laid out as patchelf leaves one: .text in a
 * PT_LOAD at 0x1000, .symtab and .strtab after it, then a PT_LOAD aligned
 * to align at 0x3000 (its address 0x5000) holding .data; nalloc alloc
 * sections of a byte each follow, a byte apart (a block each), then
 * .shstrtab and the section headers.
 */
static unsigned char *patched(uint64_t align, size_t nalloc, size_t *n)
{
	static const char names[] = "\0.text\0.symtab\0.strtab\0.data\0.shstrtab\0.a";
	size_t shnum = 6 + nalloc, i, str = 0x3041 + 2 * nalloc, shoff = (str + 64) & ~7ul;
	unsigned char *b = calloc(1, shoff + shnum * sizeof(Elf64_Shdr));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + 64);
	Elf64_Shdr *sh = (Elf64_Shdr *)(b + shoff);

	memcpy(eh->e_ident, "\177ELF\2\1\1", 7);
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = 64;
	eh->e_shoff = shoff;
	eh->e_ehsize = 64;
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = shnum < SHN_LORESERVE ? (Elf64_Half)shnum : 0;
	eh->e_shstrndx = shnum < SHN_LORESERVE ? 5 : SHN_XINDEX;
	ph[0] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, 0, 0, 0, 0x1040, 0x1040, 0x1000 };
	ph[1] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, 0x3000, 0x5000, 0x5000, 0x40, 0x40, align };
	memset(b + 0x1000, 0xc3, 0x40);
	memset(b + 0x1040, 0x55, 0x1000);
	memset(b + 0x3000, 'D', 0x40);
	memcpy(b + str, names, sizeof(names));
	sh[0].sh_size = shnum < SHN_LORESERVE ? 0 : shnum;
	sh[0].sh_link = shnum < SHN_LORESERVE ? 0 : 5;
	shdr(&sh[1], 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, 0x40, 16);
	shdr(&sh[2], 7, SHT_SYMTAB, 0, 0x1040, 0x1000, 8);
	sh[2].sh_link = 3;
	sh[2].sh_entsize = sizeof(Elf64_Sym);
	shdr(&sh[3], 15, SHT_STRTAB, 0, 0x2040, 8, 1);
	shdr(&sh[4], 23, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x3000, 0x40, 8);
	sh[4].sh_addr = 0x5000;
	shdr(&sh[5], 29, SHT_STRTAB, 0, str, sizeof(names), 1);
	for (i = 0; i < nalloc; i++) {
		b[0x3041 + 2 * i] = 'a';
		shdr(&sh[6 + i], 39, SHT_PROGBITS, SHF_ALLOC, 0x3041 + 2 * i, 1, 1);
	}
	*n = shoff + shnum * sizeof(*sh);
	return b;
}

/* The appended PT_LOAD moves down by a multiple of its p_align, a page or
 * more; aligned to less (0 and 1 say "any"), it may not move at all: the
 * loader maps pages, and p_offset must stay congruent to p_vaddr modulo
 * the page whatever p_align says. */
START_TEST(interleaved_moves_by_pages)
{
	static const uint64_t small[] = { 0, 1, 16, 2048 };
	struct strip_result r = STRIP_RESULT_INIT;
	unsigned char *in;
	Elf64_Phdr ph;
	size_t n, i;

	in = patched(0x1000, 0, &n);
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	memcpy(&ph, r.out + 64 + sizeof(ph), sizeof(ph));
	ck_assert_uint_eq(ph.p_offset, 0x2000);
	ck_assert_mem_eq(r.out + 0x2000, in + 0x3000, 0x40);
	strip_result_release(&r);
	free(in);
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		in = patched(small[i], 0, &n);
		ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_SKIPPED);
		ck_assert_int_eq(r.reason, SKIP_INTERLEAVED);
		strip_result_release(&r);
		free(in);
	}
}
END_TEST

/* A PT_LOAD that stays is not checked for what the input already had: one
 * aligned to 3, its offset not congruent, stays as it is while the
 * appended one moves (the check after stripping failed on it: an error for
 * a file the stripper had made right). */
START_TEST(interleaved_odd_segment_stays)
{
	struct strip_result r = STRIP_RESULT_INIT;
	Elf64_Phdr ph;
	size_t n;
	unsigned char *in = patched(0x1000, 0, &n);

	memcpy(&ph, in + 64, sizeof(ph));
	ph.p_vaddr = ph.p_paddr = 2;
	ph.p_align = 3;
	memcpy(in + 64, &ph, sizeof(ph));
	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	ck_assert_mem_eq(r.out + 64, &ph, sizeof(ph));
	memcpy(&ph, r.out + 64 + sizeof(ph), sizeof(ph));
	ck_assert_uint_eq(ph.p_offset, 0x2000);
	strip_result_release(&r);
	free(in);
}
END_TEST

/* An image of many sections, each a block of its own, is placed in time
 * near-linear in them (it was quadratic: minutes for some megabytes). */
START_TEST(interleaved_many_blocks)
{
	struct strip_result r = STRIP_RESULT_INIT;
	size_t n;
	unsigned char *in = patched(0x1000, 150000, &n);

	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_CHANGED);
	ck_assert_uint_lt(r.outlen, n);
	strip_result_release(&r);
	free(in);
}
END_TEST

Suite *strip_suite(void)
{
	Suite *s = suite_create("strip");
	TCase *t = tcase_create("elf");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, strips_shared_object);
	tcase_add_test(t, loadable_bytes_verbatim);
	tcase_add_test(t, second_strip_is_noop);
	tcase_add_test(t, gap_bytes_survive);
	tcase_add_test(t, skips_with_reasons);
	tcase_add_test(t, broken_input_fails_cleanly);
	tcase_add_test(t, cross_class_and_endian);
	suite_add_tcase(s, t);
	t = tcase_create("interleaved");
	tcase_set_timeout(t, 10);
	tcase_add_test(t, interleaved_moves_by_pages);
	tcase_add_test(t, interleaved_many_blocks);
	tcase_add_test(t, interleaved_odd_segment_stays);
	suite_add_tcase(s, t);
	return s;
}

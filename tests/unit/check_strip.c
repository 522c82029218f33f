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
	return s;
}

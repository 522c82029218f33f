/* Unit tests of the ET_REL stripper (src/relstrip.c, rule R4) on objects
 * compiled here: debug sections and their relocations go; the symbols
 * relocations use stay (section symbols and named locals), every global
 * stays, other locals go; locals come first (sh_info); every relocation
 * names the same symbol at the same offset with the same type and addend;
 * the stripped object still links into a program that runs the same. */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"
#include "testutil.h"
#include "util.h"

static char *dir;

/* Relocations against section symbols (.text.helper, .bss.counter) and,
 * through a GOTPCREL that the assembler keeps as is, a named local
 * (local_obj); named locals no relocation uses (helper, twice, counter);
 * undefined globals, one used (ext_fn) and one not (_GLOBAL_OFFSET_TABLE_,
 * which the linker defines: dropped as GNU strip does). */
static const char r_c[] =
	"static int counter;\n"
	"static int helper(int x) { return x * 3 + counter++; }\n"
	"int (*volatile hp)(int) = helper;\n"
	"__attribute__((noinline)) static int twice(int x) { return 2 * x; }\n"
	"int api(int x) { return helper(x) + twice(x); }\n"
	"extern int ext_fn(int);\n"
	"int use_ext(int x) { return ext_fn(x) + 1; }\n"
	"#ifdef __x86_64__\n"
	"static int local_obj __attribute__((used)) = 42;\n"
	"__asm__(\".text\\n.globl get_local\\n.type get_local,@function\\nget_local:\\n\"\n"
	"        \"\\tmovq local_obj@GOTPCREL(%rip), %rax\\n\\tmovl (%rax), %eax\\n\\tret\\n\"\n"
	"        \".size get_local, .-get_local\\n\");\n"
	"#endif\n";

static const char main_c[] =
	"#include <stdio.h>\n"
	"int api(int); int use_ext(int); extern int (*volatile hp)(int); int get_local(void);\n"
	"int main(void) {\n"
	"\tint a = api(5), b = api(5);\n"
	"\tprintf(\"%d %d %d %d %d\\n\", a, b, use_ext(10), hp(1), get_local());\n"
	"\treturn 0;\n"
	"}\n";
static const char ext_c[] = "int ext_fn(int x) { return x * 100; }\n";

static void setup(void)
{
	strip_init();
	dir = tu_tmpdir();
	tu_write(dir, "r.c", r_c, sizeof(r_c) - 1);
	tu_write(dir, "main.c", main_c, sizeof(main_c) - 1);
	tu_write(dir, "ext.c", ext_c, sizeof(ext_c) - 1);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -c -g -O1 -ffunction-sections -fdata-sections -o r.o r.c", dir),
			 0);
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

static const struct strip_opts objects = { .strip_objects = 1 };

/* Strip in[0..n) as an object; must change. */
static struct strip_result strip_obj(const unsigned char *in, size_t n)
{
	struct strip_result r = STRIP_RESULT_INIT;

	ck_assert_msg(strip_buffer(in, n, &objects, &r) == STRIP_CHANGED, "not stripped: %s (%s)",
		      r.err.msg ? r.err.msg : "-", skip_reason_id(r.reason));
	ck_assert_uint_lt(r.outlen, n);
	return r;
}

struct obj {
	Elf *e;
	size_t shstrndx, symtab, nsyms;
	Elf_Data *syms;
	size_t strndx;
};

static void obj_open(struct obj *o, const unsigned char *img, size_t n)
{
	size_t shnum, i;

	memset(o, 0, sizeof(*o));
	o->e = elf_memory((char *)img, n);
	ck_assert_ptr_nonnull(o->e);
	ck_assert_int_eq(elf_kind(o->e), ELF_K_ELF);
	ck_assert_int_eq(elf_getshdrstrndx(o->e, &o->shstrndx), 0);
	ck_assert_int_eq(elf_getshdrnum(o->e, &shnum), 0);
	for (i = 1; i < shnum; i++) {
		GElf_Shdr sh;
		ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(o->e, i), &sh));
		if (sh.sh_type == SHT_SYMTAB) {
			o->symtab = i;
			o->strndx = sh.sh_link;
			o->syms = elf_getdata(elf_getscn(o->e, i), NULL);
			ck_assert_ptr_nonnull(o->syms);
			o->nsyms = sh.sh_size / sh.sh_entsize;
		}
	}
	ck_assert_msg(o->symtab != 0, "no .symtab");
}

static const char *sec_name(struct obj *o, size_t i)
{
	GElf_Shdr sh;

	ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(o->e, i), &sh));
	return elf_strptr(o->e, o->shstrndx, sh.sh_name);
}

/* "name" for a named symbol, "[section]" for a section symbol */
static void sym_desc(struct obj *o, size_t k, struct buf *b)
{
	GElf_Sym s;

	ck_assert_ptr_nonnull(gelf_getsym(o->syms, (int)k, &s));
	if (GELF_ST_TYPE(s.st_info) == STT_SECTION)
		buf_addf(b, "[%s]", sec_name(o, s.st_shndx));
	else
		buf_addf(b, "%s", elf_strptr(o->e, o->strndx, s.st_name));
}

/* Is there a symbol named name (of any binding)?  Its binding in *bind. */
static bool has_sym(struct obj *o, const char *name, int *bind)
{
	size_t k;

	for (k = 1; k < o->nsyms; k++) {
		GElf_Sym s;
		const char *n;
		ck_assert_ptr_nonnull(gelf_getsym(o->syms, (int)k, &s));
		n = elf_strptr(o->e, o->strndx, s.st_name);
		if (n && strcmp(n, name) == 0) {
			if (bind)
				*bind = GELF_ST_BIND(s.st_info);
			return true;
		}
	}
	return false;
}

static bool debug_name(const char *n)
{
	return strncmp(n, ".debug", 6) == 0 || strncmp(n, ".rela.debug", 11) == 0 ||
	       strncmp(n, ".rel.debug", 10) == 0;
}

/* Every relocation outside debug sections, one a line: "section offset
 * type symbol addend", in section order. */
static char *relocs(struct obj *o)
{
	struct buf b = BUF_INIT;
	size_t shnum, i;
	int k;

	ck_assert_int_eq(elf_getshdrnum(o->e, &shnum), 0);
	for (i = 1; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(o->e, i);
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name = sec_name(o, i);
		ck_assert_ptr_nonnull(gelf_getshdr(scn, &sh));
		if ((sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) || debug_name(name))
			continue;
		ck_assert_uint_eq(sh.sh_link, o->symtab);
		d = elf_getdata(scn, NULL);
		ck_assert_ptr_nonnull(d);
		for (k = 0; k < (int)(sh.sh_size / sh.sh_entsize); k++) {
			GElf_Rela ra;
			GElf_Rel rl;
			size_t sym;
			if (sh.sh_type == SHT_RELA) {
				ck_assert_ptr_nonnull(gelf_getrela(d, k, &ra));
			} else {
				ck_assert_ptr_nonnull(gelf_getrel(d, k, &rl));
				ra.r_offset = rl.r_offset;
				ra.r_info = rl.r_info;
				ra.r_addend = 0;
			}
			sym = GELF_R_SYM(ra.r_info);
			ck_assert_uint_lt(sym, o->nsyms);
			buf_addf(&b, "%s %#llx %u ", name, (unsigned long long)ra.r_offset,
				 (unsigned)GELF_R_TYPE(ra.r_info));
			sym_desc(o, sym, &b);
			buf_addf(&b, " %lld\n", (long long)ra.r_addend);
		}
	}
	return buf_detach(&b, NULL);
}

/* Bytes of the section named name, or NULL. */
static Elf_Data *sec_data_named(struct obj *o, const char *name, GElf_Shdr *sh)
{
	size_t shnum, i;

	ck_assert_int_eq(elf_getshdrnum(o->e, &shnum), 0);
	for (i = 1; i < shnum; i++)
		if (strcmp(sec_name(o, i), name) == 0) {
			ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(o->e, i), sh));
			return elf_getdata(elf_getscn(o->e, i), NULL);
		}
	return NULL;
}

START_TEST(object_needs_the_flag)
{
	size_t n;
	unsigned char *in = load("r.o", &n);
	struct strip_result r = STRIP_RESULT_INIT;

	ck_assert_int_eq(strip_buffer(in, n, NULL, &r), STRIP_SKIPPED);
	ck_assert_int_eq(r.reason, SKIP_OBJECT);
	ck_assert_ptr_null(r.out);
	strip_result_release(&r);
	r = strip_obj(in, n);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(symbols_relocations_use_stay)
{
	static const char *const globals[] = { "api", "use_ext", "ext_fn", "hp", "get_local" };
	static const char *const dropped[] = { "r.c", "helper", "twice", "counter",
					       "_GLOBAL_OFFSET_TABLE_" };
	size_t n, i, shnum, first_global = 0;
	unsigned char *in = load("r.o", &n);
	struct strip_result r = strip_obj(in, n);
	struct obj a, b;
	int bind;
	GElf_Shdr symsh;
	size_t nsect_used = 0, nsect_out = 0;
	char *ra;

	obj_open(&a, in, n);
	obj_open(&b, r.out, r.outlen);
	/* debug sections and their relocations are gone, the rest stays */
	ck_assert_int_eq(elf_getshdrnum(a.e, &shnum), 0);
	for (i = 1; i < shnum; i++) {
		GElf_Shdr sh;
		const char *nm = sec_name(&a, i);
		if (debug_name(nm))
			ck_assert_ptr_null(sec_data_named(&b, nm, &sh));
		else
			ck_assert_msg(sec_data_named(&b, nm, &sh) != NULL, "%s removed", nm);
	}
	ck_assert_ptr_nonnull(sec_data_named(&a, ".debug_info", &symsh));
	for (i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		ck_assert_msg(has_sym(&a, globals[i], &bind), "precondition: %s", globals[i]);
		ck_assert_int_eq(bind, STB_GLOBAL);
		ck_assert_msg(has_sym(&b, globals[i], &bind), "global %s dropped", globals[i]);
		ck_assert_int_eq(bind, STB_GLOBAL);
	}
	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		ck_assert_msg(has_sym(&a, dropped[i], NULL), "precondition: %s", dropped[i]);
		ck_assert_msg(!has_sym(&b, dropped[i], NULL), "%s kept", dropped[i]);
	}
	/* the named local a GOTPCREL relocation uses stays, a local */
	ck_assert(has_sym(&a, "local_obj", NULL));
	ck_assert_msg(has_sym(&b, "local_obj", &bind), "local_obj (used by a relocation) dropped");
	ck_assert_int_eq(bind, STB_LOCAL);
	/* section symbols: exactly those the kept relocations use */
	ra = relocs(&a);
	for (i = 1; i < a.nsyms; i++) {
		GElf_Sym s;
		struct buf want = BUF_INIT;
		ck_assert_ptr_nonnull(gelf_getsym(a.syms, (int)i, &s));
		if (GELF_ST_TYPE(s.st_info) != STT_SECTION)
			continue;
		buf_addf(&want, " [%s] ", sec_name(&a, s.st_shndx));
		if (strstr(ra, want.p))
			nsect_used++;
		buf_release(&want);
	}
	for (i = 1; i < b.nsyms; i++) {
		GElf_Sym s;
		ck_assert_ptr_nonnull(gelf_getsym(b.syms, (int)i, &s));
		nsect_out += GELF_ST_TYPE(s.st_info) == STT_SECTION;
		if (!first_global && GELF_ST_BIND(s.st_info) != STB_LOCAL)
			first_global = i;
		if (first_global)
			ck_assert_msg(GELF_ST_BIND(s.st_info) != STB_LOCAL, "local symbol %zu after a global", i);
	}
	ck_assert_uint_gt(nsect_used, 2);
	ck_assert_uint_eq(nsect_out, nsect_used);
	/* sh_info: one past the last local */
	ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(b.e, b.symtab), &symsh));
	ck_assert_uint_eq(symsh.sh_info, first_global);
	free(ra);
	elf_end(a.e);
	elf_end(b.e);
	strip_result_release(&r);
	free(in);
}
END_TEST

/* Same relocations (offset, type, symbol, addend) in the same sections;
 * the relocated sections' bytes unchanged. */
static void same_relocs(const unsigned char *in, size_t n, const struct strip_result *r)
{
	struct obj a, b;
	char *ra, *rb;
	size_t shnum, i, nrel = 0;

	obj_open(&a, in, n);
	obj_open(&b, r->out, r->outlen);
	ra = relocs(&a);
	rb = relocs(&b);
	for (i = 0; ra[i]; i++)
		nrel += ra[i] == '\n';
	ck_assert_uint_gt(nrel, 3);
	ck_assert_str_eq(rb, ra);
	ck_assert_int_eq(elf_getshdrnum(a.e, &shnum), 0);
	for (i = 1; i < shnum; i++) {
		GElf_Shdr sa, sb;
		const char *nm = sec_name(&a, i);
		Elf_Data *da, *db;
		if (debug_name(nm))
			continue;
		ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(a.e, i), &sa));
		if (sa.sh_type != SHT_PROGBITS)
			continue;
		da = elf_getdata(elf_getscn(a.e, i), NULL);
		db = sec_data_named(&b, nm, &sb);
		ck_assert_msg(db != NULL, "%s removed", nm);
		ck_assert_uint_eq(da->d_size, db->d_size);
		ck_assert_msg(da->d_size == 0 || memcmp(da->d_buf, db->d_buf, da->d_size) == 0, "%s changed",
			      nm);
		ck_assert_uint_eq(sa.sh_flags, sb.sh_flags);
	}
	free(ra);
	free(rb);
	elf_end(a.e);
	elf_end(b.e);
}

START_TEST(relocations_name_the_same_symbols)
{
	size_t n;
	unsigned char *in = load("r.o", &n);
	struct strip_result r = strip_obj(in, n);

	same_relocs(in, n, &r);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(links_and_runs)
{
	size_t n, la, lb;
	unsigned char *in = load("r.o", &n), *a, *b;
	struct strip_result r = strip_obj(in, n);
	char p[4096];

	tu_write(dir, "stripped.o", r.out, r.outlen);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -o orig main.c r.o ext.c && ./orig > orig.out", dir), 0);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -o prog main.c stripped.o ext.c 2> link.err && ./prog > prog.out",
			       dir),
			 0);
	snprintf(p, sizeof(p), "%s/orig.out", dir);
	a = tu_read(p, &la);
	snprintf(p, sizeof(p), "%s/prog.out", dir);
	b = tu_read(p, &lb);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* api(5) twice (helper's counter goes up), ext_fn(10) + 1, helper(1), local_obj */
	ck_assert_str_eq((char *)a, "25 26 1001 5 42\n");
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(a, b, la) == 0);
	ck_assert_int_eq(tu_sh("nm '%s/prog' | grep -q ' T api$'", dir), 0);
	free(a);
	free(b);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(second_strip_is_noop)
{
	size_t n;
	unsigned char *in = load("r.o", &n);
	struct strip_result r = strip_obj(in, n), r2 = STRIP_RESULT_INIT;

	ck_assert_int_eq(strip_buffer(r.out, r.outlen, &objects, &r2), STRIP_SKIPPED);
	ck_assert_int_eq(r2.reason, SKIP_STRIPPED);
	strip_result_release(&r2);
	strip_result_release(&r);
	free(in);
}
END_TEST

/* i386 objects use SHT_REL (the addend in the section's bytes): the same
 * relocations after stripping, and the object still links. */
START_TEST(rel_without_addends)
{
	size_t n;
	unsigned char *in;
	struct strip_result r;

	TU_NEED("i686-linux-gnu-gcc");
	ck_assert_int_eq(tu_sh("cd '%s' && i686-linux-gnu-gcc -c -g -O1 -fPIC -ffunction-sections -o r32.o r.c",
			       dir),
			 0);
	in = load("r32.o", &n);
	ck_assert_int_eq(tu_sh("readelf -SW '%s/r32.o' | grep -q ' \\.rel\\.text'", dir), 0);
	r = strip_obj(in, n);
	same_relocs(in, n, &r);
	tu_write(dir, "s32.o", r.out, r.outlen);
	ck_assert_int_eq(tu_sh("cd '%s' && i686-linux-gnu-gcc -shared -nostdlib -o s32.so s32.o", dir), 0);
	strip_result_release(&r);
	free(in);
}
END_TEST

Suite *relstrip_suite(void)
{
	Suite *s = suite_create("relstrip");
	TCase *t = tcase_create("rel");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, object_needs_the_flag);
	tcase_add_test(t, symbols_relocations_use_stay);
	tcase_add_test(t, relocations_name_the_same_symbols);
	tcase_add_test(t, links_and_runs);
	tcase_add_test(t, second_strip_is_noop);
	tcase_add_test(t, rel_without_addends);
	suite_add_tcase(s, t);
	return s;
}

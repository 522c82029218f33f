/* Unit tests of the archive stripper (src/ar.c, rule R5) on archives made
 * here with gcc and ar: ELF members are stripped; every member keeps its
 * header (name, date, uid, gid, mode: ar rcsU keeps real ones) but for its
 * size, its place, and a non-ELF member and the long-name table their bytes;
 * the armap keeps its entries in order and each offset names the same member
 * at its new place; ar and nm read the result as before and a program still
 * links against it.  Then what is left alone or refused: a stripped archive,
 * one without ELF members, a thin one, a BSD one, a truncated one. */
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"
#include "testutil.h"
#include "util.h"

static char *dir;

#define NOTES "seven!\n" /* an odd size: a pad byte follows */

static void setup(void)
{
	strip_init();
	dir = tu_tmpdir();
	tu_write(dir, "a.c", "static int a_helper(int x) { return x + 1; }\n"
			     "int a_fn(int x) { return a_helper(x) * 2; }\n", (size_t)-1);
	tu_write(dir, "b.c", "int a_fn(int);\nint b_data = 7;\n"
			     "int b_fn(int x) { return a_fn(x) + 3; }\n", (size_t)-1);
	tu_write(dir, "long.c", "int long_fn(void) { return 11; }\n", (size_t)-1);
	tu_write(dir, "main.c", "#include <stdio.h>\nint b_fn(int); int long_fn(void);\n"
				"int main(void) { printf(\"%d %d\\n\", b_fn(4), long_fn()); return 0; }\n",
		 (size_t)-1);
	tu_write(dir, "notes.txt", NOTES, (size_t)-1);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -c -g -O1 a.c b.c && cc -c -g -O1 -o a_very_long_member_name.o long.c "
			       "&& chmod 600 b.o && chmod 751 a_very_long_member_name.o "
			       "&& touch -d @1600000000 a.o && touch -d @1500000000 notes.txt "
			       "&& ar rcsU lib.a a.o notes.txt b.o a_very_long_member_name.o",
			       dir),
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

/* An archive read independently of ar.c. */
struct mem {
	size_t hdr;      /* offset of the 60-byte header */
	size_t data, size;
	char name[256];  /* resolved through "//" */
};
struct ar {
	const unsigned char *p;
	size_t n, nm;
	struct mem m[16];
};

static void ar_parse(struct ar *a, const unsigned char *p, size_t n)
{
	size_t pos = 8, i;
	const struct mem *names = NULL;

	memset(a, 0, sizeof(*a));
	a->p = p;
	a->n = n;
	ck_assert_uint_ge(n, 8);
	ck_assert(memcmp(p, "!<arch>\n", 8) == 0);
	while (pos < n) {
		struct mem *m = &a->m[a->nm];
		char sz[11];
		ck_assert_uint_lt(a->nm, 16);
		ck_assert_uint_le(pos + 60, n);
		ck_assert(p[pos + 58] == '`' && p[pos + 59] == '\n');
		memcpy(sz, p + pos + 48, 10);
		sz[10] = '\0';
		m->hdr = pos;
		m->data = pos + 60;
		m->size = strtoul(sz, NULL, 10);
		ck_assert_uint_le(m->data + m->size, n);
		memcpy(m->name, p + pos, 16);
		m->name[16] = '\0';
		for (i = 16; i > 0 && m->name[i - 1] == ' '; i--)
			m->name[i - 1] = '\0';
		if (strcmp(m->name, "//") == 0)
			names = m;
		pos = m->data + m->size;
		if (m->size & 1) {
			ck_assert_uint_lt(pos, n);
			ck_assert_int_eq(p[pos], '\n');
			pos++;
		}
		a->nm++;
	}
	ck_assert_uint_eq(pos, n);
	for (i = 0; i < a->nm; i++) {
		struct mem *m = &a->m[i];
		if (m->name[0] == '/' && m->name[1] >= '0' && m->name[1] <= '9') {
			size_t off = strtoul(m->name + 1, NULL, 10), k;
			ck_assert_ptr_nonnull(names);
			for (k = 0; off + k < names->size && p[names->data + off + k] != '\n' && k < 255; k++)
				m->name[k] = (char)p[names->data + off + k];
			m->name[k] = '\0';
		}
		if (m->name[0] && m->name[0] != '/' && m->name[strlen(m->name) - 1] == '/')
			m->name[strlen(m->name) - 1] = '\0';
	}
}

static int ar_index_at(const struct ar *a, size_t hdr)
{
	size_t i;

	for (i = 0; i < a->nm; i++)
		if (a->m[i].hdr == hdr)
			return (int)i;
	return -1;
}

static const struct mem *ar_member(const struct ar *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nm; i++)
		if (strcmp(a->m[i].name, name) == 0)
			return &a->m[i];
	ck_abort_msg("no member %s", name);
	return NULL;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static char *section_names(const unsigned char *img, size_t n)
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

static struct strip_result strip_lib(const unsigned char *in, size_t n)
{
	struct strip_result r = STRIP_RESULT_INIT;

	ck_assert_msg(strip_buffer(in, n, NULL, &r) == STRIP_CHANGED, "not stripped: %s (%s)",
		      r.err.msg ? r.err.msg : "-", skip_reason_id(r.reason));
	ck_assert(r.archive);
	ck_assert_uint_lt(r.outlen, n);
	return r;
}

START_TEST(members_stripped_rest_kept)
{
	static const char *const elfs[] = { "a.o", "b.o", "a_very_long_member_name.o" };
	size_t n, i;
	unsigned char *in = load("lib.a", &n);
	struct strip_result r = strip_lib(in, n);
	struct ar a, b;
	uint64_t before = 0, after = 0;

	ar_parse(&a, in, n);
	ar_parse(&b, r.out, r.outlen);
	/* armap, long names, the four members, in the same order */
	ck_assert_uint_eq(a.nm, 6);
	ck_assert_uint_eq(b.nm, a.nm);
	ck_assert_str_eq(a.m[0].name, "/");
	ck_assert_str_eq(a.m[1].name, "//");
	ck_assert_str_eq(a.m[2].name, "a.o");
	ck_assert_str_eq(a.m[3].name, "notes.txt");
	ck_assert_str_eq(a.m[4].name, "b.o");
	ck_assert_str_eq(a.m[5].name, "a_very_long_member_name.o");
	for (i = 0; i < a.nm; i++) {
		ck_assert_str_eq(b.m[i].name, a.m[i].name);
		/* name, date, uid, gid, mode as they were; only the size moves */
		ck_assert_msg(memcmp(in + a.m[i].hdr, r.out + b.m[i].hdr, 48) == 0, "%s: header changed",
			      a.m[i].name);
	}
	/* ar U kept the real modes and dates: they are there to be kept */
	ck_assert(memcmp(in + ar_member(&a, "b.o")->hdr + 40, "100600  ", 8) == 0);
	ck_assert(memcmp(in + ar_member(&a, "a_very_long_member_name.o")->hdr + 40, "100751  ", 8) == 0);
	ck_assert(memcmp(in + ar_member(&a, "a.o")->hdr + 16, "1600000000  ", 12) == 0);
	/* the long-name table and the text member byte for byte */
	for (i = 1; i <= 3; i += 2) {
		ck_assert_uint_eq(b.m[i].size, a.m[i].size);
		ck_assert(memcmp(in + a.m[i].data, r.out + b.m[i].data, a.m[i].size) == 0);
	}
	ck_assert_uint_eq(ar_member(&b, "notes.txt")->size, strlen(NOTES));
	/* ELF members: smaller, no debug sections, a symbol table */
	for (i = 0; i < 3; i++) {
		const struct mem *o = ar_member(&a, elfs[i]), *s = ar_member(&b, elfs[i]);
		char *before_names = section_names(in + o->data, o->size);
		char *after_names = section_names(r.out + s->data, s->size);
		ck_assert_ptr_nonnull(strstr(before_names, " .debug_info "));
		ck_assert_ptr_null(strstr(after_names, " .debug"));
		ck_assert_ptr_nonnull(strstr(after_names, " .symtab "));
		ck_assert_ptr_nonnull(strstr(after_names, " .text "));
		ck_assert_uint_lt(s->size, o->size);
		before += o->size;
		after += s->size;
		free(before_names);
		free(after_names);
	}
	/* what the report says about the members */
	ck_assert_uint_eq(r.ar.members, 4);
	ck_assert_uint_eq(r.ar.stripped, 3);
	ck_assert_uint_eq(r.ar.before, before);
	ck_assert_uint_eq(r.ar.after, after);
	ck_assert_uint_eq(r.ar.skip[SKIP_NOT_ELF].files, 1);
	ck_assert_uint_eq(r.ar.skip[SKIP_NOT_ELF].bytes, strlen(NOTES));
	strip_result_release(&r);
	free(in);
}
END_TEST

/* The armap: the same count and names (bytes), each offset now that of the
 * same member. */
START_TEST(armap_follows_members)
{
	size_t n, k, cnt;
	unsigned char *in = load("lib.a", &n);
	struct strip_result r = strip_lib(in, n);
	struct ar a, b;
	const struct mem *ma, *mb;

	ar_parse(&a, in, n);
	ar_parse(&b, r.out, r.outlen);
	ma = &a.m[0];
	mb = &b.m[0];
	ck_assert_str_eq(ma->name, "/");
	ck_assert_uint_eq(mb->size, ma->size);
	cnt = be32(in + ma->data);
	ck_assert_uint_eq(cnt, 4); /* a_fn, b_data, b_fn, long_fn */
	ck_assert_uint_eq(be32(r.out + mb->data), cnt);
	ck_assert(memcmp(in + ma->data + 4 + 4 * cnt, r.out + mb->data + 4 + 4 * cnt,
			 ma->size - 4 - 4 * cnt) == 0);
	for (k = 0; k < cnt; k++) {
		int ia = ar_index_at(&a, be32(in + ma->data + 4 + 4 * k));
		int ib = ar_index_at(&b, be32(r.out + mb->data + 4 + 4 * k));
		ck_assert_int_ge(ia, 2);
		ck_assert_msg(ib == ia, "armap entry %zu: member %d, was %d", k, ib, ia);
	}
	/* and the offsets did move: b.o comes after a stripped a.o */
	ck_assert_uint_lt(ar_member(&b, "b.o")->hdr, ar_member(&a, "b.o")->hdr);
	strip_result_release(&r);
	free(in);
}
END_TEST

/* ar and nm read the result as they read the input, and a program links
 * against it and prints the same. */
START_TEST(tools_read_it_and_it_links)
{
	size_t n;
	unsigned char *in = load("lib.a", &n);
	struct strip_result r = strip_lib(in, n);

	tu_write(dir, "out.a", r.out, r.outlen);
	ck_assert_int_eq(tu_sh("cd '%s' && ar t lib.a > t.in && ar t out.a > t.out && cmp -s t.in t.out", dir), 0);
	ck_assert_int_eq(tu_sh("cd '%s' && ar tv lib.a | awk '{ $3 = \"\"; print }' > tv.in && "
			       "ar tv out.a | awk '{ $3 = \"\"; print }' > tv.out && cmp -s tv.in tv.out",
			       dir),
			 0);
	ck_assert_int_eq(tu_sh("cd '%s' && nm --print-armap lib.a 2>/dev/null | sed -n '/^Archive index:/,/^$/p' > m.in && "
			       "nm --print-armap out.a 2>/dev/null | sed -n '/^Archive index:/,/^$/p' > m.out && "
			       "grep -q 'b_fn in b.o' m.in && cmp -s m.in m.out",
			       dir),
			 0);
	ck_assert_int_eq(tu_sh("cd '%s' && ar p out.a notes.txt | cmp -s - notes.txt", dir), 0);
	ck_assert_int_eq(tu_sh("cd '%s' && cc -o orig main.c lib.a && cc -o prog main.c out.a && "
			       "[ \"$(./prog)\" = '13 11' ] && [ \"$(./orig)\" = \"$(./prog)\" ]",
			       dir),
			 0);
	strip_result_release(&r);
	free(in);
}
END_TEST

START_TEST(second_strip_is_noop)
{
	size_t n;
	unsigned char *in = load("lib.a", &n);
	struct strip_result r = strip_lib(in, n), r2 = STRIP_RESULT_INIT;

	ck_assert_int_eq(strip_buffer(r.out, r.outlen, NULL, &r2), STRIP_SKIPPED);
	ck_assert_int_eq(r2.reason, SKIP_STRIPPED);
	ck_assert_ptr_null(r2.out);
	ck_assert_uint_eq(r2.ar.members, 4);
	ck_assert_uint_eq(r2.ar.stripped, 0);
	strip_result_release(&r2);
	strip_result_release(&r);
	free(in);
}
END_TEST

static enum skip_reason skipped_why(const char *name)
{
	size_t n;
	unsigned char *in = load(name, &n);
	struct strip_result r = STRIP_RESULT_INIT;
	enum skip_reason why;

	ck_assert_msg(strip_buffer(in, n, NULL, &r) == STRIP_SKIPPED, "%s: %s", name,
		      r.err.msg ? r.err.msg : "changed");
	ck_assert_ptr_null(r.out);
	why = r.reason;
	strip_result_release(&r);
	free(in);
	return why;
}

/* Left alone: no ELF member (a .deb is an ar archive), a thin archive (the
 * members live elsewhere), a BSD archive (#1/ names). */
START_TEST(left_alone)
{
	static const char bsd[] = "!<arch>\n"
				  "#1/12           0           0     0     644     16        `\n"
				  "long_name.o\0\0\0\0\0";

	ck_assert_int_eq(tu_sh("cd '%s' && ar rc text.a notes.txt main.c && ar rcT thin.a a.o b.o", dir), 0);
	ck_assert_int_eq(skipped_why("text.a"), SKIP_AR_NO_ELF);
	ck_assert_int_eq(skipped_why("thin.a"), SKIP_THIN_ARCHIVE);
	tu_write(dir, "bsd.a", bsd, sizeof(bsd) - 1);
	ck_assert_int_eq(skipped_why("bsd.a"), SKIP_AR_FORMAT);
}
END_TEST

/* Truncated in a member's data or in a header: refused with a message,
 * nothing written. */
START_TEST(truncated_fails)
{
	size_t n;
	unsigned char *in = load("lib.a", &n);
	struct ar a;
	size_t cuts[2];
	int i;

	ar_parse(&a, in, n);
	cuts[0] = a.m[4].data + a.m[4].size / 2; /* in b.o's data */
	cuts[1] = a.m[4].hdr + 30;               /* in b.o's header */
	for (i = 0; i < 2; i++) {
		struct strip_result r = STRIP_RESULT_INIT;
		ck_assert_int_eq(strip_buffer(in, cuts[i], NULL, &r), STRIP_FAILED);
		ck_assert_ptr_null(r.out);
		ck_assert_ptr_nonnull(r.err.msg);
		ck_assert_msg(strstr(r.err.msg, "truncated") != NULL, "message: %s", r.err.msg);
		strip_result_release(&r);
	}
	free(in);
}
END_TEST

Suite *ar_suite(void)
{
	Suite *s = suite_create("ar");
	TCase *t = tcase_create("ar");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, members_stripped_rest_kept);
	tcase_add_test(t, armap_follows_members);
	tcase_add_test(t, tools_read_it_and_it_links);
	tcase_add_test(t, second_strip_is_noop);
	tcase_add_test(t, left_alone);
	tcase_add_test(t, truncated_fails);
	suite_add_tcase(s, t);
	return s;
}

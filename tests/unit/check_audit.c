#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "report_assets.h"
#include "report_print.h"
#include "testutil.h"

/* Everything f wrote, as a string; caller frees. */
typedef void print_fn(const struct report *r, FILE *f);

static char *print_to_string(print_fn *fn, const struct report *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	fn(r, f);
	fclose(f);
	return out;
}

static size_t count_ci(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strcasestr(hay, needle)); hay++)
		n++;
	return n;
}

START_TEST(kinds_from_pass_and_rule)
{
	static const struct {
		const char *pass, *rule;
		enum audit_kind want;
	} cases[] = {
		{ "strip", NULL, AUDIT_DEBUG },
		{ "dedup", NULL, AUDIT_DUPS },
		{ "rules", "python: __pycache__/", AUDIT_BYTECODE },
		{ "rules", "python: *.pyc, *.pyo", AUDIT_BYTECODE },
		{ "rules", "python: test/, tests/, idle_test/ (Python)", AUDIT_TESTS },
		{ "rules", "node: test/, tests/, __tests__/ (in node_modules)", AUDIT_TESTS },
		{ "rules", "node: *.js.map, *.mjs.map, *.cjs.map, *.css.map (in node_modules)",
		  AUDIT_NODE },
		{ "rules", "node-caution: *.d.ts, *.d.mts (in node_modules)", AUDIT_NODE },
		{ "rules", "foreign: PE and Mach-O binaries", AUDIT_FOREIGN },
		{ "rules", "foreign: ELF for another machine", AUDIT_FOREIGN },
		{ "rules", "docs: usr{,/local}/share/{doc,man,info}/", AUDIT_DOCS },
		{ "rules", "headers: usr/include/, usr/local/include/", AUDIT_HEADERS },
		{ "rules", "static-libs: *.a (ar archives)", AUDIT_STATIC },
		/* what the user asked for is "other", whatever its pattern says */
		{ "rules", "--drop: **/tests", AUDIT_OTHER },
		{ "rules", "--drop: *.pyc", AUDIT_OTHER },
		{ "rules", "slim.rules:3: __pycache__/", AUDIT_OTHER },
		{ "rules", "pythonic: __pycache__/", AUDIT_OTHER },
		{ "rules", "python:__pycache__/", AUDIT_OTHER },
		{ "rules", NULL, AUDIT_OTHER },
	};
	size_t i;
	int k, l;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(audit_kind_of(cases[i].pass, cases[i].rule) == cases[i].want,
			      "%s %s", cases[i].pass, cases[i].rule ? cases[i].rule : "");
	for (k = 0; k < AUDIT__COUNT; k++)
		for (l = k + 1; l < AUDIT__COUNT; l++)
			ck_assert_str_ne(audit_kind_id((enum audit_kind)k),
					 audit_kind_id((enum audit_kind)l));
	ck_assert_str_eq(audit_kind_id(AUDIT_DEBUG), "debug_info");
	ck_assert_str_eq(audit_kind_label(AUDIT_BYTECODE), "byte code");
}
END_TEST

static void owners(struct report *r)
{
	report_add_owner(r, "root/site/yaml", "PyYAML", "python");
	report_add_owner(r, "root/site/yaml_ext", "ext", "python");
	report_add_owner(r, "root/site/yaml/sub", "inner", "python");
	report_add_owner(r, "root/site/six.py", "six", "python");
	report_add_owner(r, "root/nm/a", "a", "npm");
	report_add_owner(r, "root/nm/a/node_modules/@s/b", "@s/b", "npm");
}

static const char *owner_name(const struct report *r, const size_t *idx, const char *path)
{
	long o = audit_owner_of(r, idx, path);

	return o < 0 ? "(none)" : r->owners[o].name;
}

START_TEST(owner_longest_prefix_at_slash)
{
	struct report r;
	size_t idx[8];

	report_init(&r, true);
	owners(&r);
	ck_assert_uint_eq(r.nowners, 6);
	audit_sort_owners(&r, idx);
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml/x.so"), "PyYAML");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml"), "PyYAML");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml_ext/y.py"), "ext");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yamlfoo/y.py"), "(none)");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml/sub/z.py"), "inner");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml/subz.py"), "PyYAML");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/yaml//sub/z.py"), "PyYAML");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/six.py"), "six");
	ck_assert_str_eq(owner_name(&r, idx, "root/site/six.pyc"), "(none)");
	ck_assert_str_eq(owner_name(&r, idx, "root/nm/a/index.js"), "a");
	ck_assert_str_eq(owner_name(&r, idx, "root/nm/a/node_modules/@s/b/x.node"), "@s/b");
	ck_assert_str_eq(owner_name(&r, idx, "root/nm/a/node_modules/@s/bb"), "a");
	ck_assert_str_eq(owner_name(&r, idx, "root/site"), "(none)");
	ck_assert_str_eq(owner_name(&r, idx, "/abs/path"), "(none)");
	ck_assert_str_eq(owner_name(&r, idx, ""), "(none)");
	report_release(&r);
}
END_TEST

/* A report as a dry run over root/ would give. */
static void sample(struct report *r)
{
	report_init(r, true);
	report_add_root(r, "root");
	owners(r);
	r->bytes_before = 20000;
	report_change(r, "root/site/yaml/_yaml.so", "strip", 1000, 200);
	report_removed(r, "root/site/yaml/__pycache__", "python: __pycache__/", 2, 300);
	report_removed(r, "root/site/yaml/tests", "python: test/, tests/, idle_test/ (Python)",
		       4, 700);
	/* stripped, then linked to an identical copy: one item */
	report_change(r, "root/nm/a/lib.so", "strip", 800, 300);
	report_change(r, "root/nm/a/lib.so", "dedup", 300, 0);
	report_change(r, "root/usr/lib/libz.so", "strip", 5000, 1000);
	report_skip(r, "root/site/yaml/done.so", SKIP_STRIPPED, 50);
	report_skip(r, "root/nm/a/lib.so", SKIP_NOT_SMALLER, 800); /* also changed */
	report_dup(r, "root/nm/a/lib0.so", 300, 1, true, false);
	report_finish(r);
}

START_TEST(groups_by_package_and_kind)
{
	struct report r;
	struct audit a;
	const struct audit_item *it = NULL;
	size_t i;

	sample(&r);
	audit_init(&a, &r);
	ck_assert_uint_eq(a.saved, report_saved(&r));
	ck_assert_uint_eq(a.npkgs, 3);
	/* largest saving first: (other) 4000, PyYAML 1800, a 800 */
	ck_assert_str_eq(a.pkgs[0].name, "(other)");
	ck_assert_str_eq(a.pkgs[0].kind, "other");
	/* no accounting (a report built by hand): its bytes are the listed ones */
	ck_assert(!a.accounted);
	ck_assert_uint_eq(a.pkgs[0].bytes, a.pkgs[0].listed);
	ck_assert_str_eq(a.pkgs[1].name, "PyYAML");
	ck_assert_str_eq(a.pkgs[1].kind, "python");
	ck_assert_uint_eq(a.pkgs[1].saved, 1800);
	ck_assert_uint_eq(a.pkgs[1].items, 4);
	ck_assert_uint_eq(a.pkgs[1].changed, 3);
	ck_assert_uint_eq(a.pkgs[1].listed, 2050);
	ck_assert_uint_eq(a.pkgs[1].by_kind[AUDIT_DEBUG], 800);
	ck_assert_uint_eq(a.pkgs[1].by_kind[AUDIT_BYTECODE], 300);
	ck_assert_uint_eq(a.pkgs[1].by_kind[AUDIT_TESTS], 700);
	ck_assert_str_eq(a.pkgs[2].name, "a");
	ck_assert_uint_eq(a.pkgs[2].by_kind[AUDIT_DEBUG], 500);
	ck_assert_uint_eq(a.pkgs[2].by_kind[AUDIT_DUPS], 300);
	ck_assert_uint_eq(a.kind_files[AUDIT_DEBUG], 3);
	ck_assert_uint_eq(a.kind_bytes[AUDIT_DEBUG], 800 + 500 + 4000);
	ck_assert_uint_eq(a.kind_bytes[AUDIT_DUPS], 300);
	ck_assert_uint_eq(a.nitems, 6);
	for (i = 0; i < a.nitems; i++) {
		if (i)
			ck_assert_str_lt(a.items[i - 1].path, a.items[i].path);
		if (strcmp(a.items[i].path, "root/nm/a/lib.so") == 0)
			it = &a.items[i];
	}
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->size, 800);
	ck_assert_uint_eq(it->saved, 800);
	ck_assert_int_eq(it->act, AUDIT_LINK);
	ck_assert_str_eq(it->path + it->base, "a/lib.so");
	ck_assert_uint_eq(a.unlisted, 20000 - (1000 + 300 + 700 + 800 + 5000 + 50));
	/* unowned paths are shown below the root they were given under */
	for (i = 0; i < a.nitems; i++)
		if (strcmp(a.items[i].path, "root/usr/lib/libz.so") == 0)
			ck_assert_str_eq(a.items[i].path + a.items[i].base, "usr/lib/libz.so");
	audit_release(&a);
	report_release(&r);
}
END_TEST

static void print_groups(const struct report *r, FILE *f)
{
	struct buf j = BUF_INIT;

	report_print_json_groups(r, &j);
	fputs(j.p, f);
	buf_release(&j);
}

START_TEST(json_and_table_groups)
{
	struct report r;
	char *s;

	sample(&r);
	s = print_to_string(print_groups, &r);
	ck_assert_ptr_nonnull(strstr(s, "  \"by_package\": [\n    {\"name\": \"(other)\", "
					"\"kind\": \"other\", \"files\": 0, \"paths\": 1, \"changed\": 1, "
					"\"bytes_listed\": 5000, \"bytes_saved\": 4000, "
					"\"saved_by_kind\": {\"debug_info\": 4000}}"));
	ck_assert_ptr_nonnull(strstr(s, "\"saved_by_kind\": {\"debug_info\": 500, "
					"\"duplicates\": 300}}\n  ],\n"));
	ck_assert_ptr_nonnull(strstr(s, "  \"by_kind\": {\"debug_info\": {\"changes\": 3, "
					"\"bytes_saved\": 5300},"));
	ck_assert_ptr_nonnull(strstr(s, "\"other_rules\": {\"changes\": 0, \"bytes_saved\": 0},\n"));
	ck_assert_ptr_nonnull(strstr(s, "\"metadata\": {\"changes\": 0, \"bytes_saved\": 0}},\n"));
	free(s);
	s = print_to_string(report_print_table_groups, &r);
	ck_assert_ptr_nonnull(strstr(s, "  by kind (changes: a file, or a directory removed "
					"whole; saved)\n"));
	ck_assert_ptr_nonnull(strstr(s, "    tests "));
	ck_assert_ptr_nonnull(strstr(s, "    PyYAML (python) "));
	ck_assert_ptr_nonnull(strstr(s, "debug info & symbols 800 B, tests 700 B\n"));
	ck_assert_ptr_null(strstr(s, "other rules"));
	free(s);
	report_release(&r);
}
END_TEST

START_TEST(escapes_for_html)
{
	struct buf b = BUF_INIT;

	report_escape_html(&b, "<a href=\"x\">'&\n\xff\xc3\xa9");
	ck_assert_str_eq(b.p, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;\\n\\xff\xc3\xa9");
	buf_setlen(&b, 0);
	report_escape_script_json(&b, "</script><!--&\xff");
	ck_assert_str_eq(b.p, "\"\\u003c/script\\u003e\\u003c!--\\u0026\\udcff\"");
	buf_release(&b);
}
END_TEST

START_TEST(page_with_hostile_names)
{
	struct report r;
	char *s, *data;

	report_init(&r, true);
	report_add_root(&r, "<root>");
	report_add_owner(&r, "<root>/</script><script>alert(1)</script>", "</script>\"x",
			 "python");
	report_change(&r, "<root>/</script><script>alert(1)</script>/m.so", "strip", 900, 100);
	report_removed(&r, "<root>/a\"b'c\nd/<!--x", "--drop: </script>", 1, 40);
	report_change(&r, "<root>/bad\xff\xfe.so", "strip", 500, 100);
	r.bytes_before = 5000;
	report_finish(&r);
	s = print_to_string(report_print_html, &r);
	/* the data element and the script element close, nothing else */
	ck_assert_uint_eq(count_ci(s, "</script"), 2);
	ck_assert_uint_eq(count_ci(s, "<script"), 2);
	ck_assert_ptr_null(strstr(s, "alert(1)</"));
	ck_assert_ptr_nonnull(strstr(s, "<title>slim audit: &lt;root&gt;</title>"));
	data = strstr(s, "<script type=\"application/json\" id=\"slim-data\">");
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_null(strstr(data, "<!--"));
	ck_assert_ptr_nonnull(strstr(data, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
	ck_assert_ptr_nonnull(strstr(data, "a\\\"b'c\\nd/\\u003c!--x"));
	ck_assert_ptr_nonnull(strstr(data, "bad\\udcff\\udcfe.so"));
	ck_assert_ptr_nonnull(strstr(data, "\"\\u003c/script\\u003e\\\"x\""));
	/* self-contained: nothing fetched from elsewhere */
	ck_assert_ptr_null(strstr(s, "http://"));
	ck_assert_ptr_null(strstr(s, "https://"));
	ck_assert_ptr_null(strstr(s, " src="));
	free(s);
	report_release(&r);
}
END_TEST

START_TEST(empty_report)
{
	struct report r;
	char *s;

	report_init(&r, false);
	report_finish(&r);
	s = print_to_string(print_groups, &r);
	ck_assert_ptr_nonnull(strstr(s, "  \"by_package\": [],\n  \"by_kind\": {"));
	free(s);
	s = print_to_string(report_print_table_groups, &r);
	ck_assert_ptr_null(strstr(s, "by kind")); /* nothing changed: no heading alone */
	ck_assert_ptr_null(strstr(s, "by package"));
	free(s);
	s = print_to_string(report_print_html, &r);
	ck_assert_ptr_nonnull(strstr(s, "\"items\": [],"));
	ck_assert_ptr_nonnull(strstr(s, "</html>\n"));
	free(s);
	report_release(&r);
}
END_TEST

/* The page's files (assets/, embedded by scripts/embed-assets): none can
 * end its element early, and the page holds each whole, in its element. */
START_TEST(assets_embedded_whole)
{
	static const struct {
		const char *name, *data, *before, *after;
	} files[] = {
		{ "audit.css", asset_audit_css, "<style>\n", "</style>\n</head>" },
		{ "audit-body.html", asset_audit_body_html, "</header>\n",
		  "<script type=\"application/json\"" },
		{ "audit.js", asset_audit_js, "<script>\n", "</script>\n</body>\n</html>\n" },
	};
	/* (the sizes are not constants: apart) */
	const size_t lens[] = { asset_audit_css_len, asset_audit_body_html_len, asset_audit_js_len };
	struct report r;
	char *s, *at;
	size_t i;

	ck_assert_uint_eq(count_ci(asset_audit_js, "</script"), 0);
	ck_assert_uint_eq(count_ci(asset_audit_js, "<!--"), 0);
	ck_assert_uint_eq(count_ci(asset_audit_css, "</style"), 0);
	report_init(&r, false);
	report_finish(&r);
	s = print_to_string(report_print_html, &r);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		ck_assert_msg(lens[i] > 100 && strlen(files[i].data) == lens[i], "%s: NUL inside",
			      files[i].name);
		at = strstr(s, files[i].data);
		ck_assert_msg(at != NULL, "%s not in the page", files[i].name);
		ck_assert_msg(strstr(at + 1, files[i].data) == NULL, "%s twice", files[i].name);
		ck_assert_msg(at - s >= (long)strlen(files[i].before) &&
				      strncmp(at - strlen(files[i].before), files[i].before,
					      strlen(files[i].before)) == 0,
			      "%s: not after %s", files[i].name, files[i].before);
		ck_assert_msg(strncmp(at + lens[i], files[i].after, strlen(files[i].after)) == 0,
			      "%s: not before %s", files[i].name, files[i].after);
	}
	free(s);
	report_release(&r);
}
END_TEST

Suite *audit_suite(void); /* also in SLIM_SUITES (testutil.h) */

Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_add_test(tc, kinds_from_pass_and_rule);
	tcase_add_test(tc, owner_longest_prefix_at_slash);
	tcase_add_test(tc, groups_by_package_and_kind);
	tcase_add_test(tc, json_and_table_groups);
	tcase_add_test(tc, escapes_for_html);
	tcase_add_test(tc, page_with_hostile_names);
	tcase_add_test(tc, empty_report);
	tcase_add_test(tc, assets_embedded_whole);
	suite_add_tcase(s, tc);
	return s;
}

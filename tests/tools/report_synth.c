/* report_synth.c - print the outputs of a few made-up reports, to compare
 * the presenters of two source trees byte for byte
 * (scripts/compare-reports --src).
 *
 * The reports hold what a run rarely gives all at once: every skip reason
 * of files and of archive members, every kind of change and rule, kept
 * entries, owners from a RECORD and from node_modules, duplicate groups
 * (linked, reported, ELF), errors, image rows (new, kept, shared), a
 * layer's sizes, and hostile names in every string.  Only report.h's
 * functions of before #20 are used to fill them, and fields are set
 * directly, so the same file builds against both trees.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"
#if __has_include("report_print.h")
#include "report_print.h"
#define PRINT_HTML report_print_html
#else
#include "audit.h"
#define PRINT_HTML audit_print_html
#endif

/* Names that a terminal, a JSON parser or an HTML page could trip on. */
static const char *const hostile[] = {
	"x</script><img src=x onerror=alert(1)>",
	"a\"b'c\nd\te\\f",
	"bad\xff\xfe\xc3(",
	"esc\x1b[31mred\x07\x7f",
	"bidi\xe2\x80\xaetxt\xc2\x9b",
	"caf\xc3\xa9 &amp; <!-- -->",
	"\xed\xa0\x80surrogate",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static const char *rules[] = {
	"python: __pycache__/",
	"python: test/, tests/, idle_test/ (Python)",
	"node: *.js.map, *.mjs.map, *.cjs.map, *.css.map (in node_modules)",
	"node-caution: *.d.ts, *.d.mts (in node_modules)",
	"node: test/, tests/, __tests__/ (in node_modules)",
	"foreign: PE and Mach-O binaries",
	"docs: usr{,/local}/share/{doc,man,info}/",
	"headers: usr/include/, usr/local/include/",
	"static-libs: *.a (ar archives)",
	"--drop: *.log",
	"slim.rules:3: </script>",
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static void path(char *out, size_t n, const char *dir, const char *name, unsigned i)
{
	snprintf(out, n, "/r/%s/%s-%02u", dir, name, i);
}

static void fill_files(struct report *r, unsigned seed)
{
	static const char record[] = "yaml/__init__.py,sha256=x,1\n"
				     "\"yaml/a,b.py\",sha256=x,1\n"
				     "../../bin/yaml,,\n"
				     "_yaml.so,,\n"
				     "PyYAML-6.0.1.dist-info/RECORD,,\n";
	char p[256];
	unsigned i;

	report_owners_from_record(r, "/r/site/PyYAML-6.0.1.dist-info/RECORD", record,
				  strlen(record));
	report_owner_from_path(r, "/r/app/node_modules/leftpad");
	report_owner_from_path(r, "/r/app/node_modules/@s/native");
	report_add_owner(r, "/r/odd", hostile[0], hostile[1]);
	for (i = 0; i < 14; i++) {
		path(p, sizeof(p), i % 3 ? "site/yaml" : "app/node_modules/leftpad", "lib", i);
		report_change(r, p, "strip", 10000 + 977 * i + seed, 4000 + 13 * i);
	}
	for (i = 0; i < 6; i++) {
		path(p, sizeof(p), "usr/share", "dup", i);
		report_change(r, p, "dedup", 3000 + (i % 2) * 100, 0);
	}
	report_change(r, "/r/site/PyYAML-6.0.1.dist-info/RECORD", "record", 300, 340);
	report_change(r, "/r/site/np-1.0.dist-info/RECORD", "record", 500, 420);
	for (i = 0; i < NRULES; i++) {
		path(p, sizeof(p), i % 2 ? "site/yaml" : "app/node_modules/@s/native", "drop", i);
		report_removed(r, p, rules[i], 1 + i, 700 * (i + 1));
	}
	report_removed(r, "/r/site/yaml/tests", rules[1], 3, 7000); /* a rule twice */
	for (i = 1; i < SKIP__COUNT; i++) {
		path(p, sizeof(p), i % 2 ? "usr/lib" : "site/yaml", "skip", i);
		report_skip(r, p, (enum skip_reason)i, 100 * i + seed);
	}
	for (i = 0; i < NHOSTILE; i++) {
		snprintf(p, sizeof(p), "/r/odd/%s.so", hostile[i]);
		report_change(r, p, "strip", 9000, 3000 + i);
		snprintf(p, sizeof(p), "/r/odd/%s", hostile[i]);
		report_removed(r, p, hostile[(i + 1) % NHOSTILE], 1, 50 + i);
		snprintf(p, sizeof(p), "/r/odd/%s.txt", hostile[i]);
		report_skip(r, p, SKIP_NOT_ELF, 10 + i);
		report_kept(r, p, i % 2 ? "--keep" : "holds a kept entry");
		report_error(r, p, hostile[(i + 2) % NHOSTILE]);
		report_dup(r, p, 400 + i, 1 + i % 3, i % 2, i % 3 == 0);
	}
	report_kept(r, "/r/site/yaml/tests/conftest.py", "keep rule");
	for (i = 0; i < 25; i++) { /* more than the table and the page list */
		path(p, sizeof(p), "usr/share", "group", i);
		report_dup(r, p, 100 + 10 * i, 1 + i % 4, i % 5 != 0, i % 7 == 0);
	}
}

static void fill_counts(struct report *r)
{
	struct strip_members m = { 0 };
	int k;

	r->seen = 1234, r->regular = 1000, r->dirs = 200, r->symlinks = 30, r->other = 4;
	r->elf = 77, r->bytes_before = 9876543, r->tmp_removed = 2;
	r->rules_on = true, r->dedup_on = true;
	r->dup_groups = 31, r->dup_files_linked = 20, r->dup_bytes_saved = 23456;
	r->dup_elf_groups = 4, r->dup_elf_bytes = 3456;
	m.members = 40, m.stripped = 12, m.before = 400000, m.after = 300000;
	for (k = 1; k < SKIP__COUNT; k++)
		m.skip[k].files = (uint64_t)k, m.skip[k].bytes = 1000 * (uint64_t)k;
	report_archive(r, &m, true);
	report_archive(r, &m, false);
}

static void fill_image(struct report *r)
{
	struct report_image_layer l = { 0 };
	unsigned i;

	for (i = 0; i < 5; i++) {
		l.image = (char *)(i < 3 ? "linux/amd64" : i == 4 ? hostile[3] : "a-very-long-tag:1.2.3");
		l.index = i % 3;
		l.digest_before = (char *)(i == 4 ? hostile[2]
						  : "sha256:0123456789abcdef0123456789abcdef");
		l.digest_after = (char *)"sha256:fedcba9876543210fedcba9876543210";
		l.tar_before = 100000 * (i + 1), l.tar_after = 60000 * (i + 1);
		l.blob_before = 40000 * (i + 1), l.blob_after = 30000 * (i + 1);
		l.waste = 1000 * i, l.strip_saved = 2000 * i, l.rules_saved = 300 * i;
		l.dedup_saved = 40 * i;
		l.kept = i == 1;
		l.shared = i == 3;
		report_image_layer(r, &l);
	}
}

static void print_all(const char *name, struct report *r)
{
	report_finish(r);
	printf("==== %s: table\n", name);
	report_print_table(r, stdout, 0);
	printf("==== %s: table -v\n", name);
	report_print_table(r, stdout, 1);
	printf("==== %s: errors\n", name);
	report_print_errors(r, stdout);
	printf("==== %s: json\n", name);
	report_print_json(r, stdout, 1);
	printf("==== %s: html\n", name);
	PRINT_HTML(r, stdout);
	fflush(stdout);
}

int main(void)
{
	struct report r, layer, img;
	unsigned i;

	report_init(&r, true); /* empty, dry run */
	print_all("empty", &r);
	report_release(&r);

	report_init(&r, false); /* a tree, with every record */
	report_add_root(&r, "/r");
	report_add_root(&r, hostile[0]);
	fill_counts(&r);
	fill_files(&r, 0);
	r.peak_rss = 123456789;
	print_all("tree", &r);
	report_release(&r);

	report_init(&r, true); /* one root: the page shortens paths below it */
	report_add_root(&r, "/r/");
	fill_files(&r, 5);
	r.bytes_before = 10; /* less than listed: nothing unlisted */
	print_all("tree-dry", &r);
	report_release(&r);

	report_init(&img, false); /* an image: layers merged, kept or not */
	report_add_root(&img, "/img");
	img.rules_on = true;
	for (i = 0; i < 3; i++) {
		report_init(&layer, false);
		layer.layer = true;
		fill_counts(&layer);
		fill_files(&layer, i);
		layer.tar_before = 5000, layer.tar_after = 3000, layer.superseded = i;
		layer.comp_before = 2000, layer.comp_after = 1500;
		report_merge(&img, &layer, i == 1);
		report_release(&layer);
	}
	fill_image(&img);
	print_all("image", &img);
	report_release(&img);

	report_init(&r, false); /* a layer of a directory: no file sizes */
	report_add_root(&r, "layer/");
	r.layer = true, r.tar_before = 0, r.superseded = 3;
	report_change(&r, "site/x.dist-info/RECORD", "record", 1000, 1200); /* grew: no saving */
	print_all("layer-dir", &r);
	report_release(&r);
	return 0;
}

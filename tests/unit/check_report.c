#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_print.h"
#include "testutil.h"

static char *esc_json(const char *s)
{
	struct buf b = BUF_INIT;
	report_escape_json(&b, s);
	return buf_detach(&b, NULL);
}

static char *esc_text(const char *s)
{
	struct buf b = BUF_INIT;
	report_escape_text(&b, s);
	return buf_detach(&b, NULL);
}

START_TEST(json_escapes)
{
	char *s;

	s = esc_json("a\"b\\c\nd\x01");
	ck_assert_str_eq(s, "\"a\\\"b\\\\c\\nd\\u0001\"");
	free(s);
	s = esc_json("caf\xc3\xa9"); /* valid UTF-8 passes */
	ck_assert_str_eq(s, "\"caf\xc3\xa9\"");
	free(s);
	s = esc_json("bad\xff\xc3("); /* invalid bytes: surrogateescape */
	ck_assert_str_eq(s, "\"bad\\udcff\\udcc3(\"");
	free(s);
	s = esc_json("\xed\xa0\x80"); /* encoded surrogate is invalid */
	ck_assert_str_eq(s, "\"\\udced\\udca0\\udc80\"");
	free(s);
}
END_TEST

START_TEST(text_escapes)
{
	char *s = esc_text("a\nb\\c\xff\xc3\xa9");

	ck_assert_str_eq(s, "a\\nb\\\\c\\xff\xc3\xa9");
	free(s);
	/* terminal controls: ESC, BEL, DEL; C1 CSI (U+009B) and a bidi override
	 * (U+202E) as code points; other text as it is */
	s = esc_text("\x1b]0;t\x07\x1b[31m\x7f|\xc2\x9b" "1m|\xe2\x80\xae" "ab|\xe2\x82\xac");
	ck_assert_str_eq(s, "\\x1b]0;t\\x07\\x1b[31m\\x7f|\\u009b" "1m|\\u202eab|\xe2\x82\xac");
	free(s);
}
END_TEST

START_TEST(sorted_and_top)
{
	struct report r;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	report_init(&r, false);
	for (i = 0; i < 15; i++) {
		char p[16];
		snprintf(p, sizeof(p), "f%02d", 14 - i);
		report_change(&r, p, "strip", 1000, (uint64_t)(1000 - i * 10));
	}
	report_skip(&r, "z", SKIP_STRIPPED, 7);
	report_skip(&r, "a", SKIP_STRIPPED, 5);
	report_finish(&r);
	ck_assert_str_eq(r.changes[0].path, "f00");
	ck_assert_str_eq(r.skips[0].path, "a");
	ck_assert_uint_eq(r.strip.files, 15);
	ck_assert_uint_eq(report_saved(&r), 10 * (14 * 15 / 2));
	ck_assert_uint_eq(r.skip[SKIP_STRIPPED].bytes, 12);
	f = open_memstream(&out, &len);
	report_print_json(&r, f, 0);
	fclose(f);
	/* the largest saving (f00: 140 bytes) comes first */
	ck_assert_ptr_nonnull(strstr(out, "\"largest_savings\": [\n    {\"path\": \"f00\""));
	ck_assert_ptr_nonnull(strstr(out, "\"bytes_saved\": 1050}"));
	free(out);
	report_release(&r);
}
END_TEST

/* JSON longer than the flush size comes out whole and in order. */
START_TEST(json_large_whole)
{
	enum { N = 20000 };
	struct report r;
	char *out = NULL, *p, want[64];
	size_t len = 0;
	FILE *f;
	int i;

	report_init(&r, false);
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "dir/file-%05d", i);
		report_change(&r, want, "dedup", 100, 0);
	}
	report_finish(&r);
	f = open_memstream(&out, &len);
	report_print_json(&r, f, 0);
	fclose(f);
	ck_assert_uint_gt(len, 64 * 1024); /* past the flush size */
	ck_assert_uint_eq(strlen(out), len);
	ck_assert_str_eq(out + len - 15, "\"errors\": []\n}\n");
	p = strstr(out, "\"changes\": [");
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < N; i++) { /* each next object is the next change */
		p = strchr(p + 1, '{');
		ck_assert_ptr_nonnull(p);
		snprintf(want, sizeof(want), "{\"path\": \"dir/file-%05d\"", i);
		ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "change %d missing or out of order",
			      i);
	}
	free(out);
	report_release(&r);
}
END_TEST

/* Every counter a pass adds to goes through a function (report.h). */
START_TEST(counters_through_functions)
{
	struct report r, m;
	struct report_dedup d = { 3, 4, 5000, 1, 700 };

	report_init(&r, false);
	report_seen(&r, REPORT_REGULAR);
	report_seen(&r, REPORT_REGULAR);
	report_seen(&r, REPORT_DIR);
	report_seen(&r, REPORT_SYMLINK);
	report_seen(&r, REPORT_OTHER);
	ck_assert_uint_eq(r.seen, 5);
	ck_assert_uint_eq(r.regular, 2);
	ck_assert_uint_eq(r.dirs, 1);
	ck_assert_uint_eq(r.symlinks, 1);
	ck_assert_uint_eq(r.other, 1);
	report_bytes(&r, 1000);
	report_bytes(&r, 24);
	report_bytes_unseen(&r, 4);
	ck_assert_uint_eq(r.bytes_before, 1020);
	report_elf_seen(&r);
	report_elf_seen(&r);
	ck_assert_uint_eq(r.elf, 2);
	report_tmp_removed(&r);
	ck_assert_uint_eq(r.tmp_removed, 1);
	report_dedup(&r, &d);
	report_dedup(&r, &d);
	ck_assert_uint_eq(r.dup_groups, 6);
	ck_assert_uint_eq(r.dup_files_linked, 8);
	ck_assert_uint_eq(r.dup_bytes_saved, 10000);
	ck_assert_uint_eq(r.dup_elf_groups, 2);
	ck_assert_uint_eq(r.dup_elf_bytes, 1400);
	ck_assert(!r.layer && !r.image && !r.rules_on && !r.dedup_on);
	report_set_layer(&r);
	report_superseded(&r, 2);
	report_superseded(&r, 1);
	report_layer_sizes(&r, 100, 60, 40, 20);
	report_layer_sizes(&r, 10, 6, 0, 0); /* a directory: no file */
	ck_assert(r.layer);
	ck_assert_uint_eq(r.superseded, 3);
	ck_assert_uint_eq(r.tar_before, 110);
	ck_assert_uint_eq(r.tar_after, 66);
	ck_assert_uint_eq(r.comp_before, 40);
	ck_assert_uint_eq(r.comp_after, 20);
	report_set_image(&r);
	ck_assert(r.image);
	report_passes(&r, true, false);
	ck_assert(r.rules_on && !r.dedup_on);
	report_passes(&r, false, true);
	ck_assert(!r.rules_on && r.dedup_on);
	report_peak_rss(&r, 1 << 20);
	report_peak_rss(&r, 2 << 20); /* set, not added */
	ck_assert_uint_eq(r.peak_rss, 2 << 20);
	/* and a merge carries them (a kept layer: its sizes as they were) */
	report_init(&m, false);
	report_merge(&m, &r, true);
	ck_assert_uint_eq(m.seen, 5);
	ck_assert_uint_eq(m.bytes_before, 1020);
	ck_assert_uint_eq(m.dup_elf_groups, 2);
	ck_assert_uint_eq(m.dup_files_linked, 0);
	ck_assert_uint_eq(m.tar_after, 110);
	ck_assert_uint_eq(m.superseded, 0);
	report_release(&m);
	report_release(&r);
}
END_TEST

START_TEST(top_changes_and_image_totals)
{
	struct report r;
	struct report_image_layer l = { 0 }, t;
	size_t idx[3], n;

	report_init(&r, false);
	report_change(&r, "d", "strip", 100, 50);  /* saves 50 */
	report_change(&r, "b", "dedup", 70, 0);    /* 70 */
	report_change(&r, "c", "strip", 100, 30);  /* 70, after b */
	report_change(&r, "a", "record", 10, 12);  /* grew: saves nothing */
	report_change(&r, "e", "strip", 20, 10);   /* 10 */
	report_finish(&r);
	n = report_top_changes(&r, idx, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(r.changes[idx[0]].path, "b");
	ck_assert_str_eq(r.changes[idx[1]].path, "c");
	ck_assert_str_eq(r.changes[idx[2]].path, "d");
	l.image = (char *)"linux/amd64";
	l.tar_before = 100, l.tar_after = 60, l.blob_before = 40, l.blob_after = 30, l.waste = 5;
	l.strip_saved = 20, l.rules_saved = 15, l.dedup_saved = 5;
	report_image_layer(&r, &l);
	l.shared = true; /* the same blob again: counted once */
	report_image_layer(&r, &l);
	ck_assert(r.image);
	report_image_totals(&r, &t);
	ck_assert_uint_eq(t.tar_before, 100);
	ck_assert_uint_eq(t.tar_after, 60);
	ck_assert_uint_eq(t.blob_before, 40);
	ck_assert_uint_eq(t.blob_after, 30);
	ck_assert_uint_eq(t.waste + t.strip_saved + t.rules_saved + t.dedup_saved, 45);
	ck_assert_ptr_null(t.image);
	report_release(&r);
}
END_TEST

/* The table's skip reasons, of files and of archive members, in their
 * columns; every reason has its line. */
START_TEST(table_skip_columns)
{
	struct report r;
	struct strip_members m = { 0 };
	char *out = NULL, line[160];
	size_t len = 0;
	FILE *f;
	int k;

	report_init(&r, true);
	for (k = 1; k < SKIP__COUNT; k++) {
		char p[16];
		snprintf(p, sizeof(p), "f%02d", k);
		report_skip(&r, p, (enum skip_reason)k, 1024);
		m.skip[k].files = 1;
		m.skip[k].bytes = 2048;
	}
	m.members = SKIP__COUNT - 1;
	report_archive(&r, &m, false);
	report_finish(&r);
	f = open_memstream(&out, &len);
	report_print_table(&r, f, 1);
	fclose(f);
	for (k = 1; k < SKIP__COUNT; k++) {
		snprintf(line, sizeof(line), "\n    %-44s %6u  %10s\n",
			 skip_reason_str((enum skip_reason)k), 1, "1.0 KiB");
		ck_assert_msg(strstr(out, line), "no line for %s", skip_reason_id((enum skip_reason)k));
		snprintf(line, sizeof(line), "\n    members %-36s %6u  %10s\n",
			 skip_reason_str((enum skip_reason)k), 1, "2.0 KiB");
		ck_assert_msg(strstr(out, line), "no member line for %s",
			      skip_reason_id((enum skip_reason)k));
		snprintf(line, sizeof(line), "\n  %-44s f%02d\n", skip_reason_str((enum skip_reason)k),
			 k);
		ck_assert_msg(strstr(out, line), "-v lists no f%02d", k);
	}
	free(out);
	report_release(&r);
}
END_TEST

typedef void table_fn(const struct report *r, FILE *f);

static void table_v(const struct report *r, FILE *f)
{
	report_print_table(r, f, 1);
}

static void json_0(const struct report *r, FILE *f)
{
	report_print_json(r, f, 0);
}

static char *printed(table_fn *fn, const struct report *r, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	ck_assert_ptr_nonnull(f);
	fn(r, f);
	fclose(f);
	return out;
}

/* Presenting reads: the same report gives the same bytes every time, and
 * in any order of the outputs. */
START_TEST(presenters_only_read)
{
	table_fn *fns[] = { table_v, json_0, report_print_html, report_print_errors };
	char *first[4];
	size_t len[4], l, i, round;
	struct report r;

	report_init(&r, false);
	report_add_root(&r, "/t");
	report_add_owner(&r, "/t/site/yaml", "PyYAML", "python");
	report_change(&r, "/t/site/yaml/_y.so", "strip", 900, 100);
	report_removed(&r, "/t/site/yaml/tests", "python: tests/", 2, 300);
	report_skip(&r, "/t/x.so", SKIP_STRIPPED, 50);
	report_error(&r, "/t/bad\x1b", "cannot read");
	report_dup(&r, "/t/a", 10, 2, true, false);
	report_kept(&r, "/t/site/yaml/tests/conftest.py", "--keep");
	report_bytes(&r, 5000);
	report_finish(&r);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 4; i++) {
			size_t k = round ? 3 - i : i;
			char *s = printed(fns[k], &r, round ? &l : &len[k]);
			if (!round) {
				first[k] = s;
				continue;
			}
			ck_assert_uint_eq(l, len[k]);
			ck_assert_msg(memcmp(s, first[k], l) == 0, "output %zu changed", k);
			free(s);
		}
	ck_assert_ptr_nonnull(strstr(first[3], "slim: cannot process '/t/bad\\x1b': cannot read\n"));
	for (i = 0; i < 4; i++)
		free(first[i]);
	report_release(&r);
}
END_TEST

/* GPU code: per file and by architecture; a layer's merged into an image's
 * whether its blob was kept or not (the code is in the output either way);
 * files in path order once finished; what --cuda-arch removed of a file
 * row by row, kept through the merge. */
START_TEST(gpu_code_merged)
{
	struct report img, l1, l2;
	struct fatbin_summary s;
	struct fatbin_pruned pr = { .containers = 1 };
	struct fatbin_entry e = { .kind = FATBIN_SASS, .arch = 90, .bytes = 1000 };

	report_init(&img, true);
	report_init(&l1, true);
	report_init(&l2, true);
	fatbin_summary_init(&s);
	fatbin_summary_init(&pr.removed);
	fatbin_summary_add(&s, &e);
	fatbin_summary_add(&pr.removed, &e); /* the SASS row, all of it */
	e.kind = FATBIN_PTX;
	e.bytes = 24;
	e.compressed = true;
	fatbin_summary_add(&s, &e);
	s.containers = 1;
	report_gpu_code(&l1, "z/libb.so", &s, &pr);
	report_gpu_code(&l2, "a/liba.so", &s, NULL);
	fatbin_summary_release(&s);
	fatbin_summary_init(&s);
	report_gpu_code(&l2, "a/none.so", &s, NULL); /* nothing found: no record */
	report_merge(&img, &l1, false);
	report_merge(&img, &l2, true);
	report_finish(&img);
	ck_assert_uint_eq(img.ngpu_files, 2);
	ck_assert_str_eq(img.gpu_files[0].path, "a/liba.so");
	ck_assert_uint_eq(img.gpu_files[1].bytes, 1024);
	ck_assert_uint_eq(img.gpu.bytes, 2048);
	ck_assert_uint_eq(img.gpu.containers, 2);
	ck_assert_uint_eq(img.gpu.nrows, 2); /* sm_90 sass, sm_90 ptx */
	ck_assert_uint_eq(img.gpu.rows[0].kind, FATBIN_SASS);
	ck_assert_uint_eq(img.gpu.rows[0].bytes, 2000);
	ck_assert_uint_eq(img.gpu.rows[1].compressed, 2);
	ck_assert_uint_eq(img.gpu_files[1].removed, 1000);
	ck_assert_uint_eq(img.gpu_files[1].row_removed[0], 1000);
	ck_assert_uint_eq(img.gpu_files[1].row_removed[1], 0);
	ck_assert_uint_eq(img.gpu_files[0].removed, 0);
	ck_assert_uint_eq(img.gpu_files[0].row_removed[0], 0);
	ck_assert_uint_eq(img.gpu_removed.bytes, 1000);
	fatbin_pruned_release(&pr);
	report_release(&img);
	report_release(&l1);
	report_release(&l2);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("report");

	tcase_add_test(t, json_escapes);
	tcase_add_test(t, text_escapes);
	tcase_add_test(t, sorted_and_top);
	tcase_add_test(t, json_large_whole);
	tcase_add_test(t, counters_through_functions);
	tcase_add_test(t, top_changes_and_image_totals);
	tcase_add_test(t, gpu_code_merged);
	tcase_add_test(t, table_skip_columns);
	tcase_add_test(t, presenters_only_read);
	suite_add_tcase(s, t);
	return s;
}

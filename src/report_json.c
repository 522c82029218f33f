/* report_json.c - the report as JSON for machines (REPORT_SCHEMA_VERSION).
 *
 * The text is formatted into a buffer that is handed to the file once it
 * is large, so a report of any size is written as it goes.  Names from the
 * input go through report_escape_json().
 */
#include "report_print.h"

#include <string.h>

#include "audit.h"
#include "slim.h"

static void json_change(struct buf *j, const struct report_change *c)
{
	buf_adds(j, "{\"path\": ");
	report_escape_json(j, c->path);
	buf_addf(j, ", \"pass\": \"%s\", ", c->pass);
	if (c->rule) {
		buf_adds(j, "\"rule\": ");
		report_escape_json(j, c->rule);
		buf_adds(j, ", ");
	}
	buf_addf(j, "\"bytes_before\": %llu, \"bytes_after\": %llu, \"bytes_saved\": %llu}",
		 (unsigned long long)c->before, (unsigned long long)c->after,
		 (unsigned long long)(c->before - c->after));
}

/* {"reason": {"files": N, "bytes": N}, ...} for the reasons that occurred */
static void json_skips(struct buf *j, const struct skip_count *skip)
{
	bool first = true;
	int k;

	buf_addch(j, '{');
	for (k = 1; k < SKIP__COUNT; k++) {
		if (!skip[k].files)
			continue;
		buf_addf(j, "%s\"%s\": {\"files\": %llu, \"bytes\": %llu}", first ? "" : ", ",
			 skip_reason_id((enum skip_reason)k), (unsigned long long)skip[k].files,
			 (unsigned long long)skip[k].bytes);
		first = false;
	}
	buf_addch(j, '}');
}

static void json_image_row(struct buf *j, const struct report_image_layer *l)
{
	buf_addf(j,
		 "\"tar_bytes_before\": %llu, \"tar_bytes_after\": %llu, "
		 "\"blob_bytes_before\": %llu, \"blob_bytes_after\": %llu, \"waste_bytes\": %llu, "
		 "\"saved\": {\"strip\": %llu, \"rules\": %llu, \"dedup\": %llu}",
		 (unsigned long long)l->tar_before, (unsigned long long)l->tar_after,
		 (unsigned long long)l->blob_before, (unsigned long long)l->blob_after,
		 (unsigned long long)l->waste, (unsigned long long)l->strip_saved,
		 (unsigned long long)l->rules_saved, (unsigned long long)l->dedup_saved);
}

/* "image": {"layers": [...], "totals": {...}} */
static void json_image(struct buf *j, const struct report *r)
{
	struct report_image_layer t;
	size_t i;

	buf_adds(j, "  \"image\": {\"layers\": [");
	for (i = 0; i < r->nilayers; i++) {
		const struct report_image_layer *l = &r->ilayers[i];
		buf_adds(j, i ? ",\n    " : "\n    ");
		buf_adds(j, "{\"image\": ");
		report_escape_json(j, l->image);
		buf_addf(j, ", \"index\": %u, \"digest_before\": ", l->index);
		report_escape_json(j, l->digest_before);
		buf_adds(j, ", \"digest_after\": ");
		report_escape_json(j, l->digest_after);
		buf_addf(j, ", \"kept\": %s, \"shared\": %s, ", l->kept ? "true" : "false",
			 l->shared ? "true" : "false");
		json_image_row(j, l);
		buf_adds(j, "}");
	}
	report_image_totals(r, &t);
	buf_adds(j, r->nilayers ? "\n  ],\n  \"totals\": {" : "],\n  \"totals\": {");
	json_image_row(j, &t);
	buf_adds(j, "}},\n");
}

/* Hand what is buffered to f once it is large: a report of a million
 * changes is written as it is formatted, never held whole. */
static void json_flush(struct buf *j, FILE *f, size_t min)
{
	if (j->len < min)
		return;
	fwrite(j->p, 1, j->len, f);
	buf_setlen(j, 0);
}

#define JSON_FLUSH_AT (64 * 1024)

/* Before item i of a list: what is buffered may go, then the separator. */
static void json_item(struct buf *j, FILE *f, size_t i)
{
	json_flush(j, f, JSON_FLUSH_AT);
	buf_adds(j, i ? ",\n    " : "\n    ");
}

/* Close the list before (of n items) and open member name's list. */
static void json_next_list(struct buf *j, size_t n, const char *name)
{
	buf_adds(j, n ? "\n  ],\n  \"" : "],\n  \"");
	buf_adds(j, name);
	buf_adds(j, "\": [");
}

/* ---- GPU code ------------------------------------------------------------- */

/* The rows; with --cuda-arch, what was removed of each: from removed (the
 * totals), or row by row from row_removed (a file's). */
static void json_gpu_rows(struct buf *j, const struct fatbin_row *rows, size_t n,
			  const struct fatbin_summary *removed, const uint64_t *row_removed)
{
	char arch[16];
	size_t i;

	buf_addch(j, '[');
	for (i = 0; i < n; i++) {
		fatbin_arch_str(arch, sizeof(arch), rows[i].arch, rows[i].variant);
		buf_addf(j, "%s{\"arch\": \"%s\", \"kind\": \"%s\", \"bytes\": %llu, "
			 "\"entries\": %llu, \"compressed\": %llu", i ? ", " : "", arch,
			 fatbin_kind_str((enum fatbin_kind)rows[i].kind),
			 (unsigned long long)rows[i].bytes, (unsigned long long)rows[i].entries,
			 (unsigned long long)rows[i].compressed);
		if (removed || row_removed)
			buf_addf(j, ", \"removed\": %llu",
				 (unsigned long long)(row_removed ? row_removed[i]
						      : report_gpu_removed(removed, &rows[i])));
		buf_addch(j, '}');
	}
	buf_addch(j, ']');
}

/* --cuda-arch: the GPUs kept, and what pruning did. */
static void json_cuda(struct buf *j, const struct report *r)
{
	char arch[16];
	size_t i;

	buf_adds(j, "    \"cuda_arch\": [");
	for (i = 0; i < r->cuda.n; i++) {
		fatbin_arch_str(arch, sizeof(arch), r->cuda.arch[i], 0);
		buf_addf(j, "%s\"%s\"", i ? ", " : "", arch);
	}
	buf_addf(j, "], \"cuda_ptx\": \"%s\", \"removed_bytes\": %llu, "
		 "\"removed_entries\": %llu, \"containers_pruned\": %llu, "
		 "\"containers_left_whole\": %llu, \"containers_check_failed\": %llu,\n",
		 r->cuda.no_ptx ? "none" : "keep", (unsigned long long)r->gpu_removed.bytes,
		 (unsigned long long)r->gpu_removed.entries, (unsigned long long)r->gpu_pruned,
		 (unsigned long long)r->gpu_whole, (unsigned long long)r->gpu_failed);
}

/* "gpu_code": the totals by architecture and kind, then file by file. */
static void json_gpu(struct buf *j, FILE *f, const struct report *r)
{
	size_t i;

	buf_addf(j, "  \"gpu_code\": {\"total_bytes\": %llu, \"containers\": %llu, "
		 "\"entries\": %llu, \"incomplete\": %s,\n",
		 (unsigned long long)r->gpu.bytes, (unsigned long long)r->gpu.containers,
		 (unsigned long long)r->gpu.entries, r->gpu.incomplete ? "true" : "false");
	if (r->cuda.n)
		json_cuda(j, r);
	buf_adds(j, "    \"by_arch\": ");
	json_gpu_rows(j, r->gpu.rows, r->gpu.nrows, r->cuda.n ? &r->gpu_removed : NULL, NULL);
	buf_adds(j, ",\n    \"files\": [");
	for (i = 0; i < r->ngpu_files; i++) {
		const struct report_gpu_file *g = &r->gpu_files[i];
		json_flush(j, f, JSON_FLUSH_AT);
		buf_adds(j, i ? ",\n      {\"path\": " : "\n      {\"path\": ");
		report_escape_json(j, g->path);
		buf_addf(j, ", \"bytes\": %llu, ", (unsigned long long)g->bytes);
		if (r->cuda.n)
			buf_addf(j, "\"removed_bytes\": %llu, ", (unsigned long long)g->removed);
		buf_adds(j, "\"by_arch\": ");
		json_gpu_rows(j, g->rows, g->nrows, NULL, r->cuda.n ? g->row_removed : NULL);
		buf_addch(j, '}');
	}
	buf_adds(j, r->ngpu_files ? "\n    ]},\n" : "]},\n");
}

/* ---- by package and by kind (audit.h's grouping) -------------------------- */

static void json_package(struct buf *j, const struct audit_package *p)
{
	bool first = true;
	int k;

	buf_adds(j, "{\"name\": ");
	report_escape_json(j, p->name);
	buf_adds(j, ", \"kind\": ");
	report_escape_json(j, p->kind ? p->kind : "other");
	buf_addf(j, ", \"files\": %llu, \"paths\": %llu, \"changed\": %llu, "
		 "\"bytes_listed\": %llu, \"bytes_saved\": %llu, ",
		 (unsigned long long)p->files, (unsigned long long)p->items,
		 (unsigned long long)p->changed, (unsigned long long)p->bytes,
		 (unsigned long long)p->saved);
	if (p->gpu) /* only where there is some: other reports stay as they were */
		buf_addf(j, "\"gpu_bytes\": %llu, ", (unsigned long long)p->gpu);
	buf_adds(j, "\"saved_by_kind\": {");
	for (k = 0; k < AUDIT__COUNT; k++) {
		if (!p->by_kind[k])
			continue;
		buf_addf(j, "%s\"%s\": %llu", first ? "" : ", ", audit_kind_id((enum audit_kind)k),
			 (unsigned long long)p->by_kind[k]);
		first = false;
	}
	buf_adds(j, "}}");
}

/* "accounting", "by_directory", "by_file_kind" and "largest_files": the
 * whole input (report.h), changed or not. */
static void json_accounting(struct buf *j, const struct report *r)
{
	uint64_t files = 0, bytes = 0, other = 0;
	size_t i;
	int k;

	for (i = 0; i < r->npkgs; i++) {
		files += r->pkgs[i].files;
		bytes += r->pkgs[i].bytes;
		if (strcmp(r->pkgs[i].kind, "other") == 0)
			other += r->pkgs[i].bytes;
	}
	buf_addf(j, "  \"accounting\": {\"done\": %s, \"files\": %llu, \"bytes\": %llu, "
		 "\"other_bytes\": %llu},\n  \"by_directory\": [",
		 r->accounted ? "true" : "false", (unsigned long long)files,
		 (unsigned long long)bytes, (unsigned long long)other);
	for (i = 0; i < r->ndirsums; i++) {
		const struct report_dir *d = &r->dirsums[i];
		buf_adds(j, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		report_escape_json(j, d->path);
		buf_addf(j, ", \"depth\": %u, \"files\": %llu, \"bytes\": %llu, \"bytes_saved\": %llu}",
			 d->depth, (unsigned long long)d->files, (unsigned long long)d->bytes,
			 (unsigned long long)d->saved);
	}
	buf_adds(j, r->ndirsums ? "\n  ],\n  \"by_file_kind\": {" : "],\n  \"by_file_kind\": {");
	for (k = 0; k < FKIND__COUNT; k++)
		buf_addf(j, "%s\"%s\": {\"files\": %llu, \"bytes\": %llu}", k ? ", " : "",
			 report_fkind_id((enum report_fkind)k), (unsigned long long)r->fkind[k].files,
			 (unsigned long long)r->fkind[k].bytes);
	buf_adds(j, "},\n  \"largest_files\": [");
	for (i = 0; i < r->nbig; i++) {
		const struct report_bigfile *b = &r->big[i];
		buf_adds(j, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
		report_escape_json(j, b->path);
		buf_addf(j, ", \"bytes\": %llu, \"bytes_saved\": %llu, \"package\": ",
			 (unsigned long long)b->bytes, (unsigned long long)b->saved);
		report_escape_json(j, r->pkgs[b->pkg].name);
		buf_adds(j, ", \"package_kind\": ");
		report_escape_json(j, r->pkgs[b->pkg].kind);
		buf_addch(j, '}');
	}
	buf_adds(j, r->nbig ? "\n  ],\n" : "],\n");
}

void report_print_json_groups(const struct report *r, struct buf *j)
{
	struct audit a;
	size_t i;
	int k;

	audit_init(&a, r);
	buf_adds(j, "  \"by_package\": [");
	for (i = 0; i < a.npkgs; i++) {
		buf_adds(j, i ? ",\n    " : "\n    ");
		json_package(j, &a.pkgs[i]);
	}
	buf_adds(j, a.npkgs ? "\n  ],\n  \"by_kind\": {" : "],\n  \"by_kind\": {");
	for (k = 0; k < AUDIT__COUNT; k++)
		buf_addf(j, "%s\"%s\": {\"changes\": %llu, \"bytes_saved\": %llu}",
			 k ? ",\n              " : "", audit_kind_id((enum audit_kind)k),
			 (unsigned long long)a.kind_files[k], (unsigned long long)a.kind_bytes[k]);
	buf_adds(j, "},\n");
	json_accounting(j, r);
	audit_release(&a);
}

/* ---- the object, member by member ----------------------------------------- */

/* From "schema_version" to "totals". */
static void json_head(struct buf *j, const struct report *r, int exit_status)
{
	uint64_t saved = report_saved(r);
	size_t i;

	buf_addf(j, "{\n  \"schema_version\": %d,\n  \"slim_version\": \"%s\",\n",
		 REPORT_SCHEMA_VERSION, SLIM_VERSION);
	buf_addf(j, "  \"dry_run\": %s,\n  \"exit_status\": %d,\n  \"roots\": [",
		 r->dry_run ? "true" : "false", exit_status);
	for (i = 0; i < r->nroots; i++) {
		if (i)
			buf_adds(j, ", ");
		report_escape_json(j, r->roots[i]);
	}
	buf_adds(j, "],\n");
	buf_addf(j,
		 "  \"totals\": {\"files_seen\": %llu, \"regular_files\": %llu, "
		 "\"directories\": %llu, \"symlinks\": %llu, \"other\": %llu, "
		 "\"elf_files\": %llu, \"errors\": %zu, \"temp_files_removed\": %llu, "
		 "\"peak_rss_bytes\": %llu, "
		 "\"bytes_before\": %llu, \"bytes_after\": %llu, \"bytes_saved\": %llu},\n",
		 (unsigned long long)r->seen, (unsigned long long)r->regular,
		 (unsigned long long)r->dirs, (unsigned long long)r->symlinks,
		 (unsigned long long)r->other, (unsigned long long)r->elf, r->nerrors,
		 (unsigned long long)r->tmp_removed, (unsigned long long)r->peak_rss,
		 (unsigned long long)r->bytes_before, (unsigned long long)(r->bytes_before - saved),
		 (unsigned long long)saved);
}

static void json_passes(struct buf *j, const struct report *r)
{
	buf_addf(j,
		 "  \"passes\": {\"strip\": {\"files_changed\": %llu, \"bytes_before\": %llu, "
		 "\"bytes_after\": %llu, \"bytes_saved\": %llu},\n"
		 "             \"rules\": {\"enabled\": %s, \"bytes_saved\": %llu, "
		 "\"python_bytecode_removed\": %llu},\n"
		 "             \"dedup\": {\"enabled\": %s, \"groups\": %llu, \"files_linked\": %llu, "
		 "\"bytes_saved\": %llu, \"elf_groups_unlinked\": %llu, \"elf_bytes_unlinked\": %llu}},\n",
		 (unsigned long long)r->strip.files, (unsigned long long)r->strip.before,
		 (unsigned long long)r->strip.after,
		 (unsigned long long)(r->strip.before - r->strip.after),
		 r->rules_on ? "true" : "false", (unsigned long long)report_rules_bytes(r),
		 (unsigned long long)r->bytecode_removed,
		 r->dedup_on ? "true" : "false", (unsigned long long)r->dup_groups,
		 (unsigned long long)r->dup_files_linked, (unsigned long long)r->dup_bytes_saved,
		 (unsigned long long)r->dup_elf_groups, (unsigned long long)r->dup_elf_bytes);
}

/* "layer" and "image" (when set), "archives" and "skipped". */
static void json_sizes(struct buf *j, const struct report *r)
{
	if (r->layer) {
		buf_addf(j,
			 "  \"layer\": {\"tar_bytes_before\": %llu, \"tar_bytes_after\": %llu, "
			 "\"file_bytes_before\": %llu, \"file_bytes_after\": %llu, \"superseded\": %llu, ",
			 (unsigned long long)r->tar_before, (unsigned long long)r->tar_after,
			 (unsigned long long)r->comp_before, (unsigned long long)r->comp_after,
			 (unsigned long long)r->superseded);
		buf_addf(j, "\"file_codec_before\": %s%s%s, \"file_codec_after\": %s%s%s},\n",
			 r->codec_before ? "\"" : "", r->codec_before ? r->codec_before : "null",
			 r->codec_before ? "\"" : "", r->codec_after ? "\"" : "",
			 r->codec_after ? r->codec_after : "null", r->codec_after ? "\"" : "");
	}
	if (r->image)
		json_image(j, r);
	buf_addf(j,
		 "  \"archives\": {\"files\": %llu, \"stripped\": %llu, \"members\": %llu, "
		 "\"members_stripped\": %llu, \"members_bytes_before\": %llu, "
		 "\"members_bytes_after\": %llu, \"members_skipped\": ",
		 (unsigned long long)r->archives, (unsigned long long)r->archives_stripped,
		 (unsigned long long)r->members.members, (unsigned long long)r->members.stripped,
		 (unsigned long long)r->members.before, (unsigned long long)r->members.after);
	json_skips(j, r->members.skip);
	buf_adds(j, "},\n  \"skipped\": ");
	json_skips(j, r->skip);
	buf_adds(j, ",\n");
}

/* "largest_savings", "rules", "kept" and "duplicate_groups"; leaves the
 * last list open. */
static void json_summaries(struct buf *j, FILE *f, const struct report *r)
{
	size_t idx[REPORT_TOP], n, i;

	buf_adds(j, "  \"largest_savings\": [");
	n = report_top_changes(r, idx, REPORT_TOP);
	for (i = 0; i < n; i++) {
		json_item(j, f, i);
		json_change(j, &r->changes[idx[i]]);
	}
	json_next_list(j, n, "rules");
	for (i = 0; i < r->nrules; i++) {
		json_item(j, f, i);
		buf_adds(j, "{\"rule\": ");
		report_escape_json(j, r->rules[i].name);
		buf_addf(j, ", \"files\": %llu, \"bytes\": %llu}",
			 (unsigned long long)r->rules[i].files, (unsigned long long)r->rules[i].bytes);
	}
	json_next_list(j, r->nrules, "kept");
	for (i = 0; i < r->nkept; i++) {
		json_item(j, f, i);
		buf_adds(j, "{\"path\": ");
		report_escape_json(j, r->kept[i].path);
		buf_addf(j, ", \"why\": \"%s\"}", r->kept[i].why);
	}
	json_next_list(j, r->nkept, "duplicate_groups");
	for (i = 0; i < r->ndups; i++) {
		const struct report_dup *d = &r->dups[i];
		json_item(j, f, i);
		buf_adds(j, "{\"kept\": ");
		report_escape_json(j, d->kept);
		buf_addf(j, ", \"size\": %llu, \"copies\": %llu, \"linked\": %s, \"elf\": %s}",
			 (unsigned long long)d->size, (unsigned long long)d->files,
			 d->linked ? "true" : "false", d->elf ? "true" : "false");
	}
}

/* "changes", "skips" and "errors", after the open "duplicate_groups"; ends
 * the object. */
static void json_entries(struct buf *j, FILE *f, const struct report *r)
{
	size_t i;

	json_next_list(j, r->ndups, "changes");
	for (i = 0; i < r->nchanges; i++) {
		json_item(j, f, i);
		json_change(j, &r->changes[i]);
	}
	json_next_list(j, r->nchanges, "skips");
	for (i = 0; i < r->nskips; i++) {
		json_item(j, f, i);
		buf_adds(j, "{\"path\": ");
		report_escape_json(j, r->skips[i].path);
		buf_addf(j, ", \"reason\": \"%s\", \"bytes\": %llu}",
			 skip_reason_id(r->skips[i].reason), (unsigned long long)r->skips[i].bytes);
	}
	json_next_list(j, r->nskips, "errors");
	for (i = 0; i < r->nerrors; i++) {
		json_item(j, f, i);
		buf_adds(j, "{\"path\": ");
		report_escape_json(j, r->errors[i].path);
		buf_adds(j, ", \"message\": ");
		report_escape_json(j, r->errors[i].msg);
		buf_adds(j, "}");
	}
	buf_adds(j, r->nerrors ? "\n  ]\n}\n" : "]\n}\n");
}

void report_print_json(const struct report *r, FILE *f, int exit_status)
{
	struct buf j = BUF_INIT;

	json_head(&j, r, exit_status);
	json_passes(&j, r);
	json_sizes(&j, r);
	json_gpu(&j, f, r);
	report_print_json_groups(r, &j);
	json_summaries(&j, f, r);
	json_entries(&j, f, r);
	json_flush(&j, f, 0);
	buf_release(&j);
}

/* report_html.c - the report as a self-contained HTML page: a treemap of
 * bytes by package, directory and file (a file's GPU code split by
 * architecture), with the totals and the groups.
 *
 * The grouping is done once, in C (audit.h), so the page agrees with the
 * table and the JSON; the page's script (assets/audit.js) only lays out
 * and draws the data it is given.  The style sheet, the body and the
 * script are files under assets/, embedded at build time
 * (report_assets.h); the data goes in between, as JSON in a
 * <script type="application/json"> element that the script parses.
 */
#include "report_print.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fatbin.h"
#include "report_assets.h"
#include "slim.h"

#define HTML_DUPS 20
#define HTML_DIRS 300 /* directory rows, the largest */

/* ---- escaping ----------------------------------------------------------- */

void report_escape_html(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;
	const char *p;

	report_escape_text(&t, s);
	for (p = t.p; *p; p++) {
		switch (*p) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addch(out, *p); break;
		}
	}
	buf_release(&t);
}

/* Make JSON text safe inside a <script> element: '<', '>' and '&' occur
 * only inside strings, where \u escapes mean the same characters, and
 * without them the text can neither close the element ("</script") nor
 * open a comment ("<!--"). */
static void script_safe(struct buf *out, const char *json, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (json[i] == '<')
			buf_adds(out, "\\u003c");
		else if (json[i] == '>')
			buf_adds(out, "\\u003e");
		else if (json[i] == '&')
			buf_adds(out, "\\u0026");
		else
			buf_addch(out, json[i]);
	}
}

void report_escape_script_json(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;

	report_escape_json(&t, s);
	script_safe(out, t.p, t.len);
	buf_release(&t);
}

/* ---- HTML page ---------------------------------------------------------- */

static void data_str(struct buf *j, const char *s)
{
	if (s)
		report_escape_json(j, s);
	else
		buf_adds(j, "null");
}

static void data_totals(struct buf *j, const struct report *r, const struct audit *a)
{
	buf_addf(j, "\"totals\": {\"before\": %llu, \"saved\": %llu, \"unlisted\": %llu, "
		 "\"files\": %llu, \"changes\": %zu, \"skips\": %zu, \"kept\": %zu, "
		 "\"errors\": %zu, \"dup_groups\": %llu, \"owners\": %zu, \"layer\": %s, "
		 "\"tar_before\": %llu, \"tar_after\": %llu, \"comp_before\": %llu, "
		 "\"comp_after\": %llu, \"image\": %s, \"codec_before\": \"%s\", "
		 "\"codec_after\": \"%s\"},\n",
		 (unsigned long long)r->bytes_before, (unsigned long long)a->saved,
		 (unsigned long long)a->unlisted, (unsigned long long)r->regular, r->nchanges,
		 r->nskips, r->nkept, r->nerrors, (unsigned long long)r->ndups, r->nowners,
		 r->layer ? "true" : "false", (unsigned long long)r->tar_before,
		 (unsigned long long)r->tar_after, (unsigned long long)r->comp_before,
		 (unsigned long long)r->comp_after, r->image ? "true" : "false",
		 r->codec_before ? r->codec_before : "", r->codec_after ? r->codec_after : "");
}

static void data_names(struct buf *j, const struct report *r)
{
	size_t i;
	int k;

	buf_adds(j, "\"roots\": [");
	for (i = 0; i < r->nroots; i++) {
		buf_adds(j, i ? ", " : "");
		data_str(j, r->roots[i]);
	}
	buf_adds(j, "],\n\"kinds\": [");
	for (k = 0; k < AUDIT__COUNT; k++)
		buf_addf(j, "%s[\"%s\", \"%s\"]", k ? ", " : "", audit_kind_id((enum audit_kind)k),
			 audit_kind_label((enum audit_kind)k));
	buf_adds(j, "],\n\"reasons\": [");
	for (k = 0; k < SKIP__COUNT; k++) {
		buf_adds(j, k ? ", " : "");
		data_str(j, skip_reason_str((enum skip_reason)k));
	}
	buf_adds(j, "],\n\"rules\": [");
	for (i = 0; i < r->nrules; i++) {
		buf_adds(j, i ? ", " : "");
		data_str(j, r->rules[i].name);
	}
	buf_adds(j, "],\n");
}

static void data_packages(struct buf *j, const struct audit *a)
{
	size_t i;
	int k;

	buf_adds(j, "\"kind_bytes\": [");
	for (k = 0; k < AUDIT__COUNT; k++)
		buf_addf(j, "%s%llu", k ? ", " : "", (unsigned long long)a->kind_bytes[k]);
	buf_adds(j, "],\n\"kind_files\": [");
	for (k = 0; k < AUDIT__COUNT; k++)
		buf_addf(j, "%s%llu", k ? ", " : "", (unsigned long long)a->kind_files[k]);
	buf_adds(j, "],\n\"pkgs\": [");
	for (i = 0; i < a->npkgs; i++) {
		const struct audit_package *p = &a->pkgs[i];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, p->name);
		buf_adds(j, ", ");
		data_str(j, p->kind);
		buf_addf(j, ", %llu, %llu, %llu, %llu, [", (unsigned long long)p->items,
			 (unsigned long long)p->changed, (unsigned long long)p->listed,
			 (unsigned long long)p->saved);
		for (k = 0; k < AUDIT__COUNT; k++)
			buf_addf(j, "%s%llu", k ? ", " : "", (unsigned long long)p->by_kind[k]);
		buf_addf(j, "], %llu, %llu]", (unsigned long long)p->files,
			 (unsigned long long)p->bytes);
	}
	buf_adds(j, "],\n");
}

static long rule_index(const struct report *r, const char *rule)
{
	size_t i;

	for (i = 0; rule && i < r->nrules; i++)
		if (strcmp(r->rules[i].name, rule) == 0)
			return (long)i;
	return -1;
}

/* Items as [package, prefix, path, size, saved, action, kind, extra]:
 * prefix indexes "prefixes" (the part of path the chart leaves out), extra
 * is the rule (removals) or the skip reason (paths left alone). */
static void data_items(struct buf *j, const struct report *r, const struct audit *a)
{
	struct buf pre = BUF_INIT, tmp = BUF_INIT;
	const char *last = NULL;
	size_t lastlen = 0, npre = 0, i;

	buf_adds(j, "\"items\": [");
	for (i = 0; i < a->nitems; i++) {
		const struct audit_item *it = &a->items[i];
		if (!last || lastlen != it->base || memcmp(last, it->path, it->base) != 0) {
			buf_setlen(&tmp, 0);
			buf_add(&tmp, it->path, it->base);
			buf_adds(&pre, npre++ ? ", " : "");
			report_escape_json(&pre, tmp.p);
			last = it->path;
			lastlen = it->base;
		}
		buf_adds(j, i ? ",\n[" : "\n[");
		buf_addf(j, "%zu, %zu, ", it->pkg, npre - 1);
		report_escape_json(j, it->path);
		buf_addf(j, ", %llu, %llu, %d, %d, %ld]", (unsigned long long)it->size,
			 (unsigned long long)it->saved, (int)it->act, (int)it->kind,
			 it->act == AUDIT_REMOVE ? rule_index(r, it->rule) : (long)it->reason);
	}
	buf_adds(j, "],\n\"prefixes\": [");
	buf_add(j, pre.p, pre.len);
	buf_adds(j, "],\n");
	buf_release(&pre);
	buf_release(&tmp);
}

static void data_dups(struct buf *j, const struct report *r)
{
	size_t i, n = r->ndups < HTML_DUPS ? r->ndups : HTML_DUPS;

	buf_adds(j, "\"dups\": [");
	for (i = 0; i < n; i++) {
		const struct report_dup *d = &r->dups[i];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, d->kept);
		buf_addf(j, ", %llu, %llu, %s, %s]", (unsigned long long)d->size,
			 (unsigned long long)d->files, d->linked ? "true" : "false",
			 d->elf ? "true" : "false");
	}
	buf_adds(j, "]\n");
}

/* GPU code rows as [arch, kind, bytes, removed] (kind: enum fatbin_kind;
 * removed: what --cuda-arch removed of the row, 0 without it), taken from
 * removed (one for each row) or else looked up in gone. */
static void data_gpu_rows(struct buf *j, const struct fatbin_row *rows, size_t n,
			  const uint64_t *removed, const struct fatbin_summary *gone)
{
	char arch[16];
	size_t i;

	buf_addch(j, '[');
	for (i = 0; i < n; i++) {
		fatbin_arch_str(arch, sizeof(arch), rows[i].arch, rows[i].variant);
		buf_addf(j, "%s[\"%s\", %d, %llu, %llu]", i ? ", " : "", arch, (int)rows[i].kind,
			 (unsigned long long)rows[i].bytes,
			 (unsigned long long)(removed ? removed[i] :
					      gone ? report_gpu_removed(gone, &rows[i]) : 0));
	}
	buf_addch(j, ']');
}

/* "gpu": the totals by architecture, the GPUs --cuda-arch keeps code for
 * (none without it), and file by file [path, bytes, removed, rows]. */
static void data_gpu(struct buf *j, const struct report *r)
{
	char arch[16];
	size_t i;

	buf_addf(j, "\"gpu\": {\"bytes\": %llu, \"removed\": %llu, \"incomplete\": %s, "
		 "\"cuda\": [", (unsigned long long)r->gpu.bytes,
		 (unsigned long long)r->gpu_removed.bytes, r->gpu.incomplete ? "true" : "false");
	for (i = 0; i < r->cuda.n; i++) {
		fatbin_arch_str(arch, sizeof(arch), r->cuda.arch[i], 0);
		buf_addf(j, "%s\"%s\"", i ? ", " : "", arch);
	}
	buf_adds(j, "],\n\"rows\": ");
	data_gpu_rows(j, r->gpu.rows, r->gpu.nrows, NULL, &r->gpu_removed);
	buf_adds(j, ",\n\"files\": [");
	for (i = 0; i < r->ngpu_files; i++) {
		const struct report_gpu_file *g = &r->gpu_files[i];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, g->path);
		buf_addf(j, ", %llu, %llu, ", (unsigned long long)g->bytes,
			 (unsigned long long)g->removed);
		data_gpu_rows(j, g->rows, g->nrows, g->row_removed, NULL);
		buf_addch(j, ']');
	}
	buf_adds(j, "]},\n");
}

static int cmp_dir_bytes(const void *x, const void *y, void *ctx)
{
	const struct report_dir *d = ctx;
	const struct report_dir *a = &d[*(const size_t *)x], *b = &d[*(const size_t *)y];

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* "acct": the whole input's accounting (report.h): directories as [path,
 * depth, files, bytes, saved] (the HTML_DIRS largest, in path order), file
 * kinds as [label, files, bytes], the largest files as [path, bytes, saved,
 * package index into r->pkgs' names ("names")]. */
static void data_accounting(struct buf *j, const struct report *r)
{
	size_t *ord = xmalloc((r->ndirsums + 1) * sizeof(*ord));
	size_t i, n = r->ndirsums < HTML_DIRS ? r->ndirsums : HTML_DIRS;
	int k;

	for (i = 0; i < r->ndirsums; i++)
		ord[i] = i;
	if (r->ndirsums)
		qsort_r(ord, r->ndirsums, sizeof(*ord), cmp_dir_bytes, r->dirsums);
	buf_addf(j, "\"acct\": {\"done\": %s, \"ndirs\": %zu, \"dirs\": [",
		 r->accounted ? "true" : "false", r->ndirsums);
	for (i = 0; i < n; i++) {
		const struct report_dir *d = &r->dirsums[ord[i]];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, d->path);
		buf_addf(j, ", %u, %llu, %llu, %llu]", d->depth, (unsigned long long)d->files,
			 (unsigned long long)d->bytes, (unsigned long long)d->saved);
	}
	buf_adds(j, "],\n\"fkinds\": [");
	for (k = 0; k < FKIND__COUNT; k++)
		buf_addf(j, "%s[\"%s\", %llu, %llu]", k ? ", " : "",
			 report_fkind_label((enum report_fkind)k), (unsigned long long)r->fkind[k].files,
			 (unsigned long long)r->fkind[k].bytes);
	buf_adds(j, "],\n\"big\": [");
	for (i = 0; i < r->nbig; i++) {
		const struct report_bigfile *b = &r->big[i];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, b->path);
		buf_addf(j, ", %llu, %llu, ", (unsigned long long)b->bytes,
			 (unsigned long long)b->saved);
		data_str(j, r->pkgs[b->pkg].name);
		buf_adds(j, ", ");
		data_str(j, r->pkgs[b->pkg].kind);
		buf_addch(j, ']');
	}
	buf_adds(j, "]},\n");
	free(ord);
}

/* "layers" (image mode): [image, index, digest before, digest after, tar
 * before, tar after, blob before, blob after, waste, kept, shared]. */
static void data_layers(struct buf *j, const struct report *r)
{
	size_t i;

	buf_adds(j, "\"layers\": [");
	for (i = 0; i < r->nilayers; i++) {
		const struct report_image_layer *l = &r->ilayers[i];
		buf_adds(j, i ? ",\n[" : "\n[");
		data_str(j, l->image);
		buf_addf(j, ", %u, ", l->index);
		data_str(j, l->digest_before);
		buf_adds(j, ", ");
		data_str(j, l->digest_after);
		buf_addf(j, ", %llu, %llu, %llu, %llu, %llu, %s, %s]",
			 (unsigned long long)l->tar_before, (unsigned long long)l->tar_after,
			 (unsigned long long)l->blob_before, (unsigned long long)l->blob_after,
			 (unsigned long long)l->waste, l->kept ? "true" : "false",
			 l->shared ? "true" : "false");
	}
	buf_adds(j, "],\n");
}

static void html_data(struct buf *j, const struct report *r, const struct audit *a)
{
	buf_addf(j, "{\"version\": \"%s\", \"dry\": %s,\n", SLIM_VERSION,
		 r->dry_run ? "true" : "false");
	data_totals(j, r, a);
	data_names(j, r);
	data_packages(j, a);
	data_items(j, r, a);
	data_accounting(j, r);
	data_layers(j, r);
	data_gpu(j, r);
	data_dups(j, r);
	buf_adds(j, "}");
}

static void html_head(struct buf *h, const struct report *r)
{
	struct buf roots = BUF_INIT;
	size_t i;

	for (i = 0; i < r->nroots; i++) {
		buf_adds(&roots, i ? " " : "");
		report_escape_html(&roots, r->roots[i]);
	}
	buf_adds(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	buf_addf(h, "<title>slim audit: %s</title>\n<style>\n", roots.p);
	buf_add(h, asset_audit_css, asset_audit_css_len);
	buf_adds(h, "</style>\n</head>\n<body>\n<header><h1>slim audit <span>");
	buf_adds(h, roots.p);
	buf_addf(h, "</span>%s</h1>\n<div class=\"sub\">slim %s &middot; what slim %s, "
		 "by package and by kind</div></header>\n",
		 r->dry_run ? "<span class=\"badge\">dry run</span>" : "", SLIM_VERSION,
		 r->dry_run ? "would remove, strip and link" : "removed, stripped and linked");
	buf_release(&roots);
}

void report_print_html(const struct report *r, FILE *f)
{
	struct buf h = BUF_INIT, data = BUF_INIT;
	struct audit a;

	audit_init(&a, r);
	html_head(&h, r);
	buf_add(&h, asset_audit_body_html, asset_audit_body_html_len);
	html_data(&data, r, &a);
	buf_adds(&h, "<script type=\"application/json\" id=\"slim-data\">");
	script_safe(&h, data.p, data.len);
	buf_adds(&h, "</script>\n<script>\n");
	buf_add(&h, asset_audit_js, asset_audit_js_len);
	buf_adds(&h, "</script>\n</body>\n</html>\n");
	fwrite(h.p, 1, h.len, f);
	buf_release(&h);
	buf_release(&data);
	audit_release(&a);
}

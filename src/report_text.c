/* report_text.c - the report as a table for people, and its errors as
 * lines on stderr.
 *
 * Each section of the table is a function of its own, called in the order
 * the table has always had; names from the input go through
 * report_escape_text().
 */
#include "report_print.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "slim.h"

#define TABLE_PACKAGES 10
#define STR_(x) #x
#define STR(x) STR_(x)

/* The noun for n of a thing: one and many. */
static const char *pl(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void pct(char *out, size_t n, uint64_t part, uint64_t whole)
{
	if (!whole)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* s escaped, in b (emptied first); returns b's text. */
static const char *esc(struct buf *b, const char *s)
{
	buf_setlen(b, 0);
	report_escape_text(b, s);
	return b->p;
}

/* ---- image layers --------------------------------------------------------- */

/* The eight sizes of a row (or of the totals), formatted. */
struct image_cells {
	char tar[2][32], blob[2][32], waste[32], strip[32], rules[32], dedup[32];
};

static void image_cells(struct image_cells *c, const struct report_image_layer *l)
{
	fmt_bytes(c->tar[0], sizeof(c->tar[0]), l->tar_before);
	fmt_bytes(c->tar[1], sizeof(c->tar[1]), l->tar_after);
	fmt_bytes(c->blob[0], sizeof(c->blob[0]), l->blob_before);
	fmt_bytes(c->blob[1], sizeof(c->blob[1]), l->blob_after);
	fmt_bytes(c->waste, sizeof(c->waste), l->waste);
	fmt_bytes(c->strip, sizeof(c->strip), l->strip_saved);
	fmt_bytes(c->rules, sizeof(c->rules), l->rules_saved);
	fmt_bytes(c->dedup, sizeof(c->dedup), l->dedup_saved);
}

/* Image mode: one line per layer, then the totals. */
static void print_image_table(const struct report *r, FILE *f)
{
	struct report_image_layer t;
	struct image_cells c;
	struct buf label = BUF_INIT, dig = BUF_INIT;
	size_t i;

	fprintf(f, "\nimage layers%s\n", r->dry_run ? " (would become)" : "");
	fprintf(f, "  %-14s %3s %21s %21s %10s %10s %10s %10s  %s\n", "image", "#", "tar", "blob",
		"waste", "strip", "rules", "dedup", "blob digest");
	for (i = 0; i < r->nilayers; i++) {
		const struct report_image_layer *l = &r->ilayers[i];
		image_cells(&c, l);
		/* a tag or an archive path, from the input */
		esc(&label, l->image ? l->image : "");
		esc(&dig, l->digest_before ? l->digest_before : "");
		fprintf(f, "  %-14.14s %3u %9s -> %9s %9s -> %9s %10s %10s %10s %10s  %.19s%s%s\n",
			label.p, l->index, c.tar[0], c.tar[1], c.blob[0], c.blob[1], c.waste,
			c.strip, c.rules, c.dedup, dig.p,
			l->kept ? " (kept)" : l->shared ? " (shared)" : "",
			l->kept || l->shared ? "" : " -> new");
	}
	report_image_totals(r, &t);
	image_cells(&c, &t);
	fprintf(f, "  %-14s %3s %9s -> %9s %9s -> %9s %10s %10s %10s %10s\n", "total", "",
		c.tar[0], c.tar[1], c.blob[0], c.blob[1], c.waste, c.strip, c.rules, c.dedup);
	buf_release(&label);
	buf_release(&dig);
}

/* ---- by kind and by package (audit.h's grouping) -------------------------- */

/* "debug info & symbols 1.2 MiB, tests 40.0 KiB": the two largest kinds. */
static void main_kinds(struct buf *out, const struct audit_package *p)
{
	int best[2] = { -1, -1 }, k, i;
	char b[32];

	for (k = 0; k < AUDIT__COUNT; k++) {
		if (!p->by_kind[k])
			continue;
		if (best[0] < 0 || p->by_kind[k] > p->by_kind[best[0]]) {
			best[1] = best[0];
			best[0] = k;
		} else if (best[1] < 0 || p->by_kind[k] > p->by_kind[best[1]]) {
			best[1] = k;
		}
	}
	for (i = 0; i < 2 && best[i] >= 0; i++) {
		fmt_bytes(b, sizeof(b), p->by_kind[best[i]]);
		buf_addf(out, "%s%s %s", i ? ", " : "", audit_kind_label((enum audit_kind)best[i]),
			 b);
	}
}

static void table_packages(const struct audit *a, FILE *f)
{
	struct buf name = BUF_INIT, what = BUF_INIT;
	size_t i, n = a->npkgs < TABLE_PACKAGES ? a->npkgs : TABLE_PACKAGES;
	char b[32];

	fprintf(f, "  by package      %10zu  (largest saving first%s)\n", a->npkgs,
		n < a->npkgs ? "; the first " STR(TABLE_PACKAGES) " shown" : "");
	for (i = 0; i < n; i++) {
		const struct audit_package *p = &a->pkgs[i];
		esc(&name, p->name);
		if (p->kind && strcmp(p->kind, "other") != 0)
			buf_addf(&name, " (%s)", p->kind);
		buf_setlen(&what, 0);
		main_kinds(&what, p);
		if (p->gpu) {
			fmt_bytes(b, sizeof(b), p->gpu);
			buf_addf(&what, "%sGPU code %s", what.len ? "; " : "", b);
		}
		fmt_bytes(b, sizeof(b), p->saved);
		fprintf(f, "    %-44s %6llu  %10s%s%s\n", name.p, (unsigned long long)p->changed, b,
			what.len ? "  " : "", what.p);
	}
	buf_release(&name);
	buf_release(&what);
}

void report_print_table_groups(const struct report *r, FILE *f)
{
	struct audit a;
	char b[32];
	int k;

	audit_init(&a, r);
	for (k = 0; k < AUDIT__COUNT; k++)
		if (a.kind_files[k])
			break;
	/* a removed directory is one change, as in JSON's by_kind */
	if (k < AUDIT__COUNT)
		fprintf(f, "  by kind (changes: a file, or a directory removed whole; saved)\n");
	for (k = 0; k < AUDIT__COUNT; k++) {
		if (!a.kind_files[k])
			continue;
		fmt_bytes(b, sizeof(b), a.kind_bytes[k]);
		fprintf(f, "    %-44s %6llu  %10s\n", audit_kind_label((enum audit_kind)k),
			(unsigned long long)a.kind_files[k], b);
	}
	/* "(other)" alone says nothing: no *.dist-info or node_modules seen */
	if (a.npkgs > 1 || (a.npkgs == 1 && a.pkgs[0].kind && strcmp(a.pkgs[0].kind, "other")))
		table_packages(&a, f);
	audit_release(&a);
}

/* ---- the summary, section by section -------------------------------------- */

/* One line per skip reason that occurred, the reason after prefix ("" or
 * "members ") in a column of 44. */
static void table_skip_reasons(const struct skip_count *skip, const char *prefix, FILE *f)
{
	int width = 44 - (int)strlen(prefix);
	char a[32];
	int k;

	for (k = 1; k < SKIP__COUNT; k++) {
		if (!skip[k].files)
			continue;
		fmt_bytes(a, sizeof(a), skip[k].bytes);
		fprintf(f, "    %s%-*s %6llu  %10s\n", prefix, width,
			skip_reason_str((enum skip_reason)k), (unsigned long long)skip[k].files, a);
	}
}

/* What was looked at, and what the strip pass did and left. */
static void table_seen(const struct report *r, FILE *f)
{
	char a[32], b[32];
	uint64_t skipped = 0;
	int k;

	for (k = 0; k < SKIP__COUNT; k++)
		skipped += r->skip[k].files;
	fprintf(f, "slim %s%s\n", SLIM_VERSION, r->dry_run ? " (dry run: nothing was changed)" : "");
	fprintf(f, "  entries seen    %10llu  (%llu regular %s, %llu %s, %llu %s, %llu other)\n",
		(unsigned long long)r->seen, (unsigned long long)r->regular,
		pl(r->regular, "file", "files"), (unsigned long long)r->dirs,
		pl(r->dirs, "directory", "directories"), (unsigned long long)r->symlinks,
		pl(r->symlinks, "symlink", "symlinks"), (unsigned long long)r->other);
	fprintf(f, "  ELF and ar files%10llu\n", (unsigned long long)r->elf);
	fmt_bytes(a, sizeof(a), r->strip.before);
	fmt_bytes(b, sizeof(b), r->strip.after);
	fprintf(f, "  %-15s %10llu  (%s -> %s)\n", r->dry_run ? "would strip" : "stripped",
		(unsigned long long)r->strip.files, a, b);
	fprintf(f, "  skipped         %10llu\n", (unsigned long long)skipped);
	table_skip_reasons(r->skip, "", f);
}

static void table_rules(const struct report *r, FILE *f, int verbose)
{
	struct buf name = BUF_INIT;
	uint64_t files = 0;
	char a[32];
	size_t i;

	for (i = 0; i < r->nrules; i++)
		files += r->rules[i].files;
	fmt_bytes(a, sizeof(a), report_rules_bytes(r));
	fprintf(f, "  %-15s %10llu  (%s)\n", r->dry_run ? "would remove" : "removed",
		(unsigned long long)files, a);
	for (i = 0; i < r->nrules; i++) {
		fmt_bytes(a, sizeof(a), r->rules[i].bytes);
		fprintf(f, "    %-44s %6llu  %10s\n", esc(&name, r->rules[i].name),
			(unsigned long long)r->rules[i].files, a);
	}
	if (r->nkept)
		fprintf(f, "    %-44s %6zu%s\n", "kept on purpose", r->nkept,
			verbose ? "" : "  (-v lists them)");
	if (r->bytecode_removed)
		fprintf(f, "    note: without Python byte-code, imports start up to 3x slower where "
			   "it cannot be written again\n"
			   "    (read-only root, another user, PYTHONDONTWRITEBYTECODE); "
			   "--python-bytecode keep keeps it\n");
	buf_release(&name);
}

static void table_dedup(const struct report *r, FILE *f)
{
	char a[32];

	fmt_bytes(a, sizeof(a), r->dup_bytes_saved);
	fprintf(f, "  %-15s %10llu  (in %llu %s, %s)\n", r->dry_run ? "would link" : "linked",
		(unsigned long long)r->dup_files_linked,
		(unsigned long long)(r->dup_groups - r->dup_elf_groups),
		pl(r->dup_groups - r->dup_elf_groups, "group", "groups"), a);
	if (r->dup_elf_groups) {
		fmt_bytes(a, sizeof(a), r->dup_elf_bytes);
		fprintf(f, "    %-44s %6llu  %10s\n", "ELF shared object groups left (--dedup-elf)",
			(unsigned long long)r->dup_elf_groups, a);
	}
}

static void table_archives(const struct report *r, FILE *f)
{
	char a[32], b[32];

	fmt_bytes(a, sizeof(a), r->members.before);
	fmt_bytes(b, sizeof(b), r->members.after);
	fprintf(f, "  archives        %10llu  (%llu stripped; members: %llu, %llu stripped, %s -> %s)\n",
		(unsigned long long)r->archives, (unsigned long long)r->archives_stripped,
		(unsigned long long)r->members.members, (unsigned long long)r->members.stripped, a,
		b);
	table_skip_reasons(r->members.skip, "members ", f);
}

/* "saved 1.2 MiB (12.0%)", "would grow by 3 B", "saved 0 B": from
 * before to after (the percentage only of a size before). */
static void print_change(FILE *f, uint64_t before, uint64_t after, bool dry_run)
{
	bool grew = after > before;
	uint64_t d = grew ? after - before : before - after;
	char c[32], p[16];

	fmt_bytes(c, sizeof(c), d);
	fprintf(f, "%s %s", grew ? (dry_run ? "would grow by" : "grew by")
				 : (dry_run ? "would save" : "saved"), c);
	if (before) {
		pct(p, sizeof(p), d, before);
		fprintf(f, " (%s)", p);
	}
	fputc('\n', f);
}

/* Errors, the groups, what the run itself did, then the bytes. */
static void table_totals(const struct report *r, FILE *f)
{
	char a[32], b[32];
	uint64_t saved = report_saved(r);

	fprintf(f, "  errors          %10llu\n", (unsigned long long)r->nerrors);
	report_print_table_groups(r, f);
	if (r->tmp_removed)
		fprintf(f, "  temp files %s %6llu  (left by an interrupted run)\n",
			r->dry_run ? "to remove" : "removed", (unsigned long long)r->tmp_removed);
	if (r->peak_rss) {
		fmt_bytes(a, sizeof(a), r->peak_rss);
		fprintf(f, "  memory peak     %10s\n", a);
	}
	if (r->superseded)
		fprintf(f, "  superseded      %10llu  (entries a later one replaces, itself or a directory of its path)\n",
			(unsigned long long)r->superseded);
	fmt_bytes(a, sizeof(a), r->bytes_before);
	fmt_bytes(b, sizeof(b), r->bytes_before - saved);
	fprintf(f, "  bytes           %s -> %s, ", a, b);
	print_change(f, r->bytes_before, r->bytes_before - saved, r->dry_run);
}

static void table_layer(const struct report *r, FILE *f)
{
	char a[32], b[32], p[16];

	fmt_bytes(a, sizeof(a), r->tar_before);
	fmt_bytes(b, sizeof(b), r->tar_after);
	if (!r->tar_before && !r->comp_before) { /* a tree in: no sizes before */
		fmt_bytes(a, sizeof(a), r->comp_after);
		fprintf(f, "  layer (tar)     %s (packed from a tree)\n", b);
		fprintf(f, "  file (packed)   %s\n", a);
		return;
	}
	if (r->tar_before || r->tar_after)
		fprintf(f, "  layer (tar)     %s -> %s\n", a, b);
	fmt_bytes(a, sizeof(a), r->comp_before);
	fmt_bytes(b, sizeof(b), r->comp_after);
	fprintf(f, "  file (packed)   %s", a);
	if (r->codec_before && r->codec_after && strcmp(r->codec_before, r->codec_after) != 0)
		fprintf(f, " %s", r->codec_before);
	fprintf(f, " -> %s", b);
	if (r->codec_before && r->codec_after)
		fprintf(f, strcmp(r->codec_before, r->codec_after) == 0 ? ", both %s" : " %s",
			r->codec_after);
	if (r->comp_after > r->comp_before) {
		fmt_bytes(a, sizeof(a), r->comp_after - r->comp_before);
		pct(p, sizeof(p), r->comp_after - r->comp_before, r->comp_before);
		fprintf(f, " (grew by %s, %s", a, p);
	} else {
		pct(p, sizeof(p), r->comp_before - r->comp_after, r->comp_before);
		fprintf(f, " (%s smaller", p);
	}
	/* not like with like: say so, the codec's share is in the number */
	if (r->codec_before && r->codec_after && strcmp(r->codec_before, r->codec_after) != 0)
		fprintf(f, ", the change of compression included");
	fprintf(f, ")\n");
}

/* ---- the lists ------------------------------------------------------------ */

static void table_top(const struct report *r, FILE *f, int verbose)
{
	struct buf path = BUF_INIT;
	size_t idx[REPORT_TOP], n, i;
	char a[32], b[32], c[32];

	n = report_top_changes(r, idx, REPORT_TOP);
	if (!n)
		return;
	fprintf(f, "\n%s\n", verbose ? "largest savings" : "largest savings (-v lists all)");
	fprintf(f, "  %10s %10s %10s  %s\n", "saved", "before", "after", "path");
	for (i = 0; i < n; i++) {
		const struct report_change *ch = &r->changes[idx[i]];
		fmt_bytes(a, sizeof(a), ch->before - ch->after);
		fmt_bytes(b, sizeof(b), ch->before);
		fmt_bytes(c, sizeof(c), ch->after);
		fprintf(f, "  %10s %10s %10s  %s\n", a, b, c, esc(&path, ch->path));
	}
	buf_release(&path);
}

/* --cuda-arch: what was removed, and the containers left whole. */
static void table_cuda(const struct report *r, FILE *f)
{
	char a[32], arch[16];
	size_t i;

	fmt_bytes(a, sizeof(a), r->gpu_removed.bytes);
	fprintf(f, "  --cuda-arch ");
	for (i = 0; i < r->cuda.n; i++) {
		fatbin_arch_str(arch, sizeof(arch), r->cuda.arch[i], 0);
		fprintf(f, "%s%s", i ? "," : "", arch);
	}
	fprintf(f, "%s: %s %s (zero-filled inside %llu container%s: disk use and compressed size "
		   "drop, file sizes stay)\n",
		r->cuda.no_ptx ? " --cuda-ptx none" : "", r->dry_run ? "would remove" : "removed", a,
		(unsigned long long)r->gpu_pruned, r->gpu_pruned == 1 ? "" : "s");
	if (r->gpu_whole)
		fprintf(f, "  %llu container%s left whole: nothing in them for a listed GPU\n",
			(unsigned long long)r->gpu_whole, r->gpu_whole == 1 ? "" : "s");
	if (r->gpu_failed)
		fprintf(f, "  %llu container%s left whole: the check after compacting failed\n",
			(unsigned long long)r->gpu_failed, r->gpu_failed == 1 ? "" : "s");
}

/* GPU code by architecture: one line a kind and architecture, and how many
 * files carry some. */
static void table_gpu(const struct report *r, FILE *f)
{
	char arch[16], a[32], p[16];
	size_t i;

	fmt_bytes(a, sizeof(a), r->gpu.bytes);
	fprintf(f, "\nGPU code by architecture (%s in %zu file%s%s)\n", a, r->ngpu_files,
		r->ngpu_files == 1 ? "" : "s",
		r->gpu.incomplete ? "; some files only partly read" : "");
	fprintf(f, "  %-10s %-6s %8s %10s %7s%s\n", "arch", "kind", "entries", "bytes", "share",
		r->cuda.n ? (r->dry_run ? "  would remove" : "     removed") : "");
	for (i = 0; i < r->gpu.nrows; i++) {
		const struct fatbin_row *x = &r->gpu.rows[i];
		fatbin_arch_str(arch, sizeof(arch), x->arch, x->variant);
		fmt_bytes(a, sizeof(a), x->bytes);
		pct(p, sizeof(p), x->bytes, r->gpu.bytes);
		fprintf(f, "  %-10s %-6s %8llu %10s %7s", arch,
			fatbin_kind_str((enum fatbin_kind)x->kind), (unsigned long long)x->entries, a,
			p);
		if (r->cuda.n) {
			fmt_bytes(a, sizeof(a), report_gpu_removed(&r->gpu_removed, x));
			fprintf(f, "  %12s", a);
		}
		fputc('\n', f);
	}
	if (r->cuda.n)
		table_cuda(r, f);
}

static void table_dups(const struct report *r, FILE *f)
{
	struct buf path = BUF_INIT;
	char a[32], b[32];
	size_t i;

	fprintf(f, "\nlargest duplicate groups\n  %10s %6s %10s  %s\n", "copy", "copies", "saved",
		"kept copy");
	for (i = 0; i < r->ndups && i < REPORT_TOP; i++) {
		const struct report_dup *d = &r->dups[i];
		fmt_bytes(a, sizeof(a), d->size);
		fmt_bytes(b, sizeof(b), d->linked ? d->size * d->files : 0);
		fprintf(f, "  %10s %6llu %10s  %s%s\n", a, (unsigned long long)d->files, b,
			esc(&path, d->kept),
			d->elf ? " (ELF, not linked)" : d->linked ? "" : " (not linked)");
	}
	buf_release(&path);
}

/* -v: every change, every entry kept on purpose, every skip. */
static void table_verbose(const struct report *r, FILE *f)
{
	struct buf path = BUF_INIT;
	char a[32], b[32];
	size_t i;

	if (r->nchanges)
		fprintf(f, "\nchanged\n");
	for (i = 0; i < r->nchanges; i++) {
		const struct report_change *ch = &r->changes[i];
		fmt_bytes(a, sizeof(a), ch->before);
		fmt_bytes(b, sizeof(b), ch->after);
		fprintf(f, "  %-6s %10s -> %10s  %s\n", ch->pass, a, b, esc(&path, ch->path));
	}
	if (r->nkept)
		fprintf(f, "\nkept on purpose\n");
	for (i = 0; i < r->nkept; i++)
		fprintf(f, "  %-32s %s\n", r->kept[i].why, esc(&path, r->kept[i].path));
	if (r->nskips)
		fprintf(f, "\nskipped\n");
	for (i = 0; i < r->nskips; i++)
		fprintf(f, "  %-44s %s\n", skip_reason_str(r->skips[i].reason),
			esc(&path, r->skips[i].path));
	buf_release(&path);
}

void report_print_table(const struct report *r, FILE *f, int verbose)
{
	table_seen(r, f);
	if (r->rules_on)
		table_rules(r, f, verbose);
	if (r->dedup_on)
		table_dedup(r, f);
	if (r->archives)
		table_archives(r, f);
	table_totals(r, f);
	if (r->layer)
		table_layer(r, f);
	if (r->image)
		print_image_table(r, f);
	table_top(r, f, verbose);
	if (r->gpu.nrows)
		table_gpu(r, f);
	if (r->ndups)
		table_dups(r, f);
	if (verbose)
		table_verbose(r, f);
}

void report_print_errors(const struct report *r, FILE *f)
{
	struct buf path = BUF_INIT, msg = BUF_INIT;
	size_t i;

	/* the message quotes names from the input too: escaped as well */
	for (i = 0; i < r->nerrors; i++)
		fprintf(f, "slim: cannot process '%s': %s\n", esc(&path, r->errors[i].path),
			esc(&msg, r->errors[i].msg));
	buf_release(&path);
	buf_release(&msg);
}

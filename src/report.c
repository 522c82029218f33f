/* report.c - the report's data: what the passes add, merged, sorted and
 * summed.  Showing it is the presenters' part (report_text.c,
 * report_json.c, report_html.c); nothing here prints or escapes.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void report_init(struct report *r, bool dry_run)
{
	memset(r, 0, sizeof(*r));
	r->dry_run = dry_run;
}

void report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nroots; i++)
		free(r->roots[i]);
	free(r->roots);
	for (i = 0; i < r->nchanges; i++) {
		free(r->changes[i].path);
		free(r->changes[i].rule);
	}
	free(r->changes);
	for (i = 0; i < r->nrules; i++)
		free(r->rules[i].name);
	free(r->rules);
	for (i = 0; i < r->nkept; i++)
		free(r->kept[i].path);
	free(r->kept);
	for (i = 0; i < r->nskips; i++)
		free(r->skips[i].path);
	free(r->skips);
	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].path);
		free(r->errors[i].msg);
	}
	free(r->errors);
	for (i = 0; i < r->ndups; i++)
		free(r->dups[i].kept);
	free(r->dups);
	for (i = 0; i < r->nowners; i++) {
		free(r->owners[i].path);
		free(r->owners[i].name);
		free(r->owners[i].kind);
	}
	free(r->owners);
	for (i = 0; i < r->nilayers; i++) {
		free(r->ilayers[i].image);
		free(r->ilayers[i].digest_before);
		free(r->ilayers[i].digest_after);
	}
	free(r->ilayers);
	for (i = 0; i < r->npkgs; i++) {
		free(r->pkgs[i].name);
		free(r->pkgs[i].kind);
	}
	free(r->pkgs);
	for (i = 0; i < r->ndirsums; i++)
		free(r->dirsums[i].path);
	free(r->dirsums);
	for (i = 0; i < r->nbig; i++)
		free(r->big[i].path);
	for (i = 0; i < r->ngpu_files; i++) {
		free(r->gpu_files[i].path);
		free(r->gpu_files[i].rows);
		free(r->gpu_files[i].row_removed);
	}
	free(r->gpu_files);
	fatbin_summary_release(&r->gpu);
	fatbin_summary_release(&r->gpu_removed);
	memset(r, 0, sizeof(*r));
}

void report_add_root(struct report *r, const char *root)
{
	r->roots = xrealloc(r->roots, (r->nroots + 1) * sizeof(*r->roots));
	r->roots[r->nroots++] = xstrdup(root);
}

void report_seen(struct report *r, enum report_type t)
{
	r->seen++;
	switch (t) {
	case REPORT_REGULAR: r->regular++; break;
	case REPORT_DIR: r->dirs++; break;
	case REPORT_SYMLINK: r->symlinks++; break;
	default: r->other++; break;
	}
}

void report_bytes(struct report *r, uint64_t bytes)
{
	r->bytes_before += bytes;
}

void report_bytes_unseen(struct report *r, uint64_t bytes)
{
	r->bytes_before -= bytes;
}

void report_elf_seen(struct report *r)
{
	r->elf++;
}

void report_tmp_removed(struct report *r)
{
	r->tmp_removed++;
}

void report_dedup(struct report *r, const struct report_dedup *d)
{
	r->dup_groups += d->groups;
	r->dup_files_linked += d->files_linked;
	r->dup_bytes_saved += d->bytes_saved;
	r->dup_elf_groups += d->elf_groups;
	r->dup_elf_bytes += d->elf_bytes;
}

void report_set_layer(struct report *r)
{
	r->layer = true;
}

void report_superseded(struct report *r, uint64_t n)
{
	r->superseded += n;
}

void report_layer_sizes(struct report *r, uint64_t tar_before, uint64_t tar_after,
			uint64_t file_before, uint64_t file_after)
{
	r->tar_before += tar_before;
	r->tar_after += tar_after;
	r->comp_before += file_before;
	r->comp_after += file_after;
}

static const char *codec_join(const char *have, const char *add)
{
	return !have ? add : !add || strcmp(have, add) == 0 ? have : "mixed";
}

void report_layer_codecs(struct report *r, const char *before, const char *after)
{
	r->codec_before = codec_join(r->codec_before, before);
	r->codec_after = codec_join(r->codec_after, after);
}

void report_set_image(struct report *r)
{
	r->image = true;
}

void report_passes(struct report *r, bool rules, bool dedup)
{
	r->rules_on = rules;
	r->dedup_on = dedup;
}

void report_bytecode(struct report *r, uint64_t files)
{
	r->bytecode_removed += files;
}

void report_peak_rss(struct report *r, uint64_t bytes)
{
	r->peak_rss = bytes;
}

void report_change(struct report *r, const char *path, const char *pass, uint64_t before,
		   uint64_t after)
{
	struct report_change *c;

	xgrow(&r->changes, &r->capchanges, r->nchanges + 1, sizeof(*r->changes));
	c = &r->changes[r->nchanges++];
	c->path = xstrdup(path);
	c->pkg = REPORT_NO_PKG;
	c->pass = pass;
	c->before = before;
	c->after = after;
	c->rule = NULL;
	if (strcmp(pass, "strip") == 0) {
		r->strip.files++;
		r->strip.before += before;
		r->strip.after += after;
	}
}

void report_skip(struct report *r, const char *path, enum skip_reason why, uint64_t bytes)
{
	struct report_skip *s;

	xgrow(&r->skips, &r->capskips, r->nskips + 1, sizeof(*r->skips));
	s = &r->skips[r->nskips++];
	s->path = xstrdup(path);
	s->pkg = REPORT_NO_PKG;
	s->reason = why;
	s->bytes = bytes;
	if ((unsigned)why < SKIP__COUNT) {
		r->skip[why].files++;
		r->skip[why].bytes += bytes;
	}
}

void report_error(struct report *r, const char *path, const char *msg)
{
	struct report_error *e;

	xgrow(&r->errors, &r->caperrors, r->nerrors + 1, sizeof(*r->errors));
	e = &r->errors[r->nerrors++];
	e->path = xstrdup(path);
	e->msg = xstrdup(msg);
}

void report_archive(struct report *r, const struct strip_members *m, bool stripped)
{
	int k;

	r->archives++;
	r->archives_stripped += stripped;
	r->members.members += m->members;
	if (stripped) { /* else the output holds the members as they were */
		r->members.stripped += m->stripped;
		r->members.before += m->before;
		r->members.after += m->after;
	}
	for (k = 0; k < SKIP__COUNT; k++) {
		r->members.skip[k].files += m->skip[k].files;
		r->members.skip[k].bytes += m->skip[k].bytes;
	}
}

void report_removed(struct report *r, const char *path, const char *rule, uint64_t files,
		    uint64_t bytes)
{
	struct report_rule *x = NULL;
	size_t i;

	report_change(r, path, "rules", bytes, 0);
	r->changes[r->nchanges - 1].rule = xstrdup(rule);
	for (i = 0; i < r->nrules && !x; i++)
		if (strcmp(r->rules[i].name, rule) == 0)
			x = &r->rules[i];
	if (!x) {
		xgrow(&r->rules, &r->caprules, r->nrules + 1, sizeof(*r->rules));
		x = &r->rules[r->nrules++];
		x->name = xstrdup(rule);
		x->files = x->bytes = 0;
	}
	x->files += files;
	x->bytes += bytes;
}

void report_add_owner(struct report *r, const char *path, const char *name, const char *kind)
{
	struct report_owner *o;
	size_t i;

	/* RECORDs list each top-level name many times in a row.  Another
	 * owner of the path is kept: which one counts is the audit's choice
	 * (the least name), not the order the owners were read in. */
	for (i = r->nowners; i > 0 && i + 64 > r->nowners; i--) {
		const struct report_owner *w = &r->owners[i - 1];

		if (strcmp(w->path, path) == 0 && strcmp(w->name, name) == 0 &&
		    strcmp(w->kind, kind) == 0)
			return;
	}
	xgrow(&r->owners, &r->capowners, r->nowners + 1, sizeof(*r->owners));
	o = &r->owners[r->nowners++];
	o->path = xstrdup(path);
	o->name = xstrdup(name);
	o->kind = xstrdup(kind);
}

/* "PyYAML-6.0.1.dist-info" -> "PyYAML" */
static char *dist_name(const char *dir, size_t len)
{
	const char *dash = memchr(dir, '-', len);

	return strndup(dir, dash ? (size_t)(dash - dir) : len);
}

void report_owners_from_record(struct report *r, const char *record, const char *data, size_t len)
{
	const char *end = data + len, *line, *slash = strrchr(record, '/'), *info = NULL;
	struct buf top = BUF_INIT, path = BUF_INIT;
	size_t base;
	char *name;

	if (!slash)
		return;
	/* the dist-info directory and the directory that holds it */
	for (info = slash; info > record && info[-1] != '/'; info--)
		;
	name = dist_name(info, (size_t)(slash - info));
	if (!name)
		return;
	base = (size_t)(info - record); /* length of ".../site-packages/" */
	for (line = data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end, *p = line, *q;
		buf_setlen(&top, 0);
		if (*p == '"') { /* CSV quoting: "a,b.py",... */
			for (p++; p < stop && *p != '"'; p++)
				buf_addch(&top, *p);
		} else {
			for (q = p; q < stop && *q != ',' && *q != '/' && *q != '\r'; q++)
				;
			buf_add(&top, p, (size_t)(q - p));
		}
		/* keep the first component; skip paths that leave the directory */
		if (strchr(top.p, '/'))
			buf_setlen(&top, (size_t)(strchr(top.p, '/') - top.p));
		if (top.len && strcmp(top.p, "..") != 0 && strcmp(top.p, ".") != 0) {
			buf_setlen(&path, 0);
			buf_add(&path, record, base);
			buf_adds(&path, top.p);
			report_add_owner(r, path.p, name, "python");
		}
		line = nl ? nl + 1 : end;
	}
	free(name);
	buf_release(&top);
	buf_release(&path);
}

void report_owner_from_path(struct report *r, const char *path)
{
	const char *nm = NULL, *p = path, *name, *slash;
	struct buf b = BUF_INIT;

	/* the last "node_modules/" component */
	while ((p = strstr(p, "node_modules/"))) {
		if (p == path || p[-1] == '/')
			nm = p;
		p += 13;
	}
	if (!nm)
		return;
	name = nm + 13;
	slash = strchr(name, '/');
	if (*name == '@' && slash)
		slash = strchr(slash + 1, '/');
	if (slash || !*name || *name == '.')
		return; /* not the package directory itself */
	buf_add(&b, path, strlen(path));
	report_add_owner(r, b.p, name, "npm");
	buf_release(&b);
}

/* ---- the whole input's accounting ------------------------------------------ */

static const struct {
	const char *id, *label;
} fkinds[FKIND__COUNT] = {
	[FKIND_ELF] = { "elf", "ELF executables and libraries" },
	[FKIND_STATIC] = { "static_libs", "static libraries" },
	[FKIND_PYC] = { "python_bytecode", "Python byte code" },
	[FKIND_PY] = { "python_source", "Python source" },
	[FKIND_JS] = { "javascript", "JavaScript" },
	[FKIND_HEADERS] = { "headers", "headers" },
	[FKIND_DOCS] = { "docs", "docs" },
	[FKIND_LOCALE] = { "locale", "translations" },
	[FKIND_OTHER] = { "other", "other files" },
};

const char *report_fkind_id(enum report_fkind k)
{
	return (unsigned)k < FKIND__COUNT ? fkinds[k].id : "?";
}

const char *report_fkind_label(enum report_fkind k)
{
	return (unsigned)k < FKIND__COUNT ? fkinds[k].label : "?";
}

uint32_t report_pkg(struct report *r, const char *name, const char *kind)
{
	size_t i;

	/* a few thousand packages at most, each looked up once per input */
	for (i = 0; i < r->npkgs; i++)
		if (strcmp(r->pkgs[i].name, name) == 0 && strcmp(r->pkgs[i].kind, kind) == 0)
			return (uint32_t)i;
	xgrow(&r->pkgs, &r->cappkgs, r->npkgs + 1, sizeof(*r->pkgs));
	r->pkgs[r->npkgs].name = xstrdup(name);
	r->pkgs[r->npkgs].kind = xstrdup(kind);
	r->pkgs[r->npkgs].files = r->pkgs[r->npkgs].bytes = 0;
	return (uint32_t)r->npkgs++;
}

/* Added as they come; report_finish() sums the rows of one path. */
void report_dir_add(struct report *r, const char *path, unsigned depth, uint64_t files,
		    uint64_t bytes, uint64_t saved)
{
	struct report_dir *d;

	xgrow(&r->dirsums, &r->capdirsums, r->ndirsums + 1, sizeof(*r->dirsums));
	d = &r->dirsums[r->ndirsums++];
	d->path = xstrdup(path);
	d->depth = depth;
	d->files = files;
	d->bytes = bytes;
	d->saved = saved;
}

/* Largest first; a tie keeps the smaller path first (any thread count and
 * any order of offers give the same list). */
static bool big_before(uint64_t bytes, const char *path, const struct report_bigfile *b)
{
	return bytes != b->bytes ? bytes > b->bytes : strcmp(path, b->path) < 0;
}

void report_bigfile(struct report *r, const char *path, uint64_t bytes, uint64_t saved,
		    uint32_t pkg)
{
	size_t j;

	if (r->nbig == REPORT_BIG && !big_before(bytes, path, &r->big[REPORT_BIG - 1]))
		return;
	if (r->nbig == REPORT_BIG)
		free(r->big[--r->nbig].path);
	for (j = r->nbig; j > 0 && big_before(bytes, path, &r->big[j - 1]); j--)
		r->big[j] = r->big[j - 1];
	r->big[j].path = xstrdup(path);
	r->big[j].bytes = bytes;
	r->big[j].saved = saved;
	r->big[j].pkg = pkg;
	r->nbig++;
}

/* The accounting of report_merge: packages by (name, kind), the tags of
 * the changes and skips just merged (from change0 and skip0 on) mapped to
 * dst's packages. */
static void merge_accounting(struct report *d, const struct report *s, size_t change0,
			     size_t skip0)
{
	uint32_t *map = xmalloc((s->npkgs + 1) * sizeof(*map));
	size_t i;
	int k;

	d->accounted |= s->accounted;
	for (i = 0; i < s->npkgs; i++) {
		map[i] = report_pkg(d, s->pkgs[i].name, s->pkgs[i].kind);
		d->pkgs[map[i]].files += s->pkgs[i].files;
		d->pkgs[map[i]].bytes += s->pkgs[i].bytes;
	}
	for (i = change0; i < d->nchanges; i++)
		if (d->changes[i].pkg != REPORT_NO_PKG)
			d->changes[i].pkg = map[d->changes[i].pkg];
	for (i = skip0; i < d->nskips; i++)
		if (d->skips[i].pkg != REPORT_NO_PKG)
			d->skips[i].pkg = map[d->skips[i].pkg];
	for (i = 0; i < s->ndirsums; i++)
		report_dir_add(d, s->dirsums[i].path, s->dirsums[i].depth, s->dirsums[i].files,
			       s->dirsums[i].bytes, s->dirsums[i].saved);
	for (i = 0; i < s->nbig; i++)
		report_bigfile(d, s->big[i].path, s->big[i].bytes, s->big[i].saved,
			       map[s->big[i].pkg]);
	for (k = 0; k < FKIND__COUNT; k++) {
		d->fkind[k].files += s->fkind[k].files;
		d->fkind[k].bytes += s->fkind[k].bytes;
	}
	free(map);
}

void report_kept(struct report *r, const char *path, const char *why)
{
	xgrow(&r->kept, &r->capkept, r->nkept + 1, sizeof(*r->kept));
	r->kept[r->nkept].path = xstrdup(path);
	r->kept[r->nkept++].why = why;
}

void report_image_layer(struct report *r, const struct report_image_layer *l)
{
	struct report_image_layer *x;

	xgrow(&r->ilayers, &r->capilayers, r->nilayers + 1, sizeof(*r->ilayers));
	x = &r->ilayers[r->nilayers++];
	*x = *l;
	x->image = xstrdup(l->image ? l->image : "");
	x->digest_before = xstrdup(l->digest_before ? l->digest_before : "");
	x->digest_after = xstrdup(l->digest_after ? l->digest_after : "");
	r->image = true;
}

/* A record of path's GPU code, nothing removed yet; NULL when it has none. */
static struct report_gpu_file *gpu_add(struct report *r, const char *path,
				       const struct fatbin_row *rows, size_t nrows, uint64_t bytes)
{
	struct report_gpu_file *f;
	size_t i;

	if (nrows == 0)
		return NULL;
	xgrow(&r->gpu_files, &r->capgpu_files, r->ngpu_files + 1, sizeof(*r->gpu_files));
	f = &r->gpu_files[r->ngpu_files++];
	f->path = xstrdup(path);
	f->bytes = bytes;
	f->removed = 0;
	f->nrows = nrows;
	f->rows = xmalloc(nrows * sizeof(*rows));
	memcpy(f->rows, rows, nrows * sizeof(*rows));
	f->row_removed = xcalloc(nrows, sizeof(*f->row_removed));
	for (i = 0; i < nrows; i++)
		fatbin_summary_add_row(&r->gpu, &rows[i]);
	return f;
}

static void gpu_removed(struct report *r, const struct fatbin_summary *s, uint64_t pruned,
			uint64_t whole, uint64_t failed)
{
	size_t i;

	for (i = 0; i < s->nrows; i++)
		fatbin_summary_add_row(&r->gpu_removed, &s->rows[i]);
	r->gpu_pruned += pruned;
	r->gpu_whole += whole;
	r->gpu_failed += failed;
}

void report_gpu_code(struct report *r, const char *path, const struct fatbin_summary *s,
		     const struct fatbin_pruned *pruned)
{
	struct report_gpu_file *f = gpu_add(r, path, s->rows, s->nrows, s->bytes);
	size_t i;

	if (f && pruned) {
		f->removed = pruned->removed.bytes;
		for (i = 0; i < f->nrows; i++)
			f->row_removed[i] = report_gpu_removed(&pruned->removed, &f->rows[i]);
	}
	r->gpu.containers += s->containers;
	r->gpu.incomplete |= s->incomplete;
	if (pruned)
		gpu_removed(r, &pruned->removed, pruned->containers, pruned->whole, pruned->failed);
}

void report_cuda_targets(struct report *r, const struct cuda_targets *t)
{
	r->cuda = *t;
}

uint64_t report_gpu_removed(const struct fatbin_summary *removed, const struct fatbin_row *x)
{
	size_t i;

	for (i = 0; i < removed->nrows; i++)
		if (fatbin_row_cmp(&removed->rows[i], x) == 0)
			return removed->rows[i].bytes;
	return 0;
}

/* The counters of report_merge. */
static void merge_counts(struct report *d, const struct report *s, bool kept)
{
	int k;

	d->seen += s->seen;
	d->regular += s->regular;
	d->dirs += s->dirs;
	d->symlinks += s->symlinks;
	d->other += s->other;
	d->elf += s->elf;
	d->bytes_before += s->bytes_before;
	d->tmp_removed += s->tmp_removed;
	for (k = 0; k < SKIP__COUNT; k++) {
		d->skip[k].files += s->skip[k].files;
		d->skip[k].bytes += s->skip[k].bytes;
		d->members.skip[k].files += s->members.skip[k].files;
		d->members.skip[k].bytes += s->members.skip[k].bytes;
	}
	d->archives += s->archives;
	d->members.members += s->members.members;
	d->dup_elf_groups += s->dup_elf_groups;
	d->dup_elf_bytes += s->dup_elf_bytes;
	d->layer |= s->layer;
	d->tar_before += s->tar_before;
	d->comp_before += s->comp_before;
	/* a kept layer is in the output as it was */
	d->tar_after += kept ? s->tar_before : s->tar_after;
	d->comp_after += kept ? s->comp_before : s->comp_after;
	d->codec_before = codec_join(d->codec_before, s->codec_before);
	d->codec_after = codec_join(d->codec_after, kept ? s->codec_before : s->codec_after);
	if (kept)
		return;
	d->strip.files += s->strip.files;
	d->strip.before += s->strip.before;
	d->strip.after += s->strip.after;
	d->archives_stripped += s->archives_stripped;
	d->members.stripped += s->members.stripped;
	d->members.before += s->members.before;
	d->members.after += s->members.after;
	d->superseded += s->superseded;
	d->dup_files_linked += s->dup_files_linked;
	d->dup_bytes_saved += s->dup_bytes_saved;
}

/* The changes and removal rules of report_merge (not for a kept layer). */
static void merge_changes(struct report *d, const struct report *s)
{
	struct report_rule *x;
	size_t i, k;

	for (i = 0; i < s->nchanges; i++) {
		const struct report_change *c = &s->changes[i];
		xgrow(&d->changes, &d->capchanges, d->nchanges + 1, sizeof(*d->changes));
		d->changes[d->nchanges] = *c;
		d->changes[d->nchanges].path = xstrdup(c->path);
		d->changes[d->nchanges++].rule = c->rule ? xstrdup(c->rule) : NULL;
	}
	d->bytecode_removed += s->bytecode_removed;
	for (i = 0; i < s->nrules; i++) {
		for (k = 0; k < d->nrules && strcmp(d->rules[k].name, s->rules[i].name) != 0; k++)
			;
		if (k == d->nrules) {
			xgrow(&d->rules, &d->caprules, d->nrules + 1, sizeof(*d->rules));
			d->rules[d->nrules].name = xstrdup(s->rules[i].name);
			d->rules[d->nrules].files = d->rules[d->nrules].bytes = 0;
			d->nrules++;
		}
		x = &d->rules[k];
		x->files += s->rules[i].files;
		x->bytes += s->rules[i].bytes;
	}
}

void report_merge(struct report *dst, const struct report *src, bool kept)
{
	size_t i, change0 = dst->nchanges, skip0 = dst->nskips;

	merge_counts(dst, src, kept);
	if (!kept)
		merge_changes(dst, src);
	for (i = 0; i < src->nskips; i++) {
		xgrow(&dst->skips, &dst->capskips, dst->nskips + 1, sizeof(*dst->skips));
		dst->skips[dst->nskips] = src->skips[i];
		dst->skips[dst->nskips++].path = xstrdup(src->skips[i].path);
	}
	merge_accounting(dst, src, change0, skip0);
	for (i = 0; i < src->nerrors; i++)
		report_error(dst, src->errors[i].path, src->errors[i].msg);
	for (i = 0; i < src->nowners; i++)
		report_add_owner(dst, src->owners[i].path, src->owners[i].name, src->owners[i].kind);
	for (i = 0; i < src->nkept; i++)
		report_kept(dst, src->kept[i].path, src->kept[i].why);
	for (i = 0; i < src->ndups; i++) {
		const struct report_dup *g = &src->dups[i];
		if (kept && g->linked)
			continue; /* the output has no such link */
		report_dup(dst, g->kept, g->size, g->files, g->linked, g->elf);
		dst->dup_groups++;
	}
	for (i = 0; i < src->nilayers; i++)
		report_image_layer(dst, &src->ilayers[i]);
	/* a kept layer's GPU code is in the output as well */
	for (i = 0; i < src->ngpu_files; i++) {
		const struct report_gpu_file *g = &src->gpu_files[i];
		struct report_gpu_file *f = gpu_add(dst, g->path, g->rows, g->nrows, g->bytes);
		if (!f)
			continue;
		f->removed = g->removed;
		memcpy(f->row_removed, g->row_removed, g->nrows * sizeof(*g->row_removed));
	}
	dst->gpu.containers += src->gpu.containers;
	dst->gpu.incomplete |= src->gpu.incomplete;
	if (!dst->cuda.n)
		dst->cuda = src->cuda;
	gpu_removed(dst, &src->gpu_removed, src->gpu_pruned, src->gpu_whole, src->gpu_failed);
}

void report_image_totals(const struct report *r, struct report_image_layer *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < r->nilayers; i++) {
		const struct report_image_layer *l = &r->ilayers[i];
		if (l->shared)
			continue;
		t->tar_before += l->tar_before;
		t->tar_after += l->tar_after;
		t->blob_before += l->blob_before;
		t->blob_after += l->blob_after;
		t->waste += l->waste;
		t->strip_saved += l->strip_saved;
		t->rules_saved += l->rules_saved;
		t->dedup_saved += l->dedup_saved;
	}
}

uint64_t report_rules_bytes(const struct report *r)
{
	uint64_t b = 0;
	size_t i;

	for (i = 0; i < r->nrules; i++)
		b += r->rules[i].bytes;
	return b;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct report_rule *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct report_kept *)a)->path, ((const struct report_kept *)b)->path);
}

void report_dup(struct report *r, const char *kept, uint64_t size, uint64_t files, bool linked,
		bool elf)
{
	struct report_dup *d;

	xgrow(&r->dups, &r->capdups, r->ndups + 1, sizeof(*r->dups));
	d = &r->dups[r->ndups++];
	d->kept = xstrdup(kept);
	d->size = size;
	d->files = files;
	d->linked = linked;
	d->elf = elf;
}

/* Largest groups first (bytes of the copies); ties in path order. */
static int cmp_dup(const void *a, const void *b)
{
	const struct report_dup *x = a, *y = b;
	uint64_t sx = x->size * x->files, sy = y->size * y->files;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp(x->kept, y->kept);
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct report_change *)a)->path,
		      ((const struct report_change *)b)->path);
}

static int cmp_skip(const void *a, const void *b)
{
	return strcmp(((const struct report_skip *)a)->path, ((const struct report_skip *)b)->path);
}

static int cmp_gpu_file(const void *a, const void *b)
{
	return strcmp(((const struct report_gpu_file *)a)->path,
		      ((const struct report_gpu_file *)b)->path);
}

static int cmp_error(const void *a, const void *b)
{
	const struct report_error *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : strcmp(x->msg, y->msg);
}

static int cmp_dirsum(const void *a, const void *b)
{
	return strcmp(((const struct report_dir *)a)->path, ((const struct report_dir *)b)->path);
}

/* Sort the directory rows by path and sum the rows of one path. */
static void finish_dirs(struct report *r)
{
	size_t i, n = 0;

	if (!r->ndirsums)
		return;
	qsort(r->dirsums, r->ndirsums, sizeof(*r->dirsums), cmp_dirsum);
	for (i = 0; i < r->ndirsums; i++) {
		struct report_dir *d = &r->dirsums[i];
		if (n && strcmp(r->dirsums[n - 1].path, d->path) == 0) {
			r->dirsums[n - 1].files += d->files;
			r->dirsums[n - 1].bytes += d->bytes;
			r->dirsums[n - 1].saved += d->saved;
			free(d->path);
		} else {
			r->dirsums[n++] = *d;
		}
	}
	r->ndirsums = n;
}

void report_finish(struct report *r)
{
	finish_dirs(r);
	if (r->nchanges)
		qsort(r->changes, r->nchanges, sizeof(*r->changes), cmp_change);
	if (r->nskips)
		qsort(r->skips, r->nskips, sizeof(*r->skips), cmp_skip);
	if (r->nerrors)
		qsort(r->errors, r->nerrors, sizeof(*r->errors), cmp_error);
	if (r->ndups)
		qsort(r->dups, r->ndups, sizeof(*r->dups), cmp_dup);
	if (r->nrules)
		qsort(r->rules, r->nrules, sizeof(*r->rules), cmp_rule);
	if (r->nkept)
		qsort(r->kept, r->nkept, sizeof(*r->kept), cmp_kept);
	if (r->ngpu_files)
		qsort(r->gpu_files, r->ngpu_files, sizeof(*r->gpu_files), cmp_gpu_file);
}

uint64_t report_saved(const struct report *r)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < r->nchanges; i++)
		s += r->changes[i].before - r->changes[i].after;
	return s;
}

/* An insertion into idx, kept sorted: changes are in path order, so a tie
 * keeps the earlier path first. */
size_t report_top_changes(const struct report *r, size_t *idx, size_t max)
{
	size_t n = 0, i, j;

	for (i = 0; i < r->nchanges; i++) {
		uint64_t s = r->changes[i].before - r->changes[i].after;
		if (r->changes[i].after > r->changes[i].before)
			continue; /* grew (a wheel's RECORD can): no saving */
		for (j = n; j > 0; j--) {
			const struct report_change *c = &r->changes[idx[j - 1]];
			if (c->before - c->after >= s)
				break;
			if (j < max)
				idx[j] = idx[j - 1];
		}
		if (j < max) {
			idx[j] = i;
			if (n < max)
				n++;
		}
	}
	return n;
}

#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "slim.h"

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

void report_set_image(struct report *r)
{
	r->image = true;
}

void report_passes(struct report *r, bool rules, bool dedup)
{
	r->rules_on = rules;
	r->dedup_on = dedup;
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
	r->members.stripped += m->stripped;
	r->members.before += m->before;
	r->members.after += m->after;
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

	for (i = r->nowners; i > 0 && i + 64 > r->nowners; i--)
		if (strcmp(r->owners[i - 1].path, path) == 0)
			return; /* RECORDs list each top-level name many times in a row */
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
	size_t i;

	merge_counts(dst, src, kept);
	if (!kept)
		merge_changes(dst, src);
	for (i = 0; i < src->nskips; i++) {
		xgrow(&dst->skips, &dst->capskips, dst->nskips + 1, sizeof(*dst->skips));
		dst->skips[dst->nskips] = src->skips[i];
		dst->skips[dst->nskips++].path = xstrdup(src->skips[i].path);
	}
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
}

/* Image totals over the rows not shared with an earlier one. */
static void image_totals(const struct report *r, struct report_image_layer *t)
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

static int cmp_error(const void *a, const void *b)
{
	const struct report_error *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : strcmp(x->msg, y->msg);
}

void report_finish(struct report *r)
{
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
}

uint64_t report_saved(const struct report *r)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < r->nchanges; i++)
		s += r->changes[i].before - r->changes[i].after;
	return s;
}

/* Length of the valid UTF-8 sequence at s, or 0 if s starts an invalid one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static unsigned utf8_cp(const unsigned char *s, size_t n)
{
	unsigned cp = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Characters a terminal acts on or that reorder what is shown: C1 controls
 * (U+009B is a CSI in some terminals) and the bidirectional overrides. */
static bool hidden_control(const unsigned char *s, size_t n)
{
	unsigned cp = utf8_cp(s, n);

	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x61c;
}

void report_escape_text(struct buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_len(s);
		if (n == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			buf_addch(out, *s);
		} else if (*s == '\\') {
			buf_adds(out, "\\\\");
		} else if (*s == '\n') {
			buf_adds(out, "\\n");
		} else if (*s == '\t') {
			buf_adds(out, "\\t");
		} else if (n > 1 && !hidden_control(s, n)) {
			buf_add(out, s, n);
			s += n;
			continue;
		} else if (n > 1) { /* as its code point */
			buf_addf(out, "\\u%04x", utf8_cp(s, n));
			s += n;
			continue;
		} else {
			buf_addf(out, "\\x%02x", *s);
		}
		s++;
	}
}

void report_escape_json(struct buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	buf_addch(out, '"');
	while (*s) {
		size_t n = utf8_len(s);
		if (n > 1) {
			buf_add(out, s, n);
			s += n;
			continue;
		}
		if (n == 0)
			buf_addf(out, "\\udc%02x", *s);
		else if (*s == '"')
			buf_adds(out, "\\\"");
		else if (*s == '\\')
			buf_adds(out, "\\\\");
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else if (*s == '\t')
			buf_adds(out, "\\t");
		else if (*s == '\r')
			buf_adds(out, "\\r");
		else if (*s < 0x20 || *s == 0x7f)
			buf_addf(out, "\\u%04x", *s);
		else
			buf_addch(out, *s);
		s++;
	}
	buf_addch(out, '"');
}

/* Indices of the changes with the largest savings, biggest first; ties in
 * path order.  Returns the count (at most REPORT_TOP, or all if all). */
static size_t top_changes(const struct report *r, size_t *idx, size_t max)
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

static void pct(char *out, size_t n, uint64_t part, uint64_t whole)
{
	if (!whole)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* Image mode: one line per layer, then the totals. */
static void print_image_table(const struct report *r, FILE *f)
{
	struct report_image_layer t;
	char a[32], b[32], c[32], d[32], w[32], s1[32], s2[32], s3[32];
	struct buf label = BUF_INIT, dig = BUF_INIT;
	size_t i;

	fprintf(f, "\nimage layers%s\n", r->dry_run ? " (would become)" : "");
	fprintf(f, "  %-14s %3s %21s %21s %10s %10s %10s %10s  %s\n", "image", "#", "tar", "blob",
		"waste", "strip", "rules", "dedup", "blob digest");
	for (i = 0; i < r->nilayers; i++) {
		const struct report_image_layer *l = &r->ilayers[i];
		fmt_bytes(a, sizeof(a), l->tar_before);
		fmt_bytes(b, sizeof(b), l->tar_after);
		fmt_bytes(c, sizeof(c), l->blob_before);
		fmt_bytes(d, sizeof(d), l->blob_after);
		fmt_bytes(w, sizeof(w), l->waste);
		fmt_bytes(s1, sizeof(s1), l->strip_saved);
		fmt_bytes(s2, sizeof(s2), l->rules_saved);
		fmt_bytes(s3, sizeof(s3), l->dedup_saved);
		/* a tag or an archive path, from the input */
		buf_setlen(&label, 0);
		buf_setlen(&dig, 0);
		report_escape_text(&label, l->image ? l->image : "");
		report_escape_text(&dig, l->digest_before ? l->digest_before : "");
		fprintf(f, "  %-14.14s %3u %9s -> %9s %9s -> %9s %10s %10s %10s %10s  %.19s%s%s\n",
			label.p, l->index, a, b, c, d, w, s1, s2, s3, dig.p,
			l->kept ? " (kept)" : l->shared ? " (shared)" : "",
			l->kept || l->shared ? "" : " -> new");
	}
	image_totals(r, &t);
	fmt_bytes(a, sizeof(a), t.tar_before);
	fmt_bytes(b, sizeof(b), t.tar_after);
	fmt_bytes(c, sizeof(c), t.blob_before);
	fmt_bytes(d, sizeof(d), t.blob_after);
	fmt_bytes(w, sizeof(w), t.waste);
	fmt_bytes(s1, sizeof(s1), t.strip_saved);
	fmt_bytes(s2, sizeof(s2), t.rules_saved);
	fmt_bytes(s3, sizeof(s3), t.dedup_saved);
	fprintf(f, "  %-14s %3s %9s -> %9s %9s -> %9s %10s %10s %10s %10s\n", "total", "", a, b, c, d,
		w, s1, s2, s3);
	buf_release(&label);
	buf_release(&dig);
}

void report_print_table(const struct report *r, FILE *f, int verbose)
{
	char a[32], b[32], c[32], p[16];
	struct buf path = BUF_INIT;
	uint64_t saved = report_saved(r), skipped = 0;
	size_t idx[REPORT_TOP], n, i;
	int k;

	for (k = 0; k < SKIP__COUNT; k++)
		skipped += r->skip[k].files;
	fprintf(f, "slim %s%s\n", SLIM_VERSION, r->dry_run ? " (dry run: nothing was changed)" : "");
	fprintf(f, "  files seen      %10llu  (%llu regular, %llu directories, %llu symlinks, %llu other)\n",
		(unsigned long long)r->seen, (unsigned long long)r->regular,
		(unsigned long long)r->dirs, (unsigned long long)r->symlinks,
		(unsigned long long)r->other);
	fprintf(f, "  ELF and ar files%10llu\n", (unsigned long long)r->elf);
	fmt_bytes(a, sizeof(a), r->strip.before);
	fmt_bytes(b, sizeof(b), r->strip.after);
	fprintf(f, "  %-15s %10llu  (%s -> %s)\n", r->dry_run ? "would strip" : "stripped",
		(unsigned long long)r->strip.files, a, b);
	fprintf(f, "  skipped         %10llu\n", (unsigned long long)skipped);
	for (k = 1; k < SKIP__COUNT; k++) {
		if (!r->skip[k].files)
			continue;
		fmt_bytes(a, sizeof(a), r->skip[k].bytes);
		fprintf(f, "    %-44s %6llu  %10s\n", skip_reason_str((enum skip_reason)k),
			(unsigned long long)r->skip[k].files, a);
	}
	if (r->rules_on) {
		uint64_t files = 0;
		for (i = 0; i < r->nrules; i++)
			files += r->rules[i].files;
		fmt_bytes(a, sizeof(a), report_rules_bytes(r));
		fprintf(f, "  %-15s %10llu  (%s)\n", r->dry_run ? "would remove" : "removed",
			(unsigned long long)files, a);
		for (i = 0; i < r->nrules; i++) {
			fmt_bytes(a, sizeof(a), r->rules[i].bytes);
			buf_setlen(&path, 0);
			report_escape_text(&path, r->rules[i].name);
			fprintf(f, "    %-44s %6llu  %10s\n", path.p,
				(unsigned long long)r->rules[i].files, a);
		}
		if (r->nkept)
			fprintf(f, "    %-44s %6zu%s\n", "kept on purpose", r->nkept,
				verbose ? "" : "  (-v lists them)");
	}
	if (r->dedup_on) {
		fmt_bytes(a, sizeof(a), r->dup_bytes_saved);
		fprintf(f, "  %-15s %10llu  (in %llu groups, %s)\n",
			r->dry_run ? "would link" : "linked", (unsigned long long)r->dup_files_linked,
			(unsigned long long)(r->dup_groups - r->dup_elf_groups), a);
		if (r->dup_elf_groups) {
			fmt_bytes(a, sizeof(a), r->dup_elf_bytes);
			fprintf(f, "    %-44s %6llu  %10s\n",
				"ELF shared object groups left (--dedup-elf)",
				(unsigned long long)r->dup_elf_groups, a);
		}
	}
	if (r->archives) {
		fmt_bytes(a, sizeof(a), r->members.before);
		fmt_bytes(b, sizeof(b), r->members.after);
		fprintf(f, "  archives        %10llu  (%llu stripped; members: %llu, %llu stripped %s -> %s)\n",
			(unsigned long long)r->archives, (unsigned long long)r->archives_stripped,
			(unsigned long long)r->members.members, (unsigned long long)r->members.stripped,
			a, b);
		for (k = 1; k < SKIP__COUNT; k++) {
			if (!r->members.skip[k].files)
				continue;
			fmt_bytes(a, sizeof(a), r->members.skip[k].bytes);
			fprintf(f, "    members %-36s %6llu  %10s\n", skip_reason_str((enum skip_reason)k),
				(unsigned long long)r->members.skip[k].files, a);
		}
	}
	fprintf(f, "  errors          %10llu\n", (unsigned long long)r->nerrors);
	audit_print_table_groups(r, f);
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
	fmt_bytes(c, sizeof(c), saved);
	pct(p, sizeof(p), saved, r->bytes_before);
	fprintf(f, "  bytes           %s -> %s, %s %s (%s)\n", a, b,
		r->dry_run ? "would save" : "saved", c, p);
	if (r->layer) {
		fmt_bytes(a, sizeof(a), r->tar_before);
		fmt_bytes(b, sizeof(b), r->tar_after);
		if (r->tar_before || r->tar_after)
			fprintf(f, "  layer (tar)     %s -> %s\n", a, b);
		fmt_bytes(a, sizeof(a), r->comp_before);
		fmt_bytes(b, sizeof(b), r->comp_after);
		pct(p, sizeof(p), r->comp_before > r->comp_after ? r->comp_before - r->comp_after : 0,
		    r->comp_before);
		fprintf(f, "  file (packed)   %s -> %s (%s smaller)\n", a, b, p);
	}
	if (r->image)
		print_image_table(r, f);

	n = top_changes(r, idx, REPORT_TOP);
	if (n) {
		fprintf(f, "\n%s\n", verbose ? "largest savings" : "largest savings (-v lists all)");
		fprintf(f, "  %10s %10s %10s  %s\n", "saved", "before", "after", "path");
		for (i = 0; i < n; i++) {
			const struct report_change *ch = &r->changes[idx[i]];
			fmt_bytes(a, sizeof(a), ch->before - ch->after);
			fmt_bytes(b, sizeof(b), ch->before);
			fmt_bytes(c, sizeof(c), ch->after);
			buf_setlen(&path, 0);
			report_escape_text(&path, ch->path);
			fprintf(f, "  %10s %10s %10s  %s\n", a, b, c, path.p);
		}
	}
	if (r->ndups) {
		fprintf(f, "\nlargest duplicate groups\n  %10s %6s %10s  %s\n", "copy", "copies",
			"saved", "kept copy");
		for (i = 0; i < r->ndups && i < REPORT_TOP; i++) {
			const struct report_dup *d = &r->dups[i];
			fmt_bytes(a, sizeof(a), d->size);
			fmt_bytes(b, sizeof(b), d->linked ? d->size * d->files : 0);
			buf_setlen(&path, 0);
			report_escape_text(&path, d->kept);
			fprintf(f, "  %10s %6llu %10s  %s%s\n", a, (unsigned long long)d->files, b, path.p,
				d->elf ? " (ELF, not linked)" : d->linked ? "" : " (not linked)");
		}
	}
	if (verbose && r->nchanges) {
		fprintf(f, "\nchanged\n");
		for (i = 0; i < r->nchanges; i++) {
			const struct report_change *ch = &r->changes[i];
			buf_setlen(&path, 0);
			report_escape_text(&path, ch->path);
			fprintf(f, "  %-6s %12llu -> %12llu  %s\n", ch->pass,
				(unsigned long long)ch->before, (unsigned long long)ch->after, path.p);
		}
	}
	if (verbose && r->nkept) {
		fprintf(f, "\nkept on purpose\n");
		for (i = 0; i < r->nkept; i++) {
			buf_setlen(&path, 0);
			report_escape_text(&path, r->kept[i].path);
			fprintf(f, "  %-32s %s\n", r->kept[i].why, path.p);
		}
	}
	if (verbose && r->nskips) {
		fprintf(f, "\nskipped\n");
		for (i = 0; i < r->nskips; i++) {
			buf_setlen(&path, 0);
			report_escape_text(&path, r->skips[i].path);
			fprintf(f, "  %-44s %s\n", skip_reason_str(r->skips[i].reason), path.p);
		}
	}
	buf_release(&path);
}

void report_print_errors(const struct report *r, FILE *f)
{
	struct buf path = BUF_INIT;
	size_t i;

	struct buf msg = BUF_INIT;

	/* the message quotes names from the input too: escaped as well */
	for (i = 0; i < r->nerrors; i++) {
		buf_setlen(&path, 0);
		buf_setlen(&msg, 0);
		report_escape_text(&path, r->errors[i].path);
		report_escape_text(&msg, r->errors[i].msg);
		fprintf(f, "slim: cannot process '%s': %s\n", path.p, msg.p);
	}
	buf_release(&path);
	buf_release(&msg);
}

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
	image_totals(r, &t);
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

void report_print_json(const struct report *r, FILE *f, int exit_status)
{
	struct buf j = BUF_INIT;
	uint64_t saved = report_saved(r);
	size_t idx[REPORT_TOP], n, i;

	buf_addf(&j, "{\n  \"schema_version\": %d,\n  \"slim_version\": \"%s\",\n",
		 REPORT_SCHEMA_VERSION, SLIM_VERSION);
	buf_addf(&j, "  \"dry_run\": %s,\n  \"exit_status\": %d,\n  \"roots\": [",
		 r->dry_run ? "true" : "false", exit_status);
	for (i = 0; i < r->nroots; i++) {
		if (i)
			buf_adds(&j, ", ");
		report_escape_json(&j, r->roots[i]);
	}
	buf_adds(&j, "],\n");
	buf_addf(&j,
		 "  \"totals\": {\"files_seen\": %llu, \"regular_files\": %llu, "
		 "\"directories\": %llu, \"symlinks\": %llu, \"other\": %llu, "
		 "\"elf_files\": %llu, \"errors\": %zu, \"temp_files_removed\": %llu, "
		 "\"peak_rss_bytes\": %llu, "
		 "\"bytes_before\": %llu, \"bytes_after\": %llu, \"bytes_saved\": %llu},\n",
		 (unsigned long long)r->seen, (unsigned long long)r->regular,
		 (unsigned long long)r->dirs, (unsigned long long)r->symlinks,
		 (unsigned long long)r->other, (unsigned long long)r->elf, r->nerrors,
		 (unsigned long long)r->tmp_removed, (unsigned long long)r->peak_rss, (unsigned long long)r->bytes_before,
		 (unsigned long long)(r->bytes_before - saved), (unsigned long long)saved);
	buf_addf(&j,
		 "  \"passes\": {\"strip\": {\"files_changed\": %llu, \"bytes_before\": %llu, "
		 "\"bytes_after\": %llu, \"bytes_saved\": %llu},\n"
		 "             \"rules\": {\"enabled\": %s, \"bytes_saved\": %llu},\n"
		 "             \"dedup\": {\"enabled\": %s, \"groups\": %llu, \"files_linked\": %llu, "
		 "\"bytes_saved\": %llu, \"elf_groups_unlinked\": %llu, \"elf_bytes_unlinked\": %llu}},\n",
		 (unsigned long long)r->strip.files, (unsigned long long)r->strip.before,
		 (unsigned long long)r->strip.after,
		 (unsigned long long)(r->strip.before - r->strip.after),
		 r->rules_on ? "true" : "false", (unsigned long long)report_rules_bytes(r),
		 r->dedup_on ? "true" : "false", (unsigned long long)r->dup_groups,
		 (unsigned long long)r->dup_files_linked, (unsigned long long)r->dup_bytes_saved,
		 (unsigned long long)r->dup_elf_groups, (unsigned long long)r->dup_elf_bytes);
	if (r->layer)
		buf_addf(&j,
			 "  \"layer\": {\"tar_bytes_before\": %llu, \"tar_bytes_after\": %llu, "
			 "\"file_bytes_before\": %llu, \"file_bytes_after\": %llu, \"superseded\": %llu},\n",
			 (unsigned long long)r->tar_before, (unsigned long long)r->tar_after,
			 (unsigned long long)r->comp_before, (unsigned long long)r->comp_after,
			 (unsigned long long)r->superseded);
	if (r->image)
		json_image(&j, r);
	buf_addf(&j,
		 "  \"archives\": {\"files\": %llu, \"stripped\": %llu, \"members\": %llu, "
		 "\"members_stripped\": %llu, \"members_bytes_before\": %llu, "
		 "\"members_bytes_after\": %llu, \"members_skipped\": ",
		 (unsigned long long)r->archives, (unsigned long long)r->archives_stripped,
		 (unsigned long long)r->members.members, (unsigned long long)r->members.stripped,
		 (unsigned long long)r->members.before, (unsigned long long)r->members.after);
	json_skips(&j, r->members.skip);
	buf_adds(&j, "},\n  \"skipped\": ");
	json_skips(&j, r->skip);
	buf_adds(&j, ",\n");
	audit_print_json_groups(r, &j);
	buf_adds(&j, "  \"largest_savings\": [");
	n = top_changes(r, idx, REPORT_TOP);
	for (i = 0; i < n; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		json_change(&j, &r->changes[idx[i]]);
	}
	buf_adds(&j, n ? "\n  ],\n  \"rules\": [" : "],\n  \"rules\": [");
	for (i = 0; i < r->nrules; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		buf_adds(&j, "{\"rule\": ");
		report_escape_json(&j, r->rules[i].name);
		buf_addf(&j, ", \"files\": %llu, \"bytes\": %llu}",
			 (unsigned long long)r->rules[i].files, (unsigned long long)r->rules[i].bytes);
	}
	buf_adds(&j, r->nrules ? "\n  ],\n  \"kept\": [" : "],\n  \"kept\": [");
	for (i = 0; i < r->nkept; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		buf_adds(&j, "{\"path\": ");
		report_escape_json(&j, r->kept[i].path);
		buf_addf(&j, ", \"why\": \"%s\"}", r->kept[i].why);
	}
	buf_adds(&j, r->nkept ? "\n  ],\n  \"duplicate_groups\": [" : "],\n  \"duplicate_groups\": [");
	for (i = 0; i < r->ndups; i++) {
		const struct report_dup *d = &r->dups[i];
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		buf_adds(&j, "{\"kept\": ");
		report_escape_json(&j, d->kept);
		buf_addf(&j, ", \"size\": %llu, \"copies\": %llu, \"linked\": %s, \"elf\": %s}",
			 (unsigned long long)d->size, (unsigned long long)d->files,
			 d->linked ? "true" : "false", d->elf ? "true" : "false");
	}
	buf_adds(&j, r->ndups ? "\n  ],\n  \"changes\": [" : "],\n  \"changes\": [");
	for (i = 0; i < r->nchanges; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		json_change(&j, &r->changes[i]);
	}
	buf_adds(&j, r->nchanges ? "\n  ],\n  \"skips\": [" : "],\n  \"skips\": [");
	for (i = 0; i < r->nskips; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		buf_adds(&j, "{\"path\": ");
		report_escape_json(&j, r->skips[i].path);
		buf_addf(&j, ", \"reason\": \"%s\", \"bytes\": %llu}",
			 skip_reason_id(r->skips[i].reason), (unsigned long long)r->skips[i].bytes);
	}
	buf_adds(&j, r->nskips ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");
	for (i = 0; i < r->nerrors; i++) {
		json_flush(&j, f, JSON_FLUSH_AT);
		buf_adds(&j, i ? ",\n    " : "\n    ");
		buf_adds(&j, "{\"path\": ");
		report_escape_json(&j, r->errors[i].path);
		buf_adds(&j, ", \"message\": ");
		report_escape_json(&j, r->errors[i].msg);
		buf_adds(&j, "}");
	}
	buf_adds(&j, r->nerrors ? "\n  ]\n}\n" : "]\n}\n");
	json_flush(&j, f, 0);
	buf_release(&j);
}

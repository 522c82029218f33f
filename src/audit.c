/* audit.c - a report grouped by package and by kind, printed as a table,
 * as JSON and as a self-contained HTML page with a treemap.
 *
 * The grouping is done once, here in C (audit_init); the page's script only
 * lays out and draws what it is given, so the three outputs agree.
 */
#include "audit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report_assets.h"
#include "slim.h"

#define AUDIT_TABLE_PACKAGES 10
#define STR_(x) #x
#define STR(x) STR_(x)
#define AUDIT_HTML_DUPS 20

static const struct {
	const char *id, *label;
} kinds[AUDIT__COUNT] = {
	[AUDIT_DEBUG] = { "debug_info", "debug info & symbols" },
	[AUDIT_BYTECODE] = { "byte_code", "byte code" },
	[AUDIT_TESTS] = { "tests", "tests" },
	[AUDIT_DUPS] = { "duplicates", "duplicates" },
	[AUDIT_FOREIGN] = { "foreign", "foreign binaries" },
	[AUDIT_DOCS] = { "docs", "docs" },
	[AUDIT_HEADERS] = { "headers", "headers" },
	[AUDIT_STATIC] = { "static_libs", "static libraries" },
	[AUDIT_NODE] = { "node", "node package extras" },
	[AUDIT_OTHER] = { "other_rules", "other rules" },
	[AUDIT_METADATA] = { "metadata", "package metadata (RECORD)" },
};

const char *audit_kind_id(enum audit_kind k)
{
	return (unsigned)k < AUDIT__COUNT ? kinds[k].id : "?";
}

const char *audit_kind_label(enum audit_kind k)
{
	return (unsigned)k < AUDIT__COUNT ? kinds[k].label : "?";
}

/* Rule names are "ORIGIN: PATTERN"; presets are origins. */
static bool from_preset(const char *rule, const char *preset)
{
	size_t n = strlen(preset);

	return strncmp(rule, preset, n) == 0 && rule[n] == ':' && rule[n + 1] == ' ';
}

enum audit_kind audit_kind_of(const char *pass, const char *rule)
{
	static const struct {
		const char *preset;
		enum audit_kind kind;
	} plain[] = {
		{ "foreign", AUDIT_FOREIGN }, { "docs", AUDIT_DOCS },
		{ "headers", AUDIT_HEADERS }, { "static-libs", AUDIT_STATIC },
	};
	size_t i;

	if (strcmp(pass, "strip") == 0)
		return AUDIT_DEBUG;
	if (strcmp(pass, "dedup") == 0)
		return AUDIT_DUPS;
	if (strcmp(pass, "record") == 0)
		return AUDIT_METADATA;
	if (!rule)
		return AUDIT_OTHER;
	if (from_preset(rule, "python")) {
		if (strstr(rule, "__pycache__") || strstr(rule, ".pyc"))
			return AUDIT_BYTECODE;
		return strstr(rule, "test") ? AUDIT_TESTS : AUDIT_OTHER;
	}
	if (from_preset(rule, "node") || from_preset(rule, "node-caution"))
		return strstr(rule, "test") ? AUDIT_TESTS : AUDIT_NODE;
	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (from_preset(rule, plain[i].preset))
			return plain[i].kind;
	/* --drop globs and rules files: what the user asked for, whatever it is */
	return AUDIT_OTHER;
}

/* ---- owners ------------------------------------------------------------- */

static int cmp_owner(const void *a, const void *b, void *ctx)
{
	const struct report_owner *o = ctx;
	const struct report_owner *x = &o[*(const size_t *)a], *y = &o[*(const size_t *)b];
	int c = strcmp(x->path, y->path);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->kind, y->kind);
	return c;
}

void audit_sort_owners(const struct report *r, size_t *idx)
{
	size_t i;

	for (i = 0; i < r->nowners; i++)
		idx[i] = i;
	if (r->nowners)
		qsort_r(idx, r->nowners, sizeof(*idx), cmp_owner, r->owners);
}

/* Compare the first n bytes of p (no NUL among them) with the string o. */
static int cmp_prefix(const char *p, size_t n, const char *o)
{
	int c = strncmp(p, o, n);

	if (c)
		return c;
	return o[n] ? -1 : 0;
}

/* The first owner (in idx order) whose path is exactly p[0, n), or -1. */
static long owner_exact(const struct report *r, const size_t *idx, const char *p, size_t n)
{
	size_t lo = 0, hi = r->nowners;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_prefix(p, n, r->owners[idx[mid]].path) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nowners && cmp_prefix(p, n, r->owners[idx[lo]].path) == 0)
		return (long)idx[lo];
	return -1;
}

long audit_owner_of(const struct report *r, const size_t *idx, const char *path)
{
	size_t n = strlen(path);
	long o;

	while (n > 0) {
		o = owner_exact(r, idx, path, n);
		if (o >= 0)
			return o;
		/* the next shorter prefix that ends before a '/' */
		while (n > 0 && path[n - 1] != '/')
			n--;
		while (n > 0 && path[n - 1] == '/')
			n--;
	}
	return -1;
}

/* ---- grouping ----------------------------------------------------------- */

struct grouping {
	const struct report *r;
	size_t *idx;     /* owners sorted by path */
	size_t *pkg_of;  /* owner -> package */
	size_t other;    /* the "(other)" package, or (size_t)-1 */
	size_t cappkgs, capitems;
};

static int cmp_owner_name(const void *a, const void *b, void *ctx)
{
	const struct report_owner *o = ctx;
	const struct report_owner *x = &o[*(const size_t *)a], *y = &o[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->kind, y->kind);
}

static size_t add_package(struct audit *a, struct grouping *g, const char *name,
			  const char *kind)
{
	struct audit_package *p;

	xgrow(&a->pkgs, &g->cappkgs, a->npkgs + 1, sizeof(*a->pkgs));
	p = &a->pkgs[a->npkgs];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->kind = kind;
	return a->npkgs++;
}

/* One package per distinct (name, kind) of the owners. */
static void make_packages(struct audit *a, struct grouping *g)
{
	const struct report *r = g->r;
	size_t *byname = xmalloc((r->nowners + 1) * sizeof(*byname));
	size_t i, cur = 0;

	audit_sort_owners(r, byname);
	if (r->nowners)
		qsort_r(byname, r->nowners, sizeof(*byname), cmp_owner_name, r->owners);
	for (i = 0; i < r->nowners; i++) {
		const struct report_owner *o = &r->owners[byname[i]];
		if (!i || cmp_owner_name(&byname[i - 1], &byname[i], r->owners) != 0)
			cur = add_package(a, g, o->name, o->kind);
		g->pkg_of[byname[i]] = cur;
	}
	free(byname);
}

/* Length of the part of path that the treemap does not show: the owner's
 * parent directory, or the root the path was given under. */
static size_t base_len(const struct report *r, const char *path, long owner)
{
	const char *s;
	size_t i, best = 0;

	if (owner >= 0) {
		s = strrchr(r->owners[owner].path, '/');
		return s ? (size_t)(s - r->owners[owner].path) + 1 : 0;
	}
	for (i = 0; i < r->nroots; i++) {
		size_t n = strlen(r->roots[i]);
		if (!n || strncmp(path, r->roots[i], n) != 0)
			continue;
		if (r->roots[i][n - 1] != '/' && path[n] == '/')
			n++;
		else if (r->roots[i][n - 1] != '/')
			continue; /* a single-file root, or only a common prefix */
		if (n > best)
			best = n;
	}
	return best;
}

static struct audit_item *new_item(struct audit *a, struct grouping *g, const char *path)
{
	long owner = audit_owner_of(g->r, g->idx, path);
	struct audit_item *it;

	xgrow(&a->items, &g->capitems, a->nitems + 1, sizeof(*a->items));
	it = &a->items[a->nitems++];
	memset(it, 0, sizeof(*it));
	it->path = path;
	it->base = base_len(g->r, path, owner);
	it->act = AUDIT_KEEP;
	it->kind = AUDIT_OTHER;
	it->reason = SKIP_NONE;
	if (owner >= 0) {
		it->pkg = g->pkg_of[owner];
	} else {
		if (g->other == (size_t)-1)
			g->other = add_package(a, g, "(other)", NULL);
		it->pkg = g->other;
	}
	return it;
}

static enum audit_action action_of(const char *pass)
{
	if (strcmp(pass, "rules") == 0)
		return AUDIT_REMOVE;
	if (strcmp(pass, "dedup") == 0)
		return AUDIT_LINK;
	return AUDIT_STRIP;
}

/* A removal or a link says what became of the whole file; a strip only
 * shrinks it, so it shows only when nothing else happened. */
static int action_rank(enum audit_action act)
{
	static const int rank[AUDIT__ACTIONS] = {
		[AUDIT_KEEP] = 0, [AUDIT_STRIP] = 1, [AUDIT_LINK] = 2, [AUDIT_REMOVE] = 3,
	};

	return rank[act];
}

static void item_add_change(struct audit *a, struct audit_item *it,
			    const struct report_change *c)
{
	enum audit_kind k = audit_kind_of(c->pass, c->rule);
	enum audit_action act = action_of(c->pass);
	uint64_t saved = c->before > c->after ? c->before - c->after : 0;

	if (c->before > it->size)
		it->size = c->before;
	it->saved += saved;
	if (action_rank(act) > action_rank(it->act)) {
		it->act = act;
		it->kind = k;
		it->rule = act == AUDIT_REMOVE ? c->rule : NULL;
	}
	a->pkgs[it->pkg].by_kind[k] += saved;
	a->kind_files[k]++;
	a->kind_bytes[k] += saved;
	a->saved += saved;
}

static int cmp_item_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct audit_item *)elem)->path);
}

static int cmp_item(const void *x, const void *y)
{
	return strcmp(((const struct audit_item *)x)->path, ((const struct audit_item *)y)->path);
}

/* Every change (same paths merged: the report sorted them), then every
 * skip that is not also a change. */
static void make_items(struct audit *a, struct grouping *g)
{
	const struct report *r = g->r;
	struct audit_item *it = NULL;
	size_t nchanged, i;

	for (i = 0; i < r->nchanges; i++) {
		const struct report_change *c = &r->changes[i];
		if (!it || strcmp(it->path, c->path) != 0)
			it = new_item(a, g, c->path);
		item_add_change(a, it, c);
	}
	nchanged = a->nitems;
	for (i = 0; i < r->nskips; i++) {
		const struct report_skip *s = &r->skips[i];
		if (nchanged && bsearch(s->path, a->items, nchanged, sizeof(*a->items), cmp_item_path))
			continue;
		it = new_item(a, g, s->path);
		it->size = s->bytes;
		it->reason = s->reason;
	}
	if (a->nitems > nchanged)
		qsort(a->items, a->nitems, sizeof(*a->items), cmp_item);
}

static int cmp_package(const void *x, const void *y, void *ctx)
{
	const struct audit_package *p = ctx;
	const struct audit_package *a = &p[*(const size_t *)x], *b = &p[*(const size_t *)y];
	int c;

	if (a->saved != b->saved)
		return a->saved > b->saved ? -1 : 1;
	if (a->listed != b->listed)
		return a->listed > b->listed ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return strcmp(a->kind ? a->kind : "", b->kind ? b->kind : "");
}

/* Sum the items into their packages, drop packages with no item, and sort. */
static void finish_packages(struct audit *a)
{
	size_t *ord = xmalloc((a->npkgs + 1) * sizeof(*ord));
	size_t *pos = xmalloc((a->npkgs + 1) * sizeof(*pos));
	struct audit_package *sorted = xcalloc(a->npkgs + 1, sizeof(*sorted));
	size_t i, n = 0;

	for (i = 0; i < a->nitems; i++) {
		struct audit_package *p = &a->pkgs[a->items[i].pkg];
		p->items++;
		p->changed += a->items[i].act != AUDIT_KEEP;
		p->listed += a->items[i].size;
		p->saved += a->items[i].saved;
	}
	for (i = 0; i < a->npkgs; i++)
		if (a->pkgs[i].items)
			ord[n++] = i;
	if (n)
		qsort_r(ord, n, sizeof(*ord), cmp_package, a->pkgs);
	for (i = 0; i < n; i++) {
		sorted[i] = a->pkgs[ord[i]];
		pos[ord[i]] = i;
	}
	for (i = 0; i < a->nitems; i++)
		a->items[i].pkg = pos[a->items[i].pkg];
	free(a->pkgs);
	a->pkgs = sorted;
	a->npkgs = n;
	free(ord);
	free(pos);
}

void audit_init(struct audit *a, const struct report *r)
{
	struct grouping g = { r, NULL, NULL, (size_t)-1, 0, 0 };
	size_t i;
	uint64_t listed = 0;

	memset(a, 0, sizeof(*a));
	g.idx = xmalloc((r->nowners + 1) * sizeof(*g.idx));
	g.pkg_of = xmalloc((r->nowners + 1) * sizeof(*g.pkg_of));
	audit_sort_owners(r, g.idx);
	make_packages(a, &g);
	make_items(a, &g);
	finish_packages(a);
	for (i = 0; i < a->nitems; i++)
		listed += a->items[i].size;
	a->unlisted = r->bytes_before > listed ? r->bytes_before - listed : 0;
	free(g.idx);
	free(g.pkg_of);
}

void audit_release(struct audit *a)
{
	free(a->pkgs);
	free(a->items);
	memset(a, 0, sizeof(*a));
}

/* ---- JSON and table ----------------------------------------------------- */

static void json_package(struct buf *j, const struct audit_package *p)
{
	bool first = true;
	int k;

	buf_adds(j, "{\"name\": ");
	report_escape_json(j, p->name);
	buf_adds(j, ", \"kind\": ");
	if (p->kind)
		report_escape_json(j, p->kind);
	else
		buf_adds(j, "null");
	buf_addf(j, ", \"paths\": %llu, \"changed\": %llu, \"bytes_listed\": %llu, "
		 "\"bytes_saved\": %llu, \"saved_by_kind\": {",
		 (unsigned long long)p->items, (unsigned long long)p->changed,
		 (unsigned long long)p->listed, (unsigned long long)p->saved);
	for (k = 0; k < AUDIT__COUNT; k++) {
		if (!p->by_kind[k])
			continue;
		buf_addf(j, "%s\"%s\": %llu", first ? "" : ", ", kinds[k].id,
			 (unsigned long long)p->by_kind[k]);
		first = false;
	}
	buf_adds(j, "}}");
}

void audit_print_json_groups(const struct report *r, struct buf *j)
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
			 k ? ",\n              " : "", kinds[k].id,
			 (unsigned long long)a.kind_files[k], (unsigned long long)a.kind_bytes[k]);
	buf_adds(j, "},\n");
	audit_release(&a);
}

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
		buf_addf(out, "%s%s %s", i ? ", " : "", kinds[best[i]].label, b);
	}
}

static void table_packages(const struct audit *a, FILE *f)
{
	struct buf name = BUF_INIT, what = BUF_INIT;
	size_t i, n = a->npkgs < AUDIT_TABLE_PACKAGES ? a->npkgs : AUDIT_TABLE_PACKAGES;
	char b[32];

	fprintf(f, "  by package      %10zu  (largest saving first%s)\n", a->npkgs,
		n < a->npkgs ? "; the first " STR(AUDIT_TABLE_PACKAGES) " shown" : "");
	for (i = 0; i < n; i++) {
		const struct audit_package *p = &a->pkgs[i];
		buf_setlen(&name, 0);
		buf_setlen(&what, 0);
		report_escape_text(&name, p->name);
		if (p->kind)
			buf_addf(&name, " (%s)", p->kind);
		main_kinds(&what, p);
		fmt_bytes(b, sizeof(b), p->saved);
		fprintf(f, "    %-44s %6llu  %10s%s%s\n", name.p, (unsigned long long)p->changed, b,
			what.len ? "  " : "", what.p);
	}
	buf_release(&name);
	buf_release(&what);
}

void audit_print_table_groups(const struct report *r, FILE *f)
{
	struct audit a;
	char b[32];
	int k;

	audit_init(&a, r);
	fprintf(f, "  by kind\n");
	for (k = 0; k < AUDIT__COUNT; k++) {
		if (!a.kind_files[k])
			continue;
		fmt_bytes(b, sizeof(b), a.kind_bytes[k]);
		fprintf(f, "    %-44s %6llu  %10s\n", kinds[k].label,
			(unsigned long long)a.kind_files[k], b);
	}
	/* "(other)" alone says nothing: no *.dist-info or node_modules seen */
	if (a.npkgs > 1 || (a.npkgs == 1 && a.pkgs[0].kind))
		table_packages(&a, f);
	audit_release(&a);
}

/* ---- escaping ----------------------------------------------------------- */

void audit_escape_html(struct buf *out, const char *s)
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

void audit_escape_script_json(struct buf *out, const char *s)
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
		 "\"comp_after\": %llu, \"image\": %s},\n",
		 (unsigned long long)r->bytes_before, (unsigned long long)a->saved,
		 (unsigned long long)a->unlisted, (unsigned long long)r->regular, r->nchanges,
		 r->nskips, r->nkept, r->nerrors, (unsigned long long)r->ndups, r->nowners,
		 r->layer ? "true" : "false", (unsigned long long)r->tar_before,
		 (unsigned long long)r->tar_after, (unsigned long long)r->comp_before,
		 (unsigned long long)r->comp_after, r->image ? "true" : "false");
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
		buf_addf(j, "%s[\"%s\", \"%s\"]", k ? ", " : "", kinds[k].id, kinds[k].label);
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
		buf_adds(j, "]]");
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
	size_t i, n = r->ndups < AUDIT_HTML_DUPS ? r->ndups : AUDIT_HTML_DUPS;

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

/* The page: style (assets/audit.css), body (assets/audit-body.html) and
 * script (assets/audit.js), embedded at build time (report_assets.h).  Data
 * goes in between, as JSON in a <script type="application/json"> element
 * that the script parses. */
static void html_data(struct buf *j, const struct report *r, const struct audit *a)
{
	buf_addf(j, "{\"version\": \"%s\", \"dry\": %s,\n", SLIM_VERSION,
		 r->dry_run ? "true" : "false");
	data_totals(j, r, a);
	data_names(j, r);
	data_packages(j, a);
	data_items(j, r, a);
	data_dups(j, r);
	buf_adds(j, "}");
}

static void html_head(struct buf *h, const struct report *r)
{
	struct buf roots = BUF_INIT;
	size_t i;

	for (i = 0; i < r->nroots; i++) {
		buf_adds(&roots, i ? " " : "");
		audit_escape_html(&roots, r->roots[i]);
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

void audit_print_html(const struct report *r, FILE *f)
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

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

/* The page: style, body and script.  Data goes in between, as JSON in a
 * <script type="application/json"> element that the script parses. */
static const char page_css[] =
	":root{--bg:#f4f6f8;--panel:#fff;--ink:#1f2933;--mute:#616e7c;--line:#e4e7eb;\n"
	"--keep:#9db4c0;--strip:#f2c14e;--remove:#e4572e;--link:#7b61d1;--unlisted:#e3e7eb;--pkg:#243447}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif}\n"
	"header{background:var(--pkg);color:#fff;padding:14px 24px 12px}\n"
	"header h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}\n"
	"header h1 span{font-weight:400;opacity:.75}\n"
	"header .sub{margin-top:2px;font-size:13px;opacity:.85;word-break:break-all}\n"
	".badge{display:inline-block;margin-left:8px;padding:1px 8px;border-radius:9px;background:#f2c14e;color:#243447;font-size:12px;font-weight:600;vertical-align:2px}\n"
	".wrap{padding:16px 24px 28px}\n"
	"#cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin-bottom:14px}\n"
	".card,.panel{background:var(--panel);border-radius:8px;box-shadow:0 1px 2px rgba(31,41,51,.08),0 0 0 1px rgba(31,41,51,.04)}\n"
	".card{padding:10px 14px}\n"
	".card .k{font-size:12px;text-transform:uppercase;letter-spacing:.6px;color:var(--mute)}\n"
	".card .v{font-size:24px;font-weight:600;margin-top:2px;white-space:nowrap}\n"
	".card .s{font-size:12.5px;color:var(--mute);margin-top:1px}\n"
	".card.good .v{color:#1c7c54}\n"
	".stack{display:flex;height:6px;border-radius:3px;overflow:hidden;background:var(--line);margin-top:7px}\n"
	".stack i{display:block;height:100%}\n"
	"main{display:grid;grid-template-columns:minmax(0,1.75fr) minmax(340px,1fr);gap:14px;align-items:start}\n"
	".panel{padding:12px 14px;min-width:0}\n"
	".panel h2{font-size:14px;margin:0 0 8px;font-weight:600}\n"
	".panel h2 small{font-weight:400;color:var(--mute)}\n"
	".bar{display:flex;align-items:baseline;gap:6px 12px;margin-bottom:4px}\n"
	".bar h2{margin:0;white-space:nowrap}\n"
	"#crumbs{font-size:13px;color:var(--mute);flex:1 1 auto;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n"
	"#crumbs a{color:#2f6fbd;cursor:pointer;text-decoration:none}\n"
	"#crumbs a:hover{text-decoration:underline}\n"
	"#legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px;color:#3e4c59;margin-bottom:8px}\n"
	"#legend span{white-space:nowrap}\n"
	".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}\n"
	"label.tg{font-size:12.5px;color:var(--mute);white-space:nowrap;cursor:pointer}\n"
	"#tm{position:relative;height:600px;border-radius:4px;overflow:hidden}\n"
	"#tm canvas{display:block;cursor:pointer}\n"
	"#tip{position:absolute;display:none;pointer-events:none;max-width:420px;background:rgba(22,30,40,.95);color:#fff;padding:7px 10px;border-radius:6px;font-size:12.5px;line-height:1.4;box-shadow:0 4px 14px rgba(0,0,0,.25);word-break:break-all;z-index:2}\n"
	"#tip b{display:block;font-weight:600;margin-bottom:2px}\n"
	"#tip .m{color:#c5ced8}\n"
	"aside{display:grid;gap:14px;min-width:0}\n"
	"table{width:100%;border-collapse:collapse;font-size:13px}\n"
	"th{font-weight:600;text-align:left;color:var(--mute);font-size:11.5px;text-transform:uppercase;letter-spacing:.4px;padding:3px 6px;border-bottom:1px solid var(--line);position:sticky;top:0;background:#fff}\n"
	"td{padding:4px 6px;border-bottom:1px solid #f0f2f4;vertical-align:top}\n"
	"td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	"td.p{word-break:break-all;font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px}\n"
	"tr.tot td{font-weight:600;border-top:1px solid var(--line)}\n"
	"td .sub{display:block;color:var(--mute);font-size:11.5px}\n"
	".hbar{height:8px;border-radius:2px;min-width:1px}\n"
	".mini{display:flex;height:8px;border-radius:2px;overflow:hidden;background:#eef1f4;width:64px;margin-top:4px}\n"
	".mini i{display:block;height:100%}\n"
	".tag{display:inline-block;font-size:10.5px;padding:0 5px;border-radius:7px;background:#e8eef4;color:#3e4c59;margin-left:5px;vertical-align:1px}\n"
	".scroll{max-height:330px;overflow-y:auto;overflow-x:hidden}\n"
	".grid2{display:grid;grid-template-columns:minmax(0,1.4fr) minmax(0,1fr);gap:14px;margin-top:14px}\n"
	".note{margin-top:14px;color:#3e4c59;font-size:13px}\n"
	".note p{margin:4px 0}\n"
	".empty{color:var(--mute);font-size:13px;padding:6px 0}\n"
	"@media (max-width:1000px){main,.grid2{grid-template-columns:minmax(0,1fr)}#cards{grid-template-columns:repeat(2,minmax(0,1fr))}}\n";

static const char page_body[] =
	"<div class=\"wrap\">\n"
	"<section id=\"cards\"></section>\n"
	"<main>\n"
	"<section class=\"panel\">\n"
	"<div class=\"bar\"><h2>Where the bytes are</h2><nav id=\"crumbs\"></nav><label class=\"tg\"><input type=\"checkbox\" id=\"unl\" checked> show unchanged files</label></div>\n"
	"<div id=\"legend\"></div>\n"
	"<div id=\"tm\"><canvas id=\"cv\"></canvas><div id=\"tip\"></div></div>\n"
	"</section>\n"
	"<aside>\n"
	"<section class=\"panel\"><h2>By kind</h2><table id=\"kinds\"></table></section>\n"
	"<section class=\"panel\"><h2>By package <small>largest saving first</small></h2><div class=\"scroll\"><table id=\"pkgs\"></table></div></section>\n"
	"</aside>\n"
	"</main>\n"
	"<div class=\"grid2\">\n"
	"<section class=\"panel\"><h2>Largest savings <small>files and removed directories</small></h2><table id=\"files\"></table></section>\n"
	"<section class=\"panel\"><h2>Largest duplicate groups</h2><table id=\"dups\"></table></section>\n"
	"</div>\n"
	"<section class=\"panel note\"><h2>What this page shows</h2>\n"
	"<p>Each rectangle of the chart is a path the report lists, sized by its bytes before slim and coloured by what slim does to it. Packages come from <code>*.dist-info/RECORD</code> and from <code>package.json</code> in <code>node_modules</code>; paths that no package claims are under &ldquo;(other)&rdquo;. A removed directory is one rectangle. Click a package or directory to zoom in.</p>\n"
	"<p>The report lists only the paths slim changes and the files it looked at and left alone (already stripped, not ELF, &hellip;). The other files, <span id=\"unl-bytes\"></span> in all, are one grey rectangle: how they split by package and directory is not known. A package&rsquo;s size here is the bytes of its listed paths, not the size of the whole package.</p>\n"
	"<p>A stripped file keeps its old size in the chart: slim removes its debug sections and symbol tables, not the file. Of a group of identical files, the first in path order stays and the others become hard links to it.</p>\n"
	"</section>\n"
	"<noscript><p>The chart and the tables are drawn by this page&rsquo;s script: allow JavaScript to see them, or use <code>slim --json</code>.</p></noscript>\n"
	"</div>\n";

static const char page_js[] =
	"(function () {\n"
	"\"use strict\";\n"
	"var D = JSON.parse(document.getElementById(\"slim-data\").textContent);\n"
	"var KEEP = 0, STRIP = 1, REMOVE = 2, LINK = 3, UNLISTED = 4;\n"
	"var COL = [\"#9db4c0\", \"#f2c14e\", \"#e4572e\", \"#7b61d1\", \"#e3e7eb\"];\n"
	"var PALE = \"#f8e2a6\";\n"
	"var ACT = [\"left alone\", \"shrunk by strip\", \"removed by a rule\", \"linked (duplicate)\",\n"
	"	\"unchanged, not listed\"];\n"
	"var W = D.dry ? \"would be \" : \"\";\n"
	"var T = D.totals;\n"
	"\n"
	"function fb(n) {\n"
	"	var u = [\"KiB\", \"MiB\", \"GiB\", \"TiB\", \"PiB\"], v = n / 1024, i = 0;\n"
	"	if (n < 1024)\n"
	"		return n + \" B\";\n"
	"	while (v >= 1024 && i < u.length - 1) {\n"
	"		v /= 1024;\n"
	"		i++;\n"
	"	}\n"
	"	return v.toFixed(1) + \" \" + u[i];\n"
	"}\n"
	"function pct(a, b) { return b ? (100 * a / b).toFixed(1) + \"%\" : \"\\u2013\"; }\n"
	"/* A path as people should see it: control bytes and bytes of invalid UTF-8\n"
	" * (\\udcXX, Python's surrogateescape) as \\xNN. */\n"
	"function shown(s) {\n"
	"	return String(s).replace(/[\\u0000-\\u001f\\u007f]|(?<![\\ud800-\\udbff])[\\udc80-\\udcff]/g,\n"
	"		function (c) {\n"
	"			var x = c.charCodeAt(0) & 0xff;\n"
	"			return \"\\\\x\" + (x < 16 ? \"0\" : \"\") + x.toString(16);\n"
	"		});\n"
	"}\n"
	"/* A path below the one root given, as the part below it (the header names it). */\n"
	"function short(p) {\n"
	"	var r = D.roots.length === 1 ? D.roots[0].replace(/\\/+$/, \"\") + \"/\" : null;\n"
	"	return shown(r && r !== \"/\" && p.indexOf(r) === 0 && p.length > r.length ?\n"
	"		p.slice(r.length) : p);\n"
	"}\n"
	"function el(tag, cls, text) {\n"
	"	var e = document.createElement(tag);\n"
	"	if (cls)\n"
	"		e.className = cls;\n"
	"	if (text !== undefined && text !== null)\n"
	"		e.textContent = text;\n"
	"	return e;\n"
	"}\n"
	"function td(text, cls) { return el(\"td\", cls, text); }\n"
	"function kindAct(k) { return k === 0 ? STRIP : k === 3 ? LINK : REMOVE; }\n"
	"function pkgName(p) { return shown(p[0]); }\n"
	"\n"
	"/* ---- the tree: package, directories, file ---- */\n"
	"function mk(name, kind, parent) {\n"
	"	return { name: name, kind: kind, parent: parent, v: 0, saved: 0, n: 0,\n"
	"		acts: [0, 0, 0, 0, 0], map: new Map(), kids: [], it: null };\n"
	"}\n"
	"function child(n, key, name, kind) {\n"
	"	var c = n.map.get(key);\n"
	"	if (!c) {\n"
	"		c = mk(name, kind, n);\n"
	"		n.map.set(key, c);\n"
	"	}\n"
	"	return c;\n"
	"}\n"
	"function add(n, it) {\n"
	"	n.v += it[3];\n"
	"	n.saved += it[4];\n"
	"	n.acts[it[5]] += it[3];\n"
	"	n.n++;\n"
	"}\n"
	"function finish(n) {\n"
	"	n.kids = Array.from(n.map.values());\n"
	"	n.map = null;\n"
	"	n.kids.forEach(finish);\n"
	"	/* one directory holding only one directory: show them as one */\n"
	"	while (n.kind === \"dir\" && n.kids.length === 1 && n.kids[0].kind === \"dir\") {\n"
	"		n.name += \"/\" + n.kids[0].name;\n"
	"		n.kids = n.kids[0].kids;\n"
	"		n.kids.forEach(function (k) { k.parent = n; });\n"
	"	}\n"
	"	n.kids.sort(function (a, b) { return b.v - a.v || (a.name < b.name ? -1 : 1); });\n"
	"}\n"
	"function build() {\n"
	"	var root = mk(\"all packages\", \"root\", null);\n"
	"	D.items.forEach(function (it) {\n"
	"		var pre = D.prefixes[it[1]], p = it[2], rel, parts, cur, i;\n"
	"		if (it[3] <= 0)\n"
	"			return;\n"
	"		rel = p.indexOf(pre) === 0 ? p.slice(pre.length) : p;\n"
	"		parts = rel.split(\"/\").filter(function (s) { return s.length > 0; });\n"
	"		if (!parts.length)\n"
	"			parts = [p];\n"
	"		add(root, it);\n"
	"		cur = child(root, \"p\" + it[0], pkgName(D.pkgs[it[0]]), \"pkg\");\n"
	"		cur.pkg = D.pkgs[it[0]];\n"
	"		add(cur, it);\n"
	"		for (i = 0; i < parts.length - 1; i++) {\n"
	"			cur = child(cur, \"d\" + parts[i], shown(parts[i]), \"dir\");\n"
	"			add(cur, it);\n"
	"		}\n"
	"		cur = child(cur, \"f\" + parts[i], shown(parts[i]), \"leaf\");\n"
	"		cur.it = it;\n"
	"		add(cur, it);\n"
	"	});\n"
	"	if (T.unlisted > 0) {\n"
	"		var u = child(root, \"u\", \"unchanged files, not listed\", \"unlisted\");\n"
	"		u.v = T.unlisted;\n"
	"		u.acts[UNLISTED] = T.unlisted;\n"
	"		root.v += T.unlisted;\n"
	"	}\n"
	"	finish(root);\n"
	"	return root;\n"
	"}\n"
	"\n"
	"/* ---- squarified treemap (Bruls, Huizing, van Wijk) ---- */\n"
	"function squarify(kids, x, y, w, h, cb) {\n"
	"	var total = 0, i = 0, n = kids.length, scale;\n"
	"	kids.forEach(function (k) { total += k.v; });\n"
	"	if (total <= 0 || w <= 0 || h <= 0)\n"
	"		return;\n"
	"	scale = w * h / total;\n"
	"	while (i < n) {\n"
	"		var side = Math.min(w, h), j = i, sum = 0, best = Infinity, lo = Infinity, hi = 0;\n"
	"		while (j < n) {\n"
	"			var a = kids[j].v * scale, s = sum + a;\n"
	"			var lo2 = Math.min(lo, a), hi2 = Math.max(hi, a);\n"
	"			var worst = Math.max(side * side * hi2 / (s * s), s * s / (side * side * lo2));\n"
	"			if (j > i && worst > best)\n"
	"				break;\n"
	"			best = worst;\n"
	"			sum = s;\n"
	"			lo = lo2;\n"
	"			hi = hi2;\n"
	"			j++;\n"
	"		}\n"
	"		var thick = sum / side, off = 0, k;\n"
	"		for (k = i; k < j; k++) {\n"
	"			var len = kids[k].v * scale / thick;\n"
	"			if (w >= h)\n"
	"				cb(kids[k], x, y + off, thick, len);\n"
	"			else\n"
	"				cb(kids[k], x + off, y, len, thick);\n"
	"			off += len;\n"
	"		}\n"
	"		if (w >= h) {\n"
	"			x += thick;\n"
	"			w -= thick;\n"
	"		} else {\n"
	"			y += thick;\n"
	"			h -= thick;\n"
	"		}\n"
	"		i = j;\n"
	"	}\n"
	"}\n"
	"\n"
	"var ROOT = build();\n"
	"var cv = document.getElementById(\"cv\"), ctx = cv.getContext(\"2d\");\n"
	"var box = document.getElementById(\"tm\"), tip = document.getElementById(\"tip\");\n"
	"var hits = [], zoom = [ROOT], withUnlisted = true;\n"
	"\n"
	"function visible(n) {\n"
	"	return n.kids.filter(function (k) { return withUnlisted || k.kind !== \"unlisted\"; });\n"
	"}\n"
	"function dominant(n) {\n"
	"	var best = 0, i;\n"
	"	for (i = 1; i < 5; i++)\n"
	"		if (n.acts[i] > n.acts[best])\n"
	"			best = i;\n"
	"	return best;\n"
	"}\n"
	"function text(s, x, y, maxw, color, bold) {\n"
	"	ctx.font = (bold ? \"600 \" : \"\") + \"12px system-ui, 'DejaVu Sans', sans-serif\";\n"
	"	ctx.fillStyle = color;\n"
	"	if (ctx.measureText(s).width > maxw) {\n"
	"		while (s.length > 1 && ctx.measureText(s + \"\\u2026\").width > maxw)\n"
	"			s = s.slice(0, -1);\n"
	"		s += \"\\u2026\";\n"
	"	}\n"
	"	if (maxw > 14)\n"
	"		ctx.fillText(s, x, y);\n"
	"}\n"
	"/* What stripping keeps of a file, in a paler shade along its long side. */\n"
	"function keptPart(it, x, y, w, h) {\n"
	"	var keep = 1 - it[4] / it[3];\n"
	"	ctx.fillStyle = PALE;\n"
	"	if (h >= w) {\n"
	"		var kh = Math.round(h * keep);\n"
	"		ctx.fillRect(x, y + h - kh, w, kh);\n"
	"	} else {\n"
	"		var kw = Math.round(w * keep);\n"
	"		ctx.fillRect(x + w - kw, y, kw, h);\n"
	"	}\n"
	"}\n"
	"function fillNode(n, x, y, w, h) {\n"
	"	var a = n.kind === \"unlisted\" ? UNLISTED : dominant(n), dark = a === REMOVE || a === LINK;\n"
	"	ctx.fillStyle = COL[a];\n"
	"	ctx.fillRect(x, y, Math.max(w - 1, 1), Math.max(h - 1, 1));\n"
	"	if (n.it && n.it[5] === STRIP && n.it[4] < n.it[3] && w > 2 && h > 2)\n"
	"		keptPart(n.it, x, y, w - 1, h - 1);\n"
	"	if (n.kind === \"unlisted\") {\n"
	"		if (w > 120 && h > 40) {\n"
	"			text(n.name, x + 8, y + 18, w - 16, \"#52606d\", true);\n"
	"			text(fb(n.v) + \" \\u2014 not split by package\", x + 8, y + 34, w - 16, \"#7b8794\");\n"
	"		}\n"
	"		return;\n"
	"	}\n"
	"	if (w > 44 && h > 16)\n"
	"		text(n.name, x + 4, y + 13, w - 8, dark ? \"#fff\" : \"#1f2933\", false);\n"
	"	if (w > 44 && h > 32)\n"
	"		text(fb(n.v), x + 4, y + 27, w - 8, dark ? \"rgba(255,255,255,.8)\" : \"rgba(31,41,51,.7)\");\n"
	"}\n"
	"function drawNode(n, x, y, w, h) {\n"
	"	var X = Math.round(x), Y = Math.round(y);\n"
	"	var Wd = Math.round(x + w) - X, Ht = Math.round(y + h) - Y, head, pad, label;\n"
	"	hits.push({ n: n, x: X, y: Y, w: Wd, h: Ht });\n"
	"	if (Wd < 1 || Ht < 1)\n"
	"		return;\n"
	"	if (!n.kids.length || Wd < 8 || Ht < 8) {\n"
	"		fillNode(n, X, Y, Wd, Ht);\n"
	"		return;\n"
	"	}\n"
	"	head = Wd > 40 && Ht > 36 ? 18 : 0;\n"
	"	pad = 2;\n"
	"	ctx.fillStyle = n.kind === \"pkg\" ? \"#243447\" : \"#cdd5dd\";\n"
	"	ctx.fillRect(X, Y, Wd - 1, Ht - 1);\n"
	"	ctx.fillStyle = \"#fff\";\n"
	"	ctx.fillRect(X + 1, Y + (head || 1), Wd - 3, Ht - (head || 1) - 2);\n"
	"	if (head) {\n"
	"		label = n.name + (n.kind === \"pkg\" && n.pkg[1] ? \" (\" + n.pkg[1] + \")\" : \"\") +\n"
	"			\"  \" + fb(n.v) + (n.saved ? \", saves \" + fb(n.saved) : \"\");\n"
	"		text(label, X + 5, Y + 13, Wd - 10, n.kind === \"pkg\" ? \"#fff\" : \"#243447\",\n"
	"			n.kind === \"pkg\");\n"
	"	}\n"
	"	squarify(n.kids, X + pad, Y + (head || pad), Wd - 2 * pad, Ht - (head || pad) - pad,\n"
	"		drawNode);\n"
	"}\n"
	"function draw() {\n"
	"	var w = box.clientWidth, h = box.clientHeight, dpr = window.devicePixelRatio || 1;\n"
	"	var top = zoom[zoom.length - 1];\n"
	"	cv.width = Math.round(w * dpr);\n"
	"	cv.height = Math.round(h * dpr);\n"
	"	cv.style.width = w + \"px\";\n"
	"	cv.style.height = h + \"px\";\n"
	"	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);\n"
	"	ctx.fillStyle = \"#fff\";\n"
	"	ctx.fillRect(0, 0, w, h);\n"
	"	hits = [];\n"
	"	squarify(visible(top), 0, 0, w, h, drawNode);\n"
	"	if (!hits.length)\n"
	"		text(\"nothing to show: no file was listed\", 12, 24, w - 24, \"#616e7c\");\n"
	"	crumbs();\n"
	"}\n"
	"function crumbs() {\n"
	"	var c = document.getElementById(\"crumbs\");\n"
	"	c.textContent = \"\";\n"
	"	zoom.forEach(function (n, i) {\n"
	"		if (i)\n"
	"			c.appendChild(document.createTextNode(\" \\u203a \"));\n"
	"		if (i < zoom.length - 1) {\n"
	"			var a = el(\"a\", null, n.name);\n"
	"			a.onclick = function () {\n"
	"				zoom = zoom.slice(0, i + 1);\n"
	"				draw();\n"
	"			};\n"
	"			c.appendChild(a);\n"
	"		} else {\n"
	"			c.appendChild(el(\"b\", null, n.name));\n"
	"		}\n"
	"	});\n"
	"}\n"
	"function hitAt(e) {\n"
	"	var r = cv.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top, i;\n"
	"	for (i = hits.length - 1; i >= 0; i--) {\n"
	"		var h = hits[i];\n"
	"		if (mx >= h.x && mx < h.x + h.w && my >= h.y && my < h.y + h.h)\n"
	"			return { n: h.n, x: mx, y: my };\n"
	"	}\n"
	"	return null;\n"
	"}\n"
	"function leafLines(it) {\n"
	"	var act = it[5], k = it[6], x = it[7], out = [fb(it[3])];\n"
	"	if (act === STRIP)\n"
	"		out.push(W + \"stripped: saves \" + fb(it[4]) + \" (\" + pct(it[4], it[3]) + \"), \" +\n"
	"			D.kinds[k][1]);\n"
	"	else if (act === REMOVE)\n"
	"		out.push(W + \"removed by \" + (x >= 0 ? D.rules[x] : \"a rule\") + \" (\" + D.kinds[k][1] + \")\");\n"
	"	else if (act === LINK)\n"
	"		out.push(\"a duplicate: \" + W + \"linked to the kept copy, saves \" + fb(it[4]));\n"
	"	else\n"
	"		out.push(\"left alone: \" + (D.reasons[x] || \"unchanged\"));\n"
	"	out.push(\"package: \" + pkgName(D.pkgs[it[0]]));\n"
	"	return out;\n"
	"}\n"
	"function nodeLines(n) {\n"
	"	if (n.kind === \"unlisted\")\n"
	"		return [fb(n.v), \"Files slim leaves as they are. The report does not list them, \" +\n"
	"			\"so how they split by package and directory is not known.\"];\n"
	"	return [fb(n.v) + \" listed in \" + n.n + \" path\" + (n.n === 1 ? \"\" : \"s\"),\n"
	"		n.saved ? W + \"saved: \" + fb(n.saved) + \" (\" + pct(n.saved, n.v) + \")\" : \"nothing saved\",\n"
	"		\"click to zoom in\"];\n"
	"}\n"
	"function showTip(h) {\n"
	"	var n = h.n, lines, title;\n"
	"	tip.textContent = \"\";\n"
	"	title = n.it ? shown(n.it[2]) : n.kind === \"pkg\" ?\n"
	"		n.name + (n.pkg[1] ? \" (\" + n.pkg[1] + \" package)\" : \"\") : n.name;\n"
	"	tip.appendChild(el(\"b\", null, title));\n"
	"	lines = n.it ? leafLines(n.it) : nodeLines(n);\n"
	"	lines.forEach(function (l, i) { tip.appendChild(el(\"div\", i ? \"m\" : null, l)); });\n"
	"	tip.style.display = \"block\";\n"
	"	var bw = box.clientWidth, bh = box.clientHeight, tw = tip.offsetWidth, th = tip.offsetHeight;\n"
	"	tip.style.left = Math.max(4, Math.min(h.x + 14, bw - tw - 4)) + \"px\";\n"
	"	tip.style.top = Math.max(4, h.y + 16 + th > bh ? h.y - th - 10 : h.y + 16) + \"px\";\n"
	"}\n"
	"cv.addEventListener(\"mousemove\", function (e) {\n"
	"	var h = hitAt(e);\n"
	"	if (h)\n"
	"		showTip(h);\n"
	"	else\n"
	"		tip.style.display = \"none\";\n"
	"});\n"
	"cv.addEventListener(\"mouseleave\", function () { tip.style.display = \"none\"; });\n"
	"cv.addEventListener(\"click\", function (e) {\n"
	"	var h = hitAt(e), n, top = zoom[zoom.length - 1];\n"
	"	if (!h)\n"
	"		return;\n"
	"	for (n = h.n; n && n.parent !== top; n = n.parent)\n"
	"		;\n"
	"	if (n && n.kids.length) {\n"
	"		zoom.push(n);\n"
	"		tip.style.display = \"none\";\n"
	"		draw();\n"
	"	}\n"
	"});\n"
	"document.getElementById(\"unl\").addEventListener(\"change\", function (e) {\n"
	"	withUnlisted = e.target.checked;\n"
	"	draw();\n"
	"});\n"
	"window.addEventListener(\"resize\", draw);\n"
	"\n"
	"/* ---- legend, cards and tables ---- */\n"
	"function legend() {\n"
	"	var g = document.getElementById(\"legend\");\n"
	"	[REMOVE, STRIP, LINK, KEEP, UNLISTED].forEach(function (a) {\n"
	"		if (a === UNLISTED && !T.unlisted)\n"
	"			return;\n"
	"		if (!ROOT.acts[a] && a !== UNLISTED)\n"
	"			return;\n"
	"		var s = el(\"span\");\n"
	"		var sw = el(\"i\", \"sw\");\n"
	"		sw.style.background = COL[a];\n"
	"		s.appendChild(sw);\n"
	"		s.appendChild(document.createTextNode(ACT[a]));\n"
	"		g.appendChild(s);\n"
	"		if (a === STRIP) {\n"
	"			s = el(\"span\");\n"
	"			sw = el(\"i\", \"sw\");\n"
	"			sw.style.background = PALE;\n"
	"			s.appendChild(sw);\n"
	"			s.appendChild(document.createTextNode(\"what stripping keeps\"));\n"
	"			g.appendChild(s);\n"
	"		}\n"
	"	});\n"
	"	if (!T.unlisted)\n"
	"		document.getElementById(\"unl\").parentNode.style.display = \"none\";\n"
	"}\n"
	"function card(k, v, s, cls) {\n"
	"	var c = el(\"div\", \"card\" + (cls ? \" \" + cls : \"\"));\n"
	"	c.appendChild(el(\"div\", \"k\", k));\n"
	"	c.appendChild(el(\"div\", \"v\", v));\n"
	"	if (s)\n"
	"		c.appendChild(el(\"div\", \"s\", s));\n"
	"	document.getElementById(\"cards\").appendChild(c);\n"
	"	return c;\n"
	"}\n"
	"function cards() {\n"
	"	var after = T.before - T.saved, c, st;\n"
	"	card(\"Before\", fb(T.before), T.files + \" regular files\");\n"
	"	card(D.dry ? \"After (would be)\" : \"After\", fb(after), \"\\u2212\" + pct(T.saved, T.before) +\n"
	"		\" of the bytes\");\n"
	"	c = card(D.dry ? \"Would save\" : \"Saved\", fb(T.saved), T.changes + \" changes, \" +\n"
	"		T.skips + \" files left alone\", \"good\");\n"
	"	st = el(\"div\", \"stack\");\n"
	"	[REMOVE, STRIP, LINK].forEach(function (a) {\n"
	"		var part = 0;\n"
	"		D.kind_bytes.forEach(function (b, k) { if (kindAct(k) === a) part += b; });\n"
	"		var i = el(\"i\");\n"
	"		i.style.background = COL[a];\n"
	"		i.style.width = (T.before ? 100 * part / T.before : 0) + \"%\";\n"
	"		st.appendChild(i);\n"
	"	});\n"
	"	c.appendChild(st);\n"
	"	if (T.layer)\n"
	"		card(\"Compressed layer\", fb(T.comp_before) + (T.comp_after ? \" \\u2192 \" +\n"
	"			fb(T.comp_after) : \"\"), \"tar stream \" + fb(T.tar_before) +\n"
	"			(T.tar_after ? \" \\u2192 \" + fb(T.tar_after) : \"\"));\n"
	"	else\n"
	"		card(\"Packages\", String(D.pkgs.filter(function (p) { return p[1]; }).length),\n"
	"			T.owners ? \"from *.dist-info/RECORD and package.json\" :\n"
	"			\"no *.dist-info or node_modules found\");\n"
	"}\n"
	"function kindsTable() {\n"
	"	var t = document.getElementById(\"kinds\"), max = 0, tr, files = 0;\n"
	"	D.kind_bytes.forEach(function (b) { max = Math.max(max, b); });\n"
	"	tr = el(\"tr\");\n"
	"	[\"kind\", \"changes\", \"bytes\", \"\"].forEach(function (h, i) {\n"
	"		tr.appendChild(el(\"th\", i === 1 || i === 2 ? \"n\" : null, h));\n"
	"	});\n"
	"	t.appendChild(tr);\n"
	"	D.kinds.forEach(function (k, i) {\n"
	"		if (!D.kind_files[i])\n"
	"			return;\n"
	"		files += D.kind_files[i];\n"
	"		tr = el(\"tr\");\n"
	"		var name = td(k[1]), sw = el(\"i\", \"sw\"), bar = el(\"div\", \"hbar\"), b = td();\n"
	"		sw.style.background = COL[kindAct(i)];\n"
	"		name.insertBefore(sw, name.firstChild);\n"
	"		tr.appendChild(name);\n"
	"		tr.appendChild(td(String(D.kind_files[i]), \"n\"));\n"
	"		tr.appendChild(td(fb(D.kind_bytes[i]), \"n\"));\n"
	"		bar.style.background = COL[kindAct(i)];\n"
	"		bar.style.width = (max ? 100 * D.kind_bytes[i] / max : 0) + \"%\";\n"
	"		b.style.width = \"26%\";\n"
	"		b.appendChild(bar);\n"
	"		tr.appendChild(b);\n"
	"		t.appendChild(tr);\n"
	"	});\n"
	"	if (!files) {\n"
	"		t.parentNode.appendChild(el(\"div\", \"empty\", \"slim \" + (D.dry ? \"would change\" :\n"
	"			\"changed\") + \" nothing.\"));\n"
	"		return;\n"
	"	}\n"
	"	tr = el(\"tr\", \"tot\");\n"
	"	tr.appendChild(td(\"total\"));\n"
	"	tr.appendChild(td(String(files), \"n\"));\n"
	"	tr.appendChild(td(fb(T.saved), \"n\"));\n"
	"	tr.appendChild(td(pct(T.saved, T.before) + \" of all\"));\n"
	"	t.appendChild(tr);\n"
	"}\n"
	"function kindsText(p) {\n"
	"	return p[6].map(function (b, k) { return [b, k]; })\n"
	"		.filter(function (x) { return x[0] > 0; })\n"
	"		.sort(function (a, b) { return b[0] - a[0]; })\n"
	"		.map(function (x) { return D.kinds[x[1]][1] + \" \" + fb(x[0]); }).join(\", \");\n"
	"}\n"
	"function pkgsTable() {\n"
	"	var t = document.getElementById(\"pkgs\"), max = 0, tr;\n"
	"	D.pkgs.forEach(function (p) { max = Math.max(max, p[5]); });\n"
	"	tr = el(\"tr\");\n"
	"	[\"package\", \"listed\", \"saves\", \"\"].forEach(function (h, i) {\n"
	"		tr.appendChild(el(\"th\", i === 1 || i === 2 ? \"n\" : null, h));\n"
	"	});\n"
	"	t.appendChild(tr);\n"
	"	D.pkgs.forEach(function (p) {\n"
	"		var name = td(pkgName(p)), mini = el(\"div\", \"mini\"), c = td(), what = kindsText(p);\n"
	"		tr = el(\"tr\");\n"
	"		if (p[1])\n"
	"			name.appendChild(el(\"span\", \"tag\", p[1]));\n"
	"		name.appendChild(el(\"span\", \"sub\", what || \"nothing to save\"));\n"
	"		tr.appendChild(name);\n"
	"		tr.appendChild(td(fb(p[4]), \"n\"));\n"
	"		tr.appendChild(td(fb(p[5]), \"n\"));\n"
	"		[REMOVE, STRIP, LINK].forEach(function (a) {\n"
	"			var part = 0, i = el(\"i\");\n"
	"			p[6].forEach(function (b, k) { if (kindAct(k) === a) part += b; });\n"
	"			i.style.background = COL[a];\n"
	"			i.style.width = (max ? 100 * part / max : 0) + \"%\";\n"
	"			mini.appendChild(i);\n"
	"		});\n"
	"		c.appendChild(mini);\n"
	"		tr.appendChild(c);\n"
	"		t.appendChild(tr);\n"
	"	});\n"
	"	if (!D.pkgs.length)\n"
	"		t.parentNode.appendChild(el(\"div\", \"empty\", \"No file was listed.\"));\n"
	"}\n"
	"function filesTable() {\n"
	"	var t = document.getElementById(\"files\"), tr;\n"
	"	var top = D.items.filter(function (it) { return it[4] > 0; })\n"
	"		.sort(function (a, b) { return b[4] - a[4] || (a[2] < b[2] ? -1 : 1); }).slice(0, 25);\n"
	"	tr = el(\"tr\");\n"
	"	[\"path\", \"size\", \"saves\", \"what\"].forEach(function (h, i) {\n"
	"		tr.appendChild(el(\"th\", i === 1 || i === 2 ? \"n\" : null, h));\n"
	"	});\n"
	"	t.appendChild(tr);\n"
	"	top.forEach(function (it) {\n"
	"		var what = td(ACT[it[5]]), sw = el(\"i\", \"sw\");\n"
	"		tr = el(\"tr\");\n"
	"		var p = td(short(it[2]), \"p\");\n"
	"		p.appendChild(el(\"span\", \"sub\", pkgName(D.pkgs[it[0]])));\n"
	"		tr.appendChild(p);\n"
	"		tr.appendChild(td(fb(it[3]), \"n\"));\n"
	"		tr.appendChild(td(fb(it[4]), \"n\"));\n"
	"		sw.style.background = COL[it[5]];\n"
	"		what.insertBefore(sw, what.firstChild);\n"
	"		what.appendChild(el(\"span\", \"sub\", it[5] === REMOVE && it[7] >= 0 ? D.rules[it[7]] :\n"
	"			D.kinds[it[6]][1]));\n"
	"		tr.appendChild(what);\n"
	"		t.appendChild(tr);\n"
	"	});\n"
	"	if (!top.length)\n"
	"		t.parentNode.appendChild(el(\"div\", \"empty\", \"Nothing saved.\"));\n"
	"}\n"
	"function dupsTable() {\n"
	"	var t = document.getElementById(\"dups\"), tr;\n"
	"	tr = el(\"tr\");\n"
	"	[\"kept copy\", \"size\", \"copies\", \"wasted\"].forEach(function (h, i) {\n"
	"		tr.appendChild(el(\"th\", i ? \"n\" : null, h));\n"
	"	});\n"
	"	t.appendChild(tr);\n"
	"	D.dups.forEach(function (d) {\n"
	"		tr = el(\"tr\");\n"
	"		var p = td(short(d[0]), \"p\");\n"
	"		p.appendChild(el(\"span\", \"sub\", d[1] && d[4] && !d[3] ?\n"
	"			\"ELF shared objects: linked only with --dedup-elf\" :\n"
	"			d[3] ? (D.dry ? \"would be linked\" : \"linked\") : \"reported, not linked\"));\n"
	"		tr.appendChild(p);\n"
	"		tr.appendChild(td(fb(d[1]), \"n\"));\n"
	"		tr.appendChild(td(String(d[2]), \"n\"));\n"
	"		tr.appendChild(td(fb(d[1] * d[2]), \"n\"));\n"
	"		t.appendChild(tr);\n"
	"	});\n"
	"	if (!D.dups.length)\n"
	"		t.parentNode.appendChild(el(\"div\", \"empty\", \"No duplicate files.\"));\n"
	"	else if (T.dup_groups > D.dups.length)\n"
	"		t.parentNode.appendChild(el(\"div\", \"empty\", \"The \" + D.dups.length + \" largest of \" +\n"
	"			T.dup_groups + \" groups.\"));\n"
	"}\n"
	"function notes() {\n"
	"	var n = document.getElementById(\"unl-bytes\");\n"
	"	if (n)\n"
	"		n.textContent = fb(T.unlisted);\n"
	"}\n"
	"\n"
	"legend();\n"
	"cards();\n"
	"kindsTable();\n"
	"pkgsTable();\n"
	"filesTable();\n"
	"dupsTable();\n"
	"notes();\n"
	"draw();\n"
	"})();\n";

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
	buf_adds(h, page_css);
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
	buf_adds(&h, page_body);
	html_data(&data, r, &a);
	buf_adds(&h, "<script type=\"application/json\" id=\"slim-data\">");
	script_safe(&h, data.p, data.len);
	buf_adds(&h, "</script>\n<script>\n");
	buf_adds(&h, page_js);
	buf_adds(&h, "</script>\n</body>\n</html>\n");
	fwrite(h.p, 1, h.len, f);
	buf_release(&h);
	buf_release(&data);
	audit_release(&a);
}

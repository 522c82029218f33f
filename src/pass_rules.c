/* pass_rules.c - the removal rules over the entries in the output's final
 * state, and what each removal frees. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/utsname.h>

#include "pipeline.h"

/* What the rules engine asks for and hands back, entry by entry: no
 * arrays of paths or verdicts beside the records. */
struct rules_ctx {
	struct pipeline *p;
	const uint32_t *ix; /* rules entry -> entry; NULL: the same */
	struct drop_rule *drops; /* the dropped entries' rules (drops.h below) */
	size_t ndrops, capdrops;
	struct kept {
		uint32_t entry;
		const char *why;
	} *kept;            /* kept on purpose, reported in entry order */
	size_t nkept, capkept;
};

/* The rule that drops an entry: a list, not an array of every entry (a
 * million entries, few of them dropped). */
struct drop_rule {
	uint32_t entry;
	int rule;
};

static uint32_t entry_of(const struct rules_ctx *c, size_t k)
{
	return c->ix ? c->ix[k] : (uint32_t)k;
}

static void rules_entry_of(void *ctx, size_t k, struct rules_entry *out)
{
	const struct rules_ctx *c = ctx;
	const struct entry *x = &c->p->src->ents.v[entry_of(c, k)];

	out->path = x->path;
	out->type = entry_rules_type(x);
	out->size = x->size;
}

static void rules_verdict_of(void *ctx, size_t k, const struct rules_verdict *v)
{
	struct rules_ctx *c = ctx;
	uint32_t i = entry_of(c, k);

	c->p->v[i].dropped = v->rule >= 0;
	if (v->rule >= 0) {
		xgrow(&c->drops, &c->capdrops, c->ndrops + 1, sizeof(*c->drops));
		c->drops[c->ndrops++] = (struct drop_rule){ i, v->rule };
	}
	if (!v->kept_on_purpose)
		return;
	xgrow(&c->kept, &c->capkept, c->nkept + 1, sizeof(*c->kept));
	c->kept[c->nkept++] = (struct kept){ i, v->why ? v->why : "kept" };
}

static ssize_t read_entry(void *ctx, size_t k, size_t max, unsigned char **buf)
{
	const struct rules_ctx *c = ctx;

	return c->p->src->ops->read_head(c->p->src, entry_of(c, k), max, buf);
}

static int cmp_kept(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* The CPU slim runs on, as the foreign preset names machines; 0 if unknown. */
static unsigned host_machine(void)
{
	struct utsname u;

	return uname(&u) == 0 ? rules_arch_machine(u.machine) : 0;
}

/* Say which CPU the foreign preset took as the tree's own, and how to
 * choose another: it decides which binaries go.  Not again for the next
 * input when it says the same (the layers of an image). */
static void note_machine(const struct pipeline *p, const struct rules_found *f)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char last[256];
	const char *arch = rules_arch_name(f->machine);
	char msg[256];

	if (!f->foreign || p->o->quiet || !strcmp(f->machine_from, "given"))
		return;
	if (!f->machine)
		snprintf(msg, sizeof(msg), "no CPU that most of its ELF files are for: no ELF file "
			 "is dropped; --arch ARCH names the tree's own");
	else
		snprintf(msg, sizeof(msg), "keeps ELF files for %s (%s) and drops those for other "
			 "CPUs; --arch ARCH names another", arch ? arch : "its CPU",
			 !strcmp(f->machine_from, "host") ? "the CPU slim runs on" :
			 !strcmp(f->machine_from, "loaders") ? "its dynamic loaders" :
							       "most of its ELF files");
	pthread_mutex_lock(&lock);
	if (strcmp(msg, last) != 0) {
		fprintf(stderr, "slim: note: preset foreign in '%s': %s\n",
			*p->src->name ? p->src->name : ".", msg);
		snprintf(last, sizeof(last), "%s", msg);
	}
	pthread_mutex_unlock(&lock);
}

/* --exclude's verdicts: what a drop rule of its globs matches is excluded
 * (what is below a matched directory too). */
static void exclude_verdict(void *ctx, size_t k, const struct rules_verdict *v)
{
	struct rules_ctx *c = ctx;

	c->p->excluded[entry_of(c, k)] = v->rule >= 0;
}

/* --exclude: p->excluded, from its globs. */
static int exclusions(struct pipeline *p, struct rules_ctx *c, size_t n, struct err *e)
{
	struct rules_input in = { n, rules_entry_of, exclude_verdict, NULL, c, 1, NULL, NULL };
	size_t i;

	if (!p->o->exclude)
		return 0;
	p->excluded = xcalloc(p->src->ents.n ? p->src->ents.n : 1, sizeof(*p->excluded));
	if (rules_decide_each(p->o->exclude, &in, e) != 0)
		return -1;
	/* a file one of whose names is excluded is left alone under every
	 * name: stripping it would change the excluded name's content too */
	for (i = 0; i < p->src->ents.n; i++) {
		const struct entry *x = &p->src->ents.v[i];

		if (p->excluded[i] && x->type == ENT_HARDLINK && x->link != ENT_NONE)
			p->excluded[x->link] = true;
	}
	return 0;
}

static int cmp_drop(const void *a, const void *b)
{
	const struct drop_rule *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Decide: v[].dropped, and in c->drops the rule of each dropped entry
 * (by entry). */
static int decide(struct pipeline *p, struct rules_ctx *c, struct err *e)
{
	const struct entries *t = &p->src->ents;
	uint32_t *ix = NULL;
	struct rules_at at = { p->src->prefix, p->src->on_host ? host_machine() : 0 };
	struct rules_found found;
	struct rules_input in = { 0, rules_entry_of, rules_verdict_of, read_entry, c, p->o->jobs,
				  &at, &found };
	struct buf path = BUF_INIT;
	size_t i;
	int rc;

	/* the entries in the final state (all of a tree's): rules entry k is
	 * entry k unless some are left out */
	for (i = 0; i < t->n; i++) {
		bool out = (t->v[i].flags & ENT_GONE) || strcmp(t->v[i].path, ".") == 0;

		if (out && !ix) {
			ix = xmalloc(t->n * sizeof(*ix));
			for (in.n = 0; in.n < i; in.n++)
				ix[in.n] = (uint32_t)in.n;
		}
		if (!out && ix)
			ix[in.n] = (uint32_t)i; /* a source holds at most ENT_MAX */
		in.n += !out;
	}
	c->ix = ix;
	rc = exclusions(p, c, in.n, e);
	if (rc == 0)
		rc = rules_decide_each(p->o->rules, &in, e);
	if (rc == 0)
		note_machine(p, &found);
	if (rc == 0 && c->nkept)
		qsort(c->kept, c->nkept, sizeof(*c->kept), cmp_kept);
	if (rc == 0 && c->ndrops)
		qsort(c->drops, c->ndrops, sizeof(*c->drops), cmp_drop);
	for (i = 0; rc == 0 && i < c->nkept; i++) {
		pipeline_display(p, c->kept[i].entry, &path);
		report_kept(p->rep, path.p, c->kept[i].why);
	}
	if (rc != 0) { /* no verdict is left half made */
		for (i = 0; i < t->n; i++)
			p->v[i].dropped = false;
		c->ndrops = 0;
	}
	buf_release(&path);
	free(c->kept);
	free(ix);
	c->ix = NULL;
	return rc;
}

/* The rule that dropped entry i (-1: none). */
static int rule_of(const struct rules_ctx *c, size_t i)
{
	struct drop_rule key = { (uint32_t)i, -1 };
	const struct drop_rule *d = bsearch(&key, c->drops, c->ndrops, sizeof(*c->drops), cmp_drop);

	return d ? d->rule : -1;
}

void pass_heirs(struct pipeline *p)
{
	const struct entries *t = &p->src->ents;
	size_t i;

	for (i = 0; i < t->n; i++)
		p->v[i].heir = t->v[i].type == ENT_FILE && !pipeline_gone(p, i) ? (uint32_t)i : ENT_NONE;
	/* the first hard link left of a file that is gone carries it */
	for (i = 0; i < t->n; i++) {
		uint32_t f = t->v[i].link;
		if (t->v[i].type == ENT_HARDLINK && !pipeline_gone(p, i) && p->v[f].heir == ENT_NONE)
			p->v[f].heir = (uint32_t)i;
	}
}

/* The entry whose removal takes i with it: its highest dropped directory. */
static size_t top_of(const struct pipeline *p, size_t i)
{
	const struct entry *v = p->src->ents.v;

	while (v[i].parent != ENT_NONE && p->v[v[i].parent].dropped)
		i = v[i].parent;
	return i;
}

/* Report what the rules removed, one line per removed subtree, and hand
 * the subtrees to the sink. */
static void removals(struct pipeline *p, const struct rules_ctx *c)
{
	const struct entries *t = &p->src->ents;
	uint64_t *files = xcalloc(t->n, sizeof(*files)), *bytes = xcalloc(t->n, sizeof(*bytes));
	size_t *tops = xmalloc(t->n * sizeof(*tops)), ntops = 0, i;
	struct buf path = BUF_INIT;

	for (i = 0; i < t->n; i++) {
		const struct entry *x = &t->v[i];
		size_t top;
		if (!p->v[i].dropped)
			continue;
		top = top_of(p, i);
		if (top == i)
			tops[ntops++] = i;
		if (!entry_is_file(x))
			continue;
		files[top]++;
		/* a file whose name survives elsewhere keeps its bytes */
		if (x->type == ENT_FILE && p->v[i].heir == ENT_NONE &&
		    !(p->src->ops->outside_names && p->src->ops->outside_names(p->src, i)))
			bytes[top] += x->size;
	}
	for (i = 0; i < ntops; i++) {
		pipeline_display(p, tops[i], &path);
		report_removed(p->rep, path.p, rules_name(p->o->rules, rule_of(c, tops[i])),
			       files[tops[i]], bytes[tops[i]]);
		if (rules_is_bytecode(p->o->rules, rule_of(c, tops[i])))
			report_bytecode(p->rep, files[tops[i]]);
	}
	buf_release(&path);
	free(files);
	free(bytes);
	if (ntops && p->sink->ops->drop)
		p->sink->ops->drop(p->sink, p, tops, ntops);
	else
		free(tops);
}

int pass_rules(struct pipeline *p, struct err *e)
{
	struct rules_ctx c = { .p = p };
	int rc = 0;

	if (!p->o->rules || !p->src->ents.n) {
		pass_heirs(p);
		return 0;
	}
	rc = decide(p, &c, e);
	pass_heirs(p);
	if (rc == 0)
		removals(p, &c);
	free(c.drops);
	return rc;
}

/* pass_rules.c - the removal rules over the entries in the output's final
 * state, and what each removal frees. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/utsname.h>

#include "pipeline.h"

struct rules_ctx {
	struct source *src;
	const size_t *ix; /* rules entry -> entry */
};

static ssize_t read_entry(void *ctx, size_t k, size_t max, unsigned char **buf)
{
	const struct rules_ctx *c = ctx;

	return c->src->ops->read_head(c->src, c->ix[k], max, buf);
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

/* --exclude: p->excluded, from its globs (drop rules, so that what is
 * below a matched directory is matched too).  v is scratch space. */
static int exclusions(struct pipeline *p, const struct rules_entry *ents, size_t n,
		      const size_t *ix, struct rules_verdict *v, struct err *e)
{
	size_t i;

	if (!p->o->exclude)
		return 0;
	if (rules_decide(p->o->exclude, ents, n, NULL, NULL, v, e) != 0)
		return -1;
	p->excluded = xcalloc(p->src->ents.n, sizeof(*p->excluded));
	for (i = 0; i < n; i++)
		p->excluded[ix[i]] = v[i].rule >= 0;
	/* a file one of whose names is excluded is left alone under every
	 * name: stripping it would change the excluded name's content too */
	for (i = 0; i < p->src->ents.n; i++) {
		const struct entry *x = &p->src->ents.v[i];

		if (p->excluded[i] && x->type == ENT_HARDLINK && x->link != ENT_NONE)
			p->excluded[x->link] = true;
	}
	return 0;
}

/* Decide: v[].dropped, and the rule of each entry in *rule_of. */
static int decide(struct pipeline *p, int *rule_of, struct err *e)
{
	const struct entries *t = &p->src->ents;
	size_t *ix = xmalloc(t->n * sizeof(*ix)), i, n = 0;
	struct rules_entry *ents = xcalloc(t->n, sizeof(*ents));
	struct rules_verdict *v;
	struct rules_ctx c = { p->src, ix };
	struct rules_at at = { p->src->prefix, p->src->on_host ? host_machine() : 0 };
	struct rules_found found;
	struct buf path = BUF_INIT;
	int rc;

	for (i = 0; i < t->n; i++) {
		rule_of[i] = -1;
		if ((t->v[i].flags & ENT_GONE) || strcmp(t->v[i].path, ".") == 0)
			continue;
		ix[n] = i;
		ents[n].path = t->v[i].path;
		ents[n].type = entry_rules_type(&t->v[i]);
		ents[n].size = t->v[i].size;
		n++;
	}
	v = xcalloc(n ? n : 1, sizeof(*v));
	rc = exclusions(p, ents, n, ix, v, e);
	if (rc == 0)
		rc = rules_decide_at(p->o->rules, &at, ents, n, read_entry, &c, p->o->jobs, v, &found, e);
	if (rc == 0)
		note_machine(p, &found);
	for (i = 0; rc == 0 && i < n; i++) {
		p->v[ix[i]].dropped = v[i].rule >= 0;
		rule_of[ix[i]] = v[i].rule;
		if (v[i].kept_on_purpose) {
			pipeline_display(p, ix[i], &path);
			report_kept(p->rep, path.p, v[i].why ? v[i].why : "kept");
		}
	}
	buf_release(&path);
	free(v);
	free(ents);
	free(ix);
	return rc;
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
static void removals(struct pipeline *p, const int *rule_of)
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
		report_removed(p->rep, path.p, rules_name(p->o->rules, rule_of[tops[i]]),
			       files[tops[i]], bytes[tops[i]]);
		if (rules_is_bytecode(p->o->rules, rule_of[tops[i]]))
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
	int *rule_of, rc = 0;

	if (!p->o->rules || !p->src->ents.n) {
		pass_heirs(p);
		return 0;
	}
	rule_of = xmalloc(p->src->ents.n * sizeof(*rule_of));
	rc = decide(p, rule_of, e);
	pass_heirs(p);
	if (rc == 0)
		removals(p, rule_of);
	free(rule_of);
	return rc;
}

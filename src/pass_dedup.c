/* pass_dedup.c - identical files: the items dedup groups (dedup.h), read
 * through the source, linked by the sink, and the report. */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/*
 * Files dedup leaves alone on purpose.  Hard links share one inode: a
 * program that edits one name in place (echo >> f, an editor that writes
 * over the file, a log) changes every name.  In a tree in place that is
 * the running system, so by default it links only files of 4 KiB or more
 * (a smaller file saves under a block of disk each, and an __init__.py or
 * a config stub is just what gets edited) and none under etc/ or var/
 * (configuration and state, from the file system root).  In a layer or an
 * image the defaults link everything: the usual runtime (overlayfs)
 * copies a file up by name when it is written, which breaks the link, so
 * an edit never reaches the other names.  --dedup-min-size and
 * --dedup-paths set either in any mode.
 */
struct dedup_limits {
	uint64_t min_size;
	bool safe_paths;
	const char *prefix; /* the tree's place (source.h), "" for none */
};

static void limits_of(const struct pipeline *p, struct dedup_limits *l)
{
	const struct slim_opts *o = p->o;
	bool in_place = p->src->prefix != NULL;

	l->min_size = dedup_min_size(o, in_place);
	l->safe_paths = o->dedup_paths == DEDUP_PATHS_DEFAULT ? in_place
							       : o->dedup_paths == DEDUP_PATHS_SAFE;
	l->prefix = p->src->prefix ? p->src->prefix : "";
}

/* Is path (below prefix) under etc/ or var/ from the root? */
static bool config_path(const char *prefix, const char *path)
{
	const char *top = *prefix ? prefix : path;

	return !strncmp(top, "etc", 3) ? top[3] == '/' || !top[3]
	     : !strncmp(top, "var", 3) ? top[3] == '/' || !top[3] : false;
}

/* Does entry i take part (as a name of its file)? */
static bool takes_part(const struct pipeline *p, const struct dedup_limits *l, size_t i,
		       uint64_t size)
{
	const struct entry *x = &p->src->ents.v[i];

	if (pipeline_gone(p, i) || (x->flags & (ENT_SPARSE | ENT_WHITEOUT)) ||
	    pipeline_excluded(p, i))
		return false;
	if (x->type != ENT_FILE && !(x->type == ENT_HARDLINK && p->src->link_names))
		return false;
	if (size < l->min_size)
		return false;
	return !l->safe_paths || !config_path(l->prefix, x->path);
}

/* Item i: entry i, when it takes part as a name of its file (else mode 0:
 * dedup leaves it alone).  Asked for by dedup when it needs it, from its
 * threads: it reads only what the passes have settled. */
struct items_ctx {
	const struct pipeline *p;
	struct dedup_limits lim;
};

static void get_item(const void *ctx, size_t i, struct dedup_item *it)
{
	const struct items_ctx *c = ctx;
	const struct pipeline *p = c->p;
	const struct source *s = p->src;
	const struct dedup_limits *lim = &c->lim;
	const struct entry *x = &s->ents.v[i];
	size_t k;

	if (x->type != ENT_FILE && x->type != ENT_HARDLINK)
		return;
	/* a name shares its file's content as a pass left it, unless moving
	 * it to the new content failed */
	k = x->type == ENT_HARDLINK && p->v[i].state != V_ERROR &&
			(!p->v[x->link].dropped || p->out[x->link]) ? x->link : i;
	if (!takes_part(p, lim, i, pipeline_size(p, k)))
		return;
	it->path = x->path;
	it->entry = i;
	s->ops->ident(s, i, &it->dev, &it->ino);
	it->mode = x->mode;
	it->uid = x->uid;
	it->gid = x->gid;
	it->size = pipeline_size(p, k);
	it->pre = pipeline_digest(p, k);
	it->has_probe = s->ops->probe && s->ops->probe(s, i, &it->probe);
}

/* One change per linked file, under its first name. */
static void report_links(struct pipeline *p, const struct dedup_group *d, struct buf *path)
{
	size_t k;

	for (k = 0; k < d->ncopies; k++) {
		pipeline_display(p, d->copies[k], path);
		report_change(p->rep, path->p, "dedup", d->size, 0);
	}
}

/* What dedup found, into the report.  links: the copies count as linked
 * (they are, or would be in this run's output). */
static void report_result(struct pipeline *p, const struct dedup_result *res, bool links)
{
	struct buf path = BUF_INIT;
	size_t g, i;

	report_dedup(p->rep, &(struct report_dedup){
		.groups = res->ngroups,
		.files_linked = links ? res->files_linked : 0,
		.bytes_saved = links ? res->bytes_saved : 0,
		.elf_groups = res->elf_groups,
		.elf_bytes = res->elf_bytes_unlinked,
	});
	for (g = 0; g < res->ngroups; g++) {
		const struct dedup_group *d = &res->groups[g];
		pipeline_display(p, d->items[0], &path);
		report_dup(p->rep, path.p, d->size, d->nfiles - 1, d->linked && links, d->elf_shared);
		if (d->linked && links)
			report_links(p, d, &path);
	}
	for (i = 0; i < res->nerrors; i++)
		pipeline_error(p, res->errors[i].item, res->errors[i].err.msg);
	buf_release(&path);
}

void pass_dedup(struct pipeline *p)
{
	struct sink *k = p->sink;
	struct dedup_opts o = { .mode = p->o->dedup, .link_elf = p->o->dedup_elf,
				.dry_run = k->dry_run, .jobs = p->o->jobs,
				.link = k->link, .link_ctx = k->link_ctx };
	struct dedup_result res = DEDUP_RESULT_INIT;
	struct items_ctx ic = { .p = p };
	struct dedup_items items = { .n = p->src->ents.n, .get = get_item, .ctx = &ic };
	struct dedup *d;
	bool links;

	if (p->o->dedup == DEDUP_OFF || !p->src->ents.n)
		return;
	/* an output without hard links (a zip) can only be told of copies */
	if (!k->link)
		o.mode = DEDUP_REPORT;
	links = k->link && (p->o->dedup == DEDUP_LINK || k->report_would_link);
	limits_of(p, &ic.lim);
	d = dedup_new(p->src, &items, &o);
	/* dedup has what it needs of the probes */
	if (p->src->ops->drop_probes)
		p->src->ops->drop_probes(p->src);
	if (!(k->overlap & SINK_BESIDE_DEDUP_HASH) && k->ops->wait)
		k->ops->wait(k, p);
	dedup_hash_heads(d);
	dedup_hash_rest(d);
	/* the sink's work beside the hashing changes link counts: done first */
	if (k->ops->wait)
		k->ops->wait(k, p);
	dedup_link(d, &res);
	report_result(p, &res, links);
	dedup_result_release(&res);
	dedup_free(d);
}

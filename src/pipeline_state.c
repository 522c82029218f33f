/* pipeline_state.c - the per-entry state of a pipeline that passes and
 * sinks read and write (pipeline.h): errors, the new content a pass made,
 * an entry's name, digest and size.  It calls no pass: the passes call it,
 * and pipeline.c calls the passes. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

void sink_free(struct sink *k)
{
	if (k)
		k->ops->free(k);
}

void pipeline_error(struct pipeline *p, size_t i, const char *msg)
{
	pthread_mutex_lock(&p->lock);
	xgrow(&p->errs, &p->caperrs, p->nerrs + 1, sizeof(*p->errs));
	p->errs[p->nerrs].entry = (uint32_t)i;
	p->errs[p->nerrs++].msg = xstrdup(msg ? msg : "failed");
	pthread_mutex_unlock(&p->lock);
}

void pipeline_fail(struct pipeline *p, const char *msg)
{
	pthread_mutex_lock(&p->lock);
	if (!p->fatal.msg)
		err_set(&p->fatal, "%s", msg ? msg : "cannot process it");
	pthread_mutex_unlock(&p->lock);
}

void pipeline_display(const struct pipeline *p, size_t i, struct buf *out)
{
	source_display(p->src, p->src->ents.v[i].path, out);
}

struct strip_out *pipeline_out(struct pipeline *p, size_t i)
{
	if (!p->out[i])
		p->out[i] = xcalloc(1, sizeof(*p->out[i]));
	return p->out[i];
}

const struct dedup_digest *pipeline_digest(const struct pipeline *p, size_t i)
{
	const struct strip_out *x = p->out ? p->out[i] : NULL;

	if (x && x->have_dg)
		return &x->dg;
	return p->src->ops->digest ? p->src->ops->digest(p->src, i) : NULL;
}

uint64_t pipeline_size(const struct pipeline *p, size_t i)
{
	const struct strip_out *x = p->out ? p->out[i] : NULL;

	return x && x->replaced ? x->after : p->src->ents.v[i].size;
}

/* pipeline.c - one pipeline: a source's entries through the passes, in
 * one order, into a sink. */
#include "pipeline.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Every per-entry error, in entry order (the report sorts them anyway). */
static int cmp_err(const void *a, const void *b)
{
	const struct pipeline_err *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static void report_errors(struct pipeline *p)
{
	struct buf path = BUF_INIT;
	size_t k;

	if (p->nerrs)
		qsort(p->errs, p->nerrs, sizeof(*p->errs), cmp_err);
	for (k = 0; k < p->nerrs; k++) {
		pipeline_display(p, p->errs[k].entry, &path);
		report_error(p->rep, path.p, p->errs[k].msg);
		free(p->errs[k].msg);
	}
	p->nerrs = 0;
	buf_release(&path);
}

/*
 * The report's bytes describe the input's final state, what extraction
 * gives and the output holds: a file a later entry replaces is not in it
 * (its bytes were counted as it was read), unless a hard link of it
 * survives and carries them.
 */
static void count_final(struct pipeline *p)
{
	const struct entries *t = &p->src->ents;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].type == ENT_FILE && (t->v[i].flags & ENT_GONE) &&
		    p->v[i].heir == ENT_NONE)
			report_bytes_unseen(p->rep, t->v[i].size);
}

/* A step of the whole input failed: strict, the input is refused;
 * otherwise the input's name carries the error and the run goes on. */
static bool step_failed(struct pipeline *p, struct err *e)
{
	if (p->strict)
		pipeline_fail(p, e->msg);
	else
		report_error(p->rep, p->src->name, e->msg);
	err_release(e);
	return p->strict;
}

static void wait_sink(struct pipeline *p)
{
	if (p->sink->ops->wait)
		p->sink->ops->wait(p->sink, p);
}

static void run_steps(struct pipeline *p)
{
	struct err e = ERR_INIT;

	if (p->sink->ops->begin)
		p->sink->ops->begin(p->sink, p);
	if (p->src->ops->ready)
		p->src->ops->ready(p->src);
	pass_owners(p);
	/* Hand back what the walk freed: the rules' tree comes on top of
	 * the records. */
	malloc_trim(0);
	if (pass_rules(p, &e) != 0 && step_failed(p, &e))
		goto failed;
	count_final(p);
	/* what the passes make of the contents: after the rules' peak */
	p->out = xcalloc(p->src->ents.n ? p->src->ents.n : 1, sizeof(*p->out));
	if (!(p->sink->overlap & SINK_BESIDE_STRIP))
		wait_sink(p);
	pass_strip(p);
	if (p->fatal.msg)
		goto failed;
	pass_record(p);
	if (p->fatal.msg)
		goto failed;
	/* Hand back what the walk's threads, the rules and the strip workers
	 * freed: dedup's tables come on top of the records, and peak memory
	 * is what the process holds.  (Not before the strip pass: it reuses
	 * freed buffers rather than faulting in fresh pages.) */
	if (p->o->dedup != DEDUP_OFF)
		malloc_trim(0);
	pass_dedup(p);
	pass_account(p, p->change0, p->skip0);
	if (p->sink->ops->finish(p->sink, p, &e) != 0)
		step_failed(p, &e);
	return;
failed:
	/* what the sink runs beside the passes (a removal) reads the verdicts:
	 * it ends before they go */
	wait_sink(p);
}

int pipeline_run(struct pipeline *p, const struct slim_opts *o, struct report *rep,
		 struct source *src, struct sink *sink, bool strict)
{
	size_t n = src->ents.n ? src->ents.n : 1, i;

	memset(p, 0, sizeof(*p));
	p->o = o;
	p->rep = rep;
	p->src = src;
	p->sink = sink;
	p->strict = strict;
	p->change0 = rep->nchanges;
	p->skip0 = rep->nskips;
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->done, 0);
	atomic_init(&p->saved, 0);
	p->v = xcalloc(n, sizeof(*p->v));
	for (i = 0; i < src->ents.n; i++)
		p->v[i].heir = ENT_NONE;
	run_steps(p);
	report_errors(p);
	return p->fatal.msg ? -1 : 0;
}

void pipeline_release(struct pipeline *p)
{
	size_t i;

	for (i = 0; p->out && i < p->src->ents.n; i++) {
		if (p->out[i]) {
			free(p->out[i]->ar);
			if (p->out[i]->gpu)
				fatbin_summary_release(p->out[i]->gpu);
			free(p->out[i]->gpu);
			if (p->out[i]->pruned)
				fatbin_pruned_release(p->out[i]->pruned);
			free(p->out[i]->pruned);
		}
		free(p->out[i]);
	}
	free(p->out);
	free(p->v);
	free(p->excluded);
	free(p->work);
	for (i = 0; i < p->nerrs; i++)
		free(p->errs[i].msg);
	free(p->errs);
	err_release(&p->fatal);
	pthread_mutex_destroy(&p->lock);
	memset(p, 0, sizeof(*p));
}

/* pass_strip.c - strip ELF images and ar archives, for every source: the
 * one path policy, the work on the pool's threads, and the report.
 *
 * The policy, in order, for the content of each file that reaches the
 * output (at the name that carries it there):
 *   - files under 8 bytes are no candidates;
 *   - the source saw its first bytes and they are neither ELF nor ar: not
 *     a candidate, and reported "not ELF" if it is named like a library
 *     (a linker script named libc.so) and the source reports such files
 *     (source.h: a tree does);
 *   - a file far larger than its blocks (bound_sparse) is never read;
 *   - its first bytes, read again now, decide (as above);
 *   - separate debug files (/usr/lib/debug/, *.debug) are never stripped;
 *   - content larger than the source may hold in memory (a layer's
 *     --max-entry-size) is too large;
 *   - kernel modules (*.ko) are never stripped, --strip-objects or not;
 *   - the rest goes to the stripper; a smaller result goes to the sink,
 *     which may still leave the file (names outside the input).
 * Every ELF image that reaches the stripper, stripped or not (a CUDA
 * library ships stripped), is also looked into for GPU code (fatbin.h):
 * its inventory goes to the report under the carrier's name.  With
 * --cuda-arch, the image's containers are then pruned (fatprune.c) in the
 * stripper's output, or in a copy when the stripper left it: one new
 * content for both, written once.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "content.h"
#include "fatbin.h"
#include "fsutil.h"
#include "pipeline.h"
#include "progress.h"
#include "pool.h"

static bool looks_like_library(const char *path)
{
	const char *base = entry_base(path);
	size_t n = strlen(base);

	return (n > 2 && strcmp(base + n - 2, ".a") == 0) ||
	       (n > 3 && strcmp(base + n - 3, ".so") == 0) || strstr(base, ".so.") != NULL;
}

/* Paths of separate debug files, which must never be stripped. */
static bool debug_path(const char *path)
{
	size_t n = strlen(path);

	return strncmp(path, "usr/lib/debug/", 14) == 0 || strstr(path, "/usr/lib/debug/") ||
	       (n > 6 && strcmp(path + n - 6, ".debug") == 0);
}

const struct strip_opts *pass_strip_opts(const struct slim_opts *o, const char *path)
{
	static const struct strip_opts none;
	size_t n = strlen(path);

	/* Kernel modules are ET_REL too: never stripped, even with --strip-objects. */
	if (n > 3 && strcmp(path + n - 3, ".ko") == 0)
		return &none;
	return &o->strip;
}

/* Content i could not be stripped: the error goes under the name that
 * carries it, as the verdict would. */
static void entry_error(struct pipeline *p, size_t i, const char *msg)
{
	p->v[i].state = V_ERROR;
	pipeline_error(p, p->v[i].heir, msg);
}

static void skip(struct pipeline *p, size_t i, enum skip_reason why)
{
	p->v[i].state = V_SKIPPED;
	p->v[i].reason = (uint8_t)why;
}

/* What needs no reading: the work list (content entries whose carrier is
 * in the output), and the verdicts known already. */
static void make_work(struct pipeline *p)
{
	const struct entries *t = &p->src->ents;
	size_t i;

	p->work = xmalloc((t->n ? t->n : 1) * sizeof(*p->work));
	p->nwork = 0;
	for (i = 0; i < t->n; i++) {
		const struct entry *x = &t->v[i];
		uint32_t c = p->v[i].heir;
		if (x->type != ENT_FILE || c == ENT_NONE || x->size < 8)
			continue;
		if (pipeline_excluded(p, i) || pipeline_excluded(p, c))
			continue; /* --exclude: left as it is */
		if (x->flags & ENT_NOT_ELF) { /* nothing to strip (the walk reads heads for dedup too) */
			if (p->src->report_not_elf && looks_like_library(t->v[c].path))
				skip(p, i, SKIP_NOT_ELF);
			continue;
		}
		if (x->flags & ENT_SPARSE) { /* an ELF head, and then holes */
			skip(p, i, SKIP_SPARSE);
			continue;
		}
		p->work[p->nwork++] = i;
	}
}

struct strip_call {
	const unsigned char *data;
	size_t n;
	int fd;                      /* data is also fd's content at base; -1: only data */
	uint64_t base;
	const struct source_view *view; /* data's view, or NULL */
	const struct strip_opts *o;  /* NULL: --no-strip (GPU code only) */
	struct strip_result *sr;
	struct fatbin_summary *gpu;
	const struct cuda_targets *cuda;
	struct fatbin_pruned *pruned;
	uint64_t removed;            /* bytes of GPU code pruned */
	unsigned char *copy;         /* pruning's copy, until the result owns it */
	enum skip_reason left;       /* pruned only: why the stripper left it */
	struct content *pcopy;       /* pruning's content of the input, until the result owns it */
};

/* May GPU code be pruned from an image the stripper judged so?  Not from
 * one it leaves on purpose: data after the image (a signature), objects
 * (kernel modules), debug files, types it does not know. */
static bool may_prune(const struct strip_result *sr)
{
	if (sr->archive || sr->verdict == STRIP_FAILED)
		return false;
	if (sr->verdict == STRIP_CHANGED)
		return true;
	switch (sr->reason) {
	case SKIP_STRIPPED:
	case SKIP_NOT_SMALLER:
	case SKIP_INTERLEAVED:
	case SKIP_EMIT_RELOCS:
	case SKIP_LINKED:
		return true;
	default:
		return false;
	}
}

/* --no-strip: what the stripper would say of the image, for may_prune. */
static bool may_prune_unstripped(const struct strip_call *c)
{
	static const struct strip_opts none;
	struct strip_result probe = STRIP_RESULT_INIT;
	bool ok;

	strip_file(c->data, c->n, c->fd, c->base, &none, &probe);
	ok = may_prune(&probe);
	strip_result_release(&probe);
	return ok;
}

/* The GPU code scan (or pruning) is done with data[lo, hi): a mapped view gives its
 * pages back (read again from the file if needed), so that a library of
 * 2 GB is never held whole. */
static void drop_pages(void *ctx, size_t lo, size_t hi)
{
	const struct strip_call *c = ctx;
	const struct source_view *v = c->view;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)(c->data + lo) + pg - 1) / pg * pg;
	uintptr_t b = (uintptr_t)(c->data + hi) / pg * pg;
	uintptr_t m = (uintptr_t)v->map;

	if (!v->map || a >= b || a < m || b > m + v->maplen)
		return;
	madvise((void *)a, b - a, MADV_DONTNEED);
}

/* --cuda-arch on a file: prune the stripper's content, or one that is
 * the file as it is when the stripper left it. */
static void prune_content(struct strip_call *c)
{
	struct strip_result *sr = c->sr;
	struct content *ct = sr->content;

	if (!ct) {
		ct = c->pcopy = xmalloc(sizeof(*ct)); /* freed by the caller if reading unwinds */
		content_init(ct, c->data, c->n);
		content_set_fd(ct, c->fd, c->base);
		content_add_src(ct, 0, c->n);
	}
	c->removed = fatbin_prune_content(c->data, c->n, ct, c->cuda, c->pruned,
					  c->view ? drop_pages : NULL, c);
	if (ct == sr->content)
		return;
	c->pcopy = NULL;
	if (!c->removed) {
		content_release(ct);
		free(ct);
		return;
	}
	c->left = sr->reason;
	sr->verdict = STRIP_CHANGED;
	sr->reason = SKIP_NONE;
	sr->content = ct;
	sr->outlen = c->n;
}

/* --cuda-arch: prune the new content, or a copy of the old one. */
static void prune(struct strip_call *c)
{
	struct strip_result *sr = c->sr;
	unsigned char *copy;

	if (!c->cuda->n || (c->gpu && !c->gpu->entries))
		return;
	if (c->o ? !may_prune(sr) : !may_prune_unstripped(c))
		return;
	if (c->fd >= 0 && (sr->content || sr->verdict == STRIP_SKIPPED)) {
		prune_content(c);
		return;
	}
	/* in memory: a buffer the stripper made, or a copy of the input */
	if (sr->verdict == STRIP_SKIPPED) {
		c->copy = xmalloc(c->n); /* freed by the caller if reading unwinds */
		memcpy(c->copy, c->data, c->n);
	}
	copy = c->copy;
	c->removed = fatbin_prune_elf(copy ? copy : sr->out, copy ? c->n : sr->outlen, c->cuda,
				      c->pruned);
	if (!copy)
		return;
	c->copy = NULL;
	if (!c->removed) {
		free(copy);
		return;
	}
	c->left = sr->reason;
	sr->verdict = STRIP_CHANGED;
	sr->reason = SKIP_NONE;
	sr->out = copy;
	sr->outlen = c->n;
}

/* Under the guard: the view may lose pages if the file shrinks. */
static void do_strip(void *ctx)
{
	struct strip_call *c = ctx;

	if (c->o)
		strip_file(c->data, c->n, c->fd, c->base, c->o, c->sr);
	else
		*c->sr = (struct strip_result)STRIP_RESULT_INIT;
	/* the inventory reads the original: stripping keeps loaded sections as they are */
	if (c->gpu)
		fatbin_scan_elf_paged(c->data, c->n, c->gpu, c->view ? drop_pages : NULL, c);
	prune(c);
}

void pass_strip_make(const struct slim_opts *o, const char *path, const unsigned char *in,
		     size_t n, int fd, struct strip_result *sr)
{
	struct fatbin_pruned pruned;
	struct strip_call c = { in, n, fd, 0, NULL, o->strip_on ? pass_strip_opts(o, path) : NULL,
				sr, NULL, &o->cuda, &pruned, 0, NULL, SKIP_NONE, NULL };

	fatbin_summary_init(&pruned.removed);
	do_strip(&c);
	fatbin_pruned_release(&pruned);
}

/* Keep the GPU code found in content i, if any, and what pruning removed
 * of it (s and c's are emptied). */
static void keep_gpu(struct pipeline *p, size_t i, struct fatbin_summary *s,
		     struct strip_call *c)
{
	struct strip_out *x;

	if (s->entries == 0 && !s->incomplete)
		return;
	x = pipeline_out(p, i);
	x->gpu = xmalloc(sizeof(*x->gpu));
	*x->gpu = *s;
	fatbin_summary_init(s);
	if (!c->cuda->n)
		return;
	x->pruned = xmalloc(sizeof(*x->pruned));
	*x->pruned = *c->pruned;
	fatbin_summary_init(&c->pruned->removed);
}

/* Open the carrier c of content i: still the file the source listed? */
static int open_carrier(struct pipeline *p, size_t i, size_t c, struct source_file *f)
{
	struct source *s = p->src;
	struct err e = ERR_INIT;
	dev_t dev;
	ino_t ino;

	if (s->ops->open(s, c, f, &e) != 0) {
		entry_error(p, i, e.code == ENOENT ? "cannot open: file vanished" : e.msg);
		err_release(&e);
		return -1;
	}
	s->ops->ident(s, c, &dev, &ino);
	if (!S_ISREG(f->st.st_mode) || f->st.st_ino != ino || f->st.st_dev != dev) {
		entry_error(p, i, "file was replaced during the run");
		return -1;
	}
	s->ents.v[i].size = f->size;
	return 0;
}

/* May content i (open as f, at carrier path) go to the stripper?  Sets
 * the verdict if not. */
static bool policy(struct pipeline *p, size_t i, const char *path, const struct source_file *f)
{
	unsigned char head[8];
	/* a file of its own may have shrunk: what is there decides */
	size_t want = f->own || f->size >= sizeof(head) ? sizeof(head) : (size_t)f->size;
	ssize_t k = pread(f->fd, head, want, (off_t)f->off);

	if (k < 0) {
		struct err e = ERR_INIT;
		err_errno(&e, errno, "cannot read");
		entry_error(p, i, e.msg);
		err_release(&e);
		return false;
	}
	if (!strip_candidate(head, (size_t)k)) {
		if (p->src->report_not_elf && looks_like_library(path))
			skip(p, i, SKIP_NOT_ELF);
		return false;
	}
	p->v[i].candidate = true;
	if (debug_path(path)) {
		skip(p, i, SKIP_DEBUG_FILE);
		return false;
	}
	if (f->size > p->src->max_view) {
		skip(p, i, SKIP_TOO_LARGE);
		return false;
	}
	return true;
}

static void keep_members(struct pipeline *p, size_t i, const struct strip_result *sr)
{
	struct strip_out *x;

	if (!sr->archive)
		return;
	x = pipeline_out(p, i);
	x->ar = xmalloc(sizeof(*x->ar));
	*x->ar = sr->ar;
}

/* The stripper made sr of content i (open as f): the sink takes it. */
static void hand_over(struct pipeline *p, size_t i, struct source_file *f,
		      const struct strip_result *sr)
{
	struct err e = ERR_INIT;
	struct dedup_digest dg;
	struct strip_out *x;
	struct content own;
	const struct content *c = sr->content;

	if (!c) { /* made in memory (an archive, an object, pruned) */
		content_init(&own, NULL, 0);
		content_add_ref(&own, sr->out, sr->outlen);
		c = &own;
	}
	/* dedup compares what was written without reading it back: hashed
	 * now, while the sink has not taken f's descriptor (c reads it) */
	if (p->o->dedup != DEDUP_OFF && dedup_digest_content(c, &dg, &e) != 0) {
		entry_error(p, i, e.msg);
		goto out;
	}
	switch (p->sink->ops->replace(p->sink, p, i, f, c, &e)) {
	case SINK_REPLACED:
		break;
	case SINK_LINKS_OUTSIDE: /* rewriting would split links we cannot see */
		skip(p, i, SKIP_LINKS_OUTSIDE);
		goto out;
	case SINK_FATAL: /* the output cannot be made: the whole input fails */
		pipeline_fail(p, e.msg);
		p->v[i].state = V_ERROR;
		goto out;
	case SINK_FAILED:
		entry_error(p, i, e.msg);
		goto out;
	}
	x = pipeline_out(p, i);
	x->after = sr->outlen;
	x->stripped = sr->outlen < f->size;
	x->replaced = !p->sink->dry_run;
	if (p->o->dedup != DEDUP_OFF) {
		x->dg = dg;
		x->have_dg = true;
	}
	p->v[i].state = V_CHANGED;
	atomic_fetch_add(&p->saved, (unsigned long long)(f->size - sr->outlen));
out:
	if (c == &own)
		content_release(&own);
	err_release(&e);
}

/* Strip content i (open as f) in memory. */
static void strip_one(struct pipeline *p, size_t i, const char *path, struct source_file *f)
{
	struct strip_result sr = STRIP_RESULT_INIT;
	struct source_view view = { 0 };
	struct fatbin_summary gpu;
	struct fatbin_pruned pruned = { 0 };
	struct strip_call call;
	struct err e = ERR_INIT;

	fatbin_summary_init(&gpu);
	fatbin_summary_init(&pruned.removed);
	if (source_view_open(f, &view, &e) != 0) {
		entry_error(p, i, e.msg);
		goto out;
	}
	call = (struct strip_call){ view.p, view.n, f->fd, f->off, &view,
				    p->o->strip_on ? pass_strip_opts(p->o, path) : NULL, &sr, &gpu,
				    &p->o->cuda, &pruned, 0, NULL, SKIP_NONE };
	if (fsu_guard(do_strip, &call) != 0) {
		/* lost to the unwind (the stripper's output, a copy for pruning) */
		sr = (struct strip_result)STRIP_RESULT_INIT;
		free(call.copy);
		if (call.pcopy)
			content_release(call.pcopy);
		free(call.pcopy);
		entry_error(p, i, "file shrank while being read");
		goto out;
	}
	keep_gpu(p, i, &gpu, &call);
	switch (sr.verdict) {
	case STRIP_SKIPPED:
		skip(p, i, sr.reason);
		keep_members(p, i, &sr);
		break;
	case STRIP_FAILED:
		entry_error(p, i, sr.err.msg);
		break;
	case STRIP_CHANGED:
		keep_members(p, i, &sr);
		hand_over(p, i, f, &sr);
		if (p->v[i].state == V_CHANGED)
			p->v[i].reason = (uint8_t)call.left;
		break;
	}
out:
	if (view.p)
		source_view_close(&view);
	fatbin_summary_release(&gpu); /* rows made before an unwind, if any */
	fatbin_pruned_release(&pruned);
	strip_result_release(&sr);
	err_release(&e);
}

static void process(void *ctx, size_t wi)
{
	struct pipeline *p = ctx;
	size_t i = p->work[wi], c = p->v[i].heir;
	const char *path = p->src->ents.v[c].path;
	struct source_file f = SOURCE_FILE_INIT;

	if (open_carrier(p, i, c, &f) == 0 && policy(p, i, path, &f))
		strip_one(p, i, path, &f);
	source_close(&f);
	atomic_fetch_add(&p->done, 1);
}

static void tick(void *ctx)
{
	struct pipeline *p = ctx;
	char saved[32];

	fmt_bytes(saved, sizeof(saved), atomic_load(&p->saved));
	progress_show("stripping %zu/%zu files, %s %s", atomic_load(&p->done), p->nwork, saved,
		      p->o->dry_run ? "to save" : "saved");
}

/* The verdicts into the report, in entry order, under the carriers' names. */
static void collect(struct pipeline *p)
{
	const struct entries *t = &p->src->ents;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct verdict *v = &p->v[i];
		const struct strip_out *x = p->out[i];
		if (t->v[i].type != ENT_FILE || v->heir == ENT_NONE)
			continue;
		pipeline_display(p, v->heir, &path);
		if (v->candidate)
			report_elf_seen(p->rep);
		if (x && x->ar)
			report_archive(p->rep, x->ar, v->state == V_CHANGED);
		if (x && x->gpu)
			report_gpu_code(p->rep, path.p, x->gpu, x->pruned);
		if (v->state == V_CHANGED && x->stripped)
			report_change(p->rep, path.p, "strip", t->v[i].size, x->after);
		else if (!p->o->strip_on) /* --no-strip: GPU code only, no reasons */
			continue;
		else if (v->state == V_CHANGED && v->reason != SKIP_NONE) /* pruned only */
			report_skip(p->rep, path.p, v->reason, t->v[i].size);
		else if (v->state == V_SKIPPED)
			report_skip(p->rep, path.p, v->reason, t->v[i].size);
	}
	buf_release(&path);
}

void pass_strip(struct pipeline *p)
{
	make_work(p);
	/* with --no-strip too: the GPU code inventory, and --cuda-arch */
	if (p->sink->ops->replace_begin)
		p->sink->ops->replace_begin(p->sink, p);
	pool_run(p->o->jobs, p->nwork, process, p, p->o->progress ? tick : NULL);
	if (p->sink->ops->replace_end)
		p->sink->ops->replace_end(p->sink, p);
	progress_clear();
	collect(p);
}

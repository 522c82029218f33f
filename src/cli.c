/* cli.c - the command line: the option table, parsing, --help. */
#include "cli.h"
#include "cli_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/stat.h>

#include "fsutil.h"
#include "image.h"
#include "imgio.h"
#include "layer.h"
#include "pool.h"

enum { OPT_JSON = 256, OPT_STRIP_OBJECTS, OPT_NO_STRIP, OPT_DEDUP, OPT_DEDUP_ELF, OPT_COMPRESS,
       OPT_LEVEL, OPT_MTIME, OPT_PRESET, OPT_KEEP, OPT_DROP, OPT_RULES, OPT_LIST_RULES, OPT_ARCH,
       OPT_PLATFORM, OPT_FAIL_OVER, OPT_MAX_ENTRY, OPT_HTML, OPT_MAX_RATIO, OPT_INPUT,
       OPT_CUDA_ARCH, OPT_CUDA_PTX, OPT_COMPLETION, OPT_ROOT, OPT_BYTECODE, OPT_DEDUP_MIN,
       OPT_DEDUP_PATHS, OPT_EXCLUDE, OPT_TAG };

/* One table drives getopt_long, --help and the shell completions
 * (--completion, cli_complete.c).  A row without help is hidden from
 * --help and from the completions. */
const struct opt cli_opts[] = {
	{ "dry-run", 'n', no_argument, NULL, "report what would be saved; change nothing" },
	{ "json", OPT_JSON, no_argument, NULL, "print the report as JSON (schema in doc/json.md)" },
	{ "jobs", 'j', required_argument, "N", "worker threads (default: online CPUs)" },
	{ "one-file-system", 'x', no_argument, NULL, "stay on the file system of each root" },
	{ "strip-objects", OPT_STRIP_OBJECTS, no_argument, NULL, "also strip standalone .o files (never .ko)" },
	{ "preset", OPT_PRESET, required_argument, "NAME",
	  "add a removal preset (python is on; none turns it off)" },
	{ "keep", OPT_KEEP, required_argument, "GLOB", "never remove what GLOB matches" },
	{ "exclude", OPT_EXCLUDE, required_argument, "GLOB",
	  "leave what GLOB matches alone: not removed, stripped or linked" },
	{ "drop", OPT_DROP, required_argument, "GLOB", "also remove what GLOB matches" },
	{ "rules", OPT_RULES, required_argument, "FILE", "read removal rules from FILE" },
	{ "list-rules", OPT_LIST_RULES, no_argument, NULL, "print every active rule and exit" },
	{ "arch", OPT_ARCH, required_argument, "ARCH",
	  "the tree's own CPU for the foreign preset (amd64, arm64, ...)" },
	{ "root", OPT_ROOT, required_argument, "DIR",
	  "in place: PATH is inside an image root mounted at DIR" },
	{ "python-bytecode", OPT_BYTECODE, required_argument, "MODE",
	  "drop (default) or keep Python byte-code (kept: faster imports)" },
	{ "no-strip", OPT_NO_STRIP, no_argument, NULL, "do not strip ELF files or archives" },
	{ "cuda-arch", OPT_CUDA_ARCH, required_argument, "LIST",
	  "remove GPU code no listed GPU runs (sm_90, or sm_80,sm_90)" },
	{ "cuda-ptx", OPT_CUDA_PTX, required_argument, "keep|none",
	  "with --cuda-arch: keep the newest PTX for newer GPUs (keep), or not" },
	{ "dedup", OPT_DEDUP, required_argument, "MODE",
	  "link identical files (link, default), only report them, or off" },
	{ "dedup-elf", OPT_DEDUP_ELF, no_argument, NULL, "also link identical ELF shared objects" },
	{ "dedup-min-size", OPT_DEDUP_MIN, required_argument, "N",
	  "link files of N bytes (K/M/G) or more (default 4K in place, else 0)" },
	{ "dedup-paths", OPT_DEDUP_PATHS, required_argument, "MODE",
	  "all: link under etc/, var/ too (default: safe in place, else all)" },
	{ "input", OPT_INPUT, required_argument, "KIND",
	  "read PATH as a layer, image, dir or wheel (default: from its content)" },
	{ "output", 'o', required_argument, "OUT",
	  "write a slimmed layer (tar[.gz|.zst]) instead of changing PATH" },
	{ "tag", OPT_TAG, required_argument, "NAME[:TAG]",
	  "images: name the output image (default: the input's names)" },
	{ "compress", OPT_COMPRESS, required_argument, "ALGO",
	  "compression of OUT: zstd, gzip or none (default: from its name)" },
	{ "level", OPT_LEVEL, required_argument, "N", "compression level (zstd 1-22, gzip 1-9)" },
	{ "mtime", OPT_MTIME, optional_argument, "EPOCH",
	  "in OUT, clamp times to EPOCH (default $SOURCE_DATE_EPOCH)" },
	{ "platform", OPT_PLATFORM, required_argument, "OS/ARCH[/V]",
	  "images: slim only this platform's image (others are dropped)" },
	{ "max-entry-size", OPT_MAX_ENTRY, required_argument, "SIZE",
	  "layers: strip files up to SIZE in memory (default 4G)" },
	{ "max-ratio", OPT_MAX_RATIO, required_argument, "N",
	  "layers, zips: refuse one that grows N times past 1G (default 1000; 0: no limit)" },
	{ "html", OPT_HTML, required_argument, "FILE",
	  "write a self-contained HTML audit page (treemap and tables)" },
	{ "fail-if-saving-over", OPT_FAIL_OVER, required_argument, "SIZE|N%",
	  "exit 4 if slim saves (would save) more than SIZE or N%" },
	{ "quiet", 'q', no_argument, NULL, "print no report and no progress" },
	{ "verbose", 'v', no_argument, NULL, "list every changed and skipped file" },
	{ "help", 'h', no_argument, NULL, "show this help and exit" },
	{ "version", 'V', no_argument, NULL, "show the version and exit" },
	/* hidden: `slim --completion bash|zsh` prints a completion script */
	{ "completion", OPT_COMPLETION, required_argument, "SHELL", NULL },
};
const size_t cli_nopts = ARRAY_SIZE(cli_opts);

void cli_print_help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: slim [OPTION]... PATH...\n"
		   "Make container images smaller, in place: remove what a runtime does not\n"
		   "need (rules), strip unneeded symbols from the ELF files and static\n"
		   "archives under each PATH (a directory or a file), then replace identical\n"
		   "files by hard links.  With -o, write a slimmed layer instead; for a saved\n"
		   "image (docker-archive or OCI layout), a slimmed image.\n"
		   "PATH or OUT may be - (stdin, stdout) or an image by name through skopeo:\n"
		   "containers-storage:NAME, docker-daemon:NAME, docker://REF, oci:DIR[:TAG],\n"
		   "oci-archive:FILE, docker-archive:FILE.\n\n");
	for (i = 0; i < ARRAY_SIZE(cli_opts); i++) {
		char left[64];
		const char *sep = cli_opts[i].has_arg == optional_argument ? "[=" : " ";
		const char *end = cli_opts[i].has_arg == optional_argument ? "]" : "";
		if (!cli_opts[i].help)
			continue;
		if (!cli_opts[i].arg)
			sep = end = "";
		if (cli_opts[i].key < 128)
			snprintf(left, sizeof(left), "-%c, --%s%s%s%s", cli_opts[i].key, cli_opts[i].name, sep,
				 cli_opts[i].arg ? cli_opts[i].arg : "", end);
		else
			snprintf(left, sizeof(left), "    --%s%s%s%s", cli_opts[i].name, sep,
				 cli_opts[i].arg ? cli_opts[i].arg : "", end);
		fprintf(f, "  %-26s %s\n", left, cli_opts[i].help);
	}
	fprintf(f, "\nSIZE: bytes, or with a unit: K, M, G, T or KiB, MiB, GiB, TiB (1024s),\n"
		   "KB, MB, GB, TB (1000s); 1.5M is 1572864 bytes, 10MB 10000000.\n");
	fprintf(f, "\nExit status: 0 done, 1 done but some files failed (or every PATH:\n"
		   "then only the errors are printed), 2 bad usage, 3 could not run,\n"
		   "4 saving over the --fail-if-saving-over limit.\n"
		   "Report on stdout, diagnostics on stderr.\n"
		   "See slim(1) and README.md.\n");
}

/* The first line names what this slim is: other programs install a `slim`
 * too (SlimToolkit's CLI, the SLiM login manager); README tells them apart
 * by it. */
void cli_print_version(FILE *f)
{
	fprintf(f, "slim %s (container image post-processor: strip, rules, dedup)\n",
		SLIM_VERSION);
}

/* ---- parsing ------------------------------------------------------------- */

/* What only the parse keeps. */
struct pstate {
	bool no_default_preset; /* --preset none */
	bool list_rules;
	bool cuda_ptx;          /* --cuda-ptx given */
};

/* A usage error: msg, and the argument it is about (quoted) if any. */
static enum cli_action bad(struct err *e, const char *msg, const char *arg)
{
	if (arg)
		err_set(e, "%s '%s'", msg, arg);
	else
		err_set(e, "%s", msg);
	return CLI_USAGE;
}

static bool parse_ll(const char *s, long long lo, long long hi, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end && *v >= lo && *v <= hi;
}

/* An integer in lo..hi; the message of one outside says the range. */
static enum cli_action parse_int(const char *s, int lo, int hi, const char *what, int *v,
				 struct err *e)
{
	long long x;

	if (!parse_ll(s, lo, hi, &x)) {
		err_set(e, "%s '%s' (%d to %d)", what, s, lo, hi);
		return CLI_USAGE;
	}
	*v = (int)x;
	return CLI_RUN;
}

static enum cli_action parse_mtime(const char *arg, struct slim_opts *o, struct err *e)
{
	if (!arg) {
		arg = getenv("SOURCE_DATE_EPOCH");
		if (!arg || !*arg)
			return bad(e, "--mtime without a value needs SOURCE_DATE_EPOCH", NULL);
	}
	o->clamp_mtime = true;
	if (!parse_ll(arg, 0, (1LL << 40), &o->mtime)) {
		err_set(e, "invalid --mtime '%s' (seconds since 1970, 0 to %lld)", arg, 1LL << 40);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

/*
 * The factor of a size's unit, as GNU tools read them: K, M, G, T (either
 * case) and KiB, MiB, ... are powers of 1024; KB, MB, ... powers of 1000;
 * B or nothing, bytes.  0: not a unit.
 */
static double unit(const char *u)
{
	static const char letters[] = "KMGT";
	const char *at;
	double base, f = 1;
	int k;

	if (!*u || strcasecmp(u, "B") == 0)
		return 1;
	at = strchr(letters, toupper((unsigned char)u[0]));
	if (!at)
		return 0;
	if (!u[1] || strcasecmp(u + 1, "iB") == 0)
		base = 1024;
	else if (strcasecmp(u + 1, "B") == 0)
		base = 1000;
	else
		return 0;
	for (k = 0; k <= at - letters; k++)
		f *= base;
	return f;
}

/* "N" with a unit or none (unit() above); *u gets the unit as given. */
static bool parse_size(const char *s, double *out, const char **u)
{
	char *end;
	double v, f;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || !isdigit((unsigned char)*s) || !(f = unit(end)))
		return false;
	*out = v * f;
	*u = end;
	return *out < 1.8e19; /* fits in 64 bits */
}

static enum cli_action parse_max_entry(const char *s, struct slim_opts *o, struct err *e)
{
	const char *u;
	double v;

	if (!parse_size(s, &v, &u)) {
		err_set(e, "invalid --max-entry-size '%s' (bytes, or a size such as 512K, "
			   "10MB, 10MiB, 4G)", s);
		return CLI_USAGE;
	}
	o->max_entry = (unsigned long long)v;
	return CLI_RUN;
}

static enum cli_action bad_limit(const char *s, struct err *e)
{
	err_set(e, "invalid --fail-if-saving-over '%s' (bytes, a size such as 10MB, or a "
		   "percentage such as 5%%)", s);
	return CLI_USAGE;
}

/* --fail-if-saving-over: a size (parse_size) or "N%" */
static enum cli_action parse_limit(const char *s, struct cli *c, struct err *e)
{
	size_t n = strlen(s);
	const char *u;
	char *end;
	double v;

	c->fail_text = s;
	if (n > 1 && s[n - 1] == '%') {
		errno = 0;
		v = strtod(s, &end);
		if (errno || end != s + n - 1 || !(v >= 0) || !isdigit((unsigned char)*s))
			return bad_limit(s, e);
		c->fail_pct = true;
		c->fail_unit = "%";
	} else if (parse_size(s, &v, &u)) {
		c->fail_unit = u;
		c->fail_factor = unit(u);
	} else {
		return bad_limit(s, e);
	}
	c->fail_over = true;
	c->fail_limit = v;
	return CLI_RUN;
}

static enum cli_action parse_input(const char *s, struct cli *c, struct err *e)
{
	static const char *const names[] = { "auto", "layer", "image", "dir", "wheel" };
	size_t i;

	for (i = 1; i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			c->input = (enum cli_input)i;
			return CLI_RUN;
		}
	}
	return bad(e, "invalid --input (layer, image, dir or wheel)", s);
}

static enum cli_action parse_dedup(const char *s, struct slim_opts *o, struct err *e)
{
	if (strcmp(s, "link") == 0)
		o->dedup = DEDUP_LINK;
	else if (strcmp(s, "report") == 0)
		o->dedup = DEDUP_REPORT;
	else if (strcmp(s, "off") == 0)
		o->dedup = DEDUP_OFF;
	else
		return bad(e, "invalid --dedup mode (link, report or off)", s);
	return CLI_RUN;
}

static enum cli_action parse_compress(const char *s, struct slim_opts *o, struct err *e)
{
	if (strcmp(s, "zstd") == 0)
		o->compress = COMPRESS_ZSTD;
	else if (strcmp(s, "gzip") == 0)
		o->compress = COMPRESS_GZIP;
	else if (strcmp(s, "none") == 0)
		o->compress = COMPRESS_NONE;
	else
		return bad(e, "invalid --compress (zstd, gzip or none)", s);
	return CLI_RUN;
}

static enum cli_action parse_cuda_arch(const char *s, struct slim_opts *o, struct err *e)
{
	char msg[160];
	bool no_ptx = o->cuda.no_ptx;

	if (cuda_targets_parse(s, &o->cuda, msg, sizeof(msg)) != 0) {
		err_set(e, "%s", msg);
		return CLI_USAGE;
	}
	o->cuda.no_ptx = no_ptx;
	return CLI_RUN;
}

/* --tag: an image name as registries and `podman load` take it (letters,
 * digits, and . _ - / : @), at most 255 bytes. */
static enum cli_action parse_tag(const char *s, struct slim_opts *o, struct err *e)
{
	size_t n = strlen(s);

	if (!n || n > 255 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-/:@") != n || !isalnum((unsigned char)s[0]) ||
	    s[n - 1] == ':' || s[n - 1] == '/')
		return bad(e, "invalid --tag (NAME[:TAG], like localhost/app:slim)", s);
	o->tag = s;
	return CLI_RUN;
}

static enum cli_action parse_platform(const char *s, struct slim_opts *o, struct err *e)
{
	struct image_platform pf;
	struct err sub = ERR_INIT;

	if (image_platform_parse(s, &pf, &sub) != 0) {
		err_release(&sub);
		return bad(e, "invalid --platform (OS/ARCH[/VARIANT])", s);
	}
	image_platform_release(&pf);
	o->platform = s;
	return CLI_RUN;
}

/* What a rules function returned, as the parse goes on or not. */
static enum cli_action rules_did(int rc)
{
	return rc != 0 ? CLI_BAD_RULES : CLI_RUN;
}

static enum cli_action add_preset(struct cli *c, struct pstate *ps, const char *name,
				  struct err *e)
{
	if (strcmp(name, "none") == 0) {
		ps->no_default_preset = true;
		return CLI_RUN;
	}
	return rules_did(rules_add_preset(c->rules, name, e));
}

/* The table's entry for key, or NULL. */
static const struct opt *opt_of(int key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cli_opts); i++)
		if (cli_opts[i].key == key)
			return &cli_opts[i];
	return NULL;
}

/* The edit distance of a and b (insert, delete, replace, swap two
 * neighbours), or more than 3 when it is more. */
static size_t distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i, j;
	size_t d[40][40];

	if (na >= 40 || nb >= 40 || (na > nb ? na - nb : nb - na) > 3)
		return 4;
	for (i = 0; i <= na; i++)
		d[i][0] = i;
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		for (j = 1; j <= nb; j++) {
			size_t x = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < x)
				x = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < x)
				x = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < x)
				x = d[i - 2][j - 2] + 1;
			d[i][j] = x;
		}
	}
	return d[na][nb];
}

/* The long options that name (as typed, without "--" and "=...") may
 * have meant, into out: those it is a prefix of (getopt_long found it
 * ambiguous), else the nearest few edits away.  Returns how many. */
static size_t suggest(const char *name, size_t len, const char **out, size_t max)
{
	char typed[40];
	size_t i, n = 0, best = 3, d;

	if (!len || len >= sizeof(typed))
		return 0;
	memcpy(typed, name, len);
	typed[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(cli_opts) && n < max; i++)
		if (strncmp(cli_opts[i].name, typed, len) == 0)
			out[n++] = cli_opts[i].name;
	if (n)
		return n;
	/* one edit for a short name, up to three for a long one */
	if (len / 4 < best)
		best = len / 4 ? len / 4 : 1;
	for (i = 0; i < ARRAY_SIZE(cli_opts); i++) {
		d = distance(typed, cli_opts[i].name);
		if (d < best || (d == best && n < max)) {
			n = d < best ? 0 : n;
			best = d;
			out[n++] = cli_opts[i].name;
		}
	}
	return n;
}

/* An option getopt does not know, one without its argument (key ':'), or
 * one given an argument it takes none of: what it was, and what the user
 * may have meant. */
static enum cli_action unknown(int key, char **argv, struct err *e)
{
	const char *word = argv[optind - 1], *name, *eq, *near[4];
	const struct opt *x = optopt ? opt_of(optopt) : NULL;
	struct buf msg = BUF_INIT;
	size_t n, i;

	if (key == ':' && x && strncmp(word, "--", 2) == 0)
		err_set(e, "option '--%s' needs an argument (%s)", x->name, x->arg);
	else if (key == ':' && x)
		err_set(e, "option '-%c' (--%s) needs an argument (%s)", optopt, x->name, x->arg);
	else if (x && strncmp(word, "--", 2) == 0) /* "--json=1" */
		err_set(e, "option '--%s' takes no argument", x->name);
	else if (optopt)
		err_set(e, "invalid option -- '%c'", optopt);
	else
		err_set(e, "unrecognized option '%s'", word);
	if (key == ':' || optopt || strncmp(word, "--", 2) != 0)
		return CLI_USAGE;
	name = word + 2;
	eq = strchr(name, '=');
	n = suggest(name, eq ? (size_t)(eq - name) : strlen(name), near, ARRAY_SIZE(near));
	if (!n)
		return CLI_USAGE;
	buf_addf(&msg, "%s; did you mean ", e->msg);
	for (i = 0; i < n; i++)
		buf_addf(&msg, "%s--%s", i == 0 ? "" : i + 1 < n ? ", " : " or ", near[i]);
	err_set(e, "%s?", msg.p);
	buf_release(&msg);
	return CLI_USAGE;
}

/* One option: key as getopt_long returned it, arg its argument.  CLI_RUN
 * to go on. */
/* arg is one of the words a and b: 0 for a, 1 for b, -1 for neither. */
static int word2(const char *arg, const char *a, const char *b)
{
	return !strcmp(arg, a) ? 0 : !strcmp(arg, b) ? 1 : -1;
}

static enum cli_action parse_dedup_min(const char *arg, struct slim_opts *o, struct err *e)
{
	const char *u;
	double v;

	if (!parse_size(arg, &v, &u)) {
		err_set(e, "invalid --dedup-min-size '%s' (bytes, or a size such as 4K, 10KB, 1MiB)",
			arg);
		return CLI_USAGE;
	}
	o->dedup_min = (unsigned long long)v;
	o->dedup_min_set = true;
	return CLI_RUN;
}

/* The options of outputs, layers, images and GPU code (option() has the
 * rest). */
static enum cli_action option_out(struct cli *c, struct pstate *ps, int key, char *arg,
				  char **argv, struct err *e)
{
	struct slim_opts *o = &c->o;
	long long ll;
	int ratio, w;

	switch (key) {
	case 'o': o->output = arg; break;
	case OPT_COMPRESS: return parse_compress(arg, o, e);
	case OPT_LEVEL:
		if (parse_ll(arg, 1, 22, &ll)) {
			o->level = (int)ll;
			break;
		}
		err_set(e, "invalid compression level '%s' (zstd levels are 1-22, gzip 1-9)", arg);
		return CLI_USAGE;
	case OPT_MTIME: return parse_mtime(arg, o, e);
	case OPT_MAX_ENTRY: return parse_max_entry(arg, o, e);
	case OPT_HTML: o->html = arg; break;
	case OPT_INPUT: return parse_input(arg, c, e);
	case OPT_MAX_RATIO:
		if (parse_int(arg, 0, 1000000000, "invalid --max-ratio", &ratio, e) != CLI_RUN)
			return CLI_USAGE;
		o->max_ratio = (unsigned)ratio;
		break;
	case OPT_PLATFORM: return parse_platform(arg, o, e);
	case OPT_TAG: return parse_tag(arg, o, e);
	case OPT_CUDA_ARCH: return parse_cuda_arch(arg, o, e);
	case OPT_CUDA_PTX:
		if ((w = word2(arg, "keep", "none")) < 0)
			return bad(e, "invalid --cuda-ptx (keep or none)", arg);
		o->cuda.no_ptx = w == 1;
		ps->cuda_ptx = true;
		break;
	case OPT_COMPLETION:
		if (word2(arg, "bash", "zsh") < 0)
			return bad(e, "invalid --completion (bash or zsh)", arg);
		c->completion = arg;
		return CLI_COMPLETION;
	case '?':
	case ':':
	default: return unknown(key, argv, e);
	}
	return CLI_RUN;
}

static enum cli_action option(struct cli *c, struct pstate *ps, int key, char *arg, char **argv,
			      struct err *e)
{
	struct slim_opts *o = &c->o;
	int w;

	switch (key) {
	case 'n': o->dry_run = true; break;
	case OPT_JSON: o->json = true; break;
	case 'j': return parse_int(arg, 1, 1024, "invalid number of jobs", &o->jobs, e);
	case 'x': o->xdev = true; break;
	case OPT_STRIP_OBJECTS: o->strip.strip_objects = 1; break;
	case OPT_NO_STRIP: o->strip_on = false; break;
	case OPT_DEDUP: return parse_dedup(arg, o, e);
	case OPT_DEDUP_ELF: o->dedup_elf = true; break;
	case OPT_DEDUP_MIN: return parse_dedup_min(arg, o, e);
	case OPT_DEDUP_PATHS:
		if ((w = word2(arg, "safe", "all")) < 0)
			return bad(e, "invalid --dedup-paths (safe or all)", arg);
		o->dedup_paths = w ? DEDUP_PATHS_ALL : DEDUP_PATHS_SAFE;
		break;
	case OPT_PRESET: return add_preset(c, ps, arg, e);
	case OPT_KEEP: return rules_did(rules_add_glob(c->rules, true, arg, "--keep", e));
	case OPT_EXCLUDE:
		if (rules_add_glob(c->exclude, false, arg, "--exclude", e) != 0)
			return CLI_BAD_RULES;
		return rules_did(rules_add_glob(c->rules, true, arg, "--exclude", e));
	case OPT_DROP: return rules_did(rules_add_glob(c->rules, false, arg, "--drop", e));
	case OPT_RULES: return rules_did(rules_load_file(c->rules, arg, e));
	case OPT_LIST_RULES: ps->list_rules = true; break;
	case OPT_ARCH: return rules_did(rules_set_arch(c->rules, arg, e));
	case OPT_ROOT:
		if (!*arg)
			return bad(e, "--root needs a directory", NULL);
		o->root = arg;
		break;
	case OPT_BYTECODE:
		if ((w = word2(arg, "drop", "keep")) < 0)
			return bad(e, "invalid --python-bytecode (drop or keep)", arg);
		o->keep_bytecode = w == 1;
		rules_keep_bytecode(c->rules, o->keep_bytecode);
		break;
	case OPT_FAIL_OVER: return parse_limit(arg, c, e);
	case 'q': o->quiet = true; break;
	case 'v': o->verbose++; break;
	case 'h': return CLI_HELP;
	case 'V': return CLI_VERSION;
	default: return option_out(c, ps, key, arg, argv, e);
	}
	return CLI_RUN;
}

/* getopt_long's tables from opts: lo (ARRAY_SIZE(cli_opts) + 1 entries) and
 * the short options so (3 * ARRAY_SIZE(cli_opts) + 2 bytes). */
static void getopt_tables(struct option *lo, char *so)
{
	size_t i;

	*so++ = ':'; /* a missing argument returns ':', not '?' */
	for (i = 0; i < ARRAY_SIZE(cli_opts); i++) {
		lo[i].name = cli_opts[i].name;
		lo[i].has_arg = cli_opts[i].has_arg;
		lo[i].flag = NULL;
		lo[i].val = cli_opts[i].key;
		if (cli_opts[i].key < 128) {
			*so++ = (char)cli_opts[i].key;
			if (cli_opts[i].has_arg == required_argument)
				*so++ = ':';
		}
	}
	*so = '\0';
	memset(&lo[ARRAY_SIZE(cli_opts)], 0, sizeof(lo[0]));
}

/*
 * -o OUT, checked before any work: a name; not the input itself (it would
 * be replaced by its slimmed copy); a file output not an existing directory
 * and in a directory that exists; a layout output (an image layout in) a
 * new or empty directory.  "-" only when stdout is no terminal; an image's
 * name (imgio.h) is skopeo's to check, and not with --tag.
 */
/*
 * A compression slim cannot write, named by OUT's suffix, or NULL.  Without
 * --compress the output's compression comes from its name (zstd, gzip, or
 * none); a name promising another one (`l.tar.xz`) would otherwise get an
 * uncompressed tar under it, which a reader then fails to decompress.
 */
static const char *unwritable_suffix(const char *out)
{
	static const char *const sfx[] = {
		".xz", ".txz", ".lzma", ".tlz", ".lz", ".bz2", ".tbz", ".tbz2", ".tb2",
		".lz4", ".Z", ".taZ", ".br", ".lzo", ".7z",
	};
	size_t n = strlen(out), i, k;

	for (i = 0; i < ARRAY_SIZE(sfx); i++) {
		k = strlen(sfx[i]);
		if (n > k && strcmp(out + n - k, sfx[i]) == 0)
			return sfx[i];
	}
	return NULL;
}

static enum cli_action check_output(struct cli *c, struct err *e)
{
	const char *out = c->o.output, *input = c->paths[0], *base;
	enum cli_input kind;
	struct stat in, st;
	bool dir_out;
	int dfd;

	if (!*out)
		return bad(e, "-o needs a file name", NULL);
	switch (imgio_kind_of(out)) {
	case IMGIO_STDIO:
		if (isatty(STDOUT_FILENO))
			return bad(e, "-o - writes to standard output, which is a terminal: "
				      "redirect or pipe it", NULL);
		return CLI_RUN;
	case IMGIO_REF:
		if (c->o.tag) {
			err_set(e, "--tag with -o '%s': the reference names the image", out);
			return CLI_USAGE;
		}
		return CLI_RUN; /* skopeo says what it makes of it, at the end */
	case IMGIO_PATH:
		break;
	}
	if (!*out)
		return bad(e, "-o needs a file name", NULL);
	if (unwritable_suffix(out)) {
		err_set(e, "-o '%s': slim cannot write %s compression; name the output .tar, "
			   ".tar.gz/.tgz or .tar.zst/.tzst", out, unwritable_suffix(out) + 1);
		return CLI_USAGE;
	}
	if (imgio_kind_of(input) != IMGIO_PATH) /* its image is written as a file */
		goto file_out;
	if (cli_kind_of(c, input, &kind) == NULL) {
		c->first_known = true;
		c->first_kind = kind;
	}
	dir_out = c->first_known && kind == CLI_IN_IMAGE && stat(input, &st) == 0 &&
		  S_ISDIR(st.st_mode);
	if (stat(input, &in) == 0 && stat(out, &st) == 0 && in.st_dev == st.st_dev &&
	    in.st_ino == st.st_ino) {
		err_set(e, "-o '%s' is the input itself: give a new name", out);
		return CLI_USAGE;
	}
	if (dir_out) {
		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			err_set(e, "-o '%s' exists and is not a directory (an image layout "
				   "makes a directory)", out);
			return CLI_USAGE;
		}
		return CLI_RUN; /* that it is new or empty: image_run, as it may change */
	}
file_out:
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
		err_set(e, "-o '%s' is a directory: give a file name (a layer, a wheel or "
			   "an image tar is written to a file)", out);
		return CLI_USAGE;
	}
	dfd = fsu_open_dir_of(out, &base);
	if (dfd < 0) {
		if (errno == EINVAL)
			err_set(e, "-o '%s': not a file name", out);
		else
			err_errno(e, errno, "-o '%s': cannot open its directory", out);
		return CLI_USAGE;
	}
	/* found now, not after all the work, when the output is renamed in */
	if (faccessat(dfd, ".", W_OK, AT_EACCESS) != 0) {
		err_errno(e, errno, "-o '%s': cannot write in its directory", out);
		close(dfd);
		return CLI_USAGE;
	}
	close(dfd);
	return CLI_RUN;
}

/* --level for a gzip output (asked for, or OUT's name): gzip has 1-9. */
static enum cli_action check_level(const struct slim_opts *o, struct err *e)
{
	if (!o->level || o->level <= 9)
		return CLI_RUN;
	if (o->compress == COMPRESS_GZIP ||
	    (o->output && o->compress == COMPRESS_AUTO &&
	     layer_output_compress(o, o->output) == COMPRESS_GZIP)) {
		err_set(e, "invalid compression level '%d' for gzip (gzip levels are 1-9)",
			o->level);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

/* --root DIR: a directory, and every PATH is in it. */
static enum cli_action check_root(struct cli *c, struct err *e)
{
	char *root = realpath(c->o.root, NULL), *p = NULL;
	enum cli_action act = CLI_RUN;
	struct stat st;
	int i;

	if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		act = bad(e, "--root is not a directory", c->o.root);
		goto out;
	}
	for (i = 0; i < c->npaths && act == CLI_RUN; i++) {
		struct err sub = ERR_INIT;

		if (lstat(c->paths[i], &st) != 0)
			continue; /* a PATH that is not there: its own error later */
		p = fsu_place(c->paths[i], root, &sub);
		if (!p) {
			err_set(e, "'%s' is not under --root '%s'", c->paths[i], c->o.root);
			act = CLI_USAGE;
		}
		err_release(&sub);
		free(p);
	}
out:
	free(root);
	return act;
}

enum cli_action cli_parse(int argc, char **argv, struct cli *c, struct err *e)
{
	struct option lo[ARRAY_SIZE(cli_opts) + 1];
	char so[3 * ARRAY_SIZE(cli_opts) + 2];
	struct pstate ps = { false, false, false };
	struct slim_opts *o = &c->o;
	enum cli_action act;
	int key;

	getopt_tables(lo, so);
	memset(c, 0, sizeof(*c));
	c->rules = rules_new();
	c->exclude = rules_new();
	o->jobs = pool_ncpu();
	o->strip_on = true;
	o->dedup = DEDUP_LINK;
	o->max_entry = 4ULL << 30;
	o->max_ratio = 1000;
	opterr = 0;
	while ((key = getopt_long(argc, argv, so, lo, NULL)) != -1)
		if ((act = option(c, &ps, key, optarg, argv, e)) != CLI_RUN)
			return act;
	if (!ps.no_default_preset && rules_add_preset(c->rules, "python", e) != 0)
		return CLI_BAD_RULES;
	if (ps.list_rules)
		return CLI_LIST_RULES;
	o->rules = rules_count(c->rules) ? c->rules : NULL;
	o->exclude = rules_count(c->exclude) ? c->exclude : NULL;
	if (optind >= argc)
		return bad(e, "missing PATH", NULL);
	if (o->output && argc - optind != 1)
		return bad(e, "-o takes exactly one PATH", NULL);
	if (!o->output && (o->compress != COMPRESS_AUTO || o->level || o->clamp_mtime))
		return bad(e, "--compress, --level and --mtime need -o", NULL);
	if (ps.cuda_ptx && !o->cuda.n)
		return bad(e, "--cuda-ptx needs --cuda-arch", NULL);
	if (check_level(o, e) != CLI_RUN)
		return CLI_USAGE;
	if (o->root && o->output)
		return bad(e, "--root is for trees slimmed in place: with -o, paths start at the "
			      "given directory already", NULL);
	if (o->tag && !o->output)
		return bad(e, "--tag needs -o", NULL);
	o->progress = !o->quiet && isatty(STDERR_FILENO);
	c->paths = argv + optind;
	c->npaths = argc - optind;
	if (o->root && check_root(c, e) != CLI_RUN)
		return CLI_USAGE;
	return o->output ? check_output(c, e) : CLI_RUN;
}

void cli_release(struct cli *c)
{
	rules_free(c->rules);
	rules_free(c->exclude);
	c->rules = c->exclude = NULL;
	c->o.exclude = NULL;
	c->o.rules = NULL;
}

/* ---- what a PATH is ------------------------------------------------------- */

const char *cli_kind_of(const struct cli *c, const char *path, enum cli_input *kind)
{
	unsigned char h[4] = { 0 };
	struct stat st;
	bool file, zip;
	int fd;

	*kind = c->input;
	if (c->first_known && path == c->paths[0]) {
		*kind = c->first_kind;
		return NULL;
	}
	if (c->input == CLI_IN_AUTO) {
		*kind = image_detect(path) ? CLI_IN_IMAGE : layer_detect(path) ? CLI_IN_LAYER
									       : CLI_IN_DIR;
		return NULL;
	}
	if (stat(path, &st) != 0)
		return strerror(errno);
	file = S_ISREG(st.st_mode);
	fd = file ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	zip = fd >= 0 && read(fd, h, 4) == 4 && memcmp(h, "PK\3\4", 4) == 0;
	if (fd >= 0)
		close(fd);
	if (c->input == CLI_IN_DIR && !S_ISDIR(st.st_mode))
		return "not a directory (--input dir)";
	if (c->input == CLI_IN_IMAGE && !file && !S_ISDIR(st.st_mode))
		return "not a file or directory (--input image)";
	if (c->input == CLI_IN_WHEEL && !zip)
		return "not a zip file (--input wheel)";
	if (c->input == CLI_IN_LAYER && (!file || zip))
		return "not a tar file (--input layer)";
	return NULL;
}

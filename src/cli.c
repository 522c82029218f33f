/* cli.c - the command line: the option table, parsing, --help. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "fsutil.h"
#include "image.h"
#include "layer.h"
#include "pool.h"

enum { OPT_JSON = 256, OPT_STRIP_OBJECTS, OPT_NO_STRIP, OPT_DEDUP, OPT_DEDUP_ELF, OPT_COMPRESS,
       OPT_LEVEL, OPT_MTIME, OPT_PRESET, OPT_KEEP, OPT_DROP, OPT_RULES, OPT_LIST_RULES, OPT_ARCH,
       OPT_PLATFORM, OPT_FAIL_OVER, OPT_MAX_ENTRY, OPT_HTML, OPT_MAX_RATIO, OPT_INPUT,
       OPT_CUDA_ARCH, OPT_CUDA_PTX };

/* One table drives getopt_long and --help. */
static const struct opt {
	const char *name;
	int key;
	int has_arg;
	const char *arg;
	const char *help;
} opts[] = {
	{ "dry-run", 'n', no_argument, NULL, "report what would be saved; change nothing" },
	{ "json", OPT_JSON, no_argument, NULL, "print the report as JSON (schema in README)" },
	{ "jobs", 'j', required_argument, "N", "worker threads (default: online CPUs)" },
	{ "one-file-system", 'x', no_argument, NULL, "stay on the file system of each root" },
	{ "strip-objects", OPT_STRIP_OBJECTS, no_argument, NULL, "also strip standalone .o files (never .ko)" },
	{ "preset", OPT_PRESET, required_argument, "NAME",
	  "add a removal preset (python is on; none turns it off)" },
	{ "keep", OPT_KEEP, required_argument, "GLOB", "never remove what GLOB matches" },
	{ "drop", OPT_DROP, required_argument, "GLOB", "also remove what GLOB matches" },
	{ "rules", OPT_RULES, required_argument, "FILE", "read removal rules from FILE" },
	{ "list-rules", OPT_LIST_RULES, no_argument, NULL, "print every active rule and exit" },
	{ "arch", OPT_ARCH, required_argument, "ARCH",
	  "the tree's own CPU for the foreign preset (amd64, arm64, ...)" },
	{ "no-strip", OPT_NO_STRIP, no_argument, NULL, "do not strip ELF files or archives" },
	{ "cuda-arch", OPT_CUDA_ARCH, required_argument, "LIST",
	  "remove GPU code no listed GPU runs (sm_90, or sm_80,sm_90)" },
	{ "cuda-ptx", OPT_CUDA_PTX, required_argument, "keep|none",
	  "with --cuda-arch: keep the newest PTX for newer GPUs (keep), or not" },
	{ "dedup", OPT_DEDUP, required_argument, "MODE",
	  "link identical files (link, default), only report them, or off" },
	{ "dedup-elf", OPT_DEDUP_ELF, no_argument, NULL, "also link identical ELF shared objects" },
	{ "input", OPT_INPUT, required_argument, "KIND",
	  "read PATH as a layer, image, dir or wheel (default: from its content)" },
	{ "output", 'o', required_argument, "OUT",
	  "write a slimmed layer (tar[.gz|.zst]) instead of changing PATH" },
	{ "compress", OPT_COMPRESS, required_argument, "ALGO",
	  "compression of OUT: zstd, gzip or none (default: from its name)" },
	{ "level", OPT_LEVEL, required_argument, "N", "compression level (zstd 1-19, gzip 1-9)" },
	{ "mtime", OPT_MTIME, optional_argument, "EPOCH",
	  "in OUT, clamp times to EPOCH (default $SOURCE_DATE_EPOCH)" },
	{ "platform", OPT_PLATFORM, required_argument, "OS/ARCH[/V]",
	  "images: slim only this platform's image (others are dropped)" },
	{ "max-entry-size", OPT_MAX_ENTRY, required_argument, "N",
	  "layers: strip files up to N bytes (K/M/G) in memory (default 4G)" },
	{ "max-ratio", OPT_MAX_RATIO, required_argument, "N",
	  "layers, zips: refuse one that grows N times past 1G (default 1000; 0: no limit)" },
	{ "html", OPT_HTML, required_argument, "FILE",
	  "write a self-contained HTML audit page (treemap and tables)" },
	{ "fail-if-saving-over", OPT_FAIL_OVER, required_argument, "N[%]",
	  "exit 4 if slim saves (would save) more than N bytes (K/M/G) or N%" },
	{ "quiet", 'q', no_argument, NULL, "print no report and no progress" },
	{ "verbose", 'v', no_argument, NULL, "list every changed and skipped file" },
	{ "help", 'h', no_argument, NULL, "show this help and exit" },
	{ "version", 'V', no_argument, NULL, "show the version and exit" },
};

void cli_print_help(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: slim [OPTION]... PATH...\n"
		   "Make container images smaller, in place: remove what a runtime does not\n"
		   "need (rules), strip unneeded symbols from the ELF files and static\n"
		   "archives under each PATH (a directory or a file), then replace identical\n"
		   "files by hard links.  With -o, write a slimmed layer instead; for a saved\n"
		   "image (docker-archive or OCI layout), a slimmed image.\n\n");
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		char left[64];
		const char *sep = opts[i].has_arg == optional_argument ? "[=" : " ";
		const char *end = opts[i].has_arg == optional_argument ? "]" : "";
		if (!opts[i].arg)
			sep = end = "";
		if (opts[i].key < 128)
			snprintf(left, sizeof(left), "-%c, --%s%s%s%s", opts[i].key, opts[i].name, sep,
				 opts[i].arg ? opts[i].arg : "", end);
		else
			snprintf(left, sizeof(left), "    --%s%s%s%s", opts[i].name, sep,
				 opts[i].arg ? opts[i].arg : "", end);
		fprintf(f, "  %-26s %s\n", left, opts[i].help);
	}
	fprintf(f, "\nExit status: 0 done, 1 done but some files failed, 2 bad usage,\n"
		   "3 could not run, 4 saving over the --fail-if-saving-over limit.\n"
		   "Report on stdout, diagnostics on stderr.\n"
		   "See slim(1) and README.md.\n");
}

void cli_print_version(FILE *f)
{
	fprintf(f, "slim %s\n", SLIM_VERSION);
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

static enum cli_action parse_int(const char *s, int lo, int hi, const char *what, int *v,
				 struct err *e)
{
	long long x;

	if (!parse_ll(s, lo, hi, &x))
		return bad(e, what, s);
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
	if (!parse_ll(arg, 0, (1LL << 40), &o->mtime))
		return bad(e, "invalid --mtime", arg);
	return CLI_RUN;
}

/* The factor of a size suffix (k, m or g, either case: binary units). */
static double unit(char u)
{
	return u == 'k' || u == 'K' ? 1024.0 : u == 'm' || u == 'M' ? 1048576.0 : 1073741824.0;
}

/* "N" or "N[KMG]" bytes */
static bool parse_size(const char *s, unsigned long long *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || (*end && (end[1] || !strchr("kKmMgG", *end))))
		return false;
	if (*end)
		v *= unit(*end);
	*out = (unsigned long long)v;
	return true;
}

/* --fail-if-saving-over: "N", "N[KMG]" or "N%" */
static enum cli_action parse_limit(const char *s, struct cli *c, struct err *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return bad(e, "invalid --fail-if-saving-over", s);
	if (*end == '%' && !end[1])
		c->fail_pct = true;
	else if (*end && !end[1] && strchr("kKmMgG", *end))
		v *= unit(*end);
	else if (*end)
		return bad(e, "invalid --fail-if-saving-over", s);
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

/* An option getopt does not know, or one without its argument. */
static enum cli_action unknown(char **argv, struct err *e)
{
	if (optopt && optopt < 128)
		err_set(e, "invalid option -- '%c'", optopt);
	else
		err_set(e, "unrecognized option '%s'", argv[optind - 1]);
	return CLI_USAGE;
}

/* One option: key as getopt_long returned it, arg its argument.  CLI_RUN
 * to go on. */
static enum cli_action option(struct cli *c, struct pstate *ps, int key, char *arg, char **argv,
			      struct err *e)
{
	struct slim_opts *o = &c->o;
	int ratio;

	switch (key) {
	case 'n': o->dry_run = true; break;
	case OPT_JSON: o->json = true; break;
	case 'j': return parse_int(arg, 1, 1024, "invalid number of jobs", &o->jobs, e);
	case 'x': o->xdev = true; break;
	case OPT_STRIP_OBJECTS: o->strip.strip_objects = 1; break;
	case OPT_NO_STRIP: o->strip_on = false; break;
	case OPT_DEDUP: return parse_dedup(arg, o, e);
	case OPT_DEDUP_ELF: o->dedup_elf = true; break;
	case OPT_PRESET: return add_preset(c, ps, arg, e);
	case OPT_KEEP: return rules_did(rules_add_glob(c->rules, true, arg, "--keep", e));
	case OPT_DROP: return rules_did(rules_add_glob(c->rules, false, arg, "--drop", e));
	case OPT_RULES: return rules_did(rules_load_file(c->rules, arg, e));
	case OPT_LIST_RULES: ps->list_rules = true; break;
	case OPT_ARCH: return rules_did(rules_set_arch(c->rules, arg, e));
	case 'o': o->output = arg; break;
	case OPT_COMPRESS: return parse_compress(arg, o, e);
	case OPT_LEVEL: return parse_int(arg, 1, 22, "invalid compression level", &o->level, e);
	case OPT_MTIME: return parse_mtime(arg, o, e);
	case OPT_FAIL_OVER: return parse_limit(arg, c, e);
	case OPT_MAX_ENTRY:
		if (!parse_size(arg, &o->max_entry))
			return bad(e, "invalid --max-entry-size", arg);
		break;
	case OPT_HTML: o->html = arg; break;
	case OPT_INPUT: return parse_input(arg, c, e);
	case OPT_MAX_RATIO:
		if (parse_int(arg, 0, 1000000000, "invalid --max-ratio", &ratio, e) != CLI_RUN)
			return CLI_USAGE;
		o->max_ratio = (unsigned)ratio;
		break;
	case OPT_PLATFORM: return parse_platform(arg, o, e);
	case OPT_CUDA_ARCH: return parse_cuda_arch(arg, o, e);
	case OPT_CUDA_PTX:
		if (strcmp(arg, "keep") != 0 && strcmp(arg, "none") != 0)
			return bad(e, "invalid --cuda-ptx (keep or none)", arg);
		o->cuda.no_ptx = strcmp(arg, "none") == 0;
		ps->cuda_ptx = true;
		break;
	case 'q': o->quiet = true; break;
	case 'v': o->verbose++; break;
	case 'h': return CLI_HELP;
	case 'V': return CLI_VERSION;
	case '?':
	default: return unknown(argv, e);
	}
	return CLI_RUN;
}

/* getopt_long's tables from opts: lo (ARRAY_SIZE(opts) + 1 entries) and
 * the short options so (3 * ARRAY_SIZE(opts) + 2 bytes). */
static void getopt_tables(struct option *lo, char *so)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].has_arg;
		lo[i].flag = NULL;
		lo[i].val = opts[i].key;
		if (opts[i].key < 128) {
			*so++ = (char)opts[i].key;
			if (opts[i].has_arg == required_argument)
				*so++ = ':';
		}
	}
	*so = '\0';
	memset(&lo[ARRAY_SIZE(opts)], 0, sizeof(lo[0]));
}

/*
 * -o OUT, checked before any work: a name; not the input itself (it would
 * be replaced by its slimmed copy); a file output not an existing directory
 * and in a directory that exists; a layout output (an image layout in) a
 * new or empty directory.
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

	if (cli_kind_of(c, input, &kind) == NULL) {
		c->first_known = true;
		c->first_kind = kind;
	}
	dir_out = c->first_known && kind == CLI_IN_IMAGE && stat(input, &st) == 0 &&
		  S_ISDIR(st.st_mode);
	if (!*out)
		return bad(e, "-o needs a file name", NULL);
	if (unwritable_suffix(out)) {
		err_set(e, "-o '%s': slim cannot write %s compression; name the output .tar, "
			   ".tar.gz/.tgz or .tar.zst/.tzst", out, unwritable_suffix(out) + 1);
		return CLI_USAGE;
	}
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
	close(dfd);
	return CLI_RUN;
}

enum cli_action cli_parse(int argc, char **argv, struct cli *c, struct err *e)
{
	struct option lo[ARRAY_SIZE(opts) + 1];
	char so[3 * ARRAY_SIZE(opts) + 2];
	struct pstate ps = { false, false, false };
	struct slim_opts *o = &c->o;
	enum cli_action act;
	int key;

	getopt_tables(lo, so);
	memset(c, 0, sizeof(*c));
	c->rules = rules_new();
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
	if (optind >= argc)
		return bad(e, "missing PATH", NULL);
	if (o->output && argc - optind != 1)
		return bad(e, "-o takes exactly one PATH", NULL);
	if (!o->output && (o->compress != COMPRESS_AUTO || o->level || o->clamp_mtime))
		return bad(e, "--compress, --level and --mtime need -o", NULL);
	if (ps.cuda_ptx && !o->cuda.n)
		return bad(e, "--cuda-ptx needs --cuda-arch", NULL);
	o->progress = !o->quiet && isatty(STDERR_FILENO);
	c->paths = argv + optind;
	c->npaths = argc - optind;
	return o->output ? check_output(c, e) : CLI_RUN;
}

void cli_release(struct cli *c)
{
	rules_free(c->rules);
	c->rules = NULL;
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

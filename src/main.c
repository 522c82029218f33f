/* main.c - command line: parse, run, report, return. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "image.h"
#include "layer.h"
#include "pool.h"
#include "report.h"
#include "report_print.h"
#include "run.h"
#include "slim.h"

enum { OPT_JSON = 256, OPT_STRIP_OBJECTS, OPT_NO_STRIP, OPT_DEDUP, OPT_DEDUP_ELF, OPT_COMPRESS,
       OPT_LEVEL, OPT_MTIME, OPT_PRESET, OPT_KEEP, OPT_DROP, OPT_RULES, OPT_LIST_RULES, OPT_ARCH,
       OPT_PLATFORM, OPT_FAIL_OVER, OPT_MAX_ENTRY, OPT_HTML, OPT_MAX_RATIO, OPT_INPUT };

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

static void usage(FILE *f)
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

static void bad_usage(const char *msg, const char *arg)
{
	if (msg)
		fprintf(stderr, "slim: %s%s%s%s\n", msg, arg ? " '" : "", arg ? arg : "",
			arg ? "'" : "");
	fprintf(stderr, "Try 'slim --help' for more information.\n");
	exit(EXIT_USAGE);
}

static long long parse_ll(const char *s, long long lo, long long hi, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		bad_usage(what, s);
	return v;
}

static int parse_num(const char *s, int lo, int hi, const char *what)
{
	return (int)parse_ll(s, lo, hi, what);
}

static void parse_mtime(const char *arg, struct slim_opts *o)
{
	if (!arg) {
		arg = getenv("SOURCE_DATE_EPOCH");
		if (!arg || !*arg)
			bad_usage("--mtime without a value needs SOURCE_DATE_EPOCH", NULL);
	}
	o->clamp_mtime = true;
	o->mtime = parse_ll(arg, 0, (1LL << 40), "invalid --mtime");
}

static struct rules *rules;
static bool fail_over, fail_pct;
static double fail_limit;

/* "N" or "N[KMG]" bytes */
static unsigned long long parse_size(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || (*end && (end[1] || !strchr("kKmMgG", *end))))
		bad_usage(what, s);
	if (*end)
		v *= *end == 'k' || *end == 'K' ? 1024.0 : *end == 'm' || *end == 'M' ? 1048576.0
										       : 1073741824.0;
	return (unsigned long long)v;
}

/* "N", "N[KMG]" or "N%" */
static void parse_limit(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		bad_usage("invalid --fail-if-saving-over", s);
	if (*end == '%' && !end[1]) {
		fail_pct = true;
	} else if (*end && !end[1] && strchr("kKmMgG", *end)) {
		v *= *end == 'k' || *end == 'K' ? 1024.0 : *end == 'm' || *end == 'M' ? 1048576.0
										       : 1073741824.0;
	} else if (*end) {
		bad_usage("invalid --fail-if-saving-over", s);
	}
	fail_over = true;
	fail_limit = v;
}
static bool no_default_preset, list_rules;

/* --input: what PATH is, when its content should not decide. */
static enum { IN_AUTO, IN_LAYER, IN_IMAGE, IN_DIR, IN_WHEEL } input_kind;

static void parse_input(const char *s)
{
	static const char *const names[] = { "auto", "layer", "image", "dir", "wheel" };
	size_t i;

	for (i = 1; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			input_kind = (int)i;
			return;
		}
	bad_usage("invalid --input (layer, image, dir or wheel)", s);
}

static void rules_or_die(int rc, struct err *e)
{
	if (rc != 0) {
		fprintf(stderr, "slim: %s\n", e->msg);
		err_release(e);
		exit(EXIT_USAGE);
	}
}

static void add_preset(const char *name)
{
	struct err e = ERR_INIT;

	if (strcmp(name, "none") == 0) {
		no_default_preset = true;
		return;
	}
	rules_or_die(rules_add_preset(rules, name, &e), &e);
}

/* Parse argv into o; returns the index of the first PATH. */
static int parse(int argc, char **argv, struct slim_opts *o)
{
	struct err e = ERR_INIT;
	struct option lo[ARRAY_SIZE(opts) + 1];
	char so[3 * ARRAY_SIZE(opts) + 2], *p = so;
	size_t i;
	int c;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].has_arg;
		lo[i].flag = NULL;
		lo[i].val = opts[i].key;
		if (opts[i].key < 128) {
			*p++ = (char)opts[i].key;
			if (opts[i].has_arg == required_argument)
				*p++ = ':';
		}
	}
	*p = '\0';
	memset(&lo[ARRAY_SIZE(opts)], 0, sizeof(lo[0]));

	memset(o, 0, sizeof(*o));
	rules = rules_new();
	o->jobs = pool_ncpu();
	o->strip_on = true;
	o->dedup = DEDUP_LINK;
	o->max_entry = 4ULL << 30;
	o->max_ratio = 1000;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'n': o->dry_run = true; break;
		case OPT_JSON: o->json = true; break;
		case 'j': o->jobs = parse_num(optarg, 1, 1024, "invalid number of jobs"); break;
		case 'x': o->xdev = true; break;
		case OPT_STRIP_OBJECTS: o->strip.strip_objects = 1; break;
		case OPT_NO_STRIP: o->strip_on = false; break;
		case OPT_DEDUP:
			if (strcmp(optarg, "link") == 0)
				o->dedup = DEDUP_LINK;
			else if (strcmp(optarg, "report") == 0)
				o->dedup = DEDUP_REPORT;
			else if (strcmp(optarg, "off") == 0)
				o->dedup = DEDUP_OFF;
			else
				bad_usage("invalid --dedup mode (link, report or off)", optarg);
			break;
		case OPT_DEDUP_ELF: o->dedup_elf = true; break;
		case OPT_PRESET: add_preset(optarg); break;
		case OPT_KEEP: rules_or_die(rules_add_glob(rules, true, optarg, "--keep", &e), &e); break;
		case OPT_DROP: rules_or_die(rules_add_glob(rules, false, optarg, "--drop", &e), &e); break;
		case OPT_RULES: rules_or_die(rules_load_file(rules, optarg, &e), &e); break;
		case OPT_LIST_RULES: list_rules = true; break;
		case OPT_ARCH: rules_or_die(rules_set_arch(rules, optarg, &e), &e); break;
		case 'o': o->output = optarg; break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "zstd") == 0)
				o->compress = COMPRESS_ZSTD;
			else if (strcmp(optarg, "gzip") == 0)
				o->compress = COMPRESS_GZIP;
			else if (strcmp(optarg, "none") == 0)
				o->compress = COMPRESS_NONE;
			else
				bad_usage("invalid --compress (zstd, gzip or none)", optarg);
			break;
		case OPT_LEVEL: o->level = parse_num(optarg, 1, 22, "invalid compression level"); break;
		case OPT_MTIME: parse_mtime(optarg, o); break;
		case OPT_FAIL_OVER: parse_limit(optarg); break;
		case OPT_MAX_ENTRY: o->max_entry = parse_size(optarg, "invalid --max-entry-size"); break;
		case OPT_HTML: o->html = optarg; break;
		case OPT_INPUT: parse_input(optarg); break;
		case OPT_MAX_RATIO:
			o->max_ratio = (unsigned)parse_num(optarg, 0, 1000000000, "invalid --max-ratio");
			break;
		case OPT_PLATFORM: {
			struct image_platform pf;
			if (image_platform_parse(optarg, &pf, &e) != 0)
				bad_usage("invalid --platform (OS/ARCH[/VARIANT])", optarg);
			image_platform_release(&pf);
			o->platform = optarg;
			break;
		}
		case 'q': o->quiet = true; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V':
			printf("slim %s\n", SLIM_VERSION);
			exit(EXIT_OK);
		case '?':
		default:
			if (optopt && optopt < 128)
				fprintf(stderr, "slim: invalid option -- '%c'\n", optopt);
			else
				fprintf(stderr, "slim: unrecognized option '%s'\n", argv[optind - 1]);
			bad_usage(NULL, NULL);
		}
	}
	if (!no_default_preset)
		add_preset("python");
	if (list_rules) {
		rules_list(rules, stdout);
		rules_free(rules);
		exit(EXIT_OK);
	}
	o->rules = rules_count(rules) ? rules : NULL;
	if (optind >= argc)
		bad_usage("missing PATH", NULL);
	if (o->output && argc - optind != 1)
		bad_usage("-o takes exactly one PATH", NULL);
	if (!o->output && (o->compress != COMPRESS_AUTO || o->level || o->clamp_mtime))
		bad_usage("--compress, --level and --mtime need -o", NULL);
	o->progress = !o->quiet && isatty(STDERR_FILENO);
	return optind;
}

/*
 * -o OUT, checked before any work: a name; not the input itself (it would
 * be replaced by its slimmed copy); a file output not an existing directory
 * and in a directory that exists; a layout output (an image layout in) a
 * new or empty directory.  Exits with EXIT_USAGE on a bad one.
 */
static void check_output(const char *out, const char *input, bool dir_out)
{
	struct stat in, st;
	const char *base;
	int dfd;

	if (!*out)
		bad_usage("-o needs a file name", NULL);
	if (stat(input, &in) == 0 && stat(out, &st) == 0 && in.st_dev == st.st_dev &&
	    in.st_ino == st.st_ino) {
		fprintf(stderr, "slim: -o '%s' is the input itself: give a new name\n", out);
		bad_usage(NULL, NULL);
	}
	if (dir_out) {
		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "slim: -o '%s' exists and is not a directory (an image layout "
					"makes a directory)\n", out);
			bad_usage(NULL, NULL);
		}
		return; /* that it is new or empty: image_run, as it may change */
	}
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "slim: -o '%s' is a directory: give a file name (a layer, a wheel or "
				"an image tar is written to a file)\n", out);
		bad_usage(NULL, NULL);
	}
	dfd = fsu_open_dir_of(out, &base);
	if (dfd < 0) {
		if (errno == EINVAL)
			fprintf(stderr, "slim: -o '%s': not a file name\n", out);
		else
			fprintf(stderr, "slim: -o '%s': cannot open its directory: %s\n", out,
				strerror(errno));
		bad_usage(NULL, NULL);
	}
	close(dfd);
}

/* Write the audit page to path (through fsu_out: nothing is written
 * through a planted file or symlink, nothing is left on failure). */
static int write_html(const char *path, const struct report *rep)
{
	struct fsu_out out;
	struct err e = ERR_INIT;
	FILE *f;
	int fd;

	if (fsu_out_open(&out, path, 0644, &e) != 0)
		goto fail;
	fd = dup(out.fd);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		err_errno(&e, errno, "cannot write '%s'", path);
		if (fd >= 0)
			close(fd);
		fsu_out_abort(&out);
		goto fail;
	}
	report_print_html(rep, f);
	if (ferror(f) | fclose(f)) {
		err_errno(&e, errno ? errno : EIO, "cannot write '%s'", path);
		fsu_out_abort(&out);
		goto fail;
	}
	if (fsu_out_commit(&out, false, &e) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "slim: %s\n", e.msg);
	err_release(&e);
	return -1;
}

/* What path is: --input, or its content.  NULL, or why it is not what
 * --input says. */
static const char *kind_of(const char *path, int *kind)
{
	unsigned char h[4] = { 0 };
	struct stat st;
	bool file, zip;
	int fd;

	*kind = input_kind;
	if (input_kind == IN_AUTO) {
		*kind = image_detect(path) ? IN_IMAGE : layer_detect(path) ? IN_LAYER : IN_DIR;
		return NULL;
	}
	if (stat(path, &st) != 0)
		return strerror(errno);
	file = S_ISREG(st.st_mode);
	fd = file ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	zip = fd >= 0 && read(fd, h, 4) == 4 && memcmp(h, "PK\3\4", 4) == 0;
	if (fd >= 0)
		close(fd);
	if (input_kind == IN_DIR && !S_ISDIR(st.st_mode))
		return "not a directory (--input dir)";
	if (input_kind == IN_IMAGE && !file && !S_ISDIR(st.st_mode))
		return "not a file or directory (--input image)";
	if (input_kind == IN_WHEEL && !zip)
		return "not a zip file (--input wheel)";
	if (input_kind == IN_LAYER && (!file || zip))
		return "not a tar file (--input layer)";
	return NULL;
}

/* Slim one PATH into the report. */
static void run_one(const struct slim_opts *o, const char *path, struct report *rep)
{
	struct stat st;
	int kind;
	const char *why = kind_of(path, &kind);
	if (why)
		report_error(rep, path, why);
	else if (kind == IN_IMAGE && (o->output || o->dry_run))
		image_run(o, path, rep);
	else if (kind == IN_IMAGE)
		report_error(rep, path, "an image: give -o OUT for a slimmed copy");
	else if (o->output && kind == IN_DIR && stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		report_error(rep, path, "not a directory, a layer, a wheel or an image");
	else if (o->output || (kind != IN_DIR && o->dry_run)) /* a dry run: an audit */
		layer_run(o, path, rep);
	else if (kind != IN_DIR)
		report_error(rep, path, "a layer or archive: give -o OUT for a slimmed copy");
	else
		run_dir(o, path, rep);
}

int main(int argc, char **argv)
{
	struct slim_opts o;
	struct report rep;
	int first, i, status;

	/* Buffers of a file's size (up to 32 MiB) come from the heap and go
	 * back to it, kept (up to 64 MiB free at a heap's top) for the next
	 * file: no fresh pages to fault in and zero per file.  The strip pass
	 * takes about 9% less time; the peak grows by the buffers a worker's
	 * heap keeps (none at 1x of the bench corpus, 10-40 MB at 4x). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	first = parse(argc, argv, &o);
	strip_init();
	fsu_raise_nofile();
	report_init(&rep, o.dry_run);
	report_passes(&rep, o.rules != NULL, o.dedup != DEDUP_OFF);
	if (o.output) {
		struct stat st;
		int kind;
		check_output(o.output, argv[first], kind_of(argv[first], &kind) == NULL &&
				 kind == IN_IMAGE && stat(argv[first], &st) == 0 &&
				 S_ISDIR(st.st_mode));
	}
	for (i = first; i < argc; i++)
		run_one(&o, argv[i], &rep);
	report_finish(&rep);
	{
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			report_peak_rss(&rep, (uint64_t)ru.ru_maxrss * 1024);
	}
	status = rep.nerrors ? EXIT_ERRORS : EXIT_OK;
	if (o.html && write_html(o.html, &rep) < 0)
		status = EXIT_FATAL;
	if (fail_over && !rep.nerrors) {
		double saved = (double)report_saved(&rep);
		double lim = fail_pct ? fail_limit / 100.0 * (double)rep.bytes_before : fail_limit;
		if (saved > lim) {
			fprintf(stderr, "slim: %s %.0f bytes, over the limit of %.0f bytes "
					"(--fail-if-saving-over)\n",
				o.dry_run ? "would save" : "saved", saved, lim);
			status = EXIT_OVER;
		}
	}
	report_print_errors(&rep, stderr);
	if (o.json)
		report_print_json(&rep, stdout, status);
	else if (!o.quiet)
		report_print_table(&rep, stdout, o.verbose);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "slim: cannot write the report: %s\n", strerror(errno));
		status = EXIT_FATAL;
	}
	report_release(&rep);
	rules_free(rules);
	return status;
}

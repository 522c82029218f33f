/* cli.h - the command line: argv into the settings of a run.
 *
 * One option table drives getopt_long and --help.  cli_parse() reads the
 * options, builds the rule set and checks -o; it prints nothing and exits
 * never: it says what main should do, and main prints and picks the exit
 * status (slim.h).  The texts of --help and --version are printed from
 * here, as are the words of every usage error (in e).
 */
#ifndef SLIM_CLI_H
#define SLIM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "rules.h"
#include "slim.h"
#include "util.h"

/* --input: what each PATH is, when its content should not decide. */
enum cli_input { CLI_IN_AUTO, CLI_IN_LAYER, CLI_IN_IMAGE, CLI_IN_DIR, CLI_IN_WHEEL };

struct cli {
	struct slim_opts o;   /* o.rules is rules, or NULL when it holds no rule */
	struct rules *rules;  /* owned; cli_release() frees it */
	struct rules *exclude; /* --exclude globs (o.exclude); owned, freed likewise */
	char **paths;         /* the PATHs: argv's tail, borrowed */
	int npaths;
	enum cli_input input;
	/* what paths[0] is, once -o's check detected it (detecting reads a
	 * tar's headers: once a run is enough) */
	bool first_known;
	enum cli_input first_kind;
	/* --fail-if-saving-over: a limit in bytes, or (pct) in percent of the
	 * bytes before */
	bool fail_over, fail_pct;
	double fail_limit;
	const char *completion; /* --completion: "bash" or "zsh" */
	/* and as given: the text (argv's), its unit ("", "MB", "K", "%") and
	 * the bytes of one unit (not pct), for a message in the same unit */
	const char *fail_text, *fail_unit;
	double fail_factor;
};

enum cli_action {
	CLI_RUN,        /* run c->paths */
	CLI_HELP,       /* --help: print cli_print_help() */
	CLI_VERSION,    /* --version: print cli_print_version() */
	CLI_COMPLETION, /* --completion SHELL: print cli_print_completion() */
	CLI_LIST_RULES, /* --list-rules: print c->rules (rules_list) */
	CLI_USAGE,      /* bad usage: e says what; point to --help */
	CLI_BAD_RULES,  /* a preset, glob, rules file or --arch cannot be used:
			 * e says why (no pointer to --help) */
};

/*
 * Parse argv (as main got it) into c.  Returns what to do; e is set for
 * CLI_USAGE and CLI_BAD_RULES.  Options are read in order and the first
 * problem ends the parse, as does --help or --version (what follows them
 * is not read).  c is filled as far as the parse went: always release it
 * with cli_release().  Reads SOURCE_DATE_EPOCH (--mtime without a value)
 * and whether stderr is a terminal (o.progress).
 */
enum cli_action cli_parse(int argc, char **argv, struct cli *c, struct err *e);
void cli_release(struct cli *c);

/* The text of --help and of --version. */
void cli_print_help(FILE *f);
void cli_print_version(FILE *f);
/* The completion script for shell ("bash" or "zsh"), from the option
 * table: every option --help lists, the values of those that take a few
 * words, file names where a file is asked for. */
void cli_print_completion(const char *shell, FILE *f);

/*
 * What path is, into *kind: what --input says (returns NULL, or why path
 * is not that: static text, or strerror's) or, without --input, what its
 * content says (an image, a layer or archive, else a directory; NULL).
 */
const char *cli_kind_of(const struct cli *c, const char *path, enum cli_input *kind);

#endif

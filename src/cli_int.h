/* cli_int.h - the option table, shared by the parser (cli.c) and the
 * shell completions (cli_complete.c). */
#ifndef SLIM_CLI_INT_H
#define SLIM_CLI_INT_H

#include <stddef.h>

struct opt {
	const char *name;
	int key;
	int has_arg;    /* getopt's no_argument, required_argument, optional_argument */
	const char *arg; /* the value's name in --help, or NULL */
	const char *help; /* NULL: hidden from --help and the completions */
};

extern const struct opt cli_opts[];
extern const size_t cli_nopts;

#endif

/*
 * opt.h - one table drives option parsing, defaults and --help text, for
 * echod and echo-client alike: nothing about an option is written twice.
 */
#ifndef ECHOD_OPT_H
#define ECHOD_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

enum opt_kind {
	OPT_FLAG,	/* int, set to 1 */
	OPT_COUNT,	/* int, +1 per use (-v -v) */
	OPT_UINT,	/* uint64_t in [min, max] */
	OPT_SIZE,	/* uint64_t bytes with K/M/G, in [min, max] */
	OPT_SECONDS,	/* uint64_t milliseconds, given in seconds, <= max s */
	OPT_LEVEL,	/* int syslog level, by name */
	OPT_CHOICE,	/* int index into choices */
	OPT_STRING,	/* const char * */
	OPT_ADDRS,	/* struct addr_list, appended to */
	OPT_HELP,	/* ends parsing: print help */
	OPT_VERSION,	/* ends parsing: print version */
};

struct addr_list {
	struct addr_spec	*v;
	size_t			 n;
};

struct opt {
	const char	*name;		/* long name, without "--" */
	int		 short_name;	/* 0 for none */
	const char	*metavar;	/* NULL for options without argument */
	enum opt_kind	 kind;
	size_t		 offset;	/* into the caller's config struct */
	uint64_t	 min, max;
	const char	*defval;	/* parsed like user input; NULL: none */
	const char *const *choices;	/* OPT_CHOICE, NULL-terminated */
	const char	*help;
};

enum opt_result {
	OPT_OK = 0,
	OPT_ERROR = -1,
	OPT_SHOW_HELP = 1,
	OPT_SHOW_VERSION = 2,
};

/*
 * Applies the defaults, then parses argv.  On OPT_ERROR a one-line message
 * is in why.  *first_arg is the index of the first operand.
 */
enum opt_result opt_parse(const struct opt *table, size_t n, int argc,
	    char **argv, void *conf, int *first_arg, char *why, size_t whylen);
void	opt_usage(FILE *out, const char *synopsis, const struct opt *table,
	    size_t n);
void	addr_list_free(struct addr_list *list);

#define OPT_COUNT_OF(table)	(sizeof(table) / sizeof((table)[0]))

/* -h and -V, the same in every program's table. */
#define OPT_HELP_AND_VERSION						\
	{ "help", 'h', NULL, OPT_HELP, 0, 0, 0, NULL, NULL,		\
	  "print this help and exit" },					\
	{ "version", 'V', NULL, OPT_VERSION, 0, 0, 0, NULL, NULL,	\
	  "print the version and exit" }

#endif

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

/* The most entries a table may have. */
#define OPT_MAX	64

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

/* Stores every option's default (those with a defval) in conf. */
void	opt_defaults(const struct opt *table, size_t n, void *conf);

/*
 * Applies the defaults, then parses argv.  On OPT_ERROR a one-line message
 * is in why.  *first_arg is the index of the first operand.
 */
enum opt_result opt_parse(const struct opt *table, size_t n, int argc,
	    char **argv, void *conf, int *first_arg, char *why, size_t whylen);
/* The same without the defaults: argv over what conf already holds. */
enum opt_result opt_parse_argv(const struct opt *table, size_t n, int argc,
	    char **argv, void *conf, int *first_arg, char *why, size_t whylen);

/* The option called name (long, without "--"), or NULL. */
const struct opt *opt_find(const struct opt *table, size_t n,
	    const char *name);

/*
 * Applies one value to option o in conf: the one step the command line and
 * echod.conf share.  value is NULL for an option given without one (a flag
 * or -v on the command line); a flag's value is yes, no, true or false, a
 * count's a number.  fresh says it is the option's first value from its
 * source (the file, or the command line after it): a list is emptied and a
 * count zeroed first, so a later source replaces what an earlier one gave
 * instead of adding to it.  OPT_STRING keeps the pointer: value must outlive
 * conf.  On error returns -1 with the reason (without the option's name) in
 * why.
 */
int	opt_set(const struct opt *o, const char *value, int fresh, void *conf,
	    char *why, size_t whylen);

/*
 * Writes o's i-th value in conf as it would be typed ("256K", "0.25",
 * "yes", "udp:*:7"), into buf; a list has one value per element, any other
 * kind one.  Returns buf, or NULL when o has no i-th value (an unset string
 * or number, the end of a list, --help).
 */
const char *opt_format(const struct opt *o, const void *conf, size_t i,
	    char *buf, size_t len);

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

/*
 * conffile.h - echod.conf: "name = value" lines applied through the option
 * table of the command line (opt.h), with the same opt_set(), so that the
 * file, the command line and --help cannot disagree.  The syntax, which
 * echod.conf(5) gives operators:
 *
 *   - one setting a line, NAME = VALUE, with optional blanks (spaces, tabs)
 *     around the '='; NAME is a long option of the command line;
 *   - blank lines, and lines whose first non-blank is '#', are comments; so
 *     is a '#' after a value and a blank ("backlog = 64  # small");
 *   - VALUE is one word, or a double-quoted string that may hold blanks and
 *     '#', whose only escapes are \" and \\;
 *   - a flag's value is yes, no, true or false; a count's a number;
 *   - a list (listen) may be given on many lines; any other option twice is
 *     an error naming both lines, since neither sshd's first-wins nor
 *     HAProxy's last-wins is what a reader of the file would guess;
 *   - lines end in LF or CRLF; a NUL byte is an error.
 */
#ifndef ECHOD_CONFFILE_H
#define ECHOD_CONFFILE_H

#include <stddef.h>
#include <stdio.h>

#include "opt.h"

/* Bigger than this is not a settings file. */
#define CONFFILE_MAX	(1024U * 1024U)

struct conffile {
	const char		*path;		/* named in messages */
	const struct opt	*opts;		/* the command line's table */
	size_t			 nopts;
	const char *const	*refused;	/* the command line's alone,
						   NULL-terminated */
	void			*conf;		/* opts' offsets point into it */
};

/*
 * Applies the settings in text, which holds len bytes and a NUL after them,
 * to cf->conf.  text is changed in place and values point into it (a string
 * option keeps its pointer), so it must outlive cf->conf.  Each option's
 * first line replaces what conf held (a list starts empty).  On error
 * returns -1 with "PATH:LINE: what is wrong" in why; conf may then hold
 * some of the settings.
 */
int	conffile_parse(const struct conffile *cf, char *text, size_t len,
	    char *why, size_t whylen);

/*
 * Reads cf->path whole into *text (malloc'd; free it after cf->conf) and
 * applies it as conffile_parse does.  A missing file is no error unless
 * must_exist; *text is then NULL.  Returns 0, EX_NOINPUT (the file cannot
 * be read) or EX_USAGE (its contents are wrong), with a one-line message in
 * why.
 */
int	conffile_load(const struct conffile *cf, int must_exist, char **text,
	    char *why, size_t whylen);

/*
 * Writes the settings in cf->conf as a file conffile_parse reads back to
 * the same settings: every option a file may set, one line per value, in
 * table order; an option with no value (an empty list) as a comment.
 * Returns -1 with a reason in why if a value cannot be written (a newline).
 */
int	conffile_print(FILE *out, const struct conffile *cf, char *why,
	    size_t whylen);

/*
 * Writes every option a file may set as a comment (its help) and the
 * setting commented out with its default, or with its metavar where the
 * default is computed at run time ("#threads = N"): the shipped file.
 */
void	conffile_print_sample(FILE *out, const struct conffile *cf);

#endif

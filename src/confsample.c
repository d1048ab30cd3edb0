/*
 * confsample.c - writes the echod.conf that make install ships, from the
 * option table itself, so that the file cannot fall behind --help.  make
 * runs it; it is not installed.
 */
#include "config.h"

#include <stdio.h>

#include "conffile.h"
#include "options.h"

static const char header[] =
"# echod.conf - settings for echod(8); the syntax is in echod.conf(5).\n"
"#\n"
"# One \"name = value\" a line; the names are echod's long options\n"
"# (echod --help).  Every setting is commented out below with its default.\n"
"# The command line overrides this file, and a --listen there replaces\n"
"# every listen line here.  Check a change before a reload or a restart:\n"
"#   echod --check-config\n";

int
main(void)
{
	struct conffile cf;

	options_conffile(&cf, NULL, NULL);
	fputs(header, stdout);
	conffile_print_sample(stdout, &cf);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

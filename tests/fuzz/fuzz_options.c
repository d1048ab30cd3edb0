/*
 * fuzz_options.c - libFuzzer target for echod's command line: the input,
 * split at newlines, is argv after "echod".  options_parse must stay in
 * bounds, return one of its documented results, and leave a configuration
 * that passed its checks consistent.  Each parse must start afresh: glibc's
 * getopt keeps a pointer into the last argv unless reset, a stale read that
 * ASan cannot see (libc is not instrumented), so after every input a parse
 * of no arguments must give the defaults again: every option's value the
 * same, as echod.conf would print it.  Run with -close_fd_mask=3: it
 * prints help and errors.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conffile.h"
#include "log.h"
#include "options.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ARGS_MAX	64

static char progname[] = "echod";
static char *defaults;

/* A command line without arguments: the defaults. */
static int
fuzz_parse_empty(struct config *conf)
{
	char *argv[] = { progname, NULL };

	return options_parse(1, argv, conf);
}

/* Every option's value, the command line's own too, one a line. */
static char *
fuzz_settings(struct config *conf)
{
	struct conffile cf;
	char *out = NULL, why[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	options_conffile(&cf, NULL, conf);
	cf.refused = NULL;
	if (f == NULL || conffile_print(f, &cf, why, sizeof(why)) == -1 ||
	    fclose(f) != 0)
		abort();
	return out;
}

static void
fuzz_check_fresh(void)
{
	struct config conf;
	char *got;

	if (fuzz_parse_empty(&conf) != -1 || conf.config_text != NULL)
		abort();
	got = fuzz_settings(&conf);
	if (strcmp(got, defaults) != 0)
		abort();
	free(got);
	options_free(&conf);
}

static void
fuzz_check_config(const struct config *conf)
{
	if (conf->low_watermark >= conf->high_watermark ||
	    conf->log_level > LOG_DEBUG)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config conf;

	(void)argc;
	(void)argv;
	if (fuzz_parse_empty(&conf) != -1)
		abort();
	defaults = fuzz_settings(&conf);
	options_free(&conf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *p, *nl, *argv[FUZZ_ARGS_MAX + 2];
	struct config conf;
	int argc = 0, rc;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = progname;
	for (p = buf; argc <= FUZZ_ARGS_MAX; p = nl + 1) {
		argv[argc++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
	}
	argv[argc] = NULL;
	rc = options_parse(argc, argv, &conf);
	if (rc == -1)
		fuzz_check_config(&conf);
	else if (rc != 0 && rc != EX_USAGE)
		abort();
	options_free(&conf);
	/* While buf lives, so that a stale pointer reads this input's bytes. */
	fuzz_check_fresh();
	free(buf);
	return 0;
}

/*
 * fuzz_conffile.c - libFuzzer target for echod.conf, read with echod's own
 * option table: the input is the file.  conffile_parse must stay in bounds
 * and either refuse the file with one line that names it and a line, or
 * accept it; then the settings, checked and printed as --check-config does
 * (options_check, conffile_print), must
 * read back to settings that print the same (the promise that its output
 * is a valid echod.conf with the same effect).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "options.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_PATH	"fuzz.conf"

/* A fresh configuration at the defaults, and its file view. */
static void
fuzz_fresh(struct config *conf, struct conffile *cf)
{
	memset(conf, 0, sizeof(*conf));
	options_conffile(cf, FUZZ_PATH, conf);
	opt_defaults(cf->opts, cf->nopts, conf);
}

static char *
fuzz_print(const struct conffile *cf)
{
	char *out = NULL, why[512];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	/* A file cannot hold a newline in a value, so none can come out. */
	if (f == NULL || conffile_print(f, cf, why, sizeof(why)) == -1)
		abort();
	if (fclose(f) != 0)
		abort();
	return out;
}

/* "fuzz.conf:N: reason", on one line. */
static void
fuzz_check_error(const char *why)
{
	const char *p = why + strlen(FUZZ_PATH ":");

	if (strncmp(why, FUZZ_PATH ":", strlen(FUZZ_PATH ":")) != 0 ||
	    !isdigit((unsigned char)*p) || strchr(why, '\n') != NULL)
		abort();
	p += strspn(p, "0123456789");
	if (strncmp(p, ": ", 2) != 0 || p[2] == '\0')
		abort();
}

static void
fuzz_check_round_trip(const struct conffile *cf)
{
	struct config again;
	struct conffile cf2;
	char why[512], *printed, *out, *out2;

	/* The parse cuts printed up, and settings may point into it. */
	printed = fuzz_print(cf);
	fuzz_fresh(&again, &cf2);
	if (conffile_parse(&cf2, printed, strlen(printed), why,
	    sizeof(why)) == -1) {
		fprintf(stderr, "printed settings refused: %s\n", why);
		abort();
	}
	out = fuzz_print(cf);
	out2 = fuzz_print(&cf2);
	if (strcmp(out, out2) != 0) {
		fprintf(stderr, "printed:\n%s\nread back:\n%s\n", out, out2);
		abort();
	}
	free(out);
	free(out2);
	options_free(&again);
	free(printed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config conf;
	struct conffile cf;
	char why[512], *text;

	if (size > CONFFILE_MAX || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_fresh(&conf, &cf);
	if (conffile_parse(&cf, text, size, why, sizeof(why)) == -1)
		fuzz_check_error(why);
	else if (options_check(&conf, why, sizeof(why)) == 0)
		fuzz_check_round_trip(&cf);
	options_free(&conf);
	free(text);
	return 0;
}

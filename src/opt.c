/* opt.c - table-driven option parsing with getopt_long. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opt.h"

#define OPT_MAX	64

static int
opt_choice(const struct opt *o, const char *arg, int *out)
{
	int i;

	for (i = 0; o->choices[i] != NULL; i++) {
		if (strcmp(o->choices[i], arg) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static int
opt_append_addr(struct addr_list *list, const char *arg, char *why,
    size_t whylen)
{
	struct addr_spec spec, *v;

	if (addr_parse(arg, &spec, why, whylen) == -1)
		return -1;
	v = realloc(list->v, (list->n + 1) * sizeof(*v));
	if (v == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	v[list->n++] = spec;
	list->v = v;
	return 0;
}

/* Stores one value; on error writes the reason (without the option name). */
static int
opt_store(const struct opt *o, const char *arg, void *conf, char *why,
    size_t whylen)
{
	char *field = (char *)conf + o->offset;
	const char *err = NULL;
	uint64_t v;
	int rc = 0;

	switch (o->kind) {
	case OPT_FLAG:
		*(int *)field = 1;
		break;
	case OPT_COUNT:
		(*(int *)field)++;
		break;
	case OPT_UINT:
		rc = parse_uint(arg, o->min, o->max, &v, &err);
		if (rc == 0)
			*(uint64_t *)field = v;
		break;
	case OPT_SIZE:
		rc = parse_size(arg, o->max, &v, &err);
		if (rc == 0 && v < o->min) {
			err = "too small";
			rc = -1;
		}
		if (rc == 0)
			*(uint64_t *)field = v;
		break;
	case OPT_SECONDS:
		rc = parse_seconds(arg, (unsigned)o->max, &v, &err);
		if (rc == 0)
			*(uint64_t *)field = v;
		break;
	case OPT_LEVEL:
		rc = log_level_parse(arg, (int *)field);
		err = "not a level (err, warning, notice, info, debug)";
		break;
	case OPT_CHOICE:
		rc = opt_choice(o, arg, (int *)field);
		err = "not one of the choices";
		break;
	case OPT_STRING:
		*(const char **)field = arg;
		break;
	case OPT_ADDRS:
		return opt_append_addr((struct addr_list *)field, arg, why,
		    whylen);
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	if (rc == -1)
		snprintf(why, whylen, "%s", err);
	return rc;
}

static void
opt_defaults(const struct opt *table, size_t n, void *conf)
{
	char why[128];
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].defval != NULL &&
		    opt_store(&table[i], table[i].defval, conf, why,
		    sizeof(why)) == -1)
			abort();	/* a bad default is a bug in the table */
}

enum opt_result
opt_parse(const struct opt *table, size_t n, int argc, char **argv, void *conf,
    int *first_arg, char *why, size_t whylen)
{
	struct option longopts[OPT_MAX + 1];
	char shortopts[OPT_MAX * 2 + 2] = ":", *sp = shortopts + 1;
	char reason[256];
	size_t i;
	int ch, idx;

	if (n > OPT_MAX)
		abort();
	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < n; i++) {
		longopts[i].name = table[i].name;
		longopts[i].has_arg = table[i].metavar != NULL;
		longopts[i].val = 256 + (int)i;
		if (table[i].short_name != 0) {
			*sp++ = (char)table[i].short_name;
			if (table[i].metavar != NULL)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	opt_defaults(table, n, conf);
	optind = 0;	/* glibc: 0 resets getopt's state fully */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			const char *what = ch == '?' ? "unknown option" :
			    "option needs a value";

			if (optopt > 0 && optopt < 256)
				snprintf(why, whylen, "%s: -%c", what, optopt);
			else
				snprintf(why, whylen, "%s: %s", what,
				    argv[optind - 1]);
			return OPT_ERROR;
		}
		for (idx = 0; idx < (int)n; idx++)
			if (ch == 256 + idx || ch == table[idx].short_name)
				break;
		if (table[idx].kind == OPT_HELP)
			return OPT_SHOW_HELP;
		if (table[idx].kind == OPT_VERSION)
			return OPT_SHOW_VERSION;
		if (opt_store(&table[idx], optarg, conf, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whylen, "--%s %s: %s", table[idx].name,
			    optarg, reason);
			return OPT_ERROR;
		}
	}
	*first_arg = optind;
	return OPT_OK;
}

void
opt_usage(FILE *out, const char *synopsis, const struct opt *table, size_t n)
{
	char left[64];
	size_t i;

	fprintf(out, "usage: %s\n\noptions:\n", synopsis);
	for (i = 0; i < n; i++) {
		const struct opt *o = &table[i];
		int w;

		if (o->short_name != 0)
			w = snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    o->short_name, o->name, o->metavar ? " " : "",
			    o->metavar ? o->metavar : "");
		else
			w = snprintf(left, sizeof(left), "    --%s%s%s",
			    o->name, o->metavar ? " " : "",
			    o->metavar ? o->metavar : "");
		fprintf(out, "  %-28s%s%s", left, w > 27 ? "\n" : "",
		    w > 27 ? "                              " : "");
		fprintf(out, "%s", o->help);
		if (o->defval != NULL)
			fprintf(out, " (default: %s)", o->defval);
		fputc('\n', out);
	}
}

void
addr_list_free(struct addr_list *list)
{
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

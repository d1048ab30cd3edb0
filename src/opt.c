/* opt.c - table-driven option parsing with getopt_long. */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opt.h"

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

/* A flag from a file: yes/no, true/false. */
static int
opt_bool(const char *arg, int *out)
{
	if (strcmp(arg, "yes") == 0 || strcmp(arg, "true") == 0)
		*out = 1;
	else if (strcmp(arg, "no") == 0 || strcmp(arg, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* A count from a file ("verbose = 2"), or one more from the command line. */
static int
opt_count(const char *arg, int *field, const char **err)
{
	uint64_t v;

	if (arg == NULL) {
		(*field)++;
		return 0;
	}
	if (parse_uint(arg, 0, INT_MAX, &v, err) == -1)
		return -1;
	*field = (int)v;
	return 0;
}

static int
opt_number(const struct opt *o, const char *arg, uint64_t *field,
    const char **err)
{
	uint64_t v;
	int rc = -1;

	switch (o->kind) {
	case OPT_UINT:
		rc = parse_uint(arg, o->min, o->max, &v, err);
		break;
	case OPT_SIZE:
		rc = parse_size(arg, o->max, &v, err);
		if (rc == 0 && v < o->min) {
			*err = "too small";
			rc = -1;
		}
		break;
	case OPT_SECONDS:
		rc = parse_seconds(arg, (unsigned)o->max, &v, err);
		break;
	default:
		abort();	/* only the numeric kinds come here */
	}
	if (rc == 0)
		*field = v;
	return rc;
}

int
opt_set(const struct opt *o, const char *value, int fresh, void *conf,
    char *why, size_t whylen)
{
	char *field = (char *)conf + o->offset;
	const char *err = "needs a value";
	int rc = -1;

	if (fresh && o->kind == OPT_ADDRS)
		addr_list_free((struct addr_list *)field);
	if (fresh && o->kind == OPT_COUNT)
		*(int *)field = 0;
	if (value == NULL && o->kind != OPT_FLAG && o->kind != OPT_COUNT &&
	    o->kind != OPT_HELP && o->kind != OPT_VERSION)
		goto fail;
	switch (o->kind) {
	case OPT_FLAG:
		rc = opt_bool(value == NULL ? "yes" : value, (int *)field);
		err = "not yes, no, true or false";
		break;
	case OPT_COUNT:
		rc = opt_count(value, (int *)field, &err);
		break;
	case OPT_UINT:
	case OPT_SIZE:
	case OPT_SECONDS:
		rc = opt_number(o, value, (uint64_t *)field, &err);
		break;
	case OPT_LEVEL:
		rc = log_level_parse(value, (int *)field);
		err = "not a level (err, warning, notice, info, debug)";
		break;
	case OPT_CHOICE:
		rc = opt_choice(o, value, (int *)field);
		err = "not one of the choices";
		break;
	case OPT_STRING:
		*(const char **)field = value;
		rc = 0;
		break;
	case OPT_ADDRS:
		return opt_append_addr((struct addr_list *)field, value, why,
		    whylen);
	case OPT_HELP:
	case OPT_VERSION:
		rc = 0;
		break;
	}
	if (rc == 0)
		return 0;
fail:
	snprintf(why, whylen, "%s", err);
	return -1;
}

void
opt_defaults(const struct opt *table, size_t n, void *conf)
{
	char why[128];
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].defval != NULL &&
		    opt_set(&table[i], table[i].defval, 1, conf, why,
		    sizeof(why)) == -1)
			abort();	/* a bad default is a bug in the table */
}

const struct opt *
opt_find(const struct opt *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

enum opt_result
opt_parse(const struct opt *table, size_t n, int argc, char **argv, void *conf,
    int *first_arg, char *why, size_t whylen)
{
	opt_defaults(table, n, conf);
	return opt_parse_argv(table, n, argc, argv, conf, first_arg, why,
	    whylen);
}

static void
opt_getopt_tables(const struct opt *table, size_t n, struct option *longopts,
    char *shortopts)
{
	char *sp = shortopts;
	size_t i;

	*sp++ = ':';
	memset(longopts, 0, (n + 1) * sizeof(*longopts));
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
}

static void
opt_getopt_error(int ch, char **argv, char *why, size_t whylen)
{
	const char *what = ch == '?' ? "unknown option" : "option needs a value";

	if (optopt > 0 && optopt < 256)
		snprintf(why, whylen, "%s: -%c", what, optopt);
	else
		snprintf(why, whylen, "%s: %s", what, argv[optind - 1]);
}

enum opt_result
opt_parse_argv(const struct opt *table, size_t n, int argc, char **argv,
    void *conf, int *first_arg, char *why, size_t whylen)
{
	struct option longopts[OPT_MAX + 1];
	char shortopts[OPT_MAX * 2 + 2];
	unsigned char seen[OPT_MAX] = { 0 };
	char reason[256];
	int ch, idx;

	if (n > OPT_MAX)
		abort();
	opt_getopt_tables(table, n, longopts, shortopts);
	optind = 0;	/* glibc: 0 resets getopt's state fully */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			opt_getopt_error(ch, argv, why, whylen);
			return OPT_ERROR;
		}
		for (idx = 0; idx < (int)n; idx++)
			if (ch == 256 + idx || ch == table[idx].short_name)
				break;
		if (table[idx].kind == OPT_HELP)
			return OPT_SHOW_HELP;
		if (table[idx].kind == OPT_VERSION)
			return OPT_SHOW_VERSION;
		if (opt_set(&table[idx], optarg, !seen[idx], conf, reason,
		    sizeof(reason)) == -1) {
			snprintf(why, whylen, "--%s %s: %s", table[idx].name,
			    optarg, reason);
			return OPT_ERROR;
		}
		seen[idx] = 1;
	}
	*first_arg = optind;
	return OPT_OK;
}

/* A size in the largest unit that keeps it exact: 262144 is "256K". */
static void
opt_format_size(uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "GMK";
	unsigned shift = 30;
	size_t i;

	for (i = 0; i < 3; i++, shift -= 10) {
		if (v != 0 && v % (1ULL << shift) == 0) {
			snprintf(buf, len, "%llu%c",
			    (unsigned long long)(v >> shift), suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* Milliseconds as seconds, with only the decimals needed: "0.25". */
static void
opt_format_seconds(uint64_t ms, char *buf, size_t len)
{
	unsigned frac = (unsigned)(ms % 1000);
	int digits = 3;

	if (frac == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)(ms / 1000));
		return;
	}
	for (; frac % 10 == 0; frac /= 10)
		digits--;
	snprintf(buf, len, "%llu.%0*u", (unsigned long long)(ms / 1000),
	    digits, frac);
}

/*
 * A number with no default that still holds 0 below its minimum was never
 * set: it is worked out later (--max-connections once echod listens), and
 * "0" would not read back.
 */
static int
opt_unset_number(const struct opt *o, const char *field)
{
	if (o->kind != OPT_UINT && o->kind != OPT_SIZE &&
	    o->kind != OPT_SECONDS)
		return 0;
	return o->defval == NULL && *(const uint64_t *)field < o->min;
}

const char *
opt_format(const struct opt *o, const void *conf, size_t i, char *buf,
    size_t len)
{
	const char *field = (const char *)conf + o->offset;
	const struct addr_list *list = (const struct addr_list *)field;
	const char *s;

	if (o->kind == OPT_ADDRS)
		return i < list->n ? addr_spec_format(&list->v[i], buf, len) :
		    NULL;
	if (i > 0 || opt_unset_number(o, field))
		return NULL;
	switch (o->kind) {
	case OPT_FLAG:
		snprintf(buf, len, "%s", *(const int *)field ? "yes" : "no");
		break;
	case OPT_COUNT:
		snprintf(buf, len, "%d", *(const int *)field);
		break;
	case OPT_UINT:
		snprintf(buf, len, "%llu",
		    (unsigned long long)*(const uint64_t *)field);
		break;
	case OPT_SIZE:
		opt_format_size(*(const uint64_t *)field, buf, len);
		break;
	case OPT_SECONDS:
		opt_format_seconds(*(const uint64_t *)field, buf, len);
		break;
	case OPT_LEVEL:
		snprintf(buf, len, "%s", log_level_name(*(const int *)field));
		break;
	case OPT_CHOICE:
		snprintf(buf, len, "%s", o->choices[*(const int *)field]);
		break;
	case OPT_STRING:
		if ((s = *(const char *const *)field) == NULL)
			return NULL;
		snprintf(buf, len, "%s", s);
		break;
	default:
		return NULL;	/* --help and --version hold nothing */
	}
	return buf;
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

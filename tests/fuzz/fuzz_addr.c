/*
 * fuzz_addr.c - libFuzzer target for the ADDR grammar.  addr_parse must
 * stay in bounds and give a one-line reason for what it refuses; what it
 * accepts must print (addr_spec_format) as text that fits the buffers
 * callers give it and parses back to the same spec, and a Unix spec must
 * name the same socket as the sockaddr made from it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_same_spec(const struct addr_spec *a, const struct addr_spec *b)
{
	if (a->proto != b->proto || a->kind != b->kind || a->proxy != b->proxy ||
	    a->port != b->port || strcmp(a->host, b->host) != 0 ||
	    strcmp(a->path, b->path) != 0)
		abort();
}

static void
fuzz_unix(const struct addr_spec *spec, const char *text)
{
	struct sockaddr_un sun;
	socklen_t len;
	char back[ADDR_TEXT_MAX];

	len = addr_unix_sockaddr(spec, &sun);
	if (len > sizeof(sun))
		abort();
	addr_format((struct sockaddr *)&sun, len, back, sizeof(back));
	if (strcmp(back, text) != 0)
		abort();
}

static void
fuzz_accepted(const struct addr_spec *spec)
{
	struct addr_spec again;
	char text[1024], why[256];

	addr_spec_format(spec, text, sizeof(text));
	/* Callers print specs into ADDR_TEXT_MAX bytes: it must be enough. */
	if (strlen(text) >= ADDR_TEXT_MAX)
		abort();
	if (addr_parse(text, &again, why, sizeof(why)) == -1)
		abort();
	fuzz_same_spec(spec, &again);
	/* The sockaddr is named without the proxy: mark. */
	if (spec->kind == ADDR_UNIX && !spec->proxy)
		fuzz_unix(spec, text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_spec spec;
	char *text, why[256] = "";

	/* An exact-size copy, so reading past the terminator is caught. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (addr_parse(text, &spec, why, sizeof(why)) == 0)
		fuzz_accepted(&spec);
	else if (why[0] == '\0' || strchr(why, '\n') != NULL)
		abort();
	free(text);
	return 0;
}

/*
 * fuzz_proxy.c - libFuzzer target for the PROXY protocol parser.  It must
 * stay in bounds, and decide consistently as bytes arrive: a header it
 * accepts is accepted again from exactly its own bytes, with the same
 * result, and every shorter prefix only asks for more; a prefix of what
 * it refuses is never accepted; what it reports fits its limits.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static enum proxy_result
fuzz_parse(const uint8_t *data, size_t n, struct proxy_header *h,
    enum proxy_error *err)
{
	const char *why = NULL;
	enum proxy_result r;
	uint8_t *copy;

	/* An exact-size copy, so a read past n is caught. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(copy, data, n);
	r = proxy_parse(copy, n, h, err, &why);
	free(copy);
	if (r == PROXY_BAD && (why == NULL || strchr(why, '\n') != NULL ||
	    *err >= PROXY_ERR_TIMEOUT))
		abort();
	return r;
}

static void
fuzz_done(const uint8_t *data, size_t size, const struct proxy_header *h)
{
	struct proxy_header again;
	enum proxy_error err;

	if (h->len == 0 || h->len > size ||
	    h->len > (h->version == 1 ? PROXY_V1_MAX : PROXY_V2_MAX))
		abort();
	if (!h->local && ((h->src.ss_family != AF_INET &&
	    h->src.ss_family != AF_INET6) ||
	    h->src.ss_family != h->dst.ss_family))
		abort();
	if (fuzz_parse(data, h->len, &again, &err) != PROXY_DONE ||
	    memcmp(&again, h, sizeof(again)) != 0)
		abort();
	if (fuzz_parse(data, h->len - 1, &again, &err) != PROXY_MORE ||
	    fuzz_parse(data, h->len / 2, &again, &err) != PROXY_MORE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, half;
	enum proxy_error err, err2;

	switch (fuzz_parse(data, size, &h, &err)) {
	case PROXY_DONE:
		fuzz_done(data, size, &h);
		break;
	case PROXY_MORE:
		if (size >= PROXY_HEADER_MAX)
			abort();	/* it would wait for ever */
		if (fuzz_parse(data, size / 2, &half, &err2) != PROXY_MORE)
			abort();
		break;
	case PROXY_BAD:
		/* Refused: no prefix of it could have been accepted. */
		if (fuzz_parse(data, size / 2, &half, &err2) == PROXY_DONE)
			abort();
		break;
	}
	return 0;
}

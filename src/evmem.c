/* evmem.c - a per-thread cache of evbuffer chain blocks for libevent. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "evmem.h"

/* Blocks of 1 KiB << class, up to 128 KiB: every evbuffer chain size. */
#define EVMEM_CLASSES		8
#define EVMEM_MIN_SHIFT		10
#define EVMEM_PER_CLASS		16
/* What one thread may keep idle in its cache. */
#define EVMEM_CACHE_MAX		(2u << 20)

/* Keeps the caller's block 16-byte aligned, as malloc's. */
struct evmem_hdr {
	size_t	size;
	size_t	pad;
};

static __thread struct {
	void	*blocks[EVMEM_CLASSES][EVMEM_PER_CLASS];
	unsigned n[EVMEM_CLASSES];
	size_t	 bytes;
} cache;

/* The class of a power-of-two size in range, or -1. */
static int
evmem_class(size_t size)
{
	int c;

	for (c = 0; c < EVMEM_CLASSES; c++)
		if (size == (size_t)1 << (EVMEM_MIN_SHIFT + c))
			return c;
	return -1;
}

static void *
evmem_malloc(size_t size)
{
	struct evmem_hdr *h;
	int c = evmem_class(size);

	if (c >= 0 && cache.n[c] > 0) {
		h = cache.blocks[c][--cache.n[c]];
		cache.bytes -= size;
		return h + 1;
	}
	if (size > SIZE_MAX - sizeof(*h) ||
	    (h = malloc(sizeof(*h) + size)) == NULL)
		return NULL;
	h->size = size;
	return h + 1;
}

static void
evmem_free(void *p)
{
	struct evmem_hdr *h;
	int c;

	if (p == NULL)
		return;
	h = (struct evmem_hdr *)p - 1;
	c = evmem_class(h->size);
	if (c >= 0 && cache.n[c] < EVMEM_PER_CLASS &&
	    cache.bytes + h->size <= EVMEM_CACHE_MAX) {
		cache.blocks[c][cache.n[c]++] = h;
		cache.bytes += h->size;
		return;
	}
	free(h);
}

static void *
evmem_realloc(void *p, size_t size)
{
	struct evmem_hdr *h;
	void *q;

	if (p == NULL)
		return evmem_malloc(size);
	h = (struct evmem_hdr *)p - 1;
	if ((q = evmem_malloc(size)) == NULL)
		return NULL;
	memcpy(q, p, h->size < size ? h->size : size);
	evmem_free(p);
	return q;
}

void
evmem_flush(void)
{
	int c;

	for (c = 0; c < EVMEM_CLASSES; c++)
		while (cache.n[c] > 0)
			free(cache.blocks[c][--cache.n[c]]);
	cache.bytes = 0;
}

void
evmem_install(void)
{
#ifndef ECHOD_SANITIZERS
	/* Sanitizers see more without a cache in the way. */
	event_set_mem_functions(evmem_malloc, evmem_realloc, evmem_free);
#endif
}

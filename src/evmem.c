/* evmem.c - a per-thread cache of evbuffer chain blocks for libevent. */
#include "config.h"

#include <malloc.h>
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

/* Set once, before any thread starts: the cache is in use. */
static int evmem_on;

static __thread struct {
	void	*blocks[EVMEM_CLASSES][EVMEM_PER_CLASS];
	unsigned n[EVMEM_CLASSES];
	size_t	 bytes;
} cache;

/* The class whose size is exactly `size`, or -1. */
static int
evmem_class(size_t size)
{
	int c;

	for (c = 0; c < EVMEM_CLASSES; c++)
		if (size == (size_t)1 << (EVMEM_MIN_SHIFT + c))
			return c;
	return -1;
}

/*
 * The class a block can serve: the largest whose size fits in it.  Sizes
 * come from malloc_usable_size, so blocks carry no header of their own:
 * a header would cost every libevent allocation, five per connection.
 */
static int
evmem_fit(size_t usable)
{
	int c;

	for (c = EVMEM_CLASSES - 1; c >= 0; c--)
		if (usable >= (size_t)1 << (EVMEM_MIN_SHIFT + c))
			return usable < (size_t)1 << (EVMEM_MIN_SHIFT + c + 1) ?
			    c : -1;
	return -1;
}

static void *
evmem_malloc(size_t size)
{
	int c = evmem_class(size);

	if (c >= 0 && cache.n[c] > 0) {
		cache.bytes -= size;
		return cache.blocks[c][--cache.n[c]];
	}
	return malloc(size);
}

static void
evmem_free(void *p)
{
	size_t size;
	int c;

	if (p == NULL)
		return;
	c = evmem_fit(malloc_usable_size(p));
	size = c >= 0 ? (size_t)1 << (EVMEM_MIN_SHIFT + c) : 0;
	if (c >= 0 && cache.n[c] < EVMEM_PER_CLASS &&
	    cache.bytes + size <= EVMEM_CACHE_MAX) {
		cache.blocks[c][cache.n[c]++] = p;
		cache.bytes += size;
		return;
	}
	free(p);
}

static void *
evmem_realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (p == NULL)
		return evmem_malloc(size);
	if ((old = malloc_usable_size(p)) >= size)
		return p;
	if ((q = evmem_malloc(size)) == NULL)
		return NULL;
	memcpy(q, p, old);
	evmem_free(p);
	return q;
}

void *
evmem_block_get(size_t size)
{
	int c = __builtin_ctzll(size) - EVMEM_MIN_SHIFT;

	if (cache.n[c] > 0) {
		cache.bytes -= size;
		return cache.blocks[c][--cache.n[c]];
	}
	return malloc(size);
}

void
evmem_block_put(void *p, size_t size)
{
	int c = __builtin_ctzll(size) - EVMEM_MIN_SHIFT;

	if (p == NULL)
		return;
	if (evmem_on && cache.n[c] < EVMEM_PER_CLASS &&
	    cache.bytes + size <= EVMEM_CACHE_MAX) {
		cache.blocks[c][cache.n[c]++] = p;
		cache.bytes += size;
		return;
	}
	free(p);
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
#ifdef ECHOD_SANITIZERS
	/* Sanitizers see more without a cache in the way. */
	return;
#endif
	evmem_on = 1;
	event_set_mem_functions(evmem_malloc, evmem_realloc, evmem_free);
}

/*
 * evmem.h - libevent's allocator, with a small per-thread cache of the
 * power-of-two blocks evbuffer chains are made of.  A connection's read
 * and write then recycle the same blocks: no heap allocation per read in
 * steady state.  Install before any other libevent call.
 */
#ifndef ECHOD_EVMEM_H
#define ECHOD_EVMEM_H

#include <stddef.h>

void	evmem_install(void);
/* Returns this thread's cached blocks to malloc: call as a thread ends. */
void	evmem_flush(void);
/*
 * A block of exactly 1 KiB << n bytes (n < 8) from this thread's cache, or
 * from malloc; NULL if out of memory.  Faster than a libevent allocation:
 * the size is known, so nothing is looked up.
 */
void	*evmem_block_get(size_t size);
/* Gives back a block of evmem_block_get's (or NULL) to this thread. */
void	 evmem_block_put(void *p, size_t size);

#endif

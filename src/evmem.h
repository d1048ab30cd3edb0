/*
 * evmem.h - libevent's allocator, with a small per-thread cache of the
 * power-of-two blocks evbuffer chains are made of.  A connection's read
 * and write then recycle the same blocks: no heap allocation per read in
 * steady state.  Install before any other libevent call.
 */
#ifndef ECHOD_EVMEM_H
#define ECHOD_EVMEM_H

void	evmem_install(void);
/* Returns this thread's cached blocks to malloc: call as a thread ends. */
void	evmem_flush(void);

#endif

/*
 * loopfit.h - whether the event loops --threads asks for fit the open-file
 * limit.  Out of descriptors, libevent exits inside event_base_new(), so
 * start-up refuses first, and so does --check-config (a reload's
 * pre-flight): a reload the new image could not start is refused before
 * the exec.
 */
#ifndef ECHOD_LOOPFIT_H
#define ECHOD_LOOPFIT_H

#include <stddef.h>
#include <stdint.h>

/* 0 if threads loops fit; else -1 with a line saying what to change. */
int	loopfit_check(uint64_t threads, char *why, size_t whylen);

#endif

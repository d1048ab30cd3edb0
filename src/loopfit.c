/* loopfit.c - the descriptors the event loops need, against the limit. */
#include "config.h"

#include <sys/resource.h>
#include <stdio.h>

#include "loopfit.h"

/*
 * Descriptors one event loop holds: its epoll instance, libevent's signal
 * pipe, and the eventfd that wakes it (a worker's queue, or admission's).
 */
#define LOOPFIT_LOOP_FDS	5
/* The rest echod needs to start: stdio, listeners, the journal. */
#define LOOPFIT_BASE_FDS	16

int
loopfit_check(uint64_t threads, char *why, size_t whylen)
{
	uint64_t need = threads * LOOPFIT_LOOP_FDS + LOOPFIT_BASE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	snprintf(why, whylen, "%llu event loops (--threads) need %llu "
	    "descriptors, over the open-file limit of %llu: lower --threads "
	    "or raise the limit", (unsigned long long)threads,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return -1;
}

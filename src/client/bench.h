/*
 * bench.h - what the load tests over streams (bench.c) and datagrams
 * (benchudp.c) share: timers, error kinds, the event loop, descriptors.
 */
#ifndef ECHO_BENCH_H
#define ECHO_BENCH_H

#include <sys/time.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define BENCH_FD_SPARE	16	/* stdio, the event loop, the resolver */

#include <event2/event.h>

/* What a load test runs on: its loop, its phase timer, its progress line. */
struct bench_loop {
	struct event_base	*base;
	struct event		*phase_timer;
	struct event		*progress;	/* NULL: not on a terminal */
};

/* us microseconds as a timeval. */
struct timeval bench_tv(uint64_t us);
/* What kind of failure an errno value is. */
enum bench_error bench_classify(int err);
/*
 * A loop with timers finer than epoll's milliseconds, the phase timer
 * (not armed) and, when standard error is a terminal, progress once a
 * second; both call back with arg.  -1 when out of memory.
 */
int	bench_loop_init(struct bench_loop *l, event_callback_fn phase,
	    event_callback_fn progress, void *arg);
/* Frees what bench_loop_init made, ending the progress line. */
void	bench_loop_free(struct bench_loop *l);
/*
 * Raises the open-file limit to what --connections n needs, if it is lower;
 * -1 with a reason in why when the hard limit forbids it.
 */
int	bench_nofile(uint64_t n, char *why, size_t whylen);
/*
 * When turn k of slot (of nslots) is due in an open loop at rate
 * messages a second in all, starting at t0.
 */
uint64_t bench_turn_due(uint64_t t0, uint64_t rate, uint64_t slot,
	    uint64_t nslots, uint64_t k);

/* The load test over udp: (benchudp.c); as bench_run. */
int	bench_udp_run(const struct client_conf *conf,
	    const struct target *target, struct bench_result *res, char *why,
	    size_t whylen);

#endif

/*
 * check.h - the parts of a health check, which checkrun.c puts together:
 * one exchange (check.c), the payload (payload.c), the UDP probe
 * (probe.c), the statistics and the state they earn (verdict.c), and the
 * wait that keeps all of them within --timeout.
 */
#ifndef ECHO_CHECK_H
#define ECHO_CHECK_H

#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

struct event_base;

#define CHECK_DGRAM_MAX	BENCH_DGRAM_MAX	/* the most a UDP datagram holds */

struct payload {
	struct iovec	*parts;		/* each sent as its own write */
	size_t		 nparts;
	unsigned char	*all;		/* the parts back to back */
	size_t		 len;
};

/*
 * Builds what a check sends: the MESSAGE operands, "-" standing for stdin
 * (read without blocking past deadline_us), else --size bytes of pattern.
 * Returns 0; -1 with a reason in why for an UNKNOWN state; 1 with the
 * reason in why when stdin did not end in time (CRITICAL, as a timeout).
 */
int	payload_build(struct event_base *base, const struct client_conf *conf,
	    char **messages, int n, uint64_t deadline_us, struct payload *pl,
	    char *why, size_t whylen);
void	payload_free(struct payload *pl);

/*
 * One check, ending by deadline_us: 0 and the time taken in *elapsed_us;
 * -1 when it failed (refused, reset, timeout); -2 when the echo differed
 * or fell short.  The reason is in reason either way.
 */
int	check_once(struct event_base *base, const struct client_conf *conf,
	    const struct target *target, const struct payload *pl,
	    uint64_t deadline_us, uint64_t *elapsed_us, char *reason,
	    size_t reasonlen);

/*
 * Runs base until *done or deadline_us; 0 when done, -1 at the deadline
 * (or when the loop cannot run).
 */
int	check_wait(struct event_base *base, const int *done,
	    uint64_t deadline_us);

/*
 * The UDP probe: conf->count datagrams of conf->size bytes, one each
 * --interval, each carrying its sequence number; echoes are matched by
 * it, so loss, duplicates and reordering show.  Fills *sum.
 */
void	probe_run(struct event_base *base, const struct client_conf *conf,
	    const struct target *target, uint64_t deadline_us,
	    struct check_summary *sum);
/* The fewest bytes a probe datagram holds: its sequence number and tag. */
#define PROBE_HEADER	8

/* One more round trip of us microseconds, echoed exactly. */
void	verdict_add(struct check_summary *sum, uint64_t us);
uint64_t verdict_mean_us(const struct check_summary *sum);
uint64_t verdict_mdev_us(const struct check_summary *sum);
/* The loss in millionths of a percent, as struct range counts. */
int64_t	verdict_loss(const struct check_summary *sum);
/* Sets sum->state (and sum->over) from what was found and -w, -c. */
void	verdict_state(const struct client_conf *conf,
	    struct check_summary *sum);

#endif

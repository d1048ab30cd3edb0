/*
 * client.h - echo-client: its configuration, exit statuses and the two
 * modes main dispatches to (check.c, bench.c), with their results as
 * report.c prints them.
 */
#ifndef ECHO_CLIENT_H
#define ECHO_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "histogram.h"
#include "range.h"
#include "target.h"

/* Exit statuses, in the monitoring-plugin convention. */
#define STATE_OK	0
#define STATE_WARNING	1
#define STATE_CRITICAL	2
#define STATE_UNKNOWN	3

#define CLIENT_UNSET	UINT64_MAX	/* an option that was not given */
#define CLIENT_SIZE_DEFAULT 64		/* --size when none is given */
#define BENCH_UDP_SEQ	8		/* udp: bench: sequence number bytes */
#define BENCH_DGRAM_MAX	65507		/* the most a UDP datagram holds */
#define CLIENT_CHECK_COUNT_MAX 1000000	/* --count of a health check */

enum bench_mode {
	BENCH_PINGPONG,
	BENCH_STREAM,
	BENCH_CONNECT,	/* churn: connect, echo one message, close */
};

struct client_conf {
	int		 bench;
	uint64_t	 connections;
	uint64_t	 duration_ms;
	int		 mode;		/* enum bench_mode */
	uint64_t	 rate;		/* messages/s in all; 0: closed loop */
	uint64_t	 window;	/* in flight a connection; 0: default */
	int		 json;
	uint64_t	 size;		/* CLIENT_UNSET: not given */
	uint64_t	 count;		/* CLIENT_UNSET: not given */
	uint64_t	 interval_ms;
	const char	*warning_arg;	/* -w as typed; NULL: none */
	const char	*critical_arg;
	struct threshold warn, crit;	/* parsed from them */
	uint64_t	 timeout_ms;
	const char	*host;		/* -H; NULL: ADDR is an operand */
	uint64_t	 port;		/* -p */
	int		 udp;		/* -u */
	int		 ipv4, ipv6;	/* -4, -6 */
	int		 verbose;
	char		 addr_text[ADDR_TEXT_MAX];	/* as typed */
};

/*
 * What a check (or --count checks, or a UDP probe's datagrams) found;
 * report_check prints it.
 */
struct check_summary {
	int		 state;
	char		 reason[512];	/* the first failure, if any */
	int		 corrupt;	/* an echo differed or fell short */
	uint64_t	 count;		/* checks or datagrams due */
	uint64_t	 checks;	/* of them, echoed exactly */
	uint64_t	 duplicates;	/* datagrams echoed more than once */
	uint64_t	 reordered;	/* echoed after a later one */
	uint64_t	 bytes;		/* per check or datagram */
	uint64_t	 min_us, max_us, sum_us;
	double		 sumsq_us;	/* for the mean deviation */
	char		 over[160];	/* which threshold set the state */
};

/* Why a bench connection ended before the test did. */
enum bench_error {
	BERR_REFUSED,
	BERR_RESET,
	BERR_CLOSED,	/* EOF from the server */
	BERR_TIMEOUT,
	BERR_UNREACHABLE,
	BERR_DESCRIPTORS,	/* EMFILE, ENFILE: out of file descriptors */
	BERR_OTHER,
	BERR_COUNT,
};

struct bench_result {
	uint64_t	 connections;	/* asked for */
	int		 udp;		/* over udp: datagrams, not bytes */
	uint64_t	 connected;
	uint64_t	 connect_failed;
	uint64_t	 failed;	/* connected, then an error */
	uint64_t	 mismatched;	/* connected, then a wrong byte */
	uint64_t	 errors[BERR_COUNT];
	uint64_t	 due;		/* messages released to send */
	uint64_t	 sent;		/* messages written in full */
	uint64_t	 round_trips;	/* messages echoed and verified */
	uint64_t	 bytes_sent, bytes_received;
	uint64_t	 elapsed_us;
	uint64_t	 lost;		/* udp: sent, never echoed in time */
	uint64_t	 late;		/* udp: echoed after being given up */
	uint64_t	 duplicated;	/* udp: echoed twice */
	uint64_t	 client_dropped; /* udp: by our receive buffers */
	char		 first_mismatch[256];
	struct histogram hist;		/* latency in us, one per round trip */
	struct histogram connect_hist;	/* connect mode: connect latency */
};

/*
 * Resolves spec and runs the check (--count times) against it, all within
 * --timeout, and fills *sum.  The payload is the MESSAGE operands ("-"
 * for stdin), else --size bytes of pattern.  Returns -1 with a reason in
 * why for bad input (an UNKNOWN state).
 */
int	check_run(const struct client_conf *conf, const struct addr_spec *spec,
	    char **messages, int nmessages, struct check_summary *sum,
	    char *why, size_t whylen);

/*
 * Runs the load test; fills *res.  Returns -1 with a reason in why when it
 * cannot start (descriptor limit, no event loop): an UNKNOWN state.
 */
int	bench_run(const struct client_conf *conf, const struct target *target,
	    struct bench_result *res, char *why, size_t whylen);
/* The exit status a finished load test earns. */
int	bench_state(const struct bench_result *res);
const char *bench_error_name(enum bench_error e);

/* The status line and its exit status, or the load test's report. */
int	report_check(const struct client_conf *conf,
	    const struct check_summary *sum);
void	report_bench_text(const struct client_conf *conf,
	    const struct bench_result *res);
void	report_bench_json(const struct client_conf *conf,
	    const struct bench_result *res);
/* The one-line live view on a terminal, rewritten in place; then its end. */
void	report_progress(const struct bench_result *res, int connecting,
	    uint64_t elapsed_us);
void	report_progress_end(void);
void	report_unknown(const char *why);

#endif

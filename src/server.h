/*
 * server.h - what the main thread owns: listeners, UDP, the workers that
 * serve connections, counters, signals, and the shutdown that drains them.
 */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <sys/queue.h>
#include <stdint.h>

#include <event2/event.h>

#include "admit.h"
#include "options.h"
#include "proxy.h"
#include "srclimit.h"
#include "udp.h"

struct listener;
struct worker;

/* TERM, INT, USR1, HUP, USR2: the signals the main loop handles. */
#define SERVER_NSIGNALS		5

struct server {
	struct event_base	*base;
	const struct config	*conf;
	TAILQ_HEAD(, listener)	 listeners;
	TAILQ_HEAD(, udp_listener) udp;
	struct srclimit		 udp_limit;
	struct admit		*admit;
	struct worker		*workers;
	unsigned		 nworkers;
	unsigned		 next_worker;
	struct event		*drain_deadline;
	struct event		*signals[SERVER_NSIGNALS];
	struct event		*counters_timer;	/* SIGUSR1, paced */
	uint64_t		 counters_last_ms;
};

/* Every counter at one moment: what SIGUSR1 logs and STATUS= shows. */
struct server_counters {
	struct admit_stats	 admit;
	uint64_t		 bytes_in;	/* TCP and Unix */
	uint64_t		 bytes_out;
	uint64_t		 unix_bytes_in;	/* the Unix part of them */
	uint64_t		 unix_bytes_out;
	uint64_t		 proxy_refused;	/* PROXY headers refused */
	uint64_t		 proxy_errors[PROXY_ERR_COUNT];
	struct udp_stats	 udp;
	unsigned		 listeners_tcp;
	unsigned		 listeners_unix;
	unsigned		 listeners_udp;
};

/*
 * Sets up the main loop, its signals and timers, and the workers; returns
 * 0, or -1 after logging what failed (server_free() cleans up either way).
 */
int	server_init(struct server *srv, const struct config *conf);
/* Runs the loop until shutdown; returns 0, or -1 after logging. */
int	server_run(struct server *srv);
void	server_free(struct server *srv);
/* Open connections across all workers. */
uint64_t server_nconns(const struct server *srv);
/* Sums the main thread's, the workers' and the UDP listeners' counters. */
void	server_counters_sum(const struct server *srv,
	    struct server_counters *c);

#endif

/*
 * server.h - what the main thread owns: listeners, UDP, the workers that
 * serve connections, counters, signals, and the shutdown that drains them.
 */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <stdint.h>

#include <event2/event.h>

#include "admit.h"
#include "conn.h"
#include "options.h"
#include "proxy.h"
#include "srclimit.h"
#include "udp.h"

struct listener_list;
struct udp_list;
struct worker_pool;
/* Private to server.c: others use the functions below. */
struct server;


/* Every counter at one moment: what SIGUSR1 logs and STATUS= shows. */
struct server_counters {
	struct admit_stats	 admit;
	uint64_t		 bytes_in;	/* TCP and Unix */
	uint64_t		 bytes_out;
	uint64_t		 unix_bytes_in;	/* the Unix part of them */
	uint64_t		 unix_bytes_out;
	uint64_t		 proxy_refused;	/* PROXY headers refused */
	uint64_t		 proxy_errors[PROXY_ERR_COUNT];
	uint64_t		 conns_paused;	/* by backpressure, now */
	uint64_t		 closed[CONN_CLOSE_REASONS];
	struct udp_stats	 udp;
	unsigned		 listeners_tcp;
	unsigned		 listeners_unix;
	unsigned		 listeners_udp;
};

/*
 * Sets up the main loop, its signals and timers, and the workers; returns
 * NULL after logging what failed (and cleaning up).
 */
struct server *server_new(const struct config *conf);
/* Runs the loop until shutdown; returns 0, or -1 after logging. */
int	server_run(struct server *srv);
/* Frees srv (NULL: nothing). */
void	server_free(struct server *srv);
/* What the parts of the server share: the settings, the main loop, ... */
const struct config *server_conf(const struct server *srv);
struct event_base *server_base(const struct server *srv);
struct admit *server_admit(const struct server *srv);
struct srclimit *server_udp_limit(const struct server *srv);
/*
 * ... and the lists that listener.c, udp.c and worker.c keep in it (a
 * const server still gives them: their owners decide what is changed).
 */
struct listener_list *server_listeners(const struct server *srv);
struct udp_list *server_udp(const struct server *srv);
struct worker_pool *server_workers(const struct server *srv);
/* Sums the main thread's, the workers' and the UDP listeners' counters. */
void	server_counters_sum(const struct server *srv,
	    struct server_counters *c);

#endif

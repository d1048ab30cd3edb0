/*
 * worker.h - one event loop per thread serving TCP connections.  The main
 * thread accepts and hands each connection to a worker round-robin; worker 0
 * runs on the main thread's own loop, so --threads 1 has no hand-off at all.
 * Workers talk back only through server_wake().
 */
#ifndef ECHOD_WORKER_H
#define ECHOD_WORKER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>

#include <event2/event.h>

struct conn;
struct listener;
struct persource_entry;
struct server;

/* Counters a worker writes and the main thread sums (relaxed atomics). */
struct worker_stats {
	uint64_t	bytes_in;
	uint64_t	bytes_out;
};

/* A worker's stats, by the transport its clients reach it over. */
enum worker_stats_kind {
	WORKER_STATS_INET,
	WORKER_STATS_UNIX,
	WORKER_STATS_KINDS
};

struct worker {
	struct server		*srv;
	struct event_base	*base;
	unsigned		 index;
	pthread_t		 thread;
	int			 started;
	int			 pipe_rd;	/* messages from the main thread */
	int			 pipe_wr;
	struct event		*pipe_ev;
	TAILQ_HEAD(, conn)	 conns;
	int			 draining;
	struct worker_stats	 stats[WORKER_STATS_KINDS];
};

/* What the main thread knows of an accepted connection. */
struct worker_conn {
	int			 fd;
	uint64_t		 id;
	struct listener		*listener;
	struct persource_entry	*source;
	socklen_t		 salen;
	struct sockaddr_storage	 sa;
};

/* Creates worker 0 on the main loop and n - 1 threads with their own. */
int	worker_start_all(struct server *srv, unsigned n);
/* Hands a connection to the next worker; -1 (fd closed) if it cannot. */
int	worker_dispatch(struct server *srv, const struct worker_conn *wc);
/* Every worker stops reading and flushes its connections. */
void	worker_drain_all(struct server *srv);
/* Every worker closes what is left at once. */
void	worker_close_all(struct server *srv);
/* Stops and joins the threads, frees every worker. */
void	worker_stop_all(struct server *srv);
/* Sums every worker's stats: all of them, and the Unix part alone. */
void	worker_stats_sum(const struct server *srv, struct worker_stats *sum,
	    struct worker_stats *unix_part);

/* conn.c reports a closed connection to its worker. */
void	worker_conn_closed(struct worker *w, struct conn *c);

#define STAT_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_GET(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif

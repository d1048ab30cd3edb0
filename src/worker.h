/*
 * worker.h - one event loop per thread serving TCP connections.  The main
 * thread accepts and hands each connection to a worker round-robin; worker 0
 * runs on the main thread's own loop, so --threads 1 has no hand-off at all.
 * A hand-off or a control request is never dropped.
 * Workers talk back only through admission (admit_release).
 */
#ifndef ECHOD_WORKER_H
#define ECHOD_WORKER_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>

#include <event2/event.h>

#include "conn.h"
#include "proxy.h"
#include "proxywait.h"

struct admit;
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

struct worker_msg;

/*
 * What the main thread sends a worker thread (memcached's thread.c): a
 * locked FIFO of hand-offs without a bound, so no burst can drop one, plus
 * control bits, so a control request can neither fail to queue nor be
 * lost; one eventfd wakes the worker, written only when the queue goes from
 * empty to non-empty.  Its length is bounded by --max-connections, since
 * each queued connection already holds its slot.
 */
struct worker_queue {
	pthread_mutex_t		 lock;
	struct worker_msg	*head;
	struct worker_msg	**tailp;
	struct worker_msg	*free;	/* nodes to reuse */
	unsigned		 ctl;	/* WORKER_DRAIN, ... pending */
	int			 efd;
	struct event		*ev;
};

struct worker {
	struct server		*srv;
	struct admit		*admit;
	const struct config	*conf;
	struct event_base	*base;
	unsigned		 index;
	pthread_t		 thread;
	int			 started;
	struct worker_queue	 q;
	TAILQ_HEAD(, conn)	 conns;
	int			 draining;
	struct worker_stats	 stats[WORKER_STATS_KINDS];
	/* PROXY listeners: connections waiting for their header, refusals. */
	struct proxywait_list	 proxywaits;
	uint64_t		 proxy_errors[PROXY_ERR_COUNT];
	uint64_t		 paused;	/* connections paused now */
	uint64_t		 closed[CONN_CLOSE_REASONS];
};

/* The workers, kept in the server. */
struct worker_pool {
	struct worker	*v;
	unsigned	 n;
	unsigned	 next;	/* the next to get a connection */
};

/* What the main thread knows of an accepted connection. */
struct worker_conn {
	int			 fd;
	uint64_t		 id;
	struct listener		*listener;
	struct persource_entry	*source;
	struct sockaddr_storage	 sa;
	int			 handed;	/* by a reload: set up already */
};

/* Creates worker 0 on the main loop and n - 1 threads with their own. */
int	worker_start_all(struct server *srv, unsigned n);
/* Hands a connection to the next worker; -1 (fd closed): out of memory. */
int	worker_dispatch(struct server *srv, const struct worker_conn *wc);
typedef void (*worker_call_fn)(struct worker *w, void *arg);
/*
 * Runs fn(w, arg) on w's own thread, after what was sent to w before (at
 * once for worker 0, the main thread's).  -1: out of memory.
 */
int	worker_call(struct worker *w, worker_call_fn fn, void *arg);
/* Every worker stops reading and flushes its connections. */
void	worker_drain_all(struct server *srv);
/* Every worker closes what is left at once. */
void	worker_close_all(struct server *srv);
/* Stops and joins the threads, frees every worker. */
void	worker_stop_all(struct server *srv);
/* Sums the workers' PROXY refusals, by enum proxy_error. */
void	worker_proxy_sum(const struct server *srv,
	    uint64_t errors[PROXY_ERR_COUNT]);
/* Sums the connections paused now, and closed by reason. */
void	worker_conn_sum(const struct server *srv, uint64_t *paused,
	    uint64_t closed[CONN_CLOSE_REASONS]);
/* Sums every worker's stats: all of them, and the Unix part alone. */
void	worker_stats_sum(const struct server *srv, struct worker_stats *sum,
	    struct worker_stats *unix_part);

/* conn.c reports a closed connection to its worker. */
void	worker_conn_closed(struct worker *w, struct conn *c);

#define STAT_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_GET(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif

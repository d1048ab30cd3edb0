/*
 * server.h - the state one event loop serves: its listeners, its
 * connections, its counters, and the shutdown that drains them.
 */
#ifndef ECHOD_SERVER_H
#define ECHOD_SERVER_H

#include <sys/queue.h>
#include <stdint.h>

#include <event2/event.h>

#include "options.h"
#include "persource.h"
#include "srclimit.h"

struct conn;
struct listener;
struct udp_listener;

/* Why accepting is paused; accepting runs while none is set. */
#define ACCEPT_PAUSED_LIMIT	0x1	/* --max-connections reached */
#define ACCEPT_PAUSED_FDS	0x2	/* out of descriptors (EMFILE/ENFILE) */
#define ACCEPT_PAUSED_STOP	0x4	/* shutting down */

struct stats {
	uint64_t	conns_total;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	uint64_t	accept_errors;
	uint64_t	limit_pauses;	/* times --max-connections was hit */
	uint64_t	refused_per_source;	/* over --max-per-source */
};

struct server {
	struct event_base	*base;
	const struct config	*conf;
	TAILQ_HEAD(, listener)	 listeners;
	TAILQ_HEAD(, conn)	 conns;
	TAILQ_HEAD(, udp_listener) udp;
	struct srclimit		 udp_limit;
	struct persource	 persource;
	uint64_t		 nconns;
	uint64_t		 next_conn_id;
	unsigned		 accept_paused;
	int			 draining;
	int			 exit_status;
	struct event		*accept_retry;	/* after EMFILE */
	struct event		*drain_deadline;
	struct event		*sig_term;
	struct event		*sig_int;
	struct event		*sig_usr1;
	struct stats		 stats;
};

int	server_init(struct server *srv, const struct config *conf);
/* Runs the loop until a clean shutdown; returns the exit status. */
int	server_run(struct server *srv);
void	server_free(struct server *srv);

/* Called by conn.c when a connection opens and after it has closed. */
void	server_conn_opened(struct server *srv, struct conn *c);
void	server_conn_closed(struct server *srv, struct conn *c);

#endif

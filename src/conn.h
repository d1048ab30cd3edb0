/*
 * conn.h - one TCP client: a bufferevent whose input is moved to its own
 * output, with watermark backpressure, half-close and lingering close.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "addr.h"

struct listener;
struct persource_entry;
struct worker;
struct worker_conn;

/* "[v6 address]:port"; Unix peers are named by their listener. */
#define CONN_PEER_MAX	56

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct worker		*w;
	struct bufferevent	*bev;
	struct listener		*listener;
	struct persource_entry	*source;	/* for --max-per-source */
	uint64_t		 id;
	uint64_t		 bytes_in;
	uint64_t		 start_us;
	int			 read_paused;	/* by the high watermark */
	int			 peer_eof;	/* peer half-closed: flush, close */
	int			 draining;	/* shutdown: flush, half-close */
	int			 lingering;	/* half-closed, discarding input */
	char			 peer[CONN_PEER_MAX];
};

/* Serves an accepted connection on worker w; closes it on failure. */
void	conn_accept(struct worker *w, const struct worker_conn *wc);
/* Shutdown: stop reading, flush the echo, half-close, then close. */
void	conn_drain(struct conn *c);
/* Closes now, logging the reason; frees c. */
void	conn_close(struct conn *c, const char *reason);

#endif

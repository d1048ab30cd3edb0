/*
 * conn.h - one TCP client: a bufferevent whose input is moved to its own
 * output, with watermark backpressure, half-close and lingering close.
 */
#ifndef ECHOD_CONN_H
#define ECHOD_CONN_H

#include <sys/queue.h>
#include <netinet/in.h>
#include <stdint.h>

#include <event2/bufferevent.h>

struct listener;
struct persource_entry;
struct worker;
struct worker_conn;

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct worker		*w;
	struct bufferevent	*bev;
	struct listener		*listener;
	struct persource_entry	*source;	/* for --max-per-source */
	uint64_t		 id;
	uint64_t		 bytes_in;
	uint64_t		 start_us;
	union {				/* AF_UNSPEC for Unix peers */
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}			 peer;
	unsigned		 read_paused:1;	/* by the high watermark */
	unsigned		 peer_eof:1;	/* peer half-closed: flush, close */
	unsigned		 draining:1;	/* shutdown: flush, half-close */
	unsigned		 lingering:1;	/* half-closed, discarding input */
};

/* Serves an accepted connection on worker w; closes it on failure. */
void	conn_accept(struct worker *w, const struct worker_conn *wc);
/* Shutdown: stop reading, flush the echo, half-close, then close. */
void	conn_drain(struct conn *c);
/* Closes now, logging the reason; frees c. */
void	conn_close(struct conn *c, const char *reason);

#endif

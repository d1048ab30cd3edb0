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
#include <event2/event_struct.h>

struct handoff_buf;
struct handoff_conn;
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
	uint64_t		 bytes_out;	/* counted into the worker's stats */
	uint64_t		 start_us;
	uint64_t		 window_us;	/* --min-rate: window start */
	uint64_t		 window_bytes;	/* bytes_in at window_us */
	/* Idle checks (conn_tick): what moved since the last one. */
	struct event		 timer;
	uint64_t		 active_us;	/* the last check that saw a move */
	uint64_t		 seen_in;	/* bytes_in, bytes_out, SIOCOUTQ */
	uint64_t		 seen_out;
	uint32_t		 seen_outq;
	uint64_t		 linger_us;	/* lingering: the close's deadline */
	/* The peer, packed: an idle connection's size is RSS x 10,000. */
	uint8_t			 peer_addr[16];	/* IPv4 in the first 4 bytes */
	uint16_t		 peer_port;	/* network order */
	uint8_t			 peer_family;	/* AF_UNSPEC for Unix peers */
	uint8_t			 read_paused:1;	/* by the high watermark */
	uint8_t			 peer_eof:1;	/* peer half-closed: flush, close */
	uint8_t			 draining:1;	/* shutdown: flush, half-close */
	uint8_t			 lingering:1;	/* half-closed, discarding input */
	uint8_t			 via_unix:1;	/* counted as WORKER_STATS_UNIX */
	uint8_t			 via_proxy:1;	/* lb[0] is the balancer */
	/* Allocated only for a client named by a PROXY header. */
	struct sockaddr_storage	 lb[];
};

/* What conn_close's reason can be, for counting; others count as "other". */
#define CONN_CLOSE_REASONS	9
extern const char *const conn_close_reasons[CONN_CLOSE_REASONS];

/* Serves an accepted connection on worker w; closes it on failure. */
void	conn_accept(struct worker *w, const struct worker_conn *wc);
/*
 * The same for a client a PROXY header named (in wc->sa); lb, the
 * balancer's own address, is logged beside it.  NULL: a plain connection.
 */
void	conn_accept_proxied(struct worker *w, const struct worker_conn *wc,
	    const struct sockaddr_storage *lb);
/*
 * Reload: conn_save appends c's state and pending bytes to b (c itself is
 * untouched: it serves on if the exec fails), -1 when out of memory;
 * conn_adopt serves a connection handed over in that state (lb: its
 * balancer, for one a PROXY header named).
 */
int	conn_save(struct conn *c, uint32_t listener, struct handoff_buf *b);
void	conn_adopt(struct worker *w, const struct worker_conn *wc,
	    const struct sockaddr_storage *lb, const struct handoff_conn *rec);
/* Shutdown: stop reading, flush the echo, half-close, then close. */
void	conn_drain(struct conn *c);
/* Closes now, logging the reason; frees c. */
void	conn_close(struct conn *c, const char *reason);

#endif

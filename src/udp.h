/*
 * udp.h - datagram echo: batched receive and send, a loop guard against
 * reflector ports, and per-source rate limits.
 */
#ifndef ECHOD_UDP_H
#define ECHOD_UDP_H

#include <sys/queue.h>
#include <stdint.h>

#include <event2/event.h>

#include "addr.h"
#include "srclimit.h"

struct server;

struct udp_stats {
	uint64_t	in;
	uint64_t	out;
	uint64_t	bytes_in;	/* received, dropped or not */
	uint64_t	bytes;		/* echoed */
	uint64_t	drop_loop;	/* reflector source port, or broadcast */
	uint64_t	drop_rate;	/* over the per-source rate */
	uint64_t	drop_size;	/* over --max-datagram, or truncated */
	uint64_t	drop_send;	/* the reply could not be sent */
};

struct udp_listener;
TAILQ_HEAD(udp_list, udp_listener);

/*
 * Binds one resolved address of a udp: --listen and serves it; returns 0,
 * or -1 after logging why.
 */
int	udp_open(struct server *srv, const struct addr_spec *spec,
	    const struct addrinfo *ai);
/*
 * Serves a datagram socket systemd passed (spec NULL), or one a reload
 * handed over (its --listen text in spec, or NULL); returns 0, or -1
 * after logging.
 */
int	udp_adopt(struct server *srv, int fd, const char *fdname,
	    const char *spec);
/*
 * Whether a UDP listener already takes sa (see addr_clashes); if so, its
 * name goes into owner.
 */
int	udp_clashes(const struct server *srv, const struct sockaddr *sa,
	    socklen_t len, int dual, char *owner, size_t ownerlen);
/* The UDP sockets open. */
size_t	udp_count(const struct server *srv);
/* Adds every UDP listener's counters to *sum. */
void	udp_stats_sum(const struct server *srv, struct udp_stats *sum);
typedef void (*udp_foreach_fn)(void *arg, int fd, const char *name,
    const char *fdname, const char *spec);
/*
 * Calls fn for each open UDP socket, in order (fdname: systemd's, or "";
 * spec: the --listen text it was opened from, or "").
 */
void	udp_foreach(const struct server *srv, udp_foreach_fn fn, void *arg);
/* Adds the counters of a previous image (a reload) to this one's. */
void	udp_stats_carry(struct server *srv, const struct udp_stats *s);
typedef int (*udp_named_fn)(const struct server *srv, const char *spec);
/* A reload: closes the sockets echod opened whose spec is not named. */
void	udp_close_unnamed(struct server *srv, udp_named_fn named);
/* Stops serving: closes our sockets (passed ones stay with systemd). */
void	udp_close_all(struct server *srv);
/* Frees what udp_close_all left for the final counters. */
void	udp_free_all(struct server *srv);

#endif

/*
 * target.h - where echo-client connects: an ADDR resolved once into the
 * addresses to try in order, and non-blocking connects to one of them
 * (stream sockets, or a connected UDP socket for udp: addresses).  A
 * check resolves names without blocking, through evdns, so its -t bounds
 * the resolver too.
 */
#ifndef ECHO_TARGET_H
#define ECHO_TARGET_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>

#include "addr.h"

struct event;
struct event_base;
struct evdns_base;
struct evdns_getaddrinfo_request;

struct target {
	struct addrinfo		*res;	/* NULL for unix */
	int			 res_evdns;	/* res is evdns's to free */
	int			 family;	/* AF_UNSPEC, or -4/-6's */
	struct evdns_getaddrinfo_request *req;	/* a lookup in flight */
	int			 resolved;	/* res, or why, is in */
	char			 why[128];	/* why it did not resolve */
	struct addrinfo		 unix_ai;
	struct sockaddr_un	 sun;
	char			 name[ADDR_TEXT_MAX];	/* ADDR as typed */
};

/* Resolves spec; -1 with a reason in why (an UNKNOWN state). */
int	target_resolve(struct target *t, const struct addr_spec *spec,
	    char *why, size_t whylen);
/*
 * Starts resolving spec, keeping the addresses of family (AF_UNSPEC for
 * all); names go to dns, the rest resolve at once.  t->resolved is set
 * when done (perhaps before this returns): t->res, or a reason in t->why.
 * Returns -1 when the lookup cannot start (out of memory).
 */
int	target_resolve_start(struct target *t, struct evdns_base *dns,
	    const struct addr_spec *spec, int family);
/* Abandons a lookup in flight, run from base. */
void	target_resolve_cancel(struct target *t, struct event_base *base);
void	target_free(struct target *t);
/* The first address to try, and the one after ai: NULL when none is left. */
const struct addrinfo *target_first(const struct target *t);
const struct addrinfo *target_next(const struct target *t,
	    const struct addrinfo *ai);
/*
 * Starts a non-blocking connect to ai.  Returns the socket, with *pending
 * set when the connect is in progress (wait for writability, then
 * target_connect_error); -1 with errno set when it failed at once.
 */
int	target_connect(const struct addrinfo *ai, int *pending);
/* The outcome of a pending connect: 0 or an errno value. */
int	target_connect_error(int fd);
/* "connection refused", "host unreachable", ...: what an errno means here. */
const char *target_strerror(int err);
/* ai's address as text, for messages. */
const char *target_format(const struct addrinfo *ai, char *buf, size_t len);
/* Frees a connection's read and write events and closes its socket. */
void	target_close(int *fd, struct event **rev, struct event **wev);

#endif

/*
 * addr.h - the ADDR grammar shared by echod --listen and echo-client:
 *
 *   [tcp:|udp:]HOST:PORT     a name or IPv4 literal; a name means every
 *                            address it resolves to
 *   [tcp:|udp:][V6]:PORT     an IPv6 literal
 *   [tcp:|udp:]*:PORT        listening: every address (one dual-stack
 *                            socket); connecting: this host, over both
 *                            loopbacks ([::1] and 127.0.0.1)
 *   [tcp:|udp:]PORT          the same as *:PORT
 *   unix:PATH                a Unix stream socket; unix:@NAME is abstract
 *   proxy:ADDR               a stream ADDR whose clients start with a PROXY
 *                            protocol header (listeners behind a balancer)
 *
 * PORT is decimal, 0-65535 (0: the kernel picks one; listeners only).
 */
#ifndef ECHOD_ADDR_H
#define ECHOD_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

enum addr_proto {
	ADDR_TCP,
	ADDR_UDP,
};

enum addr_kind {
	ADDR_HOST,	/* a name or an IPv4 literal */
	ADDR_IPV6,	/* a bracketed IPv6 literal */
	ADDR_ANY,	/* "*" or a bare port */
	ADDR_UNIX,
};

#define ADDR_HOST_MAX	255
/* Room for any address printed: "proxy:tcp:[HOST]:65535" is the longest. */
#define ADDR_TEXT_MAX	(ADDR_HOST_MAX + 24)

struct addr_spec {
	enum addr_proto	proto;
	enum addr_kind	kind;
	int		proxy;				/* proxy: */
	char		host[ADDR_HOST_MAX + 1];	/* HOST and IPV6 */
	uint16_t	port;				/* not UNIX */
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/*
 * Parses text into *spec.  On error returns -1 and writes a one-line reason
 * (without the address itself) into why.
 */
int	addr_parse(const char *text, struct addr_spec *spec, char *why,
	    size_t whylen);

/*
 * A spec from a host and a port given apart, as monitoring plugins take
 * them (-H, -p): host is a name, an IPv4 address, or an IPv6 address with
 * or without brackets.  -1 with a reason in why.
 */
int	addr_from_host(const char *host, unsigned port, enum addr_proto proto,
	    struct addr_spec *spec, char *why, size_t whylen);

/*
 * Resolves a parsed spec into socket addresses, for binding (passive) or
 * connecting.  UNIX and ANY never touch the resolver.  Free with
 * freeaddrinfo().  On error returns -1 with a reason in why.
 */
int	addr_resolve(const struct addr_spec *spec, int passive,
	    struct addrinfo **res, char *why, size_t whylen);

/* Fills a sockaddr_un for a UNIX spec; returns its length. */
socklen_t addr_unix_sockaddr(const struct addr_spec *spec,
	    struct sockaddr_un *sun);

/*
 * Whether the socket bound on fd already takes the address sa (len bytes)
 * would bind: the same Unix name; or the same port (not 0) on the same
 * address or a wildcard of its family, or on a dual-stack IPv6 wildcard.
 * dual says that sa, an IPv6 wildcard, would be dual-stack.  For sockets
 * of one type; the caller compares types.
 */
int	addr_clashes(int fd, const struct sockaddr *sa, socklen_t len, int dual);

/* "127.0.0.1:7", "[::1]:7", "unix:/run/echod.sock", "unix:@name". */
const char *addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);
/* The spec as it would be typed, for messages. */
const char *addr_spec_format(const struct addr_spec *spec, char *buf,
	    size_t buflen);

#endif

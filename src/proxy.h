/*
 * proxy.h - the PROXY protocol header a load balancer puts before a
 * client's bytes (HAProxy's proxy-protocol.txt, versions 1 and 2).  A pure
 * parser: it reads the first bytes of a connection, never a socket, so it
 * can be called again on a longer prefix until it decides.
 */
#ifndef ECHOD_PROXY_H
#define ECHOD_PROXY_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

/* v1: "PROXY UNKNOWN <two IPv6 addresses> 65535 65535\r\n", the longest. */
#define PROXY_V1_MAX	107
/* v2: the 16-byte head and its length field; past this, "oversized". */
#define PROXY_V2_MAX	4096
/* The most bytes a caller need ever offer. */
#define PROXY_HEADER_MAX PROXY_V2_MAX

enum proxy_result {
	PROXY_MORE,	/* a valid prefix: offer more bytes */
	PROXY_DONE,	/* a whole header: see struct proxy_header */
	PROXY_BAD,	/* not, or not a valid, PROXY header: see why */
};

/* Why a header was refused; the names are metric labels. */
enum proxy_error {
	PROXY_ERR_MISSING,	/* the bytes do not start with a signature */
	PROXY_ERR_MALFORMED,	/* a signature, then something invalid */
	PROXY_ERR_OVERSIZED,	/* longer than PROXY_V1_MAX / PROXY_V2_MAX */
	PROXY_ERR_TIMEOUT,	/* the caller's deadline passed first */
	PROXY_ERR_TRUNCATED,	/* the caller saw EOF first */
	PROXY_ERR_COUNT
};

struct proxy_header {
	size_t			len;	/* header bytes to consume */
	int			version;	/* 1 or 2 */
	/*
	 * 1: serve with the connection's real endpoints (v2 LOCAL, v1
	 * UNKNOWN, v2 AF_UNSPEC, AF_UNIX or an unspecified transport).
	 */
	int			local;
	struct sockaddr_storage	src;	/* AF_INET or AF_INET6 unless local */
	struct sockaddr_storage	dst;
	socklen_t		srclen;
	socklen_t		dstlen;
};

/*
 * Looks at the first n bytes a client sent.  PROXY_DONE fills *h (the
 * bytes past h->len are the client's own); PROXY_BAD sets *err and *why (a
 * static one-line reason).  Never reads past buf[n - 1].
 */
enum proxy_result proxy_parse(const uint8_t *buf, size_t n,
	    struct proxy_header *h, enum proxy_error *err, const char **why);

/* "missing", "malformed", "oversized", "timeout", "truncated". */
const char *proxy_error_name(enum proxy_error err);

#endif

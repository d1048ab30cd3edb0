/* target.c - resolving ADDR and connecting to it without blocking. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "target.h"

static void
target_unix(struct target *t, const struct addr_spec *spec)
{
	t->unix_ai.ai_family = AF_UNIX;
	t->unix_ai.ai_socktype = SOCK_STREAM;
	t->unix_ai.ai_addrlen = addr_unix_sockaddr(spec, &t->sun);
	t->unix_ai.ai_addr = (struct sockaddr *)&t->sun;
}

int
target_resolve(struct target *t, const struct addr_spec *spec, char *why,
    size_t whylen)
{
	memset(t, 0, sizeof(*t));
	addr_spec_format(spec, t->name, sizeof(t->name));
	t->resolved = 1;
	if (spec->kind != ADDR_UNIX)
		return addr_resolve(spec, 0, &t->res, why, whylen);
	target_unix(t, spec);
	return 0;
}

static const struct addrinfo *
target_skip(const struct target *t, const struct addrinfo *ai)
{
	while (ai != NULL && t->family != AF_UNSPEC &&
	    ai->ai_family != t->family)
		ai = ai->ai_next;
	return ai;
}

const struct addrinfo *
target_first(const struct target *t)
{
	return t->res != NULL ? target_skip(t, t->res) : &t->unix_ai;
}

const struct addrinfo *
target_next(const struct target *t, const struct addrinfo *ai)
{
	return t->res != NULL ? target_skip(t, ai->ai_next) : NULL;
}

static void
target_no_family(struct target *t)
{
	snprintf(t->why, sizeof(t->why), "no IPv%c address",
	    t->family == AF_INET ? '4' : '6');
}

static void
target_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct target *t = arg;

	t->req = NULL;
	t->resolved = 1;
	if (err == EVUTIL_EAI_CANCEL)
		return;
	if (err != 0) {
		snprintf(t->why, sizeof(t->why), "%s", err == EVUTIL_EAI_NONAME ?
		    "no such host" : evutil_gai_strerror(err));
		return;
	}
	t->res = res;
	t->res_evdns = 1;
	if (target_first(t) == NULL)
		target_no_family(t);
}

int
target_resolve_start(struct target *t, struct evdns_base *dns,
    const struct addr_spec *spec, int family)
{
	struct evutil_addrinfo hints;
	struct in_addr in;
	char port[8];

	/* Literals, "*" and unix: need no resolver, and never wait. */
	if (spec->kind != ADDR_HOST || inet_pton(AF_INET, spec->host,
	    &in) == 1) {
		if (target_resolve(t, spec, t->why, sizeof(t->why)) == -1 ||
		    spec->kind == ADDR_UNIX)
			return 0;
		t->family = family;
		if (target_first(t) == NULL)
			target_no_family(t);
		return 0;
	}
	memset(t, 0, sizeof(*t));
	addr_spec_format(spec, t->name, sizeof(t->name));
	t->family = family;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = spec->proto == ADDR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", spec->port);
	/* The callback may run before this returns, leaving req NULL. */
	t->req = evdns_getaddrinfo(dns, spec->host, port, &hints,
	    target_resolved, t);
	if (t->req == NULL && !t->resolved)
		return -1;
	return 0;
}

void
target_resolve_cancel(struct target *t, struct event_base *base)
{
	if (t->req != NULL) {
		evdns_getaddrinfo_cancel(t->req);
		/* The lookup is freed in callbacks the loop has yet to run. */
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	t->req = NULL;
	t->resolved = 1;
}

void
target_free(struct target *t)
{
	if (t->res != NULL && t->res_evdns)
		evutil_freeaddrinfo(t->res);
	else if (t->res != NULL)
		freeaddrinfo(t->res);
	t->res = NULL;
}

int
target_connect(const struct addrinfo *ai, int *pending)
{
	int fd, one = 1, saved;

	*pending = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Each message goes out when written, as a latency probe must. */
	if (ai->ai_family != AF_UNIX && ai->ai_socktype == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*pending = 1;
		return fd;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
target_connect_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

const char *
target_strerror(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
	case EPIPE:
		return "connection reset";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ETIMEDOUT:
		return "connect timed out";
	case ENOENT:
		return "no such socket";
	case EMFILE:
	case ENFILE:
		return "out of file descriptors";
	case EADDRNOTAVAIL:
		return "out of local ports or address not available";
	default:
		return strerror(err);
	}
}

const char *
target_format(const struct addrinfo *ai, char *buf, size_t len)
{
	return addr_format(ai->ai_addr, ai->ai_addrlen, buf, len);
}

void
target_close(int *fd, struct event **rev, struct event **wev)
{
	if (*rev != NULL)
		event_free(*rev);
	if (*wev != NULL)
		event_free(*wev);
	*rev = *wev = NULL;
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

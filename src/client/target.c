/* target.c - resolving ADDR and connecting to it without blocking. */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "target.h"

int
target_resolve(struct target *t, const struct addr_spec *spec, char *why,
    size_t whylen)
{
	memset(t, 0, sizeof(*t));
	addr_spec_format(spec, t->name, sizeof(t->name));
	if (spec->kind != ADDR_UNIX)
		return addr_resolve(spec, 0, &t->res, why, whylen);
	t->unix_ai.ai_family = AF_UNIX;
	t->unix_ai.ai_socktype = SOCK_STREAM;
	t->unix_ai.ai_addrlen = addr_unix_sockaddr(spec, &t->sun);
	t->unix_ai.ai_addr = (struct sockaddr *)&t->sun;
	return 0;
}

void
target_free(struct target *t)
{
	if (t->res != NULL)
		freeaddrinfo(t->res);
	t->res = NULL;
}

const struct addrinfo *
target_first(const struct target *t)
{
	return t->res != NULL ? t->res : &t->unix_ai;
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

/*
 * check.c - the health check: connect, send each part as its own write,
 * half-close, read to EOF, and compare what came back with what was sent.
 * Over udp: each part is a datagram, and each must come back whole.
 */
#include "config.h"

#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "log.h"

#define CHECK_PREVIEW	40		/* bytes of data shown by -v */

struct check {
	struct event_base	*base;
	const struct target	*target;
	const struct addrinfo	*ai;
	const struct payload	*pl;
	uint64_t		 timeout_ms;
	int			 fd;
	struct event		*rev, *wev, *timer;
	int			 dgram;		/* udp: */
	int			 connected, half_closed, done;
	int			 corrupt;	/* the echo differed */
	size_t			 part, part_off, tx, rx;
	size_t			 rx_part;	/* udp: datagrams back */
	uint64_t		 t0, elapsed_us;
	char			 peer[ADDR_TEXT_MAX];
	char			 tried[512];	/* addresses refused so far */
	char			*reason;	/* set on failure */
	size_t			 reasonlen;
};

static void check_try(struct check *);
static void check_refused(struct check *, int);
static void check_datagram(struct check *, const unsigned char *, size_t);

/* Printable text for -v: the first CHECK_PREVIEW bytes, escaped. */
static const char *
check_preview(const unsigned char *p, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < len && i < CHECK_PREVIEW && o + 6 < buflen; i++) {
		if (p[i] == '"' || p[i] == '\\')
			o += (size_t)snprintf(buf + o, buflen - o, "\\%c",
			    p[i]);
		else if (isprint(p[i]))
			buf[o++] = (char)p[i];
		else
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x",
			    p[i]);
	}
	snprintf(buf + o, buflen - o, "\"%s", i < len ? "..." : "");
	return buf;
}

/* The index of the first byte where a and b differ, or n. */
static size_t
check_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	if (memcmp(a, b, n) == 0)
		return n;
	for (i = 0; a[i] == b[i]; i++)
		;
	return i;
}

static void
check_fail(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, c->reasonlen, fmt, ap);
	va_end(ap);
	c->done = 1;
	event_base_loopbreak(c->base);
}

static void
check_close(struct check *c)
{
	target_close(&c->fd, &c->rev, &c->wev);
}

static void
check_eof(struct check *c)
{
	char t[32];

	if (c->rx < c->pl->len) {
		c->corrupt = 1;
		check_fail(c, "%s closed the connection after echoing %zu of "
		    "%zu bytes", c->peer, c->rx, c->pl->len);
		return;
	}
	c->elapsed_us = clock_monotonic_us() - c->t0;
	log_info("server closed its side: all %zu bytes echoed in %s",
	    c->rx, format_duration_us(c->elapsed_us, t, sizeof(t)));
	c->done = 1;
	event_base_loopbreak(c->base);
}

static void
check_readable(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	unsigned char buf[65536];
	char pv[CHECK_PREVIEW * 4 + 8];
	size_t want, cmp, d;
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), c->dgram ? MSG_TRUNC : 0);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		check_fail(c, "%s: %s after echoing %zu of %zu bytes", c->peer,
		    target_strerror(errno), c->rx, c->pl->len);
		return;
	}
	if (c->dgram) {
		check_datagram(c, buf, (size_t)n);
		return;
	}
	if (n == 0) {
		check_eof(c);
		return;
	}
	log_info("received %zd bytes: %s", n,
	    check_preview(buf, (size_t)n, pv, sizeof(pv)));
	want = c->pl->len - c->rx;
	cmp = (size_t)n < want ? (size_t)n : want;
	if ((d = check_diff(c->pl->all + c->rx, buf, cmp)) < cmp) {
		c->corrupt = 1;
		check_fail(c, "echo differs at byte %zu of %zu: sent 0x%02x, "
		    "got 0x%02x", c->rx + d, c->pl->len, c->pl->all[c->rx + d],
		    buf[d]);
		return;
	}
	if ((size_t)n > want) {
		c->corrupt = 1;
		check_fail(c, "%s sent %zu bytes more than the %zu it was sent",
		    c->peer, (size_t)n - want, c->pl->len);
		return;
	}
	c->rx += (size_t)n;
}

/* One datagram back: it must be the next part sent, whole. */
static void
check_datagram(struct check *c, const unsigned char *buf, size_t n)
{
	const struct iovec *iov = &c->pl->parts[c->rx_part];
	char pv[CHECK_PREVIEW * 4 + 8], t[32];
	size_t d;

	log_info("received datagram %zu of %zu: %zu bytes: %s", c->rx_part + 1,
	    c->pl->nparts, n, check_preview(buf, n, pv, sizeof(pv)));
	if (n != iov->iov_len) {
		c->corrupt = 1;
		check_fail(c, "datagram %zu of %zu came back with %zu bytes, "
		    "not %zu", c->rx_part + 1, c->pl->nparts, n, iov->iov_len);
		return;
	}
	if ((d = check_diff(iov->iov_base, buf, n)) < n) {
		c->corrupt = 1;
		check_fail(c, "datagram %zu of %zu differs at byte %zu: sent "
		    "0x%02x, got 0x%02x", c->rx_part + 1, c->pl->nparts, d,
		    ((unsigned char *)iov->iov_base)[d], buf[d]);
		return;
	}
	c->rx += n;
	if (++c->rx_part < c->pl->nparts)
		return;
	c->elapsed_us = clock_monotonic_us() - c->t0;
	log_info("all %zu datagrams echoed in %s", c->rx_part,
	    format_duration_us(c->elapsed_us, t, sizeof(t)));
	c->done = 1;
	event_base_loopbreak(c->base);
}

/* Sends the rest of one part: 1 when it is out, 0 to wait, -1 on failure. */
static int
check_write(struct check *c, const struct iovec *iov)
{
	ssize_t n;

	/* At least one send(2): an empty datagram is still a datagram. */
	for (;;) {
		n = send(c->fd, (char *)iov->iov_base + c->part_off,
		    iov->iov_len - c->part_off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_add(c->wev, NULL);
			return 0;
		}
		if (n == -1) {
			check_fail(c, "%s: %s after sending %zu of %zu bytes",
			    c->peer, target_strerror(errno), c->tx, c->pl->len);
			return -1;
		}
		c->part_off += (size_t)n;
		c->tx += (size_t)n;
		if (c->part_off >= iov->iov_len)
			return 1;
	}
}

/* Writes the parts in order, each with its own send(2); then half-closes. */
static void
check_send(struct check *c)
{
	char pv[CHECK_PREVIEW * 4 + 8];
	const struct iovec *iov;
	int err;

	for (; c->part < c->pl->nparts; c->part++, c->part_off = 0) {
		iov = &c->pl->parts[c->part];
		if (c->part_off == 0)
			log_info("sending %s %zu of %zu: %zu bytes: %s",
			    c->dgram ? "datagram" : "part", c->part + 1,
			    c->pl->nparts, iov->iov_len,
			    check_preview(iov->iov_base, iov->iov_len, pv,
			    sizeof(pv)));
		if (check_write(c, iov) != 1)
			return;
	}
	event_del(c->wev);
	c->half_closed = 1;
	if (c->dgram) {
		log_info("sent %zu datagrams; waiting for the response",
		    c->pl->nparts);
		return;
	}
	log_info("sent %zu bytes; closing the sending side, waiting for the "
	    "response", c->tx);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		err = errno;
		/* A reset after the last write leaves nothing to shut down. */
		if (err == ENOTCONN)
			err = ECONNRESET;
		check_fail(c, "%s: %s after sending %zu of %zu bytes, at the "
		    "half-close", c->peer, target_strerror(err), c->tx,
		    c->pl->len);
	}
}

static void
check_writable(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	char t[32];
	int err;

	(void)what;
	if (c->connected) {
		check_send(c);
		return;
	}
	if ((err = target_connect_error(fd)) != 0) {
		check_refused(c, err);
		check_close(c);
		c->ai = target_next(c->target, c->ai);
		check_try(c);
		return;
	}
	c->connected = 1;
	log_info("connected to %s in %s", c->peer, format_duration_us(
	    clock_monotonic_us() - c->t0, t, sizeof(t)));
	event_add(c->rev, NULL);
	check_send(c);
}

/* Notes an address that would not have us, for the message if none will. */
static void
check_refused(struct check *c, int err)
{
	size_t n = strlen(c->tried);

	log_info("%s: %s", c->peer, target_strerror(err));
	snprintf(c->tried + n, sizeof(c->tried) - n, "%s%s: %s",
	    n > 0 ? ", " : "", c->peer, target_strerror(err));
}

/* Connects to the current address, or the next one that will have us. */
static void
check_try(struct check *c)
{
	int pending;

	for (; c->ai != NULL; c->ai = target_next(c->target, c->ai)) {
		target_format(c->ai, c->peer, sizeof(c->peer));
		log_info("connecting to %s", c->peer);
		c->fd = target_connect(c->ai, &pending);
		if (c->fd == -1) {
			check_refused(c, errno);
			continue;
		}
		c->dgram = c->ai->ai_socktype == SOCK_DGRAM;
		c->rev = event_new(c->base, c->fd, EV_READ | EV_PERSIST,
		    check_readable, c);
		c->wev = event_new(c->base, c->fd, EV_WRITE | EV_PERSIST,
		    check_writable, c);
		if (c->rev == NULL || c->wev == NULL) {
			check_fail(c, "out of memory");
			return;
		}
		if (pending)
			event_add(c->wev, NULL);
		else
			check_writable(c->fd, EV_WRITE, c);
		return;
	}
	check_fail(c, "%s", c->tried);
}

static void
check_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	char t[32];

	(void)fd;
	(void)what;
	format_duration_us(c->timeout_ms * 1000, t, sizeof(t));
	if (!c->connected)
		check_fail(c, "timeout after %s connecting to %s", t,
		    c->ai != NULL ? c->peer : c->target->name);
	else if (!c->half_closed)
		check_fail(c, "timeout after %s sending to %s (%zu of %zu "
		    "bytes sent)", t, c->peer, c->tx, c->pl->len);
	else if (c->dgram)
		check_fail(c, "timeout after %s waiting for %s to echo (%zu of "
		    "%zu datagrams back)", t, c->peer, c->rx_part,
		    c->pl->nparts);
	else
		check_fail(c, "timeout after %s waiting for %s to echo (%zu of "
		    "%zu bytes back, no EOF)", t, c->peer, c->rx, c->pl->len);
}

int
check_once(struct event_base *base, const struct client_conf *conf,
    const struct target *target, const struct payload *pl,
    uint64_t deadline_us, uint64_t *elapsed_us, char *reason,
    size_t reasonlen)
{
	struct check c;
	struct timeval tv;
	uint64_t now = clock_monotonic_us(), left;

	memset(&c, 0, sizeof(c));
	c.base = base;
	c.target = target;
	c.ai = target_first(target);
	c.pl = pl;
	c.timeout_ms = conf->timeout_ms;
	c.fd = -1;
	c.reason = reason;
	c.reasonlen = reasonlen;
	reason[0] = '\0';
	left = deadline_us > now ? deadline_us - now : 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	if ((c.timer = evtimer_new(base, check_timeout, &c)) == NULL) {
		snprintf(reason, reasonlen, "out of memory");
		return -1;
	}
	evtimer_add(c.timer, &tv);
	c.t0 = clock_monotonic_us();
	check_try(&c);
	while (!c.done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	if (c.fd != -1)
		log_info("closing the connection");
	check_close(&c);
	event_free(c.timer);
	*elapsed_us = c.elapsed_us;
	if (reason[0] == '\0')
		return 0;
	return c.corrupt ? -2 : -1;
}

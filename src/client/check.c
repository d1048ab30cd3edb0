/*
 * check.c - the health check: connect, send each part as its own write,
 * half-close, read to EOF, and compare what came back with what was sent.
 * Over udp: each part is a datagram, and each must come back whole.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "client.h"
#include "log.h"
#include "pattern.h"

#define CHECK_STDIN_MAX	(64U << 20)	/* what stdin may hold */
#define CHECK_PREVIEW	40		/* bytes of data shown by -v */
#define CHECK_DGRAM_MAX	65507U		/* the most a UDP datagram holds */

struct payload {
	struct iovec	*parts;		/* each sent as its own write */
	size_t		 nparts;
	unsigned char	*all;		/* the parts back to back */
	size_t		 len;
};

struct check {
	struct event_base	*base;
	const struct target	*target;
	const struct addrinfo	*ai;
	const struct payload	*pl;
	uint64_t		 timeout_ms;
	int			 fd;
	struct event		*rev, *wev, *timer;
	int			 last_err;
	int			 dgram;		/* udp: */
	int			 connected, half_closed, done;
	size_t			 part, part_off, tx, rx;
	size_t			 rx_part;	/* udp: datagrams back */
	uint64_t		 t0, elapsed_us;
	char			 peer[ADDR_TEXT_MAX];
	char			*reason;	/* set on failure */
	size_t			 reasonlen;
};

static void check_try(struct check *);
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
		check_fail(c, "echo differs at byte %zu of %zu: sent 0x%02x, "
		    "got 0x%02x", c->rx + d, c->pl->len, c->pl->all[c->rx + d],
		    buf[d]);
		return;
	}
	if ((size_t)n > want) {
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
		check_fail(c, "datagram %zu of %zu came back with %zu bytes, "
		    "not %zu", c->rx_part + 1, c->pl->nparts, n, iov->iov_len);
		return;
	}
	if ((d = check_diff(iov->iov_base, buf, n)) < n) {
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
		check_fail(c, "%s: %s while half-closing", c->peer,
		    target_strerror(errno));
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
		log_info("%s: %s", c->peer, target_strerror(err));
		c->last_err = err;
		check_close(c);
		c->ai = c->ai->ai_next;
		check_try(c);
		return;
	}
	c->connected = 1;
	log_info("connected to %s in %s", c->peer, format_duration_us(
	    clock_monotonic_us() - c->t0, t, sizeof(t)));
	event_add(c->rev, NULL);
	check_send(c);
}

/* Connects to the current address, or the next one that will have us. */
static void
check_try(struct check *c)
{
	int pending;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		target_format(c->ai, c->peer, sizeof(c->peer));
		log_info("connecting to %s", c->peer);
		c->fd = target_connect(c->ai, &pending);
		if (c->fd == -1) {
			c->last_err = errno;
			log_info("%s: %s", c->peer, target_strerror(errno));
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
	check_fail(c, "%s: %s", c->target->name, target_strerror(c->last_err));
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

/* One check, ending by deadline_us; 0 and the time taken, or -1. */
static int
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
	return reason[0] == '\0' ? 0 : -1;
}

/* A payload of one part that owns buf. */
static void
payload_single(struct payload *pl, unsigned char *buf, size_t len)
{
	pl->all = buf;
	pl->len = len;
	pl->parts[0].iov_base = buf;
	pl->parts[0].iov_len = len;
	pl->nparts = 1;
}

static int
payload_stdin(struct payload *pl, char *why, size_t whylen)
{
	unsigned char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = malloc(CHECK_STDIN_MAX + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while ((n = read(STDIN_FILENO, buf + len, CHECK_STDIN_MAX + 1 - len))
	    != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, whylen, "reading stdin: %s",
			    strerror(errno));
			goto fail;
		}
		len += (size_t)n;
		if (len > CHECK_STDIN_MAX) {
			snprintf(why, whylen, "stdin holds more than %u MiB",
			    CHECK_STDIN_MAX >> 20);
			goto fail;
		}
	}
	payload_single(pl, buf, len);
	return 0;
fail:
	free(buf);
	return -1;
}

/* The MESSAGE operands, each a part, back to back in all. */
static int
payload_messages(struct payload *pl, char **messages, int n)
{
	size_t i, len = 0;

	for (i = 0; i < (size_t)n; i++)
		len += strlen(messages[i]);
	if ((pl->all = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		pl->parts[i].iov_base = pl->all + pl->len;
		pl->parts[i].iov_len = strlen(messages[i]);
		memcpy(pl->all + pl->len, messages[i], pl->parts[i].iov_len);
		pl->len += pl->parts[i].iov_len;
	}
	pl->nparts = (size_t)n;
	return 0;
}

/* MESSAGE operands, else --size bytes of pattern, else stdin. */
static int
payload_build(const struct client_conf *conf, char **messages, int n,
    struct payload *pl, char *why, size_t whylen)
{
	unsigned char *buf;
	uint64_t size = conf->size;
	size_t i;

	memset(pl, 0, sizeof(*pl));
	if ((pl->parts = calloc(n > 0 ? (size_t)n : 1,
	    sizeof(*pl->parts))) == NULL)
		goto nomem;
	if (n > 0 && payload_messages(pl, messages, n) == -1)
		goto nomem;
	if (n > 0)
		return 0;
	if (size == CLIENT_UNSET && !isatty(STDIN_FILENO))
		return payload_stdin(pl, why, whylen);
	if (size == CLIENT_UNSET)
		size = CLIENT_SIZE_DEFAULT;
	if ((buf = malloc(size)) == NULL)
		goto nomem;
	for (i = 0; i < size; i++)
		buf[i] = pattern_byte(i);
	payload_single(pl, buf, size);
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

static void
payload_free(struct payload *pl)
{
	free(pl->parts);
	free(pl->all);
}

static int
payload_too_big(const struct payload *pl)
{
	size_t i;

	for (i = 0; i < pl->nparts; i++)
		if (pl->parts[i].iov_len > CHECK_DGRAM_MAX)
			return 1;
	return 0;
}

/* Applies -w and -c to the mean time of the checks that passed. */
static void
check_thresholds(const struct client_conf *conf, struct check_summary *sum)
{
	uint64_t mean_us = sum->sum_us / sum->checks;

	if (conf->critical_ms != CLIENT_UNSET &&
	    mean_us > conf->critical_ms * 1000)
		sum->state = STATE_CRITICAL;
	else if (conf->warning_ms != CLIENT_UNSET &&
	    mean_us > conf->warning_ms * 1000)
		sum->state = STATE_WARNING;
	else
		sum->state = STATE_OK;
}

int
check_run(const struct client_conf *conf, const struct target *target,
    char **messages, int nmessages, struct check_summary *sum, char *why,
    size_t whylen)
{
	struct event_base *base = NULL;
	struct payload pl;
	struct timespec ts;
	uint64_t i, count, deadline, us;
	char reason[sizeof(sum->reason) - 32];

	memset(sum, 0, sizeof(*sum));
	why[0] = '\0';
	if (payload_build(conf, messages, nmessages, &pl, why, whylen) == -1) {
		payload_free(&pl);
		return -1;
	}
	if (target_first(target)->ai_socktype == SOCK_DGRAM &&
	    payload_too_big(&pl)) {
		snprintf(why, whylen, "a UDP datagram holds at most %u bytes",
		    CHECK_DGRAM_MAX);
		payload_free(&pl);
		return -1;
	}
	if ((base = event_base_new()) == NULL) {
		snprintf(why, whylen, "cannot create an event loop");
		payload_free(&pl);
		return -1;
	}
	count = conf->count == CLIENT_UNSET ? 1 : conf->count;
	sum->bytes = pl.len;
	sum->state = STATE_CRITICAL;
	deadline = clock_monotonic_us() + conf->timeout_ms * 1000;
	for (i = 0; i < count; i++) {
		if (i > 0) {
			ts.tv_sec = (time_t)(conf->interval_ms / 1000);
			ts.tv_nsec = (long)(conf->interval_ms % 1000) * 1000000;
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		if (check_once(base, conf, target, &pl, deadline, &us, reason,
		    sizeof(reason)) == -1) {
			if (count > 1)
				snprintf(sum->reason, sizeof(sum->reason),
				    "check %llu of %llu: %s",
				    (unsigned long long)i + 1,
				    (unsigned long long)count, reason);
			else
				snprintf(sum->reason, sizeof(sum->reason), "%s",
				    reason);
			goto out;
		}
		if (sum->checks == 0 || us < sum->min_us)
			sum->min_us = us;
		if (us > sum->max_us)
			sum->max_us = us;
		sum->sum_us += us;
		sum->checks++;
	}
	check_thresholds(conf, sum);
out:
	event_base_free(base);
	payload_free(&pl);
	return 0;
}

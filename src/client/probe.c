/*
 * probe.c - the UDP probe, ping over the echo service: a datagram each
 * --interval, carrying its sequence number and a tag for this run, then
 * the known pattern.  Echoes are matched by sequence number, so loss,
 * duplicates and reordering are told apart; any other datagram, or one
 * whose bytes differ, makes the probe CRITICAL.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "log.h"
#include "pattern.h"

struct probe {
	struct event_base		*base;
	const struct client_conf	*conf;
	struct check_summary		*sum;
	int				 fd;
	struct event			*rev, *tick;
	uint64_t			 count, sent, size, highest;
	uint32_t			 tag;
	uint64_t			*sent_us;	/* per sequence number */
	unsigned char			*echoed;	/* per sequence number */
	unsigned char			*buf;
	int				 err;		/* last ICMP error */
	int				 done;
	char				 peer[ADDR_TEXT_MAX];
};

static void
probe_put32(unsigned char *p, uint64_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
probe_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
probe_corrupt(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
probe_corrupt(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->sum->reason, sizeof(p->sum->reason), fmt, ap);
	va_end(ap);
	p->sum->corrupt = 1;
	p->done = 1;
}

static void
probe_send(struct probe *p)
{
	uint64_t seq = p->sent, i;

	probe_put32(p->buf, seq);
	probe_put32(p->buf + 4, p->tag);
	for (i = PROBE_HEADER; i < p->size; i++)
		p->buf[i] = pattern_byte(seq + i);
	p->sent_us[seq] = clock_monotonic_us();
	p->sent++;
	log_debug("sending datagram %llu", (unsigned long long)seq + 1);
	if (send(p->fd, p->buf, p->size, MSG_NOSIGNAL) == -1) {
		p->err = errno;
		log_info("datagram %llu: %s", (unsigned long long)seq + 1,
		    target_strerror(errno));
	}
}

static void
probe_tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	probe_send(p);
	if (p->sent < p->count) {
		tv.tv_sec = (time_t)(p->conf->interval_ms / 1000);
		tv.tv_usec = (suseconds_t)(p->conf->interval_ms % 1000) * 1000;
		evtimer_add(p->tick, &tv);
	}
}

/* One datagram back: which one, and is it whole and unchanged? */
static void
probe_echo(struct probe *p, const unsigned char *d, size_t n)
{
	uint64_t seq, us;
	size_t at;

	if (n < PROBE_HEADER || probe_get32(d + 4) != p->tag ||
	    (seq = probe_get32(d)) >= p->sent) {
		probe_corrupt(p, "%s echoed a datagram of %zu bytes that was "
		    "not sent", p->peer, n);
		return;
	}
	if (n != p->size) {
		probe_corrupt(p, "datagram %llu came back with %zu bytes, not "
		    "%llu", (unsigned long long)seq + 1, n,
		    (unsigned long long)p->size);
		return;
	}
	if ((at = pattern_diff(seq + PROBE_HEADER, d + PROBE_HEADER,
	    n - PROBE_HEADER)) < n - PROBE_HEADER) {
		probe_corrupt(p, "datagram %llu differs at byte %zu",
		    (unsigned long long)seq + 1, at + PROBE_HEADER);
		return;
	}
	us = clock_monotonic_us() - p->sent_us[seq];
	if (p->echoed[seq]) {
		p->sum->duplicates++;
		return;
	}
	p->echoed[seq] = 1;
	verdict_add(p->sum, us);
	log_info("datagram %llu echoed in %llu us", (unsigned long long)seq + 1,
	    (unsigned long long)us);
	if (seq + 1 < p->highest)
		p->sum->reordered++;
	else
		p->highest = seq + 1;
	if (p->sum->checks == p->count)
		p->done = 1;
}

static void
probe_readable(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	unsigned char buf[65536];
	ssize_t n;

	(void)what;
	/* Past the last echo too: a duplicate already queued is counted. */
	while (!p->sum->corrupt) {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1) {
			/* ICMP for one datagram: that one is lost, go on. */
			p->err = errno;
			log_info("%s: %s", p->peer, target_strerror(errno));
			continue;
		}
		probe_echo(p, buf, (size_t)n);
	}
}

/* A connected UDP socket to the first address that takes one. */
static int
probe_connect(struct probe *p, const struct target *target)
{
	const struct addrinfo *ai;
	int pending;

	for (ai = target_first(target); ai != NULL;
	    ai = target_next(target, ai)) {
		target_format(ai, p->peer, sizeof(p->peer));
		if ((p->fd = target_connect(ai, &pending)) != -1)
			return 0;
		p->err = errno;
	}
	snprintf(p->sum->reason, sizeof(p->sum->reason), "%s: %s",
	    target->name, target_strerror(p->err));
	return -1;
}

/* Why datagrams went missing, for the status line. */
static void
probe_why_lost(struct probe *p)
{
	char t[32];

	if (p->sum->reason[0] != '\0' || p->sum->checks == p->count)
		return;
	if (p->err != 0)
		snprintf(p->sum->reason, sizeof(p->sum->reason), "%s: %s",
		    p->peer, target_strerror(p->err));
	else
		snprintf(p->sum->reason, sizeof(p->sum->reason), "timeout "
		    "after %s waiting for %s to echo (%llu of %llu datagrams "
		    "back)", format_duration_us(p->conf->timeout_ms * 1000, t,
		    sizeof(t)), p->peer, (unsigned long long)p->sum->checks,
		    (unsigned long long)p->count);
}

void
probe_run(struct event_base *base, const struct client_conf *conf,
    const struct target *target, uint64_t deadline_us,
    struct check_summary *sum)
{
	struct probe p;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.conf = conf;
	p.sum = sum;
	p.fd = -1;
	p.count = sum->count;
	p.size = conf->size == CLIENT_UNSET ? CLIENT_SIZE_DEFAULT : conf->size;
	p.tag = (uint32_t)(clock_monotonic_us() ^ ((uint64_t)getpid() << 16));
	sum->bytes = p.size;
	p.sent_us = calloc(p.count, sizeof(*p.sent_us));
	p.echoed = calloc(p.count, 1);
	p.buf = malloc(p.size);
	if (p.sent_us == NULL || p.echoed == NULL || p.buf == NULL) {
		snprintf(sum->reason, sizeof(sum->reason), "out of memory");
		goto out;
	}
	if (probe_connect(&p, target) == -1)
		goto out;
	log_info("probing %s with %llu datagrams of %llu bytes", p.peer,
	    (unsigned long long)p.count, (unsigned long long)p.size);
	p.rev = event_new(base, p.fd, EV_READ | EV_PERSIST, probe_readable,
	    &p);
	p.tick = evtimer_new(base, probe_tick, &p);
	if (p.rev == NULL || p.tick == NULL) {
		snprintf(sum->reason, sizeof(sum->reason), "out of memory");
		goto out;
	}
	event_add(p.rev, NULL);
	probe_tick(-1, EV_TIMEOUT, &p);
	check_wait(base, &p.done, deadline_us);
	probe_why_lost(&p);
out:
	target_close(&p.fd, &p.rev, &p.tick);
	free(p.sent_us);
	free(p.echoed);
	free(p.buf);
}

/*
 * benchudp.c - the load test over udp: --connections connected datagram
 * sockets, each datagram a sequence number followed by pattern bytes.
 *
 * Closed loop: each socket keeps --window datagrams in flight, counted
 * from its oldest unanswered one.  Open loop (--rate): each datagram is
 * due at its turn in a fixed schedule and its latency counts from then.
 * A datagram not back within UB_LOSS_US (or --timeout, if shorter) of its
 * turn and of its sending is lost; one that comes back after that is late.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench.h"
#include "log.h"
#include "pattern.h"

#define UB_BATCH	32		/* datagrams per sendmmsg, recvmmsg */
#define UB_SEQ		BENCH_UDP_SEQ	/* bytes of sequence number in front */
#define UB_TRACK	4096		/* sequence numbers tracked a socket */
#define UB_LOSS_US	1000000		/* unanswered this long: lost */
#define UB_SWEEP_US	10000		/* how often losses are looked for */
#define UB_TICK_MIN_US	50		/* open loop: shortest sleep */
#define UB_OFFSET_STEP	7919		/* sockets apart in the pattern */
#define UB_SENDS	16		/* send batches remembered a socket */

enum ub_phase { UB_LOAD, UB_DRAIN, UB_DONE };

struct ubench;

struct usock {
	struct ubench	*b;
	size_t		 id;
	int		 fd;
	struct event	*rev, *wev, *timer;
	uint64_t	 slot;
	uint64_t	 issued;	/* sequence numbers released */
	uint64_t	 sent;		/* handed to the kernel */
	uint64_t	 base;		/* oldest not yet echoed or lost */
	uint64_t	*release;	/* closed loop: release times */
	uint32_t	 dropped;	/* by its receive buffer */
	struct {
		uint64_t seq, us;	/* a batch's first, its time */
	}		 sends[UB_SENDS];
	unsigned	 nsends;
	uint8_t		 echoed[UB_TRACK / 8];	/* of the last UB_TRACK */
};

struct ubench {
	const struct client_conf *conf;
	struct bench_result	*res;
	struct bench_loop	 loop;
	struct usock		*socks;
	uint64_t		*releases;
	size_t			 n, open;
	enum ub_phase		 phase;
	uint64_t		 size, window, loss_us;
	uint64_t		 outstanding;	/* released, not resolved */
	uint64_t		 t0, stopped, last_echo;
	size_t			 nslots;	/* open loop: turns per round */
	struct event		*sweep;
	uint64_t		 hdr[UB_BATCH];
	struct iovec		 iov[UB_BATCH][2];
	struct mmsghdr		 out[UB_BATCH];
	struct iovec		 rio[UB_BATCH];
	struct mmsghdr		 in[UB_BATCH];
	union {
		struct cmsghdr	 align;
		unsigned char	 buf[CMSG_SPACE(sizeof(uint32_t))];
	}			 rcm[UB_BATCH];
	unsigned char		*rbuf;	/* UB_BATCH buffers of size + 1 */
};

static struct log_ratelimit ub_rl = LOG_RATELIMIT_INIT(1000, 5);

static void usock_pump(struct usock *, uint64_t now);

static int
ub_bit(const struct usock *s, uint64_t seq)
{
	return s->echoed[(seq % UB_TRACK) / 8] >> (seq % 8) & 1;
}

static void
ub_set(struct usock *s, uint64_t seq, int on)
{
	uint8_t *byte = &s->echoed[(seq % UB_TRACK) / 8];

	*byte = (uint8_t)(on ? *byte | 1U << (seq % 8) :
	    *byte & ~(1U << (seq % 8)));
}

static void
ub_finish(struct ubench *b)
{
	uint64_t end = b->last_echo > b->stopped ? b->last_echo : b->stopped;

	if (b->phase == UB_DONE)
		return;
	/* The wait for datagrams that never come back is not load. */
	b->res->elapsed_us = (end > 0 ? end : clock_monotonic_us()) - b->t0;
	b->phase = UB_DONE;
	event_base_loopbreak(b->loop.base);
}

static void
ub_stop(struct ubench *b)
{
	struct timeval tv = bench_tv(b->conf->timeout_ms * 1000);

	if (b->phase != UB_LOAD)
		return;
	b->phase = UB_DRAIN;
	b->stopped = clock_monotonic_us();
	if (b->outstanding == 0) {
		ub_finish(b);
		return;
	}
	evtimer_add(b->loop.phase_timer, &tv);
}

/* When datagram seq of s was due: its latency and its loss count from then. */
static uint64_t
usock_due(const struct usock *s, uint64_t seq)
{
	const struct ubench *b = s->b;

	if (b->conf->rate == 0)
		return s->release[seq % b->window];
	return bench_turn_due(b->t0, b->conf->rate, s->slot, b->nslots, seq);
}

/*
 * When datagram seq of s went out: that of the latest batch that began at
 * or before it, or (if it is older than all remembered) the oldest, which
 * is later than the truth and so never declares a loss too early.
 */
static uint64_t
usock_sent_at(const struct usock *s, uint64_t seq)
{
	unsigned k, n = s->nsends < UB_SENDS ? s->nsends : UB_SENDS;
	unsigned at = (s->nsends - 1) % UB_SENDS;

	for (k = 0; k + 1 < n && s->sends[at].seq > seq; k++)
		at = (at + UB_SENDS - 1) % UB_SENDS;
	return s->sends[at].us;
}

/* The oldest tracked datagram is over: echoed, or (if not) lost. */
static void
usock_resolve_base(struct usock *s)
{
	if (!ub_bit(s, s->base))
		s->b->res->lost++;
	s->base++;
	s->b->outstanding--;
}

/* Closes s after an error; what it had in flight is lost. */
static void
usock_fail(struct usock *s, int err)
{
	struct ubench *b = s->b;

	log_limited(&ub_rl, LOG_WARNING, NULL, "socket %zu to %s: %s",
	    s->id + 1, b->conf->addr_text, target_strerror(err));
	b->res->errors[bench_classify(err)]++;
	b->res->failed++;
	while (s->base < s->sent)
		usock_resolve_base(s);
	b->outstanding -= s->issued - s->base;
	s->base = s->issued = s->sent;
	if (s->timer != NULL)
		evtimer_del(s->timer);
	target_close(&s->fd, &s->rev, &s->wev);
	if (--b->open == 0 || (b->phase == UB_DRAIN && b->outstanding == 0))
		ub_finish(b);
}

static void
usock_release(struct usock *s, uint64_t now)
{
	struct ubench *b = s->b;

	/* Tracking is full: the oldest is given up on, or never sent. */
	if (s->issued - s->base == UB_TRACK && s->base < s->sent) {
		usock_resolve_base(s);
	} else if (s->issued - s->base == UB_TRACK) {
		s->base++;
		s->sent++;
		b->outstanding--;
	}
	if (b->conf->rate == 0)
		s->release[s->issued % b->window] = now;
	ub_set(s, s->issued, 0);
	s->issued++;
	b->outstanding++;
	if (++b->res->due == b->conf->count)
		ub_stop(b);
}

/* Points the batch's i-th message at datagram seq of s. */
static void
usock_frame(struct usock *s, unsigned i, uint64_t seq)
{
	struct ubench *b = s->b;
	const unsigned char *p;
	uint64_t off = (uint64_t)s->id * UB_OFFSET_STEP + seq * b->size;
	unsigned k;

	for (k = 0; k < UB_SEQ; k++)
		((unsigned char *)&b->hdr[i])[k] = (unsigned char)(seq >>
		    (8 * k));
	b->iov[i][0].iov_base = &b->hdr[i];
	b->iov[i][0].iov_len = UB_SEQ;
	b->iov[i][1].iov_len = pattern_span(off, b->size - UB_SEQ, &p);
	b->iov[i][1].iov_base = (void *)(uintptr_t)p;
	memset(&b->out[i], 0, sizeof(b->out[i]));
	b->out[i].msg_hdr.msg_iov = b->iov[i];
	b->out[i].msg_hdr.msg_iovlen = 2;
}

/* Sends what has been released and not sent; -1 if s failed. */
static int
usock_send(struct usock *s)
{
	struct ubench *b = s->b;
	unsigned i, n;
	int rc;

	while (s->sent < s->issued) {
		n = s->issued - s->sent < UB_BATCH ?
		    (unsigned)(s->issued - s->sent) : UB_BATCH;
		for (i = 0; i < n; i++)
			usock_frame(s, i, s->sent + i);
		rc = sendmmsg(s->fd, b->out, n, MSG_DONTWAIT);
		if (rc == -1 && errno == EINTR)
			continue;
		/* A full socket buffer: wait for room, or the next sweep. */
		if (rc == -1 && (errno == EAGAIN || errno == ENOBUFS)) {
			event_add(s->wev, NULL);
			return 0;
		}
		if (rc == -1) {
			usock_fail(s, errno);
			return -1;
		}
		s->sends[s->nsends % UB_SENDS].seq = s->sent;
		s->sends[s->nsends++ % UB_SENDS].us = clock_monotonic_us();
		s->sent += (uint64_t)rc;
		b->res->sent += (uint64_t)rc;
		b->res->bytes_sent += (uint64_t)rc * b->size;
	}
	event_del(s->wev);
	return 0;
}

/*
 * Moves base past what is over: echoed, or unanswered loss_us after it
 * was due and sent (a client behind its schedule loses nothing by it).
 */
static void
usock_sweep(struct usock *s, uint64_t now)
{
	struct ubench *b = s->b;
	uint64_t due, sent;

	while (s->base < s->sent) {
		due = usock_due(s, s->base);
		sent = usock_sent_at(s, s->base);
		if (!ub_bit(s, s->base) &&
		    (due > sent ? due : sent) + b->loss_us > now)
			break;
		usock_resolve_base(s);
	}
}

/* What is wrong with a datagram that came back, or NULL. */
static const char *
usock_check(const struct usock *s, const unsigned char *p, size_t len,
    int trunc, uint64_t seq, size_t *at)
{
	const struct ubench *b = s->b;
	uint64_t off = (uint64_t)s->id * UB_OFFSET_STEP + seq * b->size;

	*at = 0;
	if (len != b->size || trunc)
		return "came back with a different length";
	if (seq >= s->sent)
		return "has a sequence number never sent";
	*at = UB_SEQ + pattern_diff(off, p + UB_SEQ, len - UB_SEQ);
	return *at < len ? "differs" : NULL;
}

/* One datagram back: check it, time it, and move the window on. */
static void
usock_echo(struct usock *s, const unsigned char *p, size_t len, int trunc,
    uint64_t now)
{
	struct ubench *b = s->b;
	struct bench_result *res = b->res;
	const char *wrong;
	uint64_t seq = 0;
	size_t at;
	unsigned k;

	for (k = 0; k < UB_SEQ && k < len; k++)
		seq |= (uint64_t)p[k] << (8 * k);
	if ((wrong = usock_check(s, p, len, trunc, seq, &at)) != NULL) {
		if (res->mismatched++ == 0)
			snprintf(res->first_mismatch,
			    sizeof(res->first_mismatch), "socket %zu: a "
			    "datagram of %zu bytes %s (at byte %zu)",
			    s->id + 1, len, wrong, at);
		log_limited(&ub_rl, LOG_WARNING, NULL, "socket %zu: a "
		    "datagram %s", s->id + 1, wrong);
		return;
	}
	/* Bits stay set after base passes them, so a late copy shows. */
	if (seq + UB_TRACK >= s->issued && ub_bit(s, seq)) {
		res->duplicated++;
		return;
	}
	if (seq < s->base) {
		res->late++;
		if (seq + UB_TRACK >= s->issued)
			ub_set(s, seq, 1);
		return;
	}
	ub_set(s, seq, 1);
	histogram_record(&res->hist, now - usock_due(s, seq));
	res->round_trips++;
	res->bytes_received += len;
	b->last_echo = now;
	usock_sweep(s, now);
}

/*
 * What the kernel says this socket's receive buffer has dropped so far:
 * echoes lost here are this client's doing, not the server's.
 */
static void
usock_note_drops(struct usock *s, struct msghdr *h)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL)
			memcpy(&s->dropped, CMSG_DATA(cm), sizeof(s->dropped));
}

/* Takes one batch of echoes; returns how many, or -1. */
static int
usock_receive(struct usock *s)
{
	struct ubench *b = s->b;
	uint64_t now;
	unsigned i;
	int got;

	for (i = 0; i < UB_BATCH; i++) {
		b->rio[i].iov_base = b->rbuf + i * (b->size + 1);
		b->rio[i].iov_len = b->size + 1;
		memset(&b->in[i], 0, sizeof(b->in[i]));
		b->in[i].msg_hdr.msg_iov = &b->rio[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_control = b->rcm[i].buf;
		b->in[i].msg_hdr.msg_controllen = sizeof(b->rcm[i].buf);
	}
	got = recvmmsg(s->fd, b->in, UB_BATCH, MSG_DONTWAIT, NULL);
	if (got == -1 && errno != EINTR && errno != EAGAIN)
		usock_fail(s, errno);
	if (got <= 0)
		return -1;
	now = clock_monotonic_us();
	usock_note_drops(s, &b->in[got - 1].msg_hdr);
	for (i = 0; i < (unsigned)got; i++)
		usock_echo(s, b->rio[i].iov_base, b->in[i].msg_len,
		    (b->in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, now);
	return got;
}

static void
usock_readable(evutil_socket_t fd, short what, void *arg)
{
	struct usock *s = arg;
	struct ubench *b = s->b;

	(void)fd;
	(void)what;
	if (usock_receive(s) == -1)
		return;
	if (b->phase == UB_DRAIN && b->outstanding == 0) {
		ub_finish(b);
		return;
	}
	if (b->conf->rate == 0)
		usock_pump(s, clock_monotonic_us());
}

static void
usock_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	usock_send(arg);
}

/* Releases what is due (open loop) or what the window has room for. */
static void
usock_pump(struct usock *s, uint64_t now)
{
	struct ubench *b = s->b;
	struct timeval tv;
	uint64_t due;

	if (b->conf->rate == 0) {
		while (b->phase == UB_LOAD && s->issued - s->base < b->window)
			usock_release(s, now);
		usock_send(s);
		return;
	}
	while (b->phase == UB_LOAD && usock_due(s, s->issued) <= now)
		usock_release(s, now);
	if (usock_send(s) == -1 || b->phase != UB_LOAD)
		return;
	due = usock_due(s, s->issued);
	tv = bench_tv(due > now + UB_TICK_MIN_US ? due - now : UB_TICK_MIN_US);
	evtimer_add(s->timer, &tv);
}

static void
usock_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	usock_pump(arg, clock_monotonic_us());
}

/* Every UB_SWEEP_US: losses found, stalled windows moved on. */
static void
ub_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct ubench *b = arg;
	uint64_t now;
	struct usock *s;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < b->n && b->phase != UB_DONE; i++) {
		s = &b->socks[i];
		/*
		 * Echoes that came while this process was not running (a
		 * stopped or starved client) are in the socket, not lost:
		 * take them before counting what is overdue.
		 */
		while (s->fd != -1 && usock_receive(s) == UB_BATCH)
			;
		if (s->fd == -1)
			continue;
		now = clock_monotonic_us();
		usock_sweep(s, now);
		if (b->conf->rate == 0)
			usock_pump(s, now);
		else
			usock_send(s);
	}
	if (b->phase == UB_DRAIN && b->outstanding == 0)
		ub_finish(b);
}

/* The phase timer: sending took --duration, or draining --timeout. */
static void
ub_phase_end(evutil_socket_t fd, short what, void *arg)
{
	struct ubench *b = arg;
	size_t i;

	(void)fd;
	(void)what;
	if (b->phase == UB_LOAD) {
		ub_stop(b);
		return;
	}
	for (i = 0; i < b->n; i++)
		while (b->socks[i].base < b->socks[i].sent)
			usock_resolve_base(&b->socks[i]);
	ub_finish(b);
}

static void
ub_progress(evutil_socket_t fd, short what, void *arg)
{
	struct ubench *b = arg;

	(void)fd;
	(void)what;
	report_progress(b->res, 0, clock_monotonic_us() - b->t0);
}

static int
usock_open(struct usock *s, const struct target *target)
{
	struct ubench *b = s->b;
	int pending, err, on = 1;

	if ((s->fd = target_connect(target_first(target), &pending)) == -1) {
		err = errno;
		log_limited(&ub_rl, LOG_WARNING, NULL, "socket %zu to %s: %s",
		    s->id + 1, target->name, target_strerror(err));
		b->res->errors[bench_classify(err)]++;
		b->res->connect_failed++;
		return 0;
	}
	/* Count what our own receive buffer drops (best effort). */
	setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	s->rev = event_new(b->loop.base, s->fd, EV_READ | EV_PERSIST,
	    usock_readable, s);
	s->wev = event_new(b->loop.base, s->fd, EV_WRITE | EV_PERSIST,
	    usock_writable, s);
	s->timer = evtimer_new(b->loop.base, usock_tick, s);
	if (s->rev == NULL || s->wev == NULL || s->timer == NULL ||
	    event_add(s->rev, NULL) == -1)
		return -1;
	b->open++;
	b->res->connected++;
	return 0;
}

static int
ub_init(struct ubench *b, const struct client_conf *conf,
    const struct target *target, struct bench_result *res)
{
	size_t i;

	b->conf = conf;
	b->res = res;
	b->n = (size_t)conf->connections;
	b->size = conf->size;
	b->window = conf->window > 0 ? conf->window : 1;
	b->loss_us = conf->timeout_ms * 1000 < UB_LOSS_US ?
	    conf->timeout_ms * 1000 : UB_LOSS_US;
	if (bench_loop_init(&b->loop, ub_phase_end, ub_progress, b) == -1 ||
	    (b->socks = calloc(b->n, sizeof(*b->socks))) == NULL ||
	    (b->releases = calloc(b->n, b->window * sizeof(uint64_t))) ==
	    NULL || (b->rbuf = malloc(UB_BATCH * (b->size + 1))) == NULL ||
	    (b->sweep = event_new(b->loop.base, -1, EV_PERSIST, ub_sweep, b)) ==
	    NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		b->socks[i].b = b;
		b->socks[i].id = i;
		b->socks[i].fd = -1;
		b->socks[i].release = b->releases + i * b->window;
		if (usock_open(&b->socks[i], target) == -1)
			return -1;
	}
	return 0;
}

static void
ub_start(struct ubench *b)
{
	struct timeval tv = bench_tv(b->conf->duration_ms * 1000);
	struct timeval sweep = bench_tv(UB_SWEEP_US);
	uint64_t now;
	size_t i;

	log_info("%zu of %zu sockets open; sending for %llu ms", b->open,
	    b->n, (unsigned long long)b->conf->duration_ms);
	if (b->open == 0) {
		b->phase = UB_DONE;
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->socks[i].fd != -1)
			b->socks[i].slot = b->nslots++;
	b->t0 = now = clock_monotonic_us();
	evtimer_add(b->loop.phase_timer, &tv);
	event_add(b->sweep, &sweep);
	for (i = 0; i < b->n && b->phase == UB_LOAD; i++)
		if (b->socks[i].fd != -1)
			usock_pump(&b->socks[i], now);
}

static void
ub_free(struct ubench *b)
{
	size_t i;

	for (i = 0; b->socks != NULL && i < b->n; i++) {
		target_close(&b->socks[i].fd, &b->socks[i].rev,
		    &b->socks[i].wev);
		if (b->socks[i].timer != NULL)
			event_free(b->socks[i].timer);
	}
	if (b->sweep != NULL)
		event_free(b->sweep);
	bench_loop_free(&b->loop);
	free(b->socks);
	free(b->releases);
	free(b->rbuf);
}

int
bench_udp_run(const struct client_conf *conf, const struct target *target,
    struct bench_result *res, char *why, size_t whylen)
{
	struct ubench *b;
	size_t i;
	int rc = -1;

	if (bench_nofile(conf->connections, why, whylen) == -1)
		return -1;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (ub_init(b, conf, target, res) == -1) {
		snprintf(why, whylen, "out of memory for %llu sockets",
		    (unsigned long long)conf->connections);
		goto out;
	}
	ub_start(b);
	if (b->phase != UB_DONE)
		event_base_dispatch(b->loop.base);
	for (i = 0; i < b->n; i++)
		res->client_dropped += b->socks[i].dropped;
	rc = 0;
out:
	ub_free(b);
	free(b);
	return rc;
}

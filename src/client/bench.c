/*
 * bench.c - the load test: many connections on one event loop, each
 * sending pattern bytes and verifying every byte that comes back.
 *
 * Closed loop: pingpong keeps one message in flight per connection, stream
 * a window of them.  Open loop (--rate): each message is released when its
 * turn in a fixed schedule comes, whether or not earlier ones came back,
 * and its latency counts from then: a stalled server cannot hide behind a
 * client that politely waits (coordinated omission).
 *
 * Connect mode churns: each connection slot connects, echoes one message,
 * closes, and starts over, timing the connect and the echo apart.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"
#include "log.h"
#include "pattern.h"

#define BENCH_CONNECTING_MAX 256	/* connects in flight at once */
#define BENCH_RING	256		/* stream: messages in flight */
#define BENCH_WINDOW	(256 * 1024)	/* stream: bytes in flight */
#define BENCH_RETRY_US	10000		/* full unix backlog: try again */
/* Connections start this far apart in the pattern, so crossed echoes show. */
#define BENCH_OFFSET_STEP 7919

enum bench_phase { PHASE_CONNECT, PHASE_LOAD, PHASE_DRAIN, PHASE_DONE };
enum bconn_state { BC_NEW, BC_CONNECTING, BC_OPEN, BC_CLOSED };

struct bench;

struct bconn {
	struct bench		*b;
	size_t			 id;
	const struct addrinfo	*ai;
	int			 fd;
	enum bconn_state	 state;
	struct event		*rev, *wev, *timer;
	uint64_t		 slot;	/* its turns in the open loop */
	uint64_t		 pattern_off;	/* where its bytes start */
	uint64_t		 tx, rx;	/* bytes sent, verified */
	uint64_t		 issued, done;	/* messages released, echoed */
	uint64_t		*ring;	/* closed loop: release times */
	uint64_t		 cycles;	/* connect mode: begun */
	uint64_t		 cycle_t0;	/* connect mode: this one due */
};

struct bench {
	const struct client_conf *conf;
	const struct target	*target;
	struct bench_result	*res;
	struct bench_loop	 loop;
	struct bconn		*conns;
	uint64_t		*rings;
	size_t			 n, next, connecting, open;
	int			 in_connect;	/* in bench_connect_more */
	enum bench_phase	 phase;
	uint64_t		 size, window, ring_len;
	uint64_t		 outstanding;	/* released, not echoed */
	uint64_t		 t0;		/* when the load started */
	uint64_t		 nslots;
	unsigned char		 buf[65536];
};

static struct log_ratelimit bench_rl = LOG_RATELIMIT_INIT(1000, 5);

static const char *const bench_error_names[BERR_COUNT] = {
	"refused", "reset", "closed", "timeout", "unreachable",
	"descriptors", "other",
};

static void bconn_connect(struct bconn *);
static void bconn_cycle(struct bconn *);
static void bench_connect_more(struct bench *);
static void bench_start_load(struct bench *);

const char *
bench_error_name(enum bench_error e)
{
	return bench_error_names[e];
}

enum bench_error
bench_classify(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ENOENT:
		return BERR_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return BERR_RESET;
	case ETIMEDOUT:
		return BERR_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
		return BERR_UNREACHABLE;
	case EMFILE:
	case ENFILE:
		return BERR_DESCRIPTORS;
	default:
		return BERR_OTHER;
	}
}

struct timeval
bench_tv(uint64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000),
	    (suseconds_t)(us % 1000000) };

	return tv;
}

uint64_t
bench_turn_due(uint64_t t0, uint64_t rate, uint64_t slot, uint64_t nslots,
    uint64_t k)
{
	return t0 + (uint64_t)(((double)slot + (double)k * (double)nslots) *
	    1e6 / (double)rate);
}

/* Whether a message's latency counts from its release, not its turn. */
static int
bench_timed_release(const struct bench *b)
{
	return b->conf->rate == 0 || b->conf->mode == BENCH_CONNECT;
}

static void
bench_finish(struct bench *b)
{
	if (b->phase == PHASE_DONE)
		return;
	if (b->phase != PHASE_CONNECT)
		b->res->elapsed_us = clock_monotonic_us() - b->t0;
	b->phase = PHASE_DONE;
	event_base_loopbreak(b->loop.base);
}

/* Ends the sending: wait up to --timeout for what is still in flight. */
static void
bench_stop(struct bench *b)
{
	struct timeval tv = bench_tv(b->conf->timeout_ms * 1000);

	if (b->phase != PHASE_LOAD)
		return;
	b->phase = PHASE_DRAIN;
	log_info("sending stopped; waiting for %llu messages in flight",
	    (unsigned long long)b->outstanding);
	if (b->outstanding == 0) {
		bench_finish(b);
		return;
	}
	evtimer_add(b->loop.phase_timer, &tv);
}

static void
bconn_close(struct bconn *c)
{
	if (c->timer != NULL)
		evtimer_del(c->timer);
	target_close(&c->fd, &c->rev, &c->wev);
}

/*
 * Connect mode: c's connection is over; start the next after pause_us
 * (going through the loop, so failing connects never recurse or spin).
 */
static void
bconn_churn_next(struct bconn *c, uint64_t pause_us)
{
	struct bench *b = c->b;
	struct timeval tv = bench_tv(pause_us);

	c->state = BC_NEW;
	if (b->phase == PHASE_DRAIN && b->outstanding == 0)
		bench_finish(b);
	else if (b->phase == PHASE_LOAD && pause_us > 0)
		evtimer_add(c->timer, &tv);
	else if (b->phase == PHASE_LOAD)
		bconn_cycle(c);
}

/* Closes c; what it had in flight stays unechoed. */
static void
bconn_end(struct bconn *c)
{
	struct bench *b = c->b;
	enum bconn_state was = c->state;

	bconn_close(c);
	c->state = BC_CLOSED;
	if (was == BC_CONNECTING)
		b->connecting--;
	else if (was == BC_OPEN)
		b->open--;
	b->outstanding -= c->issued - c->done;
	c->issued = c->done;
	if (b->conf->mode == BENCH_CONNECT) {
		bconn_churn_next(c, BENCH_RETRY_US);
		return;
	}
	if (was == BC_OPEN && (b->open == 0 ||
	    (b->phase == PHASE_DRAIN && b->outstanding == 0)))
		bench_finish(b);
}

/* Ends a connection that could not connect, or failed once it had. */
static void
bconn_fail(struct bconn *c, enum bench_error kind, const char *what)
{
	struct bench_result *res = c->b->res;

	log_limited(&bench_rl, LOG_WARNING, NULL, "connection %zu to %s: %s",
	    c->id + 1, c->b->target->name, what);
	res->errors[kind]++;
	if (c->state == BC_OPEN)
		res->failed++;
	else
		res->connect_failed++;
	bconn_end(c);
}

/* Ends a connection whose echo differs from what it sent at byte at. */
static void
bconn_mismatch(struct bconn *c, uint64_t at, unsigned char got)
{
	struct bench_result *res = c->b->res;

	if (res->mismatched == 0)
		snprintf(res->first_mismatch, sizeof(res->first_mismatch),
		    "connection %zu: byte %llu differs: sent 0x%02x, "
		    "got 0x%02x", c->id + 1, (unsigned long long)at,
		    pattern_byte(c->pattern_off + at), got);
	log_limited(&bench_rl, LOG_WARNING, NULL,
	    "connection %zu: echo differs at byte %llu", c->id + 1,
	    (unsigned long long)at);
	res->mismatched++;
	bconn_end(c);
}

/* When message k of c was due to be sent: its latency counts from then. */
static uint64_t
bconn_due(const struct bconn *c, uint64_t k)
{
	const struct bench *b = c->b;

	if (bench_timed_release(b))
		return c->ring[k % b->ring_len];
	return bench_turn_due(b->t0, b->conf->rate, c->slot, b->nslots, k);
}

static void
bconn_release(struct bconn *c, uint64_t now)
{
	struct bench *b = c->b;
	uint64_t cap = b->conf->count;

	if (bench_timed_release(b))
		c->ring[c->issued % b->ring_len] = now;
	c->issued++;
	b->outstanding++;
	if (++b->res->due == cap)
		bench_stop(b);
}

/* Sends what has been released and not yet sent; 0, or -1 if c failed. */
static int
bconn_send(struct bconn *c)
{
	struct bench *b = c->b;
	uint64_t want = c->issued * b->size, before;
	const unsigned char *p;
	size_t len;
	ssize_t n;

	while (c->tx < want) {
		len = pattern_span(c->pattern_off + c->tx, want - c->tx, &p);
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_add(c->wev, NULL);
			return 0;
		}
		if (n == -1) {
			bconn_fail(c, bench_classify(errno),
			    target_strerror(errno));
			return -1;
		}
		before = c->tx / b->size;
		c->tx += (uint64_t)n;
		b->res->bytes_sent += (uint64_t)n;
		b->res->sent += c->tx / b->size - before;
	}
	event_del(c->wev);
	return 0;
}

/* Closed loop: release messages while the window has room. */
static void
bconn_fill(struct bconn *c)
{
	struct bench *b = c->b;
	uint64_t now = clock_monotonic_us();

	while (b->phase == PHASE_LOAD && c->issued - c->done < b->window)
		bconn_release(c, now);
	bconn_send(c);
}

/* Open loop: release every message whose time has come, then sleep. */
static void
bconn_tick(struct bconn *c)
{
	struct bench *b = c->b;
	uint64_t now = clock_monotonic_us(), due;
	struct timeval tv;

	while (b->phase == PHASE_LOAD && bconn_due(c, c->issued) <= now)
		bconn_release(c, now);
	if (bconn_send(c) == -1 || b->phase != PHASE_LOAD)
		return;
	due = bconn_due(c, c->issued);
	tv = bench_tv(due > now ? due - now : 0);
	evtimer_add(c->timer, &tv);
}

static void
bconn_readable(evutil_socket_t fd, short what, void *arg)
{
	struct bconn *c = arg;
	struct bench *b = c->b;
	uint64_t now, start;
	size_t m, d;
	ssize_t n;

	(void)what;
	n = recv(fd, b->buf, sizeof(b->buf), 0);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		bconn_fail(c, bench_classify(errno), target_strerror(errno));
		return;
	}
	if (n == 0) {
		bconn_fail(c, BERR_CLOSED, "the server closed the connection");
		return;
	}
	/* More may come back than went out: the first extra byte is wrong. */
	m = c->tx - c->rx < (uint64_t)n ? (size_t)(c->tx - c->rx) : (size_t)n;
	if ((d = pattern_diff(c->pattern_off + c->rx, b->buf, m)) < (size_t)n) {
		bconn_mismatch(c, c->rx + d, b->buf[d]);
		return;
	}
	c->rx += (uint64_t)n;
	b->res->bytes_received += (uint64_t)n;
	now = clock_monotonic_us();
	while ((c->done + 1) * b->size <= c->rx) {
		start = bconn_due(c, c->done);
		histogram_record(&b->res->hist, now > start ? now - start : 0);
		c->done++;
		b->res->round_trips++;
		b->outstanding--;
	}
	if (b->conf->mode == BENCH_CONNECT && c->done == c->issued) {
		bconn_close(c);
		b->open--;
		bconn_churn_next(c, 0);
		return;
	}
	if (b->phase == PHASE_DRAIN && b->outstanding == 0) {
		bench_finish(b);
		return;
	}
	if (b->conf->rate == 0)
		bconn_fill(c);
}

static void
bconn_opened(struct bconn *c)
{
	struct bench *b = c->b;
	uint64_t now;

	c->state = BC_OPEN;
	b->connecting--;
	b->open++;
	b->res->connected++;
	if (b->conf->mode != BENCH_CONNECT)
		return;
	/* The message goes out now: its echo is timed from here. */
	now = clock_monotonic_us();
	histogram_record(&b->res->connect_hist, now - c->cycle_t0);
	c->ring[0] = now;
	event_add(c->rev, NULL);
	bconn_send(c);
}

static void
bconn_writable(evutil_socket_t fd, short what, void *arg)
{
	struct bconn *c = arg;
	struct bench *b = c->b;
	int err;

	(void)what;
	if (c->state == BC_OPEN) {
		bconn_send(c);
		return;
	}
	event_del(c->wev);
	if ((err = target_connect_error(fd)) == 0) {
		bconn_opened(c);
		bench_connect_more(b);
		return;
	}
	bconn_close(c);
	if (err == ECONNREFUSED && c->ai->ai_next != NULL) {
		c->ai = c->ai->ai_next;
		bconn_connect(c);
	} else {
		bconn_fail(c, bench_classify(err), target_strerror(err));
	}
	bench_connect_more(b);
}

/* A connection's timer: a connect to retry, or its next open-loop turn. */
static void
bconn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct bconn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == BC_OPEN)
		bconn_tick(c);
	else if (c->state == BC_NEW && c->b->conf->mode == BENCH_CONNECT)
		bconn_cycle(c);
	else
		bconn_connect(c);
	bench_connect_more(c->b);
}

/*
 * Starts connecting c to its current address, moving on to the next when
 * one refuses at once.  c stays BC_CONNECTING until it is open or failed.
 */
static void
bconn_connect(struct bconn *c)
{
	struct bench *b = c->b;
	struct timeval tv = bench_tv(BENCH_RETRY_US);
	int pending = 0, err = 0;

	for (; c->ai != NULL; c->ai = c->ai->ai_next) {
		if ((c->fd = target_connect(c->ai, &pending)) != -1)
			break;
		err = errno;
		/* A unix listener with a full backlog: its turn will come. */
		if (err == EAGAIN && c->ai->ai_family == AF_UNIX) {
			evtimer_add(c->timer, &tv);
			return;
		}
		if (err != ECONNREFUSED && err != ENOENT)
			break;
	}
	if (c->fd == -1) {
		bconn_fail(c, bench_classify(err), target_strerror(err));
		return;
	}
	c->rev = event_new(b->loop.base, c->fd, EV_READ | EV_PERSIST,
	    bconn_readable, c);
	c->wev = event_new(b->loop.base, c->fd, EV_WRITE | EV_PERSIST,
	    bconn_writable, c);
	if (c->rev == NULL || c->wev == NULL) {
		bconn_fail(c, BERR_OTHER, "out of memory");
		return;
	}
	if (pending)
		event_add(c->wev, NULL);
	else
		bconn_opened(c);
}

/*
 * Connect mode: c's next connection, now or (open loop) when due.  Its
 * one message is due from the start, so a connect that waits in a full
 * backlog shows in the connect latency and, unanswered, as incomplete.
 */
static void
bconn_cycle(struct bconn *c)
{
	struct bench *b = c->b;
	uint64_t now = clock_monotonic_us(), due = now;
	struct timeval tv;

	if (b->phase != PHASE_LOAD)
		return;
	if (b->conf->rate > 0) {
		due = bench_turn_due(b->t0, b->conf->rate, c->slot, b->nslots,
		    c->cycles);
		if (due > now) {
			tv = bench_tv(due - now);
			evtimer_add(c->timer, &tv);
			return;
		}
	}
	c->cycles++;
	c->cycle_t0 = due;
	c->tx = c->rx = 0;
	c->issued = c->done = 0;
	c->ai = target_first(b->target);
	c->state = BC_CONNECTING;
	b->connecting++;
	bconn_release(c, now);
	bconn_connect(c);
}

/* Keeps up to BENCH_CONNECTING_MAX connects going; then starts the load. */
static void
bench_connect_more(struct bench *b)
{
	struct bconn *c;

	if (b->in_connect || b->phase != PHASE_CONNECT)
		return;
	b->in_connect = 1;
	while (b->next < b->n && b->connecting < BENCH_CONNECTING_MAX) {
		c = &b->conns[b->next++];
		c->state = BC_CONNECTING;
		b->connecting++;
		bconn_connect(c);
	}
	b->in_connect = 0;
	if (b->next == b->n && b->connecting == 0)
		bench_start_load(b);
}

static void
bench_progress(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)what;
	report_progress(b->res, b->phase == PHASE_CONNECT,
	    b->phase == PHASE_CONNECT ? 0 : clock_monotonic_us() - b->t0);
}

/* The phase timer: connecting, sending or draining took its full time. */
static void
bench_phase_end(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct bconn *c;
	size_t i;

	(void)fd;
	(void)what;
	switch (b->phase) {
	case PHASE_CONNECT:
		log_warning("%zu connections still connecting after the "
		    "timeout", b->connecting + (b->n - b->next));
		for (i = 0; i < b->n; i++) {
			c = &b->conns[i];
			if (c->state == BC_NEW || c->state == BC_CONNECTING)
				bconn_fail(c, BERR_TIMEOUT, "connect timeout");
		}
		b->next = b->n;
		bench_start_load(b);
		break;
	case PHASE_LOAD:
		bench_stop(b);
		break;
	case PHASE_DRAIN:
		/* What has not come back by now is a timeout. */
		for (i = 0; i < b->n; i++) {
			c = &b->conns[i];
			if ((c->state == BC_OPEN ||
			    c->state == BC_CONNECTING) && c->done < c->issued)
				bconn_fail(c, BERR_TIMEOUT, "no echo before "
				    "the timeout");
		}
		bench_finish(b);
		break;
	case PHASE_DONE:
		break;
	}
}

/* The sending starts now, in nslots turns, for --duration. */
static void
bench_begin(struct bench *b, size_t nslots)
{
	struct timeval tv = bench_tv(b->conf->duration_ms * 1000);

	b->phase = PHASE_LOAD;
	b->t0 = clock_monotonic_us();
	b->nslots = nslots;
	evtimer_add(b->loop.phase_timer, &tv);
}

/* Connect mode: every slot starts churning, without a connect phase. */
static void
bench_start_churn(struct bench *b)
{
	size_t i;

	log_info("churning %zu connections at a time for %llu ms", b->n,
	    (unsigned long long)b->conf->duration_ms);
	bench_begin(b, b->n);
	for (i = 0; i < b->n && b->phase == PHASE_LOAD; i++) {
		b->conns[i].slot = i;
		bconn_cycle(&b->conns[i]);
	}
}

static void
bench_start_load(struct bench *b)
{
	struct bconn *c;
	uint64_t slot = 0;
	size_t i;

	if (b->open == 0) {
		bench_finish(b);
		return;
	}
	log_info("%zu of %zu connections open; sending for %llu ms", b->open,
	    b->n, (unsigned long long)b->conf->duration_ms);
	bench_begin(b, b->open);
	for (i = 0; i < b->n && b->phase == PHASE_LOAD; i++) {
		c = &b->conns[i];
		if (c->state != BC_OPEN)
			continue;
		event_add(c->rev, NULL);
		if (b->conf->rate > 0) {
			c->slot = slot++;
			bconn_tick(c);
		} else {
			bconn_fill(c);
		}
	}
}

int
bench_nofile(uint64_t n, char *why, size_t whylen)
{
	uint64_t need = n + BENCH_FD_SPARE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need) {
		log_info("raised the open-file limit to %llu",
		    (unsigned long long)rl.rlim_cur);
		return 0;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(why, whylen, "--connections %llu needs %llu open files, but "
	    "the limit is %llu and can go no higher (hard limit %llu): lower "
	    "--connections, or raise the hard limit (ulimit -Hn as root, "
	    "LimitNOFILE= in a service)", (unsigned long long)n,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    (unsigned long long)rl.rlim_max);
	return -1;
}

int
bench_loop_init(struct bench_loop *l, event_callback_fn phase,
    event_callback_fn progress, void *arg)
{
	struct timeval tv = { 1, 0 };
	struct event_config *cfg;

	memset(l, 0, sizeof(*l));
	/* Open-loop turns need timers finer than epoll's milliseconds. */
	if ((cfg = event_config_new()) == NULL)
		return -1;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	l->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (l->base == NULL ||
	    (l->phase_timer = evtimer_new(l->base, phase, arg)) == NULL)
		return -1;
	/* A progress line only for a person watching a terminal. */
	if (isatty(STDERR_FILENO) && ((l->progress = event_new(l->base, -1,
	    EV_PERSIST, progress, arg)) == NULL ||
	    event_add(l->progress, &tv) == -1))
		return -1;
	return 0;
}

void
bench_loop_free(struct bench_loop *l)
{
	if (l->progress != NULL) {
		event_free(l->progress);
		report_progress_end();
	}
	if (l->phase_timer != NULL)
		event_free(l->phase_timer);
	if (l->base != NULL)
		event_base_free(l->base);
}

static int
bench_init(struct bench *b, const struct client_conf *conf,
    const struct target *target, struct bench_result *res)
{
	struct timeval tv = bench_tv(conf->timeout_ms * 1000);
	struct bconn *c;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->conf = conf;
	b->target = target;
	b->res = res;
	b->n = (size_t)conf->connections;
	b->size = conf->size;
	b->ring_len = 1;
	b->window = 1;
	if (conf->mode == BENCH_STREAM && conf->rate == 0) {
		b->window = BENCH_WINDOW / b->size;
		if (b->window > BENCH_RING)
			b->window = BENCH_RING;
		if (b->window == 0)
			b->window = 1;
		if (conf->window > 0)
			b->window = conf->window;
		b->ring_len = b->window;
	}
	if (bench_loop_init(&b->loop, bench_phase_end, bench_progress, b) ==
	    -1 || (b->conns = calloc(b->n, sizeof(*b->conns))) == NULL ||
	    (b->rings = calloc(b->n, b->ring_len * sizeof(*b->rings))) ==
	    NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		c = &b->conns[i];
		c->b = b;
		c->id = i;
		c->fd = -1;
		c->ai = target_first(target);
		c->ring = b->rings + i * b->ring_len;
		c->pattern_off = (uint64_t)i * BENCH_OFFSET_STEP;
		c->timer = evtimer_new(b->loop.base, bconn_timer, c);
		if (c->timer == NULL)
			return -1;
	}
	evtimer_add(b->loop.phase_timer, &tv);
	return 0;
}

static void
bench_free(struct bench *b)
{
	size_t i;

	for (i = 0; b->conns != NULL && i < b->n; i++) {
		bconn_close(&b->conns[i]);
		if (b->conns[i].timer != NULL)
			event_free(b->conns[i].timer);
	}
	bench_loop_free(&b->loop);
	free(b->conns);
	free(b->rings);
}

int
bench_run(const struct client_conf *conf, const struct target *target,
    struct bench_result *res, char *why, size_t whylen)
{
	struct bench *b;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->connections = conf->connections;
	histogram_init(&res->hist);
	histogram_init(&res->connect_hist);
	if (target_first(target)->ai_socktype == SOCK_DGRAM) {
		res->udp = 1;
		return bench_udp_run(conf, target, res, why, whylen);
	}
	if (bench_nofile(conf->connections, why, whylen) == -1)
		return -1;
	if ((b = malloc(sizeof(*b))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (bench_init(b, conf, target, res) == -1) {
		snprintf(why, whylen, "out of memory for %llu connections",
		    (unsigned long long)conf->connections);
		goto out;
	}
	if (conf->mode == BENCH_CONNECT) {
		bench_start_churn(b);
	} else {
		log_info("connecting %zu connections to %s", b->n,
		    target->name);
		bench_connect_more(b);
	}
	if (b->phase != PHASE_DONE)
		event_base_dispatch(b->loop.base);
	rc = 0;
out:
	bench_free(b);
	free(b);
	return rc;
}

int
bench_state(const struct bench_result *res)
{
	if (res->mismatched > 0 || res->round_trips == 0)
		return STATE_CRITICAL;
	if (res->connect_failed > 0 || res->failed > 0)
		return STATE_WARNING;
	return STATE_OK;
}

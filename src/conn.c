/* conn.c - one TCP client on a bufferevent. */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bevread.h"
#include "admit.h"
#include "conn.h"
#include "evmem.h"
#include "handoff.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "worker.h"

/*
 * How long, in all, a half-closed connection waits for the client's EOF
 * once the client has every echo; until then it looks this often.
 */
#define CONN_LINGER_US	2000000
#define CONN_LINGER_POLL_US	(CONN_LINGER_US / 8)
/* Idle checks per --idle-timeout: a close comes at most a quarter late. */
#define CONN_CHECKS	4
/* The most one read moves: one chain block from the evmem cache. */
#define CONN_READ_MAX	65536

static struct log_ratelimit conn_error_rl = LOG_RATELIMIT_INIT(1000, 5);

static void conn_readable(evutil_socket_t, short, void *);
static void conn_tick(evutil_socket_t, short, void *);
static void conn_count_out(struct conn *);
static void conn_set_paused(struct conn *, int);
static void conn_error(struct conn *, int);
static void conn_write(struct bufferevent *, void *);
static void conn_event(struct bufferevent *, short, void *);

static void
conn_arm(struct conn *c, uint64_t us)
{
	struct timeval tv = { (time_t)(us / 1000000),
	    (suseconds_t)(us % 1000000) };

	event_add(&c->timer, &tv);
}

/*
 * Nothing is timed per read: reads only count bytes, and a timer that
 * fires a few times per --idle-timeout looks at what moved (conn_tick).
 */
static void
conn_timer_start(struct conn *c)
{
	uint64_t ms = c->w->conf->idle_timeout_ms;

	event_assign(&c->timer, c->w->base, -1, 0, conn_tick, c);
	c->active_us = c->start_us;
	if (ms > 0)
		conn_arm(c, ms * 1000 / CONN_CHECKS);
}

static void
conn_set_peer(struct conn *c, const struct worker_conn *wc)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&wc->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&wc->sa;
	int on = 1;

	if (wc->sa.ss_family == AF_INET) {
		memcpy(c->peer_addr, &sin->sin_addr, 4);
		c->peer_port = sin->sin_port;
	} else if (wc->sa.ss_family == AF_INET6) {
		memcpy(c->peer_addr, &sin6->sin6_addr, 16);
		c->peer_port = sin6->sin6_port;
	} else {
		c->via_unix = 1;
		return;		/* Unix peers are named by their listener */
	}
	c->peer_family = (uint8_t)wc->sa.ss_family;
	/* A client named by a PROXY header on a Unix socket: no TCP here. */
	if (c->via_proxy && c->lb[0].ss_family == AF_UNIX) {
		c->via_unix = 1;
		return;
	}
	/* An echo is a reply: Nagle would hold it for the last ACK. */
	if (!wc->handed)	/* set already, by the image that accepted it */
		setsockopt(wc->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void conn_restore(struct conn *, const struct handoff_conn *);

/*
 * Serves fd on worker w, as accepted or as handed over (rec); lb: the
 * balancer a PROXY header came from, or NULL.
 */
static void
conn_serve(struct worker *w, const struct worker_conn *wc,
    const struct sockaddr_storage *lb, const struct handoff_conn *rec)
{
	const struct config *conf = w->conf;
	struct conn *c;

	c = calloc(1, sizeof(*c) + (lb != NULL ? sizeof(*lb) : 0));
	if (c == NULL)
		goto fail;
	if (lb != NULL) {
		c->via_proxy = 1;
		c->lb[0] = *lb;
	}
	c->bev = bufferevent_socket_new(w->base, wc->fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto fail;
	c->w = w;
	c->listener = wc->listener;
	c->source = wc->source;
	c->id = wc->id;
	c->start_us = clock_monotonic_us();
	c->window_us = c->start_us;
	conn_set_peer(c, wc);
	/* conn_readable reads 64 KiB at a time, not libevent's 4 KiB. */
	if (bevread_install(c->bev, conn_readable) == -1)
		goto fail;
	bufferevent_setcb(c->bev, NULL, conn_write, conn_event, c);
	/* The write callback runs once the echo drains to the low watermark. */
	bufferevent_setwatermark(c->bev, EV_WRITE, conf->low_watermark, 0);
	bufferevent_set_max_single_write(c->bev,
	    (ev_ssize_t)(conf->high_watermark + CONN_READ_MAX));
	conn_timer_start(c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		goto fail;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	log_debug("conn %llu on %s", (unsigned long long)c->id,
	    wc->listener->name);
	/* Last: either may close c at once. */
	if (rec != NULL)
		conn_restore(c, rec);
	else if (w->draining)
		conn_drain(c);
	return;
fail:
	if (c != NULL && c->bev != NULL)
		bufferevent_free(c->bev);	/* it owns the descriptor */
	else
		close(wc->fd);
	free(c);
	admit_refuse(w->admit, wc->source, ADMIT_REFUSED_SETUP);
}

static void
conn_block_free(const void *data, size_t len, void *block)
{
	(void)data;
	(void)len;
	evmem_block_put(block, CONN_READ_MAX);
}

void
conn_accept(struct worker *w, const struct worker_conn *wc)
{
	conn_serve(w, wc, NULL, NULL);
}

void
conn_accept_proxied(struct worker *w, const struct worker_conn *wc,
    const struct sockaddr_storage *lb)
{
	conn_serve(w, wc, lb, NULL);
}

void
conn_adopt(struct worker *w, const struct worker_conn *wc,
    const struct sockaddr_storage *lb, const struct handoff_conn *rec)
{
	conn_serve(w, wc, lb, rec);
}

/*
 * With nothing queued, a read goes into a block of the thread's cache and
 * out again at once: no evbuffer is touched per round trip.  What the
 * kernel does not take joins the output as that block itself (moved, not
 * copied).  A failed write leaves the bytes for the bufferevent to try.
 */
static ssize_t
conn_echo_direct(struct conn *c, int fd, struct evbuffer *out)
{
	char *block;
	ssize_t n, w;

	if ((block = evmem_block_get(CONN_READ_MAX)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if ((n = read(fd, block, CONN_READ_MAX)) > 0 &&
	    (w = write(fd, block, (size_t)n)) == n) {
		evmem_block_put(block, CONN_READ_MAX);
		c->bytes_out += (uint64_t)n;
		STAT_ADD(c->w->stats[c->via_unix].bytes_out, (uint64_t)n);
		return n;
	}
	if (n <= 0) {
		evmem_block_put(block, CONN_READ_MAX);
		return n;
	}
	w = w > 0 ? w : 0;
	if (evbuffer_add_reference(out, block + w, (size_t)(n - w),
	    conn_block_free, block) == -1) {
		evmem_block_put(block, CONN_READ_MAX);
		errno = ENOMEM;
		return -1;
	}
	return n;
}

/* Reads and echoes; with an echo queued, bytes read join it directly. */
static ssize_t
conn_echo(struct conn *c, int fd)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t high = c->w->conf->high_watermark;
	ssize_t n;

	if (evbuffer_get_length(out) == 0)
		n = conn_echo_direct(c, fd, out);
	else
		n = bevread_fill(out, fd, CONN_READ_MAX);
	if (n <= 0)
		return n;
	c->bytes_in += (uint64_t)n;
	STAT_ADD(c->w->stats[c->via_unix].bytes_in, (uint64_t)n);
	if (evbuffer_get_length(out) == 0)
		return n;	/* all out: counted already */
	conn_count_out(c);
	/*
	 * Stop reading rather than rely on a read watermark, which libevent
	 * keeps polling for (libevent issue 891): a stalled client costs no CPU.
	 */
	if (evbuffer_get_length(out) >= high) {
		bufferevent_disable(c->bev, EV_READ);
		conn_set_paused(c, 1);
	}
	return n;
}

/* Half-closed: what the client still sends is read and dropped. */
static ssize_t
conn_discard(int fd)
{
	char sink[4096];

	return read(fd, sink, sizeof(sink));
}

static void
conn_half_close(struct conn *c)
{
	/*
	 * Send our FIN but keep reading: closing with unread input would send a
	 * reset, and a reset makes the client's kernel drop echoes in flight.
	 * The bound is one total, from now: reads do not extend it.
	 */
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->lingering = 1;
	c->linger_us = clock_monotonic_us() + CONN_LINGER_US;
	conn_arm(c, CONN_LINGER_US);
	bufferevent_enable(c->bev, EV_READ);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_output(bev));

	conn_count_out(c);
	if (pending > 0) {
		/* Drained to the low watermark: read again. */
		if (c->read_paused && !c->draining && !c->peer_eof) {
			conn_set_paused(c, 0);
			bufferevent_enable(bev, EV_READ);
		}
		return;
	}
	if (c->peer_eof)
		conn_close(c, "eof");
	else if (c->draining && !c->lingering)
		conn_half_close(c);
	else if (c->read_paused) {
		conn_set_paused(c, 0);
		bufferevent_enable(bev, EV_READ);
	}
}

/* Waits for the output to empty; conn_write finishes the job. */
static void
conn_flush(struct conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_write(c->bev, c);
}

void
conn_drain(struct conn *c)
{
	ssize_t n;

	if (c->draining)
		return;
	c->draining = 1;
	if (c->lingering)
		return;
	/*
	 * A client accepted just before the signal may have its request
	 * queued but not yet read: take what is there (one read, no wait),
	 * so a health check during a restart gets its echo.
	 */
	if (!c->peer_eof && !c->read_paused) {
		n = conn_echo(c, bufferevent_getfd(c->bev));
		if (n == 0)
			c->peer_eof = 1;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_error(c, errno);
			return;
		}
	}
	conn_flush(c);
}

static void
conn_eof(struct conn *c)
{
	if (c->lingering) {
		conn_close(c, "shutdown");
		return;
	}
	c->peer_eof = 1;
	conn_flush(c);
}

static const char *
conn_peer_name(const struct conn *c, char *buf, size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	switch (c->peer_family) {
	case AF_INET:
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = c->peer_port;
		memcpy(&sin.sin_addr, c->peer_addr, 4);
		return addr_format((struct sockaddr *)&sin, sizeof(sin), buf,
		    len);
	case AF_INET6:
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = c->peer_port;
		memcpy(&sin6.sin6_addr, c->peer_addr, 16);
		return addr_format((struct sockaddr *)&sin6, sizeof(sin6), buf,
		    len);
	}
	snprintf(buf, len, "%s", c->listener->name);
	return buf;
}

/* Backpressure on or off, counted for the metrics' paused gauge. */
static void
conn_set_paused(struct conn *c, int on)
{
	if (c->read_paused == on)
		return;
	c->read_paused = on != 0;
	STAT_ADD(c->w->paused, on ? 1 : (uint64_t)-1);
}

/* Counts what left since the last count into the worker's bytes_out. */
static void
conn_count_out(struct conn *c)
{
	uint64_t done = c->bytes_in -
	    evbuffer_get_length(bufferevent_get_output(c->bev));

	STAT_ADD(c->w->stats[c->via_unix].bytes_out, done - c->bytes_out);
	c->bytes_out = done;
}

static void
conn_error(struct conn *c, int err)
{
	char peer[ADDR_TEXT_MAX];

	if (err == ECONNRESET || err == EPIPE) {
		conn_close(c, "reset");
		return;
	}
	conn_peer_name(c, peer, sizeof(peer));
	errno = err;
	log_limited(&conn_error_rl, LOG_WARNING | LOG_ERRNO, NULL,
	    "conn %llu from %s", (unsigned long long)c->id, peer);
	conn_close(c, "error");
}

enum { CONN_MOVED = 1, CONN_UNREAD };

/* Whether the connection still reads what the client sends. */
static int
conn_reading(const struct conn *c)
{
	return !c->read_paused && !c->peer_eof && !c->draining &&
	    !c->lingering;
}

/*
 * What the client did since the last check: CONN_MOVED if it sent bytes
 * we read, or took echoes (ours written to the kernel, or the kernel's
 * queue to it shrinking: SIOCOUTQ is bytes for TCP, buffer memory for
 * Unix sockets, and either only falls when the client takes some);
 * CONN_UNREAD if input waits that the loop has not read yet (it stalled:
 * readable wins over idle, and the stall is not the client's rate).
 */
static int
conn_moved(struct conn *c)
{
	int fd = bufferevent_getfd(c->bev), outq = 0, active = 0;
	char b;

	conn_count_out(c);
	if (c->bytes_in != c->seen_in)
		active = CONN_MOVED;
	if (c->bytes_out != c->seen_out || c->seen_outq > 0) {
		if (ioctl(fd, SIOCOUTQ, &outq) == -1)
			outq = 0;
		if (c->bytes_out != c->seen_out ||
		    (uint32_t)outq != c->seen_outq)
			active = CONN_MOVED;
	}
	c->seen_in = c->bytes_in;
	c->seen_out = c->bytes_out;
	c->seen_outq = (uint32_t)outq;
	if (conn_reading(c) && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
		active = CONN_UNREAD;
	return active;
}

/*
 * --min-rate: over each idle window, a client we read from must have sent
 * that many bytes a second; one we do not read from cannot, and is timed
 * by what it takes instead.
 */
static int
conn_too_slow(struct conn *c, uint64_t now, int moved)
{
	const struct config *conf = c->w->conf;
	uint64_t ms = (now - c->window_us) / 1000;

	if (conf->min_rate > 0 && conn_reading(c)) {
		/* Unread input: not judged until it is counted. */
		if (ms < conf->idle_timeout_ms || moved == CONN_UNREAD)
			return 0;
		if ((c->bytes_in - c->window_bytes) * 1000 < conf->min_rate * ms)
			return 1;
	}
	c->window_us = now;
	c->window_bytes = c->bytes_in;
	return 0;
}

/*
 * Closes from a timer, after reading away what the client sent: a close
 * with unread input sends a reset, and a reset destroys the echoes still
 * queued in our kernel.  Then the kernel sends them, and our FIN.
 */
static void
conn_expire(struct conn *c, const char *reason)
{
	int fd = bufferevent_getfd(c->bev), i;
	char *sink = evmem_block_get(CONN_READ_MAX);

	/* At most 4 MiB: a client that sends more is not idle. */
	for (i = 0; sink != NULL && i < 64 &&
	    read(fd, sink, CONN_READ_MAX) > 0; i++)
		;
	evmem_block_put(sink, CONN_READ_MAX);
	conn_close(c, reason);
}

/*
 * Echoes in our kernel's TCP queue are not the client's until it has
 * acknowledged them (SIOCOUTQ counts sent but unacknowledged bytes too).
 * Closing now would lose them to the reset that input arriving after the
 * close sends.  A Unix socket has put them in the client's queue already.
 */
static int
conn_unacked(const struct conn *c)
{
	int outq = 0;

	if (c->via_unix ||
	    ioctl(bufferevent_getfd(c->bev), SIOCOUTQ, &outq) == -1)
		return 0;
	return outq > 0;
}

/*
 * The lingering close: its bound runs from when the client has every
 * echo, not from the half-close, so a client that takes them slowly is
 * not reset; --shutdown-timeout bounds the wait for one that never does.
 */
static void
conn_linger(struct conn *c, uint64_t now)
{
	if (conn_unacked(c)) {
		c->linger_us = now + CONN_LINGER_US;
		conn_arm(c, CONN_LINGER_POLL_US);
	} else if (now >= c->linger_us)
		conn_expire(c, "shutdown");	/* only a drain lingers */
	else
		conn_arm(c, c->linger_us - now);
}

/* The connection's timer: idle, --min-rate and the lingering close. */
static void
conn_tick(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t idle = c->w->conf->idle_timeout_ms * 1000;
	uint64_t now = clock_monotonic_us(), left;
	int moved;

	(void)fd;
	(void)what;
	if (c->lingering) {
		conn_linger(c, now);
		return;
	}
	if (idle == 0)
		return;
	if ((moved = conn_moved(c)) != 0)
		c->active_us = now;
	else if (now - c->active_us >= idle) {
		conn_expire(c, "idle");
		return;
	}
	if (conn_too_slow(c, now, moved)) {
		conn_expire(c, "min-rate");
		return;
	}
	left = c->active_us + idle - now;
	conn_arm(c, left < idle / CONN_CHECKS ? left : idle / CONN_CHECKS);
}

/* The bufferevent's read event, in place of libevent's own reader. */
static void
conn_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c;
	ssize_t n;

	(void)what;
	c = bevread_arg(arg);
	n = c->lingering ? conn_discard(fd) : conn_echo(c, fd);
	if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
		return;
	bufferevent_disable(c->bev, EV_READ);
	if (n == 0)
		conn_eof(c);
	else
		conn_error(c, errno);
}

/* Write-side events from the bufferevent. */
static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_EOF)
		conn_eof(c);
	else if (what & BEV_EVENT_ERROR)
		conn_error(c, err);
}

/* One line per connection, with fields the journal can filter on. */
static void
conn_log_close(const struct conn *c, const char *reason, uint64_t out)
{
	uint64_t us = clock_monotonic_us() - c->start_us;
	char peer[ADDR_TEXT_MAX], f_id[40], f_peer[ADDR_TEXT_MAX + 16];
	char f_listener[ADDR_TEXT_MAX + 20], f_in[48], f_out[48], f_dur[48];
	char f_reason[64], dur[32], lb[ADDR_TEXT_MAX + 8] = "";
	char f_proxy[ADDR_TEXT_MAX + 16];
	const char *const fields[] = { f_id, f_peer, f_listener, f_in, f_out,
	    f_dur, f_reason, c->via_proxy ? f_proxy : NULL, NULL };

	conn_peer_name(c, peer, sizeof(peer));
	if (c->via_proxy) {
		memcpy(lb, " via ", 6);
		/* A balancer on a Unix socket is named by the listener. */
		if (c->lb[0].ss_family == AF_UNIX)
			snprintf(lb + 5, sizeof(lb) - 5, "%s", c->listener->name);
		else
			addr_format((const struct sockaddr *)&c->lb[0],
			    sizeof(c->lb[0]), lb + 5, sizeof(lb) - 5);
		snprintf(f_proxy, sizeof(f_proxy), "ECHOD_PROXY=%s", lb + 5);
	}
	snprintf(f_id, sizeof(f_id), "ECHOD_CONN_ID=%llu",
	    (unsigned long long)c->id);
	snprintf(f_peer, sizeof(f_peer), "ECHOD_PEER=%s", peer);
	snprintf(f_listener, sizeof(f_listener), "ECHOD_LISTENER=%s",
	    c->listener->name);
	snprintf(f_in, sizeof(f_in), "ECHOD_BYTES_IN=%llu",
	    (unsigned long long)c->bytes_in);
	snprintf(f_out, sizeof(f_out), "ECHOD_BYTES_OUT=%llu",
	    (unsigned long long)out);
	snprintf(f_dur, sizeof(f_dur), "ECHOD_DURATION_USEC=%llu",
	    (unsigned long long)us);
	snprintf(f_reason, sizeof(f_reason), "ECHOD_REASON=%s", reason);
	log_write(LOG_INFO, __FILE__, __LINE__, __func__, fields,
	    "conn %llu from %s%s closed (%s): %llu bytes in, %llu out, %s",
	    (unsigned long long)c->id, peer, lb, reason,
	    (unsigned long long)c->bytes_in, (unsigned long long)out,
	    format_duration_us(us, dur, sizeof(dur)));
}

/* The reasons conn_close is given, counted by index; the last is "other". */
const char *const conn_close_reasons[CONN_CLOSE_REASONS] = {
	"eof", "reset", "error", "idle", "min-rate", "shutdown",
	"shutdown-timeout", "exit", "other",
};

static unsigned
conn_close_reason(const char *reason)
{
	unsigned i;

	for (i = 0; i < CONN_CLOSE_REASONS - 1; i++)
		if (strcmp(reason, conn_close_reasons[i]) == 0)
			break;
	return i;
}

void
conn_close(struct conn *c, const char *reason)
{
	conn_set_paused(c, 0);
	STAT_ADD(c->w->closed[conn_close_reason(reason)], 1);
	conn_count_out(c);
	if (log_enabled(LOG_INFO))
		conn_log_close(c, reason, c->bytes_out);
	event_del(&c->timer);
	bufferevent_free(c->bev);
	worker_conn_closed(c->w, c);
	free(c);
}

/* The socket's own family, and the balancer a PROXY header came from. */
static void
conn_save_socket(const struct conn *c, struct handoff_conn *rec)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&c->lb[0];
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&c->lb[0];

	rec->lb_family = c->peer_family == AF_UNSPEC ? AF_UNIX :
	    c->peer_family;
	if (!c->via_proxy)
		return;
	rec->lb_family = (uint8_t)c->lb[0].ss_family;
	if (rec->lb_family == AF_INET) {
		memcpy(rec->lb_addr, &sin->sin_addr, 4);
		rec->lb_port = sin->sin_port;
	} else if (rec->lb_family == AF_INET6) {
		memcpy(rec->lb_addr, &sin6->sin6_addr, 16);
		rec->lb_port = sin6->sin6_port;
	}
}

int
conn_save(struct conn *c, uint32_t listener, struct handoff_buf *b)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t nout = evbuffer_get_length(out), nin = evbuffer_get_length(in);
	struct handoff_conn rec;
	ev_ssize_t n;
	uint8_t *p;

	conn_count_out(c);
	memset(&rec, 0, sizeof(rec));
	rec.fd = bufferevent_getfd(c->bev);
	rec.listener = listener;
	rec.id = c->id;
	rec.bytes_in = c->bytes_in;
	/* What is still in the input is read and not echoed, like the output. */
	rec.bytes_out = c->bytes_in - nout - nin;
	rec.start_us = c->start_us;
	rec.window_us = c->window_us;
	rec.window_bytes = c->window_bytes;
	memcpy(rec.peer_addr, c->peer_addr, sizeof(rec.peer_addr));
	rec.peer_port = c->peer_port;
	rec.peer_family = c->peer_family;
	rec.flags = (c->read_paused ? HANDOFF_READ_PAUSED : 0) |
	    (c->peer_eof ? HANDOFF_PEER_EOF : 0) |
	    (c->draining ? HANDOFF_DRAINING : 0) |
	    (c->lingering ? HANDOFF_LINGERING : 0) |
	    (c->via_proxy ? HANDOFF_VIA_PROXY : 0);
	conn_save_socket(c, &rec);
	if (nout + nin > UINT32_MAX)
		return -1;
	rec.pending_len = (uint32_t)(nout + nin);
	if ((p = handoff_put_conn(b, &rec)) == NULL)
		return -1;
	/*
	 * Copied, not drained: if the exec fails, this image serves on.  The
	 * bufferevent keeps its output's start frozen, and copyout refuses.
	 */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_copyout(out, p, nout);
	evbuffer_freeze(out, 1);
	if (n != (ev_ssize_t)nout ||
	    evbuffer_copyout(in, p + nout, nin) != (ev_ssize_t)nin)
		return -1;
	return 0;
}

/* Puts a handed-over connection back in the state it was in. */
static void
conn_restore(struct conn *c, const struct handoff_conn *rec)
{
	c->bytes_in = rec->bytes_in;
	c->bytes_out = rec->bytes_out;
	c->start_us = rec->start_us;
	c->window_us = rec->window_us;
	c->window_bytes = rec->window_bytes;
	/* Even empty, an add would arm the write event: for nothing. */
	if (rec->pending_len > 0 && evbuffer_add(bufferevent_get_output(c->bev),
	    rec->pending, rec->pending_len) == -1) {
		conn_error(c, ENOMEM);
		return;
	}
	if (rec->flags & HANDOFF_LINGERING) {
		/* Our FIN is sent: discard input until the client's EOF. */
		c->draining = !!(rec->flags & HANDOFF_DRAINING);
		conn_half_close(c);
		return;
	}
	if (rec->flags & HANDOFF_PEER_EOF) {
		c->peer_eof = 1;
		conn_flush(c);
		return;
	}
	if (rec->flags & HANDOFF_READ_PAUSED) {
		bufferevent_disable(c->bev, EV_READ);
		conn_set_paused(c, 1);
	}
	if (rec->flags & HANDOFF_DRAINING)
		conn_drain(c);
}

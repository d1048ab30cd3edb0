/* conn.c - one TCP client on a bufferevent. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "worker.h"

/* How long a half-closed connection waits for the client's EOF. */
#define CONN_LINGER_MS	2000

static struct log_ratelimit conn_error_rl = LOG_RATELIMIT_INIT(1000, 5);

static void conn_read(struct bufferevent *, void *);
static void conn_write(struct bufferevent *, void *);
static void conn_event(struct bufferevent *, short, void *);

static struct timeval
conn_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

static void
conn_set_idle_timeout(struct conn *c)
{
	uint64_t ms = c->w->srv->conf->idle_timeout_ms;
	struct timeval tv = conn_tv(ms);

	if (ms > 0)
		bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* Undoes what the main thread counted for a connection never served. */
static void
conn_refuse(struct worker *w, const struct worker_conn *wc)
{
	log_limited(&conn_error_rl, LOG_WARNING, NULL,
	    "cannot set up a connection: out of memory");
	persource_del(&w->srv->persource, wc->source);
	__atomic_sub_fetch(&w->srv->nconns, 1, __ATOMIC_SEQ_CST);
	server_wake(w->srv);
}

void
conn_accept(struct worker *w, const struct worker_conn *wc)
{
	const struct config *conf = w->srv->conf;
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->bev = bufferevent_socket_new(w->base, wc->fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto fail;
	c->w = w;
	c->listener = wc->listener;
	c->source = wc->source;
	c->id = wc->id;
	c->start_us = clock_monotonic_us();
	if (wc->sa.ss_family != AF_UNIX)
		addr_format((const struct sockaddr *)&wc->sa, wc->salen,
		    c->peer, sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "%.*s",
		    (int)sizeof(c->peer) - 1, wc->listener->name);

	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	/* The write callback runs once the echo drains to the low watermark. */
	bufferevent_setwatermark(c->bev, EV_WRITE, conf->low_watermark, 0);
	conn_set_idle_timeout(c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		goto fail;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	if (w->draining)
		conn_drain(c);
	log_debug("conn %llu from %s on %s", (unsigned long long)c->id,
	    c->peer, wc->listener->name);
	return;
fail:
	if (c != NULL && c->bev != NULL)
		bufferevent_free(c->bev);	/* it owns the descriptor */
	else
		close(wc->fd);
	free(c);
	conn_refuse(w, wc);
}

/* Moves, never copies, what was read to the output. */
static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n = evbuffer_get_length(in);

	if (c->lingering) {
		evbuffer_drain(in, n);
		return;
	}
	c->bytes_in += n;
	STAT_ADD(c->w->stats.bytes_in, n);
	evbuffer_add_buffer(out, in);
	/*
	 * Stop reading rather than rely on a read watermark, which libevent
	 * keeps polling for (libevent issue 891): a stalled client costs no CPU.
	 */
	if (evbuffer_get_length(out) >= c->w->srv->conf->high_watermark) {
		bufferevent_disable(bev, EV_READ);
		c->read_paused = 1;
	}
}

static void
conn_half_close(struct conn *c)
{
	struct timeval tv = conn_tv(CONN_LINGER_MS);

	/*
	 * Send our FIN but keep reading: closing with unread input would send a
	 * reset, and a reset makes the client's kernel drop echoes in flight.
	 */
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->lingering = 1;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_output(bev));

	if (pending > 0) {
		/* Drained to the low watermark: read again. */
		if (c->read_paused && !c->draining && !c->peer_eof) {
			c->read_paused = 0;
			bufferevent_enable(bev, EV_READ);
		}
		return;
	}
	if (c->peer_eof)
		conn_close(c, "eof");
	else if (c->draining && !c->lingering)
		conn_half_close(c);
	else if (c->read_paused) {
		c->read_paused = 0;
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
	if (c->draining)
		return;
	c->draining = 1;
	if (!c->lingering)
		conn_flush(c);
}

static void
conn_timeout(struct conn *c, short what)
{
	if (c->lingering) {
		conn_close(c, c->draining ? "shutdown" : "linger timeout");
		return;
	}
	if (what & BEV_EVENT_WRITING) {
		conn_close(c, "write timeout (client not reading)");
		return;
	}
	/* Reads idle, but the echo is still flowing out: not idle. */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 &&
	    !c->peer_eof && !c->draining) {
		bufferevent_enable(c->bev, EV_READ);
		return;
	}
	conn_close(c, "idle timeout");
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		conn_timeout(c, what);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (c->lingering) {
			conn_close(c, "shutdown");
			return;
		}
		c->peer_eof = 1;
		conn_flush(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (err == ECONNRESET || err == EPIPE) {
			conn_close(c, "reset by peer");
			return;
		}
		log_limited(&conn_error_rl, LOG_WARNING, NULL,
		    "conn %llu from %s: %s", (unsigned long long)c->id,
		    c->peer, strerror(err));
		conn_close(c, "error");
	}
}

/* One line per connection, with fields the journal can filter on. */
static void
conn_log_close(const struct conn *c, const char *reason, uint64_t out)
{
	uint64_t us = clock_monotonic_us() - c->start_us;
	char f_id[40], f_peer[80], f_listener[ADDR_TEXT_MAX + 20];
	char f_in[48], f_out[48], f_dur[48], f_reason[64], dur[32];
	const char *const fields[] = { f_id, f_peer, f_listener, f_in, f_out,
	    f_dur, f_reason, NULL };

	snprintf(f_id, sizeof(f_id), "ECHOD_CONN_ID=%llu",
	    (unsigned long long)c->id);
	snprintf(f_peer, sizeof(f_peer), "ECHOD_PEER=%s", c->peer);
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
	    "conn %llu from %s closed (%s): %llu bytes in, %llu out, %s",
	    (unsigned long long)c->id, c->peer, reason,
	    (unsigned long long)c->bytes_in, (unsigned long long)out,
	    format_duration_us(us, dur, sizeof(dur)));
}

void
conn_close(struct conn *c, const char *reason)
{
	uint64_t pending = evbuffer_get_length(bufferevent_get_output(c->bev));
	uint64_t out = c->bytes_in - pending;

	STAT_ADD(c->w->stats.bytes_out, out);
	if (log_enabled(LOG_INFO))
		conn_log_close(c, reason, out);
	bufferevent_free(c->bev);
	persource_del(&c->w->srv->persource, c->source);
	worker_conn_closed(c->w, c);
	free(c);
}

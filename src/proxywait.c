/* proxywait.c - read a PROXY protocol header, then serve the connection. */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "admit.h"
#include "conn.h"
#include "handoff.h"
#include "log.h"
#include "proxy.h"
#include "proxywait.h"
#include "server.h"
#include "worker.h"

struct proxywait {
	TAILQ_ENTRY(proxywait)	 entry;
	struct worker		*w;
	struct worker_conn	 wc;
	struct event		 ev;
	uint64_t		 deadline_ms;
	/* Only for a header that comes in pieces: what was taken of it. */
	uint8_t			*buf;
	size_t			 have;
};

_Static_assert(PROXY_HEADER_MAX <= HANDOFF_HELD_MAX, "a held header is handed over");

/* One limiter per message, so "suppressed N" counts its own kind. */
static struct log_ratelimit proxy_rl = LOG_RATELIMIT_INIT(10000, 5);

static void proxywait_readable(evutil_socket_t, short, void *);

static void
proxywait_free(struct proxywait *pw)
{
	event_del(&pw->ev);
	TAILQ_REMOVE(&pw->w->proxywaits, pw, entry);
	free(pw->buf);
	free(pw);
}

/*
 * Takes what the client sent (a little, without waiting), so the close
 * is a FIN: unread bytes would make it a reset.
 */
static void
proxywait_discard(int fd)
{
	char sink[4096];
	int i;

	for (i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0;
	    i++)
		;
}

/* A connection not served: close it and give back what admission took. */
static void
proxywait_release(struct worker *w, const struct worker_conn *wc)
{
	proxywait_discard(wc->fd);
	close(wc->fd);
	admit_release(w->admit, wc->source);
}

static void
proxywait_drop(struct proxywait *pw)
{
	proxywait_release(pw->w, &pw->wc);
	proxywait_free(pw);
}

static void
proxywait_refuse(struct proxywait *pw, enum proxy_error err, const char *why)
{
	char lb[ADDR_TEXT_MAX];

	STAT_ADD(pw->w->proxy_errors[err], 1);
	log_limited(&proxy_rl, LOG_WARNING, NULL,
	    "conn %llu from %s: PROXY header %s: %s; closing",
	    (unsigned long long)pw->wc.id, addr_format((struct sockaddr *)
	    &pw->wc.sa, sizeof(pw->wc.sa), lb, sizeof(lb)),
	    proxy_error_name(err),
	    why);
	proxywait_drop(pw);
}

/* The header is consumed: serve the client it names, or the real peer. */
static void
proxywait_serve(struct proxywait *pw, const struct proxy_header *h)
{
	struct worker *w = pw->w;
	struct worker_conn wc = pw->wc;
	struct sockaddr_storage lb = pw->wc.sa;

	if (!h->local)
		memcpy(&wc.sa, &h->src, h->srclen);
	/* --max-per-source counts the real client, known only now. */
	wc.source = NULL;
	if (admit_source(w->admit, (struct sockaddr *)&wc.sa, sizeof(wc.sa),
	    &wc.source) == -1) {
		proxywait_drop(pw);
		return;
	}
	proxywait_free(pw);
	/* LOCAL (the balancer's own health check) is a plain connection. */
	conn_accept_proxied(w, &wc, h->local ? NULL : &lb);
}

/* Header bytes that came without the rest: keep them, wait for more. */
static int
proxywait_keep(struct proxywait *pw, const uint8_t *peeked, size_t n)
{
	if (pw->buf == NULL) {
		if ((pw->buf = malloc(PROXY_HEADER_MAX)) == NULL)
			return -1;
		memcpy(pw->buf, peeked, n);
	}
	/* Peeked, so there: this read takes exactly those bytes. */
	if (recv(pw->wc.fd, pw->buf + pw->have, n, 0) != (ssize_t)n)
		return -1;
	pw->have += n;
	return 0;
}

static void
proxywait_wait(struct proxywait *pw)
{
	uint64_t now = clock_monotonic_ms(), left;
	struct timeval tv;

	left = now < pw->deadline_ms ? pw->deadline_ms - now : 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	event_add(&pw->ev, &tv);
}

/*
 * Peeks at what has come (after what was kept), so that the bytes past
 * the header stay in the socket for the connection to read and echo.
 */
static void
proxywait_read(struct proxywait *pw)
{
	uint8_t peek[PROXY_HEADER_MAX], *data;
	struct proxy_header h;
	enum proxy_error err;
	const char *why;
	ssize_t n;

	data = pw->buf != NULL ? pw->buf : peek;
	n = recv(pw->wc.fd, data + pw->have, PROXY_HEADER_MAX - pw->have,
	    MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		proxywait_wait(pw);
		return;
	}
	if (n <= 0) {
		proxywait_refuse(pw, PROXY_ERR_TRUNCATED, n == 0 ?
		    "closed before a whole header" : strerror(errno));
		return;
	}
	switch (proxy_parse(data, pw->have + (size_t)n, &h, &err, &why)) {
	case PROXY_DONE:
		if (recv(pw->wc.fd, data + pw->have, h.len - pw->have, 0) !=
		    (ssize_t)(h.len - pw->have)) {
			proxywait_refuse(pw, PROXY_ERR_TRUNCATED,
			    "cannot read the header");
			return;
		}
		proxywait_serve(pw, &h);
		return;
	case PROXY_BAD:
		proxywait_refuse(pw, err, why);
		return;
	case PROXY_MORE:
		if (proxywait_keep(pw, data + pw->have, (size_t)n) == -1) {
			proxywait_refuse(pw, PROXY_ERR_TRUNCATED,
			    "cannot keep a partial header");
			return;
		}
		proxywait_wait(pw);
		return;
	}
}

static void
proxywait_readable(evutil_socket_t fd, short what, void *arg)
{
	struct proxywait *pw = arg;

	(void)fd;
	if (what & EV_READ)
		proxywait_read(pw);
	else
		proxywait_refuse(pw, PROXY_ERR_TIMEOUT,
		    "no whole header within 3 seconds");
}

static struct proxywait *
proxywait_new(struct worker *w, const struct worker_conn *wc,
    uint64_t deadline_ms)
{
	struct proxywait *pw;

	if ((pw = calloc(1, sizeof(*pw))) == NULL) {
		proxywait_discard(wc->fd);
		close(wc->fd);
		admit_refuse(w->admit, wc->source, ADMIT_REFUSED_SETUP);
		return NULL;
	}
	pw->w = w;
	pw->wc = *wc;
	pw->deadline_ms = deadline_ms;
	event_assign(&pw->ev, w->base, wc->fd, EV_READ, proxywait_readable, pw);
	TAILQ_INSERT_TAIL(&w->proxywaits, pw, entry);
	return pw;
}

void
proxywait_start(struct worker *w, const struct worker_conn *wc)
{
	struct proxywait *pw;

	pw = proxywait_new(w, wc, clock_monotonic_ms() + PROXYWAIT_DEADLINE_MS);
	/* A balancer sends the header at once: it is likely there already. */
	if (pw != NULL)
		proxywait_read(pw);
}

void
proxywait_adopt(struct worker *w, const struct worker_conn *wc,
    const struct handoff_conn *rec)
{
	struct proxywait *pw;

	if ((pw = proxywait_new(w, wc, rec->window_us / 1000)) == NULL)
		return;
	if (rec->pending_len > 0) {
		if ((pw->buf = malloc(PROXY_HEADER_MAX)) == NULL) {
			proxywait_refuse(pw, PROXY_ERR_TRUNCATED,
			    "cannot keep a partial header");
			return;
		}
		memcpy(pw->buf, rec->pending, rec->pending_len);
		pw->have = rec->pending_len;
	}
	proxywait_read(pw);
}

/* The balancer's address and the socket's family, as conn_save has them. */
static void
proxywait_save_peer(const struct proxywait *pw, struct handoff_conn *rec)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&pw->wc.sa;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&pw->wc.sa;

	rec->lb_family = (uint8_t)pw->wc.sa.ss_family;
	if (rec->lb_family == AF_INET) {
		memcpy(rec->peer_addr, &sin->sin_addr, 4);
		rec->peer_port = sin->sin_port;
	} else if (rec->lb_family == AF_INET6) {
		memcpy(rec->peer_addr, &sin6->sin6_addr, 16);
		rec->peer_port = sin6->sin6_port;
	} else
		rec->lb_family = AF_UNIX;
	rec->peer_family = rec->lb_family == AF_UNIX ? AF_UNSPEC :
	    rec->lb_family;
}

int
proxywait_save(struct worker *w, proxywait_index_fn index, void *arg,
    struct handoff_buf *b, uint32_t *n)
{
	const struct proxywait *pw;
	struct handoff_conn rec;
	uint8_t *p;

	TAILQ_FOREACH(pw, &w->proxywaits, entry) {
		memset(&rec, 0, sizeof(rec));
		rec.fd = pw->wc.fd;
		rec.listener = index(arg, pw->wc.listener);
		rec.id = pw->wc.id;
		rec.bytes_in = pw->have;
		rec.window_us = pw->deadline_ms * 1000;
		rec.flags = HANDOFF_MIDHEADER;
		rec.pending_len = (uint32_t)pw->have;
		proxywait_save_peer(pw, &rec);
		if ((p = handoff_put_conn(b, &rec)) == NULL)
			return -1;
		if (pw->have > 0)
			memcpy(p, pw->buf, pw->have);
		(*n)++;
	}
	return 0;
}

void
proxywait_inheritable(struct worker *w, int on)
{
	const struct proxywait *pw;

	TAILQ_FOREACH(pw, &w->proxywaits, entry)
		(void)fcntl(pw->wc.fd, F_SETFD, on ? 0 : FD_CLOEXEC);
}

void
proxywait_close_all(struct worker *w)
{
	struct proxywait *pw, *next;

	for (pw = TAILQ_FIRST(&w->proxywaits); pw != NULL; pw = next) {
		next = TAILQ_NEXT(pw, entry);
		proxywait_drop(pw);
	}
}

/* worker.c - event loops on threads, fed connections by the main thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "evmem.h"
#include "log.h"
#include "server.h"
#include "worker.h"

enum worker_msg_type {
	WORKER_CONN,
	WORKER_DRAIN,
	WORKER_CLOSE_ALL,
	WORKER_EXIT,
};

/* Written whole to a pipe: smaller than PIPE_BUF, so never interleaved. */
struct worker_msg {
	enum worker_msg_type	type;
	struct worker_conn	conn;
};

static void
worker_drain(struct worker *w)
{
	struct conn *c, *next;

	w->draining = 1;
	/* conn_drain may close c at once, but never another connection. */
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);
	}
}

static void
worker_close(struct worker *w)
{
	struct conn *c;

	w->draining = 1;
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_close(c, "shutdown-timeout");
}

static void
worker_handle(struct worker *w, const struct worker_msg *m)
{
	switch (m->type) {
	case WORKER_CONN:
		conn_accept(w, &m->conn);
		break;
	case WORKER_DRAIN:
		worker_drain(w);
		break;
	case WORKER_CLOSE_ALL:
		worker_close(w);
		break;
	case WORKER_EXIT:
		event_base_loopexit(w->base, NULL);
		break;
	}
}

static void
worker_pipe_read(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_msg msgs[16];
	ssize_t n;
	size_t i;

	(void)what;
	n = read(fd, msgs, sizeof(msgs));
	for (i = 0; n > 0 && i < (size_t)n / sizeof(msgs[0]); i++)
		worker_handle(w, &msgs[i]);
}

/* Worker 0 is the main thread itself: no pipe, a direct call. */
static int
worker_send(struct worker *w, const struct worker_msg *m)
{
	if (w->index == 0) {
		worker_handle(w, m);
		return 0;
	}
	return write(w->pipe_wr, m, sizeof(*m)) == (ssize_t)sizeof(*m) ? 0 : -1;
}

static void
worker_send_all(struct server *srv, enum worker_msg_type type)
{
	struct worker_msg m;
	unsigned i;

	memset(&m, 0, sizeof(m));
	m.type = type;
	for (i = 0; i < srv->nworkers; i++)
		if (worker_send(&srv->workers[i], &m) == -1)
			log_at(LOG_ERR | LOG_ERRNO, NULL,
			    "worker %u: cannot send a message", i);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	evmem_flush();
	return NULL;
}

static int
worker_init(struct server *srv, struct worker *w, unsigned index)
{
	int fds[2];

	w->srv = srv;
	w->index = index;
	TAILQ_INIT(&w->conns);
	w->pipe_rd = w->pipe_wr = -1;
	if (index == 0) {
		w->base = srv->base;
		return 0;
	}
	if ((w->base = event_base_new()) == NULL ||
	    pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	w->pipe_rd = fds[0];
	w->pipe_wr = fds[1];
	/* A worker that falls behind refuses connections, never blocks main. */
	if (evutil_make_socket_nonblocking(w->pipe_wr) == -1 ||
	    evutil_make_socket_nonblocking(w->pipe_rd) == -1)
		return -1;
	w->pipe_ev = event_new(w->base, w->pipe_rd, EV_READ | EV_PERSIST,
	    worker_pipe_read, w);
	if (w->pipe_ev == NULL || event_add(w->pipe_ev, NULL) == -1)
		return -1;
	return 0;
}

int
worker_start_all(struct server *srv, unsigned n)
{
	sigset_t all, old;
	unsigned i;
	int rc = 0;

	srv->workers = calloc(n, sizeof(*srv->workers));
	if (srv->workers == NULL)
		return -1;
	srv->nworkers = n;
	for (i = 0; i < n; i++) {
		if (worker_init(srv, &srv->workers[i], i) == -1) {
			log_at(LOG_ERR | LOG_ERRNO, NULL,
			    "cannot set up event loop %u of %u", i + 1, n);
			return -1;
		}
	}
	/* Signals belong to the main loop: threads start with them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < n && rc == 0; i++) {
		rc = pthread_create(&srv->workers[i].thread, NULL, worker_main,
		    &srv->workers[i]);
		srv->workers[i].started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		log_at(LOG_ERR | LOG_ERRNO, NULL,
		    "cannot start a worker thread");
		return -1;
	}
	return 0;
}

int
worker_dispatch(struct server *srv, const struct worker_conn *wc)
{
	struct worker *w = &srv->workers[srv->next_worker];
	struct worker_msg m;

	srv->next_worker = (srv->next_worker + 1) % srv->nworkers;
	memset(&m, 0, sizeof(m));
	m.type = WORKER_CONN;
	m.conn = *wc;
	if (worker_send(w, &m) == -1) {
		close(wc->fd);
		return -1;
	}
	return 0;
}

void
worker_drain_all(struct server *srv)
{
	worker_send_all(srv, WORKER_DRAIN);
}

void
worker_close_all(struct server *srv)
{
	worker_send_all(srv, WORKER_CLOSE_ALL);
}

void
worker_stop_all(struct server *srv)
{
	struct worker *w;
	struct conn *c;
	unsigned i;

	if (srv->workers == NULL)
		return;
	worker_send_all(srv, WORKER_EXIT);
	for (i = 0; i < srv->nworkers; i++) {
		w = &srv->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		while ((c = TAILQ_FIRST(&w->conns)) != NULL)
			conn_close(c, "exit");
		if (i == 0)
			continue;
		if (w->pipe_ev != NULL)
			event_free(w->pipe_ev);
		if (w->pipe_rd != -1)
			close(w->pipe_rd);
		if (w->pipe_wr != -1)
			close(w->pipe_wr);
		if (w->base != NULL)
			event_base_free(w->base);
	}
	free(srv->workers);
	srv->workers = NULL;
}

void
worker_stats_sum(const struct server *srv, struct worker_stats *sum,
    struct worker_stats *unix_part)
{
	const struct worker_stats *st;
	unsigned i, k;

	memset(sum, 0, sizeof(*sum));
	memset(unix_part, 0, sizeof(*unix_part));
	for (i = 0; i < srv->nworkers; i++) {
		for (k = 0; k < WORKER_STATS_KINDS; k++) {
			st = &srv->workers[i].stats[k];
			sum->bytes_in += STAT_GET(st->bytes_in);
			sum->bytes_out += STAT_GET(st->bytes_out);
		}
		st = &srv->workers[i].stats[WORKER_STATS_UNIX];
		unix_part->bytes_in += STAT_GET(st->bytes_in);
		unix_part->bytes_out += STAT_GET(st->bytes_out);
	}
}

void
worker_conn_closed(struct worker *w, struct conn *c)
{
	struct server *srv = w->srv;

	TAILQ_REMOVE(&w->conns, c, entry);
	__atomic_sub_fetch(&srv->nconns, 1, __ATOMIC_SEQ_CST);
	if (w->draining || __atomic_load_n(&srv->wake_on_close,
	    __ATOMIC_SEQ_CST))
		server_wake(srv);
}

/* worker.c - event loops on threads, fed connections by the main thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "admit.h"
#include "conn.h"
#include "evmem.h"
#include "listener.h"
#include "log.h"
#include "proxywait.h"
#include "server.h"
#include "worker.h"

/* What event_base_new() takes: epoll, and libevent's signal pipe. */
#define WORKER_BASE_FDS		3

/* Control requests: bits, so one can never fail to queue or be lost. */
#define WORKER_DRAIN		0x1
#define WORKER_CLOSE_ALL	0x2
#define WORKER_EXIT		0x4

/* A queued hand-off; nodes are reused, so steady state allocates nothing. */
struct worker_msg {
	struct worker_msg	*next;
	struct worker_conn	 conn;
	worker_call_fn		 fn;	/* set: a call, not a connection */
	void			*arg;
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
	proxywait_close_all(w);
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_close(c, "shutdown-timeout");
}

/* A PROXY listener's client is served once its header is in. */
static void
worker_conn_start(struct worker *w, const struct worker_conn *wc)
{
	if (wc->listener->proxy)
		proxywait_start(w, wc);
	else
		conn_accept(w, wc);
}

/* In order: drain, then close what is left, then leave the loop. */
static void
worker_control(struct worker *w, unsigned ctl)
{
	if (ctl & WORKER_DRAIN)
		worker_drain(w);
	if (ctl & WORKER_CLOSE_ALL)
		worker_close(w);
	if (ctl & WORKER_EXIT)
		event_base_loopexit(w->base, NULL);
}

/* Takes everything queued; the caller gives the nodes back. */
static struct worker_msg *
worker_queue_take(struct worker *w, unsigned *ctl)
{
	struct worker_msg *batch;

	pthread_mutex_lock(&w->q.lock);
	batch = w->q.head;
	w->q.head = NULL;
	w->q.tailp = &w->q.head;
	*ctl = w->q.ctl;
	w->q.ctl = 0;
	pthread_mutex_unlock(&w->q.lock);
	return batch;
}

static void
worker_serve(struct worker *w, struct worker_msg *batch)
{
	struct worker_msg *m, *last = NULL;

	for (m = batch; m != NULL; m = m->next) {
		if (m->fn != NULL)
			m->fn(w, m->arg);
		else
			worker_conn_start(w, &m->conn);
		last = m;
	}
	if (last == NULL)
		return;
	pthread_mutex_lock(&w->q.lock);
	last->next = w->q.free;
	w->q.free = batch;
	pthread_mutex_unlock(&w->q.lock);
}

/*
 * The worker's side of the queue.  The eventfd is read before the queue is
 * taken: a hand-off queued after the take finds the queue empty and writes
 * the eventfd again, so nothing queued is ever left without a wake-up.
 */
static void
worker_queue_read(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_msg *batch;
	uint64_t count;
	unsigned ctl;

	(void)what;
	(void)!read(fd, &count, sizeof(count));	/* EAGAIN: a late wake-up */
	batch = worker_queue_take(w, &ctl);
	/* Connections queued before a control request are served first. */
	worker_serve(w, batch);
	worker_control(w, ctl);
}

/* Wakes the worker after its queue went from empty to non-empty. */
static void
worker_notify(struct worker *w)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, so the worker is already woken. */
	(void)!write(w->q.efd, &one, sizeof(one));
}

/* Worker 0 is the main thread itself: no queue, a direct call. */
static void
worker_send_control(struct worker *w, unsigned ctl)
{
	int was_empty;

	if (w->index == 0) {
		worker_control(w, ctl);
		return;
	}
	pthread_mutex_lock(&w->q.lock);
	was_empty = w->q.head == NULL && w->q.ctl == 0;
	w->q.ctl |= ctl;
	pthread_mutex_unlock(&w->q.lock);
	if (was_empty)
		worker_notify(w);
}

/*
 * Queues a connection, or a call if fn is set, for a worker thread.
 * Worker 0 is the main thread itself: its callers serve it directly.
 */
static int
worker_send_msg(struct worker *w, const struct worker_conn *wc,
    worker_call_fn fn, void *arg)
{
	struct worker_msg *m;
	int was_empty;

	pthread_mutex_lock(&w->q.lock);
	if ((m = w->q.free) != NULL)
		w->q.free = m->next;
	else if ((m = malloc(sizeof(*m))) == NULL) {
		pthread_mutex_unlock(&w->q.lock);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	if (wc != NULL)
		m->conn = *wc;
	m->fn = fn;
	m->arg = arg;
	was_empty = w->q.head == NULL && w->q.ctl == 0;
	*w->q.tailp = m;
	w->q.tailp = &m->next;
	pthread_mutex_unlock(&w->q.lock);
	if (was_empty)
		worker_notify(w);
	return 0;
}

static void
worker_send_all(struct server *srv, unsigned ctl)
{
	struct worker_pool *pool = server_workers(srv);
	unsigned i;

	for (i = 0; i < pool->n; i++)
		worker_send_control(&pool->v[i], ctl);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	evmem_flush();
	return NULL;
}

/*
 * Out of descriptors, libevent exits inside event_base_new() (evsig_init_)
 * instead of failing: check the ones it takes are free first.  Only the
 * main thread runs while loops are made, so none is taken in between.
 */
static int
worker_fds_free(int fd, int n)
{
	int dups[WORKER_BASE_FDS], i, err = 0;

	for (i = 0; i < n; i++)
		if ((dups[i] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			err = errno;
			break;
		}
	while (i-- > 0)
		close(dups[i]);
	errno = err;
	return err == 0 ? 0 : -1;
}

/*
 * Every field is made safe to free first, so a worker whose set-up failed
 * half way is cleaned up like any other.
 */
static int
worker_init(struct server *srv, struct worker *w, unsigned index)
{
	w->srv = srv;
	w->admit = server_admit(srv);
	w->conf = server_conf(srv);
	w->index = index;
	TAILQ_INIT(&w->conns);
	TAILQ_INIT(&w->proxywaits);
	pthread_mutex_init(&w->q.lock, NULL);
	w->q.tailp = &w->q.head;
	w->q.efd = -1;
	if (index == 0) {
		w->base = server_base(srv);
		return 0;
	}
	if ((w->q.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    worker_fds_free(w->q.efd, WORKER_BASE_FDS) == -1 ||
	    (w->base = event_base_new()) == NULL)
		return -1;
	w->q.ev = event_new(w->base, w->q.efd, EV_READ | EV_PERSIST,
	    worker_queue_read, w);
	if (w->q.ev == NULL || event_add(w->q.ev, NULL) == -1)
		return -1;
	return 0;
}

int
worker_start_all(struct server *srv, unsigned n)
{
	struct worker_pool *pool = server_workers(srv);
	sigset_t all, old;
	unsigned i;
	int rc = 0;

	pool->v = calloc(n, sizeof(*pool->v));
	if (pool->v == NULL)
		return -1;
	/* Cleanup covers the workers counted here, and only those. */
	for (i = 0; i < n; i++) {
		pool->n = i + 1;
		if (worker_init(srv, &pool->v[i], i) == -1) {
			log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot set up "
			    "event loop %u of %u", i + 1, n);
			return -1;
		}
	}
	/* Signals belong to the main loop: threads start with them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < n && rc == 0; i++) {
		rc = pthread_create(&pool->v[i].thread, NULL, worker_main,
		    &pool->v[i]);
		pool->v[i].started = rc == 0;
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
	struct worker_pool *pool = server_workers(srv);
	struct worker *w = &pool->v[pool->next];

	pool->next = (pool->next + 1) % pool->n;
	if (w->index == 0)
		worker_conn_start(w, wc);
	else if (worker_send_msg(w, wc, NULL, NULL) == -1) {
		close(wc->fd);
		return -1;
	}
	return 0;
}

int
worker_call(struct worker *w, worker_call_fn fn, void *arg)
{
	if (w->index == 0) {
		fn(w, arg);
		return 0;
	}
	return worker_send_msg(w, NULL, fn, arg);
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

/* A worker whose set-up failed half way is freed like any other. */
static void
worker_free(struct worker *w)
{
	struct worker_msg *m;
	struct conn *c;
	unsigned ctl;

	/* Hand-offs the loop never took are served, to be closed below. */
	worker_serve(w, worker_queue_take(w, &ctl));
	proxywait_close_all(w);
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_close(c, "exit");
	while ((m = w->q.free) != NULL) {
		w->q.free = m->next;
		free(m);
	}
	pthread_mutex_destroy(&w->q.lock);
	if (w->index == 0)
		return;		/* its loop is the main thread's */
	if (w->q.ev != NULL)
		event_free(w->q.ev);
	if (w->q.efd != -1)
		close(w->q.efd);
	if (w->base != NULL)
		event_base_free(w->base);
}

void
worker_stop_all(struct server *srv)
{
	struct worker_pool *pool = server_workers(srv);
	struct worker *w;
	unsigned i;

	if (pool->v == NULL)
		return;
	for (i = 0; i < pool->n; i++) {
		w = &pool->v[i];
		if (w->started) {
			worker_send_control(w, WORKER_EXIT);
			pthread_join(w->thread, NULL);
		}
		worker_free(w);
	}
	free(pool->v);
	pool->v = NULL;
}

void
worker_proxy_sum(const struct server *srv, uint64_t errors[PROXY_ERR_COUNT])
{
	const struct worker_pool *pool = server_workers(srv);
	unsigned i, k;

	memset(errors, 0, PROXY_ERR_COUNT * sizeof(errors[0]));
	for (i = 0; i < pool->n; i++)
		for (k = 0; k < PROXY_ERR_COUNT; k++)
			errors[k] += STAT_GET(pool->v[i].proxy_errors[k]);
}

void
worker_conn_sum(const struct server *srv, uint64_t *paused,
    uint64_t closed[CONN_CLOSE_REASONS])
{
	const struct worker_pool *pool = server_workers(srv);
	unsigned i, k;

	*paused = 0;
	memset(closed, 0, CONN_CLOSE_REASONS * sizeof(closed[0]));
	for (i = 0; i < pool->n; i++) {
		*paused += STAT_GET(pool->v[i].paused);
		for (k = 0; k < CONN_CLOSE_REASONS; k++)
			closed[k] += STAT_GET(pool->v[i].closed[k]);
	}
}

void
worker_stats_sum(const struct server *srv, struct worker_stats *sum,
    struct worker_stats *unix_part)
{
	const struct worker_pool *pool = server_workers(srv);
	const struct worker_stats *st;
	unsigned i, k;

	memset(sum, 0, sizeof(*sum));
	memset(unix_part, 0, sizeof(*unix_part));
	for (i = 0; i < pool->n; i++) {
		for (k = 0; k < WORKER_STATS_KINDS; k++) {
			st = &pool->v[i].stats[k];
			sum->bytes_in += STAT_GET(st->bytes_in);
			sum->bytes_out += STAT_GET(st->bytes_out);
		}
		st = &pool->v[i].stats[WORKER_STATS_UNIX];
		unix_part->bytes_in += STAT_GET(st->bytes_in);
		unix_part->bytes_out += STAT_GET(st->bytes_out);
	}
}

void
worker_conn_closed(struct worker *w, struct conn *c)
{
	TAILQ_REMOVE(&w->conns, c, entry);
	admit_release(w->admit, c->source);
}

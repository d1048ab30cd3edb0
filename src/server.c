/* server.c - the main loop: signals, status, wake-ups and shutdown. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "udp.h"
#include "worker.h"

static const char *const fields_started[] = { MSGID_STARTED, NULL };
static const char *const fields_stopping[] = { MSGID_STOPPING, NULL };
static const char *const fields_stopped[] = { MSGID_STOPPED, NULL };

uint64_t
server_nconns(const struct server *srv)
{
	return __atomic_load_n(&srv->nconns, __ATOMIC_SEQ_CST);
}

void
server_wake(struct server *srv)
{
	/* A full pipe already holds a wake-up: losing this one is fine. */
	(void)!write(srv->wake_pipe[1], "", 1);
}

static void
server_status(char *buf, size_t len, void *arg)
{
	struct server *srv = arg;
	struct worker_stats ws;
	char size[32];

	if (srv->draining) {
		snprintf(buf, len, "draining %llu connections",
		    (unsigned long long)server_nconns(srv));
		return;
	}
	worker_stats_sum(srv, &ws);
	snprintf(buf, len, "%llu connections open, %llu total, %s echoed",
	    (unsigned long long)server_nconns(srv),
	    (unsigned long long)srv->stats.conns_total,
	    format_size(ws.bytes_out, size, sizeof(size)));
}

/* Every connection is gone: leave the loop. */
static void
server_check_drained(struct server *srv)
{
	if (srv->draining && server_nconns(srv) == 0)
		event_base_loopexit(srv->base, NULL);
}

static void
server_woken(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (srv->draining) {
		server_check_drained(srv);
		return;
	}
	/* A descriptor and perhaps a slot are free again. */
	listener_resume(srv, ACCEPT_PAUSED_FDS |
	    (server_nconns(srv) < srv->conf->max_connections ?
	    ACCEPT_PAUSED_LIMIT : 0));
}

static void
server_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warning("shutdown timeout: closing %llu connections that have "
	    "not drained", (unsigned long long)server_nconns(srv));
	worker_close_all(srv);
	server_check_drained(srv);
}

static void
server_shutdown(struct server *srv, int signo)
{
	uint64_t ms = srv->conf->shutdown_timeout_ms;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (srv->draining) {
		log_warning("%s again: exiting without waiting for %llu "
		    "connections", strsignal(signo),
		    (unsigned long long)server_nconns(srv));
		worker_close_all(srv);
		event_base_loopexit(srv->base, NULL);
		return;
	}
	srv->draining = 1;
	/*
	 * Workers hear of the drain through their pipes; a connection that
	 * closes before then must still wake us to check the count.
	 */
	__atomic_store_n(&srv->wake_on_close, 1, __ATOMIC_SEQ_CST);
	log_at(LOG_NOTICE, fields_stopping,
	    "%s: shutting down, %llu connections draining",
	    strsignal(signo), (unsigned long long)server_nconns(srv));
	notify_stopping(ms * 1000);
	srv->accept_paused |= ACCEPT_PAUSED_STOP;
	listener_close_all(srv);
	udp_close_all(srv);
	worker_drain_all(srv);
	evtimer_add(srv->drain_deadline, &tv);
	server_check_drained(srv);
}

static void
server_signal(evutil_socket_t signo, short what, void *arg)
{
	(void)what;
	server_shutdown(arg, (int)signo);
}

/* SIGUSR1: every counter in one line. */
static void
server_log_counters(evutil_socket_t signo, short what, void *arg)
{
	struct server *srv = arg;
	struct worker_stats ws;
	struct udp_stats u;

	(void)signo;
	(void)what;
	worker_stats_sum(srv, &ws);
	udp_stats_sum(srv, &u);
	log_notice("counters: conns_open=%llu conns_total=%llu "
	    "conns_refused_per_source=%llu conns_refused_busy=%llu "
	    "limit_pauses=%llu accept_errors=%llu bytes_in=%llu "
	    "bytes_out=%llu udp_in=%llu udp_out=%llu udp_bytes=%llu "
	    "udp_drop_loop=%llu udp_drop_rate=%llu udp_drop_size=%llu "
	    "udp_drop_send=%llu",
	    (unsigned long long)server_nconns(srv),
	    (unsigned long long)srv->stats.conns_total,
	    (unsigned long long)srv->stats.refused_per_source,
	    (unsigned long long)srv->stats.refused_busy,
	    (unsigned long long)srv->stats.limit_pauses,
	    (unsigned long long)srv->stats.accept_errors,
	    (unsigned long long)ws.bytes_in, (unsigned long long)ws.bytes_out,
	    (unsigned long long)u.in, (unsigned long long)u.out,
	    (unsigned long long)u.bytes, (unsigned long long)u.drop_loop,
	    (unsigned long long)u.drop_rate, (unsigned long long)u.drop_size,
	    (unsigned long long)u.drop_send);
}

static void
server_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_resume(arg, ACCEPT_PAUSED_FDS);
}

static struct event *
server_signal_event(struct server *srv, int signo, event_callback_fn cb)
{
	struct event *ev = evsignal_new(srv->base, signo, cb, srv);

	if (ev != NULL && evsignal_add(ev, NULL) == -1) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

int
server_init(struct server *srv, const struct config *conf)
{
	memset(srv, 0, sizeof(*srv));
	srv->conf = conf;
	srv->wake_pipe[0] = srv->wake_pipe[1] = -1;
	TAILQ_INIT(&srv->listeners);
	TAILQ_INIT(&srv->udp);
	persource_init(&srv->persource, conf->max_per_source);
	if (srclimit_init(&srv->udp_limit, conf->udp_sources, conf->udp_rate,
	    conf->udp_burst) == -1)
		return -1;
	if ((srv->base = event_base_new()) == NULL ||
	    pipe2(srv->wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	srv->wake_ev = event_new(srv->base, srv->wake_pipe[0],
	    EV_READ | EV_PERSIST, server_woken, srv);
	srv->accept_retry = evtimer_new(srv->base, server_accept_retry, srv);
	srv->drain_deadline = evtimer_new(srv->base, server_drain_deadline,
	    srv);
	srv->sig_term = server_signal_event(srv, SIGTERM, server_signal);
	srv->sig_int = server_signal_event(srv, SIGINT, server_signal);
	srv->sig_usr1 = server_signal_event(srv, SIGUSR1, server_log_counters);
	if (srv->wake_ev == NULL || event_add(srv->wake_ev, NULL) == -1 ||
	    srv->accept_retry == NULL || srv->drain_deadline == NULL ||
	    srv->sig_term == NULL || srv->sig_int == NULL ||
	    srv->sig_usr1 == NULL ||
	    notify_init(srv->base, server_status, srv) == -1)
		return -1;
	return worker_start_all(srv, (unsigned)conf->threads);
}

int
server_run(struct server *srv)
{
	struct worker_stats ws;
	struct listener *l;
	size_t n = udp_count(srv);

	TAILQ_FOREACH(l, &srv->listeners, entry)
		n++;
	log_at(LOG_NOTICE, fields_started,
	    "ready: %zu listeners, %u threads, at most %llu connections", n,
	    srv->nworkers, (unsigned long long)srv->conf->max_connections);
	notify_ready();
	if (event_base_dispatch(srv->base) == -1)
		return EX_SOFTWARE;
	worker_stats_sum(srv, &ws);
	log_at(LOG_NOTICE, fields_stopped,
	    "exiting: %llu connections served, %llu bytes echoed",
	    (unsigned long long)srv->stats.conns_total,
	    (unsigned long long)ws.bytes_out);
	return 0;
}

static void
server_event_free(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

void
server_free(struct server *srv)
{
	worker_stop_all(srv);
	listener_free_all(srv);
	udp_free_all(srv);
	notify_free();
	server_event_free(srv->wake_ev);
	server_event_free(srv->accept_retry);
	server_event_free(srv->drain_deadline);
	server_event_free(srv->sig_term);
	server_event_free(srv->sig_int);
	server_event_free(srv->sig_usr1);
	if (srv->wake_pipe[0] != -1)
		close(srv->wake_pipe[0]);
	if (srv->wake_pipe[1] != -1)
		close(srv->wake_pipe[1]);
	if (srv->base != NULL)
		event_base_free(srv->base);
	srclimit_free(&srv->udp_limit);
	persource_free(&srv->persource);
}

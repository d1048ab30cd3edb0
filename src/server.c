/* server.c - the event loop's state, signals and graceful shutdown. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conn.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "udp.h"

static const char *const fields_started[] = { MSGID_STARTED, NULL };
static const char *const fields_stopping[] = { MSGID_STOPPING, NULL };
static const char *const fields_stopped[] = { MSGID_STOPPED, NULL };

static void
server_status(char *buf, size_t len, void *arg)
{
	struct server *srv = arg;
	char size[32];

	if (srv->draining)
		snprintf(buf, len, "draining %llu connections",
		    (unsigned long long)srv->nconns);
	else
		snprintf(buf, len, "%llu connections open, %llu total, %s echoed",
		    (unsigned long long)srv->nconns,
		    (unsigned long long)srv->stats.conns_total,
		    format_size(srv->stats.bytes_in, size, sizeof(size)));
}

static void
server_exit_now(struct server *srv)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_close(c, "shutdown timeout");
	event_base_loopexit(srv->base, NULL);
}

static void
server_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warning("shutdown timeout: closing %llu connections that have "
	    "not drained", (unsigned long long)srv->nconns);
	server_exit_now(srv);
}

static void
server_shutdown(struct server *srv, int signo)
{
	uint64_t ms = srv->conf->shutdown_timeout_ms;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	struct conn *c, *next;

	if (srv->draining) {
		log_warning("%s again: exiting without waiting for %llu "
		    "connections", strsignal(signo),
		    (unsigned long long)srv->nconns);
		server_exit_now(srv);
		return;
	}
	srv->draining = 1;
	log_at(LOG_NOTICE, fields_stopping,
	    "%s: shutting down, %llu connections draining",
	    strsignal(signo), (unsigned long long)srv->nconns);
	notify_stopping(ms * 1000);
	srv->accept_paused |= ACCEPT_PAUSED_STOP;
	listener_close_all(srv);
	udp_close_all(srv);
	/* conn_drain may close c at once, but never another connection. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);
	}
	if (srv->nconns == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	evtimer_add(srv->drain_deadline, &tv);
}

/* SIGUSR1: every counter in one line. */
static void
server_log_counters(evutil_socket_t signo, short what, void *arg)
{
	struct server *srv = arg;
	struct udp_stats u;

	(void)signo;
	(void)what;
	udp_stats_sum(srv, &u);
	log_notice("counters: conns_open=%llu conns_total=%llu "
	    "conns_refused_per_source=%llu limit_pauses=%llu accept_errors=%llu "
	    "bytes_in=%llu bytes_out=%llu udp_in=%llu udp_out=%llu "
	    "udp_bytes=%llu udp_drop_loop=%llu udp_drop_rate=%llu "
	    "udp_drop_size=%llu udp_drop_send=%llu",
	    (unsigned long long)srv->nconns,
	    (unsigned long long)srv->stats.conns_total,
	    (unsigned long long)srv->stats.refused_per_source,
	    (unsigned long long)srv->stats.limit_pauses,
	    (unsigned long long)srv->stats.accept_errors,
	    (unsigned long long)srv->stats.bytes_in,
	    (unsigned long long)srv->stats.bytes_out,
	    (unsigned long long)u.in, (unsigned long long)u.out,
	    (unsigned long long)u.bytes, (unsigned long long)u.drop_loop,
	    (unsigned long long)u.drop_rate, (unsigned long long)u.drop_size,
	    (unsigned long long)u.drop_send);
}

static void
server_signal(evutil_socket_t signo, short what, void *arg)
{
	(void)what;
	server_shutdown(arg, (int)signo);
}

static void
server_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	listener_resume(arg, ACCEPT_PAUSED_FDS);
}

int
server_init(struct server *srv, const struct config *conf)
{
	memset(srv, 0, sizeof(*srv));
	srv->conf = conf;
	TAILQ_INIT(&srv->listeners);
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->udp);
	persource_init(&srv->persource, conf->max_per_source);
	if (srclimit_init(&srv->udp_limit, conf->udp_sources, conf->udp_rate,
	    conf->udp_burst) == -1)
		return -1;
	srv->base = event_base_new();
	if (srv->base == NULL)
		return -1;
	srv->accept_retry = evtimer_new(srv->base, server_accept_retry, srv);
	srv->drain_deadline = evtimer_new(srv->base, server_drain_deadline,
	    srv);
	srv->sig_term = evsignal_new(srv->base, SIGTERM, server_signal, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, server_signal, srv);
	srv->sig_usr1 = evsignal_new(srv->base, SIGUSR1, server_log_counters,
	    srv);
	if (srv->accept_retry == NULL || srv->drain_deadline == NULL ||
	    srv->sig_term == NULL || srv->sig_int == NULL ||
	    srv->sig_usr1 == NULL || evsignal_add(srv->sig_usr1, NULL) == -1 ||
	    evsignal_add(srv->sig_term, NULL) == -1 ||
	    evsignal_add(srv->sig_int, NULL) == -1 ||
	    notify_init(srv->base, server_status, srv) == -1)
		return -1;
	return 0;
}

int
server_run(struct server *srv)
{
	struct listener *l;
	size_t n = udp_count(srv);

	TAILQ_FOREACH(l, &srv->listeners, entry)
		n++;
	log_at(LOG_NOTICE, fields_started,
	    "ready: %zu listeners, at most %llu connections", n,
	    (unsigned long long)srv->conf->max_connections);
	notify_ready();
	if (event_base_dispatch(srv->base) == -1)
		return EXIT_SOFTWARE;
	log_at(LOG_NOTICE, fields_stopped,
	    "exiting: %llu connections served, %llu bytes echoed",
	    (unsigned long long)srv->stats.conns_total,
	    (unsigned long long)srv->stats.bytes_out);
	return 0;
}

void
server_free(struct server *srv)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_close(c, "exit");
	listener_free_all(srv);
	udp_free_all(srv);
	notify_free();
	srclimit_free(&srv->udp_limit);
	persource_free(&srv->persource);
	if (srv->accept_retry != NULL)
		event_free(srv->accept_retry);
	if (srv->drain_deadline != NULL)
		event_free(srv->drain_deadline);
	if (srv->sig_term != NULL)
		event_free(srv->sig_term);
	if (srv->sig_int != NULL)
		event_free(srv->sig_int);
	if (srv->sig_usr1 != NULL)
		event_free(srv->sig_usr1);
	if (srv->base != NULL)
		event_base_free(srv->base);
}

void
server_conn_opened(struct server *srv, struct conn *c)
{
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	srv->stats.conns_total++;
}

void
server_conn_closed(struct server *srv, struct conn *c)
{
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	if (srv->draining) {
		if (srv->nconns == 0)
			event_base_loopexit(srv->base, NULL);
		return;
	}
	/* A descriptor and a slot are free again. */
	listener_resume(srv, ACCEPT_PAUSED_FDS | (srv->nconns <
	    srv->conf->max_connections ? ACCEPT_PAUSED_LIMIT : 0));
}

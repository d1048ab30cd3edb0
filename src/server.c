/* server.c - the main loop: signals, status, wake-ups and shutdown. */
#include "config.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "admit.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "loopfit.h"
#include "notify.h"
#include "reload.h"
#include "server.h"
#include "udp.h"
#include "worker.h"

/* TERM, INT, USR1, HUP, USR2: the signals the main loop handles. */
#define SERVER_NSIGNALS		5

struct server {
	struct event_base	*base;
	const struct config	*conf;
	struct listener_list	 listeners;
	struct udp_list		 udp;
	struct srclimit		 udp_limit;
	struct admit		*admit;
	struct worker_pool	 workers;
	struct event		*drain_deadline;
	int			 signal_fd;	/* signalfd, -1 if none */
	struct event		*signal_ev;
	struct event		*counters_timer;	/* SIGUSR1, paced */
	uint64_t		 counters_last_ms;
};

static const char *const fields_started[] = { MSGID_STARTED, NULL };
static const char *const fields_stopping[] = { MSGID_STOPPING, NULL };
static const char *const fields_stopped[] = { MSGID_STOPPED, NULL };

/* Least time between two SIGUSR1 counter lines: a flood gets a few. */
#define SERVER_COUNTERS_MS	250

/*
 * Lines for signals that change nothing: a flood must not fill the log.
 * One limiter each, so "suppressed N like the next one" is true.
 */
static struct log_ratelimit usr2_rl = LOG_RATELIMIT_INIT(10000, 3);

const struct config *
server_conf(const struct server *srv)
{
	return srv->conf;
}

struct event_base *
server_base(const struct server *srv)
{
	return srv->base;
}

struct admit *
server_admit(const struct server *srv)
{
	return srv->admit;
}

struct srclimit *
server_udp_limit(const struct server *srv)
{
	return (struct srclimit *)&srv->udp_limit;
}

struct listener_list *
server_listeners(const struct server *srv)
{
	return (struct listener_list *)&srv->listeners;
}

struct udp_list *
server_udp(const struct server *srv)
{
	return (struct udp_list *)&srv->udp;
}

struct worker_pool *
server_workers(const struct server *srv)
{
	return (struct worker_pool *)&srv->workers;
}

void
server_counters_sum(const struct server *srv, struct server_counters *c)
{
	struct worker_stats ws, wu;
	const struct listener *l;
	unsigned k;

	memset(c, 0, sizeof(*c));
	worker_stats_sum(srv, &ws, &wu);
	admit_stats(srv->admit, &c->admit);
	c->bytes_in = ws.bytes_in;
	c->bytes_out = ws.bytes_out;
	c->unix_bytes_in = wu.bytes_in;
	c->unix_bytes_out = wu.bytes_out;
	worker_proxy_sum(srv, c->proxy_errors);
	worker_conn_sum(srv, &c->conns_paused, c->closed);
	for (k = 0; k < PROXY_ERR_COUNT; k++)
		c->proxy_refused += c->proxy_errors[k];
	udp_stats_sum(srv, &c->udp);
	TAILQ_FOREACH(l, &srv->listeners, entry) {
		if (l->evl == NULL)
			continue;	/* closed by a reload */
		if (strncmp(l->name, "unix:", 5) == 0)
			c->listeners_unix++;
		else
			c->listeners_tcp++;
	}
	c->listeners_udp = (unsigned)udp_count(srv);
}

/* Bytes echoed over TCP, Unix and UDP. */
static uint64_t
server_echoed(const struct server_counters *c)
{
	return c->bytes_out + c->udp.bytes;
}

static void
server_status(char *buf, size_t len, void *arg)
{
	struct server *srv = arg;
	struct server_counters c;
	char size[32];

	server_counters_sum(srv, &c);
	if (admit_stopping(srv->admit)) {
		snprintf(buf, len, "draining %llu connections",
		    (unsigned long long)c.admit.open);
		return;
	}
	snprintf(buf, len, "%s%s%s%llu connections open, %llu total, %s echoed",
	    reload_failure() ? "reload failed: " : "",
	    reload_failure() ? reload_failure() : "",
	    reload_failure() ? "; " : "",
	    (unsigned long long)c.admit.open,
	    (unsigned long long)c.admit.accepted,
	    format_size(server_echoed(&c), size, sizeof(size)));
}

/* Stopping, and every connection is gone: leave the loop. */
static void
server_drained(void *arg)
{
	struct server *srv = arg;

	event_base_loopexit(srv->base, NULL);
}

static void
server_accepting(void *arg, int on)
{
	listener_accepting(arg, on);
}

static void
server_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warning("shutdown timeout: closing %llu connections that have "
	    "not drained", (unsigned long long)admit_open(srv->admit));
	worker_close_all(srv);
}

static void
server_shutdown(struct server *srv, int signo)
{
	uint64_t ms = srv->conf->shutdown_timeout_ms;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (admit_stopping(srv->admit)) {
		log_warning("%s again: exiting without waiting for %llu "
		    "connections", strsignal(signo),
		    (unsigned long long)admit_open(srv->admit));
		worker_close_all(srv);
		event_base_loopexit(srv->base, NULL);
		return;
	}
	log_at(LOG_NOTICE, fields_stopping,
	    "%s: shutting down, %llu connections draining",
	    strsignal(signo), (unsigned long long)admit_open(srv->admit));
	/*
	 * Stopping first, so that the STATUS= sent with STOPPING=1 already
	 * says "draining"; with nothing open, this leaves the loop once this
	 * callback returns.
	 */
	admit_stop(srv->admit);
	notify_stopping(ms * 1000);
	listener_close_all(srv);
	udp_close_all(srv);
	worker_drain_all(srv);
	evtimer_add(srv->drain_deadline, &tv);
}

static void
server_signal(evutil_socket_t signo, short what, void *arg)
{
	(void)what;
	server_shutdown(arg, (int)signo);
}

/* Every counter in one line. */
static void
server_log_counters(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct server_counters c;

	(void)fd;
	(void)what;
	srv->counters_last_ms = clock_monotonic_ms();
	server_counters_sum(srv, &c);
	log_notice("counters: conns_open=%llu conns_total=%llu "
	    "conns_refused_per_source=%llu conns_refused_source_nomem=%llu "
	    "conns_refused_handoff_nomem=%llu conns_refused_setup_nomem=%llu "
	    "conns_refused_proxy=%llu limit_pauses=%llu accept_errors_fds=%llu "
	    "accept_errors_memory=%llu accept_errors_other=%llu bytes_in=%llu "
	    "bytes_out=%llu udp_in=%llu udp_out=%llu udp_bytes=%llu "
	    "udp_drop_loop=%llu udp_drop_rate=%llu udp_drop_size=%llu "
	    "udp_drop_send=%llu",
	    (unsigned long long)c.admit.open,
	    (unsigned long long)c.admit.accepted,
	    (unsigned long long)c.admit.refused[ADMIT_REFUSED_PER_SOURCE],
	    (unsigned long long)c.admit.refused[ADMIT_REFUSED_SOURCE_NOMEM],
	    (unsigned long long)c.admit.refused[ADMIT_REFUSED_HANDOFF],
	    (unsigned long long)c.admit.refused[ADMIT_REFUSED_SETUP],
	    (unsigned long long)c.proxy_refused,
	    (unsigned long long)c.admit.limit_pauses,
	    (unsigned long long)c.admit.accept_errors[ADMIT_ACCEPT_FDS],
	    (unsigned long long)c.admit.accept_errors[ADMIT_ACCEPT_MEMORY],
	    (unsigned long long)c.admit.accept_errors[ADMIT_ACCEPT_OTHER],
	    (unsigned long long)c.bytes_in, (unsigned long long)c.bytes_out,
	    (unsigned long long)c.udp.in, (unsigned long long)c.udp.out,
	    (unsigned long long)c.udp.bytes,
	    (unsigned long long)c.udp.drop_loop,
	    (unsigned long long)c.udp.drop_rate,
	    (unsigned long long)c.udp.drop_size,
	    (unsigned long long)c.udp.drop_send);
}

/*
 * SIGUSR1.  Signals that come faster than SERVER_COUNTERS_MS share one
 * line, written when the interval ends: none goes unanswered, and a flood
 * costs a few lines a second.
 */
static void
server_counters_signal(evutil_socket_t signo, short what, void *arg)
{
	struct server *srv = arg;
	uint64_t since = clock_monotonic_ms() - srv->counters_last_ms;
	struct timeval tv;

	(void)signo;
	(void)what;
	if (evtimer_pending(srv->counters_timer, NULL))
		return;
	if (srv->counters_last_ms == 0 || since >= SERVER_COUNTERS_MS) {
		server_log_counters(-1, 0, srv);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(SERVER_COUNTERS_MS - since) * 1000;
	evtimer_add(srv->counters_timer, &tv);
}

/* SIGHUP: reload (reload.c); it never kills echod. */
static void
server_hangup(evutil_socket_t signo, short what, void *arg)
{
	(void)signo;
	(void)what;
	reload_start(arg);
}

/* SIGUSR2 means nothing to echod, but by default it would kill it. */
static void
server_ignore(evutil_socket_t signo, short what, void *arg)
{
	(void)signo;
	(void)what;
	(void)arg;
	log_limited(&usr2_rl, LOG_NOTICE, NULL, "SIGUSR2: ignored");
}

static const struct {
	int			signo;
	event_callback_fn	cb;
} server_signals[SERVER_NSIGNALS] = {
	{ SIGTERM,	server_signal },
	{ SIGINT,	server_signal },
	{ SIGUSR1,	server_counters_signal },
	{ SIGHUP,	server_hangup },
	{ SIGUSR2,	server_ignore },
};

/*
 * Signals are taken from a signalfd, one per turn of the loop.  Until it
 * is handled a signal stays pending in the kernel: one that comes during a
 * reload survives the execve and reaches whichever image serves next.
 */
static void
server_signal_read(evutil_socket_t fd, short what, void *arg)
{
	struct signalfd_siginfo si;
	size_t i;

	(void)what;
	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	for (i = 0; i < SERVER_NSIGNALS; i++)
		if (server_signals[i].signo == (int)si.ssi_signo)
			server_signals[i].cb((evutil_socket_t)si.ssi_signo,
			    EV_SIGNAL, arg);
}

static int
server_signals_add(struct server *srv)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < SERVER_NSIGNALS; i++)
		sigaddset(&set, server_signals[i].signo);
	/* Blocked here, so in the workers started later too. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (srv->signal_fd = signalfd(-1, &set, SFD_NONBLOCK |
	    SFD_CLOEXEC)) == -1)
		return -1;
	srv->signal_ev = event_new(srv->base, srv->signal_fd,
	    EV_READ | EV_PERSIST, server_signal_read, srv);
	if (srv->signal_ev == NULL || event_add(srv->signal_ev, NULL) == -1)
		return -1;
	return 0;
}

static int
server_init(struct server *srv, const struct config *conf)
{
	char why[256];

	srv->conf = conf;
	srv->signal_fd = -1;
	TAILQ_INIT(&srv->listeners);
	TAILQ_INIT(&srv->udp);
	if (loopfit_check(conf->threads, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return -1;
	}
	if (srclimit_init(&srv->udp_limit, conf->udp_sources, conf->udp_rate,
	    conf->udp_burst) == -1) {
		log_err("cannot allocate the UDP rate table (--udp-sources)");
		return -1;
	}
	if ((srv->base = event_base_new()) == NULL) {
		log_at(LOG_ERR | LOG_ERRNO, NULL,
		    "cannot set up the main event loop");
		return -1;
	}
	srv->admit = admit_new(srv->base, conf->max_connections,
	    conf->max_per_source, server_accepting, server_drained, srv);
	if (srv->admit == NULL)
		return -1;
	srv->drain_deadline = evtimer_new(srv->base, server_drain_deadline,
	    srv);
	srv->counters_timer = evtimer_new(srv->base, server_log_counters, srv);
	if (srv->drain_deadline == NULL ||
	    srv->counters_timer == NULL || server_signals_add(srv) == -1 ||
	    notify_init(srv->base, server_status, srv) == -1) {
		log_at(LOG_ERR | LOG_ERRNO, NULL,
		    "cannot set up the main loop's events");
		return -1;
	}
	return worker_start_all(srv, (unsigned)conf->threads);
}

struct server *
server_new(const struct config *conf)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		log_err("cannot set up the server: out of memory");
		return NULL;
	}
	if (server_init(srv, conf) == -1) {
		server_free(srv);
		return NULL;
	}
	return srv;
}

int
server_run(struct server *srv)
{
	struct server_counters c;
	struct listener *l;
	size_t n = udp_count(srv);

	TAILQ_FOREACH(l, &srv->listeners, entry)
		n += l->evl != NULL;
	admit_derive_limit(srv->admit);
	log_at(LOG_NOTICE, fields_started,
	    "ready: %zu listeners, %u threads, at most %llu connections", n,
	    srv->workers.n, (unsigned long long)admit_limit(srv->admit));
	notify_ready();
	if (event_base_dispatch(srv->base) == -1) {
		log_err("the main event loop failed");
		return -1;
	}
	server_counters_sum(srv, &c);
	log_at(LOG_NOTICE, fields_stopped,
	    "exiting: %llu connections served, %llu bytes echoed",
	    (unsigned long long)c.admit.accepted,
	    (unsigned long long)server_echoed(&c));
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
	if (srv == NULL)
		return;
	worker_stop_all(srv);
	listener_free_all(srv);
	udp_free_all(srv);
	notify_free();
	server_event_free(srv->drain_deadline);
	server_event_free(srv->counters_timer);
	server_event_free(srv->signal_ev);
	if (srv->signal_fd != -1)
		close(srv->signal_fd);
	/* Admission's timer and wake-up event live on the base. */
	admit_free(srv->admit);
	if (srv->base != NULL)
		event_base_free(srv->base);
	srclimit_free(&srv->udp_limit);
	free(srv);
}

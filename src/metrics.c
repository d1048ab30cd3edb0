/* metrics.c - GET /metrics on evhttp: echod's counters for Prometheus. */
#include "config.h"

#include <sys/queue.h>	/* before keyvalq_struct.h, which undefines TAILQ_* */
#include <sys/stat.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "server.h"

/* Scrapes served at once; the next wait in the listen queue. */
#define METRICS_MAX_CONNS	8
#define METRICS_BACKLOG		16
/* A request line and headers; Prometheus sends a few hundred bytes. */
#define METRICS_MAX_HEADERS	8192
#define METRICS_MAX_BODY	1024
/* Idle reads or writes (evhttp's own timeout), and a whole request. */
#define METRICS_IO_TIMEOUT_S	5
#define METRICS_DEADLINE_MS	10000
/* How soon a closed scrape's descriptor is released, a slot freed. */
#define METRICS_SWEEP_MS	250

/* Scrape connections, each held by evhttp and by one reference of ours. */
struct metrics_conn {
	struct bufferevent	*bev;
	uint64_t		 since_ms;	/* connected, or last request */
};

struct metrics_sock {
	struct evconnlistener	*evl;	/* evhttp frees it */
	struct metrics_handed	 h;	/* what a reload hands over */
};

struct metrics {
	struct event_base	*base;
	const struct server	*srv;
	struct evhttp		*http;
	struct metrics_sock	 socks[16];
	size_t			 nsocks;
	struct metrics_conn	 conns[METRICS_MAX_CONNS];
	unsigned		 nconns;
	struct event		*sweep;		/* while nconns > 0 */
	double			 start_time;	/* process_start_time_seconds */
};

static void
metrics_listen(struct metrics *m, int on)
{
	size_t i;

	for (i = 0; i < m->nsocks; i++)
		if (on)
			evconnlistener_enable(m->socks[i].evl);
		else
			evconnlistener_disable(m->socks[i].evl);
}

static void
metrics_sweep_arm(struct metrics *m)
{
	struct timeval tv = { METRICS_SWEEP_MS / 1000,
	    (METRICS_SWEEP_MS % 1000) * 1000 };

	if (!evtimer_pending(m->sweep, NULL))
		evtimer_add(m->sweep, &tv);
}

/*
 * evhttp (libevent 2.1) neither limits connections nor says when one
 * ends; bufferevent_free() clears the callbacks and drops evhttp's
 * reference, and ours keeps the bufferevent (and its descriptor, already
 * shut down for writing) until this sweep sees that and lets it go.  A
 * connection past its deadline (evhttp's timeout re-arms on every byte,
 * so a trickle would hold a slot) gets a timeout, and evhttp closes it.
 */
static void
metrics_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	struct metrics_conn *mc;
	bufferevent_event_cb eventcb;
	uint64_t now = clock_monotonic_ms();
	unsigned i = 0;

	(void)fd;
	(void)what;
	while (i < m->nconns) {
		mc = &m->conns[i];
		bufferevent_getcb(mc->bev, NULL, NULL, &eventcb, NULL);
		if (eventcb == NULL) {
			bufferevent_decref(mc->bev);
			*mc = m->conns[--m->nconns];
			continue;
		}
		if (now - mc->since_ms >= METRICS_DEADLINE_MS)
			bufferevent_trigger_event(mc->bev, BEV_EVENT_READING |
			    BEV_EVENT_TIMEOUT, 0);
		i++;
	}
	if (m->nconns < METRICS_MAX_CONNS)
		metrics_listen(m, 1);
	if (m->nconns > 0)
		metrics_sweep_arm(m);
}

/* evhttp asks for each new connection's bufferevent: count it. */
static struct bufferevent *
metrics_bevcb(struct event_base *base, void *arg)
{
	struct metrics *m = arg;
	struct bufferevent *bev;

	/* Without one, evhttp makes its own: served, just not counted. */
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	/* evhttp reads on while it answers: pipelined input must wait. */
	bufferevent_setwatermark(bev, EV_READ, 0,
	    METRICS_MAX_HEADERS + METRICS_MAX_BODY);
	bufferevent_incref(bev);
	m->conns[m->nconns].bev = bev;
	m->conns[m->nconns].since_ms = clock_monotonic_ms();
	if (++m->nconns == METRICS_MAX_CONNS)
		metrics_listen(m, 0);
	metrics_sweep_arm(m);
	return bev;
}

static void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

static void
metrics_value(struct evbuffer *b, const char *name, const char *labels,
    uint64_t v)
{
	evbuffer_add_printf(b, "%s%s %llu\n", name, labels,
	    (unsigned long long)v);
}

/* A counter family with one sample per label set. */
static void
metrics_counter(struct evbuffer *b, const char *name, const char *help,
    const char *const *labels, const uint64_t *v, size_t n)
{
	size_t i;

	metrics_family(b, name, "counter", help);
	for (i = 0; i < n; i++)
		metrics_value(b, name, labels[i], v[i]);
}

static void
metrics_gauge(struct evbuffer *b, const char *name, const char *help,
    uint64_t v)
{
	metrics_family(b, name, "gauge", help);
	metrics_value(b, name, "", v);
}

static const char *const metrics_by_proto[] = {
	"{protocol=\"tcp\"}", "{protocol=\"unix\"}", "{protocol=\"udp\"}",
};

static void
metrics_bytes(struct evbuffer *b, const struct server_counters *c)
{
	const uint64_t in[] = { c->bytes_in - c->unix_bytes_in,
	    c->unix_bytes_in, c->udp.bytes_in };
	const uint64_t out[] = { c->bytes_out - c->unix_bytes_out,
	    c->unix_bytes_out, c->udp.bytes };

	metrics_counter(b, "echod_bytes_received_total",
	    "Bytes read from clients.", metrics_by_proto, in, 3);
	metrics_counter(b, "echod_bytes_echoed_total",
	    "Bytes echoed back to clients.", metrics_by_proto, out, 3);
}

static void
metrics_closed(struct evbuffer *b, const struct server_counters *c)
{
	char labels[CONN_CLOSE_REASONS][40];
	const char *lp[CONN_CLOSE_REASONS];
	unsigned i;

	for (i = 0; i < CONN_CLOSE_REASONS; i++) {
		snprintf(labels[i], sizeof(labels[i]), "{reason=\"%s\"}",
		    conn_close_reasons[i]);
		lp[i] = labels[i];
	}
	metrics_counter(b, "echod_connections_closed_total",
	    "Connections closed after being served, by reason.", lp,
	    c->closed, CONN_CLOSE_REASONS);
}

static void
metrics_connections(struct evbuffer *b, const struct server_counters *c)
{
	static const char *const refused[] = {
		"{reason=\"per_source\"}", "{reason=\"source_nomem\"}",
		"{reason=\"handoff_nomem\"}", "{reason=\"setup_nomem\"}",
		"{reason=\"proxy_header\"}",
	};
	static const char *const accept_errors[] = {
		"{reason=\"descriptors\"}", "{reason=\"memory\"}",
		"{reason=\"other\"}",
	};
	const struct admit_stats *a = &c->admit;
	const uint64_t rv[] = { a->refused[ADMIT_REFUSED_PER_SOURCE],
	    a->refused[ADMIT_REFUSED_SOURCE_NOMEM],
	    a->refused[ADMIT_REFUSED_HANDOFF], a->refused[ADMIT_REFUSED_SETUP],
	    c->proxy_refused };
	static const char *const none[] = { "" };

	metrics_gauge(b, "echod_connections_open",
	    "TCP and Unix connections open now.", a->open);
	metrics_gauge(b, "echod_connections_paused",
	    "Connections not read now: their echo is over --high-watermark.",
	    c->conns_paused);
	metrics_closed(b, c);
	metrics_counter(b, "echod_connections_accepted_total",
	    "Connections accepted.", none, &a->accepted, 1);
	metrics_counter(b, "echod_connections_refused_total",
	    "Connections closed unserved, by reason.", refused, rv, 5);
	metrics_counter(b, "echod_accept_limit_pauses_total",
	    "Times accepting paused at --max-connections.", none,
	    &a->limit_pauses, 1);
	metrics_counter(b, "echod_accept_errors_total",
	    "Failed accept calls, by reason.", accept_errors,
	    a->accept_errors, ADMIT_ACCEPT_COUNT);
}

static void
metrics_proxy(struct evbuffer *b, const struct server_counters *c)
{
	static const char *const reasons[] = {
		"{reason=\"missing\"}", "{reason=\"malformed\"}",
		"{reason=\"oversized\"}", "{reason=\"timeout\"}",
		"{reason=\"truncated\"}",
	};

	metrics_counter(b, "echod_proxy_header_errors_total",
	    "PROXY protocol headers refused, by reason.", reasons,
	    c->proxy_errors, 5);
}

static void
metrics_udp(struct evbuffer *b, const struct server_counters *c)
{
	static const char *const none[] = { "" };
	static const char *const drops[] = {
		"{reason=\"loop\"}", "{reason=\"rate\"}", "{reason=\"size\"}",
		"{reason=\"send\"}",
	};
	const uint64_t in[] = { c->udp.in }, out[] = { c->udp.out };
	const uint64_t dv[] = { c->udp.drop_loop, c->udp.drop_rate,
	    c->udp.drop_size, c->udp.drop_send };

	metrics_counter(b, "echod_udp_datagrams_received_total",
	    "UDP datagrams received.", none, in, 1);
	metrics_counter(b, "echod_udp_datagrams_echoed_total",
	    "UDP datagrams echoed.", none, out, 1);
	metrics_counter(b, "echod_udp_datagrams_dropped_total",
	    "UDP datagrams not echoed, by reason.", drops, dv, 4);
}

static void
metrics_process(struct evbuffer *b, const struct metrics *m,
    const struct server_counters *c)
{
	static const char *const none[] = { "" };
	const uint64_t reloads = reload_count();

	metrics_family(b, "echod_listeners", "gauge",
	    "Listening sockets, by protocol.");
	metrics_value(b, "echod_listeners", metrics_by_proto[0],
	    c->listeners_tcp);
	metrics_value(b, "echod_listeners", metrics_by_proto[1],
	    c->listeners_unix);
	metrics_value(b, "echod_listeners", metrics_by_proto[2],
	    c->listeners_udp);
	metrics_counter(b, "echod_reloads_total",
	    "Reloads (SIGHUP) this process has been through.", none, &reloads,
	    1);
	metrics_family(b, "echod_build_info", "gauge",
	    "Always 1; the version is in the label.");
	evbuffer_add_printf(b, "echod_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	metrics_family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch, in seconds.");
	evbuffer_add_printf(b, "process_start_time_seconds %.3f\n",
	    m->start_time);
}

static void
metrics_reply(struct evhttp_request *req, struct metrics *m)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	struct server_counters c;

	server_counters_sum(m->srv, &c);
	metrics_bytes(b, &c);
	metrics_connections(b, &c);
	metrics_proxy(b, &c);
	metrics_udp(b, &c);
	metrics_process(b, m, &c);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* A request is in: the connection gets a fresh deadline for the next. */
static void
metrics_rearm(struct metrics *m, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	unsigned i;

	if (evcon == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(evcon);
	for (i = 0; i < m->nconns; i++)
		if (m->conns[i].bev == bev)
			m->conns[i].since_ms = clock_monotonic_ms();
}

/* Not evhttp_send_error: it drops the headers set, and Allow with them. */
static void
metrics_refuse(struct evhttp_request *req, int code, const char *reason)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req),
	    "%d %s: echod serves GET /metrics only\n", code, reason);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	metrics_rearm(m, req);
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		metrics_refuse(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		metrics_refuse(req, 405, "Method Not Allowed");
		return;
	}
	metrics_reply(req, m);
}

static int
metrics_fail(const struct addr_spec *spec, const char *what, int err)
{
	char text[ADDR_TEXT_MAX];

	addr_spec_format(spec, text, sizeof(text));
	errno = err;
	log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot listen on %s (--metrics): %s",
	    text, what);
	return EX_OSERR;
}

/*
 * Takes fd, listening, opened from spec (its text in h.spec); evhttp frees
 * the listener with itself.  file: the socket file bound, or NULL.
 */
static int
metrics_add(struct metrics *m, int fd, const char *spec,
    const struct listener_file *file)
{
	struct metrics_sock *ms = &m->socks[m->nsocks];
	struct evconnlistener *evl;

	if (m->nsocks == sizeof(m->socks) / sizeof(m->socks[0])) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	evl = evconnlistener_new(m->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (evl == NULL) {
		close(fd);
		return -1;
	}
	if (evhttp_bind_listener(m->http, evl) == NULL) {
		evconnlistener_free(evl);
		return -1;
	}
	memset(ms, 0, sizeof(*ms));
	ms->evl = evl;
	ms->h.fd = fd;
	snprintf(ms->h.spec, sizeof(ms->h.spec), "%s", spec);
	if (file != NULL)
		ms->h.file = *file;
	m->nsocks++;
	return 0;
}

static void
metrics_log_bound(int fd)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	char name[ADDR_TEXT_MAX];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		log_notice("serving metrics on %s", addr_format(
		    (struct sockaddr *)&ss, len, name, sizeof(name)));
}

static int
metrics_bind(struct metrics *m, const struct addr_spec *spec,
    const struct sockaddr *sa, socklen_t len)
{
	struct listener_file file = { .path = "" };
	char text[ADDR_TEXT_MAX];
	struct stat st;
	int fd, on = 1, v6only = spec->kind != ADDR_ANY;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return metrics_fail(spec, "socket", errno);
	if (sa->sa_family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	if (bind(fd, sa, len) == -1 || listen(fd, METRICS_BACKLOG) == -1) {
		int err = errno;

		close(fd);
		return metrics_fail(spec, "bind", err);
	}
	metrics_log_bound(fd);
	addr_spec_format(spec, text, sizeof(text));
	if (spec->kind == ADDR_UNIX && spec->path[0] != '@' &&
	    stat(spec->path, &st) == 0) {
		snprintf(file.path, sizeof(file.path), "%s", spec->path);
		file.dev = st.st_dev;
		file.ino = st.st_ino;
	}
	if (metrics_add(m, fd, text, file.path[0] ? &file : NULL) == -1)
		return metrics_fail(spec, "listener", errno);
	return 0;
}

static int
metrics_open_spec(struct metrics *m, const struct addr_spec *spec)
{
	struct addrinfo *res, *ai;
	struct sockaddr_un sun;
	char why[256], text[ADDR_TEXT_MAX];
	socklen_t len;
	int rc = 0;

	if (spec->proxy || spec->proto == ADDR_UDP) {
		log_err("cannot serve metrics on %s: plain TCP or unix: only",
		    addr_spec_format(spec, text, sizeof(text)));
		return EX_USAGE;
	}
	if (spec->kind == ADDR_UNIX) {
		len = addr_unix_sockaddr(spec, &sun);
		/* A dead echod's file, or this image's before a reload. */
		if (listener_unix_stale(spec, &sun, len) == -1)
			return metrics_fail(spec, "bind", errno);
		return metrics_bind(m, spec, (struct sockaddr *)&sun, len);
	}
	if (addr_resolve(spec, 1, &res, why, sizeof(why)) == -1) {
		log_err("cannot listen on %s (--metrics): %s",
		    addr_spec_format(spec, text, sizeof(text)), why);
		return EX_USAGE;
	}
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next)
		rc = metrics_bind(m, spec, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return rc;
}

/* Seconds since boot when the kernel says: /proc/stat's btime line. */
static long long
metrics_boot_time(void)
{
	char line[256], *end;
	long long btime = -1;
	FILE *f = fopen("/proc/stat", "re");

	if (f == NULL)
		return -1;
	while (btime == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "btime ", 6) != 0)
			continue;
		btime = strtoll(line + 6, &end, 10);
		if (end == line + 6)
			btime = -1;
	}
	(void)fclose(f);
	return btime;
}

/*
 * When the process started, as the kernel counts it (field 22 of
 * /proc/self/stat, after the command name in parentheses): a reload
 * re-executes echod in the same process, and the time stays.  Now, if the
 * kernel cannot say.
 */
static double
metrics_start_time(void)
{
	char buf[1024], *p, *end;
	unsigned long long ticks;
	long long btime = metrics_boot_time();
	long hz = sysconf(_SC_CLK_TCK);
	struct timeval now;
	size_t n = 0;
	FILE *f;
	int i;

	if (btime > 0 && hz > 0 && (f = fopen("/proc/self/stat", "re")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		(void)fclose(f);
	}
	buf[n] = '\0';
	if (n > 0 && (p = strrchr(buf, ')')) != NULL) {
		/* Fields 3 to 21 come first. */
		for (i = 0; i < 20 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL) {
			ticks = strtoull(p + 1, &end, 10);
			if (end != p + 1)
				return (double)btime + (double)ticks /
				    (double)hz;
		}
	}
	gettimeofday(&now, NULL);
	return (double)now.tv_sec + (double)now.tv_usec / 1e6;
}

static struct metrics *
metrics_new(struct event_base *base, const struct server *srv)
{
	struct metrics *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->base = base;
	m->srv = srv;
	m->start_time = metrics_start_time();
	m->sweep = evtimer_new(base, metrics_sweep, m);
	if (m->sweep == NULL || (m->http = evhttp_new(base)) == NULL) {
		if (m->sweep != NULL)
			event_free(m->sweep);
		free(m);
		return NULL;
	}
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_IO_TIMEOUT_S);
	/* Every method reaches metrics_request, which answers 405. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request, m);
	evhttp_set_bevcb(m->http, metrics_bevcb, m);
	return m;
}

/* Serves the sockets a reload handed over for text; returns how many. */
static size_t
metrics_take_handed(struct metrics *m, const char *text,
    struct metrics_handed *handed, size_t n)
{
	size_t i, taken = 0;

	for (i = 0; i < n; i++) {
		if (handed[i].fd == -1 || strcmp(handed[i].spec, text) != 0)
			continue;
		if (metrics_add(m, handed[i].fd, text, handed[i].file.path[0] ?
		    &handed[i].file : NULL) == 0) {
			log_notice("serving metrics on %s (handed over)", text);
			taken++;
		} else
			log_warn("cannot serve metrics on %s any more", text);
		handed[i].fd = -1;
	}
	return taken;
}

/* Those the settings no longer name: closed, their files removed. */
static void
metrics_close_handed(struct metrics_handed *handed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (handed[i].fd == -1)
			continue;
		log_notice("no longer serving metrics on %s", handed[i].spec);
		close(handed[i].fd);
		handed[i].fd = -1;
		listener_unlink(&handed[i].file);
	}
}

/*
 * An address that cannot be served: at start-up the exit status; after a
 * reload took over the connections, never an exit: echod serves on
 * without it.
 */
static int
metrics_open_one(struct metrics *m, const struct addr_spec *spec,
    struct metrics_handed *handed, size_t nhanded, int reloaded)
{
	char text[ADDR_TEXT_MAX];
	int rc;

	addr_spec_format(spec, text, sizeof(text));
	if (metrics_take_handed(m, text, handed, nhanded) > 0 ||
	    (rc = metrics_open_spec(m, spec)) == 0)
		return 0;
	if (!reloaded)
		return rc;
	log_err("reload: serving on without metrics on %s", text);
	reload_note("no metrics on %s", text);
	return 0;
}

int
metrics_open(struct event_base *base, const struct addr_list *addrs,
    const struct server *srv, struct metrics **out)
{
	size_t nhanded = 0, i;
	struct metrics_handed *handed = reload_metrics_handed(&nhanded);
	int reloaded = reload_adopted(), rc = 0;
	struct metrics *m = NULL;

	*out = NULL;
	if (addrs->n > 0 && (m = metrics_new(base, srv)) == NULL) {
		log_err("cannot serve metrics: out of memory%s",
		    reloaded ? "; serving on without them" : "");
		rc = reloaded ? 0 : EX_OSERR;
	}
	for (i = 0; m != NULL && i < addrs->n && rc == 0; i++)
		rc = metrics_open_one(m, &addrs->v[i], handed, nhanded,
		    reloaded);
	metrics_close_handed(handed, nhanded);
	if (rc != 0) {
		metrics_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void
metrics_foreach(const struct metrics *m, metrics_foreach_fn fn, void *arg)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nsocks; i++)
		fn(arg, &m->socks[i].h);
}

void
metrics_free(struct metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	/* Frees the listeners and drops evhttp's references. */
	evhttp_free(m->http);
	for (i = 0; i < m->nconns; i++)
		bufferevent_decref(m->conns[i].bev);
	event_free(m->sweep);
	/* Only the files we bound: another echod may own them now. */
	for (i = 0; i < m->nsocks; i++)
		listener_unlink(&m->socks[i].h.file);
	free(m);
}

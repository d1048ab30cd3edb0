/* listener.c - listening sockets: bind, accept, pause and resume. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "admit.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "udp.h"
#include "worker.h"

static const char *const fields_failed[] = { MSGID_LISTEN_FAILED, NULL };

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct server *srv = l->srv;
	struct worker_conn wc;

	(void)evl;
	memset(&wc, 0, sizeof(wc));
	/* Behind a balancer the source is known after the header (proxywait). */
	wc.id = admit_take(server_admit(srv), sa, (socklen_t)salen,
	    l->proxy ? NULL : &wc.source);
	if (wc.id == 0) {
		close(fd);
		return;
	}
	wc.fd = fd;
	wc.listener = l;
	memcpy(&wc.sa, sa, (size_t)salen);
	if (worker_dispatch(srv, &wc) == -1)
		admit_refuse(server_admit(srv), wc.source, ADMIT_REFUSED_HANDOFF);
}

static void
listener_error(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;

	(void)evl;
	admit_accept_error(server_admit(l->srv), l->name, EVUTIL_SOCKET_ERROR());
}

/*
 * Serves a listening socket.  bound is the socket file echod made, removed
 * on close (NULL for others).  Returns NULL (fd closed) on failure.
 */
static struct listener *
listener_add(struct server *srv, int fd, const char *name,
    const struct listener_file *bound, const char *fdname, int proxy,
    const char *spec)
{
	struct listener *l;

	l = calloc(1, sizeof(*l));
	if (l == NULL)
		goto fail;
	l->srv = srv;
	l->proxy = proxy;
	snprintf(l->name, sizeof(l->name), "%s", name);
	if (spec != NULL)
		snprintf(l->spec, sizeof(l->spec), "%s", spec);
	if (bound != NULL)
		l->file = *bound;
	if (fdname != NULL)
		snprintf(l->fdname, sizeof(l->fdname), "%s", fdname);
	/*
	 * Backlog 0: libevent must not listen() again.  Our sockets listen
	 * with --backlog already; passed ones keep the manager's Backlog=.
	 */
	l->evl = evconnlistener_new(server_base(srv), listener_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->evl == NULL)
		goto fail;
	evconnlistener_set_error_cb(l->evl, listener_error);
	TAILQ_INSERT_TAIL(server_listeners(srv), l, entry);
	if (fdname != NULL)
		log_notice("listening on %s (socket-activated, name %s)%s",
		    name, fdname, proxy ? " for PROXY protocol clients" : "");
	else
		log_notice("listening on %s%s", name,
		    proxy ? " for PROXY protocol clients" : "");
	return l;
fail:
	free(l);
	close(fd);
	return NULL;
}

static const char *
listener_hint(const struct addr_spec *spec, int err)
{
	if (err == EACCES && spec->kind != ADDR_UNIX && spec->port < 1024)
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE;"
		    " choose another with --listen, e.g. --listen localhost:7007)";
	if (err == EADDRINUSE)
		return " (another process is listening there)";
	return "";
}

static int
listener_fail(const struct addr_spec *spec, const char *what, int err)
{
	char text[ADDR_TEXT_MAX];

	addr_spec_format(spec, text, sizeof(text));
	errno = err;
	log_at(LOG_ERR | LOG_ERRNO, fields_failed, "cannot listen on %s: %s%s",
	    text, what, listener_hint(spec, err));
	return EX_OSERR;
}

/*
 * -l X -l X, or an address a wildcard given before already takes: the
 * kernel would say EADDRINUSE, as if another process held it.
 */
static int
listener_taken(struct server *srv, const struct addr_spec *spec,
    const struct sockaddr *sa, socklen_t len)
{
	char text[ADDR_TEXT_MAX], owner[ADDR_TEXT_MAX];
	int dual = spec->kind == ADDR_ANY;
	struct listener *l;

	if (spec->proto == ADDR_UDP) {
		if (!udp_clashes(srv, sa, len, dual, owner, sizeof(owner)))
			return 0;
	} else {
		TAILQ_FOREACH(l, server_listeners(srv), entry)
			if (l->evl != NULL && addr_clashes(
			    evconnlistener_get_fd(l->evl), sa, len, dual))
				break;
		if (l == NULL)
			return 0;
		snprintf(owner, sizeof(owner), "%s", l->name);
	}
	log_at(LOG_ERR, fields_failed, "cannot listen on %s: echod already "
	    "listens on %s", addr_spec_format(spec, text, sizeof(text)),
	    owner);
	return 1;
}

int
listener_unix_stale(const struct addr_spec *spec, const struct sockaddr_un *sun,
    socklen_t len)
{
	struct stat st;
	int fd, rc, err;

	if (spec->path[0] == '@' || lstat(spec->path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, len);
	err = errno;
	close(fd);
	if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
		errno = EADDRINUSE;
		return -1;
	}
	if (err != ECONNREFUSED)
		return 0;
	return unlink(spec->path);
}

/* Remembers the file bind() made, so that close removes only that one. */
static int
listener_unix_file(const struct addr_spec *spec, struct listener_file *f)
{
	struct stat st;

	if (lstat(spec->path, &st) == -1)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s", spec->path);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

static int
listener_open_unix(struct server *srv, const struct addr_spec *spec)
{
	struct sockaddr_un sun;
	socklen_t len = addr_unix_sockaddr(spec, &sun);
	struct listener_file file;
	char name[ADDR_TEXT_MAX];
	const char *step = "bind";
	int fd, made = 0, abstract = spec->path[0] == '@';

	if (listener_taken(srv, spec, (struct sockaddr *)&sun, len))
		return EX_USAGE;
	if (listener_unix_stale(spec, &sun, len) == -1)
		return listener_fail(spec, "existing file", errno);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return listener_fail(spec, "socket", errno);
	if (bind(fd, (struct sockaddr *)&sun, len) == -1)
		goto fail;
	made = !abstract;
	step = "stat";
	if (!abstract && listener_unix_file(spec, &file) == -1)
		goto fail;
	step = "listen";
	if (listen(fd, (int)server_conf(srv)->backlog) == -1)
		goto fail;
	/* Named as the socket is ("listening on ... for PROXY" says the rest). */
	addr_spec_format(spec, name, sizeof(name));
	if (listener_add(srv, fd, spec->proxy ? name + 6 : name,
	    abstract ? NULL : &file, NULL, spec->proxy, name) == NULL)
		return listener_fail(spec, "listener", errno);
	return 0;
fail:
	{
		int err = errno;

		close(fd);
		if (made)
			unlink(spec->path);
		return listener_fail(spec, step, err);
	}
}

static int
listener_open_inet(struct server *srv, const struct addr_spec *spec,
    const struct addrinfo *ai)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char name[ADDR_TEXT_MAX], text[ADDR_TEXT_MAX];
	int fd, on = 1, v6only = spec->kind != ADDR_ANY;
	const char *step = "socket";

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		goto fail;
	step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		goto fail;
	step = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	step = "listen";
	if (listen(fd, (int)server_conf(srv)->backlog) == -1)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		goto fail;
	addr_format((struct sockaddr *)&ss, sslen, name, sizeof(name));
	if (listener_add(srv, fd, name, NULL, NULL, spec->proxy,
	    addr_spec_format(spec, text, sizeof(text))) == NULL)
		return listener_fail(spec, "listener", errno);
	return 0;
fail:
	{
		int err = errno;

		if (fd != -1)
			close(fd);
		return listener_fail(spec, step, err);
	}
}

static int
listener_open_ai(struct server *srv, const struct addr_spec *spec,
    const struct addrinfo *ai)
{
	if (listener_taken(srv, spec, ai->ai_addr, ai->ai_addrlen))
		return EX_USAGE;
	if (spec->proto == ADDR_UDP)
		return udp_open(srv, spec, ai) == -1 ? EX_OSERR : 0;
	return listener_open_inet(srv, spec, ai);
}

static int
listener_open_spec(struct server *srv, const struct addr_spec *spec)
{
	struct addrinfo *res, *ai;
	char why[256], text[ADDR_TEXT_MAX];
	int rc = 0;

	if (spec->kind == ADDR_UNIX)
		return listener_open_unix(srv, spec);
	if (addr_resolve(spec, 1, &res, why, sizeof(why)) == -1) {
		log_err("cannot listen on %s: %s",
		    addr_spec_format(spec, text, sizeof(text)), why);
		return EX_USAGE;
	}
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next)
		rc = listener_open_ai(srv, spec, ai);
	freeaddrinfo(res);
	return rc;
}

/*
 * Serves one socket systemd passed.  It is never shut down or unlinked:
 * closing our copy leaves it queueing connections for the next start.
 */
static int
listener_adopt(struct server *srv, int fd, const char *fdname)
{
	/* Zeroed: clang-analyzer cannot see getsockname fill it. */
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen = sizeof(ss);
	char name[ADDR_TEXT_MAX];

	if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0 &&
	    sd_is_socket_unix(fd, SOCK_DGRAM, -1, NULL, 0) <= 0)
		return udp_adopt(srv, fd, fdname, NULL) == -1 ? EX_OSERR : 0;
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 &&
	    ss.ss_family != AF_UNIX)) {
		log_at(LOG_ERR, fields_failed, "passed socket %d (name %s) is "
		    "not a listening stream socket nor a UDP socket", fd,
		    fdname);
		return EX_CONFIG;
	}
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		log_at(LOG_ERR | LOG_ERRNO, fields_failed,
		    "passed socket %d (name %s)", fd, fdname);
		return EX_OSERR;
	}
	addr_format((struct sockaddr *)&ss, sslen, name, sizeof(name));
	/* FileDescriptorName=proxy... marks a socket behind a balancer. */
	if (listener_add(srv, fd, name, NULL, fdname,
	    strncmp(fdname, "proxy", 5) == 0, NULL) == NULL) {
		log_at(LOG_ERR, fields_failed, "cannot serve passed socket %s: "
		    "out of memory", name);
		return EX_OSERR;
	}
	return 0;
}

static int
listener_adopt_all(struct server *srv, int *count)
{
	char **names = NULL;
	int i, n, rc = 0;

	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		errno = -n;
		log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot read passed sockets");
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = listener_adopt(srv, SD_LISTEN_FDS_START + i,
			    names != NULL ? names[i] : "unknown");
		else
			close(SD_LISTEN_FDS_START + i);
		if (names != NULL)
			free(names[i]);
	}
	free(names);
	*count = n;
	return rc;
}

int
listener_open_all(struct server *srv)
{
	const struct addr_list *list = &server_conf(srv)->listen;
	struct addr_spec any;
	char why[64];
	size_t i;
	int rc, passed;

	if ((rc = listener_adopt_all(srv, &passed)) != 0)
		return rc;
	if (list->n == 0 && passed == 0) {
		addr_parse("*:7", &any, why, sizeof(why));
		return listener_open_spec(srv, &any);
	}
	for (i = 0; i < list->n; i++)
		if ((rc = listener_open_spec(srv, &list->v[i])) != 0)
			return rc;
	return 0;
}

/* A closed listener: only its connections name it. */
static struct listener *
listener_ghost(struct server *srv, const char *name, const char *fdname,
    int proxy, const char *spec)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->srv = srv;
	l->proxy = proxy;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->fdname, sizeof(l->fdname), "%s", fdname);
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	TAILQ_INSERT_TAIL(server_listeners(srv), l, entry);
	return l;
}

struct listener *
listener_take_over(struct server *srv, int fd, const char *name,
    const char *fdname, const struct listener_file *file, int proxy,
    const char *spec)
{
	if (fd == -1)
		return listener_ghost(srv, name, fdname, proxy, spec);
	if (evutil_make_socket_closeonexec(fd) == -1) {
		log_warn("listener %s", name);
		return NULL;
	}
	return listener_add(srv, fd, name, file, fdname[0] ? fdname : NULL,
	    proxy, spec);
}

/* A UDP socket opened from spec, or with spec NULL, one systemd passed. */
struct listener_udp_scan {
	const char	*spec;
	int		 found;
};

static void
listener_udp_scan(void *arg, int fd, const char *name, const char *fdname,
    const char *spec)
{
	struct listener_udp_scan *us = arg;

	(void)fd;
	(void)name;
	if (us->spec == NULL ? fdname[0] != '\0' : strcmp(spec, us->spec) == 0)
		us->found = 1;
}

static int
listener_udp_found(const struct server *srv, const char *spec)
{
	struct listener_udp_scan us = { spec, 0 };

	udp_foreach(srv, listener_udp_scan, &us);
	return us.found;
}

/* The settings' --listen list, or the default *:7 if nothing else serves. */
static void
listener_wanted(const struct server *srv, const struct addr_spec **v,
    size_t *n, struct addr_spec *any)
{
	const struct addr_list *list = &server_conf(srv)->listen;
	const struct listener *l;
	char why[64];

	*v = list->v;
	*n = list->n;
	if (list->n > 0 || listener_udp_found(srv, NULL))
		return;
	TAILQ_FOREACH(l, server_listeners(srv), entry)
		if (l->evl != NULL && l->fdname[0] != '\0')
			return;
	addr_parse("*:7", any, why, sizeof(why));
	*v = any;
	*n = 1;
}

/* Whether the settings name the --listen text spec. */
static int
listener_named(const struct server *srv, const char *spec)
{
	const struct addr_spec *v;
	struct addr_spec any;
	char text[ADDR_TEXT_MAX];
	size_t i, n;

	listener_wanted(srv, &v, &n, &any);
	for (i = 0; i < n; i++)
		if (strcmp(addr_spec_format(&v[i], text, sizeof(text)),
		    spec) == 0)
			return 1;
	return 0;
}

/* Whether a listener opened from spec serves (kept by a reload). */
static int
listener_open_from(const struct server *srv, const char *spec)
{
	const struct listener *l;

	TAILQ_FOREACH(l, server_listeners(srv), entry)
		if (l->evl != NULL && strcmp(l->spec, spec) == 0)
			return 1;
	return listener_udp_found(srv, spec);
}

/* Closes one listener; its struct stays while connections name it. */
static void
listener_close(struct listener *l)
{
	evconnlistener_free(l->evl);
	l->evl = NULL;
	listener_unlink(&l->file);
}

unsigned
listener_apply(struct server *srv)
{
	const struct addr_spec *v;
	struct addr_spec any;
	char text[ADDR_TEXT_MAX];
	struct listener *l;
	unsigned failed = 0;
	size_t i, n;

	/* Removed ones first: an address named anew may take their place. */
	TAILQ_FOREACH(l, server_listeners(srv), entry) {
		if (l->evl == NULL || l->spec[0] == '\0' ||
		    listener_named(srv, l->spec))
			continue;
		log_notice("no longer listening on %s", l->name);
		listener_close(l);
	}
	udp_close_unnamed(srv, listener_named);
	listener_wanted(srv, &v, &n, &any);
	for (i = 0; i < n; i++) {
		addr_spec_format(&v[i], text, sizeof(text));
		if (!listener_open_from(srv, text) &&
		    listener_open_spec(srv, &v[i]) != 0)
			failed++;
	}
	return failed;
}

void
listener_accepting(struct server *srv, int on)
{
	struct listener *l;

	TAILQ_FOREACH(l, server_listeners(srv), entry) {
		if (l->evl == NULL)
			continue;
		if (on)
			evconnlistener_enable(l->evl);
		else
			evconnlistener_disable(l->evl);
	}
}

/*
 * The path may name another server's socket by now (ours was removed and
 * it bound there): remove the file only if it is still the one we made.
 */
void
listener_unlink(const struct listener_file *f)
{
	struct stat st;

	if (f->path[0] == '\0' || lstat(f->path, &st) == -1 ||
	    st.st_dev != f->dev || st.st_ino != f->ino)
		return;
	unlink(f->path);
}

void
listener_close_all(struct server *srv)
{
	struct listener *l;

	TAILQ_FOREACH(l, server_listeners(srv), entry)
		if (l->evl != NULL)
			listener_close(l);
}

void
listener_free_all(struct server *srv)
{
	struct listener *l;

	listener_close_all(srv);
	while ((l = TAILQ_FIRST(server_listeners(srv))) != NULL) {
		TAILQ_REMOVE(server_listeners(srv), l, entry);
		free(l);
	}
}

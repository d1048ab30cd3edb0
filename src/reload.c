/* reload.c - reload by re-exec: check, pause, hand over, exec, adopt. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <systemd/sd-daemon.h>

#include "admit.h"
#include "conffile.h"
#include "conn.h"
#include "handoff.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "options.h"
#include "proxywait.h"
#include "reload.h"
#include "reloadctl.h"
#include "server.h"
#include "udp.h"
#include "worker.h"

extern char **environ;

_Static_assert(HANDOFF_NAME_MAX > ADDR_TEXT_MAX, "a listener name fits");

/* How the new image finds what it is handed: descriptors by number. */
#define ENV_FD		"ECHOD_HANDOFF_FD"
#define ENV_EXE		"ECHOD_HANDOFF_EXE_FD"
#define ENV_BACK	"ECHOD_HANDOFF_GIVEN_BACK"
/* The old image's settings, as echod.conf: what it is given back with. */
#define ENV_CONF	"ECHOD_HANDOFF_CONF_FD"
/* How long the new binary may take to check its settings. */
#define PREFLIGHT_MS	10000
/* Room for --check-config's settings and the hand-off line after them. */
#define RELOAD_PREFLIGHT_OUT	65536
/* Metrics sockets handed over, at most (metrics.c serves as many). */
#define RELOAD_METRICS_MAX	16

static struct {
	char		  path[PATH_MAX];	/* the binary to re-execute */
	char		**argv;
	int		  exe_fd;	/* this image, for a new one to give back */
	char		  next[128];	/* the new binary's version, as checked */
	char		  failure[512];	/* the last reload's, for STATUS= */
	uint64_t	  reloads;
	int		  busy;		/* a reload is under way */
	int		  again;	/* a SIGHUP came meanwhile */
	struct {			/* the pre-flight under way */
		pid_t	  pid;
		int	  fd;		/* its output */
		size_t	  n;
		uint64_t  deadline;	/* ms, monotonic */
		char	  out[RELOAD_PREFLIGHT_OUT];
	} child;
	/* What a previous image handed this one. */
	int		  fd;		/* the hand-off memfd, or -1 */
	int		  prev_exe_fd;	/* the previous image, or -1 */
	int		  conf_fd;	/* the previous image's settings, or -1 */
	int		  given_back;	/* this is that image, given back */
	char		  conf_path[64];	/* /proc/self/fd/conf_fd */
	char		 *own_argv[4];	/* given back: those settings alone */
	char		  back_why[512];
	uint8_t		 *map;
	size_t		  maplen;
	struct handoff	  h;
	int		  adopted;	/* serving what was handed over */
	struct metrics_handed metrics[RELOAD_METRICS_MAX];
	size_t		  nmetrics;	/* for metrics_open to take */
	const struct metrics *serving;	/* this image's, to hand over */
	char		  note[256];	/* what a reload left out, or "" */
} rl = { .exe_fd = -1, .fd = -1, .prev_exe_fd = -1, .conf_fd = -1 };

/*
 * What the workers and the main thread share during a reload.  Workers
 * save (or adopt) their own connections on their own threads; `waiting`
 * counts those not done yet.
 */
struct reload_job {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	unsigned		 waiting;
	int			 resume;	/* the exec failed: serve on */
	int			 busy;		/* a worker could not be asked */
	struct server		*srv;
	struct listener		**lst;		/* open listeners, by index */
	uint32_t		 nlst;
	struct handoff_buf	*bufs;		/* one per worker */
	uint32_t		*nconns;	/* one per worker */
	const struct handoff	*h;		/* adopting */
	struct listener		**lmap;		/* record index -> listener */
	int			 cloexec_done;	/* by one close_range() */
	int			 go;		/* checked: 1 adopt, -1 give back */
	unsigned		 adopting;	/* workers not done adopting */
	char			 bad[256];	/* why a check failed */
};

static int
reload_env_fd(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL)
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 3 || n > INT_MAX ||
	    fcntl((int)n, F_SETFD, FD_CLOEXEC) == -1) {
		log_warning("ignoring %s=%s: not an open descriptor", name, v);
		return -1;
	}
	return (int)n;
}

/*
 * The path as started, made absolute (not resolved: a symlink switched by
 * an upgrade is followed).  /proc/self/exe would name the old inode.
 */
static void
reload_path(const char *argv0)
{
	char cwd[PATH_MAX];
	ssize_t n;

	if (argv0[0] == '/')
		snprintf(rl.path, sizeof(rl.path), "%s", argv0);
	else if (strchr(argv0, '/') != NULL &&
	    getcwd(cwd, sizeof(cwd)) != NULL &&
	    snprintf(rl.path, sizeof(rl.path), "%s/%s", cwd, argv0) <
	    (int)sizeof(rl.path))
		return;
	else if ((n = readlink("/proc/self/exe", rl.path,
	    sizeof(rl.path) - 1)) > 0)
		rl.path[n] = '\0';
}

void
reload_init(int argc, char **argv)
{
	const char *back;


	if (argc < 1 || argv[0] == NULL)
		return;
	rl.argv = argv;
	reload_path(argv[0]);
	rl.exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	rl.fd = reload_env_fd(ENV_FD);
	rl.prev_exe_fd = reload_env_fd(ENV_EXE);
	rl.conf_fd = reload_env_fd(ENV_CONF);
	if ((back = getenv(ENV_BACK)) != NULL) {
		rl.given_back = 1;
		snprintf(rl.back_why, sizeof(rl.back_why), "%s", back);
	}
	/* Not for children: the next reload's pre-flight. */
	unsetenv(ENV_FD);
	unsetenv(ENV_EXE);
	unsetenv(ENV_BACK);
	unsetenv(ENV_CONF);
}

void
reload_own_args(int *argc, char ***argv)
{
	if (!rl.given_back || rl.conf_fd == -1)
		return;
	snprintf(rl.conf_path, sizeof(rl.conf_path), "/proc/self/fd/%d",
	    rl.conf_fd);
	rl.own_argv[0] = rl.argv[0];
	rl.own_argv[1] = (char *)"--config";
	rl.own_argv[2] = rl.conf_path;
	rl.own_argv[3] = NULL;
	*argc = 3;
	*argv = rl.own_argv;
}

int
reload_inherited(void)
{
	return rl.fd != -1;
}

/* environ and extra, NULL-terminated; the strings are not copied. */
static char **
reload_env(char *const extra[], size_t nextra)
{
	size_t n = 0;
	char **envp;

	while (environ[n] != NULL)
		n++;
	if ((envp = calloc(n + nextra + 1, sizeof(*envp))) == NULL)
		return NULL;
	memcpy(envp, environ, n * sizeof(*envp));
	memcpy(envp + n, extra, nextra * sizeof(*envp));
	return envp;
}

static int
reload_inheritable(int fd, int on)
{
	return fcntl(fd, F_SETFD, on ? 0 : FD_CLOEXEC);
}

int
reload_give_back(int rc, const char *why)
{
	char efd[48], eexe[48], econf[48], eback[sizeof(ENV_BACK) + 512];
	char *extra[] = { efd, eexe, eback, econf };
	char **envp;

	if (rl.fd == -1)
		return rc;
	if (rl.given_back) {
		log_err("cannot take the hand-off back either: %s", why);
		return rc;
	}
	if (rl.prev_exe_fd == -1) {
		log_err("cannot take over: %s; no previous image to give "
		    "the hand-off back to", why);
		return rc;
	}
	log_err("cannot take over: %s; giving everything back to the "
	    "previous image", why);
	snprintf(efd, sizeof(efd), ENV_FD "=%d", rl.fd);
	snprintf(eexe, sizeof(eexe), ENV_EXE "=%d", rl.prev_exe_fd);
	snprintf(eback, sizeof(eback), ENV_BACK "=%s", why);
	snprintf(econf, sizeof(econf), ENV_CONF "=%d", rl.conf_fd);
	/*
	 * Nothing handed over was touched: the sockets are still inheritable.
	 * The old image reads its own settings back, not echod.conf (which
	 * may be why this one failed).
	 */
	if ((envp = reload_env(extra, rl.conf_fd != -1 ? 4 : 3)) != NULL &&
	    reload_inheritable(rl.fd, 1) == 0 &&
	    reload_inheritable(rl.prev_exe_fd, 1) == 0 &&
	    (rl.conf_fd == -1 || reload_inheritable(rl.conf_fd, 1) == 0))
		fexecve(rl.prev_exe_fd, rl.argv, envp);
	log_warn("cannot give the hand-off back");
	free(envp);
	return rc;
}

/*
 * A connected stream socket of that family.  For TCP one TCP_INFO says
 * it all (a TCP socket, not listening): one system call a connection,
 * since the check runs while every client waits.
 */
static int
reload_is_conn(int fd, uint8_t family)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (family == AF_UNIX)
		return sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 0) > 0;
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_state != TCP_LISTEN && ti.tcpi_state != TCP_CLOSE;
}

/* Every listener is the kind of socket its record says. */
static int
reload_check_listeners(const struct handoff *h, char *why, size_t len)
{
	const struct handoff_listener *l;
	uint32_t i;
	int ok;

	for (i = 0; i < h->nlisteners; i++) {
		l = &h->listeners[i];
		if (l->kind == HANDOFF_CLOSED)
			continue;	/* no descriptor */
		ok = l->kind != HANDOFF_DGRAM ?
		    sd_is_socket(l->fd, AF_UNSPEC, SOCK_STREAM, 1) > 0 :
		    sd_is_socket_inet(l->fd, AF_UNSPEC, SOCK_DGRAM, -1, 0) > 0;
		if (!ok) {
			snprintf(why, len, "listener %.200s: descriptor %d is not "
			    "a %s socket", l->name, l->fd,
			    l->kind != HANDOFF_DGRAM ? "listening stream" :
			    "UDP");
			return -1;
		}
	}
	return 0;
}

static int
reload_load(char *why, size_t len)
{
	struct stat st;

	if (fstat(rl.fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX / 2) {
		snprintf(why, len, "descriptor %d is not a hand-off", rl.fd);
		return -1;
	}
	rl.maplen = (size_t)st.st_size;
	rl.map = mmap(NULL, rl.maplen, PROT_READ, MAP_PRIVATE, rl.fd, 0);
	if (rl.map == MAP_FAILED) {
		rl.map = NULL;
		snprintf(why, len, "cannot map the hand-off: %s",
		    strerror(errno));
		return -1;
	}
	if (handoff_decode(rl.map, rl.maplen, &rl.h, why, len) == -1)
		return -1;
	return reload_check_listeners(&rl.h, why, len);
}

static void
reload_job_init(struct reload_job *job, struct server *srv, unsigned waiting)
{
	memset(job, 0, sizeof(*job));
	pthread_mutex_init(&job->mu, NULL);
	pthread_cond_init(&job->cv, NULL);
	job->srv = srv;
	job->waiting = waiting;
}

static void
reload_job_done(struct reload_job *job)
{
	pthread_mutex_lock(&job->mu);
	job->waiting--;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
}

/* The main thread waits for every worker's part. */
static void
reload_job_wait(struct reload_job *job)
{
	pthread_mutex_lock(&job->mu);
	while (job->waiting > 0)
		pthread_cond_wait(&job->cv, &job->mu);
	pthread_mutex_unlock(&job->mu);
}

static void
reload_job_free(struct reload_job *job)
{
	uint32_t i;

	if (job->bufs != NULL)
		for (i = 0; i < server_workers(job->srv)->n; i++)
			handoff_buf_free(&job->bufs[i]);
	free(job->bufs);
	free(job->nconns);
	free(job->lst);
	free(job->lmap);
	pthread_cond_destroy(&job->cv);
	pthread_mutex_destroy(&job->mu);
}

static void
reload_sockaddr(uint8_t family, const uint8_t addr[16], uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		memcpy(&sin->sin_addr, addr, 4);
	} else if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		memcpy(&sin6->sin6_addr, addr, 16);
	} else
		ss->ss_family = AF_UNIX;
}

/* On w's thread: serves the connections first, first + stride, ... */
static void
reload_adopt_share(struct worker *w, struct reload_job *job, uint32_t first)
{
	struct server *srv = job->srv;
	const struct handoff_conn *rec;
	struct sockaddr_storage lb;
	struct worker_conn wc;
	uint32_t i;

	for (i = first; i < job->h->nconns; i += server_workers(srv)->n) {
		rec = &job->h->conns[i];
		memset(&wc, 0, sizeof(wc));
		wc.fd = rec->fd;
		wc.id = rec->id;
		wc.handed = 1;
		wc.listener = job->lmap[rec->listener];
		reload_sockaddr(rec->peer_family, rec->peer_addr,
		    rec->peer_port, &wc.sa);
		reload_sockaddr(rec->lb_family, rec->lb_addr, rec->lb_port,
		    &lb);
		if (!job->cloexec_done)
			(void)reload_inheritable(rec->fd, 0);
		if (rec->flags & HANDOFF_MIDHEADER) {
			/* Not set up yet; the client is known after its header. */
			wc.handed = 0;
			lb.ss_family = AF_UNIX;
			admit_adopt(server_admit(srv), (struct sockaddr *)&lb,
			    &wc.source);
			proxywait_adopt(w, &wc, rec);
			continue;
		}
		admit_adopt(server_admit(srv), (struct sockaddr *)&wc.sa,
		    &wc.source);
		conn_adopt(w, &wc, rec->flags & HANDOFF_VIA_PROXY ? &lb : NULL,
		    rec);
	}
}

/* Checks the connections first, first + stride, ...; job->bad says why not. */
static void
reload_check_share(struct reload_job *job, uint32_t first, uint32_t stride)
{
	const struct handoff_conn *c;
	uint32_t i;

	for (i = first; i < job->h->nconns; i += stride) {
		c = &job->h->conns[i];
		if (reload_is_conn(c->fd, c->lb_family))
			continue;
		pthread_mutex_lock(&job->mu);
		if (job->bad[0] == '\0')
			snprintf(job->bad, sizeof(job->bad), "connection %llu: "
			    "descriptor %d is not a connected stream socket of "
			    "its family", (unsigned long long)c->id, c->fd);
		pthread_mutex_unlock(&job->mu);
		return;
	}
}

/*
 * On each worker's own thread: check its share of the connections, wait
 * for the main thread's verdict on all of them, then adopt its share.
 */
static void
reload_adopt_worker(struct worker *w, void *arg)
{
	struct reload_job *job = arg;
	int go;

	reload_check_share(job, w->index, server_workers(job->srv)->n);
	pthread_mutex_lock(&job->mu);
	job->waiting--;
	pthread_cond_broadcast(&job->cv);
	while (job->go == 0)
		pthread_cond_wait(&job->cv, &job->mu);
	go = job->go;
	pthread_mutex_unlock(&job->mu);
	if (go > 0)
		reload_adopt_share(w, job, w->index);
	pthread_mutex_lock(&job->mu);
	job->adopting--;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
}

/* Main thread: tells every worker the verdict, and waits till they are done. */
static void
reload_adopt_verdict(struct reload_job *job, int go)
{
	pthread_mutex_lock(&job->mu);
	job->go = go;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
}

static void
reload_adopt_wait(struct reload_job *job)
{
	pthread_mutex_lock(&job->mu);
	while (job->adopting > 0)
		pthread_cond_wait(&job->cv, &job->mu);
	pthread_mutex_unlock(&job->mu);
}

/* Kept for metrics_open, which serves or closes them. */
static int
reload_adopt_metrics(const struct handoff_listener *l)
{
	struct metrics_handed *m = &rl.metrics[rl.nmetrics];

	if (rl.nmetrics == RELOAD_METRICS_MAX) {
		close(l->fd);
		return 0;
	}
	memset(m, 0, sizeof(*m));
	m->fd = l->fd;
	snprintf(m->spec, sizeof(m->spec), "%.*s", (int)sizeof(m->spec) - 1,
	    l->spec);
	snprintf(m->file.path, sizeof(m->file.path), "%s", l->unlink_path);
	m->file.dev = (dev_t)l->file_dev;
	m->file.ino = (ino_t)l->file_ino;
	rl.nmetrics++;
	return reload_inheritable(l->fd, 0);
}

static int
reload_adopt_listeners(struct server *srv, struct reload_job *job)
{
	const struct handoff_listener *l;
	struct listener_file file;
	uint8_t *named;
	uint32_t i;
	int rc = 0;

	job->lmap = calloc(rl.h.nlisteners + 1, sizeof(struct listener *));
	if (job->lmap == NULL)
		return -1;
	/* A closed listener stays only while a connection names it. */
	if ((named = calloc(rl.h.nlisteners + 1, 1)) == NULL)
		return -1;
	for (i = 0; i < rl.h.nconns; i++)
		named[rl.h.conns[i].listener] = 1;
	for (i = 0; i < rl.h.nlisteners && rc == 0; i++) {
		l = &rl.h.listeners[i];
		if (l->kind == HANDOFF_CLOSED && !named[i])
			continue;
		if (l->kind == HANDOFF_STREAM || l->kind == HANDOFF_CLOSED) {
			memset(&file, 0, sizeof(file));
			snprintf(file.path, sizeof(file.path), "%s",
			    l->unlink_path);
			file.dev = (dev_t)l->file_dev;
			file.ino = (ino_t)l->file_ino;
			job->lmap[i] = listener_take_over(srv, l->fd, l->name,
			    l->fdname, l->unlink_path[0] ? &file : NULL,
			    l->proxy, l->spec);
			if (job->lmap[i] == NULL)
				rc = -1;
		} else if (l->kind == HANDOFF_METRICS)
			rc = reload_adopt_metrics(l);
		else if (reload_inheritable(l->fd, 0) == -1 ||
		    udp_adopt(srv, l->fd, l->fdname[0] ? l->fdname : NULL,
		    l->spec) != 0)
			rc = -1;
	}
	free(named);
	return rc;
}

_Static_assert(ADMIT_REFUSED_COUNT == 4 && ADMIT_ACCEPT_COUNT == 3,
    "the hand-off carries each admission counter");

static void
reload_counters_restore(struct server *srv, const uint64_t *c)
{
	struct worker_stats *ws = server_workers(srv)->v[0].stats;
	struct admit_stats st;
	struct udp_stats u = {
		c[HANDOFF_UDP_IN], c[HANDOFF_UDP_OUT], c[HANDOFF_UDP_BYTES_IN],
		c[HANDOFF_UDP_BYTES], c[HANDOFF_UDP_DROP_LOOP],
		c[HANDOFF_UDP_DROP_RATE], c[HANDOFF_UDP_DROP_SIZE],
		c[HANDOFF_UDP_DROP_SEND],
	};
	size_t i;

	memset(&st, 0, sizeof(st));
	st.accepted = c[HANDOFF_ACCEPTED];
	st.limit_pauses = c[HANDOFF_LIMIT_PAUSES];
	for (i = 0; i < ADMIT_REFUSED_COUNT; i++)
		st.refused[i] = c[HANDOFF_REFUSED_PER_SOURCE + i];
	for (i = 0; i < ADMIT_ACCEPT_COUNT; i++)
		st.accept_errors[i] = c[HANDOFF_ACCEPT_FDS + i];
	admit_carry(server_admit(srv), &st);
	/* Worker 0 is this thread's: no worker runs yet to race with. */
	STAT_ADD(ws[WORKER_STATS_INET].bytes_in,
	    c[HANDOFF_BYTES_IN] - c[HANDOFF_UNIX_BYTES_IN]);
	STAT_ADD(ws[WORKER_STATS_INET].bytes_out,
	    c[HANDOFF_BYTES_OUT] - c[HANDOFF_UNIX_BYTES_OUT]);
	STAT_ADD(ws[WORKER_STATS_UNIX].bytes_in, c[HANDOFF_UNIX_BYTES_IN]);
	STAT_ADD(ws[WORKER_STATS_UNIX].bytes_out, c[HANDOFF_UNIX_BYTES_OUT]);
	udp_stats_carry(srv, &u);
	rl.reloads = c[HANDOFF_RELOADS] + (rl.given_back ? 0 : 1);
}

/* The first turn of the new loop: every client is being read again. */
static void
reload_settled(evutil_socket_t fd, short what, void *arg)
{
	uint64_t paused = (uint64_t)(uintptr_t)arg;
	uint64_t us = clock_monotonic_us() - paused;
	char dur[32];

	(void)fd;
	(void)what;
	format_duration_us(us, dur, sizeof(dur));
	if (rl.given_back) {
		snprintf(rl.failure, sizeof(rl.failure), "%s", rl.back_why);
		log_err("reload failed: the new image gave everything back "
		    "(%s); echod %s serves on, clients paused %s",
		    rl.back_why, ECHOD_VERSION, dur);
		notify_reload_failed(rl.back_why);
		reloadctl_answer(0, "%s", rl.back_why);
		return;
	}
	log_notice("reloaded: echod %s serves on, clients paused %s%s%s",
	    ECHOD_VERSION, dur, rl.note[0] ? "; " : "", rl.note);
	reloadctl_answer(1, "reloaded: clients paused %s%s%s", dur,
	    rl.note[0] ? "; " : "", rl.note);
}

void
reload_note(const char *fmt, ...)
{
	size_t n = strlen(rl.note);
	va_list ap;

	if (n > 0 && n < sizeof(rl.note) - 2) {
		memcpy(rl.note + n, ", ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(rl.note + n, sizeof(rl.note) - n, fmt, ap);
	va_end(ap);
}

static void
reload_release_inherited(void)
{
	if (rl.map != NULL)
		munmap(rl.map, rl.maplen);
	rl.map = NULL;
	close(rl.fd);
	rl.fd = -1;
	if (rl.prev_exe_fd != -1)
		close(rl.prev_exe_fd);
	rl.prev_exe_fd = -1;
	if (rl.conf_fd != -1)
		close(rl.conf_fd);
	rl.conf_fd = -1;
	handoff_free(&rl.h);
}

int
reload_adopt(struct server *srv)
{
	struct timeval now = { 0, 0 };
	struct reload_job job;
	char why[512];
	uint64_t bytes = 0;
	unsigned i, n;

	if (reload_load(why, sizeof(why)) == -1)
		return reload_give_back(EX_SOFTWARE, why);
	n = server_workers(srv)->n;
	reload_job_init(&job, srv, n - 1);
	job.h = &rl.h;
	job.adopting = n - 1;
	/* Every worker checks its share in parallel: all-or-nothing. */
	for (i = 1; i < n; i++)
		if (worker_call(&server_workers(srv)->v[i], reload_adopt_worker,
		    &job) == -1) {
			snprintf(job.bad, sizeof(job.bad), "worker %u cannot "
			    "be reached: out of memory", i);
			job.waiting--;
			job.adopting--;
		}
	reload_check_share(&job, 0, n);
	reload_job_wait(&job);
	if (job.bad[0] != '\0') {
		reload_adopt_verdict(&job, -1);
		reload_adopt_wait(&job);
		snprintf(why, sizeof(why), "%s", job.bad);
		reload_job_free(&job);
		return reload_give_back(EX_SOFTWARE, why);
	}
	/*
	 * Past the last give-back: nothing of echod's is for a child to
	 * inherit any more, and one call says so for every descriptor.
	 */
	job.cloexec_done = close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
	if (reload_adopt_listeners(srv, &job) == -1) {
		log_err("cannot adopt the listeners handed over: out of memory");
		reload_adopt_verdict(&job, -1);
		reload_adopt_wait(&job);
		reload_job_free(&job);
		return EX_SOFTWARE;
	}
	reload_adopt_verdict(&job, 1);
	reload_adopt_share(&server_workers(srv)->v[0], &job, 0);
	reload_adopt_wait(&job);
	admit_adopted(server_admit(srv));
	reload_counters_restore(srv, rl.h.counters);
	rl.adopted = 1;
	for (i = 0; i < rl.h.nconns; i++)
		bytes += rl.h.conns[i].pending_len;
	log_notice("took over %u listeners and %u connections with %llu "
	    "bytes to echo", rl.h.nlisteners, rl.h.nconns,
	    (unsigned long long)bytes);
	event_base_once(server_base(srv), -1, EV_TIMEOUT, reload_settled,
	    (void *)(uintptr_t)rl.h.paused_us, &now);
	reload_job_free(&job);
	reload_release_inherited();
	return 0;
}

/*
 * The child's verdict: its last line "echod VERSION hand-off N" after the
 * settings, or its first line (the error) if it failed.
 */
static int
reload_verdict(const char *out, int status, char *why, size_t len)
{
	size_t n = strlen(out), line = strcspn(out, "\n");
	const char *last, *p;
	unsigned long parsed = 0;
	unsigned version = 0;
	char *end = NULL;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (line > 0)
			snprintf(why, len, "%.200s: %.*s", rl.path, (int)line,
			    out);
		else
			snprintf(why, len, "%.200s --check-config: status %d",
			    rl.path, WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status));
		return -1;
	}
	while (n > 0 && out[n - 1] == '\n')
		n--;
	last = memrchr(out, '\n', n);
	last = last != NULL ? last + 1 : out;
	p = strstr(last, " hand-off ");
	if (p != NULL) {
		errno = 0;
		parsed = strtoul(p + 10, &end, 10);
		version = (unsigned)parsed;
	}
	if (p == NULL || errno != 0 || end == p + 10 || parsed > UINT_MAX) {
		snprintf(why, len, "%.200s does not say which hand-off it reads",
		    rl.path);
		return -1;
	}
	if (version != HANDOFF_VERSION) {
		snprintf(why, len, "%.200s reads hand-off version %u, this echod "
		    "writes version %u", rl.path, version,
		    (unsigned)HANDOFF_VERSION);
		return -1;
	}
	snprintf(rl.next, sizeof(rl.next), "%.*s", (int)(p - last), last);
	return 0;
}

static void reload_child(evutil_socket_t, short, void *);

/* Until the child's output ends or its deadline: a once-event each turn. */
static int
reload_child_wait(struct server *srv)
{
	uint64_t now = clock_monotonic_ms();
	uint64_t left = rl.child.deadline > now ? rl.child.deadline - now : 0;
	struct timeval tv = { (time_t)(left / 1000),
	    (suseconds_t)(left % 1000 * 1000) };

	return event_base_once(server_base(srv), rl.child.fd,
	    EV_READ | EV_TIMEOUT, reload_child, srv, &tv);
}

/* Closed first: a child still writing gets EPIPE, not a parent waiting. */
static int
reload_child_reap(void)
{
	int status = 0;

	close(rl.child.fd);
	rl.child.fd = -1;
	while (waitpid(rl.child.pid, &status, 0) == -1 && errno == EINTR)
		;
	return status;
}

/* Reads what the child wrote; 1 once its output is over, else 0. */
static int
reload_child_read(void)
{
	size_t room = sizeof(rl.child.out) - 1;
	ssize_t r;

	for (;;) {
		r = read(rl.child.fd, rl.child.out + rl.child.n,
		    room - rl.child.n);
		if (r > 0 && (rl.child.n += (size_t)r) < room)
			continue;
		if (r == -1 && errno == EINTR)
			continue;
		return !(r == -1 && errno == EAGAIN);
	}
}

static void reload_preflown(struct server *srv, int ok, const char *why);

/* The pre-flight wrote, ended, or ran out of time. */
static void
reload_child(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	char why[512];
	int status;

	(void)fd;
	if (!(what & EV_TIMEOUT) && !reload_child_read()) {
		if (reload_child_wait(srv) == 0)
			return;
		what = EV_TIMEOUT;	/* cannot wait: as good as none */
	}
	if (what & EV_TIMEOUT) {
		kill(rl.child.pid, SIGKILL);
		(void)reload_child_reap();
		snprintf(why, sizeof(why), "%.200s --check-config did not "
		    "answer in %d s", rl.path, PREFLIGHT_MS / 1000);
		reload_preflown(srv, 0, why);
		return;
	}
	rl.child.out[rl.child.n] = '\0';
	status = reload_child_reap();
	reload_preflown(srv, reload_verdict(rl.child.out, status, why,
	    sizeof(why)) == 0, why);
}

/*
 * Starts BINARY ARGS --check-config --handoff-version: the new binary
 * reads echod.conf and the command line and says which hand-off it reads,
 * touching no socket.  Its answer is read on the main loop (reload_child),
 * which serves on meanwhile.
 */
static int
reload_preflight(struct server *srv, char *why, size_t len)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **args = NULL;
	size_t argc = 0;
	int p[2] = { -1, -1 }, err, rc = -1;
	sigset_t none;

	if (rl.exe_fd == -1 || rl.argv == NULL) {
		snprintf(why, len, "cannot open /proc/self/exe: no way back "
		    "if the new image fails");
		return -1;
	}
	while (rl.argv[argc] != NULL)
		argc++;
	if ((args = calloc(argc + 3, sizeof(*args))) == NULL ||
	    pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(why, len, "pre-flight: %s", strerror(errno));
		goto out;
	}
	memcpy(args, rl.argv, argc * sizeof(*args));
	args[argc] = (char *)"--check-config";
	args[argc + 1] = (char *)"--handoff-version";
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawn(&rl.child.pid, rl.path, &fa, &at, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err != 0) {
		snprintf(why, len, "cannot run %.200s: %s", rl.path, strerror(err));
		goto out;
	}
	rl.child.fd = p[0];
	p[0] = -1;
	rl.child.n = 0;
	rl.child.deadline = clock_monotonic_ms() + PREFLIGHT_MS;
	if (reload_child_wait(srv) == -1) {
		kill(rl.child.pid, SIGKILL);
		(void)reload_child_reap();
		snprintf(why, len, "pre-flight: cannot wait for %.200s", rl.path);
		goto out;
	}
	rc = 0;
out:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	free(args);
	return rc;
}

static uint32_t
reload_listener_index(const struct reload_job *job, const struct listener *l)
{
	uint32_t i;

	for (i = 0; i < job->nlst; i++)
		if (job->lst[i] == l)
			return i;
	return UINT32_MAX;	/* refused by the decode check */
}

/*
 * Each worker makes its own connections inheritable for the execve, in
 * parallel (nothing else is executed meanwhile), and undoes it on resume.
 */
static void
reload_conns_inheritable(struct worker *w, int on)
{
	struct conn *c;

	TAILQ_FOREACH(c, &w->conns, entry)
		(void)reload_inheritable(bufferevent_getfd(c->bev), on);
	proxywait_inheritable(w, on);
}

static uint32_t
reload_index_of(void *arg, const struct listener *l)
{
	return reload_listener_index(arg, l);
}

/*
 * On w's thread: saves its connections, then holds the thread still (its
 * connections untouched) until the exec replaces it, or fails and resumes.
 */
static void
reload_save_worker(struct worker *w, void *arg)
{
	struct reload_job *job = arg;
	struct conn *c;

	/* Mid-header ones too: nobody holds a reload off with a slow header. */
	if (proxywait_save(w, reload_index_of, job, &job->bufs[w->index],
	    &job->nconns[w->index]) == -1)
		job->bufs[w->index].failed = 1;
	TAILQ_FOREACH(c, &w->conns, entry) {
		if (conn_save(c, reload_listener_index(job, c->listener),
		    &job->bufs[w->index]) == -1) {
			job->bufs[w->index].failed = 1;
			break;
		}
		job->nconns[w->index]++;
	}
	reload_conns_inheritable(w, 1);
	if (w->index == 0)
		return;		/* the main thread itself */
	reload_job_done(job);
	pthread_mutex_lock(&job->mu);
	while (!job->resume)
		pthread_cond_wait(&job->cv, &job->mu);
	job->waiting--;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
	reload_conns_inheritable(w, 0);
}

/* After a failed exec: every worker goes back to its loop. */
static void
reload_resume(struct reload_job *job, unsigned held)
{
	pthread_mutex_lock(&job->mu);
	job->resume = 1;
	job->waiting = held;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
	reload_job_wait(job);
}

struct reload_udp {
	struct handoff_buf	*b;
	uint32_t		 n;
};

static void
reload_put_udp(void *arg, int fd, const char *name, const char *fdname,
    const char *spec)
{
	struct reload_udp *ru = arg;
	struct handoff_listener l;

	memset(&l, 0, sizeof(l));
	l.fd = fd;
	l.kind = HANDOFF_DGRAM;
	l.passed = fdname[0] != '\0';
	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.fdname, sizeof(l.fdname), "%s", fdname);
	snprintf(l.spec, sizeof(l.spec), "%s", spec);
	handoff_put_listener(ru->b, &l);
	ru->n++;
}

static void
reload_put_metrics(void *arg, const struct metrics_handed *m)
{
	struct reload_udp *ru = arg;
	struct handoff_listener l;

	memset(&l, 0, sizeof(l));
	l.fd = m->fd;
	l.kind = HANDOFF_METRICS;
	snprintf(l.name, sizeof(l.name), "metrics %s", m->spec);
	snprintf(l.spec, sizeof(l.spec), "%s", m->spec);
	snprintf(l.unlink_path, sizeof(l.unlink_path), "%s", m->file.path);
	l.file_dev = (uint64_t)m->file.dev;
	l.file_ino = (uint64_t)m->file.ino;
	handoff_put_listener(ru->b, &l);
	ru->n++;
}

static void
reload_counters(struct server *srv, uint64_t *c)
{
	struct worker_stats ws, wu;
	struct admit_stats st;
	struct udp_stats u;
	size_t i;

	worker_stats_sum(srv, &ws, &wu);
	udp_stats_sum(srv, &u);
	admit_stats(server_admit(srv), &st);
	memset(c, 0, HANDOFF_NCOUNTERS * sizeof(*c));
	c[HANDOFF_ACCEPTED] = st.accepted;
	c[HANDOFF_LIMIT_PAUSES] = st.limit_pauses;
	for (i = 0; i < ADMIT_REFUSED_COUNT; i++)
		c[HANDOFF_REFUSED_PER_SOURCE + i] = st.refused[i];
	for (i = 0; i < ADMIT_ACCEPT_COUNT; i++)
		c[HANDOFF_ACCEPT_FDS + i] = st.accept_errors[i];
	c[HANDOFF_BYTES_IN] = ws.bytes_in;
	c[HANDOFF_BYTES_OUT] = ws.bytes_out;
	c[HANDOFF_UNIX_BYTES_IN] = wu.bytes_in;
	c[HANDOFF_UNIX_BYTES_OUT] = wu.bytes_out;
	c[HANDOFF_UDP_IN] = u.in;
	c[HANDOFF_UDP_OUT] = u.out;
	c[HANDOFF_UDP_BYTES_IN] = u.bytes_in;
	c[HANDOFF_UDP_BYTES] = u.bytes;
	c[HANDOFF_UDP_DROP_LOOP] = u.drop_loop;
	c[HANDOFF_UDP_DROP_RATE] = u.drop_rate;
	c[HANDOFF_UDP_DROP_SIZE] = u.drop_size;
	c[HANDOFF_UDP_DROP_SEND] = u.drop_send;
	c[HANDOFF_RELOADS] = rl.reloads;
}

/* Listeners first (connections name them by index), then connections. */
static int
reload_encode(struct server *srv, struct reload_job *job,
    struct handoff_buf *b, uint64_t paused_us)
{
	uint64_t counters[HANDOFF_NCOUNTERS];
	struct reload_udp ru = { b, 0 };
	struct handoff_listener hl;
	struct listener *l;
	uint32_t i, nconns = 0;

	reload_counters(srv, counters);
	handoff_begin(b, counters);
	for (i = 0; i < job->nlst; i++) {
		l = job->lst[i];
		memset(&hl, 0, sizeof(hl));
		hl.proxy = (uint8_t)l->proxy;
		snprintf(hl.name, sizeof(hl.name), "%s", l->name);
		snprintf(hl.spec, sizeof(hl.spec), "%s", l->spec);
		/* Closed by a reload before: only its connections name it. */
		hl.kind = l->evl != NULL ? HANDOFF_STREAM : HANDOFF_CLOSED;
		hl.fd = l->evl != NULL ? evconnlistener_get_fd(l->evl) : -1;
		if (l->evl != NULL) {
			hl.passed = l->fdname[0] != '\0';
			snprintf(hl.fdname, sizeof(hl.fdname), "%s", l->fdname);
			snprintf(hl.unlink_path, sizeof(hl.unlink_path), "%s",
			    l->file.path);
			hl.file_dev = (uint64_t)l->file.dev;
			hl.file_ino = (uint64_t)l->file.ino;
		}
		handoff_put_listener(b, &hl);
	}
	udp_foreach(srv, reload_put_udp, &ru);
	metrics_foreach(rl.serving, reload_put_metrics, &ru);
	for (i = 0; i < server_workers(srv)->n; i++) {
		handoff_append(b, &job->bufs[i]);
		nconns += job->nconns[i];
	}
	return handoff_end(b, job->nlst + ru.n, nconns, paused_us);
}

static int
reload_job_listeners(struct server *srv, struct reload_job *job)
{
	struct listener *l;
	uint32_t n = 0;

	TAILQ_FOREACH(l, server_listeners(srv), entry)
		n++;
	job->lst = calloc(n + 1, sizeof(struct listener *));
	job->bufs = calloc(server_workers(srv)->n, sizeof(*job->bufs));
	job->nconns = calloc(server_workers(srv)->n, sizeof(*job->nconns));
	if (job->lst == NULL || job->bufs == NULL || job->nconns == NULL)
		return -1;
	/* Closed ones too: their connections are handed over. */
	TAILQ_FOREACH(l, server_listeners(srv), entry)
		job->lst[job->nlst++] = l;
	return 0;
}

/*
 * The listeners the checked hand-off names, the memfd and this image's
 * descriptor, inherited (the workers did their connections).
 */
static int
reload_handed(const struct handoff *h, int memfd, int on)
{
	uint32_t i;
	int rc = 0;

	rc |= reload_inheritable(memfd, on);
	rc |= reload_inheritable(rl.exe_fd, on);
	for (i = 0; i < h->nlisteners; i++)
		if (h->listeners[i].kind != HANDOFF_CLOSED)
			rc |= reload_inheritable(h->listeners[i].fd, on);
	return rc;
}

/* Sealed: the new image reads exactly the bytes checked here. */
static int
reload_memfd(const char *name, const uint8_t *data, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * This image's settings as --check-config prints them, sealed: should the
 * new image fail, it gives everything back to this one with them, so that
 * the settings that failed it (echod.conf, changed) are not read again.
 */
static int
reload_settings_fd(const struct config *conf)
{
	struct conffile cf;
	char why[256], *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc, fd = -1;

	/* conffile_print only reads the settings. */
	options_conffile(&cf, NULL, (struct config *)(uintptr_t)conf);
	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	rc = conffile_print(f, &cf, why, sizeof(why));
	if (fclose(f) == 0 && rc == 0)
		fd = reload_memfd("echod-settings", (const uint8_t *)text, len);
	free(text);
	return fd;
}

/*
 * A SIGHUP that came during this reload, sent again: blocked, it stays
 * pending (across the exec, too) and makes the next reload.
 */
static void
reload_again(void)
{
	if (rl.again)
		(void)kill(getpid(), SIGHUP);
	rl.again = 0;
}

/* Writes, checks and passes the hand-off; returns only if exec failed. */
static void
reload_exec_handoff(struct reload_job *job, uint64_t paused_us, char *why,
    size_t len)
{
	struct handoff_buf b = { 0 };
	struct handoff check;
	char efd[48], eexe[48], econf[48];
	char *extra[] = { efd, eexe, econf };
	char **envp = NULL;
	int memfd = -1, conf_fd = -1;

	if (reload_encode(job->srv, job, &b, paused_us) == -1) {
		snprintf(why, len, "out of memory for the hand-off");
		goto out;
	}
	/* What the new image will decode, decoded here first. */
	if (handoff_decode(b.data, b.len, &check, why, len) == -1)
		goto out;
	if ((memfd = reload_memfd("echod-handoff", b.data, b.len)) == -1 ||
	    (conf_fd = reload_settings_fd(server_conf(job->srv))) == -1) {
		snprintf(why, len, "memfd: %s", strerror(errno));
		goto out_check;
	}
	snprintf(efd, sizeof(efd), ENV_FD "=%d", memfd);
	snprintf(eexe, sizeof(eexe), ENV_EXE "=%d", rl.exe_fd);
	snprintf(econf, sizeof(econf), ENV_CONF "=%d", conf_fd);
	if ((envp = reload_env(extra, 3)) == NULL) {
		snprintf(why, len, "out of memory for the environment");
		goto out_check;
	}
	if (reload_handed(&check, memfd, 1) == 0 &&
	    reload_inheritable(conf_fd, 1) == 0) {
		reload_again();
		execve(rl.path, rl.argv, envp);
	}
	snprintf(why, len, "cannot execute %.200s: %s", rl.path, strerror(errno));
	reload_handed(&check, memfd, 0);
out_check:
	handoff_free(&check);
out:
	if (memfd != -1)
		close(memfd);
	if (conf_fd != -1)
		close(conf_fd);
	free(envp);
	handoff_buf_free(&b);
}

/* Pauses every worker, hands over, and execs; returns if it failed. */
static void
reload_exec(struct server *srv, char *why, size_t len)
{
	struct reload_job job;
	uint64_t paused_us;
	unsigned i, held = 0;

	reload_job_init(&job, srv, server_workers(srv)->n - 1);
	if (reload_job_listeners(srv, &job) == -1) {
		snprintf(why, len, "out of memory");
		reload_job_free(&job);
		return;
	}
	notify_reloading();
	paused_us = clock_monotonic_us();
	for (i = 1; i < server_workers(srv)->n; i++) {
		if (worker_call(&server_workers(srv)->v[i], reload_save_worker,
		    &job) == 0) {
			held++;
			continue;
		}
		job.busy = 1;		/* its queue is full: resume */
		reload_job_done(&job);
	}
	reload_save_worker(&server_workers(srv)->v[0], &job);
	reload_job_wait(&job);
	if (job.busy)
		snprintf(why, len, "a worker could not be paused");
	else
		reload_exec_handoff(&job, paused_us, why, len);
	reload_conns_inheritable(&server_workers(srv)->v[0], 0);
	reload_resume(&job, held);
	reload_job_free(&job);
}

static void
reload_failed(const char *why)
{
	snprintf(rl.failure, sizeof(rl.failure), "%s", why);
	log_err("reload failed: %s; serving on unchanged", why);
	notify_reload_failed(why);
	reloadctl_answer(0, "%s", why);
}

struct metrics_handed *
reload_metrics_handed(size_t *n)
{
	*n = rl.nmetrics;
	return rl.metrics;
}

int
reload_adopted(void)
{
	return rl.adopted;
}

void
reload_metrics_serve(const struct metrics *m)
{
	rl.serving = m;
}

uint64_t
reload_count(void)
{
	return rl.reloads;
}

const char *
reload_failure(void)
{
	return rl.failure[0] != '\0' ? rl.failure : NULL;
}

/* The reload is over, here: a SIGHUP that came meanwhile reloads again. */
static void
reload_over(void)
{
	rl.busy = 0;
	reload_again();
}

static void
reload_attempt(struct server *srv)
{
	char why[512];

	if (admit_stopping(server_admit(srv))) {
		log_notice("shutting down: not reloading");
		reloadctl_answer(0, "shutting down");
		reload_over();
		return;
	}
	if (reload_preflight(srv, why, sizeof(why)) == -1) {
		reload_failed(why);
		reload_over();
	}
}

/* The pre-flight's verdict: exec, or give up. */
static void
reload_preflown(struct server *srv, int ok, const char *verdict)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", verdict);
	if (ok && admit_stopping(server_admit(srv))) {
		reload_attempt(srv);	/* says why not */
		return;
	}
	if (ok) {
		log_notice("SIGHUP: reloading %s (%s) with %llu connections",
		    rl.path, rl.next, (unsigned long long)admit_open(server_admit(srv)));
		reload_exec(srv, why, sizeof(why));
	}
	reload_failed(why);
	reload_over();
}

void
reload_start(struct server *srv)
{
	if (admit_stopping(server_admit(srv))) {
		log_warning("SIGHUP while shutting down: not reloading");
		return;
	}
	/* One at a time; more SIGHUPs meanwhile make one more reload. */
	if (rl.busy) {
		rl.again = 1;
		log_notice("SIGHUP during a reload: reloading again after it");
		return;
	}
	rl.busy = 1;
	reload_attempt(srv);
}

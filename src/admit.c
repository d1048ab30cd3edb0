/* admit.c - admission: slots, per-source counts, pauses and wake-ups. */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "admit.h"
#include "journal.h"
#include "log.h"
#include "persource.h"

/* How long accepting pauses after accept() failed. */
#define ADMIT_RETRY_MS		250
/*
 * Descriptors kept back from the derived limit for what echod opens for a
 * moment: sd_notify's socket, metrics scrapes (8 at most), a reload's memfd,
 * and the kernel's slack for a close still in flight.
 */
#define ADMIT_MARGIN		32
/* With RLIMIT_NOFILE unlimited. */
#define ADMIT_UNLIMITED		65536

/* The reasons a closing connection (or the timer) lifts. */
#define ADMIT_PAUSE_ACCEPT	(ADMIT_PAUSE_FDS | ADMIT_PAUSE_MEMORY | \
				 ADMIT_PAUSE_ERROR)
#define ADMIT_ADD(field, n) \
	__atomic_add_fetch(&(field), (n), __ATOMIC_RELAXED)
#define ADMIT_GET(field)	__atomic_load_n(&(field), __ATOMIC_RELAXED)

struct admit {
	uint64_t		 limit;
	struct persource	 persource;
	uint64_t		 open;		/* atomic, any thread */
	int			 wake_wanted;	/* atomic: closes wake main */
	int			 wake_fd;	/* eventfd */
	struct event		*wake_ev;
	struct event		*retry;		/* lifts accept-error pauses */
	unsigned		 paused;	/* ADMIT_PAUSE_*, main only */
	int			 drained;	/* drained() has run */
	admit_accepting_fn	 accepting;
	admit_drained_fn	 on_drained;
	void			*arg;
	struct admit_stats	 stats;		/* relaxed atomics */
};

/* One limiter per message, so "suppressed N" names the right one. */
static struct log_ratelimit limit_rl = LOG_RATELIMIT_INIT(10000, 1);
static struct log_ratelimit per_source_rl = LOG_RATELIMIT_INIT(10000, 3);
static struct log_ratelimit source_nomem_rl = LOG_RATELIMIT_INIT(10000, 1);
static struct log_ratelimit handoff_rl = LOG_RATELIMIT_INIT(10000, 1);
static struct log_ratelimit setup_rl = LOG_RATELIMIT_INIT(10000, 1);
static struct log_ratelimit accept_rl[ADMIT_ACCEPT_COUNT] = {
	LOG_RATELIMIT_INIT(10000, 1), LOG_RATELIMIT_INIT(10000, 1),
	LOG_RATELIMIT_INIT(10000, 1),
};
static const char *const fields_exhausted[] = { MSGID_FDS_EXHAUSTED, NULL };

uint64_t
admit_open(const struct admit *a)
{
	return __atomic_load_n(&a->open, __ATOMIC_SEQ_CST);
}

int
admit_stopping(const struct admit *a)
{
	return (a->paused & ADMIT_PAUSE_STOP) != 0;
}

uint64_t
admit_limit(const struct admit *a)
{
	return a->limit;
}

static void
admit_check_drained(struct admit *a)
{
	if (admit_stopping(a) && !a->drained && admit_open(a) == 0) {
		a->drained = 1;
		a->on_drained(a->arg);
	}
}

void
admit_pause(struct admit *a, unsigned reason)
{
	unsigned was = a->paused;

	a->paused |= reason;
	__atomic_store_n(&a->wake_wanted, 1, __ATOMIC_SEQ_CST);
	if (!was)
		a->accepting(a->arg, 0);
	/* A connection may have closed before its worker saw the flag. */
	if ((reason & ADMIT_PAUSE_LIMIT) && admit_open(a) < a->limit)
		admit_resume(a, ADMIT_PAUSE_LIMIT);
}

void
admit_resume(struct admit *a, unsigned reason)
{
	unsigned was = a->paused;

	a->paused &= ~reason;
	if (a->paused == 0)
		__atomic_store_n(&a->wake_wanted, 0, __ATOMIC_SEQ_CST);
	if (was && a->paused == 0)
		a->accepting(a->arg, 1);
}

void
admit_stop(struct admit *a)
{
	admit_pause(a, ADMIT_PAUSE_STOP);
	admit_check_drained(a);
}

/* A connection closed while main wanted to know. */
static void
admit_woken(evutil_socket_t fd, short what, void *arg)
{
	struct admit *a = arg;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	if (admit_stopping(a)) {
		admit_check_drained(a);
		return;
	}
	/* A descriptor, some memory and perhaps a slot are free again. */
	admit_resume(a, ADMIT_PAUSE_ACCEPT |
	    (admit_open(a) < a->limit ? ADMIT_PAUSE_LIMIT : 0));
}

static void
admit_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	admit_resume(arg, ADMIT_PAUSE_ACCEPT);
}

/* Logs and counts a refused source; returns 0. */
static uint64_t
admit_refuse_source(struct admit *a, const struct sockaddr *sa,
    socklen_t len, int rc)
{
	char peer[ADDR_TEXT_MAX];

	addr_format(sa, len, peer, sizeof(peer));
	if (rc == PERSOURCE_NOMEM) {
		ADMIT_ADD(a->stats.refused[ADMIT_REFUSED_SOURCE_NOMEM], 1);
		log_limited(&source_nomem_rl, LOG_WARNING, NULL,
		    "refusing a connection from %s: out of memory for the "
		    "per-source table", peer);
		return 0;
	}
	ADMIT_ADD(a->stats.refused[ADMIT_REFUSED_PER_SOURCE], 1);
	log_limited(&per_source_rl, LOG_WARNING, NULL,
	    "refusing a connection from %s: --max-per-source %llu reached",
	    peer, (unsigned long long)a->persource.limit);
	return 0;
}

uint64_t
admit_take(struct admit *a, const struct sockaddr *sa, socklen_t len,
    struct persource_entry **source)
{
	uint64_t open;
	int rc;

	if (source != NULL &&
	    (rc = persource_add(&a->persource, sa, source)) != 0)
		return admit_refuse_source(a, sa, len, rc);
	open = __atomic_add_fetch(&a->open, 1, __ATOMIC_SEQ_CST);
	if (open >= a->limit) {
		ADMIT_ADD(a->stats.limit_pauses, 1);
		log_limited(&limit_rl, LOG_WARNING, NULL,
		    "%llu connections open (--max-connections): "
		    "not accepting until one closes", (unsigned long long)open);
		admit_pause(a, ADMIT_PAUSE_LIMIT);
	}
	return ADMIT_ADD(a->stats.accepted, 1);
}

int
admit_source(struct admit *a, const struct sockaddr *sa, socklen_t len,
    struct persource_entry **source)
{
	int rc = persource_add(&a->persource, sa, source);

	if (rc == 0)
		return 0;
	admit_refuse_source(a, sa, len, rc);
	return -1;
}

void
admit_adopt(struct admit *a, const struct sockaddr *sa,
    struct persource_entry **source)
{
	/* Over a lowered --max-per-source it stays, uncounted: not refused. */
	if (persource_add(&a->persource, sa, source) != 0)
		*source = NULL;
	__atomic_add_fetch(&a->open, 1, __ATOMIC_SEQ_CST);
}

void
admit_adopted(struct admit *a)
{
	/* Not known yet: admit_derive_limit() comes back here. */
	if (a->limit != 0 && admit_open(a) >= a->limit)
		admit_pause(a, ADMIT_PAUSE_LIMIT);
}

void
admit_carry(struct admit *a, const struct admit_stats *st)
{
	size_t i;

	ADMIT_ADD(a->stats.accepted, st->accepted);
	ADMIT_ADD(a->stats.limit_pauses, st->limit_pauses);
	for (i = 0; i < ADMIT_REFUSED_COUNT; i++)
		ADMIT_ADD(a->stats.refused[i], st->refused[i]);
	for (i = 0; i < ADMIT_ACCEPT_COUNT; i++)
		ADMIT_ADD(a->stats.accept_errors[i], st->accept_errors[i]);
}

void
admit_release(struct admit *a, struct persource_entry *source)
{
	persource_del(&a->persource, source);
	__atomic_sub_fetch(&a->open, 1, __ATOMIC_SEQ_CST);
	/* EAGAIN: the counter is full, so main is already woken. */
	if (__atomic_load_n(&a->wake_wanted, __ATOMIC_SEQ_CST))
		(void)!write(a->wake_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

void
admit_refuse(struct admit *a, struct persource_entry *source,
    enum admit_refusal why)
{
	ADMIT_ADD(a->stats.refused[why], 1);
	if (why == ADMIT_REFUSED_HANDOFF)
		log_limited(&handoff_rl, LOG_WARNING, NULL,
		    "refusing a connection: out of memory to hand it off");
	else
		log_limited(&setup_rl, LOG_WARNING, NULL,
		    "refusing a connection: out of memory to set it up");
	admit_release(a, source);
}

void
admit_accept_error(struct admit *a, const char *listener, int err)
{
	static const unsigned pause[ADMIT_ACCEPT_COUNT] = {
		ADMIT_PAUSE_FDS, ADMIT_PAUSE_MEMORY, ADMIT_PAUSE_ERROR,
	};
	struct timeval tv = { 0, ADMIT_RETRY_MS * 1000 };
	enum admit_accept_error kind = ADMIT_ACCEPT_OTHER;

	if (err == EMFILE || err == ENFILE)
		kind = ADMIT_ACCEPT_FDS;
	else if (err == ENOMEM || err == ENOBUFS)
		kind = ADMIT_ACCEPT_MEMORY;
	ADMIT_ADD(a->stats.accept_errors[kind], 1);
	/*
	 * The pending connection stays queued and accept() would fail again
	 * at once: pause instead of spinning; a close or the timer resumes.
	 */
	errno = err;
	log_limited(&accept_rl[kind], LOG_WARNING | LOG_ERRNO,
	    kind == ADMIT_ACCEPT_FDS ? fields_exhausted : NULL,
	    "accept on %s: pausing accepts", listener);
	admit_pause(a, pause[kind]);
	evtimer_add(a->retry, &tv);
}

/* Descriptors this process holds now. */
static uint64_t
admit_fds_held(void)
{
	DIR *d = opendir("/proc/self/fd");
	uint64_t n = 0;

	if (d == NULL)
		return 0;
	/* Its own DIR: readdir is safe, readdir_r is what glibc deprecates. */
	/* cppcheck-suppress readdirCalled */
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0;	/* ".", ".." and the DIR's own */
}

void
admit_derive_limit(struct admit *a)
{
	struct rlimit rl;
	uint64_t held, left;

	if (a->limit != 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY) {
		a->limit = ADMIT_UNLIMITED;
		return;
	}
	held = admit_fds_held();
	/* Connections a reload handed over are what the limit counts. */
	held -= held > admit_open(a) ? admit_open(a) : held;
	left = rl.rlim_cur > held ? rl.rlim_cur - held : 0;
	/* A small limit keeps half of what is left for the margin at most. */
	left -= left / 2 < ADMIT_MARGIN ? left / 2 : ADMIT_MARGIN;
	a->limit = left > 0 ? left : 1;
	log_info("--max-connections %llu: an open-file limit of %llu, less "
	    "%llu descriptors held and a margin", (unsigned long long)a->limit,
	    (unsigned long long)rl.rlim_cur, (unsigned long long)held);
	admit_adopted(a);
}

void
admit_stats(const struct admit *a, struct admit_stats *st)
{
	size_t i;

	st->open = admit_open(a);
	st->accepted = ADMIT_GET(a->stats.accepted);
	st->limit_pauses = ADMIT_GET(a->stats.limit_pauses);
	for (i = 0; i < ADMIT_REFUSED_COUNT; i++)
		st->refused[i] = ADMIT_GET(a->stats.refused[i]);
	for (i = 0; i < ADMIT_ACCEPT_COUNT; i++)
		st->accept_errors[i] = ADMIT_GET(a->stats.accept_errors[i]);
}

struct admit *
admit_new(struct event_base *base, uint64_t limit, uint64_t max_per_source,
    admit_accepting_fn accepting, admit_drained_fn drained, void *arg)
{
	struct admit *a = calloc(1, sizeof(*a));

	if (a == NULL)
		goto fail;
	a->wake_fd = -1;
	a->limit = limit;
	a->accepting = accepting;
	a->on_drained = drained;
	a->arg = arg;
	persource_init(&a->persource, max_per_source);
	if ((a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		goto fail;
	a->wake_ev = event_new(base, a->wake_fd, EV_READ | EV_PERSIST,
	    admit_woken, a);
	a->retry = evtimer_new(base, admit_retry, a);
	if (a->wake_ev == NULL || a->retry == NULL ||
	    event_add(a->wake_ev, NULL) == -1)
		goto fail;
	return a;
fail:
	log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot set up admission");
	admit_free(a);
	return NULL;
}

void
admit_free(struct admit *a)
{
	if (a == NULL)
		return;
	if (a->wake_ev != NULL)
		event_free(a->wake_ev);
	if (a->retry != NULL)
		event_free(a->retry);
	if (a->wake_fd != -1)
		close(a->wake_fd);
	persource_free(&a->persource);
	free(a);
}

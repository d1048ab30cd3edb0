/* log.c - levels, rate limiting and the stderr backend. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

int log_level = LOG_NOTICE;

static const char *log_name = "echod";
static log_backend_fn log_backend;

static const struct {
	const char	*name;
	int		 level;
} log_levels[] = {
	{ "err",	LOG_ERR },
	{ "error",	LOG_ERR },
	{ "warning",	LOG_WARNING },
	{ "warn",	LOG_WARNING },
	{ "notice",	LOG_NOTICE },
	{ "info",	LOG_INFO },
	{ "debug",	LOG_DEBUG },
};

static void
log_stderr(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *msg)
{
	char ts[40];

	(void)file;
	(void)line;
	(void)func;
	(void)fields;
	/* One fprintf per line, so lines from a crash stay whole. */
	fprintf(stderr, "%s %s[%ld]: %s: %s\n", format_timestamp(ts, sizeof(ts)),
	    log_name, (long)getpid(), log_level_name(prio), msg);
}

void
log_init(const char *progname, int level)
{
	log_name = progname;
	log_level = level;
	log_backend = log_stderr;
}

void
log_set_backend(log_backend_fn fn)
{
	log_backend = fn != NULL ? fn : log_stderr;
}

const char *
log_progname(void)
{
	return log_name;
}

int
log_level_parse(const char *name, int *level)
{
	size_t i;

	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcasecmp(name, log_levels[i].name) == 0) {
			*level = log_levels[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(int level)
{
	size_t i;

	if (level < LOG_ERR)
		return "crit";
	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "debug";
}

void
log_vwrite(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved_errno = errno, n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if ((prio & LOG_ERRNO) && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(saved_errno));
	if (log_backend == NULL)
		log_backend = log_stderr;
	log_backend(prio & LOG_PRIMASK, file, line, func, fields, msg);
	errno = saved_errno;
}

void
log_write(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(prio, file, line, func, fields, fmt, ap);
	va_end(ap);
}

static int
log_ratelimit_step(struct log_ratelimit *rl, uint64_t now_ms,
    unsigned *suppressed)
{
	if (rl->window_start_ms == 0 ||
	    now_ms - rl->window_start_ms >= rl->interval_ms) {
		*suppressed = rl->suppressed;
		rl->window_start_ms = now_ms;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

/* Rate limiters are shared by worker threads; faults are not a hot path. */
static pthread_mutex_t log_ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;

int
log_ratelimit_pass(struct log_ratelimit *rl, uint64_t now_ms)
{
	unsigned suppressed = 0;
	int pass, saved_errno = errno;

	pthread_mutex_lock(&log_ratelimit_lock);
	pass = log_ratelimit_step(rl, now_ms, &suppressed);
	pthread_mutex_unlock(&log_ratelimit_lock);
	if (suppressed > 0)
		log_write(LOG_WARNING, __FILE__, __LINE__, __func__, NULL,
		    "suppressed %u messages like the next one", suppressed);
	errno = saved_errno;
	return pass;
}

/* A library that warns in a loop (a failing epoll_ctl) must not flood. */
static struct log_ratelimit libevent_rl = LOG_RATELIMIT_INIT(10000, 5);

void
log_libevent(int severity, const char *msg)
{
	int prio;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		prio = LOG_DEBUG;
		break;
	case EVENT_LOG_MSG:
		prio = LOG_INFO;
		break;
	case EVENT_LOG_WARN:
		prio = LOG_WARNING;
		break;
	default:
		prio = LOG_ERR;
		break;
	}
	log_limited(&libevent_rl, prio, NULL, "libevent: %s", msg);
}

void
log_libevent_fatal(int err)
{
	log_at(LOG_CRIT, NULL, "libevent failed (error %d): exiting", err);
	/* Other threads may be inside the library: run no exit handlers. */
	_exit(EX_SOFTWARE);
}

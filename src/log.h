/*
 * log.h - the one logging API of echod and echo-client.
 *
 * Levels are syslog priorities.  The level test happens in the macro, so a
 * message below the threshold costs one comparison: no formatting, no call.
 * Structured fields ("KEY=value" strings, NULL-terminated array) travel with
 * a message; the stderr backend ignores them, the journal backend sends them.
 */
#ifndef ECHOD_LOG_H
#define ECHOD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

#include "units.h"

/* A backend writes one finished message; fields may be NULL. */
typedef void (*log_backend_fn)(int prio, const char *file, int line,
    const char *func, const char *const *fields, const char *msg);

extern int log_level;

/* Sets the program name shown in stderr lines and SYSLOG_IDENTIFIER. */
void	log_init(const char *progname, int level);
/* Replaces the backend (tests, or a backend added by another module). */
void	log_set_backend(log_backend_fn fn);
const char *log_progname(void);

/* Parses "err", "warning", "notice", "info", "debug" (and a few aliases). */
int	log_level_parse(const char *name, int *level);
const char *log_level_name(int level);

/* prio may carry LOG_ERRNO; the backend gets the bare priority. */
void	log_write(int prio, const char *file, int line, const char *func,
	    const char *const *fields, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	log_vwrite(int prio, const char *file, int line, const char *func,
	    const char *const *fields, const char *fmt, va_list ap)
	    __attribute__((format(printf, 6, 0)));

/*
 * Or'd into a priority: the message gets ": " and strerror(errno) appended,
 * errno as it was when the log call began (OpenBSD's log_warn).
 */
#define LOG_ERRNO	0x400

#define log_enabled(prio)	(((prio) & LOG_PRIMASK) <= log_level)

#define log_at(prio, fields, ...) do {					\
	if (log_enabled(prio))						\
		log_write((prio), __FILE__, __LINE__, __func__,		\
		    (fields), __VA_ARGS__);				\
} while (0)

#define log_err(...)	log_at(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_at(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)	log_at(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)	log_at(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_at(LOG_DEBUG, NULL, __VA_ARGS__)
/* A warning that ends in ": strerror(errno)". */
#define log_warn(...)	log_at(LOG_WARNING | LOG_ERRNO, NULL, __VA_ARGS__)

/*
 * libevent's own messages as ours (event_set_log_callback): "[warn] ..."
 * becomes a warning, rate limited, with a "libevent: " prefix.
 */
void	log_libevent(int severity, const char *msg);
/*
 * libevent's fatal errors (event_set_fatal_callback) would exit 1 from
 * inside the library: log one line and exit 70 (EX_SOFTWARE) instead.
 */
void	log_libevent_fatal(int err) __attribute__((noreturn));

/*
 * Rate limiting for messages a fault can repeat (EMFILE, resets): at most
 * `burst` messages per `interval_ms`; when a window with suppressed messages
 * ends, the next message is preceded by "suppressed N messages".
 */
struct log_ratelimit {
	unsigned	interval_ms;
	unsigned	burst;
	uint64_t	window_start_ms;
	unsigned	printed;
	unsigned	suppressed;
};

#define LOG_RATELIMIT_INIT(interval_ms, burst) { (interval_ms), (burst), 0, 0, 0 }

/*
 * Returns 1 if a message may be written now (and logs pending suppressions).
 * errno is kept, for a LOG_ERRNO message that follows.
 */
int	log_ratelimit_pass(struct log_ratelimit *rl, uint64_t now_ms);

#define log_limited(rl, prio, fields, ...) do {				\
	if (log_enabled(prio) &&					\
	    log_ratelimit_pass((rl), clock_monotonic_ms()))		\
		log_write((prio), __FILE__, __LINE__, __func__,		\
		    (fields), __VA_ARGS__);				\
} while (0)

#endif

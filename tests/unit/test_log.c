/* test_log.c - level names, the level gate, backends and rate limiting. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "log.h"

#define SEEN_MAX	16

/* What the capturing backend was handed. */
static struct {
	size_t	n;
	int	prio[SEEN_MAX];
	char	msg[SEEN_MAX][1100];
	char	func[SEEN_MAX][64];
	const char *const *fields[SEEN_MAX];
} seen;

static void
capture(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *msg)
{
	assert_non_null(file);
	assert_true(line > 0);
	if (seen.n == SEEN_MAX)
		fail_msg("more than %d messages", SEEN_MAX);
	seen.prio[seen.n] = prio;
	snprintf(seen.msg[seen.n], sizeof(seen.msg[0]), "%s", msg);
	snprintf(seen.func[seen.n], sizeof(seen.func[0]), "%s", func);
	seen.fields[seen.n] = fields;
	seen.n++;
}

static int
setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	log_init("test_log", LOG_NOTICE);
	log_set_backend(capture);
	return 0;
}

static void
test_level_names(void **state)
{
	static const struct {
		const char	*name;
		int		 level;	/* -1: refused */
	} cases[] = {
		{ "err",	LOG_ERR },
		{ "error",	LOG_ERR },
		{ "ERR",	LOG_ERR },
		{ "warning",	LOG_WARNING },
		{ "warn",	LOG_WARNING },
		{ "Warning",	LOG_WARNING },
		{ "notice",	LOG_NOTICE },
		{ "info",	LOG_INFO },
		{ "INFO",	LOG_INFO },
		{ "debug",	LOG_DEBUG },
		{ "",		-1 },
		{ "inf",	-1 },
		{ "infos",	-1 },
		{ "verbose",	-1 },
		{ "crit",	-1 },
		{ "6",		-1 },
		{ " info",	-1 },
	};
	size_t i;
	int level;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		level = -1;
		if (log_level_parse(cases[i].name, &level) !=
		    (cases[i].level == -1 ? -1 : 0) || level != cases[i].level)
			fail_msg("\"%s\": level %d, want %d", cases[i].name,
			    level, cases[i].level);
	}
}

static void
test_level_to_name(void **state)
{
	static const struct {
		int		 level;
		const char	*name;
	} cases[] = {
		{ LOG_EMERG,	"crit" },
		{ LOG_ALERT,	"crit" },
		{ LOG_CRIT,	"crit" },
		{ LOG_ERR,	"err" },
		{ LOG_WARNING,	"warning" },
		{ LOG_NOTICE,	"notice" },
		{ LOG_INFO,	"info" },
		{ LOG_DEBUG,	"debug" },
	};
	size_t i;
	int level;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(log_level_name(cases[i].level),
		    cases[i].name);
		/* Every name printed reads back as its level. */
		if (cases[i].level >= LOG_ERR) {
			assert_int_equal(log_level_parse(cases[i].name,
			    &level), 0);
			assert_int_equal(level, cases[i].level);
		}
	}
}

static int
count_call(int *calls)
{
	return ++*calls;
}

/* Below the threshold the arguments are not even evaluated. */
static void
test_level_gate(void **state)
{
	int calls = 0;

	(void)state;
	log_level = LOG_NOTICE;
	log_info("info %d", count_call(&calls));
	log_debug("debug %d", count_call(&calls));
	assert_int_equal(calls, 0);
	assert_int_equal(seen.n, 0);

	log_notice("notice %d", count_call(&calls));
	log_warning("warning %d", count_call(&calls));
	log_err("err %d", count_call(&calls));
	assert_int_equal(calls, 3);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.prio[0], LOG_NOTICE);
	assert_string_equal(seen.msg[0], "notice 1");
	assert_int_equal(seen.prio[1], LOG_WARNING);
	assert_string_equal(seen.msg[1], "warning 2");
	assert_int_equal(seen.prio[2], LOG_ERR);
	assert_string_equal(seen.msg[2], "err 3");
	assert_string_equal(seen.func[2], "test_level_gate");

	log_level = LOG_DEBUG;
	log_debug("debug %d", count_call(&calls));
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.prio[3], LOG_DEBUG);
}

static void
test_write(void **state)
{
	const char *const fields[] = { "CONN_ID=7", "PEER=[::1]:9", NULL };
	char big[3000];

	(void)state;
	/* Fields travel with the message untouched. */
	log_at(LOG_NOTICE, fields, "conn %d", 7);
	assert_int_equal(seen.n, 1);
	assert_ptr_equal(seen.fields[0], fields);
	assert_string_equal(seen.msg[0], "conn 7");

	/* Logging keeps errno, so "log, then report errno" works. */
	errno = ECONNRESET;
	log_err("reset");
	assert_int_equal(errno, ECONNRESET);

	/* A long message is cut to the line buffer, never overrun. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_err("%s", big);
	assert_int_equal(seen.n, 3);
	assert_int_equal(strlen(seen.msg[2]), 1023);

	/* NULL puts the stderr backend back; the capture sees no more. */
	log_set_backend(NULL);
	log_err("to stderr");
	assert_int_equal(seen.n, 3);
	assert_string_equal(log_progname(), "test_log");
}

static void
test_ratelimit_window(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000, 3);
	uint64_t t = 50000;
	int i;

	(void)state;
	log_level = LOG_DEBUG;
	for (i = 0; i < 3; i++)
		assert_int_equal(log_ratelimit_pass(&rl, t + (uint64_t)i), 1);
	for (i = 0; i < 4; i++)
		assert_int_equal(log_ratelimit_pass(&rl, t + 10), 0);
	/* The last millisecond of the window still belongs to it. */
	assert_int_equal(log_ratelimit_pass(&rl, t + 999), 0);
	assert_int_equal(seen.n, 0);

	/* The next window opens with the count of what was dropped. */
	assert_int_equal(log_ratelimit_pass(&rl, t + 1000), 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.prio[0], LOG_WARNING);
	assert_string_equal(seen.msg[0],
	    "suppressed 5 messages like the next one");

	/* A window without drops reports nothing. */
	assert_int_equal(log_ratelimit_pass(&rl, t + 1001), 1);
	assert_int_equal(log_ratelimit_pass(&rl, t + 5000), 1);
	assert_int_equal(seen.n, 1);

	/* A window starts at its first message, not on a fixed grid. */
	assert_int_equal(log_ratelimit_pass(&rl, t + 5001), 1);
	assert_int_equal(log_ratelimit_pass(&rl, t + 5002), 1);
	assert_int_equal(log_ratelimit_pass(&rl, t + 5999), 0);
	assert_int_equal(log_ratelimit_pass(&rl, t + 6000), 1);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.msg[1],
	    "suppressed 1 messages like the next one");
}

/* The macro: the gate, the limiter and the message, in that order. */
static void
test_log_limited(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(600000, 2);
	int i;

	(void)state;
	log_level = LOG_NOTICE;
	/* Below the level nothing counts against the budget. */
	for (i = 0; i < 5; i++)
		log_limited(&rl, LOG_INFO, NULL, "quiet %d", i);
	assert_int_equal(rl.printed, 0);
	assert_int_equal(rl.suppressed, 0);

	for (i = 0; i < 5; i++)
		log_limited(&rl, LOG_WARNING, NULL, "accept: %d", i);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.msg[0], "accept: 0");
	assert_string_equal(seen.msg[1], "accept: 1");
	assert_int_equal(rl.suppressed, 3);

	/* Age the window instead of sleeping through ten minutes. */
	rl.window_start_ms -= rl.interval_ms;
	log_limited(&rl, LOG_WARNING, NULL, "accept: %d", 9);
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.msg[2],
	    "suppressed 3 messages like the next one");
	assert_string_equal(seen.msg[3], "accept: 9");
}

/* LOG_ERRNO appends errno as the call found it, at every level and gate. */
static void
test_errno(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(600000, 1);
	char big[3000];

	(void)state;
	log_level = LOG_NOTICE;
	errno = EMFILE;
	log_warn("accept on %s", "[::1]:7");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.prio[0], LOG_WARNING);
	assert_string_equal(seen.msg[0], "accept on [::1]:7: Too many open files");
	assert_int_equal(errno, EMFILE);

	/* Below the level: nothing; the flag does not lift the priority. */
	log_at(LOG_INFO | LOG_ERRNO, NULL, "quiet");
	assert_int_equal(seen.n, 1);

	errno = ECONNREFUSED;
	log_at(LOG_ERR | LOG_ERRNO, NULL, "connect");
	assert_int_equal(seen.prio[1], LOG_ERR);
	assert_string_equal(seen.msg[1], "connect: Connection refused");

	/* The limiter's own "suppressed" line does not disturb errno. */
	errno = ENOBUFS;
	log_limited(&rl, LOG_WARNING | LOG_ERRNO, NULL, "send");
	log_limited(&rl, LOG_WARNING | LOG_ERRNO, NULL, "send");
	rl.window_start_ms -= rl.interval_ms;
	errno = ENOBUFS;
	log_limited(&rl, LOG_WARNING | LOG_ERRNO, NULL, "send");
	assert_int_equal(seen.n, 5);
	assert_string_equal(seen.msg[2], "send: No buffer space available");
	assert_string_equal(seen.msg[3],
	    "suppressed 1 messages like the next one");
	assert_string_equal(seen.msg[4], "send: No buffer space available");

	/* A message that fills the buffer is cut, never overrun. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warn("%s", big);
	assert_int_equal(strlen(seen.msg[5]), 1023);
}

/* libevent's messages arrive as ours, at their level, with a prefix. */
static void
test_libevent(void **state)
{
	static const struct {
		int	severity;
		int	prio;
	} cases[] = {
		{ EVENT_LOG_DEBUG,	LOG_DEBUG },
		{ EVENT_LOG_MSG,	LOG_INFO },
		{ EVENT_LOG_WARN,	LOG_WARNING },
		{ EVENT_LOG_ERR,	LOG_ERR },
	};
	size_t i;

	(void)state;
	log_level = LOG_DEBUG;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		log_libevent(cases[i].severity, "epoll_create: Too many");
	assert_int_equal(seen.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(seen.prio[i], cases[i].prio);
		assert_string_equal(seen.msg[i],
		    "libevent: epoll_create: Too many");
	}
}

/* A fatal error in libevent exits 70, after saying so. */
static void
test_libevent_fatal(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		log_libevent_fatal(-559030611);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EX_SOFTWARE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_level_names, setup),
		cmocka_unit_test_setup(test_level_to_name, setup),
		cmocka_unit_test_setup(test_level_gate, setup),
		cmocka_unit_test_setup(test_write, setup),
		cmocka_unit_test_setup(test_ratelimit_window, setup),
		cmocka_unit_test_setup(test_log_limited, setup),
		cmocka_unit_test_setup(test_errno, setup),
		cmocka_unit_test_setup(test_libevent, setup),
		cmocka_unit_test_setup(test_libevent_fatal, setup),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}

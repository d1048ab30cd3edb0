/* test_options.c - echod's command line: defaults, values, refusals. */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "options.h"

#define ARGS_MAX	16
#define OUT_MAX		8192

/* What one options_parse() call returned and printed. */
struct run {
	int		rc;
	struct config	conf;
	char		out[OUT_MAX];	/* stdout */
	char		err[OUT_MAX];	/* stderr */
};

/* Points fd at a fresh temporary file; returns the saved descriptor. */
static int
redirect(int fd, FILE **tmp)
{
	int saved;

	fflush(NULL);
	*tmp = tmpfile();
	assert_non_null(*tmp);
	saved = dup(fd);
	assert_true(saved != -1);
	assert_int_not_equal(dup2(fileno(*tmp), fd), -1);
	return saved;
}

static void
restore(int fd, int saved, FILE *tmp, char *buf, size_t len)
{
	size_t n;

	fflush(NULL);
	assert_int_not_equal(dup2(saved, fd), -1);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

/* Runs options_parse on "echod" and the NULL-terminated arguments. */
static void
parse_argv(struct run *r, const char *const *args)
{
	char *argv[ARGS_MAX + 2];
	FILE *out, *err;
	int argc = 0, so, se;

	argv[argc++] = (char *)"echod";
	for (; *args != NULL; args++) {
		assert_true(argc <= ARGS_MAX);
		argv[argc++] = (char *)*args;
	}
	argv[argc] = NULL;
	so = redirect(STDOUT_FILENO, &out);
	se = redirect(STDERR_FILENO, &err);
	r->rc = options_parse(argc, argv, &r->conf);
	restore(STDERR_FILENO, se, err, r->err, sizeof(r->err));
	restore(STDOUT_FILENO, so, out, r->out, sizeof(r->out));
}

#define PARSE(r, ...) do {						\
	const char *const args_[] = { __VA_ARGS__, NULL };		\
	parse_argv((r), args_);						\
} while (0)

static void
set_nofile(rlim_t cur)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < cur)
		skip();
	rl.rlim_cur = cur;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void
test_defaults(void **state)
{
	static struct run r, tiny;
	struct rlimit saved;

	(void)state;
	/* Both parses first: the limit is back before any assertion. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	set_nofile(1024);
	parse_argv(&r, (const char *const[]){ NULL });
	set_nofile(40);
	parse_argv(&tiny, (const char *const[]){ NULL });
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);

	assert_int_equal(r.rc, -1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	assert_int_equal(r.conf.listen.n, 0);
	assert_int_equal(r.conf.high_watermark, 256 * 1024);
	assert_int_equal(r.conf.low_watermark, 64 * 1024);
	/* Derived once echod listens, from the descriptors it holds. */
	assert_int_equal(r.conf.max_connections, 0);
	assert_int_equal(r.conf.idle_timeout_ms, 300 * 1000);
	assert_int_equal(r.conf.shutdown_timeout_ms, 10 * 1000);
	assert_int_equal(r.conf.backlog, 1024);
	assert_int_equal(r.conf.max_per_source, 0);
	assert_int_equal(r.conf.max_datagram, 65507);
	assert_int_equal(r.conf.udp_rate, 1000);
	assert_int_equal(r.conf.udp_burst, 2000);
	assert_int_equal(r.conf.udp_sources, 16384);
	assert_int_equal(r.conf.udp_allow_low_ports, 0);
	assert_int_equal(r.conf.log_level, LOG_NOTICE);
	assert_int_equal(r.conf.log_target, LOG_TARGET_AUTO);
	options_free(&r.conf);

	/* Whatever the limit. */
	assert_int_equal(tiny.rc, -1);
	assert_int_equal(tiny.conf.max_connections, 0);
	options_free(&tiny.conf);
}

/* One event loop per CPU this process may run on, whatever the machine has. */
static void
test_default_threads(void **state)
{
	static struct run r;
	cpu_set_t saved, one;
	int cpu = sched_getcpu();

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	parse_argv(&r, (const char *const[]){ NULL });
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.conf.threads, CPU_COUNT(&saved));
	options_free(&r.conf);

	CPU_ZERO(&one);
	CPU_SET(cpu >= 0 ? cpu : 0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		skip();
	parse_argv(&r, (const char *const[]){ NULL });
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.conf.threads, 1);
	options_free(&r.conf);
}

/* Each option sets its field; both ends of each range are accepted. */
static const struct {
	const char	*args[5];
	size_t		 offset;	/* into struct config */
	int		 is_int;	/* an int field, not a uint64_t */
	uint64_t	 want;
} values[] = {
#define F(field)	offsetof(struct config, field)
	{ { "--high-watermark", "1M" },	F(high_watermark), 0, 1 << 20 },
	{ { "--high-watermark", "1G", "--low-watermark", "1023M" },
	  F(low_watermark), 0, 1023 << 20 },
	{ { "--high-watermark", "1024", "--low-watermark", "1023" },
	  F(high_watermark), 0, 1024 },
	{ { "--low-watermark=0" },	F(low_watermark), 0, 0 },
	{ { "-c", "5" },		F(max_connections), 0, 5 },
	{ { "--max-connections", "10000000" }, F(max_connections), 0, 10000000 },
	{ { "-t", "0.5" },		F(idle_timeout_ms), 0, 500 },
	{ { "--idle-timeout", "0" },	F(idle_timeout_ms), 0, 0 },
	{ { "--idle-timeout=604800" },	F(idle_timeout_ms), 0, 604800000 },
	{ { "--shutdown-timeout", "2.25" }, F(shutdown_timeout_ms), 0, 2250 },
	{ { "--shutdown-timeout", "0" }, F(shutdown_timeout_ms), 0, 0 },
	{ { "--shutdown-timeout", "3600" }, F(shutdown_timeout_ms), 0, 3600000 },
	{ { "--backlog", "1" },		F(backlog), 0, 1 },
	{ { "--backlog", "5", "--backlog", "65535" }, F(backlog), 0, 65535 },
	{ { "-T", "1" },		F(threads), 0, 1 },
	{ { "--threads", "256" },	F(threads), 0, 256 },
	{ { "--max-per-source", "16" },	F(max_per_source), 0, 16 },
	{ { "--max-per-source", "10000000" }, F(max_per_source), 0, 10000000 },
	{ { "--max-datagram", "1" },	F(max_datagram), 0, 1 },
	{ { "--max-datagram", "1K" },	F(max_datagram), 0, 1024 },
	{ { "--udp-rate", "0" },	F(udp_rate), 0, 0 },
	{ { "--udp-rate", "100000000" }, F(udp_rate), 0, 100000000 },
	{ { "--udp-burst", "1" },	F(udp_burst), 0, 1 },
	{ { "--udp-burst", "100000000" }, F(udp_burst), 0, 100000000 },
	{ { "--udp-sources=16" },	F(udp_sources), 0, 16 },
	{ { "--udp-sources", "16777216" }, F(udp_sources), 0, 16777216 },
	{ { "--udp-allow-low-ports" },	F(udp_allow_low_ports), 1, 1 },
	{ { "--log-level", "err" },	F(log_level), 1, LOG_ERR },
	{ { "--log", "stderr" },	F(log_target), 1, LOG_TARGET_STDERR },
	{ { "--log=journal" },		F(log_target), 1, LOG_TARGET_JOURNAL },
	{ { "--log", "auto" },		F(log_target), 1, LOG_TARGET_AUTO },
#undef F
};

static void
test_values(void **state)
{
	static struct run r;
	const char *field;
	uint64_t got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		parse_argv(&r, values[i].args);
		if (r.rc != -1)
			fail_msg("%s: returned %d: %s", values[i].args[0],
			    r.rc, r.err);
		field = (const char *)&r.conf + values[i].offset;
		got = values[i].is_int ? (uint64_t)*(const int *)field :
		    *(const uint64_t *)field;
		if (got != values[i].want)
			fail_msg("%s %s: %llu, want %llu", values[i].args[0],
			    values[i].args[1] ? values[i].args[1] : "",
			    (unsigned long long)got,
			    (unsigned long long)values[i].want);
		options_free(&r.conf);
	}
}

/* --listen collects every address, in order, in every spelling. */
static void
test_listen_list(void **state)
{
	static const char *const want[] = {
		"127.0.0.1:7007", "[::1]:7", "unix:@echod", "*:9",
		"udp:*:7",
	};
	static struct run r;
	char text[ADDR_TEXT_MAX];
	size_t i;

	(void)state;
	PARSE(&r, "-l", "127.0.0.1:7007", "--listen", "[::1]:7",
	    "--listen=unix:@echod", "-l9", "-l", "udp:*:7");
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "");
	assert_int_equal(r.conf.listen.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < r.conf.listen.n; i++)
		assert_string_equal(addr_spec_format(&r.conf.listen.v[i], text,
		    sizeof(text)), want[i]);
	options_free(&r.conf);
	assert_null(r.conf.listen.v);
	assert_int_equal(r.conf.listen.n, 0);
}

static void
test_verbosity(void **state)
{
	static const struct {
		const char	*args[4];
		int		 level;
	} cases[] = {
		{ { NULL },				LOG_NOTICE },
		{ { "-v", NULL },			LOG_INFO },
		{ { "--verbose", NULL },		LOG_INFO },
		{ { "-vv", NULL },			LOG_DEBUG },
		{ { "-v", "--verbose", NULL },		LOG_DEBUG },
		{ { "-vvvvv", NULL },			LOG_DEBUG },
		{ { "--log-level", "err", NULL },	LOG_ERR },
		{ { "--log-level=err", "-v", NULL },	LOG_WARNING },
		{ { "-v", "--log-level", "warn", NULL }, LOG_NOTICE },
		{ { "--log-level", "INFO", NULL },	LOG_INFO },
		{ { "--log-level", "info", "-v", NULL }, LOG_DEBUG },
		{ { "--log-level", "debug", "-v", NULL }, LOG_DEBUG },
	};
	static struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_argv(&r, cases[i].args);
		assert_int_equal(r.rc, -1);
		if (r.conf.log_level != cases[i].level)
			fail_msg("case %zu: level %d, want %d", i,
			    r.conf.log_level, cases[i].level);
		options_free(&r.conf);
	}
}

/* Each refusal: exit 64, one line on stderr that says what was wrong. */
static const struct {
	const char	*args[7];
	const char	*says;
} bad[] = {
	{ { "--bogus" },			"unknown option: --bogus" },
	{ { "-x" },				"unknown option: -x" },
	{ { "--bogus", "--help" },		"unknown option: --bogus" },
	{ { "--verbose=2" },			"--verbose=2" },
	{ { "--help=yes" },			"--help=yes" },
	{ { "-l" },				"option needs a value: -l" },
	{ { "--listen" },			"option needs a value: --listen" },
	{ { "--high-watermark" },	"option needs a value: --high-watermark" },
	{ { "extra" },				"unexpected argument: extra" },
	{ { "-v", "extra", "-v" },		"unexpected argument: extra" },
	{ { "--", "-v" },			"unexpected argument: -v" },
	{ { "-l", "" },				"--listen : empty address" },
	{ { "-l", "localhost:99999" },		"port must be a number" },
	{ { "-l", "localhost:echo" },		"port must be a number" },
	{ { "-l", "localhost:" },		"missing port" },
	{ { "--listen", "::1:7" },		"IPv6 addresses need brackets" },
	{ { "--listen", "[::1:7" },		"missing ']'" },
	{ { "--listen", "[::x]:7" },		"bad IPv6 address" },
	{ { "-l", "7", "-l", "udp:unix:/x" },	"stream only" },
	{ { "-l", "unix:" },			"missing socket path" },
	{ { "--high-watermark", "1023" },	"--high-watermark 1023: too small" },
	{ { "--high-watermark", "2G" },		"--high-watermark 2G: too large" },
	{ { "--high-watermark", "1X" },		"bad suffix" },
	{ { "--high-watermark", "-1" },		"not a number" },
	{ { "--low-watermark", "lots" },	"--low-watermark lots: not a number" },
	{ { "--low-watermark", "2G" },		"too large" },
	{ { "-c", "0" },			"--max-connections 0: too small" },
	{ { "--max-connections", "10000001" },	"too large" },
	{ { "-c", "many" },			"not a number" },
	{ { "-t", "-1" },			"--idle-timeout -1: not a number" },
	{ { "--idle-timeout", "604801" },	"too large" },
	{ { "-t", "5m" },			"not a number of seconds" },
	{ { "--shutdown-timeout", "3601" },	"--shutdown-timeout 3601: too large" },
	{ { "--shutdown-timeout", "0.5s" },	"not a number of seconds" },
	{ { "--backlog", "0" },			"--backlog 0: too small" },
	{ { "--backlog", "65536" },		"too large" },
	{ { "--log-level", "loud" },		"--log-level loud: not a level" },
	{ { "--log-level", "" },		"not a level" },
	{ { "-T", "0" },			"--threads 0: too small" },
	{ { "--threads", "257" },		"too large" },
	{ { "--max-per-source", "10000001" },	"too large" },
	{ { "--max-per-source", "-1" },		"not a number" },
	{ { "--max-datagram", "0" },		"--max-datagram 0: too small" },
	{ { "--max-datagram", "65508" },	"too large" },
	{ { "--max-datagram", "64K" },		"too large" },
	{ { "--udp-rate", "100000001" },	"too large" },
	{ { "--udp-burst", "0" },		"--udp-burst 0: too small" },
	{ { "--udp-sources", "15" },		"--udp-sources 15: too small" },
	{ { "--udp-sources", "16777217" },	"too large" },
	{ { "--udp-allow-low-ports=1" },	"--udp-allow-low-ports=1" },
	{ { "--log", "syslog" },		"--log syslog: not one of" },
	{ { "--log", "Stderr" },		"not one of" },
	/* The watermarks are checked against each other, defaults too. */
	{ { "--low-watermark", "256K" },	"--low-watermark must be below" },
	{ { "--high-watermark", "64K" },	"--low-watermark must be below" },
	{ { "--low-watermark", "1M", "--high-watermark", "512K" },
	  "--low-watermark must be below --high-watermark" },
};

static void
test_refusals(void **state)
{
	static struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_argv(&r, bad[i].args);
		if (r.rc != EX_USAGE)
			fail_msg("%s: returned %d", bad[i].args[0], r.rc);
		if (strncmp(r.err, "echod: ", 7) != 0 ||
		    strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
			fail_msg("%s: not one line: \"%s\"", bad[i].args[0],
			    r.err);
		if (strstr(r.err, bad[i].says) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"",
			    bad[i].args[0], r.err, bad[i].says);
		if (strstr(r.err, "see echod --help") == NULL)
			fail_msg("%s: no hint: \"%s\"", bad[i].args[0], r.err);
		assert_string_equal(r.out, "");
		options_free(&r.conf);
	}
}

static void
test_help_version(void **state)
{
	static const char *const names[] = {
		"-l, --listen ADDR", "--high-watermark SIZE",
		"--low-watermark SIZE", "-c, --max-connections N",
		"-t, --idle-timeout SECONDS", "--shutdown-timeout SECONDS",
		"--backlog N", "--log-level LEVEL", "-v, --verbose",
		"-T, --threads N", "--max-per-source N", "--max-datagram SIZE",
		"--udp-rate PPS", "--udp-burst N", "--udp-sources N",
		"--udp-allow-low-ports", "--log TARGET", "(default: auto)",
		"(default: 65507)", "(default: 16384)",
		"-h, --help", "-V, --version",
		"(default: 256K)", "(default: 64K)", "(default: 300)",
		"(default: 10)", "(default: 1024)", "(default: notice)",
		"--config FILE", "(default: " SYSCONFDIR "/echod.conf",
		"--check-config",
	};
	static struct run r;
	size_t i;

	(void)state;
	PARSE(&r, "--help");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "usage: echod [options]"));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(r.out, names[i]) == NULL)
			fail_msg("--help lacks \"%s\"", names[i]);
	options_free(&r.conf);

	/* Help wins over what follows it, even a bad value. */
	PARSE(&r, "-h", "--backlog", "0");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: echod"));
	options_free(&r.conf);

	PARSE(&r, "-V");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "echod " PACKAGE_VERSION "\n");
	assert_string_equal(r.err, "");
	options_free(&r.conf);
	PARSE(&r, "--version");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "echod " PACKAGE_VERSION "\n");
	options_free(&r.conf);
}

/*
 * A caller that exits after a usage error or --help owns nothing: echod
 * returns from main at once, and anything left allocated is a leak that
 * LeakSanitizer turns into exit status 1 instead of 64.
 */
static void
test_no_leak_on_exit_paths(void **state)
{
	static struct run r;

	(void)state;
	PARSE(&r, "-l", "127.0.0.1:7", "--backlog", "0");
	assert_int_equal(r.rc, EX_USAGE);
	assert_null(r.conf.listen.v);
	assert_int_equal(r.conf.listen.n, 0);
	options_free(&r.conf);

	PARSE(&r, "-l", "127.0.0.1:7", "--help");
	assert_int_equal(r.rc, 0);
	assert_null(r.conf.listen.v);
	options_free(&r.conf);
}

/* A parse starts afresh: an error mid-cluster leaves no getopt state. */
static void
test_parse_again(void **state)
{
	static struct run r;

	(void)state;
	PARSE(&r, "-vqv");
	assert_int_equal(r.rc, EX_USAGE);
	assert_non_null(strstr(r.err, "unknown option: -q"));
	options_free(&r.conf);

	PARSE(&r, "-c", "7");
	if (r.rc != -1)
		fail_msg("the next parse returned %d: %s", r.rc, r.err);
	assert_int_equal(r.conf.log_level, LOG_NOTICE);
	assert_int_equal(r.conf.max_connections, 7);
	options_free(&r.conf);
}

/* A settings file, and the directory it is in, removed by unmake(). */
static void
make_conf(const char *path, const char *text)
{
	FILE *f;

	(void)mkdir(SYSCONFDIR, 0755);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
unmake(const char *path)
{
	assert_int_equal(unlink(path), 0);
	(void)rmdir(SYSCONFDIR);
}

#define CONF_FILE	SYSCONFDIR "/other.conf"

/* The default file is read when it is there, and its absence is fine. */
static void
test_config_default(void **state)
{
	static struct run r;

	(void)state;
	(void)unlink(OPTIONS_CONFIG_DEFAULT);
	PARSE(&r, "-c", "9");
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "");
	assert_int_equal(r.conf.backlog, 1024);
	options_free(&r.conf);

	make_conf(OPTIONS_CONFIG_DEFAULT, "backlog = 77\n");
	PARSE(&r, "-c", "9");
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.conf.backlog, 77);
	assert_int_equal(r.conf.max_connections, 9);
	options_free(&r.conf);
	/* --config reads its file instead, not as well. */
	make_conf(CONF_FILE, "idle-timeout = 5\n");
	PARSE(&r, "--config", CONF_FILE);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.conf.backlog, 1024);
	assert_int_equal(r.conf.idle_timeout_ms, 5000);
	options_free(&r.conf);
	unmake(CONF_FILE);
	unmake(OPTIONS_CONFIG_DEFAULT);
}

/* The command line overrides the file; its --listen replaces the list. */
static void
test_config_overrides(void **state)
{
	static const struct {
		const char	*args[5];
		uint64_t	 backlog;
		size_t		 nlisten;
		int		 level;
	} cases[] = {
		{ { NULL }, 5, 2, LOG_WARNING },
		{ { "--backlog", "6" }, 6, 2, LOG_WARNING },
		{ { "-l", "127.0.0.1:9" }, 5, 1, LOG_WARNING },
		{ { "-l", "127.0.0.1:9", "-l", "[::1]:9" }, 5, 2, LOG_WARNING },
		/* -v counts afresh: once replaces the file's once. */
		{ { "-v" }, 5, 2, LOG_WARNING },
		{ { "-vv" }, 5, 2, LOG_NOTICE },
		{ { "--log-level", "debug" }, 5, 2, LOG_DEBUG },
	};
	static struct run r;
	const char *args[8];
	size_t i, j;

	(void)state;
	make_conf(CONF_FILE, "backlog = 5\nlisten = 127.0.0.1:7001\n"
	    "log-level = err\nverbose = 1\nlisten = unix:@echod-test\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		args[0] = "--config";
		args[1] = CONF_FILE;
		for (j = 0; cases[i].args[j] != NULL; j++)
			args[2 + j] = cases[i].args[j];
		args[2 + j] = NULL;
		parse_argv(&r, args);
		if (r.rc != -1)
			fail_msg("case %zu: %d: %s", i, r.rc, r.err);
		if (r.conf.backlog != cases[i].backlog ||
		    r.conf.listen.n != cases[i].nlisten ||
		    r.conf.log_level != cases[i].level)
			fail_msg("case %zu: backlog %llu, %zu listen, level %d",
			    i, (unsigned long long)r.conf.backlog,
			    r.conf.listen.n, r.conf.log_level);
		options_free(&r.conf);
	}
	PARSE(&r, "--config", CONF_FILE, "-l", "127.0.0.1:9");
	assert_string_equal(r.conf.listen.v[0].host, "127.0.0.1");
	assert_int_equal(r.conf.listen.v[0].port, 9);
	options_free(&r.conf);
	unmake(CONF_FILE);
}

/* A bad file: exit 64 and one line naming the file and the line. */
static void
test_config_refusals(void **state)
{
	static const struct {
		const char	*text;
		const char	*says;
	} cases[] = {
		{ "backlog = 5\nhihg-watermark = 1M\n",
		  CONF_FILE ":2: unknown option \"hihg-watermark\"" },
		{ "backlog = 0\n", CONF_FILE ":1: backlog = \"0\": too small" },
		{ "backlog = 5\nbacklog = 6\n", ":2: \"backlog\" set again" },
		{ "config = /etc/passwd\n", ":1: \"config\" is for the command "
		  "line only" },
		{ "check-config = yes\n", "\"check-config\" is for the command" },
		{ "help = yes\n", "\"help\" is for the command line only" },
		{ "version = yes\n", "\"version\" is for the command line" },
		{ "verbose\n", ":1: missing '=' after \"verbose\"" },
		/* The cross-checks see the file's values too. */
		{ "low-watermark = 1M\n", "--low-watermark must be below" },
	};
	static struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_conf(CONF_FILE, cases[i].text);
		PARSE(&r, "--config", CONF_FILE, "--check-config");
		if (r.rc != EX_USAGE)
			fail_msg("case %zu: returned %d", i, r.rc);
		if (strncmp(r.err, "echod: ", 7) != 0 ||
		    strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
			fail_msg("case %zu: not one line: \"%s\"", i, r.err);
		if (strstr(r.err, cases[i].says) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i,
			    r.err, cases[i].says);
		assert_string_equal(r.out, "");
		options_free(&r.conf);
	}
	unmake(CONF_FILE);

	/* An explicit file that is not there: 66, one line. */
	PARSE(&r, "--config", CONF_FILE);
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_string_equal(r.err, "echod: cannot open " CONF_FILE
	    ": No such file or directory\n");
	options_free(&r.conf);
	/* The command line's own errors come first. */
	PARSE(&r, "--config", CONF_FILE, "--bogus");
	assert_int_equal(r.rc, EX_USAGE);
	assert_non_null(strstr(r.err, "unknown option: --bogus"));
	options_free(&r.conf);
}

/* --check-config prints the settings as a file that reads back the same. */
static void
test_check_config(void **state)
{
	static const char *const want[] = {
		"\nlisten = 127.0.0.1:7001\n", "\nhigh-watermark = 1M\n",
		"\nlow-watermark = 64K\n", "\nmax-connections = 100\n",
		"\nthreads = 3\n", "\nbacklog = 5\n",
		/* verbose = 1 is folded into the level it raises */
		"\nlog-level = warning\n", "\nlog = auto\n", "\nverbose = 0\n",
	};
	static struct run r, again;
	size_t i;

	(void)state;
	make_conf(CONF_FILE, "backlog = 5\nlisten = 127.0.0.1:7001\n"
	    "log-level = err\nverbose = 1\nhigh-watermark = 1048576\n");
	PARSE(&r, "--config", CONF_FILE, "--check-config", "-c", "100",
	    "-T", "3");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "# echod --check-config"));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(r.out, want[i]) == NULL)
			fail_msg("no \"%s\" in:\n%s", want[i], r.out);
	assert_null(strstr(r.out, "config ="));
	options_free(&r.conf);

	make_conf(CONF_FILE, r.out);
	PARSE(&again, "--config", CONF_FILE, "--check-config");
	assert_int_equal(again.rc, 0);
	assert_string_equal(again.out, r.out);
	options_free(&again.conf);
	unmake(CONF_FILE);

	/* A path with a newline cannot be written: 64, and no half a file. */
	PARSE(&r, "--config", "/dev/null", "--check-config", "-l",
	    "unix:/tmp/a\nb");
	assert_int_equal(r.rc, EX_USAGE);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "a newline cannot be written"));
	options_free(&r.conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_threads),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_listen_list),
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_no_leak_on_exit_paths),
		cmocka_unit_test(test_parse_again),
		cmocka_unit_test(test_config_default),
		cmocka_unit_test(test_config_overrides),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_check_config),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}

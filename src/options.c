/* options.c - echod's option table, defaults and cross-checks. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "handoff.h"
#include "journal.h"
#include "log.h"
#include "loopfit.h"
#include "options.h"

#define C(field)	offsetof(struct config, field)

static const struct opt echod_opts[] = {
	{ "listen", 'l', "ADDR", OPT_ADDRS, C(listen), 0, 0, NULL, NULL,
	  "listen on ADDR, repeatable: HOST:PORT, [V6]:PORT, *:PORT, "
	  "unix:PATH; proxy:ADDR behind a balancer (default: *:7)" },
	{ "metrics", 0, "ADDR", OPT_ADDRS, C(metrics), 0, 0, NULL, NULL,
	  "serve Prometheus metrics at http://ADDR/metrics, repeatable: "
	  "HOST:PORT, [V6]:PORT, *:PORT, unix:PATH (default: off)" },
	{ "high-watermark", 0, "SIZE", OPT_SIZE, C(high_watermark),
	  1024, 1ULL << 30, "256K", NULL,
	  "stop reading a client whose pending echo passes SIZE" },
	{ "low-watermark", 0, "SIZE", OPT_SIZE, C(low_watermark),
	  0, 1ULL << 30, "64K", NULL,
	  "read it again once its pending echo drains below SIZE" },
	{ "max-connections", 'c', "N", OPT_UINT, C(max_connections),
	  1, 10000000, NULL, NULL,
	  "stop accepting at N open connections (default: the open-file "
	  "limit less what echod holds, less 32)" },
	{ "idle-timeout", 't', "SECONDS", OPT_SECONDS, C(idle_timeout_ms),
	  0, 86400 * 7, "300", NULL,
	  "close connections idle this long, 0 = never" },
	{ "min-rate", 0, "SIZE", OPT_SIZE, C(min_rate), 0, 1ULL << 30, "16",
	  NULL, "also close a client that sends under SIZE bytes a second "
	  "over an --idle-timeout, 0 = off" },
	{ "shutdown-timeout", 0, "SECONDS", OPT_SECONDS,
	  C(shutdown_timeout_ms), 0, 3600, "10", NULL,
	  "on SIGTERM, close what has not drained after this long" },
	{ "max-per-source", 0, "N", OPT_UINT, C(max_per_source), 0, 10000000,
	  "0", NULL, "connections one client address may hold, 0 = any" },
	{ "max-datagram", 0, "SIZE", OPT_SIZE, C(max_datagram), 1, 65507,
	  "65507", NULL, "drop larger UDP datagrams" },
	{ "udp-rate", 0, "PPS", OPT_UINT, C(udp_rate), 0, 100000000, "1000",
	  NULL, "UDP replies per second to one source, 0 = unlimited" },
	{ "udp-burst", 0, "N", OPT_UINT, C(udp_burst), 1, 100000000, "2000",
	  NULL, "UDP replies one source may get in a burst" },
	{ "udp-sources", 0, "N", OPT_UINT, C(udp_sources), 16, 16777216,
	  "16384", NULL, "sources the UDP rate table tracks" },
	{ "udp-allow-low-ports", 0, NULL, OPT_FLAG, C(udp_allow_low_ports),
	  0, 0, NULL, NULL, "answer reflector ports (7, 9, 13, 17, 19, 37, 0)" },
	{ "threads", 'T', "N", OPT_UINT, C(threads), 1, 256, NULL, NULL,
	  "event loops serving connections "
	  "(default: one per CPU available)" },
	{ "backlog", 0, "N", OPT_UINT, C(backlog), 1, 65535, "1024", NULL,
	  "listen(2) queue of the sockets echod opens" },
	{ "log-level", 0, "LEVEL", OPT_LEVEL, C(log_level), 0, 0, "notice",
	  NULL, "err, warning, notice, info or debug" },
	{ "log", 0, "TARGET", OPT_CHOICE, C(log_target), 0, 0, "auto",
	  log_target_names, "auto, journal or stderr" },
	{ "verbose", 'v', NULL, OPT_COUNT, C(verbose), 0, 0, NULL, NULL,
	  "log one level more, repeatable" },
	{ "config", 0, "FILE", OPT_STRING, C(config_path), 0, 0, NULL, NULL,
	  "read settings from FILE (default: " OPTIONS_CONFIG_DEFAULT
	  ", if it exists)" },
	{ "check-config", 0, NULL, OPT_FLAG, C(check_config), 0, 0, NULL, NULL,
	  "check the settings, print them as echod.conf, and exit" },
	{ "reload", 0, "PID", OPT_UINT, C(reload_pid), 1, 4194304, NULL, NULL,
	  "reload the echod running as PID and wait until it has "
	  "(systemd's ExecReload=)" },
	{ "handoff-version", 0, NULL, OPT_FLAG, C(handoff_version), 0, 0, NULL,
	  NULL, "check the settings, print the version of the reload "
	  "hand-off this binary reads, and exit" },
	OPT_HELP_AND_VERSION,
};

/* What echod does rather than how it serves: the command line's alone. */
static const char *const echod_cli_only[] = {
	"config", "check-config", "reload", "handoff-version", "help",
	"version", NULL,
};

static uint64_t
options_default_threads(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > 256 ? 256 : (uint64_t)n;
}

int
options_check(struct config *conf, char *why, size_t whylen)
{
	if (conf->low_watermark >= conf->high_watermark) {
		snprintf(why, whylen,
		    "--low-watermark must be below --high-watermark");
		return -1;
	}
	if (conf->threads == 0)
		conf->threads = options_default_threads();
	conf->log_level += conf->verbose;
	if (conf->log_level > LOG_DEBUG)
		conf->log_level = LOG_DEBUG;
	/* Folded in: the settings printed read back to the same level. */
	conf->verbose = 0;
	return 0;
}

void
options_conffile(struct conffile *cf, const char *path, struct config *conf)
{
	cf->path = path;
	cf->opts = echod_opts;
	cf->nopts = OPT_COUNT_OF(echod_opts);
	cf->refused = echod_cli_only;
	cf->conf = conf;
}

/*
 * The command line alone, for its errors, --help, --version and --config:
 * -1 to go on, else the exit status.
 */
static int
options_argv(int argc, char **argv, struct config *cli, char *why,
    size_t whylen)
{
	int first;

	switch (opt_parse(echod_opts, OPT_COUNT_OF(echod_opts), argc, argv,
	    cli, &first, why, whylen)) {
	case OPT_SHOW_HELP:
		printf("echod - an echo service (RFC 862)\n\n");
		opt_usage(stdout, "echod [options]", echod_opts,
		    OPT_COUNT_OF(echod_opts));
		return 0;
	case OPT_SHOW_VERSION:
		printf("echod %s\n", ECHOD_VERSION);
		return 0;
	case OPT_ERROR:
		return EX_USAGE;
	case OPT_OK:
		break;
	}
	if (first < argc) {
		snprintf(why, whylen, "unexpected argument: %s", argv[first]);
		return EX_USAGE;
	}
	return -1;
}

/*
 * The settings as echod.conf would hold them: --check-config's output,
 * written whole or not at all.
 */
static int
options_print(struct config *conf, char *why, size_t whylen)
{
	struct conffile cf;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	options_conffile(&cf, NULL, conf);
	if ((f = open_memstream(&text, &len)) == NULL)
		goto fail;
	fprintf(f, "# echod --check-config: the settings in effect\n");
	rc = conffile_print(f, &cf, why, whylen);
	if (fclose(f) != 0)
		goto fail;
	if (rc == -1) {
		free(text);
		return EX_USAGE;
	}
	rc = fputs(text, stdout) == EOF || fflush(stdout) == EOF;
	free(text);
	if (rc) {
		fprintf(stderr, "echod: cannot write the settings: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	return 0;
fail:
	fprintf(stderr, "echod: cannot print the settings: %s\n",
	    strerror(errno));
	free(text);
	return EX_SOFTWARE;
}

/* The defaults, then the file (path, or the default one if it is there). */
static int
options_file(const char *path, struct config *conf)
{
	struct conffile cf;
	char why[512];
	int rc;

	opt_defaults(echod_opts, OPT_COUNT_OF(echod_opts), conf);
	options_conffile(&cf, path != NULL ? path : OPTIONS_CONFIG_DEFAULT,
	    conf);
	rc = conffile_load(&cf, path != NULL, &conf->config_text, why,
	    sizeof(why));
	if (rc != 0)
		fprintf(stderr, "echod: %s%s\n", why, rc == EX_USAGE ?
		    " (see echod.conf(5))" : "");
	return rc;
}

int
options_parse(int argc, char **argv, struct config *conf)
{
	struct config cli;
	const char *path;
	char why[512];
	int rc, first;

	memset(conf, 0, sizeof(*conf));
	memset(&cli, 0, sizeof(cli));
	rc = options_argv(argc, argv, &cli, why, sizeof(why));
	path = cli.config_path;
	options_free(&cli);
	if (rc == EX_USAGE)
		goto usage;
	if (rc != -1)
		return rc;

	if ((rc = options_file(path, conf)) != 0) {
		options_free(conf);
		return rc;
	}
	/* Again, over the file: the command line has the last word. */
	if (opt_parse_argv(echod_opts, OPT_COUNT_OF(echod_opts), argc, argv,
	    conf, &first, why, sizeof(why)) != OPT_OK ||
	    options_check(conf, why, sizeof(why)) == -1)
		goto usage;
	if (conf->check_config || conf->handoff_version) {
		/* As start-up would: a reload that could not start is refused. */
		if (loopfit_check(conf->threads, why, sizeof(why)) == -1)
			goto usage;
		rc = conf->check_config ? options_print(conf, why, sizeof(why)) :
		    0;
		if (rc == EX_USAGE)
			goto usage;
		/* A reload's pre-flight: the settings parse, the format fits. */
		if (rc == 0 && conf->handoff_version)
			printf("echod %s hand-off %u\n", ECHOD_VERSION,
			    (unsigned)HANDOFF_VERSION);
		options_free(conf);
		return rc;
	}
	return -1;
usage:
	fprintf(stderr, "echod: %s (see echod --help)\n", why);
	options_free(conf);
	return EX_USAGE;
}

void
options_free(struct config *conf)
{
	addr_list_free(&conf->listen);
	addr_list_free(&conf->metrics);
	free(conf->config_text);
	conf->config_text = NULL;
}

/* main.c - echo-client: options, then the health check or the load test. */
#include "config.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "opt.h"
#include "pattern.h"

#define C(field)	offsetof(struct client_conf, field)

static const char *const bench_modes[] = { "pingpong", "stream", "connect",
	NULL };

static const struct opt client_opts[] = {
	{ "bench", 'b', NULL, OPT_FLAG, C(bench), 0, 0, NULL, NULL,
	  "run a load test instead of a health check" },
	{ "connections", 'n', "N", OPT_UINT, C(connections), 1, 1000000,
	  "1", NULL, "bench: open N connections at once" },
	{ "duration", 'd', "SECONDS", OPT_SECONDS, C(duration_ms), 0, 86400,
	  "10", NULL, "bench: keep sending this long" },
	{ "mode", 'm', "MODE", OPT_CHOICE, C(mode), 0, 0, "pingpong",
	  bench_modes, "bench: pingpong (one message in flight), stream, or "
	  "connect (connect, echo, close, again)" },
	{ "rate", 'r', "R", OPT_UINT, C(rate), 1, 100000000, NULL, NULL,
	  "bench: send R messages a second in all, each when due" },
	{ "window", 0, "N", OPT_UINT, C(window), 1, 256, NULL, NULL,
	  "bench: messages in flight per connection in a stream or over udp: "
	  "(default: 1 over udp:)" },
	{ "json", 'j', NULL, OPT_FLAG, C(json), 0, 0, NULL, NULL,
	  "bench: print the report as one JSON object" },
	{ "size", 's', "BYTES", OPT_SIZE, C(size), 1, 1ULL << 30, NULL, NULL,
	  "send BYTES of a known pattern per check or message (default: 64)" },
	{ "count", 'C', "N", OPT_UINT, C(count), 1, UINT64_MAX - 1, NULL,
	  NULL, "check: repeat N times, report min/avg/max; bench: stop "
	  "after N messages" },
	{ "interval", 'i', "SECONDS", OPT_SECONDS, C(interval_ms), 0, 3600,
	  "1", NULL, "check: pause between repeated checks" },
	{ "warning", 'w', "SECONDS", OPT_SECONDS, C(warning_ms), 0, 3600,
	  NULL, NULL, "check: WARNING when the echo takes longer" },
	{ "critical", 'c', "SECONDS", OPT_SECONDS, C(critical_ms), 0, 3600,
	  NULL, NULL, "check: CRITICAL when the echo takes longer" },
	{ "timeout", 't', "SECONDS", OPT_SECONDS, C(timeout_ms), 0, 3600,
	  "10", NULL, "give up after this long (bench: connecting, and "
	  "waiting for the last echoes)" },
	{ "verbose", 'v', NULL, OPT_COUNT, C(verbose), 0, 0, NULL, NULL,
	  "log each step to stderr; twice for debug" },
	OPT_HELP_AND_VERSION,
};

static void
client_help(void)
{
	printf("echo-client - health checks and load tests for echo "
	    "services (RFC 862)\n\n");
	opt_usage(stdout, "echo-client [options] ADDR [MESSAGE...]\n"
	    "       echo-client --bench [options] ADDR", client_opts,
	    OPT_COUNT_OF(client_opts));
	printf("\nADDR is HOST:PORT, [V6]:PORT, unix:PATH, or udp:HOST:PORT "
	    "(checks only).\nWith no MESSAGE and no --size, a check sends "
	    "stdin unless it is a terminal.\n"
	    "exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
	    "(bad usage).\n");
}

/* Checks between options; fills in defaults that depend on the mode. */
static int
client_check_conf(struct client_conf *conf, const struct addr_spec *spec,
    int nmessages, char *why, size_t whylen)
{
	const char *bad = NULL;

	if (conf->timeout_ms == 0)
		bad = "--timeout must be more than 0";
	else if (conf->bench && spec->proto == ADDR_UDP &&
	    conf->mode == BENCH_CONNECT)
		bad = "--mode connect runs over TCP and unix sockets, not udp:";
	else if (conf->bench && spec->proto == ADDR_UDP &&
	    conf->size != CLIENT_UNSET && (conf->size < BENCH_UDP_SEQ ||
	    conf->size > BENCH_DGRAM_MAX))
		bad = "--bench over udp: sends --size 8 to 65507 bytes (a "
		    "sequence number, then the pattern)";
	else if (conf->window > 0 && (conf->rate > 0 || (conf->mode !=
	    BENCH_STREAM && spec->proto != ADDR_UDP)))
		bad = "--window needs --mode stream or a udp: address, and "
		    "no --rate";
	else if (conf->bench && nmessages > 0)
		bad = "--bench takes no MESSAGE: it sends --size bytes of "
		    "pattern";
	else if (conf->bench && (conf->warning_ms != CLIENT_UNSET ||
	    conf->critical_ms != CLIENT_UNSET))
		bad = "--warning and --critical are for health checks, "
		    "not --bench";
	else if (!conf->bench && (conf->json || conf->rate > 0 ||
	    conf->window > 0))
		bad = "--json, --rate and --window need --bench";
	else if (!conf->bench && nmessages > 0 && conf->size != CLIENT_UNSET)
		bad = "give MESSAGE or --size, not both";
	else if (conf->warning_ms != CLIENT_UNSET &&
	    conf->critical_ms != CLIENT_UNSET &&
	    conf->warning_ms > conf->critical_ms)
		bad = "--warning must not be above --critical";
	else if (!conf->bench && conf->count != CLIENT_UNSET &&
	    (conf->count - 1) * conf->interval_ms >= conf->timeout_ms)
		bad = "--count times --interval does not fit in --timeout";
	if (bad != NULL) {
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	if (conf->bench && conf->size == CLIENT_UNSET)
		conf->size = CLIENT_SIZE_DEFAULT;
	return 0;
}

static int
client_parse(int argc, char **argv, struct client_conf *conf,
    struct addr_spec *spec, int *first, char *why, size_t whylen)
{
	char reason[256];

	memset(conf, 0, sizeof(*conf));
	conf->size = conf->count = CLIENT_UNSET;
	conf->warning_ms = conf->critical_ms = CLIENT_UNSET;
	switch (opt_parse(client_opts, OPT_COUNT_OF(client_opts), argc, argv,
	    conf, first, why, whylen)) {
	case OPT_SHOW_HELP:
		client_help();
		return STATE_OK;
	case OPT_SHOW_VERSION:
		printf("echo-client %s\n", PACKAGE_VERSION);
		return STATE_OK;
	case OPT_ERROR:
		return STATE_UNKNOWN;
	case OPT_OK:
		break;
	}
	if (*first >= argc) {
		snprintf(why, whylen, "missing ADDR");
		return STATE_UNKNOWN;
	}
	if (addr_parse(argv[*first], spec, reason, sizeof(reason)) == -1) {
		snprintf(why, whylen, "%s: %s", argv[*first], reason);
		return STATE_UNKNOWN;
	}
	snprintf(conf->addr_text, sizeof(conf->addr_text), "%s", argv[*first]);
	if (client_check_conf(conf, spec, argc - *first - 1, why,
	    whylen) == -1)
		return STATE_UNKNOWN;
	return -1;
}

int
main(int argc, char **argv)
{
	struct client_conf conf;
	struct check_summary sum;
	struct bench_result *res = NULL;
	struct addr_spec spec;
	struct target target;
	char why[512], msg[1024];
	int first, rc, level;

	log_init("echo-client", LOG_NOTICE);
	if ((rc = client_parse(argc, argv, &conf, &spec, &first, why,
	    sizeof(why))) != -1) {
		if (rc == STATE_UNKNOWN) {
			snprintf(msg, sizeof(msg), "%s (see echo-client "
			    "--help)", why);
			report_unknown(msg);
		}
		return rc;
	}
	level = LOG_NOTICE + conf.verbose;
	log_init("echo-client", level > LOG_DEBUG ? LOG_DEBUG : level);
	/* A reset peer makes a write raise SIGPIPE; EPIPE is handled. */
	signal(SIGPIPE, SIG_IGN);
	if (target_resolve(&target, &spec, why, sizeof(why)) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", conf.addr_text, why);
		report_unknown(msg);
		return STATE_UNKNOWN;
	}
	pattern_init();
	if (!conf.bench) {
		rc = check_run(&conf, &target, argv + first + 1,
		    argc - first - 1, &sum, why, sizeof(why));
		rc = rc == -1 ? STATE_UNKNOWN : report_check(&conf, &sum);
		if (rc == STATE_UNKNOWN)
			report_unknown(why);
		goto out;
	}
	/* The histogram is large; keep it off the stack. */
	if ((res = malloc(sizeof(*res))) == NULL ||
	    bench_run(&conf, &target, res, why, sizeof(why)) == -1) {
		fprintf(stderr, "echo-client: %s\n",
		    res == NULL ? "out of memory" : why);
		rc = STATE_UNKNOWN;
		goto out;
	}
	if (conf.json)
		report_bench_json(&conf, res);
	else
		report_bench_text(&conf, res);
	rc = bench_state(res);
out:
	free(res);
	target_free(&target);
	return rc;
}

/* main.c - echo-client: options, then the health check or the load test. */
#include "config.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
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
	  NULL, "check: N checks (udp: N datagrams), with loss and rtt "
	  "min/avg/max/mdev; bench: stop after N messages" },
	{ "interval", 'i', "SECONDS", OPT_SECONDS, C(interval_ms), 0, 3600,
	  "1", NULL, "check: pause between repeated checks" },
	{ "warning", 'w', "RANGE", OPT_STRING, C(warning_arg), 0, 0,
	  NULL, NULL, "check: WARNING when the time in seconds, or the "
	  "loss after a comma (0.2,10%), is outside RANGE" },
	{ "critical", 'c', "RANGE", OPT_STRING, C(critical_arg), 0, 0,
	  NULL, NULL, "check: CRITICAL when the time or the loss is outside "
	  "RANGE" },
	{ "timeout", 't', "SECONDS", OPT_SECONDS, C(timeout_ms), 0, 3600,
	  "10", NULL, "give up after this long (bench: connecting, and "
	  "waiting for the last echoes)" },
	{ "hostname", 'H', "HOST", OPT_STRING, C(host), 0, 0, NULL, NULL,
	  "check HOST (a name, or an address; IPv6 with or without "
	  "brackets) instead of an ADDR operand" },
	{ "port", 'p', "PORT", OPT_UINT, C(port), 1, 65535, NULL, NULL,
	  "with -H: the port (7, echo's, when not given)" },
	{ "udp", 'u', NULL, OPT_FLAG, C(udp), 0, 0, NULL, NULL,
	  "with -H: over UDP" },
	{ "ipv4", '4', NULL, OPT_FLAG, C(ipv4), 0, 0, NULL, NULL,
	  "check: connect over IPv4 only" },
	{ "ipv6", '6', NULL, OPT_FLAG, C(ipv6), 0, 0, NULL, NULL,
	  "check: connect over IPv6 only" },
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
	    "       echo-client [options] -H HOST [-p PORT] [MESSAGE...]\n"
	    "       echo-client --bench [options] ADDR", client_opts,
	    OPT_COUNT_OF(client_opts));
	printf("\nADDR is HOST:PORT, [V6]:PORT, PORT (this host), unix:PATH, "
	    "or udp:HOST:PORT.\nA MESSAGE of - is stdin; with no MESSAGE a "
	    "check sends --size bytes of a\npattern.  RANGE: 10 (0 to 10), "
	    "10: (10 up), ~:10, 10:20, @10:20 (alert inside).\n"
	    "exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
	    "(bad usage).\n");
}

/* -w and -c into conf->warn and conf->crit. */
static int
client_thresholds(struct client_conf *conf, char *why, size_t whylen)
{
	const char *err;

	if (conf->warning_arg != NULL &&
	    threshold_parse(conf->warning_arg, &conf->warn, &err) == -1) {
		snprintf(why, whylen, "--warning %s: %s", conf->warning_arg,
		    err);
		return -1;
	}
	if (conf->critical_arg != NULL &&
	    threshold_parse(conf->critical_arg, &conf->crit, &err) == -1) {
		snprintf(why, whylen, "--critical %s: %s", conf->critical_arg,
		    err);
		return -1;
	}
	return 0;
}

/* What a check (not a load test) needs of its options, or NULL. */
static const char *
client_check_only(const struct client_conf *conf,
    const struct addr_spec *spec, char **messages, int nmessages)
{
	uint64_t span, size = conf->size == CLIENT_UNSET ?
	    CLIENT_SIZE_DEFAULT : conf->size;
	int i, dashes = 0;

	for (i = 0; i < nmessages; i++)
		dashes += strcmp(messages[i], "-") == 0;
	if (dashes > 1)
		return "stdin (-) can be given once";
	if (conf->count != CLIENT_UNSET &&
	    conf->count > CLIENT_CHECK_COUNT_MAX)
		return "--count of a check is at most 1000000";
	/* (count - 1) * interval: checked, as every product of options is. */
	if (conf->count != CLIENT_UNSET &&
	    (__builtin_mul_overflow(conf->count - 1, conf->interval_ms,
	    &span) || span >= conf->timeout_ms))
		return "--count times --interval does not fit in --timeout";
	if (spec->proto == ADDR_UDP && nmessages == 0 && size < PROBE_HEADER)
		return "a UDP probe's --size is at least 8 (it carries a "
		    "sequence number)";
	if (spec->proto == ADDR_UDP && nmessages == 0 &&
	    size > CHECK_DGRAM_MAX)
		return "a UDP datagram holds at most 65507 bytes";
	return NULL;
}

/* Checks between options; fills in defaults that depend on the mode. */
static int
client_check_conf(struct client_conf *conf, const struct addr_spec *spec,
    char **messages, int nmessages, char *why, size_t whylen)
{
	const char *bad = NULL;

	if (client_thresholds(conf, why, whylen) == -1)
		return -1;
	if (conf->timeout_ms == 0)
		bad = "--timeout must be more than 0";
	else if (spec->proxy)
		bad = "proxy: marks a listener of echod's; echo-client sends "
		    "no PROXY header";
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
	else if (conf->bench && (conf->warning_arg != NULL ||
	    conf->critical_arg != NULL))
		bad = "--warning and --critical are for health checks, "
		    "not --bench";
	else if (conf->bench && (conf->ipv4 || conf->ipv6))
		bad = "-4 and -6 are for health checks, not --bench";
	else if (conf->ipv4 && conf->ipv6)
		bad = "give -4 or -6, not both";
	else if (!conf->bench && (conf->json || conf->rate > 0 ||
	    conf->window > 0))
		bad = "--json, --rate and --window need --bench";
	else if (!conf->bench && nmessages > 0 && conf->size != CLIENT_UNSET)
		bad = "give MESSAGE or --size, not both";
	else if (!conf->bench)
		bad = client_check_only(conf, spec, messages, nmessages);
	if (bad != NULL) {
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	if (conf->bench && conf->size == CLIENT_UNSET)
		conf->size = CLIENT_SIZE_DEFAULT;
	return 0;
}

/*
 * The address: -H and -p, or the ADDR operand.  Leaves *first at the
 * first MESSAGE.
 */
static int
client_addr(int argc, char **argv, struct client_conf *conf,
    struct addr_spec *spec, int *first, char *why, size_t whylen)
{
	char reason[256];
	int rc;

	if (conf->host == NULL && (conf->udp || conf->port != CLIENT_UNSET)) {
		snprintf(why, whylen, "-p and -u go with -H");
		return -1;
	}
	if (conf->host == NULL && *first >= argc) {
		snprintf(why, whylen, "missing ADDR");
		return -1;
	}
	if (conf->host != NULL)
		rc = addr_from_host(conf->host, conf->port == CLIENT_UNSET ?
		    7 : (unsigned)conf->port,
		    conf->udp ? ADDR_UDP : ADDR_TCP, spec, reason,
		    sizeof(reason));
	else
		rc = addr_parse(argv[*first], spec, reason, sizeof(reason));
	if (rc == -1) {
		snprintf(why, whylen, "%s: %s", conf->host != NULL ?
		    conf->host : argv[*first], reason);
		return -1;
	}
	if (conf->host != NULL)
		addr_spec_format(spec, conf->addr_text,
		    sizeof(conf->addr_text));
	else
		snprintf(conf->addr_text, sizeof(conf->addr_text), "%s",
		    argv[(*first)++]);
	return 0;
}

static int
client_parse(int argc, char **argv, struct client_conf *conf,
    struct addr_spec *spec, int *first, char *why, size_t whylen)
{
	memset(conf, 0, sizeof(*conf));
	conf->size = conf->count = conf->port = CLIENT_UNSET;
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
	if (client_addr(argc, argv, conf, spec, first, why, whylen) == -1 ||
	    client_check_conf(conf, spec, argv + *first, argc - *first, why,
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
	pattern_init();
	if (!conf.bench) {
		if (check_run(&conf, &spec, argv + first, argc - first, &sum,
		    why, sizeof(why)) == -1) {
			report_unknown(why);
			return STATE_UNKNOWN;
		}
		return report_check(&conf, &sum);
	}
	if (target_resolve(&target, &spec, why, sizeof(why)) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", conf.addr_text, why);
		report_unknown(msg);
		return STATE_UNKNOWN;
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

/*
 * checkrun.c - a health check from start to end, under one deadline
 * (--timeout): the payload (stdin included), the name lookup, then the
 * checks one after another (check.c) or the UDP probe (probe.c), and the
 * state their statistics earn (verdict.c).
 */
#include "config.h"

#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "check.h"
#include "log.h"

static void
check_expire(evutil_socket_t fd, short what, void *arg)
{
	int *expired = arg;

	(void)fd;
	(void)what;
	*expired = 1;
}

int
check_wait(struct event_base *base, const int *done, uint64_t deadline_us)
{
	struct event *timer;
	struct timeval tv;
	uint64_t now = clock_monotonic_us(), left;
	int expired = 0;

	left = deadline_us > now ? deadline_us - now : 0;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	if ((timer = evtimer_new(base, check_expire, &expired)) == NULL)
		return -1;
	evtimer_add(timer, &tv);
	while (!*done && !expired && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	event_free(timer);
	return *done ? 0 : -1;
}

/* Resolves spec into t by deadline_us; -1 with the reason in sum. */
static int
check_resolve(struct event_base *base, struct evdns_base **dns,
    const struct client_conf *conf, const struct addr_spec *spec,
    struct target *t, uint64_t deadline_us, struct check_summary *sum)
{
	int family = conf->ipv4 ? AF_INET : conf->ipv6 ? AF_INET6 : AF_UNSPEC;
	char tt[32];

	memset(t, 0, sizeof(*t));
	addr_spec_format(spec, t->name, sizeof(t->name));
	if (spec->kind == ADDR_HOST && (*dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		snprintf(sum->reason, sizeof(sum->reason), "%s: cannot start "
		    "the resolver", t->name);
		return -1;
	}
	if (spec->kind == ADDR_HOST)
		log_info("resolving %s", spec->host);
	if (target_resolve_start(t, *dns, spec, family) == -1) {
		snprintf(sum->reason, sizeof(sum->reason), "%s: cannot start "
		    "resolving it", t->name);
		return -1;
	}
	if (check_wait(base, &t->resolved, deadline_us) == -1) {
		target_resolve_cancel(t, base);
		snprintf(sum->reason, sizeof(sum->reason), "timeout after %s "
		    "resolving %s", format_duration_us(conf->timeout_ms * 1000,
		    tt, sizeof(tt)), spec->host);
		return -1;
	}
	if (t->why[0] != '\0') {
		snprintf(sum->reason, sizeof(sum->reason), "%s: cannot resolve "
		    "it: %s", t->name, t->why);
		return -1;
	}
	return 0;
}

/* The pause between checks, cut short by the deadline; -1 when it came. */
static int
check_pause(struct event_base *base, uint64_t interval_ms, uint64_t deadline)
{
	static const int never = 0;
	uint64_t until = clock_monotonic_us() + interval_ms * 1000;

	check_wait(base, &never, until < deadline ? until : deadline);
	return clock_monotonic_us() >= deadline ? -1 : 0;
}

/* Checks one after another, over TCP, unix, or udp: with MESSAGE parts. */
static void
check_rounds(struct event_base *base, const struct client_conf *conf,
    const struct target *target, const struct payload *pl,
    uint64_t deadline, struct check_summary *sum)
{
	char reason[sizeof(sum->reason) - 64];	/* room for "check N of M: " */
	uint64_t i, us;
	int rc;

	for (i = 0; i < sum->count; i++) {
		if (i > 0 && check_pause(base, conf->interval_ms, deadline) == -1)
			break;
		rc = check_once(base, conf, target, pl, deadline, &us, reason,
		    sizeof(reason));
		if (rc == 0) {
			verdict_add(sum, us);
			continue;
		}
		if (sum->reason[0] == '\0' && sum->count > 1)
			snprintf(sum->reason, sizeof(sum->reason),
			    "check %llu of %llu: %s", (unsigned long long)i + 1,
			    (unsigned long long)sum->count, reason);
		else if (sum->reason[0] == '\0')
			snprintf(sum->reason, sizeof(sum->reason), "%s", reason);
		sum->corrupt = rc == -2;
		if (rc == -2 || clock_monotonic_us() >= deadline)
			break;
	}
}

static int
check_dgrams_too_big(const struct payload *pl)
{
	size_t i;

	for (i = 0; i < pl->nparts; i++)
		if (pl->parts[i].iov_len > CHECK_DGRAM_MAX)
			return 1;
	return 0;
}

int
check_run(const struct client_conf *conf, const struct addr_spec *spec,
    char **messages, int nmessages, struct check_summary *sum, char *why,
    size_t whylen)
{
	struct event_base *base;
	struct evdns_base *dns = NULL;
	struct target target;
	struct payload pl;
	uint64_t deadline = clock_monotonic_us() + conf->timeout_ms * 1000;
	int rc = 0, probe = spec->proto == ADDR_UDP && nmessages == 0;

	memset(sum, 0, sizeof(*sum));
	memset(&target, 0, sizeof(target));
	memset(&pl, 0, sizeof(pl));
	why[0] = '\0';
	sum->state = STATE_CRITICAL;
	sum->count = conf->count == CLIENT_UNSET ? 1 : conf->count;
	if ((base = event_base_new()) == NULL) {
		snprintf(why, whylen, "cannot create an event loop");
		return -1;
	}
	if (!probe) {
		rc = payload_build(base, conf, messages, nmessages, deadline,
		    &pl, why, whylen);
		if (rc == 1)
			snprintf(sum->reason, sizeof(sum->reason), "%s", why);
		if (rc != 0)
			goto out;
		sum->bytes = pl.len;
	}
	if (spec->proto == ADDR_UDP && check_dgrams_too_big(&pl)) {
		snprintf(why, whylen, "a UDP datagram holds at most %d bytes",
		    CHECK_DGRAM_MAX);
		rc = -1;
		goto out;
	}
	if (check_resolve(base, &dns, conf, spec, &target, deadline,
	    sum) == -1)
		goto out;
	if (probe)
		probe_run(base, conf, &target, deadline, sum);
	else
		check_rounds(base, conf, &target, &pl, deadline, sum);
	verdict_state(conf, sum);
out:
	rc = rc == -1 ? -1 : 0;
	target_free(&target);
	payload_free(&pl);
	/* Failing what is still in flight frees a cancelled lookup's parts. */
	if (dns != NULL)
		evdns_base_free(dns, 1);
	event_base_free(base);
	return rc;
}

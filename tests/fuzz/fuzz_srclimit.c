/*
 * fuzz_srclimit.c - libFuzzer target for the UDP path's per-source rate
 * limiter.  The input sets the table size, rate and burst, then is a list
 * of steps: a source (one of eight, IPv4 and IPv6), a clock advance and a
 * number of datagrams.  Besides staying in bounds and free of undefined
 * behaviour, the table may not answer more than every source's burst plus
 * its refill: sharing and reusing slots only ever limits harder.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srclimit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSOURCES	8
#define STEP_SIZE	5	/* source, 3 bytes of clock advance, datagrams */

static struct sockaddr_storage sources[NSOURCES];

static void
fuzz_sources(void)
{
	static const char *const text[NSOURCES] = {
		"192.0.2.1", "192.0.2.2", "198.51.100.7", "203.0.113.9",
		"2001:db8::1", "2001:db8::2", "::ffff:192.0.2.1", "::1",
	};
	size_t i;

	for (i = 0; i < NSOURCES; i++) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sources[i];
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sources[i];

		if (inet_pton(AF_INET, text[i], &in->sin_addr) == 1)
			in->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, text[i], &in6->sin6_addr) == 1)
			in6->sin6_family = AF_INET6;
		else
			abort();
	}
}

static uint64_t
fuzz_u32(const uint8_t *p)
{
	return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 |
	    (uint64_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srclimit sl;
	uint64_t rate, burst, now = 1, start = 1, answered = 0, limit;
	size_t slots, i;
	int used[NSOURCES] = { 0 }, nused = 0, k;

	if (size < 9)
		return 0;
	if (sources[0].ss_family == 0)
		fuzz_sources();
	slots = (size_t)data[0] + 1;
	rate = fuzz_u32(data + 1) % 100000001;	/* --udp-rate's range */
	burst = fuzz_u32(data + 5) % 100000000 + 1;
	if (srclimit_init(&sl, slots, rate, burst) == -1)
		return 0;
	for (data += 9, size -= 9; size >= STEP_SIZE;
	    data += STEP_SIZE, size -= STEP_SIZE) {
		k = data[0] % NSOURCES;
		nused += !used[k];
		used[k] = 1;
		now += (uint64_t)data[1] << 16 | (uint64_t)data[2] << 8 |
		    data[3];
		for (i = 0; i < data[4]; i++)
			answered += (uint64_t)srclimit_take(&sl,
			    (struct sockaddr *)&sources[k], now);
	}
	/* Whole tokens: each source's burst and what refilled since. */
	limit = (uint64_t)nused * (burst + (now - start) * rate / 1000);
	if (rate != 0 && answered > limit)
		abort();
	srclimit_free(&sl);
	return 0;
}

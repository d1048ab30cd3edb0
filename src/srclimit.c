/* srclimit.c - per-source token buckets in a bounded table. */
#include "config.h"

#include <sys/random.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "srclimit.h"

/* Slots a source may land in; the oldest of them is reused. */
#define SRCLIMIT_PROBES	4

int
srclimit_init(struct srclimit *sl, size_t size, uint64_t rate, uint64_t burst)
{
	size_t n = 1;

	memset(sl, 0, sizeof(*sl));
	sl->rate = rate;
	sl->burst = burst;
	if (rate == 0)
		return 0;
	while (n < size)
		n <<= 1;
	sl->slots = calloc(n, sizeof(*sl->slots));
	if (sl->slots == NULL)
		return -1;
	sl->mask = n - 1;
	/* A random key keeps spoofed sources from aiming at one slot. */
	if (getrandom(sl->key, sizeof(sl->key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(sl->key)) {
		sl->key[0] = (uint64_t)(uintptr_t)sl ^ 0x9e3779b97f4a7c15ULL;
		sl->key[1] = (uint64_t)(uintptr_t)&n;
	}
	return 0;
}

void
srclimit_free(struct srclimit *sl)
{
	free(sl->slots);
	sl->slots = NULL;
}

static void
srclimit_key(const struct sockaddr *sa, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return;
	}
	addr[10] = addr[11] = 0xff;
	memcpy(addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t
srclimit_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
srclimit_hash(const struct srclimit *sl, const uint8_t addr[16])
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return srclimit_mix(srclimit_mix(a ^ sl->key[0]) ^ b ^ sl->key[1]);
}

static struct srclimit_slot *
srclimit_find(struct srclimit *sl, const uint8_t addr[16], uint64_t now_ms)
{
	size_t i, base = (size_t)srclimit_hash(sl, addr);
	struct srclimit_slot *s, *oldest = NULL;

	for (i = 0; i < SRCLIMIT_PROBES; i++) {
		s = &sl->slots[(base + i) & sl->mask];
		if (s->last_ms != 0 && memcmp(s->addr, addr, 16) == 0)
			return s;
		if (oldest == NULL || s->last_ms < oldest->last_ms)
			oldest = s;
	}
	/* Reuse a slot only once its bucket would be full again anyway. */
	if (oldest->last_ms == 0 ||
	    (now_ms - oldest->last_ms) * sl->rate >= sl->burst * 1000) {
		memcpy(oldest->addr, addr, 16);
		oldest->last_ms = now_ms;
		oldest->millitokens = sl->burst * 1000;
		return oldest;
	}
	sl->shared++;
	return oldest;
}

int
srclimit_take(struct srclimit *sl, const struct sockaddr *sa, uint64_t now_ms)
{
	struct srclimit_slot *s;
	uint8_t addr[16];
	uint64_t cap;

	if (sl->rate == 0)
		return 1;
	srclimit_key(sa, addr);
	s = srclimit_find(sl, addr, now_ms);
	cap = sl->burst * 1000;
	/* rate tokens per second are rate millitokens per millisecond. */
	if (now_ms > s->last_ms)
		s->millitokens += (now_ms - s->last_ms) * sl->rate;
	if (s->millitokens > cap)
		s->millitokens = cap;
	s->last_ms = now_ms;
	if (s->millitokens < 1000)
		return 0;
	s->millitokens -= 1000;
	return 1;
}

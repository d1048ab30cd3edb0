/* pattern.c - the known byte pattern (see pattern.h). */
#include "config.h"

#include <string.h>

#include "pattern.h"

static unsigned char pattern[PATTERN_PERIOD + PATTERN_SPAN];

void
pattern_init(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t x;
	size_t i;

	for (i = 0; i < sizeof(pattern); i++) {
		x = (uint32_t)(i % PATTERN_PERIOD) * 2654435761U;
		x ^= x >> 15;
		x *= 0x2c1b3c6dU;
		x ^= x >> 12;
		pattern[i] = (unsigned char)alphabet[x & 63];
	}
}

size_t
pattern_span(uint64_t offset, size_t want, const unsigned char **p)
{
	*p = pattern + offset % PATTERN_PERIOD;
	return want < PATTERN_SPAN ? want : PATTERN_SPAN;
}

size_t
pattern_diff(uint64_t offset, const unsigned char *buf, size_t len)
{
	const unsigned char *p;
	size_t done = 0, n, i;

	while (done < len) {
		n = pattern_span(offset + done, len - done, &p);
		if (memcmp(buf + done, p, n) != 0) {
			for (i = 0; buf[done + i] == p[i]; i++)
				;
			return done + i;
		}
		done += n;
	}
	return len;
}

unsigned char
pattern_byte(uint64_t offset)
{
	return pattern[offset % PATTERN_PERIOD];
}

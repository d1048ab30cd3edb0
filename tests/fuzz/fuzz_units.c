/*
 * fuzz_units.c - libFuzzer target for parse_uint, parse_size and
 * parse_seconds, each under a set of bounds.  Besides staying in bounds and
 * free of undefined behaviour, a result must respect its bounds, agree
 * with strtoull on the digits, and come with a reason when refused.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint64_t fuzz_bounds[] = {
	0, 1, 1023, 65535, 1ULL << 30, UINT32_MAX, UINT64_MAX,
};

#define NBOUNDS	(sizeof(fuzz_bounds) / sizeof(fuzz_bounds[0]))

/* The leading decimal digits as strtoull reads them; -1 if none or too big. */
static int
fuzz_digits(const char *s, uint64_t *v, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &e, 10);
	*end = e;
	return errno == 0 ? 0 : -1;
}

static void
fuzz_refused(const char *why)
{
	if (why == NULL || why[0] == '\0')
		abort();
}

static void
fuzz_uint(const char *s, uint64_t min, uint64_t max)
{
	const char *why = NULL, *end;
	uint64_t v = 0, want;
	int ok;

	ok = fuzz_digits(s, &want, &end) == 0 && *end == '\0' &&
	    want >= min && want <= max;
	if (parse_uint(s, min, max, &v, &why) == 0) {
		if (!ok || v != want)
			abort();
	} else if (ok) {
		abort();
	} else {
		fuzz_refused(why);
	}
}

static void
fuzz_size(const char *s, uint64_t max)
{
	const char *why = NULL, *end;
	uint64_t v = 0, digits;

	if (parse_size(s, max, &v, &why) == -1) {
		fuzz_refused(why);
		return;
	}
	/* A size is its digits times a power of 1024, and never above max. */
	if (v > max || fuzz_digits(s, &digits, &end) == -1)
		abort();
	if (digits == 0 ? v != 0 : (v % digits != 0 ||
	    __builtin_popcountll(v / digits) != 1 ||
	    __builtin_ctzll(v / digits) % 10 != 0))
		abort();
}

static void
fuzz_seconds(const char *s, unsigned max_s)
{
	const char *why = NULL, *end;
	uint64_t ms = 0, whole;

	if (parse_seconds(s, max_s, &ms, &why) == -1) {
		fuzz_refused(why);
		return;
	}
	if (ms > (uint64_t)max_s * 1000 ||
	    fuzz_digits(s, &whole, &end) == -1 || ms / 1000 != whole)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t i, j;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < NBOUNDS; i++) {
		for (j = 0; j <= i; j++)
			fuzz_uint(s, fuzz_bounds[j], fuzz_bounds[i]);
		fuzz_size(s, fuzz_bounds[i]);
		fuzz_seconds(s, fuzz_bounds[i] > UINT_MAX ? UINT_MAX :
		    (unsigned)fuzz_bounds[i]);
	}
	free(s);
	return 0;
}

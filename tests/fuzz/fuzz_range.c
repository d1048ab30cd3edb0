/*
 * fuzz_range.c - libFuzzer target for echo-client's threshold ranges
 * (src/client/range.c).  Besides staying in bounds and free of undefined
 * behaviour, an accepted range must have start <= end, print as text that
 * parses back to the same range, and a refusal must come with a reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/range.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_range(const char *s)
{
	struct range r, back;
	const char *why = NULL;
	char text[64];

	if (range_parse(s, &r, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (!r.set || r.lo > r.hi)
		abort();
	range_format(&r, text, sizeof(text));
	if (range_parse(text, &back, &why) == -1 ||
	    memcmp(&r, &back, sizeof(r)) != 0)
		abort();
	/* Both ends are in the range, unless '@' turns it inside out. */
	if (range_alert(&r, r.lo) != r.inside ||
	    range_alert(&r, r.hi) != r.inside)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct threshold t;
	const char *why;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_range(s);
	if (threshold_parse(s, &t, &why) == 0 && !t.time.set && !t.loss.set)
		abort();
	free(s);
	return 0;
}

/*
 * pattern.h - the known bytes echo-client sends when it makes up its own
 * data (--size, and every load test), and checks coming back.  Printable,
 * so a verbose log stays readable; the period is prime and the bytes are
 * hashed, so a lost, repeated or crossed-over block does not line up.
 */
#ifndef ECHO_PATTERN_H
#define ECHO_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define PATTERN_PERIOD	65521
#define PATTERN_SPAN	65536	/* longest run pattern_span hands out */

/* Builds the table; call once before the others. */
void	pattern_init(void);
/* Points *p at the pattern from offset on; returns min(want, PATTERN_SPAN). */
size_t	pattern_span(uint64_t offset, size_t want, const unsigned char **p);
/* The index of the first byte of buf that is not the pattern, or len. */
size_t	pattern_diff(uint64_t offset, const unsigned char *buf, size_t len);
unsigned char pattern_byte(uint64_t offset);

#endif

/*
 * units.h - numbers people type and read: sizes, durations, counts, and the
 * clocks behind them.  Shared by echod and echo-client.
 *
 * Parsers take the whole string (no trailing junk), return 0 on success and
 * -1 on error with a short reason in *why ("not a number", "too large").
 */
#ifndef ECHOD_UNITS_H
#define ECHOD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "4096", "64K", "1M", "2G" (binary multiples, K = 1024); case-insensitive. */
int	parse_size(const char *s, uint64_t max, uint64_t *out, const char **why);
/* A decimal integer in [min, max]. */
int	parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
	    const char **why);
/* Seconds, decimal fractions allowed ("0.25"), in [0, max_s]; result in ms. */
int	parse_seconds(const char *s, unsigned max_s, uint64_t *out_ms,
	    const char **why);

/* "512 B", "64.0 KiB", "1.5 MiB": into buf, returns buf. */
const char *format_size(uint64_t bytes, char *buf, size_t len);
/* "412 us", "3.25 ms", "1.500 s": into buf, returns buf. */
const char *format_duration_us(uint64_t us, char *buf, size_t len);
/* Wall clock as ISO 8601 local time with milliseconds and offset. */
const char *format_timestamp(char *buf, size_t len);

uint64_t clock_monotonic_ms(void);
uint64_t clock_monotonic_us(void);

#endif

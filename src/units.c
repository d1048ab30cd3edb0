/* units.c - parsing and formatting of sizes, durations and counts. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "units.h"

static int
parse_digits(const char *s, uint64_t *out, const char **end, const char **why)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s)) {
		*why = "not a number";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	*end = s;
	return 0;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **why)
{
	const char *end;
	uint64_t v;

	if (parse_digits(s, &v, &end, why) == -1)
		return -1;
	if (*end != '\0') {
		*why = "not a number";
		return -1;
	}
	if (v < min) {
		*why = "too small";
		return -1;
	}
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

/* The multiplier of a size suffix: "", "B", "K", "KB", "KiB", "M", ... */
static int
size_suffix(const char *p, uint64_t *mult)
{
	static const char units[] = "kmg";
	const char *u;

	*mult = 1;
	if (*p == '\0' || strcasecmp(p, "b") == 0)
		return 0;
	u = strchr(units, tolower((unsigned char)*p));
	if (u == NULL)
		return -1;
	*mult = 1ULL << (10 * (u - units + 1));
	p++;
	if (*p == '\0' || strcasecmp(p, "b") == 0 || strcasecmp(p, "ib") == 0)
		return 0;
	return -1;
}

int
parse_size(const char *s, uint64_t max, uint64_t *out, const char **why)
{
	const char *end;
	uint64_t v, mult;

	if (parse_digits(s, &v, &end, why) == -1)
		return -1;
	if (size_suffix(end, &mult) == -1) {
		*why = "bad suffix (use K, M or G)";
		return -1;
	}
	if (v > max / mult) {
		*why = "too large";
		return -1;
	}
	*out = v * mult;
	return 0;
}

int
parse_seconds(const char *s, unsigned max_s, uint64_t *out_ms, const char **why)
{
	const char *end;
	uint64_t whole, ms = 0, scale = 100;

	if (parse_digits(s, &whole, &end, why) == -1)
		return -1;
	if (*end == '.') {
		for (end++; isdigit((unsigned char)*end); end++) {
			if (scale == 0 && *end != '0') {
				*why = "finer than a millisecond";
				return -1;
			}
			ms += (uint64_t)(*end - '0') * scale;
			scale /= 10;
		}
	}
	if (*end != '\0') {
		*why = "not a number of seconds";
		return -1;
	}
	if (whole > max_s || (whole == max_s && ms > 0)) {
		*why = "too large";
		return -1;
	}
	*out_ms = whole * 1000 + ms;
	return 0;
}

const char *
format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

const char *
format_duration_us(uint64_t us, char *buf, size_t len)
{
	if (us < 1000)
		snprintf(buf, len, "%" PRIu64 " us", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.2f ms", (double)us / 1e3);
	else
		snprintf(buf, len, "%.3f s", (double)us / 1e6);
	return buf;
}

const char *
format_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[32], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%s.%03ld%.3s:%s", date, ts.tv_nsec / 1000000,
	    zone, zone + 3);
	return buf;
}

uint64_t
clock_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
clock_monotonic_ms(void)
{
	return clock_monotonic_us() / 1000;
}

/* test_units.c - sizes, counts and durations people type and read. */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "units.h"

#define KIB	1024ULL
#define MIB	(1024 * KIB)
#define GIB	(1024 * MIB)

/* One parser case: why is NULL when the text must be accepted. */
struct parse_case {
	const char	*text;
	uint64_t	 lo, hi;	/* parse_uint: [lo, hi]; others: hi */
	uint64_t	 want;
	const char	*why;
};

static const struct parse_case size_cases[] = {
	{ "0",		0, UINT64_MAX, 0, NULL },
	{ "4096",	0, UINT64_MAX, 4096, NULL },
	{ "1B",		0, UINT64_MAX, 1, NULL },
	{ "512b",	0, UINT64_MAX, 512, NULL },
	{ "1K",		0, UINT64_MAX, KIB, NULL },
	{ "64k",	0, UINT64_MAX, 64 * KIB, NULL },
	{ "1KB",	0, UINT64_MAX, KIB, NULL },
	{ "1kb",	0, UINT64_MAX, KIB, NULL },
	{ "1KiB",	0, UINT64_MAX, KIB, NULL },
	{ "1kib",	0, UINT64_MAX, KIB, NULL },
	{ "1KIB",	0, UINT64_MAX, KIB, NULL },
	{ "1M",		0, UINT64_MAX, MIB, NULL },
	{ "3m",		0, UINT64_MAX, 3 * MIB, NULL },
	{ "1MB",	0, UINT64_MAX, MIB, NULL },
	{ "1MiB",	0, UINT64_MAX, MIB, NULL },
	{ "2G",		0, UINT64_MAX, 2 * GIB, NULL },
	{ "2g",		0, UINT64_MAX, 2 * GIB, NULL },
	{ "1GiB",	0, UINT64_MAX, GIB, NULL },
	{ "007K",	0, UINT64_MAX, 7 * KIB, NULL },
	/* The limit is inclusive, in bytes, whatever the suffix. */
	{ "1G",		0, GIB, GIB, NULL },
	{ "1024M",	0, GIB, GIB, NULL },
	{ "1073741824",	0, GIB, GIB, NULL },
	{ "1073741825",	0, GIB, 0, "too large" },
	{ "1025M",	0, GIB, 0, "too large" },
	{ "2G",		0, GIB, 0, "too large" },
	{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, NULL },
	{ "18446744073709551616", 0, UINT64_MAX, 0, "too large" },
	{ "17179869183G", 0, UINT64_MAX, 17179869183ULL * GIB, NULL },
	{ "17179869184G", 0, UINT64_MAX, 0, "too large" },
	{ "99999999999999999999999K", 0, UINT64_MAX, 0, "too large" },
	{ "",		0, UINT64_MAX, 0, "not a number" },
	{ "K",		0, UINT64_MAX, 0, "not a number" },
	{ "-1",		0, UINT64_MAX, 0, "not a number" },
	{ "+1",		0, UINT64_MAX, 0, "not a number" },
	{ " 1",		0, UINT64_MAX, 0, "not a number" },
	{ "1 K",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1K ",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1.5M",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1T",		0, UINT64_MAX, 0, "bad suffix" },
	{ "1KK",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1Ki",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1iB",	0, UINT64_MAX, 0, "bad suffix" },
	{ "1BB",	0, UINT64_MAX, 0, "bad suffix" },
	{ "0x10",	0, UINT64_MAX, 0, "bad suffix" },
};

static const struct parse_case uint_cases[] = {
	{ "0",		0, 10, 0, NULL },
	{ "1",		1, 10, 1, NULL },
	{ "10",		1, 10, 10, NULL },
	{ "007",	1, 10, 7, NULL },
	{ "0",		1, 10, 0, "too small" },
	{ "11",		1, 10, 0, "too large" },
	{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, NULL },
	{ "18446744073709551616", 0, UINT64_MAX, 0, "too large" },
	{ "99999999999999999999999", 0, 10, 0, "too large" },
	{ "",		0, 10, 0, "not a number" },
	{ "-1",		0, 10, 0, "not a number" },
	{ "+1",		0, 10, 0, "not a number" },
	{ " 1",		0, 10, 0, "not a number" },
	{ "1 ",		0, 10, 0, "not a number" },
	{ "1a",		0, 10, 0, "not a number" },
	{ "1K",		0, 10, 0, "not a number" },
	{ "1.0",	0, 10, 0, "not a number" },
	{ "0x1",	0, 10, 0, "not a number" },
};

/* Results in milliseconds; a nonzero digit past the third is refused. */
static const struct parse_case seconds_cases[] = {
	{ "0",		0, 3600, 0, NULL },
	{ "1",		0, 3600, 1000, NULL },
	{ "0.25",	0, 3600, 250, NULL },
	{ "1.5",	0, 3600, 1500, NULL },
	{ "0.001",	0, 3600, 1, NULL },
	{ "0.0009",	0, 3600, 0, "finer than a millisecond" },
	{ "1.2345",	0, 3600, 0, "finer than a millisecond" },
	{ "1.2340",	0, 3600, 1234, NULL },
	{ "2.000000000000000000000001", 0, 3600, 0, "finer than a millisecond" },
	{ "2.000000000000000000000000", 0, 3600, 2000, NULL },
	{ "007.5",	0, 3600, 7500, NULL },
	{ "1.",		0, 3600, 1000, NULL },
	{ "3600",	0, 3600, 3600000, NULL },
	{ "3600.000",	0, 3600, 3600000, NULL },
	{ "3600.001",	0, 3600, 0, "too large" },
	{ "3601",	0, 3600, 0, "too large" },
	{ "604800",	0, 604800, 604800000, NULL },
	{ "0.5",	0, 0, 0, "too large" },
	{ "99999999999999999999999", 0, 3600, 0, "too large" },
	{ "",		0, 3600, 0, "not a number" },
	{ ".5",		0, 3600, 0, "not a number" },
	{ "-1",		0, 3600, 0, "not a number" },
	{ "1s",		0, 3600, 0, "not a number of seconds" },
	{ "1.5.2",	0, 3600, 0, "not a number of seconds" },
	{ "1,5",	0, 3600, 0, "not a number of seconds" },
	{ "1e3",	0, 3600, 0, "not a number of seconds" },
};

enum parser { P_SIZE, P_UINT, P_SECONDS };

static void
run_cases(enum parser p, const struct parse_case *cases, size_t n)
{
	const char *why;
	uint64_t got;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct parse_case *c = &cases[i];

		why = NULL;
		got = 0xdeadbeef;
		switch (p) {
		case P_SIZE:
			rc = parse_size(c->text, c->hi, &got, &why);
			break;
		case P_UINT:
			rc = parse_uint(c->text, c->lo, c->hi, &got, &why);
			break;
		default:
			rc = parse_seconds(c->text, (unsigned)c->hi, &got,
			    &why);
			break;
		}
		if (c->why == NULL && rc != 0)
			fail_msg("\"%s\": refused: %s", c->text, why);
		if (c->why == NULL && got != c->want)
			fail_msg("\"%s\": %llu, want %llu", c->text,
			    (unsigned long long)got,
			    (unsigned long long)c->want);
		if (c->why != NULL && rc != -1)
			fail_msg("\"%s\": accepted as %llu", c->text,
			    (unsigned long long)got);
		if (c->why != NULL && (why == NULL ||
		    strncmp(why, c->why, strlen(c->why)) != 0))
			fail_msg("\"%s\": reason \"%s\", want \"%s\"", c->text,
			    why ? why : "(none)", c->why);
		/* A refused value leaves the output alone. */
		if (c->why != NULL && got != 0xdeadbeef)
			fail_msg("\"%s\": output written on error", c->text);
	}
}

static void
test_parse_size(void **state)
{
	(void)state;
	run_cases(P_SIZE, size_cases, sizeof(size_cases) /
	    sizeof(size_cases[0]));
}

static void
test_parse_uint(void **state)
{
	(void)state;
	run_cases(P_UINT, uint_cases, sizeof(uint_cases) /
	    sizeof(uint_cases[0]));
}

static void
test_parse_seconds(void **state)
{
	(void)state;
	run_cases(P_SECONDS, seconds_cases, sizeof(seconds_cases) /
	    sizeof(seconds_cases[0]));
}

static void
test_format_size(void **state)
{
	static const struct {
		uint64_t	 bytes;
		const char	*want;
	} cases[] = {
		{ 0,			"0 B" },
		{ 1,			"1 B" },
		{ 1023,			"1023 B" },
		{ KIB,			"1.0 KiB" },
		{ 1536,			"1.5 KiB" },
		{ 64 * KIB,		"64.0 KiB" },
		{ 256 * KIB,		"256.0 KiB" },
		{ MIB,			"1.0 MiB" },
		{ 3 * MIB / 2,		"1.5 MiB" },
		{ GIB,			"1.0 GiB" },
		{ 1024 * GIB,		"1.0 TiB" },
		/* TiB is the largest unit. */
		{ 1024 * 1024 * GIB,	"1024.0 TiB" },
		{ UINT64_MAX,		"16777216.0 TiB" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(format_size(cases[i].bytes, buf,
		    sizeof(buf)), cases[i].want);
	/* A short buffer gets a cut, terminated string. */
	assert_string_equal(format_size(64 * KIB, buf, 5), "64.0");
}

static void
test_format_duration(void **state)
{
	static const struct {
		uint64_t	 us;
		const char	*want;
	} cases[] = {
		{ 0,		"0 us" },
		{ 412,		"412 us" },
		{ 999,		"999 us" },
		{ 1000,		"1.00 ms" },
		{ 3250,		"3.25 ms" },
		{ 250000,	"250.00 ms" },
		{ 1000000,	"1.000 s" },
		{ 1500000,	"1.500 s" },
		{ 86400000000ULL, "86400.000 s" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(format_duration_us(cases[i].us, buf,
		    sizeof(buf)), cases[i].want);
	assert_string_equal(format_duration_us(1500000, buf, 4), "1.5");
}

/* ISO 8601 local time with milliseconds and a colon in the offset. */
static void
test_format_timestamp(void **state)
{
	const char *shape = "dddd-dd-ddTdd:dd:dd.ddd+dd:dd";
	char buf[40];
	size_t i;

	(void)state;
	assert_int_equal(setenv("TZ", "UTC0", 1), 0);
	tzset();
	format_timestamp(buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen(shape));
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)buf[i]) :
		    buf[i] != shape[i])
			fail_msg("\"%s\": byte %zu", buf, i);
	assert_string_equal(buf + strlen(buf) - 6, "+00:00");
}

/* Monotonic clocks agree with each other and never go back. */
static void
test_clocks(void **state)
{
	uint64_t ms, us, ms2;

	(void)state;
	ms = clock_monotonic_ms();
	us = clock_monotonic_us();
	ms2 = clock_monotonic_ms();
	assert_true(us / 1000 >= ms);
	assert_true(ms2 >= us / 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_format_timestamp),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}

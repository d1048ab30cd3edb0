/* test_range.c - -w/-c ranges in the plugin guidelines' syntax. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"

/* The guidelines' table: each range, values that alert and that do not. */
static void
test_guideline_examples(void **state)
{
	static const struct {
		const char	*text;
		int64_t		 ok[3], alert[3];
	} cases[] = {
		{ "10", { 0, 10000000, 5000000 }, { -1, 10000001, 20000000 } },
		{ "10:", { 10000000, 99000000, RANGE_POS_INF },
		    { 9999999, 0, -5 } },
		{ "~:10", { RANGE_NEG_INF + 1, 0, 10000000 },
		    { 10000001, 11000000, 20000000 } },
		{ "10:20", { 10000000, 15000000, 20000000 },
		    { 9999999, 20000001, 0 } },
		{ "@10:20", { 9999999, 20000001, 0 },
		    { 10000000, 15000000, 20000000 } },
	};
	struct range r;
	const char *why;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(range_parse(cases[i].text, &r, &why), 0);
		for (j = 0; j < 3; j++) {
			assert_int_equal(range_alert(&r, cases[i].ok[j]), 0);
			assert_int_equal(range_alert(&r, cases[i].alert[j]), 1);
		}
	}
}

/* Microsecond resolution: 0.0005 s is 500 us, and 0.000001 is 1. */
static void
test_resolution(void **state)
{
	struct range r;
	const char *why;

	(void)state;
	assert_int_equal(range_parse("0.0005", &r, &why), 0);
	assert_int_equal(r.hi, 500);
	assert_int_equal(range_alert(&r, 500), 0);
	assert_int_equal(range_alert(&r, 501), 1);
	assert_int_equal(range_parse("0.000001", &r, &why), 0);
	assert_int_equal(r.hi, 1);
	assert_int_equal(range_parse("0.0000010", &r, &why), 0);
	assert_int_equal(range_parse("0.0000001", &r, &why), -1);
	assert_string_equal(why, "finer than a millionth");
}

static void
test_refusals(void **state)
{
	static const char *const bad[] = {
		"", "@", "abc", "1.2.3", "20:10", "10:x", "x:10", "~", "~:~",
		"1e3", "10000000000000", ":-", "--1",
	};
	struct range r;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(range_parse(bad[i], &r, &why), -1);
}

/* What goes into perfdata reads back as the same range. */
static void
test_format(void **state)
{
	static const char *const in[][2] = {
		{ "10", "10" }, { "0:10", "10" }, { ":10", "10" },
		{ "10:", "10:" }, { "~:10", "~:10" }, { "10:20", "10:20" },
		{ "@10:20", "@10:20" }, { "0.0005", "0.0005" },
		{ "-1.5:2", "-1.5:2" }, { "0:", "0:" }, { "@~:0.25", "@~:0.25" },
	};
	struct range r, back;
	const char *why;
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(range_parse(in[i][0], &r, &why), 0);
		assert_string_equal(range_format(&r, buf, sizeof(buf)),
		    in[i][1]);
		assert_int_equal(range_parse(buf, &back, &why), 0);
		assert_memory_equal(&r, &back, sizeof(r));
	}
	memset(&r, 0, sizeof(r));
	assert_string_equal(range_format(&r, buf, sizeof(buf)), "");
}

static void
test_threshold(void **state)
{
	struct threshold t;
	const char *why;

	(void)state;
	assert_int_equal(threshold_parse("0.2,10%", &t, &why), 0);
	assert_int_equal(t.time.hi, 200000);
	assert_int_equal(t.loss.hi, 10000000);
	assert_int_equal(threshold_parse(",5.5%", &t, &why), 0);
	assert_false(t.time.set);
	assert_int_equal(t.loss.hi, 5500000);
	assert_int_equal(threshold_parse("@0.1:0.2", &t, &why), 0);
	assert_true(t.time.inside);
	assert_false(t.loss.set);
	assert_int_equal(threshold_parse("0.2,10", &t, &why), -1);
	assert_int_equal(threshold_parse("0.2,", &t, &why), -1);
	assert_int_equal(threshold_parse("", &t, &why), -1);
	assert_int_equal(threshold_parse("0.2,%", &t, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guideline_examples),
		cmocka_unit_test(test_resolution),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

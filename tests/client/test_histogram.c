/* test_histogram.c - the latency histogram and its error bound. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "histogram.h"

static struct histogram h;

static int
setup(void **state)
{
	(void)state;
	histogram_init(&h);
	return 0;
}

/* A fixed generator, so a failure repeats. */
static uint64_t
rng(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void
assert_close(uint64_t got, uint64_t want)
{
	double err = got > want ? (double)(got - want) : (double)(want - got);

	if (err > (double)want * HIST_REL_ERROR)
		fail_msg("got %llu, want %llu within %g",
		    (unsigned long long)got, (unsigned long long)want,
		    HIST_REL_ERROR);
}

static void
test_empty(void **state)
{
	(void)state;
	assert_int_equal(histogram_quantile(&h, 0.5), 0);
	assert_int_equal(histogram_quantile(&h, 1), 0);
	assert_true(histogram_mean(&h) == 0);
}

/* Below HIST_SUB every value has a bucket of its own. */
static void
test_small_values_exact(void **state)
{
	uint64_t v;

	(void)state;
	for (v = 0; v < HIST_SUB; v++)
		histogram_record(&h, v);
	for (v = 0; v < HIST_SUB; v++)
		assert_int_equal(histogram_quantile(&h,
		    (double)(v + 1) / HIST_SUB), v);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, HIST_SUB - 1);
}

static void
check_bucket(uint64_t v)
{
	unsigned i = histogram_index(v);
	uint64_t low = histogram_bucket_low(i), w = histogram_bucket_width(i);

	if (i >= HIST_BUCKETS)
		fail_msg("%llu: bucket %u out of range",
		    (unsigned long long)v, i);
	if (v < low || v - low >= w)
		fail_msg("%llu not in bucket %u [%llu, +%llu)",
		    (unsigned long long)v, i, (unsigned long long)low,
		    (unsigned long long)w);
	if (i >= HIST_SUB && w * HIST_SUB > low)
		fail_msg("bucket %u too wide: %llu at %llu", i,
		    (unsigned long long)w, (unsigned long long)low);
}

/* Each value lands in the bucket that holds it, and buckets stay narrow. */
static void
test_buckets(void **state)
{
	uint64_t v;
	int i, shift;

	(void)state;
	for (v = 0; v < 1000000; v++)
		check_bucket(v);
	for (shift = 0; shift < 64; shift++) {
		v = (uint64_t)1 << shift;
		check_bucket(v);
		check_bucket(v - 1);
		check_bucket(v + 1);
	}
	check_bucket(UINT64_MAX);
	for (i = 0; i < 100000; i++)
		check_bucket(rng() >> (rng() % 64));
	/* Buckets are in order: a walk from 0 visits values in order. */
	for (i = 1; i < (int)HIST_BUCKETS; i++)
		assert_true(histogram_bucket_low((unsigned)i) ==
		    histogram_bucket_low((unsigned)i - 1) +
		    histogram_bucket_width((unsigned)i - 1));
}

/* A value between smaller and larger ones comes back within the bound. */
static void
test_relative_error(void **state)
{
	uint64_t v;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		v = (rng() >> (rng() % 60)) + 1;
		if (v >= UINT64_MAX - 1)
			continue;
		histogram_init(&h);
		histogram_record(&h, 0);
		histogram_record(&h, v);
		histogram_record(&h, UINT64_MAX);
		assert_close(histogram_quantile(&h, 0.5), v);
	}
}

static void
test_uniform_percentiles(void **state)
{
	uint64_t v;

	(void)state;
	for (v = 1; v <= 100000; v++)
		histogram_record(&h, v);
	assert_int_equal(h.count, 100000);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 100000);
	assert_close(histogram_quantile(&h, 0.50), 50000);
	assert_close(histogram_quantile(&h, 0.90), 90000);
	assert_close(histogram_quantile(&h, 0.99), 99000);
	assert_close(histogram_quantile(&h, 0.999), 99900);
	assert_int_equal(histogram_quantile(&h, 1), 100000);
	assert_int_equal(histogram_quantile(&h, 0), 1);
	assert_true(histogram_mean(&h) == 50000.5);
}

/* One slow outlier among fast values shows in the top quantiles only. */
static void
test_outlier(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 999; i++)
		histogram_record(&h, 50);
	histogram_record(&h, 2000000);
	assert_int_equal(histogram_quantile(&h, 0.5), 50);
	assert_int_equal(histogram_quantile(&h, 0.999), 50);
	assert_int_equal(histogram_quantile(&h, 0.9995), 2000000);
	assert_int_equal(h.max, 2000000);
}

static void
test_extremes_and_order(void **state)
{
	uint64_t q[5];
	int i;

	(void)state;
	histogram_record(&h, UINT64_MAX);
	assert_int_equal(histogram_quantile(&h, 0.5), UINT64_MAX);
	for (i = 0; i < 50000; i++)
		histogram_record(&h, rng() >> (rng() % 64));
	q[0] = histogram_quantile(&h, 0.5);
	q[1] = histogram_quantile(&h, 0.9);
	q[2] = histogram_quantile(&h, 0.99);
	q[3] = histogram_quantile(&h, 0.999);
	q[4] = h.max;
	for (i = 1; i < 5; i++)
		assert_true(q[i - 1] <= q[i]);
	assert_int_equal(q[4], UINT64_MAX);
	assert_true(q[0] >= h.min);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup(test_small_values_exact, setup),
		cmocka_unit_test_setup(test_buckets, setup),
		cmocka_unit_test_setup(test_relative_error, setup),
		cmocka_unit_test_setup(test_uniform_percentiles, setup),
		cmocka_unit_test_setup(test_outlier, setup),
		cmocka_unit_test_setup(test_extremes_and_order, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

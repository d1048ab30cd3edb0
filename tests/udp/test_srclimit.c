/* test_srclimit.c - per-source token buckets, on an explicit clock. */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testaddr.h"

#include "srclimit.h"

/* Far from 0, which marks a free slot. */
#define T0	1000000ULL

/* Source number i of a flood: addresses spread over all of IPv4. */
static struct sockaddr_storage
v4_nth(uint32_t i)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(4000);
	in->sin_addr.s_addr = htonl(i * 2654435761u);
	return ss;
}

/* Host i of one /16, as real clients of one network are. */
static struct sockaddr_storage
v4_host(uint32_t i)
{
	struct sockaddr_storage ss = v4("198.51.0.0", 4000);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	in->sin_addr.s_addr |= htonl(i & 0xffff);
	return ss;
}

static int
take(struct srclimit *sl, const struct sockaddr_storage *ss, uint64_t now)
{
	return srclimit_take(sl, (const struct sockaddr *)ss, now);
}

/* How many of n datagrams at one instant are let through. */
static unsigned
take_n(struct srclimit *sl, const struct sockaddr_storage *ss, uint64_t now,
    unsigned n)
{
	unsigned ok = 0;

	while (n-- > 0)
		ok += take(sl, ss, now);
	return ok;
}

static void
test_rate_zero_is_unlimited(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 0, 1), 0);
	assert_null(sl.slots);
	assert_int_equal(take_n(&sl, &a, T0, 100000), 100000);
	srclimit_free(&sl);
}

static void
test_burst_then_refused(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 10, 5), 0);
	assert_int_equal(take_n(&sl, &a, T0, 5), 5);
	assert_int_equal(take(&sl, &a, T0), 0);
	assert_int_equal(take(&sl, &a, T0), 0);
	srclimit_free(&sl);
}

/* rate 3/s: a token takes 333.3 ms; partial tokens are kept. */
static void
test_refill_by_elapsed_time(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 3, 1), 0);
	assert_int_equal(take(&sl, &a, T0), 1);
	assert_int_equal(take(&sl, &a, T0 + 333), 0);
	assert_int_equal(take(&sl, &a, T0 + 334), 1);
	assert_int_equal(take(&sl, &a, T0 + 334), 0);
	/* 100 + 200 + 34 ms add up to one token. */
	assert_int_equal(take(&sl, &a, T0 + 434), 0);
	assert_int_equal(take(&sl, &a, T0 + 634), 0);
	assert_int_equal(take(&sl, &a, T0 + 668), 1);
	srclimit_free(&sl);
}

/* Over a long run at one datagram per ms, replies follow the rate. */
static void
test_long_run_follows_rate(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	unsigned ok = 0;
	uint64_t ms;

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 100, 20), 0);
	for (ms = 0; ms < 10000; ms++)
		ok += take(&sl, &a, T0 + ms);
	/* 20 at once, then 100/s for 9.999 s. */
	assert_int_equal(ok, 20 + 999);
	srclimit_free(&sl);
}

static void
test_idle_refill_capped_at_burst(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 1000, 8), 0);
	assert_int_equal(take_n(&sl, &a, T0, 8), 8);
	/* An hour idle earns 3.6 million tokens; only 8 may be spent. */
	assert_int_equal(take_n(&sl, &a, T0 + 3600000, 100), 8);
	srclimit_free(&sl);
}

static void
test_sources_are_independent(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct sockaddr_storage b = v4("192.0.2.2", 5000);
	struct sockaddr_storage c = v6("2001:db8::1", 5000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 64, 1, 3), 0);
	assert_int_equal(take_n(&sl, &a, T0, 10), 3);
	assert_int_equal(take_n(&sl, &b, T0, 10), 3);
	assert_int_equal(take_n(&sl, &c, T0, 10), 3);
	assert_int_equal(sl.shared, 0);
	srclimit_free(&sl);
}

/* The bucket is per address: other ports, or the v4-mapped form, share it. */
static void
test_key_is_the_address(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct sockaddr_storage a2 = v4("192.0.2.1", 6000);
	struct sockaddr_storage mapped = v6("::ffff:192.0.2.1", 7000);

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 1, 3), 0);
	assert_int_equal(take(&sl, &a, T0), 1);
	assert_int_equal(take(&sl, &a2, T0), 1);
	assert_int_equal(take(&sl, &mapped, T0), 1);
	assert_int_equal(take(&sl, &a, T0), 0);
	assert_int_equal(take(&sl, &mapped, T0), 0);
	srclimit_free(&sl);
}

static void
test_size_rounds_to_power_of_two(void **state)
{
	struct srclimit sl;

	(void)state;
	assert_int_equal(srclimit_init(&sl, 17, 1, 1), 0);
	assert_int_equal(sl.mask, 31);
	srclimit_free(&sl);
	assert_int_equal(srclimit_init(&sl, 16, 1, 1), 0);
	assert_int_equal(sl.mask, 15);
	srclimit_free(&sl);
}

/*
 * A spoofed flood from many addresses at once: the table stays its size
 * and the newcomers share buckets, so no more replies go out than the
 * slots' bursts.
 */
static void
test_spoofed_flood_is_bounded(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage ss;
	unsigned ok = 0;
	uint32_t i;

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 1, 2), 0);
	for (i = 0; i < 100000; i++) {
		ss = v4_nth(i);
		ok += take(&sl, &ss, T0 + i / 1000);
	}
	/* 100 s at 1/s for each of 16 slots, plus each slot's first burst. */
	assert_true(ok <= 16 * 2 + 16 * 100);
	assert_true(ok >= 16);
	assert_true(sl.shared > 90000);
	assert_int_equal(sl.mask, 15);
	srclimit_free(&sl);
}

/*
 * Hosts of one network must land all over the table: if the hash ignored
 * some address bits, a handful of them would share buckets while most
 * slots stay free, and each would be limited by the others' traffic.
 */
static void
test_one_network_spreads(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage ss;
	unsigned ok = 0;
	uint32_t i;

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16384, 1, 1), 0);
	/* 198.51.0.1-255, then 198.51.1-255.0. */
	for (i = 1; i < 256; i++) {
		ss = v4_host(i);
		ok += take(&sl, &ss, T0);
		ss = v4_host(i << 8);
		ok += take(&sl, &ss, T0);
	}
	/* 510 of 16384 slots busy: all of a newcomer's probes are, rarely. */
	assert_true(sl.shared <= 2);
	assert_true(ok >= 508);
	srclimit_free(&sl);
}

/* A slot is reused by a newcomer only once its bucket would be full. */
static void
test_slot_reused_once_refilled(void **state)
{
	struct srclimit sl;
	struct sockaddr_storage ss;
	uint64_t shared;
	uint32_t i;

	(void)state;
	assert_int_equal(srclimit_init(&sl, 16, 10, 5), 0);
	/* Every slot taken and drained. */
	for (i = 0; i < 1000; i++) {
		ss = v4_nth(i);
		take_n(&sl, &ss, T0, 5);
	}
	ss = v4_nth(5000);
	shared = sl.shared;
	assert_int_equal(take(&sl, &ss, T0 + 10), 0);
	assert_int_equal(sl.shared, shared + 1);
	/* 5 tokens at 10/s: after 500 ms any slot may be given away. */
	ss = v4_nth(5001);
	shared = sl.shared;
	assert_int_equal(take_n(&sl, &ss, T0 + 600, 10), 5);
	assert_int_equal(sl.shared, shared);
	srclimit_free(&sl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_zero_is_unlimited),
		cmocka_unit_test(test_burst_then_refused),
		cmocka_unit_test(test_refill_by_elapsed_time),
		cmocka_unit_test(test_long_run_follows_rate),
		cmocka_unit_test(test_idle_refill_capped_at_burst),
		cmocka_unit_test(test_sources_are_independent),
		cmocka_unit_test(test_key_is_the_address),
		cmocka_unit_test(test_size_rounds_to_power_of_two),
		cmocka_unit_test(test_spoofed_flood_is_bounded),
		cmocka_unit_test(test_one_network_spreads),
		cmocka_unit_test(test_slot_reused_once_refilled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_persource.c - open connections counted per client address. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testaddr.h"

#include "persource.h"

#define THREADS		4
#define THREAD_ROUNDS	100000

/* Linked with --wrap=calloc: set to make the table's allocation fail. */
static int calloc_fails;
void *__real_calloc(size_t, size_t);
void *__wrap_calloc(size_t n, size_t size);

void *
__wrap_calloc(size_t n, size_t size)
{
	return calloc_fails ? NULL : __real_calloc(n, size);
}

struct churn_arg {
	struct persource	*ps;
	pthread_barrier_t	*start;
};

static int
add(struct persource *ps, const struct sockaddr_storage *ss,
    struct persource_entry **e)
{
	return persource_add(ps, (const struct sockaddr *)ss, e);
}

/* Entries live only while their source has connections. */
static void
assert_table_empty(const struct persource *ps)
{
	size_t i;

	for (i = 0; i < PERSOURCE_BUCKETS; i++)
		assert_null(ps->buckets[i]);
}

static void
test_limit_zero_counts_nothing(void **state)
{
	struct persource ps;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct persource_entry *e;
	int i;

	(void)state;
	persource_init(&ps, 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(add(&ps, &a, &e), 0);
		assert_null(e);
	}
	assert_table_empty(&ps);
	persource_free(&ps);
}

static void
test_limit_refuses_then_frees(void **state)
{
	struct persource ps;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct sockaddr_storage a2 = v4("192.0.2.1", 5001);
	struct persource_entry *e1, *e2, *e3;

	(void)state;
	persource_init(&ps, 2);
	assert_int_equal(add(&ps, &a, &e1), 0);
	assert_non_null(e1);
	assert_int_equal(add(&ps, &a2, &e2), 0);
	assert_ptr_equal(e1, e2);
	assert_int_equal(add(&ps, &a, &e3), -1);
	assert_null(e3);
	/* A refusal does not count: one close makes room for one. */
	persource_del(&ps, e1);
	assert_int_equal(add(&ps, &a, &e3), 0);
	assert_non_null(e3);
	assert_int_equal(add(&ps, &a, &e1), -1);
	persource_del(&ps, e2);
	persource_del(&ps, e3);
	assert_table_empty(&ps);
	persource_free(&ps);
}

static void
test_addresses_are_independent(void **state)
{
	struct persource ps;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct sockaddr_storage b = v4("192.0.2.2", 5000);
	struct sockaddr_storage c = v6("2001:db8::1", 5000);
	struct persource_entry *ea, *eb, *ec, *ex;

	(void)state;
	persource_init(&ps, 1);
	assert_int_equal(add(&ps, &a, &ea), 0);
	assert_int_equal(add(&ps, &b, &eb), 0);
	assert_int_equal(add(&ps, &c, &ec), 0);
	assert_int_equal(add(&ps, &a, &ex), -1);
	assert_int_equal(add(&ps, &b, &ex), -1);
	assert_int_equal(add(&ps, &c, &ex), -1);
	persource_del(&ps, ea);
	persource_del(&ps, eb);
	persource_del(&ps, ec);
	assert_table_empty(&ps);
	persource_free(&ps);
}

/* A client on a dual-stack listener is the same source either way. */
static void
test_v4_mapped_is_the_same_source(void **state)
{
	struct persource ps;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct sockaddr_storage mapped = v6("::ffff:192.0.2.1", 6000);
	struct persource_entry *e, *ex;

	(void)state;
	persource_init(&ps, 1);
	assert_int_equal(add(&ps, &a, &e), 0);
	assert_int_equal(add(&ps, &mapped, &ex), -1);
	persource_del(&ps, e);
	assert_int_equal(add(&ps, &mapped, &e), 0);
	assert_int_equal(add(&ps, &a, &ex), -1);
	persource_del(&ps, e);
	persource_free(&ps);
}

static void
test_unix_peers_not_counted(void **state)
{
	struct persource ps;
	struct sockaddr_un sun;
	struct persource_entry *e;
	int i;

	(void)state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	persource_init(&ps, 1);
	for (i = 0; i < 10; i++) {
		assert_int_equal(persource_add(&ps, (struct sockaddr *)&sun,
		    &e), 0);
		assert_null(e);
		persource_del(&ps, e);
	}
	assert_table_empty(&ps);
	persource_free(&ps);
}

/* More sources than buckets: chains hold them apart. */
static void
test_many_sources(void **state)
{
	enum { N = 3 * PERSOURCE_BUCKETS };
	struct persource ps;
	struct persource_entry **e, *ex;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	uint32_t i, be;

	(void)state;
	e = calloc(N, sizeof(*e));
	assert_non_null(e);
	persource_init(&ps, 1);
	ss = v6("2001:db8::", 1);
	for (i = 0; i < N; i++) {
		be = htonl(i);
		memcpy(&in6->sin6_addr.s6_addr[12], &be, 4);
		assert_int_equal(add(&ps, &ss, &e[i]), 0);
	}
	for (i = 0; i < N; i++) {
		be = htonl(i);
		memcpy(&in6->sin6_addr.s6_addr[12], &be, 4);
		assert_int_equal(add(&ps, &ss, &ex), -1);
	}
	/* Out of order, so chains lose heads, middles and tails. */
	for (i = 0; i < N; i += 2)
		persource_del(&ps, e[i]);
	for (i = 1; i < N; i += 2)
		persource_del(&ps, e[i]);
	assert_table_empty(&ps);
	persource_free(&ps);
	free(e);
}

static void *
churn(void *arg)
{
	struct churn_arg *ca = arg;
	struct persource *ps = ca->ps;
	struct sockaddr_storage a = v4("192.0.2.1", 5000);
	struct persource_entry *e;
	int i;

	/* All at once, so adds and deletes really interleave. */
	pthread_barrier_wait(ca->start);
	for (i = 0; i < THREAD_ROUNDS; i++) {
		if (persource_add(ps, (struct sockaddr *)&a, &e) == -1)
			return (void *)1;
		persource_del(ps, e);
	}
	return NULL;
}

/* Connections close on every worker thread: counts stay exact. */
static void
test_threads(void **state)
{
	struct persource ps;
	pthread_barrier_t start;
	struct churn_arg ca = { &ps, &start };
	pthread_t t[THREADS];
	void *rv;
	int i;

	(void)state;
	persource_init(&ps, THREADS);
	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, &ca), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	pthread_barrier_destroy(&start);
	assert_table_empty(&ps);
	persource_free(&ps);
}

/* Out of memory is told apart from the limit, and leaves nothing behind. */
static void
test_out_of_memory_is_not_the_limit(void **state)
{
	struct persource ps;
	struct sockaddr_storage a = v4("192.0.2.7", 5000);
	struct sockaddr_storage b = v4("192.0.2.8", 5000);
	struct persource_entry *e, *eb;

	(void)state;
	persource_init(&ps, 1);
	assert_int_equal(add(&ps, &a, &e), 0);
	calloc_fails = 1;
	assert_int_equal(add(&ps, &b, &eb), PERSOURCE_NOMEM);
	assert_null(eb);
	/* A known source needs no allocation: the limit still speaks. */
	assert_int_equal(add(&ps, &a, &eb), PERSOURCE_FULL);
	calloc_fails = 0;
	assert_int_equal(add(&ps, &b, &eb), 0);
	persource_del(&ps, e);
	persource_del(&ps, eb);
	assert_table_empty(&ps);
	persource_free(&ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_zero_counts_nothing),
		cmocka_unit_test(test_limit_refuses_then_frees),
		cmocka_unit_test(test_addresses_are_independent),
		cmocka_unit_test(test_v4_mapped_is_the_same_source),
		cmocka_unit_test(test_unix_peers_not_counted),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_out_of_memory_is_not_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

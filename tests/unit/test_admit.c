/* test_admit.c - admission: messages, counters, pauses and the wake-up. */
#include "config.h"

#include <sys/resource.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "admit.h"
#include "log.h"

struct seen {
	char	lines[16][256];
	int	nlines;
	int	accepting;	/* what the last callback said */
	int	switches;
	int	drained;
};

static struct seen seen;

static void
capture(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *msg)
{
	(void)prio;
	(void)file;
	(void)line;
	(void)func;
	(void)fields;
	if (seen.nlines < 16)
		snprintf(seen.lines[seen.nlines++], sizeof(seen.lines[0]), "%s",
		    msg);
}

static void
on_accepting(void *arg, int on)
{
	(void)arg;
	seen.accepting = on;
	seen.switches++;
}

static void
on_drained(void *arg)
{
	(void)arg;
	seen.drained++;
}

static struct sockaddr_in
peer(const char *ip)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

static uint64_t
take(struct admit *a, const char *ip, struct persource_entry **e)
{
	struct sockaddr_in sin = peer(ip);

	return admit_take(a, (struct sockaddr *)&sin, sizeof(sin), e);
}

static int
logged(const char *what)
{
	int i;

	for (i = 0; i < seen.nlines; i++)
		if (strstr(seen.lines[i], what) != NULL)
			return 1;
	return 0;
}

static int
setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	seen.accepting = 1;
	log_init("test", LOG_DEBUG);
	log_set_backend(capture);
	*state = event_base_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	log_set_backend(NULL);
	event_base_free(*state);
	return 0;
}

/*
 * An accept error, the limit and a per-source refusal each have their
 * own rate limiter: one of each within a window is logged (the limit and
 * EMFILE lines shared one, so the second was suppressed and "suppressed
 * N messages like the next one" named the wrong one).
 */
static void
test_each_message_its_own_limiter(void **state)
{
	struct admit *a = admit_new(*state, 2, 1, on_accepting, on_drained,
	    NULL);
	struct persource_entry *e1, *e2, *e3;
	struct admit_stats st;

	assert_non_null(a);
	admit_accept_error(a, "L", EMFILE);
	assert_true(logged("accept on L: pausing accepts"));
	assert_int_equal(seen.accepting, 0);
	admit_resume(a, ADMIT_PAUSE_FDS);
	assert_int_equal(seen.accepting, 1);
	assert_int_not_equal(take(a, "192.0.2.1", &e1), 0);
	assert_int_equal(take(a, "192.0.2.1", &e3), 0);
	assert_true(logged("--max-per-source 1 reached"));
	assert_int_not_equal(take(a, "192.0.2.2", &e2), 0);
	assert_true(logged("2 connections open (--max-connections)"));
	assert_int_equal(seen.accepting, 0);
	assert_false(logged("suppressed"));
	admit_stats(a, &st);
	assert_int_equal(st.open, 2);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.accept_errors[ADMIT_ACCEPT_FDS], 1);
	assert_int_equal(st.refused[ADMIT_REFUSED_PER_SOURCE], 1);
	assert_int_equal(st.limit_pauses, 1);
	admit_release(a, e1);
	admit_release(a, e2);
	admit_free(a);
}

/* Refusals after a slot was taken are counted by reason, and release it. */
static void
test_refusals_by_reason(void **state)
{
	struct admit *a = admit_new(*state, 100, 0, on_accepting, on_drained,
	    NULL);
	struct persource_entry *e;
	struct admit_stats st;

	assert_int_not_equal(take(a, "192.0.2.1", &e), 0);
	admit_refuse(a, e, ADMIT_REFUSED_HANDOFF);
	assert_int_not_equal(take(a, "192.0.2.1", &e), 0);
	admit_refuse(a, e, ADMIT_REFUSED_SETUP);
	assert_true(logged("out of memory to hand it off"));
	assert_true(logged("out of memory to set it up"));
	admit_accept_error(a, "L", ENOBUFS);
	admit_accept_error(a, "L", EPROTO);
	admit_stats(a, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.refused[ADMIT_REFUSED_HANDOFF], 1);
	assert_int_equal(st.refused[ADMIT_REFUSED_SETUP], 1);
	assert_int_equal(st.accept_errors[ADMIT_ACCEPT_MEMORY], 1);
	assert_int_equal(st.accept_errors[ADMIT_ACCEPT_OTHER], 1);
	admit_free(a);
}

static void *
release_thread(void *arg)
{
	void **args = arg;

	admit_release(args[0], args[1]);
	return NULL;
}

/* At the limit, a close on another thread wakes the main loop to resume. */
static void
test_close_on_a_worker_resumes(void **state)
{
	struct admit *a = admit_new(*state, 1, 0, on_accepting, on_drained,
	    NULL);
	struct persource_entry *e;
	void *args[2];
	pthread_t t;

	assert_int_not_equal(take(a, "192.0.2.1", &e), 0);
	assert_int_equal(seen.accepting, 0);
	args[0] = a;
	args[1] = e;
	assert_int_equal(pthread_create(&t, NULL, release_thread, args), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(seen.accepting, 0);	/* main has not looked yet */
	assert_int_equal(event_base_loop(*state, EVLOOP_ONCE), 0);
	assert_int_equal(seen.accepting, 1);
	admit_free(a);
}

/* Stopping: drained runs once, when the last connection has gone. */
static void
test_stop_drains_once(void **state)
{
	struct admit *a = admit_new(*state, 10, 0, on_accepting, on_drained,
	    NULL);
	struct persource_entry *e;

	assert_int_not_equal(take(a, "192.0.2.1", &e), 0);
	admit_stop(a);
	assert_true(admit_stopping(a));
	assert_int_equal(seen.drained, 0);
	admit_release(a, e);
	assert_int_equal(event_base_loop(*state, EVLOOP_ONCE), 0);
	assert_int_equal(seen.drained, 1);
	admit_stop(a);
	assert_int_equal(seen.drained, 1);
	admit_free(a);
}

/*
 * The derived limit is what the open-file limit leaves: less what the
 * process holds and 32 more, or half of what is left when that is small.
 */
static void
test_derived_limit(void **state)
{
	struct rlimit saved, rl;
	struct admit *a, *tiny;
	uint64_t big, small;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	rl = saved;
	rl.rlim_cur = 1000;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	a = admit_new(*state, 0, 0, on_accepting, on_drained, NULL);
	admit_derive_limit(a);
	big = admit_limit(a);
	rl.rlim_cur = 60;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	tiny = admit_new(*state, 0, 0, on_accepting, on_drained, NULL);
	admit_derive_limit(tiny);
	small = admit_limit(tiny);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	/* This process holds a handful: stdio, the base, two eventfds. */
	assert_true(big < 1000 - 32 - 5 && big > 1000 - 32 - 40);
	assert_true(small < (60 - 5) / 2 + 1 && small > (60 - 40) / 2);
	admit_free(a);
	admit_free(tiny);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_each_message_its_own_limiter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_by_reason, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_on_a_worker_resumes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_derived_limit, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

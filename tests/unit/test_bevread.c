/*
 * test_bevread.c - what the replaced bufferevent reader keeps and what it
 * bypasses, against the libevent in use (see src/bevread.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bevread.h"

#define BIG	(200 * 1024)	/* more than one read of 64 KiB */

struct fixture {
	struct event_base	*base;
	struct bufferevent	*bev;
	int			 peer;		/* the other end */
	int			 calls;		/* our reader's */
	int			 readcb_calls;	/* libevent's read callback's */
	ssize_t			 first;		/* bytes our first call read */
	int			 free_in_cb;
	void			*arg;		/* what our reader was given */
};

static struct fixture *current;

/* The way libevent's reader fills the input, whose end it keeps frozen. */
static ssize_t
bevread_fill_input(struct bufferevent *bev, int fd)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	ssize_t n;

	evbuffer_unfreeze(in, 0);
	n = bevread_fill(in, fd, 65536);
	evbuffer_freeze(in, 0);
	return n;
}

static void
reader(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = current;
	ssize_t n;

	(void)what;
	f->arg = arg;
	assert_ptr_equal(bevread_arg(arg), f);
	n = bevread_fill_input(arg, fd);
	if (f->calls++ == 0)
		f->first = n;
	if (f->free_in_cb) {
		bufferevent_free(arg);
		f->bev = NULL;
	}
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct fixture *f = arg;

	(void)bev;
	f->readcb_calls++;
}

static int
setup(void **state)
{
	static struct fixture f;
	int fds[2];

	memset(&f, 0, sizeof(f));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1)
		return -1;
	evutil_make_socket_nonblocking(fds[0]);
	f.peer = fds[1];
	f.base = event_base_new();
	f.bev = bufferevent_socket_new(f.base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	if (f.base == NULL || f.bev == NULL)
		return -1;
	bufferevent_setcb(f.bev, readcb, NULL, NULL, &f);
	current = &f;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->bev != NULL)
		bufferevent_free(f->bev);
	close(f->peer);
	event_base_free(f->base);
	return 0;
}

static void
send_big(struct fixture *f)
{
	static char buf[BIG];

	assert_int_equal(write(f->peer, buf, sizeof(buf)), sizeof(buf));
}

/* Runs one loop iteration that runs callbacks (it waits for one). */
static void
loop(struct fixture *f, int times)
{
	while (times-- > 0)
		event_base_loop(f->base, EVLOOP_ONCE);
}

/* Runs whatever is ready, without waiting (until nothing is). */
static void
loop_ready(struct fixture *f)
{
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* Ours runs, with the bufferevent as its argument, and reads 64 KiB. */
static void
test_reads_64k(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bevread_install(f->bev, reader), 0);
	bufferevent_enable(f->bev, EV_READ);
	send_big(f);
	loop(f, 1);
	assert_int_equal(f->calls, 1);
	assert_ptr_equal(f->arg, f->bev);
	assert_int_equal(f->first, 65536);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)),
	    65536);
	/* Bypassed: the read callback of bufferevent_setcb. */
	assert_int_equal(f->readcb_calls, 0);
}

/* bufferevent_disable and _enable still stop and start our reader. */
static void
test_enable_disable(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bevread_install(f->bev, reader), 0);
	send_big(f);
	bufferevent_disable(f->bev, EV_READ);
	loop_ready(f);
	assert_int_equal(f->calls, 0);
	bufferevent_enable(f->bev, EV_READ);
	loop(f, 1);
	assert_int_equal(f->calls, 1);
}

/*
 * A read high watermark still pauses our reader (libevent enforces it from
 * a callback on the input buffer), and draining resumes it; but one read
 * passes the mark by up to its size, where libevent's reads up to it.
 */
static void
test_read_watermark_overshoots(void **state)
{
	struct fixture *f = *state;
	struct evbuffer *in = bufferevent_get_input(f->bev);

	assert_int_equal(bevread_install(f->bev, reader), 0);
	bufferevent_setwatermark(f->bev, EV_READ, 0, 16);
	bufferevent_enable(f->bev, EV_READ);
	send_big(f);
	loop(f, 1);
	assert_int_equal(evbuffer_get_length(in), 65536);
	loop_ready(f);
	assert_int_equal(f->calls, 1);
	evbuffer_drain(in, evbuffer_get_length(in));
	loop(f, 1);
	assert_int_equal(f->calls, 2);
}

/* Bypassed: a rate limit of one byte a tick does not slow our reader. */
static void
test_rate_limit_bypassed(void **state)
{
	struct fixture *f = *state;
	struct timeval tick = { 1, 0 };
	struct ev_token_bucket_cfg *cfg;

	cfg = ev_token_bucket_cfg_new(1, 1, 1, 1, &tick);
	assert_non_null(cfg);
	assert_int_equal(bevread_install(f->bev, reader), 0);
	assert_int_equal(bufferevent_set_rate_limit(f->bev, cfg), 0);
	bufferevent_enable(f->bev, EV_READ);
	send_big(f);
	loop(f, 1);
	assert_int_equal(f->first, 65536);
	bufferevent_set_rate_limit(f->bev, NULL);
	ev_token_bucket_cfg_free(cfg);
}

/*
 * The reader may free the bufferevent: libevent finalizes the running
 * event with its argument, which must be the bufferevent; the finalizer
 * then closes the descriptor (BEV_OPT_CLOSE_ON_FREE): the peer sees EOF.
 */
static void
test_free_in_callback(void **state)
{
	struct fixture *f = *state;
	char b;

	assert_int_equal(bevread_install(f->bev, reader), 0);
	f->free_in_cb = 1;
	bufferevent_enable(f->bev, EV_READ);
	assert_int_equal(write(f->peer, "x", 1), 1);
	loop(f, 1);
	loop_ready(f);	/* the deferred finalizer */
	assert_int_equal(f->calls, 1);
	assert_null(f->bev);
	assert_int_equal(read(f->peer, &b, 1), 0);
}

/* bufferevent_setfd gives the read event back to libevent's reader. */
static void
test_setfd_undoes_it(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bevread_install(f->bev, reader), 0);
	bufferevent_setfd(f->bev, bufferevent_getfd(f->bev));
	bufferevent_enable(f->bev, EV_READ);
	send_big(f);
	loop(f, 1);
	assert_int_equal(f->calls, 0);
	assert_int_equal(f->readcb_calls, 1);
	/* libevent 2.1 reads 4096 bytes at a time: why bevread exists. */
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)),
	    4096);
}

/* Installing over a pending read event is refused. */
static void
test_refused_when_pending(void **state)
{
	struct fixture *f = *state;

	bufferevent_enable(f->bev, EV_READ);
	assert_int_equal(bevread_install(f->bev, reader), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_64k, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enable_disable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_watermark_overshoots,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_bypassed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_setfd_undoes_it, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_when_pending,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

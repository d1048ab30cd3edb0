/* test_handoff.c - the reload hand-off format: round trip and refusals. */
#include "config.h"

#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "handoff.h"

static const uint8_t pending[] = "echo me back, every byte";

static void
sample_listener(struct handoff_listener *l, int fd, int kind, int passed)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->kind = (uint8_t)kind;
	l->passed = (uint8_t)passed;
	l->proxy = kind == HANDOFF_STREAM && !passed;
	if (!passed)
		snprintf(l->spec, sizeof(l->spec), "%s127.0.0.1:%d",
		    kind == HANDOFF_DGRAM ? "udp:" : "", 7000 + fd);
	snprintf(l->name, sizeof(l->name), "%s127.0.0.1:%d",
	    kind == HANDOFF_DGRAM ? "udp:" : "", 7000 + fd);
	if (passed)
		snprintf(l->fdname, sizeof(l->fdname), "echo-%d", fd);
	else {
		snprintf(l->unlink_path, sizeof(l->unlink_path), "/run/e%d", fd);
		l->file_dev = 0x0801;
		l->file_ino = 1ULL << 33;
	}
}

static void
sample_conn(struct handoff_conn *c, int fd, uint32_t listener, size_t plen)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->listener = listener;
	c->id = 1000 + (uint64_t)fd;
	c->bytes_in = (1ULL << 40) + plen;
	c->bytes_out = 1ULL << 40;
	c->start_us = 123456789;
	c->window_us = 223456789;
	c->window_bytes = 77;
	c->peer_family = AF_INET6;
	memset(c->peer_addr, 0xab, 16);
	c->peer_port = 0x1f90;
	c->flags = HANDOFF_READ_PAUSED | HANDOFF_LINGERING | HANDOFF_VIA_PROXY;
	c->lb_family = AF_INET;
	c->lb_port = 0x2710;
	memset(c->lb_addr, 0x7f, 4);
	c->pending_len = (uint32_t)plen;
}

/*
 * Four listeners (passed, UDP, metrics, closed), three connections, one
 * of them built by a "worker".
 */
static void
build(struct handoff_buf *b)
{
	uint64_t counters[HANDOFF_NCOUNTERS];
	struct handoff_listener l;
	struct handoff_conn c;
	struct handoff_buf w;
	uint8_t *p;
	size_t i;

	for (i = 0; i < HANDOFF_NCOUNTERS; i++)
		counters[i] = 0x0102030405060708ULL * (i + 1);
	handoff_begin(b, counters);
	sample_listener(&l, 3, HANDOFF_STREAM, 1);
	handoff_put_listener(b, &l);
	sample_listener(&l, 4, HANDOFF_DGRAM, 0);
	handoff_put_listener(b, &l);
	sample_listener(&l, 10, HANDOFF_METRICS, 0);
	handoff_put_listener(b, &l);
	sample_listener(&l, -1, HANDOFF_CLOSED, 0);
	l.proxy = 1;
	l.unlink_path[0] = '\0';
	handoff_put_listener(b, &l);
	sample_conn(&c, 5, 0, sizeof(pending));
	p = handoff_put_conn(b, &c);
	assert_non_null(p);
	memcpy(p, pending, sizeof(pending));
	sample_conn(&c, 6, 0, 0);
	handoff_put_conn(b, &c);
	memset(&w, 0, sizeof(w));
	sample_conn(&c, 9, 3, 3);
	memcpy(handoff_put_conn(&w, &c), "abc", 3);
	handoff_append(b, &w);
	handoff_buf_free(&w);
	assert_int_equal(handoff_end(b, 4, 3, 42), 0);
}

static void
refused(const uint8_t *buf, size_t len, const char *reason)
{
	struct handoff h;
	char why[256] = "";

	assert_int_equal(handoff_decode(buf, len, &h, why, sizeof(why)), -1);
	assert_null(h.listeners);
	assert_null(h.conns);
	if (reason != NULL && strstr(why, reason) == NULL)
		fail_msg("reason '%s', expected '%s'", why, reason);
}

static void
test_round_trip(void **state)
{
	struct handoff_buf b;
	struct handoff h;
	char why[256];
	size_t i;

	(void)state;
	build(&b);
	assert_int_equal(handoff_decode(b.data, b.len, &h, why, sizeof(why)),
	    0);
	assert_int_equal(h.version, HANDOFF_VERSION);
	assert_int_equal(h.paused_us, 42);
	for (i = 0; i < HANDOFF_NCOUNTERS; i++)
		assert_int_equal(h.counters[i], 0x0102030405060708ULL * (i + 1));
	assert_int_equal(h.nlisteners, 4);
	assert_int_equal(h.listeners[0].fd, 3);
	assert_int_equal(h.listeners[0].kind, HANDOFF_STREAM);
	assert_int_equal(h.listeners[0].passed, 1);
	assert_int_equal(h.listeners[0].proxy, 0);
	assert_string_equal(h.listeners[0].name, "127.0.0.1:7003");
	assert_string_equal(h.listeners[0].fdname, "echo-3");
	assert_string_equal(h.listeners[1].name, "udp:127.0.0.1:7004");
	assert_string_equal(h.listeners[1].fdname, "");
	assert_string_equal(h.listeners[1].unlink_path, "/run/e4");
	assert_int_equal(h.listeners[1].file_dev, 0x0801);
	assert_int_equal(h.listeners[1].file_ino, 1ULL << 33);
	assert_int_equal(h.listeners[1].kind, HANDOFF_DGRAM);
	assert_string_equal(h.listeners[0].spec, "");
	assert_string_equal(h.listeners[1].spec, "udp:127.0.0.1:7004");
	assert_int_equal(h.listeners[2].kind, HANDOFF_METRICS);
	assert_int_equal(h.listeners[2].fd, 10);
	assert_string_equal(h.listeners[2].spec, "127.0.0.1:7010");
	assert_int_equal(h.listeners[3].kind, HANDOFF_CLOSED);
	assert_int_equal(h.listeners[3].fd, -1);
	assert_int_equal(h.listeners[3].proxy, 1);
	assert_int_equal(h.conns[2].listener, 3);
	assert_int_equal(h.nconns, 3);
	assert_int_equal(h.conns[0].fd, 5);
	assert_int_equal(h.conns[0].id, 1005);
	assert_int_equal(h.conns[0].bytes_out, 1ULL << 40);
	assert_int_equal(h.conns[0].start_us, 123456789);
	assert_int_equal(h.conns[0].window_us, 223456789);
	assert_int_equal(h.conns[0].window_bytes, 77);
	assert_int_equal(h.conns[0].peer_family, AF_INET6);
	assert_int_equal(h.conns[0].peer_port, 0x1f90);
	assert_int_equal(h.conns[0].peer_addr[15], 0xab);
	assert_int_equal(h.conns[0].flags,
	    HANDOFF_READ_PAUSED | HANDOFF_LINGERING | HANDOFF_VIA_PROXY);
	assert_int_equal(h.conns[0].lb_family, AF_INET);
	assert_int_equal(h.conns[0].lb_port, 0x2710);
	assert_int_equal(h.conns[0].lb_addr[3], 0x7f);
	assert_int_equal(h.conns[0].pending_len, sizeof(pending));
	assert_memory_equal(h.conns[0].pending, pending, sizeof(pending));
	assert_int_equal(h.conns[1].pending_len, 0);
	assert_int_equal(h.conns[2].fd, 9);
	assert_memory_equal(h.conns[2].pending, "abc", 3);
	handoff_free(&h);
	handoff_buf_free(&b);
}

static void
test_empty(void **state)
{
	uint64_t counters[HANDOFF_NCOUNTERS] = { 0 };
	struct handoff_buf b;
	struct handoff h;
	char why[256];

	(void)state;
	handoff_begin(&b, counters);
	assert_int_equal(handoff_end(&b, 0, 0, 0), 0);
	assert_int_equal(handoff_decode(b.data, b.len, &h, why, sizeof(why)),
	    0);
	assert_int_equal(h.nlisteners + h.nconns, 0);
	handoff_free(&h);
	handoff_buf_free(&b);
}

/* Every prefix, and one byte more, is refused. */
static void
test_truncated(void **state)
{
	struct handoff_buf b;
	uint8_t *longer;
	size_t n;

	(void)state;
	build(&b);
	for (n = 0; n < b.len; n++)
		refused(b.data, n, NULL);
	refused(b.data, 10, "truncated");
	refused(b.data, b.len - 1, "the header says");
	longer = calloc(1, b.len + 1);
	assert_non_null(longer);
	memcpy(longer, b.data, b.len);
	refused(longer, b.len + 1, "the header says");
	free(longer);
	handoff_buf_free(&b);
}

/* Any byte flipped anywhere is refused. */
static void
test_corrupt(void **state)
{
	struct handoff_buf b;
	size_t i;

	(void)state;
	build(&b);
	for (i = 0; i < b.len; i++) {
		b.data[i] ^= 0x40;
		refused(b.data, b.len, NULL);
		b.data[i] ^= 0x40;
	}
	b.data[b.len - 1] ^= 1;
	refused(b.data, b.len, "checksum");
	b.data[b.len - 1] ^= 1;
	b.data[0] = 'X';
	refused(b.data, b.len, "not an echod hand-off");
	handoff_buf_free(&b);
}

static void
test_wrong_version(void **state)
{
	struct handoff_buf b;

	(void)state;
	build(&b);
	b.data[8] = (uint8_t)(HANDOFF_VERSION + 1);
	refused(b.data, b.len, "hand-off version");
	handoff_buf_free(&b);
}

/* Counts that the bytes cannot hold are refused before any allocation. */
static void
test_absurd_counts(void **state)
{
	struct handoff_buf b;

	(void)state;
	build(&b);
	assert_int_equal(handoff_end(&b, 4, HANDOFF_MAX_CONNS, 0), 0);
	refused(b.data, b.len, "do not fit");
	assert_int_equal(handoff_end(&b, 4, UINT32_MAX, 0), 0);
	refused(b.data, b.len, "do not fit");
	assert_int_equal(handoff_end(&b, UINT32_MAX, 3, 0), 0);
	refused(b.data, b.len, "do not fit");
	/* Fewer records than there are bytes for: the rest is trailing. */
	assert_int_equal(handoff_end(&b, 4, 2, 0), 0);
	refused(b.data, b.len, "after the last record");
	handoff_buf_free(&b);
}

/* Builds a hand-off of one listener and one connection, altered by fn. */
static void
refused_with(void (*fn)(struct handoff_listener *, struct handoff_conn *),
    const char *reason)
{
	uint64_t counters[HANDOFF_NCOUNTERS] = { 0 };
	struct handoff_listener l;
	struct handoff_conn c;
	struct handoff_buf b;

	sample_listener(&l, 3, HANDOFF_STREAM, 0);
	sample_conn(&c, 4, 0, 0);
	fn(&l, &c);
	handoff_begin(&b, counters);
	handoff_put_listener(&b, &l);
	handoff_put_conn(&b, &c);
	assert_int_equal(handoff_end(&b, 1, 1, 0), 0);
	refused(b.data, b.len, reason);
	handoff_buf_free(&b);
}

static void bad_index(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->listener = 1; }
static void udp_parent(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_DGRAM; l->proxy = 0; }
static void bad_kind(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = 7; }
static void bad_flags(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->flags = 0x80; }
static void bad_family(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->peer_family = AF_UNIX; }
static void bad_socket(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->lb_family = AF_UNSPEC; }
static void out_over_in(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->bytes_out = c->bytes_in + 1; }
static void dup_fd(struct handoff_listener *l, struct handoff_conn *c)
{ c->fd = l->fd; }
static void stdin_fd(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->fd = 0; }
static void negative_fd(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->fd = -2; }
static void stream_no_fd(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->fd = -1; }
static void closed_fd(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_CLOSED; l->unlink_path[0] = '\0'; }
static void closed_file(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_CLOSED; l->fd = -1; }
static void closed_passed(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_CLOSED; l->fd = -1; l->passed = 1;
  l->unlink_path[0] = '\0'; }
static void no_name(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->name[0] = '\0'; }
static void udp_proxy(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_DGRAM; l->proxy = 1; }
static void metrics_parent(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_METRICS; l->proxy = 0; }
static void metrics_passed(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_METRICS; l->proxy = 0; l->passed = 1;
  l->unlink_path[0] = '\0'; }
static void metrics_no_spec(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_METRICS; l->proxy = 0; l->spec[0] = '\0'; }
static void metrics_proxy(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->kind = HANDOFF_METRICS; }
static void midheader(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->flags = HANDOFF_MIDHEADER; }
static void midheader_plain(struct handoff_listener *l, struct handoff_conn *c)
{ l->proxy = 0; c->flags = HANDOFF_MIDHEADER; }
static void midheader_paused(struct handoff_listener *l, struct handoff_conn *c)
{ (void)l; c->flags = HANDOFF_MIDHEADER | HANDOFF_READ_PAUSED; }
static void passed_unlink(struct handoff_listener *l, struct handoff_conn *c)
{ (void)c; l->passed = 1; strcpy(l->unlink_path, "/run/x.sock"); }

static void
test_bad_records(void **state)
{
	(void)state;
	refused_with(bad_index, "connection 0 is malformed");
	refused_with(udp_parent, "connection 0 is malformed");
	refused_with(bad_kind, "listener 0 is malformed");
	refused_with(bad_flags, "connection 0 is malformed");
	refused_with(bad_family, "connection 0 is malformed");
	refused_with(bad_socket, "connection 0 is malformed");
	refused_with(out_over_in, "connection 0 is malformed");
	refused_with(dup_fd, "named twice");
	refused_with(stdin_fd, "named twice, or is 0-2");
	refused_with(negative_fd, "0-2");
	refused_with(stream_no_fd, "listener 0 is malformed");
	refused_with(closed_fd, "listener 0 is malformed");
	refused_with(closed_file, "listener 0 is malformed");
	refused_with(closed_passed, "listener 0 is malformed");
	refused_with(no_name, "listener 0 is malformed");
	refused_with(passed_unlink, "listener 0 is malformed");
	refused_with(udp_proxy, "listener 0 is malformed");
	refused_with(metrics_parent, "connection 0 is malformed");
	refused_with(midheader_plain, "connection 0 is malformed");
	refused_with(midheader_paused, "connection 0 is malformed");
	refused_with(metrics_passed, "listener 0 is malformed");
	refused_with(metrics_no_spec, "listener 0 is malformed");
	refused_with(metrics_proxy, "listener 0 is malformed");
}

/* A connection mid PROXY header: accepted, but not holding too much. */
static void
test_midheader(void **state)
{
	uint64_t counters[HANDOFF_NCOUNTERS] = { 0 };
	static uint8_t held[HANDOFF_HELD_MAX + 1];
	struct handoff_listener l;
	struct handoff_conn c;
	struct handoff_buf b;
	struct handoff h;
	char why[256];
	size_t len;

	(void)state;
	for (len = 11; len <= HANDOFF_HELD_MAX + 1; len += HANDOFF_HELD_MAX
	    - 10) {
		sample_listener(&l, 3, HANDOFF_STREAM, 0);
		sample_conn(&c, 4, 0, 0);
		midheader(&l, &c);
		c.bytes_in = len;
		c.bytes_out = 0;
		c.pending_len = (uint32_t)len;
		handoff_begin(&b, counters);
		handoff_put_listener(&b, &l);
		memcpy(handoff_put_conn(&b, &c), held, len);
		assert_int_equal(handoff_end(&b, 1, 1, 0), 0);
		if (len > HANDOFF_HELD_MAX)
			refused(b.data, b.len, "connection 0 is malformed");
		else {
			assert_int_equal(handoff_decode(b.data, b.len, &h, why,
			    sizeof(why)), 0);
			assert_int_equal(h.conns[0].flags, HANDOFF_MIDHEADER);
			assert_int_equal(h.conns[0].pending_len, len);
			handoff_free(&h);
		}
		handoff_buf_free(&b);
	}
}

/* A string longer than its field, or with a NUL in it. */
static void
test_bad_strings(void **state)
{
	uint64_t counters[HANDOFF_NCOUNTERS] = { 0 };
	struct handoff_buf b;
	size_t at;

	(void)state;
	handoff_begin(&b, counters);
	b.data = realloc(b.data, b.len + 80 + HANDOFF_FDNAME_MAX);
	assert_non_null(b.data);
	at = b.len;
	/* kind 1, not passed, no proxy, fd 3, name "abcd" */
	memcpy(b.data + at, "\1\0\0\3\0\0\0\4\0abcd", 13);
	at++;	/* below, offsets as if the record started here */
	b.data[at + 12] = HANDOFF_FDNAME_MAX;			/* fdname: too long */
	b.data[at + 13] = 0;
	memset(b.data + at + 14, 'x', HANDOFF_FDNAME_MAX);
	b.data[at + 14 + HANDOFF_FDNAME_MAX] = 0;		/* path "" */
	b.data[at + 15 + HANDOFF_FDNAME_MAX] = 0;
	/* dev, ino, spec "" */
	memset(b.data + at + 16 + HANDOFF_FDNAME_MAX, 0, 18);
	b.len = at + 34 + HANDOFF_FDNAME_MAX;
	b.cap = b.len;
	assert_int_equal(handoff_end(&b, 1, 0, 0), 0);
	refused(b.data, b.len, "listener 0 is malformed");
	b.data[at + 12] = HANDOFF_FDNAME_MAX - 1;		/* fits, but */
	b.data[at + 14 + HANDOFF_FDNAME_MAX - 1] = 0;		/* path len 0 */
	b.data[at + 14 + HANDOFF_FDNAME_MAX] = 0;
	b.len--;
	b.data[at + 20] = '\0';					/* NUL inside */
	assert_int_equal(handoff_end(&b, 1, 0, 0), 0);
	refused(b.data, b.len, "listener 0 is malformed");
	b.data[at + 20] = 'y';
	assert_int_equal(handoff_end(&b, 1, 0, 0), 0);
	{
		struct handoff h;
		char why[256];

		assert_int_equal(handoff_decode(b.data, b.len, &h, why,
		    sizeof(why)), 0);
		assert_int_equal(strlen(h.listeners[0].fdname),
		    HANDOFF_FDNAME_MAX - 1);
		handoff_free(&h);
	}
	handoff_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_absurd_counts),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_midheader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * testaddr.h - socket addresses from text, for the cmocka tests of the
 * per-source tables.  Include after cmocka.h; build with
 * -I$(top_srcdir)/tests/lib.
 */
#ifndef ECHOD_TESTADDR_H
#define ECHOD_TESTADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* The address `text` of `family` with `port`; fails the test if the text
 * is not an address of that family. */
static inline struct sockaddr_storage
testaddr(int family, const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	void *bytes = family == AF_INET6 ? (void *)&in6->sin6_addr
					 : (void *)&in->sin_addr;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET6)
		in6->sin6_port = htons(port);
	else
		in->sin_port = htons(port);
	assert_int_equal(inet_pton(family, text, bytes), 1);
	return ss;
}

static inline struct sockaddr_storage
v4(const char *text, uint16_t port)
{
	return testaddr(AF_INET, text, port);
}

static inline struct sockaddr_storage
v6(const char *text, uint16_t port)
{
	return testaddr(AF_INET6, text, port);
}

#endif

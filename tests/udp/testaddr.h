/*
 * testaddr.h - socket addresses from text, for the cmocka tests of the
 * per-source tables.  Include after cmocka.h.
 */
#ifndef ECHOD_TESTADDR_H
#define ECHOD_TESTADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static inline struct sockaddr_storage
v4(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	return ss;
}

static inline struct sockaddr_storage
v6(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	return ss;
}

#endif

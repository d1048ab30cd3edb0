/* addr.c - the ADDR grammar: parsing, resolving and printing addresses. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "units.h"

static int
addr_fail(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -1;
}

static int
addr_parse_port(const char *s, struct addr_spec *spec, char *why,
    size_t whylen)
{
	uint64_t port;
	const char *err;

	if (*s == '\0')
		return addr_fail(why, whylen, "missing port");
	if (parse_uint(s, 0, 65535, &port, &err) == -1)
		return addr_fail(why, whylen,
		    "port must be a number from 0 to 65535");
	spec->port = (uint16_t)port;
	return 0;
}

static int
addr_parse_unix(const char *path, struct addr_spec *spec, char *why,
    size_t whylen)
{
	if (spec->proto == ADDR_UDP)
		return addr_fail(why, whylen, "unix sockets are stream only");
	if (*path == '\0' || strcmp(path, "@") == 0)
		return addr_fail(why, whylen, "missing socket path");
	if (strlen(path) >= sizeof(spec->path))
		return addr_fail(why, whylen, "socket path too long");
	spec->kind = ADDR_UNIX;
	memcpy(spec->path, path, strlen(path) + 1);
	return 0;
}

static int
addr_parse_ipv6(const char *s, struct addr_spec *spec, char *why,
    size_t whylen)
{
	const char *close = strchr(s, ']');
	struct in6_addr in6;
	size_t len;

	if (close == NULL)
		return addr_fail(why, whylen, "missing ']' after IPv6 address");
	len = (size_t)(close - s - 1);
	if (len == 0 || len > ADDR_HOST_MAX)
		return addr_fail(why, whylen, "bad IPv6 address");
	memcpy(spec->host, s + 1, len);
	spec->host[len] = '\0';
	if (inet_pton(AF_INET6, spec->host, &in6) != 1)
		return addr_fail(why, whylen, "bad IPv6 address");
	if (close[1] != ':')
		return addr_fail(why, whylen, "missing ':PORT' after ']'");
	spec->kind = ADDR_IPV6;
	return addr_parse_port(close + 2, spec, why, whylen);
}

static int
addr_parse_inet(const char *s, struct addr_spec *spec, char *why,
    size_t whylen)
{
	const char *colon = strrchr(s, ':');
	size_t len;

	if (*s == '[')
		return addr_parse_ipv6(s, spec, why, whylen);
	if (colon == NULL) {
		if (*s == '\0')
			return addr_fail(why, whylen, "empty address");
		spec->kind = ADDR_ANY;
		return addr_parse_port(s, spec, why, whylen);
	}
	if (strchr(s, ':') != colon)
		return addr_fail(why, whylen,
		    "IPv6 addresses need brackets, as in [::1]:7");
	len = (size_t)(colon - s);
	if (len == 0)
		return addr_fail(why, whylen, "missing host (use *:PORT for all)");
	if (len > ADDR_HOST_MAX)
		return addr_fail(why, whylen, "host name too long");
	if (len == 1 && *s == '*') {
		spec->kind = ADDR_ANY;
	} else {
		spec->kind = ADDR_HOST;
		memcpy(spec->host, s, len);
		spec->host[len] = '\0';
	}
	return addr_parse_port(colon + 1, spec, why, whylen);
}

int
addr_parse(const char *text, struct addr_spec *spec, char *why, size_t whylen)
{
	memset(spec, 0, sizeof(*spec));
	spec->proto = ADDR_TCP;
	if (strncmp(text, "proxy:", 6) == 0) {
		spec->proxy = 1;
		text += 6;
	}
	if (strncmp(text, "tcp:", 4) == 0) {
		text += 4;
	} else if (strncmp(text, "udp:", 4) == 0) {
		if (spec->proxy)
			return addr_fail(why, whylen,
			    "the PROXY protocol is for stream sockets, not udp:");
		spec->proto = ADDR_UDP;
		text += 4;
	}
	if (strncmp(text, "unix:", 5) == 0)
		return addr_parse_unix(text + 5, spec, why, whylen);
	return addr_parse_inet(text, spec, why, whylen);
}

int
addr_resolve(const struct addr_spec *spec, int passive, struct addrinfo **res,
    char *why, size_t whylen)
{
	struct addrinfo hints;
	char port[8];
	const char *host = spec->host;
	int rc;

	*res = NULL;
	if (spec->kind == ADDR_UNIX)
		return addr_fail(why, whylen, "unix addresses do not resolve");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = spec->proto == ADDR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if (spec->kind == ADDR_IPV6)
		hints.ai_flags |= AI_NUMERICHOST;
	/*
	 * Listening, "*" is one socket for both families (IPV6_V6ONLY is
	 * cleared on bind); connecting, it is this host: both loopbacks.
	 */
	if (spec->kind == ADDR_ANY)
		host = NULL;
	if (spec->kind == ADDR_ANY && passive)
		hints.ai_family = AF_INET6;
	snprintf(port, sizeof(port), "%u", spec->port);
	rc = getaddrinfo(host, port, &hints, res);
	if (rc != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return -1;
	}
	return 0;
}

int
addr_from_host(const char *host, unsigned port, enum addr_proto proto,
    struct addr_spec *spec, char *why, size_t whylen)
{
	struct in6_addr in6;
	size_t len = strlen(host);

	memset(spec, 0, sizeof(*spec));
	spec->proto = proto;
	spec->kind = ADDR_HOST;
	spec->port = (uint16_t)port;
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0)
		return addr_fail(why, whylen, "empty host");
	if (len > ADDR_HOST_MAX)
		return addr_fail(why, whylen, "host name too long");
	if (port > 65535)
		return addr_fail(why, whylen,
		    "port must be a number from 0 to 65535");
	memcpy(spec->host, host, len);
	spec->host[len] = '\0';
	if (strchr(spec->host, ':') == NULL)
		return 0;
	if (inet_pton(AF_INET6, spec->host, &in6) != 1)
		return addr_fail(why, whylen, "bad IPv6 address");
	spec->kind = ADDR_IPV6;
	return 0;
}

socklen_t
addr_unix_sockaddr(const struct addr_spec *spec, struct sockaddr_un *sun)
{
	size_t len = strlen(spec->path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, spec->path, len);
	if (spec->path[0] == '@') {
		/* Abstract: a leading NUL, and the length counts exactly. */
		sun->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (socklen_t)sizeof(*sun);
}

static int
addr_unix_same(const struct sockaddr_un *a, socklen_t alen,
    const struct sockaddr_un *b, socklen_t blen)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (alen <= off || blen <= off)
		return 0;
	if (a->sun_path[0] == '\0' || b->sun_path[0] == '\0')
		return alen == blen && memcmp(a->sun_path, b->sun_path,
		    alen - off) == 0;
	return strncmp(a->sun_path, b->sun_path, sizeof(a->sun_path)) == 0;
}

static uint16_t
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static int
addr_is_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

static int
addr_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr);
}

int
addr_clashes(int fd, const struct sockaddr *sa, socklen_t len, int dual)
{
	/* Zeroed: clang-analyzer cannot see getsockname fill it. */
	struct sockaddr_storage ss = { 0 };
	const struct sockaddr *bound = (const struct sockaddr *)&ss;
	socklen_t sslen = sizeof(ss), optlen = sizeof(int);
	int v6only = 1;

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return 0;
	if (bound->sa_family == AF_UNIX || sa->sa_family == AF_UNIX)
		return bound->sa_family == sa->sa_family &&
		    addr_unix_same((const struct sockaddr_un *)bound, sslen,
		    (const struct sockaddr_un *)sa, len);
	if ((bound->sa_family != AF_INET && bound->sa_family != AF_INET6) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    addr_port(bound) == 0 || addr_port(bound) != addr_port(sa))
		return 0;
	if (bound->sa_family == sa->sa_family)
		return addr_is_any(bound) || addr_is_any(sa) ||
		    addr_same_host(bound, sa);
	if (sa->sa_family == AF_INET6)
		return dual && addr_is_any(sa);
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) == -1)
		return 0;
	return !v6only && addr_is_any(bound);
}

const char *
addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_un *sun;
	size_t plen;

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		/* An IPv4 client of a dual-stack socket: show what it is. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(buf, buflen, "%s:%u", host,
			    ntohs(in6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX:
		sun = (const struct sockaddr_un *)sa;
		plen = len > offsetof(struct sockaddr_un, sun_path) ?
		    len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (plen == 0)
			snprintf(buf, buflen, "unix:(unnamed)");
		else if (sun->sun_path[0] == '\0')
			snprintf(buf, buflen, "unix:@%.*s", (int)plen - 1,
			    sun->sun_path + 1);
		else
			snprintf(buf, buflen, "unix:%.*s", (int)plen,
			    sun->sun_path);
		break;
	default:
		snprintf(buf, buflen, "(family %d)", sa->sa_family);
		break;
	}
	return buf;
}

const char *
addr_spec_format(const struct addr_spec *spec, char *buf, size_t buflen)
{
	const char *proto = spec->proto == ADDR_UDP ? "udp:" : "";
	const char *proxy = spec->proxy ? "proxy:" : "";

	switch (spec->kind) {
	case ADDR_UNIX:
		snprintf(buf, buflen, "%sunix:%s", proxy, spec->path);
		break;
	case ADDR_ANY:
		snprintf(buf, buflen, "%s%s*:%u", proxy, proto, spec->port);
		break;
	case ADDR_IPV6:
		snprintf(buf, buflen, "%s%s[%s]:%u", proxy, proto, spec->host,
		    spec->port);
		break;
	case ADDR_HOST:
		/*
		 * "tcp:udp:7" is host "udp": without its prefix it reads
		 * "udp:7"; so for hosts named like the other prefixes.
		 */
		if (spec->proto == ADDR_TCP && (strcmp(spec->host, "tcp") == 0 ||
		    strcmp(spec->host, "udp") == 0 ||
		    strcmp(spec->host, "proxy") == 0))
			proto = "tcp:";
		snprintf(buf, buflen, "%s%s%s:%u", proxy, proto, spec->host,
		    spec->port);
		break;
	}
	return buf;
}

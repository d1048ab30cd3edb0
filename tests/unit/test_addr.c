/* test_addr.c - the ADDR grammar: parsing, printing and resolving. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"

static const struct {
	const char	*text;
	enum addr_proto	 proto;
	enum addr_kind	 kind;
	const char	*host;		/* HOST, IPV6; or the path for UNIX */
	uint16_t	 port;
} parse_ok[] = {
	{ "localhost:7007",	ADDR_TCP, ADDR_HOST, "localhost", 7007 },
	{ "127.0.0.1:7",	ADDR_TCP, ADDR_HOST, "127.0.0.1", 7 },
	{ "echo.example:65535",	ADDR_TCP, ADDR_HOST, "echo.example", 65535 },
	{ "h:0",		ADDR_TCP, ADDR_HOST, "h", 0 },
	{ "h:007",		ADDR_TCP, ADDR_HOST, "h", 7 },
	{ "[::1]:7",		ADDR_TCP, ADDR_IPV6, "::1", 7 },
	{ "[::]:0",		ADDR_TCP, ADDR_IPV6, "::", 0 },
	{ "[2001:db8::7]:65535", ADDR_TCP, ADDR_IPV6, "2001:db8::7", 65535 },
	{ "[::ffff:127.0.0.1]:9", ADDR_TCP, ADDR_IPV6, "::ffff:127.0.0.1", 9 },
	{ "*:7",		ADDR_TCP, ADDR_ANY, "", 7 },
	{ "7",			ADDR_TCP, ADDR_ANY, "", 7 },
	{ "0",			ADDR_TCP, ADDR_ANY, "", 0 },
	{ "65535",		ADDR_TCP, ADDR_ANY, "", 65535 },
	{ "tcp:localhost:7",	ADDR_TCP, ADDR_HOST, "localhost", 7 },
	{ "tcp:[::1]:7",	ADDR_TCP, ADDR_IPV6, "::1", 7 },
	{ "tcp:*:7",		ADDR_TCP, ADDR_ANY, "", 7 },
	{ "tcp:7",		ADDR_TCP, ADDR_ANY, "", 7 },
	{ "udp:127.0.0.1:9",	ADDR_UDP, ADDR_HOST, "127.0.0.1", 9 },
	{ "udp:[::1]:9",	ADDR_UDP, ADDR_IPV6, "::1", 9 },
	{ "udp:*:9",		ADDR_UDP, ADDR_ANY, "", 9 },
	{ "udp:9",		ADDR_UDP, ADDR_ANY, "", 9 },
	{ "unix:/run/echod.sock", ADDR_TCP, ADDR_UNIX, "/run/echod.sock", 0 },
	{ "unix:relative.sock",	ADDR_TCP, ADDR_UNIX, "relative.sock", 0 },
	{ "unix:/tmp/a:b",	ADDR_TCP, ADDR_UNIX, "/tmp/a:b", 0 },
	{ "unix:@echod",	ADDR_TCP, ADDR_UNIX, "@echod", 0 },
	{ "tcp:unix:/x",	ADDR_TCP, ADDR_UNIX, "/x", 0 },
};

/* Each error names its cause; `why` is a substring of the message. */
static const struct {
	const char	*text;
	const char	*why;
} parse_bad[] = {
	{ "",			"empty address" },
	{ "tcp:",		"empty address" },
	{ "udp:",		"empty address" },
	{ "localhost:",		"missing port" },
	{ "*:",			"missing port" },
	{ "[::1]:",		"missing port" },
	{ "localhost:65536",	"port must be a number from 0 to 65535" },
	{ "localhost:99999999999999999999999", "port must be a number" },
	{ "localhost:http",	"port must be a number" },
	{ "localhost:-1",	"port must be a number" },
	{ "localhost:+7",	"port must be a number" },
	{ "localhost: 7",	"port must be a number" },
	{ "localhost:7x",	"port must be a number" },
	{ "[::1]:7:8",		"port must be a number" },
	{ "65536",		"port must be a number" },
	{ "*",			"port must be a number" },
	{ "localhost",		"port must be a number" },
	{ ":7",			"missing host" },
	{ "::1",		"IPv6 addresses need brackets" },
	{ "::1:7",		"IPv6 addresses need brackets" },
	{ "2001:db8::7:7",	"IPv6 addresses need brackets" },
	{ "[::1",		"missing ']'" },
	{ "[::1:7",		"missing ']'" },
	{ "[::1]",		"missing ':PORT'" },
	{ "[::1]7",		"missing ':PORT'" },
	{ "[]:7",		"bad IPv6 address" },
	{ "[127.0.0.1]:7",	"bad IPv6 address" },
	{ "[::g]:7",		"bad IPv6 address" },
	{ "[1:2:3:4:5:6:7:8:9]:7", "bad IPv6 address" },
	{ "unix:",		"missing socket path" },
	{ "unix:@",		"missing socket path" },
	{ "udp:unix:/run/echod.sock", "stream only" },
	{ "proxy:udp:7",	"for stream sockets, not udp:" },
	{ "proxy:",		"empty address" },
	{ "proxy:tcp:",		"empty address" },
	{ "proxy:unix:",	"missing socket path" },
};

static void
test_parse_ok(void **state)
{
	struct addr_spec spec;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		const char *want = parse_ok[i].host;

		if (addr_parse(parse_ok[i].text, &spec, why, sizeof(why)) != 0)
			fail_msg("\"%s\": refused: %s", parse_ok[i].text, why);
		if (spec.proto != parse_ok[i].proto ||
		    spec.kind != parse_ok[i].kind ||
		    spec.port != parse_ok[i].port)
			fail_msg("\"%s\": proto %d kind %d port %u",
			    parse_ok[i].text, spec.proto, spec.kind, spec.port);
		if (strcmp(spec.kind == ADDR_UNIX ? spec.path : spec.host,
		    want) != 0)
			fail_msg("\"%s\": host/path \"%s\", want \"%s\"",
			    parse_ok[i].text, spec.kind == ADDR_UNIX ?
			    spec.path : spec.host, want);
	}
}

static void
test_parse_bad(void **state)
{
	struct addr_spec spec;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		why[0] = '\0';
		if (addr_parse(parse_bad[i].text, &spec, why, sizeof(why)) != -1)
			fail_msg("\"%s\": accepted", parse_bad[i].text);
		if (strstr(why, parse_bad[i].why) == NULL)
			fail_msg("\"%s\": reason \"%s\", want \"%s\"",
			    parse_bad[i].text, why, parse_bad[i].why);
		if (strchr(why, '\n') != NULL)
			fail_msg("\"%s\": reason is not one line",
			    parse_bad[i].text);
	}
}

/* Builds "prefix" followed by n copies of c, then "suffix". */
static const char *
long_text(char *buf, size_t len, const char *prefix, size_t n, int c,
    const char *suffix)
{
	size_t p = strlen(prefix);

	assert_true(p + n + strlen(suffix) < len);
	memcpy(buf, prefix, p);
	memset(buf + p, c, n);
	strcpy(buf + p + n, suffix);
	return buf;
}

static void
test_parse_limits(void **state)
{
	struct addr_spec spec;
	char text[600], why[128];
	size_t pathmax = sizeof(spec.path) - 1;

	(void)state;
	/* A path needs its NUL: sun_path minus one byte is the longest. */
	long_text(text, sizeof(text), "unix:/", pathmax - 1, 'p', "");
	assert_int_equal(addr_parse(text, &spec, why, sizeof(why)), 0);
	assert_int_equal(strlen(spec.path), pathmax);
	long_text(text, sizeof(text), "unix:/", pathmax, 'p', "");
	assert_int_equal(addr_parse(text, &spec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "socket path too long"));

	long_text(text, sizeof(text), "", ADDR_HOST_MAX, 'h', ":7");
	assert_int_equal(addr_parse(text, &spec, why, sizeof(why)), 0);
	assert_int_equal(strlen(spec.host), ADDR_HOST_MAX);
	long_text(text, sizeof(text), "", ADDR_HOST_MAX + 1, 'h', ":7");
	assert_int_equal(addr_parse(text, &spec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "host name too long"));

	/* A reason longer than the caller's buffer is cut, not overrun. */
	memset(why, 'x', sizeof(why));
	assert_int_equal(addr_parse("::1", &spec, why, 8), -1);
	assert_string_equal(why, "IPv6 ad");
	assert_int_equal(why[8], 'x');
}

/* proxy: marks a stream listener; it comes first and changes nothing else. */
static void
test_parse_proxy(void **state)
{
	static const struct {
		const char	*text;
		int		 proxy;
		enum addr_kind	 kind;
		const char	*host;
		uint16_t	 port;
	} cases[] = {
		{ "proxy:*:7",		1, ADDR_ANY,  "",		7 },
		{ "proxy:7007",		1, ADDR_ANY,  "",		7007 },
		{ "proxy:127.0.0.1:7007", 1, ADDR_HOST, "127.0.0.1",	7007 },
		{ "proxy:[::1]:7",	1, ADDR_IPV6, "::1",		7 },
		{ "proxy:tcp:localhost:7", 1, ADDR_HOST, "localhost",	7 },
		{ "proxy:unix:/run/echod.sock", 1, ADDR_UNIX,
		  "/run/echod.sock", 0 },
		{ "proxy:unix:@echod",	1, ADDR_UNIX, "@echod",		0 },
		/* After tcp:, "proxy" is a host name, as "udp" is. */
		{ "tcp:proxy:7",	0, ADDR_HOST, "proxy",		7 },
		{ "proxy:tcp:proxy:7",	1, ADDR_HOST, "proxy",		7 },
		{ "proxy:proxy:7",	1, ADDR_HOST, "proxy",		7 },
		{ "*:7",		0, ADDR_ANY,  "",		7 },
	};
	struct addr_spec spec;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (addr_parse(cases[i].text, &spec, why, sizeof(why)) != 0)
			fail_msg("\"%s\": refused: %s", cases[i].text, why);
		assert_int_equal(spec.proxy, cases[i].proxy);
		assert_int_equal(spec.proto, ADDR_TCP);
		assert_int_equal(spec.kind, cases[i].kind);
		assert_int_equal(spec.port, cases[i].port);
		assert_string_equal(spec.kind == ADDR_UNIX ? spec.path :
		    spec.host, cases[i].host);
	}
}

/* What the spec prints as parses back to the same spec. */
static void
test_spec_format(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "localhost:7007",	"localhost:7007" },
		{ "tcp:localhost:7007",	"localhost:7007" },
		{ "[::1]:7",		"[::1]:7" },
		{ "7",			"*:7" },
		{ "*:0",		"*:0" },
		{ "udp:127.0.0.1:9",	"udp:127.0.0.1:9" },
		{ "udp:[::1]:9",	"udp:[::1]:9" },
		{ "udp:9",		"udp:*:9" },
		{ "unix:/run/echod.sock", "unix:/run/echod.sock" },
		{ "unix:@echod",	"unix:@echod" },
		{ "proxy:7",		"proxy:*:7" },
		{ "proxy:[::1]:7",	"proxy:[::1]:7" },
		{ "proxy:unix:/x",	"proxy:unix:/x" },
		{ "proxy:tcp:udp:7",	"proxy:tcp:udp:7" },
		{ "tcp:proxy:7",	"tcp:proxy:7" },
		{ "proxy:tcp:proxy:7",	"proxy:tcp:proxy:7" },
	};
	struct addr_spec spec, again;
	char buf[ADDR_TEXT_MAX + ADDR_HOST_MAX], why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_parse(cases[i].text, &spec, why,
		    sizeof(why)), 0);
		assert_string_equal(addr_spec_format(&spec, buf, sizeof(buf)),
		    cases[i].want);
		assert_int_equal(addr_parse(buf, &again, why, sizeof(why)), 0);
		assert_memory_equal(&spec, &again, sizeof(spec));
	}
}

static socklen_t
make_in(struct sockaddr_storage *ss, int family, const char *ip,
    uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
		return sizeof(*in);
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return sizeof(*in6);
}

static void
test_format_inet(void **state)
{
	static const struct {
		int		 family;
		const char	*ip;
		uint16_t	 port;
		const char	*want;
	} cases[] = {
		{ AF_INET,  "127.0.0.1", 7,	"127.0.0.1:7" },
		{ AF_INET,  "0.0.0.0", 65535,	"0.0.0.0:65535" },
		{ AF_INET,  "255.255.255.255", 0, "255.255.255.255:0" },
		{ AF_INET6, "::1", 7,		"[::1]:7" },
		{ AF_INET6, "::", 0,		"[::]:0" },
		{ AF_INET6, "2001:db8:0:0:0:0:0:7", 7007, "[2001:db8::7]:7007" },
		/* A v4 client on a dual-stack socket is shown as v4. */
		{ AF_INET6, "::ffff:127.0.0.1", 7, "127.0.0.1:7" },
		{ AF_INET6, "fe80:1:2:3:4:5:6:7", 65535,
		  "[fe80:1:2:3:4:5:6:7]:65535" },
	};
	struct sockaddr_storage ss;
	char buf[ADDR_TEXT_MAX];
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = make_in(&ss, cases[i].family, cases[i].ip, cases[i].port);
		assert_string_equal(addr_format((struct sockaddr *)&ss, len,
		    buf, sizeof(buf)), cases[i].want);
	}
	/* The longest IPv6 form fits in a peer name buffer, or is cut. */
	len = make_in(&ss, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:"
	    "255.255.255.255", 65535);
	addr_format((struct sockaddr *)&ss, len, buf, 12);
	assert_string_equal(buf, "[ffff:ffff:");
}

static void
test_format_unix(void **state)
{
	struct sockaddr_un sun;
	struct addr_spec spec;
	char buf[ADDR_TEXT_MAX], why[128];
	size_t off = offsetof(struct sockaddr_un, sun_path);
	socklen_t len;

	(void)state;
	/* Pathname, with and without the NUL counted. */
	assert_int_equal(addr_parse("unix:/run/echod.sock", &spec, why,
	    sizeof(why)), 0);
	len = addr_unix_sockaddr(&spec, &sun);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/echod.sock");
	assert_string_equal(addr_format((struct sockaddr *)&sun, len, buf,
	    sizeof(buf)), "unix:/run/echod.sock");
	len = (socklen_t)(off + strlen("/run/echod.sock"));
	assert_string_equal(addr_format((struct sockaddr *)&sun, len, buf,
	    sizeof(buf)), "unix:/run/echod.sock");

	/* Abstract: a leading NUL, and the length counts the name exactly. */
	assert_int_equal(addr_parse("unix:@echod", &spec, why, sizeof(why)), 0);
	len = addr_unix_sockaddr(&spec, &sun);
	assert_int_equal(len, off + strlen("@echod"));
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "echod", 5);
	assert_string_equal(addr_format((struct sockaddr *)&sun, len, buf,
	    sizeof(buf)), "unix:@echod");

	/* An unbound client socket has no name at all. */
	assert_string_equal(addr_format((struct sockaddr *)&sun,
	    sizeof(sa_family_t), buf, sizeof(buf)), "unix:(unnamed)");

	/* A path that fills sun_path has no NUL: the length bounds it. */
	memset(sun.sun_path, 'p', sizeof(sun.sun_path));
	addr_format((struct sockaddr *)&sun, sizeof(sun), buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("unix:") + sizeof(sun.sun_path));

	sun.sun_family = 5;	/* AF_APPLETALK: no format of its own */
	assert_string_equal(addr_format((struct sockaddr *)&sun, sizeof(sun),
	    buf, sizeof(buf)), "(family 5)");
}

/* Resolves text and checks every result against one address. */
static void
check_resolve(const char *text, int passive, int socktype, int family,
    const char *ip, uint16_t port)
{
	struct addrinfo *res, *ai;
	struct addr_spec spec;
	struct sockaddr_storage want;
	char why[128], got[ADDR_TEXT_MAX], exp[ADDR_TEXT_MAX];
	socklen_t wlen;

	assert_int_equal(addr_parse(text, &spec, why, sizeof(why)), 0);
	if (addr_resolve(&spec, passive, &res, why, sizeof(why)) != 0)
		fail_msg("\"%s\": %s", text, why);
	assert_non_null(res);
	wlen = make_in(&want, family, ip, port);
	addr_format((struct sockaddr *)&want, wlen, exp, sizeof(exp));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		addr_format(ai->ai_addr, ai->ai_addrlen, got, sizeof(got));
		if (ai->ai_socktype != socktype || strcmp(got, exp) != 0)
			fail_msg("\"%s\": got %s type %d, want %s type %d",
			    text, got, ai->ai_socktype, exp, socktype);
	}
	freeaddrinfo(res);
}

static void
test_resolve_literals(void **state)
{
	(void)state;
	check_resolve("127.0.0.1:7", 0, SOCK_STREAM, AF_INET, "127.0.0.1", 7);
	check_resolve("127.0.0.1:7", 1, SOCK_STREAM, AF_INET, "127.0.0.1", 7);
	check_resolve("[::1]:7007", 1, SOCK_STREAM, AF_INET6, "::1", 7007);
	check_resolve("udp:127.0.0.1:9", 1, SOCK_DGRAM, AF_INET,
	    "127.0.0.1", 9);
	check_resolve("udp:[::1]:9", 0, SOCK_DGRAM, AF_INET6, "::1", 9);
	/* "*" is one dual-stack socket when listening. */
	check_resolve("*:7", 1, SOCK_STREAM, AF_INET6, "::", 7);
	check_resolve("7", 1, SOCK_STREAM, AF_INET6, "::", 7);
	check_resolve("udp:*:0", 1, SOCK_DGRAM, AF_INET6, "::", 0);
}

/* -H and -p: IPv6 with or without brackets, names and IPv4 as they are. */
static void
test_from_host(void **state)
{
	struct addr_spec spec;
	char why[128], buf[ADDR_TEXT_MAX];

	(void)state;
	assert_int_equal(addr_from_host("::1", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), 0);
	assert_int_equal(spec.kind, ADDR_IPV6);
	assert_string_equal(addr_spec_format(&spec, buf, sizeof(buf)),
	    "[::1]:7");
	assert_int_equal(addr_from_host("[2001:db8::7]", 9, ADDR_UDP, &spec,
	    why, sizeof(why)), 0);
	assert_string_equal(addr_spec_format(&spec, buf, sizeof(buf)),
	    "udp:[2001:db8::7]:9");
	assert_int_equal(addr_from_host("127.0.0.1", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), 0);
	assert_int_equal(spec.kind, ADDR_HOST);
	/* A host named "unix" stays a host, not a socket path. */
	assert_int_equal(addr_from_host("unix", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), 0);
	assert_int_equal(spec.kind, ADDR_HOST);
	assert_int_equal(addr_from_host("::zz", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "bad IPv6 address");
	assert_int_equal(addr_from_host("", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), -1);
	assert_int_equal(addr_from_host("[]", 7, ADDR_TCP, &spec, why,
	    sizeof(why)), -1);
}

/* Connecting, "*" (and a bare port) is this host over both loopbacks. */
static void
test_resolve_any_connect(void **state)
{
	struct addrinfo *res, *ai;
	struct addr_spec spec;
	char why[128], got[ADDR_TEXT_MAX];
	int v4 = 0, v6 = 0;

	(void)state;
	assert_int_equal(addr_parse("7", &spec, why, sizeof(why)), 0);
	if (addr_resolve(&spec, 0, &res, why, sizeof(why)) != 0)
		fail_msg("7: %s", why);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		addr_format(ai->ai_addr, ai->ai_addrlen, got, sizeof(got));
		if (strcmp(got, "127.0.0.1:7") == 0)
			v4++;
		else if (strcmp(got, "[::1]:7") == 0)
			v6++;
		else
			fail_msg("7 resolved to %s", got);
	}
	freeaddrinfo(res);
	assert_int_equal(v4, 1);
	assert_int_equal(v6, 1);
}

/* localhost yields loopback addresses only, each with the port. */
static void
test_resolve_localhost(void **state)
{
	struct addrinfo *res, *ai;
	struct addr_spec spec;
	char why[128], got[ADDR_TEXT_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(addr_parse("localhost:7007", &spec, why, sizeof(why)),
	    0);
	if (addr_resolve(&spec, 1, &res, why, sizeof(why)) != 0)
		fail_msg("localhost: %s", why);
	for (ai = res; ai != NULL; ai = ai->ai_next, n++) {
		addr_format(ai->ai_addr, ai->ai_addrlen, got, sizeof(got));
		if (strcmp(got, "127.0.0.1:7007") != 0 &&
		    strcmp(got, "[::1]:7007") != 0)
			fail_msg("localhost resolved to %s", got);
		assert_int_equal(ai->ai_socktype, SOCK_STREAM);
	}
	assert_true(n >= 1);
	freeaddrinfo(res);
}

static void
test_resolve_unix(void **state)
{
	struct addrinfo *res = (struct addrinfo *)&res;
	struct addr_spec spec;
	char why[128];

	(void)state;
	assert_int_equal(addr_parse("unix:/run/echod.sock", &spec, why,
	    sizeof(why)), 0);
	assert_int_equal(addr_resolve(&spec, 1, &res, why, sizeof(why)), -1);
	assert_null(res);
	assert_non_null(strstr(why, "unix"));
}

/* A socket bound to text:0 (v6only as given for IPv6); its port in *port. */
static int
bound(int family, int type, const char *text, int v6only, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, type, 0);

	assert_true(fd != -1);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET6) {
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    &v6only, sizeof(v6only)), 0);
		assert_int_equal(inet_pton(AF_INET6, text,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else
		assert_int_equal(inet_pton(AF_INET, text,
		    &((struct sockaddr_in *)&ss)->sin_addr), 1);
	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == -1) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int
clashes(int fd, const char *text, uint16_t port, int dual)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
		return addr_clashes(fd, (struct sockaddr *)&ss, sizeof(*in6),
		    dual);
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	return addr_clashes(fd, (struct sockaddr *)&ss, sizeof(*in), dual);
}

/* What echod itself already holds, for "-l X -l X" and wildcards. */
static void
test_clashes_inet(void **state)
{
	uint16_t p4, pany, pdual, p6;
	int fd4, fdany, fddual, fd6;

	(void)state;
	fd4 = bound(AF_INET, SOCK_STREAM, "127.0.0.1", 0, &p4);
	fdany = bound(AF_INET, SOCK_DGRAM, "0.0.0.0", 0, &pany);
	assert_true(fd4 != -1 && fdany != -1);
	assert_true(clashes(fd4, "127.0.0.1", p4, 0));
	assert_false(clashes(fd4, "127.0.0.2", p4, 0));
	assert_false(clashes(fd4, "127.0.0.1", (uint16_t)(p4 + 1), 0));
	assert_true(clashes(fd4, "0.0.0.0", p4, 0));
	assert_true(clashes(fdany, "127.0.0.9", pany, 0));
	/* Port 0 is the kernel's pick each time: never the same socket. */
	assert_false(clashes(fd4, "127.0.0.1", 0, 0));
	/* A dual-stack wildcard takes IPv4's wildcard too, a v6-only not. */
	assert_true(clashes(fd4, "::", p4, 1));
	assert_false(clashes(fd4, "::", p4, 0));
	fddual = bound(AF_INET6, SOCK_STREAM, "::", 0, &pdual);
	fd6 = bound(AF_INET6, SOCK_STREAM, "::", 1, &p6);
	if (fddual != -1 && fd6 != -1) {
		assert_true(clashes(fddual, "127.0.0.1", pdual, 0));
		assert_true(clashes(fddual, "::1", pdual, 0));
		assert_false(clashes(fd6, "127.0.0.1", p6, 0));
		assert_true(clashes(fd6, "::1", p6, 0));
	}
	if (fddual != -1)
		close(fddual);
	if (fd6 != -1)
		close(fd6);
	close(fd4);
	close(fdany);
}

static void
test_clashes_unix(void **state)
{
	struct addr_spec spec;
	struct sockaddr_un sun;
	char why[64], path[64];
	socklen_t len;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "unix:@echod-test-clash-%ld",
	    (long)getpid());
	assert_int_equal(addr_parse(path, &spec, why, sizeof(why)), 0);
	len = addr_unix_sockaddr(&spec, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
	assert_true(addr_clashes(fd, (struct sockaddr *)&sun, len, 0));
	/* One byte longer is another abstract name. */
	sun.sun_path[len - offsetof(struct sockaddr_un, sun_path)] = 'x';
	assert_false(addr_clashes(fd, (struct sockaddr *)&sun, len + 1, 0));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_proxy),
		cmocka_unit_test(test_spec_format),
		cmocka_unit_test(test_format_inet),
		cmocka_unit_test(test_format_unix),
		cmocka_unit_test(test_resolve_literals),
		cmocka_unit_test(test_resolve_any_connect),
		cmocka_unit_test(test_from_host),
		cmocka_unit_test(test_resolve_localhost),
		cmocka_unit_test(test_resolve_unix),
		cmocka_unit_test(test_clashes_inet),
		cmocka_unit_test(test_clashes_unix),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}

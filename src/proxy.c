/* proxy.c - PROXY protocol v1 and v2 headers: a pure, incremental parser. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy.h"

static const uint8_t proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char proxy_v1_sig[] = "PROXY ";

#define PROXY_V2_HEAD	16
#define PROXY_V2_LOCAL	0x0
#define PROXY_V2_PROXY	0x1

static const char *const proxy_error_names[PROXY_ERR_COUNT] = {
	"missing", "malformed", "oversized", "timeout", "truncated",
};

const char *
proxy_error_name(enum proxy_error err)
{
	return err < PROXY_ERR_COUNT ? proxy_error_names[err] : "unknown";
}

static enum proxy_result
proxy_bad(enum proxy_error *err, const char **why, enum proxy_error e,
    const char *reason)
{
	*err = e;
	*why = reason;
	return PROXY_BAD;
}

/* A decimal in [0, max] without leading zeros, as v1 requires. */
static int
proxy_v1_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Exactly four decimal parts, 0-255, no leading zeros. */
static int
proxy_v1_ipv4(char *s, struct in_addr *in)
{
	uint8_t *b = (uint8_t *)&in->s_addr;
	unsigned long v;
	char *dot;
	int i;

	for (i = 0; i < 4; i++) {
		dot = strchr(s, '.');
		if ((dot == NULL) != (i == 3))
			return -1;
		if (dot != NULL)
			*dot = '\0';
		if (proxy_v1_number(s, 255, &v) == -1)
			return -1;
		b[i] = (uint8_t)v;
		if (dot != NULL)
			s = dot + 1;
	}
	return 0;
}

static int
proxy_v1_addr(int family, char *addr, char *port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	unsigned long p;

	if (proxy_v1_number(port, 65535, &p) == -1)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
		return proxy_v1_ipv4(addr, &sin->sin_addr);
	}
	/* inet_pton also takes a dotted tail (::ffff:1.2.3.4): still 128 bits. */
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)p);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* Splits at single spaces; an empty field (two spaces) is an error. */
static int
proxy_v1_split(char *line, char **f, int max)
{
	int n = 0;

	for (;;) {
		if (n == max || *line == '\0' || *line == ' ')
			return -1;
		f[n++] = line;
		line = strchr(line, ' ');
		if (line == NULL)
			return n;
		*line++ = '\0';
	}
}

/* The line without its CRLF, len bytes of printable ASCII. */
static enum proxy_result
proxy_v1_line(char *line, struct proxy_header *h, enum proxy_error *err,
    const char **why)
{
	char *f[6];
	int family;

	if (strcmp(line, "PROXY UNKNOWN") == 0 ||
	    strncmp(line, "PROXY UNKNOWN ", 14) == 0) {
		h->local = 1;	/* the rest is to be ignored */
		return PROXY_DONE;
	}
	if (proxy_v1_split(line, f, 6) != 6)
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v1: not six fields separated by single spaces");
	if (strcmp(f[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		family = AF_INET6;
	else
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v1: protocol is not TCP4, TCP6 or UNKNOWN");
	if (proxy_v1_addr(family, f[2], f[4], &h->src, &h->srclen) == -1 ||
	    proxy_v1_addr(family, f[3], f[5], &h->dst, &h->dstlen) == -1)
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v1: bad address or port");
	return PROXY_DONE;
}

static enum proxy_result
proxy_v1(const uint8_t *buf, size_t n, struct proxy_header *h,
    enum proxy_error *err, const char **why)
{
	char line[PROXY_V1_MAX + 1];
	size_t i, lim = n < PROXY_V1_MAX ? n : PROXY_V1_MAX;

	if (memcmp(buf, proxy_v1_sig, n < 6 ? n : 6) != 0)
		return proxy_bad(err, why, n < 6 || memcmp(buf, "PROXY", 5) != 0 ?
		    PROXY_ERR_MISSING : PROXY_ERR_MALFORMED,
		    "no PROXY protocol header");
	for (i = 0; i < lim; i++) {
		if (buf[i] == '\r' && i + 1 < n && buf[i + 1] != '\n')
			return proxy_bad(err, why, PROXY_ERR_MALFORMED,
			    "PROXY v1: CR without LF");
		if (buf[i] == '\n')
			break;
		if (buf[i] != '\r' && (buf[i] < 0x20 || buf[i] > 0x7e))
			return proxy_bad(err, why, PROXY_ERR_MALFORMED,
			    "PROXY v1: a byte that is not printable ASCII");
	}
	if (i == lim)
		return n >= PROXY_V1_MAX ? proxy_bad(err, why,
		    PROXY_ERR_OVERSIZED, "PROXY v1: no CRLF in 107 bytes") :
		    PROXY_MORE;
	if (i == 0 || buf[i - 1] != '\r')
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v1: LF without CR");
	memcpy(line, buf, i - 1);
	line[i - 1] = '\0';
	h->version = 1;
	h->len = i + 1;
	return proxy_v1_line(line, h, err, why);
}

static void
proxy_v2_inet(const uint8_t *a, struct proxy_header *h)
{
	struct sockaddr_in *src = (struct sockaddr_in *)&h->src;
	struct sockaddr_in *dst = (struct sockaddr_in *)&h->dst;

	src->sin_family = dst->sin_family = AF_INET;
	memcpy(&src->sin_addr, a, 4);
	memcpy(&dst->sin_addr, a + 4, 4);
	memcpy(&src->sin_port, a + 8, 2);
	memcpy(&dst->sin_port, a + 10, 2);
	h->srclen = h->dstlen = sizeof(*src);
}

static void
proxy_v2_inet6(const uint8_t *a, struct proxy_header *h)
{
	struct sockaddr_in6 *src = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&h->dst;

	src->sin6_family = dst->sin6_family = AF_INET6;
	memcpy(&src->sin6_addr, a, 16);
	memcpy(&dst->sin6_addr, a + 16, 16);
	memcpy(&src->sin6_port, a + 32, 2);
	memcpy(&dst->sin6_port, a + 34, 2);
	h->srclen = h->dstlen = sizeof(*src);
}

/* The 13th and 14th bytes, checked as soon as they arrive. */
static enum proxy_result
proxy_v2_check(const uint8_t *buf, size_t n, enum proxy_error *err,
    const char **why)
{
	if (n > 12 && ((buf[12] >> 4) != 2 || (buf[12] & 0xf) > PROXY_V2_PROXY))
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v2: unknown version or command");
	if (n > 13 && ((buf[13] >> 4) > 3 || (buf[13] & 0xf) > 2))
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v2: unknown address family or transport");
	return PROXY_MORE;
}

static enum proxy_result
proxy_v2(const uint8_t *buf, size_t n, struct proxy_header *h,
    enum proxy_error *err, const char **why)
{
	size_t len, alen;
	int family, transport;

	if (memcmp(buf, proxy_v2_sig, n < 12 ? n : 12) != 0)
		return proxy_bad(err, why, PROXY_ERR_MISSING,
		    "no PROXY protocol header");
	if (proxy_v2_check(buf, n, err, why) == PROXY_BAD)
		return PROXY_BAD;
	if (n < PROXY_V2_HEAD)
		return PROXY_MORE;
	alen = (size_t)buf[14] << 8 | buf[15];
	len = PROXY_V2_HEAD + alen;
	if (len > PROXY_V2_MAX)
		return proxy_bad(err, why, PROXY_ERR_OVERSIZED,
		    "PROXY v2: header longer than 4096 bytes");
	if (n < len)
		return PROXY_MORE;
	h->version = 2;
	h->len = len;
	family = buf[13] >> 4;
	transport = buf[13] & 0xf;
	/* Health checks (LOCAL), and what echod cannot name, keep the real peer. */
	if ((buf[12] & 0xf) == PROXY_V2_LOCAL || transport == 0 ||
	    family == 0 || family == 3) {
		h->local = 1;
		return PROXY_DONE;
	}
	if (alen < (family == 1 ? 12u : 36u))
		return proxy_bad(err, why, PROXY_ERR_MALFORMED,
		    "PROXY v2: address block too short");
	/* TLVs, past the addresses, are skipped: h->len covers them. */
	if (family == 1)
		proxy_v2_inet(buf + PROXY_V2_HEAD, h);
	else
		proxy_v2_inet6(buf + PROXY_V2_HEAD, h);
	return PROXY_DONE;
}

enum proxy_result
proxy_parse(const uint8_t *buf, size_t n, struct proxy_header *h,
    enum proxy_error *err, const char **why)
{
	memset(h, 0, sizeof(*h));
	if (n == 0)
		return PROXY_MORE;
	if (buf[0] == proxy_v2_sig[0])
		return proxy_v2(buf, n, h, err, why);
	if (buf[0] == (uint8_t)proxy_v1_sig[0])
		return proxy_v1(buf, n, h, err, why);
	return proxy_bad(err, why, PROXY_ERR_MISSING,
	    "no PROXY protocol header");
}

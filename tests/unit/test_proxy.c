/* test_proxy.c - PROXY protocol v1 and v2 headers, case by case. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "proxy.h"

#define V2SIG "\r\n\r\n\0\r\nQUIT\n"

static const char *
fmt(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t n)
{
	return addr_format((const struct sockaddr *)ss, len, buf, n);
}

/* Every strict prefix of a good header asks for more. */
static void
expect_prefixes_more(const uint8_t *buf, size_t len)
{
	struct proxy_header h;
	enum proxy_error err;
	const char *why;
	size_t i;

	for (i = 0; i < len; i++)
		if (proxy_parse(buf, i, &h, &err, &why) != PROXY_MORE)
			fail_msg("prefix of %zu bytes: not PROXY_MORE", i);
}

static void
expect_done(const void *buf, size_t n, size_t hlen, const char *src,
    const char *dst)
{
	struct proxy_header h;
	enum proxy_error err;
	const char *why = "";
	char text[ADDR_TEXT_MAX];

	if (proxy_parse(buf, n, &h, &err, &why) != PROXY_DONE)
		fail_msg("refused: %s", why);
	assert_int_equal(h.len, hlen);
	expect_prefixes_more(buf, hlen);
	if (src == NULL) {
		assert_int_equal(h.local, 1);
		return;
	}
	assert_int_equal(h.local, 0);
	assert_string_equal(fmt(&h.src, h.srclen, text, sizeof(text)), src);
	assert_string_equal(fmt(&h.dst, h.dstlen, text, sizeof(text)), dst);
}

static void
expect_bad(const void *buf, size_t n, enum proxy_error want)
{
	struct proxy_header h;
	enum proxy_error err = PROXY_ERR_COUNT;
	const char *why = NULL;

	if (proxy_parse(buf, n, &h, &err, &why) != PROXY_BAD)
		fail_msg("accepted %zu bytes: %.*s", n, (int)n,
		    (const char *)buf);
	if (err != want)
		fail_msg("%.*s: reason %s, want %s", (int)n, (const char *)buf,
		    proxy_error_name(err), proxy_error_name(want));
	assert_non_null(why);
	assert_null(strchr(why, '\n'));
}

static void
test_v1_good(void **state)
{
	static const char tcp4[] = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 7\r\n"
	    "hello";
	static const char tcp6[] =
	    "PROXY TCP6 2001:db8::1 2001:db8::ffff:7 65535 0\r\n";
	static const char maxlen[] = "PROXY TCP4 255.255.255.255 "
	    "255.255.255.255 65535 65535\r\n";
	static const char zeros[] = "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n";

	(void)state;
	expect_done(tcp4, strlen(tcp4), strlen(tcp4) - 5, "192.0.2.1:56324",
	    "198.51.100.7:7");
	expect_done(tcp6, strlen(tcp6), strlen(tcp6), "[2001:db8::1]:65535",
	    "[2001:db8::ffff:7]:0");
	expect_done(maxlen, strlen(maxlen), 56, "255.255.255.255:65535",
	    "255.255.255.255:65535");
	expect_done(zeros, strlen(zeros), strlen(zeros), "0.0.0.0:0",
	    "0.0.0.0:0");
}

static void
test_v1_unknown(void **state)
{
	char longest[PROXY_V1_MAX + 1];

	(void)state;
	expect_done("PROXY UNKNOWN\r\nabc", 18, 15, NULL, NULL);
	expect_done("PROXY UNKNOWN anything at all\r\n", 31, 31, NULL, NULL);
	/* The spec's worst case, 107 bytes with CRLF, is accepted. */
	memset(longest, 'f', sizeof(longest));
	memcpy(longest, "PROXY UNKNOWN ", 14);
	memcpy(longest + PROXY_V1_MAX - 2, "\r\n", 2);
	expect_done(longest, PROXY_V1_MAX, PROXY_V1_MAX, NULL, NULL);
}

static void
test_v1_bad(void **state)
{
	static const struct {
		const char	*text;
		enum proxy_error err;
	} cases[] = {
		{ "hello, world\r\n",			PROXY_ERR_MISSING },
		{ "GET /metrics HTTP/1.1\r\n",		PROXY_ERR_MISSING },
		{ "PROXX",				PROXY_ERR_MISSING },
		{ "PROXYTCP4 1.2.3.4 1.2.3.4 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n",	PROXY_ERR_MISSING },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2..4 5.6.7.8 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 ::1 ::1 1 2\r\n",		PROXY_ERR_MALFORMED },
		{ "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP6 ::1::2 ::1 1 2\r\n",	PROXY_ERR_MALFORMED },
		{ "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", PROXY_ERR_MALFORMED },
		{ "PROXY \r\n",				PROXY_ERR_MALFORMED },
	};
	char big[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_bad(cases[i].text, strlen(cases[i].text), cases[i].err);
	/* A NUL inside a v1 line is malformed, not the end of a string. */
	expect_bad("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 34,
	    PROXY_ERR_MALFORMED);
	/* No CRLF in the first 107 bytes: oversized, however it goes on. */
	memset(big, 'f', sizeof(big));
	memcpy(big, "PROXY UNKNOWN ", 14);
	expect_bad(big, PROXY_V1_MAX, PROXY_ERR_OVERSIZED);
	memcpy(big + PROXY_V1_MAX - 1, "\r\n", 2);
	expect_bad(big, PROXY_V1_MAX + 1, PROXY_ERR_OVERSIZED);
}

/* A v2 header: signature, ver_cmd, fam, then addr (alen bytes). */
static size_t
v2(uint8_t *buf, uint8_t ver_cmd, uint8_t fam, const void *addr, size_t alen)
{
	memcpy(buf, V2SIG, 12);
	buf[12] = ver_cmd;
	buf[13] = fam;
	buf[14] = (uint8_t)(alen >> 8);
	buf[15] = (uint8_t)alen;
	if (alen > 0)
		memcpy(buf + 16, addr, alen);
	return 16 + alen;
}

static const uint8_t v2_inet[12] = { 192, 0, 2, 1, 198, 51, 100, 7,
    0xdc, 0x04, 0x00, 0x07 };

static void
test_v2_good(void **state)
{
	uint8_t buf[PROXY_V2_MAX + 64], addr[300];
	size_t n;

	(void)state;
	n = v2(buf, 0x21, 0x11, v2_inet, sizeof(v2_inet));
	memcpy(buf + n, "data", 4);
	expect_done(buf, n + 4, 28, "192.0.2.1:56324", "198.51.100.7:7");

	memset(addr, 0, sizeof(addr));
	addr[15] = 1;			/* ::1 */
	addr[16] = 0x20;		/* 2001:db8::7 */
	addr[17] = 0x01;
	addr[18] = 0x0d;
	addr[19] = 0xb8;
	addr[31] = 7;
	addr[32] = 0x1f;		/* port 8000 */
	addr[33] = 0x40;
	addr[35] = 7;
	n = v2(buf, 0x21, 0x21, addr, 36);
	expect_done(buf, n, 52, "[::1]:8000", "[2001:db8::7]:7");

	/* TLVs after the addresses are skipped with them. */
	memcpy(addr, v2_inet, 12);
	memcpy(addr + 12, "\x04\x00\x03xyz\x05\x00\x01Q", 10);
	n = v2(buf, 0x21, 0x11, addr, 22);
	expect_done(buf, n, 38, "192.0.2.1:56324", "198.51.100.7:7");

	/* The largest header accepted: all TLVs. */
	memset(addr, 0, sizeof(addr));
	memset(buf + 16, 0, PROXY_V2_MAX - 16);
	n = v2(buf, 0x21, 0x11, v2_inet, 12);
	buf[14] = (PROXY_V2_MAX - 16) >> 8;
	buf[15] = (PROXY_V2_MAX - 16) & 0xff;
	expect_done(buf, PROXY_V2_MAX, PROXY_V2_MAX, "192.0.2.1:56324",
	    "198.51.100.7:7");
	(void)n;
}

static void
test_v2_local(void **state)
{
	uint8_t buf[600], addr[216];

	(void)state;
	memset(addr, 'u', sizeof(addr));
	/* LOCAL: health checks; the family is ignored, the length is not. */
	expect_done(buf, v2(buf, 0x20, 0x00, NULL, 0), 16, NULL, NULL);
	expect_done(buf, v2(buf, 0x20, 0x11, v2_inet, 12), 28, NULL, NULL);
	/* PROXY over AF_UNSPEC, AF_UNIX or an unspecified transport. */
	expect_done(buf, v2(buf, 0x21, 0x00, NULL, 0), 16, NULL, NULL);
	expect_done(buf, v2(buf, 0x21, 0x31, addr, 216), 232, NULL, NULL);
	expect_done(buf, v2(buf, 0x21, 0x10, v2_inet, 12), 28, NULL, NULL);
}

static void
test_v2_bad(void **state)
{
	uint8_t buf[PROXY_V2_MAX + 64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	v2(buf, 0x11, 0x11, v2_inet, 12);
	expect_bad(buf, 13, PROXY_ERR_MALFORMED);	/* version 1 */
	v2(buf, 0x22, 0x11, v2_inet, 12);
	expect_bad(buf, 13, PROXY_ERR_MALFORMED);	/* command 2 */
	v2(buf, 0x21, 0x41, v2_inet, 12);
	expect_bad(buf, 14, PROXY_ERR_MALFORMED);	/* family 4 */
	v2(buf, 0x21, 0x13, v2_inet, 12);
	expect_bad(buf, 14, PROXY_ERR_MALFORMED);	/* transport 3 */
	v2(buf, 0x21, 0x11, v2_inet, 8);
	expect_bad(buf, 24, PROXY_ERR_MALFORMED);	/* short IPv4 block */
	v2(buf, 0x21, 0x21, v2_inet, 12);
	expect_bad(buf, 28, PROXY_ERR_MALFORMED);	/* short IPv6 block */
	/* Refused as soon as the length is read, not when the bytes come. */
	v2(buf, 0x21, 0x11, v2_inet, 12);
	buf[14] = (PROXY_V2_MAX - 15) >> 8;
	buf[15] = (PROXY_V2_MAX - 15) & 0xff;
	expect_bad(buf, 16, PROXY_ERR_OVERSIZED);
	buf[14] = buf[15] = 0xff;
	expect_bad(buf, 16, PROXY_ERR_OVERSIZED);
	/* A broken signature, at any byte. */
	v2(buf, 0x21, 0x11, v2_inet, 12);
	buf[11] = 'X';
	expect_bad(buf, 12, PROXY_ERR_MISSING);
	expect_bad("\r\nhello", 7, PROXY_ERR_MISSING);
}

static void
test_error_names(void **state)
{
	(void)state;
	assert_string_equal(proxy_error_name(PROXY_ERR_MISSING), "missing");
	assert_string_equal(proxy_error_name(PROXY_ERR_MALFORMED), "malformed");
	assert_string_equal(proxy_error_name(PROXY_ERR_OVERSIZED), "oversized");
	assert_string_equal(proxy_error_name(PROXY_ERR_TIMEOUT), "timeout");
	assert_string_equal(proxy_error_name(PROXY_ERR_TRUNCATED), "truncated");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_good),
		cmocka_unit_test(test_v1_unknown),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2_good),
		cmocka_unit_test(test_v2_local),
		cmocka_unit_test(test_v2_bad),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_conffile.c - echod.conf's parser, case by case: the syntax, every
 * error with its line, the settings written back, the sample and loading.
 * A table of its own holds one option of each kind, so that these cases do
 * not follow echod's options as they change.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conffile.h"

struct tconf {
	struct addr_list list;
	uint64_t	 num;
	uint64_t	 size;
	uint64_t	 ms;
	int		 flag;
	int		 count;
	int		 level;
	int		 color;
	const char	*text;
	int		 cli;
};

static const char *const colors[] = { "red", "green", NULL };

#define T(field)	offsetof(struct tconf, field)
static const struct opt topts[] = {
	{ "list", 'l', "ADDR", OPT_ADDRS, T(list), 0, 0, NULL, NULL,
	  "an address, repeatable" },
	{ "num", 'n', "N", OPT_UINT, T(num), 1, 100, "7", NULL, "a number" },
	{ "size", 0, "SIZE", OPT_SIZE, T(size), 1024, 1ULL << 30, "64K", NULL,
	  "a size" },
	{ "time", 0, "SECONDS", OPT_SECONDS, T(ms), 0, 3600, "10", NULL,
	  "a duration" },
	{ "flag", 0, NULL, OPT_FLAG, T(flag), 0, 0, NULL, NULL, "a flag" },
	{ "count", 'v', NULL, OPT_COUNT, T(count), 0, 0, NULL, NULL,
	  "a count" },
	{ "level", 0, "LEVEL", OPT_LEVEL, T(level), 0, 0, "notice", NULL,
	  "a level" },
	{ "color", 0, "COLOR", OPT_CHOICE, T(color), 0, 0, "red", colors,
	  "a choice" },
	{ "text", 0, "TEXT", OPT_STRING, T(text), 0, 0, NULL, NULL,
	  "a string" },
	{ "cli-only", 0, NULL, OPT_FLAG, T(cli), 0, 0, NULL, NULL,
	  "the command line's alone" },
	OPT_HELP_AND_VERSION,
};
#undef T

static const char *const refused[] = { "cli-only", "help", "version", NULL };

/* One parse: its own copy of the text, which the settings point into. */
struct run {
	struct tconf	 conf;
	struct conffile	 cf;
	char		*text;
	char		 why[512];
	int		 rc;
};

static void
setup(struct run *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->cf.path = path;
	r->cf.opts = topts;
	r->cf.nopts = OPT_COUNT_OF(topts);
	r->cf.refused = refused;
	r->cf.conf = &r->conf;
	opt_defaults(topts, OPT_COUNT_OF(topts), &r->conf);
}

static void
parse_len(struct run *r, const char *text, size_t len)
{
	setup(r, "test.conf");
	r->text = malloc(len + 1);
	assert_non_null(r->text);
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->rc = conffile_parse(&r->cf, r->text, len, r->why, sizeof(r->why));
}

static void
parse(struct run *r, const char *text)
{
	parse_len(r, text, strlen(text));
}

static void
done(struct run *r)
{
	addr_list_free(&r->conf.list);
	free(r->text);
	r->text = NULL;
}

static void
expect_ok(struct run *r, const char *text)
{
	parse(r, text);
	if (r->rc != 0)
		fail_msg("%s: %s", text, r->why);
}

/* Comments, blanks, blanks around '=', CRLF, quotes: the values arrive. */
static void
test_syntax(void **state)
{
	static struct run r;
	char addr[ADDR_TEXT_MAX];

	(void)state;
	expect_ok(&r,
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # an indented comment\n"
	    "num = 42\n"
	    "size=1M\r\n"
	    "\ttime\t=\t0.25\t\n"
	    "flag = yes   # a comment after a value\n"
	    "count = 3\n"
	    "level = debug\n"
	    "color = green\r\n"
	    "text = \"a \\\"quoted\\\" # value \\\\ here\"  # and a comment\n"
	    "list = 127.0.0.1:7\n"
	    "list = unix:/run/a#b\n"
	    "list = \"unix:/run/with blanks\"\n"
	    "\r\n"
	    "list=udp:*:9");	/* the last line has no newline */
	assert_int_equal(r.conf.num, 42);
	assert_int_equal(r.conf.size, 1 << 20);
	assert_int_equal(r.conf.ms, 250);
	assert_int_equal(r.conf.flag, 1);
	assert_int_equal(r.conf.count, 3);
	assert_int_equal(r.conf.level, LOG_DEBUG);
	assert_int_equal(r.conf.color, 1);
	assert_string_equal(r.conf.text, "a \"quoted\" # value \\ here");
	assert_int_equal(r.conf.list.n, 4);
	assert_string_equal(addr_spec_format(&r.conf.list.v[0], addr,
	    sizeof(addr)), "127.0.0.1:7");
	/* A '#' inside a word is the word's, not a comment. */
	assert_string_equal(r.conf.list.v[1].path, "/run/a#b");
	assert_string_equal(r.conf.list.v[2].path, "/run/with blanks");
	assert_string_equal(addr_spec_format(&r.conf.list.v[3], addr,
	    sizeof(addr)), "udp:*:9");
	done(&r);

	/* An empty file, and one of comments only, change nothing. */
	expect_ok(&r, "");
	assert_int_equal(r.conf.num, 7);
	done(&r);
	expect_ok(&r, "#num = 1\n# num = 2\n\n");
	assert_int_equal(r.conf.num, 7);
	assert_int_equal(r.conf.flag, 0);
	done(&r);
}

static void
test_flags(void **state)
{
	static const struct {
		const char	*text;
		int		 want;
	} cases[] = {
		{ "flag = yes", 1 }, { "flag = true", 1 },
		{ "flag = no", 0 }, { "flag = false", 0 },
		{ "flag = \"yes\"", 1 },
	};
	static struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_ok(&r, cases[i].text);
		if (r.conf.flag != cases[i].want)
			fail_msg("%s: %d", cases[i].text, r.conf.flag);
		done(&r);
	}
}

/*
 * A file is applied over what conf holds, as over the defaults: a list's
 * first line replaces the list, a count's value replaces the count.
 */
static void
test_replaces(void **state)
{
	static struct run r;
	char why[128];

	(void)state;
	setup(&r, "test.conf");
	assert_int_equal(opt_set(&topts[0], "127.0.0.1:1", 1, &r.conf, why,
	    sizeof(why)), 0);
	assert_int_equal(opt_set(&topts[5], NULL, 0, &r.conf, why,
	    sizeof(why)), 0);
	assert_int_equal(r.conf.count, 1);
	r.text = strdup("list = 127.0.0.2:2\nlist = 127.0.0.3:3\ncount = 0\n");
	assert_non_null(r.text);
	assert_int_equal(conffile_parse(&r.cf, r.text, strlen(r.text), r.why,
	    sizeof(r.why)), 0);
	assert_int_equal(r.conf.list.n, 2);
	assert_string_equal(r.conf.list.v[0].host, "127.0.0.2");
	assert_string_equal(r.conf.list.v[1].host, "127.0.0.3");
	assert_int_equal(r.conf.count, 0);
	done(&r);
}

/* Each refusal names the file and the line, in one line of text. */
static const struct {
	const char	*text;
	const char	*says;
} bad[] = {
	{ "# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n\n"
	  "hihg-watermark = 1\n",
	  "test.conf:12: unknown option \"hihg-watermark\"" },
	{ "Num = 1", "test.conf:1: unknown option \"Num\"" },
	{ "--num = 1", "unknown option \"--num\"" },
	{ "n = 1", "unknown option \"n\"" },
	{ "num\x01 = 1", "unknown option \"num\\x01\"" },
	{ "num 5", "test.conf:1: missing '=' after \"num\"" },
	{ "num", "test.conf:1: missing '=' after \"num\"" },
	{ "\n\nnum: 5", "test.conf:3: missing '=' after \"num:\"" },
	{ "= 5", "test.conf:1: missing the option name before '='" },
	{ "  =", "missing the option name" },
	{ "num =", "test.conf:1: num: missing value" },
	{ "num =   ", "num: missing value" },
	{ "num = # a comment", "num: missing value" },
	{ "flag =", "flag: missing value" },
	{ "num = \"\"", "num = \"\": not a number" },
	{ "list = \"\"", "list = \"\": empty address" },
	{ "num = 5 6", "test.conf:1: num: \"6\" after the value" },
	{ "text = two words", "text: \"words\" after the value" },
	{ "text = \"a\" b", "text: \"b\" after the value" },
	{ "text = \"a", "test.conf:1: unterminated quote" },
	{ "text = \"a\\", "unterminated quote" },
	{ "text = \"a\\n\"", "unknown escape \\n in quotes" },
	{ "num = 101", "test.conf:1: num = \"101\": too large" },
	{ "num = 0", "num = \"0\": too small" },
	{ "num = -1", "not a number" },
	{ "num = 5\r6", "num = \"5\\x0d6\": not a number" },
	{ "size = 1X", "size = \"1X\": bad suffix" },
	{ "time = 5m", "not a number of seconds" },
	{ "level = loud", "level = \"loud\": not a level" },
	{ "color = blue", "color = \"blue\": not one of the choices" },
	{ "flag = 1", "flag = \"1\": not yes, no, true or false" },
	{ "flag = Yes", "not yes, no, true or false" },
	{ "count = many", "count = \"many\": not a number" },
	{ "list = 127.0.0.1", "list = \"127.0.0.1\": port must be a number" },
	{ "num = 1\nsize = 2K\nnum = 2\n",
	  "test.conf:3: \"num\" set again (first on line 1)" },
	{ "flag = yes\nflag = no", "test.conf:2: \"flag\" set again" },
	{ "cli-only = yes", "test.conf:1: \"cli-only\" is for the command "
	  "line only (--cli-only)" },
	{ "help = yes", "\"help\" is for the command line only" },
	{ "version = 1", "\"version\" is for the command line only" },
	{ "num = 1\n\nsize = 5\0\n", "test.conf:3: a NUL byte" },
	{ "\0", "test.conf:1: a NUL byte" },
	/* The first error stops the parse: line 2 is never reached. */
	{ "num = 1000\nnum = 2", "test.conf:1: num = \"1000\": too large" },
};

/* The bad[] texts hold NUL bytes: their length is up to the last quote. */
#define BAD_TEXT(i)	bad[i].text, bad_len(bad[i].text, i)

static size_t
bad_len(const char *text, size_t i)
{
	/* A NUL case ends in "\n" after it or is the NUL alone. */
	if (strstr(bad[i].says, "NUL") == NULL)
		return strlen(text);
	return strlen(text) + 1 + strlen(text + strlen(text) + 1);
}

static void
test_refusals(void **state)
{
	static struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_len(&r, BAD_TEXT(i));
		if (r.rc != -1)
			fail_msg("case %zu (%s): accepted", i, bad[i].says);
		if (strchr(r.why, '\n') != NULL)
			fail_msg("case %zu: not one line: \"%s\"", i, r.why);
		if (strstr(r.why, bad[i].says) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i,
			    r.why, bad[i].says);
		done(&r);
	}
}

/* A long line is read whole; a message about one stays short. */
/* A long line is read whole; a message about one stays short. */
static void
test_long_lines(void **state)
{
	static struct run r;
	size_t n = 100000, len = n + 32;
	char *text = malloc(len), *word = malloc(n + 1);

	(void)state;
	assert_non_null(text);
	assert_non_null(word);
	memset(word, 'x', n);
	word[n] = '\0';
	snprintf(text, len, "text = %s\nnum = 9\n", word);
	expect_ok(&r, text);
	assert_int_equal(strlen(r.conf.text), n);
	assert_int_equal(r.conf.num, 9);
	done(&r);

	memset(word, 'y', n);
	snprintf(text, len, "%s = 1\n", word);
	parse(&r, text);
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.why, "test.conf:1: unknown option \"yyy"));
	assert_non_null(strstr(r.why, "...\""));
	assert_true(strlen(r.why) < 100);
	done(&r);
	free(word);
	free(text);
}

static char *
print(struct run *r, int *rc)
{
	char *out = NULL, why[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	*rc = conffile_print(f, &r->cf, why, sizeof(why));
	assert_int_equal(fclose(f), 0);
	return out;
}

/* The settings written out read back to the same settings, quoted as need. */
static void
test_print_round_trip(void **state)
{
	static struct run r, again;
	char *out, *out2;
	int rc;

	(void)state;
	expect_ok(&r,
	    "list = 127.0.0.1:7\n"
	    "list = \"unix:/run/a b\"\n"
	    "list = unix:#x\n"
	    "list = \"unix:/q\\\"\"\n"
	    "size = 1536\ntime = 0.001\nflag = true\ncount = 2\n"
	    "level = err\ncolor = green\ntext = \"\ttab\\\\\"\n");
	out = print(&r, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "list = 127.0.0.1:7\n"
	    "list = \"unix:/run/a b\"\n"
	    "list = unix:#x\n"
	    "list = unix:/q\"\n"
	    "num = 7\nsize = 1536\ntime = 0.001\nflag = yes\ncount = 2\n"
	    "level = err\ncolor = green\ntext = \"\ttab\\\\\"\n"));
	/* Never the command line's own options. */
	assert_null(strstr(out, "cli-only"));
	assert_null(strstr(out, "help"));
	expect_ok(&again, out);
	out2 = print(&again, &rc);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	done(&again);
	done(&r);

	/* Sizes in the largest exact unit, seconds with the decimals needed. */
	expect_ok(&r, "size = 1G\ntime = 3599.5\n");
	out = print(&r, &rc);
	assert_non_null(strstr(out, "size = 1G\ntime = 3599.5\n"));
	/* An empty list and an unset string are comments, not settings. */
	assert_non_null(strstr(out, "# list: not set\n"));
	assert_non_null(strstr(out, "# text: not set\n"));
	free(out);
	done(&r);

	/* A newline (only the command line can give one) cannot be written. */
	setup(&r, "test.conf");
	r.conf.text = "two\nlines";
	out = print(&r, &rc);
	assert_int_equal(rc, -1);
	free(out);
	done(&r);
}

/* "name = value" with a value, not a metavar such as ADDR. */
static int
sample_default(const char *line)
{
	const char *v = strstr(line, " = ");
	size_t n;

	if (*line < 'a' || *line > 'z' || v == NULL ||
	    (size_t)(v - line) != strspn(line, "abcdefghijklmnopqrstuvwxyz-"))
		return 0;
	v += 3;
	n = strcspn(v, "\n");
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n;
}

/* The sample: each option a file takes, commented out at its default. */
static void
test_sample(void **state)
{
	static struct run r;
	char *out = NULL, *p, *line;
	size_t len = 0;
	FILE *f;

	(void)state;
	setup(&r, "sample");
	f = open_memstream(&out, &len);
	assert_non_null(f);
	conffile_print_sample(f, &r.cf);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(out, "\n#list = ADDR\n"));
	assert_non_null(strstr(out, "\n#num = 7\n"));
	assert_non_null(strstr(out, "\n#size = 64K\n"));
	assert_non_null(strstr(out, "\n#flag = no\n"));
	assert_non_null(strstr(out, "\n#count = 0\n"));
	assert_non_null(strstr(out, "\n#color = red\n"));
	assert_non_null(strstr(out, "# num N: a number (default: 7)\n"));
	assert_null(strstr(out, "cli-only"));
	assert_null(strstr(out, "#help"));
	/* As shipped it sets nothing. */
	expect_ok(&r, out);
	assert_int_equal(r.conf.flag, 0);
	done(&r);
	/* With every default uncommented it sets the defaults. */
	for (p = out; (line = strstr(p, "\n#")) != NULL; p = line + 1)
		if (sample_default(line + 2))
			line[1] = ' ';
	expect_ok(&r, out);
	assert_int_equal(r.conf.num, 7);
	assert_int_equal(r.conf.size, 64 * 1024);
	assert_int_equal(r.conf.color, 0);
	done(&r);
	free(out);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
load(struct run *r, const char *path, int must_exist)
{
	setup(r, path);
	r->rc = conffile_load(&r->cf, must_exist, &r->text, r->why,
	    sizeof(r->why));
	return r->rc;
}

static void
test_load(void **state)
{
	static struct run r;
	char dir[] = "/tmp/test_conffile.XXXXXX", path[64], *big;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/echod.conf", dir);

	/* Absent: fine for the default file, not for one asked for. */
	assert_int_equal(load(&r, path, 0), 0);
	assert_null(r.text);
	assert_int_equal(load(&r, path, 1), EX_NOINPUT);
	assert_non_null(strstr(r.why, "cannot open "));
	assert_non_null(strstr(r.why, "No such file or directory"));
	assert_null(r.text);
	/* A directory, absent or not, is never silently no file. */
	assert_int_equal(load(&r, dir, 0), EX_NOINPUT);
	assert_non_null(strstr(r.why, "Is a directory"));

	write_file(path, "num = 3\r\nlist = \"unix:/x y\"\r\n", 29);
	assert_int_equal(load(&r, path, 1), 0);
	assert_int_equal(r.conf.num, 3);
	assert_string_equal(r.conf.list.v[0].path, "/x y");
	done(&r);

	write_file(path, "num = 3\nnum = 4\n", 16);
	assert_int_equal(load(&r, path, 0), EX_USAGE);
	assert_non_null(strstr(r.why, "/echod.conf:2: \"num\" set again"));
	done(&r);

	/* A file that is far too big to be settings is not read whole. */
	big = calloc(1, CONFFILE_MAX + 1);
	assert_non_null(big);
	memset(big, '#', CONFFILE_MAX + 1);
	write_file(path, big, CONFFILE_MAX);
	if (load(&r, path, 1) != 0)
		fail_msg("%s", r.why);
	done(&r);
	write_file(path, big, CONFFILE_MAX + 1);
	assert_int_equal(load(&r, path, 1), EX_USAGE);
	assert_non_null(strstr(r.why, "not a settings file"));
	assert_null(r.text);
	free(big);

	/* Unreadable: root reads anything, so only others can see it. */
	write_file(path, "num = 1\n", 8);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(load(&r, path, 0), EX_NOINPUT);
		assert_non_null(strstr(r.why, "Permission denied"));
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_replaces),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests_name("conffile", tests, NULL, NULL);
}

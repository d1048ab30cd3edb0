/* conffile.c - echod.conf: lines to opt_set(), settings back to lines. */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conffile.h"

#define BLANKS		" \t"
/* Quoted text in a message is cut here, so that the message stays a line. */
#define QUOTE_MAX	48
#define SAMPLE_WIDTH	76

/* Where one line's parse stands. */
struct conffile_line {
	const struct conffile	*cf;
	unsigned		 lineno;
	unsigned		*first;		/* per option: its first line */
	char			*why;
	size_t			 whylen;
};

static char *
conffile_skip_blanks(char *p)
{
	return p + strspn(p, BLANKS);
}

/* s[0..len) as "text", escaped and cut short, for a message. */
static const char *
conffile_quote(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; i < len && i < QUOTE_MAX && o + 8 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, buflen - o, "\\%c", c);
		else
			buf[o++] = (char)c;
	}
	snprintf(buf + o, buflen - o, "%s\"", i < len ? "..." : "");
	return buf;
}

static int
conffile_error(const struct conffile_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
conffile_error(const struct conffile_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(l->why, l->whylen, "%s:%u: ", l->cf->path, l->lineno);
	if (n < 0 || (size_t)n >= l->whylen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->why + n, l->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A quoted value, unescaped in place; *pp is past the closing quote. */
static int
conffile_quoted(const struct conffile_line *l, char **pp, char **value)
{
	char *p = *pp + 1, *out = p;

	*value = out;
	for (;; p++) {
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != '\\' && *p != '\0')
				return conffile_error(l, "unknown escape \\%c in "
				    "quotes (only \\\" and \\\\)", *p);
		} else if (*p == '"') {
			break;
		}
		if (*p == '\0')
			return conffile_error(l, "unterminated quote");
		*out++ = *p;
	}
	*pp = p + 1;
	*out = '\0';
	return 0;
}

/* The value after '=': one word or a quoted string, then a comment at most. */
static int
conffile_value(const struct conffile_line *l, const char *name, char *p,
    char **value)
{
	char qbuf[QUOTE_MAX * 4 + 8], *end;

	if (*p == '"') {
		if (conffile_quoted(l, &p, value) == -1)
			return -1;
	} else {
		if (*p == '\0' || *p == '#')
			return conffile_error(l, "%s: missing value", name);
		*value = p;
		end = p + strcspn(p, BLANKS);
		p = *end != '\0' ? end + 1 : end;
		*end = '\0';
	}
	p = conffile_skip_blanks(p);
	if (*p != '\0' && *p != '#')
		return conffile_error(l, "%s: %s after the value (one value a "
		    "line; quote one that has blanks)", name,
		    conffile_quote(p, strlen(p), qbuf, sizeof(qbuf)));
	return 0;
}

static int
conffile_refused(const struct conffile *cf, const char *name)
{
	const char *const *r;

	for (r = cf->refused; r != NULL && *r != NULL; r++)
		if (strcmp(*r, name) == 0)
			return 1;
	return 0;
}

/* The option a line names, if a file may set it (once, unless a list). */
static const struct opt *
conffile_option(const struct conffile_line *l, const char *name)
{
	char qbuf[QUOTE_MAX * 4 + 8];
	const struct opt *o;
	unsigned first;

	o = opt_find(l->cf->opts, l->cf->nopts, name);
	if (o == NULL) {
		conffile_error(l, "unknown option %s",
		    conffile_quote(name, strlen(name), qbuf, sizeof(qbuf)));
		return NULL;
	}
	if (conffile_refused(l->cf, name)) {
		conffile_error(l, "\"%s\" is for the command line only "
		    "(--%s), not for a file", name, name);
		return NULL;
	}
	first = l->first[o - l->cf->opts];
	if (first != 0 && o->kind != OPT_ADDRS) {
		conffile_error(l, "\"%s\" set again (first on line %u): only "
		    "a list such as listen may repeat", name, first);
		return NULL;
	}
	return o;
}

static int
conffile_line(const struct conffile_line *l, char *line)
{
	char reason[256], qbuf[QUOTE_MAX * 4 + 8], *name, *p, *value;
	const struct opt *o;
	size_t idx;

	p = conffile_skip_blanks(line);
	if (*p == '\0' || *p == '#')
		return 0;
	name = p;
	p += strcspn(p, BLANKS "=");
	if (p == name)
		return conffile_error(l, "missing the option name before '='");
	value = conffile_skip_blanks(p);
	if (*value != '=')
		return conffile_error(l, "missing '=' after %s",
		    conffile_quote(name, (size_t)(p - name), qbuf,
		    sizeof(qbuf)));
	*p = '\0';
	if ((o = conffile_option(l, name)) == NULL)
		return -1;
	if (conffile_value(l, name, conffile_skip_blanks(value + 1),
	    &value) == -1)
		return -1;
	idx = (size_t)(o - l->cf->opts);
	if (opt_set(o, value, l->first[idx] == 0, l->cf->conf, reason,
	    sizeof(reason)) == -1)
		return conffile_error(l, "%s = %s: %s", name,
		    conffile_quote(value, strlen(value), qbuf, sizeof(qbuf)),
		    reason);
	if (l->first[idx] == 0)
		l->first[idx] = l->lineno;
	return 0;
}

int
conffile_parse(const struct conffile *cf, char *text, size_t len, char *why,
    size_t whylen)
{
	unsigned first[OPT_MAX] = { 0 };
	struct conffile_line l = { cf, 0, first, why, whylen };
	char *p, *end = text + len, *eol, *next;

	if (cf->nopts > OPT_MAX)
		abort();
	for (p = text; p < end; p = next) {
		l.lineno++;
		eol = memchr(p, '\n', (size_t)(end - p));
		next = eol != NULL ? eol + 1 : end;
		if (eol == NULL)
			eol = end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
			return conffile_error(&l, "a NUL byte: not a text file");
		*eol = '\0';
		if (conffile_line(&l, p) == -1)
			return -1;
	}
	return 0;
}

/* The whole stream into a new buffer with a NUL after it. */
static int
conffile_read(FILE *f, char **text, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = NULL, *grown;

	for (;;) {
		if ((grown = realloc(buf, cap + 1)) == NULL)
			goto fail;
		buf = grown;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > CONFFILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
		if (n < cap)
			break;
		cap = cap > CONFFILE_MAX / 2 ? CONFFILE_MAX + 1 : cap * 2;
	}
	if (ferror(f))
		goto fail;
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * A regular file (or /dev/null, the documented "no settings"), else NULL
 * with EISDIR or EINVAL: a FIFO or a device would block a check or a reload's
 * pre-flight for as long as nobody writes, as sshd knows.
 */
static FILE *
conffile_open(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (!S_ISREG(st.st_mode) &&
	    !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

int
conffile_load(const struct conffile *cf, int must_exist, char **text,
    char *why, size_t whylen)
{
	size_t len;
	FILE *f;
	int rc, err;

	*text = NULL;
	if ((f = conffile_open(cf->path)) == NULL) {
		if (!must_exist && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		snprintf(why, whylen, "%s %s: %s", errno == EINVAL ?
		    "not reading" : "cannot open", cf->path, errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		return EX_NOINPUT;
	}
	errno = 0;
	rc = conffile_read(f, text, &len);
	err = errno != 0 ? errno : EIO;
	(void)fclose(f);	/* read only: nothing to lose */
	if (rc == -1 && err == EFBIG) {
		snprintf(why, whylen, "%s: over %u bytes: not a settings file",
		    cf->path, CONFFILE_MAX);
		return EX_USAGE;
	}
	if (rc == -1) {
		snprintf(why, whylen, "cannot read %s: %s", cf->path,
		    strerror(err));
		return EX_NOINPUT;
	}
	return conffile_parse(cf, *text, len, why, whylen) == 0 ? 0 : EX_USAGE;
}

/* Quoted when a bare word would not read back the same. */
static int
conffile_put(FILE *out, const char *prefix, const char *name,
    const char *value)
{
	const char *p;

	if (strchr(value, '\n') != NULL)
		return -1;
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == ' ' || *p == 0x7f)
			break;
	if (*p == '\0' && *value != '\0' && *value != '"' && *value != '#') {
		fprintf(out, "%s%s = %s\n", prefix, name, value);
		return 0;
	}
	fprintf(out, "%s%s = \"", prefix, name);
	for (p = value; *p != '\0'; p++)
		fprintf(out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	fputs("\"\n", out);
	return 0;
}

/* The options a file may set. */
static int
conffile_settable(const struct conffile *cf, const struct opt *o)
{
	return o->kind != OPT_HELP && o->kind != OPT_VERSION &&
	    !conffile_refused(cf, o->name);
}

int
conffile_print(FILE *out, const struct conffile *cf, char *why, size_t whylen)
{
	char buf[ADDR_TEXT_MAX + 128], qbuf[QUOTE_MAX * 4 + 8];
	size_t i, j;

	for (i = 0; i < cf->nopts; i++) {
		const struct opt *o = &cf->opts[i];

		if (!conffile_settable(cf, o))
			continue;
		for (j = 0; opt_format(o, cf->conf, j, buf, sizeof(buf)) != NULL;
		    j++) {
			if (conffile_put(out, "", o->name, buf) == 0)
				continue;
			snprintf(why, whylen, "%s %s: a newline cannot be "
			    "written in a file", o->name,
			    conffile_quote(buf, strlen(buf), qbuf, sizeof(qbuf)));
			return -1;
		}
		if (j == 0)
			fprintf(out, "# %s: not set\n", o->name);
	}
	return 0;
}

/* text as "# " comment lines of at most SAMPLE_WIDTH columns. */
static void
conffile_comment(FILE *out, const char *text)
{
	const char *p = text;
	int col = 0;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (col > 0 && col + 1 + (int)w > SAMPLE_WIDTH) {
			fputc('\n', out);
			col = 0;
		}
		col += fprintf(out, "%s%.*s", col == 0 ? "# " : " ", (int)w, p);
		p += w;
		p += strspn(p, " ");
	}
	fputc('\n', out);
}

/* What a sample line says about a kind's value in a file. */
static const char *
conffile_kind_note(const struct opt *o)
{
	if (o->kind == OPT_FLAG)
		return " (yes or no)";
	if (o->kind == OPT_COUNT)
		return " (here: how many times, a number)";
	return "";
}

void
conffile_print_sample(FILE *out, const struct conffile *cf)
{
	char help[512];
	size_t i;

	for (i = 0; i < cf->nopts; i++) {
		const struct opt *o = &cf->opts[i];
		const char *def = o->defval;

		if (!conffile_settable(cf, o))
			continue;
		if (o->kind == OPT_FLAG)
			def = "no";
		else if (o->kind == OPT_COUNT)
			def = "0";
		else if (def == NULL)
			def = o->metavar;
		snprintf(help, sizeof(help), "%s%s%s: %s%s%s%s%s", o->name,
		    o->metavar != NULL ? " " : "",
		    o->metavar != NULL ? o->metavar : "", o->help,
		    conffile_kind_note(o),
		    o->defval != NULL ? " (default: " : "",
		    o->defval != NULL ? o->defval : "",
		    o->defval != NULL ? ")" : "");
		fputc('\n', out);
		conffile_comment(out, help);
		conffile_put(out, "#", o->name, def);
	}
}

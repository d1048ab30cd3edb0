/*
 * payload.c - what a health check sends: MESSAGE parts, stdin when asked
 * for with "-", or the known pattern.  Stdin is read from the event loop,
 * so a writer that never ends cannot hold the check past --timeout.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "pattern.h"

#define PAYLOAD_STDIN_MAX	(64U << 20)	/* what stdin may hold */

struct stdin_read {
	unsigned char	*buf;
	size_t		 len;
	int		 done;
	char		*why;		/* set on failure */
	size_t		 whylen;
};

/* Reads what is there: 1 at EOF, 0 for more later, -1 on failure. */
static int
stdin_chunk(struct stdin_read *r)
{
	ssize_t n;

	n = read(STDIN_FILENO, r->buf + r->len, PAYLOAD_STDIN_MAX + 1 - r->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1) {
		snprintf(r->why, r->whylen, "reading stdin: %s",
		    strerror(errno));
		return -1;
	}
	if (n == 0)
		return 1;
	r->len += (size_t)n;
	if (r->len > PAYLOAD_STDIN_MAX) {
		snprintf(r->why, r->whylen, "stdin holds more than %u MiB",
		    PAYLOAD_STDIN_MAX >> 20);
		return -1;
	}
	return 0;
}

static void
stdin_readable(evutil_socket_t fd, short what, void *arg)
{
	struct stdin_read *r = arg;

	(void)fd;
	(void)what;
	if (stdin_chunk(r) != 0)
		r->done = 1;
}

/*
 * Pipes, sockets and terminals are waited on; files and devices such as
 * /dev/null cannot be (epoll refuses them), and never block.
 */
static int
stdin_pollable(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == -1)
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	    isatty(STDIN_FILENO);
}

/* Stdin into *r; 0, -1 (why set), or 1 when the deadline came first. */
static int
stdin_read_all(struct event_base *base, struct stdin_read *r,
    uint64_t deadline_us)
{
	struct event *ev;
	int rc;

	if ((r->buf = malloc(PAYLOAD_STDIN_MAX + 1)) == NULL) {
		snprintf(r->why, r->whylen, "out of memory");
		return -1;
	}
	if (!stdin_pollable()) {
		while ((rc = stdin_chunk(r)) == 0)
			;
		return rc == 1 ? 0 : -1;
	}
	ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    stdin_readable, r);
	if (ev == NULL || event_add(ev, NULL) == -1) {
		snprintf(r->why, r->whylen, "cannot wait for stdin");
		rc = -1;
	} else if (check_wait(base, &r->done, deadline_us) == -1) {
		snprintf(r->why, r->whylen, "timeout reading stdin (%zu bytes, "
		    "no end of file)", r->len);
		rc = 1;
	} else {
		rc = r->why[0] == '\0' ? 0 : -1;
	}
	if (ev != NULL)
		event_free(ev);
	return rc;
}

/* The parts, with "-" replaced by stdin, back to back in all. */
static int
payload_parts(struct payload *pl, char **messages, int n,
    const struct stdin_read *in)
{
	size_t i, len = 0, plen;
	const char *p;

	for (i = 0; i < (size_t)n; i++)
		len += strcmp(messages[i], "-") == 0 ? in->len :
		    strlen(messages[i]);
	if ((pl->all = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		if (strcmp(messages[i], "-") == 0) {
			p = (const char *)in->buf;
			plen = in->len;
		} else {
			p = messages[i];
			plen = strlen(p);
		}
		pl->parts[i].iov_base = pl->all + pl->len;
		pl->parts[i].iov_len = plen;
		if (plen > 0)
			memcpy(pl->all + pl->len, p, plen);
		pl->len += plen;
	}
	pl->nparts = (size_t)n;
	return 0;
}

static int
payload_pattern(struct payload *pl, uint64_t size)
{
	size_t i;

	if ((pl->all = malloc(size)) == NULL)
		return -1;
	for (i = 0; i < size; i++)
		pl->all[i] = pattern_byte(i);
	pl->len = size;
	pl->parts[0].iov_base = pl->all;
	pl->parts[0].iov_len = size;
	pl->nparts = 1;
	return 0;
}

int
payload_build(struct event_base *base, const struct client_conf *conf,
    char **messages, int n, uint64_t deadline_us, struct payload *pl,
    char *why, size_t whylen)
{
	struct stdin_read in;
	int i, rc = 0;

	memset(pl, 0, sizeof(*pl));
	memset(&in, 0, sizeof(in));
	in.why = why;
	in.whylen = whylen;
	why[0] = '\0';
	if ((pl->parts = calloc(n > 0 ? (size_t)n : 1,
	    sizeof(*pl->parts))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (strcmp(messages[i], "-") == 0)
			break;
	if (i < n && (rc = stdin_read_all(base, &in, deadline_us)) != 0)
		goto out;
	if (n > 0)
		rc = payload_parts(pl, messages, n, &in);
	else
		rc = payload_pattern(pl, conf->size == CLIENT_UNSET ?
		    CLIENT_SIZE_DEFAULT : conf->size);
	if (rc == -1)
		goto nomem;
	/* An empty exchange proves nothing: EOF for EOF even from discard. */
	if (pl->len == 0) {
		snprintf(why, whylen, "nothing to send: MESSAGE %s",
		    i < n ? "and stdin are empty" : "is empty");
		rc = -1;
	}
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
	rc = -1;
out:
	free(in.buf);
	return rc;
}

void
payload_free(struct payload *pl)
{
	free(pl->parts);
	free(pl->all);
	memset(pl, 0, sizeof(*pl));
}

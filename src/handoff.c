/* handoff.c - encode and decode the state handed across a reload. */
#include "config.h"

#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

static const uint8_t handoff_magic[8] = "ECHODHO\n";

/* Record sizes without their strings or pending bytes. */
#define LISTENER_MIN	31
#define CONN_SIZE	99
/* The checksum covers what follows it: the counts, the time, the body. */
#define HANDOFF_SUM_FROM	32

static uint64_t
handoff_fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

void
handoff_buf_free(struct handoff_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Makes room for n more bytes; returns where they go, or NULL. */
static uint8_t *
handoff_grow(struct handoff_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (b->failed || n > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return NULL;
	}
	while (cap - b->len < n)
		cap *= 2;
	if (cap != b->cap) {
		if ((p = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

static void
put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put(struct handoff_buf *b, uint64_t v, size_t n)
{
	uint8_t *p = handoff_grow(b, n);

	if (p != NULL)
		put_le(p, v, n);
}

static void
put_bytes(struct handoff_buf *b, const void *src, size_t n)
{
	uint8_t *p = handoff_grow(b, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

/* A string as its length and its bytes, without the NUL. */
static void
put_str(struct handoff_buf *b, const char *s)
{
	size_t n = strlen(s);

	put(b, n, 2);
	put_bytes(b, s, n);
}

void
handoff_begin(struct handoff_buf *b, const uint64_t counters[HANDOFF_NCOUNTERS])
{
	size_t i;

	memset(b, 0, sizeof(*b));
	handoff_grow(b, HANDOFF_HEADER_SIZE);
	for (i = 0; i < HANDOFF_NCOUNTERS; i++)
		put(b, counters[i], 8);
}

void
handoff_put_listener(struct handoff_buf *b, const struct handoff_listener *l)
{
	put(b, l->kind, 1);
	put(b, l->passed, 1);
	put(b, l->proxy, 1);
	put(b, (uint32_t)l->fd, 4);
	put_str(b, l->name);
	put_str(b, l->fdname);
	put_str(b, l->unlink_path);
	put(b, l->file_dev, 8);
	put(b, l->file_ino, 8);
	put_str(b, l->spec);
}

uint8_t *
handoff_put_conn(struct handoff_buf *b, const struct handoff_conn *c)
{
	put(b, (uint32_t)c->fd, 4);
	put(b, c->listener, 4);
	put(b, c->id, 8);
	put(b, c->bytes_in, 8);
	put(b, c->bytes_out, 8);
	put(b, c->start_us, 8);
	put(b, c->window_us, 8);
	put(b, c->window_bytes, 8);
	put_bytes(b, c->peer_addr, 16);
	put(b, c->peer_port, 2);
	put(b, c->peer_family, 1);
	put(b, c->flags, 1);
	put(b, c->lb_family, 1);
	put_bytes(b, c->lb_addr, 16);
	put(b, c->lb_port, 2);
	put(b, c->pending_len, 4);
	return handoff_grow(b, c->pending_len);
}

void
handoff_append(struct handoff_buf *b, const struct handoff_buf *from)
{
	uint8_t *p;

	if (from->failed) {
		b->failed = 1;
		return;
	}
	if (from->len > 0 && (p = handoff_grow(b, from->len)) != NULL)
		memcpy(p, from->data, from->len);
}

int
handoff_end(struct handoff_buf *b, uint32_t nlisteners, uint32_t nconns,
    uint64_t paused_us)
{
	uint8_t *h = b->data;
	size_t body;

	if (b->failed || b->len < HANDOFF_HEADER_SIZE)
		return -1;
	body = b->len - HANDOFF_HEADER_SIZE;
	memcpy(h, handoff_magic, sizeof(handoff_magic));
	put_le(h + 8, HANDOFF_VERSION, 4);
	put_le(h + 12, HANDOFF_HEADER_SIZE, 4);
	put_le(h + 16, body, 8);
	put_le(h + 32, nlisteners, 4);
	put_le(h + 36, nconns, 4);
	put_le(h + 40, paused_us, 8);
	put_le(h + 24, handoff_fnv(h + HANDOFF_SUM_FROM,
	    b->len - HANDOFF_SUM_FROM), 8);
	return 0;
}

/* A bounded reader over the body; running off the end sets `bad`. */
struct reader {
	const uint8_t	*p;
	size_t		 left;
	int		 bad;
};

static uint64_t
get(struct reader *r, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	r->left -= n;
	return v;
}

static const uint8_t *
get_bytes(struct reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

/* A string of at most max - 1 bytes with no NUL in it. */
static int
get_str(struct reader *r, char *out, size_t max)
{
	size_t n = (size_t)get(r, 2);
	const uint8_t *p;

	if (n >= max || (p = get_bytes(r, n)) == NULL ||
	    memchr(p, '\0', n) != NULL)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int
fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* What connections may name: a stream listener, open or closed. */
static int
handoff_stream(const struct handoff_listener *l)
{
	return l->kind == HANDOFF_STREAM || l->kind == HANDOFF_CLOSED;
}

static int
decode_listener(struct reader *r, struct handoff_listener *l)
{
	l->kind = (uint8_t)get(r, 1);
	l->passed = (uint8_t)get(r, 1);
	l->proxy = (uint8_t)get(r, 1);
	l->fd = (int)(int32_t)get(r, 4);
	if (get_str(r, l->name, sizeof(l->name)) == -1 ||
	    get_str(r, l->fdname, sizeof(l->fdname)) == -1 ||
	    get_str(r, l->unlink_path, sizeof(l->unlink_path)) == -1)
		return -1;
	l->file_dev = get(r, 8);
	l->file_ino = get(r, 8);
	if (get_str(r, l->spec, sizeof(l->spec)) == -1)
		return -1;
	return r->bad || l->name[0] == '\0' || l->passed > 1 || l->proxy > 1 ||
	    (l->proxy && !handoff_stream(l)) ||
	    (l->kind != HANDOFF_STREAM && l->kind != HANDOFF_DGRAM &&
	    l->kind != HANDOFF_METRICS && l->kind != HANDOFF_CLOSED) ||
	    ((l->kind == HANDOFF_CLOSED) != (l->fd == -1)) ||
	    (l->kind == HANDOFF_CLOSED && (l->passed ||
	    l->unlink_path[0] != '\0')) ||
	    (l->kind == HANDOFF_METRICS && (l->passed || l->spec[0] == '\0')) ||
	    (l->passed && l->unlink_path[0] != '\0') ? -1 : 0;
}

static int
decode_conn(struct reader *r, const struct handoff *h, struct handoff_conn *c)
{
	const uint8_t *addr;

	c->fd = (int)(int32_t)get(r, 4);
	c->listener = (uint32_t)get(r, 4);
	c->id = get(r, 8);
	c->bytes_in = get(r, 8);
	c->bytes_out = get(r, 8);
	c->start_us = get(r, 8);
	c->window_us = get(r, 8);
	c->window_bytes = get(r, 8);
	if ((addr = get_bytes(r, 16)) != NULL)
		memcpy(c->peer_addr, addr, 16);
	c->peer_port = (uint16_t)get(r, 2);
	c->peer_family = (uint8_t)get(r, 1);
	c->flags = (uint8_t)get(r, 1);
	c->lb_family = (uint8_t)get(r, 1);
	if ((addr = get_bytes(r, 16)) != NULL)
		memcpy(c->lb_addr, addr, 16);
	c->lb_port = (uint16_t)get(r, 2);
	c->pending_len = (uint32_t)get(r, 4);
	c->pending = get_bytes(r, c->pending_len);
	if (r->bad || c->listener >= h->nlisteners ||
	    !handoff_stream(&h->listeners[c->listener]) ||
	    (c->flags & ~HANDOFF_CONN_FLAGS) != 0 ||
	    ((c->flags & HANDOFF_MIDHEADER) && (c->flags != HANDOFF_MIDHEADER ||
	    !h->listeners[c->listener].proxy ||
	    c->pending_len > HANDOFF_HELD_MAX)) ||
	    c->bytes_out > c->bytes_in ||
	    c->bytes_in - c->bytes_out != c->pending_len ||
	    (c->peer_family != AF_UNSPEC && c->peer_family != AF_INET &&
	    c->peer_family != AF_INET6) ||
	    (c->lb_family != AF_INET && c->lb_family != AF_INET6 &&
	    c->lb_family != AF_UNIX))
		return -1;
	return 0;
}

static int
fd_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Every descriptor above stderr and named once. */
static int
decode_check_fds(const struct handoff *h)
{
	size_t n = (size_t)h->nlisteners + h->nconns, i, k = 0;
	int *fds, rc = 0;

	if (n == 0)
		return 0;
	if ((fds = malloc(n * sizeof(*fds))) == NULL)
		return -1;
	for (i = 0; i < h->nlisteners; i++)
		if (h->listeners[i].kind != HANDOFF_CLOSED)
			fds[k++] = h->listeners[i].fd;
	for (i = 0; i < h->nconns; i++)
		fds[k++] = h->conns[i].fd;
	n = k;		/* closed listeners have none */
	qsort(fds, n, sizeof(*fds), fd_cmp);
	if (n > 0 && fds[0] < 3)
		rc = -1;
	for (i = 1; i < n && rc == 0; i++)
		if (fds[i] == fds[i - 1])
			rc = -1;
	free(fds);
	return rc;
}

static int
decode_header(const uint8_t *buf, size_t len, struct handoff *h,
    struct reader *r, char *why, size_t whylen)
{
	struct reader hr = { buf, len, 0 };
	uint64_t body, sum;
	uint32_t hsize;

	if (len < HANDOFF_HEADER_SIZE)
		return fail(why, whylen, "truncated: %zu bytes", len);
	if (memcmp(buf, handoff_magic, 8) != 0)
		return fail(why, whylen, "not an echod hand-off");
	get_bytes(&hr, 8);
	h->version = (uint32_t)get(&hr, 4);
	if (h->version != HANDOFF_VERSION)
		return fail(why, whylen, "hand-off version %u, this echod "
		    "reads version %u", h->version, (unsigned)HANDOFF_VERSION);
	hsize = (uint32_t)get(&hr, 4);
	body = get(&hr, 8);
	sum = get(&hr, 8);
	h->nlisteners = (uint32_t)get(&hr, 4);
	h->nconns = (uint32_t)get(&hr, 4);
	h->paused_us = get(&hr, 8);
	if (hsize != HANDOFF_HEADER_SIZE || body != len - HANDOFF_HEADER_SIZE)
		return fail(why, whylen, "%zu bytes, the header says %llu",
		    len, (unsigned long long)body + hsize);
	if (handoff_fnv(buf + HANDOFF_SUM_FROM, len - HANDOFF_SUM_FROM) != sum)
		return fail(why, whylen, "checksum mismatch");
	/* Counts are checked against the bytes before anything is allocated. */
	if (h->nlisteners > HANDOFF_MAX_LISTENERS ||
	    h->nconns > HANDOFF_MAX_CONNS ||
	    (uint64_t)h->nlisteners * LISTENER_MIN +
	    (uint64_t)h->nconns * CONN_SIZE +
	    HANDOFF_NCOUNTERS * 8 > body)
		return fail(why, whylen, "%u listeners and %u connections do "
		    "not fit in %llu bytes", h->nlisteners, h->nconns,
		    (unsigned long long)body);
	r->p = buf + HANDOFF_HEADER_SIZE;
	r->left = (size_t)body;
	r->bad = 0;
	return 0;
}

int
handoff_decode(const uint8_t *buf, size_t len, struct handoff *h, char *why,
    size_t whylen)
{
	struct reader r = { NULL, 0, 1 };
	uint32_t i;

	memset(h, 0, sizeof(*h));
	if (decode_header(buf, len, h, &r, why, whylen) == -1)
		goto fail;
	for (i = 0; i < HANDOFF_NCOUNTERS; i++)
		h->counters[i] = get(&r, 8);
	h->listeners = calloc(h->nlisteners ? h->nlisteners : 1,
	    sizeof(*h->listeners));
	h->conns = calloc(h->nconns ? h->nconns : 1, sizeof(*h->conns));
	if (h->listeners == NULL || h->conns == NULL) {
		fail(why, whylen, "out of memory");
		goto fail;
	}
	for (i = 0; i < h->nlisteners; i++)
		if (decode_listener(&r, &h->listeners[i]) == -1) {
			fail(why, whylen, "listener %u is malformed", i);
			goto fail;
		}
	for (i = 0; i < h->nconns; i++)
		if (decode_conn(&r, h, &h->conns[i]) == -1) {
			fail(why, whylen, "connection %u is malformed", i);
			goto fail;
		}
	if (r.left != 0) {
		fail(why, whylen, "%zu bytes after the last record", r.left);
		goto fail;
	}
	if (decode_check_fds(h) == -1) {
		fail(why, whylen, "a descriptor is named twice, or is 0-2");
		goto fail;
	}
	return 0;
fail:
	handoff_free(h);
	return -1;
}

void
handoff_free(struct handoff *h)
{
	free(h->listeners);
	free(h->conns);
	memset(h, 0, sizeof(*h));
}

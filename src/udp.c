/* udp.c - datagram echo with batches, a loop guard and rate limits. */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "server.h"
#include "udp.h"

/* Datagrams per recvmmsg/sendmmsg call. */
#define UDP_BATCH	32
/* Room for IP_PKTINFO or IPV6_PKTINFO. */
#define UDP_CMSG_LEN	64

struct udp_listener {
	TAILQ_ENTRY(udp_listener) entry;
	struct server		*srv;
	struct event		*ev;
	int			 fd;
	char			 name[ADDR_TEXT_MAX];
	char			 fdname[64];	/* systemd's, or "" */
	char			 spec[ADDR_TEXT_MAX];	/* --listen text, or "" */
	size_t			 bufsize;	/* --max-datagram + 1 */
	uint8_t			*bufs;		/* UDP_BATCH buffers */
	struct sockaddr_storage	 peers[UDP_BATCH];
	uint8_t			 cmsgs[UDP_BATCH][UDP_CMSG_LEN];
	struct iovec		 iov[UDP_BATCH];
	struct mmsghdr		 in[UDP_BATCH];
	struct mmsghdr		 out[UDP_BATCH];
	struct udp_stats	 stats;
};

/* One limiter a message, so "suppressed N like the next one" is true. */
static struct log_ratelimit udp_rate_rl = LOG_RATELIMIT_INIT(10000, 3);
static struct log_ratelimit udp_send_rl = LOG_RATELIMIT_INIT(10000, 3);
static struct log_ratelimit udp_recv_rl = LOG_RATELIMIT_INIT(10000, 3);

/* Echo, discard, daytime, qotd, chargen, time, and 0: as BSD inetd. */
static int
udp_reflector_port(uint16_t port)
{
	switch (port) {
	case 0: case 7: case 9: case 13: case 17: case 19: case 37:
		return 1;
	}
	return 0;
}

static int
udp_bad_source(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		uint32_t a = ntohl(in->sin_addr.s_addr);

		return udp_reflector_port(ntohs(in->sin_port)) ||
		    IN_MULTICAST(a) || a == INADDR_BROADCAST;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)ss;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (udp_reflector_port(ntohs(in6->sin6_port)) ||
		    IN6_IS_ADDR_MULTICAST(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		    (b[12] >= 224 || (b[12] == 255 && b[13] == 255 &&
		    b[14] == 255 && b[15] == 255));
	}
	return 1;
}

/* Turns a received pktinfo into the one that sends from that address. */
static void
udp_reply_cmsg(struct msghdr *in, struct msghdr *out)
{
	struct cmsghdr *cm;

	out->msg_control = NULL;
	out->msg_controllen = 0;
	for (cm = CMSG_FIRSTHDR(in); cm != NULL; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(cm);

			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		} else if (!(cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO))
			continue;
		out->msg_control = cm;
		out->msg_controllen = CMSG_SPACE(cm->cmsg_len - CMSG_LEN(0));
		return;
	}
}

/* Decides on one datagram; returns 1 if it is to be echoed. */
static int
udp_accept(struct udp_listener *u, struct mmsghdr *m, uint64_t now_ms)
{
	const struct config *conf = server_conf(u->srv);
	struct sockaddr_storage *peer = m->msg_hdr.msg_name;

	u->stats.in++;
	u->stats.bytes_in += m->msg_len;
	if ((m->msg_hdr.msg_flags & MSG_TRUNC) ||
	    m->msg_len > conf->max_datagram) {
		u->stats.drop_size++;
		return 0;
	}
	if (!conf->udp_allow_low_ports && udp_bad_source(peer)) {
		u->stats.drop_loop++;
		return 0;
	}
	if (!srclimit_take(server_udp_limit(u->srv), (struct sockaddr *)peer,
	    now_ms)) {
		u->stats.drop_rate++;
		log_limited(&udp_rate_rl, LOG_WARNING, NULL, "%s: sources over "
		    "--udp-rate: dropping (%llu so far)", u->name,
		    (unsigned long long)u->stats.drop_rate);
		return 0;
	}
	return 1;
}

static void
udp_prepare(struct udp_listener *u)
{
	size_t i;

	for (i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &u->in[i].msg_hdr;

		u->iov[i].iov_base = u->bufs + i * u->bufsize;
		u->iov[i].iov_len = u->bufsize;
		memset(h, 0, sizeof(*h));
		h->msg_name = &u->peers[i];
		h->msg_namelen = sizeof(u->peers[i]);
		h->msg_iov = &u->iov[i];
		h->msg_iovlen = 1;
		h->msg_control = u->cmsgs[i];
		h->msg_controllen = UDP_CMSG_LEN;
	}
}

/* Sends n replies; counts those that went out, and their bytes. */
static void
udp_send(struct udp_listener *u, unsigned n)
{
	unsigned sent = 0;
	int rc;

	while (sent < n) {
		rc = sendmmsg(u->fd, u->out + sent, n - sent, MSG_DONTWAIT);
		if (rc > 0) {
			u->stats.out += (unsigned)rc;
			for (; rc > 0; rc--, sent++)
				u->stats.bytes += u->out[sent].msg_len;
			continue;
		}
		if (rc == -1 && errno == EINTR)
			continue;
		/* Full socket buffer (EAGAIN, ENOBUFS) or a bad peer: drop one. */
		if (rc == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS)
			log_limited(&udp_send_rl, LOG_WARNING | LOG_ERRNO,
			    NULL, "%s: send", u->name);
		u->stats.drop_send++;
		sent++;
	}
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp_listener *u = arg;
	uint64_t now_ms = clock_monotonic_ms();
	unsigned i, n, rounds;
	int got;

	(void)what;
	/* A few batches per wakeup, then let TCP clients have the loop. */
	for (rounds = 0; rounds < 8; rounds++) {
		udp_prepare(u);
		got = recvmmsg(fd, u->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			break;
		for (i = 0, n = 0; i < (unsigned)got; i++) {
			struct msghdr *h = &u->out[n].msg_hdr;

			if (!udp_accept(u, &u->in[i], now_ms))
				continue;
			u->iov[i].iov_len = u->in[i].msg_len;
			memset(h, 0, sizeof(*h));
			h->msg_name = u->in[i].msg_hdr.msg_name;
			h->msg_namelen = u->in[i].msg_hdr.msg_namelen;
			h->msg_iov = &u->iov[i];
			h->msg_iovlen = 1;
			udp_reply_cmsg(&u->in[i].msg_hdr, h);
			n++;
		}
		udp_send(u, n);
		if ((unsigned)got < UDP_BATCH)
			break;
	}
	if (got == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)
		log_limited(&udp_recv_rl, LOG_WARNING | LOG_ERRNO, NULL,
		    "%s: receive", u->name);
}

static int
udp_add(struct server *srv, int fd, const char *fdname, const char *spec)
{
	/* Zeroed: clang-analyzer cannot see getsockname fill it. */
	struct sockaddr_storage ss = { 0 };
	socklen_t sslen = sizeof(ss);
	struct udp_listener *u;
	int on = 1;

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		goto fail;
	u->srv = srv;
	u->fd = fd;
	if (fdname != NULL)
		snprintf(u->fdname, sizeof(u->fdname), "%s", fdname);
	if (spec != NULL)
		snprintf(u->spec, sizeof(u->spec), "%s", spec);
	u->bufsize = server_conf(srv)->max_datagram + 1;
	u->bufs = malloc(u->bufsize * UDP_BATCH);
	if (u->bufs == NULL || getsockname(fd, (struct sockaddr *)&ss,
	    &sslen) == -1 || evutil_make_socket_nonblocking(fd) == -1)
		goto fail;
	/* Learn each datagram's destination, to reply from that address. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	snprintf(u->name, sizeof(u->name), "udp:");
	addr_format((struct sockaddr *)&ss, sslen, u->name + 4,
	    sizeof(u->name) - 4);
	u->ev = event_new(server_base(srv), fd, EV_READ | EV_PERSIST, udp_read, u);
	if (u->ev == NULL || event_add(u->ev, NULL) == -1)
		goto fail;
	TAILQ_INSERT_TAIL(server_udp(srv), u, entry);
	if (fdname != NULL)
		log_notice("listening on %s (socket-activated, name %s)",
		    u->name, fdname);
	else
		log_notice("listening on %s", u->name);
	return 0;
fail:
	if (u != NULL) {
		if (u->ev != NULL)
			event_free(u->ev);
		free(u->bufs);
	}
	free(u);
	close(fd);
	return -1;
}

int
udp_adopt(struct server *srv, int fd, const char *fdname, const char *spec)
{
	if (udp_add(srv, fd, fdname, spec) == -1) {
		log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot serve passed "
		    "datagram socket %d (name %s)", fd, fdname);
		return -1;
	}
	return 0;
}

int
udp_open(struct server *srv, const struct addr_spec *spec,
    const struct addrinfo *ai)
{
	char text[ADDR_TEXT_MAX];
	int fd, v6only = spec->kind != ADDR_ANY, err;

	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		goto fail;
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	if (udp_add(srv, fd, NULL, addr_spec_format(spec, text,
	    sizeof(text))) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	addr_spec_format(spec, text, sizeof(text));
	errno = err;
	log_at(LOG_ERR | LOG_ERRNO, NULL, "cannot listen on %s", text);
	return -1;
}

int
udp_clashes(const struct server *srv, const struct sockaddr *sa,
    socklen_t len, int dual, char *owner, size_t ownerlen)
{
	const struct udp_listener *u;

	TAILQ_FOREACH(u, server_udp(srv), entry) {
		if (u->fd != -1 && addr_clashes(u->fd, sa, len, dual)) {
			snprintf(owner, ownerlen, "%s", u->name);
			return 1;
		}
	}
	return 0;
}

size_t
udp_count(const struct server *srv)
{
	const struct udp_listener *u;
	size_t n = 0;

	TAILQ_FOREACH(u, server_udp(srv), entry)
		if (u->fd != -1)
			n++;
	return n;
}

void
udp_stats_sum(const struct server *srv, struct udp_stats *sum)
{
	const struct udp_listener *u;

	memset(sum, 0, sizeof(*sum));
	TAILQ_FOREACH(u, server_udp(srv), entry) {
		sum->in += u->stats.in;
		sum->out += u->stats.out;
		sum->bytes_in += u->stats.bytes_in;
		sum->bytes += u->stats.bytes;
		sum->drop_loop += u->stats.drop_loop;
		sum->drop_rate += u->stats.drop_rate;
		sum->drop_size += u->stats.drop_size;
		sum->drop_send += u->stats.drop_send;
	}
}

void
udp_foreach(const struct server *srv, udp_foreach_fn fn, void *arg)
{
	const struct udp_listener *u;

	TAILQ_FOREACH(u, server_udp(srv), entry)
		if (u->fd != -1)
			fn(arg, u->fd, u->name, u->fdname, u->spec);
}

void
udp_stats_carry(struct server *srv, const struct udp_stats *s)
{
	struct udp_listener *u = TAILQ_FIRST(server_udp(srv));

	if (u == NULL)
		return;
	u->stats.in += s->in;
	u->stats.out += s->out;
	u->stats.bytes_in += s->bytes_in;
	u->stats.bytes += s->bytes;
	u->stats.drop_loop += s->drop_loop;
	u->stats.drop_rate += s->drop_rate;
	u->stats.drop_size += s->drop_size;
	u->stats.drop_send += s->drop_send;
}

/* The struct stays: its counters are summed to the end. */
static void
udp_close(struct udp_listener *u)
{
	event_free(u->ev);
	close(u->fd);
	u->ev = NULL;
	u->fd = -1;
}

void
udp_close_unnamed(struct server *srv, udp_named_fn named)
{
	struct udp_listener *u;

	TAILQ_FOREACH(u, server_udp(srv), entry) {
		if (u->fd == -1 || u->spec[0] == '\0' || named(srv, u->spec))
			continue;
		log_notice("no longer listening on %s", u->name);
		udp_close(u);
	}
}

void
udp_close_all(struct server *srv)
{
	struct udp_listener *u;

	TAILQ_FOREACH(u, server_udp(srv), entry)
		if (u->fd != -1)
			udp_close(u);
}

void
udp_free_all(struct server *srv)
{
	struct udp_listener *u;

	udp_close_all(srv);
	while ((u = TAILQ_FIRST(server_udp(srv))) != NULL) {
		TAILQ_REMOVE(server_udp(srv), u, entry);
		free(u->bufs);
		free(u);
	}
}

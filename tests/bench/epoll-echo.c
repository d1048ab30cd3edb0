/*
 * epoll-echo.c - the reference for echod's benchmark: a minimal
 * single-threaded, non-blocking epoll echo server, the practical limit of
 * one thread.  No features: no limits, no timeouts, no logging.
 * Usage: epoll-echo PORT   (listens on 127.0.0.1; prints "listening PORT")
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE	65536

struct client {
	int	fd;
	size_t	off, len;	/* pending echo in buf[off..len) */
	char	buf[BUF_SIZE];
};

static int ep;

static void
client_close(struct client *c)
{
	close(c->fd);
	free(c);
}

/* Writes what is pending; returns -1 on error, 1 if some is still left. */
static int
client_flush(struct client *c)
{
	while (c->off < c->len) {
		ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);

		if (n < 0)
			return errno == EAGAIN ? 1 : -1;
		c->off += (size_t)n;
	}
	c->off = c->len = 0;
	return 0;
}

static void
client_event(struct client *c, uint32_t events)
{
	struct epoll_event ev = { 0 };
	ssize_t n;
	int rc;

	if (c->len > 0) {
		if ((rc = client_flush(c)) == -1)
			goto close;
		if (rc == 1)
			return;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(c->fd, c->buf, sizeof(c->buf));
	if (n == 0 || (n < 0 && errno != EAGAIN))
		goto close;
	if (n < 0)
		return;
	c->len = (size_t)n;
	if ((rc = client_flush(c)) == -1)
		goto close;
	if (rc == 1) {
		ev.events = EPOLLOUT;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	return;
close:
	client_close(c);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	socklen_t len = sizeof(sin);
	int lfd, on = 1, i, n;

	signal(SIGPIPE, SIG_IGN);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(argc > 1 ? (uint16_t)atoi(argv[1]) : 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1) {
		perror("epoll-echo");
		return 1;
	}
	printf("listening %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			int fd;

			if (c != NULL) {
				client_event(c, evs[i].events);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) != -1) {
				if ((c = malloc(sizeof(*c))) == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->off = c->len = 0;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
				    sizeof(on));
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			}
		}
	}
}

/* bevread.c - a socket bufferevent's read event, pointed at our reader. */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>

#include "bevread.h"

/* After bufferevent.h (in bevread.h): it needs the callback types. */
#include <event2/bufferevent_struct.h>

int
bevread_install(struct bufferevent *bev, event_callback_fn cb)
{
	if (event_pending(&bev->ev_read, EV_READ | EV_TIMEOUT, NULL))
		return -1;
	/* EV_FINALIZE as libevent sets it: bufferevent_free finalizes it. */
	return event_assign(&bev->ev_read, bufferevent_get_base(bev),
	    bufferevent_getfd(bev), EV_READ | EV_PERSIST | EV_FINALIZE, cb,
	    bev);
}

ssize_t
bevread_fill(struct evbuffer *buf, int fd, size_t max)
{
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	size_t left;
	ssize_t n;
	int i, nv;

	if ((nv = evbuffer_reserve_space(buf, (ev_ssize_t)max, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	/* The reservation may be larger than asked: read no more than max. */
	for (i = 0, left = max; i < nv; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	if ((n = readv(fd, iov, nv)) <= 0)
		return n;	/* an uncommitted reservation is just dropped */
	for (i = 0, left = (size_t)n; i < nv && left > 0; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	evbuffer_commit_space(buf, v, i);
	return n;
}

void *
bevread_arg(struct bufferevent *bev)
{
	return bev->cbarg;
}

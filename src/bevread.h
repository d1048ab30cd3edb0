/*
 * bevread.h - a socket bufferevent whose read event calls our reader.
 *
 * libevent 2.1's socket bufferevent reads at most 4096 bytes per call and
 * asks FIONREAD before each: a third of a plain epoll loop's throughput.
 * bevread_install points the bufferevent's own read event at another
 * callback, which reads 64 KiB at a time (bevread_fill reads into an
 * evbuffer).  This is the one place that knows the bufferevent's layout
 * (bufferevent_struct.h).
 *
 * What keeps working: bufferevent_enable/disable(EV_READ) add and delete
 * that same event; bufferevent_free finalizes it (its argument stays the
 * bufferevent, which libevent's finalizer takes); the write side, the
 * write watermarks and the event callback are libevent's own.
 *
 * A read high watermark still pauses reading (libevent enforces it from a
 * callback on the input buffer) and draining resumes it, but one read may
 * pass the mark by up to its size: libevent's own reads stop at it.
 *
 * What the replacement bypasses, so its user must not rely on it:
 * - the read callback of bufferevent_setcb, and the read low watermark
 *   that gates it;
 * - rate limits (bufferevent_set_rate_limit, rate-limit groups);
 * - the bufferevent's reference and lock around the callback: the
 *   callback may free the bufferevent, but then must not touch it again;
 * - read timeouts are still the event's, but nothing reports them as
 *   BEV_EVENT_TIMEOUT: the callback sees EV_TIMEOUT itself;
 * - bufferevent_setfd and bufferevent_socket_connect re-assign the read
 *   event to libevent's reader, silently undoing the replacement: never
 *   call them on such a bufferevent.
 * tests/unit/test_bevread.c pins each of these against the libevent in use.
 */
#ifndef ECHOD_BEVREAD_H
#define ECHOD_BEVREAD_H

#include <sys/types.h>
#include <stddef.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

/*
 * Makes bev's read event (EV_READ | EV_PERSIST, on bev's descriptor) call
 * cb(fd, what, bev).  Call it before reading is first enabled; -1 if the
 * read event is pending already.
 */
int	bevread_install(struct bufferevent *bev, event_callback_fn cb);
/*
 * Reads up to max bytes from fd into buf without copying, like read(2):
 * the bytes read, 0 at EOF, -1 with errno set (ENOMEM when buf has no
 * room).
 */
ssize_t	bevread_fill(struct evbuffer *buf, int fd, size_t max);
/* The callback argument of bufferevent_setcb, without its lock. */
void	*bevread_arg(struct bufferevent *bev);

#endif

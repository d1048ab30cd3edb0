/* notify.c - READY, STATUS, STOPPING and the watchdog for systemd. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

/* STATUS= is refreshed on a timer, never per event. */
#define NOTIFY_STATUS_MS	5000
/* Extra stop time asked for beyond the drain deadline. */
#define NOTIFY_STOP_SLACK_USEC	5000000ULL

static struct {
	struct event		*status_timer;
	struct event		*watchdog_timer;
	notify_status_fn	 status;
	void			*arg;
	int			 enabled;
	int			 stopping;
	uint64_t		 stop_deadline_us;
} notify;

static void
notify_send_status(const char *prefix)
{
	char status[256];

	notify.status(status, sizeof(status), notify.arg);
	sd_notifyf(0, "%sSTATUS=%s", prefix, status);
}

static void
notify_status_tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = clock_monotonic_us();

	(void)fd;
	(void)what;
	(void)arg;
	notify_send_status("");
	if (notify.stopping && notify.stop_deadline_us > now)
		sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64,
		    (uint64_t)(notify.stop_deadline_us - now +
		    NOTIFY_STOP_SLACK_USEC));
}

static void
notify_watchdog_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static struct event *
notify_timer(struct event_base *base, event_callback_fn cb, uint64_t usec)
{
	struct timeval tv = { (time_t)(usec / 1000000),
	    (suseconds_t)(usec % 1000000) };
	struct event *ev;

	ev = event_new(base, -1, EV_PERSIST, cb, NULL);
	if (ev != NULL && event_add(ev, &tv) == -1) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

int
notify_init(struct event_base *base, notify_status_fn status, void *arg)
{
	uint64_t usec;

	notify.status = status;
	notify.arg = arg;
	notify.enabled = getenv("NOTIFY_SOCKET") != NULL;
	if (sd_watchdog_enabled(0, &usec) > 0) {
		/* Pinged from the loop itself, so a wedged loop is noticed. */
		notify.watchdog_timer = notify_timer(base,
		    notify_watchdog_tick, usec / 2);
		if (notify.watchdog_timer == NULL)
			return -1;
		log_info("watchdog: pinging every %" PRIu64 " ms", usec / 2000);
	}
	if (!notify.enabled)
		return 0;
	notify.status_timer = notify_timer(base, notify_status_tick,
	    NOTIFY_STATUS_MS * 1000ULL);
	return notify.status_timer == NULL ? -1 : 0;
}

void
notify_ready(void)
{
	if (notify.enabled)
		notify_send_status("READY=1\n");
}

void
notify_reloading(void)
{
	if (notify.enabled)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		    clock_monotonic_us());
}

void
notify_reload_failed(const char *why)
{
	if (notify.enabled)
		sd_notifyf(0, "READY=1\nSTATUS=reload failed: %s", why);
}

void
notify_stopping(uint64_t usec)
{
	if (!notify.enabled)
		return;
	notify.stopping = 1;
	notify.stop_deadline_us = clock_monotonic_us() + usec;
	sd_notify(0, "STOPPING=1");
	notify_status_tick(-1, 0, NULL);
}

void
notify_free(void)
{
	if (notify.status_timer != NULL)
		event_free(notify.status_timer);
	if (notify.watchdog_timer != NULL)
		event_free(notify.watchdog_timer);
	notify.status_timer = notify.watchdog_timer = NULL;
}

/*
 * notify.h - the service manager's notification protocol (sd_notify):
 * READY, STATUS, STOPPING, EXTEND_TIMEOUT_USEC and the watchdog.  Every
 * call is a no-op when NOTIFY_SOCKET is not set.
 */
#ifndef ECHOD_NOTIFY_H
#define ECHOD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/* Writes the current STATUS= text (without "STATUS="). */
typedef void (*notify_status_fn)(char *buf, size_t len, void *arg);

/*
 * Starts the watchdog timer (when WATCHDOG_USEC is for us) and the STATUS
 * refresh timer.  Returns -1 if a timer cannot be made.
 */
int	notify_init(struct event_base *base, notify_status_fn status,
	    void *arg);
void	notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=, as a reload starts. */
void	notify_reloading(void);
/* A reload that did not happen: READY=1 again, STATUS= says why. */
void	notify_reload_failed(const char *why);
/* STOPPING=1; the stop may take up to `usec` more. */
void	notify_stopping(uint64_t usec);
void	notify_free(void);

#endif

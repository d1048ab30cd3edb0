/*
 * reloadctl.h - `echod --reload PID`, the synchronous side of a reload
 * (systemd's ExecReload=): it sends SIGHUP and waits for the daemon's one
 * answer, a datagram to the abstract socket "echod-reload.PID" in the
 * caller's network namespace, sent once the reload is done or has failed.
 */
#ifndef ECHOD_RELOADCTL_H
#define ECHOD_RELOADCTL_H

#include <sys/types.h>

/* How long --reload waits: below systemd's default TimeoutStartSec=. */
#define RELOADCTL_WAIT_MS	80000

/*
 * Reloads PID and prints its answer.  Returns 0 reloaded, 1 the reload
 * failed (the daemon serves on unchanged), EX_UNAVAILABLE when PID cannot
 * be signalled or does not answer, EX_TEMPFAIL when another --reload of
 * PID is waiting.
 */
int	reloadctl_request(pid_t pid);
/* The daemon's answer to a waiting --reload: "ok ..." or "failed ...". */
void	reloadctl_answer(int ok, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif

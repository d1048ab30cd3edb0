/*
 * reload.h - SIGHUP and `systemctl reload`: echod re-executes the binary
 * at its path with the same arguments and hands the new image everything
 * (handoff.h): listeners, UDP sockets, connections with the bytes they
 * read and have not echoed yet, counters.  The PID stays; no connection
 * is closed and no byte lost.
 *
 *   old image                          new image
 *   SIGHUP: pre-flight, BINARY ARGS
 *   --check-config --handoff-version;
 *   RELOADING=1;
 *   workers save their connections
 *   and wait; encode, decode-check,
 *   seal in a memfd; execve --------->  check every descriptor, adopt,
 *   (execve failed: resume, READY=1)    READY=1 (cannot adopt: execveat
 *                                       the old image's descriptor with
 *                                       the same hand-off and the old
 *                                       image's settings, sealed in a
 *                                       memfd before its exec; it adopts)
 *
 * The pre-flight's answer is read on the main loop, which serves on
 * meanwhile.  SIGHUPs during it make one more reload once this one is
 * over (sent again to the process: pending and blocked, it
 * survives the exec); a SIGTERM drains at once and the reload is dropped.
 * Signals are blocked and read from a signalfd one at a time (server.c):
 * one arriving while the loops are paused for the hand-off stays pending
 * in the kernel across the exec and is handled by the image after.
 */
#ifndef ECHOD_RELOAD_H
#define ECHOD_RELOAD_H

#include <stdint.h>

struct metrics;
struct metrics_handed;
struct server;

/*
 * Start-up, before anything else: notes the binary's absolute path and
 * argv for the next reload, and what a previous image handed over.
 */
void	reload_init(int argc, char **argv);
/*
 * Given back (a new image could not take over): replaces argc and argv
 * with "--config /proc/self/fd/N" alone, N the settings this image
 * sealed before its exec, so that neither the changed echod.conf nor the
 * command line can make it fail the same way.  reload_init keeps the
 * command line for the next reload.  Otherwise changes nothing.
 */
void	reload_own_args(int *argc, char ***argv);
/* Whether a previous image handed this one its state. */
int	reload_inherited(void);
/*
 * A handed-over image that cannot start gives everything back: it
 * re-executes the previous image with the same hand-off and never
 * returns.  Returns rc at once when nothing was handed over, or after
 * logging when giving back is impossible.
 */
int	reload_give_back(int rc, const char *why);
/* Serves what was handed over; returns 0 or an exit status. */
int	reload_adopt(struct server *srv);
/*
 * After adoption: something the new settings name that could not be
 * served (an address), said with the "reloaded:" line and the answer.
 */
void	reload_note(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* Whether this image serves what a previous one handed over. */
int	reload_adopted(void);
/*
 * The metrics sockets handed over (*n of them) for metrics_open, which
 * serves or closes each and sets its fd to -1.
 */
struct metrics_handed *reload_metrics_handed(size_t *n);
/* The metrics endpoint the next reload hands over; m may be NULL. */
void	reload_metrics_serve(const struct metrics *m);
/* Reloads this process has been through, carried across them (metrics). */
uint64_t reload_count(void);
/* Why the last reload failed (for STATUS=), or NULL. */
const char *reload_failure(void);
/* SIGHUP: returns only if this image serves on (logged, STATUS= says why). */
void	reload_start(struct server *srv);

#endif

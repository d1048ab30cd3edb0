/*
 * proxywait.h - a connection on a PROXY listener before its header: read
 * the header (and nothing after it) within a deadline, then serve the
 * connection as the client the header names.  Runs on the worker the
 * connection was handed to; plain listeners never come here.
 */
#ifndef ECHOD_PROXYWAIT_H
#define ECHOD_PROXYWAIT_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

/* How long a client of a PROXY listener has to send its whole header. */
#define PROXYWAIT_DEADLINE_MS	3000

struct proxywait;
struct worker;
struct worker_conn;

TAILQ_HEAD(proxywait_list, proxywait);

/* Waits for wc's header on w; closes it (and frees its slot) on failure. */
void	proxywait_start(struct worker *w, const struct worker_conn *wc);
/* How many wait on w (a reload waits for none to). */
size_t	proxywait_count(const struct worker *w);
/* Shutdown's deadline or exit: closes every connection still waiting. */
void	proxywait_close_all(struct worker *w);

#endif

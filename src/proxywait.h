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

struct handoff_buf;
struct handoff_conn;
struct listener;
struct proxywait;
struct worker;
struct worker_conn;

TAILQ_HEAD(proxywait_list, proxywait);

/* Waits for wc's header on w; closes it (and frees its slot) on failure. */
void	proxywait_start(struct worker *w, const struct worker_conn *wc);
/* A listener's index in the hand-off. */
typedef uint32_t (*proxywait_index_fn)(void *arg, const struct listener *l);
/*
 * A reload: appends a record of each connection waiting on w (what it
 * took of its header, its deadline) to b, counted in *n; -1 when out of
 * memory.  Nothing changes: if the exec fails they wait on.
 */
int	proxywait_save(struct worker *w, proxywait_index_fn index, void *arg,
	    struct handoff_buf *b, uint32_t *n);
/* Makes their descriptors inheritable for the exec (on), or not. */
void	proxywait_inheritable(struct worker *w, int on);
/* Waits on for the header of a connection a reload handed over (rec). */
void	proxywait_adopt(struct worker *w, const struct worker_conn *wc,
	    const struct handoff_conn *rec);
/* Shutdown's deadline or exit: closes every connection still waiting. */
void	proxywait_close_all(struct worker *w);

#endif

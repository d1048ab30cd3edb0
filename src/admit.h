/*
 * admit.h - admission, its one home: the open-connection count, the
 * per-source table, why accepting is paused, the refusal counters, and the
 * wake-up from workers to the main thread.
 *
 * Threading contract.  The main thread owns the pause state and calls
 * everything here but admit_source(), admit_release(), admit_refuse(),
 * admit_open() and admit_stats(), which any thread may call.  The open count is an atomic;
 * the per-source table has its own lock (taken only with --max-per-source,
 * once per connection, never per read).  A closing connection wakes the
 * main thread only while the main thread wants to know, i.e. while
 * accepting is paused or echod is stopping: admit_pause() sets the wake
 * flag and then looks at the count again, admit_release() lowers the count
 * and then reads the flag (both sequentially consistent), so either the
 * main thread sees the close or the worker sees the flag and writes the
 * eventfd.  Nothing is written per connection while accepting runs.
 */
#ifndef ECHOD_ADMIT_H
#define ECHOD_ADMIT_H

#include <sys/socket.h>
#include <stdint.h>

#include <event2/event.h>

struct admit;
struct persource_entry;

/* Why accepting is paused; it runs while none is set. */
#define ADMIT_PAUSE_LIMIT	0x1	/* --max-connections open */
#define ADMIT_PAUSE_FDS		0x2	/* accept: out of descriptors */
#define ADMIT_PAUSE_MEMORY	0x4	/* accept: out of memory */
#define ADMIT_PAUSE_ERROR	0x8	/* accept: another error */
#define ADMIT_PAUSE_STOP	0x10	/* shutting down, for good */

/* Why an accepted connection was closed unserved. */
enum admit_refusal {
	ADMIT_REFUSED_PER_SOURCE,	/* --max-per-source reached */
	ADMIT_REFUSED_SOURCE_NOMEM,	/* no memory for the per-source entry */
	ADMIT_REFUSED_HANDOFF,		/* no memory to queue the hand-off */
	ADMIT_REFUSED_SETUP,		/* the worker could not set it up */
	ADMIT_REFUSED_COUNT
};

/* Why accept() failed; each pauses accepting for a moment. */
enum admit_accept_error {
	ADMIT_ACCEPT_FDS,		/* EMFILE, ENFILE */
	ADMIT_ACCEPT_MEMORY,		/* ENOMEM, ENOBUFS */
	ADMIT_ACCEPT_OTHER,
	ADMIT_ACCEPT_COUNT
};

/* Every counter, summed when read (a metrics scrape, SIGUSR1). */
struct admit_stats {
	uint64_t	open;
	uint64_t	accepted;	/* taken, whatever came of them */
	uint64_t	refused[ADMIT_REFUSED_COUNT];
	uint64_t	accept_errors[ADMIT_ACCEPT_COUNT];
	uint64_t	limit_pauses;	/* times --max-connections was hit */
};

/* Main thread: accepting should now run (on) or stop. */
typedef void (*admit_accepting_fn)(void *arg, int on);
/* Main thread: stopping, and no connection is open any more. */
typedef void (*admit_drained_fn)(void *arg);

/*
 * Admission on the main loop base.  limit 0: derive it later with
 * admit_derive_limit().  Returns NULL after logging what failed.
 */
struct admit *admit_new(struct event_base *base, uint64_t limit,
	    uint64_t max_per_source, admit_accepting_fn accepting,
	    admit_drained_fn drained, void *arg);
void	admit_free(struct admit *a);

/*
 * With no --max-connections, the limit is what the open-file limit leaves
 * once echod holds what it needs to run (listeners, UDP sockets, its event
 * loops, the journal), less a margin for what it opens for a moment
 * (sd_notify, metrics scrapes, a reload).  Call when everything is open.
 */
void	admit_derive_limit(struct admit *a);
uint64_t admit_limit(const struct admit *a);

/*
 * A connection from sa was accepted.  Returns its id (from 1), or 0 if it
 * is refused (logged and counted; the caller closes it).  *source is what
 * the connection hands back to admit_release(); source NULL: the client is
 * not known yet (behind a balancer), admit_source() counts it later.  May
 * pause accepting.
 */
uint64_t admit_take(struct admit *a, const struct sockaddr *sa, socklen_t len,
	    struct persource_entry **source);
/*
 * Any thread: counts the client a PROXY header named against
 * --max-per-source.  0, or -1 if it is refused (logged and counted; the
 * caller closes it and releases its slot with a NULL source).
 */
int	admit_source(struct admit *a, const struct sockaddr *sa, socklen_t len,
	    struct persource_entry **source);
/*
 * Reload, as the new image starts: a connection handed over is open
 * (counted against its source if it fits, never refused); the counters
 * of the images before are added to this one's, ids going on from them.
 */
void	admit_adopt(struct admit *a, const struct sockaddr *sa,
	    struct persource_entry **source);
void	admit_carry(struct admit *a, const struct admit_stats *st);
/*
 * Reload, once every connection handed over is adopted: pauses accepting
 * if they fill the limit, as admit_take() would have (with a limit still
 * to derive, admit_derive_limit() does this).
 */
void	admit_adopted(struct admit *a);
/* Any thread: a connection taken by admit_take() has closed. */
void	admit_release(struct admit *a, struct persource_entry *source);
/* Any thread: a taken connection is closed unserved; logs and releases. */
void	admit_refuse(struct admit *a, struct persource_entry *source,
	    enum admit_refusal why);
/* accept() on the named listener failed with err: logs, counts, pauses. */
void	admit_accept_error(struct admit *a, const char *listener, int err);

/* Pauses accepting for a reason, or lifts it (ADMIT_PAUSE_*). */
void	admit_pause(struct admit *a, unsigned reason);
void	admit_resume(struct admit *a, unsigned reason);
/* Stops accepting for good; drained runs once nothing is open. */
void	admit_stop(struct admit *a);
int	admit_stopping(const struct admit *a);

/* Any thread: open connections, and every counter. */
uint64_t admit_open(const struct admit *a);
void	admit_stats(const struct admit *a, struct admit_stats *st);

#endif

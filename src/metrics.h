/*
 * metrics.h - the Prometheus endpoint: GET /metrics on libevent's evhttp,
 * on the main loop, in the text exposition format (version 0.0.4).  The
 * numbers are summed from the threads' own counters at scrape time
 * (server_counters_sum), so serving them costs the hot path nothing.
 *
 * A scraper cannot stall the loop or grow memory: a few connections at
 * once (more wait in the kernel's listen queue), small request limits, and
 * a deadline per request.
 */
#ifndef ECHOD_METRICS_H
#define ECHOD_METRICS_H

#include <event2/event.h>

#include "listener.h"
#include "opt.h"

struct metrics;
struct server;

/* A listening metrics socket, as a reload hands it to the next image. */
struct metrics_handed {
	int			 fd;
	char			 spec[ADDR_TEXT_MAX];	/* its --metrics text */
	struct listener_file	 file;			/* path "" if none */
};

/*
 * Listens on every address in addrs (TCP or unix:) and serves srv's
 * counters there.  Sockets a reload handed over (reload_metrics_handed)
 * serve the addresses they were opened for, the others are closed.
 * Returns 0 with *out set (NULL when addrs is empty), or an exit status
 * after logging which address failed and why; after a reload, never an
 * exit: an address that cannot be served is logged and left out.
 */
int	metrics_open(struct event_base *base, const struct addr_list *addrs,
	    const struct server *srv, struct metrics **out);
typedef void (*metrics_foreach_fn)(void *arg, const struct metrics_handed *s);
/* Calls fn for each listening socket, for a reload; m may be NULL. */
void	metrics_foreach(const struct metrics *m, metrics_foreach_fn fn,
	    void *arg);
/* Closes the listeners and any scrape in progress; m may be NULL. */
void	metrics_free(struct metrics *m);

#endif

/* listener.h - listening sockets: bind, accept, pause and resume. */
#ifndef ECHOD_LISTENER_H
#define ECHOD_LISTENER_H

#include <sys/queue.h>
#include <sys/types.h>

#include <event2/listener.h>

#include "addr.h"

struct server;

/* A Unix socket file echod made: the inode, so it removes only that one. */
struct listener_file {
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;
	ino_t			 ino;
};

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct server		*srv;
	struct evconnlistener	*evl;		/* NULL once closed */
	char			 name[ADDR_TEXT_MAX];	/* the bound address */
	char			 spec[ADDR_TEXT_MAX];	/* --listen text, or "" */
	int			 proxy;	/* clients start with a PROXY header */
	char			 fdname[64];	/* systemd's name, if passed */
	struct listener_file	 file;		/* path "" if none */
};

TAILQ_HEAD(listener_list, listener);

/*
 * Adopts the sockets systemd passed, opens every --listen address, and
 * with neither, the default *:7.  Returns 0, or an exit status after
 * logging which address failed and why.
 */
int	listener_open_all(struct server *srv);
/* Starts or stops accepting on every listener (admission decides). */
void	listener_accepting(struct server *srv, int on);
/*
 * Serves a listening socket handed over by a reload (reload.c checked
 * it); fdname and spec (its --listen text) may be "", file NULL.  fd -1:
 * a listener closed before, kept for the connections that name it.  NULL
 * when out of memory.
 */
struct listener *listener_take_over(struct server *srv, int fd,
	    const char *name, const char *fdname,
	    const struct listener_file *file, int proxy, const char *spec);
/*
 * After a reload: closes the listeners echod opened (never systemd's)
 * whose --listen text the settings no longer name, their connections
 * served on, and opens those the settings add.  Returns how many could
 * not be opened (logged); echod serves on regardless.
 */
unsigned listener_apply(struct server *srv);
/*
 * Stops listening: closes every socket and removes the Unix socket files
 * echod made (if they are still the ones it made).  The structs stay (connections name their listener) until
 * listener_free_all().
 */
void	listener_close_all(struct server *srv);
/*
 * Removes f's socket file if it is still the one echod made (the path may
 * name another server's by now); f->path "" is none.
 */
void	listener_unlink(const struct listener_file *f);
void	listener_free_all(struct server *srv);
/*
 * A socket file left by a dead server refuses connections: removes it and
 * returns 0 (also when there is none).  -1 with EADDRINUSE when a server
 * answers there (the probe never blocks: a full queue says EAGAIN), with
 * EEXIST when the path is not a socket.
 */
int	listener_unix_stale(const struct addr_spec *spec,
	    const struct sockaddr_un *sun, socklen_t len);

#endif

/*
 * persource.h - open connections counted per client address, for
 * --max-per-source.  Entries exist only while a source has connections,
 * so the table is bounded by --max-connections.
 */
#ifndef ECHOD_PERSOURCE_H
#define ECHOD_PERSOURCE_H

#include <sys/socket.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PERSOURCE_BUCKETS	4096

struct persource_entry;

struct persource {
	struct persource_entry	*buckets[PERSOURCE_BUCKETS];
	pthread_mutex_t		 lock;	/* closes come from every thread */
	uint64_t		 limit;	/* 0: off */
};

void	persource_init(struct persource *ps, uint64_t limit);
void	persource_free(struct persource *ps);
/* What persource_add() returns besides 0 (counted). */
#define PERSOURCE_FULL	(-1)	/* the source is at the limit */
#define PERSOURCE_NOMEM	(-2)	/* no memory for a new source's entry */

/*
 * Counts a connection from sa: 0, PERSOURCE_FULL or PERSOURCE_NOMEM.
 * *entry is what to hand back to persource_del (NULL: not counted).
 */
int	persource_add(struct persource *ps, const struct sockaddr *sa,
	    struct persource_entry **entry);
void	persource_del(struct persource *ps, struct persource_entry *entry);

#endif

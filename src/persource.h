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
/*
 * Counts a connection from sa; returns -1 if it would pass the limit.
 * *entry is what to hand back to persource_del (NULL: not counted).
 */
int	persource_add(struct persource *ps, const struct sockaddr *sa,
	    struct persource_entry **entry);
void	persource_del(struct persource *ps, struct persource_entry *entry);

#endif

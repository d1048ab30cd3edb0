/*
 * srclimit.h - token buckets per source address in a fixed-size table, so a
 * flood from spoofed sources costs bounded memory.  When every slot a source
 * may use is busy, it shares the oldest slot's bucket: under such a flood
 * newcomers are limited together rather than let through.
 */
#ifndef ECHOD_SRCLIMIT_H
#define ECHOD_SRCLIMIT_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

struct srclimit_slot {
	uint8_t		addr[16];	/* IPv6, or IPv4 mapped into it */
	uint64_t	last_ms;	/* 0: free */
	uint64_t	millitokens;
};

struct srclimit {
	struct srclimit_slot	*slots;
	size_t			 mask;		/* slots - 1, a power of two */
	uint64_t		 rate;		/* tokens per second */
	uint64_t		 burst;
	uint64_t		 key[2];	/* hash key, random */
	uint64_t		 shared;	/* sources that had to share */
};

/* rate 0 disables limiting.  size is rounded up to a power of two. */
int	srclimit_init(struct srclimit *sl, size_t size, uint64_t rate,
	    uint64_t burst);
void	srclimit_free(struct srclimit *sl);
/* Returns 1 if a datagram from sa may be answered at now_ms, else 0. */
int	srclimit_take(struct srclimit *sl, const struct sockaddr *sa,
	    uint64_t now_ms);

#endif

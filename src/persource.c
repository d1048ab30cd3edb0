/* persource.c - connections counted per client address. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "persource.h"

struct persource_entry {
	struct persource_entry	*next;
	uint8_t			 addr[16];
	size_t			 bucket;
	uint64_t		 count;
};

void
persource_init(struct persource *ps, uint64_t limit)
{
	memset(ps->buckets, 0, sizeof(ps->buckets));
	pthread_mutex_init(&ps->lock, NULL);
	ps->limit = limit;
}

void
persource_free(struct persource *ps)
{
	struct persource_entry *e;
	size_t i;

	for (i = 0; i < PERSOURCE_BUCKETS; i++)
		while ((e = ps->buckets[i]) != NULL) {
			ps->buckets[i] = e->next;
			free(e);
		}
	pthread_mutex_destroy(&ps->lock);
}

/* Returns 0 for addresses that are not counted (Unix peers). */
static int
persource_key(const struct sockaddr *sa, uint8_t addr[16], size_t *bucket)
{
	uint32_t h = 2166136261u;
	size_t i;

	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else if (sa->sa_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
	} else
		return 0;
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	*bucket = h % PERSOURCE_BUCKETS;
	return 1;
}

static struct persource_entry **
persource_find(struct persource *ps, const uint8_t addr[16], size_t bucket)
{
	struct persource_entry **pe;

	for (pe = &ps->buckets[bucket]; *pe != NULL; pe = &(*pe)->next)
		if (memcmp((*pe)->addr, addr, 16) == 0)
			break;
	return pe;
}

int
persource_add(struct persource *ps, const struct sockaddr *sa,
    struct persource_entry **entry)
{
	struct persource_entry **pe, *e;
	uint8_t addr[16];
	size_t bucket;
	int rc = PERSOURCE_FULL;

	*entry = NULL;
	if (ps->limit == 0 || !persource_key(sa, addr, &bucket))
		return 0;
	pthread_mutex_lock(&ps->lock);
	pe = persource_find(ps, addr, bucket);
	if ((e = *pe) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			rc = PERSOURCE_NOMEM;
			goto out;
		}
		memcpy(e->addr, addr, 16);
		e->bucket = bucket;
		e->next = ps->buckets[bucket];
		ps->buckets[bucket] = e;
	}
	if (e->count < ps->limit) {
		e->count++;
		*entry = e;
		rc = 0;
	}
out:
	pthread_mutex_unlock(&ps->lock);
	return rc;
}

void
persource_del(struct persource *ps, struct persource_entry *entry)
{
	struct persource_entry **pe;

	if (entry == NULL)
		return;
	pthread_mutex_lock(&ps->lock);
	if (--entry->count == 0) {
		for (pe = &ps->buckets[entry->bucket]; *pe != entry;
		    pe = &(*pe)->next)
			;
		*pe = entry->next;
		free(entry);
	}
	pthread_mutex_unlock(&ps->lock);
}

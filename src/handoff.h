/*
 * handoff.h - the state one echod image hands the next across a reload:
 * listeners, UDP and metrics sockets, connections with the bytes they have read but not
 * yet echoed, and the counters.  Pure encoding and decoding, no I/O: the
 * caller writes the bytes to a memfd and passes the descriptors by exec.
 *
 * Layout, all integers little-endian:
 *
 *   header   magic "ECHODHO\n", u32 version, u32 header size, u64 body size,
 *            u64 FNV-1a 64 of all that follows it, u32 listeners,
 *            u32 connections, u64 monotonic time the clients were paused at
 *   body     HANDOFF_NCOUNTERS x u64, then each listener, then each
 *            connection with its pending bytes
 *
 * A decoder trusts nothing: sizes, counts, indexes, strings and flags are
 * checked against the buffer before use.  What the descriptors are is for
 * the caller to check (see reload.c).
 */
#ifndef ECHOD_HANDOFF_H
#define ECHOD_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

/* Bump on any change of the layout; a build may set it to test refusal. */
#ifndef HANDOFF_VERSION
#define HANDOFF_VERSION		4
#endif

#define HANDOFF_HEADER_SIZE	48
/* Far above anything echod can hold, far below what overflows a size_t. */
#define HANDOFF_MAX_LISTENERS	65536
#define HANDOFF_MAX_CONNS	16777216
#define HANDOFF_NAME_MAX	320	/* above ADDR_TEXT_MAX, with a prefix */
#define HANDOFF_FDNAME_MAX	64
#define HANDOFF_PATH_MAX	108	/* sun_path */

enum handoff_listener_kind {
	HANDOFF_STREAM = 1,	/* a listening TCP or Unix stream socket */
	HANDOFF_DGRAM = 2,	/* a UDP socket */
	HANDOFF_METRICS = 3,	/* a listening --metrics socket */
	HANDOFF_CLOSED = 4,	/* a stream listener closed, fd -1: kept */
				/* for the connections that name it */
};

/* The counters that outlive an image, in their order in the body. */
enum handoff_counter {
	HANDOFF_ACCEPTED,	/* ids go on from here */
	HANDOFF_LIMIT_PAUSES,
	HANDOFF_REFUSED_PER_SOURCE,
	HANDOFF_REFUSED_SOURCE_NOMEM,
	HANDOFF_REFUSED_HANDOFF,
	HANDOFF_REFUSED_SETUP,
	HANDOFF_ACCEPT_FDS,
	HANDOFF_ACCEPT_MEMORY,
	HANDOFF_ACCEPT_OTHER,
	HANDOFF_BYTES_IN,	/* TCP and Unix, closed or handed over */
	HANDOFF_BYTES_OUT,
	HANDOFF_UNIX_BYTES_IN,	/* the Unix part of them */
	HANDOFF_UNIX_BYTES_OUT,
	HANDOFF_UDP_IN,
	HANDOFF_UDP_OUT,
	HANDOFF_UDP_BYTES_IN,
	HANDOFF_UDP_BYTES,
	HANDOFF_UDP_DROP_LOOP,
	HANDOFF_UDP_DROP_RATE,
	HANDOFF_UDP_DROP_SIZE,
	HANDOFF_UDP_DROP_SEND,
	HANDOFF_RELOADS,
	HANDOFF_NCOUNTERS
};

struct handoff_listener {
	int		 fd;
	uint8_t		 kind;		/* enum handoff_listener_kind */
	uint8_t		 passed;	/* by systemd: never unlinked */
	uint8_t		 proxy;		/* clients send a PROXY header */
	char		 name[HANDOFF_NAME_MAX];	/* as logged */
	char		 fdname[HANDOFF_FDNAME_MAX];	/* systemd's, or "" */
	char		 unlink_path[HANDOFF_PATH_MAX];	/* ours to remove */
	uint64_t	 file_dev;	/* the unlink_path inode echod made */
	uint64_t	 file_ino;
	/* The --listen or --metrics text it was opened from; "" if passed. */
	char		 spec[HANDOFF_NAME_MAX];
};

/* Connection state flags, as in struct conn. */
#define HANDOFF_READ_PAUSED	0x01
#define HANDOFF_PEER_EOF	0x02
#define HANDOFF_DRAINING	0x04
#define HANDOFF_LINGERING	0x08
#define HANDOFF_VIA_PROXY	0x10	/* lb_* name the balancer */
/*
 * Still sending its PROXY header: the peer is the balancer, pending what
 * was taken of the header (the rest is in the socket), window_us the
 * header's deadline; on a proxy listener, with no other flag.
 */
#define HANDOFF_MIDHEADER	0x20
#define HANDOFF_CONN_FLAGS	0x3f
/* The most a mid-header connection holds (above PROXY_HEADER_MAX). */
#define HANDOFF_HELD_MAX	4096

struct handoff_conn {
	int		 fd;
	uint32_t	 listener;	/* index into the listeners */
	uint64_t	 id;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 start_us;	/* CLOCK_MONOTONIC: survives exec */
	uint64_t	 window_us;
	uint64_t	 window_bytes;
	uint8_t		 peer_addr[16];
	uint16_t	 peer_port;	/* network order */
	uint8_t		 peer_family;	/* AF_INET, AF_INET6, or AF_UNSPEC */
	uint8_t		 flags;		/* HANDOFF_READ_PAUSED ... */
	uint8_t		 lb_family;	/* the socket's: AF_INET, AF_INET6, AF_UNIX */
	uint8_t		 lb_addr[16];	/* with HANDOFF_VIA_PROXY */
	uint16_t	 lb_port;
	uint32_t	 pending_len;	/* read, not yet echoed */
	const uint8_t	*pending;	/* decoded: points into the buffer */
};

/* A growing byte buffer; an allocation failure sticks in `failed`. */
struct handoff_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
	int		 failed;
};

void	handoff_buf_free(struct handoff_buf *b);

/*
 * Encoding: handoff_begin reserves the header and writes the counters;
 * listeners and connections follow in that order (connection records of
 * several workers may be built in their own buffers and appended with
 * handoff_append); handoff_end fills in the header.  handoff_put_conn
 * returns where to copy the c->pending_len pending bytes, or NULL when out
 * of memory.  handoff_end returns 0, or -1 if any step ran out of memory.
 */
void	handoff_begin(struct handoff_buf *b,
	    const uint64_t counters[HANDOFF_NCOUNTERS]);
void	handoff_put_listener(struct handoff_buf *b,
	    const struct handoff_listener *l);
uint8_t	*handoff_put_conn(struct handoff_buf *b, const struct handoff_conn *c);
void	handoff_append(struct handoff_buf *b, const struct handoff_buf *from);
int	handoff_end(struct handoff_buf *b, uint32_t nlisteners,
	    uint32_t nconns, uint64_t paused_us);

struct handoff {
	uint32_t		 version;
	uint64_t		 paused_us;
	uint64_t		 counters[HANDOFF_NCOUNTERS];
	uint32_t		 nlisteners;
	struct handoff_listener	*listeners;
	uint32_t		 nconns;
	struct handoff_conn	*conns;		/* pending points into buf */
};

/*
 * Decodes and checks buf; on success fills *h (free with handoff_free;
 * buf must outlive it) and returns 0.  On any inconsistency returns -1
 * with a one-line reason in why and nothing allocated.
 */
int	handoff_decode(const uint8_t *buf, size_t len, struct handoff *h,
	    char *why, size_t whylen);
void	handoff_free(struct handoff *h);

#endif

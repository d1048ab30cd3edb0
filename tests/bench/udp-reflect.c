/*
 * udp-reflect.c - the UDP reference for echod's benchmark: a minimal
 * reflector, one blocking recvmmsg and one sendmmsg per batch of up to 32
 * datagrams of up to 64 KiB, the practical limit of one thread.  No
 * features: no limits, no loop guard, no reply address pinning.
 * Usage: udp-reflect PORT   (binds 127.0.0.1; prints "listening udp PORT")
 */
#include <sys/socket.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH		32
#define DGRAM_MAX	65536

static char bufs[BATCH][DGRAM_MAX];
static struct sockaddr_in peers[BATCH];
static struct iovec iov[BATCH];
static struct mmsghdr msgs[BATCH];

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, i, n, sent, rc;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(argc > 1 ? (uint16_t)atoi(argv[1]) : 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("udp-reflect");
		return 1;
	}
	printf("listening udp %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = DGRAM_MAX;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perror("udp-reflect: recvmmsg");
			return 1;
		}
		for (i = 0; i < n; i++)
			iov[i].iov_len = msgs[i].msg_len;
		/* A datagram the kernel refuses is dropped, as echod does. */
		for (sent = 0; sent < n; sent += rc > 0 ? rc : 1)
			rc = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
	}
}

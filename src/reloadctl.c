/* reloadctl.c - echod --reload PID: signal, then wait for the answer. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "reloadctl.h"
#include "units.h"

static socklen_t
reloadctl_name(pid_t pid, struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* Abstract: a leading NUL, no file, gone with the socket. */
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
	    "echod-reload.%ld", (long)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)n);
}

void
reloadctl_answer(int ok, const char *fmt, ...)
{
	struct sockaddr_un sun;
	socklen_t len = reloadctl_name(getpid(), &sun);
	char msg[512];
	va_list ap;
	int fd, n;

	n = snprintf(msg, sizeof(msg), "%s ", ok ? "ok" : "failed");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return;
	/* Nobody waiting (a plain kill -HUP) is the usual case: no error. */
	(void)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, len);
	close(fd);
}

/* Waits for one datagram sent by pid itself; 1 with it in msg, else 0. */
static int
reloadctl_wait(int fd, pid_t pid, char *msg, size_t len)
{
	uint64_t deadline = clock_monotonic_ms() + RELOADCTL_WAIT_MS;
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	struct ucred uc;
	uint64_t now;
	ssize_t n;

	while ((now = clock_monotonic_ms()) < deadline) {
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = msg;
		iov.iov_len = len - 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) < 0)
			continue;
		c = CMSG_FIRSTHDR(&mh);
		if (c == NULL || c->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&uc, CMSG_DATA(c), sizeof(uc));
		if (uc.pid != pid)
			continue;	/* not from the daemon: ignore it */
		msg[n] = '\0';
		return 1;
	}
	return 0;
}

int
reloadctl_request(pid_t pid)
{
	struct sockaddr_un sun;
	socklen_t len = reloadctl_name(pid, &sun);
	char msg[512];
	int fd, on = 1, rc = EX_UNAVAILABLE;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1) {
		fprintf(stderr, "echod: --reload: socket: %s\n",
		    strerror(errno));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		fprintf(stderr, "echod: --reload %ld: %s\n", (long)pid,
		    errno == EADDRINUSE ? "another reload is waiting for it" :
		    strerror(errno));
		rc = errno == EADDRINUSE ? EX_TEMPFAIL : EX_UNAVAILABLE;
		goto out;
	}
	if (kill(pid, SIGHUP) == -1) {
		fprintf(stderr, "echod: --reload %ld: %s\n", (long)pid,
		    strerror(errno));
		goto out;
	}
	if (!reloadctl_wait(fd, pid, msg, sizeof(msg))) {
		fprintf(stderr, "echod: --reload %ld: no answer in %d s\n",
		    (long)pid, RELOADCTL_WAIT_MS / 1000);
		goto out;
	}
	rc = strncmp(msg, "ok ", 3) == 0 ? 0 : 1;
	fprintf(rc == 0 ? stdout : stderr, "echod: %s\n", msg);
out:
	if (fd != -1)
		close(fd);
	return rc;
}

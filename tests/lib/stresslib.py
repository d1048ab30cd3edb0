"""Helpers for the stress tests: many sockets at once, figures.

Each test is a standalone script, run by ci-stage.sh, that starts a real
echod on loopback through echodtest and exits 0 on pass, 1 on failure, 77
to skip.  Every loop here is bounded in count and in time.
"""
import errno
import os
import re
import selectors
import socket
import sys
import time

from echodtest import Echod, not_measurable  # noqa: F401
from fdlimit import fd_count, nofile_limit, raise_nofile  # noqa: F401
from harness import ECHOD, WRAPPER, SkipTest, run  # noqa: F401

# Clients bind to these loopback sources in turn: one source address has
# only ~28,000 ephemeral ports, and each closed connection keeps its port in
# TIME_WAIT for a minute, so 100,000 short connections need several.
SOURCES = ["127.0.0.%d" % i for i in range(2, 18)]


def connect_at_once(addr, n):
    """Starts n non-blocking connects to addr, from SOURCES in turn;
    returns the sockets in order."""
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((SOURCES[i % len(SOURCES)], 0))
        err = s.connect_ex(addr)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            raise AssertionError("connect #%d: %s" % (i, errno.errorcode[err]))
        socks.append(s)
    return socks


def bare():
    """Skips under ECHOD_WRAPPER: thousands of connections through
    valgrind prove nothing the e2e suite under valgrind does not."""
    if WRAPPER:
        raise SkipTest("the stress tests run echod bare, not under %s"
                       % WRAPPER[0])


def check_rss(ok, message):
    """Asserts on a memory figure, unless echod's RSS is not its own
    (ASan's shadow and quarantine): then only says so."""
    why = not_measurable()
    if why:
        print("not asserted (%s): %s" % (why, message))
        return
    assert ok, message


def settle(echod, want_fds, timeout=30.0):
    """Waits until echod holds want_fds descriptors; returns the count."""
    deadline = time.monotonic() + timeout
    while True:
        n = fd_count(echod.proc.pid)
        if n <= want_fds or time.monotonic() > deadline:
            return n
        time.sleep(0.2)


class Timeout(AssertionError):
    pass


def connect_many(addr, n, window=256, timeout=120.0):
    """Opens n TCP connections to addr, at most window connecting at once.

    Returns the connected non-blocking sockets.  Connections are spread
    over SOURCES.  Fails if they are not all up within timeout seconds.
    """
    sel = selectors.DefaultSelector()
    done, pending, started = [], 0, 0
    deadline = time.monotonic() + timeout
    try:
        while len(done) < n:
            while started < n and pending < window:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.bind((SOURCES[started % len(SOURCES)], 0))
                err = s.connect_ex(addr)
                if err not in (0, errno.EINPROGRESS):
                    s.close()
                    raise AssertionError("connect #%d: %s"
                                         % (started, os.strerror(err)))
                sel.register(s, selectors.EVENT_WRITE)
                started += 1
                pending += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("only %d of %d connections up after %.0fs"
                              % (len(done), n, timeout))
            for key, _ in sel.select(min(left, 1.0)):
                s = key.fileobj
                sel.unregister(s)
                pending -= 1
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    s.close()
                    raise AssertionError("connect: %s" % os.strerror(err))
                done.append(s)
    except BaseException:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        for s in done:
            s.close()
        raise
    finally:
        sel.close()
    return done


def round_trips(socks, rounds, size=32, timeout=120.0):
    """Each socket sends size bytes and reads them back, rounds times.

    The payload names the connection and the round, so an echo delivered
    to the wrong connection, or stale, fails.  All sockets run at once.
    """
    sel = selectors.DefaultSelector()
    state = {}

    def payload(i, r):
        return ("%d.%d." % (i, r)).encode().ljust(size, b"x")

    for i, s in enumerate(socks):
        state[s] = [i, 0, b""]
        s.send(payload(i, 0))
        sel.register(s, selectors.EVENT_READ)
    left_conns = len(socks)
    deadline = time.monotonic() + timeout
    try:
        while left_conns:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("%d of %d connections still waiting for an "
                              "echo after %.0fs"
                              % (left_conns, len(socks), timeout))
            for key, _ in sel.select(min(left, 1.0)):
                s = key.fileobj
                st = state[s]
                data = s.recv(size - len(st[2]))
                if not data:
                    raise AssertionError("connection %d closed by echod "
                                         "in round %d" % (st[0], st[1]))
                st[2] += data
                if len(st[2]) < size:
                    continue
                if st[2] != payload(st[0], st[1]):
                    raise AssertionError("connection %d: got %r"
                                         % (st[0], st[2]))
                st[1] += 1
                st[2] = b""
                if st[1] == rounds:
                    sel.unregister(s)
                    left_conns -= 1
                else:
                    s.send(payload(st[0], st[1]))
    finally:
        sel.close()


def report(name, value, unit, note=""):
    """Prints one figure in a form easy to grep from CI logs."""
    print("figure: %-34s %12s %-6s %s" % (name, value, unit, note))
    sys.stdout.flush()


COMPLAINT_RE = re.compile(r"echod\[\d+\]: (emerg|alert|crit|err|warning):")


def stop_clean(echod, served):
    """SIGTERM; echod must exit 0 having served `served` connections and
    logged no warning or error (an accept pause, a failed set-up)."""
    rc = echod.stop()
    log = echod.log()
    assert rc == 0, "echod exited %d:\n%s" % (rc, log)
    bad = [line for line in echod.lines if COMPLAINT_RE.search(line)]
    assert not bad, "echod complained:\n" + "\n".join(bad[:20])
    m = re.search(r"exiting: (\d+) connections served", log)
    assert m, "no exit summary in echod's log:\n" + log
    assert int(m.group(1)) == served, \
        "echod served %s connections, the test made %d" % (m.group(1), served)


class explain:
    """Prints echod's last log lines when an assertion fails in the block."""

    def __init__(self, echod, lines=40):
        self.echod, self.n = echod, lines

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None and issubclass(kind, AssertionError):
            state = "running" if self.echod.proc.poll() is None else \
                "exited %d" % self.echod.proc.returncode
            print("echod (%s), its last log lines:\n%s" % (
                state, "\n".join(self.echod.lines[-self.n:])))
        return False

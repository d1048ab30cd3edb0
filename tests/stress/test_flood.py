#!/usr/bin/env python3
"""Floods of 15,000 connections at once lose none (issue 10, defect 1).

Each flood starts FLOOD non-blocking connects with no window, and the
main thread hands off thousands of connections per wake-up of a worker.
Every connection then sends a payload naming it and must get exactly that
back: a connection accepted and closed (or reset) without its echo fails
the test.  FLOODS floods run against `--threads 2` and as many against the
default thread count (one per CPU; skipped where that is 2 as well, being
the same run again), and echod must log no warning: no refusal, no accept
pause.

Each flood is sent while echod is stopped (SIGSTOP, as a busy machine or a
stalled loop would), so the whole listen queue (--backlog 4096) is taken
in one accept callback.  Before the fix the hand-off went through a
non-blocking pipe holding ~370 connections; a flood overran it and echod
closed the rest at once, logging "refusing a connection: workers are not
keeping up" (the first flood failed: "connection 9525 closed by echod after
0 of 24 bytes").
"""
import errno
import os
import selectors
import signal
import socket
import subprocess
import time

import stresslib
from harness import wait_until
from stresslib import Echod, report, run

FLOOD = 15000
FLOODS = 5
PAYLOAD = 24
# The client holds a flood's sockets, echod as many plus its own.
CLIENT_NOFILE = FLOOD + 1000
ECHOD_NOFILE = FLOOD + 1000
FLOOD_TIMEOUT = 120.0
BACKLOG = 4096


def payload(n):
    return ("%d." % n).encode().ljust(PAYLOAD, b"f")


def open_all(addr, n, deadline):
    """Starts n connects at once; returns {socket: number}."""
    socks = {s: i for i, s in enumerate(stresslib.connect_at_once(addr, n))}
    assert time.monotonic() < deadline, "connects took too long"
    return socks


def echo_all(socks, deadline):
    """Each socket sends its payload once connected and reads it back."""
    sel = selectors.DefaultSelector()
    got = {}
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    left = len(socks)
    try:
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise stresslib.Timeout(
                    "%d of %d connections without their echo after %.0fs"
                    % (left, len(socks), FLOOD_TIMEOUT))
            for key, events in sel.select(min(wait, 1.0)):
                s, n = key.fileobj, socks[key.fileobj]
                if events & selectors.EVENT_WRITE:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    assert not err, "connection %d: connect: %s" % (
                        n, errno.errorcode.get(err, err))
                    assert s.send(payload(n)) == PAYLOAD
                    got[s] = b""
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                try:
                    data = s.recv(PAYLOAD)
                except ConnectionResetError:
                    raise AssertionError("connection %d reset by echod "
                                         "before its echo" % n)
                assert data, "connection %d closed by echod after %d of " \
                    "%d bytes" % (n, len(got[s]), PAYLOAD)
                got[s] += data
                if len(got[s]) == PAYLOAD:
                    assert got[s] == payload(n), \
                        "connection %d: got %r" % (n, got[s])
                    sel.unregister(s)
                    left -= 1
    finally:
        sel.close()


def accept_queue(port):
    """Connections waiting in the listen queue of 127.0.0.1:port."""
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port],
                         stdout=subprocess.PIPE, text=True).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


def flood(d, base_fds, which):
    t0 = time.monotonic()
    deadline = t0 + FLOOD_TIMEOUT
    # Stopped, echod accepts nothing: the whole listen queue is then
    # handed off in one accept callback, as after any stall of the loop.
    d.proc.send_signal(signal.SIGSTOP)
    try:
        socks = open_all(d.addr(), FLOOD, deadline)
        wait_until(lambda: accept_queue(d.addr()[1]) >= BACKLOG,
                   timeout=30.0, what="a full listen queue")
        queued = accept_queue(d.addr()[1])
    finally:
        d.proc.send_signal(signal.SIGCONT)
    try:
        echo_all(socks, deadline)
    finally:
        for s in socks:
            s.close()
    report("flood %s: %d echoed" % (which, FLOOD),
           "%.1f" % (time.monotonic() - t0), "s",
           "(%d queued at once)" % queued)
    left = stresslib.settle(d, base_fds, timeout=60)
    assert left == base_fds, "echod still holds %d descriptors, %d " \
        "before" % (left, base_fds)


def floods(*args):
    with Echod("--idle-timeout", "0", "--backlog", str(BACKLOG), *args,
               preexec_fn=stresslib.nofile_limit(ECHOD_NOFILE)) as d, \
            stresslib.explain(d):
        base_fds = stresslib.fd_count(d.pid)
        for i in range(FLOODS):
            flood(d, base_fds, "%s #%d" % (" ".join(args) or "default", i + 1))
        stresslib.stop_clean(d, FLOOD * FLOODS)


def test():
    stresslib.bare()
    stresslib.raise_nofile(CLIENT_NOFILE)
    floods("--threads", "2")
    # echod's default is one loop per CPU it may run on, as here.
    if len(os.sched_getaffinity(0)) != 2:
        floods()


run(test)

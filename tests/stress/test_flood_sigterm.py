#!/usr/bin/env python3
"""SIGTERM in a flood drains every accepted connection and exits (issue 10,
defect 2).

echod is stopped while FLOOD clients connect, so its listen queue fills;
SIGTERM is sent while it is stopped and SIGCONT after.  On resuming it
empties the listen queue in one accept callback, handing off thousands of
connections to the workers, and then handles SIGTERM: DRAIN must reach
every worker behind those hand-offs.  Every connection echod accepted must
get its echo followed by echod's FIN (drained, not cut at the shutdown
timeout), and echod must exit 0 well before --shutdown-timeout: a lost
DRAIN leaves connections undrained until the timeout, a lost EXIT hangs
pthread_join for ever.

Before the fix, control messages shared the hand-off pipe that such a flood
fills.  Against that code the test fails on the flood's own losses first
("refusing a connection: workers are not keeping up": accepted connections
closed without their echo); DRAIN is dropped when the pipe is still full
as SIGTERM is handled.
"""
import re
import selectors
import signal
import socket
import subprocess
import time

import stresslib
from harness import wait_until
from stresslib import Echod, run

FLOOD = 8000
BACKLOG = 4096
PAYLOAD = 16
SHUTDOWN_TIMEOUT = 120
# Far below SHUTDOWN_TIMEOUT: a drain that waits for the timeout fails.
EXIT_DEADLINE = 60.0
CLIENT_NOFILE = FLOOD + 1000
ECHOD_NOFILE = FLOOD + 1000


def accept_queue(port):
    """Connections waiting in the listen queue of 127.0.0.1:port."""
    out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port],
                         stdout=subprocess.PIPE, text=True).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


def connect_all(addr, n):
    # number, echo so far, sent
    return {s: [i, b"", False]
            for i, s in enumerate(stresslib.connect_at_once(addr, n))}


def send_connected(socks):
    """Sends the payload on every socket connected so far: the requests
    are in before SIGTERM (a drain echoes what came, it waits for no more).
    """
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    for key, _ in sel.select(5.0):
        s = key.fileobj
        if not s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            s.send(b"%0*d" % (PAYLOAD, socks[s][0]))
            socks[s][2] = True
    sel.close()


def serve_clients(d, socks):
    """Sends each payload once connected, reads until EOF or reset, and
    closes on EOF, until echod has exited; returns {number: bytes}."""
    sel = selectors.DefaultSelector()
    for s, st in socks.items():
        sel.register(s, selectors.EVENT_READ if st[2] else
                     selectors.EVENT_WRITE)
    results = {}
    deadline = time.monotonic() + EXIT_DEADLINE
    while sel.get_map():
        if d.proc.poll() is not None and not sel.select(0):
            break
        assert time.monotonic() < deadline, \
            "echod still running %.0fs after SIGTERM (%d clients left)" % (
                EXIT_DEADLINE, len(sel.get_map()))
        for key, events in sel.select(0.5):
            s = key.fileobj
            st = socks[s]
            if events & selectors.EVENT_WRITE:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    results[st[0]] = None      # refused: never accepted
                    sel.unregister(s)
                    continue
                s.send(b"%0*d" % (PAYLOAD, st[0]))
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except (ConnectionResetError, ConnectionRefusedError):
                data = None
            if data:
                st[1] += data
                continue
            # EOF (drained) or a reset (never accepted, or cut).
            results[st[0]] = st[1] if data is not None else \
                (b"reset" + st[1] if st[1] else None)
            sel.unregister(s)
    for key in list(sel.get_map().values()):
        results.setdefault(socks[key.fileobj][0], None)
    sel.close()
    return results


def test():
    stresslib.bare()
    stresslib.raise_nofile(CLIENT_NOFILE)
    with Echod("-v", "--idle-timeout", "0", "--backlog", str(BACKLOG),
               "--threads", "2", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT),
               preexec_fn=stresslib.nofile_limit(ECHOD_NOFILE)) as d, \
            stresslib.explain(d):
        port = d.addr()[1]
        d.proc.send_signal(signal.SIGSTOP)
        try:
            socks = connect_all(d.addr(), FLOOD)
            wait_until(lambda: accept_queue(port) >= BACKLOG,
                                 timeout=30.0, what="a full listen queue")
            send_connected(socks)
            queued = accept_queue(port)
            d.proc.send_signal(signal.SIGTERM)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        try:
            results = serve_clients(d, socks)
        finally:
            for s in socks:
                s.close()
        rc = d.wait(EXIT_DEADLINE)
        want = {n: b"%0*d" % (PAYLOAD, n) for n in range(FLOOD)}
        drained = [n for n, got in results.items() if got == want[n]]
        bad = {n: got for n, got in results.items()
               if got is not None and got != want[n]}
        print("%d queued at SIGTERM: %d drained with their echo, %d never "
              "accepted" % (queued, len(drained), FLOOD - len(drained)))
        assert not bad, "%d connections cut or wrong, e.g. %r" % (
            len(bad), sorted(bad.items())[:5])
        assert rc == 0, "echod exited %d" % rc
        assert not d.grep(r"warning|err:"), \
            "echod complained:\n" + "\n".join(d.grep(r"warning|err:")[:10])
        m = re.search(r"exiting: (\d+) connections served", d.log())
        assert m, "no exit summary:\n" + d.log()
        assert int(m.group(1)) == len(drained), \
            "echod served %s connections, %d drained with their echo" % (
                m.group(1), len(drained))
        assert len(drained) >= BACKLOG / 2, "too few accepted to matter"


run(test)

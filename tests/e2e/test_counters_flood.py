"""A flood of SIGUSR1 costs a few counter lines, and none goes unanswered.

SIGUSR1 as fast as a client can send it, for two seconds: echod keeps echoing, logs at most a few
counter lines a second (the signals of one interval share a line), and
a signal right after the flood still gets its line.
"""
import os
import signal
import time

from echodtest import Echod
from harness import run

# The flood lasts FLOOD seconds (at most SIGNALS signals).
FLOOD = 2.0
SIGNALS = 200000
# echod logs at most one counters line per 250 ms, plus the first at once.
PER_SECOND = 4


def test():
    with Echod() as d:
        c = d.connect()
        start = d.mark()
        t0 = time.monotonic()
        sent = 0
        while sent < SIGNALS and time.monotonic() - t0 < FLOOD:
            os.kill(d.pid, signal.SIGUSR1)
            sent += 1
        span = time.monotonic() - t0
        c.sendall(b"still serving")
        assert c.recv(100) == b"still serving"
        # One more, right after the flood: it is answered too.
        after = d.mark()
        os.kill(d.pid, signal.SIGUSR1)
        d.wait_for(r"counters: conns_open=1 ", start=after, timeout=5)
        span_all = time.monotonic() - t0
        lines = d.grep(r"counters: ", start)
        assert len(lines) <= 2 + PER_SECOND * (span_all + 1), (
            "%d counter lines for %d signals in %.1f s"
            % (len(lines), sent, span))
        assert d.running()
        c.close()
        assert d.stop() == 0, d.log()


run(test)

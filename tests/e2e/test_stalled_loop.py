"""A stalled event loop does not close live connections as idle.

CONNS clients ping-pong with echod (-t TIMEOUT), one request in flight
each.  echod is stopped (SIGSTOP) for longer than the timeout, then
continued: when it wakes, every client's request is waiting to be read,
so none of them is idle.  They all keep their connection and every echo,
and none is logged as closed.  More clients than libevent's first epoll
batch (32), so some are seen readable only after their timers are due.
"""
import selectors
import signal
import time

from echodtest import Echod, run, scaled

CONNS = 48
TIMEOUT = 2             # --idle-timeout, seconds
STALL = 3.5             # seconds stopped: longer than TIMEOUT
MSG = b"ping" * 16


class Pingers:
    """Clients that each keep one request in flight."""

    def __init__(self, socks):
        self.sel = selectors.DefaultSelector()
        self.got = {}
        for s in socks:
            self.sel.register(s, selectors.EVENT_READ)
            self.got[s] = b""
            s.sendall(MSG)
        self.rounds = 0

    def run(self, seconds):
        """Reads echoes and sends the next requests for seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for key, _ in self.sel.select(0.1):
                s = key.fileobj
                data = s.recv(len(MSG) - len(self.got[s]))
                assert data, "echod closed a live connection"
                self.got[s] += data
                if len(self.got[s]) == len(MSG):
                    assert self.got[s] == MSG, self.got[s]
                    self.got[s] = b""
                    self.rounds += 1
                    s.sendall(MSG)

    def close(self):
        for s in self.got:
            s.close()


def test():
    with Echod("-v", "--idle-timeout", str(TIMEOUT)) as d:
        p = Pingers([d.connect() for _ in range(CONNS)])
        mark = d.mark()
        p.run(1.0)
        assert p.rounds > 0, "no round trip before the stall"
        d.signal(signal.SIGSTOP)
        try:
            time.sleep(STALL)
        finally:
            d.signal(signal.SIGCONT)
        before = p.rounds
        p.run(scaled(TIMEOUT + 1.0))
        assert p.rounds >= before + CONNS, \
            "only %d round trips after the stall" % (p.rounds - before)
        assert not d.grep(r" closed \(", mark), d.log()
        p.close()
        assert d.stop() == 0, d.log()


run(test)

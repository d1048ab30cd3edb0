"""--max-per-source: a client address holding N connections has its next
one closed unanswered (and counted, and logged), while another address
(127.0.0.2) still connects; once one of the N closes, the first address
may connect again.  SIGUSR1's TCP counters match.
"""
import socket

from harness import wait_until
from streams import roundtrip
from udptest import Echod, assert_counters, counters, run, scaled

LIMIT = 2


def connect(d, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(d.addr())
    s.settimeout(scaled(10))
    return s


def assert_refused(s):
    """The connection is closed without an echo."""
    try:
        s.sendall(b"over the limit")
        got = s.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        return
    assert got == b"", "echoed over --max-per-source: %r" % got


def wait_open(d, n, timeout=10.0):
    """Waits until echod counts n open connections."""
    wait_until(lambda: counters(d)["conns_open"] == n, timeout,
               "conns_open == %d" % n, interval=0.1)


def test():
    with Echod("--max-per-source", str(LIMIT)) as d:
        nbytes = 0
        held = [connect(d, "127.0.0.1") for _ in range(LIMIT)]
        for i, s in enumerate(held):
            nbytes += roundtrip(s, b"held %d" % i)
        extra = connect(d, "127.0.0.1")
        assert_refused(extra)
        extra.close()
        d.wait_for(r"refusing a connection from 127\.0\.0\.1:")

        other = connect(d, "127.0.0.2")
        nbytes += roundtrip(other, b"another address")

        held.pop().close()
        wait_open(d, LIMIT)
        again = connect(d, "127.0.0.1")
        nbytes += roundtrip(again, b"room again")

        assert_counters(d, {"conns_open": LIMIT + 1, "conns_total": LIMIT + 2,
                            "conns_refused_per_source": 1,
                            "bytes_in": nbytes})
        for s in held + [other, again]:
            s.close()
        wait_open(d, 0)
        assert_counters(d, {"conns_total": LIMIT + 2,
                            "conns_refused_per_source": 1,
                            "bytes_in": nbytes, "bytes_out": nbytes})
        assert d.stop() == 0, d.log()


run(test)

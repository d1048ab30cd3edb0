"""Helpers for the UDP and abuse-resistance tests, on top of echodtest.

UDP listeners log "listening on udp:ADDR"; udp_addrs() turns those into
socket addresses (with netaddr.parse_addr).  counters() sends SIGUSR1 and
parses the one "counters: key=value ..." line it logs.
"""
import select
import signal
import socket
import time

from echodtest import Echod  # noqa: F401
from harness import SkipTest, run, scaled  # noqa: F401
from netaddr import has_ipv6, parse_addr  # noqa: F401
from streams import pattern  # noqa: F401

UDP_COUNTERS = ("udp_in", "udp_out", "udp_bytes", "udp_drop_loop",
                "udp_drop_rate", "udp_drop_size", "udp_drop_send")


def udp_addrs(d):
    """(family, host, port) of each UDP listener, in --listen order."""
    out = []
    for text in d.listening:
        if text.startswith("udp:"):
            family, (host, port) = parse_addr(text)
            out.append((family, host, port))
    return out


def udp_socket(family=socket.AF_INET, bind=None):
    """A client datagram socket, bound to (host, port) if given."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    if bind is not None:
        s.bind(bind)
    return s


def recv_reply(sock, timeout=5.0, size=1 << 17):
    """(data, source) of the next datagram, or None after timeout."""
    sock.settimeout(scaled(timeout))
    try:
        return sock.recvfrom(size)
    except socket.timeout:
        return None


def echo(sock, dest, data, timeout=5.0):
    """Sends one datagram and waits for the reply: (data, source).

    Loopback does not lose datagrams under this little load, so there is
    one try: a retry would break the exact counts the tests check."""
    sock.sendto(data, dest)
    got = recv_reply(sock, timeout)
    if got is None:
        raise AssertionError("no reply from %r to %d bytes from %r"
                             % (dest, len(data), sock.getsockname()))
    return got


def assert_silent(sock, wait=0.3):
    """Nothing has come, nor comes within `wait` seconds, to sock."""
    r, _, _ = select.select([sock], [], [], scaled(wait))
    if r:
        data, src = sock.recvfrom(1 << 17)
        raise AssertionError("%r got an unexpected reply from %r: %d bytes"
                             % (sock.getsockname(), src, len(data)))


def counters(d, timeout=10.0):
    """Sends SIGUSR1; returns the counters it logs, as a dict of ints."""
    start = d.mark()
    d.signal(signal.SIGUSR1)
    line = d.wait_for(r"counters: ", timeout, start)
    out = {}
    for word in line.split("counters: ", 1)[1].split():
        key, _, value = word.partition("=")
        out[key] = int(value)
    return out


def assert_counters(d, want, timeout=10.0):
    """The counters in `want` reach exactly those values (they may lag the
    replies a test saw by a moment: the loop counts, then sends)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        got = counters(d)
        diff = {k: (got.get(k), v) for k, v in want.items()
                if got.get(k) != v}
        if not diff:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("counters (got, want): %r\nlog:\n%s"
                                 % (diff, d.log()))
        time.sleep(0.1)


def udp_counts(**kw):
    """Every UDP counter (udp_in=...): 0 unless given."""
    out = dict.fromkeys(UDP_COUNTERS, 0)
    for key, value in kw.items():
        assert key in out, key
        out[key] = value
    return out

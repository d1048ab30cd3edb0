"""A slow or hostile scraper cannot stall echod or hold its resources:
the endpoint serves 8 connections at once (the next waits in the listen
queue, and is served when one closes), a request trickled byte by byte is
cut at its deadline although every byte re-arms evhttp's own timeout,
oversized headers are refused, echoing goes on meanwhile, and every
descriptor comes back."""
import os
import socket
import time

from echodtest import Echod
from harness import run, scaled, wait_until
from metricstest import metrics_addr, request, scrape

MAX_CONNS = 8


def fds(d):
    return len(os.listdir("/proc/%d/fd" % d.pid))


def open_fds(d):
    path = "/proc/%d/fd" % d.pid
    return [os.readlink(os.path.join(path, f)) for f in os.listdir(path)]


def echo_works(d):
    with d.connect() as s:
        s.sendall(b"still echoing")
        assert s.recv(64) == b"still echoing"


def answered(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(4096)
    except socket.timeout:
        return None


def check_limit(d, addr):
    idle = [socket.create_connection(addr) for _ in range(MAX_CONNS)]
    waiting = socket.create_connection(addr)
    waiting.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    # Not served while 8 are open (evhttp's idle timeout is 5 s).
    assert answered(waiting, 1.0) is None, "a ninth scrape was served"
    echo_works(d)
    idle.pop().close()
    got = answered(waiting, scaled(10))
    assert got and got.startswith(b"HTTP/1.0 200"), got[:100]
    for s in idle + [waiting]:
        s.close()


def check_trickle(addr):
    """One byte a second: evhttp alone would wait for ever."""
    s = socket.create_connection(addr)
    s.settimeout(0.01)
    start = time.monotonic()
    line = b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 100
    for i in range(len(line)):
        try:
            s.sendall(line[i:i + 1])
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            break
        assert time.monotonic() - start < scaled(25), "trickler not cut"
        time.sleep(1)
    else:
        raise AssertionError("trickler not cut")
    s.close()


def check_oversized(addr):
    s = socket.create_connection(addr)
    s.settimeout(scaled(10))
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"b" * 20000 +
                  b"\r\n\r\n")
        got = s.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    assert not got.startswith(b"HTTP/1.1 200"), got[:100]
    s.close()


def test():
    with Echod("--metrics", "127.0.0.1:0") as d:
        addr = metrics_addr(d)
        base = fds(d)
        scrape(addr)
        check_limit(d, addr)
        check_oversized(addr)
        check_trickle(addr)
        assert request(addr)[0] == 200
        try:
            wait_until(lambda: fds(d) == base, 10, "descriptors back")
        except AssertionError:
            raise AssertionError("descriptors: %d at first, now %r" % (
                base, open_fds(d)))


run(test)

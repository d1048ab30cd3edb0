"""A scraper that pipelines requests and never reads the answers cannot
grow echod's memory: evhttp reads on while it waits to write, so without
a read limit every byte sent sits in the connection's input buffer (one
client took echod to 200 MiB RSS in 8 s).  The input must wait in the
kernel (TCP backpressure) instead; scrapes and echoes go on meanwhile."""
import socket
import time

from echodtest import Echod, not_measurable
from harness import SkipTest, run, scaled
from metricstest import metrics_addr, scrape
from netaddr import free_port

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: echod\r\n\r\n"
SEND_MAX = 64 << 20             # stop here: far past any sane buffer
GROWTH_MAX_KIB = 16 << 10       # echod's RSS may grow by this much


def flood(addr, seconds):
    """Sends pipelined requests for up to `seconds` without reading;
    returns the bytes the kernel took."""
    block = REQUEST * 1024
    s = socket.create_connection(addr)
    s.setblocking(False)
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while sent < SEND_MAX and time.monotonic() < deadline:
            try:
                sent += s.send(block)
            except BlockingIOError:
                time.sleep(0.02)
            except OSError:
                break           # cut off by echod: fine
    finally:
        s.close()
    return sent


def test():
    why = not_measurable()
    if why:
        raise SkipTest(why)
    with Echod("--metrics", "127.0.0.1:%d" % free_port()) as d:
        addr = metrics_addr(d)
        scrape(addr)
        before = d.rss_kib()
        sent = flood(addr, scaled(8))
        grown = d.rss_kib() - before
        assert grown < GROWTH_MAX_KIB, (
            "%d KiB more RSS after %d bytes of pipelined requests that "
            "were never read" % (grown, sent))
        scrape(addr)
        with d.connect() as s:
            s.sendall(b"still echoing")
            assert s.recv(64) == b"still echoing"
        assert d.stop() == 0


run(test)

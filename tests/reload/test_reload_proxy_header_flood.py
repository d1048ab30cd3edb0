"""Nobody can hold off a reload by sending PROXY headers slowly.  A reload
waits for connections still sending their header; a client that connects
to a proxy: listener and sends half a header once a second (each is cut
at the 3 s deadline, but a new one is always there) made every reload
fail after 120 retries (and 121 pre-flight runs of the binary):
"reload failed: 3 connections are sending their PROXY header".  Under a
busy balancer the same happens without malice: some connection is always
between accept and its header.  The reload must go through; an
established proxied client keeps echoing across it."""
import socket
import threading
import time

from reloadtest import Echod, echo, reload, run, scaled

HEADER = b"PROXY TCP4 192.0.2.1 198.51.100.1 40000 7\r\n"
SLOW = 40                       # half headers sent, at most


class HalfHeaders(threading.Thread):
    """Opens a connection and sends half a header, once a second."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.addr = addr
        self.stop = threading.Event()
        self.socks = []

    def run(self):
        while not self.stop.is_set() and len(self.socks) < SLOW:
            s = socket.create_connection(self.addr, timeout=scaled(10))
            s.sendall(HEADER[:11])
            self.socks.append(s)
            self.stop.wait(1.0)

    def finish(self):
        self.stop.set()
        self.join(scaled(10))
        for s in self.socks:
            s.close()


def test():
    with Echod(listen=("proxy:127.0.0.1:0",)) as d:
        named = d.connect()
        named.sendall(HEADER)
        echo(named, b"before")
        slow = HalfHeaders(d.addr())
        slow.start()
        try:
            time.sleep(0.5)     # one is mid-header when SIGHUP comes
            ok, line = reload(d, timeout=scaled(60))
        finally:
            slow.finish()
        assert ok, line
        echo(named, b"after")
        named.close()
        assert d.stop() == 0


run(test)

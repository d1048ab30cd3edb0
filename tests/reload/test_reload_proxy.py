"""A reload behind a load balancer: PROXY listeners and their clients.

1. A client named by a PROXY header keeps its name across a reload: after
   it, its close line still names the client and the balancer.
2. A connection still sending its header is handed over with what it
   sent so far and its deadline: the reload does not wait for it, and
   the rest of the header completes it in the new image; one that never
   completes is still cut at its deadline.
"""
import re
import signal
import socket

from reloadtest import Echod, echo, reload, run, scaled

HEADER = b"PROXY TCP4 192.0.2.1 198.51.100.1 40000 7\r\n"


def test():
    with Echod("-v", listen=("proxy:127.0.0.1:0",)) as d:
        named = d.connect()
        named.sendall(HEADER)
        echo(named, b"before")
        ok, line = reload(d)
        assert ok, line
        echo(named, b"after")

        half = d.connect()
        half.sendall(HEADER[:10])
        stalled = d.connect()
        stalled.sendall(HEADER[:5])
        start = d.mark()
        d.signal(signal.SIGHUP)
        line = d.wait_for(r"reloaded: |reload failed: ", scaled(10),
                          start=start)
        assert "reloaded: " in line, line
        half.sendall(HEADER[10:])
        echo(half, b"half a header, a reload, the rest of it")
        for s in (named, half):
            s.shutdown(socket.SHUT_WR)
            assert s.recv(16) == b""
        close = d.wait_for(r"conn \d+ from 192\.0\.2\.1:40000 .*closed")
        assert re.search(r"via 127\.0\.0\.1:\d+", close), close
        # The deadline came across too: a header never finished is cut.
        stalled.settimeout(scaled(20))
        assert stalled.recv(16) == b""
        d.wait_for(r"PROXY header timeout: no whole header", start=start)
        stalled.close()
        assert d.stop() == 0


run(test)

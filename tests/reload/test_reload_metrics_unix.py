"""A reload with --metrics unix:PATH keeps echod and its clients.  The old
image's metrics socket is closed by the exec but its file stays, so the
new image's bind fails ("cannot listen on unix:PATH (--metrics): bind:
Address already in use") after it adopted every connection, and it
exits: the first SIGHUP kills echod and closes every client.  The
endpoint must come back at the same path and answer a scrape."""
import os
import socket

from harness import tempdir
from metricstest import scrape
from reloadtest import Echod, reload_survived, run


def test():
    path = os.path.join(tempdir(), "metrics.sock")
    with Echod("--metrics", "unix:" + path) as d:
        d.wait_for(r"serving metrics on ")
        scrape(path)
        client = d.connect()
        client.sendall(b"before")
        assert client.recv(6) == b"before"
        line, _ = reload_survived(d)
        assert line is not None and "reloaded: " in line, line
        client.sendall(b"after")
        assert client.recv(5) == b"after", "the client was closed"
        assert "echod_bytes_echoed_total" in scrape(path)
        client.close()
        assert d.stop() == 0
        assert not os.path.exists(path), "metrics socket file left"


run(test)

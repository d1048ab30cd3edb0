"""A reload whose --metrics address cannot be bound leaves echod serving.
The pre-flight (--check-config) touches no socket, so it passes; the new
image adopts every connection and then fails in metrics_open ("cannot
listen on 127.0.0.1:N (--metrics): bind: Address already in use") and
exits: every client is closed, the daemon is gone.  The same happens
without any change if another process takes the metrics port while the
old image's listener is closed by the exec.  The reload must fail (the
previous image serving on, every connection kept) or go on without the
endpoint, and say why.  And the metrics listener is handed over like the
others: nobody can take its port in the gap, and scrapes go on."""
import os
import socket

from harness import tempdir
from netaddr import free_port
from reloadtest import Echod, reload_survived, run, scaled


def test():
    tmp = tempdir()
    conf = os.path.join(tmp, "echod.conf")
    port, taken = free_port(), free_port()
    with open(conf, "w") as f:
        f.write("listen = 127.0.0.1:%d\n" % port)
    holder = socket.socket()
    holder.bind(("127.0.0.1", taken))
    holder.listen()
    with Echod("--config", conf, listen=()) as d:
        d.wait_for(r"ready: ")
        client = socket.create_connection(("127.0.0.1", port),
                                          timeout=scaled(10))
        client.sendall(b"before")
        assert client.recv(6) == b"before"
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\nmetrics = 127.0.0.1:%d\n"
                    % (port, taken))
        line, start = reload_survived(d)
        assert line is not None, "no outcome of the reload logged"
        assert "reloaded: " in line, line
        assert "no metrics on 127.0.0.1:%d" % taken in line, line
        client.sendall(b"after")
        assert client.recv(5) == b"after", "the client was closed"
        assert not d.grep(r" closed \(", start=start)
        assert d.grep(r"serving on without metrics on 127\.0\.0\.1:%d"
                      % taken, start=start)
        client.close()
        assert d.stop() == 0
    holder.close()
    handed_over(tmp, port)


def scrape(port):
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=scaled(10)) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        got = b""
        while True:
            data = s.recv(65536)
            if not data:
                return got
            got += data


def handed_over(tmp, port):
    """The endpoint serves across a reload on the very same socket."""
    conf = os.path.join(tmp, "echod2.conf")
    mport = free_port()
    with open(conf, "w") as f:
        f.write("listen = 127.0.0.1:%d\nmetrics = 127.0.0.1:%d\n"
                % (port, mport))
    with Echod("--config", conf, listen=()) as d:
        d.wait_for(r"ready: ")
        assert b"echod_reloads_total 0" in scrape(mport)
        line, start = reload_survived(d)
        assert line is not None and "reloaded: " in line, line
        assert d.grep(r"serving metrics on 127\.0\.0\.1:%d \(handed over\)"
                      % mport, start=start)
        assert b"echod_reloads_total 1" in scrape(mport)
        assert d.stop() == 0


run(test)

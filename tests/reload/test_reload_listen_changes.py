"""A reload applies echod.conf's listen lines: a listener added is opened,
one removed is closed (its socket file removed) while its connections
stay.  Today the new image adopts every listener handed over and opens
none: after `listen` moved from one port to another and a reload that
logged "reloaded:", echod still served the old port, refused the new one,
and kept the Unix socket the file no longer named: the operator is told
the change is in effect when it is not.  Connections of a closed
listener are handed over again by the next reload."""
import os
import socket

from harness import tempdir
from netaddr import free_port
from reloadtest import Echod, echo, refused, reload, run


def test():
    tmp = tempdir()
    conf = os.path.join(tmp, "echod.conf")
    path = os.path.join(tmp, "old.sock")
    kept, gone, added = free_port(), free_port(), free_port()
    with open(conf, "w") as f:
        f.write("listen = 127.0.0.1:%d\nlisten = 127.0.0.1:%d\n"
                "listen = unix:%s\n" % (kept, gone, path))
    with Echod("--config", conf, listen=()) as d:
        d.wait_for(r"ready: ")
        on_gone = socket.create_connection(("127.0.0.1", gone))
        on_unix = socket.socket(socket.AF_UNIX)
        on_unix.connect(path)
        echo(on_gone, b"before")
        echo(on_unix, b"before")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\nlisten = 127.0.0.1:%d\n"
                    % (kept, added))
        ok, line = reload(d)
        assert ok, line
        assert not refused(("127.0.0.1", added)), \
            "the listener added is not open after " + line
        with socket.create_connection(("127.0.0.1", added),
                                      timeout=10) as s:
            echo(s, b"on the listener added")
        with socket.create_connection(("127.0.0.1", kept),
                                      timeout=10) as s:
            echo(s, b"on the listener kept")
        assert refused(("127.0.0.1", gone)), \
            "the listener removed still accepts"
        assert not os.path.exists(path), \
            "the Unix listener removed still has its socket file"
        echo(on_gone, b"after: its listener is gone, it stays")
        echo(on_unix, b"after: its listener is gone, it stays")
        # Handed over again, on a listener that is closed; UDP added, and
        # an address another process holds: left out, and said so.
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        with open(conf, "a") as f:
            f.write("listen = udp:127.0.0.1:%d\nlisten = 127.0.0.1:%d\n"
                    % (kept, holder.getsockname()[1]))
        ok, line = reload(d)
        assert ok, line
        assert "cannot listen on 1 addresses added" in line, line
        holder.close()
        echo(on_gone, b"after a second reload")
        echo(on_unix, b"after a second reload")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(10)
            u.sendto(b"datagram", ("127.0.0.1", kept))
            assert u.recvfrom(64)[0] == b"datagram"
        assert refused(("127.0.0.1", gone))
        on_gone.close()
        on_unix.close()
        assert d.stop() == 0


run(test)

"""A reload keeps --max-connections: with the limit reached, the client
waiting in the listen queue stays there across a reload until a slot
frees.  The new image counted the connections it adopted but did not
pause accepting at the limit, so it accepted (and echoed) the waiting
client at once: "6 connections open (--max-connections)" with -c 5."""
import socket

from reloadtest import Echod, reload, run, scaled

LIMIT = 5


def echoed(s, data, timeout):
    s.settimeout(timeout)
    try:
        s.sendall(data)
        return s.recv(len(data)) == data
    except socket.timeout:
        return False


def answered(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(16)
    except socket.timeout:
        return None


def test():
    with Echod("-c", str(LIMIT)) as d:
        served = [d.connect() for _ in range(LIMIT)]
        for s in served:
            assert echoed(s, b"in", scaled(10))
        waiting = socket.create_connection(d.addr(), timeout=scaled(10))
        assert not echoed(waiting, b"w", 1.0), "served past the limit"
        ok, line = reload(d)
        assert ok, line
        for s in served:
            assert echoed(s, b"after", scaled(10))
        assert answered(waiting, 1.0) is None and not d.grep(
            r"%d connections open" % (LIMIT + 1)), \
            "after the reload a client past --max-connections %d was " \
            "accepted" % LIMIT
        served.pop().close()
        waiting.settimeout(scaled(10))
        assert waiting.recv(1) == b"w", "the waiting client is not served"
        for s in served + [waiting]:
            s.close()
        assert d.stop() == 0


run(test)

"""At -v each closed connection logs one info line: peer, why it closed,
bytes in and out, and how long it lasted, with the right numbers.  At the
default level, connections log nothing.
"""
import os
import socket
import struct
import time

from echodtest import (Echod, loopback_listeners, peer_name, recv_until_eof,
                       run, scaled, tempdir)



def talk(s, parts, pause=0.0):
    """Sends parts and reads their echo, waits, half-closes, expects EOF,
    closes; returns the bytes sent."""
    want = b"".join(parts)
    for p in parts:
        s.sendall(p)
    assert recv_exactly(s, len(want)) == want
    time.sleep(pause)
    s.shutdown(socket.SHUT_WR)
    assert recv_until_eof(s, 0) == b""
    s.close()
    return len(want)


def recv_exactly(s, n):
    got = bytearray()
    while len(got) < n:
        data = s.recv(n - len(got))
        assert data, "EOF after %d bytes" % len(got)
        got += data
    return bytes(got)


def test():
    path = os.path.join(tempdir(), "echo.sock")
    listen = loopback_listeners(path)
    with Echod("-v", listen=listen) as d:
        # IPv4, with a known minimum duration.
        s = d.connect(0)
        peer = peer_name(s)
        n = talk(s, [b"a" * 12000, b"b" * 345], pause=0.3)
        reason, nin, nout, dur = d.closed(peer)
        assert (reason, nin, nout) == ("eof", n, n), (reason, nin, nout)
        assert 0.3 <= dur < scaled(10), dur

        # A Unix client is named after the listener.
        n = talk(d.connect(1), [b"u" * 777])
        line = d.wait_for(r"from unix:%s closed \(eof\): %d bytes in, %d "
                          r"out, " % (path, n, n))
        assert line.split()[2] == "info:", line

        # Reset by the client after its echo came back.
        s = d.connect(0)
        peer = peer_name(s)
        s.sendall(b"r" * 100)
        assert recv_exactly(s, 100) == b"r" * 100
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
        reason, nin, nout, _ = d.closed(peer)
        assert (nin, nout) == (100, 100), (reason, nin, nout)

        if len(d.listening) > 2:
            s = d.connect(2)
            peer = peer_name(s)
            assert peer.startswith("[::1]:"), peer
            n = talk(s, [b"6" * 4096])
            assert d.closed(peer)[1:3] == (n, n)

        conns = len(d.listening) + 1
        assert d.stop() == 0, d.log()
        closes = d.grep(r"conn \d+ from .* closed ")
        assert len(closes) == conns, "%d close lines for %d connections" \
            % (len(closes), conns)

    with Echod() as d:
        talk(d.connect(), [b"quiet"])
        assert d.stop() == 0, d.log()
        assert not d.grep(r"conn \d+"), "per-connection lines at notice"


run(test)

"""A slow but steady reader keeps its connection and gets every byte back.

The client sends a few MiB, half-closes, and reads its echo far slower
than it sent: echod's own writes stall for seconds while the kernel's
send queue drains, longer than --idle-timeout.  The
client is not idle (it takes its echo all along): it must get every byte
back, then EOF, no reset, and echod logs the close as "eof".  Over TCP
and over a Unix socket (SIOCOUTQ means buffer memory there, not bytes).
"""
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from echodtest import (Echod, assert_same, pattern, peer_name, run, scaled,
                       tempdir)

# Per transport: more than the kernel's buffers hold, read so slowly
# that echod cannot write for longer than TIMEOUT; 16 s of reading each.
TCP = (8 << 20, 512 << 10)      # bytes, bytes a second
UNIX = (1 << 20, 64 << 10)      # Unix sockets buffer far less
CHUNK = 16 << 10
TIMEOUT = 1             # --idle-timeout, seconds


def send_all(sock, data, errors):
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        errors.append(e)


def read_paced(sock, limit, rate, deadline):
    """Reads at rate until EOF; returns what came back."""
    got = bytearray()
    t0 = time.monotonic()
    while True:
        assert time.monotonic() < deadline, \
            "no EOF after %d bytes" % len(got)
        ahead = len(got) / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
        data = sock.recv(CHUNK)
        if not data:
            return bytes(got)
        got += data
        assert len(got) <= limit, "more came back than was sent"


def slow_reader(listen, size, rate):
    data = pattern(size, b"slow reader")
    with Echod("-v", "--idle-timeout", str(TIMEOUT), listen=(listen,)) as d:
        s = d.connect(timeout=size / rate * 3 + 30)
        peer = peer_name(s) if s.family != socket.AF_UNIX else listen
        errors = []
        sender = threading.Thread(target=send_all, args=(s, data, errors),
                                  daemon=True)
        sender.start()
        deadline = time.monotonic() + scaled(size / rate * 3 + 30)
        try:
            got = read_paced(s, size, rate, deadline)
        except ConnectionResetError:
            raise AssertionError("reset; log:\n" + d.log())
        sender.join(scaled(10))
        assert not errors, errors
        assert_same(got, data)
        reason, nin, nout, _ = d.closed(peer)
        assert (reason, nin, nout) == ("eof", size, size), \
            (reason, nin, nout)
        s.close()
        assert d.stop() == 0, d.log()


def test():
    # Each transport has its own echod and spends its 16 s reading at a
    # pace: side by side, not one after the other.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(slow_reader, "127.0.0.1:0", *TCP),
                pool.submit(slow_reader,
                            "unix:" + os.path.join(tempdir(), "s"), *UNIX)]
        for r in runs:
            r.result()


run(test)

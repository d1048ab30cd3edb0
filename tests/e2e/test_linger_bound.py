"""The lingering close has one total bound, which a trickling client
cannot extend.

On SIGTERM echod echoes what it read, half-closes, and reads and discards
what the client still sends, for at most two seconds in all once the
client has every echo (echod(8)).
A client that keeps trickling a byte every TICK seconds after that must
not hold the drain until --shutdown-timeout (SHUTDOWN, far longer): echod
closes it as "shutdown" and exits 0 well before.
"""
import signal
import socket
import threading
import time

from echodtest import Echod, peer_name, recv_until_eof, run, scaled

SHUTDOWN = 30           # --shutdown-timeout, seconds
TICK = 0.1


def trickle(sock, stop):
    """Sends a byte every TICK until echod's close resets the socket."""
    while not stop.is_set():
        try:
            sock.send(b"x")
        except OSError:
            return
        time.sleep(TICK)


def test():
    with Echod("-v", "--shutdown-timeout", str(SHUTDOWN)) as d:
        s = d.connect()
        peer = peer_name(s)
        s.sendall(b"hello")
        assert s.recv(5) == b"hello"
        stop = threading.Event()
        sender = threading.Thread(target=trickle, args=(s, stop),
                                  daemon=True)
        sender.start()
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        try:
            # What echod had read by then comes back, then EOF.
            assert set(recv_until_eof(s, 1 << 20)) <= set(b"x")
            rc = d.wait(SHUTDOWN * 2)
        finally:
            stop.set()
            sender.join(scaled(5))
        took = time.monotonic() - t0
        # The bound is two seconds: allow a busy machine plenty of slack,
        # but far less than --shutdown-timeout.
        assert took < scaled(SHUTDOWN / 2), \
            "exited %.1f s after SIGTERM; log:\n%s" % (took, d.log())
        assert rc == 0, d.log()
        assert d.closed(peer)[0] == "shutdown", d.log()
        assert not d.grep("shutdown timeout"), d.log()
        s.close()


run(test)

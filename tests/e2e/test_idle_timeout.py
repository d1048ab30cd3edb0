"""--idle-timeout closes a silent client and spares an active one; 0 is off.

With -t 1.5, a client that sends nothing is closed (EOF, logged as an idle
timeout) after that long, while a client that sends a byte every 0.3 s
for twice that long is served throughout (--min-rate 0: a trickle that
slow is a slowloris by default, which tests/stress/test_slowloris.py
covers).  With -t 0 a silent client stays connected.
"""
import select
import time

from echodtest import Echod, peer_name, run, scaled

TIMEOUT = 1.5


def test():
    with Echod("-v", "--idle-timeout", "%g" % TIMEOUT, "--min-rate", "0") as d:
        t0 = time.monotonic()
        silent = d.connect()
        active = d.connect()
        silent_peer = peer_name(silent)
        closed_at = None
        while time.monotonic() - t0 < 2 * TIMEOUT:
            active.sendall(b"x")
            assert active.recv(1) == b"x", "active client lost its echo"
            if closed_at is None and select.select([silent], [], [], 0)[0]:
                assert silent.recv(1) == b"", "silent client got data"
                closed_at = time.monotonic() - t0
            time.sleep(0.3)
        assert closed_at is not None, "silent client still open"
        assert closed_at >= TIMEOUT, \
            "closed after %.2f s, before the timeout" % closed_at
        reason, nin, nout, dur = d.closed(silent_peer)
        assert (reason, nin, nout) == ("idle", 0, 0), reason
        # libevent arms timers from the time its loop woke: a bit early.
        assert dur >= 0.9 * TIMEOUT, "logged a duration of %.3f s" % dur
        active.sendall(b"y")
        assert active.recv(1) == b"y", "active client closed"
        active_peer = peer_name(active)
        active.close()
        assert d.closed(active_peer)[0] == "eof"
        silent.close()
        assert d.stop() == 0, d.log()

    with Echod("--idle-timeout", "0") as d:
        s = d.connect()
        time.sleep(scaled(1.5))
        s.sendall(b"z")
        assert s.recv(1) == b"z", "closed with --idle-timeout 0"
        s.close()
        assert d.stop() == 0, d.log()


run(test)

"""Signals an operator may send by mistake never kill echod.

SIGHUP (what `systemctl kill -s HUP` and a closed terminal send) reloads
(tests/reload/ has the rest) and SIGUSR2 is ignored: each logs one SIG
line and echod goes on serving.  A connection open across the signals keeps its echo, a new
one is served, the Unix socket file stays, and SIGTERM still drains and
exits 0, removing the file.  Each signal's lines are rate limited on
their own: a burst of SIGHUP does not silence SIGUSR2.
"""
import os
import signal

from echodtest import Echod
from harness import run, tempdir
from streams import roundtrip


def test():
    path = os.path.join(tempdir(), "echo.sock")
    with Echod(listen=["127.0.0.1:0", "unix:" + path]) as d:
        held = d.connect()
        roundtrip(held, b"before")
        for signo, line in ((signal.SIGHUP, r"notice: reloaded: "),
                            (signal.SIGUSR2, r"notice: SIGUSR2: ignored")):
            start = d.mark()
            d.signal(signo)
            d.wait_for(line, start=start)
            assert d.running(), "%s killed echod (status %s); log:\n%s" % (
                signo.name, d.proc.poll(), d.log())
            assert len(d.grep(r"SIG", start)) == 1, d.log()
            roundtrip(held, b"after " + signo.name.encode())
            fresh = d.connect()
            roundtrip(fresh, b"new client")
            fresh.close()
            assert os.path.exists(path), "socket file gone after " + \
                signo.name
            unix = d.connect(1)
            roundtrip(unix, b"over unix")
            unix.close()
        # A burst of SIGHUP is rate limited, but on its own budget: the
        # SIGUSR2 after it is still logged.
        for _ in range(4):
            d.signal(signal.SIGHUP)
        start = d.mark()
        d.signal(signal.SIGUSR2)
        d.wait_for(r"SIGUSR2: ignored", start=start)
        assert d.running(), d.log()
        roundtrip(held, b"after the burst")
        held.close()
        assert d.stop() == 0, d.log()
    assert not os.path.exists(path), "socket file left behind"


run(test)

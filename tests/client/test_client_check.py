"""Health checks against a real echod: OK over IPv4, IPv6 and a Unix
socket, with MESSAGE parts, stdin and --size; the -v step log; --count
with min/avg/max; WARNING and CRITICAL from latency thresholds."""
import os
import re
import subprocess

from clienttest import (CLIENT, CRITICAL, OK, WARNING, Echod, expect, run,
                        tempdir)
from netaddr import loopback_listeners

PARTS = ["Hello, ", "World", "! (three parts)"]
LINE = re.compile(r"^ECHO (OK|WARNING|CRITICAL) - (.*) \| time=(\d+\.\d{6})s"
                  r";([\d.]*);([\d.]*);0( time_min=\S+ time_max=\S+)?"
                  r" size=(\d+)B\n$")


def status(out):
    m = LINE.match(out)
    assert m, "not a status line: %r" % out
    return m



def test():
    path = os.path.join(tempdir(), "echo.sock")
    listen = loopback_listeners(path)
    with Echod(listen=listen) as d:
        for addr in d.listening:
            out, _ = expect(OK, addr, *PARTS)
            m = status(out)
            assert m.group(2).startswith("27 bytes echoed in "), out
            assert m.group(7) == "27", out
        tcp = d.listening[0]

        # -v: each step the asyncio example logs, in order, on stderr.
        out, err = expect(OK, "-v", tcp, *PARTS)
        steps = ["connecting to " + tcp, "connected to",
                 'sending part 1 of 3: 7 bytes: "Hello, "',
                 'sending part 2 of 3: 5 bytes: "World"',
                 'sending part 3 of 3: 15 bytes: "! (three parts)"',
                 "waiting for the response", "received ",
                 "all 27 bytes echoed", "closing the connection"]
        pos = 0
        for step in steps:
            pos = err.find(step, pos)
            assert pos >= 0, "no %r in order in:\n%s" % (step, err)

        # Without MESSAGE: stdin, or --size bytes of pattern.
        data = os.urandom(200000)
        p = subprocess.run([CLIENT, tcp], input=data,
                           capture_output=True, timeout=60)
        assert p.returncode == OK, p
        assert "200000 bytes echoed" in p.stdout.decode(), p.stdout
        out, _ = expect(OK, "--size", "1M", "unix:" + path)
        assert status(out).group(7) == str(1 << 20), out

        # --count: min/avg/max, and the perfdata to match.
        out, _ = expect(OK, "--count", 3, "--interval", "0.05", tcp, "x")
        m = status(out)
        assert m.group(2).startswith("3 checks, 1 bytes echoed in "), out
        assert " min, " in out and " avg, " in out and " max" in out, out
        assert m.group(6), out

        # Thresholds: any real round trip takes longer than 0 s.
        out, _ = expect(WARNING, "-w", 0, "-c", 10, tcp, "ping")
        m = status(out)
        assert m.group(1) == "WARNING" and "warning threshold" in out, out
        assert (m.group(4), m.group(5)) == ("0", "10"), out
        out, _ = expect(CRITICAL, "-w", 0, "-c", 0, tcp, "ping")
        assert status(out).group(1) == "CRITICAL", out
        assert "critical threshold" in out, out
        out, _ = expect(OK, "-w", 30, "-c", 60, tcp, "ping")
        assert status(out).group(4) == "30", out
        assert d.stop() == 0, d.log()


run(test)

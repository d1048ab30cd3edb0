"""Health checks against a real echod: OK over IPv4, IPv6 and a Unix
socket, with MESSAGE parts, stdin ("-") and --size; the -v step log;
--count with ping's statistics; WARNING and CRITICAL from thresholds in
the plugin guidelines' range syntax, to the microsecond."""
import os
import re
import subprocess

from clienttest import (CLIENT, CRITICAL, OK, WARNING, Echod, expect, run,
                        status_line, tempdir)
from netaddr import loopback_listeners

PARTS = ["Hello, ", "World", "! (three parts)"]
LINE = re.compile(r"^ECHO (OK|WARNING|CRITICAL) - (.*) \| time=(\d+\.\d{6})s"
                  r";([\d.:~@]*);([\d.:~@]*);0()"
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

        # Stdin only when asked for with "-"; else --size bytes of pattern.
        data = os.urandom(200000)
        p = subprocess.run([CLIENT, tcp, "-"], input=data,
                           capture_output=True, timeout=60)
        assert p.returncode == OK, p
        assert "200000 bytes echoed" in p.stdout.decode(), p.stdout
        p = subprocess.run([CLIENT, tcp], input=data,
                           capture_output=True, timeout=60)
        assert p.returncode == OK and "size=64B" in p.stdout.decode(), p
        out, _ = expect(OK, "--size", "1M", "unix:" + path)
        assert status(out).group(7) == str(1 << 20), out

        # --count: ping's statistics, and check_ping's perfdata.
        out, _ = expect(OK, "--count", 3, "--interval", "0.05", tcp, "x")
        text, perf = status_line(out)
        assert text.startswith("ECHO OK - 3 of 3 echoed, 0% lost, 1 bytes "
                               "each, rtt min/avg/max/mdev "), out
        assert perf["pl"]["value"] == "0" and perf["pl"]["uom"] == "%", out
        for label in ("rta", "rtmin", "rtmax", "mdev"):
            assert perf[label]["uom"] == "s", out

        # Thresholds: any real round trip takes longer than 0 s.
        out, _ = expect(WARNING, "-w", 0, "-c", 10, tcp, "ping")
        m = status(out)
        assert m.group(1) == "WARNING" and "(warning: time " in out, out
        assert (m.group(4), m.group(5)) == ("0", "10"), out
        out, _ = expect(CRITICAL, "-w", 0, "-c", 0, tcp, "ping")
        assert status(out).group(1) == "CRITICAL", out
        assert "(critical: time " in out, out
        out, _ = expect(OK, "-w", 30, "-c", 60, tcp, "ping")
        assert status(out).group(4) == "30", out

        # The guidelines' ranges, in microseconds: no loopback round trip
        # is under 1 us or over 30 s.
        for rng, state in [("0.000001", WARNING), ("30", OK),
                           ("0.000001:", OK), ("30:", WARNING),
                           ("~:30", OK), ("~:0.000001", WARNING),
                           ("0.000001:30", OK), ("@0.000001:30", WARNING),
                           ("@30:60", OK)]:
            out, _ = expect(state, "-w", rng, tcp, "ping")
            assert status(out).group(4) == rng, (rng, out)
            status_line(out)
        assert d.stop() == 0, d.log()


run(test)

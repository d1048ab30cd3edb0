"""A check always sends something: with no MESSAGE and stdin /dev/null (as
under a monitoring engine) it sends 64 bytes of pattern, so a discard
server is CRITICAL, not "0 bytes echoed" OK.  Stdin is read only for "-",
and --timeout bounds that read: a writer that never ends is CRITICAL
within -t.  Empty payloads are refused (UNKNOWN)."""
import subprocess
import time

from clienttest import (CLIENT, CRITICAL, OK, UNKNOWN, Echod, Server, expect,
                        run)


def discard(c):
    """Reads to EOF, answers nothing, closes."""
    while c.recv(65536):
        pass
    c.close()


def test():
    with Server(discard) as s:
        # Before: "ECHO OK - 0 bytes echoed in 5.23 ms", exit 0.
        out, _ = expect(CRITICAL, s.addr)
        assert "after echoing 0 of 64 bytes" in out, out
        out, _ = expect(UNKNOWN, s.addr, "-")      # /dev/null: refused
    with Echod(listen=["127.0.0.1:0"]) as d:
        addr = d.listening[0]
        out, _ = expect(OK, addr)
        assert "64 bytes echoed" in out and "size=64B" in out, out
        out, _ = expect(UNKNOWN, addr, "-")
        assert "nothing to send: MESSAGE and stdin are empty" in out, out
        p = subprocess.run([CLIENT, addr, "<", "-", ">"], input=b"stdin",
                           capture_output=True, timeout=60)
        assert p.returncode == OK and b"7 bytes echoed" in p.stdout, p

        # A stdin that never ends: before, the check waited for it (4 s
        # past -t 2) and then said OK.  The writer here holds the pipe
        # open for 60 s; the check must end at its own -t.
        writer = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
        try:
            t0 = time.monotonic()
            p = subprocess.run([CLIENT, "-t", "1", addr, "-"],
                               stdin=writer.stdout, capture_output=True,
                               timeout=60)
            took = time.monotonic() - t0
        finally:
            writer.kill()
            writer.wait()
        assert p.returncode == CRITICAL, p
        assert b"timeout reading stdin" in p.stdout, p
        assert took < 30, took
        # Without "-", stdin is not read at all.
        writer = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
        try:
            p = subprocess.run([CLIENT, "-t", "5", addr], stdin=writer.stdout,
                               capture_output=True, timeout=60)
        finally:
            writer.kill()
            writer.wait()
        assert p.returncode == OK and b"64 bytes echoed" in p.stdout, p
        assert d.stop() == 0, d.log()


run(test)

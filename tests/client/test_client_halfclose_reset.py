"""A reset that lands between the client's last write and its half-close
is reported as a reset.  strace delays the client's shutdown(2) by 2 s
(fault injection, not a mock: client and server are real), while the
server resets the connection on the first byte; before the fix this said
"Transport endpoint is not connected while half-closing"."""
import os
import shutil
import subprocess

from clienttest import (CLIENT, CRITICAL, Server, SkipTest,
                        reset_after_first_byte, run)


def test():
    if shutil.which("strace") is None:
        raise SkipTest("strace not installed")
    probe = subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        raise SkipTest("strace cannot trace here: %s" % probe.stderr)
    with Server(reset_after_first_byte) as s:
        p = subprocess.run(
            ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=shutdown",
             "-e", "inject=shutdown:delay_enter=2000000",
             CLIENT, "-t", "30", s.addr, "hello"],
            capture_output=True, text=True, timeout=120,
            # LeakSanitizer cannot run under ptrace; the rest of ASan can.
            env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert p.returncode == CRITICAL, p
    assert "connection reset after sending 5 of 5 bytes, at the half-close" \
        in p.stdout, p
    assert "not connected" not in p.stdout, p


run(test)

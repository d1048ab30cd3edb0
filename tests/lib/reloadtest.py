"""Helpers for the reload tests, on top of echodtest.

A reload re-executes echod in place; these helpers drive it from outside:
reload() signals and waits for the outcome line, Idle keeps connections
that echo a line on demand, HealthLoop checks like a monitoring probe in a
loop, Trickle streams a transfer slowly enough to be in flight across
reloads, and install() puts a binary where the running echod will look.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

from echodtest import Echod  # noqa: F401
from harness import ECHOD, SkipTest, run, scaled, tempdir  # noqa: F401
from streams import Stream, assert_same, pattern  # noqa: F401

BUILDDIR = os.path.dirname(os.path.abspath(ECHOD))
# Test builds of the same sources (tests/reload/local.am).
ECHOD_NEXT = os.path.join(BUILDDIR, "tests", "reload", "echod-next")
ECHOD_V99 = os.path.join(BUILDDIR, "tests", "reload", "echod-v99")
OUTCOME = r"reloaded: |reload failed: "


def handoff_version(binary=ECHOD):
    """The hand-off version binary reads, as its pre-flight says."""
    out = subprocess.run([binary, "--config", "/dev/null", "--check-config",
                          "--handoff-version"], capture_output=True,
                         text=True, timeout=scaled(30), check=True).stdout
    return int(re.search(r" hand-off (\d+)$", out.strip()).group(1))


HANDOFF = handoff_version()


def install(src, dst):
    """Installs src at dst the way package managers do: a new inode
    renamed over the old, so the running image's own file is untouched."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o755)
    os.rename(tmp, dst)


def install_script(dst, text, shell="/bin/sh"):
    """Installs a stand-in for echod: a script that plays one part."""
    tmp = dst + ".new"
    with open(tmp, "w") as f:
        f.write("#!%s\n%s" % (shell, text))
    os.chmod(tmp, 0o755)
    os.rename(tmp, dst)


def reload(d, signo=signal.SIGHUP, timeout=30):
    """Sends SIGHUP; waits for the outcome; returns (ok, line)."""
    start = d.mark()
    d.signal(signo)
    line = d.wait_for(OUTCOME, timeout, start=start)
    return "reloaded: " in line, line


def reload_survived(d, timeout=20, tail=4):
    """Sends SIGHUP; asserts echod still runs after it (an image that
    cannot serve must not exit); returns the outcome line (None if none
    was logged) and the log mark from before the signal."""
    start = d.mark()
    d.signal(signal.SIGHUP)
    try:
        line = d.wait_for(OUTCOME, timeout, start=start)
    except AssertionError:
        line = None
    assert d.running(), "echod exited on the reload:\n" + \
        "\n".join(d.log().splitlines()[-tail:])
    return line, start


def echo(s, data):
    """Sends data on s and reads its echo back, exactly."""
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(len(data) - len(got))
        assert chunk, "EOF after %d bytes" % len(got)
        got += chunk
    assert got == data, (got, data)


def refused(addr):
    """Whether a TCP connection to addr is refused: nothing listens."""
    try:
        socket.create_connection(addr, timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def counters(d):
    """SIGUSR1's counters line, as a dict."""
    start = d.mark()
    d.signal(signal.SIGUSR1)
    line = d.wait_for(r"counters: ", 10, start=start)
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def no_close_lines(d):
    closed = d.grep(r" closed \(")
    assert not closed, "connections closed:\n" + "\n".join(closed)


class Idle:
    """n connections that sit idle and echo one line when asked."""

    def __init__(self, d, n, listener=0):
        self.socks = [d.connect(listener) for _ in range(n)]
        self.rounds = 0

    def check(self):
        self.rounds += 1
        for i, s in enumerate(self.socks):
            s.sendall(b"idle %d round %d\n" % (i, self.rounds))
        for i, s in enumerate(self.socks):
            want = b"idle %d round %d\n" % (i, self.rounds)
            got = b""
            while len(got) < len(want):
                data = s.recv(len(want) - len(got))
                assert data, "idle connection %d closed" % i
                got += data
            assert got == want, (i, got, want)

    def close(self):
        for s in self.socks:
            s.close()


class HealthLoop(threading.Thread):
    """Connects, sends, half-closes and reads to EOF, again and again
    (at most `limit` times): the probe of an operator's monitoring."""

    def __init__(self, addr, limit=100000):
        super().__init__(daemon=True)
        self.addr, self.limit = addr, limit
        self.ok = 0
        self.failures = []
        self.stop = threading.Event()

    def run(self):
        deadline = time.monotonic() + scaled(300)
        for n in range(self.limit):
            if self.stop.is_set() or time.monotonic() > deadline:
                break
            msg = b"health %d" % n
            try:
                with socket.create_connection(self.addr,
                                              timeout=scaled(10)) as c:
                    c.sendall(msg)
                    c.shutdown(socket.SHUT_WR)
                    got = b""
                    while True:
                        data = c.recv(4096)
                        if not data:
                            break
                        got += data
            except OSError as e:
                self.failures.append("check %d: %r" % (n, e))
                continue
            if got != msg:
                self.failures.append("check %d: %r" % (n, got))
            else:
                self.ok += 1

    def finish(self):
        self.stop.set()
        self.join(scaled(30))
        assert not self.is_alive(), "health loop hangs"
        assert not self.failures, self.failures[:5]
        assert self.ok > 0, "no health check ran"
        return self.ok


class Trickle:
    """A transfer sent in blocks with pauses, so that it is still in
    flight after several reloads; the echo is read all along and checked
    byte for byte at the end."""

    def __init__(self, sock, data, block=1 << 16, pause=0.004):
        self.sock, self.data = sock, data
        self.block, self.pause = block, pause
        self.sent = 0
        self.got = bytearray()
        self.error = None
        sock.settimeout(scaled(30))
        self._tx = threading.Thread(target=self._send, daemon=True)
        self._rx = threading.Thread(target=self._recv, daemon=True)
        self._tx.start()
        self._rx.start()

    def _send(self):
        try:
            view = memoryview(self.data)
            while self.sent < len(view):
                self.sock.sendall(view[self.sent:self.sent + self.block])
                self.sent += min(self.block, len(view) - self.sent)
                time.sleep(self.pause)
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.error = e

    def _recv(self):
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    return
                self.got += data
        except OSError as e:
            self.error = e

    def in_flight(self):
        return self._tx.is_alive()

    def finish(self, timeout=120):
        self._tx.join(scaled(timeout))
        self._rx.join(scaled(timeout))
        assert not self._rx.is_alive(), "transfer: no EOF"
        assert self.error is None, "transfer: %r" % self.error
        assert_same(bytes(self.got), self.data, "64 MiB transfer")

"""A real echod process on loopback, and the names tests import.

Echod binds port 0 and the helper reads the bound address from its
"listening on" log lines, so tests never race for ports.  The environment
that steers it (ECHOD, ECHOD_ARGS, ECHOD_WRAPPER, ECHOD_TIME_SCALE) is
read in harness.py.

This module also re-exports the helpers tests have always imported from
it (run, SkipTest, scaled, pattern, Stream, has_ipv6, ...), so that
`from echodtest import ...` keeps working; each is defined once, in
harness, netaddr, streams or asyncecho.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

from asyncecho import PARTS, echo_three_parts  # noqa: F401
from harness import (ECHOD, EXTRA_ARGS, TIME_SCALE, WRAPPER,  # noqa: F401
                     SkipTest, run, scaled, tempdir, wait_until)
from netaddr import (free_port, has_ipv6, loopback_listeners,  # noqa: F401
                     parse_addr, peer_name)
from streams import (Stream, assert_same, first_difference,  # noqa: F401
                     pattern, recv_all, recv_until_eof, refused)

LISTEN_RE = re.compile(r"listening on (\S+)")
CLOSED_RE = re.compile(r" closed \(([^)]*)\): (\d+) bytes in, (\d+) out, "
                       r"([0-9.]+) (us|ms|s)$")


def asan_build():
    """Whether echod is built with AddressSanitizer, whose quarantine and
    shadow memory make its RSS meaningless as a measure of buffering."""
    with open(ECHOD, "rb") as f:
        return b"__asan_init" in f.read()


def not_measurable():
    """Why the daemon's RSS cannot be asserted on, or None."""
    if WRAPPER:
        return "echod runs under ECHOD_WRAPPER"
    if asan_build():
        return "echod is built with AddressSanitizer"
    return None


class Echod:
    """A running echod; stderr is collected line by line."""

    def __init__(self, *args, listen=("127.0.0.1:0",), env=None, wrapper=(),
                 wait_ready=True, binary=None, **popen):
        # binary: another echod than ECHOD (a reload re-executes its path).
        cmd = list(wrapper) + WRAPPER + [binary or ECHOD] + EXTRA_ARGS
        # The host's own echod.conf must not change what a test runs.
        if not any(a == "--config" or str(a).startswith("--config=")
                   for a in args):
            cmd += ["--config", "/dev/null"]
        for addr in listen:
            cmd += ["--listen", addr]
        cmd += list(args)
        self.cmd = cmd
        self.lines = []
        self.listening = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=env, **popen)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if wait_ready:
            self.wait_for("ready:")

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                m = LISTEN_RE.search(line)
                if m:
                    self.listening.append(m.group(1))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern, timeout=10.0, start=0):
        """Waits for a stderr line matching the regex; returns it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + scaled(timeout)
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not self._reader.is_alive()):
                    raise AssertionError(
                        "echod never logged %r; log:\n%s"
                        % (pattern, "\n".join(self.lines)))
                self._cond.wait(min(left, 0.1))

    def mark(self):
        """The number of log lines so far: a start for wait_for and grep."""
        with self._cond:
            return len(self.lines)

    def grep(self, pattern, start=0):
        """The log lines (from start) that match the regex."""
        rx = re.compile(pattern)
        with self._cond:
            return [line for line in self.lines[start:] if rx.search(line)]

    def closed(self, peer, timeout=10.0):
        """Waits for the info line logged (at -v) when the connection of
        peer (a TCP client socket, or its peer_name) closed; returns
        (reason, bytes in, bytes out, duration in seconds)."""
        if not isinstance(peer, str):
            peer = peer_name(peer)
        line = self.wait_for(r"conn \d+ from %s closed " % re.escape(peer),
                             timeout)
        m = CLOSED_RE.search(line)
        assert m, "bad close line: " + line
        dur = float(m.group(4)) / {"us": 1e6, "ms": 1e3, "s": 1}[m.group(5)]
        return m.group(1), int(m.group(2)), int(m.group(3)), dur

    def addr(self, i=0):
        """(host, port) of the i-th TCP listener, for socket.connect."""
        return parse_addr(self.listening[i])[1]

    def connect(self, i=0, timeout=10.0, bufsize=None):
        """A client of the i-th listener.  bufsize sets its socket buffers,
        so that a client that does not read stalls after a few MiB (left
        to themselves, buffers on loopback grow to tens of MiB)."""
        family, addr = parse_addr(self.listening[i])
        s = socket.socket(family, socket.SOCK_STREAM)
        if bufsize is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
        s.connect(addr)
        s.settimeout(scaled(timeout))
        return s

    def signal(self, signo=signal.SIGTERM):
        self.proc.send_signal(signo)

    def wait(self, timeout=30.0):
        rc = self.proc.wait(scaled(timeout))
        self._reader.join(5)
        return rc

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM, then the exit status; kills it if it hangs."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.wait()
            raise AssertionError("echod did not exit after SIGTERM")

    def log(self):
        return "\n".join(self.lines)

    def _status_kib(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError("no %s for echod" % field)

    def rss_kib(self):
        return self._status_kib("VmRSS")

    def rss_peak_kib(self):
        """The highest RSS the daemon has had (VmHWM)."""
        return self._status_kib("VmHWM")

    def cpu_seconds(self):
        """User plus system CPU time the daemon has used."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.wait()

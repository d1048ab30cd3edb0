"""Helpers for end-to-end tests: a real echod process on loopback.

Each test file is a standalone script run by `make check`: exit 0 on pass,
1 on failure, 77 to skip.  Echod binds port 0 and the helper reads the bound
address from its "listening on" log lines, so tests never race for ports.

ECHOD_ARGS (shell words) are added to every echod command line.
ECHOD_WRAPPER (shell words) runs echod under another command, e.g.
ECHOD_WRAPPER="valgrind -q --error-exitcode=99".  Timeouts then stretch by
ECHOD_TIME_SCALE (default 20), and tests skip their assertions on RSS and
CPU, which would measure the wrapper.  The wrapper must keep stderr quiet
unless something is wrong: tests read echod's log lines from it.
"""
import atexit
import hashlib
import asyncio
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ECHOD = os.environ.get("ECHOD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "echod")

LISTEN_RE = re.compile(r"listening on (\S+)")
CLOSED_RE = re.compile(r" closed \(([^)]*)\): (\d+) bytes in, (\d+) out, "
                       r"([0-9.]+) (us|ms|s)$")

WRAPPER = shlex.split(os.environ.get("ECHOD_WRAPPER", ""))
# ECHOD_ARGS (shell words) go first on every echod command line, so the
# suite can run again with, say, ECHOD_ARGS="--threads 4"; a test's own
# options come later and win.
EXTRA_ARGS = shlex.split(os.environ.get("ECHOD_ARGS", ""))
TIME_SCALE = float(os.environ.get("ECHOD_TIME_SCALE") or
                   (20 if WRAPPER else 1))


def scaled(seconds):
    """A timeout stretched for a slow echod (under a wrapper)."""
    return seconds * TIME_SCALE


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
                 wait_ready=True, **popen):
        cmd = list(wrapper) + WRAPPER + [ECHOD] + EXTRA_ARGS
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
        text = self.listening[i]
        host, _, port = text.rpartition(":")
        return host.strip("[]"), int(port)

    def connect(self, i=0, timeout=10.0, bufsize=None):
        """A client of the i-th listener.  bufsize sets its socket buffers,
        so that a client that does not read stalls after a few MiB (left
        to themselves, buffers on loopback grow to tens of MiB)."""
        text = self.listening[i]
        if text.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            path = text[5:]
            addr = "\0" + path[1:] if path.startswith("@") else path
        else:
            host, port = self.addr(i)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            addr = (host, port)
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



def has_ipv6():
    """Whether ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


PARTS = [b"Hello, ", b"World", b"! (three parts)"]


async def _three_parts(open_conn):
    reader, writer = await open_conn()
    for part in PARTS:
        writer.write(part)
        await writer.drain()
    writer.write_eof()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    await writer.wait_closed()
    return data


def echo_three_parts(addr):
    """The canonical asyncio client: three writes, write_eof(), read to
    EOF; asserts every byte came back.  addr as echod logs it."""
    if addr.startswith("unix:"):
        path = addr[5:]
        conn = lambda: asyncio.open_unix_connection(  # noqa: E731
            "\0" + path[1:] if path.startswith("@") else path)
    else:
        host, _, port = addr.rpartition(":")
        conn = lambda: asyncio.open_connection(  # noqa: E731
            host.strip("[]"), int(port))
    got = asyncio.run(_three_parts(conn))
    assert got == b"".join(PARTS), (addr, got)

def recv_all(sock, limit=None):
    """Reads until EOF (or limit bytes); returns the bytes."""
    chunks, n = [], 0
    while limit is None or n < limit:
        data = sock.recv(1 << 16 if limit is None else min(1 << 16, limit - n))
        if not data:
            break
        chunks.append(data)
        n += len(data)
    return b"".join(chunks)


def peer_name(sock):
    """How echod names the peer of TCP client socket sock in its log."""
    host, port = sock.getsockname()[:2]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def recv_until_eof(sock, limit, timeout=10.0):
    """Reads until EOF, expecting at most limit bytes; returns them."""
    got = bytearray()
    deadline = time.monotonic() + scaled(timeout)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no EOF after %d bytes" % len(got))
        sock.settimeout(left)
        data = sock.recv(1 << 20)
        if not data:
            return bytes(got)
        got += data
        if len(got) > limit:
            raise AssertionError("more than %d bytes came back" % limit)


def pattern(n, seed=b"echod"):
    """n bytes that never repeat (SHAKE-128): a lost, duplicated or
    reordered piece shows as a mismatch."""
    return hashlib.shake_128(seed).digest(n)


def first_difference(a, b):
    """The first offset where a and b differ, for failure messages."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def assert_same(got, want, what="echo"):
    if got != want:
        raise AssertionError("%s: %d bytes back of %d, first difference at "
                             "offset %d" % (what, len(got), len(want),
                                            first_difference(got, want)))


class Stream:
    """One client socket with a sender thread and a reader thread.

    The sender sends data (and half-closes after it, if asked) until done
    or told to stop; the reader, once started, reads into `received` until
    EOF.  Both only run for a bounded time.
    """

    def __init__(self, sock, data, half_close=True, timeout=60.0):
        self.sock = sock
        self.data = memoryview(data)
        self.half_close = half_close
        self.sent = 0
        self._buf = bytearray(len(data) + 1)
        self.nreceived = 0
        self.eof = False
        self.error = None
        self._stop = threading.Event()
        self._deadline = time.monotonic() + scaled(timeout)
        sock.settimeout(0.2)
        self._sender = threading.Thread(target=self._send, daemon=True)
        self._reader = threading.Thread(target=self._recv, daemon=True)

    def _send(self):
        try:
            while self.sent < len(self.data) and not self._stop.is_set():
                if time.monotonic() > self._deadline:
                    raise AssertionError("sender timed out")
                try:
                    self.sent += self.sock.send(
                        self.data[self.sent:self.sent + (1 << 18)])
                except socket.timeout:
                    continue
            if self.half_close and not self._stop.is_set():
                self.sock.shutdown(socket.SHUT_WR)
        except Exception as e:
            self.error = self.error or e

    def _recv(self):
        view = memoryview(self._buf)
        try:
            while time.monotonic() < self._deadline:
                try:
                    n = self.sock.recv_into(view[self.nreceived:],
                                            min(1 << 20, len(view) -
                                                self.nreceived))
                except socket.timeout:
                    continue
                if n == 0:
                    self.eof = True
                    return
                self.nreceived += n
                if self.nreceived == len(view):
                    raise AssertionError("more came back than was sent")
            raise AssertionError("reader timed out")
        except Exception as e:
            self.error = self.error or e

    @property
    def received(self):
        """What has come back so far (a view: no copy)."""
        return memoryview(self._buf)[:self.nreceived]

    def start_sending(self):
        self._sender.start()
        return self

    def start_reading(self):
        self._reader.start()
        return self

    def busy(self):
        """Whether the sender or the reader is still running."""
        return self._sender.is_alive() or self._reader.is_alive()

    def stop_sending(self):
        """Stops the sender (without half-closing); returns bytes sent."""
        self._stop.set()
        self._sender.join(scaled(10))
        return self.sent

    def wait_stalled(self, quiet=1.0, timeout=30.0):
        """Waits until sending has made no progress for `quiet` seconds."""
        deadline = time.monotonic() + scaled(timeout)
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if not self._sender.is_alive():
                raise AssertionError("sender ended after %d bytes: %r"
                                     % (self.sent, self.error))
            if self.sent != last:
                last, since = self.sent, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return self.sent
            time.sleep(0.05)
        raise AssertionError("sender never stalled (%d bytes sent)"
                             % self.sent)

    def join(self, timeout=60.0):
        """Waits for both threads; raises what either of them hit."""
        for t in (self._sender, self._reader):
            if t.ident is None:
                continue
            t.join(max(0, self._deadline - time.monotonic()) +
                   scaled(timeout))
            if t.is_alive():
                raise AssertionError("client thread still running")
        if self.error is not None:
            raise self.error

    def close(self):
        self._stop.set()
        self.sock.close()


def refused(connect):
    """Whether calling connect() raises ConnectionRefusedError."""
    try:
        s = connect()
    except ConnectionRefusedError:
        return True
    s.close()
    return False


def run(test):
    """Runs test(), prints PASS/FAIL, exits with automake's convention."""
    name = os.path.basename(sys.argv[0])
    try:
        test()
    except SkipTest as e:
        print("SKIP %s: %s" % (name, e))
        sys.exit(77)
    except Exception:
        import traceback
        traceback.print_exc()
        print("FAIL %s" % name)
        sys.exit(1)
    print("PASS %s" % name)
    sys.exit(0)


class SkipTest(Exception):
    pass


def tempdir():
    """A fresh directory, removed when the test exits."""
    path = tempfile.mkdtemp(prefix="echod-test.")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path

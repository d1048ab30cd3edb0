"""Helpers for end-to-end tests: a real echod process on loopback.

Each test file is a standalone script run by `make check`: exit 0 on pass,
1 on failure, 77 to skip.  Echod binds port 0 and the helper reads the bound
address from its "listening on" log lines, so tests never race for ports.
"""
import os
import re
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


class Echod:
    """A running echod; stderr is collected line by line."""

    def __init__(self, *args, listen=("127.0.0.1:0",), env=None, wrapper=(),
                 wait_ready=True, **popen):
        cmd = list(wrapper) + [ECHOD]
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
        deadline = time.monotonic() + timeout
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

    def addr(self, i=0):
        """(host, port) of the i-th TCP listener, for socket.connect."""
        text = self.listening[i]
        host, _, port = text.rpartition(":")
        return host.strip("[]"), int(port)

    def connect(self, i=0, timeout=10.0):
        text = self.listening[i]
        if text.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            path = text[5:]
            s.connect("\0" + path[1:] if path.startswith("@") else path)
        else:
            host, port = self.addr(i)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.connect((host, port))
        s.settimeout(timeout)
        return s

    def signal(self, signo=signal.SIGTERM):
        self.proc.send_signal(signo)

    def wait(self, timeout=30.0):
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        return rc

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

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS for echod")

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
    return tempfile.mkdtemp(prefix="echod-test.")

"""Helpers for the system tests: systemd's side of the protocols, for real.

A notify receiver (the service manager's end of sd_notify), launchers that
pass listening sockets the way systemd does, and the seed-style echo check.
Built on tests/e2e/echodtest.py (Echod, run, SkipTest).
"""
import asyncio
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
from echodtest import (ECHOD, PARTS, Echod, SkipTest, echo_three_parts,  # noqa
                       has_ipv6, recv_all, run, tempdir)

def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A port free right now (tools that cannot bind port 0 need one)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Notify:
    """The manager's end of NOTIFY_SOCKET: records (time, pid, line).

    A thread stamps each datagram within a few ms of its arrival, so tests
    can judge the pace of watchdog pings.
    """

    def __init__(self):
        self.dir = tempdir()
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.msgs = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop:
            select.select([self.sock], [], [], 0.05)
            self.poll()

    def env(self, **extra):
        env = dict(os.environ, NOTIFY_SOCKET=self.path)
        env.update(extra)
        return env

    def poll(self):
        """Reads every datagram queued now; returns all recorded."""
        with self._lock:
            while True:
                try:
                    msg, anc, _, _ = self.sock.recvmsg(
                        4096, socket.CMSG_SPACE(12))
                except (BlockingIOError, OSError):
                    break
                pid = -1
                for level, kind, data in anc:
                    if (level == socket.SOL_SOCKET
                            and kind == socket.SCM_CREDENTIALS):
                        pid = struct.unpack("iII", data[:12])[0]
                now = time.monotonic()
                for line in msg.decode().splitlines():
                    self.msgs.append((now, pid, line))
            return list(self.msgs)

    def wait_for(self, prefix, timeout=15.0, start=0):
        """Waits for a line starting with prefix; returns its index."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (_, _, line) in enumerate(self.poll()[start:], start):
                if line.startswith(prefix):
                    return i
            if time.monotonic() > deadline:
                raise AssertionError("no %r notification; got %r" % (
                    prefix, self.lines()))
            time.sleep(0.05)

    def lines(self, prefix=""):
        return [m[2] for m in self.poll() if m[2].startswith(prefix)]

    def close(self):
        self._stop = True
        self._thread.join(5)
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def listening_socket(addr, kind=socket.SOCK_STREAM):
    """Binds a socket the way a .socket unit would; addr as echod prints."""
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, kind)
        s.bind(addr[5:])
    else:
        host, _, port = addr.rpartition(":")
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    return s


# Runs in the child: moves the given fds to 3.., sets LISTEN_PID to its own
# PID (kept by exec) and execs echod, as the service manager does.
_LAUNCH = """
import os, sys
fds = [int(x) for x in sys.argv[1].split(",") if x]
tmp = [os.dup(fd) for fd in fds]
for i, fd in enumerate(tmp):
    os.dup2(fd, 3 + i)
    os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"""


def activation(socks, names, env=None):
    """(command prefix, env, fds) that pass socks as systemd does."""
    fds = [s.fileno() for s in socks]
    env = dict(os.environ if env is None else env,
               LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names))
    return [sys.executable, "-c", _LAUNCH, ",".join(map(str, fds))], env, fds


def activated(socks, names, *args, env=None, **kw):
    """Starts echod with socks passed as systemd does (fds 3.., LISTEN_*).

    The caller keeps its own copies of the sockets, as the service manager
    does, so it can see what echod leaves behind.
    """
    wrapper, env, fds = activation(socks, names, env)
    return Echod(*args, listen=kw.pop("listen", ()), env=env,
                 wrapper=wrapper, pass_fds=fds, **kw)


def run_quiet(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def wait_until(pred, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class Background(threading.Thread):
    """Runs fn in a thread; join() re-raises its exception."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args, self.exc, self.result = fn, args, None, None
        self.start()

    def run(self):
        try:
            self.result = self.fn(*self.args)
        except BaseException as e:  # noqa: B902 - re-raised in join()
            self.exc = e

    def join(self, timeout=60.0):
        super().join(timeout)
        if self.is_alive():
            raise AssertionError("background task did not finish")
        if self.exc is not None:
            raise self.exc
        return self.result

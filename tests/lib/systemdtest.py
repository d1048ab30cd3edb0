"""Helpers for the system tests: systemd's side of the protocols, for real.

A notify receiver (the service manager's end of sd_notify), launchers that
pass listening sockets the way systemd does, and the seed-style echo check.
Built on echodtest (Echod) and harness (run, SkipTest).
"""
import os
import select
import socket
import struct
import sys
import threading
import time

from asyncecho import PARTS, echo_three_parts  # noqa: F401
from echodtest import Echod
from harness import (ECHOD, SkipTest, run, tempdir,  # noqa: F401
                     wait_until)
from netaddr import free_port, has_ipv6, parse_addr  # noqa: F401
from streams import recv_all  # noqa: F401


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
    family, sockaddr = parse_addr(addr)
    s = socket.socket(family, kind)
    if family != socket.AF_UNIX:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(sockaddr)
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    return s


# Runs in the child: moves the given fds to 3.., sets LISTEN_PID to its own
# PID (kept by exec) and execs echod, as the service manager does.
_LAUNCH = """
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(",") if x]
# Above 3..3+n: a plain dup could return 3 itself, closed just below.
tmp = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3 + len(fds)) for fd in fds]
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

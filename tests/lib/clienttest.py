"""Helpers for echo-client's tests: run the client, and small misbehaving
servers (written here, so each failure the client must catch is real).

The client binary sits next to echod in the build tree; ECHO_CLIENT
overrides it.  Echod itself comes from echodtest.
"""
import os
import re
import socket
import struct
import subprocess
import threading

from echodtest import Echod  # noqa: F401
from harness import ECHOD, SkipTest, run, tempdir  # noqa: F401
from netaddr import free_port, has_ipv6  # noqa: F401

CLIENT = os.environ.get("ECHO_CLIENT") or os.path.join(
    os.path.dirname(os.path.abspath(ECHOD)), "echo-client")

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3


def client(*args, timeout=60, stdin=subprocess.DEVNULL, **kw):
    """Runs echo-client; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run([CLIENT] + [str(a) for a in args], stdin=stdin,
                       capture_output=True, timeout=timeout, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def expect(want, *args, **kw):
    """Runs echo-client, asserts its exit status; returns stdout, stderr."""
    rc, out, err = client(*args, **kw)
    assert rc == want, "exit %d, wanted %d\nargs: %r\nout: %s\nerr: %s" % (
        rc, want, args, out, err)
    return out, err


class Server:
    """A TCP server on 127.0.0.1 that runs handle(sock) per connection in
    a thread.  Sockets are closed when the server stops."""

    def __init__(self, handle):
        self.handle = handle
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        try:
            self.handle(c)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def echo_changed(change):
    """A handler that echoes all it reads, through change(offset, data),
    then half-closes once the client has."""
    def handle(c):
        off = 0
        while True:
            data = c.recv(65536)
            if not data:
                break
            c.sendall(change(off, data))
            off += len(data)
        c.shutdown(socket.SHUT_WR)
    return handle


def flip_byte(at):
    """change() for echo_changed: flips the low bit of byte `at`."""
    def change(off, data):
        if off <= at < off + len(data):
            i = at - off
            data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
        return data
    return change


def silent(c):
    """Accepts, never reads, never answers; holds on until stopped."""
    threading.Event().wait(60)


def reset_after_first_byte(c):
    c.recv(1)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def echo_half(c):
    """Reads to EOF, echoes only the first half, closes."""
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.sendall(data[:len(data) // 2])
    c.close()


class UdpServer:
    """A UDP socket on 127.0.0.1 answering each datagram through reply():
    None for no answer, bytes for one, a list for several."""

    def __init__(self, reply):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "udp:127.0.0.1:%d" % self.sock.getsockname()[1]
        self.reply = reply
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            out = self.reply(data)
            try:
                for d in [out] if isinstance(out, bytes) else out or []:
                    self.sock.sendto(d, peer)
            except OSError:     # closed while answering
                return

    def close(self):
        self.sock.close()


# The monitoring-plugins guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
# with value, min and max in [-0-9.], warn and crit in the range syntax.
_NUM = r"-?[0-9]+(?:\.[0-9]+)?"
_RANGE = re.compile(r"^@?(?:(?:%s|~):)?(?:%s)?$" % (_NUM, _NUM))
_PERF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'= ][^= ]*))=(%s|U)"
                   r"(s|ms|us|%%|B|KB|MB|TB|GB|c)?"
                   r"(?:;([^; ]*)(?:;([^; ]*)(?:;(%s)?(?:;(%s)?)?)?)?)?$"
                   % (_NUM, _NUM, _NUM))


def status_line(out):
    """Splits a plugin's one-line output into (text, {label: fields}),
    asserting each perfdata item follows the guidelines."""
    assert out.endswith("\n") and out.count("\n") == 1, repr(out)
    text, _, perf = out[:-1].partition("|")
    items = {}
    for item in perf.split():
        m = _PERF.match(item)
        assert m, "perfdata %r does not parse by the guidelines" % item
        label = (m.group(1) or "").replace("''", "'") or m.group(2)
        warn, crit = m.group(5) or "", m.group(6) or ""
        for r in (warn, crit):
            assert r == "" or _RANGE.match(r), "bad range %r in %r" % (
                r, item)
        items[label] = {"value": m.group(3), "uom": m.group(4) or "",
                        "warn": warn, "crit": crit, "min": m.group(7),
                        "max": m.group(8)}
    return text.rstrip(), items

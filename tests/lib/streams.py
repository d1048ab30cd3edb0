"""Byte streams for echo tests: data that shows loss or reordering,
reading to EOF, and a client socket with sender and reader threads."""
import hashlib
import socket
import threading
import time

from harness import scaled


def roundtrip(sock, data):
    """Sends data and reads exactly its echo back (failing on EOF or a
    difference); returns its length."""
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(len(data) - len(got))
        assert chunk, "EOF after %d of %d bytes" % (len(got), len(data))
        got += chunk
    assert got == data, (got, data)
    return len(data)


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

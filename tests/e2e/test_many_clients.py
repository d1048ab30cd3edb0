"""Many clients at once, spread over echod's event loops: each gets back
exactly its own bytes, then EOF, and none gets another's.

200 clients connect, each sends its own 32 KiB (a distinct stretch of a
non-repeating pattern) and half-closes; one thread drives them all with
select until every one has its echo and EOF.
"""
import selectors
import socket
import time

from echodtest import Echod, assert_same, pattern, run, scaled

CLIENTS = 200
EACH = 32 << 10


def test():
    data = pattern(EACH + CLIENTS * 512, b"many")
    with Echod("-v", "--threads", "4") as d:
        sel = selectors.DefaultSelector()
        state = {}
        for i in range(CLIENTS):
            s = d.connect()
            s.setblocking(False)
            want = memoryview(data)[i * 512:i * 512 + EACH]
            state[s] = {"want": want, "sent": 0, "got": bytearray(),
                        "eof": False}
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        deadline = time.monotonic() + scaled(60)
        open_ = CLIENTS
        while open_:
            assert time.monotonic() < deadline, \
                "%d clients unfinished" % open_
            for key, ev in sel.select(1.0):
                s, st = key.fileobj, state[key.fileobj]
                if ev & selectors.EVENT_WRITE:
                    st["sent"] += s.send(st["want"][st["sent"]:])
                    if st["sent"] == EACH:
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    chunk = s.recv(1 << 16)
                    if chunk:
                        st["got"] += chunk
                        assert len(st["got"]) <= EACH, "too much echo"
                        continue
                    st["eof"] = True
                    sel.unregister(s)
                    s.close()
                    open_ -= 1
        for i, st in enumerate(state.values()):
            assert_same(st["got"], st["want"], "client %d" % i)
        assert d.stop() == 0, d.log()
        closes = d.grep(r"closed \(eof\): %d bytes in, %d out" % (EACH, EACH))
        assert len(closes) == CLIENTS, d.log()


run(test)

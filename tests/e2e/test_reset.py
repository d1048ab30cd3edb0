"""Clients that vanish: a reset while echod holds unsent echo for it, and
a reset while echod is idle, close only that connection; echod logs why,
keeps serving everyone else, and still shuts down cleanly.
"""
import socket
import struct

from echodtest import Echod, Stream, pattern, peer_name, run

SIZE = 64 << 20


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def test():
    with Echod("-v", "--high-watermark", "64K", "--low-watermark",
               "16K") as d:
        other = d.connect()
        # Stalled: echod has stopped reading it, with echo pending.
        st = Stream(d.connect(bufsize=64 << 10), pattern(SIZE, b"reset"))
        st.start_sending()
        st.wait_stalled()
        peer = peer_name(st.sock)
        st.stop_sending()
        reset(st.sock)
        reason, nin, nout, _ = d.closed(peer)
        assert reason == "reset", reason
        assert nout <= nin, (nin, nout)
        # Idle, echo all delivered.
        s = d.connect()
        s.sendall(b"bye")
        assert s.recv(3) == b"bye"
        peer = peer_name(s)
        reset(s)
        assert d.closed(peer)[0] == "reset"
        other.sendall(b"still here")
        assert other.recv(10) == b"still here"
        other.close()
        assert d.stop() == 0, d.log()
        assert not d.grep(r"warning|err:"), d.log()


run(test)

"""SIGTERM mid-transfer: what echod read is echoed, then EOF; exit 0.

1. Two clients are mid-transfer when SIGTERM comes, one reading as it
   sends, one stalled (it never read, so echod stopped reading it).  Both
   stop sending, then read to EOF: each gets back exactly the first bytes
   it sent, as many as echod logs it read, then EOF, not a reset, although
   echod never read their last bytes.  New connects are refused from the
   signal on.  echod exits 0 well within --shutdown-timeout.
2. A client that keeps sending and never reads is closed by
   --shutdown-timeout; echod still exits 0.
3. A second signal (SIGINT then SIGTERM) exits at once, with status 0.
4. A client that keeps sending and reads its echoes late: when echod has
   half-closed, megabytes of echoes still wait in its kernel's send queue,
   and the client stops reading for longer than the lingering close's two
   seconds, then reads to EOF.  Every byte echod read still comes back:
   closing with echoes unacknowledged, while input arrives, would send a
   reset that throws them away (and the client's writer, hit by the reset
   first, would leave the reader a plain EOF: only the count shows it).
"""
import signal
import socket
import subprocess
import threading
import time

from echodtest import (Echod, Stream, assert_same, pattern, peer_name,
                       refused, run, scaled, wait_until)

SIZE = 64 << 20
BUF = 64 << 10  # client socket buffers: a client that does not read stalls
MARKS = ("--high-watermark", "64K", "--low-watermark", "16K")


def drain(data):
    timeout = scaled(10)
    with Echod("-v", "--shutdown-timeout", "%g" % timeout, *MARKS) as d:
        stalled = Stream(d.connect(bufsize=BUF), data[4096:], timeout=60)
        stalled.start_sending().wait_stalled()
        busy = Stream(d.connect(), data[:SIZE], timeout=60)
        busy.start_sending().start_reading()
        wait_until(lambda: busy.nreceived >= 1 << 20, what="echoes",
                   interval=0.01)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        assert busy.sent < SIZE, "the transfer was over before SIGTERM"
        d.wait_for("Terminated: shutting down, 2 connections draining")
        busy.stop_sending()
        stalled.stop_sending()
        assert refused(d.connect), "a connect after SIGTERM was accepted"
        stalled.start_reading()
        for name, st in (("busy", busy), ("stalled", stalled)):
            st.join()
            assert st.eof, name + ": no EOF"
            assert st.nreceived > 0, name + ": no echo"
            assert_same(st.received, st.data[:st.nreceived], name)
            peer = peer_name(st.sock)
            st.close()
            reason, nin, nout, _ = d.closed(peer)
            assert reason == "shutdown", (name, reason)
            assert nin == nout == st.nreceived, \
                "%s: read %d, wrote %d, client got %d" % (
                    name, nin, nout, st.nreceived)
        assert d.wait() == 0, d.log()
        took = time.monotonic() - t0
        assert took < timeout, "drain took %.1f s" % took
        assert not d.grep("shutdown timeout"), d.log()


def timeout_closes(data):
    with Echod("-v", "--shutdown-timeout", "1", *MARKS) as d:
        st = Stream(d.connect(bufsize=BUF), data, timeout=60)
        st.start_sending()
        st.wait_stalled()
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        assert d.wait() == 0, d.log()
        took = time.monotonic() - t0
        st.close()
        assert 0.9 <= took < scaled(10), \
            "exit %.1f s after SIGTERM; log:\n%s" % (took, d.log())
        d.wait_for("shutdown timeout: closing 1 connections")
        assert len(d.grep(r"closed \(shutdown-timeout\)")) == 1, d.log()


def second_signal(data):
    with Echod("--shutdown-timeout", "600", *MARKS) as d:
        st = Stream(d.connect(bufsize=BUF), data, timeout=60)
        st.start_sending()
        st.wait_stalled()
        d.signal(signal.SIGINT)
        d.wait_for("Interrupt: shutting down, 1 connections draining")
        assert d.running(), "exited on the first signal"
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        assert d.wait() == 0, d.log()
        took = time.monotonic() - t0
        st.close()
        assert took < scaled(5), "second signal: exit after %.1f s" % took
        d.wait_for("again: exiting without waiting for 1 connections")


def server_side(local, peer):
    """(state, Send-Q) of echod's end (at local) of peer's TCP connection,
    from ss."""
    out = subprocess.run(["ss", "-Htn"], capture_output=True, text=True,
                         check=True).stdout
    for f in (line.split() for line in out.splitlines()):
        if f[3:5] == [local, peer]:
            return f[0], int(f[2])
    return None, 0


def trickle(sock, stop):
    """Sends a byte every 50 ms, as a client still talking would."""
    while not stop.wait(0.05):
        try:
            sock.send(b"x")
        except socket.timeout:
            continue    # our send buffer is still full
        except OSError:
            return


def late_reader(data):
    pause = 5   # longer than the lingering close's two seconds
    with Echod("-v", "--shutdown-timeout", "60", *MARKS) as d:
        s = d.connect()
        peer = peer_name(s)
        echod_end = "%s:%d" % s.getpeername()
        st = Stream(s, data[:SIZE], half_close=False, timeout=60)
        st.start_sending().wait_stalled()
        d.signal(signal.SIGTERM)
        d.wait_for("Terminated: shutting down, 1 connections draining")
        st.stop_sending()
        stop = threading.Event()
        talker = threading.Thread(target=trickle, args=(s, stop),
                                  daemon=True)
        talker.start()
        got, reset = bytearray(), None
        try:
            # Take a little at a time until echod has half-closed.
            deadline = time.monotonic() + scaled(30)
            while server_side(echod_end, peer)[0] != "FIN-WAIT-1":
                assert time.monotonic() < deadline, "echod never half-closed"
                got += s.recv(1 << 16)
            queued = server_side(echod_end, peer)[1]
            assert queued > 1 << 20, \
                "only %d bytes queued at the half-close" % queued
            # The client reads nothing for a while, still sending.
            time.sleep(pause)
            s.settimeout(scaled(30))
            while True:
                b = s.recv(1 << 20)
                if not b:
                    break
                got += b
        except ConnectionResetError as e:
            reset = e
        finally:
            stop.set()
            talker.join(scaled(5))
        s.close()
        reason, nin, nout, _ = d.closed(peer)
        assert nin == nout == len(got), \
            "read %d, wrote %d, client got %d (%d queued at the " \
            "half-close; %r)" % (nin, nout, len(got), queued, reset)
        assert reset is None, reset
        assert_same(got, data[:len(got)], "late reader")
        assert reason == "shutdown", reason
        assert d.wait() == 0, d.log()
        assert not d.grep("shutdown timeout"), d.log()


def test():
    data = pattern(SIZE + 4096, b"sigterm")
    drain(data)
    timeout_closes(data)
    second_signal(data)
    late_reader(data)


run(test)

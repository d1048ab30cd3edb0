"""CRITICAL for real: a closed port, a server that flips one byte, one that
never answers, one that resets, one that echoes half and closes, one that
echoes too much.  Each says what went wrong in the status line, exits 2,
and the timeout is honoured."""
import time

from clienttest import (CRITICAL, Server, echo_changed, echo_half, expect,
                        flip_byte, free_port, reset_after_first_byte, run,
                        silent)

MSG = "0123456789abcdef"


def critical(*args):
    out, _ = expect(CRITICAL, *args)
    assert out.startswith("ECHO CRITICAL - ") and out.count("\n") == 1, out
    return out


def test():
    port = free_port()
    out = critical("127.0.0.1:%d" % port, MSG)
    assert "connection refused" in out, out

    with Server(echo_changed(flip_byte(5))) as s:
        out = critical(s.addr, "0123", "456789")
        assert "differs at byte 5 of 10: sent 0x35, got 0x34" in out, out
        out = critical("--size", "100K", s.addr)
        assert "differs at byte 5 of 102400" in out, out

    with Server(silent) as s:
        t0 = time.monotonic()
        out = critical("-t", 1, s.addr, MSG)
        took = time.monotonic() - t0
        assert "timeout after 1.000 s waiting for" in out, out
        assert "0 of 16 bytes back" in out, out
        assert took < 20, took

    with Server(reset_after_first_byte) as s:
        out = critical("-t", 10, s.addr, MSG)
        assert "connection reset" in out, out

    with Server(echo_half) as s:
        out = critical(s.addr, MSG)
        assert "closed the connection after echoing 8 of 16 bytes" in out, out

    with Server(echo_changed(lambda off, data: data + b"!")) as s:
        out = critical(s.addr, MSG)
        assert "more than the 16 it was sent" in out, out


run(test)

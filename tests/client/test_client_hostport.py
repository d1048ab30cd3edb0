"""Addresses as monitoring plugins give them: -H HOST -p PORT (IPv6 with
or without brackets, so $HOSTADDRESS$ works for both families), -u for
UDP, -4 and -6.  A bare port (or *:PORT) means this host over both
loopbacks, and a failure names every address tried."""
from clienttest import (CRITICAL, OK, Echod, expect, free_port, has_ipv6,
                        run)


def test():
    listen = ["127.0.0.1:0", "udp:127.0.0.1:0"]
    if has_ipv6():
        listen += ["[::1]:0"]
    with Echod(listen=listen) as d:
        port4 = d.listening[0].rsplit(":", 1)[1]
        uport = d.listening[1].rsplit(":", 1)[1]
        # Before: "ECHO UNKNOWN - unknown option: -H".
        out, _ = expect(OK, "-H", "127.0.0.1", "-p", port4)
        assert "64 bytes echoed" in out, out
        out, _ = expect(OK, "-H", "127.0.0.1", "-p", port4, "a", "b")
        assert "2 bytes echoed" in out, out
        out, _ = expect(OK, "-H", "127.0.0.1", "-p", uport, "-u", "-C", 2,
                        "-i", 0)
        assert "2 of 2 echoed" in out, out
        out, _ = expect(OK, "-H", "localhost", "-p", port4, "-4")
        out, _ = expect(CRITICAL, "-4", "[::1]:%s" % port4)
        assert "no IPv4 address" in out, out
        if has_ipv6():
            port6 = d.listening[2].rsplit(":", 1)[1]
            for host in ("::1", "[::1]"):
                out, _ = expect(OK, "-H", host, "-p", port6, "-6")
            out, _ = expect(CRITICAL, "-6", "127.0.0.1:%s" % port6)
            assert "no IPv6 address" in out, out
        assert d.stop() == 0, d.log()

    # this host: 127.0.0.1 answers when ::1 refuses (before: only ::1).
    with Echod(listen=["127.0.0.1:0"]) as d:
        port = d.listening[0].rsplit(":", 1)[1]
        out, _ = expect(OK, port, "x")
        out, _ = expect(OK, "*:" + port, "x")
        assert d.stop() == 0, d.log()
    port = free_port()
    # Before: "ECHO CRITICAL - *:PORT: connection refused" (only ::1 tried).
    out, _ = expect(CRITICAL, str(port), "x")
    assert "127.0.0.1:%d: connection refused" % port in out, out
    if has_ipv6():
        assert "[::1]:%d: connection refused, " % port in out, out


run(test)

"""udp: health checks: each MESSAGE is one datagram, echoed whole by a
real echod; a closed UDP port (ICMP port unreachable), a server that flips
a byte and one that never answers are CRITICAL."""
import socket

from clienttest import CRITICAL, OK, Echod, UdpServer, expect, run


def test():
    with Echod(listen=["udp:127.0.0.1:0"]) as d:
        addr = "udp:" + d.listening[0].split("udp:")[-1]
        out, err = expect(OK, "-v", addr, "Hello, ", "World", "!")
        assert out.startswith("ECHO OK - 13 bytes echoed in "), out
        assert "sending datagram 3 of 3: 1 bytes" in err, err
        assert "all 3 datagrams echoed" in err, err
        out, _ = expect(OK, "-s", "60000", addr)
        assert "size=60000B" in out, out
        assert d.stop() == 0, d.log()

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    closed = "udp:127.0.0.1:%d" % probe.getsockname()[1]
    probe.close()
    out, _ = expect(CRITICAL, "-t", 5, closed, "x")
    assert "connection refused" in out, out

    flip = UdpServer(lambda d: d[:2] + bytes([d[2] ^ 1]) + d[3:])
    out, _ = expect(CRITICAL, flip.addr, "abcdef")
    assert "datagram 1 of 1 differs at byte 2: sent 0x63, got 0x62" in out, out
    flip.close()

    silent = UdpServer(lambda d: None)
    out, _ = expect(CRITICAL, "-t", 1, silent.addr, "a", "b")
    assert "timeout after 1.000 s" in out and "0 of 2 datagrams" in out, out
    silent.close()


run(test)

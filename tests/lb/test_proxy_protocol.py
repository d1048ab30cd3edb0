"""A proxy: listener, driven by a client that speaks the PROXY protocol
itself: v1 and v2 headers are consumed, never echoed, and the bytes after
them in the same segment are; the header's source is the peer in the info
line and for --max-per-source; LOCAL and UNKNOWN keep the real peer; a
header split byte by byte still works.  Missing, malformed, oversized,
slow and truncated headers are closed without an echo and counted by
reason; a plain listener beside it is unaffected."""
import socket
import struct
import time

from echodtest import Echod
from harness import run, scaled, wait_until
from metricstest import metrics_addr, samples, scrape
from netaddr import parse_addr
from streams import pattern, recv_all

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, sport, dport=7):
    fam = "TCP6" if ":" in src else "TCP4"
    dst = "2001:db8::7" if ":" in src else "198.51.100.7"
    return ("PROXY %s %s %s %d %d\r\n" % (fam, src, dst, sport,
                                          dport)).encode()


def v2(src, sport, tlvs=b""):
    addr = socket.inet_aton(src) + socket.inet_aton("198.51.100.7") + \
        struct.pack("!HH", sport, 7) + tlvs
    return SIG + b"\x21\x11" + struct.pack("!H", len(addr)) + addr


def session(addr, chunks, pause=0.0):
    """Sends the chunks, half-closes, returns (echo, reset?)."""
    with socket.create_connection(addr, timeout=scaled(30)) as s:
        for c in chunks:
            s.sendall(c)
            time.sleep(pause)
        try:
            s.shutdown(socket.SHUT_WR)
            return recv_all(s), False
        except OSError:     # reset, or ENOTCONN after one
            return b"", True


def check_served(d, addr):
    data = pattern(200000)
    assert session(addr, [v1("192.0.2.1", 56324) + b"hello"])[0] == b"hello"
    d.wait_for(r"conn \d+ from 192\.0\.2\.1:56324 via 127\.0\.0\.1:\d+ "
               r"closed \(eof\): 5 bytes in, 5 out")
    got, _ = session(addr, [v2("192.0.2.2", 4000, b"\x04\x00\x02xy") + data])
    assert got == data, "v2: %d bytes back" % len(got)
    d.wait_for(r"conn \d+ from 192\.0\.2\.2:4000 via 127\.0\.0\.1:\d+ "
               r"closed \(eof\): 200000 bytes in")
    got, _ = session(addr, [v1("2001:db8::5", 9) + b"six"])
    assert got == b"six"
    d.wait_for(r"conn \d+ from \[2001:db8::5\]:9 via ")
    # One byte at a time, header and data.
    got, _ = session(addr, [bytes([b]) for b in v1("192.0.2.3", 1) + b"slow"],
                     pause=0.01)
    assert got == b"slow"
    d.wait_for(r"conn \d+ from 192\.0\.2\.3:1 via ")
    # The balancer's own checks: served as plain connections.
    for hdr in (SIG + b"\x20\x00\x00\x00", b"PROXY UNKNOWN\r\n"):
        with socket.create_connection(addr, timeout=scaled(30)) as s:
            me = s.getsockname()
            s.sendall(hdr + b"check")
            s.shutdown(socket.SHUT_WR)
            assert recv_all(s) == b"check"
        d.wait_for(r"conn \d+ from 127\.0\.0\.1:%d closed" % me[1])


def check_per_source(d, addr):
    """--max-per-source 1 counts the header's client, not the balancer."""
    a = socket.create_connection(addr, timeout=scaled(30))
    a.sendall(v1("192.0.2.50", 1000))
    b = socket.create_connection(addr, timeout=scaled(30))
    b.sendall(v1("192.0.2.51", 1001) + b"other client")
    b.shutdown(socket.SHUT_WR)
    assert recv_all(b) == b"other client"
    wait_until(lambda: d.grep(r"from 192\.0\.2\.51:1001 via .* closed"),
               10, "the second client served")
    assert session(addr, [v1("192.0.2.50", 1002) + b"x"])[0] == b""
    d.wait_for(r"refusing a connection from 192\.0\.2\.50:1002: "
               r"--max-per-source 1")
    a.close()
    b.close()


BAD = {
    "missing": [b"hello, plain client\r\n"],
    "malformed": [b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\nx",
                  SIG + b"\x22\x11\x00\x00"],
    "oversized": [b"PROXY UNKNOWN " + b"f" * 120 + b"\r\n",
                  SIG + b"\x21\x11\xff\xff"],
    "truncated": [b"PROXY TCP4 1.2.3.4"],
}


def proxy_errors(maddr):
    m = samples(scrape(maddr))
    return {r: m['echod_proxy_header_errors_total{reason="%s"}' % r]
            for r in list(BAD) + ["timeout"]}


def check_bad(d, addr, maddr):
    """Each refusal is counted by reason (the log lines are rate limited:
    only the first few show)."""
    for reason, inputs in BAD.items():
        for data in inputs:
            before = proxy_errors(maddr)[reason]
            got, _ = session(addr, [data])
            assert got == b"", "%s %r: echoed %r" % (reason, data, got)
            wait_until(lambda: proxy_errors(maddr)[reason] == before + 1,
                       10, "%r counted as %s" % (data, reason))
    d.wait_for(r"conn \d+ from 127\.0\.0\.1:\d+: PROXY header missing: "
               r"no PROXY protocol header; closing")
    # Slow: part of a header, then nothing; closed at the 3 s deadline.
    with socket.create_connection(addr, timeout=scaled(30)) as s:
        s.sendall(b"PROXY TCP4 ")
        start = time.monotonic()
        try:
            assert s.recv(1) == b""
        except ConnectionResetError:
            pass
        assert time.monotonic() - start < scaled(20)
    wait_until(lambda: proxy_errors(maddr)["timeout"] == 1, 10,
               "the slow header counted")


def test():
    with Echod("-v", "--max-per-source", "1", "--metrics", "127.0.0.1:0",
               listen=("proxy:127.0.0.1:0", "127.0.0.1:0")) as d:
        assert "for PROXY protocol clients" in d.wait_for("listening on")
        addr = parse_addr(d.listening[0])[1]
        check_served(d, addr)
        check_per_source(d, addr)
        maddr = metrics_addr(d)
        check_bad(d, addr, maddr)
        # The plain listener beside it echoes a PROXY line as data.
        plain = parse_addr(d.listening[1])[1]
        line = v1("192.0.2.9", 9)
        assert session(plain, [line])[0] == line
        m = samples(scrape(maddr))
        for reason, inputs in BAD.items():
            key = 'echod_proxy_header_errors_total{reason="%s"}' % reason
            assert m[key] == len(inputs), (key, m[key])
        assert m['echod_proxy_header_errors_total{reason="timeout"}'] == 1
        assert m['echod_connections_refused_total{reason="proxy_header"}'] \
            == sum(len(v) for v in BAD.values()) + 1
        assert m['echod_connections_refused_total{reason="per_source"}'] == 1


run(test)

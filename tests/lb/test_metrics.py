"""GET /metrics after mixed traffic: promtool passes the live scrape, and
every counter equals what the test sent, echoed, or had refused.

TCP, Unix and UDP clients echo known byte counts; a second connection from
the same address is refused by --max-per-source 1; one datagram is over
--max-datagram (echod reads 513 bytes of it, enough to know).  Anything
but GET /metrics is 404 or 405; a client that never reads is counted as
paused; the Unix socket endpoint serves the same and is removed at exit."""
import os
import socket
import subprocess
import time

from echodtest import Echod
from harness import ECHOD, run, scaled, tempdir, wait_until
from metricstest import metrics_addr, promtool, promtool_check, request, \
    samples, scrape
from netaddr import parse_addr
from streams import pattern, recv_all
from udptest import echo, udp_addrs, udp_socket

TCP_SIZES = (1, 65536, 300001)
UNIX_SIZE = 123457
UDP_SIZES = (1, 100, 512)


def echo_stream(family, addr, data):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(addr)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
    assert got == data, "echo of %d bytes: got %d" % (len(data), len(got))


def from_source(d, host):
    s = socket.create_connection(d.addr(0), timeout=30,
                                 source_address=(host, 0))
    return s


def refused_per_source(d):
    """Holds one connection from 127.0.0.2 and has a second from there
    refused; returns the first.  The other clients use 127.0.0.1."""
    held = from_source(d, "127.0.0.2")
    with from_source(d, "127.0.0.2") as second:
        second.settimeout(10)
        try:
            assert second.recv(1) == b"", "second connection was served"
        except ConnectionResetError:
            pass
    return held


def traffic(d, sock_path):
    family, addr = parse_addr(d.listening[0])
    for n in TCP_SIZES:
        echo_stream(family, addr, pattern(n))
    echo_stream(socket.AF_UNIX, sock_path, pattern(UNIX_SIZE))
    ufam, host, port = udp_addrs(d)[0]
    with udp_socket(ufam) as u:
        for n in UDP_SIZES:
            assert echo(u, (host, port), pattern(n))[0] == pattern(n)
        u.sendto(b"x" * 600, (host, port))   # over --max-datagram: dropped


def expected():
    tcp, udp = sum(TCP_SIZES), sum(UDP_SIZES)
    return {
        'echod_bytes_echoed_total{protocol="tcp"}': tcp,
        'echod_bytes_echoed_total{protocol="unix"}': UNIX_SIZE,
        'echod_bytes_echoed_total{protocol="udp"}': udp,
        'echod_bytes_received_total{protocol="tcp"}': tcp,
        'echod_bytes_received_total{protocol="unix"}': UNIX_SIZE,
        # The datagram over --max-datagram counts what was read of it.
        'echod_bytes_received_total{protocol="udp"}': udp + 513,
        "echod_connections_open": 1,
        "echod_connections_paused": 0,
        'echod_connections_closed_total{reason="eof"}': len(TCP_SIZES) + 1,
        'echod_connections_closed_total{reason="idle"}': 0,
        # Three TCP echoes, the Unix one, the held one.
        "echod_connections_accepted_total": len(TCP_SIZES) + 2,
        'echod_connections_refused_total{reason="per_source"}': 1,
        "echod_udp_datagrams_received_total": len(UDP_SIZES) + 1,
        "echod_udp_datagrams_echoed_total": len(UDP_SIZES),
        'echod_udp_datagrams_dropped_total{reason="size"}': 1,
        'echod_udp_datagrams_dropped_total{reason="rate"}': 0,
        'echod_listeners{protocol="tcp"}': 1,
        'echod_listeners{protocol="unix"}': 1,
        'echod_listeners{protocol="udp"}': 1,
    }


def mismatches(addr, want):
    got = samples(scrape(addr))
    return {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}


def test():
    promtool()
    sock_path = os.path.join(tempdir(), "echod.sock")
    metrics_path = os.path.join(tempdir(), "metrics.sock")
    started = time.time()
    with Echod("--max-per-source", "1", "--max-datagram", "512",
               "--metrics", "127.0.0.1:0",
               "--metrics", "unix:" + metrics_path,
               listen=("127.0.0.1:0", "udp:127.0.0.1:0",
                       "unix:" + sock_path)) as d:
        addr = metrics_addr(d)
        held = refused_per_source(d)
        traffic(d, sock_path)
        want = expected()
        # Bytes are counted as they leave; the last may lag the client.
        wait_until(lambda: not mismatches(addr, want), 10,
                   "counters: %r" % (mismatches(addr, want),))
        text = scrape(addr)
        promtool_check(text)
        got = samples(text)
        version = subprocess.run([ECHOD, "--version"], check=True,
                                 stdout=subprocess.PIPE).stdout.split()[1]
        assert got['echod_build_info{version="%s"}' % version.decode()] == 1
        # The kernel's start time (boot time has whole seconds).
        assert started - 2 <= got["process_start_time_seconds"] <= \
            time.time(), (started, got["process_start_time_seconds"])
        held.close()
        assert request(addr, path="/")[0] == 404
        assert request(addr, path="/metrics/x")[0] == 404
        for method in ("POST", "PUT", "DELETE", "HEAD"):
            status, headers, _ = request(addr, method=method)
            assert status == 405, "%s /metrics: %d" % (method, status)
            assert headers.get("Allow") == "GET", headers
        assert request(addr, path="/metrics?x=1")[0] == 200
        check_paused(d, addr)
        # The same numbers on the Unix socket; its file goes at exit.
        assert samples(scrape(metrics_path))["echod_listeners{protocol="
                                             '"unix"}'] == 1
        assert d.stop() == 0
    assert not os.path.exists(metrics_path), "metrics socket file left"


def check_paused(d, addr):
    """A client that sends but never reads is paused, and counted."""
    s = d.connect(bufsize=65536)
    s.setblocking(False)
    sent = 0
    deadline = time.monotonic() + scaled(20)
    while time.monotonic() < deadline and \
            samples(scrape(addr))["echod_connections_paused"] != 1:
        try:
            sent += s.send(b"p" * 65536)
        except BlockingIOError:
            time.sleep(0.05)
    assert samples(scrape(addr))["echod_connections_paused"] == 1, sent
    s.close()
    wait_until(lambda: samples(scrape(addr))["echod_connections_paused"]
               == 0, 10, "the paused client's close counted")


run(test)

"""kill -HUP under load: a reload no client can notice.

With --threads 1 and then 4, on a TCP listener, a Unix listener and a UDP
socket: 200 idle connections, a 64 MiB transfer in flight, a client that
sent without reading (its echo held at the high watermark, so the pending
bytes travel in the hand-off), and a health-check loop.  Three SIGHUPs,
each ending in "reloaded:".  Then every idle connection still echoes, the
transfer comes back byte for byte, the stalled client gets all it sent, no
health check failed, no connection was closed but the checks' own, the PID
and the number of open descriptors are the same, UDP echoes, the counters
carried over, the derived --max-connections is the same, and SIGTERM still drains, exits 0 and removes the socket file.
"""
import os
import re
import signal
import socket

from reloadtest import (Echod, HealthLoop, Idle, Stream, Trickle,
                        assert_same, counters, fds, pattern, reload, run,
                        scaled, tempdir)

SIZE = 64 << 20
BUF = 64 << 10


def udp_echo(d):
    addr = [a for a in d.listening if a.startswith("udp:")][0][4:]
    host, _, port = addr.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(scaled(2))
        for _ in range(5):
            u.sendto(b"udp ping", (host, int(port)))
            try:
                assert u.recv(64) == b"udp ping"
                return
            except socket.timeout:
                continue
    raise AssertionError("no UDP echo")


def scenario(threads):
    path = os.path.join(tempdir(), "echo.sock")
    with Echod("-v", "--threads", str(threads),
               listen=("127.0.0.1:0", "unix:" + path,
                       "udp:127.0.0.1:0")) as d:
        pid = d.pid
        idle = Idle(d, 200)
        idle.check()
        unix_idle = Idle(d, 5, listener=1)
        stalled = Stream(d.connect(bufsize=BUF), pattern(32 << 20, b"st"))
        held = stalled.start_sending().wait_stalled()
        transfer = Trickle(d.connect(), pattern(SIZE, b"reload"))
        before = counters(d)
        nfds = fds(pid)
        health = HealthLoop(d.addr())
        health.start()
        for i in range(3):
            ok, line = reload(d)
            assert ok, line
            idle.check()
            unix_idle.check()
            udp_echo(d)
        assert transfer.in_flight(), "the transfer ended before the reloads"
        checks = health.finish()
        assert d.proc.pid == pid and d.running()
        assert fds(pid) == nfds, "descriptors: %d before, %d after" % (
            nfds, fds(pid))
        taken = [int(n) for n in re.findall(
            r"took over \d+ listeners and \d+ connections with (\d+) bytes",
            d.log())]
        assert len(taken) == 3 and min(taken) >= 256 << 10, taken
        after = counters(d)
        assert after["conns_open"] == 200 + 5 + 2, after
        assert after["conns_total"] == before["conns_total"] + checks, (
            before, after, checks)
        assert after["bytes_in"] >= before["bytes_in"] and \
            after["udp_in"] >= 3, (before, after)
        stalled.stop_sending()
        stalled.sock.shutdown(socket.SHUT_WR)
        stalled.start_reading().join()
        assert stalled.eof
        assert_same(stalled.received, stalled.data[:stalled.sent], "stalled")
        assert stalled.sent >= held
        transfer.finish()
        closes = d.grep(r" closed \(")
        others = [c for c in closes if " closed (eof)" not in c]
        assert not others, "\n".join(others)
        assert len(closes) == checks + 2, (len(closes), checks)
        idle.close()
        unix_idle.close()
        assert d.stop() == 0, d.log()
        assert not os.path.exists(path), "socket file left"
        assert d.log().count("reloaded: ") == 3
        limits = re.findall(r"ready: .* at most (\d+) connections", d.log())
        assert len(limits) == 4 and len(set(limits)) == 1, limits


def test():
    for threads in (1, 4):
        scenario(threads)


run(test)

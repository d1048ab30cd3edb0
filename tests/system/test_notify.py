"""The notify protocol against a receiver playing the service manager.

READY=1 (with STATUS=) is queued before the first client, who activated
echod, gets its echo; every datagram comes from echod's own PID (what
NotifyAccess=main accepts); STATUS= carries the counters and is refreshed
on a timer, not per connection; SIGTERM brings STOPPING=1, STATUS=draining
and EXTEND_TIMEOUT_USEC= while a client holds the drain open; WATCHDOG=1
comes at half of WATCHDOG_USEC, and not at all when WATCHDOG_PID names
another process.
"""
import re
import signal
import socket
import time

from systemdtest import (Echod, Notify, activated, echo_three_parts,
                         listening_socket, recv_all, run)

def Echod_notify(n, *args, **env):
    return Echod(*args, listen=(), env=n.env(**env))


STATUS_RE = re.compile(r"^STATUS=(\d+) connections open, (\d+) total, "
                       r"\S+ \S*B echoed$")


def ready_before_first_echo(n, tcp):
    """Activated by a client that is already waiting, like systemd does."""
    c = socket.create_connection(tcp.getsockname(), timeout=10)
    c.sendall(b"first")
    c.shutdown(socket.SHUT_WR)
    with activated([tcp], ["echo"], env=n.env()) as d:
        assert recv_all(c) == b"first"
        c.close()
        # Datagrams are queued when sd_notify returns: READY is there now.
        n.poll()
        lines = n.lines()
        assert lines and lines[0] == "READY=1", lines
        assert STATUS_RE.match(lines[1]), lines
        assert all(pid == d.proc.pid for _, pid, _ in n.msgs), n.msgs
        assert d.stop() == 0, d.log()


def status_on_a_timer(n):
    with Echod_notify(n, "--listen", "127.0.0.1:0") as d:
        n.wait_for("READY=1")
        start = time.monotonic()
        held = d.connect()
        held.sendall(b"x" * 1000)
        assert held.recv(1000)
        for _ in range(40):
            echo_three_parts(d.listening[0])
        # One refresh carries the counters; the 41 connections made no more.
        i = n.wait_for("STATUS=1 connections open, 41 total", timeout=20)
        span = time.monotonic() - start
        n.poll()
        status = n.lines("STATUS=")
        assert all(STATUS_RE.match(s) for s in status), status
        assert len(status) <= 2 + span / 5 + 1, (span, status)
        assert n.msgs[i][1] == d.proc.pid
        held.close()
        assert d.stop() == 0, d.log()


def stopping_while_draining(n):
    with Echod_notify(n, "--listen", "127.0.0.1:0",
                      "--shutdown-timeout", "30") as d:
        n.wait_for("READY=1")
        c = d.connect()
        c.sendall(b"draining")
        assert c.recv(100) == b"draining"
        start = len(n.poll())
        d.signal(signal.SIGTERM)
        i = n.wait_for("STOPPING=1", start=start)
        n.wait_for("STATUS=draining 1 connections", start=i)
        ext = n.wait_for("EXTEND_TIMEOUT_USEC=", start=i)
        usec = int(n.msgs[ext][2].split("=", 1)[1])
        # The drain deadline (30 s) is still ahead: ask for about that.
        assert 20 * 10**6 <= usec <= 60 * 10**6, n.msgs[ext]
        # The client still gets EOF and then leaves; echod exits cleanly.
        assert recv_all(c) == b""
        c.close()
        assert d.wait() == 0, d.log()


def watchdog_pace(n):
    interval = 2.0
    with Echod_notify(n, "--listen", "127.0.0.1:0",
                      WATCHDOG_USEC=str(int(interval * 10**6))) as d:
        n.wait_for("READY=1")
        first = n.wait_for("WATCHDOG=1")
        t0 = n.msgs[first][0]
        time.sleep(4 * interval)
        n.poll()
        pings = [m for m in n.msgs[first:] if m[2] == "WATCHDOG=1"]
        span = pings[-1][0] - t0
        # Half the interval apart: no gap near WATCHDOG_USEC, no flood.
        gaps = [b[0] - a[0] for a, b in zip(pings, pings[1:])]
        assert len(pings) >= 4, gaps
        assert len(pings) <= span / (interval / 2) * 1.25 + 2, gaps
        assert max(gaps) < interval * 0.9, gaps
        assert all(m[1] == d.proc.pid for m in pings)
        assert d.stop() == 0, d.log()


def watchdog_for_another_pid(n):
    start = len(n.poll())
    with Echod_notify(n, "--listen", "127.0.0.1:0", WATCHDOG_USEC="500000",
                      WATCHDOG_PID="1") as d:
        n.wait_for("READY=1", start=start)
        time.sleep(1.5)
        n.poll()
        assert "WATCHDOG=1" not in [m[2] for m in n.msgs[start:]], n.msgs
        assert d.stop() == 0, d.log()


def test():
    tcp = listening_socket("127.0.0.1:0")
    for part in (lambda n: ready_before_first_echo(n, tcp),
                 status_on_a_timer, stopping_while_draining, watchdog_pace,
                 watchdog_for_another_pid):
        n = Notify()
        try:
            part(n)
        finally:
            n.close()
    tcp.close()


run(test)

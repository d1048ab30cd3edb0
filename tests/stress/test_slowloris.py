#!/usr/bin/env python3
"""Slowloris: clients that trickle a byte a second lose their slot.

Every read counts as activity for echod's idle timeout: a client that
sends one byte a second is never idle by that definition, and would hold
its slot (and its share of --max-connections) forever.  An operator who
sets --idle-timeout wants such a client gone, so
echod also needs --min-rate: over each idle window a client must send
that many bytes a second on average, or it is closed.

Two daemons run side by side for HOLD seconds, each with --idle-timeout
IDLE.  Against the one with --min-rate MIN_RATE:
  - tricklers (1 byte a second, reading each echo) are closed, not
    before IDLE, logged as closed (min-rate);
  - silent connections are closed by the plain idle timeout;
  - busy connections (1 KiB a second, 64 times MIN_RATE) all live.
Against the one with --min-rate 0 (idle means silent, as before), the
tricklers all live, and silent connections are still closed.
"""
import selectors
import socket
import subprocess
import time

import stresslib
from stresslib import Echod, report, run

IDLE = 4                # --idle-timeout, seconds
MIN_RATE = 16           # --min-rate, bytes a second
HOLD = 4 * IDLE         # how long the clients run
TRICKLERS = 100
SILENT = 20
BUSY = 20


class Conn:
    __slots__ = ("group", "sock", "chunk", "interval", "next_send",
                 "pending", "closed_at", "sent")


def open_group(name, addr, n, chunk, interval, now):
    conns = []
    for s in stresslib.connect_many(addr, n):
        c = Conn()
        c.group, c.sock, c.chunk, c.interval = name, s, chunk, interval
        c.next_send = now
        c.pending = b""
        c.closed_at = None
        c.sent = 0
        conns.append(c)
    return conns


def drive(conns, t0, hold):
    """Sends each connection's chunk every interval and checks the echo,
    for hold seconds; notes when echod closes a connection."""
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    try:
        while True:
            now = time.monotonic()
            if now - t0 >= hold:
                return
            wake = t0 + hold
            for c in conns:
                # One chunk in flight: the echo's arrival wakes the loop.
                if c.closed_at is not None or c.interval is None or \
                        c.pending:
                    continue
                if c.next_send <= now:
                    try:
                        c.sock.send(c.chunk)
                    except OSError:
                        continue    # the read side notes the close
                    c.pending = c.chunk
                    c.sent += len(c.chunk)
                    c.next_send += c.interval
                    continue
                wake = min(wake, c.next_send)
            for key, _ in sel.select(max(0.0, min(wake - now, 0.5))):
                c = key.data
                try:
                    data = c.sock.recv(4096)
                except ConnectionResetError:
                    data = b""
                if data:
                    assert c.pending.startswith(data), \
                        "%s: sent %r, echo %r" % (c.group, c.pending, data)
                    c.pending = c.pending[len(data):]
                    continue
                c.closed_at = time.monotonic() - t0
                sel.unregister(c.sock)
    finally:
        sel.close()


def closed(conns, group):
    return [c for c in conns if c.group == group and c.closed_at is not None]


def has_min_rate():
    out = subprocess.run([stresslib.ECHOD, "--help"], capture_output=True,
                         text=True).stdout
    return "--min-rate" in out


def test():
    stresslib.bare()
    stresslib.raise_nofile(4 * (TRICKLERS + SILENT + BUSY) + 100)
    supported = has_min_rate()
    off = ("--min-rate", "0") if supported else ()
    on = ("--min-rate", str(MIN_RATE)) if supported else ()
    with Echod("-v", "--idle-timeout", str(IDLE), *on) as d_on, \
            Echod("-v", "--idle-timeout", str(IDLE), *off) as d_off, \
            stresslib.explain(d_on), stresslib.explain(d_off):
        t0 = time.monotonic()
        conns = []
        for tag, d in (("on", d_on), ("off", d_off)):
            conns += open_group(tag + ".trickle", d.addr(), TRICKLERS,
                                b"x", 1.0, t0)
            conns += open_group(tag + ".silent", d.addr(), SILENT,
                                b"", None, t0)
        conns += open_group("on.busy", d_on.addr(), BUSY,
                            b"b" * 256, 0.25, t0)
        try:
            drive(conns, t0, HOLD)
        finally:
            for c in conns:
                c.sock.close()

        def figure(group, total):
            gone = closed(conns, group)
            when = sorted(c.closed_at for c in gone)
            report("%s closed" % group, "%d/%d" % (len(gone), total), "",
                   "after %.1f-%.1fs" % (when[0], when[-1]) if when else "")
            return gone, when

        trickled, t_when = figure("on.trickle", TRICKLERS)
        figure("on.silent", SILENT)
        busy, _ = figure("on.busy", BUSY)
        figure("off.trickle", TRICKLERS)
        figure("off.silent", SILENT)
        sent = sum(c.sent for c in conns if c.group == "on.busy")
        report("on.busy echoed", sent // BUSY, "B", "each, in %ds" % HOLD)

        # Idle still means silent: the plain idle timeout works on both.
        for tag in ("on", "off"):
            gone = closed(conns, tag + ".silent")
            assert len(gone) == SILENT, "%s: %d of %d silent connections " \
                "closed in %ds" % (tag, len(gone), SILENT, HOLD)
        assert not closed(conns, "off.trickle"), \
            "--min-rate 0: echod closed tricklers, which are not idle"
        if not supported:
            raise AssertionError(
                "FINDING: echod has no --min-rate: %d clients trickling a "
                "byte a second held their slots for %ds past "
                "--idle-timeout %d; slowloris clients are never closed"
                % (TRICKLERS, HOLD - IDLE, IDLE))
        assert len(trickled) == TRICKLERS, "--min-rate %d: only %d of %d " \
            "tricklers closed in %ds" % (MIN_RATE, len(trickled),
                                         TRICKLERS, HOLD)
        assert t_when[0] >= IDLE - 0.1, \
            "a trickler was closed after %.1fs, before --idle-timeout %d" % (
                t_when[0], IDLE)
        assert not busy, "%d busy connections were closed" % len(busy)
        # The daemon says why.
        n = d_on.log().count(" closed (min-rate)")
        assert n == TRICKLERS, "echod logged %d closes under --min-rate, " \
            "expected %d:\n%s" % (n, TRICKLERS, d_on.log())
        stresslib.stop_clean(d_on, TRICKLERS + SILENT + BUSY)
        stresslib.stop_clean(d_off, TRICKLERS + SILENT)


run(test)

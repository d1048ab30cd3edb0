"""Load tests against servers that misbehave: one that flips a byte (every
connection is caught, CRITICAL), a closed port (every connect refused),
one that never answers (timeouts), and one that stalls for a second: with
--rate the stall shows in every message due during it, not in one sample
(coordinated omission)."""
import json
import threading

from clienttest import (CRITICAL, OK, Server, echo_changed, expect,
                        flip_byte, free_port, run, silent)


def bench(status, *args):
    out, _ = expect(status, "--bench", "--json", *args)
    return json.loads(out)


def check_errors(r):
    """Every failed connection has one reason, and messages add up."""
    assert sum(r["errors"].values()) == r["connect_failed"] + r["failed"], r
    assert r["connected"] + r["connect_failed"] == r["connections"], r
    assert r["messages_due"] == r["round_trips"] + r["incomplete"], r
    assert r["latency_us"]["samples"] == r["round_trips"], r


def stall_once(at, seconds):
    """A handler that echoes, but sleeps once after `at` bytes."""
    def handle(c):
        off, stalled = 0, False
        while True:
            data = c.recv(65536)
            if not data:
                break
            if not stalled and off + len(data) > at:
                threading.Event().wait(seconds)
                stalled = True
            c.sendall(data)
            off += len(data)
    return handle


def test():
    with Server(echo_changed(flip_byte(5))) as s:
        r = bench(CRITICAL, "-n", 3, "-d", 1, s.addr)
        assert r["connected"] == 3 and r["mismatched"] == 3, r
        assert r["status"] == "CRITICAL", r
        assert "byte 5 differs" in r["first_mismatch"], r
        check_errors(r)

    addr = "127.0.0.1:%d" % free_port()
    r = bench(CRITICAL, "-n", 5, "-d", 1, addr)
    assert r["connect_failed"] == 5 and r["errors"]["refused"] == 5, r
    assert r["connected"] == r["round_trips"] == r["messages_due"] == 0, r
    check_errors(r)

    with Server(silent) as s:
        r = bench(CRITICAL, "-n", 2, "-d", 0.5, "-t", 1, s.addr)
        assert r["connected"] == 2 and r["failed"] == 2, r
        assert r["errors"]["timeout"] == 2 and r["round_trips"] == 0, r
        assert r["incomplete"] == r["messages_due"] == 2, r
        check_errors(r)

    # 100 messages a second for 2 s; the server sleeps 1 s after 30.
    with Server(stall_once(64 * 30, 1.0)) as s:
        r = bench(OK, "-n", 1, "-r", 100, "-d", 2, "-s", 64, s.addr)
        assert r["round_trips"] == r["messages_due"] >= 180, r
        lat = r["latency_us"]
        assert lat["max"] >= 950000, lat
        # About 100 of 200 messages fell due during the stall and waited
        # up to a second for it: the slowest tenth all waited most of it.
        assert lat["p90"] >= 300000, lat


run(test)

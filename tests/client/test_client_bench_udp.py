"""--bench over udp: against a real echod, closed loops of one and of
several datagrams in flight, --count and an open loop at --rate: every
datagram sent comes back, and the report adds up, even from a client that
fell behind its schedule.  Against echod's own
--udp-rate limit the losses are counted; a server that answers twice
shows duplicates, one that floods this client shows what its own
buffers dropped, one that stalls shows it in every datagram due meanwhile at
--rate (no coordinated omission), one that flips a byte is CRITICAL, one
that never answers loses everything, a closed port is refused.  Bad sizes and
combinations are UNKNOWN."""
import json
import os
import signal
import subprocess
import threading
import time

from clienttest import (CLIENT, CRITICAL, OK, UNKNOWN, Echod, UdpServer,
                        expect, free_port, run)


def bench(status, *args):
    out, _ = expect(status, "--bench", "--json", *args)
    assert out.count("\n") == 1, out
    return json.loads(out)


def check_counts(r, socks, size=64):
    """Datagrams due, sent, echoed and lost agree with each other."""
    assert r["mode"] == "udp" and r["size"] == size, r
    assert r["connections"] == socks == r["connected"], r
    assert r["connect_failed"] == r["failed"] == r["mismatched"] == 0, r
    assert r["messages_due"] >= r["messages_sent"] >= r["round_trips"], r
    assert r["messages_sent"] == r["round_trips"] + r["lost"], r
    assert r["incomplete"] == r["messages_due"] - r["round_trips"], r
    assert r["bytes_sent"] == r["messages_sent"] * size, r
    assert r["bytes_received"] == r["round_trips"] * size, r
    assert r["latency_us"]["samples"] == r["round_trips"], r
    pct = 100.0 * r["lost"] / max(r["messages_sent"], 1)
    assert abs(r["loss_percent"] - pct) < 0.001, r
    assert r["connect_latency_us"] is None, r


def check_clean(r, socks, size=64):
    """Nothing lost, late or twice: what echod on loopback must give."""
    check_counts(r, socks, size)
    assert r["status"] == "OK" and r["round_trips"] > 0, r
    assert r["lost"] == r["late"] == r["duplicated"] == 0, r
    assert r["client_dropped"] == 0, r
    assert r["messages_due"] == r["round_trips"], r


def stall_once(at, seconds):
    """A reply() that echoes, but sleeps once at the at-th datagram."""
    seen = []

    def reply(data):
        seen.append(1)
        if len(seen) == at:
            threading.Event().wait(seconds)
        return data
    return reply


def test():
    with Echod("--udp-rate", "0", listen=["udp:127.0.0.1:0"]) as d:
        addr = "udp:" + d.listening[0].split("udp:")[-1]
        r = bench(OK, "-d", 1, addr)
        check_clean(r, 1)
        assert r["window"] == 1 and r["rate"] is None, r
        # A window of 8 on each of 4 sockets: 32 in flight, far below
        # what echod's receive buffer holds, so none may be lost.
        r = bench(OK, "-n", 4, "--window", 8, "-s", 1200, "-d", 1, addr)
        check_clean(r, 4, 1200)
        assert r["window"] == 8, r
        r = bench(OK, "-n", 2, "-C", 500, "-d", 60, "-s", 8, addr)
        check_clean(r, 2, 8)
        assert r["round_trips"] == 500, r
        r = bench(OK, "-s", 65507, "-C", 20, addr)
        check_clean(r, 1, 65507)

        rate, secs = 500, 1.5
        r = bench(OK, "-n", 3, "-r", rate, "-d", secs, addr)
        check_counts(r, 3)
        assert r["rate"] == rate and r["window"] is None, r
        assert 0.9 * rate * secs <= r["messages_due"] <= (
            rate * r["elapsed_s"] + 4), r

        # A client stopped for 1.5 s falls behind its schedule, then sends
        # what fell due at once: nothing is lost for being sent late, and
        # the wait shows in the latency from when each was due.
        p = subprocess.Popen([CLIENT, "--bench", "--json", "-r", "100",
                              "-d", "3", addr], stdout=subprocess.PIPE)
        time.sleep(0.5)
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(p.pid, signal.SIGCONT)
        r = json.loads(p.communicate(timeout=60)[0])
        assert p.returncode == OK, r
        check_clean(r, 1)
        assert r["latency_us"]["max"] >= 1400000, r

        out, _ = expect(OK, "--bench", "-n", 2, "-d", 0.5, addr)
        for word in ("udp load test of " + addr, "2 sockets", "window 1",
                     "round trips", "loss          0 lost (0.000% of sent), "
                     "0 late, 0 duplicated", "status        OK"):
            assert word in out, (word, out)
        assert d.stop() == 0, d.log()

    # echod's own limit: 1000 replies a second after a burst of 200.
    with Echod("--udp-rate", "1000", "--udp-burst", "200",
               listen=["udp:127.0.0.1:0"]) as d:
        addr = "udp:" + d.listening[0].split("udp:")[-1]
        r = bench(OK, "-r", 3000, "-d", 1, "-t", 1, addr)
        check_counts(r, 1)
        assert r["messages_sent"] >= 2700, r
        assert 0 < r["round_trips"] <= 200 + 1000 * r["elapsed_s"] + 100, r
        assert r["lost"] >= r["messages_sent"] - r["round_trips"] > 0, r
        assert d.stop() == 0, d.log()

    twice = UdpServer(lambda data: [data, data])
    r = bench(OK, "-C", 50, twice.addr)
    check_counts(r, 1)
    # The last copy may come after the test has ended.
    assert r["round_trips"] == 50 and 49 <= r["duplicated"] <= 50, r
    twice.close()

    # 300 copies of each 64 KB echo at once overflow this client's own
    # receive buffer: the kernel's count of what it dropped is reported.
    flood = UdpServer(lambda data: [data] * 300)
    r = bench(OK, "-s", 65507, "-C", 3, "-t", 2, flood.addr)
    check_counts(r, 1, 65507)
    assert r["round_trips"] == 3 and r["client_dropped"] > 0, r
    assert r["duplicated"] + r["client_dropped"] <= 3 * 299, r
    flood.close()

    flip = UdpServer(lambda data: data[:20] + bytes([data[20] ^ 1]) +
                     data[21:])
    r = bench(CRITICAL, "-C", 10, "-t", 1, flip.addr)
    assert r["mismatched"] == r["lost"] == 10 and r["round_trips"] == 0, r
    assert "differs (at byte 20)" in r["first_mismatch"], r
    flip.close()

    # 100 datagrams a second for 2 s; the server sleeps 0.8 s after 30
    # (what arrives meanwhile waits in its socket).  Open loop: every
    # datagram due during the stall counts its wait.  Closed loop: the
    # stall is one slow sample, the rest are quick.
    for args, p90_min, p90_max in ((["-r", 100], 250000, None),
                                   ([], None, 250000)):
        stall = UdpServer(stall_once(30, 0.8))
        r = bench(OK, "-d", 2, *args, stall.addr)
        check_counts(r, 1)
        assert r["lost"] == 0 and r["latency_us"]["max"] >= 700000, r
        p90 = r["latency_us"]["p90"]
        assert p90_min is None or p90 >= p90_min, r
        assert p90_max is None or p90 <= p90_max, r
        stall.close()

    silent = UdpServer(lambda data: None)
    r = bench(CRITICAL, "-n", 2, "-d", 0.3, "-t", 0.5, silent.addr)
    check_counts(r, 2)
    assert r["round_trips"] == 0 and r["lost"] == r["messages_sent"] > 0, r
    silent.close()

    r = bench(CRITICAL, "-d", 1, "udp:127.0.0.1:%d" % free_port())
    assert r["errors"]["refused"] == r["failed"] == 1, r
    assert r["round_trips"] == 0, r

    addr = "udp:127.0.0.1:7"
    for args, why in [
            (["-s", 7, addr], "--size 8 to 65507"),
            (["-s", 65508, addr], "--size 8 to 65507"),
            (["--window", 2, "-r", 10, addr], "--window needs"),
            (["--window", 2, "127.0.0.1:7"], "--window needs"),
            (["--window", 0, addr], "--window"),
            (["--window", 257, addr], "--window"),
    ]:
        out, _ = expect(UNKNOWN, "--bench", *args)
        assert out.startswith("ECHO UNKNOWN - ") and why in out, (args, out)
    out, _ = expect(UNKNOWN, "--window", 2, addr, "x")
    assert "need --bench" in out, out


run(test)

"""Load tests against a real echod: pingpong, stream over a Unix socket and
an open loop at a fixed rate; the JSON report parses and its counts add
up; two thousand connections from one process; the text report; and a
progress line on a terminal only, over TCP and udp:."""
import json
import os
import pty
import select
import subprocess
import time

from clienttest import CLIENT, OK, Echod, expect, run, tempdir


def bench(*args):
    out, err = expect(OK, "--bench", "--json", *args)
    assert out.count("\n") == 1, out
    return json.loads(out)


def check_counts(r, conns, size):
    """Every count the report gives agrees with the others."""
    assert r["status"] == "OK" and r["size"] == size, r
    assert r["connections"] == conns == r["connected"], r
    assert r["connect_failed"] == r["failed"] == r["mismatched"] == 0, r
    assert sum(r["errors"].values()) == 0, r
    assert r["first_mismatch"] is None, r
    assert r["round_trips"] > 0, r
    # Against echod everything sent comes back before the drain ends.
    assert r["messages_due"] == r["messages_sent"] == r["round_trips"], r
    assert r["incomplete"] == 0, r
    assert r["bytes_sent"] == r["bytes_received"] == r["round_trips"] * size, r
    lat = r["latency_us"]
    assert lat["samples"] == r["round_trips"], r
    assert (lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"]
            <= lat["p99_9"] <= lat["max"]), lat
    assert lat["min"] <= lat["mean"] <= lat["max"], lat
    assert r["elapsed_s"] > 0, r
    rt = r["round_trips"] / r["elapsed_s"]
    assert abs(r["round_trips_per_s"] - rt) <= 0.01 * rt + 1, r
    mb = r["bytes_received"] / r["elapsed_s"] / 1e6
    assert abs(r["mb_per_s"] - mb) <= 0.01 * mb + 1e-6, r


def progress_on_pty(addr):
    """Runs a bench with stderr on a terminal; returns what it showed."""
    master, slave = pty.openpty()
    p = subprocess.Popen([CLIENT, "--bench", "-d", "1.6", addr],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:     # EIO: the client closed its end
                break
            if not chunk:
                break
            shown += chunk
        elif p.poll() is not None:
            break
    out = p.communicate(timeout=60)[0].decode()
    os.close(master)
    assert p.returncode == OK, (out, shown)
    return out, shown.decode(errors="replace")


def test():
    path = os.path.join(tempdir(), "echo.sock")
    with Echod("--udp-rate", "0",
               listen=["127.0.0.1:0", "unix:" + path, "udp:127.0.0.1:0"]) as d:
        tcp = d.listening[0]
        r = bench("-n", 8, "-d", 1, tcp)
        assert r["mode"] == "pingpong" and r["rate"] is None, r
        check_counts(r, 8, 64)

        r = bench("-m", "stream", "-n", 4, "-s", "4K", "-d", 1, "unix:" + path)
        assert r["mode"] == "stream", r
        check_counts(r, 4, 4096)
        assert r["window"] is None, r

        # --window: a stream with that many messages in flight.
        r = bench("-m", "stream", "--window", 3, "-n", 2, "-s", "1K",
                  "-d", 0.5, tcp)
        check_counts(r, 2, 1024)
        assert r["window"] == 3, r

        # --count bounds the messages, before --duration ends.
        r = bench("-n", 3, "-C", 300, "-d", 60, tcp)
        check_counts(r, 3, 64)
        assert r["messages_due"] == 300, r

        # Open loop: messages are due on schedule, whatever comes back.
        rate, secs, n = 400, 1.5, 4
        r = bench("-n", n, "-r", rate, "-d", secs, "-s", 100, tcp)
        check_counts(r, n, 100)
        assert r["rate"] == rate, r
        assert r["messages_due"] >= 0.9 * rate * secs, r
        assert r["messages_due"] <= rate * r["elapsed_s"] + n + 1, r

        # Thousands of connections from one process, one event loop.
        r = bench("-n", 2000, "-d", 0.5, "-t", 60, tcp)
        check_counts(r, 2000, 64)

        # Text report; no progress line when stderr is not a terminal.
        out, err = expect(OK, "--bench", "-n", 2, "-d", 0.5, tcp)
        for word in ("pingpong load test of " + tcp, "round trips",
                     "MB/s", "p50", "p99.9", "max", "errors        none",
                     "status        OK"):
            assert word in out, (word, out)
        assert "\r" not in err and "round trips" not in err, err

        for addr in (tcp, "udp:" + d.listening[2].split("udp:")[-1]):
            out, shown = progress_on_pty(addr)
            assert "round trips" in shown and "\r" in shown, shown
            assert "status        OK" in out and "\r" not in out, out
        assert d.stop() == 0, d.log()


run(test)

"""--bench --mode connect against a real echod: connection churn over TCP
and a Unix socket, closed loop, --count and an open loop at --rate; every
connection is connected, echoed and closed, and the report's counts and
both latency histograms agree.  Against --max-per-source 1 some
connections fail: WARNING.  A closed port is CRITICAL without the client
spinning; bad combinations of options are UNKNOWN."""
import json
import os

from clienttest import (CRITICAL, OK, UNKNOWN, WARNING, Echod, expect,
                        free_port, run, tempdir)


def bench(status, *args):
    out, _ = expect(status, "--bench", "--json", "-m", "connect", *args)
    assert out.count("\n") == 1, out
    return json.loads(out)


def check_churn(r, slots, size=64):
    """Each connection made one round trip; the counts agree."""
    assert r["mode"] == "connect" and r["status"] == "OK", r
    assert r["connections"] == slots and r["size"] == size, r
    assert r["connect_failed"] == r["failed"] == r["mismatched"] == 0, r
    assert sum(r["errors"].values()) == 0, r
    assert r["round_trips"] > slots, r      # connections churned, not held
    assert r["connected"] == r["round_trips"] == r["messages_due"], r
    assert r["incomplete"] == 0 and r["window"] is None, r
    assert r["bytes_sent"] == r["bytes_received"] == r["round_trips"] * size
    cps = r["round_trips"] / r["elapsed_s"]
    assert abs(r["connections_per_s"] - cps) <= 0.01 * cps + 1, r
    assert r["connections_per_s"] == r["round_trips_per_s"], r
    for key in ("latency_us", "connect_latency_us"):
        lat = r[key]
        assert lat["samples"] == r["round_trips"], (key, r)
        assert (lat["min"] <= lat["p50"] <= lat["p99"] <= lat["p99_9"]
                <= lat["max"]), (key, lat)


def test():
    path = os.path.join(tempdir(), "echo.sock")
    with Echod(listen=["127.0.0.1:0", "unix:" + path]) as d:
        tcp = d.listening[0]
        runs = [bench(OK, "-n", 4, "-d", 1, tcp)]
        check_churn(runs[-1], 4)
        runs.append(bench(OK, "-n", 2, "-s", 1000, "-d", 0.5, "unix:" + path))
        check_churn(runs[-1], 2, 1000)

        # --count bounds the connections.
        runs.append(bench(OK, "-n", 3, "-C", 200, "-d", 60, tcp))
        check_churn(runs[-1], 3)
        assert runs[-1]["round_trips"] == 200, runs[-1]

        # Open loop: connections are due on schedule.
        rate, secs = 300, 1.5
        r = bench(OK, "-n", 4, "-r", rate, "-d", secs, tcp)
        runs.append(r)
        check_churn(r, 4)
        assert r["rate"] == rate, r
        assert 0.9 * rate * secs <= r["messages_due"] <= (
            rate * r["elapsed_s"] + 5), r

        out, _ = expect(OK, "--bench", "-m", "connect", "-n", 2, "-d", 0.5,
                        tcp)
        for word in ("connect load test of " + tcp, "2 connections at a "
                     "time", "connections opened, echoed, closed",
                     "connect       p50", "echo          p50",
                     "status        OK"):
            assert word in out, (word, out)
        assert d.stop() == 0, d.log()
        # echod saw every one of those connections.
        bye = d.wait_for(r"exiting: \d+ connections served")
        served = int(bye.split("exiting: ")[1].split()[0])
        assert served >= sum(r["connected"] for r in runs), (served, runs)

    # echod refuses all but one connection at a time from this address:
    # some connections fail, some echo, and that is a WARNING.
    with Echod("--max-per-source", "1") as d:
        r = bench(WARNING, "-n", 4, "-d", 1, d.listening[0])
        assert r["round_trips"] > 0 and r["status"] == "WARNING", r
        assert r["failed"] + r["connect_failed"] > 0, r
        assert sum(r["errors"].values()) == r["failed"] + r[
            "connect_failed"], r
        assert d.stop() == 0, d.log()

    # Refused: CRITICAL, and a pause between attempts rather than a spin.
    n, secs = 2, 1
    r = bench(CRITICAL, "-n", n, "-d", secs, "127.0.0.1:%d" % free_port())
    assert r["round_trips"] == 0 and r["status"] == "CRITICAL", r
    assert r["errors"]["refused"] == r["connect_failed"] > 0, r
    assert r["connect_failed"] <= n * (secs / 0.01 + 2), r

    for args, why in [
            (["-m", "connect", "udp:127.0.0.1:7"], "not udp:"),
            (["-m", "connect", "--window", 4, "127.0.0.1:7"], "--window"),
    ]:
        out, _ = expect(UNKNOWN, "--bench", *args)
        assert out.startswith("ECHO UNKNOWN - ") and why in out, (args, out)


run(test)

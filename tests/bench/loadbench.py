"""make bench, the load cases: connection churn and UDP datagrams, each
echod against its reference in the same run.

Churn (`echo-client --bench --mode connect`: connect, echo 64 bytes,
close, again) runs against the accept loop of the epoll reference
(tests/bench/epoll-echo.c); datagrams against a minimal recvmmsg/sendmmsg
reflector (tests/bench/udp-reflect.c).  Rounds alternate the servers
(A B A B ...), so a noisy machine hits both alike; echod runs with
--threads 1 (its accept loop on the main thread, connections on one
worker) and --udp-rate 0 (the reference has no rate limit either).

Per case it prints the median over rounds of each server's figure, the
median of the per-round ratios echod/reference with their spread
(min-max), and each server's CPU time (utime + stime from /proc/PID/stat
over the case) per connection or datagram.  Servers on CPU 0, load on
CPU 1, as bench.py.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import (Server, cpus, median, platform_cpu,  # noqa: E402
                   run_case)

CHURN = [
    # name, echo-client arguments
    ("churn 64 B, 1 at a time", ["-m", "connect", "-n", "1"]),
    ("churn 64 B, 16 at a time", ["-m", "connect", "-n", "16"]),
]
UDP = [
    ("udp 64 B, 1 socket, window 1", ["-n", "1"]),
    ("udp 64 B, 8 sockets, window 16", ["-n", "8", "--window", "16"]),
    ("udp 64 B, open loop 20000/s", ["-n", "4", "-r", "20000"]),
]


class UdpServer(Server):
    PORT_RE = re.compile(r"listening (?:on udp:127\.0\.0\.1:|udp )(\d+)")


def servers(args):
    b = args.builddir
    echod = [os.path.join(b, "echod"), "--log-level", "notice",
             "--idle-timeout", "0", "--threads", "1"]
    return {
        "churn": [
            ("echod", Server, echod + ["--listen", "127.0.0.1:0"], ""),
            ("epoll", Server, [os.path.join(b, "tests", "bench",
                                            "epoll-echo"), "0"], ""),
        ],
        "udp": [
            ("echod", UdpServer, echod + ["--listen", "udp:127.0.0.1:0",
                                          "--udp-rate", "0"], "udp:"),
            ("reflect", UdpServer, [os.path.join(b, "tests", "bench",
                                                 "udp-reflect"), "0"],
             "udp:"),
        ],
    }


def collect(args):
    cores = cpus()
    pinned = args.pin and len(cores) >= 2
    srv_cpu = cores[0] if pinned else None
    load_cpu = cores[1] if pinned else None
    groups = {"churn": CHURN, "udp": UDP}
    results = {}
    for group, srvs in servers(args).items():
        if group not in args.groups:
            continue
        for case, _ in groups[group]:
            results[case] = {name: [] for name, _, _, _ in srvs}
        for rnd in range(args.rounds):
            for name, cls, cmd, prefix in srvs:
                server = cls(name, cmd, srv_cpu)
                try:
                    for case, extra in groups[group]:
                        r = run_case(args, server, extra, load_cpu, prefix)
                        results[case][name].append(r)
                        print("round %d %-8s %-32s %10.1f/s cpu %.2f us"
                              % (rnd + 1, name, case,
                                 r["round_trips_per_s"],
                                 r["server_cpu_us_per_rt"]),
                              file=sys.stderr, flush=True)
                finally:
                    server.stop()
    return results, srv_cpu, load_cpu


def spread(xs):
    return "%.2f (%.2f-%.2f)" % (median(xs), min(xs), max(xs))


def report(args, results, srv_cpu, load_cpu):
    lines = ["Machine: %d CPUs (%s), kernel %s; servers on CPU %s, load on "
             "CPU %s; %d rounds of %g s per case." % (
                 os.cpu_count(), platform_cpu(), os.uname().release,
                 srv_cpu, load_cpu, args.rounds, args.duration), "",
             "| case | echod (/s) | reference (/s) | echod/ref, median "
             "(min-max) | server CPU us/op, echod / ref | CPU ratio "
             "ref/echod | latency p50 / p99 us, echod / ref |",
             "|---|---|---|---|---|---|---|"]
    for case, by in results.items():
        (a, ra), (b, rb) = list(by.items())
        key = "round_trips_per_s"
        rt = [x[key] / y[key] for x, y in zip(ra, rb) if y[key]]
        cpu = [y["server_cpu_us_per_rt"] / x["server_cpu_us_per_rt"]
               for x, y in zip(ra, rb) if x["server_cpu_us_per_rt"]]

        def lat(rs, k="latency_us"):
            return "%.0f / %.0f" % (median([r[k]["p50"] for r in rs]),
                                    median([r[k]["p99"] for r in rs]))
        row = [case + " (%s)" % b,
               "%.0f" % median([r[key] for r in ra]),
               "%.0f" % median([r[key] for r in rb]), spread(rt),
               "%.2f / %.2f" % (
                   median([r["server_cpu_us_per_rt"] for r in ra]),
                   median([r["server_cpu_us_per_rt"] for r in rb])),
               spread(cpu) if cpu else "-",
               "%s ; %s" % (lat(ra), lat(rb))]
        if ra[0]["connect_latency_us"] is not None:
            row[-1] += " (connect %s ; %s)" % (
                lat(ra, "connect_latency_us"), lat(rb, "connect_latency_us"))
        if ra[0]["mode"] == "udp":
            # What the client's own buffers dropped is not the server's.
            row[0] += ", loss %.2f%% / %.2f%% (client drops %d / %d)" % (
                median([r["loss_percent"] for r in ra]),
                median([r["loss_percent"] for r in rb]),
                median([r["client_dropped"] for r in ra]),
                median([r["client_dropped"] for r in rb]))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--builddir", default=".")
    p.add_argument("--srcdir", default=".")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--groups", default="churn,udp")
    p.add_argument("--json", help="also write every figure to this file")
    p.add_argument("--no-pin", dest="pin", action="store_false")
    args = p.parse_args()
    args.groups = args.groups.split(",")
    results, srv_cpu, load_cpu = collect(args)
    print(report(args, results, srv_cpu, load_cpu))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

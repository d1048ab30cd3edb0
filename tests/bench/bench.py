"""make bench: echod side by side with two reference echo servers.

References: a minimal single-threaded epoll loop (tests/bench/epoll-echo.c,
the practical one-thread limit) and the asyncio streams example
(tests/bench/asyncio-echo.py).  Load comes from `echo-client --bench`.

Each round starts every server in turn (A B C A B C ...: a noisy machine
hits all of them alike), runs every case against it, and stops it.  The
report gives per case the median over rounds of each server's figure, the
median of the per-round ratios echod/reference, latency p50/p99 and the
server's CPU time per round trip.  Servers are pinned to CPU 0 and the
load to CPU 1 when there are two CPUs.  echod runs with --threads 1
against the one-thread references, and also with --threads 2 on the same
CPU, which shows what the threading costs.  --no-pin leaves placement to
the scheduler (on a loaded or virtualised machine, wake-ups across pinned
CPUs can dominate every figure).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

CASES = [
    # name, echo-client arguments, figure
    ("pingpong 64 B, 1 conn", ["-n", "1", "-s", "64"], "round_trips_per_s"),
    ("pingpong 64 B, 64 conns", ["-n", "64", "-s", "64"],
     "round_trips_per_s"),
    ("pingpong 64 B, 1000 conns", ["-n", "1000", "-s", "64"],
     "round_trips_per_s"),
    ("stream 64 KiB, 8 conns", ["-n", "8", "-s", "65536", "-m", "stream"],
     "mb_per_s"),
]
IDLE_CASE = "idle conns: RSS per conn"
NOFILE = 20000


def cpus():
    return sorted(os.sched_getaffinity(0))


def pin(cpu):
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    PORT_RE = re.compile(r"listening (?:on 127\.0\.0\.1:)?(\d+)")

    def __init__(self, name, cmd, cpu):
        self.name = name
        wrap = ["prlimit", "--nofile=%d" % NOFILE] + pin(cpu)
        self.proc = subprocess.Popen(wrap + cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 20
        self.port = None
        while self.port is None and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = self.PORT_RE.search(line)
            if m:
                self.port = int(m.group(1))
        if self.port is None:
            self.proc.kill()
            raise SystemExit("bench: %s did not start" % name)
        # Keep reading its output so a chatty server never blocks.
        self.drain = subprocess.Popen(["cat"], stdin=self.proc.stdout,
                                      stdout=subprocess.DEVNULL)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.drain.wait()


def server_cmds(args):
    b, s = args.builddir, args.srcdir
    echod = [os.path.join(b, "echod"), "--listen", "127.0.0.1:0",
             "--log-level", "notice", "--idle-timeout", "0"]
    return {
        "echod": echod + ["--threads", "1"],
        "echod-t2": echod + ["--threads", "2"],
        "epoll": [os.path.join(b, "tests", "bench", "epoll-echo"), "0"],
        "asyncio": [sys.executable, os.path.join(s, "tests", "bench",
                                                 "asyncio-echo.py"), "0"],
    }


def run_case(args, server, extra, load_cpu, scheme=""):
    cmd = pin(load_cpu) + [os.path.join(args.builddir, "echo-client"),
                           "--bench", "--json", "-d", str(args.duration)]
    cmd += extra + ["%s127.0.0.1:%d" % (scheme, server.port)]
    cpu0 = cpu_seconds(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=args.duration + 60)
    cpu1 = cpu_seconds(server.proc.pid)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        raise SystemExit("bench: echo-client failed: %s %s"
                         % (out.stdout, out.stderr))
    if report.get("mismatched") or report.get("failed"):
        raise SystemExit("bench: %s failed the echo: %s"
                         % (server.name, out.stdout))
    rt = max(report["round_trips"], 1)
    report["server_cpu_us_per_rt"] = (cpu1 - cpu0) * 1e6 / rt
    return report


def run_idle(args, server, load_cpu):
    cmd = ["prlimit", "--nofile=%d" % NOFILE] + pin(load_cpu) + [
        sys.executable, os.path.join(args.srcdir, "tests", "bench",
                                     "idle.py"),
        str(server.proc.pid), "127.0.0.1", str(server.port), str(args.idle)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit("bench: idle.py failed: %s" % out.stderr)
    return json.loads(out.stdout)


def collect(args):
    cores = cpus()
    pinned = args.pin and len(cores) >= 2
    srv_cpu = cores[0] if pinned else None
    load_cpu = cores[1] if pinned else None
    cmds = server_cmds(args)
    names = [n for n in ("echod", "epoll", "asyncio", "echod-t2")
             if n in args.servers]
    results = {n: {c[0]: [] for c in CASES} | {IDLE_CASE: []}
               for n in names}
    for rnd in range(args.rounds):
        for name in names:
            server = Server(name, cmds[name], srv_cpu)
            try:
                for case, extra, _ in CASES:
                    r = run_case(args, server, extra, load_cpu)
                    results[name][case].append(r)
                    print("round %d %-9s %-28s %12.1f" % (
                        rnd + 1, name, case, r[dict(
                            (c[0], c[2]) for c in CASES)[case]]),
                        file=sys.stderr, flush=True)
            finally:
                server.stop()
            if args.idle <= 0:
                continue
            # A fresh server: freed heap from the cases above would hide
            # what idle connections cost.
            server = Server(name, cmds[name], srv_cpu)
            try:
                results[name][IDLE_CASE].append(
                    run_idle(args, server, load_cpu))
            finally:
                server.stop()
    return results, srv_cpu, load_cpu


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def per_round(results, a, b, case, key):
    """The ratios a/b, one per round (both ran in it, on the same load)."""
    return [ra[key] / rb[key] for ra, rb in zip(results[a][case],
                                               results[b][case]) if rb[key]]


def ratio(results, a, b, case, key):
    """Median of the per-round ratios a/b."""
    return median(per_round(results, a, b, case, key))


def report(args, results, srv_cpu, load_cpu):
    names = list(results)
    refs = [n for n in ("epoll", "asyncio", "echod-t2") if n in results]
    lines = []
    lines.append("Machine: %d CPUs (%s), kernel %s; servers on CPU %s, load "
                 "on CPU %s; %d rounds of %g s per case."
                 % (os.cpu_count(), platform_cpu(), os.uname().release,
                    srv_cpu, load_cpu, args.rounds, args.duration))
    lines.append("")
    head = "| case | " + " | ".join(names) + " | " + " | ".join(
        ("echod/" + r if r != "echod-t2" else "t2/t1") for r in refs) + " |"
    lines.append(head)
    lines.append("|" + "---|" * (1 + len(names) + len(refs)))
    for case, _, key in CASES:
        unit = "MB/s" if key == "mb_per_s" else "rt/s"
        row = ["%s (%s)" % (case, unit)]
        row += ["%.0f" % median([r[key] for r in results[n][case]])
                for n in names]
        for r in refs:
            if r == "echod-t2":
                row.append("%.2f" % ratio(results, "echod-t2", "echod",
                                          case, key))
            else:
                row.append("%.2f" % ratio(results, "echod", r, case, key))
        lines.append("| " + " | ".join(row) + " |")
    if args.idle > 0:
        key = "rss_per_conn_bytes"
        row = ["%d idle conns (RSS B/conn)" % args.idle]
        row += ["%.0f" % median([r[key] for r in results[n][IDLE_CASE]])
                for n in names]
        for r in refs:
            a, b = ("echod-t2", "echod") if r == "echod-t2" else ("echod", r)
            row.append("%.2f" % ratio(results, a, b, IDLE_CASE, key))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Latency p50 / p99 (us) and server CPU per round trip (us);")
    lines.append("cpu echod/epoll: the median of the per-round ratios, and "
                 "their range:")
    lines.append("")
    cpu_ratio = "epoll" in names and "echod" in names
    lines.append("| case | " + " | ".join(names) +
                 (" | cpu echod/epoll |" if cpu_ratio else " |"))
    lines.append("|" + "---|" * (1 + len(names) + cpu_ratio))
    for case, _, key in CASES:
        row = [case]
        for n in names:
            rs = results[n][case]
            row.append("%.0f / %.0f, cpu %.1f" % (
                median([r["latency_us"]["p50"] for r in rs]),
                median([r["latency_us"]["p99"] for r in rs]),
                median([r["server_cpu_us_per_rt"] for r in rs])))
        if cpu_ratio:
            xs = per_round(results, "echod", "epoll", case,
                           "server_cpu_us_per_rt")
            row.append("%.2f (%.2f-%.2f)" % (median(xs), min(xs), max(xs))
                       if xs else "-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def platform_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--builddir", default=".")
    p.add_argument("--srcdir", default=".")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--idle", type=int, default=10000,
                   help="idle connections for the RSS case (0: skip)")
    p.add_argument("--servers", default="echod,epoll,asyncio,echod-t2")
    p.add_argument("--json", help="also write every figure to this file")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="let the scheduler place server and load")
    args = p.parse_args()
    args.servers = args.servers.split(",")
    results, srv_cpu, load_cpu = collect(args)
    print(report(args, results, srv_cpu, load_cpu))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":     # loadbench.py imports the helpers
    main()

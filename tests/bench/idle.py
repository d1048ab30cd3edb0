"""Holds N idle connections to a server and prints its RSS per connection.

Usage: idle.py PID HOST PORT N
Each connection echoes one byte first, so the server has really set it up.
Prints one JSON object: {"connections": N, "rss_base_kib": .., "rss_kib": ..,
"rss_per_conn_bytes": ..}.
"""
import json
import resource
import socket
import sys
import time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS for %d" % pid)


def main():
    pid, host, port, n = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                          int(sys.argv[4]))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))
    time.sleep(0.2)
    base = rss_kib(pid)
    socks = []
    deadline = time.monotonic() + 120
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        socks.append(s)
        if time.monotonic() > deadline:
            raise SystemExit("idle: connecting took too long")
    for s in socks:
        s.sendall(b"x")
    for s in socks:
        if s.recv(1) != b"x":
            raise SystemExit("idle: no echo")
    time.sleep(0.5)
    rss = rss_kib(pid)
    print(json.dumps({"connections": n, "rss_base_kib": base, "rss_kib": rss,
                      "rss_per_conn_bytes": (rss - base) * 1024 / n}))
    for s in socks:
        s.close()


main()

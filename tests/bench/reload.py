#!/usr/bin/env python3
"""Benchmark: how long a reload stops clients, with N connections open.

`make bench-reload` (or tests/bench/reload.py --echod ./echod).  Starts
echod on loopback, opens --conns idle connections (10,000 by default) and
one client that echoes 64 bytes back and forth without pause, then sends
SIGHUP --rounds times.  For each reload it reports the pause echod itself
measures (from pausing the workers in the old image to the new image's
first loop turn: "clients paused ...") and the longest round trip the
busy client saw around it.  A benchmark, not a test: it asserts nothing.
"""
import argparse
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import threading
import time

PAUSED = re.compile(r"clients paused ([0-9.]+) (us|ms|s)")
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


class Pinger(threading.Thread):
    """64-byte round trips as fast as they go; keeps the slowest since
    the last reset."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.worst = 0.0
        self.count = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        msg = b"x" * 64
        while not self.stop.is_set():
            t0 = time.monotonic()
            self.sock.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += self.sock.recv(64 - len(got))
            dt = (time.monotonic() - t0) * 1e3
            with self.lock:
                self.worst = max(self.worst, dt)
                self.count += 1

    def take(self):
        with self.lock:
            worst, self.worst = self.worst, 0.0
            return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--echod", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "echod"))
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    need = args.conns + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        raise SystemExit("need an open-file limit of %d (hard limit %d)"
                         % (need, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    log = []
    d = subprocess.Popen([args.echod, "--config", "/dev/null", "--listen",
                          "127.0.0.1:0", "--threads", str(args.threads),
                          "--idle-timeout", "0", "--max-connections",
                          str(args.conns + 100)],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    ready = threading.Event()
    port = []

    def reader():
        for line in d.stderr:
            log.append(line)
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m and not port:
                port.append(int(m.group(1)))
            if "ready:" in line:
                ready.set()

    threading.Thread(target=reader, daemon=True).start()
    try:
        if not ready.wait(30):
            raise SystemExit("echod did not start:\n" + "".join(log))
        addr = ("127.0.0.1", port[0])
        idle = []
        for _ in range(args.conns):
            idle.append(socket.create_connection(addr))
        pinger = Pinger(addr)
        pinger.start()
        time.sleep(1)
        pauses, worst = [], []
        for _ in range(args.rounds):
            n = len([x for x in log if PAUSED.search(x)])
            pinger.take()
            d.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while len([x for x in log if PAUSED.search(x)]) == n:
                if time.monotonic() > deadline:
                    raise SystemExit("no reload:\n" + "".join(log[-5:]))
                time.sleep(0.01)
            time.sleep(0.5)
            m = PAUSED.search([x for x in log if PAUSED.search(x)][-1])
            pauses.append(float(m.group(1)) * UNIT[m.group(2)])
            worst.append(pinger.take())
        for s in idle[:100]:
            s.sendall(b"still here")
            assert s.recv(64) == b"still here"
        print("Machine: %d CPUs, kernel %s; echod --threads %d; %d idle "
              "connections and one busy one; %d reloads" % (
                  os.cpu_count(), os.uname().release, args.threads,
                  args.conns, args.rounds))
        print()
        print("| | median | max |")
        print("|---|---|---|")
        print("| pause echod measures (ms) | %.1f | %.1f |" % (
            statistics.median(pauses), max(pauses)))
        print("| longest round trip of the busy client (ms) | %.1f | %.1f |"
              % (statistics.median(worst), max(worst)))
        pinger.stop.set()
    finally:
        d.terminate()
        try:
            d.wait(30)
        except subprocess.TimeoutExpired:
            d.kill()


if __name__ == "__main__":
    main()

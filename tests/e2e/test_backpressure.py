"""Watermark backpressure: clients that send but never read cost bounded
memory and no CPU, and do not slow anyone else down.

16 clients each send 12 MiB (192 MiB in all) without reading, so echod's
output to each of them passes the high watermark and it stops reading them.
While they are stalled:
- echod's RSS stays under its RSS at start + its buffer caches
  + 16 x (high + one read) x SLACK;
- echod uses (almost) no CPU over a couple of seconds: a read event that
  keeps firing at the watermark (libevent issue 891) would burn a core;
- another client still gets each echo promptly.
Then the stalled clients read, and each gets all of its bytes back in order,
then EOF; the peak RSS (VmHWM) over the whole run is held to the same bound.
"""
import re
import time

from echodtest import (WRAPPER, Echod, Stream, assert_same, not_measurable,
                       pattern, run, scaled)

CLIENTS = 16
PER_CLIENT = 12 << 20
HIGH = 64 << 10
LOW = 16 << 10
# echod reads at most 64 KiB at a time (CONN_READ_MAX in src/conn.c).
ONE_READ = 64 << 10
# evbuffer chains round their size up to a power of two: up to 2 bytes of
# memory per buffered byte.  A daemon without backpressure buffers
# hundreds of MiB here, far beyond this.
SLACK = 2
# Each event loop keeps up to 2 MiB of freed buffer blocks for reuse
# (EVMEM_CACHE_MAX in src/evmem.c): a fixed cost, not one per client.
CACHE_KIB = 2048
CPU_WINDOW = 2.0
CPU_MAX = 0.1  # seconds of CPU over the window: "near zero"
PROBES = 50


def stalled(streams, quiet=1.0, timeout=30.0):
    """Waits until no client's sending has moved for `quiet` seconds."""
    deadline = time.monotonic() + scaled(timeout)
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = [st.sent for st in streams]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return sum(now)
        time.sleep(0.05)
    raise AssertionError("clients never stalled: sent %r" % last)


def stalled_cpu(d, streams, tries=3):
    """echod's CPU seconds over a window in which no client sent a byte
    (on a loaded machine a client thread may have paused, not stalled)."""
    for _ in range(tries):
        sent, c0 = [st.sent for st in streams], d.cpu_seconds()
        time.sleep(CPU_WINDOW)
        cpu = d.cpu_seconds() - c0
        if [st.sent for st in streams] == sent:
            return cpu
    raise AssertionError("clients kept sending: not stalled")


def probe(d):
    """Round trips on a fresh client; returns the slowest, in seconds."""
    s = d.connect(timeout=5)
    worst = 0
    for i in range(PROBES):
        msg = b"probe %d\n" % i
        t = time.monotonic()
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            data = s.recv(len(msg) - len(got))
            assert data, "probe client got EOF"
            got += data
        worst = max(worst, time.monotonic() - t)
        assert got == msg, (got, msg)
    s.close()
    return worst


def test():
    data = pattern(PER_CLIENT + CLIENTS * 4096, b"backpressure")
    with Echod("--high-watermark", str(HIGH), "--low-watermark", str(LOW),
               "-v") as d:
        time.sleep(0.2)
        m = re.search(r"(\d+) threads?", d.wait_for("ready:"))
        loops = int(m.group(1)) if m else 1
        bound = (d.rss_kib() + loops * CACHE_KIB +
                 CLIENTS * (HIGH + ONE_READ) * SLACK // 1024)
        # Each client its own stretch of the pattern: cross-talk shows too.
        streams = [Stream(d.connect(), data[i * 4096:i * 4096 + PER_CLIENT],
                          timeout=120).start_sending()
                   for i in range(CLIENTS)]
        sent = stalled(streams)
        print("stalled after %d MiB sent; RSS %d KiB, bound %d KiB"
              % (sent >> 20, d.rss_kib(), bound))
        why = not_measurable()
        if why is None:
            rss = d.rss_kib()
            assert rss <= bound, "RSS %d KiB over the bound" % (rss - bound)
        else:
            print("not checking RSS: %s" % why)
        assert sent < CLIENTS * PER_CLIENT, "nothing stalled"
        if not WRAPPER:
            cpu = stalled_cpu(d, streams)
            print("CPU while stalled: %.2f s in %.1f s" % (cpu, CPU_WINDOW))
            assert cpu <= CPU_MAX, "echod spins while clients are stalled"
        worst = probe(d)
        print("slowest probe echo: %.3f s" % worst)
        assert worst < scaled(2.0), "an echo took %.3f s" % worst
        rss = d.rss_kib()
        for st in streams:
            st.start_reading()
        # VmHWM lags behind VmRSS on gVisor: sample RSS as well.
        while any(st.busy() for st in streams):
            rss = max(rss, d.rss_kib())
            time.sleep(0.05)
        for i, st in enumerate(streams):
            st.join()
            assert st.eof, "client %d: no EOF" % i
            assert_same(st.received, st.data, "client %d" % i)
            st.close()
        if why is None:
            peak = max(rss, d.rss_peak_kib())
            print("peak RSS %d KiB" % peak)
            assert peak <= bound, \
                "peak RSS %d KiB over the bound" % (peak - bound)
        assert d.stop() == 0, d.log()
        assert len(d.grep(r"closed \(eof\): %d bytes in, %d out"
                          % (PER_CLIENT, PER_CLIENT))) == CLIENTS, d.log()


run(test)

"""Out of descriptors: echod logs it (rate limited), does not spin, and
serves the clients waiting in the backlog once descriptors are free.

echod runs under `prlimit --nofile`, with --max-connections far above that,
so descriptors run out first.  More clients connect than it has descriptors
for: the kernel completes their handshakes, accept() fails with EMFILE and
the rest wait in the listen backlog.  While they wait, echod logs the
exhaustion once (the retries every quarter second must not each log), uses
almost no CPU, and the waiting clients get no echo.  When some served
clients close, every waiting client is served and gets its echo.
"""
import select
import time

from echodtest import Echod, SkipTest, WRAPPER, run, scaled
from fdlimit import fd_count

NOFILE = 40
EXTRA = 3
CPU_WINDOW = 2.0
CPU_MAX = 0.1
EMFILE_LINE = r"accept on .*: pausing accepts: Too many open files"


def echoed(socks, quiet):
    """The sockets whose 1-byte echo came back, waiting `quiet` seconds
    past the last one that did."""
    got = set()
    while len(got) < len(socks):
        ready, _, _ = select.select([s for s in socks if s not in got], [],
                                    [], scaled(quiet))
        if not ready:
            break
        for s in ready:
            assert s.recv(1) == b"x", "bad echo"
            got.add(s)
    return got


def test():
    if WRAPPER:
        # valgrind takes descriptors of its own, and enforces its lower
        # limit by closing sockets accept() got: the clients get resets.
        raise SkipTest("descriptor limits are not echod's under a wrapper")
    with Echod("-v", "--max-connections", "10000",
               wrapper=["prlimit", "--nofile=%d" % NOFILE]) as d:
        free = NOFILE - fd_count(d.pid)
        assert 0 < free < NOFILE, free
        clients = []
        for _ in range(free + EXTRA):
            s = d.connect()
            s.sendall(b"x")
            clients.append(s)
        d.wait_for(EMFILE_LINE)
        served = echoed(clients, 2.0)
        waiting = [s for s in clients if s not in served]
        print("%d descriptors free: %d clients served, %d waiting"
              % (free, len(served), len(waiting)))
        assert len(waiting) >= EXTRA, "clients beyond the limit got served"
        assert len(served) >= free - 2, "too few clients served"
        c0 = d.cpu_seconds()
        time.sleep(CPU_WINDOW)
        cpu = d.cpu_seconds() - c0
        print("CPU while out of descriptors: %.2f s in %.1f s"
              % (cpu, CPU_WINDOW))
        assert cpu <= CPU_MAX, "echod spins while out of descriptors"
        assert not echoed(waiting, 0.1), "a waiting client got served"
        lines = d.grep(EMFILE_LINE)
        assert len(lines) == 1, "not rate limited:\n" + "\n".join(lines)
        for s in list(served)[:len(waiting)]:
            s.close()
        late = echoed(waiting, 2.0)
        assert len(late) == len(waiting), \
            "%d of %d waiting clients served" % (len(late), len(waiting))
        for s in clients:
            s.close()
        assert d.stop() == 0, d.log()


run(test)

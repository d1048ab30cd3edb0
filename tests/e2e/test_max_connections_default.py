"""The default --max-connections fits the descriptors echod really has
(issue 10, defect 10).

With no -c, the limit is the open-file limit less what echod holds once it
listens (its event loops, listeners, the journal) and a margin.  Under
`prlimit --nofile=NOFILE` with THREADS loops, the limit echod announces
("ready: ... at most N connections") plus the descriptors it holds must
stay under NOFILE; then N clients are all served with no EMFILE, and the
N+1st waits at --max-connections, not at "Too many open files".

Before the fix the default was NOFILE - 32 whatever the loops held
(~5 descriptors each): here 224 with ~40 in loops, so clients past ~210
hit EMFILE ("accept on ...: pausing accepts: Too many open files").
"""
import os
import re
import select

from echodtest import Echod, run, scaled
from harness import WRAPPER, SkipTest

NOFILE = 256
THREADS = 8
# What the margin must leave at least: sd_notify, a metrics scrape, ...
MARGIN_MIN = 8
EMFILE_LINE = r"Too many open files"


def test():
    if WRAPPER:
        raise SkipTest("descriptor limits are not echod's under a wrapper")
    with Echod("--threads", str(THREADS), "--idle-timeout", "0",
               wrapper=["prlimit", "--nofile=%d" % NOFILE]) as d:
        ready = d.wait_for(r"ready:")
        n = int(re.search(r"at most (\d+) connections", ready).group(1))
        held = len(os.listdir("/proc/%d/fd" % d.pid))
        print("nofile %d, %d loops: echod holds %d, allows %d connections"
              % (NOFILE, THREADS, held, n))
        assert n + held <= NOFILE - MARGIN_MIN, \
            "%d connections + %d held leave under %d of %d descriptors" % (
                n, held, MARGIN_MIN, NOFILE)
        assert n >= NOFILE - held - 64, "a limit of %d wastes descriptors" % n
        clients = []
        for _ in range(n):
            s = d.connect()
            s.sendall(b"x")
            clients.append(s)
        for i, s in enumerate(clients):
            assert select.select([s], [], [], scaled(10))[0], \
                "client %d of %d not served:\n%s" % (
                    i + 1, n, "\n".join(d.grep(EMFILE_LINE)))
            assert s.recv(1) == b"x"
        d.wait_for(r"%d connections open \(--max-connections\)" % n)
        extra = d.connect()
        extra.sendall(b"x")
        assert not select.select([extra], [], [], scaled(0.5))[0], \
            "served past the limit"
        clients.pop().close()
        assert select.select([extra], [], [], scaled(10))[0], \
            "the waiting client was not served after a slot freed"
        assert not d.grep(EMFILE_LINE), "\n".join(d.grep(EMFILE_LINE))
        for s in clients + [extra]:
            s.close()
        assert d.stop() == 0, d.log()


run(test)

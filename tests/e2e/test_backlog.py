"""--backlog is the listen queue echod's own sockets get.

The kernel shows a listener's queue length as Send-Q in `ss -l`: it is
--backlog (default 1024) for TCP and Unix sockets, not libevent's 128.
"""
import os
import shutil

from echodtest import Echod
from harness import SkipTest, run, tempdir
from netaddr import listen_queue


def test():
    if shutil.which("ss") is None:
        raise SkipTest("ss (iproute2) not installed")
    path = os.path.join(tempdir(), "echo.sock")
    for extra, want in (([], 1024), (["--backlog", "300"], 300)):
        with Echod(*extra, listen=["127.0.0.1:0", "unix:" + path]) as d:
            assert listen_queue(d.listening[0]) == want, (extra, want)
            assert listen_queue(path, unix=True) == want, (extra, want)
            assert d.stop() == 0, d.log()


run(test)

"""--metrics unix:PATH replaces a socket file a dead echod left, as
--listen unix:PATH does, and never touches a file that is not a socket.
Today an echod killed by SIGKILL (or the OOM killer) leaves the file and
every later start exits 71: "cannot listen on unix:PATH (--metrics):
bind: Address already in use", so Restart= cannot bring it back."""
import os
import signal
import socket

from echodtest import Echod
from harness import run, tempdir
from metricstest import scrape


def test():
    tmp = tempdir()
    path = os.path.join(tmp, "metrics.sock")
    with Echod("--metrics", "unix:" + path) as d:
        d.wait_for(r"serving metrics on ")
        d.signal(signal.SIGKILL)
        d.wait()
    assert os.path.exists(path), "SIGKILL left no file: nothing to test"
    with Echod("--metrics", "unix:" + path) as d:
        d.wait_for(r"serving metrics on ")
        assert "echod_bytes_echoed_total" in scrape(path)
        assert d.stop() == 0
    # A live one is not replaced, a plain file not removed.
    live = socket.socket(socket.AF_UNIX)
    live.bind(path + ".live")
    live.listen()
    plain = os.path.join(tmp, "plain")
    open(plain, "w").close()
    for taken in (path + ".live", plain):
        with Echod("--metrics", "unix:" + taken, wait_ready=False) as d:
            assert d.wait() != 0, "started on " + taken
        assert os.path.exists(taken), taken + " was removed"
    live.close()


run(test)

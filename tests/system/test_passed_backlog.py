"""A passed socket keeps the listen queue the service manager gave it.

The manager listens with a long queue (Backlog= in a .socket unit, here
3000); echod adopts the sockets and must never listen() on them again:
`ss -l` still shows Send-Q 3000, for TCP and Unix, while echod serves.
"""
import os
import shutil
import socket

from asyncecho import echo_three_parts
from harness import SkipTest, run, tempdir
from netaddr import listen_queue
from systemdtest import activated

BACKLOG = 3000


def test():
    if shutil.which("ss") is None:
        raise SkipTest("ss (iproute2) not installed")
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(BACKLOG)
    path = os.path.join(tempdir(), "echo.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen(BACKLOG)
    local = "127.0.0.1:%d" % tcp.getsockname()[1]
    assert listen_queue(local) == BACKLOG
    with activated([tcp, unix], ["echo", "echo-unix"]) as d:
        for addr in d.listening:
            echo_three_parts(addr)
        assert listen_queue(local) == BACKLOG, "TCP queue shrunk"
        assert listen_queue(path, unix=True) == BACKLOG, "Unix queue shrunk"
        assert d.stop() == 0, d.log()
    tcp.close()
    unix.close()


run(test)

"""An exiting echod removes only the socket file it made.

A listens on PATH; PATH is removed and B listens on PATH; when A exits it
must leave B's live socket alone (it is another inode), and B still
serves.  When B exits, its own file goes.
"""
import os

from echodtest import Echod
from harness import run, tempdir


def echo(d):
    s = d.connect()
    s.sendall(b"ping")
    got = s.recv(4)
    s.close()
    assert got == b"ping", got


def test():
    path = os.path.join(tempdir(), "echo.sock")
    with Echod(listen=["unix:" + path]) as a:
        echo(a)
        os.unlink(path)
        with Echod(listen=["unix:" + path]) as b:
            echo(b)
            assert a.stop() == 0, a.log()
            assert os.path.exists(path), \
                "the first echod removed the second one's socket"
            echo(b)
            assert b.stop() == 0, b.log()
    assert not os.path.exists(path), "socket file left behind on exit"


run(test)

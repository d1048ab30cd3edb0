"""Unix sockets: a stale socket file is replaced, a live one (or another
kind of file) is left alone and refused with exit 71, the socket file is
removed on exit, and abstract names (unix:@name) work.
"""
import os
import socket
import stat
import subprocess

from echodtest import ECHOD, WRAPPER, Echod, run, scaled, tempdir


def echo(d, i=0):
    s = d.connect(i)
    s.sendall(b"ping")
    got = s.recv(4)
    s.close()
    assert got == b"ping", got


def fails(args):
    r = subprocess.run(WRAPPER + [ECHOD] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=scaled(10))
    return r.returncode, r.stderr.decode()


def test():
    path = os.path.join(tempdir(), "echo.sock")
    # A socket file whose server died: bound, then closed without unlink.
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    with Echod(listen=["unix:" + path]) as d:
        assert d.listening == ["unix:" + path], d.listening
        echo(d)
        # A live socket: a second echod must neither take nor remove it.
        rc, err = fails(["--listen", "unix:" + path])
        assert rc == 71, "second echod on a live socket: exit %d" % rc
        assert "cannot listen on unix:" + path in err, err
        assert os.path.exists(path), "the second echod removed the socket"
        echo(d)
        assert d.stop() == 0, d.log()
    assert not os.path.exists(path), "socket file left behind on exit"

    # Not a socket: never removed.
    with open(path, "w") as f:
        f.write("precious\n")
    rc, err = fails(["--listen", "unix:" + path])
    assert rc == 71, "regular file in the way: exit %d" % rc
    assert "cannot listen on unix:" + path in err, err
    with open(path) as f:
        assert f.read() == "precious\n", "echod overwrote a regular file"
    os.unlink(path)

    name = "@echod-test-%d" % os.getpid()
    with Echod(listen=["unix:" + name]) as d:
        assert d.listening == ["unix:" + name], d.listening
        echo(d)
        rc, err = fails(["--listen", "unix:" + name])
        assert rc == 71, "second echod on an abstract name: exit %d" % rc
        assert "cannot listen on unix:" + name in err, err
        echo(d)
        assert d.stop() == 0, d.log()
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect("\0" + name[1:])
        except ConnectionRefusedError:
            pass
        else:
            raise AssertionError("abstract socket still there after exit")


run(test)

"""A live Unix socket whose owner does not accept: refused, never waited on.

The owner listens with a queue of one and never accepts; clients fill the
queue until connect would block.  A second echod asked to listen there
must not hang in its stale-socket probe: it exits 71 with one line, at
once, and leaves the file and its owner alone.
"""
import os
import socket
import subprocess

from harness import ECHOD, WRAPPER, run, scaled, tempdir


def test():
    path = os.path.join(tempdir(), "busy.sock")
    owner = socket.socket(socket.AF_UNIX)
    owner.bind(path)
    owner.listen(1)
    clients = []
    for _ in range(64):
        c = socket.socket(socket.AF_UNIX)
        c.setblocking(False)
        try:
            c.connect(path)
        except BlockingIOError:
            c.close()
            break
        clients.append(c)
    else:
        raise AssertionError("the owner's queue never filled")
    try:
        r = subprocess.run(WRAPPER + [ECHOD, "--listen", "unix:" + path],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=scaled(10))
    except subprocess.TimeoutExpired:
        raise AssertionError("echod hung on a live socket with a full "
                             "queue")
    err = r.stderr.decode()
    assert r.returncode == 71, "exit %d; %s" % (r.returncode, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "cannot listen on unix:" + path in lines[0], err
    assert os.path.exists(path), "echod removed a live socket"
    for c in clients:
        c.close()
    owner.close()


run(test)

"""Passed sockets as the service manager sees them: it keeps its own copy.

After echod stops, the manager's sockets still listen (echod never shut
them down or unlinked them), so a client that connects between two runs is
queued, not refused, and the next echod serves it.  Passed sockets and
--listen combine; a passed descriptor that is not a listening socket is
refused with a clear error and a failure exit status.
"""
import os
import shutil
import socket

from systemdtest import (activated, echo_three_parts, listening_socket,
                         recv_all, run, tempdir)


def restart_keeps_queue(tcp, unix, path):
    names = ["echo", "echo-unix"]
    with activated([tcp, unix], names, "-v") as d:
        for addr, name in zip(d.listening, names):
            assert name in d.wait_for("listening on %s " % addr), d.log()
            echo_three_parts(addr)
        assert len(d.listening) == 2, d.log()
        assert d.stop() == 0, d.log()

    # Between runs: the kernel still queues clients on both sockets.
    waiting = []
    for s in (tcp, unix):
        c = socket.socket(s.family, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect(s.getsockname())
        c.sendall(b"queued while echod was down")
        c.shutdown(socket.SHUT_WR)
        waiting.append(c)
    assert os.path.exists(path), "echod unlinked a passed Unix socket"

    with activated([tcp, unix], names) as d:
        for c in waiting:
            assert recv_all(c) == b"queued while echod was down"
            c.close()
        assert d.stop() == 0, d.log()


def combined_with_listen(tcp):
    with activated([tcp], ["echo"], listen=["127.0.0.1:0"]) as d:
        assert len(d.listening) == 2, d.log()
        assert "socket-activated" in d.wait_for("listening on %s "
                                                % d.listening[0])
        for addr in d.listening:
            echo_three_parts(addr)
        assert d.stop() == 0, d.log()


def refuses_non_socket(tmp):
    with open(os.path.join(tmp, "not-a-socket"), "w+") as f:
        with activated([f], ["bogus"], wait_ready=False) as d:
            rc = d.wait()
            assert rc != 0, d.log()
            line = d.wait_for("passed socket")
            assert "bogus" in line, d.log()
            assert "ready:" not in d.log(), d.log()


def test():
    tmp = tempdir()
    path = os.path.join(tmp, "echo.sock")
    tcp = listening_socket("127.0.0.1:0")
    unix = listening_socket("unix:" + path)
    restart_keeps_queue(tcp, unix, path)
    combined_with_listen(tcp)
    refuses_non_socket(tmp)
    tcp.close()
    unix.close()
    shutil.rmtree(tmp)


run(test)

"""Sockets passed as systemd does: one whose FileDescriptorName starts with
"proxy" expects the PROXY protocol (the header is consumed and its client
logged), one with another name is plain (the same line is echoed)."""
import socket

from harness import run, scaled
from netaddr import free_port
from streams import recv_all
from systemdtest import activated, listening_socket

HEADER = b"PROXY TCP4 192.0.2.77 198.51.100.7 4242 7\r\n"


def session(addr, data):
    with socket.create_connection(addr, timeout=scaled(30)) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return recv_all(s)


def test():
    lb = listening_socket("127.0.0.1:%d" % free_port())
    plain = listening_socket("127.0.0.1:%d" % free_port())
    with activated([lb, plain], ["proxy-lb", "echo"], "-v") as d:
        d.wait_for(r"listening on 127\.0\.0\.1:\d+ \(socket-activated, "
                   r"name proxy-lb\) for PROXY protocol clients")
        assert session(lb.getsockname(), HEADER + b"data") == b"data"
        d.wait_for(r"conn \d+ from 192\.0\.2\.77:4242 via 127\.0\.0\.1:\d+ "
                   r"closed \(eof\): 4 bytes in, 4 out")
        assert session(plain.getsockname(), HEADER) == HEADER


run(test)

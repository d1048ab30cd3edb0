"""The canonical asyncio client: three writes, write_eof(), read to EOF.

Echod must send every byte back, then EOF (half-close honoured), over IPv4,
IPv6 and a Unix socket, and remove its socket file on exit.
"""
import os

from echodtest import Echod, echo_three_parts, has_ipv6, run, tempdir


def test():
    path = os.path.join(tempdir(), "echo.sock")
    listen = ["127.0.0.1:0", "unix:" + path]
    if has_ipv6():
        listen.append("[::1]:0")
    with Echod(listen=listen) as d:
        assert len(d.listening) == len(listen), d.log()
        for addr in d.listening:
            echo_three_parts(addr)
        assert d.stop() == 0, d.log()
    assert not os.path.exists(path), "unix socket file left behind"


run(test)

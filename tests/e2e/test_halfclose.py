"""The canonical asyncio client: three writes, write_eof(), read to EOF.

Echod must send every byte back, then EOF (half-close honoured), over IPv4,
IPv6 and a Unix socket, and remove its socket file on exit.
"""
import os

from echodtest import Echod, echo_three_parts, loopback_listeners, run, tempdir


def test():
    path = os.path.join(tempdir(), "echo.sock")
    listen = loopback_listeners(path)
    with Echod(listen=listen) as d:
        assert len(d.listening) == len(listen), d.log()
        for addr in d.listening:
            echo_three_parts(addr)
        assert d.stop() == 0, d.log()
    assert not os.path.exists(path), "unix socket file left behind"


run(test)

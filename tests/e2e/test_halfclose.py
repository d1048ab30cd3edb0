"""The canonical asyncio client: three writes, write_eof(), read to EOF.

Echod must send every byte back, then EOF (half-close honoured), over IPv4,
IPv6 and a Unix socket.
"""
import asyncio
import os
import socket

from echodtest import Echod, run, tempdir

PARTS = [b"Hello, ", b"World", b"! (three parts)"]


async def client(open_conn):
    reader, writer = await open_conn()
    for part in PARTS:
        writer.write(part)
        await writer.drain()
    writer.write_eof()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    await writer.wait_closed()
    return data


def has_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test():
    path = os.path.join(tempdir(), "echo.sock")
    listen = ["127.0.0.1:0", "unix:" + path]
    if has_ipv6():
        listen.append("[::1]:0")
    with Echod(listen=listen) as d:
        for text in d.listening:
            if text.startswith("unix:"):
                conn = lambda: asyncio.open_unix_connection(path)
            else:
                host, _, port = text.rpartition(":")
                conn = (lambda h, p: lambda: asyncio.open_connection(h, p))(
                    host.strip("[]"), int(port))
            got = asyncio.run(client(conn))
            assert got == b"".join(PARTS), (text, got)
        assert len(d.listening) == len(listen), d.log()
        assert d.stop() == 0, d.log()
    assert not os.path.exists(path), "unix socket file left behind"


run(test)

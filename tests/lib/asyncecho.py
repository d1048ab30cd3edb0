"""The canonical asyncio client: three writes, write_eof(), read to EOF."""
import asyncio
import socket

from netaddr import parse_addr

PARTS = [b"Hello, ", b"World", b"! (three parts)"]


async def _three_parts(open_conn):
    reader, writer = await open_conn()
    for part in PARTS:
        writer.write(part)
        await writer.drain()
    writer.write_eof()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    await writer.wait_closed()
    return data


def echo_three_parts(addr):
    """Runs the canonical client against addr (as echod logs it); asserts
    every byte came back."""
    family, sockaddr = parse_addr(addr)
    if family == socket.AF_UNIX:
        conn = lambda: asyncio.open_unix_connection(sockaddr)  # noqa: E731
    else:
        conn = lambda: asyncio.open_connection(*sockaddr)  # noqa: E731
    got = asyncio.run(_three_parts(conn))
    assert got == b"".join(PARTS), (addr, got)

"""The canonical asyncio streams echo server, as the Python docs write it.

A reference for echod's benchmark, and the server of
tests/client/test_client_asyncio.py.  Usage: asyncio-echo.py PORT
(listens on 127.0.0.1; prints "listening PORT").
"""
import asyncio
import sys


async def handle_echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main(port):
    server = await asyncio.start_server(handle_echo, "127.0.0.1", port,
                                        backlog=4096)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))

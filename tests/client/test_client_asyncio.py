"""The client against a Python asyncio echo server written the canonical
way (streams: read until EOF, write each piece back, then close) reports
OK, over TCP and a Unix socket, for small parts and for data larger than
the socket buffers."""
import asyncio
import importlib.util
import os
import threading

from clienttest import OK, expect, run, tempdir

# The canonical server lives once, beside the benchmark that also uses it.
_spec = importlib.util.spec_from_file_location(
    "asyncio_echo", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "..", "bench", "asyncio-echo.py"))
_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server)
handle_echo = _server.handle_echo


class AsyncioServer:
    def __init__(self, path):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.path = path
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(10), "asyncio server did not start"

    def _run(self):
        asyncio.set_event_loop(self.loop)
        tcp = self.loop.run_until_complete(
            asyncio.start_server(handle_echo, "127.0.0.1", 0))
        unix = self.loop.run_until_complete(
            asyncio.start_unix_server(handle_echo, self.path))
        self.addrs = ["127.0.0.1:%d" % tcp.sockets[0].getsockname()[1],
                      "unix:" + self.path]
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


def test():
    server = AsyncioServer(os.path.join(tempdir(), "asyncio.sock"))
    try:
        for addr in server.addrs:
            out, err = expect(OK, "-v", addr, "Hello, ", "World",
                              "! (three parts)")
            assert out.startswith("ECHO OK - 27 bytes echoed in "), out
            assert "all 27 bytes echoed" in err, err
            out, _ = expect(OK, "-s", "2M", addr)
            assert "size=%dB" % (2 << 20) in out, out
            out, _ = expect(OK, "-C", 3, "-i", 0, addr, "ping")
            assert out.startswith("ECHO OK - 3 of 3 echoed, 0% lost"), out
    finally:
        server.stop()


run(test)

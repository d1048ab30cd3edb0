"""An address given twice is refused as such, not blamed on another process.

`-l X -l X` (TCP, UDP, Unix path, abstract name), and an address that a
wildcard given before it already covers: exit 64 with one line saying
echod itself already listens there, and no socket file left behind.  The
same port over TCP and UDP is not a duplicate.
"""
import os
import random
import socket
import subprocess

from echodtest import Echod
from harness import ECHOD, WRAPPER, run, scaled, tempdir
from netaddr import has_ipv6


def free_port():
    """A port below the ephemeral range that TCP and UDP can bind on every
    address: clients' ports in TIME_WAIT would block the wildcard."""
    rnd = random.Random(os.getpid())
    family, any_addr = ((socket.AF_INET6, "::") if has_ipv6() else
                        (socket.AF_INET, "0.0.0.0"))
    for _ in range(100):
        port = rnd.randrange(20000, 32000)
        try:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(family, kind) as s:
                    if family == socket.AF_INET6:
                        s.setsockopt(socket.IPPROTO_IPV6,
                                     socket.IPV6_V6ONLY, 0)
                    s.bind((any_addr, port))
            return port
        except OSError:
            continue
    raise AssertionError("no free port found")


def echod(args):
    r = subprocess.run(WRAPPER + [ECHOD] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=scaled(10))
    return r.returncode, r.stderr.decode()


def test():
    port = free_port()
    tmp = tempdir()
    path = os.path.join(tmp, "echo.sock")
    name = "@echod-twice-%d" % os.getpid()
    cases = [
        (["127.0.0.1:%d" % port] * 2, "127.0.0.1:%d" % port),
        (["udp:127.0.0.1:%d" % port] * 2, "udp:127.0.0.1:%d" % port),
        (["*:%d" % port, "127.0.0.1:%d" % port], "127.0.0.1:%d" % port),
        (["unix:" + path] * 2, "unix:" + path),
        (["unix:" + name] * 2, "unix:" + name),
    ]
    for listen, second in cases:
        args = [w for a in listen for w in ("-l", a)]
        rc, err = echod(args)
        lines = [ln for ln in err.splitlines() if "listening on" not in ln]
        assert rc == 64, "%s: exit %d; %s" % (listen, rc, err)
        assert len(lines) == 1, (listen, err)
        assert "cannot listen on " + second in lines[0], (listen, err)
        assert "already listens on" in lines[0], (listen, err)
        assert "another process" not in lines[0], (listen, err)
        assert not os.path.exists(path), "socket file left behind"

    with Echod(listen=["127.0.0.1:%d" % port,
                       "udp:127.0.0.1:%d" % port]) as d:
        assert len(d.listening) == 2, d.log()
        assert d.stop() == 0, d.log()


run(test)

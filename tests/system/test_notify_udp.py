"""STATUS= counts what UDP echoed, and agrees with SIGUSR1's counters.

Five datagrams and one TCP echo: the next STATUS= refresh shows the bytes
of both, the same sum as SIGUSR1's bytes_out plus udp_bytes, and the
exit line says the same.
"""
import re

from systemdtest import Echod, Notify, run
from udptest import counters, echo, udp_addrs, udp_socket

DATAGRAM = b"u" * 1000
TCP = b"t" * 24


def test():
    n = Notify()
    try:
        with Echod(listen=["127.0.0.1:0", "udp:127.0.0.1:0"],
                   env=n.env()) as d:
            n.wait_for("READY=1")
            family, host, port = udp_addrs(d)[0]
            with udp_socket(family) as s:
                for _ in range(5):
                    assert echo(s, (host, port), DATAGRAM)[0] == DATAGRAM
            tcp = [a for a in d.listening if not a.startswith("udp:")][0]
            c = d.connect(d.listening.index(tcp))
            c.sendall(TCP)
            assert c.recv(100) == TCP
            c.close()
            want = 5 * len(DATAGRAM) + len(TCP)
            # format_size: 5024 B is "4.9 KiB".
            i = n.wait_for("STATUS=0 connections open, 1 total, 4.9 KiB "
                           "echoed", timeout=30)
            assert n.msgs[i][1] == d.pid
            got = counters(d)
            assert got["bytes_out"] + got["udp_bytes"] == want, got
            assert d.stop() == 0, d.log()
            assert re.search(r"exiting: 1 connections served, %d bytes "
                             r"echoed" % want, d.log()), d.log()
    finally:
        n.close()


run(test)

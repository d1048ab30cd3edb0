"""The loop guard: a datagram from a reflector port (echo 7, discard 9,
daytime 13, qotd 17, chargen 19, time 37) gets no reply, over IPv4 and
IPv6, and is counted; other low ports (8, 1023) are answered.  With
--udp-allow-low-ports, ports 7 and 19 are answered.
"""
import errno
import random
import socket
import time

from udptest import (Echod, SkipTest, assert_counters, assert_silent, echo,
                     has_ipv6, pattern, run, scaled, udp_addrs, udp_counts,
                     udp_socket)

REFLECTORS = (7, 9, 13, 17, 19, 37)
ANSWERED = (8, 1023)
# A loopback address of this run's own, so parallel runs rarely meet.
CLIENT = {socket.AF_INET: "127.%d.%d.%d" % tuple(random.randrange(1, 255)
                                                  for _ in range(3)),
          socket.AF_INET6: "::1"}


def from_port(family, port):
    """A socket bound to a low source port (root, or the capability).
    Test runs in other build trees may hold the port for a moment."""
    deadline = time.monotonic() + scaled(10)
    while True:
        try:
            return udp_socket(family, (CLIENT[family], port))
        except PermissionError:
            raise SkipTest("binding port %d needs CAP_NET_BIND_SERVICE"
                           % port)
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def check_guard(d):
    """Returns (dropped, answered, bytes answered) for the counters."""
    dropped = answered = nbytes = 0
    for family, host, port in udp_addrs(d):
        socks = [from_port(family, p) for p in REFLECTORS]
        try:
            for s in socks:
                s.sendto(b"loop?", (host, port))
                dropped += 1
            # Sent after the others to the same socket, so read after them:
            # its reply means theirs would have come first.
            for p in ANSWERED:
                with from_port(family, p) as s:
                    got, _ = echo(s, (host, port), b"low port %d" % p)
                    assert got == b"low port %d" % p
                    answered += 1
                    nbytes += len(got)
            for s in socks:
                assert_silent(s, 0.1)
        finally:
            for s in socks:
                s.close()
    return dropped, answered, nbytes


def check_allowed(listen):
    with Echod("--udp-allow-low-ports", listen=listen) as d:
        n = nbytes = 0
        for family, host, port in udp_addrs(d):
            for p in (7, 19):
                with from_port(family, p) as s:
                    data = pattern(100 + p)
                    got, _ = echo(s, (host, port), data)
                    assert got == data
                    n += 1
                    nbytes += len(data)
        assert_counters(d, udp_counts(udp_in=n, udp_out=n, udp_bytes=nbytes))
        assert d.stop() == 0, d.log()


def test():
    listen = ["udp:127.0.0.1:0"] + (["udp:[::1]:0"] if has_ipv6() else [])
    with Echod(listen=listen) as d:
        dropped, answered, nbytes = check_guard(d)
        assert_counters(d, udp_counts(udp_in=dropped + answered,
                                      udp_out=answered, udp_bytes=nbytes,
                                      udp_drop_loop=dropped))
        assert d.stop() == 0, d.log()
    check_allowed(listen)


run(test)

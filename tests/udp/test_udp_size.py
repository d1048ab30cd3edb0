"""Datagrams over --max-datagram are dropped and counted, never echoed
cut short; ones of exactly that size, and empty ones, are echoed.  Mixed
into one batch, the good ones still come back whole.  Without the option,
an IPv6 datagram over 65507 bytes (the IPv4 limit, the default) is
dropped too.
"""
import socket

from udptest import (Echod, assert_counters, assert_silent, echo, has_ipv6,
                     pattern, recv_reply, run, udp_addrs, udp_counts,
                     udp_socket)

MAX = 1000


def check_limit(family, dest, stats):
    with udp_socket(family) as s:
        for n in (MAX + 1, 4096, 65507):
            s.sendto(pattern(n), dest)
            stats["drop"] += 1
        # Datagrams to one socket are read in order: once this one is
        # back, the ones before it were read and dropped.
        for n in (MAX, 0, 1):
            data = pattern(n, b"ok")
            got, _ = echo(s, dest, data)
            assert got == data, "%d bytes back of %d" % (len(got), n)
            stats["ok"] += 1
            stats["bytes"] += n
        assert_silent(s)


def check_mixed_batch(family, dest, stats):
    """Good and oversized datagrams in one batch: only the good return."""
    good = []
    with udp_socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for i in range(64):
            if i % 3 == 1:
                s.sendto(pattern(MAX + 1 + i, b"big%d" % i), dest)
                stats["drop"] += 1
            else:
                data = pattern(i * 15, b"good%d" % i)
                good.append(data)
                s.sendto(data, dest)
        got = []
        for _ in good:
            reply = recv_reply(s)
            assert reply is not None, "%d of %d replies" % (len(got),
                                                           len(good))
            got.append(reply[0])
        assert_silent(s)
    assert sorted(got) == sorted(good), "mixed batch: replies differ"
    stats["ok"] += len(good)
    stats["bytes"] += sum(map(len, good))


def check_default_v6():
    """Over UDP/IPv6, 65508 bytes fit in a datagram but not in echod."""
    with Echod(listen=["udp:[::1]:0"]) as d:
        _, host, port = udp_addrs(d)[0]
        with udp_socket(socket.AF_INET6) as s:
            s.sendto(pattern(65508), (host, port))
            data = pattern(65507)
            got, _ = echo(s, (host, port), data)
            assert got == data, "%d bytes back of 65507" % len(got)
            assert_silent(s)
        assert_counters(d, udp_counts(udp_in=2, udp_out=1, udp_bytes=65507,
                                      udp_drop_size=1))
        assert d.stop() == 0, d.log()


def test():
    v6 = has_ipv6()
    listen = ["udp:127.0.0.1:0"] + (["udp:[::1]:0"] if v6 else [])
    stats = {"ok": 0, "drop": 0, "bytes": 0}
    with Echod("--max-datagram", str(MAX), listen=listen) as d:
        for family, host, port in udp_addrs(d):
            check_limit(family, (host, port), stats)
            check_mixed_batch(family, (host, port), stats)
        assert_counters(d, udp_counts(
            udp_in=stats["ok"] + stats["drop"], udp_out=stats["ok"],
            udp_bytes=stats["bytes"], udp_drop_size=stats["drop"]))
        assert d.stop() == 0, d.log()
    if v6:
        check_default_v6()


run(test)

"""UDP echo over IPv4 and IPv6: each datagram comes back whole, as one
datagram, from the address it was sent to.  That holds for a wildcard
listener too, reached over 127.0.0.1, 127.0.0.2 (which the reply must come
from, not 127.0.0.1) and ::1.  Empty datagrams are echoed; a batch of
datagrams sent at once comes back whole.  SIGUSR1's counters add up.
"""
import socket

from udptest import (Echod, assert_counters, echo, has_ipv6, pattern,
                     recv_reply, run, udp_addrs, udp_counts, udp_socket)

SIZES = [0, 1, 7, 512, 1472, 9000, 65507]
BATCH = 100


def check_echo(family, dest, stats):
    """Every size, one at a time, to dest; the reply comes from dest."""
    with udp_socket(family) as s:
        for n in SIZES:
            data = pattern(n, b"%d:%r" % (n, dest))
            got, src = echo(s, dest, data)
            assert got == data, "%r: %d bytes back of %d" % (
                dest, len(got), n)
            assert src[:2] == dest, "reply to %r came from %r" % (dest, src)
            stats["in"] += 1
            stats["bytes"] += n


def check_batch(family, dest, stats):
    """Datagrams sent without waiting come back, each whole."""
    sent = [pattern(100 + i, b"batch%d" % i) for i in range(BATCH)]
    with udp_socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for data in sent:
            s.sendto(data, dest)
        got = []
        for _ in sent:
            reply = recv_reply(s)
            assert reply is not None, "%r: %d of %d replies" % (
                dest, len(got), BATCH)
            got.append(reply[0])
    assert sorted(got) == sorted(sent), "%r: batch replies differ" % (dest,)
    stats["in"] += BATCH
    stats["bytes"] += sum(map(len, sent))


def test():
    v6 = has_ipv6()
    listen = ["udp:127.0.0.1:0", "udp:*:0"]
    if v6:
        listen.append("udp:[::1]:0")
    stats = {"in": 0, "bytes": 0}
    with Echod(listen=listen) as d:
        addrs = udp_addrs(d)
        assert len(addrs) == len(listen), d.log()
        _, _, port4 = addrs[0]
        _, _, wild = addrs[1]

        check_echo(socket.AF_INET, ("127.0.0.1", port4), stats)
        check_batch(socket.AF_INET, ("127.0.0.1", port4), stats)
        # The wildcard listener answers from whichever address was asked.
        check_echo(socket.AF_INET, ("127.0.0.1", wild), stats)
        check_echo(socket.AF_INET, ("127.0.0.2", wild), stats)
        if v6:
            _, _, port6 = addrs[2]
            check_echo(socket.AF_INET6, ("::1", port6), stats)
            check_batch(socket.AF_INET6, ("::1", port6), stats)
            check_echo(socket.AF_INET6, ("::1", wild), stats)

        assert_counters(d, udp_counts(udp_in=stats["in"],
                                      udp_out=stats["in"],
                                      udp_bytes=stats["bytes"]))
        assert d.stop() == 0, d.log()


run(test)

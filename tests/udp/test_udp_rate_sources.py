"""Hosts of one network each have their own rate limit: with a table of
thousands of free slots, eight clients 127.0.0.1-8 sending one datagram
each at the same moment are each answered, and a second datagram from
one of them within its second is not (--udp-rate 1 --udp-burst 1).
"""
import select
import time

from udptest import (Echod, assert_counters, assert_silent, run, scaled,
                     udp_addrs, udp_counts, udp_socket)

HOSTS = ["127.0.0.%d" % i for i in range(1, 9)]


def test():
    with Echod("--udp-rate", "1", "--udp-burst", "1",
               listen=["udp:127.0.0.1:0"]) as d:
        _, host, port = udp_addrs(d)[0]
        socks = {h: udp_socket(bind=(h, 0)) for h in HOSTS}
        start = time.monotonic()
        for h, s in socks.items():
            s.sendto(b"from " + h.encode(), (host, port))
        # The first host again, within its second: over the rate.
        socks[HOSTS[0]].sendto(b"again", (host, port))

        waiting = dict(socks)
        deadline = time.monotonic() + scaled(5)
        while waiting and time.monotonic() < deadline:
            ready, _, _ = select.select(list(waiting.values()), [], [], 0.1)
            for s in ready:
                h = s.getsockname()[0]
                data, _ = s.recvfrom(100)
                assert data == b"from " + h.encode(), (h, data)
                del waiting[h]
        assert not waiting, "no reply to %s (each has its own bucket); " \
            "log:\n%s" % (", ".join(sorted(waiting)), d.log())
        if time.monotonic() - start < 1:
            assert_silent(socks[HOSTS[0]], 0.2)
            assert_counters(d, udp_counts(
                udp_in=len(HOSTS) + 1, udp_out=len(HOSTS),
                udp_bytes=sum(len(b"from " + h.encode()) for h in HOSTS),
                udp_drop_rate=1))
        for s in socks.values():
            s.close()
        assert d.stop() == 0, d.log()


run(test)

"""The probe, ping over the echo service: udp: with --count sends
numbered datagrams an --interval apart and tells loss, duplicates and
reordering apart; rtt min/avg/max/mdev with check_ping's rta and pl
perfdata; thresholds on time and loss ("-w 0.2,10%").  TCP repeated
checks report the same statistics, a failed check counting as lost."""
import itertools
import socket
import struct

from clienttest import (CRITICAL, OK, WARNING, Echod, Server, UdpServer,
                        expect, run, status_line)


def every_other(d, n=itertools.count()):
    """Echoes datagrams 0, 2, 4...; drops the others."""
    return d if next(n) % 2 == 0 else None


def held_back():
    """Holds the first datagram back and echoes it after the second."""
    seen = []

    def reply(d):
        seen.append(d)
        if len(seen) == 1:
            return None
        return [d, seen[0]] if len(seen) == 2 else d
    return reply


def check_probe(out, echoed, count, loss):
    text, perf = status_line(out)
    assert " - %d of %d echoed, %s%% lost, 64 bytes each" % (
        echoed, count, loss) in text, out
    assert perf["pl"]["value"] == loss and perf["pl"]["uom"] == "%", out
    assert (perf["pl"]["min"], perf["pl"]["max"]) == ("0", "100"), out
    if echoed:
        assert "rtt min/avg/max/mdev " in text, out
        for label in ("rta", "rtmin", "rtmax", "mdev"):
            assert perf[label]["uom"] == "s", out
    return text, perf


def test():
    with Echod(listen=["udp:127.0.0.1:0"]) as d:
        addr = "udp:" + d.listening[0].split("udp:")[-1]
        out, err = expect(OK, "-v", "-C", 10, "-i", 0.01, "-w", "0.2,10%",
                          "-c", "1,50%", addr)
        _, perf = check_probe(out, 10, 10, "0")
        assert (perf["rta"]["warn"], perf["rta"]["crit"]) == ("0.2", "1"), out
        assert (perf["pl"]["warn"], perf["pl"]["crit"]) == ("10", "50"), out
        assert "datagram 10 echoed in " in err, err
        assert d.stop() == 0, d.log()

    lossy = UdpServer(every_other)
    try:
        args = ["-C", 10, "-i", 0.01, "-t", 2, lossy.addr]
        out, _ = expect(CRITICAL, *args)     # no threshold on loss
        check_probe(out, 5, 10, "50")
        assert "timeout after 2.000 s waiting for" in out, out
        out, _ = expect(WARNING, "-w", "1,40%", "-c", "2,60%", *args)
        check_probe(out, 5, 10, "50")
        assert "(warning: loss 50% outside 40)" in out, out
        out, _ = expect(CRITICAL, "-c", ",30%", *args)
        assert "(critical: loss 50% outside 30)" in out, out
        out, _ = expect(OK, "-w", ",60%", *args)
        check_probe(out, 5, 10, "50")
    finally:
        lossy.close()

    twice = UdpServer(lambda d: [d, d])
    try:
        out, _ = expect(OK, "-C", 3, "-i", 0.05, "-t", 5, twice.addr)
        _, perf = check_probe(out, 3, 3, "0")
        # The last one's copy may come after the probe has ended.
        assert perf["dup"]["value"] in ("2", "3"), out
        assert " duplicated, 0 reordered" in out, out
    finally:
        twice.close()

    swap = UdpServer(held_back())
    try:
        out, _ = expect(OK, "-C", 3, "-i", 0.05, "-t", 5, swap.addr)
        _, perf = check_probe(out, 3, 3, "0")
        assert perf["reordered"]["value"] == "1", out
    finally:
        swap.close()

    renumber = UdpServer(lambda d: struct.pack(">I", 7) + d[4:])
    try:
        out, _ = expect(CRITICAL, "-C", 3, "-i", 0.05, "-t", 5,
                        renumber.addr)
        assert "echoed a datagram of 64 bytes that was not sent" in out, out
    finally:
        renumber.close()

    # TCP: every other connection is reset; those checks count as lost.
    conns = itertools.count()

    def flaky(c):
        if next(conns) % 2:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
            return
        while True:
            data = c.recv(65536)
            if not data:
                break
            c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    with Server(flaky) as s:
        args = ["-C", 4, "-i", 0.05, "-t", 10, s.addr]
        out, _ = expect(CRITICAL, *args)
        check_probe(out, 2, 4, "50")
        assert "check 2 of 4: " in out and "connection reset" in out, out
        out, _ = expect(OK, "-w", ",60%", *args)
        check_probe(out, 2, 4, "50")


run(test)

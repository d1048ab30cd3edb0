"""A datagram socket passed by socket activation is served:
systemd-socket-activate --datagram binds a UDP port and execs echod when
the first datagram arrives; that datagram and later ones are echoed, from
the passed socket's address, and counted.
"""
import shutil

from udptest import (Echod, SkipTest, assert_counters, echo, recv_reply,
                     run, udp_counts, udp_socket)

ACTIVATE = "systemd-socket-activate"


def free_udp_port():
    with udp_socket(bind=("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def start():
    """An activator on a free port, waiting for its first datagram."""
    for _ in range(3):
        port = free_udp_port()
        d = Echod(listen=(), wait_ready=False,
                  wrapper=(ACTIVATE, "--datagram", "--fdname=echo-udp",
                           "-l", "127.0.0.1:%d" % port))
        try:
            d.wait_for(r"Listening on 127\.0\.0\.1:%d" % port)
            return d, port
        except AssertionError:
            # Another process took the port between our probe and its bind.
            d.__exit__(None, None, None)
    raise AssertionError("%s never listened:\n%s" % (ACTIVATE, d.log()))


def test():
    if shutil.which(ACTIVATE) is None:
        raise SkipTest("%s is not installed (package systemd)" % ACTIVATE)
    d, port = start()
    with d:
        dest = ("127.0.0.1", port)
        assert not d.grep("ready:"), "echod started before any datagram"
        sent = [b"wakes echod", b"", b"second" * 100]
        with udp_socket() as s:
            s.sendto(sent[0], dest)
            reply = recv_reply(s, timeout=10)
            assert reply is not None, "no reply to the first datagram:\n" \
                + d.log()
            assert reply == (sent[0], dest), reply
            for data in sent[1:]:
                assert echo(s, dest, data) == (data, dest)
        d.wait_for(r"listening on udp:127\.0\.0\.1:%d \(socket-activated, "
                   r"name echo-udp\)" % port)
        assert_counters(d, udp_counts(udp_in=len(sent), udp_out=len(sent),
                                      udp_bytes=sum(map(len, sent))))
        assert d.stop() == 0, d.log()


run(test)

"""Side by side with the monitoring plugins' own check_tcp and check_udp
(Debian's monitoring-plugins-basic), against echod, a discard server, a
byte-flipping server, a silent one, a closed port and a name that does not
resolve: echo-client is never OK where either plugin says CRITICAL (in
plain and in -s/-e mode), it is CRITICAL everywhere but against echod, and
the perfdata of all three parse by the plugin guidelines."""
import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

from clienttest import (CRITICAL, OK, Echod, Server, SkipTest, UdpServer,
                        client, echo_changed, flip_byte, free_port, run,
                        silent, status_line)

PLUGINS = "/usr/lib/nagios/plugins"
MSG = "ping-echo"


def plugin(name, *args):
    p = subprocess.run([os.path.join(PLUGINS, name)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=120)
    if "|" in p.stdout:
        status_line(p.stdout.splitlines()[0] + "\n")
    return p.returncode, p.stdout


def discard(c):
    while c.recv(65536):
        pass
    c.close()


def side_by_side(host, port, udp, want):
    """Every way of asking, all at once (against a silent server each one
    waits out its -t 3); returns the plugins' results, asserts the rule."""
    if udp:
        theirs = [("check_udp", "-H", host, "-p", port, "-s", MSG,
                   "-e", MSG, "-M", "crit", "-t", 3)]
        ours = [("-H", host, "-p", port, "-u", "-t", 3),
                ("-H", host, "-p", port, "-u", "-t", 3, MSG),
                ("-H", host, "-p", port, "-u", "-t", 3, "-C", 3, "-i", 0.1)]
    else:
        theirs = [("check_tcp", "-H", host, "-p", port, "-t", 3),
                  ("check_tcp", "-H", host, "-p", port, "-s", MSG,
                   "-e", MSG, "-M", "crit", "-t", 3)]
        ours = [("-H", host, "-p", port, "-t", 3),
                ("-H", host, "-p", port, "-t", 3, MSG),
                ("-t", 3, "-C", 2, "-i", 0.1, "%s:%s" % (host, port))]
    with ThreadPoolExecutor(max_workers=len(theirs) + len(ours)) as pool:
        theirs = [pool.submit(plugin, *a) for a in theirs]
        ours = [pool.submit(client, *a) for a in ours]
        theirs = [f.result() for f in theirs]
        ours = [f.result() for f in ours]
    for rc, out, _ in ours:
        assert rc == want, (host, port, udp, rc, out, theirs)
        status_line(out)
        if any(t[0] == CRITICAL for t in theirs):
            assert rc != OK, (out, theirs)
    return theirs


def test():
    if not os.path.exists(os.path.join(PLUGINS, "check_tcp")):
        raise SkipTest("monitoring-plugins-basic not installed")
    with Echod(listen=["127.0.0.1:0", "udp:127.0.0.1:0"]) as d:
        tport = d.listening[0].rsplit(":", 1)[1]
        uport = d.listening[1].rsplit(":", 1)[1]
        theirs = side_by_side("127.0.0.1", tport, False, OK)
        assert all(t[0] == OK for t in theirs), theirs
        theirs = side_by_side("127.0.0.1", uport, True, OK)
        assert all(t[0] == OK for t in theirs), theirs
        assert d.stop() == 0, d.log()

    # Servers that are up but do not echo.  check_tcp without -s/-e says
    # OK to all of them: only a check that sends and compares can tell.
    for handler in (discard, echo_changed(flip_byte(1)), silent):
        with Server(handler) as s:
            side_by_side("127.0.0.1", s.addr.rsplit(":", 1)[1], False,
                         CRITICAL)
    for reply in (lambda d: None, lambda d: d[:1] + bytes([d[1] ^ 1]) + d[2:]):
        u = UdpServer(reply)
        try:
            theirs = side_by_side("127.0.0.1", u.addr.rsplit(":", 1)[1],
                                  True, CRITICAL)
            assert all(t[0] == CRITICAL for t in theirs), theirs
        finally:
            u.close()

    # A closed port, both ways, and a name that does not resolve (or, with
    # no resolver at all, one that times out: CRITICAL either way).
    port = free_port()
    theirs = side_by_side("127.0.0.1", port, False, CRITICAL)
    assert all(t[0] == CRITICAL for t in theirs), theirs
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    uport = probe.getsockname()[1]
    probe.close()
    side_by_side("127.0.0.1", uport, True, CRITICAL)
    theirs = side_by_side("nosuch.invalid", 7, False, CRITICAL)
    assert all(t[0] == CRITICAL for t in theirs), theirs
    theirs = side_by_side("nosuch.invalid", 7, True, CRITICAL)
    assert all(t[0] == CRITICAL for t in theirs), theirs


run(test)

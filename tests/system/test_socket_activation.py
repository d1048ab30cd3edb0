"""Socket activation through systemd-socket-activate: TCP over IPv4 and
IPv6 and a Unix socket, each with its --fdname.  The first client starts
echod (the tool execs it only then) and gets the three-part half-close
echo; every passed socket is served and logged with its name, no default
*:7 is opened beside them, and the Unix socket file is left in place.
"""
import os
import re
import shutil
import socket

from systemdtest import (Echod, SkipTest, echo_three_parts, free_port,
                         has_ipv6, run, tempdir)


def start(unix_path):
    """systemd-socket-activate on fresh ports; retries if one was taken."""
    for _ in range(5):
        pairs = [("127.0.0.1:%d" % free_port(), "echo-tcp")]
        if has_ipv6():
            pairs.append(("[::1]:%d" % free_port(socket.AF_INET6, "::1"),
                          "echo-tcp6"))
        pairs.append(("unix:" + unix_path, "echo-unix"))
        listen = [a for a, _ in pairs]
        names = [n for _, n in pairs]
        cmd = ["systemd-socket-activate", "--fdname=" + ":".join(names)]
        for addr in listen:
            cmd += ["-l", addr[5:] if addr.startswith("unix:") else addr]
        d = Echod("-v", listen=(), wrapper=cmd, wait_ready=False)
        try:
            for addr in listen:
                d.wait_for("Listening on %s as" % re.escape(
                    addr[5:] if addr.startswith("unix:") else addr))
            return d, pairs
        except AssertionError:
            if "Address already in use" not in d.log():
                raise
            d.__exit__()
            if os.path.exists(unix_path):
                os.unlink(unix_path)
    raise AssertionError("no free ports for systemd-socket-activate")


def test():
    if shutil.which("systemd-socket-activate") is None:
        raise SkipTest("systemd-socket-activate is not installed")
    path = os.path.join(tempdir(), "echo.sock")
    d, socks = start(path)
    with d:
        # Lazy like a .socket unit: echod is not running before a client.
        assert "ready:" not in d.log(), d.log()
        for addr, name in socks:
            echo_three_parts(addr)
            d.wait_for(r"listening on %s \(socket-activated, name %s\)"
                       % (re.escape(addr), name))
        d.wait_for("ready:")
        assert len(d.listening) == len(socks), d.log()
        assert not re.search(r"listening on \*:7", d.log()), d.log()
        assert d.stop() == 0, d.log()
    assert os.path.exists(path), "echod unlinked a socket it was passed"
    os.unlink(path)
    os.rmdir(os.path.dirname(path))


run(test)

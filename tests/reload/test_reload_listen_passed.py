"""A reload that changes `listen` under socket activation: the socket
systemd passed is always kept (whatever the settings name), a listen line
added is opened beside it, and removed again by the next reload; no
default *:7 is opened at any point, since a passed socket serves."""
import os
import re
import shutil
import socket

from harness import tempdir
from netaddr import free_port
from reloadtest import Echod, SkipTest, echo, refused, reload, run


def test():
    if shutil.which("systemd-socket-activate") is None:
        raise SkipTest("systemd-socket-activate is not installed")
    conf = os.path.join(tempdir(), "echod.conf")
    open(conf, "w").close()
    passed, added = free_port(), free_port()
    cmd = ["systemd-socket-activate", "--fdname=echo-tcp",
           "-l", "127.0.0.1:%d" % passed]
    with Echod("--config", conf, listen=(), wrapper=cmd,
               wait_ready=False) as d:
        d.wait_for(r"Listening on 127\.0\.0\.1:%d as" % passed)
        first = socket.create_connection(("127.0.0.1", passed), timeout=10)
        d.wait_for(r"ready: ")
        echo(first, b"before")
        with open(conf, "w") as f:
            f.write("listen = 127.0.0.1:%d\n" % added)
        ok, line = reload(d)
        assert ok, line
        for port in (passed, added):
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=10) as s:
                echo(s, b"after the listen line was added")
        open(conf, "w").close()
        ok, line = reload(d)
        assert ok, line
        assert refused(("127.0.0.1", added)), "the listener removed accepts"
        with socket.create_connection(("127.0.0.1", passed),
                                      timeout=10) as s:
            echo(s, b"the passed socket is kept")
        echo(first, b"after two reloads")
        assert not re.search(r"listening on \*:7", d.log()), d.log()
        first.close()
        assert d.stop() == 0


run(test)

"""echod.conf: a file sets the options, the command line overrides it (a
--listen there replaces the file's listen lines), a bad file exits 64 with
one line naming the file and the line, an explicit file that cannot be read
exits 66; the file's options are --help's, and the command line's own are
refused in it.
"""
import os
import re
import socket
import stat

from conffiletest import echod_exits, one_line, write_conf
from echodtest import Echod, run, scaled, tempdir

READY_RE = re.compile(r"ready: (\d+) listeners, \d+ threads, at most (\d+) "
                      r"connections")


def ready(d):
    m = READY_RE.search(d.wait_for("ready:"))
    return int(m.group(1)), int(m.group(2))


def echo(s):
    with s:
        s.sendall(b"hello")
        assert s.recv(5) == b"hello"


def unix_client(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(scaled(10))
    s.connect(path)
    return s


def file_sets_options():
    where = tempdir()
    sock = os.path.join(where, "echo sock")
    path = write_conf(
        "# settings for the test\n"
        "\n"
        "listen = 127.0.0.1:0\n"
        'listen = "unix:%s"   # a path with a blank, quoted\r\n'
        "max-connections = 4242\n"
        "log-level = info\n" % sock, directory=where)
    with Echod("--config", path, listen=()) as d:
        assert ready(d) == (2, 4242), d.log()
        # (the log's "listening on" names the path up to its blank)
        assert d.listening[0].startswith("127.0.0.1:"), d.listening
        assert stat.S_ISSOCK(os.stat(sock).st_mode), "no socket at " + sock
        echo(d.connect(0))
        echo(unix_client(sock))
        # log-level = info: each connection is logged.
        d.wait_for(r"conn \d+ from .* closed")
        assert d.stop() == 0

    # The command line wins, and its --listen replaces the file's list.
    with Echod("--config", path, "-c", "77", "--log-level", "notice") as d:
        assert ready(d) == (1, 77), d.log()
        assert len(d.listening) == 1 and \
            d.listening[0].startswith("127.0.0.1:"), d.listening
        assert not os.path.exists(sock), "the file's unix listener opened"
        echo(d.connect(0))
        assert d.stop() == 0
        assert not d.grep(r"conn \d+ from"), "--log-level notice lost"


# (file text, what the one line says after "PATH:")
BAD = [
    ("# line 1\n" * 11 + "hihg-watermark = 1M\n",
     '12: unknown option "hihg-watermark"'),
    ("backlog = 5\nbacklog = 6\n", '2: "backlog" set again (first on line 1)'),
    ("backlog 5\n", "1: missing '=' after \"backlog\""),
    ("backlog =\n", "1: backlog: missing value"),
    ("listen = 127.0.0.1:7 127.0.0.1:8\n",
     '1: listen: "127.0.0.1:8" after the value'),
    ('listen = "unix:/x\n', "1: unterminated quote"),
    ("high-watermark = 2G\n", '1: high-watermark = "2G": too large'),
    ("listen = 127.0.0.1:99999\n", '1: listen = "127.0.0.1:99999": port'),
    ("udp-allow-low-ports = 1\n", "not yes, no, true or false"),
    ("\r\n\r\nbacklog = 5\0\r\n", "3: a NUL byte"),
    ("config = /etc/passwd\n", '1: "config" is for the command line only'),
    ("check-config = yes\n", '"check-config" is for the command line only'),
    ("help = yes\n", '"help" is for the command line only'),
    ("version = yes\n", '"version" is for the command line only'),
]


def bad_files():
    for text, says in BAD:
        path = write_conf(text)
        rc, out, err = echod_exits("--config", path, "-l", "127.0.0.1:0")
        assert rc == 64, "%r: exit %d, not 64: %s" % (text, rc, err)
        assert out == "", out
        line = one_line(err, text)
        assert line.startswith("echod: %s:" % path), line
        assert says in line, "%r does not say %r" % (line, says)
        assert "listening" not in err
    # Values cross-checked after the file: still 64, one line.
    path = write_conf("low-watermark = 1M\n")
    rc, _, err = echod_exits("--config", path, "-l", "127.0.0.1:0")
    assert rc == 64 and "--low-watermark must be below" in one_line(err, 1)
    # The command line can mend what the file got wrong together.
    with Echod("--config", path, "--high-watermark", "2M") as d:
        assert d.stop() == 0


def unreadable_files():
    where = tempdir()
    missing = os.path.join(where, "missing.conf")
    rc, out, err = echod_exits("--config", missing, "-l", "127.0.0.1:0")
    assert rc == 66, "missing --config file: exit %d: %s" % (rc, err)
    assert one_line(err, missing) == \
        "echod: cannot open %s: No such file or directory" % missing, err
    rc, _, err = echod_exits("--config", where, "-l", "127.0.0.1:0")
    assert rc == 66 and "Is a directory" in one_line(err, where), (rc, err)

    # Unreadable for the user echod runs as (root reads anything).
    path = write_conf("backlog = 5\n")
    os.chmod(path, 0o600)
    prefix = []
    if os.geteuid() == 0:
        os.chmod(os.path.dirname(path), 0o755)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534",
                  "--clear-groups"]
    rc, _, err = echod_exits("--config", path, "-l", "127.0.0.1:0",
                             prefix=prefix)
    assert rc == 66 and "Permission denied" in one_line(err, path), (rc, err)


def test():
    file_sets_options()
    bad_files()
    unreadable_files()


run(test)

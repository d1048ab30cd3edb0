"""Names resolve within --timeout, through evdns, and a name that does not
resolve is CRITICAL, as check_tcp says.  The test runs in a network and
mount namespace of its own, with /etc/resolv.conf pointing at a small DNS
server here: echo.test has an address, other names do not exist
(NXDOMAIN), and a second server never answers.  Before, a silent resolver
held the check for 10 s past -t 2 and then said UNKNOWN, and a name that
did not exist was UNKNOWN."""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

from clienttest import (CLIENT, CRITICAL, OK, Echod, SkipTest, expect, run,
                        status_line, tempdir)

CHECK_TCP = "/usr/lib/nagios/plugins/check_tcp"
INSIDE = "ECHO_CLIENT_TEST_NETNS"


def question(query):
    """The question section of a query, and its name in lower case."""
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
        i += 1 + query[i]
    return query[12:i + 5], ".".join(labels), query[i + 1:i + 3]


def dns_server(addr, answer):
    """A UDP DNS server on addr: echo.test IN A is 127.0.0.1, its other
    types have no data, every other name is NXDOMAIN."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))

    def serve():
        while True:
            query, peer = s.recvfrom(512)
            if not answer:
                continue
            q, name, qtype = question(query)
            if name != "echo.test":
                s.sendto(query[:2] + b"\x81\x83\x00\x01" + bytes(6) + q, peer)
            elif qtype == b"\x00\x01":
                s.sendto(query[:2] + b"\x81\x80\x00\x01\x00\x01" + bytes(4)
                         + q + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c"
                         b"\x00\x04\x7f\x00\x00\x01", peer)
            else:
                s.sendto(query[:2] + b"\x81\x80\x00\x01" + bytes(6) + q, peer)
    threading.Thread(target=serve, daemon=True).start()


def inside():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"],
                   check=False)
    conf = os.path.join(tempdir(), "resolv.conf")
    with open(conf, "w") as f:
        # The resolvers' own timeouts are far past -t: only -t can end it.
        f.write("nameserver 127.0.0.1\noptions timeout:30 attempts:5\n")
    subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"], check=True)
    dns_server("127.0.0.1", True)
    dns_server("127.0.0.2", False)
    plugin = os.path.exists(CHECK_TCP)
    with Echod(listen=["127.0.0.1:0"]) as d:
        port = d.listening[0].rsplit(":", 1)[1]
        out, err = expect(OK, "-v", "echo.test:" + port)
        assert "resolving echo.test" in err, err
        out, _ = expect(OK, "-H", "echo.test", "-p", port)
        status_line(out)
        if plugin:
            p = subprocess.run([CHECK_TCP, "-H", "echo.test", "-p", port],
                               capture_output=True, text=True)
            assert p.returncode == OK, p
        assert d.stop() == 0, d.log()

    out, _ = expect(CRITICAL, "nosuch.test:7")
    assert out == "ECHO CRITICAL - nosuch.test:7: cannot resolve it: no " \
        "such host\n", out
    if plugin:
        p = subprocess.run([CHECK_TCP, "-H", "nosuch.test", "-p", "7"],
                           capture_output=True, text=True)
        assert p.returncode == CRITICAL, p

    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.2\noptions timeout:30 attempts:5\n")
    t0 = time.monotonic()
    out, _ = expect(CRITICAL, "-t", 2, "echo.test:7", timeout=120)
    took = time.monotonic() - t0
    assert out == "ECHO CRITICAL - timeout after 2.000 s resolving " \
        "echo.test\n", out
    assert took < 25, took      # the resolver alone would take 150 s


def test():
    if os.environ.get(INSIDE):
        inside()
        return
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise SkipTest("needs root and unshare for a namespace of its own")
    if subprocess.run(["unshare", "-n", "-m", "true"],
                      capture_output=True).returncode != 0:
        raise SkipTest("cannot make a network and mount namespace here")
    env = dict(os.environ, **{INSIDE: "1"})
    p = subprocess.run(["unshare", "-n", "-m", sys.executable,
                        os.path.abspath(sys.argv[0])], env=env,
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        raise SkipTest("skipped inside the namespace: %s" % p.stdout)
    sys.stderr.write(p.stderr)
    assert p.returncode == 0, "failed inside the namespace:\n" + p.stdout


run(test)

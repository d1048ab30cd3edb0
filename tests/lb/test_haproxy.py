"""Two echods behind a real HAProxy (Debian's 2.6), one frontend with
send-proxy (v1), one with send-proxy-v2, tcp-check health checks on both.

- 1 MiB comes back byte-exact through each;
- echod logs each real client's address and port (clients bind their own
  loopback addresses), with the balancer beside it;
- --max-per-source 2 applies per real client: five clients hold two
  connections each on one echod, and a third from one of them is refused;
- the health checks pass (HAProxy's stats socket says UP);
- SIGTERM on one echod fails over with no client error;
- a client that reaches a PROXY listener directly with plain data is
  closed without an echo, and echod serves on."""
import os
import shutil
import socket
import subprocess
import time

from echodtest import Echod
from harness import SkipTest, run, scaled, tempdir, wait_until
from netaddr import free_port, parse_addr
from streams import pattern, recv_all

CONFIG = """
global
    maxconn 200
    stats socket {dir}/haproxy.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1

frontend fe_v1
    bind 127.0.0.1:{p1}
    default_backend be_v1

frontend fe_v2
    bind 127.0.0.1:{p2}
    default_backend be_v2

frontend fe_one
    bind 127.0.0.1:{p3}
    default_backend be_one

backend be_v1
    balance roundrobin
    option tcp-check
    tcp-check send ping\\n
    tcp-check expect string ping
{servers_v1}

backend be_v2
    balance roundrobin
    option tcp-check
    tcp-check send ping\\n
    tcp-check expect string ping
{servers_v2}

backend be_one
    server e1 {e1} send-proxy
"""


def servers(addrs, how):
    return "\n".join("    server e%d %s %s check inter 200 fall 2 rise 1"
                     % (i + 1, a, how) for i, a in enumerate(addrs))


def hostport(d):
    family, (host, port) = parse_addr(d.listening[0])
    return "%s:%d" % (host, port)


class HAProxy:
    def __init__(self, backends):
        if shutil.which("haproxy") is None:
            raise SkipTest("haproxy not installed (Debian package haproxy)")
        self.dir = tempdir()
        self.ports = [free_port() for _ in range(3)]
        cfg = CONFIG.format(dir=self.dir, p1=self.ports[0],
                            p2=self.ports[1], p3=self.ports[2],
                            e1=backends[0],
                            servers_v1=servers(backends, "send-proxy"),
                            servers_v2=servers(backends, "send-proxy-v2"))
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        check = subprocess.run(["haproxy", "-c", "-f", path],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        assert check.returncode == 0, check.stdout.decode()
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", path],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.sock()), 10,
                   "haproxy's stats socket")

    def sock(self):
        return os.path.join(self.dir, "haproxy.sock")

    def stat(self):
        """{(backend, server): status} from 'show stat'."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(scaled(10))
            s.connect(self.sock())
            s.sendall(b"show stat\n")
            text = recv_all(s).decode()
        out = {}
        for line in text.splitlines():
            f = line.split(",")
            if len(f) > 17 and not line.startswith("#"):
                out[(f[0], f[1])] = f[17]
        return out

    def addr(self, i):
        return ("127.0.0.1", self.ports[i])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=scaled(10))


def client(lb, host, data, timeout=30):
    """One session from host through the balancer; returns (echo, port)."""
    with socket.create_connection(lb, timeout=scaled(timeout),
                                  source_address=(host, 0)) as s:
        port = s.getsockname()[1]
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return recv_all(s), port


def check_bulk(ha, ds):
    data = pattern(1 << 20)
    for i, host in ((0, "127.0.0.21"), (1, "127.0.0.22")):
        got, port = client(ha.addr(i), host, data)
        assert got == data, "1 MiB via fe %d: %d bytes back" % (i, len(got))
        rx = r"conn \d+ from %s:%d via 127\.0\.0\.1:\d+ closed \(eof\): " \
            r"1048576 bytes in, 1048576 out" % (host.replace(".", r"\."),
                                                port)
        wait_until(lambda: any(d.grep(rx) for d in ds), 10,
                   "a log line for %s:%d" % (host, port))


def check_per_source(ha, d1):
    """Five clients, two connections each, all on e1 (--max-per-source 2):
    HAProxy's one address would have allowed two in all."""
    held = []
    for n in range(5):
        host = "127.0.0.%d" % (30 + n)
        for _ in range(2):
            s = socket.create_connection(ha.addr(2), timeout=scaled(30),
                                         source_address=(host, 0))
            s.sendall(b"hi")
            assert s.recv(2) == b"hi", "client %s not served" % host
            held.append(s)
    got, port = client(ha.addr(2), "127.0.0.30", b"third")
    assert got == b"", "a third connection from one client was served"
    d1.wait_for(r"refusing a connection from 127\.0\.0\.30:%d: "
                r"--max-per-source 2" % port)
    for s in held:
        s.close()


def check_health(ha):
    want = {(b, s): "UP" for b in ("be_v1", "be_v2") for s in ("e1", "e2")}
    wait_until(lambda: all(ha.stat().get(k) == v for k, v in want.items()),
               20, "health checks: %r" % (want,))


def check_failover(ha, d1, d2):
    """Short sessions one after another; e1 drains and exits mid-way."""
    for i in range(60):
        if i == 20:
            d1.signal()
        data = pattern(1000 + i)
        got, _ = client(ha.addr(0), "127.0.0.40", data)
        assert got == data, "session %d: %d of %d bytes" % (i, len(got),
                                                           len(data))
        if i >= 20 and not d1.running():
            break
        time.sleep(0.05)
    assert d1.wait() == 0
    wait_until(lambda: ha.stat().get(("be_v1", "e1")) == "DOWN", 20,
               "e1 marked down")
    for i in range(10):
        data = pattern(500 + i)
        assert client(ha.addr(0), "127.0.0.41", data)[0] == data
    assert d2.running()


def check_direct(d):
    addr = parse_addr(d.listening[0])[1]
    with socket.create_connection(addr, timeout=scaled(30)) as s:
        s.sendall(b"plain data, no header\r\n")
        s.shutdown(socket.SHUT_WR)
        try:
            got = recv_all(s)
        except ConnectionResetError:
            got = b""
    assert got == b"", "plain data echoed: %r" % got
    d.wait_for(r"PROXY header missing")
    assert client(addr, "127.0.0.1", b"PROXY UNKNOWN\r\nok")[0] == b"ok"


def test():
    args = ("-v", "--max-per-source", "2")
    with Echod(*args, listen=("proxy:127.0.0.1:0",)) as d1, \
            Echod(*args, listen=("proxy:127.0.0.1:0",)) as d2:
        ha = HAProxy([hostport(d1), hostport(d2)])
        try:
            check_health(ha)
            check_bulk(ha, (d1, d2))
            check_per_source(ha, d1)
            check_direct(d2)
            check_failover(ha, d1, d2)
        finally:
            ha.stop()


run(test)

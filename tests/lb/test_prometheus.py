"""A real Prometheus server (Debian's prometheus package) scrapes echod
every second, from a scratch directory on loopback, and its query API
returns echod_bytes_echoed_total equal to the bytes the test had echoed,
for TCP and UDP each; up{job="echod"} is 1."""
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request

from echodtest import Echod
from harness import SkipTest, run, scaled, tempdir, wait_until
from metricstest import metrics_addr
from netaddr import free_port
from streams import pattern, roundtrip
from udptest import echo, udp_addrs, udp_socket

CONFIG = """
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: echod
    static_configs:
      - targets: ["{target}"]
"""

TCP_SIZES = (12345, 54321)
UDP_SIZES = (100, 200, 300)


class Prometheus:
    def __init__(self, target):
        binary = shutil.which("prometheus")
        if binary is None:
            raise SkipTest("prometheus not installed (Debian package "
                           "prometheus)")
        self.dir = tempdir()
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(target=target))
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def query(self, expr):
        """{labels-as-tuple: value} of an instant query, {} if none yet."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=scaled(5)) as r:
                body = json.load(r)
        except OSError:
            return {}   # not up yet
        assert body["status"] == "success", body
        return {tuple(sorted(s["metric"].items())): float(s["value"][1])
                for s in body["data"]["result"]}

    def value(self, expr):
        got = self.query(expr)
        return next(iter(got.values())) if len(got) == 1 else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=scaled(30))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def tail(self):
        with open(self.log.name, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")


def traffic(d):
    for n in TCP_SIZES:
        with d.connect() as s:
            assert roundtrip(s, pattern(n)) == n
    family, host, port = udp_addrs(d)[0]
    with udp_socket(family) as u:
        for n in UDP_SIZES:
            assert echo(u, (host, port), pattern(n))[0] == pattern(n)


def test():
    with Echod("--metrics", "127.0.0.1:0",
               listen=("127.0.0.1:0", "udp:127.0.0.1:0")) as d:
        host, port = metrics_addr(d)
        traffic(d)
        prom = Prometheus("%s:%d" % (host, port))
        try:
            want = {"tcp": sum(TCP_SIZES), "udp": sum(UDP_SIZES)}

            def scraped():
                return all(prom.value('echod_bytes_echoed_total{protocol='
                                      '"%s"}' % p) == v
                           for p, v in want.items())
            try:
                wait_until(scraped, 90, "Prometheus to return %r" % want,
                           interval=0.5)
            except AssertionError:
                raise AssertionError("got %r; prometheus log:\n%s" % (
                    prom.query("echod_bytes_echoed_total"), prom.tail()))
            assert prom.value('up{job="echod"}') == 1
        finally:
            prom.stop()


run(test)

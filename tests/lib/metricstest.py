"""echod's metrics endpoint from outside: scraping, parsing the text
format, and promtool's judgement of it."""
import http.client
import re
import shutil
import socket
import subprocess

from harness import SkipTest, scaled

SERVING_RE = r"serving metrics on (\S+)"
SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def metrics_addr(d):
    """(host, port) of the first --metrics listener, from echod's log."""
    text = re.search(SERVING_RE, d.wait_for(SERVING_RE)).group(1)
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def request(addr, method="GET", path="/metrics", timeout=10.0):
    """(status, headers, body) of one request; addr is (host, port) or a
    Unix socket path."""
    if isinstance(addr, str):
        conn = UnixHTTPConnection(addr, scaled(timeout))
    else:
        conn = http.client.HTTPConnection(addr[0], addr[1],
                                          timeout=scaled(timeout))
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def scrape(addr):
    """The text of GET /metrics, checked to be a 200 in format 0.0.4."""
    status, headers, body = request(addr)
    assert status == 200, "GET /metrics: %d" % status
    ctype = headers.get("Content-Type", "")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    return body.decode()


def samples(text):
    """{name{labels}: value} of every sample in the text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not a sample line: %r" % line
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def promtool():
    """The path of promtool (Debian's prometheus package), or a skip."""
    path = shutil.which("promtool")
    if path is None:
        raise SkipTest("promtool not installed (Debian package prometheus)")
    return path


def promtool_check(text):
    """Fails unless `promtool check metrics` passes the text, lint too."""
    r = subprocess.run([promtool(), "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=scaled(30))
    assert r.returncode == 0, "promtool check metrics: %s" % r.stdout.decode()

"""echod logging to a real systemd-journald, read back with journalctl.

journald runs in private PID and mount namespaces with a tmpfs /run, so
the machine's own /run/systemd/journal is never touched and nothing
outlives the test.  Checked: the ECHOD_* fields of a known connection,
SYSLOG_IDENTIFIER, PRIORITY and the source location on every entry, the
lifecycle MESSAGE_IDs, filtering with `journalctl ECHOD_PEER=...`,
ECHOD_PROXY beside the client a PROXY header named, --log auto choosing
the journal only when JOURNAL_STREAM names stderr, and echod carrying on
when journald goes away.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys

from systemdtest import (ECHOD, SkipTest, activated, activation,
                         listening_socket, recv_all, run, wait_until)

INNER = "ECHOD_JOURNAL_TEST_INNER"
JOURNALD = "/lib/systemd/systemd-journald"
STARTED = "0f447a84371242fcb9989e6a516b9a3d"
STOPPING = "68f8aac4d8284dd49e65553b183eba05"
STOPPED = "9f6c6f23cecf403fbf190cc881212c4e"
PAYLOAD = [b"Hello, ", b"journal", b"! (three parts)"]


def outer():
    """Re-runs this file as PID 1 of fresh PID and mount namespaces."""
    if os.geteuid() != 0:
        raise SkipTest("needs root for a private mount namespace")
    if not os.access(JOURNALD, os.X_OK) or shutil.which("journalctl") is None:
        raise AssertionError("systemd-journald or journalctl missing "
                             "(Debian package systemd)")
    env = dict(os.environ, **{INNER: "1"})
    # PID namespace: when this process ends, the kernel kills journald too.
    rc = subprocess.call(["unshare", "--pid", "--fork", "--mount-proc",
                          "--mount", "--propagation", "private",
                          sys.executable, os.path.abspath(__file__)], env=env)
    if rc == 77:
        raise SkipTest("see the inner run's message")
    assert rc == 0, "inner test failed (exit %d)" % rc


def start_journald():
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "mode=755",
                           "tmpfs", "/run"])
    os.makedirs("/run/systemd/journald.conf.d")
    with open("/run/systemd/journald.conf.d/test.conf", "w") as f:
        f.write("[Journal]\nStorage=volatile\nReadKMsg=no\n"
                "RateLimitBurst=0\n")
    j = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL)
    wait_until(lambda: os.path.exists("/run/systemd/journal/socket")
               and os.path.exists("/run/systemd/journal/stdout"),
               what="journald's sockets")
    return j


def entries(*match):
    subprocess.check_call(["journalctl", "--sync"])
    out = subprocess.run(["journalctl", "-o", "json", "--no-pager",
                          "--all"] + list(match), check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def client(addr):
    """Three writes, half-close, read to EOF; returns the peer address."""
    c = socket.create_connection(addr, timeout=10)
    for part in PAYLOAD:
        c.sendall(part)
    c.shutdown(socket.SHUT_WR)
    assert recv_all(c) == b"".join(PAYLOAD)
    peer = "%s:%d" % c.getsockname()
    c.close()
    return peer


def known_connection(tcp):
    with activated([tcp], ["echo"], "--log", "journal", "-v",
                   wait_ready=False) as d:
        peer = client(tcp.getsockname())
        assert d.stop() == 0
        pid = d.proc.pid
        assert d.log() == "", "journal mode wrote to stderr: " + d.log()
    found = entries("_PID=%d" % pid)
    assert found, "no journal entries for echod"
    for e in found:
        for k in ("CODE_FILE", "CODE_LINE", "CODE_FUNC", "PRIORITY"):
            assert isinstance(e.get(k), str), "%s: %r (sent twice?)" % (
                k, e.get(k))
        assert e["SYSLOG_IDENTIFIER"] == "echod", e
        assert e["_TRANSPORT"] == "journal", e
        assert e["PRIORITY"] in "01234567", e
        assert e["CODE_FILE"].endswith(".c") and int(e["CODE_LINE"]) > 0, e
        assert e["CODE_FUNC"], e
    ids = [e.get("MESSAGE_ID") for e in found if "MESSAGE_ID" in e]
    assert ids == [STARTED, STOPPING, STOPPED], ids

    conn = entries("ECHOD_PEER=" + peer)
    assert len(conn) == 1, conn
    e = conn[0]
    assert e["_PID"] == str(pid), e
    assert e["ECHOD_CONN_ID"] == "1", e
    assert e["ECHOD_LISTENER"].startswith("%s:%d" % tcp.getsockname()), e
    n = str(len(b"".join(PAYLOAD)))
    assert e["ECHOD_BYTES_IN"] == n and e["ECHOD_BYTES_OUT"] == n, e
    assert e["ECHOD_REASON"] == "eof", e
    assert 0 < int(e["ECHOD_DURATION_USEC"]) < 60 * 10**6, e
    assert e["PRIORITY"] == "6", e
    assert e["CODE_FILE"].endswith("conn.c"), e
    assert peer in e["MESSAGE"], e


def proxied_connection():
    """A client named by a PROXY header: ECHOD_PEER is that client,
    ECHOD_PROXY the balancer that sent the header."""
    lb = listening_socket("127.0.0.1:0")
    with activated([lb], ["proxy-lb"], "--log", "journal", "-v",
                   wait_ready=False) as d:
        c = socket.create_connection(lb.getsockname(), timeout=10)
        c.sendall(b"PROXY TCP4 192.0.2.88 198.51.100.7 5151 7\r\nvia lb")
        c.shutdown(socket.SHUT_WR)
        assert recv_all(c) == b"via lb"
        balancer = "%s:%d" % c.getsockname()
        c.close()
        assert d.stop() == 0
    lb.close()
    conn = entries("ECHOD_PEER=192.0.2.88:5151")
    assert len(conn) == 1, conn
    assert conn[0]["ECHOD_PROXY"] == balancer, conn[0]
    assert conn[0]["ECHOD_BYTES_OUT"] == "6", conn[0]


def stream_stderr():
    """A journal stream, as systemd gives a service for its stderr."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    # identifier, unit, priority, level prefix, syslog, kmsg, console
    s.sendall(b"echod-stream\n\n6\n0\n0\n0\n0\n")
    s.shutdown(socket.SHUT_RD)
    st = os.fstat(s.fileno())
    return s, "%d:%d" % (st.st_dev, st.st_ino)


def auto_target(tcp, journal_stream, want_transport):
    """--log auto with stderr on a journal stream; returns the entries."""
    s, ident = stream_stderr()
    wrapper, env, fds = activation([tcp], ["echo"])
    env["JOURNAL_STREAM"] = ident if journal_stream is None else \
        journal_stream
    p = subprocess.Popen(wrapper + [ECHOD, "-v"], env=env, pass_fds=fds,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=s.fileno())
    try:
        peer = client(tcp.getsockname())
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
        s.close()
    wait_until(lambda: any(peer in e.get("MESSAGE", "")
                           for e in entries("_PID=%d" % p.pid)),
               what="the connection's log line")
    found = entries("_PID=%d" % p.pid)
    transports = {e["_TRANSPORT"] for e in found}
    assert transports == {want_transport}, (transports, found)
    return found


def survives_journald_exit(tcp, journald):
    with activated([tcp], ["echo"], "--log", "journal", "-v",
                   wait_ready=False) as d:
        client(tcp.getsockname())
        journald.send_signal(signal.SIGTERM)
        assert journald.wait(30) == 0
        # Logging now fails (ECONNREFUSED); the echo must not.
        for _ in range(3):
            client(tcp.getsockname())
        assert d.stop() == 0


def inner():
    tcp = listening_socket("127.0.0.1:0")
    journald = start_journald()
    try:
        known_connection(tcp)
        proxied_connection()
        found = auto_target(tcp, None, "journal")
        assert any("ECHOD_CONN_ID" in e for e in found), found
        # JOURNAL_STREAM naming another stream: plain lines on stderr.
        found = auto_target(tcp, "1:1", "stdout")
        assert not any("ECHOD_CONN_ID" in e for e in found), found
        assert all(e["SYSLOG_IDENTIFIER"] == "echod-stream" for e in found)
        survives_journald_exit(tcp, journald)
    finally:
        if journald.poll() is None:
            journald.kill()
        journald.wait()
        tcp.close()


run(inner if os.environ.get(INNER) == "1" else outer)

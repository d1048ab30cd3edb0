"""The command line: bad input exits 64 with one line naming the problem;
--help and --version exit 0; a listener that cannot be opened exits 71
saying which address and why.
"""
import os
import re
import socket
import subprocess

from echodtest import ECHOD, WRAPPER, run, scaled

# (arguments, words the one-line message must contain)
BAD = [
    (["--bogus"], ["unknown option", "--bogus"]),
    (["-x"], ["unknown option", "-x"]),
    (["--listen"], ["needs a value", "--listen"]),
    (["-l"], ["needs a value", "-l"]),
    (["foo"], ["unexpected argument", "foo"]),
    (["-v", "extra"], ["unexpected argument", "extra"]),
    (["-l", "127.0.0.1"], ["--listen 127.0.0.1", "port"]),
    (["-l", "127.0.0.1:"], ["--listen 127.0.0.1:", "missing port"]),
    (["-l", "127.0.0.1:65536"], ["127.0.0.1:65536", "port", "65535"]),
    (["-l", "127.0.0.1:-1"], ["127.0.0.1:-1", "port"]),
    (["-l", "127.0.0.1:7x"], ["127.0.0.1:7x", "port"]),
    (["-l", ":7"], ["--listen :7", "missing host"]),
    (["-l", "::1:7"], ["::1:7", "brackets"]),
    (["-l", "[::1:7"], ["[::1:7", "]"]),
    (["-l", "[zz]:7"], ["[zz]:7", "bad IPv6 address"]),
    (["-l", "[::1]7"], ["[::1]7", ":PORT"]),
    (["-l", "[::1]:99999"], ["[::1]:99999", "port"]),
    (["-l", "unix:"], ["unix:", "missing socket path"]),
    (["-l", "unix:@"], ["unix:@", "missing socket path"]),
    (["-l", "unix:/" + "x" * 200], ["unix:/xxx", "too long"]),
    (["-l", "127.0.0.1:0", "-l", "127.0.0.1:70000"], ["127.0.0.1:70000"]),
    (["--high-watermark", "10X"], ["--high-watermark 10X", "suffix"]),
    (["--high-watermark", "2G"], ["--high-watermark 2G", "too large"]),
    (["--high-watermark", "100"], ["--high-watermark 100", "too small"]),
    (["--high-watermark", "abc"], ["--high-watermark abc", "not a number"]),
    (["--high-watermark", "-1"], ["--high-watermark -1", "not a number"]),
    (["--low-watermark", "2G"], ["--low-watermark 2G", "too large"]),
    (["--high-watermark", "64K", "--low-watermark", "64K"],
     ["--low-watermark", "below", "--high-watermark"]),
    (["--high-watermark", "64K", "--low-watermark", "1M"],
     ["--low-watermark", "below", "--high-watermark"]),
    (["--low-watermark", "1M"], ["--low-watermark", "below"]),
    (["-c", "0"], ["--max-connections 0", "too small"]),
    (["-c", "abc"], ["--max-connections abc", "not a number"]),
    (["-c", "99999999999"], ["--max-connections 99999999999", "too large"]),
    (["-t", "-1"], ["--idle-timeout -1", "not a number"]),
    (["-t", "1x"], ["--idle-timeout 1x", "seconds"]),
    (["-t", "9999999"], ["--idle-timeout 9999999", "too large"]),
    (["--shutdown-timeout", "3601"], ["--shutdown-timeout 3601",
                                      "too large"]),
    (["--backlog", "0"], ["--backlog 0", "too small"]),
    (["--backlog", "70000"], ["--backlog 70000", "too large"]),
    (["--log-level", "loud"], ["--log-level loud", "level"]),
]

CORE_OPTIONS = ["--listen", "--high-watermark", "--low-watermark",
                "--max-connections", "--idle-timeout", "--shutdown-timeout",
                "--backlog", "--log-level", "--verbose", "--help",
                "--version"]
DEFAULTS = ["(default: 256K)", "(default: 64K)", "(default: 300)",
            "(default: 10)", "(default: 1024)", "(default: notice)"]

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def echod(args, prefix=()):
    r = subprocess.run(list(prefix) + WRAPPER + [ECHOD] + args,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=scaled(10))
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def unprivileged_port_start():
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            return int(f.read())
    except OSError:
        return 1024


def one_line(err, args):
    lines = err.splitlines()
    assert len(lines) == 1, "%r: %d lines on stderr:\n%s" % (
        args, len(lines), err)
    return lines[0]


def bad_usage():
    for args, words in BAD:
        rc, out, err = echod(args)
        assert rc == 64, "%r: exit %d, not 64; stderr: %s" % (args, rc, err)
        assert out == "", "%r: wrote to stdout: %r" % (args, out)
        line = one_line(err, args)
        for w in words:
            assert w in line, "%r: %r does not say %r" % (args, line, w)


def help_and_version():
    for flag in ("--help", "-h"):
        rc, out, err = echod([flag])
        assert (rc, err) == (0, ""), (flag, rc, err)
        assert out.startswith("echod") and "usage:" in out, out
        for word in CORE_OPTIONS + DEFAULTS:
            assert word in out, "%s does not show %r" % (flag, word)
    for flag in ("--version", "-V"):
        rc, out, err = echod([flag])
        assert (rc, err) == (0, ""), (flag, rc, err)
        assert re.fullmatch(r"echod \d+\.\d+\S*\n", out), repr(out)


def cannot_listen():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = "127.0.0.1:%d" % s.getsockname()[1]
        rc, _, err = echod(["-l", addr])
    assert rc == 71, "address in use: exit %d; %s" % (rc, err)
    line = one_line(err, addr)
    for w in ("cannot listen on " + addr, "Address already in use"):
        assert w in line, "%r does not say %r" % (line, w)

    prefix = NOBODY if os.geteuid() == 0 else []
    if not prefix and unprivileged_port_start() <= 7:
        print("skipping port 7: any user may bind it here")
        return
    for args, addr in (([], "*:7"), (["-l", "127.0.0.1:7"], "127.0.0.1:7")):
        rc, _, err = echod(args, prefix)
        assert rc == 71, "port 7 as nobody: exit %d; %s" % (rc, err)
        line = one_line(err, args)
        for w in ("cannot listen on " + addr, "Permission denied",
                  "--listen"):
            assert w in line, "%r does not say %r" % (line, w)


def test():
    bad_usage()
    help_and_version()
    cannot_listen()


run(test)

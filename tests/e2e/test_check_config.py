"""echod --check-config: with any other options it reads the file and the
command line as a start would, prints the settings in effect as an
echod.conf that, fed back, prints the same again, and exits 0, or 64 or 66
with one line, as a start would.  It opens no socket: not while another
process holds the port it is given, and strace sees no socket(2) at all.
"""
import os
import shutil
import socket
import subprocess

from conffiletest import check_config, echod_exits, one_line, write_conf
from echodtest import ECHOD, WRAPPER, run, scaled, tempdir

FILE = """\
listen = 127.0.0.1:7007
listen = "unix:%s/echo #1.sock"
listen = udp:[::1]:7
high-watermark = 1048576
low-watermark = 16K
idle-timeout = 0.5
udp-allow-low-ports = true
log-level = warn
verbose = 1
"""


def settings(out):
    """The settings lines, without the comments."""
    return [line for line in out.splitlines() if not line.startswith("#")]


def round_trip():
    where = tempdir()
    path = write_conf(FILE % where, directory=where)
    rc, out, err = check_config("--config", path, "-c", "500")
    assert (rc, err) == (0, ""), (rc, err)
    lines = settings(out)
    for want in ("listen = 127.0.0.1:7007",
                 'listen = "unix:%s/echo #1.sock"' % where,
                 "listen = udp:[::1]:7", "high-watermark = 1M",
                 "low-watermark = 16K", "max-connections = 500",
                 "idle-timeout = 0.5", "udp-allow-low-ports = yes",
                 # verbose is folded into the level it raises
                 "log-level = notice", "verbose = 0", "backlog = 1024"):
        assert want in lines, "%r not in:\n%s" % (want, out)
    for refused in ("config", "check-config", "help", "version"):
        assert not [x for x in lines if x.startswith(refused + " ")], out

    again = write_conf(out, "again.conf")
    rc, out2, err = check_config("--config", again)
    assert (rc, err) == (0, ""), (rc, err)
    assert out2 == out, "fed back:\n%s\nfirst:\n%s" % (out2, out)

    # The command line's --listen replaces the file's three.
    rc, out, _ = check_config("--config", path, "-l", "[::1]:9")
    assert rc == 0
    assert [x for x in settings(out) if x.startswith("listen")] == \
        ["listen = [::1]:9"], out
    # Without a file, the defaults; an unset list is a comment.
    rc, out, _ = check_config("--config", "/dev/null")
    assert rc == 0 and "# listen: not set" in out.splitlines(), out
    assert "high-watermark = 256K" in settings(out), out
    # The defaults read back too: a limit worked out at start-up is not
    # printed as a 0 the file would refuse.
    assert "# max-connections: not set" in out.splitlines(), out
    again = write_conf(out, "defaults.conf")
    rc, out2, err = check_config("--config", again)
    assert (rc, err) == (0, ""), (rc, err)
    assert out2 == out, "fed back:\n%s\nfirst:\n%s" % (out2, out)


def refusals():
    path = write_conf("backlog = 5\n\nhihg-watermark = 1M\n")
    rc, out, err = check_config("--config", path)
    assert rc == 64 and out == "", (rc, out)
    assert one_line(err, path) == ('echod: %s:3: unknown option '
                                   '"hihg-watermark" (see echod.conf(5))'
                                   % path), err
    rc, out, err = check_config("--config", path + ".missing")
    assert rc == 66 and out == "" and "No such file" in one_line(err, 66)
    rc, out, err = check_config("--backlog", "0")
    assert rc == 64 and out == "" and "--backlog 0" in one_line(err, 64)
    # Output that cannot be written is no dry run that passed.
    with open("/dev/full", "w") as full:
        r = subprocess.run(WRAPPER + [ECHOD, "--check-config", "--config",
                                      "/dev/null"], stdout=full,
                           stderr=subprocess.PIPE, timeout=scaled(30))
    assert r.returncode == 74, r.returncode
    assert "cannot write the settings" in one_line(r.stderr.decode(), 74)


def traced(log):
    """A prefix that logs echod's socket calls to log, if strace is here."""
    if shutil.which("strace") is None:
        return []
    return ["strace", "-f", "-qq", "-o", log,
            "-e", "trace=socket,bind,listen,connect,socketpair"]


# LeakSanitizer cannot run under ptrace, and says so with exit status 1.
TRACED_ENV = dict(os.environ, ASAN_OPTIONS=":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"])))


def no_socket():
    where = tempdir()
    log = os.path.join(where, "strace.log")
    trace = traced(log)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        addr = "127.0.0.1:%d" % held.getsockname()[1]
        unix = os.path.join(where, "s.sock")
        path = write_conf("listen = %s\nlisten = unix:%s\n" % (addr, unix),
                          directory=where)
        # A start cannot listen there: proof that the checks below could
        # fail if --check-config opened its listeners.
        rc, _, err = echod_exits("--config", path, prefix=trace,
                                 wrapper=not trace, env=TRACED_ENV)
        assert rc == 71 and "cannot listen on " + addr in err, (rc, err)
        if trace:
            with open(log) as f:
                calls = f.read()
            assert "socket(" in calls and "bind(" in calls, calls

        rc, out, err = check_config("--config", path, prefix=trace,
                                    wrapper=not trace, env=TRACED_ENV)
        assert (rc, err) == (0, ""), (rc, err)
        assert "listen = %s" % addr in out, out
        assert not os.path.exists(unix), "a socket file appeared"
    if not trace:
        print("strace not installed: socket(2) calls not traced")
        return
    with open(log) as f:
        calls = f.read()
    assert calls == "", "--check-config made socket calls:\n" + calls


def test():
    round_trip()
    refusals()
    no_socket()


run(test)

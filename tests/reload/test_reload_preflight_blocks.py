"""The reload's pre-flight (the new binary's --check-config) must not
freeze the clients.  It ran on the main loop and read the child's answer
synchronously, for up to 10 s: while it waited, nothing on the main thread
was read, echoed or accepted (with --threads 1, no client at all).  A
config file on a slow file system, or a listen name behind a slow
resolver, is enough; here the binary's --check-config waits for a file
the test makes once it has seen (or not) its echo.  Before, the echo took
the whole pre-flight.

A SIGHUP during the pre-flight is not lost: one more reload follows.

--check-config on a FIFO blocked forever in open(2) (and so would the
pre-flight, for its 10 s): a settings file that is not a regular file (or
/dev/null) is refused at once with one line and exit 66, as sshd does.
"""
import os
import signal
import subprocess

from harness import scaled, tempdir, wait_until
from reloadtest import ECHOD, OUTCOME, Echod, install, install_script, run


def preflight_running(pid):
    """Whether echod has a child running --check-config."""
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        kids = f.read().split()
    for kid in kids:
        try:
            with open("/proc/%s/cmdline" % kid, "rb") as f:
                if b"--check-config" in f.read():
                    return True
        except OSError:
            pass
    return False


def reload_serves_on():
    path = os.path.join(tempdir(), "echod")
    go = os.path.join(tempdir(), "go")
    install(ECHOD, path)
    with Echod("--threads", "1", binary=path) as d:
        client = d.connect()
        client.sendall(b"a")
        assert client.recv(1) == b"a"
        install_script(path, 'case "$*" in *--check-config*) '
                       'while [ ! -e %s ]; do sleep 0.05; done;; esac\n'
                       'exec %s "$@"\n' % (go, ECHOD))
        start = d.mark()
        d.signal(signal.SIGHUP)
        wait_until(lambda: preflight_running(d.pid), 10,
                   "the pre-flight to start")
        client.sendall(b"b")
        client.settimeout(8)
        try:
            got = client.recv(1)
        except OSError:
            got = None
        if got != b"b":
            open(go, "w").close()   # let the pre-flight end
        assert got == b"b", "no echo while the reload's pre-flight waits"
        d.signal(signal.SIGHUP)
        d.wait_for("SIGHUP during a reload: reloading again after it",
                   start=start)
        open(go, "w").close()
        line = d.wait_for(OUTCOME, 30, start=start)
        assert "reloaded: " in line, line
        wait_until(lambda: len(d.grep("reloaded: ", start)) == 2, 30,
                   "the SIGHUP sent during the first reload to reload")
        client.settimeout(10)
        client.sendall(b"c")
        assert client.recv(1) == b"c"
        client.close()
        assert d.stop() == 0


def fifo_refused():
    fifo = os.path.join(tempdir(), "fifo.conf")
    os.mkfifo(fifo)
    p = subprocess.run([ECHOD, "--check-config", "--config", fifo],
                       capture_output=True, text=True, timeout=scaled(30))
    assert p.returncode == 66 and p.stderr == \
        "echod: not reading %s: not a regular file\n" % fifo, p


def test():
    fifo_refused()
    reload_serves_on()


run(test)

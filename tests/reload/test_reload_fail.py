"""A reload that cannot happen changes nothing.

1. The binary moved away: the pre-flight fails, one "reload failed" line
   says why, and echod serves on; put back, the next reload succeeds.
2. A binary that refuses the settings: its own error line is the reason.
3. A binary that passes the pre-flight and is gone at the execve: the exec
   fails after every worker saved its connections; they resume, the
   pending echo of a stalled client is intact, no descriptor leaks.
4. SIGHUP during the shutdown drain is ignored; the drain goes on.
5. SIGTERM right behind SIGHUP drains and exits 0 (a reload still in
   its pre-flight is dropped, not failed); two SIGHUPs in a row reload
   twice, or once if the kernel merged them.
"""
import os
import shutil
import signal
import socket

from reloadtest import (ECHOD, HANDOFF, Echod, Idle, Stream, assert_same,
                        fds, install, install_script, pattern, reload, run,
                        tempdir)

BUF = 64 << 10


def binary():
    path = os.path.join(tempdir(), "echod")
    install(ECHOD, path)
    return path


def stalled_client(d):
    st = Stream(d.connect(bufsize=BUF), pattern(32 << 20, b"fail"))
    st.start_sending().wait_stalled()
    return st


def check_stalled(st):
    st.stop_sending()
    st.sock.shutdown(socket.SHUT_WR)
    st.start_reading().join()
    assert st.eof
    assert_same(st.received, st.data[:st.sent], "stalled client")


def serves_on(d, idle, nfds):
    idle.check()
    assert fds(d.pid) == nfds, "descriptors: %d, was %d" % (fds(d.pid), nfds)


def failures(path):
    with Echod(binary=path) as d:
        idle = Idle(d, 20)
        st = stalled_client(d)
        nfds = fds(d.pid)
        os.rename(path, path + ".away")
        ok, line = reload(d)
        assert not ok and "cannot run %s: No such file" % path in line, line
        assert "serving on unchanged" in line, line
        serves_on(d, idle, nfds)
        os.rename(path + ".away", path)

        install_script(path, 'echo "echod: --listen: nope (see echod --help)"'
                       ' >&2; exit 64\n')
        ok, line = reload(d)
        assert not ok and "echod: --listen: nope" in line, line
        serves_on(d, idle, nfds)

        install_script(path, 'echo "echod 9 hand-off %d"; rm -f "$0"\n'
                       % HANDOFF)
        ok, line = reload(d)
        assert not ok and "cannot execute %s" % path in line, line
        d.wait_for("SIGHUP: reloading %s \\(echod 9\\)" % path)
        serves_on(d, idle, nfds)

        install(ECHOD, path)
        ok, line = reload(d)
        assert ok, line
        serves_on(d, idle, nfds)
        check_stalled(st)
        assert d.stop() == 0


def during_shutdown(path):
    with Echod("--shutdown-timeout", "1", binary=path) as d:
        st = stalled_client(d)
        d.signal(signal.SIGTERM)
        d.wait_for("shutting down, 1 connections draining")
        d.signal(signal.SIGHUP)
        d.wait_for("SIGHUP while shutting down: not reloading")
        assert d.wait() == 0, d.log()
        st.close()


def signals_during_reload(path):
    with Echod(binary=path) as d:
        idle = Idle(d, 5)
        start = d.mark()
        d.signal(signal.SIGHUP)
        d.signal(signal.SIGHUP)
        d.wait_for("reloaded: ", start=start)
        idle.check()
        assert not d.grep("reload failed", start)
        start = d.mark()
        d.signal(signal.SIGHUP)
        d.signal(signal.SIGTERM)
        d.wait_for("shutting down, 5 connections draining", start=start)
        for s in idle.socks:
            s.shutdown(socket.SHUT_WR)
            assert s.recv(16) == b""
        assert d.wait() == 0, d.log()
        assert not d.grep("reload failed", start)


def test():
    path = binary()
    failures(path)
    during_shutdown(path)
    signals_during_reload(path)


run(test)

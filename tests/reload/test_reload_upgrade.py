"""A reload picks up the binary installed at echod's path.

1. Upgrade: another build (version 0.1.0+next) installed over the path
   takes over every connection, pending echo and counter under the same
   PID; the reverse reload downgrades again.
2. A binary that reads another hand-off version is refused at the
   pre-flight, before anything is paused.
3. Give-back: a binary that passes the pre-flight but cannot read the
   hand-off (here a stand-in that answers the pre-flight for our version,
   then runs the version-99 build) re-executes the previous image from the
   descriptor it was passed, with the same hand-off: that image takes
   everything back, says why the reload failed, and serves on; no client
   notices and no descriptor leaks.
"""
import os
import re
import socket
import subprocess

from reloadtest import (ECHOD, ECHOD_NEXT, ECHOD_V99, HANDOFF, Echod, Idle,
                        SkipTest, Stream, assert_same, counters, fds, install,
                        install_script, pattern, reload, run, tempdir)

BUF = 64 << 10


def exe_version(pid):
    """The version the running image says it is (its /proc/PID/exe)."""
    out = subprocess.run(["/proc/%d/exe" % pid, "--version"],
                         capture_output=True, text=True, timeout=30).stdout
    return out.split()[1]


def test():
    for b in (ECHOD_NEXT, ECHOD_V99):
        if not os.access(b, os.X_OK):
            raise SkipTest("%s is not built (make check builds it)" % b)
    path = os.path.join(tempdir(), "echod")
    install(ECHOD, path)
    with Echod(binary=path) as d:
        pid = d.pid
        base = exe_version(pid)
        idle = Idle(d, 20)
        st = Stream(d.connect(bufsize=BUF), pattern(32 << 20, b"upgrade"))
        st.start_sending().wait_stalled()
        nfds = fds(pid)
        before = counters(d)

        install(ECHOD_NEXT, path)
        ok, line = reload(d)
        assert ok and "echod %s+next serves on" % base in line, line
        assert exe_version(pid) == base + "+next"
        idle.check()
        after = counters(d)
        assert after["conns_total"] == before["conns_total"], (before, after)
        assert after["bytes_in"] >= before["bytes_in"], (before, after)

        install(ECHOD_V99, path)
        ok, line = reload(d)
        assert not ok and "reads hand-off version 99, this echod writes " \
            "version %d" % HANDOFF in line, line
        assert not d.grep("SIGHUP: reloading .*v99")
        idle.check()

        install_script(path, 'case "$*" in *--handoff-version*)\n'
                       '\techo "echod liar hand-off %d"; exit 0;;\nesac\n'
                       'exec -a "$0" %s "$@"\n' % (HANDOFF, ECHOD_V99),
                       shell="/bin/bash")
        start = d.mark()
        ok, line = reload(d)
        assert not ok, line
        assert re.search(r"the new image gave everything back \(hand-off "
                         r"version %d, this echod reads version 99\); echod "
                         r"%s\+next serves on" % (HANDOFF, re.escape(base)),
                         line), line
        d.wait_for(r"cannot take over: hand-off version %d, this echod reads "
                   r"version 99; giving everything back" % HANDOFF,
                   start=start)
        assert exe_version(pid) == base + "+next"
        idle.check()
        assert fds(pid) == nfds, (fds(pid), nfds)

        install(ECHOD, path)
        ok, line = reload(d)
        assert ok and "echod %s serves on" % base in line, line
        assert exe_version(pid) == base
        idle.check()
        st.stop_sending()
        st.sock.shutdown(socket.SHUT_WR)
        st.start_reading().join()
        assert_same(st.received, st.data[:st.sent], "stalled client")
        assert d.proc.pid == pid
        assert not d.grep(r" closed \(")
        assert d.stop() == 0


run(test)

"""Start-up failures end with one line and a documented status, never a
library's raw message, a hang or a stray write.

1. More event loops than the open-file limit holds (`-T 256` at nofile
   1024, `-T 16` at 48): exit 70, one line naming --threads and the limit
   (libevent used to print "[err] evsig_init_" and exit 1).
2. A worker thread that cannot start (RLIMIT_NPROC for an unprivileged
   user; needs root to switch users, and a plain build): exit 70, one
   line.
3. Listeners that cannot be opened (a directory that does not exist, an
   address not on this host): exit 71, one line naming the address.
"""
import os
import resource
import subprocess

from echodtest import asan_build
from harness import ECHOD, WRAPPER, scaled, run

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def echod(args, nofile=None, prefix=(), nproc=None):
    def limits():
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    r = subprocess.run(list(prefix) + WRAPPER + [ECHOD] + args,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=scaled(20), preexec_fn=limits)
    return r.returncode, r.stderr.decode()


def one_line(rc, err, want_rc, *words):
    lines = err.splitlines()
    assert rc == want_rc, "exit %d, want %d; %s" % (rc, want_rc, err)
    assert len(lines) == 1, "want one line:\n" + err
    for w in words:
        assert w in lines[0], "%r does not say %r" % (lines[0], w)
    assert "[err]" not in err and "[warn]" not in err, err


def too_many_loops():
    for threads, nofile in ((256, 1024), (16, 48)):
        rc, err = echod(["-T", str(threads), "-l", "127.0.0.1:0"], nofile)
        one_line(rc, err, 70, "--threads", "open-file limit of %d" % nofile)


def thread_fails():
    if os.geteuid() != 0:
        print("skipping the thread start failure: needs root for setpriv")
        return
    if asan_build() or WRAPPER:
        # LeakSanitizer's exit check, and valgrind, need threads of their own.
        print("skipping the thread start failure: a sanitizer or wrapper "
              "needs threads too")
        return
    # The user's process count is over 1 already: no thread may start.
    rc, err = echod(["-T", "4", "-l", "127.0.0.1:0"], prefix=NOBODY,
                    nproc=1)
    one_line(rc, err, 70, "cannot start a worker thread")


def bad_listeners():
    for addr, word in (("unix:/nonexistent-echod-dir/echo.sock",
                        "No such file or directory"),
                       ("192.0.2.1:7007", "Cannot assign requested address")):
        rc, err = echod(["-l", addr])
        one_line(rc, err, 71, "cannot listen on " + addr, word)


def test():
    too_many_loops()
    thread_fails()
    bad_listeners()


run(test)

"""How a Python test runs: the environment that steers it, its exit status,
and bounded waiting.

Each test_*.py is a standalone script: exit 0 passes, 1 fails, 77 skips
(automake's convention).  The environment:

ECHOD: the daemon under test (default: the tree's own ./echod).
ECHOD_ARGS (shell words): put first on every echod command line.
ECHOD_WRAPPER (shell words): runs echod under another command, e.g.
"valgrind -q --error-exitcode=99".  Timeouts then stretch by
ECHOD_TIME_SCALE (default 20).  The wrapper must keep stderr quiet
unless something is wrong: tests read echod's log lines from it.
"""
import atexit
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback

ECHOD = os.environ.get("ECHOD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "echod")
WRAPPER = shlex.split(os.environ.get("ECHOD_WRAPPER", ""))
# ECHOD_ARGS go first, so the suite can run again with, say,
# ECHOD_ARGS="--threads 4"; a test's own options come later and win.
EXTRA_ARGS = shlex.split(os.environ.get("ECHOD_ARGS", ""))
TIME_SCALE = float(os.environ.get("ECHOD_TIME_SCALE") or
                   (20 if WRAPPER else 1))


def scaled(seconds):
    """A timeout stretched for a slow echod (under a wrapper)."""
    return seconds * TIME_SCALE


class SkipTest(Exception):
    pass


def run(test):
    """Runs test(), prints PASS/FAIL/SKIP, exits with automake's status."""
    name = os.path.basename(sys.argv[0])
    try:
        test()
    except SkipTest as e:
        print("SKIP %s: %s" % (name, e))
        sys.exit(77)
    except Exception:
        traceback.print_exc()
        print("FAIL %s" % name)
        sys.exit(1)
    print("PASS %s" % name)
    sys.exit(0)


def tempdir():
    """A fresh directory, removed when the test exits."""
    path = tempfile.mkdtemp(prefix="echod-test.")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def wait_until(pred, timeout=10.0, what="condition", interval=0.05):
    """Polls pred() until it is true, for scaled(timeout) seconds at most;
    returns its value, or fails naming `what`."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


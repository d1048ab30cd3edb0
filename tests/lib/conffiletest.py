"""echod.conf for tests: a settings file in a fresh directory, and echod
runs that end by themselves (--check-config, refusals), with what they
printed.
"""
import os
import subprocess

from harness import ECHOD, EXTRA_ARGS, WRAPPER, scaled, tempdir


def write_conf(text, name="echod.conf", directory=None):
    """text (str or bytes) as a file; returns its path."""
    path = os.path.join(directory or tempdir(), name)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return path


def echod_exits(*args, prefix=(), wrapper=True, env=None):
    """Runs echod to its end: (exit status, stdout, stderr).  prefix runs
    it under another command (setpriv, strace); wrapper=False leaves
    ECHOD_WRAPPER out, where prefix must see echod itself."""
    cmd = list(prefix) + (WRAPPER if wrapper else []) + [ECHOD] + \
        EXTRA_ARGS + list(args)
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=scaled(30), env=env)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def check_config(*args, **kw):
    """echod --check-config ARGS: (exit status, stdout, stderr)."""
    return echod_exits("--check-config", *args, **kw)


def one_line(err, what):
    """The one line err holds; fails naming what if it holds more."""
    lines = err.splitlines()
    assert len(lines) == 1, "%s: %d lines on stderr:\n%s" % (
        what, len(lines), err)
    return lines[0]

"""echod --reload PID: systemd's ExecReload=, synchronous.

It returns once the reload is over: 0 and "ok" when it happened (the
"reloaded:" line is already logged), 1 and the reason when it failed (the
daemon serves on), 69 when there is no such process or no answer.
"""
import os
import subprocess

from reloadtest import ECHOD, Echod, Idle, install, run, tempdir


def reload_ctl(pid):
    p = subprocess.run([ECHOD, "--reload", str(pid)], capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def test():
    path = os.path.join(tempdir(), "echod")
    install(ECHOD, path)
    with Echod(binary=path) as d:
        idle = Idle(d, 10)
        rc, out = reload_ctl(d.pid)
        assert rc == 0 and "echod: ok reloaded: clients paused" in out, \
            (rc, out)
        # Logged before the answer; the test reads echod's log on a thread.
        d.wait_for("reloaded: ")
        idle.check()
        os.rename(path, path + ".away")
        rc, out = reload_ctl(d.pid)
        assert rc == 1 and "echod: failed cannot run %s" % path in out, \
            (rc, out)
        idle.check()
        os.rename(path + ".away", path)
        rc, out = reload_ctl(d.pid)
        assert rc == 0, (rc, out)
        idle.check()
        assert d.stop() == 0
    gone = subprocess.Popen(["true"])
    gone.wait()
    rc, out = reload_ctl(gone.pid)
    assert rc == 69 and "No such process" in out, (rc, out)


run(test)

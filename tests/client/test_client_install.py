"""make install puts echo-client also as check_echo in the monitoring
plugins' directory (configure --with-plugindir; by default Debian's
/usr/lib/nagios/plugins), where a command definition finds it beside
check_tcp, and make uninstall takes it away again."""
import os
import subprocess

from clienttest import ECHOD, OK, run, tempdir


def test():
    build = os.path.dirname(os.path.abspath(ECHOD))
    dest = tempdir()
    for target in ("install-exec", "uninstall"):
        p = subprocess.run(["make", "-s", "-C", build, target,
                            "DESTDIR=" + dest], capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p
        found = [os.path.join(d, f) for d, _, files in os.walk(dest)
                 for f in files if f == "check_echo"]
        if target == "uninstall":
            assert found == [], found
            break
        assert len(found) == 1, found
        assert found[0].endswith(os.path.join("nagios", "plugins",
                                              "check_echo")), found
        p = subprocess.run([found[0], "--version"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == OK and p.stdout.startswith("echo-client "), p


run(test)

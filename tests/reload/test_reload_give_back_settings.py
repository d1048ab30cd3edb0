"""When the new image cannot take over because of the new settings, the
previous image takes everything back and serves on with the settings it
had.  Here `threads` is raised past what the open-file limit holds.

1. The pre-flight (--check-config) checks the descriptors the event loops
   need, as start-up does: the reload is refused before the exec.
2. A binary whose pre-flight says yes regardless: the new image fails on
   the changed echod.conf and gives everything back; the old image takes
   it back with its own settings (sealed before the exec), not the file
   that failed the new one, and serves on.  Before, it re-read the file,
   failed the same way and exited: "cannot take the hand-off back
   either", every client closed.
"""
import os
import socket
import subprocess

from harness import tempdir
from netaddr import free_port
from reloadtest import ECHOD, Echod, install, install_script, reload, run

GOOD = "listen = 127.0.0.1:%d\nthreads = 2\n"
BAD = "listen = 127.0.0.1:%d\nthreads = 40\n"


def reload_fails(d, conf, port, client, word):
    with open(conf, "w") as f:
        f.write(BAD % port)
    ok, line = reload(d, timeout=20)
    assert not ok and d.running(), line
    client.sendall(word)
    assert client.recv(len(word)) == word, "the client was closed"
    with open(conf, "w") as f:
        f.write(GOOD % port)
    return line


def test():
    conf = os.path.join(tempdir(), "echod.conf")
    path = os.path.join(tempdir(), "echod")
    install(ECHOD, path)
    port = free_port()
    with open(conf, "w") as f:
        f.write(GOOD % port)
    answer = subprocess.run([ECHOD, "--handoff-version"], check=True,
                            capture_output=True, text=True).stdout.strip()
    with Echod("--config", conf, listen=(), binary=path,
               wrapper=("prlimit", "--nofile=64:64")) as d:
        d.wait_for(r"ready: ")
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(b"before")
        assert client.recv(6) == b"before"

        line = reload_fails(d, conf, port, client, b"refused")
        assert "event loops (--threads) need" in line, line

        # A pre-flight that says yes; the image itself is the real one.
        install_script(path, 'case "$*" in *--check-config*) echo "%s"; '
                       'exit 0;; esac\nexec %s "$@"\n' % (answer, ECHOD))
        line = reload_fails(d, conf, port, client, b"given back")
        assert "the new image gave everything back" in line, line
        assert not d.grep("cannot take the hand-off back either")

        install(ECHOD, path)
        ok, line = reload(d, timeout=20)
        assert ok, line
        client.sendall(b"after")
        assert client.recv(5) == b"after"
        client.close()
        assert d.stop() == 0


run(test)

"""UNKNOWN for bad usage: each mistake exits 3 with one status line on
stdout, before any connection.  --help and --version exit 0; the man page
documents every option --help lists, and mandoc finds nothing to lint."""
import os
import re
import shutil
import subprocess

from clienttest import OK, UNKNOWN, SkipTest, client, expect, free_port, run

MAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                   "man", "echo-client.1")


def test():
    addr = "127.0.0.1:%d" % free_port()    # refused: 2, never 3
    bad = [
        ([], "missing ADDR"),
        (["--bogus", addr], "unknown option"),
        (["-t"], "needs a value"),
        (["nohost"], "port must be a number"),
        (["127.0.0.1:99999", "x"], "port must be a number"),
        (["[::1", "x"], "missing ']'"),
        (["-s", "12Q", addr], "--size 12Q"),
        (["-t", "0", addr, "x"], "--timeout"),
        (["proxy:" + addr, "x"], "sends no PROXY header"),
        (["--json", addr], "need --bench"),
        (["--rate", "10", addr], "need --bench"),
        (["-C", "5", "-i", "3", addr, "x"], "does not fit in --timeout"),
        # (count - 1) * interval wrapped to 0 here, and the check ran.
        (["-C", "18446744073709553", "-i", "1", "-t", "3", addr, "x"],
         "--count of a check is at most 1000000"),
        (["-C", "1000000", "-i", "3600", "-t", "3600", addr, "x"],
         "does not fit in --timeout"),
        (["-w", "10:x", addr], "--warning 10:x: not a number"),
        (["-c", "20:10", addr], "--critical 20:10: start above end"),
        (["-w", "0.0000001", addr], "finer than a millionth"),
        (["-w", "0.2,10", addr], "needs a '%'"),
        (["-p", "7", addr], "-p and -u go with -H"),
        (["-u", addr], "-p and -u go with -H"),
        (["-H", "::zz"], "::zz: bad IPv6 address"),
        (["-H", "127.0.0.1", "-p", "0"], "--port 0: too small"),
        (["-4", "-6", addr, "x"], "-4 or -6, not both"),
        ([addr, "-", "x", "-"], "stdin (-) can be given once"),
        ([addr, ""], "nothing to send"),
        (["udp:" + addr, "-s", "4"], "--size is at least 8"),
        (["--bench", "-4", addr], "not --bench"),
        (["-s", "10", addr, "x"], "not both"),
        (["--bench", addr, "x"], "takes no MESSAGE"),
        (["--bench", "-w", "1", addr], "not --bench"),
        (["--bench", "--mode", "sideways", addr], "--mode sideways"),
        (["--bench", "-m", "connect", "udp:" + addr], "not udp:"),
        (["udp:" + addr, "-s", "70000"], "at most 65507 bytes"),
    ]
    for args, why in bad:
        out, err = expect(UNKNOWN, *args)
        assert out.startswith("ECHO UNKNOWN - ") and out.count("\n") == 1, (
            args, out)
        assert why in out, (args, why, out)

    out, _ = expect(OK, "--version")
    assert re.match(r"^echo-client \d+\.\d+\.\d+\n$", out), out
    help_text, _ = expect(OK, "--help")
    pairs = re.findall(r"^  (?:-(\w), )?\s*--([\w-]+)", help_text, re.M)
    assert len(pairs) >= 15, help_text
    with open(MAN) as f:
        man = f.read()
    for short, name in pairs:
        item = ".It Fl %s , Fl Fl %s" % (short, name) if short else (
            ".It Fl Fl %s" % name)
        assert item in man, "man page lacks %r" % item
    # The defaults --help shows are the ones the man page states.
    for name, default in re.findall(r"--([\w-]+) \S+ .*\(default: (\w+)\)",
                                    help_text):
        section = man.split("Fl Fl %s" % name, 1)[1].split(".It Fl", 1)[0]
        assert "default" in section and default in section, (name, section)

    if shutil.which("mandoc") is None:
        raise SkipTest("mandoc not installed: man page not linted")
    p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", MAN],
                       capture_output=True, text=True)
    assert p.returncode == 0 and not p.stdout and not p.stderr, p


run(test)

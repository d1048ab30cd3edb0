"""One option table, so --help, the man pages and the file agree: every
option --help lists is documented in echod(8); every one a file may set
(the shipped echod.conf, made from the table, lists them) is an entry of
echod.conf(5), with the default --help shows, and the others are named
there as the command line's alone, and refused in a file.  The shipped
file sets nothing, and its defaults are the real ones.  echod.conf(5)
lints clean.
"""
import os
import re
import shutil
import subprocess

from conffiletest import check_config, echod_exits, write_conf
from echodtest import ECHOD, SkipTest, run

# Made at build time beside the daemon, with configure's paths.
BUILD = os.path.dirname(os.path.abspath(ECHOD))
MAN8 = os.path.join(BUILD, "man", "echod.8")
MAN5 = os.path.join(BUILD, "man", "echod.conf.5")
SAMPLE = os.path.join(BUILD, "echod.conf")


def help_options():
    """{name: default or None} for every option --help lists."""
    rc, out, _ = echod_exits("--help")
    assert rc == 0, rc
    opts = {}
    for line in out.splitlines():
        m = re.match(r"\s+(?:-\w, )?--([a-z][a-z-]*)", line)
        if m:
            d = re.search(r"\(default: ([^)]*)\)", line)
            opts[m.group(1)] = d.group(1) if d else None
    assert "listen" in opts and "check-config" in opts, out
    return opts


def read(path):
    with open(path) as f:
        return f.read()


def sample_settings(text):
    """The sample's commented-out settings: [(name, value)]."""
    return re.findall(r"^#([a-z][a-z-]*) = (.*)$", text, re.M)


def man_pages(opts, in_file):
    man8, man5 = read(MAN8), read(MAN5)
    for name in opts:
        assert re.search(r"Fl Fl %s(?![\w-])" % re.escape(name), man8), \
            "echod(8) does not document --%s" % name
        entry = re.search(r"^\.It Cm %s(?![\w-])(.*?)(?=^\.It |^\.El)"
                          % re.escape(name), man5, re.M | re.S)
        if name in in_file:
            assert entry, ("echod.conf(5) has no entry for %s: document "
                           "it under Settings, or, if only the command line "
                           "may give it, add it to echod_cli_only in "
                           "src/options.c and to echod.conf(5)'s list of "
                           "refused options" % name)
            default = opts[name]
            if default is not None and " " not in default:
                assert default in entry.group(1), \
                    "echod.conf(5): %s does not say its default %s" % (
                        name, default)
        else:
            assert not entry, "echod.conf(5) lists %s as a setting" % name
            refused = r"^\.Cm %s(?![\w-])" % re.escape(name)
            assert re.search(refused, man5, re.M), \
                "echod.conf(5) does not say %s is refused" % name
            rc, _, err = check_config("--config",
                                      write_conf("%s = yes\n" % name))
            assert rc == 64 and "for the command line only" in err, \
                (name, rc, err)


def sample(in_file):
    rc, defaults, err = check_config("--config", "/dev/null")
    assert (rc, err) == (0, ""), (rc, err)
    rc, out, err = check_config("--config", SAMPLE)
    assert (rc, err) == (0, ""), "the shipped file: %d %s" % (rc, err)
    assert out == defaults, "the shipped file sets something:\n" + out
    # Every default uncommented (not the placeholders for run-time ones).
    text = re.sub(r"^#([a-z][a-z-]* = (?![A-Z]+$))", r"\1", read(SAMPLE),
                  flags=re.M)
    rc, out, err = check_config("--config", write_conf(text))
    assert (rc, err) == (0, ""), "uncommented: %d %s" % (rc, err)
    assert out == defaults, "the shipped defaults are not the defaults"


def lint():
    if shutil.which("mandoc") is None:
        raise SkipTest("mandoc not installed: echod.conf(5) not linted")
    p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", MAN5],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout + p.stderr == "", \
        p.stdout + p.stderr


def test():
    opts = help_options()
    for made in (SAMPLE, MAN8, MAN5):
        if not os.path.exists(made):
            raise SkipTest("no %s: %s is not in a build tree" % (made, ECHOD))
    settings = sample_settings(read(SAMPLE))
    in_file = [name for name, _ in settings]
    assert len(set(in_file)) == len(in_file), in_file
    assert set(in_file) <= set(opts), set(in_file) - set(opts)
    for name, value in settings:
        # ADDR, N: a placeholder where the default is found at run time.
        if opts[name] is not None and not re.fullmatch("[A-Z]+", value):
            assert value == opts[name], (name, value, opts[name])
    man_pages(opts, in_file)
    sample(in_file)
    lint()


run(test)

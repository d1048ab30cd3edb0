"""Descriptor limits and counts, for tests of what echod does near them."""
import os
import resource

from harness import SkipTest


def raise_nofile(n):
    """Raises this process's descriptor limit to at least n, or skips."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= n:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(n, hard)))
    except (ValueError, OSError) as e:
        raise SkipTest("cannot raise RLIMIT_NOFILE to %d (hard %d): %s"
                       % (n, hard, e))


def nofile_limit(n):
    """A preexec_fn for Popen that gives the child a descriptor limit of n."""
    def setlimit():
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(n, hard)))
    return setlimit


def fd_count(pid):
    """How many descriptors process pid holds."""
    return len(os.listdir("/proc/%d/fd" % pid))

"""The open-file limit: the client raises its soft limit as far as the
hard one allows, and when the hard limit is too low for --connections it
says so plainly and exits 3 before connecting."""
import json
import resource

from clienttest import OK, UNKNOWN, Echod, expect, run


def limit(soft, hard):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test():
    with Echod() as d:
        addr = d.listening[0]
        out, err = expect(UNKNOWN, "--bench", "-n", 100, addr,
                          preexec_fn=limit(64, 64))
        assert out == "", out
        assert "--connections 100 needs 116 open files" in err, err
        assert "hard limit 64" in err, err

        out, err = expect(OK, "--bench", "--json", "-v", "-n", 300, "-d",
                          0.5, addr, preexec_fn=limit(64, 4096))
        r = json.loads(out)
        assert r["connected"] == 300 and r["status"] == "OK", r
        assert "raised the open-file limit to 316" in err, err
        assert d.stop() == 0, d.log()


run(test)

"""Across a reload (SIGHUP re-executes echod in the same process), the
metrics endpoint comes back on its port with the counters carried over and
process_start_time_seconds unchanged, and echod_reloads_total one more:
Prometheus sees one process whose counters never went back."""
import signal

from echodtest import Echod
from harness import run, wait_until
from metricstest import samples, scrape
from netaddr import free_port
from streams import pattern, roundtrip


def scraped(addr):
    try:
        return samples(scrape(addr))
    except OSError:
        return None     # between the two images


def test():
    port = free_port()
    addr = ("127.0.0.1", port)
    with Echod("--metrics", "127.0.0.1:%d" % port) as d:
        with d.connect() as s:
            assert roundtrip(s, pattern(4321)) == 4321
        key = 'echod_bytes_echoed_total{protocol="tcp"}'
        wait_until(lambda: scraped(addr)[key] == 4321, 10, "the echo counted")
        before = scraped(addr)
        mark = d.mark()
        d.signal(signal.SIGHUP)
        d.wait_for("reloaded:", 30, start=mark)
        after = wait_until(lambda: scraped(addr), 10, "a scrape after reload")
        assert after[key] == 4321, after[key]
        assert after["process_start_time_seconds"] == \
            before["process_start_time_seconds"], (before, after)
        assert after["echod_connections_accepted_total"] == \
            before["echod_connections_accepted_total"]
        assert before["echod_reloads_total"] == 0
        assert after["echod_reloads_total"] == 1


run(test)

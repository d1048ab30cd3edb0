"""--max-connections N: the N+1st client waits, unserved, in the backlog
until one of the N closes; then it is served.

echod logs (once) that it stopped accepting, and a client that arrives
while a slot is free is served at once.
"""
import select

from echodtest import Echod, run, scaled

N = 3
LIMIT_LINE = r"%d connections open \(--max-connections\): not accepting" % N


def echo_within(s, seconds):
    """Sends a byte; whether its echo comes back within `seconds`."""
    s.sendall(b"x")
    if not select.select([s], [], [], seconds)[0]:
        return False
    assert s.recv(1) == b"x", "bad echo"
    return True


def test():
    with Echod("-v", "--max-connections", str(N)) as d:
        clients = [d.connect() for _ in range(N)]
        for i, s in enumerate(clients):
            assert echo_within(s, scaled(5)), "client %d not served" % i
        d.wait_for(LIMIT_LINE)
        extra = d.connect()
        assert not echo_within(extra, scaled(1)), \
            "client %d served past --max-connections %d" % (N + 1, N)
        clients[0].close()
        assert select.select([extra], [], [], scaled(5))[0], \
            "the waiting client was not served after a slot freed"
        assert extra.recv(1) == b"x"
        assert echo_within(extra, scaled(5))
        # Full again: one more waits, and is served when another closes.
        late = d.connect()
        assert not echo_within(late, scaled(0.5)), "served past the limit"
        clients[1].close()
        assert select.select([late], [], [], scaled(5))[0], \
            "not served after the second slot freed"
        for s in clients[2:] + [extra, late]:
            s.close()
        assert d.stop() == 0, d.log()


run(test)

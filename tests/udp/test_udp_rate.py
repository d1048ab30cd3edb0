"""Per-source rate limit: one source flooding far above --udp-rate gets at
most rate x time + burst replies, while a second source (127.0.0.2) is
still answered all along.  The excess is counted and logged, rate limited.
"""
import socket
import time

from udptest import (Echod, assert_counters, counters, recv_reply, run,
                     scaled, udp_addrs, udp_counts, udp_socket)

RATE = 100		# replies per second to one source
BURST = 50
FLOOD_SECONDS = 2.0
CHUNK = 40		# datagrams per 20 ms: 2000 per second
PROBE_EVERY = 0.25	# seconds between the second source's datagrams


def drain(sock):
    """Reads every reply waiting; returns how many there were."""
    n = 0
    while True:
        try:
            sock.recvfrom(2048)
        except BlockingIOError:
            return n
        n += 1


class Prober:
    """The second source, which must be answered.  If echod falls behind
    the flood on a busy machine, the kernel may drop a probe before echod
    reads it: the flood pauses while we wait, so a resend gets through."""

    def __init__(self, dest):
        self.sock = udp_socket(bind=("127.0.0.2", 0))
        self.dest = dest
        self.sent = self.replies = self.answered = 0

    def probe(self):
        data = b"other source %d" % self.answered
        for _ in range(5):
            self.sock.sendto(data, self.dest)
            self.sent += 1
            deadline = time.monotonic() + scaled(1)
            while time.monotonic() < deadline:
                reply = recv_reply(self.sock, deadline - time.monotonic())
                if reply is None:
                    break
                # A late reply to an earlier resend counts, then is skipped.
                self.replies += 1
                if reply[0] == data:
                    self.answered += 1
                    return
        raise AssertionError("the second source was never answered")

    def close(self):
        self.sock.setblocking(False)
        self.replies += drain(self.sock)
        self.sock.close()


def test():
    with Echod("--udp-rate", str(RATE), "--udp-burst", str(BURST),
               listen=["udp:127.0.0.1:0"]) as d:
        _, host, port = udp_addrs(d)[0]
        dest = (host, port)
        flood = udp_socket(bind=("127.0.0.1", 0))
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        flood.setblocking(False)
        other = Prober(dest)

        sent = replies = 0
        last_reply = start = time.monotonic()
        next_probe = start
        while time.monotonic() - start < FLOOD_SECONDS:
            for _ in range(CHUNK):
                flood.sendto(b"flood %d" % sent, dest)
                sent += 1
            n = drain(flood)
            if n:
                replies += n
                last_reply = time.monotonic()
            if time.monotonic() >= next_probe:
                other.probe()
                next_probe += PROBE_EVERY
            time.sleep(0.02)
        # Replies still in flight: wait until a quiet half second.
        quiet = time.monotonic() + scaled(0.5)
        while time.monotonic() < quiet:
            n = drain(flood)
            if n:
                replies += n
                last_reply = time.monotonic()
                quiet = last_reply + scaled(0.5)
            time.sleep(0.02)
        flood.close()
        other.close()

        # Tokens refill only with time echod saw between the first flood
        # datagram and the last reply it sent; +2 for clocks in whole ms.
        bound = RATE * (last_reply - start) + BURST + 2
        print("flood: %d sent, %d answered (at most %.0f); %d probes"
              % (sent, replies, bound, other.sent))
        assert replies <= bound, "%d replies to the flood, at most %.0f " \
            "allowed" % (replies, bound)
        assert replies >= BURST, "only %d replies: the burst is %d" % (
            replies, BURST)
        assert other.answered >= FLOOD_SECONDS / PROBE_EVERY

        c = counters(d)
        assert 0 < c["udp_in"] <= sent + other.sent, c
        assert_counters(d, udp_counts(
            udp_in=c["udp_in"], udp_out=replies + other.replies,
            udp_bytes=c["udp_bytes"],
            udp_drop_rate=c["udp_in"] - replies - other.replies))
        warned = d.grep(r"over --udp-rate")
        assert 1 <= len(warned) <= 3, "rate-limit warnings:\n" + "\n".join(
            warned)
        assert d.stop() == 0, d.log()


run(test)

"""Clients for service-manager.sh, run inside the test's network namespace.

  sm_client.py first               three-part echo on 127.0.0.1:7 and
                                   [::1]:7, a UDP echo; prints the peer
                                   address of a known TCP connection
  sm_client.py stream READY        streams until echod closes; touches READY
                                   once 64 KiB came back; prints
                                   "<peer> <bytes received>"
  sm_client.py loop MARK STOP      connects in a loop (at most 3000 times,
                                   60 s) until STOP exists; touches MARK after
                                   20 echoes; prints counts as JSON
  sm_client.py reload READY STOP    1000 idle connections, a 64 MiB
                                   transfer, a client that does not read
                                   and a health-check loop; touches READY,
                                   and once STOP exists checks every byte
                                   and connection; prints counts as JSON
Exit status 0 when every echo seen was a prefix of what was sent.
"""
import json
import os
import socket
import sys
import threading
import time

from asyncecho import echo_three_parts
from netaddr import has_ipv6
from streams import recv_all

PORT = 7


def first():
    echo_three_parts("127.0.0.1:%d" % PORT)
    if has_ipv6():
        echo_three_parts("[::1]:%d" % PORT)
    # UDP, added by the drop-in echod(8) shows.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    for _ in range(3):
        u.sendto(b"udp ping", ("127.0.0.1", PORT))
        try:
            data, src = u.recvfrom(1024)
            break
        except socket.timeout:
            continue
    else:
        raise AssertionError("no UDP echo")
    assert (data, src) == (b"udp ping", ("127.0.0.1", PORT)), (data, src)
    u.close()
    # A known connection for the journal check.
    c = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    c.sendall(b"journal me")
    c.shutdown(socket.SHUT_WR)
    assert recv_all(c) == b"journal me"
    print("%s:%d" % c.getsockname())
    c.close()


def stream(ready):
    block = bytes(range(256)) * 64          # 16 KiB, a recognisable pattern
    c = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    done = threading.Event()

    def writer():
        try:
            while not done.is_set():
                c.sendall(block)
        except OSError:
            pass                            # echod stopped reading: fine

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    got = 0
    bad = None
    while True:
        data = c.recv(1 << 16)
        if not data:
            break
        for i, b in enumerate(data):
            if b != (got + i) % 256:
                bad = got + i
                break
        got += len(data)
        if got >= 64 << 10 and not os.path.exists(ready):
            open(ready, "w").close()
    # Stop writing before closing: echod reads (and drops) until our EOF.
    done.set()
    t.join(30)
    peer = "%s:%d" % c.getsockname()
    c.close()
    print(peer, got)
    assert bad is None, "echo corrupted at byte %d" % bad


def loop(mark, stop):
    counts = {"ok": 0, "refused": 0, "reset": 0, "short": 0, "other": 0}
    deadline = time.monotonic() + 60
    for n in range(3000):
        if os.path.exists(stop) or time.monotonic() > deadline:
            break
        msg = b"ping %d" % n
        try:
            c = socket.create_connection(("127.0.0.1", PORT), timeout=10)
            c.sendall(msg)
            c.shutdown(socket.SHUT_WR)
            got = recv_all(c)
            c.close()
        except ConnectionRefusedError:
            counts["refused"] += 1
            continue
        except ConnectionResetError:
            counts["reset"] += 1
            continue
        except OSError as e:
            counts["other"] += 1
            print("error:", e, file=sys.stderr)
            continue
        assert msg.startswith(got), (msg, got)
        counts["ok" if got == msg else "short"] += 1
        if counts["ok"] == 20:
            open(mark, "w").close()
    print(json.dumps(counts))


def reload_load(ready, stop):
    import resource
    from reloadtest import HealthLoop, Trickle
    from streams import Stream, assert_same, pattern

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    addr = ("127.0.0.1", PORT)
    idle = [socket.create_connection(addr, timeout=30) for _ in range(1000)]
    stalled = socket.create_connection(addr, timeout=30)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    st = Stream(stalled, pattern(32 << 20, b"sm-stalled"), timeout=300)
    held = st.start_sending().wait_stalled()
    transfer = Trickle(socket.create_connection(addr, timeout=30),
                       pattern(64 << 20, b"sm-transfer"), pause=0.02)
    health = HealthLoop(addr)
    health.start()
    open(ready, "w").close()
    deadline = time.monotonic() + 300
    while not os.path.exists(stop) and time.monotonic() < deadline:
        time.sleep(0.1)
    in_flight = transfer.in_flight()
    checks = health.finish()
    for i, c in enumerate(idle):
        c.sendall(b"idle %d" % i)
        assert recv_all(c, len(b"idle %d" % i)) == b"idle %d" % i, i
    st.stop_sending()
    stalled.shutdown(socket.SHUT_WR)
    st.start_reading().join()
    assert st.eof and st.sent >= held
    assert_same(st.received, st.data[:st.sent], "stalled client")
    transfer.finish(timeout=300)
    for c in idle:
        c.close()
    print(json.dumps({"idle": len(idle), "checks": checks,
                      "stalled_bytes": st.sent, "transfer_in_flight":
                      in_flight, "transfer_bytes": len(transfer.got)}))


if __name__ == "__main__":
    {"first": first, "stream": stream, "loop": loop,
     "reload": reload_load}[sys.argv[1]](
        *sys.argv[2:])

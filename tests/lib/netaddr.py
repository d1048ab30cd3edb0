"""Addresses as echod prints them ("127.0.0.1:N", "[::1]:N", "udp:...",
"unix:/path", "unix:@abstract"), and the loopback facts tests depend on."""
import socket
import subprocess


def parse_addr(text):
    """An address as echod logs it -> (family, sockaddr) for socket calls:
    (host, port) for IP, a path for Unix (a leading NUL for "@name").
    A "udp:" prefix is dropped: the caller picks the socket type."""
    if text.startswith("udp:"):
        text = text[4:]
    if text.startswith("unix:"):
        path = text[5:]
        return socket.AF_UNIX, "\0" + path[1:] if path.startswith("@") \
            else path
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, int(port))


def free_port(family=socket.AF_INET, host="127.0.0.1",
              kind=socket.SOCK_STREAM):
    """A port nobody uses right now (bound, then closed): for tools that
    cannot bind port 0, or a port known to refuse connections."""
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def has_ipv6():
    """Whether ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def loopback_listeners(unix_path):
    """--listen values for each family: IPv4, the Unix socket unix_path,
    and IPv6 when it is there."""
    listen = ["127.0.0.1:0", "unix:" + unix_path]
    if has_ipv6():
        listen.append("[::1]:0")
    return listen


def peer_name(sock):
    """How echod names the peer of TCP client socket sock in its log."""
    host, port = sock.getsockname()[:2]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def listen_queue(local, unix=False):
    """The listen queue (backlog) of the listener at local ("127.0.0.1:N"
    or a Unix path), as `ss -l` shows it: Send-Q of a listening socket."""
    out = subprocess.run(["ss", "-Hln", "-x" if unix else "-t"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if local in f:
            return int(f[f.index(local) - 1])
    raise AssertionError("ss does not show %s:\n%s" % (local, out))

"""The socket-table parsers of bridge.transport.peers, on recorded and built tables (every
platform's format is checked here on Linux), and rule 0 of the handshake."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest

from bridge.transport import peers
from bridge.transport.handshake import OTHER_USER, OWNER_UNKNOWN, decide

# Two rows of a real /proc/net/tcp: a listener on 127.0.0.1:27815 (uid 1000) and the client
# end of a connection to it from port 50000 (uid 1001); the kernel prints IPv4 words in its
# byte order (little-endian here).
PROC_TCP = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:6A27 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0\n"
    "   1: 0100007F:C350 0100007F:6A27 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0 20 4 30 10 -1\n"
    "   2: garbage\n"
)
PROC_TCP6 = (
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:6A27 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1002        0 3 1 0 100 0 0 10 0\n"
    "   1: 0000000000000000FFFF00000100007F:C351 0000000000000000FFFF00000100007F:6A27 01 00000000:00000000 00:00000000 00000000  1003        0 4 1 0 20 4 30 10 -1\n"
)
LITTLE = struct.pack("=I", 1) == b"\x01\0\0\0"


def test_proc_rows_parsed():
    if not LITTLE:  # the recorded tables come from a little-endian machine
        return
    rows = list(peers.parse_proc_net_tcp(PROC_TCP))
    assert [(str(r.local[0]), r.local[1], r.listening, r.owner) for r in rows] == [
        ("127.0.0.1", 27175, True, 1000), ("127.0.0.1", 50000, False, 1001),
    ]
    rows6 = list(peers.parse_proc_net_tcp(PROC_TCP6))
    assert (str(rows6[0].local[0]), rows6[0].owner) == ("::1", 1002)
    assert str(rows6[1].local[0]) == "127.0.0.1"  # IPv4-mapped folded to IPv4


def test_peer_owner_found_by_the_connection_ends():
    if not LITTLE:
        return
    server, client = ("127.0.0.1", 27175), ("127.0.0.1", 50000)
    assert peers.find_peer_owner(PROC_TCP, server, client, v6=False) == 1001
    assert peers.find_peer_owner(PROC_TCP, server, ("127.0.0.1", 50001), v6=False) is None
    # the same connection made from an IPv6 socket (::ffff:127.0.0.1) is found in tcp6
    assert peers.find_peer_owner(PROC_TCP6, server, ("127.0.0.1", 50001), v6=True) == 1003
    assert peers.find_peer(list(peers.parse_proc_net_tcp(PROC_TCP)), server, client).owner == 1001


def test_listeners_include_wildcards():
    rows = list(peers.parse_proc_net_tcp(PROC_TCP)) + list(peers.parse_proc_net_tcp(PROC_TCP6))
    assert [r.owner for r in peers.find_listeners(rows, 27175, "127.0.0.1")] == [1000]
    assert [r.owner for r in peers.find_listeners(rows, 27175, "::1")] == [1002]
    assert peers.find_listeners(rows, 27176, "127.0.0.1") == []


def _win4(rows):
    data = struct.pack("<I", len(rows))
    for state, laddr, lport, raddr, rport, pid in rows:
        data += struct.pack(
            "<I4sI4sII", state, socket.inet_aton(laddr), struct.unpack("<I", struct.pack(">HH", lport, 0))[0],
            socket.inet_aton(raddr), struct.unpack("<I", struct.pack(">HH", rport, 0))[0], pid,
        )
    return data


def test_windows_table_parsed():
    data = _win4([(2, "127.0.0.1", 27815, "0.0.0.0", 0, 4242), (5, "127.0.0.1", 50000, "127.0.0.1", 27815, 777)])
    rows = list(peers.parse_tcp_table(data, 4))
    assert [(str(r.local[0]), r.local[1], r.listening, r.owner) for r in rows] == [
        ("127.0.0.1", 27815, True, 4242), ("127.0.0.1", 50000, False, 777),
    ]
    assert peers.find_peer(rows, ("127.0.0.1", 27815), ("127.0.0.1", 50000)).owner == 777
    row6 = struct.pack(
        "<16sII16sIIII", ipaddress.IPv6Address("::1").packed, 0, struct.unpack("<I", struct.pack(">HH", 27815, 0))[0],
        bytes(16), 0, 0, 2, 99,
    )
    rows6 = list(peers.parse_tcp_table(struct.pack("<I", 1) + row6, 6))
    assert (str(rows6[0].local[0]), rows6[0].local[1], rows6[0].listening, rows6[0].owner) == ("::1", 27815, True, 99)
    assert list(peers.parse_tcp_table(struct.pack("<I", 3) + row6, 6))[1:] == []  # a lying count
    assert list(peers.parse_tcp_table(b"\x01", 4)) == []


@pytest.fixture
def live():
    """A loopback connection: (listener, client socket, accepted socket)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as client:
            accepted, _ = listener.accept()
            with accepted:
                yield listener, client, accepted


def test_live_connection_is_ours(live):
    listener, client, accepted = live
    assert peers.peer_is_same_user(accepted.getsockname(), accepted.getpeername()) is True
    assert peers.peer_is_same_user(client.getsockname(), client.getpeername()) is True
    assert peers.listener_owned_by_us(listener.getsockname()[1]) is True
    assert peers.peer_is_same_user(None, ("127.0.0.1", 1)) is None


def test_handshake_rule_zero_comes_before_the_headers():
    token = "t" * 43
    headers = [("Host", "127.0.0.1:27815"), ("Authorization", f"Bearer {token}")]
    common = dict(port=27815, token=token, allowed_origins=[])
    assert decide(headers, **common, peer_is_same_user=lambda: True).accepted
    other = decide(headers, **common, peer_is_same_user=lambda: False)
    assert (other.status, other.reason) == (403, OTHER_USER)
    unknown = decide(headers, **common, peer_is_same_user=lambda: None)
    assert (unknown.status, unknown.reason) == (403, OWNER_UNKNOWN)


def test_sock_diag_request_and_answer():
    local, remote = ("127.0.0.1", 27815), ("127.0.0.1", 50000)
    request = peers.diag_request(local, remote, seq=7)
    assert len(request) == struct.unpack_from("=I", request)[0] == 16 + 56
    sport, dport = struct.unpack_from(">HH", request, 16 + 8)
    assert (sport, dport) == (50000, 27815)  # the other end's own view: its port first

    def answer(state: int, uid: int, sport: int = 50000) -> bytes:
        msg = bytes([socket.AF_INET, state, 0, 0]) + struct.pack(">HH16s16s", sport, 27815, socket.inet_aton("127.0.0.1").ljust(16, b"\0"), socket.inet_aton("127.0.0.1").ljust(16, b"\0"))
        msg += struct.pack("=III", 0, 1, 2) + struct.pack("=IIIII", 0, 0, 0, uid, 99)
        return struct.pack("=IHHII", 16 + len(msg), 20, 0, 7, 0) + msg

    assert peers.parse_diag_answer(answer(1, 1234), local, remote) == 1234
    assert peers.parse_diag_answer(answer(6, 0), local, remote) is None  # time-wait: uid unknown
    assert peers.parse_diag_answer(answer(12, 0), local, remote) is None  # request socket
    assert peers.parse_diag_answer(answer(1, 1234, sport=50001), local, remote) is None  # another socket
    assert peers.parse_diag_answer(struct.pack("=IHHII", 36, 2, 0, 7, 0) + bytes(20), local, remote) is None
    assert peers.parse_diag_answer(b"", local, remote) is None


def test_sock_diag_finds_a_live_socket(live):
    import os

    _, _, accepted = live
    owner = peers._netlink_peer_owner(accepted.getsockname(), accepted.getpeername())
    assert owner in (os.getuid(), None)  # None only where netlink is not available


def test_proc_fallback_finds_a_live_socket(live):
    """The /proc/net/tcp fallback on real kernel tables (where netlink answers, as on most
    machines, peer_is_same_user never reaches it), from both ends of the connection."""
    import os

    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("no /proc/net/tcp on this system")
    _, client, accepted = live
    assert peers._proc_peer_owner(accepted.getsockname(), accepted.getpeername()) == os.getuid()
    assert peers._proc_peer_owner(client.getsockname(), client.getpeername()) == os.getuid()
    assert peers._proc_peer_owner(accepted.getsockname(), ("127.0.0.1", 1)) is None

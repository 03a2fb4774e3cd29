"""Which OS user owns the other end of a loopback TCP connection, or a listening port.

On a shared machine (terminal server, multi-session Linux) every user's programs reach
127.0.0.1, and a local program can forge any ``Origin`` header. The WebSocket server therefore
accepts only connections whose *client socket* belongs to the user running the bridge, and our
clients send the token only to a *listening socket* of their own user (docs/security.md).

- Linux: the kernel's sock_diag netlink interface gives the owner uid of one socket found by
  its addresses and ports (what ``ss`` uses; constant cost); when it cannot answer, the socket
  tables ``/proc/net/tcp`` and ``/proc/net/tcp6`` (whose reading grows with the number of
  sockets on the machine).
- Windows: ``GetExtendedTcpTable`` gives the owning process id, whose token gives the user SID.
- Elsewhere (macOS): no cheap way is implemented; the answer is ``None`` ("cannot establish"),
  which the server treats as a refusal.

The parsing functions are pure (text or bytes in, answers out) so every platform's format is
unit-tested on Linux; only :func:`peer_is_same_user` and :func:`listener_owned_by_us` read the
system. Answers are ``True`` (same user), ``False`` (another user) or ``None`` (not established).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass

Address = tuple[str, int]  # (host, port) as asyncio's get_extra_info("peername") gives it

#: TCP state LISTEN in /proc/net/tcp (hex) and in the Windows MIB tables.
_LINUX_LISTEN = "0A"
_WINDOWS_LISTEN = 2


@dataclass(frozen=True)
class Socket:
    """One row of a socket table: its two ends, its state, and who owns it."""

    local: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]
    remote: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]
    listening: bool
    owner: int  # uid on Linux, pid on Windows


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, with IPv4-mapped IPv6 (``::ffff:127.0.0.1``) folded to IPv4."""
    addr = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


# --- Linux: /proc/net/tcp{,6} --------------------------------------------------------------------


def _proc_address(field: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """``0100007F:6A27`` -> (127.0.0.1, 27175): the address is printed as 32-bit words in the
    kernel's byte order, the port as a plain hexadecimal number."""
    host, _, port = field.partition(":")
    words = bytes.fromhex(host)
    packed = b"".join(struct.pack("=I", int.from_bytes(words[i : i + 4], "big")) for i in range(0, len(words), 4))
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(packed)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr, int(port, 16)


def parse_proc_net_tcp(text: str) -> Iterator[Socket]:
    """The rows of a ``/proc/net/tcp`` or ``/proc/net/tcp6`` file (malformed rows skipped)."""
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            yield Socket(
                local=_proc_address(fields[1]),
                remote=_proc_address(fields[2]),
                listening=fields[3] == _LINUX_LISTEN,
                owner=int(fields[7]),
            )
        except ValueError:
            continue


def _proc_hex(host: str, port: int, *, v6: bool) -> str:
    """The inverse of :func:`_proc_address`, in the spelling of the v4 or the v6 table."""
    addr = _ip(host)
    if v6 and isinstance(addr, ipaddress.IPv4Address):
        addr = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + addr.packed)
    elif not v6 and isinstance(addr, ipaddress.IPv6Address):
        return ""
    packed = addr.packed
    words = "".join(f"{struct.unpack('=I', packed[i : i + 4])[0]:08X}" for i in range(0, len(packed), 4))
    return f"{words}:{port:04X}"


def find_peer_owner(text: str, local: Address, remote: Address, *, v6: bool) -> int | None:
    """The owner uid of the socket at the other end of our connection (local, remote) in a
    ``/proc/net/tcp`` (``v6=False``) or ``tcp6`` text: one substring search, no parsing of the
    other rows, so the cost stays small however many connections the machine has."""
    client, server = _proc_hex(remote[0], remote[1], v6=v6), _proc_hex(local[0], local[1], v6=v6)
    if not client or not server:
        return None
    at = text.find(f" {client} {server} ")
    if at < 0:
        return None
    end = text.find("\n", at)
    fields = text[at : end if end >= 0 else len(text)].split()
    try:
        return int(fields[6]) if fields[2] != _LINUX_LISTEN else None
    except (IndexError, ValueError):
        return None


# --- Linux: sock_diag (netlink) -----------------------------------------------------------------

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLMSG_ERROR = 2
_NLM_F_REQUEST = 1
_NLMSG = struct.Struct("=IHHII")
_DIAG_REQ = struct.Struct("=BBBxI")  # family, protocol, extensions, states; then the socket id
_DIAG_ID = struct.Struct(">HH16s16s")  # ports and addresses in network order
_DIAG_ID_TAIL = struct.Struct("=III")  # interface, cookie (INET_DIAG_NOCOOKIE = all ones)
#: States whose uid the kernel reports as 0 (request and time-wait sockets): not an answer.
_NO_OWNER_STATES = {6, 12}  # TCP_TIME_WAIT, TCP_NEW_SYN_RECV


def diag_request(local: Address, remote: Address, *, seq: int = 1) -> bytes:
    """A SOCK_DIAG_BY_FAMILY request for the one TCP socket at the other end of our
    connection (local, remote): its source is our remote end, its destination our local end."""
    src, dst = _ip(remote[0]), _ip(local[0])
    family = socket.AF_INET if isinstance(src, ipaddress.IPv4Address) else socket.AF_INET6
    body = (
        _DIAG_REQ.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
        + _DIAG_ID.pack(remote[1], local[1], src.packed.ljust(16, b"\0"), dst.packed.ljust(16, b"\0"))
        + _DIAG_ID_TAIL.pack(0, 0xFFFFFFFF, 0xFFFFFFFF)
    )
    return _NLMSG.pack(_NLMSG.size + len(body), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, seq, 0) + body


def parse_diag_answer(data: bytes, local: Address, remote: Address) -> int | None:
    """The uid in a sock_diag answer (``inet_diag_msg``), after checking that it describes the
    socket asked for; None for an error answer, another socket, or a state without owner."""
    if len(data) < _NLMSG.size:
        return None
    length, type_, _, _, _ = _NLMSG.unpack_from(data)
    msg = data[_NLMSG.size : length]
    if type_ != _SOCK_DIAG_BY_FAMILY or len(msg) < 4 + _DIAG_ID.size + _DIAG_ID_TAIL.size + 20:
        return None
    _, state = msg[0], msg[1]
    sport, dport, src, _dst = _DIAG_ID.unpack_from(msg, 4)
    if (sport, dport) != (remote[1], local[1]) or state in _NO_OWNER_STATES:
        return None
    if src[: len(_ip(remote[0]).packed)] != _ip(remote[0]).packed:
        return None
    (uid,) = struct.unpack_from("=I", msg, 4 + _DIAG_ID.size + _DIAG_ID_TAIL.size + 12)
    return int(uid)


def _netlink_peer_owner(local: Address, remote: Address) -> int | None:
    """One netlink round trip: the kernel finds the socket by its four-tuple (the cost does not
    grow with the number of sockets, unlike reading /proc/net/tcp)."""
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
            nl.settimeout(1.0)
            nl.send(diag_request(local, remote))
            return parse_diag_answer(nl.recv(8192), local, remote)
    except (OSError, AttributeError):  # no netlink (a sandbox), or no sock_diag module
        return None


def _proc_tables() -> Iterator[tuple[str, bool]]:
    """The text of ``/proc/net/tcp`` and ``/proc/net/tcp6`` (with ``v6``), each one readable."""
    for name, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            with open(name, encoding="ascii") as f:
                text = f.read()
        except OSError:
            continue
        yield text, v6


def _linux_peer_owner(local: Address, remote: Address) -> int | None:
    owner = _netlink_peer_owner(local, remote)
    if owner is not None:
        return owner
    return _proc_peer_owner(local, remote)


def _proc_peer_owner(local: Address, remote: Address) -> int | None:
    """The fallback of :func:`_linux_peer_owner` where netlink does not answer."""
    for text, v6 in _proc_tables():
        owner = find_peer_owner(text, local, remote, v6=v6)
        if owner is not None:
            return owner
    return None


def _read_proc_tables() -> list[Socket]:
    return [row for text, _ in _proc_tables() for row in parse_proc_net_tcp(text)]


# --- Windows: GetExtendedTcpTable ---------------------------------------------------------------

_ROW4 = struct.Struct("<I4sI4sII")  # state, local addr, local port, remote addr, remote port, pid
_ROW6 = struct.Struct("<16sII16sIIII")  # local addr, scope, port, remote addr, scope, port, state, pid


def _win_port(dword: int) -> int:
    """Windows stores a port in network byte order in the low 16 bits of a DWORD."""
    return int(struct.unpack(">H", struct.pack("<I", dword)[:2])[0])


def parse_tcp_table(data: bytes, family: int) -> Iterator[Socket]:
    """The rows of a ``MIB_TCPTABLE_OWNER_PID`` (family 4) or ``MIB_TCP6TABLE_OWNER_PID``
    (family 6) buffer, as ``GetExtendedTcpTable(..., TCP_TABLE_OWNER_PID_ALL)`` fills it."""
    if len(data) < 4:
        return
    (count,) = struct.unpack_from("<I", data)
    row = _ROW4 if family == 4 else _ROW6
    for i in range(count):
        offset = 4 + i * row.size
        if offset + row.size > len(data):
            return
        fields = row.unpack_from(data, offset)
        if family == 4:
            state, laddr, lport, raddr, rport, pid = fields
        else:
            laddr, _, lport, raddr, _, rport, state, pid = fields
        yield Socket(
            local=(_ip(str(ipaddress.ip_address(laddr))), _win_port(lport)),
            remote=(_ip(str(ipaddress.ip_address(raddr))), _win_port(rport)),
            listening=state == _WINDOWS_LISTEN,
            owner=pid,
        )


def _windows_tables() -> list[Socket]:  # pragma: no cover - Windows only
    if sys.platform != "win32":  # also tells mypy (on Linux) not to check the Windows calls below
        raise OSError("Windows only")
    import ctypes
    from ctypes import wintypes

    iphlpapi = ctypes.WinDLL("iphlpapi")
    rows: list[Socket] = []
    for family, af in ((4, 2), (6, 23)):
        size = wintypes.DWORD(0)
        buf = None
        for _ in range(5):  # the table may grow between the size query and the read
            buf = ctypes.create_string_buffer(size.value or 1)
            rc = iphlpapi.GetExtendedTcpTable(buf, ctypes.byref(size), False, af, 5, 0)  # OWNER_PID_ALL
            if rc == 0:
                rows.extend(parse_tcp_table(buf.raw[: size.value], family))
                break
            if rc != 122:  # ERROR_INSUFFICIENT_BUFFER
                break
    return rows


def _windows_sid(pid: int | None) -> str | None:  # pragma: no cover - Windows only
    """The user SID (``S-1-5-21-...``) of process *pid* (this process when None)."""
    if sys.platform != "win32":  # also tells mypy (on Linux) not to check the Windows calls below
        raise OSError("Windows only")
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    process = kernel32.GetCurrentProcess() if pid is None else kernel32.OpenProcess(0x1000, False, pid)
    if not process:
        return None
    token = wintypes.HANDLE()
    try:
        if not advapi32.OpenProcessToken(wintypes.HANDLE(process), 0x0008, ctypes.byref(token)):  # TOKEN_QUERY
            return None
        size = wintypes.DWORD(0)
        advapi32.GetTokenInformation(token, 1, None, 0, ctypes.byref(size))  # TokenUser
        buf = ctypes.create_string_buffer(size.value)
        if not advapi32.GetTokenInformation(token, 1, buf, size, ctypes.byref(size)):
            return None
        sid = ctypes.cast(buf, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
        text = wintypes.LPWSTR()
        if not advapi32.ConvertSidToStringSidW(ctypes.c_void_p(sid), ctypes.byref(text)):
            return None
        try:
            return text.value
        finally:
            kernel32.LocalFree(text)
    finally:
        if token:
            kernel32.CloseHandle(token)
        if pid is not None:
            kernel32.CloseHandle(wintypes.HANDLE(process))


# --- the questions ------------------------------------------------------------------------------


def find_peer(rows: list[Socket], local: Address, remote: Address) -> Socket | None:
    """The row of the socket at the other end of our connection (local, remote): its local
    end is our remote end and the other way round."""
    want_local = (_ip(remote[0]), remote[1])
    want_remote = (_ip(local[0]), local[1])
    for row in rows:
        if row.local == want_local and row.remote == want_remote and not row.listening:
            return row
    return None


def find_listeners(rows: list[Socket], port: int, host: str) -> list[Socket]:
    """The listening sockets a client connecting to host:port may reach (wildcards included)."""
    target = _ip(host)
    wildcard = {ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("::")}  # noqa: S104 - compared, not bound
    return [r for r in rows if r.listening and r.local[1] == port and (r.local[0] == target or r.local[0] in wildcard)]


def _owner_is_us(owner: int) -> bool | None:
    if sys.platform.startswith("linux"):
        return owner == os.getuid()
    if sys.platform == "win32":  # pragma: no cover
        theirs = _windows_sid(owner)
        return None if theirs is None else theirs == _windows_sid(None)
    return None


def _tables() -> list[Socket] | None:
    if sys.platform.startswith("linux"):
        return _read_proc_tables()
    if sys.platform == "win32":  # pragma: no cover
        return _windows_tables()
    return None  # macOS and others: not established (the server refuses)


def peer_is_same_user(local: Address | None, remote: Address | None) -> bool | None:
    """Whether the socket at the other end of our connection (local, remote) belongs to our
    user: the client's socket for the server, the server's socket for a client (a connection
    not yet accepted is already owned by the listener's user)."""
    if local is None or remote is None:
        return None
    if sys.platform.startswith("linux"):
        owner = _linux_peer_owner(local[:2], remote[:2])
        return None if owner is None else owner == os.getuid()
    rows = _tables()
    if rows is None:
        return None
    row = find_peer(rows, local, remote)
    return None if row is None else _owner_is_us(row.owner)


def listener_owned_by_us(port: int, host: str = "127.0.0.1") -> bool | None:
    """Whether what listens on host:port belongs to our user: True, False (another user's
    program), or None (nothing listens, or the platform does not tell)."""
    rows = _tables()
    if rows is None:
        return None
    owners = [_owner_is_us(r.owner) for r in find_listeners(rows, port, host)]
    if not owners:
        return None
    if any(o is False for o in owners):
        return False
    return True if all(owners) else None


def port_held_by_other_user(port: int, what: str) -> str:
    """The message when another OS user's program listens on our port (a shared machine)."""
    from bridge import sysconfig

    return (
        f"port {port} is held by another user's program (on a shared machine, each user's bridge "
        f"needs its own port), so vitale-bridge will not {what} there. Choose another port with "
        "--port, or ask your administrator to set websocketPort in the system configuration "
        f"({sysconfig.config_path()})."
    )

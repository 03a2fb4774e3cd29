"""The vpcd protocol, card side: a virtual card is a TCP *client* of the vpcd reader driver;
and the reader side: pcscd's configuration of the vpcd driver.

vpcd listens on *all interfaces* (``DEVICENAME /dev/null:PORT``; its client mode crashes the
Debian build when a card leaves). So, where it can (as root), the bench runs pcscd in a
network namespace of its own (:mod:`bridge.bench.pcscd`): vpcd's ports then exist only there,
reachable from no other process or machine, and the cards open their sockets in that
namespace (:func:`connect`). Elsewhere the ports are open on every interface: run such a bench
on test machines only.

Every frame is a 2-byte big-endian length and a payload. A 1-byte payload is a control
(``00`` power off, ``01`` power on, ``02`` reset — no reply; ``04`` get ATR — reply with the
ATR); a longer payload is a C-APDU, answered with the R-APDU. Connecting inserts the card,
closing the socket removes it.

Latency: vpcd writes the length and the payload in two writes with Nagle on, and Linux delays
ACKs, which costs about 40 ms per APDU. The card sets ``TCP_NODELAY``, sends each frame in one
write, and re-arms ``TCP_QUICKACK`` after every ``recv()`` (the kernel clears it by itself):
the round trip through pcscd drops to about 0.1 ms.
"""

from __future__ import annotations

import ctypes
import logging
import os
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bridge.virtualcards.card import VirtualCard

log = logging.getLogger("vitale_bridge.bench.vpcd")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
CLONE_NEWNET = 0x40000000
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def tune(sock: socket.socket) -> None:
    """TCP_NODELAY once; call :func:`quickack` after each recv."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    quickack(sock)


def quickack(sock: socket.socket) -> None:
    if _QUICKACK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        except OSError:
            pass


def recv_exact(sock: socket.socket, n: int, rearm: bool = True) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if rearm:
            quickack(sock)
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


class VpcdLink:
    """One card inserted in one vpcd slot, served by a daemon thread until :meth:`close`."""

    def __init__(self, card: VirtualCard, port: int, host: str = "127.0.0.1", *, tuned: bool = True,
                 netns: int | None = None) -> None:
        self.card = card
        #: A file descriptor of pcscd's network namespace, where vpcd listens (None: this one).
        self.netns = netns
        #: False only to show the latency trap (benchmarks/bench_apdu.py): no NODELAY/QUICKACK.
        self.tuned = tuned
        self.port = port
        self.host = host
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def open(self, timeout: float = 5.0) -> None:
        """Connect to vpcd (= insert). vpcd listens once pcscd has loaded the reader."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = connect((self.host, self.port), self.netns)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise ConnectionError(f"vpcd is not listening on {self.host}:{self.port}") from None
                time.sleep(0.02)
        sock.settimeout(None)
        if self.tuned:
            tune(sock)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Disconnect (= remove the card) and wait for the serving thread."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._thread = None

    @property
    def connected(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _serve(self) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            while True:
                (length,) = struct.unpack(">H", recv_exact(sock, 2, self.tuned))
                payload = recv_exact(sock, length, self.tuned)
                reply = self._answer(payload)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except (EOFError, OSError):
            pass
        except Exception:
            log.exception("virtual card on port %d stopped", self.port)

    def _answer(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            ctrl = payload[0]
            if ctrl == CTRL_ATR:
                return self.card.atr
            if ctrl == CTRL_ON:
                self.card.power_on()
            elif ctrl == CTRL_OFF:
                self.card.power_off()
            elif ctrl == CTRL_RESET:
                self.card.reset()
            return None
        return self.card.transmit_paced(payload)


def in_netns(netns: int | None, make: Callable[[], socket.socket]) -> socket.socket:
    """``make()`` run with this thread in the network namespace *netns* (a file descriptor).

    A socket belongs to the namespace it was created in, whatever the thread does next, and
    setns(2) moves the calling thread only: the thread goes in, creates, and comes back.
    """
    if netns is None:
        return make()
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.setns(netns, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into the bench's network namespace")
        try:
            return make()
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:  # never leave a thread behind in there
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)


def connect(address: tuple[str, int], netns: int | None = None) -> socket.socket:
    sock = in_netns(netns, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    try:
        sock.settimeout(1.0)
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def port_pair_free(port: int, netns: int | None = None) -> bool:
    """Whether vpcd could listen on ``port`` (slot 0) and ``port + 1`` (slot 1): a bind test
    (a bare connect would look like a card insertion to vpcd)."""
    for p in (port, port + 1):
        with in_netns(netns, socket.socket) as s:
            try:
                s.bind(("0.0.0.0", p))  # noqa: S104 - a probe, closed at once; vpcd's own address
            except OSError:
                return False
    return True


def free_ports(count: int, base: int | None = None) -> list[int]:
    """*count* port pairs: from *base* on (step 2) when given, else random free ones."""
    if base is not None:
        return [base + 2 * i for i in range(count)]
    chosen: list[int] = []
    for _ in range(500):
        port = random.randrange(20000, 32000, 2)  # noqa: S311 - a port to try, not a secret
        if port not in chosen and port_pair_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise OSError("no free TCP port pair for the vpcd readers between 20000 and 32000")


# --- the reader side: pcscd's configuration of the vpcd driver --------------------------------

#: ``cmp $0xFAE`` (TAG_IFD_SLOTS_NUMBER) is followed by ``movb $2, (reg)``: the slot count.
_SLOTS_TAG = bytes.fromhex("AE0F0000")
_SLOTS_STORE = re.compile(rb"\xc6[\x40-\x47]\x00\x02")


def single_slot(library: bytes) -> bytes | None:
    """*library* (libifdvpcd.so) answering 1 to pcscd's "how many slots", or None if unsure.

    vpcd always declares two slots, so every reader would show an always-empty phantom
    ``"<name> 00 01"``. Its answer is one constant (``vicc_max_slots``), compiled into
    ``IFDHGetCapabilities``; the bench's private copy of the driver answers 1 instead. When the
    code is not the one expected (another build), None: the copy keeps its two slots.
    """
    found = []
    for tag in re.finditer(re.escape(_SLOTS_TAG), library):
        window = library[tag.end() : tag.end() + 64]
        found += [tag.end() + m.start() for m in _SLOTS_STORE.finditer(window)]
    if len(found) != 1:
        return None
    at = found[0] + 3
    return library[:at] + b"\x01" + library[at + 1 :]


def driver_copy(library: Path, dest: Path, slots: int) -> int:
    """Copy the vpcd driver for one reader (each reader needs its own copy: the driver keeps one
    global slot table). Returns the number of slots the copy declares."""
    data = library.read_bytes()
    declared = 2
    if slots == 1 and (patched := single_slot(data)) is not None:
        data, declared = patched, 1
    dest.write_bytes(data)
    dest.chmod(0o700)
    return declared


def config_entry(name: str, port: int, library: Path) -> str:
    """One reader of pcscd's configuration: vpcd slots on ``port`` and ``port + 1``."""
    return (f'FRIENDLYNAME "{name}"\nDEVICENAME   /dev/null:0x{port:X}\n'
            f"LIBPATH      {library}\nCHANNELID    0x{port:X}\n")


"""The vpcd protocol, card side: a virtual card is a TCP *client* of the vpcd reader driver.

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

import logging
import socket
import struct
import threading
import time

from bridge.virtualcards.card import VirtualCard

log = logging.getLogger("vitale_bridge.bench.vpcd")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
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

    def __init__(self, card: VirtualCard, port: int, host: str = "127.0.0.1", *, tuned: bool = True) -> None:
        self.card = card
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
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
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

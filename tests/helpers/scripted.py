"""A scripted connection: answers from a list, and records the exact APDUs it was sent.

The only fake in the card tests (parsers and sessions); everything else runs on the simulator
driver or on the real PC/SC bench.
"""

from __future__ import annotations

from contextlib import contextmanager

from bridge.errors import CardRemovedError


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


class ScriptedConnection:
    def __init__(self, atr: str, script: list[tuple[str, str]], reader: str = "Scripted Reader") -> None:
        self.reader = reader
        self.atr = h(atr)
        self.script = [(h(c), r.encode() if r == "REMOVED" else h(r)) for c, r in script]
        self.sent: list[str] = []
        self.in_transaction = False
        self.closed = False

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(apdu.hex().upper())
        if not self.script:
            raise AssertionError(f"unexpected APDU {apdu.hex().upper()} (script finished)")
        expected, response = self.script.pop(0)
        assert apdu == expected, f"sent {apdu.hex().upper()}, script expected {expected.hex().upper()}"
        if response == b"REMOVED":
            raise CardRemovedError(reader=self.reader)
        return response[:-2], int.from_bytes(response[-2:], "big")

    @contextmanager
    def transaction(self):
        self.in_transaction = True
        try:
            yield
        finally:
            self.in_transaction = False

    def close(self) -> None:
        self.closed = True

"""Ask pcscd what it sees (through pyscard), so the bench can wait for readers and cards.

pcscd polls vpcd for card presence every 400 ms: after a virtual card connects or disconnects,
the bench waits until pcscd reports the new state, so tests never race the poll (and a swap is
seen by applications as a removal followed by an insertion, never as nothing at all).
"""

from __future__ import annotations

import re
import time


class PcscProbe:
    def __init__(self) -> None:
        # Deferred: the bench modules must import (and say what is missing) without pyscard.
        from smartcard import scard

        self.scard = scard

    def _context(self) -> int:
        s = self.scard
        hresult, ctx = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        if hresult != s.SCARD_S_SUCCESS:
            raise ConnectionError(f"PC/SC: {s.SCardGetErrorMessage(hresult)}")
        return int(ctx)

    def readers(self) -> list[str]:
        s = self.scard
        try:
            ctx = self._context()
        except ConnectionError:
            return []
        try:
            hresult, names = s.SCardListReaders(ctx, [])
            return list(names) if hresult == s.SCARD_S_SUCCESS else []
        finally:
            s.SCardReleaseContext(ctx)

    def wait_readers(self, wanted: dict[str, tuple[str, int]], timeout: float) -> dict[str, str] | None:
        """Map each key to pcscd's name of slot *index* of the reader *name* (``"Vitale 00 00"``),
        or None on timeout. *wanted*: key -> (friendly name, slot index)."""
        deadline = time.monotonic() + timeout
        while True:
            names = self.readers()
            found = {}
            for key, (prefix, index) in wanted.items():
                pattern = re.compile(rf"{re.escape(prefix)} [0-9A-F]{{2}} {index:02X}")
                match = next((n for n in names if pattern.fullmatch(n)), None)
                if match:
                    found[key] = match
            if len(found) == len(wanted):
                return found
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def wait_card(self, reader: str, present: bool, timeout: float) -> bool:
        """Block until pcscd reports the card in *reader* present (or absent). True on success."""
        s = self.scard
        deadline = time.monotonic() + timeout
        ctx = self._context()
        try:
            state = s.SCARD_STATE_UNAWARE
            while True:
                remaining = max(0, int((deadline - time.monotonic()) * 1000))
                hresult, states = s.SCardGetStatusChange(ctx, remaining, [(reader, state)])
                if hresult == s.SCARD_E_TIMEOUT:
                    return False
                if hresult != s.SCARD_S_SUCCESS:
                    raise ConnectionError(f"PC/SC: {s.SCardGetErrorMessage(hresult)}")
                event = states[0][1]
                if bool(event & s.SCARD_STATE_PRESENT) == present:
                    return True
                state = event & ~s.SCARD_STATE_CHANGED
                if time.monotonic() > deadline:
                    return False
        finally:
            s.SCardReleaseContext(ctx)

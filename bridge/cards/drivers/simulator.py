"""In-process virtual readers and cards, fed by card profiles (``bridge.profiles``).

The simulator lets the whole flow run with no PC/SC stack: the Vitale 2 and CPS cards here
answer the same APDUs a real card answers (T=0 behaviour included: ``61 xx`` after SELECT,
``6C xx`` on a wrong Le), so :mod:`bridge.cards.vitale` and :mod:`bridge.cards.cps` run
unchanged. Because profiles also hold the AMO data, a simulated Vitale connection implements
:class:`~bridge.cards.connection.ProtectedDataReader`, standing in for the licensed reading
API: that is how ``scope: "full"`` returns AMO data and an OD here, and never over PC/SC.

Cards are inserted and removed from the same process (``insert``, ``remove``), which wakes
the service's watcher exactly like a reader would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bridge import profiles as profile_store
from bridge.cards import tlv
from bridge.cards.connection import (
    ProtectedBeneficiary,
    ProtectedVitaleData,
    ReaderState,
    Snapshot,
)
from bridge.cards.vitale import AID_VITALE
from bridge.errors import CardRemovedError, NoCardError, ReaderNotFoundError
from bridge.profiles import CpsProfile, Profile, VitaleProfile

VITALE_READER = "Simulated Vitale Reader"
CPS_READER = "Simulated CPS Reader"

SW_OK = 0x9000


class SimulatedCard:
    """A card that answers APDUs. Subclasses hold the content."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.atr = bytes.fromhex(profile.atr)
        self._pending = b""
        #: Test hook: the card is pulled out when this many APDUs have been answered.
        self.remove_after: int | None = None
        self.apdus = 0

    def process(self, apdu: bytes) -> tuple[bytes, int]:
        if len(apdu) < 4:
            return b"", 0x6700
        if apdu[1] == 0xC0:  # GET RESPONSE
            le = apdu[4] if len(apdu) > 4 else 0
            if not self._pending:
                return b"", 0x6985
            if le != len(self._pending):
                return b"", 0x6C00 | len(self._pending)
            out, self._pending = self._pending, b""
            return out, SW_OK
        self._pending = b""
        return self.command(apdu)

    def command(self, apdu: bytes) -> tuple[bytes, int]:
        return b"", 0x6E00

    def _offer(self, data: bytes) -> tuple[bytes, int]:
        """T=0: the response waits for GET RESPONSE."""
        self._pending = data
        return b"", 0x6100 | len(data)

    @staticmethod
    def _read(content: bytes, offset: int, le: int) -> tuple[bytes, int]:
        if offset >= len(content):
            return b"", 0x6B00
        available = min(len(content) - offset, 256)
        wanted = le or 256
        if wanted != available and not (le and le < available):
            return b"", 0x6C00 | (available & 0xFF)
        return content[offset : offset + wanted], SW_OK


class SimulatedVitale1(SimulatedCard):
    """Only the ATR and the proprietary ``BC`` class: nothing an ISO reader can use."""

    def command(self, apdu: bytes) -> tuple[bytes, int]:
        return (b"", 0x6E00) if apdu[0] != 0xBC else (b"", 0x6D00)


class SimulatedVitale2(SimulatedCard):
    profile: VitaleProfile

    def __init__(self, profile: VitaleProfile) -> None:
        super().__init__(profile)
        identity = b""
        nirs = b""
        for b in profile.beneficiaries:
            fields = (
                tlv.encode(0x80, b.nom.encode("latin-1"))
                + tlv.encode(0x81, b.prenom.encode("latin-1"))
                + tlv.encode(0x82, b.date_naissance.encode("ascii"))
            )
            for tag, value in b.extra_tags.items():
                fields += tlv.encode(int(tag, 16), bytes.fromhex(value))
            identity += tlv.encode(0x65, fields)
            nirs += tlv.encode(0x65, tlv.encode(0x93, b.nir.encode("ascii")))
        if profile.validity_start:
            identity += tlv.encode(0x66, tlv.encode(0x80, profile.validity_start.encode("ascii")))
        self.files = {("MF", 2): identity, ("VITALE", 2): nirs}
        self.df = "MF"
        self.ef: bytes | None = None

    def command(self, apdu: bytes) -> tuple[bytes, int]:
        cla, ins, p1, p2 = apdu[:4]
        if cla != 0x00:
            return b"", 0x6E00
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xA4:
            if p1 == 0x00 and body == b"\x3f\x00":
                self.df, self.ef = "MF", None
            elif p1 == 0x04 and body == AID_VITALE:
                self.df, self.ef = "VITALE", None
            else:
                return b"", 0x6A82
            return self._offer(bytes.fromhex("6F03") + bytes([0x84, 0x01, 0x01]))
        if ins == 0xB0:
            le = apdu[4] if len(apdu) == 5 else 0
            if p1 & 0x80:
                key = (self.df, p1 & 0x1F)
                if key not in self.files:
                    return b"", 0x6A82
                self.ef = bytes([p1 & 0x1F])
                return self._read(self.files[key], p2, le)
            if self.ef is None:
                return b"", 0x6986
            return self._read(self.files[(self.df, self.ef[0])], (p1 << 8) | p2, le)
        return b"", 0x6D00

    def protected(self) -> ProtectedVitaleData:
        p = self.profile
        return ProtectedVitaleData(
            regime=p.amo.regime,
            caisse=p.amo.caisse,
            centre=p.amo.centre,
            code_gestion=p.amo.code_gestion,
            beneficiaries=tuple(
                ProtectedBeneficiary(
                    qualite=b.qualite,
                    rang_naissance=b.rang_naissance,
                    droits=tuple((d.start, d.end) for d in b.droits),
                )
                for b in p.beneficiaries
            ),
            serial_number=p.serial_number,
            validity_end=p.validity_end,
        )


class SimulatedCps(SimulatedCard):
    profile: CpsProfile

    def __init__(self, profile: CpsProfile) -> None:
        super().__init__(profile)
        self.number_file = tlv.encode(0x5A, bytes.fromhex(profile.card_number))
        self.selected = False

    def command(self, apdu: bytes) -> tuple[bytes, int]:
        ins = apdu[1]
        if ins == 0xA4:
            body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
            self.selected = body == bytes.fromhex("3F00D003")
            if not self.selected:
                return b"", 0x6A82
            return self._offer(bytes.fromhex("62 03 83 01 03".replace(" ", "")))
        if ins == 0xB0:
            if not self.selected:
                return b"", 0x6986
            return self._read(self.number_file, (apdu[2] << 8) | apdu[3], apdu[4] if len(apdu) == 5 else 0)
        if ins == 0xCB:
            p = self.profile
            inner = tlv.encode(0x9A, bytes([p.pin_tries_max])) + tlv.encode(0x9B, bytes([p.pin_tries_remaining]))
            return self._offer(tlv.encode(0xBF8101, tlv.encode(0xA0, inner)))
        return b"", 0x6D00


def card_for(profile: Profile) -> SimulatedCard:
    if isinstance(profile, CpsProfile):
        return SimulatedCps(profile)
    if profile.card_type == "vitale1":
        return SimulatedVitale1(profile)
    return SimulatedVitale2(profile)


class _Slot:
    def __init__(self) -> None:
        self.card: SimulatedCard | None = None
        self.generation = 0
        self.lock = threading.RLock()


class SimulatorConnection:
    def __init__(self, driver: SimulatorDriver, reader: str, slot: _Slot) -> None:
        self._driver = driver
        self.reader = reader
        self._slot = slot
        self._card = slot.card
        self._generation = slot.generation
        self.atr = self._card.atr if self._card else b""

    def _check(self) -> SimulatedCard:
        if self._card is None or self._slot.generation != self._generation or self._slot.card is not self._card:
            raise CardRemovedError(reader=self.reader)
        return self._card

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        card = self._check()
        if card.remove_after is not None and card.apdus >= card.remove_after:
            self._driver.remove(self.reader)
            raise CardRemovedError(reader=self.reader)
        card.apdus += 1
        return card.process(bytes(apdu))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._slot.lock:
            self._check()
            yield

    def close(self) -> None:
        self._card = None

    def read_protected(self) -> ProtectedVitaleData:
        card = self._check()
        if not isinstance(card, SimulatedVitale2):
            raise CardRemovedError(reader=self.reader)
        return card.protected()


class SimulatorDriver:
    """Virtual readers in this process. Thread-safe: the service calls it from threads."""

    name = "simulator"
    #: Listing is free here, so reads always see inserts made a moment before.
    fresh_listing = True

    def __init__(self, profiles: list[str] | tuple[str, ...] = ()) -> None:
        self._cond = threading.Condition()
        self._slots: dict[str, _Slot] = {}
        self._cancelled = False
        for ref in profiles:
            self.insert(ref)

    # --- control (tests, demos, the simulator.* methods) -------------------------------------

    def add_reader(self, name: str) -> None:
        with self._cond:
            self._slots.setdefault(name, _Slot())
            self._cond.notify_all()

    def remove_reader(self, name: str) -> None:
        with self._cond:
            if self._slots.pop(name, None) is None:
                raise ReaderNotFoundError(reader=name)
            self._cond.notify_all()

    def insert(self, profile: str | Profile, reader: str | None = None) -> str:
        """Put the card of *profile* into *reader* (created if needed); returns the reader name.

        Without a reader, a Vitale goes to the Vitale reader and a CPS to the CPS reader; a
        second card of the same kind gets a reader of its own.
        """
        loaded = profile_store.load(profile) if isinstance(profile, str) else profile
        card = card_for(loaded)
        with self._cond:
            if reader is None:
                base = CPS_READER if isinstance(loaded, CpsProfile) else VITALE_READER
                reader, n = base, 1
                while reader in self._slots and self._slots[reader].card is not None:
                    n += 1
                    reader = f"{base} {n}"
            slot = self._slots.setdefault(reader, _Slot())
            slot.card = card
            slot.generation += 1
            self._cond.notify_all()
        return reader

    def remove(self, reader: str) -> None:
        with self._cond:
            slot = self._slots.get(reader)
            if slot is None:
                raise ReaderNotFoundError(reader=reader)
            if slot.card is not None:
                slot.card = None
                slot.generation += 1
            self._cond.notify_all()

    def card(self, reader: str) -> SimulatedCard | None:
        slot = self._slots.get(reader)
        return slot.card if slot else None

    # --- Driver interface ----------------------------------------------------------------------

    def open(self) -> None:
        self._cancelled = False

    def close(self) -> None:
        self.cancel()

    def readers(self) -> Snapshot:
        with self._cond:
            return {
                name: ReaderState(name, slot.card.atr if slot.card else None, slot.generation)
                for name, slot in self._slots.items()
            }

    def connect(self, reader: str) -> SimulatorConnection:
        with self._cond:
            slot = self._slots.get(reader)
            if slot is None:
                raise ReaderNotFoundError(reader=reader)
            if slot.card is None:
                raise NoCardError(reader=reader)
            return SimulatorConnection(self, reader, slot)

    def wait_for_change(self, known: Snapshot, timeout: float) -> Snapshot:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = self.readers()
                remaining = deadline - time.monotonic()
                if now != known or remaining <= 0 or self._cancelled:
                    self._cancelled = False
                    return now
                self._cond.wait(remaining)

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

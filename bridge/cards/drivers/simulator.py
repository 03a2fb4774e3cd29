"""In-process virtual readers holding the virtual cards of :mod:`bridge.virtualcards`.

The simulator lets the whole flow run with no PC/SC stack. Its cards are the bench's cards
(one implementation, :mod:`bridge.virtualcards`), called in this process instead of through
vpcd and pcscd, so :mod:`bridge.cards.vitale` and :mod:`bridge.cards.cps` read exactly what
they read over PC/SC, APDU for APDU, for every profile.

What is the simulator's own: the AMO data. A profile holds it, and a simulated Vitale
connection implements :class:`~bridge.cards.connection.ProtectedDataReader`, standing in for
the licensed reading API: that is how ``scope: "full"`` returns AMO data (and the rang de
naissance, serial number and end of validity the licensed API gives) here, never over PC/SC.

Cards are inserted and removed from the same process (``insert``, ``remove``), which wakes
the service's watcher exactly like a reader would. ``insert`` without a reader *replaces* the
card in the default reader of the card's kind (the same meaning as ``vitale-bridge simulate
insert`` on the bench).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bridge import profiles as profile_store
from bridge.cards.connection import (
    ProtectedBeneficiary,
    ProtectedVitaleData,
    ReaderState,
    Snapshot,
)
from bridge.errors import CardRemovedError, NoCardError, ReaderNotFoundError
from bridge.profiles import CpsProfile, Profile, VitaleProfile
from bridge.virtualcards import make_card
from bridge.virtualcards.card import VirtualCard
from bridge.virtualcards.timing import TimingModel

VITALE_READER = "Simulated Vitale Reader"
CPS_READER = "Simulated CPS Reader"


class SimulatedCard:
    """A virtual card in a simulated reader, with the simulator's own extras (AMO data, hooks)."""

    def __init__(self, profile: Profile, card: VirtualCard) -> None:
        self.profile = profile
        self.card = card
        self.atr = card.atr
        #: Test hook: the card is pulled out when this many APDUs have been answered.
        self.remove_after: int | None = None
        self.apdus = 0
        card.power_on()

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        response = self.card.transmit_paced(apdu)
        return response[:-2], int.from_bytes(response[-2:], "big")

    def protected(self) -> ProtectedVitaleData | None:
        """What the licensed API would return: only a Vitale 2 profile has it."""
        p = self.profile
        if not isinstance(p, VitaleProfile) or p.card_type != "vitale2":
            return None
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


def card_for(profile: Profile) -> SimulatedCard:
    return SimulatedCard(profile, make_card(profile))


def default_reader(profile: Profile) -> str:
    return CPS_READER if isinstance(profile, CpsProfile) else VITALE_READER


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
        return card.transmit(bytes(apdu))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._slot.lock:
            self._check()
            yield

    def close(self) -> None:
        self._card = None

    def read_protected(self) -> ProtectedVitaleData:
        protected = self._check().protected()
        if protected is None:
            raise CardRemovedError(reader=self.reader)
        return protected


class SimulatorDriver:
    """Virtual readers in this process. Thread-safe: the service calls it from threads."""

    name = "simulator"
    #: Listing is free here, so reads always see inserts made a moment before.
    fresh_listing = True

    def __init__(self, profiles: list[str] | tuple[str, ...] = ()) -> None:
        self._cond = threading.Condition()
        self._slots: dict[str, _Slot] = {}
        self._cancelled = False
        #: None: the cards answer at once; a model: in a real card's time (``demo --timing real``).
        self._timing: TimingModel | None = None
        for ref in profiles:
            # Start-up cards: a second card of the same kind gets a reader of its own.
            loaded = profile_store.load(ref)
            base = default_reader(loaded)
            reader, n = base, 1
            while reader in self._slots:
                n += 1
                reader = f"{base} {n}"
            self.insert(loaded, reader)

    # --- control (tests, demos, the simulator.* methods) -------------------------------------

    def set_timing(self, model: TimingModel | None) -> None:
        """Pace the cards like real ones (:mod:`bridge.virtualcards.timing`), or not (None)."""
        with self._cond:
            self._timing = model
            for slot in self._slots.values():
                if slot.card is not None:
                    slot.card.card.timing = model

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

        Without a reader, the card *replaces* the one in the default reader of its kind: a
        carte Vitale goes to "Simulated Vitale Reader", a CPS to "Simulated CPS Reader" (as
        ``vitale-bridge simulate insert`` does on the bench). A card already in the reader is
        pulled out first (the watcher sees a new card: the generation changes).
        """
        loaded = profile_store.load(profile) if isinstance(profile, str) else profile
        card = card_for(loaded)
        with self._cond:
            card.card.timing = self._timing
            if reader is None:
                reader = default_reader(loaded)
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

"""CardService: readers, events and reads, the same whatever the driver.

It is given its collaborators and nothing else: a :class:`~bridge.cards.connection.Driver` and
a publish function for the events. The jobs live in their own modules: the snapshot diff that
makes events (:mod:`bridge.cards.watcher`), the choice of reader (:mod:`bridge.cards.readers`),
the read itself (:mod:`bridge.cards.reading`) and what a read leaves for the next one while the
card stays in (:mod:`bridge.cards.sessions`). What stays here is what ties them: reads run one at
a time per reader (two clients asking for the same card wait in turn instead of interleaving
APDUs), and the CPx rule, which depends on the other readers, not on the card being read. The OD is not the card's business: the API attaches it (:mod:`bridge.api.cards`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from bridge.cards import atr as atr_table
from bridge.cards import readers as choice
from bridge.cards.connection import Driver, ReaderState, Snapshot
from bridge.cards.models import CpsStatus, Reader, VitaleRead
from bridge.cards.readers import Kind
from bridge.cards.reading import (
    BUSY_WAIT,
    READ_GRACE,
    RequestedScope,
    VitaleOutcome,
    cps_result,
    in_thread,
    read_cps_blocking,
    read_vitale_blocking,
    vitale_result,
    with_retries,
)
from bridge.cards.sessions import CardSessions
from bridge.cards.watcher import Publish, Watcher
from bridge.errors import (
    BridgeError,
    CpsRequiredError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    ReaderBusyError,
    ReaderNotFoundError,
)

log = logging.getLogger("vitale_bridge.cards")

__all__ = ["READ_GRACE", "CardService", "RequestedScope"]

T = TypeVar("T")


class CardService:
    def __init__(self, driver: Driver, publish: Publish | None = None, *, read_timeout: float = 10.0) -> None:
        self.driver = driver
        self.read_timeout = read_timeout
        #: Seconds a read waits for a reader that another program holds (READER_BUSY after).
        self.busy_wait = BUSY_WAIT
        self.watcher = Watcher(driver, publish)
        self.sessions = CardSessions()
        self.watcher.on_change.append(self.sessions.prune)
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def snapshot(self) -> Snapshot:
        return self.watcher.snapshot

    @property
    def pcsc_available(self) -> bool:
        return self.watcher.pcsc_available

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.driver.open)
        await self.watcher.start()

    async def stop(self) -> None:
        self.sessions.end_all()
        await self.watcher.stop()
        await asyncio.to_thread(self.driver.close)

    # --- readers ---------------------------------------------------------------------------

    async def refresh(self) -> Snapshot:
        """Ask the driver now (used when the snapshot cannot be trusted, e.g. PC/SC was down)."""
        try:
            snapshot = await asyncio.to_thread(self.driver.readers)
        except PcscUnavailableError:
            self.watcher.pcsc_available = False
            self.sessions.end_all()
            raise
        self.watcher.pcsc_available = True
        return snapshot

    def _watcher_snapshot_usable(self) -> bool:
        """Whether the watcher's snapshot may answer: the watcher runs, PC/SC was up at its last
        look and it has seen readers. A driver whose listing is free is always asked instead."""
        return (
            not self.driver.fresh_listing and self.pcsc_available and bool(self.snapshot) and self.watcher.running
        )

    async def _current(self) -> Snapshot:
        return self.snapshot if self._watcher_snapshot_usable() else await self.refresh()

    async def readers(self) -> list[Reader]:
        return choice.reader_models(await self._current())

    async def refresh_readers(self) -> list[Reader]:
        """Like :meth:`readers`, asking the driver now rather than trusting the watcher."""
        return choice.reader_models(await self.refresh())

    async def wait_for_card(self, card_type: str | None = None, *, present: bool = True, timeout: float = 5.0) -> None:
        await self.watcher.wait_for_card(card_type, present=present, timeout=timeout)

    @staticmethod
    def cps_present(snapshot: Snapshot) -> bool:
        return choice.cps_present(snapshot)

    @staticmethod
    def find_reader(snapshot: Snapshot, name: str, kind: Kind | None = None) -> ReaderState:
        return choice.find_reader(snapshot, name, kind)

    async def _locate(self, reader: str | None, kind: Kind, *, with_cps: bool = False) -> tuple[Snapshot, ReaderState]:
        """The reader to use, and the snapshot it was found in.

        The watcher's snapshot answers first. It may lag a card inserted a moment ago, so when
        it says "not there" (no such reader, no card of *kind* in it, named or not, or no CPS
        when *with_cps* asks for one for the CPx rule) the driver is asked once more and its
        answer stands.
        """
        if self._watcher_snapshot_usable():
            snapshot = self.snapshot
            try:
                state = choice.pick(snapshot, reader, kind)
                if choice.holds(state, kind) and (not with_cps or choice.cps_present(snapshot)):
                    return snapshot, state
            except (NoCardError, NoReaderError, ReaderNotFoundError):
                pass
        snapshot = await self.refresh()
        return snapshot, choice.pick(snapshot, reader, kind)

    def _lock(self, reader: str) -> asyncio.Lock:
        return self._locks.setdefault(reader, asyncio.Lock())

    async def _card_call(self, read: Callable[..., T], reader: str, *args: object) -> T:
        """One read on the card in *reader*, in a thread, retried while the reader is busy or
        after a passing fault (see :func:`~bridge.cards.reading.with_retries`)."""
        budget = self.read_timeout + READ_GRACE
        return await with_retries(
            lambda: in_thread(read, self.driver, reader, *args, self.read_timeout, budget=budget),
            busy_wait=self.busy_wait,
        )

    async def busy_readers(self) -> list[str]:
        """The readers whose card another program holds exclusively now (for ``doctor``).

        Only a connection is tried (no APDU, no transaction), so nothing is read from the card.
        """
        busy = []
        for state in (await self.refresh()).values():
            if not state.card_present:
                continue
            try:
                connection = await asyncio.to_thread(self.driver.connect, state.name)
            except ReaderBusyError:
                busy.append(state.name)
            except BridgeError:
                continue  # not busy; doctor's other checks tell what else is wrong
            else:
                await asyncio.to_thread(connection.close)
        return busy

    # --- reads -----------------------------------------------------------------------------

    async def card_status(self, reader: str | None = None) -> dict[str, Any]:
        snapshot = await self._current()
        states = [choice.find_reader(snapshot, reader)] if reader else list(snapshot.values())
        readers = choice.reader_models({s.name: s for s in states})
        return {
            "readers": readers,
            "vitale": next((r for r in readers if atr_table.is_vitale(r.card_type)), None),
            "cps": next((r for r in readers if atr_table.is_cps(r.card_type)), None),
            "cps_present": choice.cps_present(snapshot),
        }

    async def read_vitale(
        self, reader: str | None = None, scope: RequestedScope = "auto", *, cache: bool = True
    ) -> VitaleRead:
        """Read the carte Vitale; the AMO data only when the CPx rule allows it (a CPS present).

        The readers are looked at afresh for every call (one round trip to PC/SC, no APDU): the
        CPx rule uses the CPS present now, and the card session (:mod:`bridge.cards.sessions`)
        answers only if the reader still shows the same insertion of the same card.
        """
        snapshot = await self.refresh()
        state = choice.pick(snapshot, reader, "vitale")
        lock = self._lock(state.name)
        waited = lock.locked()
        async with lock:
            if waited:  # another read ran meanwhile: what we saw may be out of date
                snapshot = await self.refresh()
                state = choice.pick(snapshot, state.name, "vitale")
            cps = choice.cps_present(snapshot)
            if scope == "full" and not cps:
                raise CpsRequiredError(reader=state.name)
            effective: Literal["clear", "full"] = "full" if scope == "full" or (scope == "auto" and cps) else "clear"
            want = effective == "full"
            outcome = self.sessions.lookup(state, want) if cache else None
            from_cache = outcome is not None
            if outcome is None:
                outcome = await self._read_and_remember(state, want)
        result = vitale_result(state.name, outcome, scope, effective, from_cache=from_cache)
        if not from_cache:
            log.info("vitale read on %s: %s, scope %s, amo %s", state.name, result.card_type, effective, result.availability.amo)
        return result

    async def _read_and_remember(self, state: ReaderState, want_protected: bool) -> VitaleOutcome:
        """Read the card; keep what it gave only if the reader showed the same insertion of the
        same card before and after the read (a swap during the read is never remembered)."""
        self.sessions.end(state.name)
        outcome = await self._card_call(read_vitale_blocking, state.name, want_protected)
        try:
            after = (await self.refresh()).get(state.name)
        except BridgeError:
            after = None
        if after == state:
            self.sessions.store(state, outcome, want_protected)
        return outcome

    async def _locate_cps(self, reader: str | None) -> ReaderState | None:
        """The reader *reader* means for a CPS (no APDU), or None when there is no reader or,
        unnamed, no CPS; a watcher that has not seen the card yet is not the last word."""
        try:
            return (await self._locate(reader, "cps"))[1]
        except (NoCardError, NoReaderError):
            return None

    async def cps_reader(self, reader: str | None = None) -> str | None:
        """The reader holding the CPS now, or None: nothing is sent to the card."""
        state = await self._locate_cps(reader)
        return state.name if state is not None and choice.holds(state, "cps") else None

    async def cps_status(self, reader: str | None = None) -> CpsStatus:
        state = await self._locate_cps(reader)
        if state is None:
            return CpsStatus(present=False)
        if not choice.holds(state, "cps"):
            return CpsStatus(present=False, reader=state.name)
        async with self._lock(state.name):
            info, atr = await self._card_call(read_cps_blocking, state.name)
        return cps_result(state.name, info, atr)

"""CardService: readers, events and reads, the same whatever the driver.

It keeps a snapshot of the readers, updated by a watcher task that blocks (in a thread) in the
driver's ``wait_for_change`` and turns every difference into a notification
(``reader.added``, ``card.inserted``, ``card.removed``, ``reader.removed``). When PC/SC goes
away (pcscd restarted, service stopped) the readers are reported removed, and the watcher keeps
trying until it is back: the bridge never needs a restart.

Reads run in a thread (pyscard blocks), one at a time per reader: two clients asking for the
same card wait in turn instead of interleaving APDUs. The CPx rule lives here too, because it
depends on the other readers, not on the card being read.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from dataclasses import dataclass
from typing import Any, Literal

from bridge.cards import atr as atr_table
from bridge.cards import dates
from bridge.cards.connection import Driver, ProtectedDataReader, ReaderState, Snapshot
from bridge.cards.cps import CpsSession
from bridge.cards.models import (
    Availability,
    CardEvent,
    CpsStatus,
    Reader,
    Validity,
    VitaleRead,
)
from bridge.cards.vitale import VitaleClearData, VitaleSession, amo_from_protected
from bridge.errors import (
    CpsRequiredError,
    NoCardError,
    NoReaderError,
    OdError,
    OdNotFoundError,
    PcscUnavailableError,
    ReaderNotFoundError,
    TimeoutError_,
)
from bridge.od.models import OrganismeDestinataire

log = logging.getLogger("vitale_bridge.cards")

RequestedScope = Literal["auto", "clear", "full"]

#: Seconds the watcher blocks per wait (also the longest a stop may take).
WATCH_WAIT = 1.0
#: Seconds between attempts while PC/SC is unavailable.
RETRY_DELAY = 0.5
#: Seconds a read may take beyond its APDU time budget (connect, transaction) before TIMEOUT.
READ_GRACE = 5.0

REASON_CPS_ABSENT = (
    "No CPS (CPx) card is present, so only the data the carte Vitale gives in the clear was read. "
    "Insert a CPS card to read the AMO data."
)
REASON_NOT_REQUESTED = "Only the data the card gives in the clear was requested (scope 'clear')."
REASON_PROTECTED = (
    "The carte Vitale protects its AMO data (régime, caisse, centre, qualité, droits): it can only "
    "be read through the licensed SESAM-Vitale reading software, not over plain PC/SC. This read "
    "returns the identity data the card gives in the clear."
)


def reader_model(state: ReaderState) -> Reader:
    return Reader(
        name=state.name,
        card_present=state.card_present,
        card_type=atr_table.identify(state.atr) if state.atr else None,
        atr=state.atr.hex().upper() if state.atr else None,
    )


@dataclass
class _VitaleOutcome:
    clear: VitaleClearData
    atr: bytes
    protected: Any  # ProtectedVitaleData | None
    protected_readable: bool


class CardService:
    def __init__(self, bridge: Any, driver: Driver, *, read_timeout: float = 10.0) -> None:
        self.bridge = bridge
        self.driver = driver
        self.read_timeout = read_timeout
        self.snapshot: Snapshot = {}
        self.pcsc_available = True
        self._locks: dict[str, asyncio.Lock] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = threading.Event()
        self._stop_requested = asyncio.Event()
        self._changed = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self._stop_requested.clear()
        await asyncio.to_thread(self.driver.open)
        try:
            self.snapshot = await asyncio.to_thread(self.driver.readers)
        except PcscUnavailableError:
            self.pcsc_available = False
            log.info("PC/SC is not available; waiting for it")
        self._watcher = asyncio.create_task(self._watch(), name="card-watcher")

    async def stop(self) -> None:
        self._stopping.set()
        self._stop_requested.set()
        self.driver.cancel()
        if self._watcher is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._watcher), WATCH_WAIT + 1.0)
            except (TimeoutError, asyncio.CancelledError):
                self._watcher.cancel()
            except Exception as exc:  # noqa: BLE001 - stopping must go on
                log.debug("card watcher ended with %s", type(exc).__name__)
            self._watcher = None
        await asyncio.to_thread(self.driver.close)

    async def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                new = await asyncio.to_thread(self.driver.wait_for_change, self.snapshot, WATCH_WAIT)
                if not self.pcsc_available:
                    log.info("PC/SC is available again")
                self.pcsc_available = True
            except PcscUnavailableError:
                if self.pcsc_available:
                    log.warning("PC/SC became unavailable; readers reported removed until it is back")
                self.pcsc_available = False
                new = {}
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any driver hiccup
                log.warning("card watcher: %s", type(exc).__name__)
                new = self.snapshot
                await self._pause()
            if self._stopping.is_set():
                break
            await self._apply(new)
            if not self.pcsc_available:
                await self._pause()

    async def _pause(self) -> None:
        """Wait before retrying, but wake at once when the service stops."""
        try:
            await asyncio.wait_for(self._stop_requested.wait(), RETRY_DELAY)
        except TimeoutError:
            pass

    async def _apply(self, new: Snapshot) -> None:
        old, self.snapshot = self.snapshot, new
        events: list[tuple[str, CardEvent]] = []
        for name, state in old.items():
            now = new.get(name)
            if state.card_present and (now is None or now.atr != state.atr or now.generation != state.generation):
                events.append(("card.removed", self._event(state, with_card=True)))
            if now is None:
                events.append(("reader.removed", self._event(state, with_card=False)))
        for name, state in new.items():
            before = old.get(name)
            if before is None:
                events.append(("reader.added", self._event(state, with_card=False)))
            if state.card_present and (
                before is None or before.atr != state.atr or before.generation != state.generation
                or not before.card_present
            ):
                events.append(("card.inserted", self._event(state, with_card=True)))
        for event, params in events:
            log.info("%s: %s %s", event, params.reader, params.card_type or "")
            self._changed.set()
            publish = getattr(getattr(self.bridge, "events", None), "publish", None)
            if publish is not None:
                await publish(event, params)

    @staticmethod
    def _event(state: ReaderState, *, with_card: bool) -> CardEvent:
        if with_card and state.atr:
            return CardEvent(reader=state.name, card_type=atr_table.identify(state.atr), atr=state.atr.hex().upper())
        return CardEvent(reader=state.name)

    # --- readers ---------------------------------------------------------------------------

    async def refresh(self) -> Snapshot:
        """Ask the driver now (used when the snapshot cannot be trusted, e.g. PC/SC was down)."""
        try:
            snapshot = await asyncio.to_thread(self.driver.readers)
        except PcscUnavailableError:
            self.pcsc_available = False
            raise
        self.pcsc_available = True
        return snapshot

    def _watcher_snapshot_usable(self) -> bool:
        """Whether the watcher's snapshot may answer: the watcher runs, PC/SC was up at its last
        look and it has seen readers. A driver whose listing is free is always asked instead."""
        return not self.driver.fresh_listing and self.pcsc_available and bool(self.snapshot) and self._watcher is not None

    async def _current(self) -> Snapshot:
        return self.snapshot if self._watcher_snapshot_usable() else await self.refresh()

    async def readers(self) -> list[Reader]:
        snapshot = await self._current()
        return [reader_model(s) for s in sorted(snapshot.values(), key=lambda s: s.name)]

    async def refresh_readers(self) -> list[Reader]:
        """Like :meth:`readers`, asking the driver now rather than trusting the watcher."""
        snapshot = await self.refresh()
        return [reader_model(s) for s in sorted(snapshot.values(), key=lambda s: s.name)]

    async def wait_for_card(self, card_type: str | None = None, *, present: bool = True, timeout: float = 5.0) -> None:
        """Wait until the watcher has seen a card (of *card_type*) present, or none when not *present*."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            types = [atr_table.identify(s.atr) for s in self.snapshot.values() if s.atr]
            seen = (card_type in types) if card_type else bool(types)
            if seen == present:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"card {card_type or 'any'} not {'present' if present else 'gone'}")
            await asyncio.sleep(0.02)

    def cps_present(self, snapshot: Snapshot) -> bool:
        return any(atr_table.is_cps(atr_table.identify(s.atr)) for s in snapshot.values() if s.atr)

    @staticmethod
    def find_reader(snapshot: Snapshot, name: str, kind: Literal["vitale", "cps"] | None = None) -> ReaderState:
        """Exact name, or a unique case-insensitive part of it ("Vitale" for "Vitale 00 00").

        When the part names several readers (a reader with two slots: "Vitale 00 00" and
        "Vitale 00 01"), the only one holding a card (of the wanted kind) is taken.
        """
        if name in snapshot:
            return snapshot[name]
        matches = sorted((s for n, s in snapshot.items() if name.lower() in n.lower()), key=lambda s: s.name)
        if len(matches) > 1:
            test = {"vitale": atr_table.is_vitale, "cps": atr_table.is_cps}.get(kind or "", lambda _t: True)
            holding = [s for s in matches if s.atr and test(atr_table.identify(s.atr))]
            if len(holding) == 1:
                return holding[0]
        if len(matches) == 1:
            return matches[0]
        raise ReaderNotFoundError(
            ("Several readers match the requested name" if matches else "No reader has the requested name")
            + ". List readers with 'vitale-bridge readers' or readers.list.",
            readers=sorted(snapshot),
        )

    def _pick(self, snapshot: Snapshot, name: str | None, kind: Literal["vitale", "cps"]) -> ReaderState:
        if name:
            return self.find_reader(snapshot, name, kind)
        if not snapshot:
            raise NoReaderError()
        test = atr_table.is_vitale if kind == "vitale" else atr_table.is_cps
        for state in sorted(snapshot.values(), key=lambda s: s.name):
            if state.atr and test(atr_table.identify(state.atr)):
                return state
        if kind == "vitale":
            unknown = [s for s in snapshot.values() if s.atr and atr_table.identify(s.atr) == "unknown"]
            if len(unknown) == 1:
                return unknown[0]  # perhaps a Vitale with an ATR not in the table yet: try it
            raise NoCardError("No carte Vitale is inserted. Insert the patient's card and try again.")
        raise NoCardError("No CPS card is inserted.")

    async def _locate(
        self, reader: str | None, kind: Literal["vitale", "cps"], *, with_cps: bool = False
    ) -> tuple[Snapshot, ReaderState]:
        """The reader to use, and the snapshot it was found in.

        The watcher's snapshot answers first. It may lag a card inserted a moment ago, so when
        it says "not there" (no such reader or card, or no CPS when *with_cps* asks for one for
        the CPx rule) the driver is asked once more and its answer stands.
        """
        if self._watcher_snapshot_usable():
            snapshot = self.snapshot
            try:
                state = self._pick(snapshot, reader, kind)
                if not with_cps or self.cps_present(snapshot):
                    return snapshot, state
            except (NoCardError, NoReaderError, ReaderNotFoundError):
                pass
        snapshot = await self.refresh()
        return snapshot, self._pick(snapshot, reader, kind)

    async def _in_thread(self, func: Any, *args: Any) -> Any:
        """Run a blocking read in a thread, with a deadline for the calls that may block
        without bound (another program holding a transaction, a reader that hangs).

        When the caller gives up (the deadline, or its client went away) the thread still holds
        the card's transaction: this waits for it to really finish before returning, so the
        reader's lock (held by the caller) is never released while a read is on the card. That
        wait is bounded too: a thread stuck in PC/SC for good must not hold the reader for ever
        (it runs on its own PC/SC context, so other reads are not blocked behind it).
        """
        budget = self.read_timeout + READ_GRACE
        work = asyncio.ensure_future(asyncio.to_thread(func, *args))
        try:
            async with asyncio.timeout(budget):
                return await asyncio.shield(work)
        except TimeoutError:
            await self._settle(work, budget)
            raise TimeoutError_(
                "The card reader did not answer in time (another program may be using the card). "
                "Close other card programs, remove and insert the card, and retry."
            ) from None
        except asyncio.CancelledError:
            await self._settle(work, budget)
            raise

    @staticmethod
    async def _settle(work: asyncio.Future[Any], budget: float) -> None:
        done, _ = await asyncio.wait([work], timeout=budget)
        if not done:
            log.warning("a card read is still blocked in PC/SC; releasing the reader anyway")
        elif not work.cancelled():
            work.exception()  # retrieved: its outcome no longer matters to anyone

    def _lock(self, reader: str) -> asyncio.Lock:
        return self._locks.setdefault(reader, asyncio.Lock())

    # --- reads -----------------------------------------------------------------------------

    async def card_status(self, reader: str | None = None) -> dict[str, Any]:
        snapshot = await self._current()
        states = [self.find_reader(snapshot, reader)] if reader else list(snapshot.values())
        readers = [reader_model(s) for s in sorted(states, key=lambda s: s.name)]
        vitale = next((r for r in readers if atr_table.is_vitale(r.card_type)), None)
        cps = next((r for r in readers if atr_table.is_cps(r.card_type)), None)
        return {
            "readers": readers,
            "vitale": vitale,
            "cps": cps,
            "cps_present": self.cps_present(snapshot),
        }

    def _read_vitale_blocking(self, reader: str, want_protected: bool) -> _VitaleOutcome:
        connection = self.driver.connect(reader)
        try:
            with connection.transaction():
                clear = VitaleSession(connection, timeout=self.read_timeout).read_clear()
                readable = isinstance(connection, ProtectedDataReader)
                protected = connection.read_protected() if want_protected and readable else None
            return _VitaleOutcome(clear, connection.atr, protected, readable)
        finally:
            connection.close()

    async def read_vitale(
        self, reader: str | None = None, scope: RequestedScope = "auto", resolve_od: bool = True
    ) -> VitaleRead:
        snapshot, state = await self._locate(reader, "vitale", with_cps=scope != "clear")
        cps = self.cps_present(snapshot)
        if scope == "full" and not cps:
            raise CpsRequiredError(reader=state.name)
        effective = "full" if scope == "full" or (scope == "auto" and cps) else "clear"
        async with self._lock(state.name):
            outcome = await self._in_thread(self._read_vitale_blocking, state.name, effective == "full")
        clear = outcome.clear
        beneficiaries = clear.beneficiaries
        amo = None
        validity, serial_number = clear.validity, None
        if effective == "full" and outcome.protected is not None:
            amo, beneficiaries = amo_from_protected(outcome.protected, beneficiaries)
            availability = Availability(scope="full", identity=True, amo=True)
            serial_number = outcome.protected.serial_number
            if outcome.protected.validity_end:
                raw_end = outcome.protected.validity_end
                validity = (validity or Validity()).model_copy(
                    update={"raw_end": raw_end, "end": dates.calendar_date(raw_end)}
                )
        elif effective == "full":
            availability = Availability(
                scope="full", identity=True, amo=False, reason=REASON_PROTECTED, reason_code="PROTECTED_BY_CARD"
            )
        elif scope == "auto":
            availability = Availability(
                scope="clear", identity=True, amo=False, reason=REASON_CPS_ABSENT, reason_code="CPS_ABSENT"
            )
        else:
            availability = Availability(
                scope="clear", identity=True, amo=False, reason=REASON_NOT_REQUESTED, reason_code="NOT_REQUESTED"
            )
        od, od_status = None, "no-amo"
        if amo is not None:
            od, od_status = await self._resolve_od(amo.regime, amo.caisse, amo.centre) if resolve_od else (None, "not-requested")
        log.info("vitale read on %s: %s, scope %s, amo %s", state.name, clear.card_type, availability.scope, availability.amo)
        return VitaleRead(
            reader=state.name,
            card_type=clear.card_type,
            atr=outcome.atr.hex().upper(),
            serial_number=serial_number,
            validity=validity,
            beneficiaries=beneficiaries,
            amo=amo,
            availability=availability,
            organisme_destinataire=od,
            od_status=od_status,
            unknown_tags=clear.unknown_tags,
        )

    async def _resolve_od(
        self, regime: str, caisse: str, centre: str
    ) -> tuple[OrganismeDestinataire | None, str]:
        """The OD from the OD store (``bridge.od``), if there is one; a miss never fails a read."""
        store = getattr(self.bridge, "od", None)
        resolve = getattr(store, "resolve", None)
        if resolve is None:
            return None, "unavailable"
        try:
            refresh = getattr(store, "refresh", None)
            if refresh is not None:
                refresh()  # a table imported by the CLI meanwhile is used by this read
            found = resolve(regime, caisse, centre)
            if inspect.isawaitable(found):
                found = await found
        except (OdNotFoundError, ValueError):  # ValueError: codes the table cannot hold
            return None, "not-found"
        except OdError as exc:
            log.warning("OD resolution failed: %s", exc.code)
            return None, "unavailable"
        if found is None:
            return None, "not-found"
        if hasattr(found, "model_dump"):
            found = found.model_dump(mode="json", by_alias=True)
        return OrganismeDestinataire.model_validate(found), "resolved"

    def _read_cps_blocking(self, reader: str) -> tuple[Any, bytes]:
        connection = self.driver.connect(reader)
        try:
            with connection.transaction():
                info = CpsSession(connection, timeout=self.read_timeout).read()
            return info, connection.atr
        finally:
            connection.close()

    async def cps_status(self, reader: str | None = None) -> CpsStatus:
        try:
            _snapshot, state = await self._locate(reader, "cps")
        except (NoCardError, NoReaderError):
            return CpsStatus(present=False)
        if not (state.atr and atr_table.is_cps(atr_table.identify(state.atr))):
            return CpsStatus(present=False, reader=state.name)
        async with self._lock(state.name):
            info, atr = await self._in_thread(self._read_cps_blocking, state.name)
        return CpsStatus(
            present=True,
            reader=state.name,
            card_type=info.card_type,
            atr=atr.hex().upper(),
            card_number=info.card_number,
            pin_tries_max=info.pin_tries_max,
            pin_tries_remaining=info.pin_tries_remaining,
        )

    async def wait_changed(self, timeout: float) -> bool:
        """For tests and the CLI: wait until the next reader/card event (or *timeout*)."""
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
            return True
        except TimeoutError:
            return False

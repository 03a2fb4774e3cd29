"""The snapshot of the readers, and the events its changes make.

A watcher task blocks (in a thread) in the driver's ``wait_for_change`` and turns every
difference between two snapshots into notifications (``reader.added``, ``card.inserted``,
``card.removed``, ``reader.removed``) handed to a publish function. When PC/SC goes away
(pcscd restarted, service stopped) the readers are reported removed, and the watcher keeps
trying until it is back: the bridge never needs a restart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from bridge.cards import atr as atr_table
from bridge.cards.connection import Driver, ReaderState, Snapshot
from bridge.cards.models import CardEvent
from bridge.errors import PcscUnavailableError

log = logging.getLogger("vitale_bridge.cards")

#: Where events go (``Bridge.events.publish``): event name and its params.
Publish = Callable[[str, CardEvent], Awaitable[object]]

#: Seconds the watcher blocks per wait (also the longest a stop may take).
WATCH_WAIT = 1.0
#: Seconds between attempts while PC/SC is unavailable.
RETRY_DELAY = 0.5


def same_card(a: ReaderState | None, b: ReaderState | None) -> bool:
    """Whether two looks at a reader see the same insertion of the same card.

    The generation (the reader's event counter) changes at every insertion and removal, so a
    card swapped for one with the same ATR between two looks is still a different card.
    """
    return a is not None and b is not None and a.card_present and b.card_present and (
        a.atr == b.atr and a.generation == b.generation
    )


def event(state: ReaderState, *, with_card: bool) -> CardEvent:
    if with_card and state.atr:
        return CardEvent(reader=state.name, card_type=atr_table.identify(state.atr), atr=state.atr.hex().upper())
    return CardEvent(reader=state.name)


def diff(old: Snapshot, new: Snapshot) -> list[tuple[str, CardEvent]]:
    """The notifications that take a client from *old* to *new*, removals first."""
    events: list[tuple[str, CardEvent]] = []
    for name, state in old.items():
        now = new.get(name)
        if state.card_present and not same_card(state, now):
            events.append(("card.removed", event(state, with_card=True)))
        if now is None:
            events.append(("reader.removed", event(state, with_card=False)))
    for name, state in new.items():
        before = old.get(name)
        if before is None:
            events.append(("reader.added", event(state, with_card=False)))
        if state.card_present and not same_card(before, state):
            events.append(("card.inserted", event(state, with_card=True)))
    return events


class Watcher:
    """Keeps :attr:`snapshot` current and publishes what changes."""

    def __init__(self, driver: Driver, publish: Publish | None = None) -> None:
        self.driver = driver
        self.publish = publish
        self.snapshot: Snapshot = {}
        self.pcsc_available = True
        #: Called with the new snapshot after each change (the card sessions end there).
        self.on_change: list[Callable[[Snapshot], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = threading.Event()
        self._stop_requested = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        self._stopping.clear()
        self._stop_requested.clear()
        try:
            self.snapshot = await asyncio.to_thread(self.driver.readers)
        except PcscUnavailableError:
            self.pcsc_available = False
            log.info("PC/SC is not available; waiting for it")
        self._task = asyncio.create_task(self._watch(), name="card-watcher")

    async def stop(self) -> None:
        self._stopping.set()
        self._stop_requested.set()
        self.driver.cancel()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), WATCH_WAIT + 1.0)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            except Exception as exc:  # noqa: BLE001 - stopping must go on
                log.debug("card watcher ended with %s", type(exc).__name__)
            self._task = None

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
        """Wait before retrying, but wake at once when the watcher stops."""
        try:
            await asyncio.wait_for(self._stop_requested.wait(), RETRY_DELAY)
        except TimeoutError:
            pass

    async def _apply(self, new: Snapshot) -> None:
        old, self.snapshot = self.snapshot, new
        events = diff(old, new)
        if events:
            for listener in self.on_change:
                listener(new)
        for name, params in events:
            log.info("%s: %s %s", name, params.reader, params.card_type or "")
            if self.publish is not None:
                await self.publish(name, params)

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

"""The read itself: one exclusive transaction on the card, in a thread, within a deadline.

pyscard blocks, so a read runs in a worker thread; the event loop keeps serving other clients.
What the card gave is assembled here into the wire models, with the availability that says
which parts were read and, in plain words, why the others were not (the CPx rule is decided by
the caller, which knows the other readers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from bridge.cards import dates
from bridge.cards.connection import Driver, ProtectedDataReader, ProtectedVitaleData
from bridge.cards.cps import CpsInfo, CpsSession
from bridge.cards.models import Availability, CpsStatus, Validity, VitaleRead
from bridge.cards.vitale import VitaleClearData, VitaleSession, amo_from_protected
from bridge.errors import (
    BridgeError,
    CardRemovedError,
    NoCardError,
    ReaderBusyError,
    ReaderNotFoundError,
    TimedOutError,
)

log = logging.getLogger("vitale_bridge.cards")

RequestedScope = Literal["auto", "clear", "full"]
T = TypeVar("T")

#: Seconds a read may take beyond its APDU time budget (connect, transaction) before TIMED_OUT.
READ_GRACE = 5.0
#: Seconds a read waits for a reader another program holds exclusively (READER_BUSY after).
#: Billing software holds the card for a short exchange; longer means a person must act.
BUSY_WAIT = 3.0
#: Seconds between two attempts on a busy reader.
BUSY_STEP = 0.1
#: New attempts after a passing fault (card reset, transaction dropped), and the pause before each.
TRANSIENT_RETRIES = 2
TRANSIENT_PAUSE = 0.05

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


@dataclass(frozen=True)
class VitaleOutcome:
    """What one transaction on a carte Vitale gave."""

    clear: VitaleClearData
    atr: bytes
    protected: ProtectedVitaleData | None


def read_vitale_blocking(driver: Driver, reader: str, want_protected: bool, timeout: float) -> VitaleOutcome:
    connection = driver.connect(reader)
    try:
        with connection.transaction():
            clear = VitaleSession(connection, timeout=timeout).read_clear()
            protected = None
            if want_protected and isinstance(connection, ProtectedDataReader):
                protected = connection.read_protected()
        return VitaleOutcome(clear, connection.atr, protected)
    finally:
        connection.close()


def read_cps_blocking(driver: Driver, reader: str, timeout: float) -> tuple[CpsInfo, bytes]:
    connection = driver.connect(reader)
    try:
        with connection.transaction():
            info = CpsSession(connection, timeout=timeout).read()
        return info, connection.atr
    finally:
        connection.close()


def vitale_result(
    reader: str,
    outcome: VitaleOutcome,
    requested: RequestedScope,
    effective: Literal["clear", "full"],
    *,
    from_cache: bool = False,
) -> VitaleRead:
    """The wire answer for *outcome*, read with *effective* scope because *requested* was asked."""
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
            scope="full", identity=True, amo=False, reason=REASON_PROTECTED, reason_code="protectedByCard"
        )
    elif requested == "auto":
        availability = Availability(
            scope="clear", identity=True, amo=False, reason=REASON_CPS_ABSENT, reason_code="cpsAbsent"
        )
    else:
        availability = Availability(
            scope="clear", identity=True, amo=False, reason=REASON_NOT_REQUESTED, reason_code="notRequested"
        )
    return VitaleRead(
        reader=reader,
        card_type=clear.card_type,
        atr=outcome.atr.hex().upper(),
        serial_number=serial_number,
        validity=validity,
        beneficiaries=beneficiaries,
        amo=amo,
        availability=availability,
        unknown_tags=clear.unknown_tags,
        from_cache=from_cache,
    )


def cps_result(reader: str, info: CpsInfo, atr: bytes) -> CpsStatus:
    return CpsStatus(
        present=True,
        reader=reader,
        card_type=info.card_type,
        atr=atr.hex().upper(),
        card_number=info.card_number,
        pin_tries_max=info.pin_tries_max,
        pin_tries_remaining=info.pin_tries_remaining,
    )


async def in_thread(func: Callable[..., T], *args: object, budget: float) -> T:
    """Run a blocking read in a thread, with a deadline for the calls that may block without
    bound (another program holding a transaction, a reader that hangs).

    When the caller gives up (the deadline, or its client went away) the thread still holds
    the card's transaction: this waits for it to really finish before returning, so the
    reader's lock (held by the caller) is never released while a read is on the card. That
    wait is bounded too: a thread stuck in PC/SC for good must not hold the reader for ever
    (it runs on its own PC/SC context, so other reads are not blocked behind it).
    """
    work = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        async with asyncio.timeout(budget):
            return await asyncio.shield(work)
    except TimeoutError:
        await _settle(work, budget)
        raise TimedOutError(
            "The card reader did not answer in time (another program may be using the card). "
            "Close other card programs, remove and insert the card, and retry."
        ) from None
    except asyncio.CancelledError:
        await _settle(work, budget)
        raise


async def _settle(work: asyncio.Future[Any], budget: float) -> None:
    done, _ = await asyncio.wait([work], timeout=budget)
    if not done:
        log.warning("a card read is still blocked in PC/SC; releasing the reader anyway")
    elif not work.cancelled():
        work.exception()  # retrieved: its outcome no longer matters to anyone


async def with_retries(attempt: Callable[[], Awaitable[T]], *, busy_wait: float = BUSY_WAIT) -> T:
    """Run *attempt* again while the reader is busy (up to *busy_wait* seconds) or after a
    passing fault (up to TRANSIENT_RETRIES times). A card that went away meanwhile is reported
    as removed: the read had started on it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + busy_wait
    faults = 0
    while True:
        try:
            return await attempt()
        except ReaderBusyError:
            if loop.time() + BUSY_STEP > deadline:
                raise
            await asyncio.sleep(BUSY_STEP)
        except (NoCardError, ReaderNotFoundError) as exc:
            if faults:
                raise CardRemovedError(**exc.details) from None
            raise
        except BridgeError as exc:
            if not exc.retryable or faults >= TRANSIENT_RETRIES:
                raise
            faults += 1
            log.info("card read: passing fault (%s), attempt %d", exc.details.get("pcsc", exc.code), faults + 1)
            await asyncio.sleep(TRANSIENT_PAUSE)

"""Card methods: ``readers.list``, ``card.status``, ``vitale.read``, ``cps.status``.

``register`` picks the driver from the settings (``pcsc`` or ``simulator``), gives a
:class:`~bridge.cards.service.CardService` that driver and the bridge's event publisher,
attaches it as ``bridge.cards`` and starts it with the bridge. With the simulator,
``simulator.insert`` / ``simulator.remove`` are added so a demo or an end-to-end test can put
cards in and pull them out.

The answer of ``vitale.read`` is assembled here: what the card gave, plus the organisme
destinataire resolved from the TOD table (``bridge.od``), which the card layer knows nothing of.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bridge.api.cps import CpsStatusResult, with_identity
from bridge.cards import models as card_models
from bridge.cards.models import Reader
from bridge.cards.readers import find_reader
from bridge.cards.reading import RequestedScope
from bridge.errors import (
    CardBusyError,
    CardCommunicationError,
    CardRemovedError,
    CpsRequiredError,
    ForbiddenError,
    NoCardError,
    NoReaderError,
    OdError,
    OdNotFoundError,
    PcscUnavailableError,
    ProfileNotFoundError,
    ReaderBusyError,
    ReaderNotFoundError,
    TimedOutError,
    UnsupportedCardError,
)
from bridge.od.models import OrganismeDestinataire
from bridge.wire import NoParams, WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context
    from bridge.cards.drivers.simulator import SimulatorDriver
    from bridge.cards.service import CardService

log = logging.getLogger("vitale_bridge.cards")

OdStatus = Literal["resolved", "notFound", "notRequested", "noAmo", "unavailable"]

ReaderName = Field(default=None, max_length=200, description="Reader name, or a unique part of it.")


class ReaderParams(WireModel):
    reader: str | None = ReaderName


class VitaleReadParams(WireModel):
    reader: str | None = ReaderName
    scope: Literal["auto", "clear", "full"] = Field(
        default="auto",
        description=(
            "auto: full when a CPS card is present, clear otherwise (the result's "
            "availability.scope says which); clear: identity data only; full: also the AMO "
            "data, which requires a CPS card (CPS_REQUIRED otherwise)."
        ),
    )
    resolve_od: bool = Field(default=True, description="Attach the organisme destinataire when AMO data was read.")
    cache: bool = Field(
        default=True,
        description=(
            "true: while the same card stays in its reader, a repeat read is answered from memory "
            "(the result says fromCache); false: read the card again."
        ),
    )


class VitaleRead(card_models.VitaleRead):
    """Result of ``vitale.read``: what the card gave, and the OD its AMO codes route to."""

    organisme_destinataire: OrganismeDestinataire | None = Field(
        default=None, description="The resolved OD, when AMO data was read and resolveOd was true."
    )
    od_status: OdStatus = Field(
        default="noAmo",
        description=(
            "resolved; notFound (no row for these codes in the TOD table); notRequested "
            "(resolveOd false); noAmo (no AMO data in this read); unavailable (no OD table loaded)."
        ),
    )


class CpsStatusParams(WireModel):
    reader: str | None = ReaderName
    identity: bool = Field(default=False, description="Also read the holder's identity (as cps.identity).")


class ReadersResult(WireModel):
    readers: list[Reader]
    driver: str = Field(examples=["pcsc", "simulator"])


class CardStatusResult(WireModel):
    readers: list[Reader]
    vitale: Reader | None = Field(default=None, description="The first reader holding a carte Vitale.")
    cps: Reader | None = Field(default=None, description="The first reader holding a CPS card.")
    cps_present: bool = Field(description="Whether vitale.read with scope auto would read the AMO data.")


class SimulatorInsertParams(WireModel):
    profile: str = Field(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="A shipped profile name.")
    reader: str | None = Field(default=None, max_length=200)


class SimulatorRemoveParams(WireModel):
    reader: str = Field(max_length=200)


class SimulatorResult(WireModel):
    reader: str


def _service(ctx: Context) -> CardService:
    return ctx.app.cards


def resolve_od(bridge: Bridge, amo: card_models.HolderAmo) -> tuple[OrganismeDestinataire | None, OdStatus]:
    """The OD of the card's codes from the TOD table; a miss never fails a read."""
    store = bridge.od
    if store is None:
        return None, "unavailable"
    try:
        store.refresh()  # a table imported by the CLI meanwhile is used by this read
        return store.resolve(amo.regime, amo.caisse, amo.centre), "resolved"
    except (OdNotFoundError, ValueError):  # ValueError: codes the table cannot hold
        return None, "notFound"
    except OdError as exc:
        log.warning("OD resolution failed: %s", exc.code)
        return None, "unavailable"


async def read_vitale(
    bridge: Bridge, reader: str | None = None, scope: RequestedScope = "auto", resolve: bool = True,
    *, cache: bool = True,
) -> VitaleRead:
    """``vitale.read`` for in-process callers (the CLI, the demo): the card's data and its OD."""
    card = await bridge.cards.read_vitale(reader, scope, cache=cache)
    od: OrganismeDestinataire | None = None
    status: OdStatus = "noAmo"
    if card.amo is not None:
        od, status = resolve_od(bridge, card.amo) if resolve else (None, "notRequested")
    return VitaleRead(**dict(card), organisme_destinataire=od, od_status=status)


async def readers_list(params: NoParams, ctx: Context) -> ReadersResult:
    """The connected readers, each with card presence, the identified card type and the ATR."""
    service = _service(ctx)
    return ReadersResult(readers=await service.readers(), driver=service.driver.name)


async def card_status(params: ReaderParams, ctx: Context) -> CardStatusResult:
    """Which cards are inserted where (no APDU sent): the Vitale reader, the CPS reader."""
    status = await _service(ctx).card_status(params.reader)
    return CardStatusResult(**status)


async def vitale_read(params: VitaleReadParams, ctx: Context) -> VitaleRead:
    """Read the carte Vitale: bénéficiaires, NIRs, and the AMO data when a CPS allows it.

    The result's ``availability`` says which parts were read and, in plain words, why the
    others were not. An OD that is not in the table does not fail the read (odStatus).
    """
    return await read_vitale(ctx.app, params.reader, params.scope, params.resolve_od, cache=params.cache)


async def cps_status(params: CpsStatusParams, ctx: Context) -> CpsStatusResult:
    """Whether a CPS card is present, its type, card number and PIN tries left (never a PIN);
    with ``identity: true``, also its holder (cps.identity) or why not (identityError)."""
    status = await _service(ctx).cps_status(params.reader)
    if params.identity:
        return await with_identity(ctx, status)
    return CpsStatusResult(**dict(status))


async def simulator_insert(params: SimulatorInsertParams, ctx: Context) -> SimulatorResult:
    """Simulator only: insert the card of a shipped profile (into its default reader)."""
    from bridge.profiles import shipped_names

    if params.profile not in shipped_names():  # never a file path from the wire
        raise ProfileNotFoundError()
    reader = _simulator(ctx).insert(params.profile, params.reader)
    return SimulatorResult(reader=reader)


async def simulator_remove(params: SimulatorRemoveParams, ctx: Context) -> SimulatorResult:
    """Simulator only: pull the card out of a reader."""
    state = find_reader(await _service(ctx).refresh(), params.reader)
    _simulator(ctx).remove(state.name)
    return SimulatorResult(reader=state.name)


READ_ERRORS = (
    NoReaderError,
    ReaderBusyError,
    ReaderNotFoundError,
    PcscUnavailableError,
    NoCardError,
    CardRemovedError,
    UnsupportedCardError,
    CardCommunicationError,
    CardBusyError,
    TimedOutError,
)


def _simulator(ctx: Context) -> SimulatorDriver:
    """The simulator driver (these methods are registered only with it)."""
    from bridge.cards.drivers.simulator import SimulatorDriver

    driver = ctx.app.cards.driver
    if not isinstance(driver, SimulatorDriver):  # registered only with it: a programming error
        raise TypeError(f"simulator methods need the simulator driver, not {type(driver).__name__}")
    return driver


def register(bridge: Bridge) -> None:
    from bridge.cards.drivers import create
    from bridge.cards.service import CardService

    driver = create(bridge.settings.driver, list(bridge.settings.profiles))
    service = CardService(driver, bridge.events.publish)
    bridge.cards = service
    bridge.add_service(service)
    d = bridge.dispatcher
    d.add("readers.list", readers_list, errors=(PcscUnavailableError,))
    d.add("card.status", card_status, errors=(PcscUnavailableError, ReaderNotFoundError))
    d.add("vitale.read", vitale_read, errors=(*READ_ERRORS, CpsRequiredError), personal=True)
    d.add("cps.status", cps_status, errors=READ_ERRORS, personal=True)
    if driver.name == "simulator":
        d.add("simulator.insert", simulator_insert, errors=(ProfileNotFoundError, ForbiddenError), token_only=True)
        d.add("simulator.remove", simulator_remove, errors=(ReaderNotFoundError, ForbiddenError), token_only=True)

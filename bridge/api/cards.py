"""Card methods: ``readers.list``, ``card.status``, ``vitale.read``, ``cps.status``.

``register`` picks the driver from the settings (``pcsc`` or ``simulator``), attaches the
:class:`~bridge.cards.service.CardService` as ``bridge.cards`` and starts it with the bridge.
With the simulator, ``simulator.insert`` / ``simulator.remove`` are added so a demo or an
end-to-end test can put cards in and pull them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bridge.cards.models import CpsStatus, Reader, VitaleRead
from bridge.errors import (
    CardBusyError,
    CardCommunicationError,
    CardRemovedError,
    CpsRequiredError,
    ForbiddenError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    ProfileNotFoundError,
    ReaderNotFoundError,
    TimeoutError_,
    UnsupportedCardError,
)
from bridge.rpc import CallContext
from bridge.wire import NoParams, WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge
    from bridge.cards.service import CardService

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


def _service(ctx: CallContext) -> CardService:
    return ctx.app.cards


async def readers_list(params: NoParams, ctx: CallContext) -> ReadersResult:
    """The connected readers, each with card presence, the identified card type and the ATR."""
    service = _service(ctx)
    return ReadersResult(readers=await service.readers(), driver=service.driver.name)


async def card_status(params: ReaderParams, ctx: CallContext) -> CardStatusResult:
    """Which cards are inserted where (no APDU sent): the Vitale reader, the CPS reader."""
    status = await _service(ctx).card_status(params.reader)
    return CardStatusResult(**status)


async def vitale_read(params: VitaleReadParams, ctx: CallContext) -> VitaleRead:
    """Read the carte Vitale: bénéficiaires, NIRs, and the AMO data when a CPS allows it.

    The result's ``availability`` says which parts were read and, in plain words, why the
    others were not. An OD that is not in the table does not fail the read (odStatus).
    """
    return await _service(ctx).read_vitale(params.reader, params.scope, params.resolve_od)


async def cps_status(params: ReaderParams, ctx: CallContext) -> CpsStatus:
    """Whether a CPS card is present, its type, card number and PIN tries left (never a PIN)."""
    return await _service(ctx).cps_status(params.reader)


async def simulator_insert(params: SimulatorInsertParams, ctx: CallContext) -> SimulatorResult:
    """Simulator only: insert the card of a shipped profile (into its default reader)."""
    from bridge.profiles import shipped_names

    if params.profile not in shipped_names():  # never a file path from the wire
        raise ProfileNotFoundError()
    reader = _service(ctx).driver.insert(params.profile, params.reader)
    return SimulatorResult(reader=reader)


async def simulator_remove(params: SimulatorRemoveParams, ctx: CallContext) -> SimulatorResult:
    """Simulator only: pull the card out of a reader."""
    service = _service(ctx)
    state = service.find_reader(await service.refresh(), params.reader)
    service.driver.remove(state.name)
    return SimulatorResult(reader=state.name)


READ_ERRORS = (
    NoReaderError,
    ReaderNotFoundError,
    PcscUnavailableError,
    NoCardError,
    CardRemovedError,
    UnsupportedCardError,
    CardCommunicationError,
    CardBusyError,
    TimeoutError_,
)


def register(bridge: Bridge) -> None:
    from bridge.cards.drivers import create
    from bridge.cards.service import CardService

    driver = create(bridge.settings.driver, list(bridge.settings.profiles))
    service = CardService(bridge, driver)
    bridge.cards = service  # type: ignore[attr-defined]
    bridge.add_service(service)
    d = bridge.dispatcher
    d.add("readers.list", readers_list, errors=(PcscUnavailableError,))
    d.add("card.status", card_status, errors=(PcscUnavailableError, ReaderNotFoundError))
    d.add("vitale.read", vitale_read, errors=(*READ_ERRORS, CpsRequiredError), personal=True)
    d.add("cps.status", cps_status, errors=READ_ERRORS, personal=True)
    if driver.name == "simulator":
        d.add("simulator.insert", simulator_insert, errors=(ProfileNotFoundError, ForbiddenError), token_only=True)
        d.add("simulator.remove", simulator_remove, errors=(ReaderNotFoundError, ForbiddenError), token_only=True)

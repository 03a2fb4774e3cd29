"""``od.resolve``, ``od.search``, ``od.info``, ``od.regimes``, ``od.rollback``: the TOD table.

``register`` attaches the user's :class:`~bridge.od.store.OdStore` to the bridge as
``bridge.od`` (other modules, e.g. ``vitale.read``, resolve through it in-process) and as a
service, whose watcher picks up tables imported by the CLI in another process and publishes
``od.tableChanged``. Codes are validated in the params models, so a malformed code is a
JSON-RPC -32602 (invalid params) before any look-up.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field

from bridge.errors import ForbiddenError, OdNotFoundError, OdTableInvalidError
from bridge.od.codes import normalize
from bridge.od.models import OdInfo, OdRegimes, OdSearchResult, OdTableChanged, OrganismeDestinataire
from bridge.od.search import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH
from bridge.od.store import OdStore
from bridge.wire import NoParams, WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context


def _code(name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: normalize(name, value))


Regime = Annotated[
    str, _code("regime"),
    Field(description="Code régime, 2 digits (a shorter number is padded: 1 -> 01).", examples=["01"]),
]
Caisse = Annotated[str, _code("caisse"), Field(description="Caisse gestionnaire, 3 digits.", examples=["751"])]
Centre = Annotated[str, _code("centre"), Field(description="Centre gestionnaire, 4 digits.", examples=["0601"])]


class OdResolveParams(WireModel):
    regime: Regime
    caisse: Caisse
    centre: Centre


class OdSearchParams(WireModel):
    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description="Words of a libellé or commune, a usual name (MSA, CPAM, CNMSS ...), a postal "
        "code, 2A/2B, an OD code, or a code prefix such as '01 751' or '99/751/06'. Accents and "
        "case are ignored.",
        examples=["mgen tarn"],
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _store(ctx: Context) -> OdStore:
    store = ctx.app.od
    if store is None:  # the od.* methods are registered with the store: a programming error
        raise RuntimeError("the OD store is not attached to this bridge")
    store.refresh()  # one stat: a table imported by the CLI is seen by the next request
    return store


async def resolve(params: OdResolveParams, ctx: Context) -> OrganismeDestinataire:
    """The Organisme Destinataire of a (régime, caisse, centre), as the TOD table routes it.

    The row of that very centre if the table has one (``matched: "exact"``), else the
    caisse's centre 0000 row (``matched: "centreWildcard"``); OD_NOT_FOUND otherwise.
    """
    return _store(ctx).resolve(params.regime, params.caisse, params.centre)


async def search(params: OdSearchParams, ctx: Context) -> OdSearchResult:
    """Find organismes by libellé, commune, usual name, postal code or code (ranked, limited).

    Each hit says what matched (``matchedOn``, ``usualName``); its ``organisme.matched`` is
    null, since a search resolves nothing. Cheap and bounded (see docs/od-table.md, "Cost"):
    answered inline, it cannot stall the event loop for long.
    """
    return _store(ctx).search(params.query, params.limit)


async def info(params: NoParams, ctx: Context) -> OdInfo:
    """Version, provenance and size of the active table, and whether it can be rolled back."""
    return _store(ctx).info()


async def regimes(params: NoParams, ctx: Context) -> OdRegimes:
    """The régimes known to the active table, with their names and row counts."""
    return _store(ctx).regimes()


async def rollback(params: NoParams, ctx: Context) -> OdInfo:
    """Make the previous table active again (local clients with the token only, not web pages)."""
    if ctx.session.peer.authenticated_by not in ("token", "local"):
        raise ForbiddenError(
            "Only local programs holding the bridge token may change the OD table; "
            "use 'vitale-bridge od rollback'.",
            method="od.rollback",
        )
    store = _store(ctx)
    return await asyncio.to_thread(store.rollback)


def register(bridge: Bridge) -> None:
    store = OdStore(bridge.settings.paths)
    bridge.od = store
    bridge.add_service(store)
    pending: set[asyncio.Task[Any]] = set()

    def announce(event: OdTableChanged) -> None:
        def publish() -> None:
            task = asyncio.ensure_future(bridge.events.publish("od.tableChanged", event))
            pending.add(task)
            task.add_done_callback(pending.discard)

        try:
            asyncio.get_running_loop()
        except RuntimeError:  # swapped from a worker thread: hand over to the bridge's loop
            if store.loop is not None and not store.loop.is_closed():
                store.loop.call_soon_threadsafe(publish)
            return
        publish()

    store.on_change(announce)
    d = bridge.dispatcher
    # Quick: in-memory look-ups (plus one stat), answered inline by the transports.
    d.add("od.resolve", resolve, errors=(OdNotFoundError,), quick=True)
    d.add("od.search", search, quick=True)
    d.add("od.info", info, quick=True)
    d.add("od.regimes", regimes, quick=True)
    d.add("od.rollback", rollback, errors=(OdTableInvalidError, ForbiddenError))

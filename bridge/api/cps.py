"""``cps.identity``: who holds the CPS, from its certificate, through PKCS#11 and without a PIN.

``register`` attaches a :class:`CpsIdentityService` as ``bridge.cps_identity``. The PKCS#11
module is chosen on the first call (``Settings.pkcs11_module``, then ``pkcs11Module`` in the
system configuration, then the documented install locations: :mod:`bridge.cards.pkcs11`)
and stays loaded, so only the first read pays ``C_Initialize``. The answer is personal data
(``x-personalData``): the extension hands it only to allowed origins, and nothing of it is
logged at the default level.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bridge.cards.cps_identity import CpsIdentity, CpsToken, choose_identity, match_token
from bridge.cards.models import CpsStatus
from bridge.cards.pkcs11 import Pkcs11Module, choose_module
from bridge.errors import (
    BridgeError,
    CardCommunicationError,
    CardRemovedError,
    NoCertificateError,
    NoTokenError,
    PcscUnavailableError,
    Pkcs11UnavailableError,
    ReaderNotFoundError,
    SetupError,
    TimedOutError,
)
from bridge.wire import WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context

log = logging.getLogger("vitale_bridge.cards")

#: Seconds one PKCS#11 step may take (the Cryptolib reads the card: about a second).
PKCS11_TIMEOUT = 20.0


class CpsIdentityParams(WireModel):
    reader: str | None = Field(
        default=None, max_length=200, description="The CPS's reader (name or a unique part of it); default: the CPS present."
    )


class IdentityError(WireModel):
    """Why ``identity`` is null in a ``cps.status`` that asked for it."""

    code: str = Field(examples=["PKCS11_UNAVAILABLE", "NO_TOKEN", "NO_CERTIFICATE"])
    message: str


class CpsStatusResult(CpsStatus):
    """Result of ``cps.status``; ``identity`` only when the call asked for it (``identity: true``)."""

    identity: CpsIdentity | None = Field(default=None, description="The holder (as cps.identity), when asked.")
    identity_error: IdentityError | None = Field(
        default=None, description="When the identity was asked but could not be read: the error cps.identity gives."
    )


class CpsIdentityService:
    """The loaded PKCS#11 module and the reads through it."""

    def __init__(self, bridge: Any) -> None:
        self.bridge = bridge
        self.module: Pkcs11Module | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        if self.module is not None:
            await asyncio.to_thread(self.module.close)
            self.module = None

    def _module(self) -> Pkcs11Module:
        if self.module is None:
            from bridge.sysconfig import load_system_config

            explicit = getattr(self.bridge.settings, "pkcs11_module", None)
            try:
                system = None if explicit else load_system_config().pkcs11_module
            except SetupError as exc:
                raise Pkcs11UnavailableError(str(exc)) from None
            self.module = Pkcs11Module(choose_module(explicit, system))
        return self.module

    async def _blocking(self, func: Any, *args: Any) -> Any:
        try:
            async with asyncio.timeout(PKCS11_TIMEOUT):
                return await asyncio.to_thread(func, *args)
        except TimeoutError:
            raise TimedOutError(
                "The PKCS#11 module did not answer in time. Remove the CPS card, insert it again and retry."
            ) from None

    async def _cps_reader(self, reader: str | None) -> str | None:
        """The PC/SC reader holding the CPS (no APDU), or None when PC/SC shows none: a
        software token, or a module that reaches the card another way."""
        cards = getattr(self.bridge, "cards", None)
        if cards is None:
            return None
        try:
            name: str | None = await cards.cps_reader(reader)
        except PcscUnavailableError:
            return None
        return name

    async def identity(self, reader: str | None = None, status: CpsStatus | None = None) -> CpsIdentity:
        module = self._module()
        cps_reader = status.reader if status is not None and status.present else await self._cps_reader(reader)
        tokens, found, certificates = await self._blocking(module.read, lambda t: match_token(t, cps_reader))
        if not tokens:
            raise NoTokenError(module=module.path)
        if found is None and cps_reader is not None:
            known = status if status is not None and status.present else await self.bridge.cards.cps_status(cps_reader)
            number = known.card_number
            tokens, found, certificates = await self._blocking(module.read, lambda t: match_token(t, cps_reader, number))
        if found is None:
            raise NoTokenError(
                "The PKCS#11 module shows several cards and none could be tied to the CPS reader. "
                "Leave only the CPS card inserted, or name its reader, and retry.",
                tokens=len(tokens), module=module.path,
            )
        token, how = found
        tied = cps_reader if how != "singleToken" or token.hardware_slot else None
        result = choose_identity(
            certificates,
            CpsToken(
                module=module.path, slot_description=token.slot_description, label=token.label,
                serial_number=token.serial, match=how,
            ),
            tied,
        )
        log.info(
            "cps identity read (slot %s, %s, type %s%s)",
            token.slot_id, how, result.type_identifiant or "unknown", ", expired" if result.expired else "",
        )
        return result


IDENTITY_ERRORS = (
    Pkcs11UnavailableError,
    NoTokenError,
    NoCertificateError,
    ReaderNotFoundError,
    CardRemovedError,
    CardCommunicationError,
    TimedOutError,
)


async def with_identity(ctx: Context, status: CpsStatus) -> CpsStatusResult:
    """``cps.status`` with ``identity: true``: the status, plus the holder or why not."""
    try:
        identity = await ctx.app.cps_identity.identity(status.reader, status)
    except BridgeError as exc:
        return CpsStatusResult(**dict(status), identity_error=IdentityError(code=exc.code, message=exc.message))
    return CpsStatusResult(**dict(status), identity=identity)


async def cps_identity(params: CpsIdentityParams, ctx: Context) -> CpsIdentity:
    """The CPS holder from the card's certificate: national identifier (RPPS, ADELI...), nom,
    prénom, profession, validity and issuer. Read-only PKCS#11 session: no PIN, no login."""
    return await ctx.app.cps_identity.identity(params.reader)


def register(bridge: Bridge) -> None:
    service = CpsIdentityService(bridge)
    bridge.cps_identity = service
    bridge.add_service(service)
    bridge.dispatcher.add("cps.identity", cps_identity, errors=IDENTITY_ERRORS, personal=True)

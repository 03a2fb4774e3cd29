"""The application: one instance of the bridge's services behind one dispatcher.

Transports (WebSocket, Native Messaging, in-process tests) all go through :class:`Bridge`:
``open_session`` when a client connects, ``handle`` for each incoming message,
``close_session`` when it goes. The services (OD table, card access) are created and attached
by the API modules in :mod:`bridge.api`; their types are declared here so that handlers, which
get a :data:`Context`, see ``ctx.app.cards`` and ``ctx.app.od`` typed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from bridge.rpc import CallContext, Dispatcher, Peer, Session
from bridge.rpc.protocol import encode_response
from bridge.rpc.session import Send
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.api.cps import CpsIdentityService
    from bridge.api.system import SystemState
    from bridge.cards.service import CardService
    from bridge.od.store import OdStore

log = logging.getLogger("vitale_bridge")


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class EventHub:
    """Fan-out of server-to-client notifications to the sessions that subscribed."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    async def publish(self, event: str, params: Any = None) -> int:
        """Notify every subscribed session at once: a client slow to read (its socket buffer
        full) must not delay the others, nor the card watcher that publishes."""
        targets = [
            s for s in list(self._bridge.sessions) if event in s.subscriptions or "*" in s.subscriptions
        ]
        results = await asyncio.gather(*(s.notify(event, params) for s in targets), return_exceptions=True)
        for session, result in zip(targets, results, strict=False):
            if isinstance(result, Exception):  # one dead client must not stop the others
                log.debug("notification to session %s failed: %s", session.id, type(result).__name__)
        return sum(not isinstance(r, Exception) for r in results)


class Bridge:
    #: Card access, attached by :mod:`bridge.api.cards`.
    cards: CardService
    #: The TOD table, attached by :mod:`bridge.api.od` (None: no table, the OD is "unavailable").
    od: OdStore | None = None
    #: The CPS holder's identity through PKCS#11, attached by :mod:`bridge.api.cps`.
    cps_identity: CpsIdentityService
    #: The hello answers and pairing keys of the ``bridge.*`` methods, attached by :mod:`bridge.api.system`.
    system: SystemState

    def __init__(self, settings: Settings | None = None) -> None:
        from bridge import api

        self.settings = settings or Settings()
        self.dispatcher = Dispatcher(self)
        self.sessions: set[Session] = set()
        self.events = EventHub(self)
        self._services: list[Service] = []
        self._started = False
        api.register_all(self)

    def add_service(self, service: Service) -> None:
        self._services.append(service)

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        for service in self._services:
            await service.start()

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        for service in reversed(self._services):
            try:
                await service.stop()
            except Exception as exc:  # noqa: BLE001
                log.warning("stopping %s failed: %s", type(service).__name__, type(exc).__name__)

    async def __aenter__(self) -> Bridge:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- sessions ----------------------------------------------------------------------------

    def open_session(self, peer: Peer, send: Send | None = None) -> Session:
        session = Session(peer=peer, send=send)
        self.sessions.add(session)
        log.debug("session %s opened (%s)", session.id, peer.transport)
        return session

    async def close_session(self, session: Session) -> None:
        session.closed = True
        session.subscriptions.clear()
        self.sessions.discard(session)
        log.debug("session %s closed", session.id)

    async def handle(self, message: Any, session: Session) -> str | None:
        """One incoming message (raw text/bytes, or already decoded) in, the encoded response
        (or None) out."""
        response = await self.dispatcher.dispatch(message, session)
        if response is None:
            return None
        return encode_response(response)


#: What a method handler receives besides its params.
Context = CallContext[Bridge]

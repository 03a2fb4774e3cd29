"""Who is calling, and how to push notifications back to them.

A transport creates one :class:`Session` per connection (a WebSocket, or the native port) and
gives it a ``send`` coroutine that frames a JSON message on that connection. The core never
sees sockets: it only calls ``session.notify``.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from bridge.rpc.protocol import notification

Send = Callable[[dict[str, Any]], Awaitable[None]]

_ids = itertools.count(1)


@dataclass(frozen=True)
class Peer:
    """What the transport established about the client (never taken from the message)."""

    transport: str  # "websocket", "native", "inproc"
    origin: str | None = None  # browser Origin header, or the extension origin for native
    authenticated_by: str = "none"  # "origin", "token", "native-manifest", "local"


@dataclass(eq=False)
class Session:
    peer: Peer
    send: Send | None = None
    id: int = field(default_factory=lambda: next(_ids))
    #: Event names this session subscribed to (``events.subscribe``).
    subscriptions: set[str] = field(default_factory=set)
    #: Per-session scratch space for the API layer (e.g. negotiated client version).
    state: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    async def notify(self, method: str, params: BaseModel | dict[str, Any] | None = None) -> None:
        """Send a server-to-client notification; silently dropped once the session is closed."""
        if self.closed or self.send is None:
            return
        if isinstance(params, BaseModel):
            params = params.model_dump(mode="json", by_alias=True)
        await self.send(notification(method, params))

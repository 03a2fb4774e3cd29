"""How the requests of one connection are run: the policy every transport shares.

A quick method (no card, no disk) is answered inline, in arrival order, without a task. Any
other request runs in its own task, so a long card read never holds up the connection's other
requests; at most ``max_in_flight`` such tasks run at once. Past that, a request gets
TOO_MANY_REQUESTS at once (no queue that a client could grow without bound), and a
notification, which must never be answered, is dropped and logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bridge.errors import TooManyRequestsError
from bridge.rpc import Session, error_to_wire
from bridge.rpc.dispatcher import decode

if TYPE_CHECKING:
    from bridge.app import Bridge

log = logging.getLogger("vitale_bridge.transport")

Reply = Callable[[str], Awaitable[None]]


class RequestRunner:
    def __init__(self, bridge: Bridge, session: Session, reply: Reply, max_in_flight: int) -> None:
        self.bridge = bridge
        self.session = session
        self.reply = reply
        self.max_in_flight = max_in_flight
        self.in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, raw: str | bytes) -> None:
        """Take one incoming message; returns once it is answered or handed to a task."""
        try:
            message: Any = decode(raw)
        except (ValueError, RecursionError):
            message = raw  # the dispatcher answers with the parse error
        if self.bridge.dispatcher.is_quick(message):
            await self._process(message)
            return
        if len(self.in_flight) >= self.max_in_flight:
            if isinstance(message, dict) and "id" not in message:
                log.warning("dropped a notification over the in-flight limit")
            else:
                await self.reply(json.dumps(_busy(message)))
            return
        task = asyncio.create_task(self._process(message))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _process(self, message: Any) -> None:
        answer = await self.bridge.handle(message, self.session)
        if answer is not None:
            await self.reply(answer)

    async def drain(self, timeout: float) -> None:
        """Let the running requests finish (a port closing after its last request)."""
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=timeout)

    async def cancel(self) -> None:
        """Cancel what still runs (the client is gone) and wait for the cancellations."""
        tasks = list(self.in_flight)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _busy(request: Any) -> dict[str, Any]:
    id_ = request.get("id") if isinstance(request, dict) else None
    if not isinstance(id_, (str, int, float)) or isinstance(id_, bool):
        id_ = None
    return error_to_wire(id_, TooManyRequestsError())

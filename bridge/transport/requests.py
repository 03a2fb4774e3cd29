"""How the requests of one connection are run: the policy every transport shares.

A quick method (no card, no disk) is answered inline, in arrival order, without a task. Any
other request runs in its own task, so a long card read never holds up the connection's other
requests. At most ``max_in_flight`` calls of one connection are admitted at once, each member
of a batch counting as one call; past that, a request gets TOO_MANY_REQUESTS at once (no queue
that a client could grow without bound), and a notification, which must never be answered, is
dropped and logged (aggregated).

Fairness between connections: quick calls are CPU work on the one event loop. Each connection
runs one quick call at a time and yields to the loop before each, so a client flooding
worst-case batches delays another client's request by about one call per flooding
connection (benchmarks/bench_fairness.py). Replies are bounded (:data:`MAX_REPLY`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bridge.errors import ResultTooLargeError, TooManyRequestsError
from bridge.logs import Aggregated
from bridge.rpc import Session, error_to_wire
from bridge.rpc.dispatcher import MAX_BATCH, decode
from bridge.rpc.protocol import encode_response, is_valid_id

if TYPE_CHECKING:
    from bridge.app import Bridge

log = logging.getLogger("vitale_bridge.transport")
#: Dropped notifications are logged at most once a minute, with the count of the others.
dropped = Aggregated(log, "dropped")

#: Largest reply on any transport (bytes of UTF-8): what native messaging carries (1 MiB).
MAX_REPLY = 1024 * 1024

Reply = Callable[[str], Awaitable[None]]


class RequestRunner:
    def __init__(self, bridge: Bridge, session: Session, reply: Reply, max_in_flight: int) -> None:
        self.bridge = bridge
        self.session = session
        self.reply = reply
        self.max_in_flight = max_in_flight
        self.in_flight: set[asyncio.Task[None]] = set()
        #: Calls admitted and not yet answered: a batch member counts as one call.
        self.calls = 0
        #: One quick call of this connection at a time; between two, the event loop serves
        #: every other connection once (see :meth:`_quick`).
        self._turn = asyncio.Lock()

    async def submit(self, raw: str | bytes) -> None:
        """Take one incoming message; returns once it is answered or handed to a task.

        Then a turn of the event loop: a client whose messages are already buffered (a flood)
        gets one message handled per turn, like every other connection; yielding after, not
        before, adds nothing to the answer's latency."""
        try:
            await self._submit(raw)
        finally:
            await asyncio.sleep(0)

    async def _submit(self, raw: str | bytes) -> None:
        try:
            message: Any = decode(raw)
        except (ValueError, RecursionError):
            message = raw  # the dispatcher answers with the parse error
        if isinstance(message, list) and 0 < len(message) <= MAX_BATCH:
            await self._submit_batch(message)
            return
        if self.bridge.dispatcher.is_quick(message):
            async with self._turn:
                await self._process(message)
            return
        if self.calls >= self.max_in_flight:
            if isinstance(message, dict) and "id" not in message:
                dropped.warning("dropped a notification over the in-flight limit")
            else:
                await self._send(encode_response(_busy(message)))
            return
        self.calls += 1
        self._spawn(self._process(message), calls=1)

    def _spawn(self, work: Awaitable[None], *, calls: int) -> None:
        async def run() -> None:
            try:
                await work
            finally:
                self.calls -= calls

        task = asyncio.create_task(run())
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _quick(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run a quick batch member in this connection's turn, then let the loop serve
        everyone else that is ready, so a client sending CPU-heavy quick calls in batches
        delays another client's request by about one call per busy connection, not by all of
        its calls."""
        async with self._turn:
            try:
                return await work()
            finally:
                await asyncio.sleep(0)

    async def _submit_batch(self, batch: list[Any]) -> None:
        """Every member counts toward the in-flight limit; members past it get
        TOO_MANY_REQUESTS in the batch's answer (notifications past it are dropped)."""
        free = max(0, self.max_in_flight - self.calls)
        admitted, refused = batch[:free], batch[free:]
        busy = []
        for member in refused:
            if isinstance(member, dict) and "id" not in member:
                dropped.warning("dropped a notification over the in-flight limit")
            else:
                busy.append(_busy(member))
        if not admitted:
            await self._send(encode_response(busy))
            return
        self.calls += len(admitted)
        self._spawn(self._run_batch(admitted, busy), calls=0)

    async def _run_batch(self, members: list[Any], busy: list[dict[str, Any]]) -> None:
        """Members are encoded one by one as they finish (never one long encoding of the
        whole batch on the loop), and the reply stays within :data:`MAX_REPLY`: a member that
        would take it over gets RESULT_TOO_LARGE instead."""
        dispatcher = self.bridge.dispatcher
        slow: list[asyncio.Task[str | None]] = []
        parts: list[str | None] = []
        budget = [MAX_REPLY - 2 - len(busy) * 200]  # room for the brackets and the busy errors

        async def one(member: Any) -> str | None:
            try:
                answer = await dispatcher.dispatch_one(member, self.session)
            finally:
                self.calls -= 1
            return None if answer is None else _within(answer, budget)

        for member in members:
            if dispatcher.is_quick(member) or not isinstance(member, dict):
                parts.append(await self._quick(functools.partial(one, member)))
            else:  # card reads of one batch run concurrently, as separate requests would
                slow.append(asyncio.create_task(one(member)))
        try:
            parts.extend(await asyncio.gather(*slow))
        finally:
            for task in slow:
                task.cancel()
        texts = [t for t in parts if t is not None] + [encode_response(b) for b in busy]
        if texts:  # measured once more: the busy errors' room above is an estimate (long ids)
            await self._send("[" + ",".join(texts) + "]")

    async def _process(self, message: Any) -> None:
        answer = await self.bridge.handle(message, self.session)
        if answer is not None:
            await self._send(answer)

    async def _send(self, answer: str) -> None:
        """Every reply is bounded: one over :data:`MAX_REPLY` characters' worth of UTF-8 is
        replaced by RESULT_TOO_LARGE for the same ids (never truncated)."""
        await self.reply(fit_reply(answer, MAX_REPLY))

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


def fit_reply(text: str, limit: int) -> str:
    """*text*, or when its UTF-8 is over *limit* bytes a RESULT_TOO_LARGE error for each of
    its ids (a truncated JSON document would be worse than an error)."""
    if len(text) * 4 <= limit:  # cheap: no encoding when it cannot be over
        return text
    size = len(text.encode("utf-8"))
    if size <= limit:
        return text
    decoded = json.loads(text)
    error = ResultTooLargeError(
        f"The answer is {size} bytes, more than the {limit} bytes this channel carries. "
        "Ask for less data in one call.",
        size=size,
        limit=limit,
    )
    items = decoded if isinstance(decoded, list) else [decoded]
    replaced = [error_to_wire(item.get("id") if isinstance(item, dict) else None, error) for item in items]
    log.warning("an answer of %d bytes exceeded the limit of %d", size, limit)
    return encode_response(replaced if isinstance(decoded, list) else replaced[0])


def _within(answer: dict[str, Any], budget: list[int]) -> str:
    """*answer* encoded, or RESULT_TOO_LARGE for its id when it does not fit in what is left
    of the batch's reply (*budget*, in bytes, decreased by what is kept)."""
    text = encode_response(answer)
    size = len(text.encode("utf-8")) + 1
    if size > budget[0]:
        error = ResultTooLargeError(
            "The batch's answers together are larger than one reply may be. Ask for less data in one batch.",
            limit=MAX_REPLY,
        )
        text = encode_response(error_to_wire(answer.get("id"), error))
        size = len(text.encode("utf-8")) + 1
    budget[0] -= size
    return text


def _busy(request: Any) -> dict[str, Any]:
    id_ = request.get("id") if isinstance(request, dict) else None
    if not is_valid_id(id_):
        id_ = None
    return error_to_wire(id_, TooManyRequestsError())

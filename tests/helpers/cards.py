"""Helpers of the card tests: the test profiles, a session that records notifications, polling,
and an APDU log on a virtual card."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bridge.app import Bridge

PROFILES = Path(__file__).resolve().parents[1] / "cards" / "profiles"


def profile(name: str) -> str:
    return str(PROFILES / f"{name}.json")


class Recorder:
    """An in-process session that keeps the notifications it receives."""

    def __init__(self, bridge: Bridge) -> None:
        from bridge.rpc import Peer

        self.messages: list[dict] = []
        self.session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"), send=self._send)
        self.session.subscriptions.add("*")

    async def _send(self, message: dict) -> None:
        self.messages.append(message)

    def events(self) -> list[tuple[str, str | None]]:
        return [(m["method"], m["params"].get("cardType")) for m in self.messages]


async def until(condition, timeout: float = 5.0, step: float = 0.02) -> None:
    """Poll *condition* until it holds; fails the test after *timeout* seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


def apdu_log(card, method: str) -> list[str]:
    """Wrap the virtual card's *method* (``transmit``: the bench's and the simulator's cards are
    the same objects) so the returned list gets the hex of every APDU in the order the card receives them."""
    seen: list[str] = []
    original = getattr(card, method)

    def logged(raw):
        seen.append(raw.hex())
        return original(raw)

    setattr(card, method, logged)
    return seen

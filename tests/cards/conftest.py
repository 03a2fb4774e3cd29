"""Card tests: bridges on the in-process simulator unless a test uses the PC/SC bench."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_asyncio

from bridge.app import Bridge
from bridge.settings import Settings

PROFILES = Path(__file__).parent / "profiles"


def profile(name: str) -> str:
    return str(PROFILES / f"{name}.json")


@pytest.fixture
def settings(paths) -> Settings:
    """The WebSocket ``server`` fixture of tests/conftest.py, on the simulator with a family card."""
    return Settings(paths=paths, port=0, ipv6=False, driver="simulator", profiles=[profile("famille4")])


@pytest_asyncio.fixture
async def pcsc_bridge(vitale_readers, paths):
    """A started Bridge on the ``pcsc`` driver, beside the bench's pcscd and virtual cards."""
    from .pcsc_helpers import pcsc_settings

    b = Bridge(pcsc_settings(paths))
    async with b:
        yield b


@pytest_asyncio.fixture
async def bridge(paths):
    """A started Bridge on the simulator with no card inserted (tests insert what they need)."""
    b = Bridge(Settings(paths=paths, port=0, ipv6=False, driver="simulator"))
    async with b:
        yield b


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

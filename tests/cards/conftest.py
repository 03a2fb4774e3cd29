"""Card tests: bridges on the in-process simulator unless a test uses the PC/SC bench."""

from __future__ import annotations

import pytest
import pytest_asyncio

from bridge.app import Bridge
from bridge.settings import Settings
from tests.helpers.cards import profile


@pytest.fixture
def settings(paths) -> Settings:
    """The WebSocket ``server`` fixture of tests/conftest.py, on the simulator with a family card."""
    return Settings(paths=paths, port=0, ipv6=False, driver="simulator", profiles=[profile("famille4")])


@pytest_asyncio.fixture
async def pcsc_bridge(vitale_readers, paths):
    """A started Bridge on the ``pcsc`` driver, beside the bench's pcscd and virtual cards."""
    from tests.helpers.pcsc import pcsc_settings

    b = Bridge(pcsc_settings(paths))
    async with b:
        yield b


@pytest_asyncio.fixture
async def bridge(paths):
    """A started Bridge on the simulator with no card inserted (tests insert what they need)."""
    b = Bridge(Settings(paths=paths, port=0, ipv6=False, driver="simulator"))
    async with b:
        yield b

"""Shared fixtures: an isolated bridge home per test, and a running WebSocket server."""

from __future__ import annotations

import pytest
import pytest_asyncio

from bridge.app import Bridge
from bridge.settings import Paths, Settings, read_token


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private VITALE_BRIDGE_HOME so tests never touch the user's files or each other's."""
    path = tmp_path / "home"
    monkeypatch.setenv("VITALE_BRIDGE_HOME", str(path))
    return path


@pytest.fixture
def paths(home) -> Paths:
    return Paths.resolve(home)


@pytest.fixture
def settings(paths) -> Settings:
    # The simulator driver: these tests need no cards, and a PC/SC call here would pin this
    # process's libpcsclite to the system socket before the bench sets its private one.
    return Settings(paths=paths, port=0, ipv6=False, driver="simulator")


@pytest.fixture(scope="session")
def discover(tmp_path_factory):
    """The host's own description of its API (``rpc.discover``), with the simulator's methods."""
    from bridge.rpc.openrpc import document

    paths = Paths.resolve(tmp_path_factory.mktemp("discover-home"))
    return document(Bridge(Settings(paths=paths, port=0, ipv6=False, driver="simulator")).dispatcher)


@pytest_asyncio.fixture
async def server(settings):
    """A started Bridge behind a WebSocketServer on a free loopback port."""
    from bridge.transport.websocket import WebSocketServer

    bridge = Bridge(settings)
    ws = WebSocketServer(bridge)
    await bridge.start()
    await ws.start()
    ws.token = read_token(settings.paths) or ws.token
    try:
        yield ws
    finally:
        await ws.stop()
        await bridge.stop()


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", default=False, help="run the long soak/fuzz variants")

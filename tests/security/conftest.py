"""A real ``vitale-bridge serve --driver pcsc`` process beside the bench (see tests/helpers/servers.py)."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.helpers.servers import start_server, stop_server


@pytest.fixture
def served(vitale_readers, tmp_path):
    """``vitale-bridge serve --driver pcsc`` on a free port, on the bench's private pcscd."""
    home = tmp_path / "served-home"
    env = {**os.environ, **vitale_readers.env, "VITALE_BRIDGE_HOME": str(home)}
    env.pop("VITALE_BRIDGE_LOG_LEVEL", None)
    server = start_server(home, env)
    try:
        yield server
    finally:
        stop_server(server)


async def until(condition, timeout: float = 10.0, step: float = 0.05) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)

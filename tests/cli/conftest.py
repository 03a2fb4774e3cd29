"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest

from tests.helpers.servers import start_server, stop_server


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """A ``vitale-bridge serve`` process (simulator, family card) for the commands of one module."""
    home = tmp_path_factory.mktemp("cli") / "home"
    served = start_server(home, None, "--driver", "simulator", "--profile", "famille")
    yield served
    stop_server(served)

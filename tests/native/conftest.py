from __future__ import annotations

import pytest

from tests.helpers.hostproc import Host


@pytest.fixture
def spawn(home):
    """Start host processes in the test's private home; all are killed at the end."""
    hosts: list[Host] = []

    def start(*extra: str, browser_args: list[str] | None = None) -> Host:
        host = Host.python(home, *extra, browser_args=browser_args)
        hosts.append(host)
        return host

    yield start
    for h in hosts:
        h.kill()

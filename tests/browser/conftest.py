"""Real browsers with the real extension: fixtures shared by the browser tests.

- ``extension_build``: runs ``extension/build.py`` once (dist/chrome and dist/firefox).
- ``demo_server``: the demo EHR page on 127.0.0.1 (also reachable as http://localhost:PORT,
  a *different origin*, which the refusal tests use).
- ``native_host``: a launcher script and host manifest for ``python -m bridge native`` with
  the simulator driver, written where Chromium (``<user-data-dir>/NativeMessagingHosts/``)
  or Firefox (``$HOME/.mozilla/native-messaging-hosts/``) looks for them.
- ``ws_host``: ``vitale-bridge serve`` with the simulator on a free port, and a ``control``
  helper that inserts and removes simulated cards through its ``simulator.*`` methods.

Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .support import ARTIFACTS, CHROMIUM, EXTENSION, WsHost, _require


@pytest.fixture(scope="session")
def extension_build() -> dict[str, Path]:
    subprocess.run([sys.executable, str(EXTENSION / "build.py")], check=True, cwd=EXTENSION, capture_output=True)
    return {"chrome": EXTENSION / "dist" / "chrome", "firefox": EXTENSION / "dist" / "firefox"}


@pytest.fixture(scope="session")
def demo_server():
    from bridge.demo.server import start_demo_server

    server = start_demo_server(0)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def playwright():
    """Sync Playwright for one module only: it keeps an event loop running in this thread, which
    would break asyncio tests (ours in test_firefox.py, and other suites') if it outlived it."""
    _require(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def ws_host(tmp_path_factory):
    host = WsHost(tmp_path_factory.mktemp("ws-host-home"))
    try:
        yield host
    finally:
        host.close()

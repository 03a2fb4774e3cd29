"""Browser fixtures used by more than one test folder (tests/browser, tests/pkcs11): each folder's
conftest imports them, so test modules never import from a conftest file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.browser import ARTIFACTS, CHROMIUM, EXTENSION, _require


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

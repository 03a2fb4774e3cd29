"""firefox-esr + the extension (temporary install over WebDriver BiDi).

- Native messaging: the host manifest sits in a temporary HOME's
  ~/.mozilla/native-messaging-hosts/, allowed for our gecko id only; Firefox starts the
  simulator-backed host through it.
- WebSocket fallback: no native host; the host refuses Firefox's per-install moz-extension://
  origin until it is allowed with the command the options page shows.
"""

from __future__ import annotations

import json

import pytest

from bridge.identity import FIREFOX_ADDON_ID
from tests.support import free_port

from .support import FIREFOX, _require, write_native_host

pytestmark = pytest.mark.browser

READY = "document.body && document.body.dataset.ready"


@pytest.fixture
async def firefox(extension_build, tmp_path):
    _require(FIREFOX, "firefox-esr")
    from tests.browser.bidi import Firefox

    home = tmp_path / "home"
    write_native_host(home / ".mozilla" / "native-messaging-hosts", tmp_path / "host-home", firefox=True)
    (tmp_path / "profile").mkdir()
    browser = Firefox(FIREFOX, tmp_path / "profile", home, free_port(), tmp_path / "firefox.log")
    try:
        await browser.start()
        installed = await browser.command(
            "webExtension.install", {"extensionData": {"type": "path", "path": str(extension_build["firefox"])}}
        )
        assert installed["extension"] == FIREFOX_ADDON_ID
        yield browser
    finally:
        await browser.close()


async def test_firefox_demo_reads_through_native_messaging(firefox, demo_server):
    tab = (await firefox.contexts())[0]["context"]
    await firefox.command("browsingContext.navigate", {"context": tab, "url": demo_server.url, "wait": "complete"})

    consent = await firefox.wait_for_context("/src/consent/consent.html")
    origin = await firefox.wait_until(consent, READY, "document.getElementById('origin').textContent")
    assert origin == demo_server.url.rstrip("/")
    extension_base = await firefox.evaluate(consent, "location.origin")
    assert extension_base.startswith("moz-extension://")
    # BiDi may not navigate to extension pages: let an extension page open the popup and options.
    await firefox.evaluate(
        consent,
        "Promise.all([browser.tabs.create({url: '/src/popup/popup.html', active: false}),"
        " browser.tabs.create({url: '/src/options/options.html', active: false})]).then(() => true)",
    )
    await firefox.evaluate(consent, "document.querySelector('[data-testid=consent-always]').click(), true")

    state = await firefox.wait_until(tab, READY, "document.body.dataset.ready")
    assert state == "true", await firefox.evaluate(tab, "document.getElementById('error').textContent")
    assert await firefox.evaluate(tab, "document.querySelector('[data-testid=read]').click(), true")
    result = await firefox.wait_until(
        tab,
        "document.body.dataset.read",
        "[document.body.dataset.read, document.querySelector('[data-testid=nom]').value,"
        " document.querySelector('[data-testid=nir]').value, document.getElementById('od').textContent].join('|')",
        timeout_ms=15000,
    )
    read, nom, nir, od = result.split("|")
    assert (read, nom, nir) == ("done", "EXEMPLE", "1780369123456")
    assert "OD " in od

    # The popup says which channel carried it: native messaging, not the WebSocket.
    popup = await firefox.wait_for_context("/src/popup/popup.html")
    status = await firefox.wait_until(popup, READY, "document.getElementById('status-text').textContent")
    assert "messagerie native" in status

    # The options page shows the exact command that allows this install's origin on the WebSocket.
    options = await firefox.wait_for_context("/src/options/options.html")
    command = await firefox.wait_until(options, READY, "document.querySelector('[data-testid=ws-command]').textContent")
    assert command == f"vitale-bridge origins allow {extension_base}"


@pytest.fixture
async def firefox_without_native_host(extension_build, tmp_path):
    _require(FIREFOX, "firefox-esr")
    from .bidi import Firefox

    (tmp_path / "home").mkdir()
    (tmp_path / "profile").mkdir()
    browser = Firefox(FIREFOX, tmp_path / "profile", tmp_path / "home", free_port(), tmp_path / "firefox.log")
    try:
        await browser.start()
        await browser.command(
            "webExtension.install", {"extensionData": {"type": "path", "path": str(extension_build["firefox"])}}
        )
        yield browser
    finally:
        await browser.close()


async def test_firefox_websocket_fallback_after_allowing_its_origin(firefox_without_native_host, demo_server, ws_host):
    """Firefox's moz-extension:// origin differs per install: the host refuses it until the user
    runs the command the options page shows; then the WebSocket fallback carries the read."""
    firefox = firefox_without_native_host
    tab = (await firefox.contexts())[0]["context"]
    await firefox.command("browsingContext.navigate", {"context": tab, "url": demo_server.url, "wait": "complete"})
    consent = await firefox.wait_for_context("/src/consent/consent.html")
    await firefox.wait_until(consent, READY, "true")
    extension_origin = await firefox.evaluate(consent, "location.origin")
    ask = "(ui, params = {}) => browser.runtime.sendMessage({ui, params}).then((a) => JSON.stringify(a))"

    # WebSocket only, on the test host's port: refused while the origin is unknown to the host.
    await firefox.evaluate(
        consent, f"({ask})('ui.saveSettings', {{transport: 'websocket', port: {ws_host.port}, language: 'fr'}})"
    )
    state = json.loads(await firefox.evaluate(consent, f"({ask})('ui.reconnect')"))
    assert state["result"]["state"] == "unavailable"
    assert state["result"]["error"]["code"] == "HOST_MISSING"

    ws_host.cli("origins", "allow", extension_origin)
    state = json.loads(await firefox.evaluate(consent, f"({ask})('ui.reconnect')"))
    assert state["result"]["state"] == "ready" and state["result"]["transport"] == "websocket"

    await firefox.evaluate(consent, "document.querySelector('[data-testid=consent-always]').click(), true")
    assert await firefox.wait_until(tab, READY, "document.body.dataset.ready") == "true"
    await firefox.evaluate(tab, "document.querySelector('[data-testid=read]').click(), true")
    result = await firefox.wait_until(
        tab, "document.body.dataset.read",
        "document.body.dataset.read + '|' + document.querySelector('[data-testid=nom]').value", timeout_ms=15000,
    )
    assert result == "done|EXEMPLE"

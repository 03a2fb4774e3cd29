"""firefox-esr + the extension (temporary install over WebDriver BiDi).

- Native messaging: the host manifest sits in a temporary HOME's
  ~/.mozilla/native-messaging-hosts/, allowed for our gecko id only; Firefox starts the
  simulator-backed host through it.
- WebSocket fallback: no native host; the host refuses Firefox's per-install moz-extension://
  origin until it is allowed with the command the options page shows.
"""

from __future__ import annotations

import json
import re

import pytest

from bridge.identity import FIREFOX_ADDON_ID
from tests.helpers.browser import FIREFOX, _require, write_native_host
from tests.helpers.policy import firefox_policy
from tests.helpers.servers import free_port

pytestmark = pytest.mark.browser

READY = "document.body && document.body.dataset.ready"
# The consent buttons act only after their click-jacking delay (Timeouts.consentArm).
ARMED = "document.body && document.body.dataset.armed"


@pytest.fixture
async def firefox(extension_build, tmp_path):
    _require(FIREFOX, "firefox-esr")
    from tests.helpers.bidi import Firefox

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
    await firefox.wait_until(consent, ARMED, "true")
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

    # The popup's technical details say which channel carried it: native messaging.
    popup = await firefox.wait_for_context("/src/popup/popup.html")
    status = await firefox.wait_until(popup, READY, "document.getElementById('connection').textContent")
    assert "messagerie native" in status

    # The options page shows the exact command that allows this install's origin on the WebSocket.
    options = await firefox.wait_for_context("/src/options/options.html")
    command = await firefox.wait_until(options, READY, "document.querySelector('[data-testid=ws-command]').textContent")
    assert command == f"vitale-bridge origins allow {extension_base}"


@pytest.fixture
async def firefox_without_native_host(extension_build, tmp_path):
    _require(FIREFOX, "firefox-esr")
    from tests.helpers.bidi import Firefox

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
    ask = (
        "(action, params = {}) => browser.runtime.sendMessage({kind: 'ui', action, params})"
        ".then((a) => JSON.stringify(a))"
    )

    # WebSocket only, on the test host's port: refused while the origin is unknown to the host,
    # and said so (a running host that refuses us is not "missing").
    await firefox.evaluate(
        consent, f"({ask})('ui.saveSettings', {{transport: 'websocket', port: {ws_host.port}, language: 'fr'}})"
    )
    state = json.loads(await firefox.evaluate(consent, f"({ask})('ui.reconnect')"))
    assert state["result"]["state"] == "unavailable"
    assert state["result"]["error"]["code"] == "FORBIDDEN"
    assert state["result"]["error"]["details"]["reason"] == "refused"

    ws_host.cli("origins", "allow", extension_origin)
    state = json.loads(await firefox.evaluate(consent, f"({ask})('ui.reconnect')"))
    assert state["result"]["state"] == "pairingRequired"
    code = re.search(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){4}", ws_host.cli("pair"))
    assert code, "vitale-bridge pair printed no code"
    paired = json.loads(await firefox.evaluate(consent, f"({ask})('ui.savePairingCode', {{code: '{code.group(0)}'}})"))
    assert paired["result"]["state"] == "ready"
    state = json.loads(await firefox.evaluate(consent, f"({ask})('ui.state')"))
    assert state["result"]["state"] == "ready" and state["result"]["transport"] == "websocket"

    await firefox.wait_until(consent, ARMED, "true")
    await firefox.evaluate(consent, "document.querySelector('[data-testid=consent-always]').click(), true")
    assert await firefox.wait_until(tab, READY, "document.body.dataset.ready") == "true"
    await firefox.evaluate(tab, "document.querySelector('[data-testid=read]').click(), true")
    result = await firefox.wait_until(
        tab, "document.body.dataset.read",
        "document.body.dataset.read + '|' + document.querySelector('[data-testid=nom]').value", timeout_ms=15000,
    )
    assert result == "done|EXEMPLE"


@pytest.fixture
async def firefox_with_policy(extension_build, demo_server, tmp_path):
    """Firefox started with a policies.json pre-approving the demo's origin and blocking the
    same page on localhost (the file is removed once Firefox has read it: policy.py)."""
    _require(FIREFOX, "firefox-esr")
    from tests.helpers.bidi import Firefox

    approved, blocked = demo_server.url.rstrip("/"), f"http://localhost:{demo_server.port}"
    home = tmp_path / "home"
    write_native_host(home / ".mozilla" / "native-messaging-hosts", tmp_path / "host-home", firefox=True)
    (tmp_path / "profile").mkdir()
    browser = None
    try:
        with firefox_policy({"allowedOrigins": [approved], "blockedOrigins": [blocked]}) as remove_policy:
            browser = Firefox(FIREFOX, tmp_path / "profile", home, free_port(), tmp_path / "firefox.log")
            try:
                await browser.start()
            finally:
                remove_policy()  # read once at start-up: no other Firefox of the machine sees it
        await browser.command(
            "webExtension.install", {"extensionData": {"type": "path", "path": str(extension_build["firefox"])}}
        )
        yield browser, approved, blocked
    finally:
        if browser is not None:
            await browser.close()


async def test_firefox_policy_pre_approves_and_blocks_without_a_prompt(firefox_with_policy):
    firefox, approved, blocked = firefox_with_policy
    tab = (await firefox.contexts())[0]["context"]
    await firefox.command("browsingContext.navigate", {"context": tab, "url": approved + "/", "wait": "complete"})
    state = await firefox.wait_until(tab, READY, "document.body.dataset.ready", timeout_ms=15000)
    assert state == "true", await firefox.evaluate(tab, "document.getElementById('error').textContent")
    await firefox.evaluate(tab, "document.querySelector('[data-testid=read]').click(), true")
    result = await firefox.wait_until(
        tab, "document.body.dataset.read",
        "document.body.dataset.read + '|' + document.querySelector('[data-testid=nom]').value", timeout_ms=15000,
    )
    assert result == "done|EXEMPLE"

    await firefox.command("browsingContext.navigate", {"context": tab, "url": blocked + "/", "wait": "complete"})
    state = await firefox.wait_until(tab, READY, "document.body.dataset.ready", timeout_ms=15000)
    assert state == "error"
    assert await firefox.evaluate(tab, "document.querySelector('[data-testid=error]').dataset.code") == "ORIGIN_REFUSED"
    urls = [c["url"] for c in await firefox.contexts()]
    assert not any("consent.html" in u for u in urls), urls

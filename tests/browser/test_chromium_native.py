"""Chromium + the unpacked extension + the native messaging host (simulator driver).

One browser for the module; tests run in file order and build on each other (consent given in
one is revoked in a later one). The host is started by Chromium itself from the manifest in
the test's user-data-dir, as it would be on a practitioner's machine.
"""

from __future__ import annotations

import json
import re

import pytest

from bridge.identity import CHROME_EXTENSION_ID
from tests.helpers.browser import (
    RECORD_MESSAGES,
    answer_consent,
    launch_chromium,
    open_extension_page,
    open_with_consent,
    write_native_host,
)

pytestmark = pytest.mark.browser

# Personal data of the "famille" profile that must never reach a refused page.
SECRETS = ("EXEMPLE", "1780369123456", "PIERRE", "19780315")


@pytest.fixture(scope="module")
def browser(playwright, extension_build, tmp_path_factory):
    udd = tmp_path_factory.mktemp("chromium-native")
    write_native_host(udd / "NativeMessagingHosts", tmp_path_factory.mktemp("host-home"))
    ctx, ext_id = launch_chromium(
        playwright, udd, extension_build["chrome"], "--host-resolver-rules=MAP ehr.test 127.0.0.1"
    )
    try:
        yield ctx, ext_id
    finally:
        ctx.close()


def test_extension_id_is_the_fixed_one(browser):
    _, ext_id = browser
    assert ext_id == CHROME_EXTENSION_ID


def test_demo_reads_the_card_after_consent(browser, demo_server, artifacts):
    ctx, _ = browser
    page = ctx.new_page()
    consent = open_with_consent(ctx, page, demo_server.url, None)
    origin = demo_server.url.rstrip("/")
    assert consent.text_content("[data-testid=consent-origin]") == origin
    consent.screenshot(path=str(artifacts / "consent-chromium.png"))
    answer_consent(consent, "always")
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("[data-testid=bridge-status]", "data-state") == "ready"

    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]")
    assert page.input_value("[data-testid=nom]") == "EXEMPLE"
    assert page.input_value("[data-testid=prenom]") == "PIERRE"
    assert page.input_value("[data-testid=dateNaissance]") == "15/03/1978"
    assert page.input_value("[data-testid=nir]") == "1780369123456"
    assert page.input_value("[data-testid=cle]") == "61"
    # CPS present: AMO read, OD resolved from the embedded TOD table.
    assert page.input_value("[data-testid=regime]") == "01"
    assert re.search(r"OD \d{3}", page.text_content("[data-testid=od]"))
    radios = page.locator("[data-testid=beneficiary]")
    assert radios.count() == 4

    radios.nth(3).check()  # the second twin: rang de naissance 2
    assert page.input_value("[data-testid=prenom]") == "EMMA"
    assert page.input_value("[data-testid=rang]") == "2"
    page.screenshot(path=str(artifacts / "demo-chromium.png"), full_page=True)
    page.close()


def test_sdk_methods_through_the_real_chain(browser, demo_server):
    """Every SDK method from an allowed page, through the extension to the host and back."""
    ctx, _ = browser
    page = ctx.new_page()
    page.goto(demo_server.url)  # allowed "always" by the previous test
    page.wait_for_selector("body[data-ready=true]")
    out = page.evaluate(
        """async () => {
            const sdk = await import('/sdk/vitale-bridge.js');
            const bridge = await sdk.VitaleBridge.connect();
            const status = await bridge.status();
            const readers = await bridge.readers();
            const cps = await bridge.cpsStatus();
            const od = await bridge.resolveOd('01', '691', '6901');
            const found = await bridge.searchOd('lyon', { limit: 3 });
            const clear = await bridge.readVitale({ scope: 'clear' });
            const errors = {};
            for (const [name, call] of Object.entries({
                badCodes: () => bridge.resolveOd('1', '691', '6901'),
                badScope: () => bridge.readVitale({ scope: 'everything' }),
                unknownOd: () => bridge.resolveOd('01', '000', '0000'),
                // The extension's limit is the host's (rpc.discover): 100 passes, 101 does not.
                limitAbove: () => bridge.searchOd('lyon', { limit: 101 }),
            })) {
                try { await call(); errors[name] = 'no error'; }
                catch (e) { errors[name] = [e.code, e instanceof sdk.VitaleBridgeError]; }
            }
            const hundred = await bridge.searchOd('a', { limit: 100 });
            bridge.close();
            return { status, readers, cps, od, found, clear: clear.availability, amo: clear.amo, errors, hundred: hundred.results.length };
        }"""
    )
    assert out["status"]["state"] == "ready" and out["status"]["transport"] == "native"
    assert out["status"]["host"]["driver"] == "simulator"
    assert {r["cardType"] for r in out["readers"]["readers"]} == {"vitale2", "cps3"}
    assert out["cps"]["present"] is True and out["cps"]["cardType"] == "cps3"
    assert out["od"]["od"] == "691" and out["od"]["matched"] in ("exact", "centreWildcard")
    assert 1 <= len(out["found"]["results"]) <= 3
    assert out["clear"]["scope"] == "clear" and out["amo"] is None
    assert out["errors"]["badCodes"] == ["INVALID_REQUEST", True]
    assert out["errors"]["badScope"] == ["INVALID_REQUEST", True]
    assert out["errors"]["unknownOd"] == ["OD_NOT_FOUND", True]
    assert out["errors"]["limitAbove"] == ["INVALID_REQUEST", True]
    assert 50 < out["hundred"] <= 100
    page.close()


def test_popup_shows_bridge_readers_and_the_card(browser, artifacts):
    ctx, ext_id = browser
    popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 700))
    status = popup.text_content("[data-testid=status]")
    # The main view names no channel; the folded technical details do.
    assert "Prêt" in status and "messagerie" not in status.lower(), status
    assert "messagerie native" in popup.text_content("[data-testid=connection]")
    readers = popup.locator("[data-testid=reader]").all_text_contents()
    assert any("Carte Vitale" in r for r in readers) and any("Carte CPS" in r for r in readers)
    assert "Présente" in popup.text_content("[data-testid=cps]")

    popup.click("[data-testid=read]")
    popup.wait_for_selector("[data-testid=vitale-result]")
    assert popup.locator("[data-testid=beneficiary]").count() == 4
    assert "EXEMPLE PIERRE" in popup.text_content("[data-testid=vitale-result]")
    assert popup.locator("[data-testid=amo]").is_visible()
    assert popup.locator("[data-testid=od]").is_visible()
    popup.screenshot(path=str(artifacts / "popup-chromium.png"), full_page=True)
    popup.close()


def test_popup_in_english_when_chosen(browser, artifacts):
    ctx, ext_id = browser
    options = open_extension_page(ctx, ext_id, "options")
    options.select_option("[data-testid=language]", "en")
    options.click("[data-testid=save]")
    options.wait_for_selector("text=Allowed sites")
    popup = open_extension_page(ctx, ext_id, "popup")
    assert popup.text_content("[data-testid=read]") == "Read the carte Vitale"
    popup.wait_for_selector("text=Ready: vitale-bridge")
    popup.screenshot(path=str(artifacts / "popup-chromium-en.png"))
    options.select_option("[data-testid=language]", "fr")
    options.click("[data-testid=save]")
    options.wait_for_selector("text=Sites autorisés")
    popup.close()
    options.close()


def test_refused_origin_receives_no_data(browser, demo_server):
    ctx, _ = browser
    page = ctx.new_page()
    page.add_init_script(RECORD_MESSAGES)
    other = f"http://localhost:{demo_server.port}/"  # same server, another origin
    consent = open_with_consent(ctx, page, other, None)
    assert consent.text_content("[data-testid=consent-origin]") == other.rstrip("/")
    answer_consent(consent, "refuse")
    page.wait_for_selector("body[data-ready=error]")
    assert page.get_attribute("[data-testid=error]", "data-code") == "ORIGIN_REFUSED"

    # The page tries anyway, by hand: refused again, and without a new prompt.
    pages_before = len(ctx.pages)
    answer = page.evaluate(
        """() => new Promise((resolve) => {
            const id = 'manual-1';
            window.addEventListener('message', (e) => {
                if (e.data && e.data.kind === 'response' && e.data.id === id) resolve(e.data);
            });
            window.postMessage({channel: 'vitale-bridge', kind: 'request', id, action: 'readVitale', params: {}}, location.origin);
        })"""
    )
    assert answer["error"]["code"] == "ORIGIN_REFUSED"
    assert len(ctx.pages) == pages_before
    seen = "\n".join(page.evaluate("window.__vbSeen"))
    for secret in SECRETS:
        assert secret not in seen
    page.close()


def test_messages_from_another_window_are_ignored(browser, demo_server):
    """A frame (even same-origin) posting to the top window gets no answer: source must be the window."""
    ctx, _ = browser
    page = ctx.new_page()
    page.goto(demo_server.url)  # allowed "always" earlier
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate(
        """() => {
            window.__answered = false;
            window.addEventListener('message', (e) => {
                if (e.data && e.data.kind === 'response' && e.data.id === 'from-frame') window.__answered = true;
            });
            document.body.append(document.createElement('iframe'));
        }"""
    )
    frame = page.frames[1]
    frame.evaluate(
        "parent.postMessage({channel: 'vitale-bridge', kind: 'request', id: 'from-frame', action: 'readVitale', params: {}}, '*')"
    )
    page.wait_for_timeout(1500)
    got = page.evaluate("window.__answered")
    assert got is False
    # The same request from the window itself is answered: only the sender made the difference.
    answer = page.evaluate(
        """() => new Promise((resolve) => {
            window.addEventListener('message', (e) => {
                if (e.data && e.data.kind === 'response' && e.data.id === 'from-top') resolve(e.data);
            });
            window.postMessage({channel: 'vitale-bridge', kind: 'request', id: 'from-top', action: 'status', params: {}}, location.origin);
        })"""
    )
    assert answer["result"]["state"] == "ready"
    page.close()


def test_insecure_page_is_not_served(browser, demo_server):
    ctx, _ = browser
    page = ctx.new_page()
    pages_before = len(ctx.pages)
    page.goto(f"http://ehr.test:{demo_server.port}/")
    page.wait_for_selector("body[data-ready=error]")
    assert page.get_attribute("[data-testid=error]", "data-code") == "INSECURE_CONTEXT"
    assert len(ctx.pages) == pages_before  # no consent prompt for such a page
    page.close()


def test_options_list_and_revoke_origins(browser, demo_server, artifacts):
    ctx, ext_id = browser
    options = open_extension_page(ctx, ext_id, "options")
    origin = demo_server.url.rstrip("/")
    assert options.locator("[data-testid=origin]").all_text_contents() == [f"{origin}Retirer"]
    # Chrome-family: the extension's fixed id is accepted by the WebSocket, no command needed.
    assert options.locator("[data-testid=ws-command]").is_hidden()
    options.screenshot(path=str(artifacts / "options-chromium.png"), full_page=True)
    options.click("[data-testid=revoke]")
    options.wait_for_selector("[data-testid=origin]", state="detached")
    stored = json.loads(options.evaluate("chrome.storage.local.get('allowedOrigins').then(JSON.stringify)"))
    assert stored.get("allowedOrigins") == []

    # Revoked: the demo is asked about again.
    page = ctx.new_page()
    consent = open_with_consent(ctx, page, demo_server.url, "refuse")
    page.wait_for_selector("body[data-ready=error]")
    assert consent.is_closed()
    page.close()
    options.close()

"""Chromium + the extension with NO native host registered: the WebSocket fallback.

The host is ``vitale-bridge serve --driver simulator`` on a free port (set in the extension's
options page, with the pairing code of ``vitale-bridge pair`` typed there as a user would); the
test pulls the simulated card out through the host's ``simulator.*``
methods and checks that the demo page follows.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import (
    RECORD_MESSAGES,
    launch_chromium,
    open_extension_page,
    open_with_consent,
    set_extension_settings,
    type_pairing_code,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright, extension_build, ws_host, tmp_path_factory):
    udd = tmp_path_factory.mktemp("chromium-ws")  # no NativeMessagingHosts/ at all
    ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
    set_extension_settings(ctx, ext_id, port=ws_host.port)
    # The WebSocket host must prove it holds this user's pairing key (docs/extension.md).
    code = re.search(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){4}", ws_host.cli("pair"))
    assert code, "vitale-bridge pair printed no code"
    assert type_pairing_code(ctx, ext_id, code.group(0)) == "Appairage réussi."
    try:
        yield ctx, ext_id
    finally:
        ctx.close()


def test_popup_reports_the_websocket_transport(browser, artifacts):
    ctx, ext_id = browser
    popup = open_extension_page(ctx, ext_id, "popup")
    status = popup.text_content("[data-testid=status]")
    assert "Prêt" in status and "WebSocket" not in status, status
    assert "WebSocket local" in popup.text_content("[data-testid=connection]")
    popup.close()


def test_host_missing_is_said_plainly(browser, demo_server, artifacts):
    """Native messaging only, and no native host registered: the page and the popup say so."""
    ctx, ext_id = browser
    set_extension_settings(ctx, ext_id, transport="native")
    try:
        page = ctx.new_page()
        open_with_consent(ctx, page, demo_server.url, "once")
        page.wait_for_selector("body[data-ready=error]")
        assert page.get_attribute("[data-testid=error]", "data-code") == "HOST_MISSING"
        assert "vitale-bridge ne répond pas" in page.text_content("[data-testid=error]")
        page.close()
        popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 400))
        assert popup.text_content("[data-testid=status]").strip() == "vitale-bridge ne répond pas"
        # Native: the browser starts the host, so the only true story is "not installed".
        assert "n'est pas installé" in popup.text_content("[data-testid=status-error]")
        assert popup.locator("[data-testid=read]").is_disabled()
        popup.screenshot(path=str(artifacts / "popup-host-missing.png"))
        popup.close()
    finally:
        set_extension_settings(ctx, ext_id, transport="auto")


def test_demo_reads_over_websocket_and_follows_the_card(browser, demo_server, ws_host, artifacts):
    ctx, ext_id = browser
    page = ctx.new_page()
    open_with_consent(ctx, page, demo_server.url, "once")
    page.wait_for_selector("body[data-ready=true]")
    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]")
    assert page.input_value("[data-testid=nom]") == "EXEMPLE"
    assert page.input_value("[data-testid=nir]") == "1780369123456"

    # The practitioner pulls the card out: the page is told (event only, no data).
    seen_before = page.evaluate("document.body.dataset.card || ''")
    assert seen_before != "removed"
    ws_host.remove("Simulated Vitale Reader")
    page.wait_for_selector("[data-testid=card-status][data-card=removed]", timeout=5000)
    assert page.locator("[data-testid=beneficiary]").first.is_disabled()
    page.screenshot(path=str(artifacts / "demo-card-removed.png"), full_page=True)

    # Reading now says so in plain words.
    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=error]")
    assert page.get_attribute("[data-testid=error]", "data-code") in {"NO_CARD", "NO_READER"}

    # The popup says the same in plain words, with what to do.
    popup = open_extension_page(ctx, ext_id, "popup")
    popup.click("[data-testid=read]")
    popup.wait_for_selector("[data-testid=read-error]:not([hidden])")
    assert "Insérez la carte" in popup.text_content("[data-testid=read-error]")
    popup.close()

    # Another patient's card goes in: the page hears it and can read it.
    ws_host.insert("adulte", "Simulated Vitale Reader")
    page.wait_for_selector("[data-testid=card-status][data-card=present]", timeout=5000)
    page.evaluate("delete document.body.dataset.read")
    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]")
    assert page.input_value("[data-testid=nom]") != ""
    page.close()


def test_allow_once_is_for_one_tab_only(browser, demo_server):
    """'Allow once' belongs to the tab that asked: a new tab of the same origin is asked again."""
    ctx, _ = browser
    page = ctx.new_page()
    consent = open_with_consent(ctx, page, demo_server.url, "refuse")
    page.wait_for_selector("body[data-ready=error]")
    assert consent.is_closed()
    page.close()


def test_revoked_origin_stops_hearing_card_events(browser, demo_server, ws_host):
    ctx, ext_id = browser
    page = ctx.new_page()
    page.add_init_script(RECORD_MESSAGES)
    url = f"http://localhost:{demo_server.port}/"
    open_with_consent(ctx, page, url, "always")
    page.wait_for_selector("body[data-ready=true]")
    ws_host.remove("Simulated Vitale Reader")
    page.wait_for_selector("[data-testid=card-status][data-card=removed]", timeout=5000)

    options = open_extension_page(ctx, ext_id, "options")
    options.locator("[data-testid=origin]", has_text=url.rstrip("/")).locator("[data-testid=revoke]").click()
    options.wait_for_selector(f"[data-testid=origin]:has-text('{url.rstrip('/')}')", state="detached")
    options.close()

    page.evaluate("window.__vbSeen.length = 0")
    ws_host.insert("famille", "Simulated Vitale Reader")
    page.wait_for_timeout(1500)
    events = [m for m in page.evaluate("window.__vbSeen") if '"kind":"event"' in m]
    assert events == []
    assert page.get_attribute("[data-testid=card-status]", "data-card") == "removed"
    page.close()


def test_popup_follows_the_cards_live(browser, ws_host):
    ctx, ext_id = browser
    popup = open_extension_page(ctx, ext_id, "popup")
    vitale = popup.locator("[data-testid=reader]", has_text="Simulated Vitale Reader")
    vitale.filter(has_text="Carte Vitale").wait_for()
    ws_host.remove("Simulated Vitale Reader")
    vitale.filter(has_text="aucune carte").wait_for(timeout=5000)
    ws_host.insert("adulte", "Simulated Vitale Reader")
    vitale.filter(has_text="Carte Vitale").wait_for(timeout=5000)
    popup.close()

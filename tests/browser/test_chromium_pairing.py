"""Chromium + the extension on the WebSocket fallback, facing a look-alike server (another OS
user's program on the bridge's port): without a valid host proof nothing but ``bridge.hello``
reaches it and nothing it says is believed (issue 12 §1, docs/extension.md "Pairing").

The look-alike computes the proof itself from a known key (lookalike.py), so these tests do
not depend on the host's implementation; test_chromium_websocket.py runs the real bridge."""

from __future__ import annotations

import pytest

from tests.helpers.browser import (
    launch_chromium,
    open_extension_page,
    open_with_consent,
    set_extension_settings,
    type_pairing_code,
)
from tests.helpers.lookalike import LookalikeHost

pytestmark = pytest.mark.browser

KEY = "MFRGGZDFMZTWQ2LKNNWG"
TYPED = "mfrg-gzdf mztw-q2lk-nnwg"  # as a user may type `vitale-bridge pair`'s output


@pytest.fixture(scope="module")
def lookalike():
    server = LookalikeHost(KEY)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser(playwright, extension_build, lookalike, tmp_path_factory):
    udd = tmp_path_factory.mktemp("chromium-pairing")  # no native host: the WebSocket only
    ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
    set_extension_settings(ctx, ext_id, port=lookalike.port, transport="websocket")
    try:
        yield ctx, ext_id
    finally:
        ctx.close()


def popup_state(ctx, ext_id):
    popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 500))
    return popup, popup.text_content("[data-testid=status]").strip(), popup.text_content("[data-testid=status-error]")


def test_without_a_code_only_hello_is_sent(browser, lookalike):
    ctx, ext_id = browser
    popup, status, error = popup_state(ctx, ext_id)
    assert status == "Appairage nécessaire"
    assert "code d'appairage" in error and "Options" in error
    assert popup.locator("[data-testid=read]").is_disabled()
    popup.close()
    assert lookalike.methods() and set(lookalike.methods()) == {"bridge.hello"}


@pytest.mark.parametrize("proof", ["wrong", "none"])
def test_a_host_without_the_proof_gets_nothing_but_hello(browser, lookalike, demo_server, artifacts, proof):
    ctx, ext_id = browser
    lookalike.proof = proof
    lookalike.received.clear()
    said = type_pairing_code(ctx, ext_id, TYPED)
    assert said == "Connexion bloquée par sécurité"
    popup, status, error = popup_state(ctx, ext_id)
    assert status == "Connexion bloquée par sécurité"
    assert "Un autre programme occupe le port" in error and "support informatique" in error
    assert popup.locator("[data-testid=read]").is_disabled()
    assert popup.locator("[data-testid=reader]").count() == 0, "nothing the look-alike said is shown"
    popup.screenshot(path=str(artifacts / f"popup-untrusted-host-{proof}.png"))
    popup.close()

    # A page allowed by the practitioner is told the same, and gets no data.
    page = ctx.new_page()
    open_with_consent(ctx, page, demo_server.url, "once")
    page.wait_for_selector("body[data-ready=error]")
    assert page.get_attribute("[data-testid=error]", "data-code") == "UNTRUSTED_HOST"
    page.close()
    assert set(lookalike.methods()) == {"bridge.hello"}, lookalike.methods()
    for msg in lookalike.received:
        assert len(msg["params"]["challenge"]) == 43  # 32 random bytes, base64url


def test_the_right_proof_opens_the_way(browser, lookalike):
    """The same server, now proving the key: requests flow (and the extension's proof check
    agrees with the spec's formula as computed in Python)."""
    ctx, ext_id = browser
    lookalike.proof = "right"
    lookalike.received.clear()
    assert type_pairing_code(ctx, ext_id, TYPED) == "Appairage réussi."
    popup, status, _ = popup_state(ctx, ext_id)
    assert status.startswith("Prêt"), status
    popup.wait_for_selector("[data-testid=reader]")
    assert "Look-alike Reader" in popup.text_content("[data-testid=readers]")
    popup.close()
    assert "readers.list" in lookalike.methods()
    options = open_extension_page(ctx, ext_id, "options")
    assert options.text_content("[data-testid=pairing-status]") == "Ce navigateur est appairé avec vitale-bridge."
    options.close()


def test_an_invalid_code_is_refused_and_not_stored(browser):
    ctx, ext_id = browser
    assert "Ce n'est pas un code d'appairage" in type_pairing_code(ctx, ext_id, "1234-5678")


def test_a_refusing_host_is_not_called_missing(browser, lookalike):
    """Something on the port refuses the handshake: FORBIDDEN with its own words, not "missing";
    an empty port: "not running"."""
    from tests.helpers.lookalike import RefusingHost
    from tests.helpers.servers import free_port

    ctx, ext_id = browser
    refusing = RefusingHost()
    try:
        set_extension_settings(ctx, ext_id, port=refusing.port)
        popup, status, error = popup_state(ctx, ext_id)
        assert status == "vitale-bridge ne répond pas"
        assert "refuse cette extension" in error, error
        popup.close()
        set_extension_settings(ctx, ext_id, port=free_port())
        popup, status, error = popup_state(ctx, ext_id)
        assert "n'est pas démarré" in error, error
        popup.close()
    finally:
        refusing.close()
        set_extension_settings(ctx, ext_id, port=lookalike.port)

"""Chromium with an IT policy for the extension (storage.managed, issue 11 §3): a pre-approved
origin reads the card with no consent window, a blocked origin is refused without one, and the
options page shows both as set by the organisation. The policy file exists only while this
module's browser runs (policy.py)."""

from __future__ import annotations

import pytest

from tests.helpers.browser import launch_chromium, open_extension_page, write_native_host
from tests.helpers.policy import chromium_policy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright, extension_build, demo_server, tmp_path_factory):
    approved = demo_server.url.rstrip("/")  # http://127.0.0.1:PORT
    blocked = f"http://localhost:{demo_server.port}"  # the same page, another origin
    udd = tmp_path_factory.mktemp("chromium-policy")
    write_native_host(udd / "NativeMessagingHosts", tmp_path_factory.mktemp("host-home"))
    with chromium_policy({"allowedOrigins": [approved], "blockedOrigins": [blocked]}):
        ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
        try:
            yield ctx, ext_id, approved, blocked
        finally:
            ctx.close()


def open_demo(ctx, origin: str, ready: str):
    """The demo page on *origin*, once it says *ready*; no consent window may have opened."""
    page = ctx.new_page()
    pages = len(ctx.pages)
    page.goto(origin + "/")
    page.wait_for_selector(f"body[data-ready={ready}]")
    assert len(ctx.pages) == pages, "no consent window was opened"
    return page


def test_a_pre_approved_origin_reads_with_no_consent_window(browser):
    ctx, _, approved, _ = browser
    page = open_demo(ctx, approved, "true")
    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]")
    assert page.input_value("[data-testid=nom]") == "EXEMPLE"
    page.close()


def test_a_blocked_origin_is_refused_without_a_prompt(browser):
    ctx, _, _, blocked = browser
    page = open_demo(ctx, blocked, "error")
    assert page.get_attribute("[data-testid=error]", "data-code") == "ORIGIN_REFUSED"
    page.close()


def test_options_show_what_the_organisation_set(browser, artifacts):
    ctx, ext_id, approved, blocked = browser
    options = open_extension_page(ctx, ext_id, "options")
    managed = options.locator("[data-testid=origin-managed]")
    assert managed.all_text_contents() == [f"{approved} — défini par votre organisation"]
    assert managed.locator("[data-testid=revoke]").count() == 0, "not revocable here"
    assert options.locator("[data-testid=blocked] li").all_text_contents() == [blocked]
    options.screenshot(path=str(artifacts / "options-managed-chromium.png"), full_page=True)
    options.close()

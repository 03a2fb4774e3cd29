"""The consent window in a real Chromium (issue 11 §4, issue 12 §2.9): one window per origin
answered for every tab waiting on it, a window that does not outlive the page's own
connect({timeout}), buttons that act only after a visible delay, and frames told the truth."""

from __future__ import annotations

import pytest

from tests.helpers.browser import answer_consent, launch_chromium, write_native_host

pytestmark = pytest.mark.browser

# A page of the demo server's origin that does not connect by itself (a 404 page).
BLANK = "no-such-page"

CONNECT = """async (timeout) => {
    const sdk = await import(new URL('/sdk/vitale-bridge.js', document.baseURI).href);
    try {
        const bridge = await sdk.VitaleBridge.connect(timeout ? { timeout } : {});
        const status = await bridge.status();
        bridge.close();
        return ['ok', status.state];
    } catch (e) { return [e.code, e.message]; }
}"""


@pytest.fixture(scope="module")
def browser(playwright, extension_build, tmp_path_factory):
    udd = tmp_path_factory.mktemp("chromium-consent")
    write_native_host(udd / "NativeMessagingHosts", tmp_path_factory.mktemp("host-home"))
    ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
    try:
        yield ctx, ext_id
    finally:
        ctx.close()


def consent_pages(ctx):
    return [p for p in ctx.pages if "/src/consent/consent.html" in p.url]


def test_two_tabs_one_window_and_always_answers_both(browser, demo_server):
    ctx, _ = browser
    first, second = ctx.new_page(), ctx.new_page()
    with ctx.expect_page(timeout=10000) as info:
        first.goto(demo_server.url)
    consent = info.value
    second.goto(demo_server.url)
    consent.wait_for_selector("body[data-ready=true]")
    second.wait_for_timeout(500)
    assert len(consent_pages(ctx)) == 1, "one consent window for the origin"
    answer_consent(consent, "always")
    for page in (first, second):
        page.wait_for_selector("body[data-ready=true]")
        assert page.get_attribute("[data-testid=bridge-status]", "data-state") == "ready"
        page.close()


def test_the_window_does_not_outlive_the_page_timeout(browser, demo_server):
    ctx, _ = browser
    page = ctx.new_page()
    other = f"http://localhost:{demo_server.port}/{BLANK}"  # not allowed yet
    page.goto(other)
    with ctx.expect_page(timeout=10000) as info:
        page.evaluate(f"() => {{ window.__outcome = ({CONNECT})(3000); }}")
    consent = info.value
    code, message = page.evaluate("() => window.__outcome")
    assert code == "TIMED_OUT" and "consent window" in message, message
    if not consent.is_closed():
        consent.wait_for_event("close", timeout=5000)
    assert consent_pages(ctx) == []
    page.close()


def test_buttons_act_only_after_a_visible_delay(browser, demo_server, artifacts):
    ctx, _ = browser
    page = ctx.new_page()
    with ctx.expect_page(timeout=10000) as info:
        page.goto(f"http://localhost:{demo_server.port}/")
    consent = info.value
    consent.wait_for_selector("body[data-ready=true]")
    # At once, as a click meant for the page below would: the buttons do not act, and the
    # background refuses an answer sent anyway.
    assert consent.locator("[data-testid=consent-always]").is_disabled()
    assert consent.locator("[data-testid=consent-arming]").is_visible()
    consent.screenshot(path=str(artifacts / "consent-arming-chromium.png"))
    early = consent.evaluate(
        """() => chrome.runtime.sendMessage({kind: 'ui', action: 'ui.consentAnswer',
            params: {prompt: new URLSearchParams(location.search).get('prompt'), decision: 'always'}})
            .then((a) => a.result)"""
    )
    assert early is False
    assert not consent.is_closed()
    consent.wait_for_selector("body[data-armed=true]", timeout=5000)
    assert consent.locator("[data-testid=consent-always]").is_enabled()
    answer_consent(consent, "once")
    page.wait_for_selector("body[data-ready=true]")
    page.close()


def test_a_frame_is_told_frames_are_not_supported(browser, demo_server):
    ctx, _ = browser
    page = ctx.new_page()
    page.goto(demo_server.url + BLANK)  # allowed "always" above
    page.evaluate(
        # srcdoc: a same-origin frame (the demo server forbids being framed by URL).
        "() => new Promise((r) => { const f = document.createElement('iframe'); f.srcdoc = '<p>frame</p>';"
        " f.onload = r; document.body.append(f); })"
    )
    frame = page.frames[1]
    code, message = frame.evaluate(CONNECT, None)
    assert code == "FRAME_NOT_SUPPORTED", message
    assert page.evaluate(CONNECT, None) == ["ok", "ready"], "the top page itself is served"
    page.close()

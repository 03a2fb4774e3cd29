"""The whole real chain: demo page -> extension -> native messaging -> ``vitale-bridge native
--driver pcsc`` -> pcscd -> virtual cards of the PC/SC bench (bridge.bench).

Here the test pulls the card out of a (virtual) reader, as a patient would, and the page must
follow. Over plain PC/SC the protected AMO data is not readable: the page says so and shows
the identity the card gives in the clear.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import (
    launch_chromium,
    open_extension_page,
    open_with_consent,
    write_native_host,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright, extension_build, vitale_bench, tmp_path_factory):
    udd = tmp_path_factory.mktemp("chromium-bench")
    write_native_host(udd / "NativeMessagingHosts", tmp_path_factory.mktemp("bench-host-home"), pcsc_env=vitale_bench.env)
    ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
    try:
        yield ctx, ext_id
    finally:
        ctx.close()


def test_demo_reads_a_card_on_the_pcsc_bench_and_follows_its_removal(browser, vitale_readers, demo_server, artifacts):
    ctx, _ = browser
    vitale_readers.insert("famille")
    page = ctx.new_page()
    open_with_consent(ctx, page, demo_server.url, "once")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=card-status][data-card=present]")

    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]", timeout=15000)
    assert page.input_value("[data-testid=nom]") == "EXEMPLE"
    assert page.input_value("[data-testid=prenom]") == "PIERRE"
    assert page.input_value("[data-testid=nir]") == "1780369123456"
    assert page.locator("[data-testid=beneficiary]").count() == 4
    # No CPS and plain PC/SC: no AMO data, and the page is told why.
    assert page.input_value("[data-testid=regime]") == ""
    assert page.locator("[data-testid=availability]").is_visible()
    page.screenshot(path=str(artifacts / "demo-pcsc-bench.png"), full_page=True)

    vitale_readers.remove()
    page.wait_for_selector("[data-testid=card-status][data-card=removed]", timeout=5000)
    assert page.locator("[data-testid=beneficiary]").first.is_disabled()

    vitale_readers.insert("naissance-lunaire")  # another patient sits down
    page.wait_for_selector("[data-testid=card-status][data-card=present]", timeout=5000)
    page.evaluate("delete document.body.dataset.read")
    page.click("[data-testid=read]")
    page.wait_for_selector("body[data-read=done]", timeout=15000)
    assert page.input_value("[data-testid=nom]") not in ("", "EXEMPLE")
    page.close()


def test_popup_shows_the_bench_readers(browser, vitale_readers, artifacts):
    ctx, ext_id = browser
    vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 600))
    readers = popup.locator("[data-testid=reader]").all_text_contents()
    assert any(r.startswith("Vitale 00 00") and "Carte Vitale" in r for r in readers), readers
    assert any(r.startswith("CPS 00 00") and "Carte CPS" in r for r in readers), readers
    popup.click("[data-testid=read]")
    popup.wait_for_selector("[data-testid=vitale-result]", timeout=15000)
    assert "EXEMPLE PIERRE" in popup.text_content("[data-testid=vitale-result]")
    popup.screenshot(path=str(artifacts / "popup-pcsc-bench.png"), full_page=True)
    popup.close()

"""The popup and the page SDK name the CPS holder: Chromium + the real extension + the native
host (pcsc driver on the bench, whose virtual CPS is in its reader) + SoftHSM as the CPS's
PKCS#11 view, named by the system configuration."""

from __future__ import annotations

import json

import pytest

from tests.helpers.browser import launch_chromium, open_extension_page, open_with_consent, write_native_host
from tests.helpers.softhsm import MODULE

pytestmark = pytest.mark.browser


def native_env(vitale_readers, hsm, tmp_path, name: str) -> dict[str, str]:
    vitale_readers.insert("cps3", "CPS")
    config = tmp_path / "system-config.json"
    config.write_text(json.dumps({"pkcs11Module": MODULE}), encoding="utf-8")
    return {**vitale_readers.env, **hsm.made[name].env, "VITALE_BRIDGE_SYSTEM_CONFIG": str(config)}


def chromium(playwright, extension_build, tmp_path, env):
    udd = tmp_path / "chromium"
    write_native_host(udd / "NativeMessagingHosts", tmp_path / "host-home", pcsc_env=env)
    return launch_chromium(playwright, udd, extension_build["chrome"])


@pytest.mark.parametrize(("name", "line"), [
    ("zoe", "Carte CPS : Zoé MARTIN — Sage-femme (RPPS 10100000017)"),
    ("paul", "Carte CPS : Paul ANCIEN — Pharmacien (RPPS 10100000025) — certificat expiré"),
])
def test_the_popup_names_the_holder(playwright, extension_build, artifacts, vitale_readers, hsm, tmp_path, name, line):
    ctx, ext_id = chromium(playwright, extension_build, tmp_path, native_env(vitale_readers, hsm, tmp_path, name))
    try:
        popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 600))
        popup.wait_for_function("document.querySelector('[data-testid=cps]').textContent.length > 0")
        assert popup.text_content("[data-testid=cps]") == line
        assert popup.get_attribute("[data-testid=cps]", "class") == ("notice" if name == "paul" else "")
        popup.screenshot(path=str(artifacts / f"popup-cps-identity-{name}.png"), full_page=True)
    finally:
        ctx.close()


def test_the_sdk_gives_the_holder_to_an_allowed_page_only(playwright, extension_build, demo_server, vitale_readers, hsm, tmp_path):
    ctx, _ = chromium(playwright, extension_build, tmp_path, native_env(vitale_readers, hsm, tmp_path, "ines"))
    call = """async () => {
        const sdk = await import('/sdk/vitale-bridge.js');
        try {
            const bridge = await sdk.VitaleBridge.connect({ timeout: 20000 });
            return await bridge.cpsIdentity();
        } catch (err) { return { error: err.code, cls: err.constructor.name }; }
    }"""
    try:
        page = ctx.new_page()
        open_with_consent(ctx, page, demo_server.url, "always")
        page.wait_for_selector("body[data-ready=true]")
        identity = page.evaluate(call)
        assert (identity["nom"], identity["prenom"], identity["typeIdentifiant"], identity["numero"]) == (
            "BENALI", "Inès", "adeli", "751234567")
        assert identity["token"]["match"] == "singleToken" and identity["expired"] is False
        other = ctx.new_page()  # the same server as http://localhost: another origin, refused
        open_with_consent(ctx, other, demo_server.url.replace("127.0.0.1", "localhost"), "refuse")
        assert other.evaluate(call) == {"error": "ORIGIN_REFUSED", "cls": "OriginRefusedError"}
    finally:
        ctx.close()

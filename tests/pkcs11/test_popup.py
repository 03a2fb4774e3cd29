"""The popup names the CPS holder: Chromium + the real extension + the native host (pcsc
driver on the bench, whose virtual CPS is in its reader) + SoftHSM as the CPS's PKCS#11 view,
named by the system configuration."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import extension_build, playwright  # noqa: F401 - fixtures used here
from tests.browser.support import launch_chromium, open_extension_page, write_native_host

from .softhsm import MODULE

pytestmark = pytest.mark.browser


def popup_cps_line(playwright, extension_build, tmp_path, env):  # noqa: F811
    udd = tmp_path / "chromium"
    write_native_host(udd / "NativeMessagingHosts", tmp_path / "host-home", pcsc_env=env)
    ctx, ext_id = launch_chromium(playwright, udd, extension_build["chrome"])
    try:
        popup = open_extension_page(ctx, ext_id, "popup", viewport=(400, 600))
        popup.wait_for_function("document.querySelector('[data-testid=cps]').textContent.length > 0")
        return popup.text_content("[data-testid=cps]")
    finally:
        ctx.close()


@pytest.mark.parametrize(("name", "line"), [
    ("zoe", "Carte CPS : Zoé MARTIN — Sage-femme (RPPS 10100000017)"),
    ("paul", "Carte CPS : Paul ANCIEN — Pharmacien (RPPS 10100000025) — certificat expiré"),
])
def test_the_popup_names_the_holder(playwright, extension_build, vitale_readers, hsm, tmp_path, name, line):  # noqa: F811
    vitale_readers.insert("cps3", "CPS")
    config = tmp_path / "system-config.json"
    config.write_text(json.dumps({"pkcs11Module": MODULE}), encoding="utf-8")
    env = {**vitale_readers.env, **hsm.made[name].env, "VITALE_BRIDGE_SYSTEM_CONFIG": str(config)}
    assert popup_cps_line(playwright, extension_build, tmp_path, env) == line

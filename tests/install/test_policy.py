"""``vitale-bridge policy``: the policy plans for every browser (pure data), Firefox's merge,
the checks on what IT types, and the command writing and removing for real under --root."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME
from bridge.install.locations import BROWSERS
from bridge.install.policy import (
    make_policy_plan,
    managed_settings,
    merge_firefox,
    unmerge_firefox,
)

ROOT = Path(__file__).resolve().parents[2]
EHR = "https://ehr.example.fr"
EXPECTED_PATHS = {
    "chrome": "/etc/opt/chrome/policies/managed/vitale-bridge.json",
    "chromium": "/etc/chromium/policies/managed/vitale-bridge.json",
    "edge": "/etc/opt/edge/policies/managed/vitale-bridge.json",
    "brave": "/etc/brave/policies/managed/vitale-bridge.json",
    "firefox": "/etc/firefox/policies/policies.json",
}
UPDATE = "https://it.example.fr/vitale-bridge/updates.xml"
XPI = "file:///usr/share/vitale-bridge/vitale-bridge-firefox.xpi"


@pytest.mark.parametrize("browser", BROWSERS)
def test_plan_for_each_browser(browser):
    settings = managed_settings([EHR, "http://localhost:8080"], ["https://evil.example"], "native", 28000)
    (file,) = make_policy_plan(browsers=(browser,), settings=settings)
    assert file.path == EXPECTED_PATHS[browser] and file.browsers == (browser,)
    storage = {
        "allowedOrigins": [EHR, "http://localhost:8080"],
        "blockedOrigins": ["https://evil.example"],
        "transport": "native",
        "websocketPort": 28000,
    }
    if browser == "firefox":
        assert file.merged
        assert file.content == {"policies": {"3rdparty": {"Extensions": {FIREFOX_ADDON_ID: storage}}}}
    else:
        assert not file.merged
        assert file.content == {
            "3rdparty": {"extensions": {CHROME_EXTENSION_ID: storage}},
            "NativeMessagingAllowlist": [NATIVE_HOST_NAME],
        }


@pytest.mark.parametrize("browser", BROWSERS)
def test_force_install_only_when_a_location_is_given(browser):
    settings = managed_settings([EHR])
    (plain,) = make_policy_plan(browsers=(browser,), settings=settings)
    (forced,) = make_policy_plan(browsers=(browser,), settings=settings, update_url=UPDATE, firefox_install_url=XPI)
    assert "ExtensionInstallForcelist" not in plain.content
    assert "ExtensionSettings" not in plain.content.get("policies", {})
    if browser == "firefox":
        assert forced.content["policies"]["ExtensionSettings"] == {
            FIREFOX_ADDON_ID: {"installation_mode": "force_installed", "install_url": XPI}
        }
    else:
        assert forced.content["ExtensionInstallForcelist"] == [f"{CHROME_EXTENSION_ID};{UPDATE}"]


def test_origins_as_browsers_write_them_are_accepted():
    ok = ["https://ehr.example.fr:8443", "https://10.0.0.5", "http://localhost:8080", "http://127.0.0.1:3000",
          "http://[::1]:8080", "https://xn--dossier-mdical-gkb.fr"]
    assert managed_settings(ok).allowed_origins == tuple(ok)


def test_only_the_keys_given_are_set():
    assert managed_settings([EHR]).storage() == {"allowedOrigins": [EHR]}
    assert managed_settings([EHR, EHR]).allowed_origins == (EHR,)


@pytest.mark.parametrize(
    ("allowed", "blocked", "message"),
    [
        (["https://ehr.example.fr/"], [], "not an origin"),
        (["https://ehr.example.fr/dossier"], [], "not an origin"),
        (["ehr.example.fr"], [], "not an origin"),
        (["https://EHR.example.fr"], [], "lower case"),
        (["http://ehr.example.fr"], [], "only on localhost"),
        (["https://ehr.example.fr:443"], [], "default port"),
        (["chrome-extension://abc"], [], "not an origin"),
        (["https://*.example.fr"], [], "not an origin"),
        (["https://ehr.example.fr:99999"], [], "not an origin"),
        ([EHR], [EHR], "both allowed and blocked"),
    ],
)
def test_bad_origins_are_refused_with_what_to_write(allowed, blocked, message):
    with pytest.raises(ValueError, match=message):
        managed_settings(allowed, blocked)


def test_bad_urls_transport_port_and_browser():
    s = managed_settings([EHR])
    with pytest.raises(ValueError, match="https:// URL"):
        make_policy_plan(browsers=("chrome",), settings=s, update_url="http://it.example.fr/updates.xml")
    with pytest.raises(ValueError, match="file:///"):
        make_policy_plan(browsers=("firefox",), settings=s, firefox_install_url="ftp://x/y.xpi")
    with pytest.raises(ValueError, match="unknown browser"):
        make_policy_plan(browsers=("opera",), settings=s)
    with pytest.raises(ValueError, match="transport"):
        managed_settings([EHR], transport="carrier-pigeon")
    with pytest.raises(ValueError, match="between 1024"):
        managed_settings([EHR], port=80)


def test_firefox_merge_keeps_the_organisations_other_policies():
    existing = {
        "policies": {
            "DisableTelemetry": True,
            "3rdparty": {"Extensions": {"other@example.org": {"a": 1}}},
            "ExtensionSettings": {"*": {"installation_mode": "blocked"}},
        }
    }
    (file,) = make_policy_plan(browsers=("firefox",), settings=managed_settings([EHR]), firefox_install_url=XPI)
    merged = merge_firefox(existing, file.content)
    assert merged["policies"]["DisableTelemetry"] is True
    assert merged["policies"]["3rdparty"]["Extensions"]["other@example.org"] == {"a": 1}
    assert merged["policies"]["3rdparty"]["Extensions"][FIREFOX_ADDON_ID] == {"allowedOrigins": [EHR]}
    assert merged["policies"]["ExtensionSettings"]["*"] == {"installation_mode": "blocked"}
    assert existing["policies"]["3rdparty"]["Extensions"] == {"other@example.org": {"a": 1}}  # input untouched
    assert unmerge_firefox(merged) == existing
    # merging twice replaces our entry, it does not pile up
    again = merge_firefox(merged, make_policy_plan(browsers=("firefox",), settings=managed_settings(["https://b.fr"]))[0].content)
    assert again["policies"]["3rdparty"]["Extensions"][FIREFOX_ADDON_ID] == {"allowedOrigins": ["https://b.fr"]}


def test_firefox_merge_refuses_a_file_of_the_wrong_shape():
    (file,) = make_policy_plan(browsers=("firefox",), settings=managed_settings([EHR]))
    with pytest.raises(ValueError, match="'policies' is not a JSON object"):
        merge_firefox({"policies": []}, file.content)


# --- the command -------------------------------------------------------------------------------


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "bridge", "policy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_dry_run_is_the_default_and_writes_nothing(tmp_path):
    out = cli("--origin", EHR, "--root", str(tmp_path)).stdout
    assert "dry run" in out and f"{tmp_path}/etc/chromium/policies/managed/vitale-bridge.json" in out
    assert tree(tmp_path) == {}
    shown = json.loads(cli("--origin", EHR, "--root", str(tmp_path), "--dry-run", "--json").stdout)
    assert len(shown["files"]) == 5
    assert tree(tmp_path) == {}


def test_write_then_remove(tmp_path):
    firefox = tmp_path / "etc/firefox/policies/policies.json"
    firefox.parent.mkdir(parents=True)
    firefox.write_text(json.dumps({"policies": {"DisableTelemetry": True}}))
    cli("--origin", EHR, "--blocked-origin", "https://evil.example", "--root", str(tmp_path), "--write")
    written = tree(tmp_path)
    assert len(written) == 5
    chromium = tmp_path / "etc/chromium/policies/managed/vitale-bridge.json"
    doc = json.loads(chromium.read_text())
    assert doc["3rdparty"]["extensions"][CHROME_EXTENSION_ID]["blockedOrigins"] == ["https://evil.example"]
    assert stat.S_IMODE(chromium.stat().st_mode) == 0o644  # the browser runs as the user
    ff = json.loads(firefox.read_text())
    assert ff["policies"]["DisableTelemetry"] is True
    assert ff["policies"]["3rdparty"]["Extensions"][FIREFOX_ADDON_ID]["allowedOrigins"] == [EHR]
    assert not [p for p in tmp_path.rglob("*.tmp")]

    # the dry run shows what a write would leave: Firefox merged with the file on disk
    shown = json.loads(cli("--origin", EHR, "--root", str(tmp_path), "--browser", "firefox", "--json").stdout)
    assert shown["files"][0]["content"]["policies"]["DisableTelemetry"] is True

    done = cli("--remove", "--root", str(tmp_path)).stdout
    assert "kept the others" in done
    assert json.loads(firefox.read_text()) == {"policies": {"DisableTelemetry": True}}
    assert not chromium.exists()
    assert "already gone" in cli("--remove", "--root", str(tmp_path), "--browser", "chromium").stdout


def test_a_damaged_firefox_file_stops_the_run_before_any_write(tmp_path):
    firefox = tmp_path / "etc/firefox/policies/policies.json"
    firefox.parent.mkdir(parents=True)
    firefox.write_text("{not json")
    proc = cli("--origin", EHR, "--root", str(tmp_path), "--write", check=False)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    assert firefox.read_text() == "{not json"
    assert not (tmp_path / "etc/chromium").exists()


def test_no_origin_is_a_usage_error(tmp_path):
    proc = cli("--root", str(tmp_path), check=False)
    assert proc.returncode == 2 and "--origin" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write /etc")
def test_writing_to_the_system_needs_root():
    proc = cli("--origin", EHR, "--write", check=False)
    assert proc.returncode == 2 and "root" in proc.stderr

"""Install plans for every OS, browser and scope: pure data, checked on Linux."""

from __future__ import annotations

import json
from pathlib import PureWindowsPath

import pytest

from bridge.identity import (
    CHROME_EXTENSION_ID,
    EXTENSION_PUBLIC_KEY,
    FIREFOX_ADDON_ID,
    NATIVE_HOST_NAME,
    chrome_extension_id,
)
from bridge.install import locations as loc
from bridge.install.plan import make_plan, resolve_browsers

HOME = {"linux": "/home/ana", "darwin": "/Users/ana", "windows": r"C:\Users\ana"}
DATA = {
    "linux": "/home/ana/.local/share/vitale-bridge",
    "darwin": "/Users/ana/Library/Application Support/vitale-bridge",
    "windows": r"C:\Users\ana\AppData\Local\vitale-bridge",
}
PYTHON = {"linux": "/usr/bin/python3", "darwin": "/usr/local/bin/python3", "windows": r"C:\Python311\python.exe"}
NAME = f"{NATIVE_HOST_NAME}.json"

EXPECTED_DIRS = {
    ("linux", "user"): {
        "chrome": "/home/ana/.config/google-chrome/NativeMessagingHosts",
        "chromium": "/home/ana/.config/chromium/NativeMessagingHosts",
        "edge": "/home/ana/.config/microsoft-edge/NativeMessagingHosts",
        "brave": "/home/ana/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        "firefox": "/home/ana/.mozilla/native-messaging-hosts",
    },
    ("linux", "system"): {
        "chrome": "/etc/opt/chrome/native-messaging-hosts",
        "chromium": "/etc/chromium/native-messaging-hosts",
        "edge": "/etc/opt/edge/native-messaging-hosts",
        "brave": "/etc/opt/brave/native-messaging-hosts",
        "firefox": "/usr/lib/mozilla/native-messaging-hosts",
    },
    ("darwin", "user"): {
        "chrome": "/Users/ana/Library/Application Support/Google/Chrome/NativeMessagingHosts",
        "chromium": "/Users/ana/Library/Application Support/Chromium/NativeMessagingHosts",
        "edge": "/Users/ana/Library/Application Support/Microsoft Edge/NativeMessagingHosts",
        "brave": "/Users/ana/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        "firefox": "/Users/ana/Library/Application Support/Mozilla/NativeMessagingHosts",
    },
    ("darwin", "system"): {
        "chrome": "/Library/Google/Chrome/NativeMessagingHosts",
        "chromium": "/Library/Application Support/Chromium/NativeMessagingHosts",
        "edge": "/Library/Microsoft/Edge/NativeMessagingHosts",
        "brave": "/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        "firefox": "/Library/Application Support/Mozilla/NativeMessagingHosts",
    },
}
EXPECTED_KEYS = {
    "chrome": r"SOFTWARE\Google\Chrome\NativeMessagingHosts",
    "chromium": r"SOFTWARE\Chromium\NativeMessagingHosts",
    "edge": r"SOFTWARE\Microsoft\Edge\NativeMessagingHosts",
    "brave": r"SOFTWARE\BraveSoftware\Brave-Browser\NativeMessagingHosts",
    "firefox": r"SOFTWARE\Mozilla\NativeMessagingHosts",
}


def plan(platform, scope, browsers=loc.BROWSERS, **kw):
    kw.setdefault("python", PYTHON[platform])
    return make_plan(platform=platform, scope=scope, browsers=tuple(browsers), home=HOME[platform],
                     user_data_dir=DATA[platform], **kw)


def manifests(p):
    return {f.path: json.loads(f.content) for f in p.files if f.purpose.startswith("manifest")}


def test_extension_id_matches_the_public_key():
    assert chrome_extension_id(EXTENSION_PUBLIC_KEY) == CHROME_EXTENSION_ID


@pytest.mark.parametrize("platform", ["linux", "darwin"])
@pytest.mark.parametrize("scope", ["user", "system"])
@pytest.mark.parametrize("browser", loc.BROWSERS)
def test_manifest_file_per_browser_on_linux_and_macos(platform, scope, browser):
    p = plan(platform, scope, [browser])
    expected = f"{EXPECTED_DIRS[(platform, scope)][browser]}/{NAME}"
    found = manifests(p)
    assert list(found) == [expected]
    m = found[expected]
    assert m["name"] == NATIVE_HOST_NAME
    assert m["type"] == "stdio"
    assert m["path"] == p.host_path
    if browser == "firefox":
        assert m["allowed_extensions"] == [FIREFOX_ADDON_ID]
        assert "allowed_origins" not in m
    else:
        assert m["allowed_origins"] == [f"chrome-extension://{CHROME_EXTENSION_ID}/"]
        assert "allowed_extensions" not in m
    assert not p.registry


@pytest.mark.parametrize("scope,hive", [("user", "HKCU"), ("system", "HKLM")])
@pytest.mark.parametrize("browser", loc.BROWSERS)
def test_registry_key_per_browser_on_windows(scope, hive, browser):
    p = plan("windows", scope, [browser])
    (reg,) = p.registry
    assert reg.hive == hive
    assert reg.key == f"{EXPECTED_KEYS[browser]}\\{NATIVE_HOST_NAME}"
    assert reg.browser == browser
    found = manifests(p)
    assert list(found) == [reg.value]  # the key points at the manifest we write
    assert PureWindowsPath(reg.value).is_absolute()
    family = "firefox" if browser == "firefox" else "chrome"
    assert PureWindowsPath(reg.value).name == f"{NATIVE_HOST_NAME}.{family}.json"
    if scope == "user":
        assert reg.value.startswith(DATA["windows"] + "\\native-host\\")
    else:
        assert reg.value.startswith(r"C:\ProgramData\vitale-bridge" + "\\")


def test_windows_all_browsers_share_one_chrome_family_manifest():
    p = plan("windows", "user")
    assert len(p.registry) == 5
    assert len(manifests(p)) == 2  # one chrome-family, one firefox
    values = {r.browser: r.value for r in p.registry}
    assert values["chrome"] == values["edge"] == values["brave"] == values["chromium"] != values["firefox"]


def test_windows_launcher_is_a_bat_running_the_same_python():
    p = plan("windows", "user")
    launcher = next(f for f in p.files if f.purpose == "launcher")
    assert launcher.path.endswith("\\vitale-bridge-host.bat")
    assert p.host_path == launcher.path
    assert launcher.content.startswith("@echo off\r\n")
    assert f'"{PYTHON["windows"]}" -m bridge native %*' in launcher.content


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_posix_launcher_execs_python_with_browser_arguments(platform):
    p = plan(platform, "user")
    launcher = next(f for f in p.files if f.purpose == "launcher")
    assert launcher.mode == 0o755
    assert launcher.content.startswith("#!/bin/sh\n")
    assert f'exec {PYTHON[platform]} -m bridge native "$@"' in launcher.content
    assert launcher.path == f"{DATA[platform]}/native-host/vitale-bridge-host"


def test_launcher_carries_the_install_home_and_quotes_spaces():
    p = make_plan(platform="darwin", scope="user", browsers=("chrome",), home="/Users/a b",
                  user_data_dir="/Users/a b/data", python="/opt/my python/bin/python3", bridge_home="/Users/a b/vb")
    launcher = next(f for f in p.files if f.purpose == "launcher")
    assert "exec '/opt/my python/bin/python3' -m bridge --home '/Users/a b/vb' native \"$@\"" in launcher.content


@pytest.mark.parametrize("platform", loc.PLATFORMS)
def test_host_path_is_used_as_is_without_launcher(platform):
    exe = r"C:\Program Files\vitale-bridge\vitale-bridge.exe" if platform == "windows" else "/opt/vitale-bridge/vitale-bridge"
    p = plan(platform, "system", host_path=exe, python=None)
    assert p.host_path == exe
    assert all(f.purpose != "launcher" for f in p.files)
    assert {m["path"] for m in manifests(p).values()} == {exe}


def test_system_scope_keeps_launcher_and_record_in_a_shared_folder():
    assert plan("linux", "system").record_path == "/usr/local/lib/vitale-bridge/install-record.json"
    assert plan("darwin", "system").record_path == "/Library/Application Support/vitale-bridge/install-record.json"
    assert plan("windows", "system", program_data=r"D:\PD").record_path == r"D:\PD\vitale-bridge\install-record.json"
    assert plan("linux", "user").record_path == f"{DATA['linux']}/native-host/install-record.json"


@pytest.mark.parametrize("scope", ["user", "system"])
def test_uninstall_looks_for_the_record_where_install_writes_it(scope, tmp_path):
    from pathlib import Path

    from bridge.install import plan_here, record_here

    planned = plan_here(scope=scope, browsers=None, data_dir=tmp_path)
    assert record_here(scope=scope, data_dir=tmp_path) == Path(planned.record_path)


def test_firefox_lib64_folder_on_fedora_like_systems():
    paths = list(manifests(plan("linux", "system", ["firefox"], lib64=True)))
    assert paths == [f"/usr/lib/mozilla/native-messaging-hosts/{NAME}", f"/usr/lib64/mozilla/native-messaging-hosts/{NAME}"]


def test_browser_selection():
    assert resolve_browsers(None) == loc.BROWSERS
    assert resolve_browsers(["all"]) == loc.BROWSERS
    assert resolve_browsers(["firefox", "chrome"]) == ("chrome", "firefox")
    with pytest.raises(ValueError, match="unknown browser opera"):
        resolve_browsers(["opera"])


def test_plan_json_and_description_name_every_write():
    p = plan("windows", "user", ["chrome", "firefox"])
    data = p.to_json()
    assert data["recordPath"] == p.record_path
    assert data["hostPath"] == p.host_path and data["hostDir"] == p.host_dir  # camelCase at the source
    assert not [k for k in data if "_" in k]
    assert len(data["files"]) == 3 and len(data["registry"]) == 2
    text = "\n".join(p.describe())
    for f in p.files:
        assert f.path in text
    for r in p.registry:
        assert r.key in text

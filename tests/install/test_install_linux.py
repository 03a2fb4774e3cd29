"""`vitale-bridge install` / `uninstall` for real, on Linux, under a temporary HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID, NATIVE_HOST_NAME
from bridge.install import apply
from bridge.install.plan import make_plan

ROOT = Path(__file__).resolve().parents[2]
NAME = f"{NATIVE_HOST_NAME}.json"
CHROMIUM_DIR = ".config/chromium/NativeMessagingHosts"
FIREFOX_DIR = ".mozilla/native-messaging-hosts"


def cli(env, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "bridge", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_dry_run_writes_nothing(env):
    user_home = Path(env["HOME"])
    out = cli(env, "install", "--dry-run", "--browser", "chromium").stdout
    assert f"{user_home}/{CHROMIUM_DIR}/{NAME}" in out
    assert "launcher" in out
    assert tree(user_home) == set()
    plan = json.loads(cli(env, "install", "--dry-run", "--json").stdout)
    assert len(plan["files"]) == 6  # launcher + 5 browsers
    assert tree(user_home) == set()


def test_install_then_uninstall_leaves_the_home_as_it_was(env, home):
    user_home = Path(env["HOME"])
    (user_home / ".config").mkdir()  # existed before: must survive the uninstall
    (user_home / ".config" / "other.conf").write_text("keep me")
    before_home, before_bridge = tree(user_home), tree(home) if home.exists() else set()

    cli(env, "install")
    chromium = user_home / CHROMIUM_DIR / NAME
    firefox = user_home / FIREFOX_DIR / NAME
    m = json.loads(chromium.read_text())
    assert m["allowed_origins"] == [f"chrome-extension://{CHROME_EXTENSION_ID}/"]
    launcher = Path(m["path"])
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    assert json.loads(firefox.read_text())["path"] == str(launcher)
    assert (user_home / ".config/google-chrome/NativeMessagingHosts" / NAME).exists()

    cli(env, "install")  # again: idempotent, same record
    done = cli(env, "uninstall").stdout
    assert "removed" in done
    assert tree(user_home) == before_home
    assert (user_home / ".config" / "other.conf").read_text() == "keep me"
    assert not (home / "data" / "native-host").exists()
    assert before_bridge <= tree(home)


def test_uninstall_leaves_a_manifest_changed_since_install(env):
    user_home = Path(env["HOME"])
    cli(env, "install", "--browser", "chromium")
    chromium = user_home / CHROMIUM_DIR / NAME
    chromium.write_text(chromium.read_text().replace("stdio", "stdio "))
    out = cli(env, "uninstall").stdout
    assert "changed since install" in out
    assert chromium.exists()
    # the record keeps it, so a later uninstall still knows about it
    chromium.unlink()
    assert "already gone" in cli(env, "uninstall").stdout


def test_uninstall_without_install_says_so(env):
    assert "nothing to remove" in cli(env, "uninstall").stdout


def test_installed_launcher_starts_a_working_host(env):
    user_home = Path(env["HOME"])
    cli(env, "install", "--browser", "chromium")
    launcher = json.loads((user_home / CHROMIUM_DIR / NAME).read_text())["path"]
    from tests.helpers.hostproc import CHROME_ORIGIN, frame, hello

    proc = subprocess.run([launcher, CHROME_ORIGIN], input=frame(hello(5)), capture_output=True, timeout=60,
                          env={**env, "VITALE_BRIDGE_HOME": ""})  # the launcher carries --home itself
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout[4:])
    assert answer["id"] == 5 and answer["result"]["transport"] == "native"


def test_host_path_must_be_an_executable(env, tmp_path):
    not_exe = tmp_path / "host"
    not_exe.write_text("x")
    proc = cli(env, "install", "--host-path", str(not_exe), check=False)
    assert proc.returncode == 2
    assert "is not an executable file" in proc.stderr


def test_host_path_is_written_as_is(env, tmp_path):
    exe = tmp_path / "vitale-bridge"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    user_home = Path(env["HOME"])
    cli(env, "install", "--browser", "firefox", "--host-path", str(exe))
    assert json.loads((user_home / FIREFOX_DIR / NAME).read_text())["path"] == str(exe)
    assert not (Path(env["VITALE_BRIDGE_HOME"]) / "data" / "native-host" / "vitale-bridge-host").exists()
    cli(env, "uninstall")
    assert exe.exists()  # never ours to remove
    assert not (user_home / FIREFOX_DIR).exists()


def test_system_scope_needs_root(env):
    if os.geteuid() == 0:
        pytest.skip("running as root")
    proc = cli(env, "install", "--system", check=False)
    assert proc.returncode == 2 and "run it as root" in proc.stderr


class FakeRegistry:
    """An in-memory stand-in for ``winreg`` (the real one exists only on Windows)."""

    HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_WRITE, REG_SZ = "HKCU", "HKLM", 0x20006, 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    class _Key:
        def __init__(self, reg, hive, key):
            self.reg, self.where = reg, (hive, key)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def CreateKeyEx(self, hive, key, reserved, access):  # winreg's names
        return self._Key(self, hive, key)

    def OpenKey(self, hive, key):
        if (hive, key) not in self.values:
            raise FileNotFoundError(key)
        return self._Key(self, hive, key)

    def SetValueEx(self, key, name, reserved, kind, value):
        assert name == "" and kind == self.REG_SZ
        self.values[key.where] = value

    def QueryValueEx(self, key, name):
        return self.values[key.where], self.REG_SZ

    def DeleteKey(self, hive, key):
        del self.values[(hive, key)]


def test_registry_install_and_uninstall_logic(tmp_path):
    """The Windows plan applied with a stand-in registry (files go to a temp folder)."""
    data = tmp_path / "AppData" / "vitale-bridge"
    plan = make_plan(platform="linux", scope="user", browsers=("chrome",), home=str(tmp_path), user_data_dir=str(data),
                     python=sys.executable)
    # Reuse the Linux files but add registry writes shaped like the Windows plan's.
    from dataclasses import replace

    from bridge.install.plan import RegistryWrite

    manifest = next(f.path for f in plan.files if f.purpose.startswith("manifest"))
    plan = replace(plan, registry=(
        RegistryWrite("HKCU", rf"SOFTWARE\Google\Chrome\NativeMessagingHosts\{NATIVE_HOST_NAME}", manifest, "chrome"),
        RegistryWrite("HKCU", rf"SOFTWARE\Mozilla\NativeMessagingHosts\{NATIVE_HOST_NAME}", manifest, "firefox"),
    ))
    reg = FakeRegistry()
    apply.install(plan, registry=reg)
    assert set(reg.values.values()) == {manifest}
    # someone repoints the Firefox key: uninstall must leave it
    reg.values[("HKCU", rf"SOFTWARE\Mozilla\NativeMessagingHosts\{NATIVE_HOST_NAME}")] = r"C:\other.json"
    done = apply.uninstall(Path(plan.record_path), registry=reg)
    assert any("now points elsewhere" in line for line in done)
    assert list(reg.values.values()) == [r"C:\other.json"]
    assert not Path(manifest).exists()


def test_install_leaves_a_manifest_that_is_a_link(env, tmp_path):
    """The Debian package installs its manifests as links: 'install' must not replace them,
    nor 'uninstall' remove them."""
    user_home = Path(env["HOME"])
    target = tmp_path / "packaged.json"
    target.write_text('{"name": "packaged"}')
    link = user_home / CHROMIUM_DIR / NAME
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    out = cli(env, "install", "--browser", "chromium").stdout
    assert f"left {link}" in out
    assert link.is_symlink() and target.read_text() == '{"name": "packaged"}'
    cli(env, "uninstall")
    assert link.is_symlink()

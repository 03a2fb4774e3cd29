"""Where each browser looks for native messaging host manifests, per OS and scope.

Pure data: paths are built with ``PurePosixPath`` / ``PureWindowsPath`` from a home folder
passed in, so the table for macOS and Windows can be checked on Linux.

- Linux and macOS: the browser reads ``<dir>/<host name>.json`` from fixed folders.
- Windows: the browser reads a registry key whose default value is the manifest's path; the
  manifest file itself may live anywhere (we keep it beside the launcher).

Sources: Chrome's and MDN's native messaging pages (see docs/install.md). Brave and Edge follow
Chromium's layout under their own folders; Edge on Windows also reads Chrome's key, but we write
its own key so that an uninstall of one browser never depends on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal

Platform = Literal["linux", "darwin", "windows"]
Scope = Literal["user", "system"]

#: Browsers we register with, in display order.
BROWSERS = ("chrome", "chromium", "edge", "brave", "firefox")
PLATFORMS: tuple[Platform, ...] = ("linux", "darwin", "windows")

#: Chrome-family browsers read ``allowed_origins``; Firefox reads ``allowed_extensions``.
FAMILY = {"chrome": "chrome", "chromium": "chrome", "edge": "chrome", "brave": "chrome", "firefox": "firefox"}

# (user dir relative to home, system dir) per platform and browser.
_LINUX = {
    "chrome": (".config/google-chrome/NativeMessagingHosts", "/etc/opt/chrome/native-messaging-hosts"),
    "chromium": (".config/chromium/NativeMessagingHosts", "/etc/chromium/native-messaging-hosts"),
    "edge": (".config/microsoft-edge/NativeMessagingHosts", "/etc/opt/edge/native-messaging-hosts"),
    "brave": (".config/BraveSoftware/Brave-Browser/NativeMessagingHosts", "/etc/opt/brave/native-messaging-hosts"),
    "firefox": (".mozilla/native-messaging-hosts", "/usr/lib/mozilla/native-messaging-hosts"),
}
_MAC_APP_SUPPORT = "Library/Application Support"
_DARWIN = {
    "chrome": (f"{_MAC_APP_SUPPORT}/Google/Chrome/NativeMessagingHosts", "/Library/Google/Chrome/NativeMessagingHosts"),
    "chromium": (
        f"{_MAC_APP_SUPPORT}/Chromium/NativeMessagingHosts",
        "/Library/Application Support/Chromium/NativeMessagingHosts",
    ),
    "edge": (f"{_MAC_APP_SUPPORT}/Microsoft Edge/NativeMessagingHosts", "/Library/Microsoft/Edge/NativeMessagingHosts"),
    "brave": (
        f"{_MAC_APP_SUPPORT}/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        "/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    ),
    "firefox": (
        f"{_MAC_APP_SUPPORT}/Mozilla/NativeMessagingHosts",
        "/Library/Application Support/Mozilla/NativeMessagingHosts",
    ),
}
#: Registry key (under HKCU for user, HKLM for system) holding the manifest path, without the host name.
WINDOWS_KEYS = {
    "chrome": r"SOFTWARE\Google\Chrome\NativeMessagingHosts",
    "chromium": r"SOFTWARE\Chromium\NativeMessagingHosts",
    "edge": r"SOFTWARE\Microsoft\Edge\NativeMessagingHosts",
    "brave": r"SOFTWARE\BraveSoftware\Brave-Browser\NativeMessagingHosts",
    "firefox": r"SOFTWARE\Mozilla\NativeMessagingHosts",
}
#: Firefox on 64-bit Fedora-like systems reads /usr/lib64 instead of /usr/lib.
LINUX_FIREFOX_LIB64 = "/usr/lib64/mozilla/native-messaging-hosts"


@dataclass(frozen=True)
class RegistryLocation:
    hive: Literal["HKCU", "HKLM"]
    key: str  # full key path, host name included


def pure_path(platform: Platform, *parts: str) -> PurePath:
    return PureWindowsPath(*parts) if platform == "windows" else PurePosixPath(*parts)


def manifest_dirs(platform: Platform, scope: Scope, browser: str, *, home: str, lib64: bool = False) -> list[PurePath]:
    """Folders where *browser* reads manifests on Linux/macOS (empty on Windows: registry)."""
    if platform == "windows":
        return []
    table = _LINUX if platform == "linux" else _DARWIN
    user_dir, system_dir = table[browser]
    if scope == "user":
        return [PurePosixPath(home, user_dir)]
    dirs: list[PurePath] = [PurePosixPath(system_dir)]
    if platform == "linux" and browser == "firefox" and lib64:
        dirs.append(PurePosixPath(LINUX_FIREFOX_LIB64))
    return dirs


def registry_location(scope: Scope, browser: str, host_name: str) -> RegistryLocation:
    return RegistryLocation("HKCU" if scope == "user" else "HKLM", f"{WINDOWS_KEYS[browser]}\\{host_name}")


#: The file in the host folder that lists what install wrote (uninstall reads only it).
RECORD_NAME = "install-record.json"


def host_dir(platform: Platform, scope: Scope, *, user_data_dir: str, program_data: str = r"C:\ProgramData") -> PurePath:
    """Where an install keeps its launcher, Windows manifests and install record: the bridge's
    data folder for this user, or a shared folder for every user. Install and uninstall both
    ask here, so uninstall always finds the record install wrote."""
    if scope == "user":
        return pure_path(platform, user_data_dir, "native-host")
    return system_host_dir(platform, program_data=program_data)


def system_host_dir(platform: Platform, *, program_data: str = r"C:\ProgramData") -> PurePath:
    """Where a system-wide install keeps its launcher, Windows manifests and install record.

    Readable by every user (the browser runs the host as the logged-in user).
    """
    if platform == "linux":
        return PurePosixPath("/usr/local/lib/vitale-bridge")
    if platform == "darwin":
        return PurePosixPath("/Library/Application Support/vitale-bridge")
    return PureWindowsPath(program_data, "vitale-bridge")
